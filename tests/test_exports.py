"""Every exporter: written atomically, deterministic, lossless, and joinable with public data."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import networkx as nx
import pyoxigraph
import pytest
import rdflib
from hypothesis import given, settings
from hypothesis import strategies as st
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS

from exograph import build, read_card, to_rdflib
from exograph.errors import WriteError
from exograph.pipeline import build as run_build
from exograph.writers import FILE_NAMES, OUTPUT_FORMATS, WRITERS, read_graphml

from .conftest import FIXTURES, SEED, SEEDS

BIOLINK = rdflib.Namespace("https://w3id.org/biolink/vocab/")
EXO = rdflib.Namespace("https://w3id.org/exograph/vocab/")
SCHEMA = rdflib.Namespace("http://schema.org/")
BIBO = rdflib.Namespace("http://purl.org/ontology/bibo/")
PAPER = rdflib.URIRef("http://identifiers.org/pmc/PMC12921707")


#: Formats written as several files in a folder (KGX: nodes and edges) and the file names in it.
FOLDER_FILES = {
    "kgx": ("nodes.tsv", "edges.tsv"),
    "kgx-jsonl": ("nodes.jsonl", "edges.jsonl"),
    "nquads-shards": ("manifest.json", "part-00000.nq.gz"),
}


def content(path: Path, fmt: str) -> bytes:
    """An output's bytes: the file's, or a folder format's files one after the other."""
    if fmt in FOLDER_FILES:
        return b"".join((path / name).read_bytes() for name in FOLDER_FILES[fmt])
    return path.read_bytes()


@pytest.mark.parametrize("fmt", OUTPUT_FORMATS)
def test_every_writer_is_deterministic(tmp_path: Path, fmt: str) -> None:
    a = run_build([FIXTURES / "cards"], tmp_path / "a", outputs=[fmt], store=False, incremental=False)
    b = run_build([FIXTURES / "cards"], tmp_path / "b", outputs=[fmt], store=False, incremental=False)
    data_a = content(a.outputs[fmt], fmt)
    assert data_a and data_a == content(b.outputs[fmt], fmt)


@pytest.mark.parametrize("fmt", OUTPUT_FORMATS)
def test_every_writer_accepts_a_handle(tmp_path: Path, fmt: str) -> None:
    import io

    kg = run_build([SEEDS]).graph
    buffer = io.BytesIO()
    if fmt in FOLDER_FILES:
        with pytest.raises(WriteError, match="give a folder"):
            WRITERS[fmt](kg, buffer)
        return
    WRITERS[fmt](kg, buffer)
    WRITERS[fmt](kg, tmp_path / FILE_NAMES[fmt])
    assert buffer.getvalue() == (tmp_path / FILE_NAMES[fmt]).read_bytes()


@pytest.mark.parametrize("fmt", OUTPUT_FORMATS)
def test_failed_write_leaves_no_partial_file(tmp_path: Path, fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    kg = run_build([SEEDS]).graph
    target = tmp_path / FILE_NAMES[fmt]
    if fmt in FOLDER_FILES:
        target.mkdir()
        target = target / FOLDER_FILES[fmt][0]
    target.write_bytes(b"previous build")

    def explode(*args, **kwargs):
        raise KeyboardInterrupt

    # Interrupt in the middle of serialising: the old file must survive untouched and no temp file remain.
    import exograph.network as network_module
    import exograph.rdf as rdf_module

    monkeypatch.setattr(rdf_module, "_lit", explode)
    monkeypatch.setattr(network_module, "page_url", explode)
    monkeypatch.setattr("exograph.writers.summary.summarize", explode)
    monkeypatch.setattr("exograph.writers.kgx._tsv_cell", explode)
    monkeypatch.setattr("exograph.writers.kgx.json", None)
    with pytest.raises((KeyboardInterrupt, AttributeError)):
        WRITERS[fmt](kg, target.parent if fmt in FOLDER_FILES else target)
    assert target.read_bytes() == b"previous build"
    assert [p.name for p in target.parent.iterdir()] == [target.name]


def test_turtle_ntriples_trig_and_rdflib_view_agree(seed_build: Path) -> None:
    ttl = rdflib.Graph().parse(seed_build / "graph.ttl")
    nt = rdflib.Graph().parse(seed_build / "graph.nt", format="nt")
    trig = rdflib.Dataset().parse(seed_build / "graph.trig", format="trig")
    merged = rdflib.Graph()
    for s, p, o, _ in trig.quads((None, None, None, None)):
        merged.add((s, p, o))
    assert isomorphic(ttl, nt)
    assert isomorphic(ttl, merged)
    view = to_rdflib(run_build([SEEDS]).graph)
    flat = rdflib.Graph()
    for s, p, o, _ in view.quads((None, None, None, None)):
        flat.add((s, p, o))
    assert isomorphic(ttl, flat)


def test_standard_iris(seed_build: Path) -> None:
    g = rdflib.Graph().parse(seed_build / "graph.ttl")
    subjects = {str(s) for s in g.subjects(RDF.type, None)}
    assert "http://identifiers.org/ncbigene/7422" in subjects
    assert "http://id.nlm.nih.gov/mesh/D015448" in subjects
    assert "http://purl.obolibrary.org/obo/MONDO_0005070" in subjects
    assert "http://purl.obolibrary.org/obo/NCBITaxon_10090" in subjects
    assert str(PAPER) in subjects
    assert (PAPER, SCHEMA.sameAs, rdflib.URIRef("https://doi.org/10.3389/fonc.2025.1583295")) in g
    assert (rdflib.URIRef("http://identifiers.org/ncbigene/7422"), RDF.type, BIOLINK.Gene) in g
    assert (PAPER, RDF.type, BIOLINK.JournalArticle) in g
    assert (PAPER, BIOLINK.mentions, rdflib.URIRef("http://identifiers.org/ncbigene/7422")) in g
    assert (PAPER, SCHEMA.about, rdflib.URIRef("http://purl.obolibrary.org/obo/MONDO_0005070")) in g


def _literals(g: rdflib.Graph, s: rdflib.term.Node, p: rdflib.URIRef) -> list[str]:
    return sorted(str(o) for o in g.objects(s, p))


def _seq(g: rdflib.Graph, s: rdflib.term.Node, p: rdflib.URIRef) -> list[rdflib.term.Node]:
    seq = g.value(s, p)
    items = [
        (int(str(pp).rsplit("_", 1)[1]), o) for pp, o in g.predicate_objects(seq) if str(pp).startswith(str(RDF) + "_")
    ]
    return [o for _, o in sorted(items)]


def test_turtle_recovers_every_paper_field(seed_build: Path) -> None:
    paper = read_card(SEED)
    g = rdflib.Graph().parse(seed_build / "graph.ttl")
    assert str(g.value(PAPER, DCTERMS.title)) == paper.title
    assert [str(g.value(a, SCHEMA.name)) for a in _seq(g, PAPER, BIBO.authorList)] == list(paper.authors)
    assert str(g.value(g.value(PAPER, BIOLINK.published_in), SCHEMA.name)) == paper.journal
    assert g.value(PAPER, DCTERMS.issued).toPython() == dt.date(2026, 2, 6)
    assert str(g.value(PAPER, EXO.pmcid)) == "PMC12921707"
    assert str(g.value(PAPER, EXO.doi)) == paper.doi
    assert str(g.value(PAPER, EXO.tldr)) == paper.tldr
    assert str(g.value(PAPER, EXO.contribution)) == paper.contribution
    assert str(g.value(PAPER, DCTERMS.abstract)) == paper.abstract
    assert [str(f) for f in _seq(g, PAPER, EXO.keyFindings)] == list(paper.key_findings)
    assert int(g.value(PAPER, EXO.figureCount)) == 3 and int(g.value(PAPER, EXO.referenceCount)) == 94
    assert str(g.value(PAPER, EXO.fullText)) == "https://tomesphere.com/paper/PMC12921707/full.md"


def _expected_entities() -> dict[str, tuple[str, str, list[str]]]:
    paper = read_card(SEED)
    out = {}
    for e in (*paper.about, *paper.entities):
        out[e.key] = (e.type, e.name, sorted(e.aliases))
    return out


def test_turtle_recovers_every_entity(seed_build: Path) -> None:
    from exograph.iris import expand
    from exograph.vocab import CLASS_OF

    g = rdflib.Graph().parse(seed_build / "graph.ttl")
    paper = read_card(SEED)
    expected = _expected_entities()
    assert len(expected) == 104
    for key, (etype, name, aliases) in expected.items():
        s = rdflib.URIRef(expand(key))
        assert (s, RDF.type, rdflib.URIRef(CLASS_OF[etype])) in g, key
        assert str(g.value(s, DCTERMS.identifier)) == key
        assert str(g.value(s, SKOS.prefLabel)) == name
        assert str(g.value(s, RDFS.label)) == name
        assert _literals(g, s, BIOLINK.synonym) == aliases
        assert set(aliases) <= set(_literals(g, s, SKOS.altLabel))
    for gene in (e for e in paper.entities if e.type == "Gene"):
        s = rdflib.URIRef(expand(gene.key))
        assert str(g.value(s, BIOLINK.symbol)) == gene.symbol
        assert str(g.value(s, BIOLINK.full_name)) == gene.full_name
    mouse = rdflib.URIRef("http://purl.obolibrary.org/obo/NCBITaxon_10090")
    assert str(g.value(mouse, EXO.commonName)) == "house mouse" and str(g.value(mouse, EXO.taxonRank)) == "species"
    car_t = rdflib.URIRef("https://w3id.org/exograph/id/ChemicalEntity/car-t")
    assert g.value(car_t, EXO.normalised).toPython() is False and str(g.value(car_t, EXO.sourceId)) == "-"


def test_graphml_recovers_every_paper_field_and_entity(seed_build: Path) -> None:
    paper = read_card(SEED)
    g = read_graphml(seed_build / "graph.graphml")
    p = g.nodes["PMCID:PMC12921707"]
    assert p["type"] == "Paper" and p["title"] == paper.title
    assert p["authors"] == list(paper.authors)
    assert (p["journal"], p["date"], p["pmcid"], p["doi"]) == (
        "Frontiers in Oncology",
        "2026-02-06",
        "PMC12921707",
        "10.3389/fonc.2025.1583295",
    )
    assert (p["tldr"], p["contribution"], p["abstract"]) == (paper.tldr, paper.contribution, paper.abstract)
    assert p["key_findings"] == list(paper.key_findings)
    assert {(lk["kind"], lk["url"], lk.get("count")) for lk in p["links"]} == {
        (lk.kind, lk.url, lk.count) for lk in paper.links
    }
    for key, (etype, name, aliases) in _expected_entities().items():
        node = g.nodes[key]
        assert (node["type"], node["label"], node["aliases"]) == (etype, name, aliases)
    assert g.nodes["NCBIGene:3303"]["full_name"] == "heat shock protein family A (Hsp70) member 1A"
    assert all("label" in d and "type" in d for _, d in g.nodes(data=True))


def test_graphml_keys_are_declared_once_and_networkx_reads_it(seed_build: Path) -> None:
    import xml.etree.ElementTree as ET

    root = ET.parse(seed_build / "graph.graphml").getroot()
    ns = {"g": "http://graphml.graphdrawing.org/xmlns"}
    keys = [(k.get("for"), k.get("attr.name")) for k in root.findall("g:key", ns)]
    assert len(keys) == len(set(keys))
    g = nx.read_graphml(seed_build / "graph.graphml")
    assert g.number_of_nodes() == 125  # with the 16 MONDO diseases the seed's MeSH diseases map to


def test_summary_json(seed_build: Path) -> None:
    summary = json.loads((seed_build / "summary.json").read_text())
    assert summary["nodes"]["Gene"] == 60
    assert summary["entities_without_ids"] == ["exo.id:ChemicalEntity/car-t"]
    # MONDO: the card's one, and 16 reached from its MeSH diseases through MONDO's exact matches.
    assert summary["id_prefixes"] == {"MESH": 39, "MONDO": 17, "NCBIGene": 60, "NCBITaxon": 3}


def test_build_without_output_folder_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = build([str(SEEDS)])
    assert result.ok and not result.outputs and list(tmp_path.iterdir()) == []


HOSTILE = '<img src=x onerror=alert(1)> </script><script>alert(1)</script> "quotes" \\ back ]]> &amp; \u202e'


def test_hostile_strings_survive_every_export_as_data(tmp_path: Path) -> None:
    text = SEED.read_text()
    text = text.replace("# Potential role", f"# {HOSTILE} Potential role")
    text = text.replace("Fisetin (MESH:C017875)", f"{HOSTILE.replace(',', ' ')} (MESH:C017875)")
    cards = tmp_path / "cards"
    cards.mkdir()
    (cards / "hostile.md").write_text(text)
    out = tmp_path / "out"
    result = run_build([cards], out, outputs=OUTPUT_FORMATS)
    assert result.ok
    title = read_card(cards / "hostile.md").title
    fisetin = rdflib.URIRef("http://id.nlm.nih.gov/mesh/C017875")
    for name, fmt in (("graph.ttl", "turtle"), ("graph.nt", "nt")):
        g = rdflib.Graph().parse(out / name, format=fmt)
        assert str(g.value(PAPER, DCTERMS.title)) == title
        assert str(g.value(fisetin, RDFS.label)) == HOSTILE.replace(",", " ")
    graphml = read_graphml(out / "graph.graphml")
    assert graphml.nodes["PMCID:PMC12921707"]["title"] == title
    assert graphml.nodes["MESH:C017875"]["label"] == HOSTILE.replace(",", " ")
    summary_md = (out / "summary.md").read_text()
    assert "<img" not in summary_md and "<script" not in summary_md
    assert json.loads((out / "summary.json").read_text())["papers"] == 1
    html = (out / "graph.html").read_text()
    data = html.split('<script type="application/json" id="graph-data">', 1)[1].split("</script>", 1)[0]
    assert "<" not in data and ">" not in data
    assert "<title>exograph" in html


# Generated statements are parsed leniently (IRIs not re-checked), so every IRI must be valid by construction.
@given(local=st.text(min_size=1, max_size=40))
@settings(max_examples=300, deadline=None)
def test_every_expanded_curie_is_a_valid_iri(local: str) -> None:
    from exograph.iris import PREFIX_MAP, expand

    for prefix in PREFIX_MAP:
        iri = expand(f"{prefix}:{local}")
        assert pyoxigraph.NamedNode(iri).value == iri  # strict IRI check
    # Lone surrogates (hypothesis leaves them out; a BioC-JSON escape can make one) become U+FFFD.
    assert expand(f"MESH:{local}\ud800").endswith("%EF%BF%BD")


def test_hostile_ids_give_rdf_that_parses_strictly(tmp_path: Path) -> None:
    """Ids with characters IRIs forbid ('#', '[', '?', controls, lone surrogates) are percent-encoded, not dropped."""
    odd = ["D0#1", "C1[2]?x", "a%b", "\x7f\u0085z", "\U000e0001e"]
    lines = ["1|t|A title.", "1|a|An abstract about five things."]
    lines += [f"1\t{i}\t{i + 1}\tx\tChemical\tMESH:{ident}" for i, ident in enumerate(odd)]
    source = tmp_path / "odd.pubtator"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    result = run_build([source], out, outputs=("ntriples", "turtle", "trig"), input_format="pubtator")
    assert result.ok
    for name, fmt in (("graph.nt", pyoxigraph.RdfFormat.N_TRIPLES), ("graph.ttl", pyoxigraph.RdfFormat.TURTLE)):
        subjects = {t.subject.value for t in pyoxigraph.parse(path=str(out / name), format=fmt)}  # strict
        for iri in ("D0%231", "C1%5B2%5D%3Fx", "a%25b", "%7F%C2%85z", "%F3%A0%80%81e"):
            assert "http://id.nlm.nih.gov/mesh/" + iri in subjects
    assert len(list(pyoxigraph.parse(path=str(out / "graph.trig"), format=pyoxigraph.RdfFormat.TRIG))) > 0
