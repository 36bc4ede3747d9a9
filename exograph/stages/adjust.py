"""Stage 6, ``adjust``: exact Benjamini-Hochberg over every tested pair, in ranges of p that no task holds whole.

Benjamini-Hochberg's adjusted value of a p-value p is min over p' >= p of p' m / R(p'), with m the number of
pairs tested and R(p') how many tested p-values lie at or below p'. It needs only the low p-values' histogram,
but that histogram still grows with the corpus (its distinct values outnumber the co-occurrence edges), so
neither the driver nor any one task reads it whole:

1. each ``pairs`` task cuts its histogram by range of p (:func:`p_boundaries`, fixed before the stage, the same
   in every process) and marks the values its candidates hold (``asked``); it also counts its low p-values per
   range (:func:`write_histogram`);
2. the driver sums those counts: R(p') is the count of the ranges below p' plus a count within its own range
   (:func:`gather_rank_offsets`);
3. an ``adjust`` task per range merges the range's histograms, computes p' m / R(p') and its running minimum
   from the top of the range down, and answers each pairs bucket with the values it asked for, in its order
   (:func:`adjust_task`); it reports the range's smallest value;
4. the driver takes, for each range, the smallest value of every range above it (:func:`gather_carry`): the
   minimum over p' >= p that the ranges above contribute;
5. a ``cooccurrence`` task reads its answers from every range and lowers each by its range's carry
   (:func:`adjusted_values`).

The arithmetic is the in-memory build's (``p * m / rank``, then minima, then at most 1), so the values are equal to
the last bit; ranges only change which process takes which minimum.
"""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa

from ..bucketfile import BucketFileError
from ..tables import read_bucket, read_bucket_by_file, read_table, run_starts, write_bucketed, write_table
from . import Layout, TaskReport
from .schemas import ANSWER_SCHEMA, HISTOGRAM_SCHEMA, RANGE_COUNT_SCHEMA

__all__ = [
    "adjust_task",
    "adjusted_values",
    "gather_carry",
    "gather_rank_offsets",
    "p_boundaries",
    "p_ranges",
    "range_of",
    "write_histogram",
]

#: The smallest positive double's binary exponent, and the one below which ranges are cut by binary exponent.
_SUBNORMAL_EXPONENT = -1074
_LOG_BELOW_EXPONENT = -24
#: Ranges given to p-values below 2**-24 (cut by exponent), as a share of all: they are few but spread over a
#: thousand binary orders of magnitude; the rest are cut evenly in the square root of p, as the distinct low
#: p-values of a corpus thin out towards the threshold.
_LOG_SHARE = 8


def p_boundaries(ranges: int, max_p: float) -> np.ndarray:
    """The ascending, distinct boundaries that cut [0, ``max_p``] into at most ``ranges`` ranges of p: range ``i``
    holds the p with ``boundaries[i - 1] <= p < boundaries[i]``.

    Made only of powers of two and of correctly rounded products and quotients, so every process of a cluster
    computes the same boundaries, whatever its NumPy build; a value's range is found by comparison with them
    (:func:`range_of`), so ranges follow the order of p exactly.
    """
    if ranges <= 1:
        return np.zeros(0, dtype=np.float64)
    below = max(1, ranges // _LOG_SHARE)
    above = max(1, ranges - below)
    span = _LOG_BELOW_EXPONENT - _SUBNORMAL_EXPONENT
    floor = math.ldexp(1.0, _LOG_BELOW_EXPONENT)  # the last of the powers of two
    low = [math.ldexp(1.0, _SUBNORMAL_EXPONENT + (k * span) // below) for k in range(1, below + 1)]
    high = [cut for j in range(1, above) if (cut := max_p * ((j * j) / (above * above))) > floor]
    chosen = np.unique(np.array([*low, *high], dtype=np.float64))
    return chosen[chosen < max_p]


def range_of(p: np.ndarray, boundaries: np.ndarray) -> np.ndarray:
    """Each p-value's range (an index into ``len(boundaries) + 1`` ranges)."""
    found: np.ndarray = np.searchsorted(boundaries, p, side="right")
    return found


def p_ranges(layout: Layout) -> int:
    """How many ranges of p (``adjust`` tasks) a plan has."""
    return len(_boundaries(layout)) + 1


def _boundaries(layout: Layout) -> np.ndarray:
    """A plan's boundaries: a range per paper bucket, so that a range's share of the corpus-wide histogram stays
    about the same as the corpus grows."""
    return p_boundaries(layout.buckets, layout.max_p)


def write_histogram(layout: Layout, bucket: int, values: np.ndarray, counts: np.ndarray, asked: np.ndarray) -> None:
    """A pairs bucket's low p-values (distinct, ascending), how often each occurs, and which of them its candidates
    hold (answered by the ``adjust`` stage), cut by range of p; and its count of low p-values per range."""
    boundaries = _boundaries(layout)
    ranges = len(boundaries) + 1
    where = range_of(values, boundaries)
    table = pa.table({"p": values, "n": counts.astype(np.int64), "asked": asked}, schema=HISTOGRAM_SCHEMA)
    write_bucketed(table, where, ranges, layout.bucketed("pairs", "histogram", bucket))
    per_range = np.bincount(where, weights=counts, minlength=ranges) if len(values) else np.zeros(ranges)
    write_table(
        pa.table({"n": per_range.astype(np.int64)}, schema=RANGE_COUNT_SCHEMA), layout.part("pairs", "ranges", bucket)
    )


def gather_rank_offsets(layout: Layout) -> None:
    """How many low p-values lie below each range (the pairs buckets' counts summed, one file at a time)."""
    ranges = p_ranges(layout)
    total = np.zeros(ranges, dtype=np.int64)
    for path in layout.parts("pairs", "ranges"):
        counts = read_table(path)["n"].to_numpy()
        if len(counts) != ranges:
            raise BucketFileError(path, f"counts {len(counts)} ranges of p, not {ranges}")
        total += counts
    offsets = np.cumsum(total) - total
    write_table(pa.table({"n": offsets}, schema=RANGE_COUNT_SCHEMA), layout.whole("adjust", "offsets"))


def adjust_task(layout: Layout, index: int) -> TaskReport:
    """The adjusted values, before the ranges above lower them, of range ``index``'s asked-for p-values; each pairs
    bucket's answers go to it in the order it asked (ascending p). Reports the range's smallest value."""
    producers = layout.producers("pairs", "histogram")
    rows, from_producer = read_bucket_by_file(producers, index, HISTOGRAM_SCHEMA)
    offset = int(read_table(layout.whole("adjust", "offsets"))["n"][index].as_py())
    p, n = rows["p"].to_numpy(), rows["n"].to_numpy()
    order = np.argsort(p, kind="stable")
    ordered = p[order]
    starts = run_starts(ordered)
    values = ordered[starts]
    counts = np.add.reduceat(n[order], starts) if len(starts) else np.zeros(0, dtype=np.int64)
    ranks = offset + np.cumsum(counts)
    scaled = values * layout.tested / ranks
    local = np.minimum.accumulate(scaled[::-1])[::-1]
    asked = np.flatnonzero(rows["asked"].to_numpy(zero_copy_only=False))
    producer = np.repeat([layout.producer_of(path) for path in producers], from_producer).astype(np.int64)
    answers = pa.table({"q": local[np.searchsorted(values, p[asked])]}, schema=ANSWER_SCHEMA)
    write_bucketed(answers, producer[asked], layout.pair_buckets, layout.bucketed("adjust", "answers", index))
    report = TaskReport(lowest=float(local[0]) if len(local) else None)
    report.counts["p_values"] = len(values)
    return report


def gather_carry(layout: Layout, reports: list[TaskReport]) -> None:
    """For each range, the smallest adjusted value of the ranges above it (infinity for the top one)."""
    lowest = np.array([math.inf if r.lowest is None else r.lowest for r in reports], dtype=np.float64)
    above = np.append(np.minimum.accumulate(lowest[::-1])[::-1][1:], math.inf) if len(lowest) else lowest
    write_table(pa.table({"q": above}, schema=ANSWER_SCHEMA), layout.whole("adjust", "carry"))


def adjusted_values(layout: Layout, bucket: int, asked: np.ndarray) -> np.ndarray:
    """The adjusted p-values of the distinct p-values ``asked`` (ascending) that pairs bucket ``bucket`` asked for."""
    answers = read_bucket(layout.producers("adjust", "answers"), bucket, ANSWER_SCHEMA)["q"].to_numpy()
    if len(answers) != len(asked):
        raise BucketFileError(
            layout.path("adjust", "answers"), f"answers {len(answers)} p-values of bucket {bucket}, not {len(asked)}"
        )
    carry = read_table(layout.whole("adjust", "carry"))["q"].to_numpy()
    adjusted: np.ndarray = np.minimum(np.minimum(answers, carry[range_of(asked, _boundaries(layout))]), 1.0)
    return adjusted
