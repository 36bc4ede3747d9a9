"""PubTator3's bulk files (concepts and relations by PMID, gzipped), read from files of their shape."""

from __future__ import annotations

import gzip
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from exograph.diagnostics import Diagnostics
from exograph.errors import InputError
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
