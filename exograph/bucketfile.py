"""A file of record batches any one of which is read alone: how a task of the plan hands each task of the next
stage its bucket of rows.

In the out-of-core plan's shuffle, every producing task writes one batch per bucket and every task of the next
stage reads its batch from every producer. Both counts grow with the corpus, so the number of batches written
and read grows with its square, and what matters at scale is the fixed cost of one batch, not the cost per
row. An Arrow IPC file pays per batch an LZ4 frame for each buffer when written and, when read, a mapping,
a footer that lists every batch, and again a frame per buffer. Here a batch is one Arrow IPC message
(:meth:`pyarrow.RecordBatch.serialize`, so Arrow still encodes every type) compressed as a single LZ4 frame,
and an index at a fixed place says where each one is: writing a batch is one compression, reading one is two
small reads at known offsets, one read of the batch and one decompression.

Layout (integers unsigned 64-bit little-endian)::

    b"EXOBKT1\\n"  count                                    16 bytes
    count entries: offset, compressed size, message size   24 bytes each (sizes 0: an empty batch)
    the compressed messages, in order

Files are written atomically (:func:`exograph.atomic.atomic_open`), so a reader sees a whole file or none.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .atomic import atomic_open
from .errors import ExographError

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["BucketFileError", "read_batch", "write_batches"]

MAGIC = b"EXOBKT1\n"
_HEAD = struct.Struct("<8sQ")
_ENTRY = struct.Struct("<3Q")
_CODEC = "lz4"


class BucketFileError(ExographError, ValueError):
    """A work-folder file that is not a whole bucketed table (written by another program, or damaged)."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}; remove the work folder to build afresh")
        self.path = path


def write_batches(path: Path, batches: Sequence[pa.RecordBatch]) -> None:
    """Write ``batches`` to ``path`` so that :func:`read_batch` reads any one of them alone (atomically)."""
    import pyarrow as pa

    entries: list[tuple[int, int, int]] = []
    offset = _HEAD.size + _ENTRY.size * len(batches)
    with atomic_open(path) as sink:
        sink.seek(offset)
        for batch in batches:
            if not batch.num_rows:
                entries.append((offset, 0, 0))
                continue
            message = batch.serialize()
            packed = pa.compress(message, codec=_CODEC)
            sink.write(packed)
            entries.append((offset, packed.size, message.size))
            offset += packed.size
        sink.seek(0)
        sink.write(_HEAD.pack(MAGIC, len(batches)))
        sink.write(b"".join(_ENTRY.pack(*entry) for entry in entries))


def read_batch(path: Path, index: int, schema: pa.Schema) -> pa.RecordBatch | None:
    """Batch ``index`` of a file written by :func:`write_batches` (``schema``: its columns), or None when it
    has no rows."""
    import pyarrow as pa

    with open(path, "rb", buffering=0) as source:
        magic, count = _HEAD.unpack(_read(source, path, 0, _HEAD.size))
        if magic != MAGIC:
            raise BucketFileError(path, "not a bucketed table")
        if not 0 <= index < count:
            raise BucketFileError(path, f"has {count} buckets, not bucket {index}")
        offset, size, length = _ENTRY.unpack(_read(source, path, _HEAD.size + _ENTRY.size * index, _ENTRY.size))
        if not length:
            return None
        packed = _read(source, path, offset, size)
    message = pa.ipc.read_message(pa.decompress(packed, decompressed_size=length, codec=_CODEC))
    return pa.ipc.read_record_batch(message, schema)


def _read(source: io.FileIO, path: Path, offset: int, size: int) -> bytes:
    """``size`` bytes at ``offset``; a file too short for them is damaged."""
    source.seek(offset)
    data = source.read(size)
    if data is None or len(data) != size:
        raise BucketFileError(path, "is cut short")
    return data
