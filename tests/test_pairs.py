"""Entity pairs of the out-of-core ``papers`` stage: the per-paper join done on integer codes."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from exograph.stages.cooccur import _grouped, _keys_and_codes
from exograph.stages.papers import _pairs
from exograph.stages.schemas import LINK_SCHEMA
from exograph.tables import bucket_rows_by, sorted_codes

TYPES = {"g1": "Gene", "g2": "Gene", "gé": "Gene", "d1": "Disease", "d2": "Disease", "c1": "ChemicalEntity"}
WANTED = (("Gene", "Disease"), ("ChemicalEntity", "Disease"), ("Gene", "Gene"), ("Gene", "Disease"))


def _naive(papers: list[list[str]]) -> list[tuple[str, str, str]]:
    out = []
    for index, linked in enumerate(papers):
        for ta, tb in dict.fromkeys(WANTED):
            for a in linked:
                for b in linked:
                    if TYPES.get(a) == ta and TYPES.get(b) == tb and (ta != tb or a.encode() < b.encode()):
                        out.append((a, b, f"p{index}"))
    return sorted(out)


@settings(max_examples=60, deadline=None)
@given(
    papers=st.lists(st.lists(st.sampled_from([*TYPES, "untyped"]), unique=True, max_size=6), max_size=14),
    buckets=st.integers(1, 7),
)
def test_pairs_are_every_typed_pair_of_each_paper_in_its_bucket(papers: list[list[str]], buckets: int) -> None:
    links = pa.table(
        {
            "entity": [e for linked in papers for e in linked],
            "paper": [f"p{i}" for i, ps in enumerate(papers) for _ in ps],
        },
        schema=LINK_SCHEMA,
    )
    types = pa.table({"key": list(TYPES), "type": list(TYPES.values())})
    rows = _pairs(links, types, WANTED, buckets)
    # Entities are their positions in the vocabulary (the types table).
    a, b = ([list(TYPES)[i] for i in rows.table[c].to_pylist()] for c in ("a", "b"))
    got = list(zip(a, b, rows.table["paper"].to_pylist(), strict=True))
    assert sorted(got) == _naive(papers)
    # Each row's bucket is the one any other table of pairs would give it, and the rows come in bucket order.
    assert (
        rows.bucket.tolist() == bucket_rows_by([pa.array(a, pa.string()), pa.array(b, pa.string())], buckets).tolist()
    )
    assert rows.bucket.tolist() == sorted(rows.bucket.tolist())


@settings(max_examples=60, deadline=None)
@given(vocabulary=st.lists(st.text(max_size=4), unique=True, min_size=1, max_size=12), data=st.data())
def test_pair_rows_decode_as_sorted_codes_of_their_keys(vocabulary: list[str], data: st.DataObject) -> None:
    positions = data.draw(st.lists(st.integers(0, len(vocabulary) - 1), max_size=30))
    keys, codes = _keys_and_codes(pa.chunked_array([pa.array(positions, pa.int32())]), pa.chunked_array([vocabulary]))
    expected_keys, expected_codes = sorted_codes(pa.array([vocabulary[p] for p in positions], pa.string()))
    assert keys.to_pylist() == expected_keys.to_pylist()
    assert codes.tolist() == expected_codes.tolist()


@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.integers(0, (1 << 62) - 1) | st.integers(0, 5), max_size=40))
def test_grouped_orders_rows_by_value(values: list[int]) -> None:
    """Rows by value, whether value and row position fit in one 64-bit integer or not."""
    array = np.array(values, dtype=np.int64)
    rows, ordered = _grouped(array)
    assert sorted(rows.tolist()) == list(range(len(values)))
    assert ordered.tolist() == sorted(values)
    assert array[rows].tolist() == ordered.tolist()
