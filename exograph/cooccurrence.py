"""Entity co-occurrence across papers, with the statistics Hetionet used for its MEDLINE edges.

For each pair of entities of configured types that share at least one paper we
test, with a one-sided Fisher's exact test (the hypergeometric tail), whether
they share more papers than chance would give, and adjust the p-values with
Benjamini-Hochberg over every pair tested in the corpus. Counting uses sparse
matrix products so that it stays fast on large corpora.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import numpy as np

if TYPE_CHECKING:
    from scipy import sparse

    from .graph import KnowledgeGraph

__all__ = [
    "DEFAULT_PAIRS",
    "CoOccurrence",
    "Incidence",
    "Result",
    "benjamini_hochberg",
    "cooccurrences",
    "incidence",
    "records",
    "result",
    "statistics",
]

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


def bh_adjust_subset(p: np.ndarray, low: np.ndarray, tests: int) -> np.ndarray:
    """Benjamini-Hochberg adjusted values of ``p`` among ``tests`` tests, knowing only the low p-values.

    ``low`` holds every tested p-value at or below some threshold t (``p`` among them). Each
    returned value is exact whenever it is <= t; above t it is only a lower bound, and such pairs
    are dropped by the caller anyway.
    """
    ordered = np.sort(low, kind="stable")
    ranks = np.arange(1, len(ordered) + 1)
    scaled = ordered * tests / ranks
    tail_min = np.minimum.accumulate(scaled[::-1])[::-1]
    # For tied p-values the largest rank gives the adjusted value.
    where = np.searchsorted(ordered, p, side="right") - 1
    return np.minimum(tail_min[where], 1.0)


def _hypergeom_tail(a: np.ndarray, n_a: np.ndarray, n_b: np.ndarray, total: int, max_steps: int = 4000) -> np.ndarray:
    """P(X >= a) for X ~ Hypergeom(total, n_a, n_b), vectorised.

    Sums the probability mass from ``a`` upwards with the ratio recurrence
    pmf(k+1)/pmf(k) = (n_a-k)(n_b-k) / ((k+1)(total-n_a-n_b+k+1)), stopping once the terms past
    the mode no longer change the sum; scipy (one element at a time, much slower) takes the rare
    tails that need more steps.
    """
    from scipy.special import gammaln

    a, n_a, n_b = (np.asarray(x, dtype=np.float64) for x in (a, n_a, n_b))

    def log_choose(n: np.ndarray, k: np.ndarray) -> np.ndarray:
        return np.asarray(gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1))

    out = np.ones(len(a))
    low = np.maximum(0.0, n_a + n_b - total)
    high = np.minimum(n_a, n_b)
    active = (a > low) & (a <= high)
    out[a > high] = 0.0
    idx = np.flatnonzero(active)
    if len(idx) == 0:
        return out
    k = a[idx].copy()
    na, nb = n_a[idx], n_b[idx]
    term = np.exp(log_choose(na, k) + log_choose(total - na, nb - k) - log_choose(np.full_like(na, total), nb))
    acc = term.copy()
    hi = high[idx]
    for _ in range(max_steps):
        ratio = (na - k) * (nb - k) / ((k + 1) * (total - na - nb + k + 1))
        term = term * ratio
        k = k + 1
        live = k <= hi
        term = np.where(live, term, 0.0)
        acc += term
        running = live & ((ratio >= 1.0) | (term > acc * 1e-17))
        if not running.any():
            break
        if running.mean() < 0.5:
            done = ~running
            out[idx[done]] = acc[done]
            idx, k, na, nb, term, acc, hi = (x[running] for x in (idx, k, na, nb, term, acc, hi))
    else:
        from scipy.stats import hypergeom  # imported only when needed: scipy.stats takes half a second to load

        out[idx] = hypergeom.sf(a[idx] - 1, total, n_a[idx], n_b[idx])
        return np.clip(out, 0.0, 1.0)
    out[idx] = acc
    return np.clip(out, 0.0, 1.0)


def _fisher_greater(
    a: np.ndarray,
    n_a: np.ndarray,
    n_b: np.ndarray,
    total: int,
    *,
    skip_below_mean: bool = False,
    above: float | None = None,
) -> np.ndarray:
    """One-sided Fisher's exact p-values, P(X >= a) for X ~ Hypergeom(total, n_a, n_b).

    With ``skip_below_mean``, pairs seen less often than expected get 1.0 instead of their exact
    p-value (which is at least 0.5); callers use it only when they keep p-values below 0.5.
    With ``above``, pairs sharing one paper whose p-value provably exceeds it also get 1.0:
    P(X = 0) <= (1 - n_a/total)^n_b <= exp(-n_a n_b / total), so P(X >= 1) >= 1 - exp(-n_a n_b / total).

    Most pairs share one paper; for them P(X >= 1) = 1 - P(X = 0) has a closed form.
    The rest share few distinct (a, n_a, n_b) triples, so each tail is computed once.
    """
    from scipy.special import gammaln

    out = np.ones(len(a))
    ones = a == 1
    rest = ~ones
    if above is not None and above < 1.0:
        ones &= n_a.astype(np.float64) * n_b < -np.log1p(-above) * total
    na1, nb1 = n_a[ones].astype(float), n_b[ones].astype(float)
    log_p0 = gammaln(total - na1 + 1) + gammaln(total - nb1 + 1) - gammaln(total + 1) - gammaln(total - na1 - nb1 + 1)
    out[ones] = -np.expm1(log_p0)
    if skip_below_mean:
        # The median of a hypergeometric distribution is within one of its mean, so P(X >= a) >= 0.5
        # when a <= mean - 1: such pairs cannot pass any threshold below 0.5 and need no exact tail.
        depleted = rest & (a <= n_a * n_b / total - 1)
        out[depleted] = 1.0
        rest &= ~depleted
    if rest.any():
        base = np.int64(total + 1)
        packed = (a[rest] * base + n_a[rest]) * base + n_b[rest]
        unique, inverse = np.unique(packed, return_inverse=True)
        ua, una, unb = unique // (base * base), (unique // base) % base, unique % base
        out[rest] = _hypergeom_tail(ua, una, unb, total)[inverse.ravel()]
    return np.clip(out, 0.0, 1.0)


def cooccurrences(
    kg: KnowledgeGraph,
    *,
    pairs: Iterable[tuple[str, str]] = DEFAULT_PAIRS,
    min_papers: int = 2,
    max_p: float = 0.05,
) -> list[CoOccurrence]:
    """All co-occurrence edges with at least ``min_papers`` shared papers and adjusted p <= ``max_p``."""
    matrix = incidence(kg)
    return records(
        result(matrix, statistics(matrix.columns, matrix.total, pairs=pairs, min_papers=min_papers, max_p=max_p))
    )


@dataclass(frozen=True)
class Incidence:
    """Which paper mentions which entity: one sparse papers x entities matrix per entity type.

    Rows follow the sorted paper keys and columns the sorted entity keys of
    the type, so a column's row indices are its papers in output order.
    """

    paper_keys: list[str]
    keys: dict[str, list[str]]
    columns: dict[str, sparse.csc_matrix]

    @property
    def total(self) -> int:
        """Number of papers."""
        return len(self.paper_keys)


def incidence(kg: KnowledgeGraph) -> Incidence:
    """The incidence matrices of a graph, built from each entity's set of papers."""
    from scipy import sparse

    paper_keys = sorted(kg.papers)
    by_type: dict[str, list[str]] = {}
    for key in sorted(kg.entities):
        by_type.setdefault(kg.entities[key].type, []).append(key)
    row_of = {key: r for r, key in enumerate(paper_keys)}
    columns: dict[str, sparse.csc_matrix] = {}
    for etype, members in by_type.items():
        rows = [[row_of[pk] for pk in kg.entities[key].papers] for key in members]
        indptr = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(np.fromiter(map(len, rows), dtype=np.int64, count=len(rows)), out=indptr[1:])
        indices = np.fromiter(itertools.chain.from_iterable(rows), dtype=np.int64, count=int(indptr[-1]))
        del rows
        matrix = sparse.csc_matrix(
            (np.ones(len(indices), dtype=np.int64), indices, indptr), shape=(len(paper_keys), len(members))
        )
        matrix.sort_indices()
        columns[etype] = matrix
    return Incidence(paper_keys, by_type, columns)


#: Statistics of the edges that pass: entity types and columns, shared papers, paper counts, p-values.
Stats = dict[str, np.ndarray]


def statistics(
    columns: dict[str, sparse.csc_matrix],
    total: int,
    *,
    pairs: Iterable[tuple[str, str]] = DEFAULT_PAIRS,
    min_papers: int = 2,
    max_p: float = 0.05,
) -> Stats:
    """Counts and tests for every co-occurring pair; only arrays in and out, so it can run in another process."""
    types = list(columns)
    # Benjamini-Hochberg needs the number of tests and the p-values that can pass: an adjusted
    # p-value is never below the raw one, so pairs with p > max_p cannot pass and cannot lower the
    # adjusted value of one that does. Only those with p <= max_p are kept, which keeps memory
    # proportional to the answer rather than to the number of pairs tested.
    low_p: list[np.ndarray] = []
    names = ("p", "src_type", "src", "dst_type", "dst", "a", "na", "nb")
    cand: dict[str, list[np.ndarray]] = {name: [] for name in names}
    tested = 0
    for ta, tb in dict.fromkeys(tuple(p) for p in pairs):
        if ta not in columns or tb not in columns:
            continue
        xa, xb = columns[ta], columns[tb]
        counts = (xa.T @ xb).tocoo()
        if ta == tb:
            upper = counts.row < counts.col
            rows, cols, data = counts.row[upper], counts.col[upper], counts.data[upper]
        else:
            rows, cols, data = counts.row, counts.col, counts.data
        del counts
        na = np.diff(xa.indptr)
        nb = np.diff(xb.indptr)
        a = data.astype(np.int64)
        n_a, n_b = na[rows].astype(np.int64), nb[cols].astype(np.int64)
        p = _fisher_greater(a, n_a, n_b, total, skip_below_mean=max_p < 0.5, above=max_p)
        tested += len(a)
        low = p <= max_p
        low_p.append(p[low])
        keep = np.flatnonzero(low & (a >= min_papers))
        cand["p"].append(p[keep])
        cand["src_type"].append(np.full(len(keep), types.index(ta)))
        cand["src"].append(rows[keep].astype(np.int64))
        cand["dst_type"].append(np.full(len(keep), types.index(tb)))
        cand["dst"].append(cols[keep].astype(np.int64))
        cand["a"].append(a[keep])
        cand["na"].append(n_a[keep])
        cand["nb"].append(n_b[keep])
        del rows, cols, data, a, n_a, n_b, p, low
    if tested == 0 or not sum(len(x) for x in cand["p"]):
        return {name: np.empty(0) for name in (*names, "p_adjusted")}
    out = {name: np.concatenate(values) for name, values in cand.items()}
    out["p_adjusted"] = bh_adjust_subset(out["p"], np.concatenate(low_p), tested)
    passed = out["p_adjusted"] <= max_p
    return {name: values[passed] for name, values in out.items()}


@dataclass(frozen=True)
class Result:
    """Everything needed to make the co-occurrence records; only lists and arrays, cheap to send between processes."""

    paper_keys: list[str]
    keys: dict[str, list[str]]
    stats: Stats
    supporting: list[np.ndarray]


def result(matrix: Incidence, stats: Stats) -> Result:
    """Attach to each passing pair the row indices of the papers it shares."""
    types = list(matrix.columns)
    supporting = [
        np.intersect1d(
            _papers_of(matrix.columns[types[int(ta)]], int(i)),
            _papers_of(matrix.columns[types[int(tb)]], int(j)),
            assume_unique=True,
        )
        for ta, i, tb, j in zip(stats["src_type"], stats["src"], stats["dst_type"], stats["dst"], strict=True)
    ]
    return Result(matrix.paper_keys, matrix.keys, stats, supporting)


def records(found: Result) -> list[CoOccurrence]:
    """The co-occurrence records of a :class:`Result`, sorted by (source, target)."""
    total = len(found.paper_keys)
    types = list(found.keys)
    stats = found.stats
    a, n_a, n_b = stats["a"], stats["na"], stats["nb"]
    expected = n_a * n_b / total if total else np.empty(0)
    b, c = n_a - a, n_b - a
    d = total - n_a - n_b + a
    log_odds = np.log((a + 0.5) * (d + 0.5) / ((b + 0.5) * (c + 0.5)))
    paper_keys = found.paper_keys
    out: list[CoOccurrence] = []
    for idx in range(len(a)):
        ta, tb = types[int(stats["src_type"][idx])], types[int(stats["dst_type"][idx])]
        out.append(
            CoOccurrence(
                source=found.keys[ta][int(stats["src"][idx])],
                target=found.keys[tb][int(stats["dst"][idx])],
                papers=int(a[idx]),
                source_papers=int(n_a[idx]),
                target_papers=int(n_b[idx]),
                total_papers=total,
                expected=float(expected[idx]),
                enrichment=float(a[idx] / expected[idx]),
                log_odds=float(log_odds[idx]),
                p_value=float(stats["p"][idx]),
                p_adjusted=float(stats["p_adjusted"][idx]),
                supporting=tuple(paper_keys[r] for r in found.supporting[idx].tolist()),
            )
        )
    out.sort(key=lambda e: (e.source, e.target))
    return out


def _papers_of(matrix: sparse.csc_matrix, column: int) -> np.ndarray:
    """Sorted row (paper) indices of one column of a CSC incidence matrix."""
    indices: np.ndarray = matrix.indices[matrix.indptr[column] : matrix.indptr[column + 1]]
    return indices
