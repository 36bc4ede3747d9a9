"""KGX, the node and edge tables of KG-Hub and the Biolink tooling: TSV (``nodes.tsv``, ``edges.tsv``) or JSON Lines.

Columns follow KGX's conventions: ``id``, ``category``, ``name`` ... for nodes,
``id``, ``subject``, ``predicate``, ``object``, ``category``, ``knowledge_level``,
``agent_type``, ``primary_knowledge_source``, ``publications`` ... for edges; in
TSV a list column is ``|``-joined, in JSON Lines it is a JSON array. Ids are
CURIEs spelled with Biolink's own prefixes (``PMCID:``, ``doi:``, ``DBSNP:``), as everywhere in exograph,
so that a KG-Hub merge joins them with other graphs. Every edge carries the
Biolink provenance slots (knowledge level, agent type, knowledge sources),
chosen per kind of evidence as in the RDF exports.
"""

from __future__ import annotations

import json
import math
import os
from collections import Counter
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

from ..atomic import Destination, atomic_path
from ..errors import WriteError
from ..iris import biolink_prefix_map, shorten
from ..sssom import SEMAPV
from ..vocab import (
    AGGREGATOR,
    BIOLINK,
    CATEGORY_OF,
    KNOWLEDGE_SOURCE,
    PREDICATE_OF,
    association_class,
    evidence_kind,
    relation_predicate,
)

if TYPE_CHECKING:
    from ..graph import KnowledgeGraph

__all__ = ["EDGE_COLUMNS", "NODE_COLUMNS", "kgx_edges", "kgx_nodes", "write_kgx", "write_kgx_jsonl"]

NODE_COLUMNS: Final = ("id", "category", "name", "description", "synonym", "xref", "provided_by", "symbol", "full_name")
EDGE_COLUMNS: Final = (
    "id",
    "subject",
    "predicate",
    "object",
    "category",
    "knowledge_level",
    "agent_type",
    "primary_knowledge_source",
    "aggregator_knowledge_source",
    "publications",
    "original_predicate",
    "concept_pair_count",
    "concept_count_subject",
    "concept_count_object",
    "dataset_count",
    "expected_count",
    "ln_ratio",
    "p_value",
    "adjusted_p_value",
)
_LISTS: Final = frozenset({"category", "synonym", "xref", "provided_by", "publications", "aggregator_knowledge_source"})

_PROVIDED_BY: Final = ["infores:exograph"]


@cache
def biolink_prefixes() -> frozenset[str]:
    """The CURIE prefixes of Biolink's prefix map (from the biolink-model package): the ids KGX accepts."""
    return frozenset(biolink_prefix_map()) | {"infores"}


def expressible(curie: str) -> bool:
    """Whether KGX can carry the id: its prefix is Biolink's and it holds no '|' (KGX's list separator)."""
    return curie.partition(":")[0] in biolink_prefixes() and "|" not in curie


def _biolink_predicate(relation_type: str) -> str:
    """A relation's Biolink predicate; exograph's own (``exo:comparedWith`` ...) become their Biolink parent,
    ``biolink:related_to`` (as the ontology declares), the source's type staying in ``original_predicate``."""
    iri = relation_predicate(relation_type)
    return shorten(iri) if iri.startswith(BIOLINK) else "biolink:related_to"


def kgx_nodes(kg: KnowledgeGraph) -> Iterator[dict[str, Any]]:
    """Every node as a KGX record, in the same fixed order as the RDF exports."""
    for node in kg.sorted_entities():
        yield {
            "id": node.key,
            "category": [shorten(CATEGORY_OF[node.type])],
            "name": node.label,
            "synonym": node.alt_labels,
            "provided_by": _PROVIDED_BY,
            "symbol": next(iter(sorted(node.symbols)), None),
            "full_name": next(iter(sorted(node.full_names)), None),
            "xref": [x for x in node.xrefs if expressible(x)],
        }
    for kind, names in (("Author", kg.authors()), ("Journal", kg.journals())):
        for key, name in names.items():
            yield {"id": key, "category": [shorten(CATEGORY_OF[kind])], "name": name, "provided_by": _PROVIDED_BY}
    for paper in kg.sorted_papers():
        yield {
            "id": paper.key,
            "category": [shorten(CATEGORY_OF["Paper"])],
            "name": paper.paper.title,
            "description": paper.paper.tldr or paper.paper.abstract,
            "xref": [other for other in paper.paper.ids if other != paper.key],
            "provided_by": _PROVIDED_BY,
        }


def _evidence(kind: str) -> dict[str, Any]:
    return _provenance(*KNOWLEDGE_SOURCE[kind])


def _provenance(level: str, agent: str, source: str = AGGREGATOR) -> dict[str, Any]:
    return {
        "knowledge_level": level,
        "agent_type": agent,
        "primary_knowledge_source": source,
        "aggregator_knowledge_source": [AGGREGATOR],
    }


def kgx_edges(kg: KnowledgeGraph) -> Iterator[dict[str, Any]]:
    """Every Biolink edge as a KGX record: mentions, publication venues, relations and co-occurrence."""
    mentions = shorten(PREDICATE_OF["mentions"])
    published_in = shorten(PREDICATE_OF["published_in"])
    # What a paper mentions and where it appeared are assertions of the paper's own record; a mention's agent
    # (a curator or a model) is not recorded per mention.
    mentioned = _provenance("knowledge_assertion", "not_provided")
    bibliographic = _provenance("knowledge_assertion", "manual_agent")
    for paper in kg.sorted_papers():
        p = paper.key
        if paper.journal_key:
            yield {
                "id": f"{p}/published_in",
                "subject": p,
                "predicate": published_in,
                "object": paper.journal_key,
                "category": ["biolink:Association"],
                **bibliographic,
                "publications": [p],
            }
        for entity in sorted(paper.mentions):
            yield {
                "id": f"{p}/mentions/{entity}",
                "subject": p,
                "predicate": mentions,
                "object": entity,
                "category": ["biolink:InformationContentEntityToNamedThingAssociation"],
                **mentioned,
                "publications": [p],
            }
        for i, rel in enumerate(paper.relations, start=1):
            subject, obj = kg.entities.get(rel.subject), kg.entities.get(rel.object)
            yield {
                "id": f"{p}/relation/{i}",
                "subject": rel.subject,
                "predicate": _biolink_predicate(rel.type),
                "object": rel.object,
                "category": [shorten(association_class(subject.type if subject else None, obj.type if obj else None))],
                **_evidence(evidence_kind(rel.type, rel.score)),
                "publications": [p],
                "original_predicate": rel.type,
            }
    for m in kg.mappings:
        yield {
            "id": f"mapping/{m.subject}/{m.predicate.partition(':')[2]}/{m.object}",
            "subject": m.subject,
            "predicate": _MAPPING_PREDICATE[m.predicate],
            "object": m.object,
            "category": ["biolink:Association"],
            **_provenance("knowledge_assertion", _mapping_agent(m.justification), m.provider or AGGREGATOR),
            "original_predicate": m.predicate,
        }
    co = shorten(PREDICATE_OF["co_occurs_with"])
    for edge in kg.cooccurrence:
        yield {
            "id": f"cooccurrence/{edge.source}/{edge.target}",
            "subject": edge.source,
            "predicate": co,
            "object": edge.target,
            "category": ["biolink:Association"],
            **_evidence("cooccurrence"),
            "publications": [k for k in edge.supporting],
            "concept_pair_count": edge.papers,
            "concept_count_subject": edge.source_papers,
            "concept_count_object": edge.target_papers,
            "dataset_count": edge.total_papers,
            "expected_count": edge.expected,
            "ln_ratio": math.log(edge.enrichment) if edge.enrichment > 0 else None,
            "p_value": edge.p_value,
            "adjusted_p_value": edge.p_adjusted,
        }


#: SKOS mapping predicates as Biolink's (Biolink has no 'related match': its parent, related_to).
_MAPPING_PREDICATE: Final = {
    "skos:exactMatch": "biolink:exact_match",
    "skos:closeMatch": "biolink:close_match",
    "skos:broadMatch": "biolink:broad_match",
    "skos:narrowMatch": "biolink:narrow_match",
    "skos:relatedMatch": "biolink:related_to",
}


def _mapping_agent(justification: str) -> str:
    """Biolink's agent type for an SSSOM justification: curated by people, computed, or not said."""
    if justification == SEMAPV + "ManualMappingCuration":
        return "manual_agent"
    unspecified = justification == SEMAPV + "UnspecifiedMatching"
    if justification.startswith(SEMAPV) and justification.endswith("Matching") and not unspecified:
        return "automated_agent"
    return "not_provided"


KgxFormat = Literal["tsv", "jsonl"]


def _folder(dest: Destination) -> Path:
    if not isinstance(dest, (str, os.PathLike)):
        raise WriteError("KGX is two files (nodes and edges): give a folder, not an open handle", path="<handle>")
    folder = Path(dest)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _tsv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "|".join(_tsv_cell(v) for v in value)
    # A TSV cell cannot hold a tab or a line break, and '|' separates list items.
    return str(value).replace("\t", " ").replace("\r", " ").replace("\n", " ").replace("|", "\u2223")


def _tsv(path: Path, columns: tuple[str, ...], records: Iterator[dict[str, Any]]) -> None:
    # Written without a CSV dialect: KGX reads cells unquoted, and no cell holds a tab or a line break.
    with open(path, "wb") as raw:
        raw.write(("\t".join(columns) + "\n").encode("utf-8"))
        for record in records:
            raw.write(("\t".join(_tsv_cell(record.get(c)) for c in columns) + "\n").encode("utf-8"))


def _jsonl(path: Path, records: Iterator[dict[str, Any]]) -> None:
    with open(path, "wb") as raw:
        for record in records:
            clean = {k: v for k, v in record.items() if v is not None and v != []}
            raw.write(json.dumps(clean, ensure_ascii=False, sort_keys=True).encode("utf-8") + b"\n")


def _write_pair(
    folder: Path, suffix: str, write_nodes: Callable[[Path], None], write_edges: Callable[[Path], None]
) -> None:
    """Nodes and edges are published together: both files are written in full first, so an interrupted write
    never leaves new nodes beside old edges."""
    with atomic_path(folder / f"nodes.{suffix}") as nodes, atomic_path(folder / f"edges.{suffix}") as edges:
        write_nodes(nodes)
        write_edges(edges)


def write_kgx(kg: KnowledgeGraph, dest: Destination) -> None:
    """KGX TSV: ``nodes.tsv`` and ``edges.tsv`` in the folder ``dest`` (what ``kgx transform -i tsv`` reads)."""
    folder = _folder(dest)
    nodes, edges = _expressible(kg)
    _write_pair(
        folder,
        "tsv",
        lambda path: _tsv(path, NODE_COLUMNS, iter(nodes)),
        lambda path: _tsv(path, EDGE_COLUMNS, iter(edges)),
    )


def write_kgx_jsonl(kg: KnowledgeGraph, dest: Destination) -> None:
    """KGX JSON Lines: ``nodes.jsonl`` and ``edges.jsonl`` in the folder ``dest``."""
    folder = _folder(dest)
    nodes, edges = _expressible(kg)
    _write_pair(folder, "jsonl", lambda path: _jsonl(path, iter(nodes)), lambda path: _jsonl(path, iter(edges)))


def _expressible(kg: KnowledgeGraph) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The nodes and edges KGX can carry; the others (ids with no Biolink prefix: exograph's own authors,
    journals and unnormalised names, Cellosaurus, tmVar, HGVS) are left out with one recorded warning, since
    ``kgx validate`` and a KG-Hub merge reject them. The RDF exports keep them all."""
    nodes, skipped = [], Counter[str]()
    for node in kgx_nodes(kg):
        if expressible(node["id"]):
            nodes.append(node)
        else:
            skipped[node["id"].partition(":")[0]] += 1
    ids = {node["id"] for node in nodes}
    edges = [edge for edge in kgx_edges(kg) if edge["subject"] in ids and edge["object"] in ids]
    # Both KGX formats leave out the same ids: said once when a build writes both.
    if skipped and not any(d.kind == "kgx-not-expressible" for d in kg.diagnostics):
        kinds = ", ".join(f"{prefix} ({count:,})" for prefix, count in sorted(skipped.items()))
        kg.diagnostics.warn(
            "kgx-not-expressible",
            f"{sum(skipped.values()):,} nodes have ids that Biolink has no prefix for and are not in the KGX "
            f"export (nor their edges): {kinds}; the RDF exports hold them",
        )
    return nodes, edges
