"""GraphML read by the programs people open it with: graphology-graphml (Node), igraph and networkx.

Gephi's importer keeps one edge per id and graphology-graphml refuses a file with a repeated edge id, so edge
ids must be unique; igraph fills a missing boolean with false, so sparse booleans need declared defaults.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import networkx as nx
import pytest

from exograph.writers.graphml import read_graphml

NODE_DIR = Path(__file__).resolve().parent / "node"
GRAPHML = "{http://graphml.graphdrawing.org/xmlns}"


def _graphology(path: Path) -> dict:
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed (Debian 'nodejs'): graphology-graphml cannot be run")
    if not (NODE_DIR / "node_modules" / "graphology-graphml").is_dir():
        pytest.skip("graphology-graphml is not installed: run 'npm ci' in tests/node (.ci/run does)")
    done = subprocess.run(
        [node, str(NODE_DIR / "read_graphml.js"), str(path)], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


@pytest.fixture(params=["seed_build", "multi_build", "corpus_build"])
def graphml_file(request: pytest.FixtureRequest) -> Path:
    out: Path = request.getfixturevalue(request.param)
    return out / "graph.graphml"


def test_edge_ids_are_unique_and_every_edge_has_a_predicate(graphml_file: Path) -> None:
    root = ET.parse(graphml_file).getroot()
    ids = Counter(edge.get("id") for edge in root.iter(f"{GRAPHML}edge"))
    assert ids and max(ids.values()) == 1, ids.most_common(3)
    g = read_graphml(graphml_file)
    assert all(
        attrs.get("predicate", "").partition(":")[0] in {"biolink", "dcterms", "schema", "exo", "skos"}
        for _, _, attrs in g.edges(data=True)
    )


def test_graphology_reads_every_node_and_edge(graphml_file: Path) -> None:
    expected = read_graphml(graphml_file)
    got = _graphology(graphml_file)
    assert got["order"] == expected.number_of_nodes()
    assert got["size"] == expected.number_of_edges()
    truly = sum(1 for _, attrs in expected.nodes(data=True) if attrs["normalised"])
    assert got["normalised"] == {"true": truly, "false": expected.number_of_nodes() - truly}
    predicates = Counter(attrs["predicate"] for _, _, attrs in expected.edges(data=True))
    assert got["predicates"] == dict(predicates)


def test_igraph_reads_booleans_as_written(graphml_file: Path) -> None:
    igraph = pytest.importorskip("igraph")
    g = igraph.Graph.Read_GraphML(str(graphml_file))
    expected = read_graphml(graphml_file)
    assert g.vcount() == expected.number_of_nodes() and g.ecount() == expected.number_of_edges()
    truly = sum(1 for _, attrs in expected.nodes(data=True) if attrs["normalised"])
    assert sum(1 for v in g.vs if v["normalised"]) == truly


def test_relation_edges_carry_their_biolink_predicate(corpus_build: Path) -> None:
    g = read_graphml(corpus_build / "graph.graphml")
    relations = [attrs for _, _, attrs in g.edges(data=True) if attrs["type"] == "CID"]
    assert relations and {attrs["predicate"] for attrs in relations} == {"biolink:causes"}


def test_input_names_are_as_given_not_absolute(tmp_path: Path, seed_path: Path) -> None:
    from exograph.pipeline import build

    build([seed_path.resolve()], tmp_path, outputs=["graphml"], store=False)
    g = nx.read_graphml(tmp_path / "graph.graphml")
    sources = [json.loads(attrs["sources"]) for _, attrs in g.nodes(data=True) if attrs.get("type") == "Paper"]
    assert sources == [[seed_path.name]]
