"""Entity co-occurrence across papers, with the statistics Hetionet used for its MEDLINE edges.

For each pair of entities of configured types that share at least one paper we
test, with a one-sided Fisher's exact test (the hypergeometric tail), whether
they share more papers than chance would give, and adjust the p-values with
Benjamini-Hochberg over every pair tested in the corpus. Counting uses sparse
matrix products so that it stays fast on large corpora.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import numpy as np

from .graph import CoOccurrence, KnowledgeGraph

if TYPE_CHECKING:
    from scipy import sparse

__all__ = [
    "DEFAULT_PAIRS",
    "CoOccurrence",
    "Incidence",
    "Result",
    "benjamini_hochberg",
    "cooccurrences",
    "derived_statistics",
    "edge_records",
    "finalize",
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


def bh_adjust_subset(p: np.ndarray, low: np.ndarray, tests: int, alpha: float | None = None) -> np.ndarray:
    """Benjamini-Hochberg adjusted values of ``p`` among ``tests`` tests, knowing only the low p-values.

    ``low`` holds every tested p-value at or below some threshold t (``p`` among them). Each
    returned value is exact whenever it is <= t; above t it is only a lower bound, and such pairs
    are dropped by the caller anyway.

    Given ``alpha`` (<= t), only values that can end up <= alpha are exact: a p-value passes at
    level alpha only if p <= k alpha / tests where k counts the p-values up to it, so iterating
    t <- #{low <= t} alpha / tests from t = alpha shrinks the set to sort to the few that can
    pass, while every value above the final t is still given an adjusted value above alpha.
    """
    if alpha is not None and len(low):
        bound = alpha
        while True:
            tighter = np.count_nonzero(low <= bound) * alpha / tests
            if tighter >= bound:
                break
            bound = tighter
        low = low[low <= bound]
        small = p <= bound
        out = np.ones(len(p))
        if small.any():
            out[small] = bh_adjust_subset(p[small], low, tests)
        return out
    ordered = np.sort(low, kind="stable")
    ranks = np.arange(1, len(ordered) + 1)
    scaled = ordered * tests / ranks
    tail_min = np.minimum.accumulate(scaled[::-1])[::-1]
    # For tied p-values the largest rank gives the adjusted value.
    where = np.searchsorted(ordered, p, side="right") - 1
    return np.minimum(tail_min[where], 1.0)


def _log_factorials(total: int) -> np.ndarray:
    """log(k!) for k = 0..total: every log binomial coefficient of a test is three lookups in this table."""
    from scipy.special import gammaln

    return np.asarray(gammaln(np.arange(total + 1, dtype=np.float64) + 1.0))


def _log_factorial(n: np.ndarray | int) -> np.ndarray:
    """log(n!) of each n, computed on the spot: the same function of the same floats as the table of
    :func:`_log_factorials`, so the same values to the last bit. A task that tests a bucket's pairs needs a few
    of them, where the table costs time in proportion to the corpus, once per task."""
    from scipy.special import gammaln

    return np.asarray(gammaln(np.asarray(n, dtype=np.float64) + 1.0))


def _log_factorial_of(table: np.ndarray | None) -> Callable[[np.ndarray | int], np.ndarray]:
    """log(n!) by lookup in a table of :func:`_log_factorials` when one is given, else computed."""
    return _log_factorial if table is None else table.__getitem__


def _hypergeom_tail(
    a: np.ndarray,
    n_a: np.ndarray,
    n_b: np.ndarray,
    total: int,
    max_steps: int = 4000,
    log_fact: np.ndarray | None = None,
    above: float | None = None,
) -> np.ndarray:
    """P(X >= a) for X ~ Hypergeom(total, n_a, n_b), vectorised.

    Sums the probability mass from ``a`` upwards with the ratio recurrence
    pmf(k+1)/pmf(k) = (n_a-k)(n_b-k) / ((k+1)(total-n_a-n_b+k+1)), stopping once the terms past
    the mode no longer change the sum; scipy (one element at a time, much slower) takes the rare
    tails that need more steps. With ``above``, a sum that passes it stops there and gives 1.0:
    the tails near the mean, which need the most steps, are exactly the uninteresting ones.
    """
    lf = _log_factorial_of(log_fact)
    a, n_a, n_b = (np.asarray(x, dtype=np.int64) for x in (a, n_a, n_b))
    out = np.ones(len(a))
    low = np.maximum(0, n_a + n_b - total)
    high = np.minimum(n_a, n_b)
    active = (a > low) & (a <= high)
    out[a > high] = 0.0
    idx = np.flatnonzero(active)
    if len(idx) == 0:
        return out
    ki, nai, nbi = a[idx], n_a[idx], n_b[idx]

    def log_choose(n: np.ndarray | int, k: np.ndarray) -> np.ndarray:
        return np.asarray(lf(n) - lf(k) - lf(n - k))

    term = np.exp(log_choose(nai, ki) + log_choose(total - nai, nbi - ki) - log_choose(total, nbi))
    k, na, nb = ki.astype(np.float64), nai.astype(np.float64), nbi.astype(np.float64)
    acc = term.copy()
    hi = high[idx].astype(np.float64)
    rest = total - na - nb  # total - n_a - n_b + k + 1 = rest + k + 1
    limit = np.inf if above is None else above
    for _ in range(max_steps):
        ratio = (na - k) * (nb - k) / ((k + 1) * (rest + k + 1))
        term *= ratio
        k += 1
        live = k <= hi
        term[~live] = 0.0
        acc += term
        running = live & ((ratio >= 1.0) | (term > acc * 1e-17)) & (acc <= limit)
        if not running.any():
            break
        if running.mean() < 0.75:
            done = ~running
            out[idx[done]] = np.where(acc[done] > limit, 1.0, acc[done])
            idx, k, na, nb, term, acc, hi, rest = (x[running] for x in (idx, k, na, nb, term, acc, hi, rest))
    else:
        from scipy.stats import hypergeom  # imported only when needed: scipy.stats takes half a second to load

        out[idx] = hypergeom.sf(a[idx] - 1, total, n_a[idx], n_b[idx])
        return np.clip(out, 0.0, 1.0)
    out[idx] = np.where(acc > limit, 1.0, acc)
    return np.clip(out, 0.0, 1.0)


def _fisher_greater(
    a: np.ndarray,
    n_a: np.ndarray,
    n_b: np.ndarray,
    total: int,
    *,
    skip_below_mean: bool = False,
    above: float | None = None,
    log_fact: np.ndarray | None = None,
) -> np.ndarray:
    """One-sided Fisher's exact p-values, P(X >= a) for X ~ Hypergeom(total, n_a, n_b).

    With ``skip_below_mean``, pairs seen less often than expected get 1.0 instead of their exact
    p-value (which is at least 0.5); callers use it only when they keep p-values below 0.5.
    With ``above``, pairs whose p-value exceeds it also get 1.0: for pairs sharing one paper,
    P(X = 0) <= (1 - n_a/total)^n_b <= exp(-n_a n_b / total), so P(X >= 1) >= 1 - exp(-n_a n_b / total);
    for the others the tail sum stops once it passes ``above``.

    Most pairs share one paper; for them P(X >= 1) = 1 - P(X = 0) has a closed form.
    The rest share few distinct (a, n_a, n_b) triples, so each tail is computed once.
    Work is done on index subsets, never on whole arrays more than needed: a large
    corpus has tens of millions of pairs.
    """
    lf = _log_factorial_of(log_fact)
    a = np.asarray(a)
    out = np.ones(len(a))
    one = np.flatnonzero(a == 1)
    na1, nb1 = np.asarray(n_a)[one].astype(np.int64), np.asarray(n_b)[one].astype(np.int64)
    keep = na1 + nb1 <= total  # otherwise the two always share a paper: P(X >= 1) = 1
    if above is not None and above < 1.0:
        keep &= na1 * nb1 < -np.log1p(-above) * total
    one, na1, nb1 = one[keep], na1[keep], nb1[keep]
    out[one] = -np.expm1(lf(total - na1) + lf(total - nb1) - lf(total) - lf(total - na1 - nb1))
    rest = np.flatnonzero(a > 1)
    ar = a[rest].astype(np.int64)
    nar, nbr = np.asarray(n_a)[rest].astype(np.int64), np.asarray(n_b)[rest].astype(np.int64)
    if skip_below_mean:
        # The median of a hypergeometric distribution is within one of its mean, so P(X >= a) >= 0.5
        # when a <= mean - 1: such pairs cannot pass any threshold below 0.5 and need no exact tail.
        enriched = ar > nar * nbr / total - 1
        rest, ar, nar, nbr = rest[enriched], ar[enriched], nar[enriched], nbr[enriched]
    if len(rest):
        ua, una, unb, inverse = _distinct_triples(ar, nar, nbr)
        out[rest] = _hypergeom_tail(ua, una, unb, total, log_fact=log_fact, above=above)[inverse]
    return np.clip(out, 0.0, 1.0, out=out)


def _distinct_triples(
    a: np.ndarray, n_a: np.ndarray, n_b: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The distinct (a, n_a, n_b) of the pairs (none negative), and each pair's index into them.

    The three are packed into one integer, each in as many bits as its largest value needs, so one sort of
    integers finds them. The widths follow the counts, not the corpus: packing by the corpus size would stop
    fitting in 64 bits above two million papers, where the rows would have to be compared whole, several times
    slower. They are compared whole (sorted by three keys) only when the three widths exceed 63 bits together.
    """
    widths = [int(x.max()).bit_length() if len(x) else 0 for x in (a, n_a, n_b)]
    if sum(widths) <= 63:
        shift_a, shift_na = widths[1] + widths[2], widths[2]
        packed = (a.astype(np.int64) << shift_a) | (n_a.astype(np.int64) << shift_na) | n_b.astype(np.int64)
        unique, inverse = np.unique(packed, return_inverse=True)
        mask_na, mask_nb = (1 << widths[1]) - 1, (1 << widths[2]) - 1
        return unique >> shift_a, (unique >> shift_na) & mask_na, unique & mask_nb, inverse.ravel()
    order = np.lexsort((n_b, n_a, a))
    sa, sna, snb = a[order], n_a[order], n_b[order]
    new = np.ones(len(order), dtype=bool)
    new[1:] = (sa[1:] != sa[:-1]) | (sna[1:] != sna[:-1]) | (snb[1:] != snb[:-1])
    inverse = np.empty(len(order), dtype=np.int64)
    inverse[order] = np.cumsum(new) - 1
    return sa[new], sna[new], snb[new], inverse


def cooccurrences(
    kg: KnowledgeGraph,
    *,
    pairs: Iterable[tuple[str, str]] = DEFAULT_PAIRS,
    min_papers: int = 2,
    max_p: float = 0.05,
) -> list[CoOccurrence]:
    """All co-occurrence edges with at least ``min_papers`` shared papers and adjusted p <= ``max_p``.

    Each lists its supporting papers if the graph keeps them (:attr:`KnowledgeGraph.edge_papers`).
    """
    matrix = incidence(kg)
    stats = statistics(matrix.columns, matrix.total, pairs=pairs, min_papers=min_papers, max_p=max_p)
    return records(result(matrix, stats, papers=kg.edge_papers))


def finalize(
    kg: KnowledgeGraph,
    *,
    pairs: Iterable[tuple[str, str]] | None = None,
    min_papers: int = 2,
    max_p: float = 0.05,
) -> None:
    """Compute the graph's co-occurrence edges once every paper is in (``kg.cooccurrence``)."""
    kg.cooccurrence = cooccurrences(kg, pairs=pairs or DEFAULT_PAIRS, min_papers=min_papers, max_p=max_p)


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
    """The incidence matrices of a graph, read from the papers' entity keys.

    Each (paper, entity) link becomes one integer code, column-major, so that a
    single sort puts them in CSC order; the lookups hit a dictionary of entity
    keys (small, hot in cache) rather than one of paper keys for each of millions of links.
    """
    from scipy import sparse

    paper_keys = sorted(kg.papers)
    by_type: dict[str, list[str]] = {}
    for key in sorted(kg.entities):
        by_type.setdefault(kg.entities[key].type, []).append(key)
    column_of: dict[str, int] = {}
    for members in by_type.values():
        column_of.update(zip(members, range(len(column_of), len(column_of) + len(members)), strict=True))
    nodes = [kg.papers[key] for key in paper_keys]
    sizes = np.fromiter((len(n.about) + len(n.mentions) for n in nodes), dtype=np.int64, count=len(nodes))
    linked = itertools.chain.from_iterable(itertools.chain(n.about, n.mentions) for n in nodes)
    columns_flat = np.fromiter(map(column_of.__getitem__, linked), dtype=np.int64, count=int(sizes.sum()))
    rows_flat = np.repeat(np.arange(len(nodes), dtype=np.int64), sizes)
    height = max(len(nodes), 1)
    codes = columns_flat * height + rows_flat
    del columns_flat, rows_flat
    codes.sort()
    # An entity both 'about' and mentioned in a paper is one link (np.unique does the same, but slower).
    codes = codes[np.concatenate(([True], codes[1:] != codes[:-1]))] if len(codes) else codes
    index = np.int32 if max(len(codes), len(nodes)) < np.iinfo(np.int32).max else np.int64
    rows = (codes % height).astype(index)
    starts = np.zeros(len(column_of) + 1, dtype=np.int64)
    np.cumsum(np.bincount(codes // height, minlength=len(column_of)), out=starts[1:])
    columns: dict[str, sparse.csc_matrix] = {}
    first = 0
    for etype, members in by_type.items():
        span = starts[first : first + len(members) + 1]
        columns[etype] = sparse.csc_matrix(
            (np.ones(span[-1] - span[0], dtype=np.int32), rows[span[0] : span[-1]], (span - span[0]).astype(index)),
            shape=(len(paper_keys), len(members)),
        )
        first += len(members)
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
    log_fact = _log_factorials(total)
    for ta, tb in dict.fromkeys(tuple(p) for p in pairs):
        if ta not in columns or tb not in columns:
            continue
        xa, xb = columns[ta], columns[tb]
        counts = (xa.T @ xb).tocoo()
        if ta == tb:
            upper = counts.row < counts.col
            rows, cols, a = counts.row[upper], counts.col[upper], counts.data[upper]
        else:
            rows, cols, a = counts.row, counts.col, counts.data
        del counts
        n_a, n_b = np.diff(xa.indptr)[rows], np.diff(xb.indptr)[cols]
        p = _fisher_greater(a, n_a, n_b, total, skip_below_mean=max_p < 0.5, above=max_p, log_fact=log_fact)
        tested += len(a)
        low = p <= max_p
        low_p.append(p[low])
        keep = np.flatnonzero(low & (a >= min_papers))
        cand["p"].append(p[keep])
        cand["src_type"].append(np.full(len(keep), types.index(ta)))
        cand["src"].append(rows[keep].astype(np.int64))
        cand["dst_type"].append(np.full(len(keep), types.index(tb)))
        cand["dst"].append(cols[keep].astype(np.int64))
        cand["a"].append(a[keep].astype(np.int64))
        cand["na"].append(n_a[keep].astype(np.int64))
        cand["nb"].append(n_b[keep].astype(np.int64))
        del rows, cols, a, n_a, n_b, p, low
    if tested == 0 or not sum(len(x) for x in cand["p"]):
        return {name: np.empty(0) for name in (*names, "p_adjusted")}
    out = {name: np.concatenate(values) for name, values in cand.items()}
    out["p_adjusted"] = bh_adjust_subset(out["p"], np.concatenate(low_p), tested, alpha=max_p)
    passed = out["p_adjusted"] <= max_p
    return {name: values[passed] for name, values in out.items()}


@dataclass(frozen=True)
class Result:
    """Everything needed to make the co-occurrence records; only lists and arrays, cheap to send between processes."""

    paper_keys: list[str]
    keys: dict[str, list[str]]
    stats: Stats
    supporting: list[np.ndarray]


def result(matrix: Incidence, stats: Stats, *, papers: bool = True) -> Result:
    """Attach to each passing pair the row indices of the papers it shares (none without ``papers``)."""
    types = list(matrix.columns)
    if not papers:
        none = np.empty(0, dtype=np.int64)
        return Result(matrix.paper_keys, matrix.keys, stats, [none] * len(stats["src"]))
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
    types = list(found.keys)
    stats = found.stats
    sources = [found.keys[types[int(t)]][int(i)] for t, i in zip(stats["src_type"], stats["src"], strict=True)]
    targets = [found.keys[types[int(t)]][int(i)] for t, i in zip(stats["dst_type"], stats["dst"], strict=True)]
    paper_keys = found.paper_keys
    supporting = [tuple(paper_keys[r] for r in rows.tolist()) for rows in found.supporting]
    return edge_records(sources, targets, stats, len(paper_keys), supporting)


def edge_records(
    sources: list[str], targets: list[str], stats: Stats, total: int, supporting: list[tuple[str, ...]]
) -> list[CoOccurrence]:
    """Co-occurrence records from their keys and counts (``stats``: a, na, nb, p, p_adjusted), sorted.

    The one place the derived statistics (expected count, enrichment, log odds) are computed, for the
    in-memory graph and the out-of-core plan alike, so both give the same numbers to the last bit.
    """
    a, n_a, n_b = stats["a"], stats["na"], stats["nb"]
    derived = derived_statistics(stats, total)
    expected, enrichment, log_odds = derived["expected"], derived["enrichment"], derived["log_odds"]
    out: list[CoOccurrence] = []
    for idx in range(len(a)):
        out.append(
            CoOccurrence(
                source=sources[idx],
                target=targets[idx],
                papers=int(a[idx]),
                source_papers=int(n_a[idx]),
                target_papers=int(n_b[idx]),
                total_papers=total,
                expected=float(expected[idx]),
                enrichment=float(enrichment[idx]),
                log_odds=float(log_odds[idx]),
                p_value=float(stats["p"][idx]),
                p_adjusted=float(stats["p_adjusted"][idx]),
                supporting=supporting[idx],
            )
        )
    out.sort(key=lambda e: (e.source, e.target))
    return out


def derived_statistics(stats: Stats, total: int) -> Stats:
    """Expected count, enrichment and log odds ratio of each pair (``stats``: a, na, nb), as arrays.

    The one place they are computed: :func:`edge_records` (the in-memory graph) and the plan's statements by
    columns (:mod:`exograph.rdf_columns`) both take them from here, so both give the same numbers to the last bit.
    """
    a, n_a, n_b = stats["a"], stats["na"], stats["nb"]
    expected = n_a * n_b / total if total else np.full(len(a), np.nan)
    b, c = n_a - a, n_b - a
    d = total - n_a - n_b + a
    with np.errstate(divide="ignore", invalid="ignore"):
        enrichment = a / expected
    log_odds = np.log((a + 0.5) * (d + 0.5) / ((b + 0.5) * (c + 0.5)))
    return {"expected": expected, "enrichment": enrichment, "log_odds": log_odds}


def _papers_of(matrix: sparse.csc_matrix, column: int) -> np.ndarray:
    """Sorted row (paper) indices of one column of a CSC incidence matrix."""
    indices: np.ndarray = matrix.indices[matrix.indptr[column] : matrix.indptr[column + 1]]
    return indices
