"""The build: read every input, merge into one graph, write every output atomically.

Unchanged inputs are not parsed again: each file's parsed papers are cached in
``OUT/.cache`` keyed by path, size and modification time, so a rebuild after
editing one card reads only that card and still gives output identical to a
clean build.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from . import __version__
from .diagnostics import Diagnostics
from .errors import InputError
from .graph import KnowledgeGraph
from .models import Diagnostic, Paper
from .readers import InputFormat, iter_input_files, read_papers
from .textio import STDIN
from .writers import DEFAULT_OUTPUTS, FILE_NAMES, WRITERS, OutputFormat

__all__ = ["CACHE_DIR", "BuildResult", "build", "read_inputs"]

CACHE_DIR = ".cache"
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

    @property
    def ok(self) -> bool:
        """True when every input was read."""
        return not self.failures


def _cache_key(path: Path, fmt: str | None) -> tuple[Path, dict[str, Any]]:
    stat = path.stat()
    ident = hashlib.sha256(f"{path.resolve()}|{fmt}".encode()).hexdigest()[:32]
    meta = {"version": __version__, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "format": fmt}
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
) -> None:
    """Read every input into ``kg``; failures are collected (or raised with ``strict``)."""
    files = list(iter_input_files([str(i) for i in inputs]))
    live_cache: set[Path] = set()
    for done, source in enumerate(files, start=1):
        result.files += 1
        label = "<stdin>" if source == STDIN else str(source)
        if progress:
            progress(done, len(files), label)
        cache_file: Path | None = None
        meta: dict[str, Any] = {}
        if cache_dir is not None and source != STDIN:
            name, meta = _cache_key(Path(source), input_format)
            cache_file = cache_dir / name
            live_cache.add(name)
            cached = _load_cache(cache_file, meta)
            if cached is not None:
                papers, diags = cached
                kg.diagnostics.extend(diags)
                for paper in papers:
                    kg.add(paper)
                result.cached += 1
                continue
        local = Diagnostics()
        try:
            papers = read_papers(source, format=input_format, diagnostics=local)
        except InputError as exc:
            if strict:
                raise
            result.failures.append(exc)
            kg.failures.append((exc.path or label, str(exc)))
            continue
        result.parsed += 1
        kg.diagnostics.extend(local.items)
        for paper in papers:
            kg.add(paper)
        if cache_file is not None:
            _save_cache(cache_file, meta, papers, local.items)
    if cache_dir is not None and cache_dir.is_dir():
        live = {p.name for p in live_cache}
        for stale in cache_dir.glob("*.json"):
            if stale.name not in live:
                stale.unlink(missing_ok=True)


def _load_cache(path: Path, meta: dict[str, Any]) -> tuple[list[Paper], list[Diagnostic]] | None:
    try:
        raw = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    if raw.get("meta") != meta:
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
) -> BuildResult:
    """Read inputs, build the graph and write outputs to ``out_dir`` (nothing is written without one).

    >>> from exograph import build
    >>> result = build(["seeds/"])
    >>> len(result.graph.papers), result.ok
    (1, True)
    """
    kg = KnowledgeGraph()
    result = BuildResult(graph=kg)
    out = Path(out_dir) if out_dir is not None else None
    cache_dir = out / CACHE_DIR if (out is not None and incremental) else None
    if cache_dir is not None:
        cache_dir.mkdir(parents=True, exist_ok=True)
    with _timed(result, "read"):
        read_inputs(
            inputs, kg, result, input_format=input_format, strict=strict, cache_dir=cache_dir, progress=progress
        )
    if not kg.papers and result.failures:
        return result
    with _timed(result, "co-occurrence"):
        kg.finalize(min_papers=min_papers, max_p=max_p)
    if out is None:
        return result
    out.mkdir(parents=True, exist_ok=True)
    rdf_outputs = {"turtle", "ntriples", "nquads", "trig"} & set(outputs)
    if store or len(rdf_outputs) > 1:
        from .rdf import materialize

        cache_file = out / ".graph.nq.part"
        with _timed(result, "rdf"):
            materialize(kg, cache_file)
    try:
        _write_outputs(kg, out, outputs, result, html_max_nodes=html_max_nodes, graphml_full=graphml_full)
        if store:
            from .store import STORE_DIR, write_store

            with _timed(result, "store"):
                result.outputs["store"] = write_store(kg, out / STORE_DIR)
    finally:
        if kg.rdf_cache is not None:
            kg.rdf_cache.unlink(missing_ok=True)
            kg.rdf_cache = None
    return result


def _write_outputs(
    kg: KnowledgeGraph,
    out: Path,
    outputs: Sequence[OutputFormat],
    result: BuildResult,
    *,
    html_max_nodes: int | None,
    graphml_full: bool,
) -> None:
    for fmt in outputs:
        with _timed(result, fmt):
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
