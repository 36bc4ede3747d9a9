"""The read stage for a chunk of PubTator3 bulk concept rows, by columns: the records the row-by-row reader
would give, made per distinct concept row rather than per row.

A bulk file repeats a small set of concept rows (type, id, mentions) over
millions of PMIDs. This path parses a chunk with Arrow's CSV reader, hands each
*distinct* concept row to the reader's own code (:func:`concept_entities`: the
same id handling, entity records and warnings), and does the per-row work (each
PMID's entities once each, in row order; each entity's names counted; the
records folded in the order they were first seen) with array operations. The
result is the papers and entity nodes the row-by-row read and the in-memory
graph give for the chunk, warnings and their lines included
(``tests/test_bulk_columns.py`` holds the two paths to that).

Anything else (relation rows, a row that is not five fields, a PMID that is not
ASCII digits, PMIDs not grouped, empty lines, carriage returns, bytes that are
not UTF-8) makes :func:`read_bulk_concepts` answer None, and the chunk goes the
row-by-row way, which reports errors with their file and line.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ..diagnostics import Diagnostics
from ..errors import display_path
from ..graph import EntityNode, PaperNode, warn_type_conflict
from ..models import Entity
from ..plan import Chunk
from ..readers.pubtator3_bulk import FORMAT, ConceptIds, bulk_paper, concept_entities, concept_ids, concept_records
from ..tables import run_starts, sorted_codes

__all__ = ["BulkPart", "read_bulk_concepts"]

_COLUMNS = ("pmid", "kind", "concept", "mentions", "resource")
_READ = pacsv.ReadOptions(column_names=list(_COLUMNS), use_threads=False, block_size=8 << 20)
# Bulk rows are plain tab-separated fields: no quoting, no escapes, no line breaks inside a field.
_PARSE = pacsv.ParseOptions(delimiter="\t", quote_char=False, escape_char=False, ignore_empty_lines=False)
_CONVERT = pacsv.ConvertOptions(
    column_types=dict.fromkeys(_COLUMNS, pa.string()), strings_can_be_null=False, quoted_strings_can_be_null=False
)


@dataclass
class BulkPart:
    """One chunk's papers and entity nodes, in the order the in-memory graph would hold them."""

    papers: list[PaperNode] = field(default_factory=list)
    entities: list[EntityNode] = field(default_factory=list)
    diagnostics: Diagnostics = field(default_factory=Diagnostics)


def read_bulk_concepts(chunk: Chunk) -> BulkPart | None:
    """The chunk's papers and entities, or None when it is not a chunk of plain bulk concept rows."""
    if chunk.format != FORMAT or (chunk.label is None and chunk.end is None):
        return None
    try:
        with open(chunk.path, "rb") as handle:
            handle.seek(chunk.start)
            data = handle.read(-1 if chunk.end is None else chunk.end - chunk.start)
    except OSError:
        return None
    if not data or data.startswith((b"\n", b"\x1f\x8b")) or b"\n\n" in data or b"\r" in data:
        return None
    try:
        table = pacsv.read_csv(pa.py_buffer(data), _READ, _PARSE, _CONVERT)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None  # a row of another shape, or bytes that are not UTF-8
    pmid = table["pmid"].combine_chunks()
    if not pc.all(pc.match_substring_regex(pmid, r"^[0-9]+$")).as_py():
        return None
    distinct, code = sorted_codes(pmid)
    starts = run_starts(code)
    if len(starts) != len(distinct):
        return None  # a PMID in two places: the row-by-row read merges the two papers
    return _part(chunk, table, pmid, starts)


def _part(chunk: Chunk, table: pa.Table, pmid: pa.Array, starts: np.ndarray) -> BulkPart:
    path = display_path(chunk.label or chunk.path)
    part = BulkPart()
    n = len(pmid)
    # The ids of each distinct (type, id) through the reader's id handling once, and the records of each distinct
    # concept row (type, id, mentions) made from them once; the records in a flat list, each row's in a run.
    id_code = sorted_codes(pc.binary_join_element_wise(table["kind"], table["concept"], "\t"))[1]
    distinct, row_code = sorted_codes(
        pc.binary_join_element_wise(table["kind"], table["concept"], table["mentions"], "\t")
    )
    _, first_row = np.unique(row_code, return_index=True)
    ids_of: dict[int, ConceptIds] = {}
    warned_ids: set[int] = set()
    scratch = Diagnostics()
    records: list[Entity] = []
    per_code = np.zeros(len(distinct), dtype=np.int64)
    warned: list[int] = []
    for code, (text, row) in enumerate(zip(distinct.to_pylist(), first_row.tolist(), strict=True)):
        kind, concept, mentions = text.split("\t")
        ident = int(id_code[row])
        if ident not in ids_of:
            before = len(scratch.items)
            ids_of[ident] = concept_ids(kind, concept, path, 0, scratch)
            if len(scratch.items) != before:
                warned_ids.add(ident)
        if ident in warned_ids:
            warned.append(code)
        found = concept_records(ids_of[ident], kind, concept, mentions)
        records.extend(found)
        per_code[code] = len(found)
    if warned:
        # A row with a warning warns with its own line, as many times as it occurs, in row order.
        fields = [table[c].to_pylist() for c in _COLUMNS]
        for row in np.flatnonzero(np.isin(row_code, warned)).tolist():
            concept_entities([column[row] for column in fields], path, chunk.first_line + row, part.diagnostics)

    # Every (row, record) in row order, then each paper's first record of each entity.
    first_record = np.cumsum(per_code) - per_code
    reps = per_code[row_code]
    total = int(reps.sum())
    row_of = np.repeat(np.arange(n), reps)
    within = np.arange(total) - np.repeat(np.cumsum(reps) - reps, reps)
    record_of = first_record[row_code[row_of]] + within
    entity_ids: dict[str, int] = {}
    record_entity = np.fromiter(
        (entity_ids.setdefault(r.key, len(entity_ids)) for r in records), dtype=np.int64, count=len(records)
    )
    begins = np.zeros(n, dtype=np.int64)
    begins[starts] = 1
    paper_of_row = np.cumsum(begins) - 1
    paper_of = paper_of_row[row_of]
    entities = max(len(entity_ids), 1)
    _, first = np.unique(paper_of * entities + record_entity[record_of], return_index=True)
    kept = np.sort(first)
    kept_paper, kept_record = paper_of[kept], record_of[kept]
    kept_entity = record_entity[kept_record]

    # Entity nodes in the order the graph makes them, typed by their first record; the records folded in the
    # order first seen; names counted once per paper.
    _, first_seen = np.unique(kept_entity, return_index=True)
    order = np.sort(first_seen)
    keys = list(entity_ids)
    nodes: dict[int, EntityNode] = {}
    for position in order.tolist():
        record = records[int(kept_record[position])]
        entity = int(kept_entity[position])
        nodes[entity] = EntityNode(key=keys[entity], type=record.type, curie=record.curie)
    type_code = {t: i for i, t in enumerate(sorted({r.type for r in records}))}
    record_type = np.fromiter((type_code[r.type] for r in records), dtype=np.int64, count=len(records))
    node_type = np.zeros(len(entity_ids), dtype=np.int64)
    node_type[kept_entity[order]] = record_type[kept_record[order]]
    first_lines = (starts + chunk.first_line).tolist()
    papers = [bulk_paper(p, path, line) for p, line in zip(pmid.take(starts).to_pylist(), first_lines, strict=True)]
    for position in np.flatnonzero(record_type[kept_record] != node_type[kept_entity]).tolist():
        paper = papers[int(kept_paper[position])]
        node = nodes[int(kept_entity[position])]
        other = records[int(kept_record[position])].type
        warn_type_conflict(part.diagnostics, node.key, node.type, other, paper.source.path, paper.source.line)
    _, fold_first = np.unique(kept_entity * max(len(records), 1) + kept_record, return_index=True)
    for position in np.sort(fold_first).tolist():
        nodes[int(kept_entity[position])].add(records[int(kept_record[position])])
    # ``add`` counted each record once; a name counts once per paper that uses it, first-used first.
    for node in nodes.values():
        node.names = {}
    names: dict[str, int] = {}
    record_name = np.fromiter(
        (names.setdefault(r.name, len(names)) for r in records), dtype=np.int64, count=len(records)
    )
    name_list = list(names)
    pair = kept_entity * max(len(names), 1) + record_name[kept_record]
    _, name_first, name_count = np.unique(pair, return_index=True, return_counts=True)
    for position, count in sorted(zip(name_first.tolist(), name_count.tolist(), strict=True)):
        node = nodes[int(kept_entity[position])]
        node.names[name_list[int(record_name[kept_record[position]])]] = count
    part.entities = list(nodes.values())

    # Each paper mentions its entities in row order, without counts (bulk rows have no offsets).
    mentioned = np.array(keys, dtype=object)[kept_entity].tolist()
    bounds = np.searchsorted(kept_paper, np.arange(len(papers) + 1))
    for number, paper in enumerate(papers):
        mentions = dict.fromkeys(mentioned[bounds[number] : bounds[number + 1]], 0)
        part.papers.append(PaperNode(paper, (), mentions, (), (), (path,)))
    return part
