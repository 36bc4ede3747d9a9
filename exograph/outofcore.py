"""The out-of-core build: the stages of :mod:`exograph.stages` run by an executor, resumable, in bounded memory.

Every stage is a list of independent tasks handed to an executor (this process,
or a Dask cluster: :mod:`exograph.executors`); the driver here only waits for a
stage to finish, saves each task's report, and runs the two small corpus-wide
steps between stages (which papers are one paper; Benjamini-Hochberg from the
p-value histograms). Tables and statement shards live in a work folder named by
a digest of the inputs and settings (:func:`plan_key`), so a build that was
stopped and started again with the same inputs skips every task already done.
Memory is bounded by a bucket's share of the corpus, never by the corpus: the
number of buckets grows with the input.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal, TypeVar, get_args

from .errors import ExographError, InputError
from .memory import RESIDENT_KEEP, keep_freed_memory, release_memory
from .models import Diagnostic
from .stages import Layout, TaskReport
from .textio import file_digest
from .version import __version__

if TYPE_CHECKING:
    from .executors import Executor
    from .readers import InputFormat
    from .sssom import MappingSet

__all__ = [
    "PLAN_BUCKET_BYTES",
    "PLAN_CHOICES",
    "PROFILES",
    "PlanChoice",
    "PlanResult",
    "Profile",
    "StageError",
    "input_bytes",
    "plan_key",
    "run_plan",
]

T = TypeVar("T")

#: How a build is made: in this process's memory, out of core in stages (tables), or chosen by input size.
PlanChoice = Literal["auto", "memory", "tables"]
PLAN_CHOICES: Final[tuple[PlanChoice, ...]] = get_args(PlanChoice)
#: What a build keeps: everything (``full``), or what scales to PubTator3 (``compact``): mention counts without
#: offsets, co-occurrence edges with their statistics but without the list of the papers that support them, and
#: each paper's statements in the default graph rather than a named graph of its own.
Profile = Literal["full", "compact"]
PROFILES: Final[tuple[Profile, ...]] = get_args(Profile)

#: Input bytes per bucket: each task of a bucketed stage holds about this much of the corpus in memory.
PLAN_BUCKET_BYTES: Final = 32 << 20
#: Stages whose tasks write statement shards, in the order the shards are numbered.
SHARD_STAGES: Final = ("entities", "papers", "counts", "cooccurrence", "direct", "extras")

Progress = Callable[[int, int, str], None]


class StageError(ExographError):
    """A task of the out-of-core plan failed for a reason that is not the input's (named with its stage)."""


@dataclass
class PlanResult:
    """What the plan read and wrote: per-stage reports, the shards in order, failures and warnings."""

    layout: Layout
    reports: dict[str, list[TaskReport]] = field(default_factory=dict)
    failures: list[InputError] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    resumed: int = 0
    #: Wall-clock seconds per stage (of this run: a resumed stage counts only the tasks it ran).
    timings: dict[str, float] = field(default_factory=dict)

    def shards(self) -> list[tuple[Path, int]]:
        """Every statement shard with its statement count, in output order."""
        out = []
        for stage in SHARD_STAGES:
            for index, report in enumerate(self.reports.get(stage, [])):
                out.append((self.layout.shard(stage, index), report.statements))
        return out

    def total(self, stage: str, attribute: str) -> int:
        """A count summed over a stage's tasks."""
        return sum(int(getattr(r, attribute)) for r in self.reports.get(stage, []))

    def counted(self, stage: str) -> dict[str, int]:
        """The ``counts`` of a stage's tasks, summed."""
        out: dict[str, int] = {}
        for report in self.reports.get(stage, []):
            for key, value in report.counts.items():
                out[key] = out.get(key, 0) + value
        return out


#: The work folder's table set: raised when a stage writes a table it did not before, or inputs are cut
#: into chunks differently, so that a build stopped by an older exograph is started afresh rather than
#: resumed with a table missing or tasks numbered otherwise.
WORK_TABLES: Final = 11


def plan_key(files: Sequence[str | Path], settings: dict[str, Any]) -> str:
    """Digest of the inputs' bytes and the settings: the name of the work folder a stopped build resumes from."""
    digest = hashlib.blake2b(digest_size=16)
    stamp = {"version": __version__, "tables": WORK_TABLES, **settings}
    digest.update(json.dumps(stamp, sort_keys=True, default=str).encode())
    for name in files:
        digest.update(os.fsencode(str(Path(name).resolve())) + b"\0")
        digest.update((file_digest(name) or "<unreadable>").encode())
    return digest.hexdigest()


def run_plan(
    files: Sequence[str | Path],
    work: Path,
    executor: Executor,
    *,
    input_format: InputFormat | None = None,
    spans: bool = False,
    edge_papers: bool = True,
    paper_graphs: bool = True,
    min_papers: int = 2,
    max_p: float = 0.05,
    mapping_sets: Sequence[MappingSet] = (),
    strict: bool = False,
    progress: Progress | None = None,
    buckets: int | None = None,
) -> PlanResult:
    """Run every stage over ``files`` with ``executor``; tables and shards go to ``work`` (resumed if there)."""
    from . import plan
    from .cooccurrence import DEFAULT_PAIRS
    from .stages.adjust import adjust_task, gather_carry, gather_rank_offsets, p_ranges
    from .stages.cooccur import cooccurrence_task, direct_task, pairs_task
    from .stages.entities import counts_task, entities_task
    from .stages.papers import papers_task
    from .stages.read import read_task
    from .stages.schemas import gather_vocabulary

    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    chunk_bytes = plan.CHUNK_BYTES
    slots = executor.slots  # asked once: on Dask it is a round trip to the scheduler
    if slots > 1:  # several chunks per worker, so that the read stage ends with every worker busy
        total = sum(input_bytes(str(f)) for f in files)
        chunk_bytes = max(min(chunk_bytes, 4 << 20), min(chunk_bytes, total // (4 * slots)))
    pieces = plan.partition(list(files), input_format, scratch=work / "chunks", chunk_bytes=chunk_bytes)
    chunks = [replace(c, spans=spans) for c in pieces]
    if buckets is None:
        # Enough buckets that each task holds a bounded share of the corpus, and, on a cluster, several tasks
        # per worker so that they finish together.
        size = sum(input_bytes(c.path) if c.end is None else c.end - c.start for c in chunks)
        wanted = -(-size // PLAN_BUCKET_BYTES)
        buckets = max(1, min(4096, wanted if slots == 1 else max(wanted, 4 * slots)))
    layout = Layout(
        root=str(work),
        buckets=buckets,
        spans=spans,
        edge_papers=edge_papers,
        paper_graphs=paper_graphs,
        pairs=DEFAULT_PAIRS,
        min_papers=min_papers,
        max_p=max_p,
        labels=tuple(c.label or c.path for c in chunks),
    )
    result = PlanResult(layout)
    result.timings["partition"] = time.perf_counter() - started
    run = functools.partial(_stage, result=result, executor=executor, progress=progress)

    reports = run("read", read_task, chunks)
    for report in reports:
        for failure in report.failures:
            error = _input_error(failure)
            if strict:
                raise error
            result.failures.append(error)
    # The pieces spilled from gzipped inputs are read, and the largest part of the work folder (several times
    # the gzipped input): their disk goes back now, not when the build ends. A build started again spills its
    # inputs afresh whatever is left, so a resumed build never needs them.
    shutil.rmtree(work / "chunks", ignore_errors=True)
    _identity(layout)
    run("entities", entities_task, range(buckets))
    gather_vocabulary(layout, "entities")
    papers = run("papers", papers_task, range(buckets))
    layout = replace(layout, total=sum(r.papers for r in papers))
    result.layout = layout
    run("counts", counts_task, range(buckets), layout=layout)
    gather_vocabulary(layout, "counts")
    tested = sum(r.tested for r in run("pairs", pairs_task, range(layout.pair_buckets), layout=layout))
    layout = replace(layout, tested=tested)
    result.layout = layout
    gather_rank_offsets(layout)
    gather_carry(layout, run("adjust", adjust_task, range(p_ranges(layout)), layout=layout))
    run("cooccurrence", cooccurrence_task, range(layout.pair_buckets), layout=layout)
    run("direct", direct_task, range(buckets), layout=layout)
    started = time.perf_counter()
    result.reports["extras"] = [_extras(layout, mapping_sets, result)]
    result.timings["extras"] = time.perf_counter() - started
    for stage_reports in result.reports.values():
        for report in stage_reports:
            result.diagnostics.extend(Diagnostic.model_validate(d) for d in report.diagnostics)
    return result


def input_bytes(path: str) -> int:
    """A file's size, a gzip file's counted at five times (about what it holds)."""
    from .plan import is_gzip

    try:
        size = os.path.getsize(path)
    except OSError:
        return 0
    return size * 5 if is_gzip(path) else size


def _stage(
    name: str,
    function: Callable[[Layout, T], TaskReport],
    items: Sequence[T],
    *,
    result: PlanResult,
    executor: Executor,
    progress: Progress | None,
    layout: Layout | None = None,
) -> list[TaskReport]:
    """Run a stage's tasks that are not done yet; each finished task's report is saved (that is what resumes)."""
    started = time.perf_counter()
    layout = layout or result.layout
    done_dir = layout.path("done", name)
    done_dir.mkdir(parents=True, exist_ok=True)
    items = list(items)
    reports: dict[int, TaskReport] = {}
    for index in range(len(items)):
        marker = done_dir / f"{index:05d}.json"
        if marker.is_file():
            reports[index] = TaskReport(**json.loads(marker.read_text(encoding="utf-8")))
            result.resumed += 1
    pending = [i for i in range(len(items)) if i not in reports]
    task = functools.partial(_run_task, function, layout)
    finished = len(reports)
    results = executor.map(task, [items[i] for i in pending])
    for index in pending:
        try:
            report = next(results)
        except ExographError:
            raise
        except Exception as exc:  # a worker's failure comes back as whatever it raised
            raise StageError(f"stage {name!r} failed: {type(exc).__name__}: {exc}") from exc
        marker = done_dir / f"{index:05d}.json"
        partial = marker.with_suffix(".partial")
        partial.write_text(json.dumps(asdict(report)), encoding="utf-8")
        os.replace(partial, marker)
        reports[index] = report
        finished += 1
        if progress is not None:
            progress(finished, len(items), name)
    ordered = [reports[i] for i in range(len(items))]
    result.reports[name] = ordered
    result.timings[name] = time.perf_counter() - started
    return ordered


def _run_task(function: Callable[[Layout, T], TaskReport], layout: Layout, item: T) -> TaskReport:
    """One task, with the cyclic garbage collector paused: a task makes millions of small objects and frees
    them together at its end, and a worker process (Dask's) would otherwise scan them again and again. Freed
    memory is kept for the next task unless the process holds much of it (:mod:`exograph.memory`)."""
    import gc

    keep_freed_memory()
    enabled = gc.isenabled()
    gc.disable()
    try:
        return function(layout, item)
    finally:
        if enabled:
            gc.enable()
        release_memory(above=RESIDENT_KEEP)


def _input_error(record: dict[str, Any]) -> InputError:
    from . import errors

    cls = getattr(errors, str(record.get("class")), InputError)
    if not (isinstance(cls, type) and issubclass(cls, InputError)):
        cls = InputError
    return cls(record["message"], path=record.get("path"), line=record.get("line"), column=record.get("column"))


def _identity(layout: Layout) -> None:
    """Papers that share an id across sources (a PMID here, the same paper's PMCID there) are one paper: the
    keys of each group go to one bucket (``identity.json``: key -> the group's key, only for such keys)."""
    from .stages.papers import IDENTITY
    from .stages.schemas import IDS_SCHEMA
    from .tables import read_tables

    table = read_tables(layout.parts("read", "ids"), IDS_SCHEMA)
    parent: dict[str, str] = {}

    def find(key: str) -> str:
        root = key
        while parent.get(root, root) != root:
            root = parent[root]
        while parent.get(key, key) != root:
            parent[key], key = root, parent[key]
        return root

    for ids in table["ids"].to_pylist():
        for key in ids:
            parent.setdefault(key, key)
        first = find(ids[0])
        for other in ids[1:]:
            root = find(other)
            if root != first:
                low, high = sorted((first, root))
                parent[high] = low
                first = low
    moved = {key: find(key) for key in parent if find(key) != key}
    path = layout.path(IDENTITY)
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(moved, sort_keys=True), encoding="utf-8")
    os.replace(partial, path)


def _extras(layout: Layout, mapping_sets: Sequence[MappingSet], result: PlanResult) -> TaskReport:
    """Authors, journals and mappings: corpus-wide but small, written by the driver as the last shard."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from .graph import EntityNode, KnowledgeGraph
    from .mapping import link_mappings
    from .rdf import NodeIris, agents_text, entity_text, mapping_text
    from .stages.schemas import AGENT_SCHEMA, TYPE_SCHEMA, entity_types
    from .tables import read_tables, string_array, write_table
    from .writers.shards import write_shard

    agents = read_tables(layout.parts("papers", "agents"), AGENT_SCHEMA)
    names: dict[str, dict[str, str]] = {"Author": {}, "Journal": {}}
    for kind, key, name in zip(*(agents[c].to_pylist() for c in ("kind", "key", "name")), strict=True):
        names[kind].setdefault(key, name)
    iris = NodeIris()
    texts = [agents_text(kind, dict(sorted(found.items())), iris) for kind, found in names.items()]
    report = TaskReport()
    report.counts = {"Author": len(names["Author"]), "Journal": len(names["Journal"])}
    if mapping_sets:
        wanted = sorted({key for s in mapping_sets for m in s.mappings for key in (m.subject, m.object)})
        types = entity_types(layout)
        present = types.filter(pc.is_in(types["key"], value_set=string_array(wanted)))
        skeleton = KnowledgeGraph()
        for key, etype, curie in zip(*(present[c].to_pylist() for c in ("key", "type", "curie")), strict=True):
            skeleton.entities[key] = EntityNode(key=key, type=etype, curie=curie)
        before = set(skeleton.entities)
        link_mappings(skeleton, mapping_sets)
        added = sorted(set(skeleton.entities) - before)
        texts.extend(entity_text(skeleton.entities[key], iris) for key in added)
        if skeleton.mappings:
            texts.append(mapping_text(skeleton.mappings, iris))
        report.diagnostics = [d.model_dump() for d in skeleton.diagnostics.items]
        report.counts["mapping-node"] = len(added)
        report.counts["mappings"] = len(skeleton.mappings)
        for m in skeleton.mappings:
            report.counts[f"mapping:{m.predicate}"] = report.counts.get(f"mapping:{m.predicate}", 0) + 1
        report.merges = {"mapping-node": len(added)}
        nodes = [skeleton.entities[key] for key in added]
        write_table(
            pa.table(
                {
                    "key": added,
                    "type": [n.type for n in nodes],
                    "curie": [n.curie for n in nodes],
                    "label": [n.label for n in nodes],
                },
                schema=TYPE_SCHEMA,
            ),
            layout.path("extras", "nodes.arrow"),
        )
    report.statements = write_shard(layout.shard("extras", 0), texts)
    return report
