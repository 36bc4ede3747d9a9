"""``exograph serve``: a SPARQL 1.1 endpoint over a build's store, run by the oxigraph server from PyPI.

We do not write an HTTP server: the ``oxigraph`` package ships a real one. This
module finds its executable, starts it on the store, waits until it answers,
and forwards Ctrl-C and SIGTERM so it always stops cleanly.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

import requests

from .errors import ServeError

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
    location: str | Path, *, host: str = "127.0.0.1", port: int = 7878, writable: bool = False, union: bool = False
) -> subprocess.Popen[bytes]:
    """Start the oxigraph server on a store folder (created empty when writable and absent)."""
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
    location: str | Path, *, host: str = "127.0.0.1", port: int = 7878, writable: bool = False
) -> Iterator[str]:
    """Context manager: a running endpoint; yields its base URL and stops the server on exit."""
    process = start_server(location, host=host, port=port, writable=writable)
    base = f"http://{host}:{port}"
    try:
        wait_until_ready(process, base + "/query")
        yield base
    finally:
        _stop(process)


def serve_forever(
    out: str | Path,
    *,
    host: str = "127.0.0.1",
    port: int = 7878,
    writable: bool = False,
    announce: Callable[[str], None] = print,
) -> None:
    """Run until Ctrl-C or SIGTERM, then stop the server and return."""
    process = start_server(out, host=host, port=port, writable=writable)
    shown = "localhost" if host in ("127.0.0.1", "::1") else host
    base = f"http://{shown}:{port}"

    def on_signal(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, on_signal)
    try:
        wait_until_ready(process, f"http://{host if host not in ('0.0.0.0', '::') else '127.0.0.1'}:{port}/query")
        if writable:
            announce(f"SPARQL endpoint (read-write): {base}/query   update: {base}/update   graph store: {base}/store")
        else:
            announce(f"SPARQL endpoint (read-only): {base}/query   graph store: {base}/store")
        announce("Press Ctrl-C to stop.")
        process.wait()
        if process.returncode not in (0, None):
            raise ServeError(f"oxigraph server stopped with code {process.returncode}")
    except KeyboardInterrupt:
        announce("stopping")
    finally:
        _stop(process)
        signal.signal(signal.SIGTERM, previous)
