"""One exception root so callers (and the CLI) can catch exactly what exograph raises.

Input problems are ``ValueError`` subclasses carrying the offending value and,
where known, the file, line and column, so a message can always point a user at
the spot to fix instead of a traceback.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

__all__ = [
    "AnnotationError",
    "CardError",
    "ExographError",
    "FetchError",
    "FormatError",
    "InputError",
    "MappingError",
    "QueryError",
    "ServeError",
    "UnknownPrefixError",
    "UsageError",
    "WriteError",
    "display_path",
]


def display_path(path: str) -> str:
    """A file name as it may be printed on one line: bytes that are not UTF-8 (kept by Python as lone
    surrogates) as ``\\xNN``, and control characters (a newline in a name would forge a second message
    line) as escapes."""
    text = path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    if _CONTROL.search(text):
        text = _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)
    return text


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


class ExographError(Exception):
    """Root of every error exograph raises on purpose."""


class InputError(ExographError, ValueError):
    """A source file could not be read; names the file, line and column when known."""

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        column: int | None = None,
        value: object = None,
    ) -> None:
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        self.column = column
        self.value = value
        super().__init__(self.__str__())

    @property
    def location(self) -> str:
        """``file:line:column`` as far as it is known, the way compilers print it."""
        parts = [display_path(self.path) if self.path else "<input>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"

    def __reduce__(self) -> tuple[object, ...]:
        # Keyword-only arguments are lost by default pickling; worker processes send these errors back.
        return _rebuild, (type(self), self.message, self.path, self.line, self.column, self.value)


def _rebuild(
    cls: type[InputError], message: str, path: str | None, line: int | None, column: int | None, value: object
) -> InputError:
    return cls(message, path=path, line=line, column=column, value=value)


class CardError(InputError):
    """A paper card is malformed."""


class AnnotationError(InputError):
    """A PubTator or BioC file is malformed."""


class MappingError(InputError):
    """An SSSOM mapping set is malformed (header, columns or an id)."""


class UsageError(ExographError, ValueError):
    """Options that cannot be used together (named in the message)."""


class FormatError(ExographError, ValueError):
    """A format name or file suffix is not one exograph knows; lists the valid ones."""

    def __init__(self, value: str, choices: Iterable[str], what: str = "format") -> None:
        self.value = value
        self.choices = tuple(choices)
        super().__init__(f"unknown {what} {value!r}; choose one of: {', '.join(self.choices)}")


class UnknownPrefixError(ExographError, ValueError):
    """An identifier uses a scheme with no entry in the prefix map."""

    def __init__(self, value: str) -> None:
        self.value = value
        super().__init__(f"unknown identifier scheme in {value!r}")


class QueryError(ExographError, ValueError):
    """A SPARQL query is malformed or failed; carries the position when the engine gives one."""

    def __init__(self, message: str, *, query: str = "", line: int | None = None, column: int | None = None) -> None:
        self.query = query
        self.line = line
        self.column = column
        where = f" at line {line}, column {column}" if line is not None else ""
        super().__init__(f"invalid SPARQL{where}: {message}")


class FetchError(ExographError):
    """A remote service refused, failed or answered with something unusable."""

    def __init__(self, message: str, *, url: str | None = None, status: int | None = None) -> None:
        self.url = url
        self.status = status
        super().__init__(message)


class ServeError(ExographError):
    """The SPARQL server could not be started or stopped."""


class WriteError(ExographError):
    """An output could not be written (the partial file is removed); names the output and the cause."""

    def __init__(self, message: str, *, path: str | Path | None = None) -> None:
        self.path = str(path) if path is not None else None
        super().__init__(f"{self.path}: {message}" if self.path else message)
