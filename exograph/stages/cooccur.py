"""Stages 5, 7 and 8: co-occurrence out of core, around the exact Benjamini-Hochberg of :mod:`.adjust`.

``pairs`` (per pair bucket) counts the papers each entity pair shares, tests it
with the in-memory build's own one-sided Fisher test (:mod:`exograph.cooccurrence`),
and keeps the candidates (enough papers, p low enough) and a histogram of the low
p-values, which is all Benjamini-Hochberg needs and far smaller than the pairs.
``cooccurrence`` (per pair bucket) takes its candidates' adjusted p-values from the
``adjust`` stage and writes the statements of the pairs that pass; ``direct``
writes each relation triple once, whichever papers stated it.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..bucketfile import BucketFileError
from ..cooccurrence import _fisher_greater
from ..rdf_columns import cooccurrence_column_text, text_blocks
from ..tables import read_bucket, read_bucket_by_file, read_table, run_starts, sorted_codes, within_runs, write_table
from ..writers.shards import write_shard, write_shard_blocks
from . import Layout, TaskReport
from .adjust import adjusted_values, write_histogram
from .schemas import (
    CANDIDATE_SCHEMA,
    DIRECT_SCHEMA,
    EDGE_SCHEMA,
    PAIR_COUNT_SCHEMA,
    PAIR_PAPER_SCHEMA,
    PAIR_SCHEMA,
    entity_types,
    paper_counts,
)

__all__ = ["cooccurrence_task", "direct_task", "pairs_task"]


def pairs_task(layout: Layout, bucket: int) -> TaskReport:
    """Shared papers and Fisher's p for every pair of the bucket; candidates and the low p-values' histogram.

    The bucket's pair rows are the plan's largest table, so they are grouped on integer codes that follow
    the keys' order: sorting the codes groups each pair's rows and puts the pairs in (source, target) order,
    and a candidate's papers are a run of the sorted rows.
    """

    producers = layout.producers("papers", "pairs")
    pairs, from_producer = read_bucket_by_file(
        producers, bucket, PAIR_SCHEMA if layout.edge_papers else PAIR_COUNT_SCHEMA
    )
    vocabulary = entity_types(layout)["key"]
    sources, a_code, source_at = _keys_and_codes(pairs["a"], vocabulary)
    targets, b_code, target_at = _keys_and_codes(pairs["b"], vocabulary)
    pair = a_code * max(len(targets), 1) + b_code
    rows, pair_of_row = _grouped(pair)
    first = run_starts(pair_of_row)
    shared = np.diff(np.append(first, len(rows)))
    source, target = a_code[rows[first]], b_code[rows[first]]
    # The counts stage counts every entity of the vocabulary, and both are in key order: an entity's count is
    # at its position, which the pair rows hold.
    counts = paper_counts(layout)
    if not counts["key"].equals(vocabulary):
        raise BucketFileError(layout.whole("counts", "papers"), "does not count the entity vocabulary's entities")
    of_entity = counts["papers"].to_numpy()
    source_papers, target_papers = of_entity[source_at], of_entity[target_at]
    a = shared.astype(np.int64)
    n_a, n_b = source_papers[source], target_papers[target]
    total, max_p = layout.total, layout.max_p
    p = _fisher_greater(a, n_a, n_b, total, skip_below_mean=max_p < 0.5, above=max_p)
    low = p <= max_p
    keep = np.flatnonzero(low & (a >= layout.min_papers))
    values, occurrences = np.unique(p[low], return_counts=True)
    asked = np.zeros(len(values), dtype=bool)
    asked[np.searchsorted(values, p[keep])] = True
    write_histogram(layout, bucket, values, occurrences, asked)
    sizes = a[keep]
    if layout.edge_papers:
        offsets = np.concatenate(([0], np.cumsum(sizes)))
        members = rows[np.repeat(first[keep], sizes) + within_runs(sizes)]
        owner = np.repeat(np.arange(len(keep)), sizes)
        papers, owner = _paper_keys(layout, producers, from_producer, pairs["paper"], members, owner)
        # Each candidate's papers sorted (byte order, as Python sorts the keys), so the statements list them sorted.
        distinct, code = sorted_codes(papers)
        papers = papers.take(pa.array(_grouped(owner * max(len(distinct), 1) + code)[0]))
    else:  # the compact profile: the counts only
        offsets, papers = np.zeros(len(keep) + 1, dtype=np.int64), pa.array([], pa.string())
    chosen = pa.table(
        {
            "a": sources.take(pa.array(source[keep])),
            "b": targets.take(pa.array(target[keep])),
            "n": sizes,
            "na": n_a[keep],
            "nb": n_b[keep],
            "p": p[keep],
            "papers": pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), papers),
        }
    )
    write_table(chosen.cast(CANDIDATE_SCHEMA), layout.part("pairs", "candidates", bucket))
    report = TaskReport(tested=len(a))
    report.counts["candidates"] = len(keep)
    return report


def _paper_keys(
    layout: Layout,
    producers: list[Path],
    from_producer: np.ndarray,
    paper: pa.ChunkedArray,
    rows: np.ndarray,
    owner: np.ndarray,
) -> tuple[pa.Array, np.ndarray]:
    """The keys of the papers of some pair rows (``rows``: their positions; ``paper``: the rows' column;
    ``from_producer``: how many rows each producer gave), with each one's ``owner`` reordered alike.

    A pair row's paper is a position in the papers of the task that wrote it, whose keys are in its
    :meth:`Layout.pair_papers` file.
    """
    producer = np.repeat(np.arange(len(producers)), from_producer)[rows]
    order = np.argsort(producer, kind="stable")
    producer, index = producer[order], paper.to_numpy()[rows[order]]
    pieces: list[pa.Array] = []
    for start, end in itertools.pairwise(np.append(run_starts(producer), len(producer)).tolist()):
        path = layout.pair_papers(layout.producer_of(producers[int(producer[start])]))
        keys = read_bucket([path], 0, PAIR_PAPER_SCHEMA)["key"]
        pieces.append(keys.take(pa.array(index[start:end])).combine_chunks())
    return (pa.concat_arrays(pieces) if pieces else pa.array([], pa.string())), owner[order]


def _grouped(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The rows' positions ordered by value (values not negative), and the values in that order.

    Values of up to 48 bits (a bucket's pairs, a candidate's papers) are sorted a 16-bit digit at a time, least
    significant first: NumPy sorts 16-bit integers stably by radix, in linear time, so each pass keeps the order
    of the last and the rows of one value stay in row order. Wider values fall back to one sort of the value
    and the row packed into an unsigned 64-bit integer where the two fit, else to an arg-sort.
    """
    rows = len(values)
    value_bits = int(values.max()).bit_length() if rows else 0
    if value_bits <= 48:
        order: np.ndarray = np.arange(rows)
        for shift in range(0, max(value_bits, 1), 16):
            digit = ((values[order] >> shift) & 0xFFFF).astype(np.uint16)
            order = order[np.argsort(digit, kind="stable")]
        return order, values[order]
    row_bits = max(rows - 1, 1).bit_length()
    if value_bits + row_bits > 64:
        order = np.argsort(values)
        return order, values[order]
    packed = (values.astype(np.uint64) << np.uint64(row_bits)) | np.arange(rows, dtype=np.uint64)
    packed.sort()
    ordered = (packed >> np.uint64(row_bits)).astype(np.int64)
    return (packed & np.uint64((1 << row_bits) - 1)).astype(np.int64), ordered


def _keys_and_codes(positions: pa.ChunkedArray, vocabulary: pa.ChunkedArray) -> tuple[pa.Array, np.ndarray, np.ndarray]:
    """The distinct entities of a column of vocabulary positions, as keys in byte order, each row's index
    into them (as :func:`exograph.tables.sorted_codes` gives for a column of keys), and their positions.

    The vocabulary is in key order (:func:`entity_types`), so ranking the positions ranks the keys.
    """
    rows = positions.to_numpy()
    present = np.zeros(len(vocabulary), dtype=bool)  # by marking, not sorting: the rows outnumber the entities
    present[rows] = True
    index = np.cumsum(present) - 1
    at = np.flatnonzero(present)
    keys = vocabulary.take(pa.array(at))
    return keys.combine_chunks() if isinstance(keys, pa.ChunkedArray) else keys, index[rows], at


def cooccurrence_task(layout: Layout, bucket: int) -> TaskReport:
    """The co-occurrence statements of the bucket's pairs that pass after adjustment.

    The candidates come in (source, target) order with their papers sorted (:func:`pairs_task`), the order
    the statements are written in, so they are made by columns (:mod:`exograph.rdf_columns`).
    """
    candidates = read_table(layout.part("pairs", "candidates", bucket))
    p = candidates["p"].to_numpy()
    asked = np.unique(p)  # the values the pairs task asked the adjust stage for
    q = adjusted_values(layout, bucket, asked)[np.searchsorted(asked, p)]
    index = pa.array(np.flatnonzero(q <= layout.max_p))
    passed = candidates.take(index)
    sources, targets, papers = (passed[name].combine_chunks() for name in ("a", "b", "papers"))
    stats = {"a": passed["n"].to_numpy(), "na": passed["na"].to_numpy(), "nb": passed["nb"].to_numpy()}
    stats |= {"p": passed["p"].to_numpy(), "p_adjusted": q[index.to_numpy()]}
    # The edges also as a table, for the entity-level GraphML and HTML (:mod:`exograph.stages.view`).
    kept = {"a": sources, "b": targets, "n": stats["a"], "na": stats["na"], "nb": stats["nb"]}
    kept |= {"p": stats["p"], "q": stats["p_adjusted"], "papers": papers}
    write_table(pa.table(kept).cast(EDGE_SCHEMA), layout.part("cooccurrence", "edges", bucket))
    text = cooccurrence_column_text(sources, targets, stats, layout.total, papers)
    report = TaskReport()
    report.statements = write_shard_blocks(layout.shard("cooccurrence", bucket), text_blocks(text))
    report.counts["co_occurs_with"] = len(sources)
    return report


def direct_task(layout: Layout, bucket: int) -> TaskReport:
    """Relation triples of the bucket, each once (sorted)."""

    triples = read_bucket(layout.producers("papers", "direct"), bucket, DIRECT_SCHEMA)["triple"]
    distinct = sorted(pc.unique(triples).to_pylist()) if len(triples) else []
    report = TaskReport()
    report.statements = write_shard(layout.shard("direct", bucket), (f"{t} .\n" for t in distinct))
    return report
