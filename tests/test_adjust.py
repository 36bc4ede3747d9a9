"""Exact Benjamini-Hochberg from the pairs buckets' histograms, cut by range of p (:mod:`exograph.stages.adjust`)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exograph.bucketfile import BucketFileError
from exograph.cooccurrence import benjamini_hochberg
from exograph.stages import Layout
from exograph.stages.adjust import (
    adjust_task,
    adjusted_values,
    gather_carry,
    gather_rank_offsets,
    p_boundaries,
    p_ranges,
    range_of,
    write_histogram,
)

#: p-values as a corpus gives them: ties, zero (an underflow), subnormals, values at and above the threshold.
_P = st.one_of(
    st.sampled_from([0.0, 5e-324, 1e-300, 2.0**-24, 1e-12, 0.001, 0.01, 0.0100000001, 0.05, 0.0500001, 0.7, 1.0]),
    st.floats(0.0, 1.0),
    st.floats(0.0, 0.05),
)


def _adjust(layout: Layout, parts: list[np.ndarray], asked: list[np.ndarray]) -> list[np.ndarray]:
    """The whole protocol, as the plan runs it: each bucket's histogram, the offsets, every range, the carry,
    then each bucket's answers for the values it asked for."""
    tested = sum(len(part) for part in parts)
    layout = Layout(root=layout.root, buckets=layout.buckets, max_p=layout.max_p, tested=tested)
    for bucket, part in enumerate(parts):
        values, counts = np.unique(part[part <= layout.max_p], return_counts=True)
        write_histogram(layout, bucket, values, counts, np.isin(values, asked[bucket]))
    gather_rank_offsets(layout)
    gather_carry(layout, [adjust_task(layout, index) for index in range(p_ranges(layout))])
    return [adjusted_values(layout, bucket, asked[bucket]) for bucket in range(len(parts))]


@settings(max_examples=100, deadline=None)
@given(
    p=st.lists(_P, min_size=0, max_size=300),
    buckets=st.integers(1, 5),
    ranges=st.integers(1, 40),
    max_p=st.sampled_from([0.05, 0.01, 1.0, 1e-30]),
    data=st.data(),
)
def test_every_asked_value_is_benjamini_hochberg_over_all_tested(
    p: list[float], buckets: int, ranges: int, max_p: float, data: st.DataObject
) -> None:
    """Whatever the ranges, the buckets and which low values are asked for: the in-memory build's values, to the
    bit, wherever either is at or below the threshold (only the low p-values are known, so above it an adjusted
    value is only known to be above it too, and its pair is dropped either way)."""
    tested = np.array(p, dtype=np.float64)
    buckets = min(buckets, Layout(root="", buckets=ranges).pair_buckets)  # as many pairs buckets as a plan has
    where = np.array(data.draw(st.lists(st.integers(0, buckets - 1), min_size=len(p), max_size=len(p))), dtype=int)
    parts = [tested[where == b] for b in range(buckets)]
    asked = []
    for part in parts:
        low = np.unique(part[part <= max_p])
        chosen = data.draw(st.lists(st.booleans(), min_size=len(low), max_size=len(low)))
        asked.append(low[np.array(chosen, dtype=bool)] if len(low) else low)
    with tempfile.TemporaryDirectory() as folder:
        answers = _adjust(Layout(root=folder, buckets=ranges, max_p=max_p), parts, asked)
    expected = benjamini_hochberg(tested)
    for values, answer in zip(asked, answers, strict=True):
        at = np.argsort(tested, kind="stable")
        wanted = expected[at][np.searchsorted(tested[at], values, side="right") - 1]
        exact = (wanted <= max_p) | (answer <= max_p)
        assert answer[exact].tobytes() == wanted[exact].tobytes()
        assert np.all(answer[~exact] > max_p)


def test_ranges_follow_the_order_of_p() -> None:
    """Boundaries ascend strictly below the threshold; each range holds the p from one boundary to the next."""
    for ranges, max_p in [(1, 0.05), (2, 0.05), (8, 0.05), (500, 0.05), (4096, 0.05), (64, 1e-30), (64, 1.0)]:
        cut = p_boundaries(ranges, max_p)
        assert len(cut) < ranges and np.all(np.diff(cut) > 0) and np.all((cut > 0) & (cut < max_p))
        p = np.sort(np.concatenate([cut, np.nextafter(cut, 0), np.linspace(0, max_p, 1000), [0.0, 5e-324, max_p]]))
        assert np.all(np.diff(range_of(p, cut)) >= 0)
        assert np.array_equal(range_of(cut, cut), np.arange(1, len(cut) + 1))


def test_ranges_share_a_corpus_histogram_evenly_enough() -> None:
    """No range holds more than a few times its share of p-values spread as a corpus spreads them (mostly
    near the threshold, thinning towards 0, a tail over many orders of magnitude)."""
    rng = np.random.default_rng(3)
    p = np.concatenate([0.05 * rng.random(200_000) ** 2, 10.0 ** -rng.uniform(8, 300, 10_000)])
    cut = p_boundaries(500, 0.05)
    share = np.bincount(range_of(p, cut), minlength=len(cut) + 1) / len(p)
    assert share.max() < 10 / (len(cut) + 1)


def test_answers_that_do_not_match_the_candidates_are_refused(tmp_path: Path) -> None:
    """A work folder whose answers were written for other candidates is not silently misread."""
    layout = Layout(root=str(tmp_path), buckets=4, max_p=0.05)
    _adjust(layout, [np.array([0.001, 0.002, 0.3])], [np.array([0.001, 0.002])])
    with pytest.raises(BucketFileError, match="answers 2 p-values of bucket 0, not 1"):
        adjusted_values(Layout(root=str(tmp_path), buckets=4, max_p=0.05), 0, np.array([0.001]))
