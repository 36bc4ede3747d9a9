"""Reading in worker processes gives exactly what reading one file after the other gives."""

from __future__ import annotations

import shutil
import subprocess
import threading
from pathlib import Path

import pytest

import exograph.pipeline as pipeline
from exograph.errors import CardError
from exograph.pipeline import build
from exograph.writers import OUTPUT_FORMATS

from .conftest import FIXTURES, SEED

BROKEN = "# A broken card\n\n## Full-text entities\n\n- **Genes:** VEGFA (vascular endothelial growth factor A\n"


def _corpus(folder: Path, *, broken: bool = False) -> Path:
    """Cards, annotation files and the same paper twice, far enough apart to land in different batches."""
    folder.mkdir()
    shutil.copy(SEED, folder / "00_seed.md")
    for i, card in enumerate(sorted((FIXTURES / "cards").glob("*.md")), start=1):
        shutil.copy(card, folder / f"{i:02d}_{card.name}")
    shutil.copy(FIXTURES / "cdr_excerpt.pubtator", folder / "05_cdr.pubtator")
    shutil.copy(FIXTURES / "pubtator3_20516115.json", folder / "06_pubtator3.json")
    if broken:
        (folder / "07_broken.md").write_text(BROKEN)
    # The seed again with a PMID added: merged with 00_seed.md across batches, under a new key.
    text = SEED.read_text().replace("DOI:", "PMID: 99999999 · DOI:", 1)
    (folder / "08_seed_again.md").write_text(text)
    return folder


def _outputs(out: Path) -> dict[str, bytes]:
    """Every output file, those in output folders (KGX) by their path below ``out``."""
    found: dict[str, bytes] = {}
    for top in sorted(p for p in out.iterdir() if not p.name.startswith(".")):
        below = sorted(top.resolve().rglob("*")) if top.is_dir() else [top]
        for p in below:
            if p.is_file():
                name = top.name if p == top else f"{top.name}/{p.relative_to(top.resolve())}"
                found[name] = p.read_bytes()
    return found


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline, "BATCH_FILES", 1)
    monkeypatch.setattr(pipeline, "MAX_BATCH_FILES", 2)


def test_parallel_read_gives_byte_identical_outputs(tmp_path: Path, small_batches: None) -> None:
    corpus = _corpus(tmp_path / "in", broken=True)
    one = build([corpus], tmp_path / "one", outputs=OUTPUT_FORMATS, store=False, incremental=False, workers=1)
    two = build([corpus], tmp_path / "two", outputs=OUTPUT_FORMATS, store=False, incremental=False, workers=2)
    assert two.files == one.files == 9
    assert pipeline._jobs(2, 9) == 2  # really ran in two processes, batches of at most two files
    assert [str(f) for f in two.failures] == [str(f) for f in one.failures]
    assert two.failures[0].path.endswith("07_broken.md") and two.failures[0].line == 5
    assert two.graph.merges == one.graph.merges and one.graph.merges["paper"] == 1
    assert "PMID:99999999" in two.graph.papers and "PMCID:PMC12921707" not in two.graph.papers
    assert two.graph.entities["NCBIGene:7422"].papers == one.graph.entities["NCBIGene:7422"].papers
    assert [str(d) for d in two.graph.diagnostics] == [str(d) for d in one.graph.diagnostics]
    a, b = _outputs(tmp_path / "one"), _outputs(tmp_path / "two")
    # KGX: two folder formats, four files; the N-Quads shards: a shard and a manifest.
    assert sorted(a) == sorted(b) and len(a) == len(OUTPUT_FORMATS) + 3
    for name in a:
        assert a[name] == b[name], name


def test_parallel_read_with_cache_reads_only_what_changed(tmp_path: Path, small_batches: None) -> None:
    corpus = _corpus(tmp_path / "in")
    out = tmp_path / "out"
    first = build([corpus], out, outputs=["turtle"], store=False, workers=2)
    assert (first.parsed, first.cached) == (8, 0)
    (corpus / "03_c_three_genes.md").write_text((corpus / "03_c_three_genes.md").read_text() + "\n")
    (corpus / "04_d_kras_pancreas.md").unlink()
    second = build([corpus], out, outputs=["turtle"], store=False, workers=2)
    assert (second.parsed, second.cached) == (1, 6)
    assert len(list((out / ".exograph" / "cache").glob("*.json"))) == 7
    clean = build([corpus], tmp_path / "clean", outputs=["turtle"], store=False, incremental=False, workers=1)
    assert clean.ok
    assert (out / "graph.ttl").read_bytes() == (tmp_path / "clean" / "graph.ttl").read_bytes()


def test_parallel_strict_stops_at_first_failure_in_file_order(tmp_path: Path, small_batches: None) -> None:
    corpus = _corpus(tmp_path / "in", broken=True)
    (corpus / "08_seed_again.md").write_text("not a card\n")
    with pytest.raises(CardError) as caught:
        build([corpus], tmp_path / "out", store=False, strict=True, workers=2)
    assert caught.value.path is not None and caught.value.path.endswith("07_broken.md")
    assert caught.value.line == 5 and caught.value.column is not None
    assert not (tmp_path / "out" / "graph.ttl").exists()


def test_background_cooccurrence_same_with_any_start_method(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Forked (statements written by the child) and spawned (arrays sent back) jobs give the same files."""
    import exograph.processes

    corpus = _corpus(tmp_path / "in")
    outputs = ["turtle", "nquads", "summary-json"]
    options = {"outputs": outputs, "store": False, "incremental": False, "min_papers": 1, "max_p": 1.0}
    forked = build([corpus], tmp_path / "fork", **options)  # type: ignore[arg-type]
    assert exograph.processes.start_method() == "fork"
    monkeypatch.setattr(exograph.processes, "start_method", lambda: "spawn")
    spawned = build([corpus], tmp_path / "spawn", **options)  # type: ignore[arg-type]
    assert forked.graph.cooccurrence == spawned.graph.cooccurrence and forked.graph.cooccurrence
    assert _outputs(tmp_path / "fork") == _outputs(tmp_path / "spawn")
    assert not list((tmp_path / "fork").glob(".*.part"))
    # The graph outlives the build's temporary files: writing it again works.
    from exograph.writers import write_turtle

    write_turtle(forked.graph, tmp_path / "again.ttl")
    assert (tmp_path / "again.ttl").read_bytes() == (tmp_path / "fork" / "graph.ttl").read_bytes()


@pytest.mark.parametrize("target", ["turtle", "ntriples", "trig", "nquads"])
def test_child_process_serialiser_gives_the_same_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target: str
) -> None:
    """Large graphs are serialised by child processes (co-occurrence in a second one); small ones in-process."""
    import exograph.writers.rdf as rdf_writers
    from exograph.writers import FILE_NAMES

    corpus = _corpus(tmp_path / "in")
    options = {"outputs": [target], "store": False, "incremental": False, "min_papers": 1, "max_p": 1.0}
    build([corpus], tmp_path / "here", **options)  # type: ignore[arg-type]
    monkeypatch.setattr(rdf_writers, "CHILD_PROCESS_MIN_PAPERS", 0)
    result = build([corpus], tmp_path / "child", **options)  # type: ignore[arg-type]
    assert result.graph.cooccurrence
    name = FILE_NAMES[target]  # type: ignore[index]
    assert (tmp_path / "child" / name).read_bytes() == (tmp_path / "here" / name).read_bytes()
    assert not [p.name for p in (tmp_path / "child").iterdir() if p.name.startswith(".") and p.is_file()]


@pytest.mark.parametrize("sendfile", ["missing", "fails after a part"])
def test_cooccurrence_fragment_appended_without_sendfile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sendfile: str
) -> None:
    """The fragment is copied in the kernel where it can; without sendfile (or when it stops) the copy is the same."""
    import os

    import exograph.writers.rdf as rdf_writers

    corpus = _corpus(tmp_path / "in")
    options = {"outputs": ["turtle"], "store": False, "incremental": False, "min_papers": 1, "max_p": 1.0}
    monkeypatch.setattr(rdf_writers, "CHILD_PROCESS_MIN_PAPERS", 0)
    build([corpus], tmp_path / "kernel", **options)  # type: ignore[arg-type]
    if sendfile == "missing":
        monkeypatch.delattr(os, "sendfile")
    else:
        real = os.sendfile
        calls: list[int] = []

        def flaky(out_fd: int, in_fd: int, offset: int, count: int) -> int:
            calls.append(count)
            if len(calls) > 1:
                raise OSError("sendfile refused")
            return real(out_fd, in_fd, offset, min(count, 100))

        monkeypatch.setattr(os, "sendfile", flaky)
    build([corpus], tmp_path / "copied", **options)  # type: ignore[arg-type]
    assert (tmp_path / "copied" / "graph.ttl").read_bytes() == (tmp_path / "kernel" / "graph.ttl").read_bytes()
    if sendfile != "missing":
        assert len(calls) == 2


def test_late_cooccurrence_serialiser_outlives_the_job_pool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """When the co-occurrence job ends after the writer started, its serialiser still runs to the end.

    The job's pool shuts down as soon as the job is done; a serialiser started from the pool's own thread
    got the kernel's parent-death SIGKILL when that thread ended (seen in CI under load).
    """
    import time

    import exograph.background as background
    import exograph.writers.rdf as rdf_writers

    corpus = _corpus(tmp_path / "in")
    options = {"outputs": ["turtle"], "store": False, "incremental": False, "min_papers": 1, "max_p": 1.0}
    build([corpus], tmp_path / "prompt", **options)  # type: ignore[arg-type]
    monkeypatch.setattr(rdf_writers, "CHILD_PROCESS_MIN_PAPERS", 0)
    written = background.write_cooccurrence_text

    def late(*args: object, **kwargs: object) -> None:  # runs in the forked job: done after the writer starts
        time.sleep(1.5)
        written(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(background, "write_cooccurrence_text", late)
    # The kernel's parent is the thread that started a child: it must still be there when the child ends.
    starters: list[tuple[threading.Thread, bool]] = []

    class Recording(subprocess.Popen):  # type: ignore[type-arg]
        def __init__(self, args: list[str], *rest: object, **kwargs: object) -> None:
            super().__init__(args, *rest, **kwargs)  # type: ignore[arg-type]
            self.starter = threading.current_thread() if args[-1] == "fragment" else None

        def wait(self, timeout: float | None = None) -> int:
            status = super().wait(timeout)
            if self.starter is not None:
                starters.append((self.starter, self.starter.is_alive()))
            return status

    monkeypatch.setattr(subprocess, "Popen", Recording)
    build([corpus], tmp_path / "late", **options)  # type: ignore[arg-type]
    assert starters, "the co-occurrence statements had no serialiser of their own"
    assert all(alive for _, alive in starters), [thread.name for thread, _ in starters]
    assert (tmp_path / "late" / "graph.ttl").read_bytes() == (tmp_path / "prompt" / "graph.ttl").read_bytes()


def test_child_process_serialiser_error_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import exograph.writers.rdf as rdf_writers
    from exograph.errors import WriteError

    corpus = _corpus(tmp_path / "in")
    monkeypatch.setattr(rdf_writers, "CHILD_PROCESS_MIN_PAPERS", 0)
    monkeypatch.setattr(rdf_writers, "_CHILD", "import sys; sys.stdin.buffer.read(10); sys.exit('boom: bad input')")
    with pytest.raises(WriteError, match="serialising turtle failed: boom: bad input"):
        build([corpus], tmp_path / "out", outputs=["turtle"], store=False, incremental=False)
    assert not [p for p in (tmp_path / "out").iterdir() if p.name != ".exograph"]
    assert [p.name for p in (tmp_path / "out" / ".exograph").iterdir()] == ["lock"]  # the generation is gone
