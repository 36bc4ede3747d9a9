"""The embedded store, ``exograph query`` and the query pack, with exact answers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import exograph
from exograph.cli import app
from exograph.store import open_store, run_query

from .sparql_helpers import QUERIES, rows_from_oxigraph

runner = CliRunner()
PMC = "http://identifiers.org/pmc/"
GENE = "http://identifiers.org/ncbigene/"
MESH = "http://id.nlm.nih.gov/mesh/"
BL = "https://w3id.org/biolink/vocab/"
CAR_T = "https://w3id.org/exograph/id/ChemicalEntity/car-t"
SEED_TITLE = "Potential role of exosomes derived from the tumor microenvironment in tumor progression and treatment"


def pack(out: Path) -> dict[str, list[tuple]]:
    store = open_store(out)
    return {q.stem: rows_from_oxigraph(run_query(store, q.read_text())) for q in QUERIES}


def test_the_pack_has_at_least_eight_documented_queries() -> None:
    assert len(QUERIES) >= 8
    for q in QUERIES:
        first = q.read_text().splitlines()[0]
        assert first.startswith("# ") and first.endswith("?"), q.name


def test_pack_on_the_seed(seed_build: Path) -> None:
    answers = pack(seed_build)
    seed = f"{PMC}PMC12921707"
    assert answers["papers_mentioning_gene"] == [(seed, SEED_TITLE)]
    assert answers["papers_mentioning_both"] == [(seed, SEED_TITLE)]
    assert answers["gene_by_alias"] == [(f"{GENE}7422", "VEGFA", "vascular endothelial growth factor A")]
    genes = answers["genes_with_disease"]
    assert len(genes) == 60 and {r[2] for r in genes} == {1}
    assert [r[1] for r in genes] == sorted(r[1] for r in genes)
    chemicals = answers["chemicals_with_disease"]
    assert len(chemicals) == 13 and (CAR_T, "CAR-T", 1) in chemicals
    assert answers["entities_without_id"] == [(CAR_T, f"{BL}ChemicalEntity", "CAR-T", 1)]
    assert answers["papers_by_author"] == [(seed, SEED_TITLE, 3)]
    assert len(answers["most_mentioned_per_type"]) == 103  # every mentioned entity ties at one paper
    assert answers["cooccurrence"] == []


def test_pack_on_the_multi_card_fixture(multi_build: Path) -> None:
    answers = pack(multi_build)
    a, b, c = (f"{PMC}PMC100000{i}" for i in (1, 2, 3))
    title_a = "VEGFA drives angiogenesis in breast tumors"
    title_b = "EGFR and VEGFA in breast cancer and glioblastoma"
    title_c = "Three genes in mouse models of breast cancer"
    assert answers["papers_mentioning_gene"] == [(a, title_a), (b, title_b), (c, title_c)]
    assert answers["genes_with_disease"] == [
        (f"{GENE}7422", "VEGFA", 3),
        (f"{GENE}1956", "EGFR", 2),
        (f"{GENE}7157", "TP53", 2),
    ]
    assert answers["chemicals_with_disease"] == [
        (f"{MESH}D002945", "cisplatin", 2),
        (f"{MESH}D017239", "paclitaxel", 2),
        (CAR_T, "CAR-T", 1),
    ]
    assert answers["entities_without_id"] == [(CAR_T, f"{BL}ChemicalEntity", "CAR-T", 2)]
    assert answers["papers_by_author"] == []
    assert answers["papers_mentioning_both"] == [(b, title_b), (c, title_c)]
    assert answers["gene_by_alias"] == [(f"{GENE}7422", "VEGFA", "vascular endothelial growth factor A")]
    assert answers["most_mentioned_per_type"] == [
        (f"{BL}ChemicalEntity", CAR_T, "CAR-T", 2),
        (f"{BL}ChemicalEntity", f"{MESH}D002945", "cisplatin", 2),
        (f"{BL}ChemicalEntity", f"{MESH}D017239", "paclitaxel", 2),
        (f"{BL}Disease", f"{MESH}D001943", "breast cancer", 3),
        (f"{BL}Gene", f"{GENE}7422", "VEGFA", 3),
        (f"{BL}OrganismTaxon", "http://purl.obolibrary.org/obo/NCBITaxon_9606", "Homo sapiens", 1),
        (f"{BL}OrganismTaxon", "http://purl.obolibrary.org/obo/NCBITaxon_10090", "Mus musculus", 1),
    ]
    co = answers["cooccurrence"]
    assert len(co) == 10
    top = co[0]
    assert top[:5] == (f"{GENE}7422", "VEGFA", f"{MESH}D001943", "breast cancer", 3)
    assert top[5] == 2.25 and top[6] == 0.25


def test_every_packed_query_answers_on_a_bundled_input(seed_build: Path, corpus_build: Path) -> None:
    """A packed query that returns nothing on every input we ship teaches a new user nothing."""
    seed, corpus = pack(seed_build), pack(corpus_build)
    empty = [q.stem for q in QUERIES if not seed[q.stem] and not corpus[q.stem]]
    assert empty == []


def test_queries_count_each_statement_once(corpus_build: Path) -> None:
    """A relation several papers state is one statement for queries, as in graph.ttl.

    Queries run over the union of the store's graphs, which counts a statement once per graph holding it:
    this holds only while no statement sits in two graphs, and the store keeps each statement once.
    """
    import pyoxigraph as ox

    stated = [q.triple for q in ox.parse(path=str(corpus_build / "graph.nq"))]
    assert len(stated) == len(set(stated))  # no statement in two graphs
    assert len(open_store(corpus_build)) == len(stated)
    turtle = {q.triple for q in ox.parse(path=str(corpus_build / "graph.ttl"))}
    written = sum(1 for _ in ox.parse(path=str(corpus_build / "graph.ttl")))
    assert written == len(turtle)  # graph.ttl holds no statement twice
    total = exograph.query(corpus_build, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    assert total == [{"n": len(turtle)}]
    causes = sum(1 for t in turtle if t.predicate.value == BL + "causes")
    assert exograph.query(corpus_build, "SELECT (COUNT(*) AS ?n) WHERE { ?s biolink:causes ?o }") == [{"n": causes}]
    # Each paper's association statements stay in its own named graph.
    named = exograph.query(
        corpus_build,
        "SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?a biolink:subject ?s ; biolink:publications ?p } }",
    )
    papers = exograph.query(
        corpus_build,
        "SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?a biolink:subject ?s ; biolink:publications ?p ;"
        " biolink:knowledge_level 'knowledge_assertion' }",
    )
    assert named[0]["n"] > 30 and named == papers


def test_python_query(seed_build: Path) -> None:
    rows = exograph.query(seed_build, "SELECT (COUNT(*) AS ?n) WHERE { ?g a biolink:Gene }")
    assert rows == [{"n": 60}]
    assert exograph.query(seed_build, "ASK { ?g skos:altLabel 'VPF' }") is True
    triples = exograph.query(
        seed_build, "CONSTRUCT { ?g rdfs:label ?l } WHERE { ?g skos:altLabel 'VPF' ; rdfs:label ?l }"
    )
    assert triples == [(f"{GENE}7422", "http://www.w3.org/2000/01/rdf-schema#label", "VEGFA")]


def test_cli_query_table_and_machine_formats(seed_build: Path) -> None:
    table = runner.invoke(app, ["query", str(seed_build), "queries/gene_by_alias.rq"])
    assert table.exit_code == 0, table.output
    assert "NCBIGene:7422" in table.stdout and "VEGFA" in table.stdout
    as_json = runner.invoke(app, ["query", str(seed_build), "queries/gene_by_alias.rq", "--format", "json"])
    data = json.loads(as_json.stdout)
    assert data["results"]["bindings"][0]["symbol"]["value"] == "VEGFA"
    csv = runner.invoke(app, ["query", str(seed_build), "SELECT ?s WHERE { ?s skos:altLabel 'VPF' }", "-f", "csv"])
    assert csv.stdout.splitlines() == ["s", f"{GENE}7422"]
    tsv = runner.invoke(app, ["query", str(seed_build), "SELECT ?s WHERE { ?s skos:altLabel 'VPF' }", "-f", "tsv"])
    assert tsv.stdout.splitlines() == ["?s", f"<{GENE}7422>"]
    construct = runner.invoke(app, ["query", str(seed_build), "DESCRIBE NCBIGene:7422"])
    assert construct.exit_code == 0 and "biolink:Gene" in construct.stdout and "@prefix" in construct.stdout


def test_bad_query_is_one_line_with_position(seed_build: Path) -> None:
    result = runner.invoke(app, ["query", str(seed_build), "SELECT ?x WHERE {\n  ?x ?y }"])
    assert result.exit_code == 1
    assert result.stderr.strip().startswith("exograph: error: invalid SPARQL at line 2, column")
    assert len(result.stderr.strip().splitlines()) == 1
    with pytest.raises(exograph.QueryError) as info:
        exograph.query(seed_build, "SELECT ?x WHERE { ?x ?y }")
    assert info.value.line == 1 and info.value.column is not None


def test_query_without_store_is_one_line(tmp_path: Path) -> None:
    result = runner.invoke(app, ["query", str(tmp_path), "ASK {}"])
    assert result.exit_code == 1 and "no store found" in result.stderr
