"""Merging across cards, local ids for un-normalised entities, and the networkx and rdflib views."""

from __future__ import annotations

import networkx as nx
import rdflib

from exograph import build_graph, read_card, to_networkx, to_rdflib
from exograph.readers import read_papers

from .conftest import FIXTURES, SEED


def _multi():
    papers = [p for path in sorted((FIXTURES / "cards").glob("*.md")) for p in read_papers(path)]
    return build_graph(papers)


def test_seed_graph_node_and_edge_types() -> None:
    kg = build_graph([read_card(SEED)])
    g = to_networkx(kg)
    assert isinstance(g, nx.MultiDiGraph)
    types: dict[str, int] = {}
    for _, t in g.nodes(data="type"):
        types[t] = types.get(t, 0) + 1
    assert types == {
        "Paper": 1,
        "Author": 3,
        "Journal": 1,
        "Gene": 60,
        "Disease": 28,
        "ChemicalEntity": 13,
        "OrganismTaxon": 3,
    }
    edges: dict[str, int] = {}
    for _, _, t in g.edges(data="type"):
        edges[t] = edges.get(t, 0) + 1
    assert edges == {"authored_by": 3, "published_in": 1, "about": 1, "mentions": 103}
    paper = "PMCID:PMC12921707"
    authors = sorted(((d["order"], v) for _, v, d in g.out_edges(paper, data=True) if d["type"] == "authored_by"))
    assert [g.nodes[a]["label"] for _, a in authors] == ["Ying Yu", "Wenjun Zhang", "Kun Wang"]


def test_entity_without_id_gets_stable_local_id() -> None:
    kg = build_graph([read_card(SEED)])
    assert "exo.id:ChemicalEntity/car-t" in kg.entities
    node = kg.entities["exo.id:ChemicalEntity/car-t"]
    assert node.curie is None and node.label == "CAR-T"


def test_same_entity_merged_across_cards_with_all_names() -> None:
    kg = _multi()
    breast = kg.entities["MESH:D001943"]
    assert len(breast.papers) == 3
    assert breast.label == "breast cancer"  # used by two cards, so preferred
    assert breast.alt_labels == ["Breast Cancer"]
    vegfa = kg.entities["NCBIGene:7422"]
    assert sorted(vegfa.aliases) == ["VEGF", "VEGF-A", "VPF"]
    # "CAR-T" and "car-t" fold to one local entity with both spellings kept.
    car_t = kg.entities["exo.id:ChemicalEntity/car-t"]
    assert sorted(car_t.names) == ["CAR-T", "car-t"] and len(car_t.papers) == 2
    assert len(kg.papers) == 4
    assert kg.authors()["exo.id:author/bob-jones"] == "Bob Jones"


def test_input_order_does_not_change_the_graph() -> None:
    paths = sorted((FIXTURES / "cards").glob("*.md"))
    forward = build_graph([p for path in paths for p in read_papers(path)])
    backward = build_graph([p for path in reversed(paths) for p in read_papers(path)])
    assert {k: (e.label, e.alt_labels) for k, e in forward.entities.items()} == {
        k: (e.label, e.alt_labels) for k, e in backward.entities.items()
    }


def test_same_paper_twice_is_one_node() -> None:
    paper = read_card(SEED)
    kg = build_graph([paper, paper])
    assert list(kg.papers) == ["PMCID:PMC12921707"]
    assert kg.merges["paper"] == 1


def test_rdflib_view_has_named_graph_per_paper() -> None:
    kg = _multi()
    ds = to_rdflib(kg)
    assert isinstance(ds, rdflib.Dataset)
    names = {str(c.identifier) for c in ds.graphs() if isinstance(c.identifier, rdflib.URIRef)}
    paper_graphs = {n for n in names if "/graph/" in n}
    assert len(paper_graphs) == 4


def test_merging_a_paper_chain_keeps_ids_and_entity_links() -> None:
    from exograph.models import SourceRef

    def paper(**ids: str) -> object:
        base = read_card(SEED)
        return base.model_copy(
            update={"pmid": None, "pmcid": None, "doi": None, **ids, "source": SourceRef(path="x", format="card")}
        )

    # A has PMC only, B has PMID only, C links both: all three become one paper keyed by the PMID.
    kg = build_graph([paper(pmcid="PMC1"), paper(pmid="11"), paper(pmid="11", pmcid="PMC1", doi="10.1/x")])  # type: ignore[list-item]
    assert list(kg.papers) == ["PMID:11"]
    assert kg.papers["PMID:11"].paper.ids == ("PMID:11", "PMCID:PMC1", "doi:10.1/x")
    assert kg.entities["NCBIGene:7422"].papers == {"PMID:11"}
    assert kg.merges["paper"] == 2  # the third record joined the first two
