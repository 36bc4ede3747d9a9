"""Where a graph's statements come from, decided in one place for every RDF writer and the store.

A small build generates its statements from the graph as each writer asks. A
large one generates them once into an N-Quads file that every writer and the
store then read (:func:`exograph.rdf.materialize`), and computes the
co-occurrence edges in another process meanwhile, which also writes their
statements (:mod:`exograph.background`). :class:`Statements` records which of
these holds, so that the graph itself stays a model: no files, no jobs.
"""

from __future__ import annotations

import dataclasses
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .graph import CoOccurrence, KnowledgeGraph

__all__ = ["Statements"]


@dataclass(frozen=True)
class Statements:
    """A graph, and where its statements are to be read from."""

    #: The model the statements are generated from.
    graph: KnowledgeGraph
    #: An N-Quads file already holding every statement (None: generate them from :attr:`graph`).
    cache: Path | None = None
    #: The background job computing the co-occurrence edges (None: they are ``graph.cooccurrence``).
    pending: Future[list[CoOccurrence]] | None = None
    #: Where that job writes the co-occurrence statements as N-Triples (None: generated from the edges).
    text: Path | None = None

    @classmethod
    def of(cls, source: KnowledgeGraph | Statements) -> Statements:
        """``source`` itself, or a graph's statements generated from it."""
        return source if isinstance(source, Statements) else cls(source)

    def edges(self) -> list[CoOccurrence]:
        """The co-occurrence edges (waits for the background job)."""
        return self.graph.cooccurrence if self.pending is None else self.pending.result()

    def cooccurrence_text(self) -> Path | None:
        """The file of co-occurrence statements the background job wrote, once complete; None without one."""
        if self.text is None:
            return None
        if self.pending is not None:
            self.pending.result()  # the file is complete once the job is done
        return self.text

    def job(self) -> tuple[Future[list[CoOccurrence]], Path] | None:
        """The background job still to write the co-occurrence statements, and its file."""
        if self.pending is None or self.text is None:
            return None
        return self.pending, self.text

    def cached(self, path: Path | None) -> Statements:
        """The same statements, read from ``path`` (an N-Quads file holding all of them) when given."""
        return dataclasses.replace(self, cache=path)
