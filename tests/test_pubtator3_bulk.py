"""PubTator3's bulk files (concepts and relations by PMID, gzipped), read from files of their shape."""

from __future__ import annotations

import gzip
import io
import sys
from collections import defaultdict
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exograph.diagnostics import Diagnostics
from exograph.errors import ExographError, InputError
from exograph.pipeline import build
from exograph.readers import guess_format, read_papers

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from pubtator3_bulk import write_bulk


@pytest.fixture(scope="module")
def bulk(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return write_bulk(300, tmp_path_factory.mktemp("pt3"), seed=7)


def test_format_is_told_from_the_content(bulk: tuple[Path, Path]) -> None:
    for path in bulk:
        assert guess_format(path.name, path.read_bytes()) == "pubtator3-bulk"


def test_every_row_becomes_a_mention_or_a_relation(bulk: tuple[Path, Path]) -> None:
    concepts, relations = bulk
    expected: dict[str, set[str]] = defaultdict(set)
    with gzip.open(concepts, "rt", encoding="utf-8") as rows:
        for row in rows:
            pmid, kind, concept, _, _ = row.rstrip("\n").split("\t")
            expected[pmid].add((kind, concept))  # type: ignore[arg-type]
    papers = read_papers(concepts)
    assert [p.pmid for p in papers] == sorted(expected, key=int)
    for paper in papers:
        assert len(paper.entities) == len(expected[paper.pmid or ""])
        assert all(e.curie for e in paper.entities)
    with gzip.open(relations, "rt", encoding="utf-8") as rows:
        relation_rows = [row for row in rows if row.strip()]
    assert sum(len(p.relations) for p in read_papers(relations)) == len(relation_rows)


def test_concepts_and_relations_of_one_pmid_are_one_paper(bulk: tuple[Path, Path]) -> None:
    kg = build(list(bulk), default_mappings=False).graph
    assert len(kg.papers) == 300
    with_relations = [p for p in kg.papers.values() if p.relations]
    assert with_relations and all(p.mentions for p in with_relations)
    for paper in with_relations:
        for rel in paper.relations:
            assert rel.subject in paper.mentions and rel.object in paper.mentions


def test_broken_gzip_and_bad_rows_are_one_line(tmp_path: Path, bulk: tuple[Path, Path]) -> None:
    cut = tmp_path / "bioconcepts2pubtator3.gz"
    cut.write_bytes(bulk[0].read_bytes()[:5000])
    with pytest.raises(InputError, match="broken gzip stream") as caught:
        read_papers(cut)
    assert "\n" not in str(caught.value)
    bad = tmp_path / "gene2pubtator3.gz"
    bad.write_bytes(gzip.compress(b"1\tGene\t7157\tp53\tPubTator3\n1\tGene\t7157\n"))
    with pytest.raises(InputError, match=r"gene2pubtator3.gz:2: row is neither"):
        read_papers(bad)
    unknown = tmp_path / "x2pubtator3.gz"
    unknown.write_bytes(gzip.compress(b"1\tProtein\tP1\tp\tPubTator3\n1\tGene\t7157\tp53\tPubTator3\n"))
    diag = Diagnostics()
    papers = read_papers(unknown, diagnostics=diag)
    assert [e.curie for e in papers[0].entities] == ["NCBIGene:7157"]
    assert [d.kind for d in diag] == ["unknown-entity-type"]


def test_a_gzipped_bulk_file_is_cut_into_pieces_that_read_as_the_whole(bulk: tuple[Path, Path], tmp_path: Path) -> None:
    from exograph.graph import KnowledgeGraph
    from exograph.plan import absorb_in_order, partition, read_chunk

    concepts, _ = bulk
    chunks = partition([concepts], None, chunk_bytes=40_000, scratch=tmp_path / "scratch")
    assert len(chunks) > 3 and all(c.label == str(concepts) for c in chunks)
    kg = KnowledgeGraph()
    reports = absorb_in_order(kg, (read_chunk(c) for c in chunks))
    whole = build([concepts], default_mappings=False).graph
    assert sum(r.papers for r in reports) == len(whole.papers) == len(kg.papers)
    assert {k: len(v.papers) for k, v in kg.entities.items()} == {k: len(v.papers) for k, v in whole.entities.items()}
    # Records and messages name the input file and its line, not the piece.
    first_of_second = chunks[1].first_line
    paper = next(p for p in kg.papers.values() if p.paper.source.line == first_of_second)
    assert paper.paper.source.path == str(concepts)


def test_dask_engine_reads_gzipped_bulk_pieces_the_same(
    bulk: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("distributed")
    import exograph.plan

    monkeypatch.setattr(exograph.plan, "CHUNK_BYTES", 40_000)
    options = {"outputs": ["ntriples"], "store": False, "default_mappings": False}
    build(list(bulk), tmp_path / "local", **options)  # type: ignore[arg-type]
    build(list(bulk), tmp_path / "dask", engine="dask", workers=2, **options)  # type: ignore[arg-type]
    # Dask runs the out-of-core plan: the same statements, in the plan's order (compared sorted).
    local = (tmp_path / "local" / "graph.nt").read_text(encoding="utf-8").splitlines()
    assert sorted(local) == sorted((tmp_path / "dask" / "graph.nt").read_text(encoding="utf-8").splitlines())
    assert not list((tmp_path / "dask" / ".exograph").glob("gen-*/.chunks.part"))
    assert not list((tmp_path / "dask" / ".exograph" / "work").iterdir())  # the plan's tables are gone


def test_the_local_engine_reads_a_large_bulk_file_a_chunk_at_a_time_with_the_same_result(
    bulk: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import exograph.plan

    options = {"outputs": ["ntriples"], "store": False, "default_mappings": False}
    whole = build(list(bulk), tmp_path / "whole", **options)  # type: ignore[arg-type]
    monkeypatch.setattr(exograph.plan, "CHUNK_BYTES", 40_000)
    assert exograph.plan.worth_cutting(bulk[0], None)
    cut = build(list(bulk), tmp_path / "cut", **options)  # type: ignore[arg-type]
    assert cut.parsed == whole.parsed == 2 and cut.files == whole.files == 2
    assert (tmp_path / "whole" / "graph.nt").read_bytes() == (tmp_path / "cut" / "graph.nt").read_bytes()


@pytest.mark.parametrize("gzipped", [True, False])
def test_pieces_hold_at_most_so_many_papers_whatever_their_bytes(
    bulk: tuple[Path, Path], tmp_path: Path, gzipped: bool
) -> None:
    """A relation file holds fifty times more papers per byte than a concept file: pieces are cut by papers
    too (a plain file by ``chunk_documents``; a gzipped one, spilled, by ``chunk_rows``, and so by papers), so
    that no task holds more than so many of them."""
    from exograph.plan import partition

    relations = bulk[1]
    if not gzipped:
        plain = tmp_path / "relation2pubtator3.tsv"
        plain.write_bytes(gzip.decompress(relations.read_bytes()))
        relations = plain
    rows = gzip.decompress(bulk[1].read_bytes()).decode().splitlines(keepends=True)
    size = relations.stat().st_size  # just above the size threshold, so that only the papers cut the file
    chunk_bytes = 8 * (size - 1) if gzipped else size - 1
    cap = {"chunk_rows": 40} if gzipped else {"chunk_documents": 40}
    chunks = partition([relations], None, chunk_bytes=chunk_bytes, scratch=tmp_path / "scratch", **cap)
    papers = [row.split("\t", 1)[0] for row in rows]
    assert len(chunks) > 1
    pieces = []
    for chunk in chunks:
        with open(chunk.path, "rb") as handle:
            handle.seek(chunk.start)
            text = handle.read(None if chunk.end is None else chunk.end - chunk.start).decode()
        lines = text.splitlines(keepends=True)
        assert rows[chunk.first_line - 1] == lines[0]  # line numbers count from the file's start
        keys = [line.split("\t", 1)[0] for line in lines]
        assert len(set(keys)) <= 40
        if gzipped:  # at most 40 rows, save the rows of the PMID that fills the piece
            assert len([k for k in keys if k != keys[-1]]) < 40
        pieces.append(text)
    assert "".join(pieces) == "".join(rows)
    # No PMID is split between pieces (the fixture's rows of a PMID are together).
    owners: dict[str, int] = {}
    for number, piece in enumerate(pieces):
        for key in {line.split("\t", 1)[0] for line in piece.splitlines()}:
            assert owners.setdefault(key, number) == number
    assert len(owners) == len(set(papers))


def test_pubtator_chunks_hold_at_most_so_many_documents(tmp_path: Path) -> None:
    from exograph.plan import partition

    documents = [f"{100 + i}|t|Title {i}\n{100 + i}|a|Abstract {i}.\n\n" for i in range(95)]
    path = tmp_path / "many.pubtator"
    path.write_text("".join(documents))
    chunks = partition([path], "pubtator", chunk_bytes=1, chunk_documents=10)
    assert len(chunks) == 95  # a byte each: one document a chunk
    chunks = partition([path], "pubtator", chunk_bytes=path.stat().st_size - 1, chunk_documents=10)
    texts = [path.read_bytes()[c.start : c.end].decode() for c in chunks]
    assert [t.count("|t|") for t in texts] == [10] * 9 + [5]
    assert "".join(texts) == "".join(documents)


def _pieces_line_by_line(text: bytes, chunk_bytes: int, chunk_rows: int) -> list[tuple[bytes, int]]:
    """What the spill must give, the slow way: a piece ends before a new PMID once it is full."""
    pieces: list[tuple[bytes, int]] = []
    current, first, written, rows, previous = b"", 1, 0, 0, b""
    for number, raw in enumerate(text.splitlines(keepends=True), start=1):
        key = raw.split(b"\n", 1)[0].split(b"\t", 1)[0]
        if key != previous and (written >= chunk_bytes or rows >= chunk_rows):
            pieces.append((current, first))
            current, first, written, rows = b"", number, 0, 0
        current += raw
        written += len(raw)
        rows += 1
        previous = key
    pieces.append((current, first))
    return pieces


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    documents=st.lists(
        st.tuples(st.integers(1, 10**18), st.lists(st.text("ab\tc|:;x", max_size=12), min_size=1, max_size=3)),
        max_size=60,
    ),
    chunk_bytes=st.integers(1, 3000),
    chunk_rows=st.integers(1, 12),
    block=st.integers(1, 200),
    final_newline=st.booleans(),
)
def test_spilled_pieces_are_those_a_line_by_line_pass_cuts(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    documents: list[tuple[int, list[str]]],
    chunk_bytes: int,
    chunk_rows: int,
    block: int,
    final_newline: bool,
) -> None:
    """The spill looks at blocks of lines at once (vectorised); its pieces are the line-by-line ones, whatever
    the block size, PMID lengths (up to 19 digits), row contents and whether the file ends with a newline."""
    import shutil

    import exograph.plan as plan

    text = "".join(f"{pmid}\t{row}\n" for pmid, rows in documents for row in rows).encode()
    if not final_newline:
        text = text.removesuffix(b"\n")
    source = tmp_path / "bulk.gz"
    source.write_bytes(gzip.compress(text))
    scratch = tmp_path / "scratch"
    shutil.rmtree(scratch, ignore_errors=True)
    monkeypatch.setattr(plan, "_SPILL_BLOCK", block)
    pieces = [
        (path.read_bytes(), first) for path, first in plan._spill(str(source), chunk_bytes, chunk_rows, scratch, 0)
    ]
    assert pieces == _pieces_line_by_line(text, chunk_bytes, chunk_rows)


_ROW = st.one_of(
    st.sampled_from(
        [
            b"123\tGene\t7157\tTP53|p53\tPubTator3",
            b"123\tDisease\tMESH:D009369\tcancer\tPubTator3",
            b"124\tChemical\tMESH:D000001\tcaf\xc3\xa9ine|caf\xe9\tPubTator3",
            b"124\tassociate\tGene|7157\tDisease|MESH:D009369",
            b"125\tSpecies\t9606\thuman\xe2\x82\tPubTator3\r",
            b"125\tWeird\tX1\tthing\tPubTator3",
            b"",
        ]
    ),
    st.binary(max_size=3).map(lambda b: b"126\tGene\t672\tBRCA1" + b + b"\tPubTator3"),
)


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(_ROW, max_size=12), newline=st.booleans())
def test_bytes_in_memory_read_as_the_same_rows_streamed(rows: list[bytes], newline: bool) -> None:
    """A chunk in memory is decoded in one go, a stream line by line: the papers and warnings are the same."""
    from exograph.readers.pubtator3_bulk import iter_pubtator3_bulk, parse_pubtator3_bulk

    data = b"\n".join(rows) + (b"\n" if newline else b"")
    whole, streamed = Diagnostics(), Diagnostics()
    try:
        expected = list(iter_pubtator3_bulk(io.BytesIO(data), "x.tsv", streamed))
    except ExographError as exc:
        with pytest.raises(type(exc)) as caught:
            parse_pubtator3_bulk(data, "x.tsv", whole)
        assert str(caught.value) == str(exc)
        return
    assert parse_pubtator3_bulk(data, "x.tsv", whole) == expected
    assert whole.items == streamed.items
