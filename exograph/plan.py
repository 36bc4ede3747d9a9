"""The read stage of the build as a plan: inputs cut into chunks, each chunk read into a graph of its own.

A chunk is a file or, for a large PubTator or bulk file, a byte range of it that
starts and ends between documents (a blank line, or a change of PMID), so that
one big file does not mean one core. :func:`read_chunk` is a pure function of its
chunk: any executor (:mod:`exograph.executors`: this process, or a Dask cluster)
can run it anywhere the file can be read, and the partial graphs, absorbed in
chunk order (:meth:`KnowledgeGraph.absorb`), give the same graph, and so the same
statements, as reading the files one after the other.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Final

from .diagnostics import Diagnostics
from .errors import InputError
from .graph import KnowledgeGraph
from .models import Paper
from .readers import InputFormat, guess_format, read_papers
from .textio import STDIN

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "CHUNK_BYTES",
    "CHUNK_DOCUMENTS",
    "CHUNK_ROWS",
    "Chunk",
    "ChunkReport",
    "absorb_in_order",
    "is_gzip",
    "partition",
    "read_chunk",
    "sniff",
    "worth_cutting",
]

#: Files larger than this are cut into chunks of about this size (where their format allows it).
CHUNK_BYTES: Final = 32 << 20
#: ... and into chunks of at most this many documents: a task's memory grows with the papers it holds, and
#: some files hold far more papers per byte than others (a relation row is 40 bytes, a paper's concepts 2 KB).
CHUNK_DOCUMENTS: Final = 20_000
#: Pieces of a gzipped bulk file hold at most this many rows (about ``CHUNK_BYTES`` of concept rows; the
#: papers of a relation file, a row each, in a chunk that a read task holds by columns).
CHUNK_ROWS: Final = 600_000
#: Bulk files above this size are cut (or, gzipped, spilled into pieces) whatever ``CHUNK_BYTES`` says: a
#: gzipped relation file holds tens of thousands of papers per megabyte.
_SMALL_BYTES: Final = 1 << 20
#: Formats whose documents can be cut apart between lines (PubTator: blank lines; bulk rows: a new PMID).
_SPLITTABLE: Final = frozenset({"pubtator", "pubtator3-bulk"})


@dataclass(frozen=True)
class Chunk:
    """A file, or the lines ``[start, end)`` (bytes) of one, read as one unit of work."""

    path: str
    format: InputFormat | None
    start: int = 0
    end: int | None = None
    #: Line number of the chunk's first line in the file (1 for a whole file).
    first_line: int = 1
    #: Position of the chunk in the build, so results are absorbed in file order.
    index: int = 0
    #: The input file the chunk comes from, when ``path`` is a piece of it spilled to disk (a gzip file's).
    label: str | None = None
    #: Whether papers keep their mention spans (the full profile) or only mention counts (compact).
    spans: bool = True


@dataclass
class ChunkReport:
    """What reading a chunk gave besides the graph: failures and counts, for the build's summary."""

    chunk: Chunk
    papers: int = 0
    failures: list[InputError] = field(default_factory=list)


def partition(
    files: list[str | Path],
    input_format: InputFormat | None,
    *,
    chunk_bytes: int | None = None,
    chunk_documents: int | None = None,
    chunk_rows: int | None = None,
    scratch: Path | None = None,
) -> list[Chunk]:
    """Chunks for the input files, in file order; large line-based files are cut between documents, into
    chunks of about ``chunk_bytes`` and at most ``chunk_documents`` documents.

    A gzipped bulk file cannot be cut by byte ranges: given a ``scratch`` folder (on a path every worker
    sees), it is decompressed once, as a stream, into pieces there, each a chunk of its own (of at most
    ``chunk_rows`` rows).
    """
    chunk_bytes = chunk_bytes or CHUNK_BYTES
    documents = chunk_documents or CHUNK_DOCUMENTS
    chunks: list[Chunk] = []
    for source in files:
        path = str(source)
        if path == STDIN:
            chunks.append(Chunk(path, input_format, index=len(chunks)))
            continue
        fmt, gzipped = _cut_as(path, input_format, chunk_bytes)
        if fmt is not None and gzipped and scratch is not None:
            try:
                pieces = list(_spill(path, chunk_bytes, chunk_rows or CHUNK_ROWS, scratch, len(chunks)))
            except InputError:
                pieces = []  # a broken stream: read whole, so the failure is reported for the file and line
            if not pieces:
                chunks.append(Chunk(path, input_format, index=len(chunks)))
            for piece, first_line in pieces:
                chunks.append(Chunk(str(piece), fmt, first_line=first_line, index=len(chunks), label=path))
        elif fmt is not None and not gzipped:
            for start, end, first_line in _boundaries(path, fmt, chunk_bytes, documents):
                chunks.append(Chunk(path, fmt, start, end, first_line, index=len(chunks)))
        else:
            chunks.append(Chunk(path, input_format, index=len(chunks)))
    return chunks


def worth_cutting(path: str | Path, input_format: InputFormat | None, *, chunk_bytes: int | None = None) -> bool:
    """Whether :func:`partition` would cut this file into several chunks (a large PubTator or bulk file)."""
    return _cut_as(str(path), input_format, chunk_bytes or CHUNK_BYTES)[0] is not None


def _cut_as(path: str, input_format: InputFormat | None, chunk_bytes: int) -> tuple[InputFormat | None, bool]:
    """The format a file is cut as (None: it is read whole, being small or of a format that cannot be cut), and
    whether it is gzipped (then only bulk rows are cut, spilled into pieces)."""
    try:
        size = os.path.getsize(path)
    except OSError:
        return None, False
    gzipped = size > 0 and is_gzip(path)
    if size <= _cut_above("pubtator3-bulk", gzipped, chunk_bytes):  # the lowest of the thresholds
        return None, gzipped
    fmt = input_format or sniff(path)
    if size <= _cut_above(fmt, gzipped, chunk_bytes) or fmt not in _SPLITTABLE:
        return None, gzipped
    if gzipped and fmt != "pubtator3-bulk":
        return None, gzipped
    return fmt, gzipped


def _cut_above(fmt: InputFormat | None, gzipped: bool, chunk_bytes: int) -> int:
    """The size above which a file is cut: a chunk's bytes, or less for bulk rows, which hold far more papers
    per byte (a relation row is 40 bytes; gzip shrinks rows about tenfold)."""
    if fmt != "pubtator3-bulk":
        return chunk_bytes // 8 if gzipped else chunk_bytes
    return min(_SMALL_BYTES, chunk_bytes // 8 if gzipped else chunk_bytes)


def sniff(path: str) -> InputFormat | None:
    try:
        with open(path, "rb") as handle:
            head = handle.read(1 << 16)
        return guess_format(path, head)
    except (OSError, InputError):
        return None


def _spill(path: str, chunk_bytes: int, chunk_rows: int, scratch: Path, first_index: int) -> Iterator[tuple[Path, int]]:
    """Decompress a bulk file into pieces of about ``chunk_bytes`` (at most ``chunk_rows`` rows, unless one
    PMID has more) that end where a PMID's rows end.

    This runs in the driver before any read task can start, so it looks at a block of lines at a time and
    at single lines only where a piece is full: from there, the first line whose PMID is not the line
    before's starts the next piece. Rows, not PMIDs, cap a piece because lines are counted for the price
    of finding them (PMIDs would need every line's key compared), and a read task holds its rows: no more
    papers than rows, whatever the file (a relation row is 40 bytes, a paper's concepts 2 KB).
    """
    from concurrent.futures import ThreadPoolExecutor

    import numpy as np

    from .gz import BROKEN_STREAM, open_read

    scratch.mkdir(parents=True, exist_ok=True)
    line = 0
    piece_first = 1
    written = rows = 0
    previous = b""
    number = first_index
    out = open(scratch / f"piece-{number:05d}.tsv", "wb")  # noqa: SIM115 - closed as each piece fills
    try:
        with open_read(path) as stream, ThreadPoolExecutor(1) as ahead:
            carry = b""
            # The next block is decompressed (ISA-L lets the GIL go) while this one is cut and written.
            coming = ahead.submit(stream.read, _SPILL_BLOCK)
            while True:
                block = coming.result()
                if block:
                    coming = ahead.submit(stream.read, _SPILL_BLOCK)
                data, carry = carry + block, b""
                if block:  # the last line may go on in the next block (at the end, it is taken as it is)
                    end = data.rfind(b"\n") + 1
                    data, carry = data[:end], data[end:]
                if not data:
                    if block:
                        continue
                    break
                raw = np.frombuffer(data, dtype=np.uint8)
                view = memoryview(data)  # pieces are written from it without copies
                breaks = np.flatnonzero(raw == 10)
                starts = np.concatenate(([0], breaks[breaks < len(raw) - 1] + 1))
                begin = 0
                while (
                    cut := _cut(data, starts, begin, previous, chunk_bytes - written, chunk_rows - rows)
                ) is not None:
                    out.write(view[starts[begin] : starts[cut]])
                    line += cut - begin
                    out.close()
                    yield Path(out.name), piece_first
                    number += 1
                    out = open(scratch / f"piece-{number:05d}.tsv", "wb")  # noqa: SIM115
                    piece_first, written, rows, begin = line + 1, 0, 0, cut
                out.write(view[starts[begin] :])
                written += len(data) - int(starts[begin])
                rows += len(starts) - begin
                line += len(starts) - begin
                previous = _key(data[int(starts[-1]) :])
    except BROKEN_STREAM as exc:
        out.close()
        raise InputError(f"broken gzip stream: {exc}", path=path, line=line + 1) from None
    out.close()
    yield Path(out.name), piece_first


#: Decompressed bytes the spill looks at together.
_SPILL_BLOCK: Final = 1 << 20


def _cut(data: bytes, starts: np.ndarray, begin: int, previous: bytes, room: int, rows_left: int) -> int | None:
    """The line of ``data`` (at or after ``begin``) that starts the next piece, or None: the first line with
    a new PMID once the piece is full, having been given ``room`` more bytes and ``rows_left`` more rows at
    ``begin`` (``previous``: the PMID of the line before ``data``)."""
    import numpy as np

    full_at = int(np.searchsorted(starts, room + int(starts[begin]), side="left"))
    full_at = max(begin, min(full_at, begin + rows_left))
    if full_at >= len(starts):
        return None
    before = previous if full_at == 0 else _key(data[int(starts[full_at - 1]) : int(starts[full_at])])
    for at in range(full_at, len(starts)):
        stop = int(starts[at + 1]) if at + 1 < len(starts) else len(data)
        key = _key(data[int(starts[at]) : stop])
        if key != before:
            return at
        before = key
    return None


def _key(line: bytes) -> bytes:
    """A bulk row's PMID: what comes before its first tab (or its end)."""
    return line.split(b"\n", 1)[0].split(b"\t", 1)[0].rstrip(b"\r")


def is_gzip(path: str) -> bool:
    try:
        with open(path, "rb") as handle:
            return handle.read(2) == b"\x1f\x8b"
    except OSError:
        return False  # unreadable: read whole, so the reader reports it


def _boundaries(path: str, fmt: InputFormat, chunk_bytes: int, chunk_documents: int) -> list[tuple[int, int, int]]:
    """Byte ranges of about ``chunk_bytes`` (at most ``chunk_documents`` documents) that end where a document
    ends, with their first line numbers."""
    out: list[tuple[int, int, int]] = []
    start, line, lines_before, documents = 0, 0, 0, 0
    position = 0
    previous_key = b""
    with open(path, "rb") as handle:
        for raw in handle:
            line += 1
            key = raw.split(b"\t", 1)[0].split(b"|", 1)[0]
            boundary = (fmt == "pubtator" and not raw.strip()) or (fmt == "pubtator3-bulk" and key != previous_key)
            if boundary:
                # A blank line ends a PubTator document; a new PMID starts a bulk one (the first PMID counts
                # here too, so both count the documents before the cut).
                documents += 1
            before = documents if fmt == "pubtator" else documents - 1  # documents ended before this line's end
            if boundary and (position - start >= chunk_bytes or before >= chunk_documents):
                cut = position + len(raw) if fmt == "pubtator" else position
                first = lines_before + 1
                out.append((start, cut, first))
                lines_before = line if fmt == "pubtator" else line - 1
                start = cut
                documents = 0 if fmt == "pubtator" else 1
            previous_key = key
            position += len(raw)
    out.append((start, position, lines_before + 1))
    return [r for r in out if r[1] > r[0]]


def read_chunk(chunk: Chunk) -> tuple[KnowledgeGraph, ChunkReport]:
    """Read one chunk into a graph of its own (runs wherever the executor puts it; needs only the file)."""
    kg = KnowledgeGraph(spans=chunk.spans)
    report = ChunkReport(chunk)
    diag = Diagnostics()
    try:
        if chunk.start == 0 and chunk.end is None and chunk.label is None:
            papers = read_papers(chunk.path, format=chunk.format, diagnostics=diag)
        else:
            papers = _read_range(chunk, diag)
    except InputError as exc:
        report.failures.append(exc)
        kg.failures.append((exc.path or chunk.label or chunk.path, str(exc)))
        return kg, report
    kg.diagnostics.extend(diag.items)
    for paper in papers:
        kg.add(paper)
    report.papers = len(papers)
    return kg, report


def _read_range(chunk: Chunk, diag: Diagnostics) -> list[Paper]:
    """Papers of a byte range, with line numbers counted from the file's start."""
    from .errors import display_path

    label = display_path(chunk.label or chunk.path)
    try:
        with open(chunk.path, "rb") as handle:
            handle.seek(chunk.start)
            piece = handle.read((chunk.end or 0) - chunk.start if chunk.end is not None else -1)
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", path=label) from exc
    local = Diagnostics()
    offset = chunk.first_line - 1
    try:
        papers = read_papers_bytes(piece, label, chunk.format, local)
    except InputError as exc:
        raise type(exc)(
            exc.message, path=exc.path, line=None if exc.line is None else exc.line + offset, column=exc.column
        ) from None
    diag.extend([d.model_copy(update={"line": None if d.line is None else d.line + offset}) for d in local.items])
    return [
        p.model_copy(update={"source": p.source.model_copy(update={"line": (p.source.line or 1) + offset})})
        for p in papers
    ]


def read_papers_bytes(data: bytes, label: str, fmt: InputFormat | None, diag: Diagnostics) -> list[Paper]:
    """:func:`read_papers` for bytes already in memory (a chunk of a file)."""
    import io

    class _Named(io.BytesIO):
        name = label

    return read_papers(_Named(data), format=fmt, diagnostics=diag)


def absorb_in_order(kg: KnowledgeGraph, results: Iterable[tuple[KnowledgeGraph, ChunkReport]]) -> list[ChunkReport]:
    """Absorb the chunks' graphs into ``kg`` in chunk order (the same graph as one sequential read).

    ``results`` come in chunk order (executors keep it), so each partial graph is absorbed and freed as
    soon as it arrives.
    """
    reports = []
    for part, report in results:
        kg.absorb(part)
        reports.append(report)
    return reports
