"""The out-of-core build plan's stages: pure functions from tables on disk to tables and statement shards.

Each stage is a list of independent tasks (one per input chunk or per bucket of
keys); a task reads the files the previous stages wrote under the plan's work
folder (:class:`Layout`) and writes its own, atomically, then a small JSON report.
Nothing is passed between tasks in memory, so the same task runs in this process
or on any Dask worker that sees the folder, and a build that was stopped resumes
from the last finished task (:mod:`exograph.outofcore` runs them).

Stages, in order (``k`` a bucket of paper keys, entity keys or entity pairs):

1. ``read`` (per chunk): readers and the in-memory graph on one chunk, exported as
   paper and entity tables, bucketed by key;
2. ``entities`` (per entity bucket): an entity's partial records merged in chunk
   order; its statements; the table of entity types;
3. ``papers`` (per paper bucket): a paper's records merged (same rules as the
   in-memory graph); its statements; papers per entity, entity pairs, direct
   relation triples, authors and journals, bucketed for the next stages;
4. ``counts`` (per entity bucket): the papers tasks' counts summed (``exo:paperCount``);
5. ``pairs`` (per pair bucket): papers per pair, Fisher's exact p-values,
   the candidates and the histogram of low p-values, cut by range of p;
6. ``adjust`` (per range of p): exact Benjamini-Hochberg over the range's share
   of the corpus-wide histogram, answered to each pairs bucket;
7. ``cooccurrence`` (per pair bucket): the candidates' adjusted p-values, and the
   co-occurrence statements of the pairs that pass;
8. ``direct`` (per bucket): relation triples stated by several papers, once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

__all__ = ["PAIR_BUCKETS_PER_BUCKET", "Layout", "TaskReport"]

#: Pair buckets per paper bucket. A paper bucket's entity pairs, held by a ``pairs`` task with the arrays that
#: group them, were the largest working set of a plan (a memory profile of a 1,000,000-abstract build); cut four
#: times finer, each task holds a quarter of it.
PAIR_BUCKETS_PER_BUCKET: Final = 4


@dataclass(frozen=True)
class Layout:
    """Where a plan's tables and shards live, and the settings every task needs (picklable: sent to workers)."""

    root: str
    buckets: int
    spans: bool = True
    #: Whether co-occurrence edges list their supporting papers (the full profile).
    edge_papers: bool = True
    #: Whether each paper's statements sit in its named graph (the full profile) or in the default graph.
    paper_graphs: bool = True
    pairs: tuple[tuple[str, str], ...] = ()
    min_papers: int = 2
    max_p: float = 0.05
    #: Number of papers in the corpus, known once the ``papers`` stage is done.
    total: int = 0
    #: Number of entity pairs tested for co-occurrence, known once the ``pairs`` stage is done.
    tested: int = 0
    #: Input names of the chunks, for messages about a chunk.
    labels: tuple[str, ...] = ()

    @property
    def pair_buckets(self) -> int:
        """Buckets of the entity-pair tables (the ``pairs`` and ``cooccurrence`` stages).

        A paper gives pairs by the square of its entities, so with several buckets the pair tables are cut
        :data:`PAIR_BUCKETS_PER_BUCKET` times finer than the papers.
        """
        return self.buckets if self.buckets == 1 else self.buckets * PAIR_BUCKETS_PER_BUCKET

    def path(self, *parts: str) -> Path:
        """A path below the plan's work folder."""
        return Path(self.root).joinpath(*parts)

    def bucketed(self, stage: str, table: str, producer: int) -> Path:
        """The file of a bucketed table one producer task writes (one batch per bucket: :mod:`exograph.bucketfile`)."""
        return self.path(stage, table, f"p{producer:05d}.buckets")

    def producers(self, stage: str, table: str) -> list[Path]:
        """Every producer's file of a bucketed table, in producer order."""
        folder = self.path(stage, table)
        return sorted(folder.glob("p*.buckets")) if folder.is_dir() else []

    def pair_papers(self, producer: int) -> Path:
        """The keys of the papers a ``papers`` task's pair rows point to (:data:`~.schemas.PAIR_PAPER_SCHEMA`)."""
        return self.path("papers", "pair_papers", f"b{producer:05d}.buckets")

    def producer_of(self, path: Path) -> int:
        """The task that wrote a file of :meth:`producers`."""
        return int(path.stem[1:])

    def part(self, stage: str, table: str, index: int) -> Path:
        """The one file of a table that task ``index`` of a stage writes (a bucket's, or a producer's)."""
        return self.path(stage, table, f"b{index:05d}.arrow")

    def parts(self, stage: str, table: str) -> list[Path]:
        """Every file of a table written by :meth:`part`, in task order."""
        folder = self.path(stage, table)
        return sorted(folder.glob("b*.arrow")) if folder.is_dir() else []

    def whole(self, stage: str, table: str) -> Path:
        """A table every task of a stage wrote a part of, gathered into one file by the driver."""
        return self.path(stage, f"{table}.arrow")

    def shard(self, stage: str, index: int) -> Path:
        """The statement shard one task writes."""
        return self.path("rdf", f"{stage}-{index:05d}.nq.gz")


@dataclass
class TaskReport:
    """What a task tells the driver: counts, warnings and failures (JSON, so it can be saved to resume)."""

    papers: int = 0
    statements: int = 0
    tested: int = 0
    diagnostics: list[dict[str, Any]] = field(default_factory=list)
    failures: list[dict[str, Any]] = field(default_factory=list)
    merges: dict[str, int] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    #: An ``adjust`` task's smallest adjusted p-value (None: its range of p holds none).
    lowest: float | None = None
