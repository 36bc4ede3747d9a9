"""The plan's bucketed tables: one file per producer, one record batch per bucket."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exograph.tables import (
    bucket_rows,
    bucket_rows_by,
    positions_in,
    read_bucket,
    read_table,
    values_at,
    write_buckets,
    write_table,
)

SCHEMA = pa.schema([("key", pa.string()), ("n", pa.int64())])
#: Columns of every kind the plan's bucketed tables have: strings, integers, lists of strings, nulls.
WIDE = pa.schema([("key", pa.string()), ("n", pa.int32()), ("names", pa.list_(pa.string())), ("note", pa.string())])


@settings(max_examples=40, deadline=None)
@given(
    producers=st.lists(st.lists(st.tuples(st.text(max_size=6), st.integers(-5, 5)), max_size=30), max_size=4),
    buckets=st.integers(1, 9),
)
def test_each_bucket_reads_back_its_rows_from_every_producer_in_order(
    producers: list[list[tuple[str, int]]], buckets: int
) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for index, rows in enumerate(producers):
            table = pa.table({"key": [k for k, _ in rows], "n": [n for _, n in rows]}, schema=SCHEMA)
            path = Path(folder) / f"p{index:05d}.arrow"
            write_buckets(table, "key", buckets, path)
            paths.append(path)
        seen = []
        for bucket in range(buckets):
            got = read_bucket(paths, bucket, SCHEMA)
            assert got.schema == SCHEMA
            rows = list(zip(got["key"].to_pylist(), got["n"].to_pylist(), strict=True))
            expected = [
                row
                for table_rows in producers
                for row in table_rows
                if bucket_rows(pa.array([row[0]], pa.string()), buckets)[0] == bucket
            ]
            assert rows == expected  # the producers' order, and each producer's own order
            seen.extend(rows)
        assert sorted(seen) == sorted(row for rows in producers for row in rows)  # nothing lost, nothing twice


@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.text(max_size=5),
            st.integers(-(2**31), 2**31 - 1),
            st.lists(st.text(max_size=4), max_size=3),
            st.none() | st.text(max_size=8),
        ),
        max_size=40,
    ),
    buckets=st.integers(1, 12),
)
def test_a_bucketed_table_of_every_column_kind_reads_back_whole(
    rows: list[tuple[str, int, list[str], str | None]], buckets: int
) -> None:
    import tempfile

    table = pa.table([list(column) for column in zip(*rows, strict=True)] if rows else [[], [], [], []], schema=WIDE)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "p00000.buckets"
        write_buckets(table, "key", buckets, path)
        got = pa.concat_tables(read_bucket([path], bucket, WIDE) for bucket in range(buckets))
    assert got.schema == WIDE
    assert sorted(got.to_pylist(), key=repr) == sorted(table.to_pylist(), key=repr)


def test_a_file_that_is_not_a_whole_bucketed_table_is_named(tmp_path: Path) -> None:
    from exograph.bucketfile import BucketFileError

    path = tmp_path / "p00000.buckets"
    write_buckets(pa.table({"key": ["a", "b", "c"], "n": [1, 2, 3]}, schema=SCHEMA), "key", 2, path)
    with pytest.raises(BucketFileError, match="has 2 buckets, not bucket 2"):
        read_bucket([path], 2, SCHEMA)
    whole = path.read_bytes()
    path.write_bytes(whole[:-3])
    with pytest.raises(BucketFileError, match=r"p00000\.buckets: is cut short"):
        pa.concat_tables(read_bucket([path], bucket, SCHEMA) for bucket in range(2))
    write_table(pa.table({"key": ["a"], "n": [1]}, schema=SCHEMA), path)  # an Arrow IPC file, as before
    with pytest.raises(BucketFileError, match="not a bucketed table"):
        read_bucket([path], 0, SCHEMA)


def test_no_producer_reads_as_an_empty_table(tmp_path: Path) -> None:
    assert read_bucket([], 3, SCHEMA).equals(SCHEMA.empty_table())


def test_a_table_is_written_whole_and_atomically(tmp_path: Path) -> None:
    table = pa.table({"key": ["a", "b"], "n": [1, 2]}, schema=SCHEMA)
    write_table(table, tmp_path / "t.arrow")
    assert read_table(tmp_path / "t.arrow").equals(table)
    assert [p.name for p in tmp_path.iterdir()] == ["t.arrow"]


@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), st.text(max_size=4)), max_size=60),
    buckets=st.integers(1, 9),
)
def test_rows_with_the_same_keys_meet_in_one_bucket(rows: list[tuple[str, str]], buckets: int) -> None:
    first = pa.array([a for a, _ in rows], pa.string())
    second = pa.array([b for _, b in rows], pa.string())
    chosen = bucket_rows_by([first, second], buckets)
    assert ((chosen >= 0) & (chosen < buckets)).all()
    home: dict[tuple[str, str], int] = {}
    for row, bucket in zip(rows, chosen.tolist(), strict=True):
        assert home.setdefault(row, bucket) == bucket
    # One column alone is bucket_rows, the bucketing every other table uses.
    assert bucket_rows_by([first], buckets).tolist() == bucket_rows(first, buckets).tolist()


def test_pairs_of_one_entity_spread_over_every_bucket() -> None:
    # The pairs of the most mentioned entity are a share of the corpus: by the first key alone they would all
    # go to one task.
    partners = [f"MESH:D{i:06d}" for i in range(2000)]
    chosen = bucket_rows_by([pa.array(["NCBIGene:7157"] * 2000), pa.array(partners)], 8)
    spread = np.bincount(chosen, minlength=8)
    assert spread.min() > 150 and spread.max() < 350
    assert len(set(bucket_rows(pa.array(["NCBIGene:7157"] * 2000), 8).tolist())) == 1


@settings(max_examples=200, deadline=None)
@given(
    keys=st.lists(st.sampled_from("abcdefgh"), unique=True, max_size=8),
    among=st.lists(st.lists(st.sampled_from("abcdefghij"), max_size=6), max_size=4),
)
def test_positions_in_is_index_in_hashed_on_the_small_side(keys: list[str], among: list[list[str]]) -> None:
    """A task's keys looked up in a vocabulary (chunked, maybe with a key twice): the first position or -1."""
    vocabulary = pa.chunked_array([pa.array(c, pa.string()) for c in among], type=pa.string())
    wanted = pa.array(keys, pa.string())
    expected = pc.fill_null(pc.index_in(wanted, value_set=vocabulary), -1).to_numpy(zero_copy_only=False)
    assert positions_in(wanted, vocabulary).tolist() == expected.tolist()


@settings(max_examples=100, deadline=None)
@given(
    keys=st.lists(st.sampled_from("abcdefgh"), unique=True, max_size=8),
    among=st.lists(st.sampled_from("abcdefghij"), max_size=12),
)
def test_values_at_looks_up_each_key_null_where_absent(keys: list[str], among: list[str]) -> None:
    """A task's keys' values in a vocabulary table: the value beside each key's first position, or null."""
    values = pa.chunked_array([pa.array(range(len(among)), pa.int64())], type=pa.int64())
    vocabulary = pa.chunked_array([pa.array(among, pa.string())], type=pa.string())
    expected = [among.index(k) if k in among else None for k in keys]
    assert values_at(pa.array(keys, pa.string()), vocabulary, values).to_pylist() == expected
