"""The out-of-core plan's intermediate tables: Arrow tables on disk, some cut into buckets by a hash of a key.

A stage writes what the next one needs as columnar tables (``pyarrow``). A table
every task of the next stage reads from is bucketed: one file per producing task
holding one batch per bucket (:mod:`exograph.bucketfile`), so that every task of
the next stage reads only its bucket's batch of each file, and all rows with the
same key (a paper, an entity, an entity pair) meet in one task, whatever produced
them and on whichever machine. (One file per producer and bucket would be
buckets² files per table: millions for all of PubTator3.) Other tables are
Arrow IPC files with LZ4 (a fraction of Parquet's cost to write and read back, and
read by Arrow, Polars, DuckDB alike). Every file is written atomically, so a task
that is killed leaves no partial table for a resumed build to trust.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .atomic import atomic_path
from .bucketfile import read_batch, write_batches

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = [
    "bucket_of",
    "bucket_order",
    "bucket_rows",
    "bucket_rows_by",
    "column_residues",
    "distinct_in_lists",
    "distinct_lists",
    "distinct_sorted",
    "fill_template",
    "first_given",
    "key_crcs",
    "lists_at",
    "mix_buckets",
    "positions_in",
    "read_bucket",
    "read_bucket_by_file",
    "read_table",
    "read_tables",
    "run_starts",
    "sorted_codes",
    "split_by_bucket",
    "string_array",
    "union_in_order",
    "values_at",
    "write_bucketed",
    "write_buckets",
    "write_table",
]


def bucket_of(key: str, buckets: int) -> int:
    """The bucket of one key: CRC-32 of its UTF-8 bytes (stable across processes and machines, unlike hash())."""
    return zlib.crc32(key.encode("utf-8")) % buckets


def bucket_rows(keys: pa.Array | pa.ChunkedArray, buckets: int) -> np.ndarray:
    """The bucket of every row (:func:`bucket_of` of its key), hashing each distinct key once (keys repeat)."""
    return bucket_rows_by([keys], buckets)


def bucket_rows_by(columns: Sequence[pa.Array | pa.ChunkedArray], buckets: int) -> np.ndarray:
    """The bucket of every row by several key columns together (an entity pair, say).

    Rows that share one column's key spread over every bucket: bucketing pairs by their first entity alone
    would send every pair of the most mentioned entity, a share that grows with the corpus, to one task.
    """
    rows = len(columns[0])
    if buckets == 1 or rows == 0:  # no key to hash
        return np.zeros(rows, dtype=np.int64)
    return mix_buckets([_row_crcs(column) for column in columns], buckets)


def mix_buckets(crcs: Sequence[np.ndarray], buckets: int) -> np.ndarray:
    """The bucket of every row from the CRC-32s of its key columns (:func:`key_crcs`, one array per column):
    what :func:`bucket_rows_by` gives for those columns, for callers that hold keys as codes into a list of
    distinct keys and so hash each key once.

    A row's bucket is the sum, modulo ``buckets``, of each key's share for its column
    (:func:`column_residues`), so a caller that holds keys as codes computes the shares once per distinct
    key and adds them per row.
    """
    rows = len(crcs[0]) if crcs else 0
    if buckets == 1 or rows == 0:
        return np.zeros(rows, dtype=np.int64)
    total = np.zeros(rows, dtype=np.int64)
    for column, values in enumerate(crcs):
        total += column_residues(values, column, buckets)
    out: np.ndarray = total % buckets
    return out


#: Odd 64-bit multipliers that mix a key's CRC for its column after the first (which is its CRC as it is).
_COLUMN_MIX = (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9)


def column_residues(crcs: np.ndarray, column: int, buckets: int) -> np.ndarray:
    """Each key's share of a row's bucket when it is the row's ``column``-th key (see :func:`mix_buckets`).

    The first column's share is its CRC modulo ``buckets``, so one column alone buckets as :func:`bucket_of`.
    Each later column's CRC is first mixed (the high half of a wrapping 64-bit product), so the rows that
    share one key are spread over every bucket by the others.
    """
    if column == 0:
        return (crcs % np.uint64(buckets)).astype(np.int64)
    with np.errstate(over="ignore"):  # wrapping arithmetic is the point
        mixed = (crcs * np.uint64(_COLUMN_MIX[(column - 1) % len(_COLUMN_MIX)])) >> np.uint64(32)
    out: np.ndarray = (mixed % np.uint64(buckets)).astype(np.int64)
    return out


def key_crcs(keys: Sequence[str]) -> np.ndarray:
    """CRC-32 of each key (as :func:`bucket_of` hashes it), as unsigned 64-bit integers."""
    return np.fromiter((zlib.crc32(k.encode("utf-8")) for k in keys), dtype=np.uint64, count=len(keys))


def _row_crcs(keys: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """CRC-32 of every row's key, as unsigned 64-bit integers, each distinct key hashed once."""
    import pyarrow as pa
    import pyarrow.compute as pc

    encoded = pc.dictionary_encode(keys)
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    out: np.ndarray = key_crcs(encoded.dictionary.to_pylist())[encoded.indices.to_numpy(zero_copy_only=False)]
    return out


def sorted_codes(keys: pa.Array | pa.ChunkedArray) -> tuple[pa.Array, np.ndarray]:
    """The distinct keys in byte order (as Arrow compares strings) and each row's index into them: keys as
    integers whose order is the keys' order, for grouping and joining large tables with NumPy."""
    import pyarrow as pa
    import pyarrow.compute as pc

    encoded = pc.dictionary_encode(keys)
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    order = pc.array_sort_indices(encoded.dictionary).to_numpy()
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    codes: np.ndarray = rank[encoded.indices.to_numpy(zero_copy_only=False)]
    return encoded.dictionary.take(pa.array(order)), codes


def positions_in(keys: pa.Array, among: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """The position of each of ``keys`` (distinct) in ``among`` (its first), or -1 where it is not there.

    What ``pc.index_in(keys, value_set=among)`` says, with the hash table built on the small side: a task
    looks up its own few thousand keys in the corpus-wide vocabulary (every entity's type or paper count),
    and hashing the vocabulary for each task would cost every task time in proportion to the corpus.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    where = pc.index_in(among, value_set=keys)
    if isinstance(where, pa.ChunkedArray):
        where = where.combine_chunks()
    found = np.flatnonzero(where.is_valid().to_numpy(zero_copy_only=False))
    key_of = pc.fill_null(where, 0).to_numpy(zero_copy_only=False)[found].astype(np.int64)
    present, first = np.unique(key_of, return_index=True)  # a key found twice keeps its first position
    out = np.full(len(keys), -1, dtype=np.int64)
    out[present] = found[first]
    return out


def values_at(keys: pa.Array, among: pa.Array | pa.ChunkedArray, values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """The value of each of ``keys`` (distinct) in a vocabulary (``among`` its keys, ``values`` beside them),
    null where a key is not there: a lookup of a task's keys by :func:`positions_in`."""
    import pyarrow as pa

    at = positions_in(keys, among)
    found = values.take(pa.array(at, mask=at < 0))
    return found.combine_chunks() if isinstance(found, pa.ChunkedArray) else found


def run_starts(values: np.ndarray) -> np.ndarray:
    """Positions where a run of equal values begins (of sorted values: where each distinct value first is)."""
    if not len(values):
        return np.zeros(0, dtype=np.int64)
    starts: np.ndarray = np.flatnonzero(np.concatenate(([True], values[1:] != values[:-1])))
    return starts


def within_runs(lengths: np.ndarray) -> np.ndarray:
    """0, 1, ... within each run of the given lengths, the runs one after another: each item's place in its
    run, for items laid out run by run (a paper's relations, a row's records, a candidate's papers)."""
    total = int(lengths.sum())
    within: np.ndarray = np.arange(total) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return within


def string_array(values: list[str]) -> pa.Array:
    """A list of keys as an Arrow string array (for ``is_in`` filters)."""
    import pyarrow as pa

    return pa.array(values, type=pa.string())


def split_by_bucket(table: pa.Table, bucket: np.ndarray, buckets: int) -> list[pa.Table]:
    """``table``'s rows cut into ``buckets`` tables, each keeping the rows' order."""
    import pyarrow as pa

    bounds = np.concatenate(([0], np.cumsum(np.bincount(bucket, minlength=buckets))))
    if len(bucket) and bool(np.any(bucket[1:] < bucket[:-1])):
        ordered = table.take(pa.array(bucket_order(bucket, buckets)))
    else:  # already in bucket order (a caller that built its rows so): no copy
        ordered = table
    return [ordered.slice(int(bounds[i]), int(bounds[i + 1] - bounds[i])) for i in range(buckets)]


def bucket_order(bucket: np.ndarray, buckets: int) -> np.ndarray:
    """The rows' positions sorted by bucket, rows of one bucket in their order (a stable sort: of 16-bit
    integers where the buckets fit, which NumPy sorts by radix, in linear time)."""
    narrow = bucket.astype(np.int16) if buckets <= np.iinfo(np.int16).max else bucket
    order: np.ndarray = np.argsort(narrow, kind="stable")
    return order


def write_table(table: pa.Table, path: Path) -> None:
    """Write ``table`` to ``path`` (Arrow IPC, LZ4), atomically: a reader sees the whole file or none."""
    _write(path, table.schema, table.to_batches())


def write_buckets(table: pa.Table, key: str | tuple[str, ...], buckets: int, path: Path) -> None:
    """Write ``table`` as one file of ``buckets`` batches, batch ``i`` holding, in their order, the rows
    whose ``key`` column (or columns, together) falls in bucket ``i``; read one back with :func:`read_bucket`."""
    names = (key,) if isinstance(key, str) else key
    write_bucketed(table, bucket_rows_by([table[name] for name in names], buckets), buckets, path)


def write_bucketed(table: pa.Table, bucket: np.ndarray, buckets: int, path: Path) -> None:
    """:func:`write_buckets` for rows whose buckets the caller worked out (``bucket[i]``: row ``i``'s)."""
    pieces = split_by_bucket(table, bucket, buckets)
    write_batches(path, [_one_batch(piece) for piece in pieces])


def _one_batch(table: pa.Table) -> pa.RecordBatch:
    import pyarrow as pa

    batches = table.combine_chunks().to_batches()
    if not batches:
        return pa.RecordBatch.from_pylist([], schema=table.schema)
    (batch,) = batches
    return batch


def _write(path: Path, schema: pa.Schema, batches: Sequence[pa.RecordBatch]) -> None:
    import pyarrow as pa

    with atomic_path(path) as partial, pa.OSFile(str(partial), "wb") as sink:
        options = pa.ipc.IpcWriteOptions(compression="lz4")
        with pa.ipc.new_file(sink, schema, options=options) as writer:
            for batch in batches:
                writer.write_batch(batch)


def read_table(path: Path) -> pa.Table:
    """One table written by :func:`write_table`."""
    import pyarrow as pa

    with pa.memory_map(str(path), "r") as source:
        return pa.ipc.open_file(source).read_all()


def read_tables(paths: Sequence[Path], schema: pa.Schema) -> pa.Table:
    """Several tables of one schema as one (an empty table of ``schema`` when there are none)."""
    import pyarrow as pa

    tables = [read_table(p) for p in paths]
    if not tables:
        return schema.empty_table()
    return pa.concat_tables(tables)


def read_bucket(paths: Sequence[Path], bucket: int, schema: pa.Schema) -> pa.Table:
    """Bucket ``bucket`` of several files written by :func:`write_buckets`, in the files' order, as one table:
    only that batch of each file is read."""
    return read_bucket_by_file(paths, bucket, schema)[0]


def read_bucket_by_file(paths: Sequence[Path], bucket: int, schema: pa.Schema) -> tuple[pa.Table, np.ndarray]:
    """:func:`read_bucket`, and how many of its rows came from each file (for rows that point into a table of
    the task that wrote them)."""
    import pyarrow as pa

    batches = [read_batch(path, bucket, schema) for path in paths]
    rows = np.array([0 if batch is None else batch.num_rows for batch in batches], dtype=np.int64)
    found = [batch for batch in batches if batch is not None]
    return (pa.Table.from_batches(found, schema=schema) if found else schema.empty_table()), rows


def fill_template(template: str, values: Mapping[str, pa.Array], rows: int) -> pa.Array:
    """``template`` once per row, each stand-in (a key of ``values``) replaced by that row's value: text made once
    by the code that owns it (a record's JSON, a paper's statements) for stand-in values, then filled in by
    columns. The stand-ins must be strings nothing else in the template contains."""
    import pyarrow as pa
    import pyarrow.compute as pc

    parts: list[str | pa.Array] = [template]
    for mark, column in values.items():
        cut: list[str | pa.Array] = []
        for part in parts:
            if not isinstance(part, str):
                cut.append(part)
                continue
            for number, piece in enumerate(part.split(mark)):
                if number:
                    cut.append(column)
                cut.append(piece)
        parts = cut
    if all(isinstance(part, str) for part in parts) or not rows:
        return pa.array([template] * rows, type=pa.string())
    filled: pa.Array = pc.binary_join_element_wise(*parts, "")
    return filled


def distinct_sorted(values: np.ndarray) -> np.ndarray:
    """The distinct values, ascending: ``np.unique(values)`` by a sort (NumPy 2.3 and later answer a bare
    ``np.unique`` through a hash table, several times slower on the large integer codes of this plan)."""
    ordered = np.sort(values)
    if not len(ordered):
        return ordered
    distinct: np.ndarray = ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))]
    return distinct


def distinct_in_lists(
    lists: pa.ListArray | pa.ChunkedArray, owner: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, pa.Array]:
    """The distinct (owner, value) of the rows' lists (``owner``: each row's, the row itself unless given), in
    owner then value order: each one's owner, each one's value as a code, and the values the codes index (in
    byte order, as Python sorts strings)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not isinstance(lists, pa.Array):
        lists = lists.combine_chunks()
    rows = pc.list_parent_indices(lists).to_numpy()
    values, code = sorted_codes(lists.flatten())
    width = max(len(values), 1)
    owners = (rows if owner is None else owner[rows]).astype(np.int64)
    pairs = distinct_sorted(owners * width + code)
    return pairs // width, pairs % width, values


def lists_at(owner: np.ndarray, values: pa.Array, owners: int) -> pa.ListArray:
    """A list per owner (``0 .. owners-1``) of the values, given in owner order (``owner``: each value's)."""
    import pyarrow as pa

    offsets = np.zeros(owners + 1, dtype=np.int32)
    np.cumsum(np.bincount(owner, minlength=owners), out=offsets[1:])
    return pa.ListArray.from_arrays(pa.array(offsets), values)


def union_in_order(lists: pa.ListArray | pa.ChunkedArray, owner: np.ndarray, owners: int) -> pa.ListArray:
    """Each owner's values from the rows' lists (``owner``: each row's), each once, in the order first given
    (rows in order, each list in its order): what ``dict.setdefault`` over them keeps."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not isinstance(lists, pa.Array):
        lists = lists.combine_chunks()
    flat = lists.flatten()
    of = owner[pc.list_parent_indices(lists).to_numpy()].astype(np.int64)
    chosen = first_given(of, sorted_codes(flat)[1])
    return lists_at(of[chosen], flat.take(pa.array(chosen)), owners)


def first_given(owner: np.ndarray, code: np.ndarray) -> np.ndarray:
    """The positions of each owner's distinct codes where first given, grouped by owner (ascending), each
    owner's in the order given: the items ``dict.setdefault`` keeps, per owner."""
    _, first = np.unique(owner.astype(np.int64) * (int(code.max(initial=0)) + 1) + code, return_index=True)
    first = np.sort(first)
    chosen: np.ndarray = first[np.argsort(owner[first], kind="stable")]
    return chosen


def distinct_lists(lists: pa.ListArray | pa.ChunkedArray, owner: np.ndarray, owners: int) -> pa.ListArray:
    """Each owner's distinct values of the rows' lists (``owner``: each row's), sorted (byte order)."""
    import pyarrow as pa

    of, code, values = distinct_in_lists(lists, owner)
    return lists_at(of, values.take(pa.array(code)), owners)
