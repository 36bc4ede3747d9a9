"""``exograph serve``: a SPARQL 1.1 endpoint over a build's store, run by the oxigraph server from PyPI.

We do not write a SPARQL server: the ``oxigraph`` package ships a real one. This
module finds its executable, starts it on the store (on a loopback port of its
own), waits until it answers, and forwards Ctrl-C and SIGTERM so it always stops
cleanly. Clients reach it through a small guard in front of it, which refuses
queries with a ``SERVICE`` clause unless ``--allow-service``: oxigraph would
otherwise fetch from any URL a visitor names, from the server's machine.
"""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import parse_qs, urlparse

import requests

from .errors import ServeError
from .sparql import uses_service

__all__ = ["oxigraph_executable", "running_server", "serve_forever", "start_server", "wait_until_ready"]


def oxigraph_executable() -> str:
    """Path of the ``oxigraph`` server installed with the ``oxigraph`` package."""
    beside = Path(sys.executable).parent / "oxigraph"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which("oxigraph")
    if found is None:
        raise ServeError("the 'oxigraph' server is not installed; run: pip install oxigraph")
    return found


def _store_dir(out: str | Path) -> Path:
    path = Path(out)
    store = path / "store" if (path / "store").is_dir() else path
    if not store.is_dir() or not any(store.iterdir()):
        raise ServeError(f"{out}: no store found; run 'exograph build ... -o {out}' first")
    return store


def start_server(
    location: str | Path, *, host: str = "127.0.0.1", port: int = 7878, writable: bool = False, union: bool = True
) -> subprocess.Popen[bytes]:
    """Start the oxigraph server on a store folder (created empty when writable and absent).

    ``union``: queries see the union of the graphs, as :func:`exograph.store.run_query` does; a build's store
    keeps each statement once, a paper's in its own graph, so without it a query would miss those.
    """
    if writable:
        Path(location).mkdir(parents=True, exist_ok=True)
        store = Path(location) / "store" if (Path(location) / "store").is_dir() else Path(location)
    else:
        store = _store_dir(location)
    command = [oxigraph_executable(), "serve" if writable else "serve-read-only", "--location", str(store)]
    command += ["--bind", f"{host}:{port}"]
    if union:
        command.append("--union-default-graph")
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def wait_until_ready(process: subprocess.Popen[bytes], url: str, timeout: float = 30.0) -> None:
    """Block until the endpoint answers a query, or raise with what the server printed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            err = process.stderr.read().decode("utf-8", "replace").strip() if process.stderr else ""
            raise ServeError(
                f"oxigraph server exited with code {process.returncode}: {err.splitlines()[-1] if err else ''}"
            )
        try:
            r = requests.get(
                url, params={"query": "ASK {}"}, timeout=1, headers={"Accept": "application/sparql-results+json"}
            )
            if r.ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    process.terminate()
    raise ServeError(f"oxigraph server did not answer at {url} within {timeout:.0f} s")


class _Guard(ThreadingHTTPServer):
    """Forwards HTTP requests to the oxigraph server, refusing SPARQL that holds a SERVICE clause."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], backend: tuple[str, int], allow_service: bool) -> None:
        self.backend = backend
        self.allow_service = allow_service
        family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.address_family = family
        super().__init__(address, _GuardHandler)


class _GuardHandler(BaseHTTPRequestHandler):
    server: _Guard
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        return

    def _relay(self) -> None:
        length = self.headers.get("Content-Length")
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            self._answer(411, b"send a Content-Length (chunked requests are not accepted)\n")
            return
        body = self.rfile.read(int(length)) if length and length.isdigit() else b""
        if not self.server.allow_service and uses_service(_sparql_text(self.path, self.headers, body)):
            self._answer(
                403, b"SERVICE clauses are off on this endpoint (exograph serve --allow-service turns them on)\n"
            )
            return
        connection = http.client.HTTPConnection(*self.server.backend, timeout=600)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
            connection.request(self.command, self.path, body=body or None, headers=headers)
            answer = connection.getresponse()
            payload = answer.read()
        except (OSError, http.client.HTTPException) as exc:
            self._answer(502, f"the SPARQL server did not answer: {exc}\n".encode())
            return
        finally:
            connection.close()
        self.send_response(answer.status, answer.reason)
        for key, value in answer.getheaders():
            if key.lower() not in _HOP_BY_HOP and key.lower() != "content-length":
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def _answer(self, status: int, text: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(text)))
        self.end_headers()
        self.wfile.write(text)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_OPTIONS = _relay


_HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade", "host"}
)


def _sparql_text(path: str, headers: Any, body: bytes) -> str:
    """Every SPARQL text a request carries (query or update, in the URL, a form or the body)."""
    url = urlparse(path)
    texts = [v for key in ("query", "update") for v in parse_qs(url.query).get(key, [])]
    kind = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
    if kind == "application/x-www-form-urlencoded":
        form = parse_qs(body.decode("utf-8", "replace"))
        texts += [v for key in ("query", "update") for v in form.get(key, [])]
    elif kind in ("application/sparql-query", "application/sparql-update"):
        texts.append(body.decode("utf-8", "replace"))
    return "\n".join(texts)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def _guarded(
    location: str | Path, *, host: str, port: int, writable: bool, allow_service: bool
) -> Iterator[subprocess.Popen[bytes]]:
    """The oxigraph server on a loopback port of its own, and the guard on ``host:port`` in front of it."""
    backend_port = _free_port()
    process = start_server(location, host="127.0.0.1", port=backend_port, writable=writable)
    try:
        wait_until_ready(process, f"http://127.0.0.1:{backend_port}/query")
        try:
            guard = _Guard((host, port), ("127.0.0.1", backend_port), allow_service)
        except OSError as exc:
            raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
        thread = threading.Thread(target=guard.serve_forever, daemon=True)
        thread.start()
        try:
            yield process
        finally:
            guard.shutdown()
            guard.server_close()
    finally:
        _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def running_server(
    location: str | Path,
    *,
    host: str = "127.0.0.1",
    port: int = 7878,
    writable: bool = False,
    allow_service: bool = False,
) -> Iterator[str]:
    """Context manager: a running endpoint; yields its base URL and stops the server on exit."""
    with _guarded(location, host=host, port=port, writable=writable, allow_service=allow_service):
        yield f"http://{host}:{port}"


def serve_forever(
    out: str | Path,
    *,
    host: str = "127.0.0.1",
    port: int = 7878,
    writable: bool = False,
    allow_service: bool = False,
    announce: Callable[[str], None] = print,
) -> None:
    """Run until Ctrl-C or SIGTERM, then stop the server and return."""
    shown = "localhost" if host in ("127.0.0.1", "::1") else host
    base = f"http://{shown}:{port}"

    def on_signal(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, on_signal)
    try:
        with _guarded(out, host=host, port=port, writable=writable, allow_service=allow_service) as process:
            if writable:
                announce(
                    f"SPARQL endpoint (read-write): {base}/query   update: {base}/update   graph store: {base}/store"
                )
            else:
                announce(f"SPARQL endpoint (read-only): {base}/query   graph store: {base}/store")
            if not allow_service:
                announce("SERVICE clauses are refused (--allow-service to allow them).")
            announce("Press Ctrl-C to stop.")
            process.wait()
            if process.returncode not in (0, None):
                raise ServeError(f"oxigraph server stopped with code {process.returncode}")
    except KeyboardInterrupt:
        announce("stopping")
    finally:
        signal.signal(signal.SIGTERM, previous)
