"""A process of the out-of-core plan keeps freed memory for its next task, and gives it back above a bound."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from exograph.memory import keep_freed_memory, release_memory, resident_bytes

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt and /proc")


def _touch_and_free(blocks: int = 50, size: int = 8 << 20) -> None:
    """Allocate, fill and free ``blocks`` blocks of ``size`` bytes (each below glibc's mapping threshold)."""
    held = [np.ones(size // 8, dtype=np.int64) for _ in range(blocks)]
    del held


def test_freed_memory_is_kept_until_released() -> None:
    assert keep_freed_memory()
    release_memory()
    before = resident_bytes()
    assert before > 0
    _touch_and_free()
    kept = resident_bytes()
    assert kept - before > 300 << 20  # 400 MB freed, still held for reuse
    release_memory(above=kept + (1 << 30))  # below the bound: kept
    assert resident_bytes() > kept - (50 << 20)
    release_memory(above=before)  # above it: given back
    assert resident_bytes() - before < 100 << 20
