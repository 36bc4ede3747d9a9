"""Stage 3, ``papers``: one bucket of papers, merged across chunks, to statements and the tables that follow.

Every record of a paper lands in the same bucket: by its key, or, for papers that
share an id across sources (a PMID in one, a PMCID in another), by the key of the
group the driver's identity pass put it in. The records are inserted in chunk
order into a graph of their own (:meth:`KnowledgeGraph.insert_node`, the rules of
the in-memory build), and each merged paper is written by the same statement
code (:func:`exograph.rdf.paper_text`). What later stages need is written out
bucketed: papers per entity by entity, entity pairs for co-occurrence by
pair, direct relation triples by triple, authors and journals as they are.
"""

from __future__ import annotations

import itertools
import json
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..cooccurrence import DEFAULT_PAIRS
from ..graph import KnowledgeGraph, LocalKeys, PaperNode
from ..models import Paper
from ..rdf import NodeIris, paper_end, paper_text, text_chunks
from ..rdf_columns import RelationColumns, paper_column_text, relation_column_text, text_blocks
from ..readers.pubtator3_bulk import bulk_paper
from ..tables import (
    bucket_of,
    bucket_order,
    column_residues,
    distinct_lists,
    fill_template,
    key_crcs,
    lists_at,
    positions_in,
    read_bucket,
    run_starts,
    sorted_codes,
    string_array,
    values_at,
    within_runs,
    write_bucketed,
    write_buckets,
    write_table,
)
from ..writers.shards import write_shard_blocks
from . import Layout, TaskReport
from .bulk import STAND_IN_PMID
from .read import RELATIONS, SPANS
from .schemas import (
    AGENT_SCHEMA,
    COUNT_SCHEMA,
    DIRECT_SCHEMA,
    LINK_SCHEMA,
    PAIR_COUNT_SCHEMA,
    PAIR_PAPER_SCHEMA,
    PAIR_SCHEMA,
    PAPER_SCHEMA,
    RELATION_FIELDS,
    entity_types,
)

__all__ = ["IDENTITY", "papers_task"]

#: The identity pass's answer: paper key -> the key of its group, for papers merged through a shared id.
IDENTITY = "identity.json"


def _records(layout: Layout, bucket: int) -> tuple[pa.Table, set[str]]:
    """The bucket's paper records in chunk order, moved in and out by the identity pass; and the keys the
    identity pass names (papers merged through a shared id)."""

    producers = layout.producers("read", "papers")
    table = read_bucket(producers, bucket, PAPER_SCHEMA)
    identity_file = layout.path(IDENTITY)
    moved: dict[str, str] = json.loads(identity_file.read_text()) if identity_file.is_file() else {}
    if moved:
        buckets = layout.buckets
        leaving = [
            k for k, rep in moved.items() if bucket_of(k, buckets) == bucket and bucket_of(rep, buckets) != bucket
        ]
        if leaving:
            table = table.filter(pc.invert(pc.is_in(table["key"], value_set=string_array(leaving))))
        arriving: dict[int, list[str]] = {}
        for key, rep in moved.items():
            home = bucket_of(key, buckets)
            if bucket_of(rep, buckets) == bucket and home != bucket:
                arriving.setdefault(home, []).append(key)

        pieces = [table]
        for home, keys in sorted(arriving.items()):
            other = read_bucket(producers, home, PAPER_SCHEMA)
            pieces.append(other.filter(pc.is_in(other["key"], value_set=string_array(keys))))
        table = pa.concat_tables(pieces)
    return table.sort_by([("chunk", "ascending"), ("pos", "ascending")]), {*moved, *moved.values()}


def papers_task(layout: Layout, bucket: int) -> TaskReport:
    """Merge the bucket's papers; write their statements and the link, pair, direct and agent tables.

    Papers whose every record is a plain PubTator3 bulk record (``bulk``; nearly all of a bulk build) are
    merged and written by columns (:class:`BulkPapers`, :func:`exograph.rdf_columns.paper_column_text`): the
    same statements, counts and tables as the rest, which go through the in-memory graph's own merging.
    """

    table, grouped = _records(layout, bucket)
    by_columns = _bulk_rows(table, grouped)
    others = table.filter(pc.invert(by_columns))
    bulk = BulkPapers.of(table.filter(by_columns))
    del table
    merged = KnowledgeGraph(spans=layout.spans, entity_links=False)
    for row in others.to_pylist():
        merged.insert_node(
            PaperNode(
                paper=Paper.model_validate_json(row["paper"]),
                about=tuple(row["about"]),
                mentions=dict(zip(row["mention_keys"], row["mention_counts"], strict=True)),
                mention_spans=SPANS.validate_json(row["spans"]) if row["spans"] else (),
                relations=RELATIONS.validate_json(row["relations"]) if row["relations"] else (),
                sources=tuple(row["sources"]),
            )
        )
    nodes = merged.sorted_papers()
    all_types = entity_types(layout)
    ends = string_array(
        sorted({key for node in nodes for r in node.relations for key in (r.subject, r.object)} | bulk.relation_ends())
    )
    end_types = values_at(ends, all_types["key"], all_types["type"]).to_pylist()
    types = {key: kind for key, kind in zip(ends.to_pylist(), end_types, strict=True) if kind is not None}

    report = TaskReport(papers=len(nodes) + len(bulk.keys))
    report.diagnostics = [d.model_dump() for d in merged.diagnostics.items]
    report.merges = dict(merged.merges + Counter(paper=bulk.merges))
    counts: Counter[str] = Counter()
    iris = NodeIris()
    author_key = LocalKeys("author")
    direct: dict[str, None] = {}
    links: dict[str, list[str]] = {"entity": [], "paper": []}
    agents: dict[str, list[str]] = {"kind": [], "key": [], "name": []}

    def texts() -> Any:
        for node in nodes:
            text, stated = paper_text(node, paper_end(node.key, graphs=layout.paper_graphs), iris, author_key, types)
            direct.update(dict.fromkeys(stated))
            linked = list(dict.fromkeys((*node.about, *node.mentions)))
            links["entity"].extend(linked)
            links["paper"].extend([node.key] * len(linked))
            for name in node.paper.authors:
                agents["kind"].append("Author")
                agents["key"].append(author_key[name])
                agents["name"].append(name)
            if node.journal_key and node.paper.journal:
                agents["kind"].append("Journal")
                agents["key"].append(node.journal_key)
                agents["name"].append(node.paper.journal)
            counts["about"] += len(node.about)
            counts["mentions"] += len(node.mentions)
            counts["authored_by"] += len(node.paper.authors)
            counts["published_in"] += node.journal_key is not None
            counts["without_entities"] += not node.about and not node.mentions
            counts.update(f"relation:{r.type}" for r in node.relations)
            yield text

    report.statements = write_shard_blocks(
        layout.shard("papers", bucket),
        itertools.chain(text_chunks(texts(), 1 << 20), bulk.blocks(types, direct, graphs=layout.paper_graphs)),
    )
    if len(bulk.keys):
        mentioned = len(bulk.mentions.flatten())
        counts.update(about=0, mentions=mentioned, authored_by=0, published_in=0)
        counts["without_entities"] += int(pc.sum(pc.equal(pc.list_value_length(bulk.mentions), 0)).as_py() or 0)
        for said in pc.value_counts(bulk.relations["type"]).to_pylist():  # in the order first read
            counts[f"relation:{said['values']}"] += said["counts"]
    report.counts = dict(counts)
    buckets = layout.buckets
    link_table = pa.concat_tables([pa.table(links, schema=LINK_SCHEMA), bulk.links()])
    # Each paper is in this bucket only, so the papers per entity are counted here and summed by ``counts``:
    # a row per entity rather than per (entity, paper), whose most mentioned entities grow with the corpus.
    linked = link_table.group_by("entity").aggregate([("paper", "count")]).rename_columns(["key", "papers"])
    write_buckets(linked.cast(COUNT_SCHEMA), "key", buckets, layout.bucketed("papers", "entity_papers", bucket))
    direct_table = pa.table({"triple": list(direct)}, schema=DIRECT_SCHEMA)
    write_buckets(direct_table, "triple", buckets, layout.bucketed("papers", "direct", bucket))
    write_table(pa.table(agents, schema=AGENT_SCHEMA), layout.part("papers", "agents", bucket))
    pairs = _pairs(link_table.combine_chunks(), all_types, layout.pairs or DEFAULT_PAIRS, layout.pair_buckets)
    rows = pairs.table
    if layout.edge_papers:
        # As one bucket of a bucketed table, which a pairs task reads back in fewer steps than a table file:
        # every pairs task reads the keys of every papers task that gave one of its candidates a paper.
        paper_keys = pa.table({"key": pairs.papers}, schema=PAIR_PAPER_SCHEMA)
        write_bucketed(paper_keys, np.zeros(len(paper_keys), dtype=np.int64), 1, layout.pair_papers(bucket))
    else:  # no edge lists its papers: the pairs stage only counts the rows
        rows = rows.select(PAIR_COUNT_SCHEMA.names)
    write_bucketed(rows, pairs.bucket, layout.pair_buckets, layout.bucketed("papers", "pairs", bucket))
    return report


def _bulk_rows(table: pa.Table, grouped: set[str]) -> pa.Array:
    """Which rows belong to papers whose every record is a plain bulk record, and whose key the identity pass
    does not name (those merge with papers of other keys, as the graph merges them)."""
    keys, code = sorted_codes(table["key"])
    mixed = np.zeros(len(keys), dtype=bool)
    mixed[code[~table["bulk"].to_numpy(zero_copy_only=False)]] = True
    if grouped:
        mixed |= pc.is_in(keys, value_set=string_array(sorted(grouped))).to_numpy(zero_copy_only=False)
    return pa.array(~mixed[code])


#: Bulk papers whose statements are made together.
_SLICE = 4096


@dataclass
class BulkPapers:
    """Papers made only of plain bulk records, merged by columns as the graph merges them: one paper per key
    (in key order, as :meth:`KnowledgeGraph.sorted_papers`), its files and mentioned entities the union of its
    records', its relations theirs in reading order."""

    keys: pa.Array
    sources: pa.ListArray
    mentions: pa.ListArray
    #: The papers' relations (:data:`RELATION_FIELDS`), paper by paper, each paper's in reading order.
    relations: pa.Table
    #: Each relation's paper (a position in ``keys``, ascending) and its number among that paper's (from 1).
    relation_paper: np.ndarray
    relation_number: np.ndarray
    #: Records merged into a paper read before them.
    merges: int

    @classmethod
    def of(cls, rows: pa.Table) -> BulkPapers:
        """The papers of bulk rows (in reading order)."""
        keys, code = sorted_codes(rows["key"])
        relations, row = relation_rows(rows["relations"])
        paper = code[row]
        order = np.argsort(paper, kind="stable")
        paper = paper[order]
        number = within_runs(np.diff(np.append(run_starts(paper), len(paper))))
        return cls(
            keys=keys,
            sources=distinct_lists(rows["sources"], code, len(keys)),
            mentions=distinct_lists(rows["mention_keys"], code, len(keys)),
            relations=relations.take(pa.array(order)),
            relation_paper=paper,
            relation_number=number + 1,
            merges=len(code) - len(keys),
        )

    def relation_ends(self) -> set[str]:
        """The node ids the relations name."""
        ends = pa.chunked_array([*self.relations["subject"].chunks, *self.relations["object"].chunks], pa.string())
        found: list[str] = pc.unique(ends).to_pylist()
        return set(found)

    def blocks(self, types: dict[str, str], direct: dict[str, None], *, graphs: bool = True) -> Iterator[bytes]:
        """The papers' statements, as UTF-8 blocks, made a slice of papers at a time (a bucket's text at once
        would hold several times its size in intermediate columns); the direct triples their relations state
        go to ``direct``; each paper's in its named graph, or with ``graphs`` false in the default graph."""
        model = bulk_paper(STAND_IN_PMID, "", 1)
        prefix, _, suffix = model.key.partition(STAND_IN_PMID)
        node = PaperNode(model, (), {}, (), (), ())
        end = paper_end(model.key, graphs=graphs)
        for start in range(0, len(self.keys), _SLICE):
            chosen = self.keys.slice(start, _SLICE)
            pmids = pc.utf8_slice_codeunits(chosen, len(prefix), -len(suffix) if suffix else sys.maxsize)
            low, high = np.searchsorted(self.relation_paper, [start, start + len(chosen)]).tolist()
            paper = self.relation_paper[low:high] - start
            said = self.relations.slice(low, high - low)
            at = pa.array(paper)
            columns = RelationColumns(
                paper=chosen.take(at),
                number=pa.array(self.relation_number[low:high]),
                **{name: said[name].combine_chunks() for name in RELATION_FIELDS.names},
            )
            ends = fill_template(end, {STAND_IN_PMID: pmids.take(at)}, len(paper)) if STAND_IN_PMID in end else end
            text, triples = relation_column_text(columns, types, ends)
            direct.update(dict.fromkeys(pc.unique(triples).to_pylist()))
            tails = pc.binary_join(lists_at(paper, text, len(chosen)), "")
            sources, mentions = self.sources.slice(start, _SLICE), self.mentions.slice(start, _SLICE)
            columns_text = paper_column_text(node, STAND_IN_PMID, pmids, sources, mentions, tails, graphs=graphs)
            yield from text_blocks(columns_text)

    def links(self) -> pa.Table:
        """(entity, paper) of every entity each paper mentions."""
        papers = self.keys.take(pc.list_parent_indices(self.mentions))
        return pa.table({"entity": self.mentions.flatten(), "paper": papers}, schema=LINK_SCHEMA)


def relation_rows(texts: pa.Array | pa.ChunkedArray) -> tuple[pa.Table, np.ndarray]:
    """The relations of rows' ``relations`` column (each a JSON list, as :data:`RELATIONS` writes it, or "" for
    none) as :data:`RELATION_FIELDS` columns, in row order, and the row of each.

    Parsed by Arrow's JSON reader, all rows at once; should it find anything but relations as exograph writes
    them (a missing or an unknown field), the rows go through :data:`RELATIONS` itself, which says what is wrong.
    """
    import pyarrow.json as pajson

    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks()
    given = np.flatnonzero(pc.not_equal(texts, "").to_numpy(zero_copy_only=False))
    if not len(given):
        return RELATION_FIELDS.empty_table(), np.zeros(0, dtype=np.int64)
    chosen = texts.take(pa.array(given))
    data = b"".join(text_blocks(pc.binary_join_element_wise('{"r":', chosen, "}\n", "")))
    listed = pa.schema([("r", pa.list_(pa.struct(list(RELATION_FIELDS))))])
    try:
        parsed = pajson.read_json(
            pa.py_buffer(data),
            pajson.ReadOptions(use_threads=False, block_size=len(data) + 1),
            pajson.ParseOptions(explicit_schema=listed, unexpected_field_behavior="error"),
        )["r"].combine_chunks()
        if len(parsed) != len(given) or parsed.null_count:
            raise ValueError("not one list per row")
        flat = parsed.flatten()
        fields = pa.Table.from_arrays([flat.field(name) for name in RELATION_FIELDS.names], schema=RELATION_FIELDS)
        if any(fields[name].null_count for name in ("type", "subject", "object")):
            raise ValueError("a relation without a type or an end")
        row = given[pc.list_parent_indices(parsed).to_numpy()]
    except (pa.ArrowInvalid, ValueError):
        found = [
            (int(r), rel)
            for r, text in zip(given, chosen.to_pylist(), strict=True)
            for rel in RELATIONS.validate_json(text)
        ]
        fields = pa.Table.from_pylist([rel.model_dump() for _, rel in found], schema=RELATION_FIELDS)
        row = np.array([r for r, _ in found], dtype=np.int64)
    return fields, row


def _pairs(links: pa.Table, types: pa.Table, wanted: tuple[tuple[str, str], ...], buckets: int) -> PairRows:
    """Every (source, target, paper) of the configured type pairs that share a paper, and each row's bucket
    (by both entities), the rows in bucket order; entities as positions in ``types``, papers as positions in
    the keys of the papers of ``links`` (in key order), which come with the rows.

    Sources and targets are oriented as the in-memory statistics orient them: the
    first type of the pair is the source; for a pair of one type, the smaller key.
    A paper gives pairs by the product of its entity counts, so this makes the
    largest table of the plan: it is built on integer codes (each entity key,
    typed and hashed once) and turned into strings once, already in bucket order.
    """

    if not len(links):
        return PairRows(PAIR_SCHEMA.empty_table(), np.zeros(0, dtype=np.int64), pa.array([], pa.string()))
    names, code = sorted_codes(links["entity"])  # codes in the keys' byte order, as Arrow compares strings
    paper_keys, paper = sorted_codes(links["paper"])
    position = positions_in(names, types["key"])  # -1: an entity without a type, in no pair
    type_of = types["type"].take(pa.array(position, mask=position < 0)).combine_chunks()
    count = len(paper_keys)
    sources, targets, shared = [], [], []
    for ta, tb in dict.fromkeys(tuple(p) for p in wanted):
        left = _rows_of(type_of, ta, code)
        right = left if tb == ta else _rows_of(type_of, tb, code)
        a, b, p = _per_paper_product(left, right, paper, count)
        a, b = code[a], code[b]
        if ta == tb:
            keep = a < b
            a, b, p = a[keep], b[keep], p[keep]
        sources.append(a)
        targets.append(b)
        shared.append(p)
    a, b, p = np.concatenate(sources), np.concatenate(targets), np.concatenate(shared)
    # Each row's bucket as mix_buckets gives it for the two keys, from each key's two shares computed once.
    crcs = key_crcs(names.to_pylist())
    first, second = (column_residues(crcs, column, buckets).astype(np.int32) for column in (0, 1))
    bucket = first[a] + second[b]
    bucket -= np.int32(buckets) * (bucket >= buckets)
    order = bucket_order(bucket, buckets)
    vocabulary = position.astype(np.int32)
    table = pa.table({"a": vocabulary[a[order]], "b": vocabulary[b[order]], "paper": p[order].astype(np.int32)})
    return PairRows(table.cast(PAIR_SCHEMA), bucket[order], paper_keys)


class PairRows(NamedTuple):
    """Pair rows in bucket order, the bucket of each, and the keys their ``paper`` column points to."""

    table: pa.Table
    bucket: np.ndarray
    papers: pa.Array


def _rows_of(type_of: pa.Array, wanted: str, code: np.ndarray) -> np.ndarray:
    """Positions of the link rows whose entity is of type ``wanted``."""
    chosen = pc.fill_null(pc.equal(type_of, wanted), False).to_numpy(zero_copy_only=False)
    rows: np.ndarray = np.flatnonzero(chosen[code])
    return rows


def _per_paper_product(
    left: np.ndarray, right: np.ndarray, paper: np.ndarray, papers: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For link rows ``left`` and ``right`` (positions), every (left row, right row) of one paper, and the
    paper: the join on the paper, done by arithmetic on each paper's run of rows once sorted by paper.

    The rows come paper by paper, each left row with every right row of its paper in turn; they are made by
    repeating runs (each left row as often as its paper has right rows), not by dividing a running index,
    as this is the plan's largest table.
    """
    left = left[np.argsort(paper[left], kind="stable")]
    right = right[np.argsort(paper[right], kind="stable")]
    in_right = np.bincount(paper[right], minlength=papers)
    right_start = np.cumsum(in_right) - in_right
    of_left = paper[left]
    repeats = in_right[of_left]
    a = np.repeat(left, repeats)
    of = np.repeat(of_left, repeats)
    # Right row of output row i: its left row's paper's run start, plus i less where that left row's block starts.
    shift = right_start[of_left] - (np.cumsum(repeats) - repeats)
    b = right[np.repeat(shift, repeats) + np.arange(len(a))]
    return a, b, of
