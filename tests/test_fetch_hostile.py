"""fetch against a hostile or broken server (a real one on 127.0.0.1): one clear error, nothing invalid cached."""

from __future__ import annotations

import json
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from typer.testing import CliRunner

import exograph.fetch
from exograph import FetchError, __version__
from exograph.cli import app
from exograph.fetch import Fetcher, fetch

from .http_server import Recorded, Scripted, fetch_client

runner = CliRunner()


def client(base: str, tmp_path: Path, **kwargs: object) -> Fetcher:
    return fetch_client(base, tmp_path, **{"retries": 1, **kwargs})  # type: ignore[arg-type]


def _nothing_cached(tmp_path: Path) -> bool:
    cache = tmp_path / "cache"
    return not cache.exists() or not list(cache.iterdir())


def _raw(data: bytes, *, pause: float = 0.0) -> Scripted:
    def write(handler: BaseHTTPRequestHandler) -> None:
        handler.wfile.write(data)
        handler.wfile.flush()
        if pause:
            time.sleep(pause)

    return Scripted(raw=write)


def test_redirect_to_file_url_is_refused(server: tuple[str, Recorded], tmp_path: Path) -> None:
    base, state = server
    state.script.append(Scripted(status=302, headers={"Location": "file:///etc/passwd"}))
    with pytest.raises(FetchError, match="not http") as caught:
        fetch(["20516115"], tmp_path / "out", fetcher=client(base, tmp_path))
    assert "\n" not in str(caught.value) and _nothing_cached(tmp_path)


def test_redirect_loop_is_one_error(server: tuple[str, Recorded], tmp_path: Path) -> None:
    base, state = server
    loop = f"{base}/pubtator/publications/export/biocjson?pmids=20516115"
    state.script += [Scripted(status=302, headers={"Location": loop}) for _ in range(12)]
    with pytest.raises(FetchError, match="too many redirects"):
        fetch(["20516115"], tmp_path / "out", fetcher=client(base, tmp_path))
    assert _nothing_cached(tmp_path)


def test_bad_gzip_and_truncated_chunked_bodies_are_retried_never_cached(
    server: tuple[str, Recorded], tmp_path: Path
) -> None:
    base, state = server
    bad_gzip = b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 12\r\n\r\nnot gzip!!!!"
    truncated = b'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n{"PubTator3": [{'
    state.script += [_raw(bad_gzip), _raw(truncated)]
    with pytest.raises(FetchError, match="cut short or badly encoded"):
        fetch(["20516115"], tmp_path / "out", fetcher=client(base, tmp_path))
    assert _nothing_cached(tmp_path)
    assert len(fetch(["20516115"], tmp_path / "out", fetcher=client(base, tmp_path)).written) == 1


@pytest.mark.parametrize("value", ["Wed, 21 Oct 2015 07:28:00 GMT", "garbage", "1e400", "-5", "Mon, 99 Foo 2015"])
def test_retry_after_of_any_form(server: tuple[str, Recorded], tmp_path: Path, value: str) -> None:
    base, state = server
    state.script.append(Scripted(status=429, body=b"slow down", headers={"Retry-After": value}))
    start = time.monotonic()
    report = fetch(["20516115"], tmp_path / "out", fetcher=client(base, tmp_path))
    assert report.requests == 2 and len(report.written) == 1
    assert time.monotonic() - start < 5


def test_json_of_the_wrong_shape_is_never_cached(server: tuple[str, Recorded], tmp_path: Path) -> None:
    base, state = server
    wrong = json.dumps({"PubTator3": [{"id": "20516115", "passages": "not a list"}]}).encode()
    state.script += [Scripted(body=wrong), Scripted(body=wrong)]
    with pytest.raises(FetchError, match="passages is a string, not a list"):
        fetch(["20516115"], tmp_path / "out", fetcher=client(base, tmp_path))
    assert _nothing_cached(tmp_path)
    assert len(fetch(["20516115"], tmp_path / "out", fetcher=client(base, tmp_path)).written) == 1


def test_a_negative_answer_expires(
    server: tuple[str, Recorded], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base, state = server
    state.script.append(Scripted(body=b'{"PubTator3": []}'))
    first = fetch(["20516115"], tmp_path / "out", fetcher=client(base, tmp_path))
    assert first.missing == ["PMID 20516115: not found in PubTator3"]
    again = fetch(["20516115"], tmp_path / "out2", fetcher=client(base, tmp_path))
    assert again.requests == 0 and again.missing  # still within the negative answer's time to live
    monkeypatch.setattr(exograph.fetch, "NEGATIVE_TTL", 0)
    time.sleep(0.01)
    later = fetch(["20516115"], tmp_path / "out3", fetcher=client(base, tmp_path))
    assert later.requests == 1 and len(later.written) == 1 and not later.missing


def test_a_dripping_body_is_bounded_by_the_timeout(server: tuple[str, Recorded], tmp_path: Path) -> None:
    base, state = server

    def drip(handler: BaseHTTPRequestHandler) -> None:
        handler.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
        for _ in range(1000):
            handler.wfile.write(b" ")
            handler.wfile.flush()
            time.sleep(0.1)

    state.script += [Scripted(raw=drip), Scripted(raw=drip)]
    start = time.monotonic()
    with pytest.raises(FetchError, match=r"not complete within 1 s"):
        fetch(["20516115"], tmp_path / "out", fetcher=client(base, tmp_path, timeout=1.0))
    assert time.monotonic() - start < 6
    assert _nothing_cached(tmp_path)


def test_answers_larger_than_the_cap_are_refused(server: tuple[str, Recorded], tmp_path: Path) -> None:
    base, state = server
    declared = b"HTTP/1.1 200 OK\r\nContent-Length: 629145600\r\n\r\n" + b"[" * 1000
    big_chunk = b"x" * 65536
    undeclared = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        + (f"{len(big_chunk):x}\r\n".encode() + big_chunk + b"\r\n") * 40
    )
    state.script += [_raw(declared), _raw(undeclared)]
    with pytest.raises(FetchError, match=r"larger than|more than"):
        fetch(["20516115"], tmp_path / "out", fetcher=client(base, tmp_path, max_bytes=1 << 20))
    assert _nothing_cached(tmp_path)


def test_user_agent_names_exograph_and_its_version(server: tuple[str, Recorded], tmp_path: Path) -> None:
    base, state = server
    fetch(["20516115"], tmp_path / "out", fetcher=client(base, tmp_path))
    assert state.agents and all(agent.startswith(f"exograph/{__version__}") for agent in state.agents)


def test_cli_fetch_errors_are_one_line(server: tuple[str, Recorded], tmp_path: Path) -> None:
    base, state = server
    state.script.append(Scripted(status=302, headers={"Location": "file:///etc/passwd"}))
    result = runner.invoke(
        app,
        [
            "fetch",
            "20516115",
            "-o",
            str(tmp_path / "out"),
            "--pubtator-url",
            f"{base}/pubtator",
            "--cache",
            str(tmp_path / "cache"),
            "--retries",
            "0",
        ],
    )
    assert result.exit_code == 1
    lines = [line for line in result.stderr.splitlines() if line]
    assert len(lines) == 1 and lines[0].startswith("exograph: error:") and "Traceback" not in result.output
