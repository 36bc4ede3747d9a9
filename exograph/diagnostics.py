"""A place for readers and the builder to record warnings instead of dropping things silently."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from .models import Diagnostic

__all__ = ["Diagnostics"]


class Diagnostics:
    """Collects :class:`Diagnostic` records; the summary groups them by kind."""

    def __init__(self) -> None:
        self.items: list[Diagnostic] = []

    def warn(self, kind: str, message: str, *, path: str | None = None, line: int | None = None) -> None:
        """Record one warning."""
        self.items.append(Diagnostic(kind=kind, message=message, path=path, line=line))

    def extend(self, items: list[Diagnostic] | tuple[Diagnostic, ...]) -> None:
        """Add warnings recorded elsewhere (for example from a cached read)."""
        self.items.extend(items)

    def by_kind(self) -> dict[str, tuple[int, Diagnostic]]:
        """Count and first example per kind, so a summary never floods."""
        counts = Counter(d.kind for d in self.items)
        first: dict[str, Diagnostic] = {}
        for d in self.items:
            first.setdefault(d.kind, d)
        return {kind: (counts[kind], first[kind]) for kind in sorted(counts)}

    def __iter__(self) -> Iterator[Diagnostic]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)
