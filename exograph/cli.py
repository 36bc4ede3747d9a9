"""The ``exograph`` command line.

Only exograph's own errors are caught: each becomes one line on stderr and a
non-zero exit. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import enum
import gc
import json
import os
import sys
import time
from pathlib import Path
from typing import Annotated, Any, NoReturn, Optional

import typer

from .errors import ExographError
from .executors import ENGINES
from .outofcore import PLAN_CHOICES, PROFILES
from .readers import INPUT_FORMATS
from .store import RESULT_FORMATS
from .version import __version__
from .writers import DEFAULT_OUTPUTS, OUTPUT_FORMATS

__all__ = ["app", "main"]

app = typer.Typer(
    name="exograph",
    help="Turn annotated biomedical papers into a knowledge graph you can load, query and look at.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

InputChoice = enum.Enum("InputChoice", {name: name for name in INPUT_FORMATS}, type=str)  # type: ignore[misc]
OutputChoice = enum.Enum("OutputChoice", {name: name for name in OUTPUT_FORMATS}, type=str)  # type: ignore[misc]
ResultChoice = enum.Enum("ResultChoice", {name: name for name in RESULT_FORMATS}, type=str)  # type: ignore[misc]
EngineChoice = enum.Enum("EngineChoice", {name: name for name in ENGINES}, type=str)  # type: ignore[misc]
PlanOption = enum.Enum("PlanOption", {name: name for name in PLAN_CHOICES}, type=str)  # type: ignore[misc]
ProfileOption = enum.Enum("ProfileOption", {name: name for name in PROFILES}, type=str)  # type: ignore[misc]


def _fail(exc: Exception, code: int = 1) -> NoReturn:
    typer.echo(f"exograph: error: {exc}", err=True)
    raise typer.Exit(code)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"exograph {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """exograph: papers and entity annotations as one knowledge graph."""


@app.command()
def build(
    inputs: Annotated[
        list[str], typer.Argument(help="Card or PubTator/BioC files, folders of them, or '-' for stdin.")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path("out"),
    input_format: Annotated[
        Optional[InputChoice], typer.Option("--format", "-f", help="Input format (default: from suffix or content).")  # noqa: UP045
    ] = None,
    outputs: Annotated[
        Optional[list[OutputChoice]],  # noqa: UP045
        typer.Option("--output", help="Output to write (repeatable; default: all but N-Quads)."),
    ] = None,
    store: Annotated[bool, typer.Option("--store/--no-store", help="Write the embedded SPARQL store.")] = True,
    strict: Annotated[bool, typer.Option("--strict", help="Stop at the first input error.")] = False,
    min_papers: Annotated[int, typer.Option(min=1, help="Co-occurrence: least number of shared papers.")] = 2,
    max_p: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Co-occurrence: largest Benjamini-Hochberg adjusted p-value.")
    ] = 0.05,
    html_max_nodes: Annotated[
        int, typer.Option(min=0, help="HTML view: show at most this many nodes, top by degree (0: all).")
    ] = 5000,
    incremental: Annotated[
        bool, typer.Option("--incremental/--clean", help="Reuse parsed inputs cached in OUT/.cache.")
    ] = True,
    graphml_full: Annotated[
        bool, typer.Option("--graphml-full", help="Write papers and authors to GraphML even for huge corpora.")
    ] = False,
    jobs: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option("--jobs", "-j", min=1, help="Processes reading inputs (default: one per core for many files)."),
    ] = None,
    mappings: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option("--mappings", help="SSSOM TSV file (or 'mondo', once fetched) to link ids with (repeatable)."),
    ] = None,
    default_mappings: Annotated[
        bool,
        typer.Option(
            "--default-mappings/--no-default-mappings", help="Use MONDO's exact matches to MeSH (shipped; CC0)."
        ),
    ] = True,
    merge_mapped: Annotated[
        bool, typer.Option("--merge-mapped", help="Merge each clique of exact matches into one node.")
    ] = False,
    engine: Annotated[
        EngineChoice,  # type: ignore[valid-type]
        typer.Option("--engine", help="Where inputs are read: this process (local) or a Dask cluster (dask)."),
    ] = EngineChoice("local"),
    scheduler: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--scheduler", help="Address of an existing Dask scheduler (tcp://HOST:8786); implies dask."),
    ] = None,
    plan: Annotated[
        PlanOption,  # type: ignore[valid-type]
        typer.Option(
            "--plan",
            help="In memory, or out of core in stages (tables; bounded memory, resumable); auto: tables on Dask "
            "and for inputs over 1 GiB.",
        ),
    ] = PlanOption("auto"),
    profile: Annotated[
        Optional[ProfileOption],  # type: ignore[valid-type]  # noqa: UP045
        typer.Option(
            "--profile",
            help="full, or compact: no per-mention offsets, and co-occurrence edges without their list of supporting "
            "papers (default for PubTator3 bulk files).",
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print errors only.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Also print how long each phase took.")] = False,
) -> None:
    """Build the graph from INPUTS and write Turtle, N-Triples, TriG, GraphML, HTML, a summary and a SPARQL store."""
    from .pipeline import build as run_build

    chosen = tuple(o.value for o in outputs) if outputs else DEFAULT_OUTPUTS
    global _skip_teardown
    # The build pauses the garbage collector and would resume it at the end; its first collection would
    # then walk every object the build made (seconds at 100,000 papers). A large build exits without
    # teardown (see main()), so there the collector stays off.
    gc.disable()
    result = None
    try:
        with _progress(quiet) as progress:
            result = run_build(
                inputs,
                out,
                input_format=input_format.value if input_format else None,
                outputs=chosen,  # type: ignore[arg-type]
                store=store,
                strict=strict,
                min_papers=min_papers,
                max_p=max_p,
                html_max_nodes=html_max_nodes,
                incremental=incremental,
                graphml_full=graphml_full,
                progress=progress,
                workers=jobs,
                mappings=mappings or (),
                default_mappings=default_mappings,
                merge_mapped=merge_mapped,
                engine=engine.value,
                scheduler=scheduler,
                plan=plan.value,
                profile=profile.value if profile else None,
            )
    except ExographError as exc:
        _fail(exc)
    finally:
        _skip_teardown = result is not None and len(result.graph.papers) >= SKIP_TEARDOWN_PAPERS
        if _skip_teardown:
            # Held until os._exit in main(): otherwise returning from this function would free the graph
            # object by object, the very teardown that skipping is meant to save.
            _retained.append(result)
        else:
            gc.enable()
    kg = result.graph
    for failure in result.failures:
        typer.echo(f"exograph: error: {failure}", err=True)
    if not quiet:
        for kind, (count, example) in kg.diagnostics.by_kind().items():
            typer.echo(f"exograph: {count} warning(s) '{kind}', e.g. {example}", err=True)
        read = result.files - len(result.failures)
        if result.plan is not None:
            counts = result.plan
            papers = counts.layout.total
            # Entities of the papers, and those a mapping added (as the in-memory graph counts them).
            entities = counts.counted("entities").get("entities", 0) + counts.counted("extras").get("mapping-node", 0)
            edges = counts.counted("cooccurrence").get("co_occurs_with", 0)
        else:
            papers, entities, edges = len(kg.papers), len(kg.entities), len(kg.cooccurrence)
        typer.echo(
            f"read {read} of {result.files} file(s) ({result.parsed} parsed, {result.cached} unchanged), "
            f"{len(result.failures)} failed; {papers} papers, {entities} entities, {edges} co-occurrence edges",
            err=True,
        )
        if result.outputs:
            typer.echo(f"wrote {', '.join(sorted(p.name for p in result.outputs.values()))} to {out}/", err=True)
        if verbose:
            typer.echo("timings: " + ", ".join(f"{k} {v:.1f} s" for k, v in result.timings.items()), err=True)
    if result.failures:
        raise typer.Exit(1)


#: From this many papers on, the build command exits without freeing the graph object by object.
SKIP_TEARDOWN_PAPERS = 10_000
_skip_teardown = False
_retained: list[object] = []


class _progress:
    """A rich progress bar on stderr when it is a terminal, else nothing."""

    def __init__(self, quiet: bool) -> None:
        self.enabled = not quiet and sys.stderr.isatty()
        self.bar: Any = None
        self.task: Any = None

    def __enter__(self) -> Any:
        if not self.enabled:
            return None
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self.bar = Progress(
            TextColumn("reading"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            TextColumn("{task.description}"),
            console=Console(stderr=True),
            transient=True,
            # No refresh thread: reading forks worker processes, which is only safe with one thread.
            auto_refresh=False,
        )
        self.bar.__enter__()
        self.task = self.bar.add_task("", total=None)

        last = 0.0

        def update(done: int, total: int, label: str) -> None:
            nonlocal last
            self.bar.update(self.task, completed=done, total=total, description=Path(label).name[:40])
            now = time.monotonic()
            if now - last > 0.1 or done == total:
                last = now
                self.bar.refresh()

        return update

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)


@app.command()
def query(
    out: Annotated[Path, typer.Argument(help="A build folder (or a store folder).")],
    sparql: Annotated[str, typer.Argument(help="SPARQL text, or a .rq file.")],
    fmt: Annotated[ResultChoice, typer.Option("--format", "-f", help="Result format.")] = ResultChoice("table"),  # type: ignore[valid-type]
    allow_service: Annotated[
        bool, typer.Option("--allow-service", help="Run SERVICE clauses (this machine fetches from their URLs).")
    ] = False,
) -> None:
    """Run a SPARQL query against OUT's embedded store. Prefixes (biolink:, MESH:, exo: ...) are predeclared."""
    from .store import format_result, open_store, run_query

    text = sparql
    candidate = Path(sparql)
    if sparql.endswith(".rq") or (len(sparql) < 4096 and "\n" not in sparql and candidate.is_file()):
        try:
            text = candidate.read_text(encoding="utf-8")
        except OSError as exc:
            _fail(ExographError(f"{sparql}: cannot read query file: {exc.strerror}"))
    try:
        result = run_query(open_store(out), text, allow_service=allow_service)
        rendered = format_result(result, fmt.value)
    except ExographError as exc:
        _fail(exc)
    if isinstance(rendered, bytes):
        sys.stdout.buffer.write(rendered)
        if rendered and not rendered.endswith(b"\n"):
            sys.stdout.buffer.write(b"\n")
        return
    header, rows = rendered
    from rich.console import Console
    from rich.table import Table

    table = Table(*header, show_lines=False, highlight=False)
    for row in rows:
        table.add_row(*[_plain(c) for c in row])
    Console(markup=False, emoji=False, highlight=False).print(table)
    typer.echo(f"{len(rows)} row(s)", err=True)


def _plain(text: str) -> Any:
    from rich.text import Text

    return Text(text)


@app.command()
def serve(
    out: Annotated[Path, typer.Argument(help="A build folder.")],
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on.")] = 7878,
    writable: Annotated[bool, typer.Option("--writable", help="Allow SPARQL Update and Graph Store writes.")] = False,
    allow_service: Annotated[
        bool, typer.Option("--allow-service", help="Run SERVICE clauses (the server fetches from their URLs).")
    ] = False,
) -> None:
    """Serve OUT's store as a SPARQL 1.1 endpoint with the oxigraph server until Ctrl-C or SIGTERM."""
    from .server import serve_forever

    try:
        serve_forever(
            out,
            host=host,
            port=port,
            writable=writable,
            allow_service=allow_service,
            announce=lambda s: typer.echo(s, err=True),
        )
    except ExographError as exc:
        _fail(exc)


@app.command()
def view(
    out: Annotated[Path, typer.Argument(help="A build folder (or an HTML file).")],
    print_only: Annotated[bool, typer.Option("--print", help="Only print the page's path.")] = False,
) -> None:
    """Open OUT/graph.html in the default browser, or print its path where there is none."""
    import webbrowser

    page = out if out.suffix == ".html" else out / "graph.html"
    if not page.is_file():
        _fail(ExographError(f"{page}: no HTML view; run 'exograph build ... -o {out}' first"))
    uri = page.resolve().as_uri()
    if not print_only:
        try:
            browser = webbrowser.get()
            if browser.open(uri):
                typer.echo(f"opened {uri}", err=True)
                return
        except webbrowser.Error:
            pass
    typer.echo(str(page.resolve()))


@app.command()
def stats(
    out: Annotated[Path, typer.Argument(help="A build folder.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print summary.json instead of the table.")] = False,
) -> None:
    """Print the summary of a build: counts per type and predicate, top entities, gaps, warnings."""
    from .writers.summary import render_markdown

    path = out / "summary.json"
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        _fail(ExographError(f"{path}: no summary; run 'exograph build ... -o {out}' first"))
    except (OSError, ValueError) as exc:
        _fail(ExographError(f"{path}: cannot read summary: {exc}"))
    typer.echo(json.dumps(summary, indent=2, ensure_ascii=False) if as_json else render_markdown(summary).rstrip())


@app.command()
def fetch(
    ids: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Argument(help="PMIDs (123, PMID:123) and PMCIDs (PMC123); commas allowed."),
    ] = None,
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder to write into (then: exograph build FOLDER).")
    ] = Path("papers"),
    full: Annotated[bool, typer.Option("--full", help="Full text where available (PMIDs) and card full text.")] = False,
    cards: Annotated[
        bool, typer.Option("--cards", help="Also fetch paper cards for PMCIDs from the card site.")
    ] = False,
    pubtator: Annotated[bool, typer.Option("--pubtator/--no-pubtator", help="Fetch PubTator3 annotations.")] = True,
    pubtator_url: Annotated[
        Optional[str], typer.Option(envvar="EXOGRAPH_PUBTATOR_URL", help="PubTator3 API base URL.")  # noqa: UP045
    ] = None,
    cards_url: Annotated[
        Optional[str], typer.Option(envvar="EXOGRAPH_CARDS_URL", help="Card site base URL.")  # noqa: UP045
    ] = None,
    cache: Annotated[Optional[Path], typer.Option(help="HTTP cache folder (default ~/.cache/exograph/http).")] = None,  # noqa: UP045
    timeout: Annotated[float, typer.Option(min=0.1, help="Seconds a whole request may take.")] = 30.0,
    retries: Annotated[int, typer.Option(min=0, help="Retries on 429, 5xx, timeouts and bad answers.")] = 5,
    mappings: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option("--mappings", help="Also download a mapping set by name (mondo); then: build --mappings mondo."),
    ] = None,
    mappings_url: Annotated[
        Optional[str], typer.Option(envvar="EXOGRAPH_MAPPINGS_URL", help="URL of the mapping set.")  # noqa: UP045
    ] = None,
) -> None:
    """Download annotated papers by id from PubTator3 (and paper cards), into a folder 'exograph build' reads."""
    from .fetch import Fetcher, fetch_mapping_set
    from .fetch import fetch as run_fetch

    if not ids and not mappings:
        _fail(ExographError("nothing to fetch: give paper ids, or --mappings mondo"))

    client = Fetcher(
        pubtator_url=pubtator_url,
        cards_url=cards_url,
        cache_dir=cache,
        timeout=timeout,
        retries=retries,
        log=lambda msg: typer.echo(f"exograph: {msg}", err=True),
    )
    try:
        for name in mappings or ():
            path = fetch_mapping_set(name, url=mappings_url, fetcher=client)
            typer.echo(
                f"exograph: mapping set {name!r} saved to {path} (use: exograph build --mappings {name})", err=True
            )
        report = (
            run_fetch(ids, out, full=full, cards=cards, pubtator=pubtator, fetcher=client) if ids else client.report
        )
    except ExographError as exc:
        _fail(exc)
    for missing in report.missing:
        typer.echo(f"exograph: error: {missing}", err=True)
    typer.echo(
        f"wrote {len(report.written)} file(s) to {out}/ ({report.requests} request(s), {report.cached} from cache)",
        err=True,
    )
    if report.missing:
        raise typer.Exit(1)


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except SystemExit as done:
        if not _skip_teardown:
            raise
        # Everything is written and closed; freeing tens of millions of objects one by one would add
        # seconds to a large build for nothing (mypy exits the same way).
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
