"""The output folder of a build: one owner at a time, every output published together.

Layout of ``OUT``::

    OUT/graph.ttl -> .exograph/current/graph.ttl     one stable link per output (store, kgx ... too)
    OUT/.exograph/current -> gen-20261203T075301-4242-a1b2c3
    OUT/.exograph/gen-.../                           one generation: everything one build wrote
    OUT/.exograph/cache/                             parsed inputs, reused by the next build
    OUT/.exograph/lock                               held (flock) by the build that owns OUT

A build writes into a fresh generation folder while readers keep seeing the
previous one; publishing switches the ``current`` link with one ``rename``, so a
reader sees either every old output or every new one, never new Turtle beside an
old store, and no moment passes without a store. The lock makes a second build
into the same folder fail at once with a clear message, and the generations that
a killed build left behind are removed by the next build.

This module only arranges files; what goes into them is the writers' business.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
import shutil
import time
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Final, TextIO

from .errors import ExographError, WriteError
from .folders import STATE_DIR, is_build_folder

__all__ = ["CACHE_DIR", "STATE_DIR", "BuildFolder", "BuildLockedError", "is_build_folder"]

CACHE_DIR: Final = "cache"
_CURRENT: Final = "current"
_GENERATION_PREFIX: Final = "gen-"


#: Output folders this process is building into (a POSIX lock never conflicts with its own process).
_HELD: set[str] = set()


class BuildLockedError(ExographError):
    """Another build owns the output folder."""


class BuildFolder:
    """Owns ``OUT`` for one build: the lock, the generation it writes into, the cache, publishing.

    >>> import tempfile
    >>> from pathlib import Path
    >>> out = Path(tempfile.mkdtemp())
    >>> with BuildFolder(out) as folder:
    ...     _ = (folder.generation / "a.txt").write_text("new")
    ...     folder.publish()
    >>> (out / "a.txt").read_text()
    'new'
    """

    def __init__(self, out: str | Path) -> None:
        self.out = Path(out)
        self.state = self.out / STATE_DIR
        self._lock: TextIO | None = None
        self._generation: Path | None = None
        self._key = ""
        self.published = False

    # -- owning --------------------------------------------------------------------------------------------
    def __enter__(self) -> BuildFolder:
        try:
            self.state.mkdir(parents=True, exist_ok=True)
            lock = open(self.state / "lock", "a+", encoding="utf-8")  # held until __exit__
        except OSError as exc:
            raise WriteError(f"cannot use as the output folder: {exc.strerror or exc}", path=self.out) from None
        key = str(self.state.resolve())
        try:
            if key in _HELD:
                raise BlockingIOError
            # A POSIX record lock, not flock: it belongs to this process alone, so the worker processes a
            # build forks do not hold it on after the build (flock locks are shared with forked children).
            fcntl.lockf(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except (BlockingIOError, PermissionError):
            lock.seek(0)
            holder = lock.read().strip() or "unknown"
            lock.close()
            raise BuildLockedError(
                f"{self.out}: another exograph build (pid {holder}) is writing this folder; "
                "wait for it to finish or choose another -o"
            ) from None
        _HELD.add(key)
        self._key = key
        lock.seek(0)
        lock.truncate()
        lock.write(str(os.getpid()))
        lock.flush()
        self._lock = lock
        self._remove_stale()
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
        self._generation = self.state / f"{_GENERATION_PREFIX}{stamp}-{os.getpid()}-{secrets.token_hex(3)}"
        self._generation.mkdir()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if not self.published and self._generation is not None:
            shutil.rmtree(self._generation, ignore_errors=True)
        if self._lock is not None:
            self._lock.close()  # releases the lock
            self._lock = None
            _HELD.discard(self._key)

    @property
    def generation(self) -> Path:
        """The folder this build writes its outputs into (published by :meth:`publish`)."""
        if self._generation is None:
            raise RuntimeError("BuildFolder is used outside its 'with' block")
        return self._generation

    @property
    def cache_dir(self) -> Path:
        """Where parsed inputs are cached between builds."""
        return self.state / CACHE_DIR

    def temporary(self, name: str) -> Path:
        """A scratch file of this build (inside its generation, so a killed build's scratch goes with it)."""
        return self.generation / f".{name}.part"

    # -- publishing ----------------------------------------------------------------------------------------
    def publish(self) -> None:
        """Make this build's outputs the folder's outputs, all at once."""
        generation = self.generation
        for scratch in generation.glob(".*.part"):
            _remove(scratch)
        names = sorted(p.name for p in generation.iterdir())
        for name in names:
            self._link(name)
        previous = self._current()
        link = self.state / f".{_CURRENT}.{secrets.token_hex(4)}"
        os.symlink(generation.name, link)
        os.replace(link, self.state / _CURRENT)  # the one switch every reader sees
        self.published = True
        _fsync_dir(self.state)
        self._unlink_outputs_not_in(names)
        if previous is not None and previous != generation:
            shutil.rmtree(previous, ignore_errors=True)

    def _link(self, name: str) -> None:
        """``OUT/name`` -> ``.exograph/current/name``; an output of the old layout (a plain file) is replaced."""
        target = self.out / name
        wanted = f"{STATE_DIR}/{_CURRENT}/{name}"
        if target.is_symlink() and os.readlink(target) == wanted:
            return
        link = self.out / f".{name}.{secrets.token_hex(4)}.link"
        os.symlink(wanted, link)
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)  # a folder written by an exograph of before generations (once)
        os.replace(link, target)

    def _unlink_outputs_not_in(self, names: Iterable[str]) -> None:
        """Links to outputs this build did not write (an earlier build's ``--output kgx``, say) would dangle."""
        keep = set(names)
        prefix = f"{STATE_DIR}/{_CURRENT}/"
        for entry in self.out.iterdir():
            if entry.is_symlink() and os.readlink(entry).startswith(prefix) and entry.name not in keep:
                entry.unlink()

    def _current(self) -> Path | None:
        link = self.state / _CURRENT
        if not link.is_symlink():
            return None
        return self.state / os.readlink(link)

    def _remove_stale(self) -> None:
        """Generations and scratch files that a killed build left (the lock says no build is running)."""
        current = self._current()
        for entry in self.state.iterdir():
            stale_generation = entry.name.startswith(_GENERATION_PREFIX) and entry != current
            stale_link = entry.name.startswith(f".{_CURRENT}.")
            if stale_generation or stale_link:
                _remove(entry)
        for entry in self.out.iterdir():
            if entry.name.startswith(".") and entry.name.endswith((".link", ".part")):
                _remove(entry)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
