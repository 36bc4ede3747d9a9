"""The build: read every input, merge into one graph, write every output atomically.

Unchanged inputs are not parsed again: each file's parsed papers are cached in
``OUT/.cache`` keyed by path and a hash of the file's bytes, so a rebuild after
editing one card reads only that card and still gives output identical to a
clean build.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from pydantic import TypeAdapter

from .cooccurrence import finalize
from .diagnostics import Diagnostics
from .errors import InputError
from .executors import Engine, Executor, make_executor
from .graph import KnowledgeGraph
from .models import Diagnostic, Paper
from .outdir import BuildFolder
from .outofcore import PlanChoice, Profile
from .readers import InputFormat, list_input_files, read_papers
from .sssom import DEFAULT_MAPPINGS
from .statements import Statements
from .textio import STDIN, file_digest
from .version import __version__
from .writers import DEFAULT_OUTPUTS, FILE_NAMES, RDF_OUTPUTS, RDF_WRITERS, WRITERS, OutputFormat

if TYPE_CHECKING:
    from .outofcore import PlanResult
    from .plan import Chunk, ChunkReport
    from .sssom import MappingSet

__all__ = ["BuildResult", "build", "build_graph", "read_inputs"]

#: Above this many paper-to-entity/author/journal edges, graph.graphml is limited to the entity-level graph.
GRAPHML_PAPER_EDGE_LIMIT = 1_000_000
_PAPERS = TypeAdapter(list[Paper])
_DIAGS = TypeAdapter(list[Diagnostic])

Progress = Callable[[int, int, str], None]


@dataclass
class BuildResult:
    """What a build read, what failed, and which files it wrote."""

    graph: KnowledgeGraph
    files: int = 0
    parsed: int = 0
    cached: int = 0
    failures: list[InputError] = field(default_factory=list)
    outputs: dict[str, Path] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    #: The out-of-core plan's reports, when the build ran it (then ``graph`` holds only warnings and failures).
    plan: PlanResult | None = None

    @property
    def ok(self) -> bool:
        """True when every input was read."""
        return not self.failures


def _cache_key(path: Path, fmt: str | None) -> tuple[Path, dict[str, Any]]:
    """Cache file name (from the input's path and format) and what must match for the cache to be used.

    "Unchanged" is decided by content (BLAKE2b of the bytes), not by size and modification time, which an
    edit can keep (``touch -r``, a copy that preserves times, a clock that goes back).
    """
    ident = hashlib.sha256(os.fsencode(path.resolve()) + f"|{fmt}".encode()).hexdigest()[:32]
    meta = {"version": __version__, "digest": file_digest(path), "format": fmt}
    return Path(ident + ".json"), meta


def read_inputs(
    inputs: Sequence[str | Path],
    kg: KnowledgeGraph,
    result: BuildResult,
    *,
    input_format: InputFormat | None = None,
    strict: bool = False,
    cache_dir: Path | None = None,
    progress: Progress | None = None,
    workers: int | None = None,
    exclude: Path | None = None,
    executor: Executor | None = None,
    scratch: Path | None = None,
) -> None:
    """Read every input into ``kg``; failures are collected (or raised with ``strict``).

    Given an ``executor`` (a Dask cluster), the inputs are cut into chunks (:mod:`exograph.plan`; a large
    PubTator or bulk file into several) that the executor reads where it runs them; the chunks' graphs are
    absorbed in order, so the graph is the same as this process would have read (no parse cache is used).
    ``scratch`` is a folder every worker sees, for the pieces of gzipped bulk files.

    ``exclude`` is the build's own output folder, never read as input; nor is any other exograph output
    folder met while walking a folder. A named input that does not exist, or inputs that hold no file to
    read, stop the build before anything is written (so a previous build's outputs stay); an unreadable
    folder or a broken link met inside a folder is a failure like a malformed file.

    With many files and more than one core, batches of files are read by
    worker processes, each into a graph of its own, and the graphs are absorbed
    in file order (:meth:`KnowledgeGraph.absorb`): the result is the same as
    reading one file after the other, in about half the time on two cores.
    """
    files = _input_files(inputs, kg, result, strict=strict, exclude=exclude)
    if executor is not None:
        _read_planned(kg, files, result, executor, input_format, strict, progress, scratch)
        return
    from .plan import worth_cutting

    if scratch is not None and any(f != STDIN and worth_cutting(f, input_format) for f in files):
        # A large PubTator or bulk file is read a chunk at a time here too: the whole file's records are never
        # in memory at once (the same plan as on a cluster, run by this process).
        from .executors import LocalExecutor

        _read_planned(kg, files, result, LocalExecutor(), input_format, strict, progress, scratch)
        return
    jobs = _jobs(workers, len(files))
    live: set[str] = set()
    if jobs <= 1:
        stats = _read_files(kg, files, input_format, strict, cache_dir, progress, len(files))
        _account(result, stats, live)
    else:
        _read_parallel(kg, files, result, live, jobs, input_format, strict, cache_dir, progress)
    if cache_dir is not None and cache_dir.is_dir():
        for stale in cache_dir.glob("*.json"):
            if stale.name not in live:
                stale.unlink(missing_ok=True)


def _input_files(
    inputs: Sequence[str | Path], kg: KnowledgeGraph, result: BuildResult, *, strict: bool, exclude: Path | None
) -> list[str | Path]:
    """The files to read; an input that cannot be listed is a failure (raised with ``strict``), and no file at
    all stops the build."""
    files, problems = list_input_files([str(i) for i in inputs], exclude=exclude)
    for problem in problems:
        if strict:
            raise problem
        result.files += 1  # counted as an input that could not be read
        result.failures.append(problem)
        kg.failures.append((problem.path or "<input>", str(problem)))
    if not files and not problems:
        named = ", ".join(str(i) for i in inputs) or "(none)"
        raise InputError(f"no input file to read in {named} (cards .md/.txt, PubTator, BioC .json/.xml)")
    return files


def _read_planned(
    kg: KnowledgeGraph,
    files: list[str | Path],
    result: BuildResult,
    executor: Executor,
    input_format: InputFormat | None,
    strict: bool,
    progress: Progress | None,
    scratch: Path | None,
) -> None:
    import tempfile

    from .plan import partition, read_chunk

    with contextlib.ExitStack() as stack:
        if scratch is None:
            scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="exograph-chunks-")))
        chunks = [replace(c, spans=kg.spans) for c in partition(files, input_format, scratch=scratch)]
        _read_chunks(kg, chunks, result, executor, strict, progress, read_chunk)
        result.files += len(files)


def _read_chunks(
    kg: KnowledgeGraph,
    chunks: list[Chunk],
    result: BuildResult,
    executor: Executor,
    strict: bool,
    progress: Progress | None,
    read_chunk: Callable[[Chunk], tuple[KnowledgeGraph, ChunkReport]],
) -> None:
    failed_paths: set[str] = set()
    for done, (part, report) in enumerate(executor.map(read_chunk, chunks), start=1):
        if strict and report.failures:
            raise report.failures[0]
        kg.absorb(part)
        result.failures.extend(report.failures)
        failed_paths.update(report.chunk.label or report.chunk.path for _ in report.failures)
        if progress:
            progress(done, len(chunks), report.chunk.label or report.chunk.path)
    result.parsed += len({c.label or c.path for c in chunks} - failed_paths)


#: Fewest files per unit of work when reading in parallel (and a quarter of the fewest files worth it).
BATCH_FILES: Final = 250
#: Most files per unit of work: larger batches mean fewer entities to merge in the parent, smaller ones
#: keep both workers busy to the end.
MAX_BATCH_FILES: Final = 10000


def _jobs(workers: int | None, files: int) -> int:
    """Worker processes to use: as asked, else one per core once there is enough to read to pay for starting them."""
    if workers is None:
        workers = min(os.cpu_count() or 1, 8) if files >= 4 * BATCH_FILES else 1
    return max(1, min(workers, -(-files // BATCH_FILES)))


@dataclass
class _ReadStats:
    files: int = 0
    parsed: int = 0
    cached: int = 0
    failures: list[InputError] = field(default_factory=list)
    cache_names: list[str] = field(default_factory=list)


def _account(result: BuildResult, stats: _ReadStats, live: set[str]) -> None:
    result.files += stats.files
    result.parsed += stats.parsed
    result.cached += stats.cached
    result.failures.extend(stats.failures)
    live.update(stats.cache_names)


def _read_files(
    kg: KnowledgeGraph,
    files: Sequence[str | Path],
    input_format: InputFormat | None,
    strict: bool,
    cache_dir: Path | None,
    progress: Progress | None = None,
    total: int = 0,
) -> _ReadStats:
    stats = _ReadStats()
    for done, source in enumerate(files, start=1):
        stats.files += 1
        label = "<stdin>" if source == STDIN else str(source)
        if progress:
            progress(done, total, label)
        cache_file: Path | None = None
        meta: dict[str, Any] = {}
        if cache_dir is not None and source != STDIN:
            name, meta = _cache_key(Path(source), input_format)
            cache_file = cache_dir / name
            stats.cache_names.append(name.name)
            cached = _load_cache(cache_file, meta)
            if cached is not None:
                papers, diags = cached
                kg.diagnostics.extend(diags)
                for paper in papers:
                    kg.add(paper)
                stats.cached += 1
                continue
        local = Diagnostics()
        try:
            papers = read_papers(source, format=input_format, diagnostics=local)
        except InputError as exc:
            if strict:
                raise
            stats.failures.append(exc)
            kg.failures.append((exc.path or label, str(exc)))
            continue
        stats.parsed += 1
        kg.diagnostics.extend(local.items)
        for paper in papers:
            kg.add(paper)
        if cache_file is not None:
            _save_cache(cache_file, meta, papers, local.items)
    return stats


def _read_batch(
    files: list[str | Path], input_format: InputFormat | None, strict: bool, cache_dir: Path | None, spans: bool
) -> tuple[KnowledgeGraph, _ReadStats]:
    """Unit of work of a worker process: a batch of files read into a graph of its own."""
    gc.disable()  # see _paused_gc
    part = KnowledgeGraph(spans=spans)
    try:
        stats = _read_files(part, files, input_format, strict, cache_dir)
    except InputError as exc:
        # With --strict the first failure stops the build; the parent raises it in file order.
        stats = _ReadStats(files=len(files), failures=[exc])
    return part, stats


def _read_parallel(
    kg: KnowledgeGraph,
    files: list[str | Path],
    result: BuildResult,
    live: set[str],
    jobs: int,
    input_format: InputFormat | None,
    strict: bool,
    cache_dir: Path | None,
    progress: Progress | None,
) -> None:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from .processes import die_with_parent, parent_for, start_method

    context = multiprocessing.get_context(start_method())
    size = max(BATCH_FILES, min(MAX_BATCH_FILES, -(-len(files) // (4 * jobs))))
    batches = [files[i : i + size] for i in range(0, len(files), size)]
    done = 0
    with ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=context,
        initializer=die_with_parent,
        initargs=(parent_for(context.get_start_method()),),
    ) as pool:
        futures = [pool.submit(_read_batch, batch, input_format, strict, cache_dir, kg.spans) for batch in batches]
        try:
            for batch, future in zip(batches, futures, strict=True):
                part, stats = future.result()
                if strict and stats.failures:
                    raise stats.failures[0]
                kg.absorb(part)
                _account(result, stats, live)
                done += len(batch)
                if progress:
                    progress(done, len(files), str(batch[-1]))
        except BaseException:
            for future in futures:
                future.cancel()
            raise


def _load_cache(path: Path, meta: dict[str, Any]) -> tuple[list[Paper], list[Diagnostic]] | None:
    try:
        raw = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(raw, dict) or meta.get("digest") is None or raw.get("meta") != meta:
        return None
    try:
        return _PAPERS.validate_python(raw["papers"]), _DIAGS.validate_python(raw["diagnostics"])
    except (KeyError, ValueError):
        return None


def _save_cache(path: Path, meta: dict[str, Any], papers: list[Paper], diags: list[Diagnostic]) -> None:
    from .atomic import atomic_open

    payload = {
        "meta": meta,
        "papers": _PAPERS.dump_python(papers, mode="json"),
        "diagnostics": _DIAGS.dump_python(diags, mode="json"),
    }
    with atomic_open(path) as handle:
        handle.write(json.dumps(payload, ensure_ascii=False).encode("utf-8"))


@contextlib.contextmanager
def _timed(result: BuildResult, phase: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        result.timings[phase] = result.timings.get(phase, 0.0) + time.perf_counter() - start


def _paper_edges(kg: KnowledgeGraph) -> int:
    return sum(len(n.mentions) + len(n.about) + len(n.paper.authors) + 1 for n in kg.papers.values())


@contextlib.contextmanager
def _paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector for the build.

    A build allocates tens of millions of small objects and frees few; the
    collector would scan the growing heap again and again (a quarter of the
    reading time) to find almost no cycles. Reference counting still frees
    everything that is not in a cycle, and the collector resumes afterwards.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@_paused_gc()
def build(
    inputs: Sequence[str | Path],
    out_dir: str | Path | None = None,
    *,
    input_format: InputFormat | None = None,
    outputs: Sequence[OutputFormat] = DEFAULT_OUTPUTS,
    store: bool = True,
    strict: bool = False,
    min_papers: int = 2,
    max_p: float = 0.05,
    html_max_nodes: int | None = None,
    incremental: bool = True,
    graphml_full: bool = False,
    progress: Progress | None = None,
    workers: int | None = None,
    mappings: Sequence[str | Path] = (),
    default_mappings: bool = True,
    merge_mapped: bool = False,
    engine: Engine = "local",
    scheduler: str | None = None,
    plan: PlanChoice = "auto",
    profile: Profile | None = None,
) -> BuildResult:
    """Read inputs, build the graph and write outputs to ``out_dir`` (nothing is written without one).

    ``workers`` sets how many processes read the inputs (default: one per core
    for large inputs, else one); the graph is the same whatever the number.
    ``engine="dask"`` reads on a Dask ``LocalCluster`` of ``workers`` processes, ``scheduler``
    (``tcp://host:8786``) on an existing cluster; the graph and outputs are the same as the local engine's.
    ``mappings`` are SSSOM files applied besides MONDO's exact matches to MeSH
    (unless ``default_mappings`` is false): mapped ids are linked, and with
    ``merge_mapped`` each clique of exact matches becomes one node.

    ``plan`` says how the graph is built: in this process's memory (``"memory"``), or by the out-of-core
    plan (``"tables"``: :mod:`exograph.outofcore`, in bounded memory, its stages run by ``engine``);
    ``"auto"`` takes the plan on Dask and for inputs over :data:`PLAN_AUTO_BYTES`. Both give the same
    statements. ``profile`` ``"compact"`` leaves out per-mention spans (offsets), keeping mention counts, and
    the supporting papers of co-occurrence edges, keeping their statistics, and puts each paper's statements
    in the default graph rather than a named graph of its own; it is the default when an input is a PubTator3
    bulk file (which has no offsets), else ``"full"``.

    >>> from exograph import build
    >>> result = build(["seeds/"])
    >>> len(result.graph.papers), result.ok
    (1, True)
    """
    chosen_profile = profile or _default_profile(inputs, input_format)
    full = chosen_profile == "full"
    kg = KnowledgeGraph(spans=full, edge_papers=full, paper_graphs=full)
    result = BuildResult(graph=kg)
    options = _Options(
        input_format=input_format,
        strict=strict,
        progress=progress,
        workers=workers,
        mapping_sources=[*([DEFAULT_MAPPINGS] if default_mappings else []), *mappings],
        merge_mapped=merge_mapped,
        engine=engine,
        scheduler=scheduler,
    )
    if out_dir is None:
        if _read_all(inputs, kg, result, options, cache_dir=None, exclude=None):
            with _timed(result, "co-occurrence"):
                finalize(kg, min_papers=min_papers, max_p=max_p)
        return result
    out = Path(out_dir)
    if _use_plan(plan, options, inputs):
        if graphml_full:
            from .errors import UsageError

            raise UsageError("--graphml-full needs the in-memory plan (--plan memory)")
        settings = {"min_papers": min_papers, "max_p": max_p, "outputs": list(outputs), "store": store}
        return _build_planned(inputs, out, kg, result, options, settings, html_max_nodes=html_max_nodes)
    with BuildFolder(out) as folder:
        cache_dir = folder.cache_dir if incremental else None
        scratch = folder.temporary("chunks")  # inside OUT: where every worker of a cluster can read
        if not _read_all(inputs, kg, result, options, cache_dir=cache_dir, exclude=out, scratch=scratch):
            return result  # nothing read: the previous outputs stay as they are
        generation = folder.generation
        rdf_outputs = set(RDF_OUTPUTS) & set(outputs)
        statements = Statements(kg)
        if store or rdf_outputs:
            # RDF generation starts with entity and paper statements, which do not need co-occurrence.
            from .background import start_cooccurrence

            start = time.perf_counter()
            statements = start_cooccurrence(
                kg, min_papers=min_papers, max_p=max_p, text=folder.temporary("cooccurrence.nt")
            )
            assert statements.pending is not None
            statements.pending.add_done_callback(
                lambda _: result.timings.setdefault("co-occurrence", time.perf_counter() - start)
            )
        else:
            with _timed(result, "co-occurrence"):
                finalize(kg, min_papers=min_papers, max_p=max_p)
        if store or len(rdf_outputs) > 1:
            from .rdf import materialize

            with _timed(result, "rdf"):
                statements = materialize(statements, folder.temporary("graph.nq"))
        _write_outputs(
            statements, generation, outputs, result, html_max_nodes=html_max_nodes, graphml_full=graphml_full
        )
        if store:
            from .store import STORE_DIR, write_store

            with _timed(result, "store"):
                result.outputs["store"] = write_store(statements, generation / STORE_DIR)
        kg.cooccurrence = statements.edges()
        folder.publish()
        result.outputs = {fmt: out / path.relative_to(generation) for fmt, path in result.outputs.items()}
    return result


def build_graph(papers: Iterable[Paper], *, min_papers: int = 2, max_p: float = 0.05) -> KnowledgeGraph:
    """Merge papers into one graph and compute its co-occurrence statistics (no files written).

    >>> from exograph import read_card, build_graph
    >>> kg = build_graph([read_card("seeds/000_d081ed892fcfcee2.txt")])
    >>> len(kg.papers), len(kg.entities)
    (1, 104)
    """
    kg = KnowledgeGraph()
    for paper in papers:
        kg.add(paper)
    finalize(kg, min_papers=min_papers, max_p=max_p)
    return kg


#: With ``plan="auto"``, inputs larger than this (a gzip file counted at five times its size) take the
#: out-of-core plan: past it, the in-memory graph needs more memory than a laptop has.
PLAN_AUTO_BYTES: Final = 1 << 30


def _default_profile(inputs: Sequence[str | Path], input_format: InputFormat | None) -> Profile:
    """Compact when an input is a PubTator3 bulk file (it has no offsets to keep), else full."""
    if input_format == "pubtator3-bulk":
        return "compact"
    from .plan import sniff

    for name in inputs:
        path = Path(name)
        if str(name) != STDIN and path.is_file() and sniff(str(path)) == "pubtator3-bulk":
            return "compact"
    return "full"


def _use_plan(plan: PlanChoice, options: _Options, inputs: Sequence[str | Path]) -> bool:
    if plan != "auto":
        return plan == "tables"
    if options.engine == "dask" or options.scheduler is not None:
        return True
    from .outofcore import input_bytes

    return sum(input_bytes(str(i)) for i in inputs if str(i) != STDIN and Path(i).is_file()) > PLAN_AUTO_BYTES


def _build_planned(
    inputs: Sequence[str | Path],
    out: Path,
    kg: KnowledgeGraph,
    result: BuildResult,
    options: _Options,
    settings: dict[str, Any],
    *,
    html_max_nodes: int | None,
) -> BuildResult:
    """The build by the out-of-core plan: stages run by the executor, outputs made from the shards."""
    import shutil

    from .executors import LocalExecutor
    from .outofcore import plan_key, run_plan
    from .planoutputs import write_plan_outputs

    if options.merge_mapped:
        from .errors import UsageError

        raise UsageError("--merge-mapped needs the in-memory plan (--plan memory) for now")
    outputs: list[OutputFormat] = settings["outputs"]
    with BuildFolder(out) as folder:
        files = _input_files(inputs, kg, result, strict=options.strict, exclude=out)
        if not files:
            return result
        sets = _mapping_sets(result, options.mapping_sources, strict=options.strict)
        kept = {"spans": kg.spans, "edge_papers": kg.edge_papers, "paper_graphs": kg.paper_graphs}
        key = plan_key(files, {**settings, "format": options.input_format, **kept, "sets": len(sets)})
        work_root = folder.state / "work"
        if work_root.is_dir():
            for stale in work_root.iterdir():  # a stopped build of other inputs: never resumed now
                if stale.name != key:
                    shutil.rmtree(stale, ignore_errors=True)
        distributed = options.engine == "dask" or options.scheduler is not None
        executor = (
            make_executor(options.engine, workers=options.workers, scheduler=options.scheduler)
            if distributed
            else LocalExecutor()
        )
        try:
            with _timed(result, "plan"):
                planned = run_plan(
                    files,
                    work_root / key,
                    executor,
                    input_format=options.input_format,
                    spans=kg.spans,
                    edge_papers=kg.edge_papers,
                    paper_graphs=kg.paper_graphs,
                    min_papers=settings["min_papers"],
                    max_p=settings["max_p"],
                    mapping_sets=sets,
                    strict=options.strict,
                    progress=options.progress,
                )
        finally:
            executor.close()
        result.plan = planned
        result.timings.update({f"plan:{stage}": seconds for stage, seconds in planned.timings.items()})
        result.files += len(files)
        result.failures.extend(planned.failures)
        kg.failures.extend((f.path or "<input>", str(f)) for f in planned.failures)
        result.parsed += len({str(f) for f in files} - {f.path for f in planned.failures})
        if planned.layout.total == 0 and planned.failures:
            return result  # nothing read: the previous outputs stay as they are
        generation = folder.generation
        with _timed(result, "outputs"):
            written = write_plan_outputs(
                planned,
                generation,
                outputs,
                store=settings["store"],
                mapping_sets=sets,
                html_max_nodes=html_max_nodes,
            )
        kg.diagnostics.extend(planned.diagnostics)
        folder.publish()
        shutil.rmtree(work_root / key, ignore_errors=True)
        result.outputs = {fmt: out / path.relative_to(generation) for fmt, path in written.items()}
    return result


@dataclass(frozen=True)
class _Options:
    """How inputs are read and mapped (the build's arguments that reading needs)."""

    input_format: InputFormat | None
    strict: bool
    progress: Progress | None
    workers: int | None
    mapping_sources: list[str | Path]
    merge_mapped: bool
    engine: Engine = "local"
    scheduler: str | None = None


def _read_all(
    inputs: Sequence[str | Path],
    kg: KnowledgeGraph,
    result: BuildResult,
    options: _Options,
    *,
    cache_dir: Path | None,
    exclude: Path | None,
    scratch: Path | None = None,
) -> bool:
    """Read every input and apply the mapping sets; False when nothing could be read."""
    if cache_dir is not None:
        cache_dir.mkdir(parents=True, exist_ok=True)
    distributed = options.engine == "dask" or options.scheduler is not None
    executor = (
        make_executor(options.engine, workers=options.workers, scheduler=options.scheduler) if distributed else None
    )
    try:
        with _timed(result, "read"):
            read_inputs(
                inputs,
                kg,
                result,
                input_format=options.input_format,
                strict=options.strict,
                cache_dir=cache_dir,
                progress=options.progress,
                workers=options.workers,
                exclude=exclude,
                executor=executor,
                scratch=scratch,
            )
    finally:
        if executor is not None:
            executor.close()
    if not kg.papers and result.failures:
        return False
    if options.mapping_sources:
        with _timed(result, "mappings"):
            _apply_mappings(kg, result, options.mapping_sources, merge=options.merge_mapped, strict=options.strict)
    return True


def _apply_mappings(
    kg: KnowledgeGraph, result: BuildResult, sources: Sequence[str | Path], *, merge: bool, strict: bool
) -> None:
    """Link (and with ``merge``, merge) the graph's ids through SSSOM mapping sets; a malformed set is a failure
    like a malformed input: reported with file and line, the build going on without it."""
    from .mapping import link_mappings, merge_mapped

    link_mappings(kg, _mapping_sets(result, sources, strict=strict))
    if merge:
        merge_mapped(kg)


def _mapping_sets(result: BuildResult, sources: Sequence[str | Path], *, strict: bool) -> list[MappingSet]:
    """The mapping sets named by ``sources`` (files, or names of sets fetched by ``exograph fetch --mappings``)."""
    from .sssom import read_sssom

    sets: list[MappingSet] = []
    for source in sources:
        try:
            if isinstance(source, str) and not Path(source).exists() and source.isidentifier():
                from .fetch import mapping_set_path  # a set downloaded by 'exograph fetch --mappings NAME'

                named = mapping_set_path(source)
                if not named.is_file():
                    raise InputError(f"mapping set {source!r} is not downloaded: exograph fetch --mappings {source}")
                source = named
            sets.append(read_sssom(source))
        except InputError as exc:
            if strict:
                raise
            result.failures.append(exc)
    return sets


def _write_outputs(
    statements: Statements,
    out: Path,
    outputs: Sequence[OutputFormat],
    result: BuildResult,
    *,
    html_max_nodes: int | None,
    graphml_full: bool,
) -> None:
    """Each output in turn: RDF from ``statements``, the others from the graph once its co-occurrence edges are in."""
    kg = statements.graph
    for fmt in outputs:
        with _timed(result, fmt):
            if fmt in RDF_WRITERS:
                RDF_WRITERS[fmt](statements, out / FILE_NAMES[fmt])  # type: ignore[index]
                result.outputs[fmt] = out / FILE_NAMES[fmt]
                continue
            kg.cooccurrence = statements.edges()
            _write_one(kg, out, fmt, result, html_max_nodes=html_max_nodes, graphml_full=graphml_full)


def _write_one(
    kg: KnowledgeGraph,
    out: Path,
    fmt: OutputFormat,
    result: BuildResult,
    *,
    html_max_nodes: int | None,
    graphml_full: bool,
) -> None:
    path = out / FILE_NAMES[fmt]
    if fmt == "html" and html_max_nodes is not None:
        from .writers.html import write_html

        write_html(kg, path, max_nodes=html_max_nodes)
    elif fmt == "graphml" and not graphml_full and (edges := _paper_edges(kg)) > GRAPHML_PAPER_EDGE_LIMIT:
        from .writers.graphml import write_graphml

        kg.diagnostics.warn(
            "graphml-entity-level",
            f"{edges:,} paper edges are more than Cytoscape and Gephi handle; graph.graphml holds "
            "entities and co-occurrence edges only (use --graphml-full for everything)",
        )
        write_graphml(kg, path, entities_only=True)
    else:
        WRITERS[fmt](kg, path)
    result.outputs[fmt] = path
