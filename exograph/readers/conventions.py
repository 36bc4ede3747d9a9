"""Conventions every annotation source shares, defined once for all readers (and for ``exograph fetch``).

PubTator, BioC and paper cards say "no normalised id" and "this relation is new"
the same few ways; a reader that spelled its own list would drift from the others.
"""

from __future__ import annotations

from typing import Final

from ..diagnostics import Diagnostics

__all__ = ["NOT_NORMALISED", "NOVELTY", "novelty"]

#: Ids that sources use to say "this mention has no normalised id".
NOT_NORMALISED: Final = frozenset({"", "-", "-1", "null", "none", "n/a"})

#: BioRED's novelty flag values (case-insensitive).
NOVELTY: Final[dict[str, bool]] = {"novel": True, "no": False}


def novelty(value: str | None, diag: Diagnostics, *, path: str, line: int | None) -> bool | None:
    """A relation's novelty flag; a value that is none of BioRED's is recorded as a warning and read as unknown."""
    if value is None or not value.strip():
        return None
    flag = NOVELTY.get(value.strip().casefold())
    if flag is None:
        diag.warn("unknown-field", f"novelty flag {value!r} not understood", path=path, line=line)
    return flag
