"""The out-of-core plan: the same statements as the in-memory graph, resumable, exact statistics, clear errors."""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from pyoxigraph import RdfFormat, parse

from exograph.pipeline import build

from .conftest import FIXTURES, SEEDS, shared

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from pubtator3_bulk import write_bulk


def _canonical(path: Path) -> list[str]:
    """The statements of an N-Triples file, each written by pyoxigraph, sorted (duplicates kept, to be seen)."""
    with open(path, "rb") as handle:
        return sorted(str(t) for t in parse(handle, format=RdfFormat.N_TRIPLES))


def _both(tmp_path: Path, inputs: list[Path], **options: object) -> tuple[Path, Path]:
    settings = {"outputs": ["ntriples", "summary-json"], "store": False, **options}
    memory = build(inputs, tmp_path / "memory", plan="memory", **settings)  # type: ignore[arg-type]
    tables = build(inputs, tmp_path / "tables", plan="tables", **settings)  # type: ignore[arg-type]
    assert memory.ok and tables.ok, (memory.failures, tables.failures)
    assert memory.plan is None and tables.plan is not None
    return tmp_path / "memory", tmp_path / "tables"


def _corpora() -> list[Path]:
    return [
        shared("biored/Dev.PubTator"),
        shared("cdr/CDR_TrainingSet.PubTator.txt"),
        shared("biored/Dev.BioC.JSON"),
    ]


def _paper_chain(tmp: Path) -> list[Path]:
    """Four cards of one paper known by different ids (PMCID only, PMID only, both and a DOI, DOI only), each in a
    file of its own, and two unrelated ones: only the identity pass can put the four in one bucket."""
    headers = ["PMC1 · J Test · 2024-01-02", "PMID: 11 · J Test", "PMID: 11 · PMC1 · DOI: 10.1/x", "DOI: 10.1/x"]
    folder = tmp / "chain"
    folder.mkdir()
    cards = sorted((FIXTURES / "cards").glob("*.md"))
    out = []
    for number, (card, header) in enumerate(zip(cards, headers, strict=True)):
        lines = card.read_text(encoding="utf-8").split("\n")
        index = next(i for i, line in enumerate(lines) if "·" in line)
        lines[index] = header
        (folder / f"{number}.md").write_text("\n".join(lines), encoding="utf-8")
        out.append(folder / f"{number}.md")
    return [*out, *cards[:2]]


def _bulk_beside_others(tmp: Path) -> list[Path]:
    """Bulk rows of papers that other inputs also hold: PMID 11 (also a card of a paper with a PMCID and a DOI,
    which the identity pass groups) and 227508 (also in a PubTator file), with a paper only the bulk files
    know; a bulk file of concepts and one of relations."""
    folder = tmp / "bulk"
    folder.mkdir()
    concepts = folder / "bioconcepts2pubtator3.tsv"
    concepts.write_text(
        "5\tGene\t7157\tTP53|p53\tPubTator3\n5\tDisease\tMESH:D009369\tcancer\tPubTator3\n"
        "11\tGene\t7157\tp53\tPubTator3\n11\tChemical\tMESH:D009270\tnaloxone\tPubTator3\n"
        "227508\tChemical\tMESH:D009270\tNaloxone\tPubTator3\n227508\tGene\t672\tBRCA1\tPubTator3\n",
        encoding="utf-8",
    )
    relations = folder / "relation2pubtator3.tsv"
    relations.write_text(
        "5\tassociate\tGene|7157\tDisease|MESH:D009369\n11\tcause\tChemical|MESH:D009270\tGene|7157\n"
        "227508\tassociate\tChemical|MESH:D009270\tGene|672\n",
        encoding="utf-8",
    )
    return [*_paper_chain(tmp), FIXTURES / "cdr_excerpt.pubtator", concepts, relations]


CASES = {
    "bulk-beside-other-sources": (_bulk_beside_others, {"min_papers": 1, "max_p": 1.0}),
    "one-paper-by-four-ids": (_paper_chain, {"min_papers": 1, "max_p": 1.0}),
    "seed": (lambda tmp: [SEEDS], {}),
    "cards-and-bioc-every-pair": (
        lambda tmp: [SEEDS, FIXTURES / "cards", FIXTURES / "cdr_excerpt.bioc.xml"],
        {"min_papers": 1, "max_p": 1.0},
    ),
    "bulk": (lambda tmp: list(write_bulk(400, tmp / "pt3", seed=5)), {}),
    "biored-cdr": (lambda tmp: _corpora(), {}),
    "biored-cdr-compact-every-pair": (lambda tmp: _corpora(), {"profile": "compact", "min_papers": 1, "max_p": 1.0}),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_plan_gives_the_same_statements_as_the_graph_in_memory(case: str, tmp_path: Path) -> None:
    make_inputs, options = CASES[case]
    memory, tables = _both(tmp_path, make_inputs(tmp_path), **options)
    expected = _canonical(memory / "graph.nt")
    assert len(expected) > 1000
    assert _canonical(tables / "graph.nt") == expected
    ours = json.loads((tables / "summary.json").read_text())
    theirs = json.loads((memory / "summary.json").read_text())
    for key in ("papers", "nodes", "edges", "id_prefixes", "top_entities", "singletons", "merges", "mappings"):
        if key == "mappings":
            assert ours[key]["used"] == theirs[key]["used"] and ours[key]["nodes_added"] == theirs[key]["nodes_added"]
        else:
            assert ours[key] == theirs[key], key
    if case == "one-paper-by-four-ids":
        assert theirs["merges"]["papers"] == 3 and theirs["papers"] == 3  # the four cards are one paper


def test_the_plan_cuts_a_large_file_and_buckets_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Many chunks and many buckets (a paper's concept and relation rows in different chunks), and the papers'
    and entities' statements made a few at a time: same statements."""
    import exograph.outofcore
    import exograph.plan
    import exograph.stages.entities
    import exograph.stages.papers

    monkeypatch.setattr(exograph.plan, "CHUNK_BYTES", 60_000)
    monkeypatch.setattr(exograph.outofcore, "PLAN_BUCKET_BYTES", 40_000)
    monkeypatch.setattr(exograph.stages.papers, "_SLICE", 7)
    monkeypatch.setattr(exograph.stages.entities, "_SLICE", 5)
    inputs = [*list(write_bulk(600, tmp_path / "pt3", seed=11)), shared("biored/Dev.PubTator")]
    memory, tables = _both(tmp_path, inputs)
    summary = json.loads((tables / "summary.json").read_text())
    assert summary["plan"]["buckets"] > 8
    # Entity pairs are cut finer than papers (a paper's pairs grow with the square of its entities).
    assert summary["plan"]["pair_buckets"] == 4 * summary["plan"]["buckets"]
    assert _canonical(tables / "graph.nt") == _canonical(memory / "graph.nt")


def test_spilled_pieces_go_once_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The pieces a gzipped bulk file is spilled into are there for the read stage and gone before the next:
    at PubTator3 scale they are most of the work folder's disk."""
    import exograph.plan
    import exograph.stages.entities
    import exograph.stages.read

    seen: dict[str, list[bool]] = {"read": [], "entities": []}

    def watching(stage: str, task: Any) -> Any:
        def run(layout: Any, item: Any) -> Any:
            seen[stage].append(any((Path(layout.root) / "chunks").glob("piece-*")))
            return task(layout, item)

        return run

    monkeypatch.setattr(exograph.plan, "CHUNK_BYTES", 60_000)
    read, entities = exograph.stages.read.read_task, exograph.stages.entities.entities_task
    monkeypatch.setattr(exograph.stages.read, "read_task", watching("read", read))
    monkeypatch.setattr(exograph.stages.entities, "entities_task", watching("entities", entities))
    inputs = list(write_bulk(400, tmp_path / "pt3", seed=5))
    assert any(str(path).endswith(".gz") for path in inputs)
    memory, tables = _both(tmp_path, inputs)
    assert seen["read"] and all(seen["read"])
    assert seen["entities"] and not any(seen["entities"])
    assert _canonical(tables / "graph.nt") == _canonical(memory / "graph.nt")


PUBLICATIONS = "<https://w3id.org/biolink/vocab/publications>"
COOCCURRENCE = "<https://w3id.org/exograph/id/cooccurrence/"


@pytest.mark.parametrize("plan", ["memory", "tables"])
def test_compact_profile_leaves_out_spans_and_edge_papers_only(plan: str, tmp_path: Path) -> None:
    source = [FIXTURES / "cdr_excerpt.pubtator"]
    options = {"outputs": ["ntriples", "nquads"], "store": False, "plan": plan, "min_papers": 1, "max_p": 1.0}
    full = build(source, tmp_path / "full", profile="full", **options)  # type: ignore[arg-type]
    compact = build(source, tmp_path / "compact", profile="compact", **options)  # type: ignore[arg-type]
    assert full.ok and compact.ok
    every, kept = set(_canonical(tmp_path / "full" / "graph.nt")), set(_canonical(tmp_path / "compact" / "graph.nt"))
    assert kept < every
    left_out = every - kept
    spans = {line for line in left_out if "/span/" in line.split(" ", 1)[0]}
    edge_papers = {line for line in left_out if line.startswith(COOCCURRENCE) and f" {PUBLICATIONS} " in line}
    assert spans and edge_papers and spans | edge_papers == left_out
    assert any("/count/" in line for line in kept)  # mention counts stay
    # Every co-occurrence edge stays, with its statistics.
    pair_counts = sum("concept_pair_count" in line for line in kept)
    assert pair_counts == sum("concept_pair_count" in line for line in every) > 10
    # The full profile puts each paper's statements in its named graph; the compact one in the default graph.
    every_name = ("full", "compact")
    graphs = {name: {q.graph_name for q in ox.parse(path=str(tmp_path / name / "graph.nq"))} for name in every_name}
    assert graphs["compact"] == {ox.DefaultGraph()}
    named = graphs["full"] - {ox.DefaultGraph()}
    assert len(named) == 3 and all("/id/graph/PMID/" in g.value for g in named)  # type: ignore[union-attr]


def test_an_edges_papers_are_a_query_away_in_the_compact_profile(tmp_path: Path) -> None:
    """What the compact profile leaves out, the papers that support an edge, is what the store answers for the
    papers that mention (or are about) both of its entities: nothing is lost."""
    from exograph import query

    source = [SEEDS, FIXTURES / "cards", FIXTURES / "cdr_excerpt.pubtator"]
    options = {"outputs": ["ntriples"], "min_papers": 1, "max_p": 1.0}
    full = build(source, tmp_path / "full", profile="full", store=False, **options)  # type: ignore[arg-type]
    build(source, tmp_path / "compact", profile="compact", **options)  # type: ignore[arg-type]
    listed: dict[tuple[str, str], set[str]] = {}
    for line in _canonical(tmp_path / "full" / "graph.nt"):
        if line.startswith(COOCCURRENCE) and f" {PUBLICATIONS} " in line:
            edge, _, paper = line.rstrip(" .").partition(f" {PUBLICATIONS} ")
            listed.setdefault((edge, paper), set())
    rows = query(
        tmp_path / "compact",
        "SELECT DISTINCT ?edge ?paper WHERE { ?edge biolink:subject ?s ; biolink:object ?o ; "
        "biolink:concept_pair_count ?n . ?paper (biolink:mentions|schema:about) ?s , ?o }",
    )
    assert isinstance(rows, list)
    derived = {(f"<{r['edge']}>", f"<{r['paper']}>") for r in rows}
    assert len(full.graph.cooccurrence) > 50
    assert derived == set(listed)


def test_bulk_inputs_default_to_the_compact_profile(tmp_path: Path) -> None:
    files = list(write_bulk(20, tmp_path / "pt3", seed=2))
    assert build(files).graph.spans is False
    assert build([FIXTURES / "cdr_excerpt.pubtator"]).graph.spans is True


class _Stop(Exception):
    pass


def test_a_stopped_build_resumes_where_it_stopped(tmp_path: Path) -> None:
    inputs = [SEEDS, FIXTURES / "cards", FIXTURES / "cdr_excerpt.pubtator"]
    options = {"outputs": ["ntriples", "summary-json"], "store": False, "plan": "tables"}
    fresh = build(inputs, tmp_path / "fresh", **options)  # type: ignore[arg-type]
    assert fresh.ok

    out = tmp_path / "out"
    seen: list[str] = []

    def stop_in_papers(done: int, total: int, stage: str) -> None:
        seen.append(stage)
        if stage == "papers":
            raise _Stop

    with pytest.raises(_Stop):
        build(inputs, out, progress=stop_in_papers, **options)  # type: ignore[arg-type]
    assert not (out / "graph.nt").exists()  # nothing published
    work = list((out / ".exograph" / "work").iterdir())
    assert len(work) == 1 and (work[0] / "done" / "read").is_dir()

    again = build(inputs, out, **options)  # type: ignore[arg-type]
    assert again.ok and again.plan is not None
    assert again.plan.resumed == seen.count("read") + seen.count("entities") + seen.count("papers")
    assert again.plan.resumed > 0
    assert _canonical(out / "graph.nt") == _canonical(tmp_path / "fresh" / "graph.nt")
    assert not (out / ".exograph" / "work" / work[0].name).exists()  # removed once published


def test_errors_in_a_chunk_name_the_file_and_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import exograph.plan

    monkeypatch.setattr(exograph.plan, "CHUNK_BYTES", 50_000)
    path = shared("biored/Train.PubTator")
    lines = path.read_text(encoding="utf-8").split("\n")
    bad_at = len(lines) - 3
    lines[bad_at] = "not a pubtator line"
    broken = tmp_path / "broken.pubtator"
    broken.write_text("\n".join(lines), encoding="utf-8")
    result = build([broken], tmp_path / "out", plan="tables", outputs=["ntriples"], store=False)
    assert len(result.failures) == 1
    assert result.failures[0].line == bad_at + 1 and result.failures[0].path.endswith("broken.pubtator")
    assert result.plan is not None and result.plan.layout.total > 300  # the other chunks are read


def test_merge_mapped_asks_for_the_memory_plan(tmp_path: Path) -> None:
    from exograph.errors import UsageError

    with pytest.raises(UsageError, match="--plan memory"):
        build([SEEDS], tmp_path / "out", plan="tables", merge_mapped=True)


def test_the_store_is_loaded_from_the_shards(tmp_path: Path) -> None:
    from exograph.store import query

    inputs = [SEEDS, FIXTURES / "cdr_excerpt.pubtator"]
    options = {"outputs": ["nquads-shards"], "store": True}
    build(inputs, tmp_path / "memory", plan="memory", **options)  # type: ignore[arg-type]
    build(inputs, tmp_path / "tables", plan="tables", **options)  # type: ignore[arg-type]
    counting = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    graphs = "SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    for text in (counting, graphs):
        ours, theirs = query(tmp_path / "tables", text), query(tmp_path / "memory", text)
        assert isinstance(ours, list) and ours == theirs and ours[0]["n"] > 0  # type: ignore[index]
    # Each statement is stored once, in the graph its shard line names, and queries see each once.
    lines = set()
    for shard in sorted((tmp_path / "tables" / "rdf").glob("part-*.nq.gz")):
        lines |= set(gzip.decompress(shard.read_bytes()).splitlines())
    triples = {q.triple for q in ox.parse(b"\n".join(sorted(lines)) + b"\n", format=ox.RdfFormat.N_QUADS)}
    assert len(ox.Store.read_only(str(tmp_path / "tables" / "store"))) == len(lines)
    assert query(tmp_path / "tables", counting) == [{"n": len(triples)}]


VIEW_CASES = {
    "seed": ([SEEDS], {}),
    "cards-bioc-every-pair": (
        [SEEDS, FIXTURES / "cards", FIXTURES / "cdr_excerpt.bioc.xml"],
        {"min_papers": 1, "max_p": 1.0},
    ),
}


@pytest.mark.parametrize("case", sorted(VIEW_CASES))
def test_the_plan_writes_the_entity_level_graphml_the_graph_in_memory_would(case: str, tmp_path: Path) -> None:
    """GraphML from the plan's tables is byte for byte the in-memory graph's entity-level GraphML (with mappings)."""
    from exograph import read_graphml, write_graphml

    inputs, options = VIEW_CASES[case]
    memory = build(inputs, None, **options)  # type: ignore[arg-type]
    write_graphml(memory.graph, tmp_path / "memory.graphml", entities_only=True)
    tables = build(inputs, tmp_path / "tables", plan="tables", outputs=["graphml", "html"], store=False, **options)  # type: ignore[arg-type]
    assert tables.ok
    assert (tmp_path / "tables" / "graph.graphml").read_bytes() == (tmp_path / "memory.graphml").read_bytes()
    g = read_graphml(tmp_path / "tables" / "graph.graphml")
    assert g.number_of_nodes() == len(memory.graph.entities) and g.number_of_nodes() > 100
    counted = {key: node["paper_count"] for key, node in g.nodes(data=True)}
    assert counted == {key: len(node.papers) for key, node in memory.graph.entities.items()}
    kinds = {data["type"] for _, _, data in g.edges(data=True)}
    assert "exactMatch" in kinds and ("co_occurs_with" in kinds) == (case != "seed")  # one paper: no pairs
    assert sum(1 for *_, d in g.edges(data=True) if d["type"] == "co_occurs_with") == len(memory.graph.cooccurrence)
    page = (tmp_path / "tables" / "graph.html").read_text(encoding="utf-8")
    assert f"exograph: {len(memory.graph.papers)} papers, {len(memory.graph.entities)} entities" in page
    assert "NCBIGene:7422" in page
    warned = [d.kind for d in tables.graph.diagnostics.items]
    assert warned.count("entity-level-view") == 2 and "output-not-written" not in warned


def test_graphml_full_asks_for_the_memory_plan(tmp_path: Path) -> None:
    from exograph.errors import UsageError

    with pytest.raises(UsageError, match="--plan memory"):
        build([SEEDS], tmp_path / "out", plan="tables", graphml_full=True)
