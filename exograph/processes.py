"""How exograph starts worker processes."""

from __future__ import annotations

import multiprocessing
import threading

__all__ = ["start_method"]


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
