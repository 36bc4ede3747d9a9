"""What a process of the out-of-core plan does with the memory its tasks free.

A worker process runs task after task. glibc's ``malloc`` hands a large block
(NumPy's arrays of a task are tens of megabytes) straight back to the system
when it is freed, and the next such block is new memory, which the kernel
must zero page by page. Keeping freed memory for reuse avoids that, but then
a worker's resident size stays at the largest task it has run, on top of which
the tasks of the next stage start. So a process keeps what it freed
(:func:`keep_freed_memory`) and gives it back after a task only when it holds
more than :data:`RESIDENT_KEEP` (:func:`release_memory`).
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import Final, cast

__all__ = ["RESIDENT_KEEP", "keep_freed_memory", "release_memory", "resident_bytes"]

#: Resident bytes a process may keep between tasks before it gives freed memory back.
RESIDENT_KEEP: Final = 1 << 30
# mallopt's parameters (malloc.h): the size above which a block is its own mapping, and the free memory at
# the top of the heap above which free() gives it back.
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
# The largest mapping threshold glibc accepts on 64-bit systems (HEAP_MAX_SIZE / 2).
_LARGEST_MMAP_THRESHOLD: Final = 32 << 20


@functools.cache
def keep_freed_memory() -> bool:
    """Have glibc keep freed blocks (up to 32 MiB each) for reuse instead of returning them at once; once per
    process. False where the C library has no ``mallopt`` (musl, macOS), where nothing changes."""
    mallopt = _libc_function("mallopt")
    if mallopt is None:
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, _LARGEST_MMAP_THRESHOLD)) and bool(mallopt(_M_TRIM_THRESHOLD, 2**31 - 1))


def release_memory(above: int = 0) -> None:
    """Give the memory this process freed back to the system (Arrow's pool and C's heap), if it holds more
    than ``above`` bytes."""
    if above and resident_bytes() <= above:
        return
    if "pyarrow" in sys.modules:
        sys.modules["pyarrow"].default_memory_pool().release_unused()
    trim = _libc_function("malloc_trim")
    if trim is not None:
        trim(0)


def resident_bytes() -> int:
    """This process's resident size (0 where ``/proc`` does not say)."""
    try:
        with open("/proc/self/statm", "rb") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


@functools.cache
def _libc_function(name: str) -> Callable[..., int] | None:
    """A function of glibc, or None where the C library has none."""
    import ctypes
    import ctypes.util

    library = ctypes.util.find_library("c")
    function = getattr(ctypes.CDLL(library), name, None) if library else None
    return cast("Callable[..., int] | None", function)
