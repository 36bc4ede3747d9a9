"""Co-occurrence statistics, the summary, incremental rebuilds and per-paper named graphs."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest
import rdflib
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import false_discovery_control, fisher_exact
from typer.testing import CliRunner

from exograph.cli import app
from exograph.cooccurrence import benjamini_hochberg
from exograph.pipeline import build
from exograph.readers import read_papers

from .conftest import FIXTURES, SEED

runner = CliRunner()


def test_cooccurrence_matches_scipy_fisher_exact() -> None:
    kg = build([FIXTURES / "cards"], min_papers=1, max_p=1.0).graph
    total = len(kg.papers)
    assert kg.cooccurrence
    for edge in kg.cooccurrence:
        a = edge.papers
        b = edge.source_papers - a
        c = edge.target_papers - a
        d = total - a - b - c
        _, p = fisher_exact([[a, b], [c, d]], alternative="greater")
        assert edge.p_value == pytest.approx(p, rel=1e-9, abs=1e-12)
        assert edge.expected == pytest.approx(edge.source_papers * edge.target_papers / total)
        assert edge.enrichment == pytest.approx(a / edge.expected)
        assert edge.log_odds == pytest.approx(math.log((a + 0.5) * (d + 0.5) / ((b + 0.5) * (c + 0.5))))
        assert set(edge.supporting) == kg.entities[edge.source].papers & kg.entities[edge.target].papers
    raw = np.array([e.p_value for e in kg.cooccurrence])
    assert np.allclose([e.p_adjusted for e in kg.cooccurrence], false_discovery_control(raw, method="bh"))
    vegfa_breast = next(e for e in kg.cooccurrence if (e.source, e.target) == ("NCBIGene:7422", "MESH:D001943"))
    assert (vegfa_breast.papers, vegfa_breast.source_papers, vegfa_breast.target_papers, vegfa_breast.total_papers) == (
        3,
        3,
        3,
        4,
    )
    assert vegfa_breast.p_value == pytest.approx(0.25)


def test_bh_matches_scipy_on_random_values() -> None:
    rng = np.random.default_rng(3)
    p = rng.uniform(size=500) ** 3
    assert np.allclose(benjamini_hochberg(p), false_discovery_control(p, method="bh"))


@pytest.mark.parametrize("seed", range(5))
def test_bh_from_the_low_p_values_only_is_exact_where_it_passes(seed: int) -> None:
    """A large corpus keeps only p <= max_p (and sorts only those that can pass); passing values stay exact."""
    from exograph.cooccurrence import bh_adjust_subset

    rng = np.random.default_rng(seed)
    p = np.concatenate([rng.uniform(size=20_000), rng.uniform(size=300) * 1e-5, np.full(7, 3e-4)])
    full = false_discovery_control(p, method="bh")
    low = p[p <= 0.05]
    candidates = rng.permutation(low)
    truth = np.array([full[np.flatnonzero(p == c)[0]] for c in candidates])
    assert (truth <= 0.05).any()
    for alpha in (0.05, 0.01, 1e-4):
        adjusted = bh_adjust_subset(candidates, low, len(p), alpha=alpha)
        passing = truth <= alpha
        assert np.allclose(adjusted[passing], truth[passing], rtol=1e-12)
        assert (adjusted[~passing] > alpha).all()


def test_default_type_pairs_and_thresholds() -> None:
    kg = build([FIXTURES / "cards"], min_papers=1, max_p=1.0).graph
    pairs = {(kg.entities[e.source].type, kg.entities[e.target].type) for e in kg.cooccurrence}
    assert pairs == {("Gene", "Disease"), ("ChemicalEntity", "Disease"), ("Gene", "ChemicalEntity"), ("Gene", "Gene")}
    strict = build([FIXTURES / "cards"], min_papers=3, max_p=1.0).graph
    assert [(e.source, e.target) for e in strict.cooccurrence] == [("NCBIGene:7422", "MESH:D001943")]
    assert build([FIXTURES / "cards"], min_papers=1, max_p=0.2).graph.cooccurrence == [
        e for e in kg.cooccurrence if e.p_adjusted <= 0.2
    ]


def test_cooccurrence_in_graphml_and_html(multi_build: Path) -> None:
    from exograph.writers import read_graphml

    g = read_graphml(multi_build / "graph.graphml")
    co = [d for _, _, d in g.edges(data=True) if d["type"] == "co_occurs_with"]
    assert len(co) == 10 and all({"papers", "p_value", "p_adjusted", "supporting"} <= d.keys() for d in co)
    html = (multi_build / "graph.html").read_text()
    assert '"p_adjusted":' in html and 'id="pmax"' in html


def test_summary_and_stats(multi_build: Path) -> None:
    summary = json.loads((multi_build / "summary.json").read_text())
    assert summary["papers"] == 4
    assert summary["edges"]["co_occurs_with"] == 10
    assert summary["top_entities"]["Gene"][0] == {"id": "NCBIGene:7422", "label": "VEGFA", "papers": 3}
    assert summary["entities_without_ids"] == ["exo.id:ChemicalEntity/car-t"]
    assert summary["merges"]["entities_in_several_papers"] == 7
    assert summary["merges"]["entities_with_several_names"] == 2
    result = runner.invoke(app, ["stats", str(multi_build)])
    assert "| co_occurs_with | 10 |" in result.stdout


def test_warnings_grouped_by_kind_with_example(tmp_path: Path) -> None:
    cards = tmp_path / "cards"
    cards.mkdir()
    for i in range(30):
        text = SEED.read_text().replace("oxygen (MESH:D010100)", f"oxygen (FOO:{i})")
        text = text.replace("PMC12921707", f"PMC{i + 1}").replace("fonc.2025.1583295", f"fonc.{i}")
        (cards / f"{i:02d}.md").write_text(text + "\n## Methods\n\nsecret\n")
    out = tmp_path / "out"
    result = runner.invoke(app, ["build", str(cards), "-o", str(out), "--no-store"])
    assert result.exit_code == 0
    warn_lines = [line for line in result.stderr.splitlines() if "warning(s)" in line]
    assert len(warn_lines) == 2
    assert any("30 warning(s) 'unknown-id-scheme'" in line and "FOO:0" in line for line in warn_lines)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["warnings"]["unknown-section"]["count"] == 30


def _build(cards: Path, out: Path) -> dict[str, bytes]:
    result = build([cards], out, store=False)
    assert result.ok
    return {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}, result  # type: ignore[return-value]


def test_incremental_rebuild_reads_only_changed_cards(tmp_path: Path) -> None:
    cards = tmp_path / "cards"
    shutil.copytree(FIXTURES / "cards", cards)
    shutil.copy(SEED, cards / "seed.md")
    out = tmp_path / "out"
    _, first = _build(cards, out)
    assert (first.parsed, first.cached) == (5, 0)
    _, again = _build(cards, out)
    assert (again.parsed, again.cached) == (0, 5)

    # change one, add one, delete one
    changed = cards / "b_vegfa_egfr.md"
    changed.write_text(changed.read_text().replace("Bob Jones, Carol White", "Bob Jones, Erin Green"))
    (cards / "e_new.md").write_text(
        (FIXTURES / "cards" / "d_kras_pancreas.md").read_text().replace("PMC1000004", "PMC1000005")
    )
    (cards / "c_three_genes.md").unlink()
    files, inc = _build(cards, out)
    assert (inc.parsed, inc.cached) == (2, 3)
    clean_files, _ = _build(cards, tmp_path / "clean")
    assert files == clean_files
    assert "Erin Green" in files["graph.ttl"].decode()
    assert len(list((out / ".exograph" / "cache").glob("*.json"))) == 5  # the deleted card's cache entry is gone


def test_trig_has_one_named_graph_per_paper(multi_build: Path) -> None:
    ds = rdflib.Dataset()
    ds.parse(multi_build / "graph.trig", format="trig")
    names = sorted(str(g.identifier) for g in ds.graphs() if "/graph/" in str(g.identifier))
    assert names == [f"https://w3id.org/exograph/id/graph/PMCID/PMC100000{i}" for i in range(1, 5)]
    graph_a = ds.graph(rdflib.URIRef(names[0]))
    assert (rdflib.URIRef("http://identifiers.org/pmc/PMC1000001"), None, None) in graph_a
    assert (rdflib.URIRef("http://identifiers.org/pmc/PMC1000002"), None, None) not in graph_a
    # Dropping one paper's graph removes exactly its statements.
    before = len(ds)
    ds.remove_graph(graph_a)
    assert len(ds) < before


def test_papers_read_in_any_order_give_identical_files(tmp_path: Path) -> None:
    a = tmp_path / "a"
    b = tmp_path / "b"
    for folder, names in ((a, ["1", "2", "3", "4"]), (b, ["4", "3", "2", "1"])):
        folder.mkdir()
        for name, src in zip(names, sorted((FIXTURES / "cards").glob("*.md")), strict=True):
            shutil.copy(src, folder / f"{name}.md")
    fa, _ = _build(a, tmp_path / "oa")
    fb, _ = _build(b, tmp_path / "ob")

    def without_provenance(data: bytes) -> list[bytes]:
        return [line for line in data.splitlines() if b"exo:sourceFile" not in line]

    assert without_provenance(fa["graph.ttl"]) == without_provenance(fb["graph.ttl"])
    assert len(read_papers(a / "1.md")) == 1


def test_fisher_tail_shortcut_is_exact_where_it_matters() -> None:
    from scipy.stats import hypergeom

    from exograph.cooccurrence import _fisher_greater

    rng = np.random.default_rng(5)
    total = 500
    n_a = rng.integers(1, 200, size=3000)
    n_b = rng.integers(1, 200, size=3000)
    a = np.array([rng.integers(1, min(x, y) + 1) for x, y in zip(n_a, n_b, strict=True)])
    exact = hypergeom.sf(a - 1, total, n_a, n_b)
    fast = _fisher_greater(a, n_a, n_b, total, skip_below_mean=True)
    low = fast < 0.5
    assert np.allclose(fast[low], exact[low], rtol=1e-9, atol=1e-15)
    assert (exact[~low] >= 0.5 - 1e-12).all()
    assert np.allclose(_fisher_greater(a, n_a, n_b, total), exact, rtol=1e-9, atol=1e-15)
    # Pairs sharing one paper whose p-value cannot reach `above` are skipped; the others stay exact.
    ones = np.ones_like(n_a)
    exact_ones = hypergeom.sf(0, total, n_a // 10 + 1, n_b // 10 + 1)
    bounded = _fisher_greater(ones, n_a // 10 + 1, n_b // 10 + 1, total, above=0.05)
    kept = exact_ones <= 0.05
    assert 0 < kept.sum() < len(kept)
    assert np.allclose(bounded[kept], exact_ones[kept], rtol=1e-9, atol=1e-15)
    assert (bounded[~kept] > 0.05).all()


def test_vectorised_hypergeometric_tail_matches_scipy() -> None:
    from scipy.stats import hypergeom

    from exograph.cooccurrence import _hypergeom_tail

    rng = np.random.default_rng(11)
    for total in (7, 500, 100_000):
        n_a = rng.integers(1, min(total, 3000), size=4000)
        n_b = rng.integers(1, min(total, 3000), size=4000)
        a = rng.integers(0, np.minimum(n_a, n_b) + 2)
        exact = hypergeom.sf(a - 1, total, n_a, n_b)
        assert np.allclose(_hypergeom_tail(a, n_a, n_b, total), exact, rtol=1e-8, atol=1e-300)
        # With a bound, tails that pass it stop early and read 1.0; the others stay exact.
        bounded = _hypergeom_tail(a, n_a, n_b, total, above=0.05)
        kept = exact <= 0.05
        assert 0 < kept.sum() < len(kept)
        assert np.allclose(bounded[kept], exact[kept], rtol=1e-8, atol=1e-300)
        assert (bounded[~kept] == 1.0).all()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fisher_p_values_are_the_same_with_and_without_the_log_factorial_table(seed: int) -> None:
    """The plan's tasks compute log(n!) for the values they need, the in-memory build looks them up in a table
    of every value up to the corpus size: the p-values, and so the statements, must not differ by a bit."""
    from exograph.cooccurrence import _fisher_greater, _log_factorials

    rng = np.random.default_rng(seed)
    total = int(rng.integers(1_000, 300_000))
    n_a, n_b = rng.integers(1, total // 20, 5_000), rng.integers(1, total // 20, 5_000)
    a = np.minimum(rng.integers(1, 60, 5_000), np.minimum(n_a, n_b))
    for options in ({}, {"skip_below_mean": True, "above": 0.05}):
        table = _fisher_greater(a, n_a, n_b, total, log_fact=_log_factorials(total), **options)  # type: ignore[arg-type]
        computed = _fisher_greater(a, n_a, n_b, total, **options)  # type: ignore[arg-type]
        assert table.tobytes() == computed.tobytes()


def test_fisher_p_values_hold_at_pubtator3_size() -> None:
    """At 36 M papers, (a, n_a, n_b) packed into one 64-bit integer would wrap around for pairs sharing more
    than about 7,000 papers (a pair of popular entities), merging different tests into one."""
    from scipy.stats import hypergeom

    from exograph.cooccurrence import _distinct_triples, _fisher_greater

    total = 36_000_000
    a = np.array([9_000, 9_000, 12_000, 2, 9_000])
    n_a = np.array([2_000_000, 2_000_001, 2_000_000, 50, 2_000_000])
    n_b = np.array([150_000, 150_000, 150_000, 60, 150_000])
    ua, una, unb, inverse = _distinct_triples(a, n_a, n_b)
    assert sorted(zip(ua.tolist(), una.tolist(), unb.tolist(), strict=True)) == sorted(
        set(zip(a.tolist(), n_a.tolist(), n_b.tolist(), strict=True))
    )
    assert (ua[inverse] == a).all() and (una[inverse] == n_a).all() and (unb[inverse] == n_b).all()
    p = _fisher_greater(a, n_a, n_b, total)
    assert np.allclose(p, hypergeom.sf(a - 1, total, n_a, n_b), rtol=1e-6, atol=1e-300)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 2**20), st.integers(0, 2**20), st.integers(0, 2**20)), max_size=40),
    st.sampled_from([1, 2**22]),
)
def test_distinct_triples_are_the_set_of_rows(rows: list[tuple[int, int, int]], scale: int) -> None:
    """Both ways of finding distinct (a, n_a, n_b): packed in 64 bits, and sorted by three keys when the
    counts are too wide to pack (``scale`` makes some rows that wide)."""
    from exograph.cooccurrence import _distinct_triples

    a, n_a, n_b = (np.array([row[i] * (scale if i else 1) for row in rows], dtype=np.int64) for i in range(3))
    ua, una, unb, inverse = _distinct_triples(a, n_a, n_b)
    found = list(zip(ua.tolist(), una.tolist(), unb.tolist(), strict=True))
    assert found == sorted(set(zip(a.tolist(), n_a.tolist(), n_b.tolist(), strict=True)))
    assert (ua[inverse] == a).all() and (una[inverse] == n_a).all() and (unb[inverse] == n_b).all()
