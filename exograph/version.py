"""exograph's version, in a module of its own: every module may name it without importing the package face above it."""

from __future__ import annotations

__all__ = ["__version__"]

#: Kept equal to ``pyproject.toml``'s ``version`` (``tests/test_docs.py`` checks it).
__version__ = "0.1.0"
