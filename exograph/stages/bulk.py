"""The read stage for a chunk of PubTator3 bulk concept rows, by columns: the records the row-by-row reader
would give, made per distinct concept row rather than per row.

A bulk file repeats a small set of concept rows (type, id, mentions) over
millions of PMIDs. This path parses a chunk with Arrow's CSV reader and works
per *distinct* concept row: its ids by the reader's own code
(:func:`concept_ids`: the same id handling and warnings) once per distinct
(type, id); its name and aliases as :func:`concept_names` makes them, by string
kernels (rows whose spaces Python and Arrow might trim differently by
:func:`concept_names` itself). The per-row work (each PMID's entities once each,
in row order; each entity's names counted; the records folded in the order
they were first seen) is done with array operations, straight into the read
stage's paper and entity tables. The result is the rows the row-by-row read and
the in-memory graph give for the chunk, warnings and their lines included
(``tests/test_bulk_columns.py`` holds the two paths to that).

Anything else (relation rows, a row that is not five fields, a PMID that is not
ASCII digits, PMIDs not grouped, empty lines, carriage returns, bytes that are
not UTF-8) makes :func:`read_bulk_concepts` answer None, and the chunk goes the
row-by-row way, which reports errors with their file and line.

A worker reads chunk after chunk of one corpus, and the same concepts come back
in every chunk (concepts follow a Zipf law), so the ids of a (type, id) are
remembered across the chunks a process reads (:class:`ConceptMemo`), the ones
that warned excepted: their warnings are made again, with the line of each row,
in every chunk.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, NamedTuple, TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ..diagnostics import Diagnostics
from ..errors import display_path
from ..graph import warn_type_conflict
from ..models import entity_key
from ..plan import Chunk
from ..readers.pubtator3_bulk import FORMAT, ConceptIds, bulk_paper, concept_entities, concept_ids, concept_names
from ..tables import fill_template, first_given, lists_at, run_starts, sorted_codes, within_runs
from .schemas import ENTITY_SCHEMA, PAPER_SCHEMA

K = TypeVar("K")
V = TypeVar("V")

__all__ = [
    "STAND_IN_PMID",
    "BoundedMemo",
    "BulkPart",
    "PlainChunk",
    "paper_table",
    "read_bulk_concepts",
    "read_plain_chunk",
]

_COLUMNS = ("pmid", "kind", "concept", "mentions", "resource")
# Bulk rows are plain tab-separated fields: no quoting, no escapes, no line breaks inside a field.
_PARSE = pacsv.ParseOptions(delimiter="\t", quote_char=False, escape_char=False, ignore_empty_lines=False)


class BoundedMemo(Generic[K, V]):
    """What a process remembers across the chunks it reads, emptied when full: it only saves work, must not
    grow with the corpus, and the entries worth keeping (the popular rows) come back at once."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: dict[K, V] = {}

    def get(self, key: K) -> V | None:
        """What was remembered for ``key``, or None."""
        return self._items.get(key)

    def remember(self, key: K, value: V) -> None:
        """Keep ``value`` for ``key``, first emptying the memo if it is full."""
        if len(self._items) >= self.size:
            self._items.clear()
        self._items[key] = value

    def __len__(self) -> int:
        return len(self._items)


class ConceptMemo:
    """The ids of each (type, id), kept across the chunks a process reads.

    Only ids that came without a warning are kept (the caller's rule).
    """

    def __init__(self, size: int = 200_000) -> None:
        self.ids: BoundedMemo[str, ConceptIds] = BoundedMemo(size)


#: This process's memo: a Dask worker, or the driver in process, reads many chunks of the same corpus.
_MEMO = ConceptMemo()


@dataclass
class BulkPart:
    """One chunk's papers and entity nodes as the read stage's tables, in the order the in-memory graph would
    hold them."""

    papers: pa.Table = field(default_factory=PAPER_SCHEMA.empty_table)
    entities: pa.Table = field(default_factory=ENTITY_SCHEMA.empty_table)
    diagnostics: Diagnostics = field(default_factory=Diagnostics)


def read_bulk_concepts(chunk: Chunk, memo: ConceptMemo | None = None) -> BulkPart | None:
    """The chunk's papers and entities, or None when it is not a chunk of plain bulk concept rows (``memo``:
    what earlier chunks taught, this process's unless told)."""
    plain = read_plain_chunk(chunk, _COLUMNS)
    return None if plain is None else _part(chunk, plain, _MEMO if memo is None else memo)


class PlainChunk(NamedTuple):
    """A chunk of bulk rows as a table, each PMID's rows one run."""

    table: pa.Table
    pmid: pa.Array
    starts: np.ndarray  # where each PMID's run of rows starts
    paper_of: np.ndarray  # each row's run


def read_plain_chunk(chunk: Chunk, columns: tuple[str, ...]) -> PlainChunk | None:
    """A chunk of a bulk file whose rows are the fields ``columns`` (the first ``pmid``), parsed by Arrow's CSV
    reader, or None when a columnar path may not take it: a whole small file (read as a file), compressed
    bytes, an empty line, a carriage return, a row of another shape, bytes that are not UTF-8, a PMID that is
    not ASCII digits or in two runs (two records of one paper, which the row-by-row read merges)."""
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
    if data[: data.find(b"\n")].count(b"\t") != len(columns) - 1:
        return None  # rows of another kind (relations in a concept chunk, say): not worth parsing
    read = pacsv.ReadOptions(column_names=list(columns), use_threads=False, block_size=8 << 20)
    convert = pacsv.ConvertOptions(
        column_types=dict.fromkeys(columns, pa.string()), strings_can_be_null=False, quoted_strings_can_be_null=False
    )
    try:
        table = pacsv.read_csv(pa.py_buffer(data), read, _PARSE, convert)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    pmid = table["pmid"].combine_chunks()
    if not pc.all(pc.match_substring_regex(pmid, r"^[0-9]+$")).as_py():
        return None
    distinct, code = sorted_codes(pmid)
    starts = run_starts(code)
    if len(starts) != len(distinct):
        return None
    begins = np.zeros(len(pmid), dtype=np.int64)
    begins[starts] = 1
    return PlainChunk(table, pmid, starts, np.cumsum(begins) - 1)


def _part(chunk: Chunk, plain: PlainChunk, memo: ConceptMemo) -> BulkPart:
    table, pmid, starts = plain.table, plain.pmid, plain.starts
    path = display_path(chunk.label or chunk.path)
    part = BulkPart()
    n = len(pmid)
    # Each distinct concept row (type, id, mentions) once, numbered in the order first read.
    kind, concept, mentions = (table[name].combine_chunks() for name in ("kind", "concept", "mentions"))
    distinct = pc.dictionary_encode(pc.binary_join_element_wise(kind, concept, mentions, "\t"))
    row_code = distinct.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    # Codes are given in the order first read, so a row reads a new one where its code passes all before it.
    first = np.flatnonzero(row_code > np.maximum.accumulate(np.concatenate(([-1], row_code[:-1]))))
    kind, concept, mentions = kind.take(first), concept.take(first), mentions.take(first)
    # Its ids, by the reader's own code once per distinct (type, id) (once per process when it gave no
    # warning); its name and aliases by columns (:func:`_names`); its records, one per part of its id.
    ids = _Ids.of(pc.binary_join_element_wise(kind, concept, "\t"), path, memo)
    name, aliases = _names(kind, concept, mentions)
    columns, per_code = ids.records(name, aliases)
    warned = np.flatnonzero(ids.warned[ids.code[row_code]])
    if len(warned):
        # A row with a warning warns with its own line, as many times as it occurs, in row order.
        fields = [table[c].to_pylist() for c in _COLUMNS]
        for row in warned.tolist():
            concept_entities([column[row] for column in fields], path, chunk.first_line + row, part.diagnostics)

    # Every (row, record) in row order, then each paper's first record of each entity.
    first_record = np.cumsum(per_code) - per_code
    reps = per_code[row_code]
    row_of = np.repeat(np.arange(n), reps)
    record_of = first_record[row_code[row_of]] + within_runs(reps)
    record_entity, keys = _codes(columns.key)
    paper_of = plain.paper_of[row_of]
    entities = max(len(keys), 1)
    _, first = np.unique(paper_of * entities + record_entity[record_of], return_index=True)
    kept = np.sort(first)
    kept_paper, kept_record = paper_of[kept], record_of[kept]
    kept_entity = record_entity[kept_record]
    first_lines = starts + chunk.first_line

    # Entity nodes in the order the graph makes them, typed by their first record.
    _, first_seen = np.unique(kept_entity, return_index=True)
    order = np.sort(first_seen)
    node_entity, node_record = kept_entity[order], kept_record[order]
    rank = np.zeros(len(keys), dtype=np.int64)
    rank[node_entity] = np.arange(len(order))
    types = columns.type
    record_type = _codes(types)[0]
    node_type = np.zeros(len(keys), dtype=np.int64)
    node_type[node_entity] = record_type[node_record]
    for position in np.flatnonzero(record_type[kept_record] != node_type[kept_entity]).tolist():
        entity = int(kept_entity[position])
        first_type = types[int(node_record[rank[entity]])].as_py()
        other = types[int(kept_record[position])].as_py()
        line = int(first_lines[int(kept_paper[position])])
        warn_type_conflict(part.diagnostics, keys[entity].as_py(), first_type, other, path, line)
    part.entities = _entity_table(columns, keys, kept_entity, kept_record, rank, node_entity, node_record, chunk.index)

    # Each paper mentions its entities in row order, without counts (bulk rows have no offsets).
    part.papers = paper_table(pmid.take(starts), first_lines, kept_paper, keys.take(kept_entity), path, chunk.index)
    return part


class _Columns(NamedTuple):
    """A chunk's entity records as columns (what the read stage takes of :class:`exograph.models.Entity`; bulk
    records have no symbol, full name, common name or rank)."""

    key: pa.Array
    type: pa.Array
    curie: pa.Array
    name: pa.Array
    raw_id: pa.Array
    aliases: pa.ListArray


@dataclass
class _Ids:
    """What the distinct (type, id) of a chunk's distinct concept rows come to (:func:`concept_ids`): each
    one's entity type and the (CURIE, id as written) of each part of its id, and whether it warned."""

    code: np.ndarray  # each distinct concept row's (type, id)
    types: list[str | None]  # None: a type exograph does not map (no records)
    parts: np.ndarray  # the parts of each (type, id)
    curies: list[str | None]
    raw_ids: list[str]
    warned: np.ndarray

    @classmethod
    def of(cls, idents: pa.Array, path: str, memo: ConceptMemo) -> _Ids:
        encoded = pc.dictionary_encode(idents)
        texts = encoded.dictionary.to_pylist()
        types: list[str | None] = []
        parts = np.zeros(len(texts), dtype=np.int64)
        curies: list[str | None] = []
        raw_ids: list[str] = []
        warned = np.zeros(len(texts), dtype=bool)
        for number, text in enumerate(texts):
            ids = memo.ids.get(text)
            if ids is None:
                scratch = Diagnostics()
                kind, _, concept = text.partition("\t")
                ids = concept_ids(kind, concept, path, 0, scratch)
                if scratch.items:
                    warned[number] = True
                else:
                    memo.ids.remember(text, ids)
            etype, found = ids if ids is not None else (None, ())
            types.append(etype)
            parts[number] = len(found)
            for curie, raw in found:
                curies.append(curie)
                raw_ids.append(raw)
        return cls(
            encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64), types, parts, curies, raw_ids, warned
        )

    def records(self, name: pa.Array, aliases: pa.ListArray) -> tuple[_Columns, np.ndarray]:
        """The records of the distinct concept rows (``name``, ``aliases``: each one's), row after row, each
        row's one per part of its id as :func:`concept_records` makes them; and how many each row has."""
        per_row = self.parts[self.code]
        row = np.repeat(np.arange(len(self.code)), per_row)
        part = pa.array((np.cumsum(self.parts) - self.parts)[self.code][row] + within_runs(per_row))
        curie = pa.array(self.curies, pa.string()).take(part)
        etype = pa.array(self.types, pa.string()).take(pa.array(self.code[row]))
        at = pa.array(row)
        named = name.take(at)
        key = curie
        if curie.null_count:  # an id without a CURIE: the entity is known by its type and name
            local = pc.is_null(curie)
            made = [
                entity_key(t, None, n)
                for t, n in zip(etype.filter(local).to_pylist(), named.filter(local).to_pylist(), strict=True)
            ]
            key = pc.replace_with_mask(curie, local, pa.array(made, pa.string()))
        raw = pa.array(self.raw_ids, pa.string()).take(part)
        return _Columns(key, etype, curie, named, raw, aliases.take(at)), per_row


#: A mention that Python and Arrow may trim differently (Python's ``str.strip`` also strips the ASCII
#: separators 0x1C-0x1F and non-ASCII spaces): its row's names are made by the reader's own code.
_UNTRIMMED = "[\\x1c-\\x1f]|[^\\x00-\\x7f]"


def _names(kind: pa.Array, concept: pa.Array, mentions: pa.Array) -> tuple[pa.Array, pa.ListArray]:
    """Each concept row's name and aliases as :func:`concept_names` gives them (its mentions split at ``|``
    and trimmed, the empty ones left out: the first is the name, the others each once are the aliases), by
    string kernels; rows with another sort of space, or no mention, by :func:`concept_names` itself."""
    rows = len(mentions)
    by_python = pc.match_substring_regex(mentions, _UNTRIMMED).to_numpy(zero_copy_only=False)
    split = pc.split_pattern(mentions, "|")
    owner = pc.list_parent_indices(split).to_numpy()
    values = pc.ascii_trim_whitespace(split.flatten())
    kept = pc.greater(pc.binary_length(values), 0).to_numpy(zero_copy_only=False) & ~by_python[owner]
    owner, values = owner[kept], values.filter(pa.array(kept))
    starts = run_starts(owner)  # each row's first name
    named = np.zeros(rows, dtype=bool)
    named[owner[starts]] = True
    by_python |= ~named
    rest = np.ones(len(owner), dtype=bool)
    rest[starts] = False
    alias_owner, alias_values = owner[rest], values.filter(pa.array(rest))
    chosen = first_given(alias_owner, _codes(alias_values)[0])  # each once, in the order given
    alias_owner, alias_values = alias_owner[chosen], alias_values.take(pa.array(chosen))
    name = pa.nulls(rows, pa.string())  # every row's filled in: by the kernels or by concept_names
    name = pc.replace_with_mask(name, pa.array(named), values.take(pa.array(starts)))
    if by_python.any():
        which = np.flatnonzero(by_python)
        made = [
            concept_names(k, c, m)
            for k, c, m in zip(
                *(column.take(pa.array(which)).to_pylist() for column in (kind, concept, mentions)), strict=True
            )
        ]
        name = pc.replace_with_mask(name, pa.array(by_python), pa.array([n for n, _ in made], pa.string()))
        extra_owner = np.repeat(which, [len(a) for _, a in made])
        order = np.argsort(np.concatenate([alias_owner, extra_owner]), kind="stable")
        alias_owner = np.concatenate([alias_owner, extra_owner])[order]
        alias_values = pa.concat_arrays(
            [alias_values, pa.array([a for _, found in made for a in found], pa.string())]
        ).take(pa.array(order))
    return name, lists_at(alias_owner, alias_values, rows)


def _codes(values: pa.Array) -> tuple[np.ndarray, pa.Array]:
    """Each value's code, the values numbered in the order they first appear (as Arrow's dictionary encoding
    numbers them, in one pass in C rather than a dictionary lookup per value in Python), and the distinct
    values in that order."""
    encoded = pc.dictionary_encode(values)
    codes: np.ndarray = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    return codes, encoded.dictionary


def _entity_table(
    records: _Columns,
    keys: pa.Array,
    kept_entity: np.ndarray,
    kept_record: np.ndarray,
    rank: np.ndarray,
    node_entity: np.ndarray,
    node_record: np.ndarray,
    chunk: int,
) -> pa.Table:
    """The chunk's entity nodes as :data:`ENTITY_SCHEMA` rows, as the graph folds records into nodes: names
    counted once per paper, first used first; aliases and raw ids in the order the records give them, the
    records taken in the order first seen. Bulk records have no symbols, full names, common names, ranks or
    cross-references."""
    nodes = len(node_record)
    node_of = rank[kept_entity]  # each kept (paper, entity)'s row in the table
    record_name, names = _codes(records.name)
    # A name counts once per paper that uses it (each kept row is one paper's first record of an entity).
    pair = node_of * max(len(names), 1) + record_name[kept_record]
    _, name_first, name_count = np.unique(pair, return_index=True, return_counts=True)
    by_use = np.argsort(name_first, kind="stable")
    name_first, name_count = name_first[by_use], name_count[by_use]
    grouped = np.argsort(node_of[name_first], kind="stable")
    name_owner = node_of[name_first][grouped]
    named = record_name[kept_record[name_first]][grouped]
    # The records folded into each node, each once, in the order first seen.
    _, fold_first = np.unique(kept_entity * max(len(records.key), 1) + kept_record, return_index=True)
    fold_first = np.sort(fold_first)
    fold_node, fold_record = node_of[fold_first], kept_record[fold_first]
    alias_counts = pc.list_value_length(records.aliases).to_numpy(zero_copy_only=False).astype(np.int64)
    alias_flat, alias_values = _codes(records.aliases.flatten())
    lengths = alias_counts[fold_record]
    alias_start = (np.cumsum(alias_counts) - alias_counts)[fold_record]
    alias_node, alias = (
        np.repeat(fold_node, lengths),
        alias_flat[np.repeat(alias_start, lengths) + within_runs(lengths)],
    )
    aliases = first_given(alias_node, alias)
    record_raw, raw_values = _codes(records.raw_id)
    has_raw = pc.greater(pc.binary_length(records.raw_id), 0).to_numpy(zero_copy_only=False)[fold_record]
    raw_node, raw = fold_node[has_raw], record_raw[fold_record][has_raw]
    raws = first_given(raw_node, raw)
    empty = lists_at(np.zeros(0, dtype=np.int64), pa.array([], type=pa.string()), nodes)
    columns = {
        "key": keys.take(pa.array(node_entity)),
        "chunk": pa.array(np.full(nodes, chunk, dtype=np.int32)),
        "type": records.type.take(pa.array(node_record)),
        "curie": records.curie.take(pa.array(node_record)),
        "names": lists_at(name_owner, names.take(pa.array(named)), nodes),
        "name_counts": lists_at(name_owner, pa.array(name_count[grouped], type=pa.int64()), nodes),
        "aliases": lists_at(alias_node[aliases], alias_values.take(pa.array(alias[aliases])), nodes),
        "raw_ids": lists_at(raw_node[raws], raw_values.take(pa.array(raw[raws])), nodes),
    }
    return pa.table([columns.get(f.name, empty) for f in ENTITY_SCHEMA], schema=ENTITY_SCHEMA)


def paper_table(
    pmids: pa.Array,
    lines: np.ndarray,
    kept_paper: np.ndarray,
    mentioned: pa.Array,
    path: str,
    chunk: int,
    relations: pa.Array | None = None,
) -> pa.Table:
    """The chunk's papers as :data:`PAPER_SCHEMA` rows: each a PMID's paper record (:func:`bulk_paper`, as JSON),
    mentioning its entities in row order (``kept_paper``: the paper of each of ``mentioned``, ascending), with
    its relations (as JSON, or "" for none)."""
    papers = len(pmids)
    keys, texts = _paper_columns(pmids, lines, path)
    every = np.arange(papers)
    columns = {
        "key": keys,
        "chunk": pa.array(np.full(papers, chunk, dtype=np.int32)),
        "pos": pa.array(every.astype(np.int32)),
        "paper": texts,
        "about": lists_at(np.zeros(0, dtype=np.int64), pa.array([], type=pa.string()), papers),
        "mention_keys": lists_at(kept_paper, mentioned, papers),
        "mention_counts": lists_at(kept_paper, pa.array(np.zeros(len(mentioned), dtype=np.int64)), papers),
        "spans": pa.array([""] * papers, type=pa.string()),
        "relations": pa.array([""] * papers, type=pa.string()) if relations is None else relations,
        "sources": lists_at(every, pa.array([path] * papers, type=pa.string()), papers),
        "bulk": pa.array(np.ones(papers, dtype=bool)),
    }
    return pa.table([columns[f.name] for f in PAPER_SCHEMA], schema=PAPER_SCHEMA)


#: Stand-ins for a PMID and a line number: a bulk paper's JSON, key and statements are made for them by the code
#: that owns them, and filled in by columns (:func:`exograph.tables.fill_template`).
STAND_IN_PMID, _LINE_MARK = "9081726354453627189", 3141592653589793


def _paper_columns(pmids: pa.Array, lines: np.ndarray, path: str) -> tuple[pa.Array, pa.Array]:
    """The key and the JSON (``model_dump_json``) of ``bulk_paper(pmid, path, line)`` for each PMID and line,
    made by filling in what that very call gives for stand-ins; checked against it on the first and last
    paper, and made one by one should a stand-in also be part of the path."""
    numbers = pa.array([str(n) for n in lines.tolist()], type=pa.string())
    model = bulk_paper(STAND_IN_PMID, path, _LINE_MARK)
    values = {STAND_IN_PMID: pmids, str(_LINE_MARK): numbers}
    keys = fill_template(model.key, values, len(pmids))
    texts = fill_template(model.model_dump_json(), values, len(pmids))
    for row in sorted({0, len(pmids) - 1}) if len(pmids) else ():
        paper = bulk_paper(pmids[row].as_py(), path, int(lines[row]))
        if keys[row].as_py() != paper.key or texts[row].as_py() != paper.model_dump_json():
            papers = [bulk_paper(p, path, int(n)) for p, n in zip(pmids.to_pylist(), lines.tolist(), strict=True)]
            return pa.array([p.key for p in papers]), pa.array([p.model_dump_json() for p in papers])
    return keys, texts
