"""Stages 2 and 4, ``entities`` and ``counts``: one bucket of entity keys.

``entities`` folds each entity's partial records in chunk order, as
:meth:`KnowledgeGraph.absorb` does (the first type wins, names are counted, the
rest kept in order), writes its statements but for the paper count, and a table
of every entity's type that the ``papers`` stage joins with. ``counts`` counts
the papers linking each entity once papers are merged, and writes
``exo:paperCount`` and the table the co-occurrence test reads.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from ..graph import EntityNode
from ..rdf import NodeIris, entity_text, paper_count_text
from ..tables import read_bucket, write_table
from ..writers.shards import write_shard
from . import Layout, TaskReport
from .schemas import COUNT_SCHEMA, ENTITY_SCHEMA, TYPE_SCHEMA, entity_node, entity_table, entity_types

__all__ = ["counts_task", "entities_task"]


def entities_task(layout: Layout, bucket: int) -> TaskReport:
    """Merge the bucket's entities; write their statements (``exo:paperCount`` comes later) and their types."""

    table = read_bucket(layout.producers("read", "entities"), bucket, ENTITY_SCHEMA)
    report = TaskReport()
    nodes: dict[str, EntityNode] = {}
    for row in table.sort_by([("chunk", "ascending")]).to_pylist():  # stable: a chunk's own order is kept
        node = entity_node(row)
        ours = nodes.get(node.key)
        if ours is None:
            nodes[node.key] = node
            continue
        if ours.type != node.type:
            label = layout.labels[row["chunk"]] if row["chunk"] < len(layout.labels) else None
            report.diagnostics.append(
                {
                    "kind": "type-conflict",
                    "message": f"{node.key} is a {ours.type} elsewhere but a {node.type} here; kept as {ours.type}",
                    "path": label,
                    "line": None,
                }
            )
        ours.merge(node)
    keys = sorted(nodes)
    iris = NodeIris()
    report.statements = write_shard(
        layout.shard("entities", bucket), (entity_text(nodes[k], iris, with_count=False) for k in keys)
    )
    types = {
        "key": keys,
        "type": [nodes[k].type for k in keys],
        "curie": [nodes[k].curie for k in keys],
        "label": [nodes[k].label for k in keys],
    }
    write_table(pa.table(types, schema=TYPE_SCHEMA), layout.part("entities", "types", bucket))
    # The merged nodes, for the entity-level GraphML and HTML (:mod:`exograph.stages.view`).
    write_table(entity_table((nodes[k] for k in keys), 0), layout.part("entities", "nodes", bucket))
    report.counts["entities"] = len(keys)
    report.counts["several_names"] = sum(1 for node in nodes.values() if len(node.names) > 1)
    return report


def counts_task(layout: Layout, bucket: int) -> TaskReport:
    """Papers per entity of the bucket (the ``papers`` tasks' counts, summed): ``exo:paperCount`` and the counts
    table."""

    partial = read_bucket(layout.producers("papers", "entity_papers"), bucket, COUNT_SCHEMA)
    grouped = partial.group_by("key").aggregate([("papers", "sum")])
    found = dict(zip(grouped["key"].to_pylist(), grouped["papers_sum"].to_pylist(), strict=True))
    keys = entity_types(layout, range(bucket, bucket + 1))["key"].to_pylist()
    papers = [found.get(k, 0) for k in keys]
    iris = NodeIris()
    report = TaskReport()
    report.statements = write_shard(
        layout.shard("counts", bucket), (paper_count_text(k, n, iris) for k, n in zip(keys, papers, strict=True))
    )
    table = pa.table({"key": keys, "papers": papers}, schema=COUNT_SCHEMA)
    write_table(table, layout.part("counts", "papers", bucket))
    report.counts["singletons"] = int(pc.sum(pc.equal(table["papers"], 1)).as_py() or 0)
    report.counts["several_papers"] = int(pc.sum(pc.greater(table["papers"], 1)).as_py() or 0)
    return report
