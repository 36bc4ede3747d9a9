"""Fetching against a real local HTTP server: recorded answers, rate limit, retries, cache, bad answers."""

from __future__ import annotations

import itertools
import json
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from exograph import FetchError
from exograph.cli import app
from exograph.fetch import Fetcher, fetch, parse_ids
from exograph.pipeline import build

from .conftest import SEEDS, shared
from .http_server import Recorded, Scripted, fetch_client

runner = CliRunner()


def client(base: str, tmp_path: Path, **kwargs: object) -> Fetcher:
    return fetch_client(base, tmp_path, **{"retries": 3, **kwargs})  # type: ignore[arg-type]


def test_parse_ids() -> None:
    assert parse_ids(["123, PMID:456", "PMC789", "pmcid:PMC10", "123"]) == (["123", "456"], ["PMC789", "PMC10"])
    with pytest.raises(FetchError):
        parse_ids(["doi:10.1/x"])


def test_fetch_by_pmid_then_build(server: tuple[str, Recorded], tmp_path: Path) -> None:
    base, _ = server
    out = tmp_path / "papers"
    report = fetch(["20516115", "999999999"], out, fetcher=client(base, tmp_path))
    assert [p.name for p in report.written] == ["PMID20516115.json"]
    assert report.missing == ["PMID 999999999: not found in PubTator3"]
    assert report.requests == 1
    result = build([out])
    assert result.ok and list(result.graph.papers) == ["PMID:20516115"]
    assert result.graph.papers["PMID:20516115"].paper.journal == "Cancer Res"


def test_batches_as_large_as_the_api_allows(server: tuple[str, Recorded], tmp_path: Path) -> None:
    base, state = server
    ids = [str(i) for i in range(1, 151)]
    report = fetch(ids, tmp_path / "out", fetcher=client(base, tmp_path))
    assert report.requests == 2
    assert [len(parse_qs_ids(p)) for _, p in state.log] == [100, 50]


def parse_qs_ids(path: str) -> list[str]:
    from urllib.parse import parse_qs, urlparse

    return parse_qs(urlparse(path).query)["pmids"][0].split(",")


def test_at_most_three_requests_per_second(server: tuple[str, Recorded], tmp_path: Path) -> None:
    base, state = server
    fetcher = client(base, tmp_path, requests_per_second=3.0)
    for pmid in ("1", "2", "3", "4"):
        fetch([pmid], tmp_path / "out", fetcher=fetcher)
    times = [t for t, _ in state.log]
    assert len(times) == 4
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) >= 0.30, gaps


def test_cache_means_nothing_is_fetched_twice(server: tuple[str, Recorded], tmp_path: Path) -> None:
    base, state = server
    fetch(["20516115"], tmp_path / "a", fetcher=client(base, tmp_path))
    second = fetch(["20516115"], tmp_path / "b", fetcher=client(base, tmp_path))
    assert len(state.log) == 1 and second.requests == 0 and second.cached == 1
    assert (tmp_path / "b" / "PMID20516115.json").is_file()


def test_429_honours_retry_after(server: tuple[str, Recorded], tmp_path: Path) -> None:
    base, state = server
    state.script.append(Scripted(status=429, body=b"slow down", headers={"Retry-After": "1"}))
    start = time.monotonic()
    report = fetch(["20516115"], tmp_path / "out", fetcher=client(base, tmp_path))
    assert time.monotonic() - start >= 1.0
    assert report.requests == 2 and len(report.written) == 1


def test_500_then_200_retries_with_backoff(server: tuple[str, Recorded], tmp_path: Path) -> None:
    base, state = server
    state.script += [Scripted(status=500, body=b"oops"), Scripted(status=503, body=b"busy")]
    report = fetch(["20516115"], tmp_path / "out", fetcher=client(base, tmp_path))
    assert report.requests == 3 and len(report.written) == 1


def test_answer_slower_than_timeout_is_retried_then_reported(server: tuple[str, Recorded], tmp_path: Path) -> None:
    base, state = server
    state.script.append(Scripted(status=0, delay=1.5))  # times out, then falls through to the real answer
    report = fetch(["20516115"], tmp_path / "out", fetcher=client(base, tmp_path, timeout=0.5))
    assert report.requests == 2 and len(report.written) == 1
    state.script += [Scripted(status=0, delay=1.0) for _ in range(3)]
    with pytest.raises(FetchError, match=r"no answer within 0\.5 s"):
        fetch(["22663011"], tmp_path / "out2", fetcher=client(base, tmp_path, timeout=0.5, retries=2))


def test_truncated_json_is_retried_and_never_cached(server: tuple[str, Recorded], tmp_path: Path) -> None:
    base, state = server
    state.script += [Scripted(body=b'{"PubTator3": [{"id": "2051'), Scripted(body=b'{"PubTator3": [')]
    with pytest.raises(FetchError, match=r"invalid or truncated bioc-json.*invalid JSON"):
        fetch(["20516115"], tmp_path / "out", fetcher=client(base, tmp_path))
    assert not (tmp_path / "cache").exists() or not list((tmp_path / "cache").iterdir())
    assert not (tmp_path / "out" / "PMID20516115.json").exists()
    report = fetch(["20516115"], tmp_path / "out", fetcher=client(base, tmp_path))  # the real answer now
    assert len(report.written) == 1


def test_html_error_page_is_a_clear_error(server: tuple[str, Recorded], tmp_path: Path) -> None:
    base, state = server
    page = b"<!DOCTYPE html><html><body>Service unavailable</body></html>"
    state.script += [Scripted(body=page, content_type="text/html"), Scripted(body=page, content_type="text/html")]
    with pytest.raises(FetchError, match="HTML"):
        fetch(["20516115"], tmp_path / "out", fetcher=client(base, tmp_path))
    assert not (tmp_path / "cache").exists() or not list((tmp_path / "cache").iterdir())


def test_pmc_full_text_and_cards(server: tuple[str, Recorded], tmp_path: Path) -> None:
    base, _ = server
    out = tmp_path / "out"
    report = fetch(["PMC12921707", "PMC999999999"], out, cards=True, full=True, fetcher=client(base, tmp_path))
    names = sorted(p.relative_to(out).as_posix() for p in report.written)
    assert names == ["PMC12921707.md", "PMC12921707.xml", "fulltext/PMC12921707.full.markdown"]
    assert report.missing == [
        "PMC999999999: not found in PubTator3",
        "PMC999999999: no paper card at " + f"{base}/cards/PMC999999999",
    ]
    result = build([out])
    # The card and the PubTator full text share the PMCID: one paper node with every id.
    assert result.ok and list(result.graph.papers) == ["PMID:227508"]
    paper = result.graph.papers["PMID:227508"].paper
    assert paper.pmcid == "PMC12921707" and paper.doi == "10.3389/fonc.2025.1583295"


def test_cli_fetch_uses_environment_urls(server: tuple[str, Recorded], tmp_path: Path) -> None:
    base, _ = server
    env = {"EXOGRAPH_PUBTATOR_URL": f"{base}/pubtator", "EXOGRAPH_CARDS_URL": f"{base}/cards"}
    out = tmp_path / "papers"
    ok = runner.invoke(app, ["fetch", "20516115", "-o", str(out), "--cache", str(tmp_path / "c")], env=env)
    assert ok.exit_code == 0, ok.output
    assert json.loads((out / "PMID20516115.json").read_text())["PubTator3"][0]["pmid"] == 20516115
    missing = runner.invoke(app, ["fetch", "999999999", "-o", str(out), "--cache", str(tmp_path / "c")], env=env)
    assert missing.exit_code == 1
    assert "exograph: error: PMID 999999999: not found in PubTator3" in missing.stderr
    bad = runner.invoke(app, ["fetch", "doi:10.1/x", "-o", str(out)], env=env)
    assert bad.exit_code == 1 and bad.stderr.count("\n") == 1


def test_fetch_mappings_then_build_with_them(
    server: tuple[str, Recorded], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """'exograph fetch --mappings mondo' keeps a validated SSSOM set that 'build --mappings mondo' reads; an
    unusable answer (an HTML page, a body that is not SSSOM) is retried and never kept."""
    base, state = server
    shared("mappings/mondo_exactmatch_mesh.sssom.tsv")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    url = f"{base}/mappings/mondo.sssom.tsv"
    out = tmp_path / "out"
    result = runner.invoke(app, ["build", str(SEEDS), "-o", str(out), "--mappings", "mondo", "--no-store"])
    assert result.exit_code == 1
    assert "mapping set 'mondo' is not downloaded: exograph fetch --mappings mondo" in result.stderr
    page = b"<!DOCTYPE html><html><body>Service unavailable</body></html>"
    state.script += [Scripted(body=page, content_type="text/html"), Scripted(body=b"subject_id\tobject_id\n")]
    args = ["fetch", "--mappings", "mondo", "--mappings-url", url, "--cache", str(tmp_path / "http"), "--retries", "1"]
    failed = runner.invoke(app, args)
    assert failed.exit_code == 1 and "not an SSSOM mapping set" in failed.stderr
    assert not (tmp_path / "xdg" / "exograph" / "mappings" / "mondo.sssom.tsv").exists()
    assert not (tmp_path / "http").exists() or not list((tmp_path / "http").iterdir())
    fetched = runner.invoke(app, args)
    assert fetched.exit_code == 0, fetched.output
    assert (tmp_path / "xdg" / "exograph" / "mappings" / "mondo.sssom.tsv").is_file()
    result = runner.invoke(
        app, ["build", str(SEEDS), "-o", str(out), "--mappings", "mondo", "--no-default-mappings", "--no-store"]
    )
    assert result.exit_code == 0, result.output
    assert "MONDO:0005070 skos:exactMatch MESH:D009369" in (out / "graph.ttl").read_text()
