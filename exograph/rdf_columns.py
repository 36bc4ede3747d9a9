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
from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np

from .cooccurrence import derived_statistics
from .iris import LOCAL, PREFIX_MAP, SAFE_ASCII, expand
from .rdf import (
    _ASSOCIATION,
    _CATEGORY,
    _COOCCURRENCE,
    _COOCCURRENCE_SLOTS,
    _DOUBLE,
    _EVIDENCE,
    _INT,
    _LN_RATIO,
    _OBJECT,
    _PREDICATE,
    _PUBLICATIONS,
    _SUBJECT,
    _TYPE,
    _iri_path,
    _lit,
    _u,
)
from .vocab import PREDICATE_OF

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["cooccurrence_column_text", "iri_column", "text_blocks"]

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
