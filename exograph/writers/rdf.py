"""RDF serialisations (Turtle, N-Triples, N-Quads, TriG) written by pyoxigraph from exograph's quads."""

from __future__ import annotations

from typing import IO, TYPE_CHECKING, cast

from pyoxigraph import RdfFormat, serialize

from ..atomic import Destination, open_destination
from ..iris import RDF_PREFIXES
from ..rdf import quads, triples

if TYPE_CHECKING:
    from ..graph import KnowledgeGraph

__all__ = ["write_nquads", "write_ntriples", "write_trig", "write_turtle"]


class _SortedPrefixes:
    """Writes the prefix block in a fixed order, then passes pyoxigraph's output through.

    pyoxigraph emits prefixes in hash-map order, which changes between runs; dropping
    its own prefix lines and writing ours sorted keeps the files byte-identical.
    """

    def __init__(self, handle: IO[bytes]) -> None:
        self.handle = handle
        self.header = True
        self.pending = b""
        for prefix, iri in sorted(RDF_PREFIXES.items(), key=lambda kv: kv[0].casefold()):
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


def write_turtle(kg: KnowledgeGraph, dest: Destination) -> None:
    """Turtle with the standard prefixes; papers' named graphs are merged into one graph.

    >>> import io, exograph
    >>> buffer = io.BytesIO()
    >>> exograph.write_turtle(exograph.build(["seeds/"]).graph, buffer)
    >>> b"NCBIGene:7422 a biolink:Gene" in buffer.getvalue()
    True
    """
    with open_destination(dest) as handle:
        out = _SortedPrefixes(handle)
        serialize(triples(kg), cast(IO[bytes], out), RdfFormat.TURTLE, prefixes=RDF_PREFIXES)
        out.flush()


def write_ntriples(kg: KnowledgeGraph, dest: Destination) -> None:
    """N-Triples, one statement a line: the format bulk loaders and ``grep`` like best."""
    with open_destination(dest) as handle:
        serialize(triples(kg), handle, RdfFormat.N_TRIPLES)


def write_nquads(kg: KnowledgeGraph, dest: Destination) -> None:
    """N-Quads: every statement with the named graph of the paper it comes from."""
    with open_destination(dest) as handle:
        serialize(quads(kg), handle, RdfFormat.N_QUADS)


def write_trig(kg: KnowledgeGraph, dest: Destination) -> None:
    """TriG: one named graph per paper, so a paper's statements can be traced and replaced."""
    with open_destination(dest) as handle:
        out = _SortedPrefixes(handle)
        serialize(quads(kg), cast(IO[bytes], out), RdfFormat.TRIG, prefixes=RDF_PREFIXES)
        out.flush()
