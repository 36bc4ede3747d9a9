"""The read stage for a chunk of PubTator3 bulk relation rows, by columns: the paper records the row-by-row
reader and the graph give, made per distinct relation end rather than per row.

``relation2pubtator3.gz`` holds about one row per abstract
(``PMID<TAB>type<TAB>Type|ConceptID<TAB>Type|ConceptID``), so a chunk of it
is tens of thousands of papers, each of which the row-by-row read makes into a
validated record, a graph node and a row of JSON. Here each *distinct* end goes
through the reader's own id handling (:func:`relation_end`) once, and each
paper's record is :func:`bulk_paper`'s and its relations
:data:`~exograph.stages.read.RELATIONS`' own JSON, made for stand-in values
and filled in by columns (:func:`exograph.tables.fill_template`).

A chunk this path does not take in full (any row of another shape, an end
without a usable id or whose id handling warns, a value JSON would escape, a
PMID in two runs) makes :func:`read_bulk_relations` answer None, and the chunk
goes the row-by-row way, which reports every error and warning with its line.
``tests/test_bulk_columns.py`` holds the two paths to the same tables.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..diagnostics import Diagnostics
from ..errors import display_path
from ..models import Relation
from ..plan import Chunk
from ..readers.pubtator3_bulk import relation_end
from ..tables import fill_template, lists_at
from .bulk import BoundedMemo, BulkPart, paper_table, read_plain_chunk

__all__ = ["EndMemo", "read_bulk_relations"]

_COLUMNS = ("pmid", "type", "first", "second")
#: What JSON writes other than as it is, in a string: such a value is left to the row-by-row path.
_ESCAPED: Final = r'["\\\x00-\x1f\x7f-\x9f\x{2028}\x{2029}]'
#: Stand-ins for a relation's fields, filled in by columns.
_TYPE, _SUBJECT, _OBJECT = "Type8297531", "Subject8297531", "Object8297531"


class EndMemo:
    """The node id of each relation end that came without a warning, kept across the chunks a process reads."""

    def __init__(self, size: int = 200_000) -> None:
        self.ids: BoundedMemo[str, str] = BoundedMemo(size)


#: This process's memo: a Dask worker, or the driver in process, reads many chunks of the same corpus.
_MEMO = EndMemo()


def read_bulk_relations(chunk: Chunk, memo: EndMemo | None = None) -> BulkPart | None:
    """The chunk's papers (relations only, no entities), or None when the chunk is not one the columnar path
    takes in full (``memo``: what earlier chunks taught, this process's unless told)."""
    plain = read_plain_chunk(chunk, _COLUMNS)
    if plain is None:
        return None
    table, pmid, starts = plain.table, plain.pmid, plain.starts
    kinds = table["type"].combine_chunks()
    ends = pa.concat_arrays([table["first"].combine_chunks(), table["second"].combine_chunks()])
    if not pc.all(pc.match_substring(ends, "|")).as_py() or pc.any(pc.match_substring_regex(kinds, _ESCAPED)).as_py():
        return None
    path = display_path(chunk.label or chunk.path)
    curies = _end_ids(ends, path, _MEMO if memo is None else memo)
    if curies is None or pc.any(pc.match_substring_regex(curies, _ESCAPED)).as_py():
        return None
    rows = len(pmid)
    subject, obj = curies.slice(0, rows), curies.slice(rows, rows)
    template = Relation(type=_TYPE, subject=_SUBJECT, object=_OBJECT).model_dump_json()
    each = fill_template(template, {_TYPE: kinds, _SUBJECT: subject, _OBJECT: obj}, rows)
    relations = pc.binary_join_element_wise(
        "[", pc.binary_join(lists_at(plain.paper_of, each, len(starts)), ","), "]", ""
    )
    no_entities = pa.array([], type=pa.string())
    lines = starts + chunk.first_line
    papers = paper_table(
        pmid.take(starts), lines, np.zeros(0, dtype=np.int64), no_entities, path, chunk.index, relations
    )
    return BulkPart(papers=papers)


def _end_ids(ends: pa.Array, path: str, memo: EndMemo) -> pa.Array | None:
    """The node id of every end, each distinct end handled once; None if any has no usable id or warns."""
    encoded = pc.dictionary_encode(ends)
    found: list[str] = []
    for end in encoded.dictionary.to_pylist():
        curie = memo.ids.get(end)
        if curie is None:
            scratch = Diagnostics()
            curie = relation_end(end, path, 0, scratch)
            if curie is None or scratch.items:
                return None
            memo.ids.remember(end, curie)
        found.append(curie)
    taken: pa.Array = pa.array(found, type=pa.string()).take(encoded.indices)
    return taken
