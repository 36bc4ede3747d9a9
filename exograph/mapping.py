"""One disease, one identity: SSSOM mappings applied to a built graph.

:func:`link_mappings` keeps every mapping between two ids of the graph, and of
an id of the graph to a MONDO id (which then appears as a node of its own, with
its label from the mapping set), so that the equivalence is a statement users
can see and query. :func:`merge_mapped` goes further when asked: each clique of
exact matches becomes one node under the id Biolink prefers for the class
(``id_prefixes`` of the Biolink Model: for a disease MONDO before MESH ...),
keeping every other id as an xref and every name, so that paper counts and
co-occurrence statistics are computed over the merged node. A clique holding
two ids of one scheme is a mapping error somewhere and is reported, not merged.

Both run after reading and before the co-occurrence statistics.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from functools import cache
from importlib.resources import files

from .graph import EntityNode, KnowledgeGraph
from .models import Mention, Relation
from .sssom import Mapping, MappingSet
from .vocab import CATEGORY_OF

__all__ = ["EXACT", "id_prefix_order", "link_mappings", "merge_mapped"]

EXACT = "skos:exactMatch"
#: Ids reached only through a mapping become nodes when they are MONDO's (the disease ontology that the
#: mapping sets are built around); other schemes would add nodes no input speaks of.
_REACHABLE_PREFIXES = ("MONDO",)


def link_mappings(kg: KnowledgeGraph, sets: Sequence[MappingSet]) -> list[Mapping]:
    """Record in ``kg.mappings`` every mapping of ``sets`` between ids the graph holds (adding MONDO nodes
    reached from them), with the sets' skipped-row warnings; returns the mappings used."""
    for mapping_set in sets:
        kg.diagnostics.extend(mapping_set.warnings)
    entities = kg.entities
    every = [m for s in sets for m in s.mappings]
    occurring = {key for key, node in entities.items() if node.curie is not None}
    reached: dict[str, tuple[EntityNode, str | None]] = {}
    for m in every:
        for here, there, label in ((m.subject, m.object, m.object_label), (m.object, m.subject, m.subject_label)):
            reachable = here in occurring and there not in occurring and there.partition(":")[0] in _REACHABLE_PREFIXES
            if reachable and (there not in reached or (reached[there][1] is None and label is not None)):
                reached[there] = (entities[here], label)
    for key in sorted(reached):
        partner, label = reached[key]
        node = EntityNode(key=key, type=partner.type, curie=key)
        node.names[label or key] = 0  # a name no paper used: counted 0, so any paper's name is preferred
        entities[key] = node
    seen: set[tuple[str, str, str, str]] = set()
    used: list[Mapping] = []
    for m in every:
        ident = (m.subject, m.predicate, m.object, m.mapping_set)
        if m.subject in entities and m.object in entities and m.subject != m.object and ident not in seen:
            seen.add(ident)
            used.append(m)
    used.sort(key=lambda m: (m.subject, m.predicate, m.object, m.mapping_set))
    kg.mappings = used
    kg.merges["mapping-node"] += len(reached)
    return used


@cache
def id_prefix_order(category: str) -> tuple[str, ...]:
    """Biolink's preferred id prefixes for a class IRI, most preferred first (the Biolink Model package)."""
    text = (files("biolink_model") / "prefixmaps" / "preferred_prefixes_per_class.json").read_text(encoding="utf-8")
    wanted = "biolink:" + category.rsplit("/", 1)[-1]
    for entry in json.loads(text)["biolink_class_prefixes"]:
        if entry["class_name"] == wanted:
            ordered = sorted(entry["prefix_map"], key=lambda p: p["order"])
            return tuple(p["prefix"] for p in ordered)
    return ()


def _preferred(keys: Iterable[str], category: str) -> str:
    order = {prefix: i for i, prefix in enumerate(id_prefix_order(category))}
    return min(keys, key=lambda k: (order.get(k.partition(":")[0], len(order)), k))


def _cliques(kg: KnowledgeGraph) -> list[list[str]]:
    """Connected components of the exact-match mappings between nodes, each sorted, in sorted order."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for m in kg.mappings:
        if m.predicate == EXACT and m.subject in kg.entities and m.object in kg.entities:
            a, b = find(m.subject), find(m.object)
            if a != b:
                parent[max(a, b)] = min(a, b)
    groups: dict[str, list[str]] = {}
    for key in parent:
        groups.setdefault(find(key), []).append(key)
    return sorted(sorted(g) for g in groups.values() if len(g) > 1)


def merge_mapped(kg: KnowledgeGraph) -> dict[str, str]:
    """Merge each clique of exact matches into one node; returns old id -> the id it was merged into."""
    renamed: dict[str, str] = {}
    for clique in _cliques(kg):
        prefixes = [k.partition(":")[0] for k in clique]
        types = {kg.entities[k].type for k in clique}
        if len(set(prefixes)) < len(prefixes) or len(types) > 1:
            why = "two ids of one scheme" if len(set(prefixes)) < len(prefixes) else "ids of different types"
            kg.unmerged_cliques.append(tuple(clique))
            kg.diagnostics.warn("mapping-clique-not-merged", f"exact matches {', '.join(clique)} not merged: {why}")
            continue
        keep = _preferred(clique, CATEGORY_OF[next(iter(types))])
        target = kg.entities[keep]
        for key in clique:
            if key == keep:
                continue
            other = kg.entities.pop(key)
            target.merge(other)
            target.papers |= other.papers
            target.xrefs.setdefault(key)
            renamed[key] = keep
        target.xrefs = dict.fromkeys(sorted(target.xrefs))
        kg.merges["entity-clique"] += 1
    if renamed:
        _rename_in_papers(kg, renamed)
    return renamed


def _rename_in_papers(kg: KnowledgeGraph, renamed: dict[str, str]) -> None:
    """Point every paper's about, mention counts, spans and relations at the merged ids."""
    touched = {paper for key in set(renamed.values()) for paper in kg.entities[key].papers}
    for paper_key in touched:
        node = kg.papers[paper_key]
        node.about = tuple(dict.fromkeys(renamed.get(k, k) for k in node.about))
        mentions: dict[str, int] = {}
        for key, count in node.mentions.items():
            new = renamed.get(key, key)
            mentions[new] = mentions.get(new, 0) + count
        node.mentions = mentions
        node.mention_spans = tuple(_span(span, renamed) for span in node.mention_spans)
        node.relations = tuple(_relation(rel, renamed) for rel in node.relations)


def _span(span: Mention, renamed: dict[str, str]) -> Mention:
    if not any(k in renamed for k in span.entity_keys):
        return span
    keys = tuple(dict.fromkeys(renamed.get(k, k) for k in span.entity_keys))
    return span.model_copy(update={"entity_keys": keys})


def _relation(rel: Relation, renamed: dict[str, str]) -> Relation:
    if rel.subject not in renamed and rel.object not in renamed:
        return rel
    return rel.model_copy(
        update={"subject": renamed.get(rel.subject, rel.subject), "object": renamed.get(rel.object, rel.object)}
    )
