"""The entity-level graph of a finished plan: what GraphML and the HTML view hold at scale.

Above their limits the in-memory build writes GraphML and HTML with entities
and co-occurrence edges only (papers, authors and mention edges would be more
than Cytoscape, Gephi or a browser handle). The out-of-core plan writes the
same: this module reads the merged entities, their paper counts and the
co-occurrence edges back from the stage tables into a :class:`KnowledgeGraph`
that holds no papers, and links the mapping sets' ids exactly as the in-memory
build does. Its memory is the entity vocabulary, never the papers.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..cooccurrence import edge_records
from ..graph import KnowledgeGraph
from ..mapping import link_mappings
from ..sssom import MappingSet
from ..tables import read_table, read_tables
from . import Layout
from .schemas import EDGE_SCHEMA, entity_node, paper_counts

__all__ = ["entity_view"]


def entity_view(layout: Layout, mapping_sets: Sequence[MappingSet] = ()) -> KnowledgeGraph:
    """Entities (with their paper counts), mappings and co-occurrence edges of the plan in ``layout``."""
    kg = KnowledgeGraph(spans=False, edge_papers=layout.edge_papers)
    for path in layout.parts("entities", "nodes"):
        for row in read_table(path).to_pylist():
            node = entity_node(row)
            kg.entities[node.key] = node
    counts = paper_counts(layout)
    kg.paper_counts = dict(zip(counts["key"].to_pylist(), counts["papers"].to_pylist(), strict=True))
    kg.paper_total = layout.total
    if mapping_sets:
        link_mappings(kg, mapping_sets)
    edges = read_tables(layout.parts("cooccurrence", "edges"), EDGE_SCHEMA)
    stats = {name: edges[column].to_numpy() for name, column in (("a", "n"), ("na", "na"), ("nb", "nb"), ("p", "p"))}
    stats["p_adjusted"] = edges["q"].to_numpy()
    supporting = [tuple(papers) for papers in edges["papers"].to_pylist()]
    kg.cooccurrence = edge_records(edges["a"].to_pylist(), edges["b"].to_pylist(), stats, layout.total, supporting)
    return kg
