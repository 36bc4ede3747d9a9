"""The ontology is real OWL and the SHACL shapes pass every export and catch broken graphs."""

from __future__ import annotations

from pathlib import Path

import pyshacl
import pytest
import rdflib
from rdflib.namespace import OWL, RDF, RDFS

from exograph.pipeline import build

from .conftest import FIXTURES, ROOT, SEEDS, shared

ONTOLOGY = ROOT / "ontologies" / "exograph.ttl"
SHAPES = ROOT / "ontologies" / "exograph-shapes.ttl"
EXO = "https://w3id.org/exograph/vocab/"


def validate(graph: rdflib.Graph, inference: str = "none") -> tuple[bool, str]:
    conforms, _, text = pyshacl.validate(graph, shacl_graph=str(SHAPES), ont_graph=str(ONTOLOGY), inference=inference)
    return bool(conforms), str(text)


def test_ontology_header_and_every_term_documented() -> None:
    g = rdflib.Graph().parse(ONTOLOGY)
    onto = rdflib.URIRef(EXO)
    assert (onto, RDF.type, OWL.Ontology) in g
    assert g.value(onto, OWL.versionIRI) is not None
    terms = {s for s in g.subjects() if isinstance(s, rdflib.URIRef) and str(s).startswith(EXO) and s != onto}
    assert len(terms) > 30
    for term in terms:
        assert g.value(term, RDFS.label) is not None, term
        assert g.value(term, RDFS.comment) is not None, term
        assert g.value(term, RDF.type) in (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty), term
    aligned = {o for o in g.objects(None, RDFS.subPropertyOf)} | {o for o in g.objects(None, RDFS.subClassOf)}
    assert rdflib.URIRef("http://purl.org/dc/terms/identifier") in aligned
    assert rdflib.URIRef("https://w3id.org/biolink/vocab/Association") in aligned


def _exo_terms_used(graph: rdflib.Graph) -> set[str]:
    used = set()
    for _s, p, o in graph:
        for term in (p, o):
            if isinstance(term, rdflib.URIRef) and str(term).startswith(EXO):
                used.add(str(term))
        if p == RDF.type and isinstance(o, rdflib.URIRef) and str(o).startswith(EXO):
            used.add(str(o))
    return used


INPUTS = {
    "seed": lambda: [SEEDS],
    "multi": lambda: [FIXTURES / "cards"],
    "biored-pubtator": lambda: [shared("biored/Dev.PubTator")],
    "biored-bioc-json": lambda: [shared("biored/Dev.BioC.JSON")],
    "biored-bioc-xml": lambda: [shared("biored/Dev.BioC.XML")],
    "cdr-pubtator": lambda: [FIXTURES / "cdr_excerpt.pubtator"],
    "cdr-bioc-xml": lambda: [FIXTURES / "cdr_excerpt.bioc.xml"],
    "pubtator3": lambda: [
        shared("pubtator3_api/captures/biomcp_export_22663011.json"),
        shared("pubtator3_api/captures/netmedex_22429397_full_240916.json"),
    ],
}


@pytest.mark.parametrize("name", sorted(INPUTS))
def test_every_input_kind_conforms(name: str, tmp_path: Path) -> None:
    result = build(INPUTS[name](), tmp_path, outputs=["turtle"], store=False, incremental=False)
    assert result.ok
    graph = rdflib.Graph().parse(tmp_path / "graph.ttl")
    conforms, text = validate(graph)
    assert conforms, text[:4000]
    declared = {str(s) for s in rdflib.Graph().parse(ONTOLOGY).subjects()}
    assert _exo_terms_used(graph) <= declared


@pytest.mark.parametrize("inference", ["none", "rdfs"])
def test_ontology_and_shapes_agree_with_and_without_rdfs_inference(corpus_build: Path, inference: str) -> None:
    """Entities with several names (BioRED, CDR) conform also after RDFS inference over our ontology."""
    graph = rdflib.Graph().parse(corpus_build / "graph.ttl")
    conforms, text = validate(graph, inference)
    assert conforms, text[:4000]


def test_shapes_catch_a_gene_without_label_and_a_paper_without_title(seed_build: Path) -> None:
    graph = rdflib.Graph().parse(seed_build / "graph.ttl")
    gene = rdflib.URIRef("http://identifiers.org/ncbigene/7422")
    paper = rdflib.URIRef("http://identifiers.org/pmc/PMC12921707")
    no_label = rdflib.Graph() + graph
    no_label.remove((gene, RDFS.label, None))
    conforms, text = validate(no_label)
    assert not conforms and "NCBIGene:7422" in text and "rdfs:label" in text
    no_title = rdflib.Graph() + graph
    no_title.remove((paper, rdflib.URIRef("http://purl.org/dc/terms/title"), None))
    conforms, text = validate(no_title)
    assert not conforms and "PMC12921707" in text and "dcterms:title" in text
    bad_iri = rdflib.Graph() + graph
    bad_iri.add(
        (rdflib.URIRef("http://example.org/gene/x"), RDF.type, rdflib.URIRef("https://w3id.org/biolink/vocab/Gene"))
    )
    assert not validate(bad_iri)[0]
