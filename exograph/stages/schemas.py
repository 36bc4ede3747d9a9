"""The tables the stages pass each other: every schema in one place, and the readers of the corpus-wide ones.

A table is written by one stage and read by a later one, so its columns are
declared here rather than in either (see :mod:`exograph.stages` for the order).
This module is imported only by the out-of-core plan, so pyarrow is too.
"""

from __future__ import annotations

from collections.abc import Iterable
from operator import attrgetter
from typing import Any

import pyarrow as pa

from ..graph import EntityNode
from ..tables import read_table, read_tables, write_table
from . import Layout

__all__ = [
    "AGENT_SCHEMA",
    "ANSWER_SCHEMA",
    "CANDIDATE_SCHEMA",
    "COUNT_SCHEMA",
    "DIRECT_SCHEMA",
    "EDGE_SCHEMA",
    "ENTITY_SCHEMA",
    "HISTOGRAM_SCHEMA",
    "IDS_SCHEMA",
    "LINK_SCHEMA",
    "LIST_FIELDS",
    "PAIR_COUNT_SCHEMA",
    "PAIR_PAPER_SCHEMA",
    "PAIR_SCHEMA",
    "PAPER_SCHEMA",
    "RANGE_COUNT_SCHEMA",
    "RELATION_FIELDS",
    "TYPE_SCHEMA",
    "entity_node",
    "entity_table",
    "entity_types",
    "gather_vocabulary",
    "paper_counts",
]

_STRINGS = pa.list_(pa.string())

#: Entity fields kept as lists of strings, in the order EntityNode declares them.
LIST_FIELDS = ("aliases", "symbols", "full_names", "common_names", "ranks", "raw_ids", "xrefs")

# -- read: one chunk's partial records, bucketed by key ---------------------------------------------------------
#: A paper as one chunk knows it (``pos``: its place in the chunk, so records merge in reading order; ``bulk``:
#: the record is a PubTator3 bulk paper and says nothing more, see :func:`exograph.stages.read.paper_tables`).
PAPER_SCHEMA = pa.schema(
    [
        ("key", pa.string()),
        ("chunk", pa.int32()),
        ("pos", pa.int32()),
        ("paper", pa.string()),
        ("about", _STRINGS),
        ("mention_keys", _STRINGS),
        ("mention_counts", pa.list_(pa.int64())),
        ("spans", pa.string()),
        ("relations", pa.string()),
        ("sources", _STRINGS),
        ("bulk", pa.bool_()),
    ]
)
#: An entity as one chunk knows it.
ENTITY_SCHEMA = pa.schema(
    [
        ("key", pa.string()),
        ("chunk", pa.int32()),
        ("type", pa.string()),
        ("curie", pa.string()),
        ("names", _STRINGS),
        ("name_counts", pa.list_(pa.int64())),
        *((name, _STRINGS) for name in LIST_FIELDS),
    ]
)
#: Papers with more than one id, for the identity pass.
IDS_SCHEMA = pa.schema([("key", pa.string()), ("ids", _STRINGS)])

# -- entities and counts: one row per entity ------------------------------------------------------------------
TYPE_SCHEMA = pa.schema([("key", pa.string()), ("type", pa.string()), ("curie", pa.string()), ("label", pa.string())])
COUNT_SCHEMA = pa.schema([("key", pa.string()), ("papers", pa.int64())])

# -- papers: what the merged papers give the later stages -----------------------------------------------------
LINK_SCHEMA = pa.schema([("entity", pa.string()), ("paper", pa.string())])
#: A pair row's entities are their positions in the entity vocabulary (:func:`entity_types`), and its paper
#: its position among the papers of the task that wrote it (:data:`PAIR_PAPER_SCHEMA`): the plan's largest
#: table (a paper gives pairs by the square of its entities) holds three integers where it held three keys.
PAIR_SCHEMA = pa.schema([("a", pa.int32()), ("b", pa.int32()), ("paper", pa.int32())])
#: Pair rows without their paper, where no edge lists its papers (the compact profile): only counted.
PAIR_COUNT_SCHEMA = pa.schema([("a", pa.int32()), ("b", pa.int32())])
#: The keys of a ``papers`` task's papers, in key order, that its pair rows point to.
PAIR_PAPER_SCHEMA = pa.schema([("key", pa.string())])
DIRECT_SCHEMA = pa.schema([("triple", pa.string())])
#: A relation's fields, as columns (:class:`exograph.models.Relation`'s): a ``papers`` task reads its papers'
#: relation JSON into these.
RELATION_FIELDS = pa.schema(
    [
        ("type", pa.string()),
        ("subject", pa.string()),
        ("object", pa.string()),
        ("novel", pa.bool_()),
        ("score", pa.float64()),
    ]
)
AGENT_SCHEMA = pa.schema([("kind", pa.string()), ("key", pa.string()), ("name", pa.string())])

# -- pairs: co-occurrence candidates and the histogram of low p-values ----------------------------------------
CANDIDATE_SCHEMA = pa.schema(
    [
        ("a", pa.string()),
        ("b", pa.string()),
        ("n", pa.int64()),
        ("na", pa.int64()),
        ("nb", pa.int64()),
        ("p", pa.float64()),
        ("papers", _STRINGS),
    ]
)
#: A pairs bucket's distinct low p-values, how often each occurs, and whether a candidate of the bucket holds it.
HISTOGRAM_SCHEMA = pa.schema([("p", pa.float64()), ("n", pa.int64()), ("asked", pa.bool_())])
#: Low p-values per range of p (a pairs bucket's), or below each range (all of them).
RANGE_COUNT_SCHEMA = pa.schema([("n", pa.int64())])
#: Adjusted p-values: a range's answers to a pairs bucket, in the order it asked; or each range's carry.
ANSWER_SCHEMA = pa.schema([("q", pa.float64())])

# -- cooccurrence: the edges that pass, for the entity-level GraphML and HTML ---------------------------------
#: A candidate's columns with its adjusted p-value (``q``) before its papers.
EDGE_SCHEMA = pa.schema(
    [*(f for f in CANDIDATE_SCHEMA if f.name != "papers"), ("q", pa.float64()), ("papers", _STRINGS)]
)


def entity_table(nodes: Iterable[EntityNode], chunk: int) -> pa.Table:
    """Entity nodes as rows of :data:`ENTITY_SCHEMA` (``chunk``: where they were read, for merging in order)."""
    nodes = list(nodes)
    columns: dict[str, list[Any]] = {
        "key": [node.key for node in nodes],
        "chunk": [chunk] * len(nodes),
        "type": [node.type for node in nodes],
        "curie": [node.curie for node in nodes],
        "names": [list(node.names) for node in nodes],
        "name_counts": [list(node.names.values()) for node in nodes],
    }
    for name in LIST_FIELDS:  # a column at a time: a chunk holds tens of thousands of entities
        columns[name] = [list(values) for values in map(attrgetter(name), nodes)]
    return pa.table(columns, schema=ENTITY_SCHEMA)


def entity_node(row: dict[str, Any]) -> EntityNode:
    """The entity node of one :data:`ENTITY_SCHEMA` row (no papers: they are counted apart)."""
    node = EntityNode(key=row["key"], type=row["type"], curie=row["curie"])
    node.names = dict(zip(row["names"], row["name_counts"], strict=True))
    for name in LIST_FIELDS:
        setattr(node, name, dict.fromkeys(row[name]))
    return node


def entity_types(layout: Layout, buckets: range | None = None) -> pa.Table:
    """Every entity's (key, type, curie, label), from the ``entities`` stage (all buckets unless told).

    All buckets' come in key order (byte order, as Arrow compares strings), so that a position in them orders
    entities as their keys do: later stages hold entities as positions and sort them as integers.
    """
    whole = layout.whole("entities", "types")
    if buckets is None and whole.is_file():
        return read_table(whole)
    chosen = range(layout.buckets) if buckets is None else buckets
    table = read_tables([p for b in chosen if (p := layout.part("entities", "types", b)).is_file()], TYPE_SCHEMA)
    return table.sort_by("key") if buckets is None else table


def paper_counts(layout: Layout) -> pa.Table:
    """Every entity's paper count (key, papers), from the ``counts`` stage."""
    whole = layout.whole("counts", "papers")
    return read_table(whole) if whole.is_file() else read_tables(layout.parts("counts", "papers"), COUNT_SCHEMA)


def gather_vocabulary(layout: Layout, stage: str) -> None:
    """The entity types (after ``entities``) or paper counts (after ``counts``), every bucket's, as one file.

    Every task of the later stages reads the whole of them, and a file per bucket would make each task open as
    many files as there are buckets (a number that grows with the corpus). Both are in key order (see
    :func:`entity_types`). Written by the driver once the stage is done (again when a build resumes),
    atomically.
    """
    table, schema = {"entities": ("types", TYPE_SCHEMA), "counts": ("papers", COUNT_SCHEMA)}[stage]
    whole = read_tables(layout.parts(stage, table), schema)
    write_table(whole.sort_by("key").combine_chunks(), layout.whole(stage, table))
