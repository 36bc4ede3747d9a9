"""Parse N-Triples/N-Quads and write Turtle, N-Triples, N-Quads or TriG with pyoxigraph, in a child process.

A large build generates statements in Python while this process parses and
serialises them in Rust: on a machine with two cores the two halves run at
the same time instead of one after the other. The module imports nothing but
pyoxigraph and the standard library so that the child starts quickly.

Run as ``python -m exograph.rdfconvert SOURCE_FORMAT TARGET_FORMAT [PREFIXES_JSON [fragment]]``
(``fragment``: no prefix declarations, for appending to a file that has them):
statements on standard input, the file on standard output, a one-line error
on standard error and exit status 2 when the input does not parse.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator, Mapping
from typing import IO, cast

from pyoxigraph import Quad, RdfFormat, Triple, parse, serialize

__all__ = ["FORMATS", "SortedPrefixes", "convert"]

FORMATS: dict[str, RdfFormat] = {
    "ntriples": RdfFormat.N_TRIPLES,
    "nquads": RdfFormat.N_QUADS,
    "turtle": RdfFormat.TURTLE,
    "trig": RdfFormat.TRIG,
}
_GRAPH_FORMATS = {"nquads", "trig"}


class SortedPrefixes:
    """Writes the prefix block in a fixed order, then passes pyoxigraph's output through.

    pyoxigraph emits prefixes in hash-map order, which changes between runs; dropping
    its own prefix lines and writing ours sorted keeps the files byte-identical.
    """

    def __init__(self, handle: IO[bytes], prefixes: Mapping[str, str], *, header: bool = True) -> None:
        self.handle = handle
        self.header = True
        self.pending = b""
        if header:
            for prefix, iri in sorted(prefixes.items(), key=lambda kv: kv[0].casefold()):
                handle.write(f"@prefix {prefix}: <{iri}> .\n".encode())

    def write(self, data: bytes) -> int:
        if not self.header:
            return self.handle.write(data)
        self.pending += data
        while self.header:
            line, sep, rest = self.pending.partition(b"\n")
            if not sep:
                break
            if line.startswith(b"@prefix "):
                self.pending = rest
            else:
                self.header = False
                self.handle.write(self.pending)
                self.pending = b""
        return len(data)

    def flush(self) -> None:
        if self.pending:
            self.handle.write(self.pending)
            self.pending = b""
        self.handle.flush()


def convert(
    statements: Iterable[Quad | Triple],
    handle: IO[bytes],
    target: str,
    prefixes: Mapping[str, str] | None = None,
    *,
    drop_graphs: bool = True,
    header: bool = True,
) -> None:
    """Serialise parsed statements to ``handle``.

    ``drop_graphs`` turns quads into triples for Turtle and N-Triples; it can be
    off when the statements are known to be in the default graph (parsed from
    N-Triples), which saves a Python step per statement. ``header=False``
    leaves out the prefix declarations, for a fragment appended to a file
    that has them.
    """
    if drop_graphs and target not in _GRAPH_FORMATS:
        statements = _triples(statements)
    if prefixes and target in ("turtle", "trig"):
        out = SortedPrefixes(handle, prefixes, header=header)
        serialize(cast(Iterable[Quad], statements), cast(IO[bytes], out), FORMATS[target], prefixes=dict(prefixes))
        out.flush()
    else:
        serialize(cast(Iterable[Quad], statements), handle, FORMATS[target])


def _triples(statements: Iterable[Quad | Triple]) -> Iterator[Triple]:
    for statement in statements:
        yield statement.triple if isinstance(statement, Quad) else statement


def main(argv: list[str]) -> int:
    """Entry point of the child process (see the module docstring)."""
    source, target = argv[0], argv[1]
    prefixes = json.loads(argv[2]) if len(argv) > 2 else None
    header = argv[3:4] != ["fragment"]
    try:
        # Large buffers: the default 8 KiB reads and writes cost a system call every few statements.
        with (
            open(sys.stdin.fileno(), "rb", buffering=1 << 20, closefd=False) as source_handle,
            open(sys.stdout.fileno(), "wb", buffering=1 << 20, closefd=False) as target_handle,
        ):
            statements = parse(source_handle, FORMATS[source])
            convert(statements, target_handle, target, prefixes, drop_graphs=source != "ntriples", header=header)
    except SyntaxError as exc:
        print(f"exograph.rdfconvert: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
