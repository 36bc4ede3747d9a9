"""The graph as RDF quads: one named graph per paper, shared descriptions in the default graph.

Quads are generated in a fixed order (entities, authors, journals, papers,
co-occurrences, each sorted by id) and never use blank nodes, so that every
serialisation of the same input is byte-identical and each paper's statements
can be replaced by dropping its graph.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pyoxigraph import DefaultGraph, Literal, NamedNode, Quad, Triple

from .iris import LOCAL, expand, slugify
from .vocab import BIBO, BIOLINK, CLASS_OF, DCT, EXO, PREDICATE_OF, RDF, RDFS, SCHEMA, SKOS, XSD

if TYPE_CHECKING:
    import rdflib

    from .graph import KnowledgeGraph, PaperNode

__all__ = ["node_iri", "paper_graph_iri", "quads", "relation_predicate", "to_rdflib", "triples"]

_TYPE = NamedNode(RDF + "type")
_DEFAULT = DefaultGraph()
_XSD_INT = NamedNode(XSD + "integer")
_XSD_DOUBLE = NamedNode(XSD + "double")
_XSD_BOOL = NamedNode(XSD + "boolean")
_XSD_DATE = NamedNode(XSD + "date")

_NODES: dict[str, NamedNode] = {}


def _n(iri: str) -> NamedNode:
    node = _NODES.get(iri)
    if node is None:
        if len(_NODES) > 4096:
            _NODES.clear()
        node = _NODES[iri] = NamedNode(iri)
    return node


def node_iri(key: str) -> str:
    """IRI of a node id (CURIE)."""
    return expand(key)


def _local_path(key: str) -> str:
    """A CURIE as a path below exograph's id space ('PMC:PMC1' -> 'PMC/PMC1')."""
    return key.replace(":", "/", 1) if not key.startswith("exo.id:") else key[len("exo.id:") :]


def _iri_path(key: str) -> str:
    return expand("exo.id:" + _local_path(key))[len(LOCAL) :]


def paper_graph_iri(paper_key: str) -> str:
    """Name of the graph holding one paper's statements."""
    return expand("exo.id:graph/" + _local_path(paper_key))


def relation_predicate(relation_type: str) -> str:
    """Predicate IRI for a relation type; unmapped types get a declared-at-runtime exograph term."""
    return PREDICATE_OF.get(relation_type) or EXO + "relation_" + slugify(relation_type).replace("-", "_")


def _lit(value: object) -> Literal:
    if isinstance(value, bool):
        return Literal("true" if value else "false", datatype=_XSD_BOOL)
    if isinstance(value, int):
        return Literal(str(value), datatype=_XSD_INT)
    if isinstance(value, float):
        return Literal(repr(value), datatype=_XSD_DOUBLE)
    if isinstance(value, dt.date):
        return Literal(value.isoformat(), datatype=_XSD_DATE)
    return Literal(str(value))


def quads(kg: KnowledgeGraph) -> Iterator[Quad]:
    """Every statement of the graph, deterministically ordered.

    When the build has already materialised them (``kg.rdf_cache``, an N-Quads
    file), they are streamed back by pyoxigraph instead of generated again, so
    Turtle, N-Triples, TriG and the store cost one generation in Python.
    """
    if kg.rdf_cache is not None:
        from pyoxigraph import RdfFormat, parse

        yield from parse(path=str(kg.rdf_cache), format=RdfFormat.N_QUADS)  # type: ignore[misc]
        return
    yield from generate_quads(kg)


def materialize(kg: KnowledgeGraph, path: str | Path) -> None:
    """Write every quad once to ``path`` and make :func:`quads` read from it."""
    from pyoxigraph import RdfFormat, serialize

    kg.rdf_cache = None
    serialize(generate_quads(kg), str(path), RdfFormat.N_QUADS)
    kg.rdf_cache = Path(path)


def generate_quads(kg: KnowledgeGraph) -> Iterator[Quad]:
    """Generate the statements in Python (see :func:`quads`)."""
    label, pref, alt = _n(RDFS + "label"), _n(SKOS + "prefLabel"), _n(SKOS + "altLabel")
    ident = _n(DCT + "identifier")
    for node in kg.sorted_entities():
        s = _n(node_iri(node.key))
        yield Quad(s, _TYPE, _n(CLASS_OF[node.type]), _DEFAULT)
        yield Quad(s, label, _lit(node.label), _DEFAULT)
        yield Quad(s, pref, _lit(node.label), _DEFAULT)
        for name in node.alt_labels:
            yield Quad(s, alt, _lit(name), _DEFAULT)
        for alias in sorted(node.aliases):
            yield Quad(s, _n(BIOLINK + "synonym"), _lit(alias), _DEFAULT)
        for name in sorted(node.names):
            yield Quad(s, _n(EXO + "name"), _lit(name), _DEFAULT)
        for values, predicate in (
            (node.symbols, BIOLINK + "symbol"),
            (node.full_names, BIOLINK + "full_name"),
            (node.common_names, EXO + "commonName"),
            (node.ranks, EXO + "taxonRank"),
            (node.raw_ids, EXO + "sourceId"),
        ):
            for value in sorted(values):
                yield Quad(s, _n(predicate), _lit(value), _DEFAULT)
        yield Quad(s, ident, _lit(node.key), _DEFAULT)
        yield Quad(s, _n(EXO + "normalised"), _lit(node.curie is not None), _DEFAULT)
        yield Quad(s, _n(EXO + "paperCount"), _lit(len(node.papers)), _DEFAULT)
    for key, name in kg.authors().items():
        s = _n(node_iri(key))
        yield Quad(s, _TYPE, _n(CLASS_OF["Author"]), _DEFAULT)
        yield Quad(s, label, _lit(name), _DEFAULT)
        yield Quad(s, _n(SCHEMA + "name"), _lit(name), _DEFAULT)
    for key, name in kg.journals().items():
        s = _n(node_iri(key))
        yield Quad(s, _TYPE, _n(CLASS_OF["Journal"]), _DEFAULT)
        yield Quad(s, label, _lit(name), _DEFAULT)
        yield Quad(s, _n(SCHEMA + "name"), _lit(name), _DEFAULT)
    for paper in kg.sorted_papers():
        yield from _paper_quads(paper)
    yield from _cooccurrence_quads(kg)


def _seq(seq_iri: str, items: Sequence[NamedNode | Literal], g: NamedNode) -> list[Quad]:
    seq = _n(seq_iri)
    out = [Quad(seq, _TYPE, _n(RDF + "Seq"), g)]
    out.extend(Quad(seq, _n(f"{RDF}_{i}"), item, g) for i, item in enumerate(items, start=1))
    return out


def _paper_quads(node: PaperNode) -> Iterator[Quad]:
    paper = node.paper
    iri = node_iri(node.key)
    s = _n(iri)
    g = _n(paper_graph_iri(node.key))
    local = expand("exo.id:paper/" + _local_path(node.key))
    later: list[Quad] = []
    yield Quad(s, _TYPE, _n(CLASS_OF["Paper"]), g)
    yield Quad(s, _n(DCT + "title"), _lit(paper.title), g)
    yield Quad(s, _n(RDFS + "label"), _lit(paper.title), g)
    for value, predicate in ((paper.pmid, "pmid"), (paper.pmcid, "pmcid"), (paper.doi, "doi")):
        if value:
            yield Quad(s, _n(EXO + predicate), _lit(value), g)
    for other in paper.ids:
        if other != node.key:
            yield Quad(s, _n(SCHEMA + "sameAs"), _n(node_iri(other)), g)
    if paper.date:
        yield Quad(s, _n(DCT + "issued"), _lit(paper.date), g)
    if node.journal_key:
        yield Quad(s, _n(BIOLINK + "published_in"), _n(node_iri(node.journal_key)), g)
    authors = [_n(node_iri(k)) for k in node.author_keys]
    for author in dict.fromkeys(authors):
        yield Quad(s, _n(DCT + "creator"), author, g)
    if authors:
        yield Quad(s, _n(BIBO + "authorList"), _n(local + "/authors"), g)
        later.extend(_seq(local + "/authors", authors, g))
    for value, predicate in (
        (paper.tldr, EXO + "tldr"),
        (paper.contribution, EXO + "contribution"),
        (paper.abstract, DCT + "abstract"),
    ):
        if value:
            yield Quad(s, _n(predicate), _lit(value), g)
    if paper.key_findings:
        yield Quad(s, _n(EXO + "keyFindings"), _n(local + "/findings"), g)
        later.extend(_seq(local + "/findings", [_lit(f) for f in paper.key_findings], g))
    link_predicates = {
        "source": SCHEMA + "url",
        "full_text": EXO + "fullText",
        "figures": EXO + "figures",
        "references": EXO + "references",
    }
    for link in sorted(paper.links, key=lambda lk: (lk.kind, lk.url)):
        yield Quad(s, _n(link_predicates[link.kind]), _n(link.url), g)
        if link.count is not None:
            yield Quad(
                s, _n(EXO + ("figureCount" if link.kind == "figures" else "referenceCount")), _lit(link.count), g
            )
    for source in sorted(node.sources):
        yield Quad(s, _n(EXO + "sourceFile"), _lit(source.replace("\\", "/").rsplit("/", 1)[-1]), g)
    for key in sorted(node.about):
        yield Quad(s, _n(PREDICATE_OF["about"]), _n(node_iri(key)), g)
    for key in sorted(node.mentions):
        yield Quad(s, _n(PREDICATE_OF["mentions"]), _n(node_iri(key)), g)
    yield from later
    counted = {k: c for k, c in node.mentions.items() if c}
    for key in sorted(counted):
        m = _n(f"{local}/count/{_iri_path(key)}")
        yield Quad(m, _TYPE, _n(EXO + "MentionCount"), g)
        yield Quad(m, _n(EXO + "inPaper"), s, g)
        yield Quad(m, _n(EXO + "entity"), _n(node_iri(key)), g)
        yield Quad(m, _n(EXO + "count"), _lit(counted[key]), g)
    for span in sorted(node.mention_spans, key=lambda sp: (sp.start, sp.end, sp.entity_keys)):
        m = _n(f"{local}/span/{span.start}-{span.end}")
        yield Quad(m, _TYPE, _n(EXO + "Mention"), g)
        yield Quad(m, _n(EXO + "inPaper"), s, g)
        for slot, datum in (("text", span.text), ("start", span.start), ("end", span.end), ("passage", span.passage)):
            yield Quad(m, _n(EXO + slot), _lit(datum), g)
        for key in span.entity_keys:
            yield Quad(m, _n(EXO + "denotes"), _n(node_iri(key)), g)
    for i, rel in enumerate(node.relations, start=1):
        rel_predicate = _n(relation_predicate(rel.type))
        subject, obj = _n(node_iri(rel.subject)), _n(node_iri(rel.object))
        a = _n(f"{local}/relation/{i}")
        yield Quad(subject, rel_predicate, obj, g)
        yield Quad(a, _TYPE, _n(BIOLINK + "Association"), g)
        yield Quad(a, _n(BIOLINK + "subject"), subject, g)
        yield Quad(a, _n(BIOLINK + "predicate"), rel_predicate, g)
        yield Quad(a, _n(BIOLINK + "object"), obj, g)
        yield Quad(a, _n(BIOLINK + "publications"), s, g)
        yield Quad(a, _n(EXO + "relationType"), _lit(rel.type), g)
        if rel.novel is not None:
            yield Quad(a, _n(EXO + "novel"), _lit(rel.novel), g)
        if rel.score is not None:
            yield Quad(a, _n(EXO + "score"), _lit(rel.score), g)


#: Statistic slots of a co-occurrence association: (predicate, CoOccurrence attribute).
_COOCCURRENCE_SLOTS = (
    (BIOLINK + "has_count", "papers"),
    (BIOLINK + "has_total", "total_papers"),
    (EXO + "subjectPaperCount", "source_papers"),
    (EXO + "objectPaperCount", "target_papers"),
    (EXO + "expectedCount", "expected"),
    (EXO + "enrichment", "enrichment"),
    (EXO + "logOddsRatio", "log_odds"),
    (BIOLINK + "p_value", "p_value"),
    (BIOLINK + "adjusted_p_value", "p_adjusted"),
)


def _cooccurrence_quads(kg: KnowledgeGraph) -> Iterator[Quad]:
    predicate = _n(PREDICATE_OF["co_occurs_with"])
    for edge in kg.cooccurrence:
        subject, obj = _n(node_iri(edge.source)), _n(node_iri(edge.target))
        a = _n(f"{LOCAL}cooccurrence/{_iri_path(edge.source)}/{_iri_path(edge.target)}")
        yield Quad(subject, predicate, obj, _DEFAULT)
        yield Quad(a, _TYPE, _n(BIOLINK + "Association"), _DEFAULT)
        yield Quad(a, _TYPE, _n(EXO + "CoOccurrence"), _DEFAULT)
        yield Quad(a, _n(BIOLINK + "subject"), subject, _DEFAULT)
        yield Quad(a, _n(BIOLINK + "predicate"), predicate, _DEFAULT)
        yield Quad(a, _n(BIOLINK + "object"), obj, _DEFAULT)
        for slot, attribute in _COOCCURRENCE_SLOTS:
            yield Quad(a, _n(slot), _lit(getattr(edge, attribute)), _DEFAULT)
        for paper in edge.supporting:
            yield Quad(a, _n(BIOLINK + "publications"), _n(node_iri(paper)), _DEFAULT)


def triples(kg: KnowledgeGraph) -> Iterator[Triple]:
    """The same statements with graph names dropped (for Turtle and N-Triples)."""
    for q in quads(kg):
        yield q.triple


def to_rdflib(kg: KnowledgeGraph) -> rdflib.Dataset:
    """The graph as an rdflib Dataset, for users who work with rdflib."""
    import rdflib
    from pyoxigraph import RdfFormat, serialize

    data = serialize(quads(kg), format=RdfFormat.N_QUADS)
    ds = rdflib.Dataset()
    ds.parse(data=data, format="nquads")
    return ds
