"""The graph as RDF quads: one named graph per paper, shared descriptions in the default graph.

Quads are generated in a fixed order (entities, authors, journals, papers,
co-occurrences, each sorted by id) and never use blank nodes, so that every
serialisation of the same input is byte-identical and each paper's statements
can be replaced by dropping its graph.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from .iris import LOCAL, expand, url_iri
from .sssom import MATCH_PREDICATES, SEMAPV
from .statements import Statements
from .vocab import (
    AGGREGATOR,
    BIBO,
    BIOLINK,
    CATEGORY_OF,
    CLASS_OF,
    DCT,
    EXO,
    KNOWLEDGE_SOURCE,
    OWL,
    PREDICATE_OF,
    RDF,
    RDFS,
    SCHEMA,
    SKOS,
    SSSOM,
    XSD,
    association_class,
    evidence_kind,
    relation_predicate,
)

if TYPE_CHECKING:
    import rdflib
    from pyoxigraph import Quad, Triple

    from .graph import CoOccurrence, EntityNode, KnowledgeGraph, PaperNode
    from .models import Relation
    from .sssom import Mapping as SssomMapping

__all__ = [
    "NodeIris",
    "agents_text",
    "chunk_stream",
    "cooccurrence_text",
    "entity_text",
    "mapping_iri",
    "mapping_set_iri",
    "mapping_text",
    "node_iri",
    "nquads_chunks",
    "ntriples_chunks",
    "paper_count_text",
    "paper_end",
    "paper_graph_iri",
    "paper_text",
    "quads",
    "relation_lines",
    "relation_predicate",
    "statement_text",
    "text_chunks",
    "to_rdflib",
    "triples",
    "write_cooccurrence_text",
]

_ESCAPE = re.compile(r'["\\\n\r]')
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r"}


def _u(iri: str) -> str:
    return f"<{iri}>"


class NodeIris(dict[str, str]):
    """Node id -> ``<IRI>``, filled on first use; one per run of statement generation.

    A plain dictionary rather than an LRU cache: a large corpus has more distinct
    ids (papers and their other ids) than any fixed cache size, and evicting
    the entity ids that every paper repeats would cost far more than keeping
    all of them for the length of a write. ``map(iris.__getitem__, keys)`` runs
    without a Python call per key.
    """

    def __missing__(self, key: str) -> str:
        value = self[key] = f"<{_expand(key)}>"
        return value


#: expand() without its cache, for ids seen once per write (the mapping above remembers them).
_expand = expand.__wrapped__


def _str(value: str) -> str:
    """A plain literal; only quotes, backslashes and line breaks need escaping in N-Triples."""
    if _ESCAPE.search(value):
        value = _ESCAPE.sub(lambda m: _ESCAPES[m.group()], value)
    return f'"{value}"'


_INT = f"^^<{XSD}integer>"
_DOUBLE = f"^^<{XSD}double>"
_BOOL = f"^^<{XSD}boolean>"
_DATE = f"^^<{XSD}date>"


def _lit(value: object) -> str:
    if isinstance(value, bool):
        return f'"{"true" if value else "false"}"{_BOOL}'
    if isinstance(value, int):
        return f'"{value}"{_INT}'
    if isinstance(value, float):
        if math.isfinite(value):
            return f'"{value!r}"{_DOUBLE}'
        return f'"{"NaN" if math.isnan(value) else ("INF" if value > 0 else "-INF")}"{_DOUBLE}'
    if isinstance(value, dt.date):
        return f'"{value.isoformat()}"{_DATE}'
    return _str(str(value))


_TYPE = _u(RDF + "type")
_LABEL, _PREF, _ALT = _u(RDFS + "label"), _u(SKOS + "prefLabel"), _u(SKOS + "altLabel")


def node_iri(key: str) -> str:
    """IRI of a node id (CURIE)."""
    return expand(key)


def _local_path(key: str) -> str:
    """A CURIE as a path below exograph's id space ('PMCID:PMC1' -> 'PMCID/PMC1')."""
    return key.replace(":", "/", 1) if not key.startswith("exo.id:") else key[len("exo.id:") :]


def _iri_path(key: str) -> str:
    return expand("exo.id:" + _local_path(key))[len(LOCAL) :]


def paper_graph_iri(paper_key: str) -> str:
    """Name of the graph holding one paper's statements."""
    return _expand("exo.id:graph/" + _local_path(paper_key))


def paper_end(paper_key: str, *, graphs: bool) -> str:
    """How each of a paper's statements ends: in the paper's named graph, or (``graphs`` false) in the default
    graph, where the compact profile puts them."""
    return f" <{paper_graph_iri(paper_key)}> .\n" if graphs else " .\n"


def quads(source: KnowledgeGraph | Statements) -> Iterator[Quad]:
    """Every statement of the graph as pyoxigraph quads, deterministically ordered.

    The statements are generated once as N-Quads text (:func:`statement_text`)
    and parsed by pyoxigraph, so every output and the store see the same
    statements; when the build has materialised them (:func:`materialize`)
    they are streamed back from that file. Parsing is ``lenient`` (IRIs are
    not checked again, which halves its cost) because every IRI is valid by
    construction: see :func:`statement_text`.
    """
    from pyoxigraph import RdfFormat, parse

    statements = Statements.of(source)
    if statements.cache is not None:
        yield from parse(path=str(statements.cache), format=RdfFormat.N_QUADS, lenient=True)  # type: ignore[misc]
        return
    yield from parse(chunk_stream(nquads_chunks(statements)), format=RdfFormat.N_QUADS, lenient=True)  # type: ignore[misc]


def triples(source: KnowledgeGraph | Statements) -> Iterator[Triple]:
    """The same statements with graph names dropped (for Turtle and N-Triples)."""
    from pyoxigraph import RdfFormat, parse

    statements = Statements.of(source)
    if statements.cache is not None:
        for q in parse(path=str(statements.cache), format=RdfFormat.N_QUADS, lenient=True):
            yield q.triple
        return
    chunks = chunk_stream(ntriples_chunks(statements))
    yield from (q.triple for q in parse(chunks, format=RdfFormat.N_TRIPLES, lenient=True))


class _ChunkReader(io.RawIOBase):
    """A readable stream over generated byte chunks, so pyoxigraph parses text as it is generated."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        super().__init__()
        self.chunks = chunks
        self.pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self.pending:
            chunk = next(self.chunks, None)
            if chunk is None:
                return 0
            self.pending = memoryview(chunk)
        size = min(len(buffer), len(self.pending))
        buffer[:size] = self.pending[:size]
        self.pending = self.pending[size:]
        return size


def chunk_stream(chunks: Iterator[bytes]) -> IO[bytes]:
    """Generated chunks as a binary file object."""
    return io.BufferedReader(_ChunkReader(chunks), 1 << 20)


def nquads_chunks(source: KnowledgeGraph | Statements, size: int = 1 << 20) -> Iterator[bytes]:
    """Every statement as N-Quads text, in UTF-8 chunks of about ``size`` characters."""
    statements = Statements.of(source)
    if statements.cache is not None:
        with open(statements.cache, "rb") as handle:
            while block := handle.read(size):
                yield block
        return
    yield from text_chunks(statement_text(statements, quads=True, cooccurrence=False), size)
    yield from _cooccurrence_chunks(statements, size)


def ntriples_chunks(
    source: KnowledgeGraph | Statements, size: int = 1 << 20, *, cooccurrence: bool = True
) -> Iterator[bytes]:
    """Every statement as N-Triples text (graph names dropped), in UTF-8 chunks; optionally without co-occurrence."""
    statements = Statements.of(source)
    yield from text_chunks(statement_text(statements, quads=False, cooccurrence=False), size)
    if cooccurrence:
        yield from _cooccurrence_chunks(statements, size)


def _cooccurrence_chunks(statements: Statements, size: int) -> Iterator[bytes]:
    """The co-occurrence statements (default graph, so the same lines in N-Triples and N-Quads) as UTF-8 chunks.

    When the background job has written them, its file's bytes are passed on as
    they are (hundreds of MB in a large corpus: no decoding and encoding again).
    """
    rendered = statements.cooccurrence_text()
    if rendered is None:
        yield from text_chunks(cooccurrence_text(statements.edges(), NodeIris()), size)
        return
    with open(rendered, "rb") as handle:
        while block := handle.read(size):
            yield block


def text_chunks(texts: Iterable[str], size: int) -> Iterator[bytes]:
    parts: list[str] = []
    pending = 0
    for text in texts:
        parts.append(text)
        pending += len(text)
        if pending >= size:
            yield "".join(parts).encode("utf-8", "replace")
            parts, pending = [], 0
    if parts:
        yield "".join(parts).encode("utf-8", "replace")


def write_chunks(chunks: Iterator[bytes], handle: IO[bytes]) -> None:
    """Copy generated chunks to a binary handle."""
    for chunk in chunks:
        handle.write(chunk)


def materialize(source: KnowledgeGraph | Statements, path: str | Path) -> Statements:
    """Write every quad once to ``path`` (N-Quads): the returned statements are read from there."""
    statements = Statements.of(source).cached(None)
    with open(path, "wb") as handle:
        write_chunks(nquads_chunks(statements), handle)
    return statements.cached(Path(path))


def statement_text(source: KnowledgeGraph | Statements, *, quads: bool, cooccurrence: bool = True) -> Iterator[str]:
    """Every statement as N-Quads (or N-Triples) text, a block per subject group, in a fixed order.

    Statements are built as text rather than as RDF term objects: at a hundred
    thousand papers that is ten million statements, and joining strings is
    several times cheaper than allocating term objects. Every IRI comes from
    :func:`~exograph.iris.expand` (which percent-encodes whatever an IRI may
    not hold), a fixed vocabulary or a :class:`~exograph.models.Link` whose
    URL was checked when read, and every literal goes through :func:`_lit`;
    so the text is valid by construction and pyoxigraph, which parses it
    before anything is written, need not re-check the IRIs
    (``tests/test_exports.py`` parses the outputs strictly).
    """
    node_iri = NodeIris()
    statements = Statements.of(source)
    kg = statements.graph
    for node in kg.sorted_entities():
        yield entity_text(node, node_iri)
    if kg.mappings:
        yield mapping_text(kg.mappings, node_iri)
    for kind, names in (("Author", kg.authors()), ("Journal", kg.journals())):
        text = agents_text(kind, names, node_iri)
        if text:
            yield text
    # A relation that several papers state is one triple: written once, in the default graph (each paper's
    # graph holds its biolink:Association, which names the paper), so that dropping graph names (Turtle,
    # N-Triples) leaves no duplicate statement.
    stated: set[str] = set()
    types = {key: entity.type for key, entity in kg.entities.items()}
    for paper in kg.sorted_papers():
        text, direct = paper_text(
            paper, paper_end(paper.key, graphs=quads and kg.paper_graphs), node_iri, kg.author_key, types
        )
        new = [triple for triple in direct if triple not in stated]
        stated.update(new)
        yield text + (" .\n".join(new) + " .\n" if new else "")
    if not cooccurrence:
        return
    rendered = statements.cooccurrence_text()
    if rendered is not None:
        # Written by the background co-occurrence job, in the same text this module would make.
        with open(rendered, encoding="utf-8") as handle:
            while block := handle.read(1 << 20):
                yield block
    else:
        yield from cooccurrence_text(statements.edges(), node_iri)


def entity_text(node: EntityNode, node_iri: NodeIris, *, with_count: bool = True) -> str:
    """One entity's statements (N-Triples: they belong to the default graph).

    Without ``with_count``, the ``exo:paperCount`` statement is left out: the out-of-core plan writes
    it (:func:`paper_count_text`) once papers, which may come from any chunk, are counted.
    """
    end = " .\n"
    s = node_iri[node.key]
    label = _str(node.label)
    out = [
        f"{s} {_TYPE} <{CLASS_OF[node.type]}>",
        f"{s} {_CATEGORY} <{CATEGORY_OF[node.type]}>",
        f"{s} {_LABEL} {label}",
        f"{s} {_PREF} {label}",
    ]
    out.extend(f"{s} {_ALT} {_str(name)}" for name in node.alt_labels)
    out.extend(f"{s} {_SYNONYM} {_str(alias)}" for alias in sorted(node.aliases))
    out.extend(f"{s} {_NAME} {_str(name)}" for name in sorted(node.names))
    for values, predicate in (
        (node.symbols, _SYMBOL),
        (node.full_names, _FULL_NAME),
        (node.common_names, _COMMON_NAME),
        (node.ranks, _RANK),
        (node.raw_ids, _SOURCE_ID),
    ):
        if values:
            out.extend(f"{s} {predicate} {_str(value)}" for value in sorted(values))
    out.extend(f"{s} {_XREF} {node_iri[xref]}" for xref in node.xrefs)
    out.append(f"{s} {_IDENTIFIER} {_str(node.key)}")
    out.append(f"{s} {_NORMALISED} {_lit(node.curie is not None)}")
    if with_count:
        out.append(f"{s} {_PAPER_COUNT} {_lit(len(node.papers))}")
    out.append("")
    return end.join(out)


def paper_count_text(key: str, papers: int, node_iri: NodeIris) -> str:
    """The ``exo:paperCount`` statement of one entity."""
    return f"{node_iri[key]} {_PAPER_COUNT} {_lit(papers)} .\n"


def agents_text(kind: str, names: Mapping[str, str], node_iri: NodeIris) -> str:
    """Author or journal nodes (``kind``), node id -> name, as N-Triples."""
    rdf_class, category = _u(CLASS_OF[kind]), _u(CATEGORY_OF[kind])
    out: list[str] = []
    for key, name in names.items():
        s = node_iri[key]
        literal = _str(name)
        out.extend(
            (
                f"{s} {_TYPE} {rdf_class}",
                f"{s} {_CATEGORY} {category}",
                f"{s} {_LABEL} {literal}",
                f"{s} {_SCHEMA_NAME} {literal}",
            )
        )
    if out:
        out.append("")
    return " .\n".join(out)


def _many(prefix: str, objects: Iterable[str], end: str) -> str:
    """Statements sharing subject and predicate, joined in one go (no string per statement)."""
    text = (end + prefix).join(objects)
    return prefix + text + end if text else ""


_SYNONYM, _NAME, _SYMBOL = _u(BIOLINK + "synonym"), _u(EXO + "name"), _u(BIOLINK + "symbol")
_FULL_NAME, _COMMON_NAME, _RANK = _u(BIOLINK + "full_name"), _u(EXO + "commonName"), _u(EXO + "taxonRank")
_SOURCE_ID, _IDENTIFIER, _NORMALISED = _u(EXO + "sourceId"), _u(DCT + "identifier"), _u(EXO + "normalised")
_PAPER_COUNT, _SCHEMA_NAME = _u(EXO + "paperCount"), _u(SCHEMA + "name")
_PAPER_CLASS, _TITLE, _SAME_AS, _ISSUED = (
    _u(CLASS_OF["Paper"]),
    _u(DCT + "title"),
    _u(SCHEMA + "sameAs"),
    _u(DCT + "issued"),
)
_PUBLISHED_IN, _CREATOR, _AUTHOR_LIST = _u(BIOLINK + "published_in"), _u(DCT + "creator"), _u(BIBO + "authorList")
_SEQ, _KEY_FINDINGS, _SOURCE_FILE = _u(RDF + "Seq"), _u(EXO + "keyFindings"), _u(EXO + "sourceFile")
_ABOUT, _MENTIONS = _u(PREDICATE_OF["about"]), _u(PREDICATE_OF["mentions"])
_MENTION_COUNT, _MENTION, _IN_PAPER = _u(EXO + "MentionCount"), _u(EXO + "Mention"), _u(EXO + "inPaper")
_ENTITY, _COUNT, _DENOTES = _u(EXO + "entity"), _u(EXO + "count"), _u(EXO + "denotes")
_ASSOCIATION, _SUBJECT, _PREDICATE = _u(BIOLINK + "Association"), _u(BIOLINK + "subject"), _u(BIOLINK + "predicate")
_OBJECT, _PUBLICATIONS, _RELATION_TYPE = _u(BIOLINK + "object"), _u(BIOLINK + "publications"), _u(EXO + "relationType")
_NOVEL, _SCORE, _COOCCURRENCE = _u(EXO + "novel"), _u(EXO + "score"), _u(EXO + "CoOccurrence")
_ID_PREDICATES = {"pmid": _u(EXO + "pmid"), "pmcid": _u(EXO + "pmcid"), "doi": _u(EXO + "doi")}
_TEXT_PREDICATES = {
    "tldr": _u(EXO + "tldr"),
    "contribution": _u(EXO + "contribution"),
    "abstract": _u(DCT + "abstract"),
}
_LINK_PREDICATES = {
    "source": _u(SCHEMA + "url"),
    "full_text": _u(EXO + "fullText"),
    "figures": _u(EXO + "figures"),
    "references": _u(EXO + "references"),
}
_LINK_COUNTS = {"figures": _u(EXO + "figureCount"), "references": _u(EXO + "referenceCount")}
_SPAN_SLOTS = tuple((slot, _u(EXO + slot)) for slot in ("text", "start", "end", "passage"))


_CATEGORY, _LN_RATIO = _u(BIOLINK + "category"), _u(BIOLINK + "ln_ratio")
_KNOWLEDGE_LEVEL, _AGENT_TYPE = _u(BIOLINK + "knowledge_level"), _u(BIOLINK + "agent_type")
_PRIMARY, _AGGREGATOR = _u(BIOLINK + "primary_knowledge_source"), _u(BIOLINK + "aggregator_knowledge_source")
#: Evidence kind -> the Biolink provenance slots of an association, as (predicate, object) text.
_EVIDENCE = {
    kind: (
        (_KNOWLEDGE_LEVEL, _str(level)),
        (_AGENT_TYPE, _str(agent)),
        (_PRIMARY, f"<{expand(source)}>"),
        (_AGGREGATOR, f"<{expand(AGGREGATOR)}>"),
    )
    for kind, (level, agent, source) in KNOWLEDGE_SOURCE.items()
}


def _seq(seq: str, items: Sequence[str]) -> list[str]:
    out = [f"{seq} {_TYPE} {_SEQ}"]
    out.extend(f"{seq} <{RDF}_{i}> {item}" for i, item in enumerate(items, start=1))
    return out


def paper_text(
    node: PaperNode,
    end: str,
    node_iri: NodeIris,
    author_key: Mapping[str, str],
    types: Mapping[str, str],
) -> tuple[str, list[str]]:
    """One paper's statements, and the direct relation triples it states (without the closing ``" ."``).

    ``end`` closes each statement (with the paper's graph name for N-Quads). The direct triples
    (``subject predicate object``) belong to the default graph and are written once however many
    papers state them, so the caller removes the ones already written.
    """
    paper = node.paper
    key = node.key
    s = node_iri[key]
    iri = node_iri.__getitem__
    local = _expand("exo.id:paper/" + _local_path(key))
    title = _str(paper.title)
    out = [
        f"{s} {_TYPE} {_PAPER_CLASS}",
        f"{s} {_CATEGORY} {_PAPER_CLASS}",
        f"{s} {_TITLE} {title}",
        f"{s} {_LABEL} {title}",
    ]
    later: list[str] = []
    for name, predicate in _ID_PREDICATES.items():
        value = getattr(paper, name)
        if value:
            out.append(f"{s} {predicate} {_str(value)}")
    out.extend(f"{s} {_SAME_AS} {iri(other)}" for other in paper.ids if other != key)
    if paper.date:
        out.append(f"{s} {_ISSUED} {_lit(paper.date)}")
    if node.journal_key:
        out.append(f"{s} {_PUBLISHED_IN} {iri(node.journal_key)}")
    authors = list(map(iri, map(author_key.__getitem__, paper.authors)))
    out.extend(f"{s} {_CREATOR} {author}" for author in dict.fromkeys(authors))
    if authors:
        out.append(f"{s} {_AUTHOR_LIST} <{local}/authors>")
        later.extend(_seq(f"<{local}/authors>", authors))
    for name, predicate in _TEXT_PREDICATES.items():
        value = getattr(paper, name)
        if value:
            out.append(f"{s} {predicate} {_str(value)}")
    if paper.key_findings:
        out.append(f"{s} {_KEY_FINDINGS} <{local}/findings>")
        later.extend(_seq(f"<{local}/findings>", [_str(f) for f in paper.key_findings]))
    for link in sorted(paper.links, key=lambda lk: (lk.kind, lk.url)):
        out.append(f"{s} {_LINK_PREDICATES[link.kind]} <{link.url}>")
        if link.count is not None:
            out.append(f"{s} {_LINK_COUNTS.get(link.kind, _LINK_COUNTS['references'])} {_lit(link.count)}")
    out.extend(
        f"{s} {_SOURCE_FILE} {_str(source.replace(chr(92), '/').rsplit('/', 1)[-1])}" for source in sorted(node.sources)
    )
    out.append("")
    head = end.join(out)
    # The bulk of a paper: one statement per linked entity, joined without a string per statement.
    about = _many(f"{s} {_ABOUT} ", map(iri, sorted(node.about)), end)
    mentions = _many(f"{s} {_MENTIONS} ", map(iri, sorted(node.mentions)), end)
    out = later
    # Cards give no mention counts (all zero): any() settles that without a Python step per entity.
    counted = {k: c for k, c in node.mentions.items() if c} if any(node.mentions.values()) else {}
    for entity in sorted(counted):
        m = f"<{local}/count/{_iri_path(entity)}>"
        out.extend(
            (
                f"{m} {_TYPE} {_MENTION_COUNT}",
                f"{m} {_IN_PAPER} {s}",
                f"{m} {_ENTITY} {iri(entity)}",
                f"{m} {_COUNT} {_lit(counted[entity])}",
            )
        )
    spans = sorted(node.mention_spans, key=lambda sp: (sp.start, sp.end, sp.entity_keys))
    span_lines: list[str] = []
    for span in spans:
        m = f"<{local}/span/{span.start}-{span.end}>"
        span_lines.append(f"{m} {_TYPE} {_MENTION}")
        span_lines.append(f"{m} {_IN_PAPER} {s}")
        span_lines.extend(f"{m} {predicate} {_lit(getattr(span, slot))}" for slot, predicate in _SPAN_SLOTS)
        span_lines.extend(f"{m} {_DENOTES} {iri(entity)}" for entity in span.entity_keys)
    if len({(sp.start, sp.end) for sp in spans}) < len(spans):
        # Two annotations of one span (CDR has them) share the span's IRI: each statement is written once.
        span_lines = list(dict.fromkeys(span_lines))
    out.extend(span_lines)
    direct = relation_lines(node.key, node.relations, node_iri, types, out)
    if out:
        out.append("")
    return head + about + mentions + end.join(out), direct


def relation_lines(
    paper_key: str, relations: Sequence[Relation], node_iri: NodeIris, types: Mapping[str, str], out: list[str]
) -> list[str]:
    """A paper's relations as associations (statements without their end, added to ``out``); returns the direct
    triples they state, each once (see :func:`paper_text`)."""
    s, iri = node_iri[paper_key], node_iri.__getitem__
    local = _expand("exo.id:paper/" + _local_path(paper_key))
    direct: list[str] = []
    for i, rel in enumerate(relations, start=1):
        predicate = _u(relation_predicate(rel.type))
        subject, obj = iri(rel.subject), iri(rel.object)
        a = f"<{local}/relation/{i}>"
        direct.append(f"{subject} {predicate} {obj}")
        kind = _u(association_class(types.get(rel.subject), types.get(rel.object)))
        out.extend(
            (
                f"{a} {_TYPE} {kind}",
                f"{a} {_CATEGORY} {kind}",
                f"{a} {_SUBJECT} {subject}",
                f"{a} {_PREDICATE} {predicate}",
                f"{a} {_OBJECT} {obj}",
                f"{a} {_PUBLICATIONS} {s}",
                f"{a} {_RELATION_TYPE} {_str(rel.type)}",
            )
        )
        out.extend(f"{a} {slot} {value}" for slot, value in _EVIDENCE[evidence_kind(rel.type, rel.score)])
        if rel.novel is not None:
            out.append(f"{a} {_NOVEL} {_lit(rel.novel)}")
        if rel.score is not None:
            out.append(f"{a} {_SCORE} {_lit(rel.score)}")
    return list(dict.fromkeys(direct))


_XREF, _AXIOM = _u(BIOLINK + "xref"), _u(OWL + "Axiom")
_ANNOTATED = tuple(_u(OWL + name) for name in ("annotatedSource", "annotatedProperty", "annotatedTarget"))
_JUSTIFICATION, _CONFIDENCE = _u(SSSOM + "mapping_justification"), _u(SSSOM + "confidence")
_SUBJECT_LABEL, _OBJECT_LABEL = _u(SSSOM + "subject_label"), _u(SSSOM + "object_label")
_MAPPING_SET, _SOURCE = _u(SSSOM + "MappingSet"), _u(DCT + "source")


def mapping_iri(m: SssomMapping) -> str:
    """IRI of the axiom that carries one mapping's provenance (stable: from its ids, predicate and set)."""
    set_hash = hashlib.sha256(m.mapping_set.encode("utf-8")).hexdigest()[:12]
    predicate = m.predicate.partition(":")[2]
    return f"{LOCAL}mapping/{_iri_path(m.subject)}/{predicate}/{_iri_path(m.object)}/{set_hash}"


def mapping_text(mappings: Iterable[SssomMapping], node_iri: NodeIris) -> str:
    """SSSOM mappings as the direct SKOS statement plus an ``owl:Axiom`` with its provenance (as SSSOM's own
    RDF form does), so a query can both follow ``skos:exactMatch`` and ask who made the mapping and how."""
    end = " .\n"
    out: list[str] = []
    sets: set[str] = set()
    for m in mappings:
        s, o, p = node_iri[m.subject], node_iri[m.object], _u(MATCH_PREDICATES[m.predicate])
        a = _u(mapping_iri(m))
        out += [
            f"{s} {p} {o}",
            f"{a} {_TYPE} {_AXIOM}",
            f"{a} {_ANNOTATED[0]} {s}",
            f"{a} {_ANNOTATED[1]} {p}",
            f"{a} {_ANNOTATED[2]} {o}",
            f"{a} {_JUSTIFICATION} {_u(url_iri(m.justification) or _UNSPECIFIED)}",
            f"{a} {_SOURCE} {_u(mapping_set_iri(m.mapping_set))}",
        ]
        if m.subject_label is not None:
            out.append(f"{a} {_SUBJECT_LABEL} {_str(m.subject_label)}")
        if m.object_label is not None:
            out.append(f"{a} {_OBJECT_LABEL} {_str(m.object_label)}")
        if m.confidence is not None:
            out.append(f"{a} {_CONFIDENCE} {_lit(m.confidence)}")
        sets.add(m.mapping_set)
    for mapping_set in sorted(sets):
        out.append(f"{_u(mapping_set_iri(mapping_set))} {_TYPE} {_MAPPING_SET}")
    out.append("")
    return end.join(out)


_UNSPECIFIED = SEMAPV + "UnspecifiedMatching"


def mapping_set_iri(set_id: str) -> str:
    """A mapping set's id as an IRI: itself when it is one (SSSOM asks for that), else one in exograph's id space."""
    return url_iri(set_id) or _expand("exo.id:mapping-set/" + set_id)


#: Statistic slots of a co-occurrence association: (predicate, CoOccurrence attribute).
_COOCCURRENCE_SLOTS = tuple(
    (_u(iri), attribute)
    for iri, attribute in (
        (BIOLINK + "concept_pair_count", "papers"),
        (BIOLINK + "dataset_count", "total_papers"),
        (BIOLINK + "concept_count_subject", "source_papers"),
        (BIOLINK + "concept_count_object", "target_papers"),
        (BIOLINK + "expected_count", "expected"),
        (EXO + "enrichment", "enrichment"),
        (EXO + "logOddsRatio", "log_odds"),
        (BIOLINK + "p_value", "p_value"),
        (BIOLINK + "adjusted_p_value", "p_adjusted"),
    )
)


def write_cooccurrence_text(edges: Iterable[CoOccurrence], path: str | Path) -> None:
    """The co-occurrence statements as N-Triples in ``path`` (by the background job of a large build)."""
    with open(path, "wb") as handle:
        write_chunks(text_chunks(cooccurrence_text(edges, NodeIris()), 1 << 20), handle)


def cooccurrence_text(edges: Iterable[CoOccurrence], node_iri: NodeIris) -> Iterator[str]:
    predicate = _u(PREDICATE_OF["co_occurs_with"])
    end = " .\n"
    iri = node_iri.__getitem__
    for edge in edges:
        subject, obj = iri(edge.source), iri(edge.target)
        a = f"<{LOCAL}cooccurrence/{_iri_path(edge.source)}/{_iri_path(edge.target)}>"
        out = [
            f"{subject} {predicate} {obj}",
            f"{a} {_TYPE} {_ASSOCIATION}",
            f"{a} {_TYPE} {_COOCCURRENCE}",
            f"{a} {_CATEGORY} {_ASSOCIATION}",
            f"{a} {_SUBJECT} {subject}",
            f"{a} {_PREDICATE} {predicate}",
            f"{a} {_OBJECT} {obj}",
        ]
        out.extend(f"{a} {slot} {value}" for slot, value in _EVIDENCE["cooccurrence"])
        out.extend(f"{a} {slot} {_lit(getattr(edge, attribute))}" for slot, attribute in _COOCCURRENCE_SLOTS)
        if edge.enrichment > 0:
            out.append(f"{a} {_LN_RATIO} {_lit(math.log(edge.enrichment))}")
        out.append("")
        yield end.join(out) + _many(f"{a} {_PUBLICATIONS} ", map(iri, edge.supporting), end)


def to_rdflib(kg: KnowledgeGraph) -> rdflib.Dataset:
    """The graph as an rdflib Dataset (a named graph per paper if the graph keeps them, the rest in the default graph).

    >>> import exograph
    >>> ds = exograph.to_rdflib(exograph.build(["seeds/"]).graph)
    >>> len(ds) > 1500
    True
    """
    import rdflib

    ds = rdflib.Dataset()
    ds.parse(data=b"".join(nquads_chunks(kg)), format="nquads")
    return ds
