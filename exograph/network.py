"""The graph as a networkx MultiDiGraph, for graph algorithms and the GraphML and HTML writers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .iris import page_url, shorten
from .vocab import PREDICATE_OF, relation_predicate

if TYPE_CHECKING:
    import networkx as nx

    from .graph import KnowledgeGraph

__all__ = ["entity_attributes", "paper_attributes", "to_networkx"]


def entity_attributes(kg: KnowledgeGraph, key: str) -> dict[str, Any]:
    """Node attributes of an entity (lists stay lists here; GraphML encodes them)."""
    node = kg.entities[key]
    return {
        "label": node.label,
        "type": node.type,
        "curie": node.curie,
        "normalised": node.curie is not None,
        "names": sorted(node.names),
        "aliases": sorted(node.aliases),
        "symbol": next(iter(sorted(node.symbols)), None),
        "full_name": next(iter(sorted(node.full_names)), None),
        "common_name": next(iter(sorted(node.common_names)), None),
        "rank": next(iter(sorted(node.ranks)), None),
        "source_ids": sorted(node.raw_ids),
        "paper_count": kg.paper_count(key),
        "url": page_url(node.curie) if node.curie else None,
        # Ids merged into this node through exact-match mappings (--merge-mapped), each with its source page.
        "xrefs": list(node.xrefs),
        "xref_urls": [page_url(xref) or "" for xref in node.xrefs],
    }


def paper_attributes(kg: KnowledgeGraph, key: str) -> dict[str, Any]:
    """Node attributes of a paper: its whole bibliographic record."""
    node = kg.papers[key]
    p = node.paper
    return {
        "label": p.title,
        "type": "Paper",
        "curie": key,
        "title": p.title,
        "authors": list(p.authors),
        "journal": p.journal,
        "date": p.date.isoformat() if p.date else None,
        "pmid": p.pmid,
        "pmcid": p.pmcid,
        "doi": p.doi,
        "tldr": p.tldr,
        "contribution": p.contribution,
        "key_findings": list(p.key_findings),
        "abstract": p.abstract,
        "links": [link.model_dump(exclude_none=True) for link in sorted(p.links, key=lambda lk: (lk.kind, lk.url))],
        "sources": [_given_name(source) for source in node.sources],
        "url": page_url(key) if not key.startswith("exo.id:") else None,
        "normalised": not key.startswith("exo.id:"),
    }


def _given_name(path: str) -> str:
    """An input's name as the user gave it; an absolute path (which would leak a home folder) by its file name."""
    from pathlib import PurePath

    given = PurePath(path)
    return given.name if given.is_absolute() else given.as_posix()


def to_networkx(kg: KnowledgeGraph, *, entities_only: bool = False) -> nx.MultiDiGraph:
    """Typed nodes and typed edges; ``entities_only`` keeps entities and co-occurrence edges (for huge corpora).

    Node ids are CURIEs, edge keys are edge types:

    >>> import exograph
    >>> g = exograph.to_networkx(exograph.build(["seeds/"]).graph)
    >>> g.nodes["NCBIGene:7422"]["label"], g.number_of_nodes()
    ('VEGFA', 125)
    """
    import networkx as nx  # imported when used: a build that writes no networkx output never loads it

    g: nx.MultiDiGraph = nx.MultiDiGraph()
    if not entities_only:
        for node in kg.sorted_papers():
            g.add_node(node.key, **paper_attributes(kg, node.key))
        for key, name in kg.authors().items():
            g.add_node(key, label=name, type="Author", curie=key, name=name, normalised=False)
        for key, name in kg.journals().items():
            g.add_node(key, label=name, type="Journal", curie=key, name=name, normalised=False)
    for entity in kg.sorted_entities():
        g.add_node(entity.key, **entity_attributes(kg, entity.key))
    # Edge keys are the GraphML edge ids: unique across the file (Gephi keeps one edge per id, graphology refuses
    # repeats), built from the edge type and its ends so that they are stable between builds.
    if not entities_only:
        for node in kg.sorted_papers():
            p = node.key
            for order, author in enumerate(map(kg.author_key.__getitem__, node.paper.authors), start=1):
                g.add_edge(
                    p, author, key=f"authored_by/{p}/{order}", type="authored_by", order=order, predicate=_AUTHORED_BY
                )
            if node.journal_key:
                g.add_edge(p, node.journal_key, key=f"published_in/{p}", type="published_in", predicate=_PUBLISHED_IN)
            for key in sorted(node.about):
                g.add_edge(p, key, key=f"about/{p}/{key}", type="about", predicate=_ABOUT)
            for key in sorted(node.mentions):
                g.add_edge(
                    p, key, key=f"mentions/{p}/{key}", type="mentions", count=node.mentions[key], predicate=_MENTIONS
                )
            for i, rel in enumerate(node.relations, start=1):
                attrs: dict[str, Any] = {
                    "type": rel.type,
                    "paper": p,
                    "predicate": shorten(relation_predicate(rel.type)),
                }
                if rel.novel is not None:
                    attrs["novel"] = rel.novel
                if rel.score is not None:
                    attrs["score"] = rel.score
                g.add_edge(rel.subject, rel.object, key=f"{rel.type}/{p}/{i}", **attrs)
    for m in kg.mappings:
        if m.subject in kg.entities and m.object in kg.entities:
            g.add_edge(
                m.subject,
                m.object,
                key=f"{m.predicate}/{m.subject}/{m.object}/{m.mapping_set}",
                type=m.predicate.partition(":")[2],
                predicate=m.predicate,
                justification=shorten(m.justification),
                mapping_set=m.mapping_set,
            )
    for edge in kg.cooccurrence:
        g.add_edge(
            edge.source,
            edge.target,
            key=f"co_occurs_with/{edge.source}/{edge.target}",
            type="co_occurs_with",
            predicate=_CO_OCCURS,
            papers=edge.papers,
            source_papers=edge.source_papers,
            target_papers=edge.target_papers,
            expected=edge.expected,
            enrichment=edge.enrichment,
            log_odds=edge.log_odds,
            p_value=edge.p_value,
            p_adjusted=edge.p_adjusted,
            supporting=list(edge.supporting),
        )
    return g


#: Predicates of the paper and co-occurrence edges as CURIEs, the same as in the RDF exports.
_AUTHORED_BY, _PUBLISHED_IN, _ABOUT, _MENTIONS, _CO_OCCURS = (
    shorten(PREDICATE_OF[kind]) for kind in ("authored_by", "published_in", "about", "mentions", "co_occurs_with")
)
