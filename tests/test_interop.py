"""The query pack gives the same answers on real engines: the oxigraph server over HTTP, and rdflib."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import rdflib
import requests

from exograph.server import oxigraph_executable, wait_until_ready
from exograph.store import open_store, run_query

from .sparql_helpers import QUERIES, rows_from_http, rows_from_oxigraph, rows_from_rdflib

pytestmark = pytest.mark.server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def embedded_answers(out: Path) -> dict[str, list[tuple]]:
    store = open_store(out)
    return {q.stem: rows_from_oxigraph(run_query(store, q.read_text())) for q in QUERIES}


@pytest.mark.parametrize("build_fixture", ["seed_build", "multi_build"])
def test_oxigraph_server_loaded_over_graph_store_protocol(
    build_fixture: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    out: Path = request.getfixturevalue(build_fixture)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [oxigraph_executable(), "serve", "--location", str(tmp_path / "db"), "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_until_ready(process, base + "/query")
        put = requests.put(
            f"{base}/store?default",
            data=(out / "graph.ttl").read_bytes(),
            headers={"Content-Type": "text/turtle"},
            timeout=60,
        )
        assert put.status_code in (200, 201, 204), put.text
        count = rows_from_http(base + "/query", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
        local = rdflib.Graph().parse(out / "graph.ttl")
        assert count == [(len(local),)]
        expected = embedded_answers(out)
        for q in QUERIES:
            assert rows_from_http(base + "/query", q.read_text()) == expected[q.stem], q.name
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.parametrize("build_fixture", ["seed_build", "multi_build"])
def test_rdflib_gives_the_same_answers(build_fixture: str, request: pytest.FixtureRequest) -> None:
    out: Path = request.getfixturevalue(build_fixture)
    graph = rdflib.Graph().parse(out / "graph.ttl")
    expected = embedded_answers(out)
    for q in QUERIES:
        assert rows_from_rdflib(graph, q.read_text()) == expected[q.stem], q.name


def start_serve(out: Path, port: int) -> subprocess.Popen[str]:
    """``exograph serve OUT --port PORT`` as a user starts it (stderr announces it once it answers)."""
    return subprocess.Popen(
        [sys.executable, "-m", "exograph", "serve", str(out), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_exograph_serve_answers_and_stops_on_sigterm(multi_build: Path) -> None:
    port = free_port()
    process = start_serve(multi_build, port)
    try:
        endpoint = f"http://127.0.0.1:{port}/query"
        assert process.stderr is not None
        announced = process.stderr.readline()  # blocks until the server answers and the URL is printed
        assert f"http://localhost:{port}/query" in announced
        rows = rows_from_http(endpoint, QUERIES[0].read_text())
        assert rows == embedded_answers(multi_build)[QUERIES[0].stem]
        # The server, like `exograph query`, sees every graph's statements, each once.
        counting = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
        expected = rows_from_oxigraph(run_query(open_store(multi_build), counting))
        assert (
            rows_from_http(endpoint, counting) == expected == [(len(rdflib.Graph().parse(multi_build / "graph.ttl")),)]
        )
        # Read-only unless --writable.
        update = requests.post(
            f"http://127.0.0.1:{port}/update", data={"update": "INSERT DATA { <urn:a> <urn:b> <urn:c> }"}, timeout=5
        )
        assert update.status_code >= 400
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=20)
    assert process.returncode == 0
    assert "stopping" in err
    with pytest.raises(requests.RequestException):
        requests.get(endpoint, params={"query": "ASK {}"}, timeout=1)


def test_serve_without_store_is_one_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "exograph", "serve", str(tmp_path)], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"exograph: error: {tmp_path}: no store found; run 'exograph build ... -o {tmp_path}' first"
    ]


def test_exograph_serve_writable(tmp_path: Path, seed_build: Path) -> None:
    import shutil

    out = tmp_path / "out"
    shutil.copytree(seed_build / "store", out / "store")
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "exograph", "serve", str(out), "--port", str(port), "--writable"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        assert "read-write" in process.stderr.readline()
        update = requests.post(
            f"http://127.0.0.1:{port}/update", data={"update": "INSERT DATA { <urn:a> <urn:b> <urn:c> }"}, timeout=5
        )
        assert update.status_code in (200, 204), update.text
        ask = requests.post(
            f"http://127.0.0.1:{port}/query",
            data={"query": "ASK { <urn:a> <urn:b> <urn:c> }"},
            headers={"Accept": "application/sparql-results+json"},
            timeout=5,
        )
        assert ask.json()["boolean"] is True
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=20)
    assert process.returncode == 0


class _Listener:
    """A TCP listener on 127.0.0.1 that records whether anything connected (a SERVICE target)."""

    def __init__(self) -> None:
        import socket
        import threading

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.sock.settimeout(0.2)
        self.connections = 0
        self.running = True
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/sparql"

    def _accept(self) -> None:

        while self.running:
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            conn.close()  # an answer no SPARQL client can use: the federated query fails

    def close(self) -> None:
        self.running = False
        self.thread.join()
        self.sock.close()


def test_service_is_refused_by_query_and_serve_unless_allowed(seed_build: Path) -> None:
    from typer.testing import CliRunner

    from exograph.cli import app

    listener = _Listener()
    sparql = f"SELECT * WHERE {{ SERVICE <{listener.url}> {{ ?s ?p ?o }} }}"
    try:
        runner = CliRunner()
        refused = runner.invoke(app, ["query", str(seed_build), sparql])
        assert refused.exit_code == 1 and "SERVICE clauses are off" in refused.stderr
        assert listener.connections == 0
        # Allowed, a service that fails is one line, not a traceback.
        failed = runner.invoke(app, ["query", str(seed_build), sparql, "--allow-service"])
        assert failed.exit_code == 1, failed.output
        lines = [line for line in failed.stderr.splitlines() if line]
        assert len(lines) == 1 and lines[0].startswith("exograph: error:") and "Traceback" not in failed.output
        assert listener.connections >= 1
        seen = listener.connections
        port = free_port()
        process = start_serve(seed_build, port)
        try:
            assert process.stderr is not None
            process.stderr.readline()
            endpoint = f"http://127.0.0.1:{port}/query"
            for answer in (
                requests.get(endpoint, params={"query": sparql}, timeout=10),
                requests.post(endpoint, data={"query": sparql}, timeout=10),
                requests.post(
                    endpoint, data=sparql.encode(), headers={"Content-Type": "application/sparql-query"}, timeout=10
                ),
            ):
                assert answer.status_code == 403 and "SERVICE clauses are off" in answer.text
            assert listener.connections == seen
            ok = requests.get(endpoint, params={"query": "ASK { ?s ?p 'SERVICE' }"}, timeout=10)
            assert ok.status_code == 200
        finally:
            process.send_signal(signal.SIGTERM)
            process.communicate(timeout=20)
    finally:
        listener.close()
