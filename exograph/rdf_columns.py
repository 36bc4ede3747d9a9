"""Statement text by columns (Arrow arrays), for the out-of-core plan: byte-equal to :mod:`exograph.rdf`'s.

At PubTator3 scale a co-occurrence edge lists every paper that supports it, and
those ``biolink:publications`` statements are a third of the graph: made one by
one in Python (a dictionary lookup and a string per statement) they cost more
than everything else the co-occurrence stage does. Here the IRIs of a column of
CURIEs are made by Arrow string kernels (prefix looked up once per distinct
prefix; local parts that need no percent-encoding used as they are; the rest,
and unknown prefixes, through :func:`exograph.iris.expand` itself), and an
edge's statements are joined column-wise. ``tests/test_rdf_columns.py`` holds
the text to :func:`exograph.rdf.cooccurrence_text`, byte for byte.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from .cooccurrence import derived_statistics
from .iris import LOCAL, PREFIX_MAP, SAFE_ASCII, expand
from .rdf import (
    _ALT,
    _ASSOCIATION,
    _CATEGORY,
    _COMMON_NAME,
    _COOCCURRENCE,
    _COOCCURRENCE_SLOTS,
    _DOUBLE,
    _EVIDENCE,
    _FULL_NAME,
    _IDENTIFIER,
    _INT,
    _LABEL,
    _LN_RATIO,
    _MENTIONS,
    _NAME,
    _NORMALISED,
    _NOVEL,
    _OBJECT,
    _PREDICATE,
    _PREF,
    _PUBLICATIONS,
    _RANK,
    _RELATION_TYPE,
    _SCORE,
    _SOURCE_FILE,
    _SOURCE_ID,
    _SUBJECT,
    _SYMBOL,
    _SYNONYM,
    _TYPE,
    _XREF,
    NodeIris,
    _iri_path,
    _lit,
    _str,
    _u,
    paper_end,
    paper_text,
)
from .tables import fill_template
from .vocab import CATEGORY_OF, CLASS_OF, PREDICATE_OF, association_class, evidence_kind, relation_predicate

if TYPE_CHECKING:
    import pyarrow as pa

    from .graph import PaperNode

__all__ = [
    "LISTED",
    "RelationColumns",
    "cooccurrence_column_text",
    "entity_column_text",
    "iri_column",
    "paper_column_text",
    "relation_column_text",
    "text_blocks",
]

#: A CURIE whose local part needs no percent-encoding: its IRI is the prefix's IRI and the local part as is.
_PLAIN_CURIE = f"^(?P<prefix>[^:]*):(?P<local>[{SAFE_ASCII}]*)$"
_END = " .\n"
_INT_END, _DOUBLE_END = '"' + _INT, '"' + _DOUBLE


def iri_column(keys: pa.Array) -> pa.Array:
    """``<IRI>`` of each CURIE, as :func:`exograph.iris.expand` makes it (and raising as it does)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not len(keys):
        return pa.array([], pa.string())
    parts = pc.extract_regex(keys, _PLAIN_CURIE)  # null where the local part needs encoding
    prefixes = pc.dictionary_encode(parts.field("prefix"))
    bases = pa.array([PREFIX_MAP.get(p) for p in prefixes.dictionary.to_pylist()], pa.string())
    text = pc.binary_join_element_wise("<", bases.take(prefixes.indices), parts.field("local"), ">", "")
    other = text.is_null()
    if pc.any(other).as_py():
        rest = pc.filter(keys, other).to_pylist()
        text = pc.replace_with_mask(text, other, pa.array([f"<{expand(k)}>" for k in rest], pa.string()))
    return text


def cooccurrence_column_text(
    sources: pa.Array, targets: pa.Array, stats: dict[str, np.ndarray], total: int, papers: pa.ListArray
) -> pa.Array:
    """Each edge's statements as :func:`exograph.rdf.cooccurrence_text` writes them, one string per edge.

    ``sources`` and ``targets`` are the edges' entity keys, in (source, target) order as
    :func:`exograph.cooccurrence.edge_records` sorts them; ``stats`` holds a, na, nb, p and p_adjusted;
    ``papers`` lists each edge's supporting papers, sorted.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if not len(sources):
        return pa.array([], pa.string())
    derived = derived_statistics(stats, total)
    # Each entity's IRI and its path in the association IRIs, made once per distinct entity.
    ends = pc.dictionary_encode(pa.concat_arrays([sources, targets]))
    iri = iri_column(ends.dictionary).take(ends.indices)
    path = _paths(ends.dictionary).take(ends.indices)
    n = len(sources)
    subject, obj = iri[:n], iri[n:]
    a = pc.binary_join_element_wise(f"<{LOCAL}cooccurrence/", path[:n], "/", path[n:], ">", "")
    predicate = _u(PREDICATE_OF["co_occurs_with"])
    values = {
        "papers": stats["a"],
        "total_papers": np.full(len(sources), total, dtype=np.int64),
        "source_papers": stats["na"],
        "target_papers": stats["nb"],
        "p_value": stats["p"],
        "p_adjusted": stats["p_adjusted"],
        **derived,
    }
    pieces: list[object] = [subject, f" {predicate} ", obj, _END]
    for fixed in (
        f" {_TYPE} {_ASSOCIATION}",
        f" {_TYPE} {_COOCCURRENCE}",
        f" {_CATEGORY} {_ASSOCIATION}",
    ):
        pieces += [a, fixed + _END]
    pieces += [a, f" {_SUBJECT} ", subject, _END, a, f" {_PREDICATE} {predicate}{_END}", a, f" {_OBJECT} ", obj, _END]
    pieces += [piece for slot, value in _EVIDENCE["cooccurrence"] for piece in (a, f" {slot} {value}{_END}")]
    for slot, attribute in _COOCCURRENCE_SLOTS:
        pieces += [a, f" {slot} ", _literals(values[attribute]), _END]
    enrichment = derived["enrichment"]
    # biolink:ln_ratio only where the enrichment is positive (its log is defined), as the row-wise text does.
    ln_ratio = [f"{_LN_RATIO} {_lit(math.log(e))}{_END}" if e > 0 else None for e in enrichment.tolist()]
    ln_text = pc.binary_join_element_wise(a, pa.array(ln_ratio, pa.string()), " ")
    pieces.append(pc.fill_null(ln_text, ""))
    # Then one biolink:publications statement per supporting paper, its IRI made by columns.
    flat = papers.flatten()
    iris = pa.ListArray.from_arrays(_offsets(papers), iri_column(flat))
    prefix = pc.binary_join_element_wise(a, f" {_PUBLICATIONS} ", "")
    joined = pc.binary_join(iris, pc.binary_join_element_wise(_END, prefix, ""))
    listed = pc.greater(pc.list_value_length(papers), 0)
    pieces.append(pc.if_else(listed, pc.binary_join_element_wise(prefix, joined, _END, ""), ""))
    return pc.binary_join_element_wise(*pieces, "")


def paper_column_text(
    model: PaperNode,
    mark: str,
    values: pa.Array,
    sources: pa.ListArray,
    mentions: pa.ListArray,
    tails: pa.Array,
    *,
    graphs: bool = True,
) -> pa.Array:
    """Each paper's statements as :func:`exograph.rdf.paper_text` writes them, one string per paper, for papers
    that are ``model`` with the stand-in ``mark`` replaced by one of ``values`` (in its key, its fields and
    so its IRIs), each with its own source files and mentioned entities (``sources``, ``mentions``: lists,
    sorted and distinct) and the rest of its text after them (``tails``: its relations' statements, made by
    :func:`exograph.rdf.relation_lines`).

    ``model`` has no sources, mentions or relations and gives no statement after its mentions (no spans, no
    mention counts); its statements are made by :func:`paper_text` itself and filled in by columns, and the
    values must need no escaping in a literal or an IRI (PMIDs: ASCII digits).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    papers = len(values)
    if not papers:
        return pa.array([], pa.string())
    iris = NodeIris()
    key = model.key
    end = paper_end(key, graphs=graphs)
    fill = {mark: values}
    head = fill_template(paper_text(model, end, iris, {}, {})[0], fill, papers)
    subject, ends = fill_template(iris[key], fill, papers), fill_template(end, fill, papers)
    # A file's statement names it without its folders.
    files = pc.dictionary_encode(sources.flatten())
    base = [_str(name.replace(chr(92), "/").rsplit("/", 1)[-1]) for name in files.dictionary.to_pylist()]
    named = _per_list(subject, _SOURCE_FILE, sources, pa.array(base, pa.string()).take(files.indices), ends)
    entities = pc.dictionary_encode(mentions.flatten())
    said = _per_list(subject, _MENTIONS, mentions, iri_column(entities.dictionary).take(entities.indices), ends)
    return pc.binary_join_element_wise(head, named, said, tails, "")


class RelationColumns(NamedTuple):
    """Relations as columns, one row each (:class:`exograph.models.Relation`'s fields), with the paper that
    asserts it (``paper``: its node id) and its number among that paper's relations (``number``: from 1)."""

    paper: pa.Array
    number: pa.Array
    type: pa.Array
    subject: pa.Array
    object: pa.Array
    novel: pa.Array
    score: pa.Array


def relation_column_text(
    relations: RelationColumns, types: Mapping[str, str], end: pa.Array | str
) -> tuple[pa.Array, pa.Array]:
    """Each relation's association as :func:`exograph.rdf.relation_lines` states it (each statement closed by
    ``end``, the relation's paper's), one string per relation; and the direct triple each states (subject,
    predicate and object, as ``relation_lines`` returns them).

    ``types`` gives the entity type of the relations' ends (for the association class). What depends only on
    the relation type (predicate, literal, evidence) is made once per distinct type, IRIs once per distinct id.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if not len(relations.type):
        empty = pa.array([], pa.string())
        return empty, empty
    papers = pc.dictionary_encode(relations.paper)
    keys = papers.dictionary
    paper_iri = iri_column(keys).take(papers.indices)
    # The association's IRI: the paper's IRI in exograph's id space (as _local_path spells it), /relation/N.
    own = pc.starts_with(keys, "exo.id:")
    path = pc.if_else(own, pc.utf8_slice_codeunits(keys, 7), pc.replace_substring(keys, ":", "/", max_replacements=1))
    local = pc.utf8_slice_codeunits(iri_column(pc.binary_join_element_wise("exo.id:paper/", path, "")), 0, -1)
    a = pc.binary_join_element_wise(
        local.take(papers.indices), "/relation/", relations.number.cast(pa.string()), ">", ""
    )
    ends = pc.dictionary_encode(pa.concat_arrays([relations.subject, relations.object]))
    iri = iri_column(ends.dictionary).take(ends.indices)
    n = len(relations.type)
    subject, obj = iri[:n], iri[n:]
    # The association class of each relation, from its ends' types, once per distinct pair of types.
    end_type = np.array([types.get(k) or "" for k in ends.dictionary.to_pylist()], dtype=object)
    names, code = np.unique(end_type, return_inverse=True)
    code = code.reshape(-1)[ends.indices.to_numpy(zero_copy_only=False)]
    pairs, pair_code = np.unique(code[:n] * len(names) + code[n:], return_inverse=True)
    classes = [
        _u(association_class(names[p // len(names)] or None, names[p % len(names)] or None)) for p in pairs.tolist()
    ]
    kind = pa.array(classes, pa.string()).take(pa.array(pair_code.reshape(-1)))
    # What the relation type says, and its evidence (which also asks whether the relation is scored).
    scored = pc.is_valid(relations.score)
    typed = pc.dictionary_encode(pc.binary_join_element_wise(relations.type, pc.if_else(scored, "1", "0"), "\t"))
    said = [text.rpartition("\t") for text in typed.dictionary.to_pylist()]
    predicate = pa.array([_u(relation_predicate(t)) for t, _, _ in said], pa.string()).take(typed.indices)
    literal = pa.array([_str(t) for t, _, _ in said], pa.string()).take(typed.indices)
    evidence = [_EVIDENCE[evidence_kind(t, 0.0 if s == "1" else None)] for t, _, s in said]
    pieces: list[object] = [
        *(a, f" {_TYPE} ", kind, end, a, f" {_CATEGORY} ", kind, end),
        *(a, f" {_SUBJECT} ", subject, end, a, f" {_PREDICATE} ", predicate, end, a, f" {_OBJECT} ", obj, end),
        *(a, f" {_PUBLICATIONS} ", paper_iri, end, a, f" {_RELATION_TYPE} ", literal, end),
    ]
    for slot in range(max(map(len, evidence))):
        given = [f" {e[slot][0]} {e[slot][1]}" if slot < len(e) else None for e in evidence]
        pieces.append(_each_given(a, pa.array(given, pa.string()).take(typed.indices), end))
    if pc.any(pc.is_valid(relations.novel)).as_py():
        pieces.append(
            _each_given(a, pc.if_else(relations.novel, f" {_NOVEL} {_lit(True)}", f" {_NOVEL} {_lit(False)}"), end)
        )
    if pc.any(scored).as_py():
        scores = [None if v is None else f" {_SCORE} {_lit(v)}" for v in relations.score.to_pylist()]
        pieces.append(_each_given(a, pa.array(scores, pa.string()), end))
    return pc.binary_join_element_wise(*pieces, ""), pc.binary_join_element_wise(subject, predicate, obj, " ")


def _each_given(a: pa.Array, said: pa.Array, end: pa.Array | str) -> pa.Array:
    """The statement ``a`` + ``said`` + ``end`` of each row, or "" where ``said`` is null."""
    import pyarrow.compute as pc

    return pc.fill_null(pc.binary_join_element_wise(a, said, end, ""), "")


def _per_list(
    subject: pa.Array, predicate: str, lists: pa.ListArray, objects: pa.Array, end: pa.Array | str
) -> pa.Array:
    """A statement of ``subject predicate object`` for each value of each row's list (``objects``: the values'
    object terms, flattened; ``end``: what closes a row's statements), a row's concatenated: one string per row."""
    import pyarrow as pa
    import pyarrow.compute as pc

    owner = pc.list_parent_indices(lists)
    closing = end if isinstance(end, str) else end.take(owner)
    lines = pc.binary_join_element_wise(subject.take(owner), f" {predicate} ", objects, closing, "")
    return pc.binary_join(pa.ListArray.from_arrays(_offsets(lists), lines), "")


#: An entity's listed values, in the order :func:`exograph.rdf.entity_text` states them, with their predicates.
LISTED = (
    ("alt_labels", _ALT),
    ("aliases", _SYNONYM),
    ("names", _NAME),
    ("symbols", _SYMBOL),
    ("full_names", _FULL_NAME),
    ("common_names", _COMMON_NAME),
    ("ranks", _RANK),
    ("raw_ids", _SOURCE_ID),
    ("xrefs", _XREF),
)


def entity_column_text(
    keys: pa.Array, types: pa.Array, curies: pa.Array, labels: pa.Array, lists: Mapping[str, pa.ListArray]
) -> pa.Array:
    """Each entity's statements as :func:`exograph.rdf.entity_text` writes them without the paper count, one
    string per entity.

    ``lists`` holds each entity's values of every name in :data:`LISTED` in the order they are stated: sorted
    and distinct (``alt_labels``: every name and alias but the label), but ``xrefs`` (CURIEs) as they come.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if not len(keys):
        return pa.array([], pa.string())
    s = iri_column(keys)
    kinds = pc.dictionary_encode(types)
    named = kinds.dictionary.to_pylist()
    rdf_class = pa.array([f" {_TYPE} <{CLASS_OF[t]}>{_END}" for t in named], pa.string()).take(kinds.indices)
    category = pa.array([f" {_CATEGORY} <{CATEGORY_OF[t]}>{_END}" for t in named], pa.string()).take(kinds.indices)
    label = _string_literals(labels)
    pieces: list[object] = [s, rdf_class, s, category, s, f" {_LABEL} ", label, _END, s, f" {_PREF} ", label, _END]
    for name, predicate in LISTED:
        flat = lists[name].flatten()
        pieces.append(
            _per_list(s, predicate, lists[name], iri_column(flat) if name == "xrefs" else _string_literals(flat), _END)
        )
    normalised = pc.if_else(
        pc.is_valid(curies), f" {_NORMALISED} {_lit(True)}{_END}", f" {_NORMALISED} {_lit(False)}{_END}"
    )
    pieces += [s, f" {_IDENTIFIER} ", _string_literals(keys), _END, s, normalised]
    return pc.binary_join_element_wise(*pieces, "")


def _string_literals(values: pa.Array) -> pa.Array:
    """Each string as a plain literal (:func:`exograph.rdf._str`), escaped once per distinct value."""
    import pyarrow as pa
    import pyarrow.compute as pc

    encoded = pc.dictionary_encode(values)
    return pa.array([_str(v) for v in encoded.dictionary.to_pylist()], pa.string()).take(encoded.indices)


def text_blocks(text: pa.Array, size: int = 1 << 20) -> Iterator[bytes]:
    """The concatenated UTF-8 of a string array, in blocks of whole strings of about ``size`` bytes."""
    import pyarrow as pa

    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    width = np.int64 if pa.types.is_large_string(text.type) else np.int32
    offsets = np.frombuffer(text.buffers()[1], dtype=width)[text.offset : text.offset + len(text) + 1]
    data = text.buffers()[2]
    start = 0
    while start < len(text):
        end = int(np.searchsorted(offsets, offsets[start] + size, side="right"))
        end = min(max(end - 1, start + 1), len(text))
        yield data[int(offsets[start]) : int(offsets[end])].to_pybytes()
        start = end


def _literals(values: np.ndarray) -> pa.Array:
    """Each value as an RDF literal, as :func:`exograph.rdf._lit` writes it (typed by the Python number)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if values.dtype.kind in "iu":  # integers: Arrow's decimal digits are Python's
        return pc.binary_join_element_wise('"', pa.array(values).cast(pa.string()), _INT_END, "")
    if values.dtype.kind == "f" and np.isfinite(values).all():
        return pa.array([f'"{v!r}{_DOUBLE_END}' for v in values.tolist()], pa.string())
    return pa.array([_lit(v) for v in values.tolist()], pa.string())


def _paths(keys: pa.Array) -> pa.Array:
    """Each key's path in exograph's id space, as the association IRIs spell it."""
    import pyarrow as pa

    return pa.array([_iri_path(k) for k in keys.to_pylist()], pa.string())


def _offsets(lists: pa.ListArray) -> pa.Array:
    """A list array's offsets, starting at 0 (as ``flatten`` gives the values)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    offsets = lists.offsets
    return pc.subtract(offsets, offsets[0]).cast(pa.int32()) if len(offsets) else offsets
