"""Stages 2 and 4, ``entities`` and ``counts``: one bucket of entity keys.

``entities`` folds each entity's partial records in chunk order, as
:meth:`KnowledgeGraph.absorb` does (the first type wins, names are counted, the
rest kept in order), writes its statements but for the paper count, and a table
of every entity's type that the ``papers`` stage joins with. ``counts`` counts
the papers linking each entity once papers are merged, and writes
``exo:paperCount`` and the table the co-occurrence test reads.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..rdf import NodeIris, paper_count_text
from ..rdf_columns import entity_column_text, text_blocks
from ..tables import (
    distinct_lists,
    distinct_sorted,
    lists_at,
    read_bucket,
    run_starts,
    sorted_codes,
    union_in_order,
    write_table,
)
from ..writers.shards import write_shard, write_shard_blocks
from . import Layout, TaskReport
from .schemas import COUNT_SCHEMA, ENTITY_SCHEMA, LIST_FIELDS, TYPE_SCHEMA, entity_types

__all__ = ["counts_task", "entities_task"]


def entities_task(layout: Layout, bucket: int) -> TaskReport:
    """Merge the bucket's entities; write their statements (``exo:paperCount`` comes later) and their types.

    The partial records are folded by columns (:class:`MergedEntities`) and the statements made by columns
    (:func:`exograph.rdf_columns.entity_column_text`): what folding them into :class:`EntityNode` in chunk
    order and :func:`exograph.rdf.entity_text` give, tested against them.
    """

    table = read_bucket(layout.producers("read", "entities"), bucket, ENTITY_SCHEMA)
    merged = MergedEntities.of(table.sort_by([("chunk", "ascending")]))  # stable: a chunk's own order is kept
    del table
    report = TaskReport()
    for chunk, key, kept, found in merged.conflicts:
        label = layout.labels[chunk] if chunk < len(layout.labels) else None
        report.diagnostics.append(
            {
                "kind": "type-conflict",
                "message": f"{key} is a {kept} elsewhere but a {found} here; kept as {kept}",
                "path": label,
                "line": None,
            }
        )
    report.statements = write_shard_blocks(layout.shard("entities", bucket), merged.blocks())
    types = {"key": merged.keys, "type": merged.types, "curie": merged.curies, "label": merged.labels}
    write_table(pa.table(types, schema=TYPE_SCHEMA), layout.part("entities", "types", bucket))
    # The merged nodes, for the entity-level GraphML and HTML (:mod:`exograph.stages.view`).
    write_table(merged.nodes(), layout.part("entities", "nodes", bucket))
    report.counts["entities"] = len(merged.keys)
    report.counts["several_names"] = merged.several_names
    return report


#: Entities whose statements are made together.
_SLICE = 8192


@dataclass
class MergedEntities:
    """A bucket's entity records folded by key, as :meth:`EntityNode.merge` folds them in the rows' order: the
    first type and CURIE kept, names counted (first used first), every other list the values in the order
    first given; one entity per key, in key order."""

    keys: pa.Array
    types: pa.Array
    curies: pa.Array
    #: Each entity's names, in the order first used, and how often each was used.
    names: pa.ListArray
    name_counts: pa.ListArray
    #: The most used name, ties to the first in sorted order (:attr:`EntityNode.label`).
    labels: pa.Array
    #: Aliases, symbols, ... (:data:`LIST_FIELDS`), each in the order first given.
    lists: dict[str, pa.ListArray]
    #: What the statements list: every value of :data:`exograph.rdf_columns.LISTED`, in stated order.
    stated: dict[str, pa.ListArray]
    several_names: int
    #: Rows of another type than their entity's first: (chunk, key, kept type, row's type), in row order.
    conflicts: list[tuple[int, str, str, str]]

    @classmethod
    def of(cls, rows: pa.Table) -> MergedEntities:
        """Fold entity rows (in chunk order)."""
        row_types = rows["type"].combine_chunks()
        keys, code = sorted_codes(rows["key"])
        count = len(keys)
        _, first = np.unique(code, return_index=True)
        types, curies = row_types.take(pa.array(first)), rows["curie"].combine_chunks().take(pa.array(first))
        differ = pc.not_equal(row_types, types.take(pa.array(code)))
        kept = types.take(pa.array(code[np.flatnonzero(differ.to_numpy(zero_copy_only=False))])).to_pylist()
        found = rows.select(["chunk", "key", "type"]).filter(differ).to_pylist()
        conflicts = [
            (row["chunk"], row["key"], first_type, row["type"]) for row, first_type in zip(found, kept, strict=True)
        ]
        names = _Names.of(rows, code, count)
        lists = {field: union_in_order(rows[field], code, count) for field in LIST_FIELDS}
        stated = {field: distinct_lists(rows[field], code, count) for field in LIST_FIELDS if field != "xrefs"}
        stated |= {"xrefs": lists["xrefs"], "names": names.sorted(), "alt_labels": names.others(stated["aliases"])}
        in_use, counts = names.in_use()
        return cls(
            keys=keys,
            types=types,
            curies=curies,
            names=in_use,
            name_counts=counts,
            labels=names.labels(),
            lists=lists,
            stated=stated,
            several_names=int(np.count_nonzero(np.bincount(names.owner, minlength=count) > 1)),
            conflicts=conflicts,
        )

    def blocks(self) -> Iterator[bytes]:
        """The entities' statements (without the paper count), as UTF-8 blocks, a slice of entities at a time."""
        for start in range(0, len(self.keys), _SLICE):
            lists = {name: values.slice(start, _SLICE) for name, values in self.stated.items()}
            keys, types = self.keys.slice(start, _SLICE), self.types.slice(start, _SLICE)
            curies, labels = self.curies.slice(start, _SLICE), self.labels.slice(start, _SLICE)
            yield from text_blocks(entity_column_text(keys, types, curies, labels, lists))

    def nodes(self) -> pa.Table:
        """The merged entities as rows of :data:`ENTITY_SCHEMA` (what :func:`entity_table` makes of the nodes)."""
        columns = {"key": self.keys, "chunk": pa.array(np.zeros(len(self.keys), dtype=np.int32))}
        columns |= {"type": self.types, "curie": self.curies, "names": self.names, "name_counts": self.name_counts}
        return pa.table([columns.get(f.name, self.lists.get(f.name)) for f in ENTITY_SCHEMA], schema=ENTITY_SCHEMA)


@dataclass
class _Names:
    """Each entity's distinct names (in entity, then name order) with how often they were used and where first,
    and which of them is its label."""

    values: pa.Array
    owner: np.ndarray
    name: np.ndarray
    totals: np.ndarray
    first_use: np.ndarray
    entities: int
    #: Each entity's label, as a position among the distinct names: the most used, ties to the first sorted.
    best: np.ndarray

    @classmethod
    def of(cls, rows: pa.Table, code: np.ndarray, entities: int) -> _Names:
        lists = rows["names"].combine_chunks()
        owner = code[pc.list_parent_indices(lists).to_numpy()].astype(np.int64)
        values, name = sorted_codes(lists.flatten())
        used = rows["name_counts"].combine_chunks().flatten().to_numpy()
        width = max(len(values), 1)
        pair = owner * width + name
        order = np.argsort(pair, kind="stable")
        starts = run_starts(pair[order])
        distinct = pair[order][starts]
        totals = np.add.reduceat(used[order], starts) if len(starts) else used[:0]
        of, named = distinct // width, distinct % width
        best = np.lexsort((named, -totals, of))
        return cls(values, of, named, totals, order[starts], entities, best[run_starts(of[best])])

    def sorted(self) -> pa.ListArray:
        """Each entity's names, sorted."""
        return lists_at(self.owner, self.values.take(pa.array(self.name)), self.entities)

    def in_use(self) -> tuple[pa.ListArray, pa.ListArray]:
        """Each entity's names in the order first used, and how often each was used."""
        order = np.lexsort((self.first_use, self.owner))
        owner = self.owner[order]
        names = lists_at(owner, self.values.take(pa.array(self.name[order])), self.entities)
        return names, lists_at(owner, pa.array(self.totals[order], pa.int64()), self.entities)

    def labels(self) -> pa.Array:
        """Each entity's label (:attr:`EntityNode.label`)."""
        return self.values.take(pa.array(self.name[self.best]))

    def others(self, aliases: pa.ListArray) -> pa.ListArray:
        """Each entity's names and aliases (``aliases``: each entity's) but its label, sorted
        (:attr:`EntityNode.alt_labels`)."""
        alias_of = pc.list_parent_indices(aliases).to_numpy().astype(np.int64)
        every = pa.concat_arrays([self.values.take(pa.array(self.name)), aliases.flatten()])
        values, every_code = sorted_codes(every)
        label = np.zeros(self.entities, dtype=np.int64)
        label[self.owner[self.best]] = every_code[self.best]
        width = max(len(values), 1)
        pairs = distinct_sorted(np.concatenate([self.owner, alias_of]) * width + every_code)
        pairs = pairs[pairs % width != label[pairs // width]]
        return lists_at(pairs // width, values.take(pa.array(pairs % width)), self.entities)


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
