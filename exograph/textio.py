"""Turning bytes from files or standard input into text, with errors that point at the byte.

Every reader goes through here so that empty, binary and non-UTF-8 inputs are
refused the same way, naming the file and the line.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import IO

from .errors import InputError, display_path

__all__ = ["STDIN", "decode_text", "file_digest", "read_bytes", "read_text"]

STDIN = "-"


def file_digest(path: str | Path) -> str | None:
    """BLAKE2b of a file's bytes, read a block at a time (None when it cannot be read): what says "unchanged"."""
    import hashlib

    digest = hashlib.blake2b(digest_size=20)
    try:
        with open(path, "rb") as handle:
            while block := handle.read(1 << 22):
                digest.update(block)
    except OSError:
        return None
    return digest.hexdigest()


def read_bytes(source: str | Path | IO[bytes]) -> tuple[bytes, str]:
    """Bytes of a path, ``-`` (standard input) or a binary handle, and a label for messages."""
    if isinstance(source, (str, Path)):
        if str(source) == STDIN:
            return sys.stdin.buffer.read(), "<stdin>"
        path = Path(source)
        try:
            # The label names the file in records and messages: a name that is not UTF-8 or holds a line
            # break is shown escaped, so that no writer meets an unencodable character and no name forges a line.
            return path.read_bytes(), display_path(str(path))
        except OSError as exc:
            raise InputError(f"cannot read: {exc.strerror or exc}", path=path) from exc
    data = source.read()
    return data, getattr(source, "name", "<stream>")


def decode_text(data: bytes, label: str, *, error: type[InputError] = InputError) -> str:
    """UTF-8 text with newlines normalised; refuses empty, binary and mis-encoded input."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if not data.strip():
        raise error("file is empty", path=label, line=1)
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise error("binary data (NUL byte), not a text file", path=label, line=line)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise error(
            f"not UTF-8 (byte 0x{data[exc.start]:02x}); re-save the file as UTF-8",
            path=label,
            line=line,
            column=column,
        ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_text(source: str | Path | IO[bytes], *, error: type[InputError] = InputError) -> tuple[str, str]:
    """Decoded text of a source and its label."""
    data, label = read_bytes(source)
    return decode_text(data, label, error=error), label
