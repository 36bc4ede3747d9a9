"""The entities stage folds partial entity records by columns as the graph folds them into nodes, and writes
the statements exograph.rdf.entity_text writes for them."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

import exograph.stages.entities as entities_stage
from exograph.graph import EntityNode
from exograph.rdf import NodeIris, entity_text
from exograph.stages.entities import _SLICE, MergedEntities
from exograph.stages.schemas import ENTITY_SCHEMA, LIST_FIELDS, entity_node, entity_table

KEYS = st.sampled_from(["NCBIGene:7157", "MESH:D009369", "exo.id:gene/odd name", "NCBITaxon:9606", "MESH:C0"])
TYPES = st.sampled_from(["Gene", "Disease", "ChemicalEntity", "OrganismTaxon"])
TEXT = st.sampled_from(["TP53", "p53", "tp53", 'say "hi"', "back\\slash", "two\nlines", "caf\u00e9", "", "a b"])
XREFS = st.sampled_from(["MESH:D000001", "NCBIGene:672", "exo.id:gene/x y", "OMIM:191170"])


@st.composite
def _row(draw: Any) -> dict[str, Any]:
    key = draw(KEYS)
    names = draw(st.lists(TEXT, min_size=1, max_size=4, unique=True))
    row = {
        "key": key,
        "chunk": draw(st.integers(0, 3)),
        "type": draw(TYPES),
        "curie": None if key.startswith("exo.id:") else key,
        "names": names,
        "name_counts": [draw(st.integers(1, 5)) for _ in names],
    }
    for field in LIST_FIELDS:
        row[field] = draw(st.lists(XREFS if field == "xrefs" else TEXT, max_size=3, unique=True))
    return row


def _reference(rows: list[dict[str, Any]]) -> tuple[dict[str, EntityNode], list[tuple[int, str, str, str]]]:
    """The in-memory fold: rows in chunk order into nodes (EntityNode.merge), type conflicts in row order."""
    nodes: dict[str, EntityNode] = {}
    conflicts = []
    for row in sorted(rows, key=lambda r: r["chunk"]):
        node = entity_node(row)
        ours = nodes.get(node.key)
        if ours is None:
            nodes[node.key] = node
            continue
        if ours.type != node.type:
            conflicts.append((row["chunk"], node.key, ours.type, node.type))
        ours.merge(node)
    return nodes, conflicts


@settings(max_examples=150, deadline=None)
@given(rows=st.lists(_row(), max_size=12))
def test_entities_fold_and_statements_are_the_graph_s(rows: list[dict[str, Any]]) -> None:
    table = pa.Table.from_pylist(rows, schema=ENTITY_SCHEMA).sort_by([("chunk", "ascending")])
    merged = MergedEntities.of(table)
    nodes, conflicts = _reference(rows)
    keys = sorted(nodes)
    assert merged.keys.to_pylist() == keys
    assert merged.conflicts == conflicts
    assert b"".join(merged.blocks()).decode() == "".join(
        entity_text(nodes[k], NodeIris(), with_count=False) for k in keys
    )
    assert merged.labels.to_pylist() == [nodes[k].label for k in keys]
    assert merged.types.to_pylist() == [nodes[k].type for k in keys]
    assert merged.curies.to_pylist() == [nodes[k].curie for k in keys]
    assert merged.nodes().to_pylist() == entity_table((nodes[k] for k in keys), 0).to_pylist()
    assert merged.nodes().equals(entity_table((nodes[k] for k in keys), 0))
    assert merged.several_names == sum(1 for node in nodes.values() if len(node.names) > 1)
    whole = b"".join(merged.blocks())
    try:
        entities_stage._SLICE = 2  # the statements made a few entities at a time
        assert b"".join(merged.blocks()) == whole
    finally:
        entities_stage._SLICE = _SLICE
