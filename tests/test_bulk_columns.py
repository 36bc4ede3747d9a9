"""The read stage's columnar path for bulk concept rows gives what the row-by-row reader and the graph give."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from exograph.models import Relation
from exograph.plan import Chunk, read_chunk
from exograph.stages.bulk import ConceptMemo, read_bulk_concepts
from exograph.stages.bulk_relations import EndMemo, read_bulk_relations
from exograph.stages.papers import relation_rows
from exograph.stages.read import RELATIONS, paper_tables
from exograph.stages.schemas import entity_table

# Types the reader maps (in PubTator3's spellings), one it does not, and ids that normalise, warn, are
# composite, are not normalised ("-"), or are shared by two types (MeSH ids are Chemical and Disease ids).
_KIND = st.sampled_from(["Gene", "Disease", "Chemical", "Species", "CellLine", "Mutation", "Weird_Type"])
_CONCEPT = st.sampled_from(
    ["7157", "672;675", "MESH:D009369", "MESH:D000001", "MESH:D000001|MESH:D009369", "9606", "-", "", "FOO:12", "x"]
)
# Mentions with spaces Python strips and Arrow's ASCII trimming does not (0x1C-0x1F, non-ASCII), and with other
# control characters neither strips.
_MENTION = st.sampled_from(
    ["TP53", "p53", "cancer", " ", "", "caf\u00e9", "a|b", "TP53|p53|TP53", " p53\x0b", "\x1cx\x1f", "\xa0y", "\x01"]
)


@st.composite
def _rows(draw: Any) -> list[str]:
    """Rows of a bulk concept chunk: PMIDs in runs (never one PMID in two runs), repeats within a PMID."""
    rows = []
    for number in range(draw(st.integers(1, 6))):
        for _ in range(draw(st.integers(1, 5))):
            mentions = "|".join(draw(st.lists(_MENTION, max_size=3)))
            rows.append(f"{100 + number}\t{draw(_KIND)}\t{draw(_CONCEPT)}\t{mentions}\tPubTator3")
    return rows


def _same_as_row_by_row(chunk: Chunk, memo: ConceptMemo | None = None) -> None:
    columns = read_bulk_concepts(chunk, memo)
    assert columns is not None
    graph, report = read_chunk(chunk)
    assert not report.failures
    papers, several_ids = paper_tables(chunk.index, list(graph.papers.values()))
    assert columns.papers.to_pylist() == papers.to_pylist()
    assert columns.papers.equals(papers)
    assert not len(several_ids)
    entities = entity_table(graph.entities.values(), chunk.index)
    assert columns.entities.to_pylist() == entities.to_pylist()
    assert columns.entities.equals(entities)
    assert columns.diagnostics.items == graph.diagnostics.items


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=_rows(), first_line=st.integers(1, 10_000), index=st.integers(0, 70_000))
def test_columns_give_the_row_by_row_records(tmp_path: Path, rows: list[str], first_line: int, index: int) -> None:
    """Papers, entity nodes (names counted per paper, records folded in order) and warnings with their lines."""
    piece = tmp_path / "piece-00000.tsv"
    piece.write_text("\n".join(rows) + "\n", encoding="utf-8")
    chunk = Chunk(str(piece), "pubtator3-bulk", index=index, first_line=first_line, label="bioconcepts2pubtator3.gz")
    _same_as_row_by_row(chunk)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(chunks=st.lists(_rows(), min_size=2, max_size=4), size=st.integers(1, 8))
def test_what_one_chunk_teaches_the_next_changes_nothing(tmp_path: Path, chunks: list[list[str]], size: int) -> None:
    """Chunks read one after another by one process, sharing (and overflowing) what they remember, each give
    what the row-by-row reader gives, warnings included: a row that warned warns again in every chunk."""
    memo = ConceptMemo(size)
    for number, rows in enumerate(chunks):
        piece = tmp_path / f"piece-{number:05d}.tsv"
        piece.write_text("\n".join(rows) + "\n", encoding="utf-8")
        chunk = Chunk(str(piece), "pubtator3-bulk", first_line=1, label="bioconcepts2pubtator3.gz")
        _same_as_row_by_row(chunk, memo)
        assert len(memo.ids) <= size


@pytest.mark.parametrize(
    "label",
    [
        'odd "name"\\ caf\u00e9 \u2028.gz',
        "9081726354453627189/3141592653589793.gz",  # the stand-ins the paper records are filled in at
        "12.gz",
    ],
)
def test_paper_records_are_the_reader_s_whatever_the_file_is_called(tmp_path: Path, label: str) -> None:
    piece = tmp_path / "piece-00000.tsv"
    rows = "12\tGene\t7157\tTP53\tX\n13\tGene\t7157\tp53\tX\n3141592653589793\tGene\t672\tBRCA1\tX\n"
    piece.write_text(rows, encoding="utf-8")
    _same_as_row_by_row(Chunk(str(piece), "pubtator3-bulk", index=3, first_line=12, label=label))


def test_a_byte_range_of_a_plain_file_reads_by_columns(tmp_path: Path) -> None:
    path = tmp_path / "concepts.tsv"
    head = "1\tGene\t7157\tTP53\tPubTator3\n"
    body = "2\tGene\t7157\tp53|TP53\tPubTator3\n2\tDisease\tMESH:D009369\tcancer\tPubTator3\n3\tGene\t7157\tTP53\tX\n"
    path.write_text(head + body, encoding="utf-8")
    _same_as_row_by_row(Chunk(str(path), "pubtator3-bulk", start=len(head), end=len(head) + len(body), first_line=2))


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"1\tassociate\tGene|7157\tDisease|MESH:D009369\n", "relation rows"),
        (b"1\tGene\t7157\tTP53\tX\n2\tGene\t7157\tTP53\tX\n1\tGene\t672\tBRCA1\tX\n", "a PMID in two runs"),
        (b"1\tGene\t7157\tTP53\tX\n\n2\tGene\t7157\tTP53\tX\n", "an empty line"),
        (b"1\tGene\t7157\tTP53\tX\r\n", "a carriage return"),
        (b"1\tGene\t7157\tcaf\xe9\tX\n", "bytes that are not UTF-8"),
        (b"1\tGene\t7157\tTP53\n", "four fields"),
        (b"1\tGene\t7157\tTP53\tX\tY\n", "six fields"),
        (b"x1\tGene\t7157\tTP53\tX\n", "a PMID that is not digits"),
        (b"\xd9\xa1\tGene\t7157\tTP53\tX\n", "a PMID of non-ASCII digits"),
        (b"", "nothing"),
    ],
)
def test_anything_but_plain_concept_rows_goes_row_by_row(tmp_path: Path, data: bytes, why: str) -> None:
    piece = tmp_path / "piece-00000.tsv"
    piece.write_bytes(data)
    assert read_bulk_concepts(Chunk(str(piece), "pubtator3-bulk", label="in.gz")) is None, why


def test_other_chunks_go_row_by_row(tmp_path: Path) -> None:
    piece = tmp_path / "piece.tsv"
    piece.write_text("1\tGene\t7157\tTP53\tX\n", encoding="utf-8")
    assert read_bulk_concepts(Chunk(str(piece), "pubtator", label="in.gz")) is None
    assert read_bulk_concepts(Chunk(str(piece), "pubtator3-bulk")) is None  # a whole small file: read as a file
    assert read_bulk_concepts(Chunk(str(tmp_path / "gone.tsv"), "pubtator3-bulk", label="in.gz")) is None


# -- relation rows --------------------------------------------------------------------------------------------
# Ends that map, that have no usable id (a type exograph does not map, an empty id), whose id handling warns,
# and relation types JSON writes as they are or escapes.
_END = st.sampled_from(
    [
        *("Gene|7157", "Disease|MESH:D009369", "Chemical|MESH:D000001", "Species|9606", "Gene|672;675"),
        *("Weird|1", "Disease|", "Disease|FOO:12", "Chemical|-", "Variant|rs113488022", "Gene|caf\u00e9"),
    ]
)
_RELATION_TYPE = st.sampled_from(["Association", "Positive_Correlation", "Bind", 'say "x"', "back\\slash", "tab\u2028"])


@st.composite
def _relation_rows(draw: Any) -> list[str]:
    rows = []
    for number in range(draw(st.integers(1, 6))):
        for _ in range(draw(st.integers(1, 4))):
            rows.append(f"{500 + number}\t{draw(_RELATION_TYPE)}\t{draw(_END)}\t{draw(_END)}")
    return rows


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    chunks=st.lists(_relation_rows(), min_size=1, max_size=3), first_line=st.integers(1, 10_000), size=st.integers(1, 6)
)
def test_relation_columns_give_the_row_by_row_records(
    tmp_path: Path, chunks: list[list[str]], first_line: int, size: int
) -> None:
    """Relation chunks read by columns (one process, sharing and overflowing what it remembers) give the
    paper rows of the row-by-row read; a chunk with a warning, or a value JSON escapes, goes row by row."""
    memo = EndMemo(size)
    for number, rows in enumerate(chunks):
        piece = tmp_path / f"piece-{number:05d}.tsv"
        piece.write_text("\n".join(rows) + "\n", encoding="utf-8")
        chunk = Chunk(str(piece), "pubtator3-bulk", index=number, first_line=first_line, label="relation2pubtator3.gz")
        assert read_bulk_concepts(chunk) is None
        columns = read_bulk_relations(chunk, memo)
        graph, report = read_chunk(chunk)
        assert not report.failures
        escaped = any(mark in row for row in rows for mark in ('"', "\\", "\u2028"))
        if graph.diagnostics.items or escaped:
            assert columns is None
            continue
        assert columns is not None
        papers, several_ids = paper_tables(chunk.index, list(graph.papers.values()))
        assert columns.papers.to_pylist() == papers.to_pylist()
        assert columns.papers.equals(papers)
        assert not len(several_ids)
        assert not graph.entities and not len(columns.entities)
        assert not columns.diagnostics.items
        assert len(memo.ids) <= size


def test_plain_relation_rows_are_read_by_columns(tmp_path: Path) -> None:
    rows = "7\tBind\tGene|7157\tChemical|MESH:D000001\n7\tAssociation\tGene|7157\tDisease|MESH:D009369\n"
    piece = tmp_path / "piece-00000.tsv"
    piece.write_text(rows + "8\tBind\tGene|672\tGene|7157\n", encoding="utf-8")
    chunk = Chunk(str(piece), "pubtator3-bulk", index=2, first_line=40, label="relation2pubtator3.gz")
    columns = read_bulk_relations(chunk, EndMemo())
    assert columns is not None
    graph, _ = read_chunk(chunk)
    assert columns.papers.equals(paper_tables(chunk.index, list(graph.papers.values()))[0])
    assert [len(RELATIONS.validate_json(text)) for text in columns.papers["relations"].to_pylist()] == [2, 1]


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"1\tGene\t7157\tTP53\tX\n", "concept rows"),
        (b"1\tBind\tGene|7157\tGene|672\n2\tBind\tGene|7157\n", "a row of three fields"),
        (b"1\tBind\tGene|7157\tGene672\n", "an end without a type"),
        (b"1\tBind\tGene|7157\tGene|672\n2\tBind\tGene|7157\tGene|672\n1\tBind\tGene|1\tGene|2\n", "two runs"),
        (b"1\tBind\tGene|7157\tGene|672\r\n", "a carriage return"),
        (b"1\tBind\tGene|7157\tGene|caf\xe9\n", "bytes that are not UTF-8"),
        (b"1\tBind\tWeird|7157\tGene|672\n", "an end of a type exograph does not map"),
    ],
)
def test_anything_but_plain_relation_rows_goes_row_by_row(tmp_path: Path, data: bytes, why: str) -> None:
    piece = tmp_path / "piece-00000.tsv"
    piece.write_bytes(data)
    assert read_bulk_relations(Chunk(str(piece), "pubtator3-bulk", label="in.gz"), EndMemo()) is None, why


_RELATION = st.builds(
    Relation,
    type=st.sampled_from(["associate", "cause", 'odd "type"\n', "caf\u00e9"]),
    subject=st.sampled_from(["MESH:D000001", "NCBIGene:7157", "exo.id:gene/odd name"]),
    object=st.sampled_from(["MESH:D009369", "\\u0041"]),
    novel=st.none() | st.booleans(),
    score=st.none() | st.floats(allow_nan=False, allow_infinity=False),
)


@settings(max_examples=150, deadline=None)
@given(found=st.lists(st.lists(_RELATION, max_size=3), max_size=6))
def test_relation_rows_are_the_relations_json(found: list[list[Relation]]) -> None:
    """The papers stage reads the read stage's relation JSON by Arrow's JSON reader: the very values
    :data:`RELATIONS` reads, each with its row, rows without relations ("") giving none."""
    texts = [RELATIONS.dump_json(tuple(rels)).decode() if rels else "" for rels in found]
    table, row = relation_rows(pa.array(texts, pa.string()))
    assert table.to_pylist() == [rel.model_dump() for rels in found for rel in rels]
    assert row.tolist() == [number for number, rels in enumerate(found) for _ in rels]


def test_relation_json_exograph_does_not_write_is_refused_as_the_model_refuses_it() -> None:
    with pytest.raises(ValidationError, match="bogus"):
        relation_rows(pa.array(['[{"type": "a", "subject": "x", "object": "y", "bogus": 1}]']))
    with pytest.raises(ValidationError, match="object"):
        relation_rows(pa.array(["", '[{"type": "a", "subject": "x"}]']))
