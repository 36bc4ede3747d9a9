"""The driver's merge of the buckets' p-value histograms (for exact Benjamini-Hochberg) as they are read."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exograph.stages.cooccur import _merged_histogram
from exograph.stages.schemas import HISTOGRAM_SCHEMA
from exograph.tables import write_table

_P = st.sampled_from([0.0, 1e-300, 1e-12, 0.001, 0.01, 0.0100000001, 0.05])


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    buckets=st.lists(st.dictionaries(_P, st.integers(1, 10**12), max_size=6), max_size=7),
    merge_at=st.integers(1, 8),
)
def test_merged_as_read_is_the_sum_of_every_histogram(
    tmp_path: Path, buckets: list[dict[float, int]], merge_at: int
) -> None:
    """Whenever it merges (every file, or only at the end), each distinct value, ascending, with its total."""
    paths = []
    for number, histogram in enumerate(buckets):
        path = tmp_path / f"b{number:05d}.arrow"
        table = pa.table({"p": list(histogram), "n": list(histogram.values())}, schema=HISTOGRAM_SCHEMA)
        write_table(table, path)
        paths.append(path)
    expected: dict[float, int] = {}
    for histogram in buckets:
        for p, n in histogram.items():
            expected[p] = expected.get(p, 0) + n
    values, counts = _merged_histogram(paths, merge_at=merge_at)
    assert values.tolist() == sorted(expected)
    assert counts.tolist() == [expected[p] for p in sorted(expected)]
    assert counts.dtype == np.int64
