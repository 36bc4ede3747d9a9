"""The co-occurrence statistics of a large in-memory build, computed in another process while statements are written.

Entity and paper statements do not depend on co-occurrence, so a build starts
the statistics in a child process and writes the rest meanwhile. Where
processes can be forked the child reads the graph from the memory it shares
with the parent, computes everything and, given a file, writes the
co-occurrence statements there as N-Triples; else the incidence matrices are
built here and only arrays are sent.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any

from .cooccurrence import DEFAULT_PAIRS, incidence, records, result, statistics
from .graph import CoOccurrence, KnowledgeGraph
from .processes import die_with_parent, parent_for, start_method
from .rdf import write_cooccurrence_text
from .statements import Statements

__all__ = ["start_cooccurrence"]

#: The graph a forked co-occurrence job reads (set only while the job's process is being forked).
_FORKED_GRAPH: KnowledgeGraph | None = None


def start_cooccurrence(
    kg: KnowledgeGraph, *, min_papers: int = 2, max_p: float = 0.05, text: Path | None = None
) -> Statements:
    """Start the co-occurrence statistics of ``kg`` in a child process.

    The returned :class:`Statements` read the edges (and, given ``text``, their statements, written
    there by the child when it could fork) from the job; ``kg`` itself is not changed: assign
    ``kg.cooccurrence = statements.edges()`` once they are needed.
    """
    method = start_method()
    pool = ProcessPoolExecutor(
        max_workers=1,
        mp_context=multiprocessing.get_context(method),
        initializer=die_with_parent,
        initargs=(parent_for(method),),
    )
    written: Path | None = None
    if method == "fork":
        global _FORKED_GRAPH
        _FORKED_GRAPH = kg
        try:
            pending = pool.submit(_job, min_papers, max_p, None if text is None else str(text))
        finally:
            _FORKED_GRAPH = None
        written = text
    else:
        matrix = incidence(kg)
        pending = pool.submit(
            statistics, matrix.columns, matrix.total, pairs=DEFAULT_PAIRS, min_papers=min_papers, max_p=max_p
        )
        pending = _then(pending, lambda stats: result(matrix, stats, papers=kg.edge_papers))
    pool.shutdown(wait=False)
    # The records are made in the thread that sees the job finish, while this one goes on writing.
    edges: Future[list[CoOccurrence]] = _then(pending, records)
    return Statements(kg, pending=edges, text=written)


def _job(min_papers: int, max_p: float, text: str | None) -> Any:
    """Runs in a forked child: statistics, records and (optionally) their statements, from the shared graph."""
    kg = _FORKED_GRAPH
    if kg is None:
        raise RuntimeError("the co-occurrence job must be started by start_cooccurrence")
    matrix = incidence(kg)
    stats = statistics(matrix.columns, matrix.total, pairs=DEFAULT_PAIRS, min_papers=min_papers, max_p=max_p)
    found = result(matrix, stats, papers=kg.edge_papers)
    if text is not None:
        write_cooccurrence_text(records(found), text)
    return found


def _then(future: Future[Any], step: Callable[[Any], Any]) -> Future[Any]:
    """A future for ``step`` applied to another future's result (run in whichever thread completes it)."""
    out: Future[Any] = Future()

    def done(source: Future[Any]) -> None:
        try:
            out.set_result(step(source.result()))
        except BaseException as exc:  # handed to whoever waits on the result
            out.set_exception(exc)

    future.add_done_callback(done)
    return out
