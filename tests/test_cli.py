"""The command line, driven with typer's runner: one clear line per error, the right exit codes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from exograph.cli import app

from .conftest import SEED, SEEDS

runner = CliRunner()


def test_build_seeds(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = runner.invoke(app, ["build", str(SEEDS), "-o", str(out)])
    assert result.exit_code == 0, result.output
    for name in ("graph.ttl", "graph.nt", "graph.trig", "graph.graphml", "graph.html", "summary.json", "summary.md"):
        assert (out / name).stat().st_size > 0, name
    assert (out / "store").is_dir()
    assert "read 1 of 1 file(s)" in result.stderr


def test_build_from_stdin(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = runner.invoke(app, ["build", "-", "-o", str(out), "--no-store"], input=SEED.read_bytes())
    assert result.exit_code == 0, result.output
    assert "PMC12921707" in (out / "graph.ttl").read_text()


def _cards_with_bad(tmp_path: Path) -> Path:
    cards = tmp_path / "cards"
    cards.mkdir()
    shutil.copy(SEED, cards / "good.md")
    (cards / "empty.md").write_bytes(b"")
    (cards / "binary.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    (cards / "latin1.md").write_bytes("# T\n\n**Authors:** Jos\xe9\n".encode("latin-1"))
    (cards / "notitle.md").write_text("Just text\n")
    text = SEED.read_text().replace("CRC (MESH:D015179)", "CRC (MESH:D015")
    (cards / "broken.md").write_text(text)
    return cards


def test_bad_cards_each_give_one_line_and_the_build_goes_on(tmp_path: Path) -> None:
    cards = _cards_with_bad(tmp_path)
    out = tmp_path / "out"
    result = runner.invoke(app, ["build", str(cards), "-o", str(out), "--no-store"])
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("exograph: error:")]
    assert len(errors) == 5
    assert any(f"{cards / 'empty.md'}:1: file is empty" in e for e in errors)
    assert any(f"{cards / 'latin1.md'}:3:" in e and "UTF-8" in e for e in errors)
    broken_line = (
        SEED.read_text().split("\n").index(next(s for s in SEED.read_text().split("\n") if "CRC (MESH" in s)) + 1
    )
    assert any(f"{cards / 'broken.md'}:{broken_line}:" in e for e in errors)
    assert "Traceback" not in result.output
    assert "read 1 of 6 file(s)" in result.stderr and "5 failed" in result.stderr
    assert (out / "graph.ttl").is_file()  # the good card still made it
    assert "PMC12921707" in (out / "graph.ttl").read_text()
    summary = (out / "summary.md").read_text()
    assert "## Failed inputs" in summary and "empty.md" in summary


def test_strict_stops_at_first_error(tmp_path: Path) -> None:
    cards = _cards_with_bad(tmp_path)
    out = tmp_path / "out"
    result = runner.invoke(app, ["build", str(cards), "-o", str(out), "--strict"])
    assert result.exit_code == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("exograph: error:") and "binary" in lines[0]
    assert not (out / "graph.ttl").exists()


def test_missing_input_is_one_line(tmp_path: Path) -> None:
    result = runner.invoke(app, ["build", str(tmp_path / "nope"), "-o", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert result.stderr.strip() == f"exograph: error: {tmp_path / 'nope'}: no such file or folder"


def test_unknown_format_lists_choices(tmp_path: Path) -> None:
    odd = tmp_path / "notes.rtf"
    odd.write_text("hello world")
    result = runner.invoke(app, ["build", str(odd), "-o", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "card, pubtator, bioc-json, bioc-xml" in result.stderr


def test_failed_build_keeps_previous_outputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    assert runner.invoke(app, ["build", str(SEEDS), "-o", str(out), "--no-store"]).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("exograph.writers.html._view_data", boom)
    with pytest.raises(RuntimeError):
        runner.invoke(app, ["build", str(SEEDS), "-o", str(out), "--no-store"], catch_exceptions=False)
    after = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    assert after == before
    assert not [p for p in out.iterdir() if p.name.endswith(".part")]


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout.startswith("exograph ")


def test_view_prints_path_without_browser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    runner.invoke(app, ["build", str(SEEDS), "-o", str(out), "--no-store"])
    result = runner.invoke(app, ["view", str(out), "--print"])
    assert result.exit_code == 0 and result.stdout.strip() == str((out / "graph.html").resolve())
    monkeypatch.setenv("BROWSER", "")
    import webbrowser

    monkeypatch.setattr(webbrowser, "get", lambda *a: (_ for _ in ()).throw(webbrowser.Error("none")))
    result = runner.invoke(app, ["view", str(out)])
    assert result.exit_code == 0 and result.stdout.strip().endswith("graph.html")
    missing = runner.invoke(app, ["view", str(tmp_path)])
    assert missing.exit_code == 1 and "no HTML view" in missing.stderr


def test_stats(tmp_path: Path) -> None:
    out = tmp_path / "out"
    runner.invoke(app, ["build", str(SEEDS), "-o", str(out), "--no-store"])
    result = runner.invoke(app, ["stats", str(out)])
    assert result.exit_code == 0
    assert "| Gene | 60 |" in result.stdout
    assert runner.invoke(app, ["stats", str(tmp_path)]).exit_code == 1


def test_progress_bar_only_on_a_terminal(tmp_path: Path) -> None:
    import os
    import pty
    import subprocess
    import sys

    cards = tmp_path / "cards"
    cards.mkdir()
    for i in range(40):
        (cards / f"{i:02d}.md").write_text(SEED.read_text().replace("PMC12921707", f"PMC{i + 1}"))
    controller, terminal = pty.openpty()

    def command(out: str) -> list[str]:
        return [
            sys.executable,
            "-m",
            "exograph",
            "build",
            str(cards),
            "-o",
            str(tmp_path / out),
            "--no-store",
            "--output",
            "turtle",
        ]

    process = subprocess.run(
        command("tty"),
        stderr=terminal,
        stdout=subprocess.DEVNULL,
        timeout=120,
        env={**os.environ, "COLUMNS": "100", "TERM": "xterm"},
    )
    os.close(terminal)
    chunks = []
    while True:
        try:
            data = os.read(controller, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    os.close(controller)
    shown = b"".join(chunks).decode("utf-8", "replace")
    assert process.returncode == 0
    assert "reading" in shown and "/40" in shown
    piped = subprocess.run(
        command("pipe"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "reading" not in piped.stderr and piped.returncode == 0


@pytest.mark.parametrize(("broken", "status"), [(False, 0), (True, 1)])
def test_large_build_exits_without_teardown_with_the_right_status(tmp_path: Path, broken: bool, status: int) -> None:
    """Above SKIP_TEARDOWN_PAPERS the console script leaves by os._exit: output flushed, files written, status kept."""
    import subprocess
    import sys

    cards = tmp_path / "cards"
    cards.mkdir()
    shutil.copy(SEED, cards / "seed.md")
    if broken:
        (cards / "broken.md").write_text("no title here\n")
    script = (
        "import sys, exograph.cli as cli; cli.SKIP_TEARDOWN_PAPERS = 1; "
        f"sys.argv = ['exograph', 'build', {str(cards)!r}, '-o', {str(tmp_path / 'out')!r}, '--no-store']; cli.main()"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == status, done.stderr
    assert "read " in done.stderr and "wrote graph.graphml, graph.html" in done.stderr
    assert (tmp_path / "out" / "graph.ttl").stat().st_size > 10_000
    assert ("broken.md:1" in done.stderr) is broken
