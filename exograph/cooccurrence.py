"""Entity co-occurrence across papers, with the statistics Hetionet used for its MEDLINE edges.

For each pair of entities of configured types that share at least one paper we
test, with a one-sided Fisher's exact test (the hypergeometric tail), whether
they share more papers than chance would give, and adjust the p-values with
Benjamini-Hochberg over every pair tested in the corpus. Counting uses sparse
matrix products so that it stays fast on large corpora.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import numpy as np

if TYPE_CHECKING:
    from .graph import KnowledgeGraph

__all__ = ["DEFAULT_PAIRS", "CoOccurrence", "benjamini_hochberg", "cooccurrences"]

DEFAULT_PAIRS: Final[tuple[tuple[str, str], ...]] = (
    ("Gene", "Disease"),
    ("ChemicalEntity", "Disease"),
    ("Gene", "ChemicalEntity"),
    ("Gene", "Gene"),
)


@dataclass(frozen=True, slots=True)
class CoOccurrence:
    """Two entities mentioned in the same papers, with how surprising that is."""

    source: str
    target: str
    papers: int
    source_papers: int
    target_papers: int
    total_papers: int
    expected: float
    enrichment: float
    log_odds: float
    p_value: float
    p_adjusted: float
    supporting: tuple[str, ...]


def benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (monotone, capped at 1)."""
    n = len(p)
    if n == 0:
        return p.astype(float)
    order = np.argsort(p, kind="mergesort")
    ranked = p[order] * n / np.arange(1, n + 1)
    adjusted = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(n)
    out[order] = np.minimum(adjusted, 1.0)
    return out


def cooccurrences(
    kg: KnowledgeGraph,
    *,
    pairs: Iterable[tuple[str, str]] = DEFAULT_PAIRS,
    min_papers: int = 2,
    max_p: float = 1.0,
) -> list[CoOccurrence]:
    """All co-occurrence edges with at least ``min_papers`` shared papers and adjusted p <= ``max_p``."""
    from scipy import sparse
    from scipy.stats import hypergeom

    paper_keys = sorted(kg.papers)
    total = len(paper_keys)
    if total == 0:
        return []
    by_type: dict[str, list[str]] = {}
    for key in sorted(kg.entities):
        by_type.setdefault(kg.entities[key].type, []).append(key)
    column = {key: i for keys in by_type.values() for i, key in enumerate(keys)}

    def incidence(etype: str) -> sparse.csc_matrix:
        rows: list[int] = []
        cols: list[int] = []
        members = set(by_type.get(etype, ()))
        for r, pk in enumerate(paper_keys):
            node = kg.papers[pk]
            for key in {*node.about, *node.mentions}:
                if key in members:
                    rows.append(r)
                    cols.append(column[key])
        data = np.ones(len(rows), dtype=np.int64)
        shape = (total, len(by_type.get(etype, ())))
        return sparse.csc_matrix((data, (rows, cols)), shape=shape)

    cache: dict[str, sparse.csc_matrix] = {}
    found: list[tuple[str, str, int, int, int]] = []
    for ta, tb in dict.fromkeys(tuple(p) for p in pairs):
        if ta not in by_type or tb not in by_type:
            continue
        xa = cache.setdefault(ta, incidence(ta))
        xb = cache.setdefault(tb, incidence(tb))
        counts = (xa.T @ xb).tocoo()
        na = np.asarray(xa.sum(axis=0)).ravel()
        nb = np.asarray(xb.sum(axis=0)).ravel()
        keys_a, keys_b = by_type[ta], by_type[tb]
        for i, j, c in zip(counts.row.tolist(), counts.col.tolist(), counts.data.tolist(), strict=True):
            if ta == tb and i >= j:
                continue
            found.append((keys_a[i], keys_b[j], int(c), int(na[i]), int(nb[j])))
    if not found:
        return []
    a = np.array([f[2] for f in found], dtype=np.int64)
    n_a = np.array([f[3] for f in found], dtype=np.int64)
    n_b = np.array([f[4] for f in found], dtype=np.int64)
    expected = n_a * n_b / total
    p_value = np.clip(hypergeom.sf(a - 1, total, n_a, n_b), 0.0, 1.0)
    p_adjusted = benjamini_hochberg(p_value)
    b, c = n_a - a, n_b - a
    d = total - n_a - n_b + a
    log_odds = np.log((a + 0.5) * (d + 0.5) / ((b + 0.5) * (c + 0.5)))
    out: list[CoOccurrence] = []
    for idx in np.flatnonzero((a >= min_papers) & (p_adjusted <= max_p)).tolist():
        source, target = found[idx][0], found[idx][1]
        supporting = tuple(sorted(kg.entities[source].papers & kg.entities[target].papers))
        out.append(
            CoOccurrence(
                source=source,
                target=target,
                papers=int(a[idx]),
                source_papers=int(n_a[idx]),
                target_papers=int(n_b[idx]),
                total_papers=total,
                expected=float(expected[idx]),
                enrichment=float(a[idx] / expected[idx]),
                log_odds=float(log_odds[idx]),
                p_value=float(p_value[idx]),
                p_adjusted=float(p_adjusted[idx]),
                supporting=supporting,
            )
        )
    out.sort(key=lambda e: (e.source, e.target))
    return out
