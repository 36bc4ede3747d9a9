"""Entity pairs of the out-of-core ``papers`` stage: the per-paper join done on integer codes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from exograph.stages import Layout
from exograph.stages.cooccur import _grouped, _keys_and_codes
from exograph.stages.papers import _pairs
from exograph.stages.schemas import LINK_SCHEMA, TYPE_SCHEMA, entity_types, gather_vocabulary
from exograph.tables import bucket_rows_by, sorted_codes, write_table

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
    # Papers are positions in the papers' keys (in key order), which come with the rows.
    keys = rows.papers.to_pylist()
    assert keys == sorted({f"p{i}" for i, ps in enumerate(papers) if ps})
    got = list(zip(a, b, [keys[i] for i in rows.table["paper"].to_pylist()], strict=True))
    assert sorted(got) == _naive(papers)
    # Each row's bucket is the one any other table of pairs would give it, and the rows come in bucket order.
    assert (
        rows.bucket.tolist() == bucket_rows_by([pa.array(a, pa.string()), pa.array(b, pa.string())], buckets).tolist()
    )
    assert rows.bucket.tolist() == sorted(rows.bucket.tolist())


@settings(max_examples=60, deadline=None)
@given(vocabulary=st.lists(st.text(max_size=4), unique=True, min_size=1, max_size=12), data=st.data())
def test_pair_rows_decode_as_sorted_codes_of_their_keys(vocabulary: list[str], data: st.DataObject) -> None:
    vocabulary.sort(key=str.encode)  # as entity_types gives it: in key order
    positions = data.draw(st.lists(st.integers(0, len(vocabulary) - 1), max_size=30))
    column = pa.chunked_array([pa.array(positions, pa.int32())])
    keys, codes, at = _keys_and_codes(column, pa.chunked_array([vocabulary]))
    expected_keys, expected_codes = sorted_codes(pa.array([vocabulary[p] for p in positions], pa.string()))
    assert keys.to_pylist() == expected_keys.to_pylist()
    assert codes.tolist() == expected_codes.tolist()
    assert [vocabulary[i] for i in at.tolist()] == keys.to_pylist()  # where each is in the vocabulary


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(st.integers(0, (1 << 62) - 1), max_size=40)
    | st.lists(st.integers(0, (1 << 48) - 1) | st.integers(0, 70_000) | st.integers(0, 5), max_size=40)
)
def test_grouped_orders_rows_by_value(values: list[int]) -> None:
    """Rows by value, by 16-bit digits (values of up to 48 bits: rows of one value in row order), or with
    value and row position in one 64-bit integer, or neither."""
    array = np.array(values, dtype=np.int64)
    rows, ordered = _grouped(array)
    assert sorted(rows.tolist()) == list(range(len(values)))
    assert ordered.tolist() == sorted(values)
    assert array[rows].tolist() == ordered.tolist()
    if max(values, default=0) < 1 << 48:
        assert rows.tolist() == sorted(range(len(values)), key=lambda row: values[row])


def test_the_vocabulary_is_in_key_order_gathered_or_not(tmp_path: Path) -> None:
    """Later stages rank entities by their position in the vocabulary, so both ways of reading it (the file
    the driver gathers, or every bucket's part) must give it in key (byte) order."""
    layout = Layout(root=str(tmp_path), buckets=3)
    parts = [["é", "b", "Z"], [], ["a", "ab", "A"]]
    for bucket, keys in enumerate(parts):
        table = {"key": keys, "type": ["Gene"] * len(keys), "curie": keys, "label": keys}
        write_table(pa.table(table, schema=TYPE_SCHEMA), layout.part("entities", "types", bucket))
    expected = sorted((k for keys in parts for k in keys), key=str.encode)
    assert entity_types(layout)["key"].to_pylist() == expected
    gather_vocabulary(layout, "entities")
    assert layout.whole("entities", "types").is_file()
    assert entity_types(layout)["key"].to_pylist() == expected
    assert entity_types(layout, range(2, 3))["key"].to_pylist() == parts[2]  # one bucket's, as written
