"""Statement text by columns (the out-of-core plan's) is byte for byte the row-wise text of exograph.rdf."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exograph.cooccurrence import edge_records
from exograph.errors import UnknownPrefixError
from exograph.graph import PaperNode
from exograph.iris import expand
from exograph.models import Relation
from exograph.rdf import NodeIris, cooccurrence_text, paper_end, paper_text, relation_lines
from exograph.rdf_columns import (
    RelationColumns,
    cooccurrence_column_text,
    iri_column,
    paper_column_text,
    relation_column_text,
    text_blocks,
)
from exograph.readers.pubtator3_bulk import bulk_paper

# Known prefixes, and local parts with what IRIs forbid (spaces, quotes, '%', '<', non-ASCII, a second ':').
PREFIXES = st.sampled_from(["PMID", "PMCID", "doi", "MESH", "NCBIGene", "NCBITaxon", "CVCL", "tmVar", "exo.id"])
LOCALS = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
KEYS = st.builds(lambda p, local: f"{p}:{local}", PREFIXES, LOCALS)


@settings(max_examples=200, deadline=None)
@given(keys=st.lists(KEYS, max_size=20))
def test_iri_column_is_expand(keys: list[str]) -> None:
    assert iri_column(pa.array(keys, pa.string())).to_pylist() == [f"<{expand(k)}>" for k in keys]


@pytest.mark.parametrize("key", ["nocolon", "UNKNOWN:1", ":empty"])
def test_iri_column_raises_as_expand_does(key: str) -> None:
    with pytest.raises(UnknownPrefixError):
        expand.__wrapped__(key)
    with pytest.raises(UnknownPrefixError):
        iri_column(pa.array(["PMID:1", key]))


COUNTS = st.integers(0, 10**6)
FLOATS = st.floats(allow_nan=True, allow_infinity=True) | st.floats(1e-320, 1.0)


@settings(max_examples=100, deadline=None)
@given(
    edges=st.lists(
        st.tuples(KEYS, KEYS, COUNTS, COUNTS, COUNTS, FLOATS, FLOATS, st.lists(KEYS, max_size=5, unique=True)),
        max_size=8,
        unique_by=lambda e: (e[0], e[1]),
    ),
    total=st.integers(0, 10**7),
)
def test_cooccurrence_columns_are_the_row_wise_text(edges: list[tuple], total: int) -> None:  # type: ignore[type-arg]
    edges.sort(key=lambda e: (e[0], e[1]))
    sources, targets = [e[0] for e in edges], [e[1] for e in edges]
    stats = {
        name: np.array([e[i] for e in edges], dtype=dtype)
        for name, i, dtype in (("a", 2, np.int64), ("na", 3, np.int64), ("nb", 4, np.int64))
    }
    stats |= {"p": np.array([e[5] for e in edges], float), "p_adjusted": np.array([e[6] for e in edges], float)}
    supporting = [tuple(sorted(e[7])) for e in edges]
    with np.errstate(all="ignore"):
        rows = "".join(cooccurrence_text(edge_records(sources, targets, stats, total, supporting), NodeIris()))
        papers = pa.array([list(s) for s in supporting], pa.list_(pa.string()))
        text = cooccurrence_column_text(
            pa.array(sources, pa.string()), pa.array(targets, pa.string()), stats, total, papers
        )
    assert b"".join(text_blocks(text, 64)) == rows.encode("utf-8")


@settings(max_examples=100, deadline=None)
@given(
    texts=st.lists(st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30), max_size=30),
    size=st.integers(1, 100),
    start=st.integers(0, 5),
)
def test_text_blocks_cut_between_strings(texts: list[str], size: int, start: int) -> None:
    array = pa.array(["x" * 3] * start + texts, pa.string()).slice(start)
    blocks = list(text_blocks(array, size))
    encoded = [t.encode("utf-8") for t in texts]
    assert b"".join(blocks) == b"".join(encoded)
    ends = set(np.cumsum([0, *map(len, encoded)]).tolist())
    assert set(np.cumsum([0, *map(len, blocks)]).tolist()) <= ends  # each block ends where a string does
    assert all(len(b) <= max(size, *map(len, encoded)) for b in blocks)


SOURCES = st.sampled_from(["bioconcepts2pubtator3.gz", "a/b/relation2pubtator3.gz", 'c:\\d\\"q".gz', "caf\u00e9.gz"])
RELATIONS = st.builds(
    Relation,
    type=st.sampled_from(["associate", "cause", "Positive_Correlation", "odd type"]),
    subject=st.sampled_from(["MESH:D000001", "NCBIGene:7157", "exo.id:gene/odd name"]),
    object=st.sampled_from(["MESH:D009369", "NCBIGene:672"]),
    novel=st.none() | st.booleans(),
    score=st.none() | st.floats(0, 1),
)
PAPER_KEYS = st.sampled_from(["PMID:1", "PMID:22", "PMCID:PMC7", "doi:10.1/x y", "exo.id:paper/odd name"])


@settings(max_examples=150, deadline=None)
@given(
    papers=st.lists(st.tuples(PAPER_KEYS, st.lists(RELATIONS, max_size=4)), max_size=5, unique_by=lambda p: p[0]),
    graphs=st.booleans(),
)
def test_relation_columns_are_the_row_wise_text(papers: list[tuple[str, list[Relation]]], graphs: bool) -> None:
    """Relations by columns: the statements and direct triples of :func:`relation_lines`, whatever the types,
    ends (typed or not, IRIs to escape), novelty and score, each statement closed by its paper's end."""
    types = {"MESH:D000001": "ChemicalEntity", "NCBIGene:7157": "Gene", "MESH:D009369": "Disease"}
    iris = NodeIris()
    texts: list[str] = []
    direct: list[str] = []
    for key, found in papers:
        lines: list[str] = []
        direct.extend(relation_lines(key, found, iris, types, lines))
        end = paper_end(key, graphs=graphs)
        texts.append("".join(f"{line}{end}" for line in lines))
    rows = [(key, n, r) for key, found in papers for n, r in enumerate(found, start=1)]
    columns = RelationColumns(
        paper=pa.array([key for key, _, _ in rows], pa.string()),
        number=pa.array([n for _, n, _ in rows], pa.int32()),
        type=pa.array([r.type for _, _, r in rows], pa.string()),
        subject=pa.array([r.subject for _, _, r in rows], pa.string()),
        object=pa.array([r.object for _, _, r in rows], pa.string()),
        novel=pa.array([r.novel for _, _, r in rows], pa.bool_()),
        score=pa.array([r.score for _, _, r in rows], pa.float64()),
    )
    ends = pa.array([paper_end(key, graphs=graphs) for key, _, _ in rows], pa.string())
    text, triples = relation_column_text(columns, types, ends)
    if not graphs:  # every paper's statements closed alike: the end as one string
        assert relation_column_text(columns, types, paper_end("PMID:1", graphs=False))[0] == text
    per_paper: dict[str, str] = {key: "" for key, _ in papers}
    for (key, _, _), one in zip(rows, text.to_pylist(), strict=True):
        per_paper[key] += one
    assert list(per_paper.values()) == texts
    # Each paper's direct triples once each, as relation_lines answers them, in the order given.
    triples_of: dict[str, list[str]] = {key: [] for key, _ in papers}
    for (key, _, _), triple in zip(rows, triples.to_pylist(), strict=True):
        triples_of[key].append(triple)
    assert [t for found in triples_of.values() for t in dict.fromkeys(found)] == direct


@settings(max_examples=100, deadline=None)
@given(
    papers=st.lists(
        st.tuples(
            st.integers(1, 10**12),
            st.lists(SOURCES, max_size=3, unique=True),
            st.lists(KEYS, max_size=6, unique=True),
            st.lists(RELATIONS, max_size=3),
        ),
        max_size=6,
        unique_by=lambda p: p[0],
    ),
    graphs=st.booleans(),
)
def test_bulk_paper_columns_are_the_row_wise_text(papers: list[tuple], graphs: bool) -> None:  # type: ignore[type-arg]
    """A bulk paper's statements filled in by columns, with its files, mentions (sorted) and relations, in the
    paper's named graph or (the compact profile) in the default graph."""
    iris = NodeIris()
    types = {"MESH:D000001": "ChemicalEntity", "NCBIGene:7157": "Gene", "MESH:D009369": "Disease"}
    nodes = [
        PaperNode(bulk_paper(str(pmid), "x.gz", 1), (), dict.fromkeys(keys, 0), (), tuple(rels), tuple(files))
        for pmid, files, keys, rels in papers
    ]
    rows = [paper_text(n, paper_end(n.key, graphs=graphs), iris, {}, types)[0] for n in nodes]
    tails = []
    for node in nodes:
        lines: list[str] = []
        relation_lines(node.key, node.relations, iris, types, lines)
        tails.append("".join(f"{line}{paper_end(node.key, graphs=graphs)}" for line in lines))
    mark = "9081726354453627189"
    columns = paper_column_text(
        PaperNode(bulk_paper(mark, "", 1), (), {}, (), (), ()),
        mark,
        pa.array([str(p[0]) for p in papers], pa.string()),
        pa.array([sorted(p[1]) for p in papers], pa.list_(pa.string())),
        pa.array([sorted(p[2]) for p in papers], pa.list_(pa.string())),
        pa.array(tails, pa.string()),
        graphs=graphs,
    )
    assert columns.to_pylist() == rows
    assert all(("/exograph/id/graph/" in row) == graphs for row in rows)
