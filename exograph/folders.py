"""How an exograph output folder is recognised, for the readers that must never read one as input.

The folder's full layout is :mod:`exograph.outdir`'s business; this is the one fact the readers need,
kept in the ground layer so that they do not import the build layer above them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

__all__ = ["STATE_DIR", "is_build_folder"]

#: The folder inside OUT that holds a build's state (generations, cache, lock).
STATE_DIR: Final = ".exograph"


def is_build_folder(path: Path) -> bool:
    """Whether ``path`` is an exograph output folder (so an input walk never reads a build's own outputs)."""
    return (path / STATE_DIR).is_dir()
