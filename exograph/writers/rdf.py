"""RDF serialisations (Turtle, N-Triples, N-Quads, TriG) written by pyoxigraph from exograph's statements.

Statements are generated as N-Triples/N-Quads text (:mod:`exograph.rdf`) and
serialised by pyoxigraph. For a large graph written to a file, pyoxigraph runs
in a child process (:mod:`exograph.rdfconvert`) fed through a pipe, so that
generating and serialising use both cores of a small machine.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path
from queue import Queue
from typing import IO, TYPE_CHECKING, Any, Final, Literal

from pyoxigraph import RdfFormat, parse

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

from ..atomic import Destination, atomic_path, open_destination
from ..errors import WriteError
from ..iris import RDF_PREFIXES
from ..rdf import chunk_stream, nquads_chunks, ntriples_chunks
from ..rdfconvert import FORMATS, convert
from ..statements import Statements

if TYPE_CHECKING:
    from ..graph import KnowledgeGraph

__all__ = ["CHILD_PROCESS_MIN_PAPERS", "write_nquads", "write_ntriples", "write_trig", "write_turtle"]

RdfTarget = Literal["turtle", "ntriples", "nquads", "trig"]

#: From this many papers on, files are serialised in a child process (below it, starting one costs more than it saves).
CHILD_PROCESS_MIN_PAPERS: Final = 2000


def write_turtle(kg: KnowledgeGraph | Statements, dest: Destination) -> None:
    """Turtle with the standard prefixes; papers' named graphs are merged into one graph.

    >>> import io, exograph
    >>> buffer = io.BytesIO()
    >>> exograph.write_turtle(exograph.build(["seeds/"]).graph, buffer)
    >>> b"NCBIGene:7422 a biolink:Gene" in buffer.getvalue()
    True
    """
    _write(kg, dest, "turtle")


def write_ntriples(kg: KnowledgeGraph | Statements, dest: Destination) -> None:
    """N-Triples, one statement a line: the format bulk loaders and ``grep`` like best."""
    _write(kg, dest, "ntriples")


def write_nquads(kg: KnowledgeGraph | Statements, dest: Destination) -> None:
    """N-Quads: every statement with the named graph of the paper it comes from."""
    _write(kg, dest, "nquads")


def write_trig(kg: KnowledgeGraph | Statements, dest: Destination) -> None:
    """TriG: one named graph per paper, so a paper's statements can be traced and replaced."""
    _write(kg, dest, "trig")


def _source(
    statements: Statements, target: RdfTarget, *, cooccurrence: bool = True
) -> tuple[Literal["ntriples", "nquads"], Iterator[bytes] | None]:
    """Which text feeds the serialiser: the materialised N-Quads file (None) or freshly generated chunks."""
    if statements.cache is not None:
        return "nquads", None
    if target in ("nquads", "trig"):
        return "nquads", nquads_chunks(statements)
    return "ntriples", ntriples_chunks(statements, cooccurrence=cooccurrence)


def _write(source: KnowledgeGraph | Statements, dest: Destination, target: RdfTarget) -> None:
    statements = Statements.of(source)
    if isinstance(dest, (str, os.PathLike)) and len(statements.graph.papers) >= CHILD_PROCESS_MIN_PAPERS:
        _write_in_child(statements, dest, target)
        return
    prefixes = RDF_PREFIXES if target in ("turtle", "trig") else None
    kind, chunks = _source(statements, target)
    with open_destination(dest) as handle:
        if chunks is None:
            parsed = parse(path=str(statements.cache), format=RdfFormat.N_QUADS, lenient=True)
        else:
            parsed = parse(chunk_stream(chunks), format=FORMATS[kind], lenient=True)
        convert(parsed, handle, target, prefixes, drop_graphs=kind == "nquads")


_CHILD: Final = (
    "import os, sys; from exograph.processes import die_with_parent; "
    "die_with_parent(int(os.environ.get('EXOGRAPH_PARENT_PID', os.getppid()))); "
    "from exograph.rdfconvert import main; sys.exit(main(sys.argv[1:]))"
)


def _write_in_child(statements: Statements, dest: str | os.PathLike[str], target: RdfTarget) -> None:
    """Generate here, serialise in a child Python running :func:`exograph.rdfconvert.main`; the file appears only if both succeed.

    When the co-occurrence statements are being written by the background
    job (:mod:`exograph.background`), a second serialiser
    converts them as soon as they are ready, while the first is still busy
    with the papers, and its output is appended: Turtle and N-Triples
    documents can be concatenated once the prefixes are declared at the top.
    """
    job = statements.job() if statements.cache is None and target in ("turtle", "ntriples") else None
    source, chunks = _source(statements, target, cooccurrence=job is None)
    command = [
        sys.executable,
        "-c",
        _CHILD,
        source,
        target,
        json.dumps(RDF_PREFIXES if target in ("turtle", "trig") else {}),
    ]
    with atomic_path(dest) as tmp, open(tmp, "wb") as out, tempfile.TemporaryFile() as errors:
        second: _Second | None = None
        if job is not None:
            second = _Second([*command, "fragment"], job[0], job[1], Path(f"{tmp}.cooccurrence"))
        try:
            if chunks is None:
                with open(str(statements.cache), "rb") as cached:
                    status = subprocess.run(command, stdin=cached, stdout=out, stderr=errors, check=False).returncode
            else:
                child = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=out, stderr=errors, env=_child_env())
                _widen_pipe(child)
                try:
                    _feed(chunks, child)
                except BaseException:
                    child.kill()
                    child.wait()
                    raise
                status = child.wait()
            _check(status, errors, target, dest)
            if second is not None:
                status, fragment = second.wait()
                _check(status, second.errors, target, dest)
                _append(fragment, out)
        finally:
            if second is not None:
                second.close()


class _Second:
    """The serialiser of the co-occurrence statements, started when the background job has written them.

    The child is started and waited for by a thread of its own that lives until the child ends. It must
    not be started from the job's done-callback: that runs in the process pool's manager thread, which
    ends when the pool shuts down, and Linux delivers a child's parent-death signal
    (:func:`exograph.processes.die_with_parent`) when the *thread* that started it ends, so the child
    was killed mid-write whenever it outlived the pool.
    """

    def __init__(self, command: list[str], job: Future[Any], text: Path, out: Path) -> None:
        self.command, self.text, self.out = command, text, out
        self.errors = tempfile.TemporaryFile()  # noqa: SIM115 (closed in close())
        self.child: subprocess.Popen[bytes] | None = None
        self.status: int | None = None
        self.failure: BaseException | None = None
        self._lock = threading.Lock()
        self._closing = False
        self.thread = threading.Thread(target=self._run, args=(job,), name="exograph-rdf-second", daemon=True)
        self.thread.start()

    def _run(self, job: Future[Any]) -> None:
        try:
            job.result()
            with self._lock:
                if self._closing:
                    return
                with open(self.text, "rb") as source, open(self.out, "wb") as target:
                    self.child = subprocess.Popen(
                        self.command, stdin=source, stdout=target, stderr=self.errors, env=_child_env()
                    )
            self.status = self.child.wait()
        except BaseException as exc:  # re-raised in wait(), in the thread that writes the file
            self.failure = exc

    def wait(self) -> tuple[int, Path]:
        self.thread.join()
        if self.failure is not None:
            raise self.failure
        assert self.status is not None
        return self.status, self.out

    def close(self) -> None:
        with self._lock:
            self._closing = True
            if self.child is not None and self.child.poll() is None:
                self.child.kill()
        self.thread.join()
        self.errors.close()
        self.out.unlink(missing_ok=True)


def _append(source: Path, out: IO[bytes]) -> None:
    """Copy a file to the end of ``out``, inside the kernel where it can (a fragment can be hundreds of MB)."""
    out.flush()
    sendfile = getattr(os, "sendfile", None)
    with open(source, "rb") as rest:
        size = os.fstat(rest.fileno()).st_size
        offset = 0
        with contextlib.suppress(OSError):  # e.g. macOS cannot sendfile to a regular file: copied below
            while sendfile is not None and offset < size:
                sent = sendfile(out.fileno(), rest.fileno(), offset, size - offset)
                if sent == 0:
                    break
                offset += sent
        rest.seek(offset)
        shutil.copyfileobj(rest, out, 1 << 20)


def _check(status: int, errors: IO[bytes], target: str, dest: str | os.PathLike[str]) -> None:
    if status != 0:
        errors.seek(0)
        message = errors.read().decode("utf-8", "replace").strip().splitlines()
        raise WriteError(
            f"serialising {target} failed: {message[-1] if message else f'exit status {status}'}",
            path=os.fspath(dest),
        )


def _child_env() -> dict[str, str]:
    """The serialiser's environment: ours, and our pid, so that it dies with us (see processes.die_with_parent)."""
    return {**os.environ, "EXOGRAPH_PARENT_PID": str(os.getpid())}


def _feed(chunks: Iterator[bytes], child: subprocess.Popen[bytes]) -> None:
    """Generate chunks here while a thread writes them to the child.

    Writing to a pipe blocks until the child has read; without the thread,
    generation and serialisation would take turns instead of running at once.
    """
    assert child.stdin is not None
    stdin = child.stdin
    queue: Queue[bytes | None] = Queue(maxsize=8)
    broken = threading.Event()

    def pump() -> None:
        try:
            while (chunk := queue.get()) is not None:
                if not broken.is_set():
                    stdin.write(chunk)
        except BrokenPipeError:
            broken.set()  # the child stopped reading; its exit status and message say why
            while queue.get() is not None:
                pass
        finally:
            with contextlib.suppress(BrokenPipeError):
                stdin.close()

    thread = threading.Thread(target=pump, name="exograph-rdf-feed", daemon=True)
    thread.start()
    try:
        for chunk in chunks:
            if broken.is_set():
                break
            queue.put(chunk)
    finally:
        queue.put(None)
        thread.join()


def _widen_pipe(child: subprocess.Popen[bytes]) -> None:
    """Ask Linux for a 1 MiB pipe (default 64 KiB), so generator and serialiser wake each other less often."""
    set_size = getattr(fcntl, "F_SETPIPE_SZ", None) if fcntl is not None else None
    if set_size is None or child.stdin is None:
        return
    with contextlib.suppress(OSError):
        fcntl.fcntl(child.stdin.fileno(), set_size, 1 << 20)
