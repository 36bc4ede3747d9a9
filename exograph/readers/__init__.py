"""Readers turn source files into :class:`~exograph.models.Paper` records, one module per format.

The format of a file is taken from ``--format``, else its suffix, else a look at
its first bytes (``.txt`` is used both for cards and for PubTator exports).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, Final, Literal, get_args

from ..diagnostics import Diagnostics
from ..errors import ExographError, FormatError, InputError
from ..folders import is_build_folder
from ..models import Paper, Record
from ..textio import STDIN, read_bytes

__all__ = [
    "INPUT_FORMATS",
    "READERS",
    "InputFormat",
    "guess_format",
    "iter_input_files",
    "list_input_files",
    "read_papers",
]

InputFormat = Literal["card", "pubtator", "bioc-json", "bioc-xml", "pubtator3-bulk"]
INPUT_FORMATS: Final[tuple[InputFormat, ...]] = get_args(InputFormat)

Reader = Callable[[bytes, str, Diagnostics], list[Paper]]

_SUFFIXES: Final[dict[str, InputFormat | None]] = {
    ".md": "card",
    ".card": "card",
    ".pubtator": "pubtator",
    ".json": "bioc-json",
    ".biocjson": "bioc-json",
    ".xml": "bioc-xml",
    ".bioc": "bioc-xml",
    ".txt": None,  # cards and PubTator exports both use .txt: look inside
    ".gz": None,  # PubTator3's bulk files (bioconcepts2pubtator3.gz ...): look inside
    ".tsv": None,
}
_PUBTATOR_HEAD: Final = re.compile(rb"^\s*[^|\s]+\|[ta]\|", re.MULTILINE)


def _read_card(data: bytes, label: str, diag: Diagnostics) -> list[Paper]:
    from ..errors import CardError
    from ..textio import decode_text
    from .card import parse_card

    return [parse_card(decode_text(data, label, error=CardError), label, diag)]


def _read_pubtator(data: bytes, label: str, diag: Diagnostics) -> list[Paper]:
    from .pubtator import parse_pubtator

    return parse_pubtator(data, label, diag)


def _read_bioc_json(data: bytes, label: str, diag: Diagnostics) -> list[Paper]:
    from .bioc_json import parse_bioc_json

    return parse_bioc_json(data, label, diag)


def _read_bioc_xml(data: bytes, label: str, diag: Diagnostics) -> list[Paper]:
    from .bioc_xml import parse_bioc_xml

    return parse_bioc_xml(data, label, diag)


def _read_pubtator3_bulk(data: bytes, label: str, diag: Diagnostics) -> list[Paper]:
    from .pubtator3_bulk import parse_pubtator3_bulk

    return parse_pubtator3_bulk(data, label, diag)


#: Reader per input format; the CLI's ``--format`` choices come from these keys.
READERS: Final[dict[InputFormat, Reader]] = {
    "card": _read_card,
    "pubtator": _read_pubtator,
    "bioc-json": _read_bioc_json,
    "bioc-xml": _read_bioc_xml,
    "pubtator3-bulk": _read_pubtator3_bulk,
}


def guess_format(label: str, data: bytes) -> InputFormat:
    """Format from the suffix, else from the content; an error lists the valid choices."""
    suffix = Path(label).suffix.lower()
    known = _SUFFIXES.get(suffix, None)
    if known is not None:
        return known
    if data[:2] == b"\x1f\x8b":
        data = _gunzip_head(data)
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:4096]
    if head.startswith(b"# "):
        return "card"
    if head[:1] in (b"{", b"["):
        return "bioc-json"
    if head.startswith((b"<?xml", b"<collection", b"<!DOCTYPE collection")):
        return "bioc-xml"
    if _PUBTATOR_HEAD.match(head):
        return "pubtator"
    from .pubtator3_bulk import looks_like_pubtator3_bulk

    if looks_like_pubtator3_bulk(head):
        return "pubtator3-bulk"
    raise InputError(
        f"cannot tell the input format from the suffix {suffix!r} or the content; "
        f"pass --format with one of: {', '.join(INPUT_FORMATS)}",
        path=label,
        line=1,
    )


def _gunzip_head(data: bytes) -> bytes:
    """The first few KB of a gzipped file, decompressed (b"" when it is not gzip after all)."""
    import zlib

    try:
        return zlib.decompressobj(zlib.MAX_WBITS | 16).decompress(data[: 1 << 16], 4096)
    except zlib.error:
        return b""


def read_papers(
    source: str | Path | IO[bytes], *, format: InputFormat | None = None, diagnostics: Diagnostics | None = None
) -> list[Paper]:
    """Every paper in one file (or ``-``), in file order.

    >>> from exograph import read_papers
    >>> [p.pmcid for p in read_papers("seeds/000_d081ed892fcfcee2.txt")]
    ['PMC12921707']
    """
    data, label = read_bytes(source)
    if format is not None and format not in READERS:
        raise FormatError(format, INPUT_FORMATS, what="input format")
    if not data.strip():
        raise InputError("file is empty", path=label, line=1)
    fmt = format or guess_format(label, data)
    diag = diagnostics if diagnostics is not None else Diagnostics()
    try:
        papers = READERS[fmt](data, label, diag)
    except ExographError:
        raise
    except _UNFORESEEN as exc:
        # Every reader checks what it reads; this is the contract's last line, so that no input, however odd,
        # ends in a traceback or stops the build.
        raise InputError(f"cannot read as {fmt}: {type(exc).__name__}: {str(exc)[:200]}", path=label) from exc
    if len(data) > MAX_LITERAL and not (fmt in _LINE_FORMATS and _longest_line(data) <= MAX_LITERAL):
        # No string of a smaller file can be longer than the cap, nor in a line-based format one longer than its
        # longest line: walking every record (millions of strings in a bulk file) is kept for when it can matter.
        papers = [_capped(paper, diag) for paper in papers]
    return papers


#: Formats whose every field lies within one line of the (uncompressed) file.
_LINE_FORMATS: Final = frozenset({"pubtator", "pubtator3-bulk"})


def _longest_line(data: bytes) -> int:
    """Length of the longest line in bytes (the whole length for gzip data, whose lines are not visible)."""
    import numpy as np

    if data[:2] == b"\x1f\x8b":
        return len(data)
    breaks = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10)
    bounds = np.concatenate(([-1], breaks, [len(data)]))
    return int(np.diff(bounds).max())


#: Exceptions a reader may still raise on input no check foresaw (turned into one InputError line).
_UNFORESEEN: Final = (
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    AttributeError,
    OverflowError,
    RecursionError,
    UnicodeError,
    MemoryError,
)

#: Longest text kept in one field, in characters. N-Triples and Turtle parsers (pyoxigraph, and with it the
#: store and every exograph writer) refuse a statement longer than 16 MiB; at four UTF-8 bytes a character and
#: every character escaped, 2**20 characters stay well inside that.
MAX_LITERAL: Final = 1 << 20


def _capped(record: Record, diag: Diagnostics, where: str = "") -> Any:
    """The record with every string over :data:`MAX_LITERAL` characters cut, each cut recorded as a warning."""
    update: dict[str, Any] = {}
    for name in type(record).model_fields:
        value = getattr(record, name)
        new = _capped_value(value, diag, f"{where}{name}", record)
        if new is not value:
            update[name] = new
    return record.model_copy(update=update) if update else record


def _capped_value(value: Any, diag: Diagnostics, where: str, owner: Record) -> Any:
    if isinstance(value, str):
        if len(value) <= MAX_LITERAL:
            return value
        source = getattr(owner, "source", None)
        diag.warn(
            "text-truncated",
            f"{where} has {len(value):,} characters, more than any RDF writer takes; kept the first {MAX_LITERAL:,}",
            path=getattr(source, "path", None),
            line=getattr(source, "line", None),
        )
        return value[:MAX_LITERAL]
    if isinstance(value, Record):
        return _capped(value, diag, where + ".")
    if isinstance(value, tuple):
        items = tuple(_capped_value(item, diag, where, owner) for item in value)
        return value if all(a is b for a, b in zip(items, value, strict=True)) else items
    return value


def iter_input_files(paths: list[str] | list[Path]) -> Iterator[str | Path]:
    """Files named, and every file below folders named, in sorted order; ``-`` passes through.

    Raises the first problem met (a missing input, an unreadable folder); :func:`list_input_files` collects them.
    """
    files, problems = list_input_files(paths)
    if problems:
        raise problems[0]
    yield from files


def list_input_files(
    paths: list[str] | list[Path], *, exclude: Path | None = None
) -> tuple[list[str | Path], list[InputError]]:
    """Files named, and every file below folders named (sorted), and the problems met on the way.

    A named input that does not exist raises at once: building without it would replace a previous
    build's outputs with a graph that lacks it. Below a folder, hidden files and folders, the folder
    ``exclude`` (the build's own output) and any other exograph output folder are skipped; an unreadable
    folder, a broken or looping symbolic link is a problem, and the walk goes on.
    """
    files: list[str | Path] = []
    problems: list[InputError] = []
    skip = {exclude.resolve()} if exclude is not None and exclude.exists() else set()
    for raw in paths:
        if str(raw) == STDIN:
            files.append(STDIN)
            continue
        path = Path(raw)
        if path.is_dir():
            if path.resolve() in skip or is_build_folder(path):
                problems.append(InputError("is an exograph output folder, not an input", path=path))
                continue
            files.extend(_files_below(path, skip, problems))
        elif path.exists():
            files.append(path)
        elif path.is_symlink():
            raise InputError("broken or looping symbolic link", path=path)
        else:
            raise InputError("no such file or folder", path=path)
    return files, problems


def _files_below(folder: Path, skip: set[Path], problems: list[InputError]) -> list[Path]:
    """Input files below a folder, sorted by path components (as pathlib sorts them).

    Listed with os.scandir, whose entries know their type without a stat call:
    a folder of a hundred thousand cards takes a fraction of a second, not over one.
    A linked folder is followed once (a link back up the tree is a loop, reported).
    """
    found: list[tuple[tuple[str, ...], str]] = []
    pending: list[tuple[tuple[str, ...], str]] = [((), str(folder))]
    seen = {os.path.realpath(folder)}
    while pending:
        parts, directory = pending.pop()
        try:
            with os.scandir(directory) as entries:
                listed = list(entries)
        except OSError as exc:
            problems.append(InputError(f"cannot read folder: {exc.strerror or exc}", path=directory))
            continue
        for entry in listed:
            if entry.name.startswith("."):
                continue
            try:
                if entry.is_dir(follow_symlinks=False):
                    if Path(entry.path).resolve() in skip or is_build_folder(Path(entry.path)):
                        continue
                    seen.add(os.path.realpath(entry.path))
                    pending.append(((*parts, entry.name), entry.path))
                elif entry.is_symlink():
                    target = os.path.realpath(entry.path)
                    if not os.path.exists(entry.path):
                        problems.append(InputError("broken or looping symbolic link", path=entry.path))
                    elif os.path.isdir(target):
                        if target in seen:
                            problems.append(InputError("symbolic link loop (folder already read)", path=entry.path))
                        else:
                            seen.add(target)
                            pending.append(((*parts, entry.name), entry.path))
                    elif os.path.splitext(entry.name)[1].lower() in _SUFFIXES:
                        found.append(((*parts, entry.name), entry.path))
                elif os.path.splitext(entry.name)[1].lower() in _SUFFIXES and entry.is_file():
                    found.append(((*parts, entry.name), entry.path))
            except OSError as exc:
                problems.append(InputError(f"cannot read: {exc.strerror or exc}", path=entry.path))
    found.sort()
    return [Path(path) for _, path in found]
