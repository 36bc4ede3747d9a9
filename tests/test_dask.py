"""The build plan on Dask: the same triples as the local engine, on a real multi-process cluster on 127.0.0.1."""

from __future__ import annotations

import contextlib
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from exograph.pipeline import build
from exograph.plan import partition, read_chunk

from .conftest import FIXTURES, SEEDS, shared

pytest.importorskip("distributed", reason="Dask is not installed (pip install 'exograph[dask]')")
pytestmark = pytest.mark.server

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from pubtator3_bulk import write_bulk  # noqa: E402


def _dask_command() -> list[str]:
    found = shutil.which("dask", path=str(Path(sys.executable).parent)) or shutil.which("dask")
    if found is None:
        pytest.skip("the 'dask' command is not installed")
    return [found]


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    """``dask scheduler`` and two ``dask worker`` processes on 127.0.0.1, started and stopped here."""
    dask = _dask_command()
    scheduler = subprocess.Popen(
        [*dask, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    workers: list[subprocess.Popen[str]] = []
    try:
        address = None
        deadline = time.monotonic() + 60
        assert scheduler.stderr is not None
        while address is None and time.monotonic() < deadline:
            line = scheduler.stderr.readline()
            match = re.search(r"Scheduler at:\s+(tcp://127\.0\.0\.1:\d+)", line)
            if match:
                address = match.group(1)
        assert address, "the Dask scheduler did not start"
        for _ in range(2):
            workers.append(
                subprocess.Popen(
                    [
                        *dask,
                        "worker",
                        address,
                        "--nworkers",
                        "1",
                        "--nthreads",
                        "1",
                        "--host",
                        "127.0.0.1",
                        "--no-dashboard",
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        from distributed import Client

        with Client(address, timeout="30s") as client:
            client.wait_for_workers(2, timeout=60)
            assert len(client.scheduler_info()["workers"]) == 2
        yield address
    finally:
        for process in [*workers, scheduler]:
            process.terminate()
        for process in [*workers, scheduler]:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def _sorted_triples(out: Path) -> list[str]:
    return sorted(set((out / "graph.nt").read_text(encoding="utf-8").splitlines()))


def _inputs(tmp_path: Path) -> list[Path]:
    inputs: list[Path] = [SEEDS, FIXTURES / "cards", FIXTURES / "cdr_excerpt.bioc.xml"]
    inputs += list(write_bulk(200, tmp_path / "pt3", seed=3))
    for relative in ("biored/Dev.PubTator", "cdr/CDR_TrainingSet.PubTator.txt", "biored/Dev.BioC.JSON"):
        with contextlib.suppress(pytest.skip.Exception):  # a clone without ../shared/data: the bundled inputs only
            inputs.append(shared(relative))
    return inputs


def test_a_large_file_is_cut_into_chunks_between_documents(tmp_path: Path) -> None:
    path = shared("biored/Train.PubTator")
    chunks = partition([path], None, chunk_bytes=200_000)
    assert len(chunks) > 5
    assert [c.end for c in chunks[:-1]] == [c.start for c in chunks[1:]]
    papers = sum(read_chunk(c)[1].papers for c in chunks)
    assert papers == 400
    whole = build([path], default_mappings=False).graph
    from exograph.graph import KnowledgeGraph
    from exograph.plan import absorb_in_order

    kg = KnowledgeGraph()
    absorb_in_order(kg, (read_chunk(c) for c in chunks))
    assert sorted(kg.papers) == sorted(whole.papers) and sorted(kg.entities) == sorted(whole.entities)
    # A line-numbered error in a later chunk names the line in the whole file.
    lines = path.read_text(encoding="utf-8").split("\n")
    bad_at = len(lines) - 3
    lines[bad_at] = "not a pubtator line"
    broken = tmp_path / "broken.pubtator"
    broken.write_text("\n".join(lines), encoding="utf-8")
    reports = [read_chunk(c)[1] for c in partition([broken], None, chunk_bytes=200_000)]
    failures = [f for r in reports for f in r.failures]
    assert len(failures) == 1 and failures[0].line == bad_at + 1


def test_dask_cluster_gives_the_same_triples(cluster: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import exograph.plan

    monkeypatch.setattr(exograph.plan, "CHUNK_BYTES", 300_000)  # cut the corpora into many chunks
    inputs = _inputs(tmp_path)
    options = {"outputs": ["ntriples"], "store": False, "min_papers": 1, "max_p": 1.0}
    local = build(inputs, tmp_path / "local", **options)  # type: ignore[arg-type]
    remote_options = {**options, "outputs": ["ntriples", "graphml"]}
    remote = build(inputs, tmp_path / "dask", scheduler=cluster, **remote_options)  # type: ignore[arg-type]
    assert local.ok and remote.ok
    assert remote.plan is not None and local.plan is None  # Dask runs the out-of-core plan
    assert _sorted_triples(tmp_path / "local") == _sorted_triples(tmp_path / "dask")
    local_lines = (tmp_path / "local" / "graph.nt").read_text(encoding="utf-8").splitlines()
    assert len(local_lines) == len(set(local_lines))  # each statement once, in both
    remote_lines = (tmp_path / "dask" / "graph.nt").read_text(encoding="utf-8").splitlines()
    assert sorted(local_lines) == sorted(remote_lines)
    # The cluster's entity-level GraphML is the in-memory graph's, byte for byte.
    from exograph import write_graphml

    write_graphml(local.graph, tmp_path / "entities.graphml", entities_only=True)
    assert (tmp_path / "dask" / "graph.graphml").read_bytes() == (tmp_path / "entities.graphml").read_bytes()


def test_dask_failures_name_the_file_and_line(cluster: str, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from exograph.cli import app

    folder = tmp_path / "in"
    shutil.copytree(FIXTURES / "cards", folder)
    (folder / "bad.pubtator").write_text("1|t|T\n1|a|A\n1\tzz\n", encoding="utf-8")
    result = CliRunner().invoke(
        app, ["build", str(folder), "-o", str(tmp_path / "out"), "--scheduler", cluster, "--no-store"]
    )
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("exograph: error:")]
    assert len(errors) == 1 and "bad.pubtator:3:" in errors[0], result.stderr
    assert "read 4 of 5 file(s)" in result.stderr


def test_a_local_cluster_stops_its_workers_quietly() -> None:
    """By the time the client closes, our own workers log nothing more: a heartbeat that meets the scheduler
    already gone would otherwise print a traceback after a build that went well."""
    import logging

    from exograph.executors import DaskExecutor

    executor = DaskExecutor(workers=2)
    assert all(level <= logging.CRITICAL for level in executor.client.run(_distributed_level).values())
    levels: list[int] = []
    close = executor.client.close

    def closing(*args: Any, **kwargs: Any) -> Any:
        executor.client.close = close  # type: ignore[method-assign]  # once: the client closes itself again when collected
        levels.extend(executor.client.run(_distributed_level).values())
        return close(*args, **kwargs)

    executor.client.close = closing  # type: ignore[method-assign]
    executor.close()
    assert len(levels) == 2 and all(level > logging.CRITICAL for level in levels)


def _distributed_level() -> int:
    import logging

    return logging.getLogger("distributed").getEffectiveLevel()
