"""How exograph starts worker processes."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import sys
import threading

__all__ = ["die_with_parent", "parent_for", "start_method"]


def start_method() -> str:
    """fork when that is safe, else a fresh interpreter.

    fork starts instantly and does not re-run the caller's script (which
    spawn does, breaking scripts without a ``__main__`` guard), but it is only
    safe while this process runs a single thread: a lock held by another
    thread would stay locked forever in the child. Notebooks run several
    threads and get forkserver, which needs no importable main module.
    """
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return "fork"
    return "forkserver" if "forkserver" in methods else "spawn"


def die_with_parent(parent: int | None) -> None:
    """Have the kernel kill this process when its parent dies (Linux), so no child outlives a killed build.

    Called first thing in every worker and serialiser process. ``parent`` is the pid the child was started
    from, when it is its direct parent (not so for a forkserver's workers): if that process already died
    before the request took effect, the child exits at once.
    """
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    if parent is not None and os.getppid() != parent:
        os._exit(1)


_PR_SET_PDEATHSIG = 1


def parent_for(method: str) -> int | None:
    """The pid a worker started with ``method`` has as its parent: this process for fork, else unknown."""
    return os.getpid() if method == "fork" else None
