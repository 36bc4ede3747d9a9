"""One disease, one identity: SSSOM mapping sets link (and, when asked, merge) ids that name one disease."""

from __future__ import annotations

import csv
import gzip
import json
import math
import shutil
from importlib.resources import files
from pathlib import Path

import pyoxigraph as ox
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from exograph.cli import app
from exograph.errors import MappingError
from exograph.pipeline import build
from exograph.sssom import DEFAULT_MAPPINGS, parse_sssom, read_sssom

from .conftest import FIXTURES, SEED, SEEDS, shared

runner = CliRunner()
SKOS = "http://www.w3.org/2004/02/skos/core#"
MONDO_NEOPLASM, MESH_NEOPLASMS = "MONDO:0005070", "MESH:D009369"

HEADER = """# curie_map:
#   MONDO: http://purl.obolibrary.org/obo/MONDO_
#   mesh: http://identifiers.org/mesh/
#   DOID: http://purl.obolibrary.org/obo/DOID_
#   FOO: http://example.org/foo/
# license: https://creativecommons.org/publicdomain/zero/1.0/
# mapping_set_id: https://example.org/test.sssom.tsv
# mapping_provider: infores:example
subject_id\tsubject_label\tpredicate_id\tobject_id\tmapping_justification
"""


def _sssom(tmp_path: Path, rows: list[str], header: str = HEADER, name: str = "m.sssom.tsv") -> Path:
    path = tmp_path / name
    path.write_text(header + "".join(row + "\n" for row in rows), encoding="utf-8")
    return path


def _raw_exact_pairs() -> set[tuple[str, str]]:
    """MONDO's exact matches read straight from the packaged file with csv (not with exograph's reader)."""
    data = gzip.decompress((files("exograph") / "data" / "mondo_exactmatch_mesh.sssom.tsv.gz").read_bytes())
    rows = [line for line in data.decode().splitlines() if not line.startswith("#")]
    reader = csv.DictReader(rows, delimiter="\t")
    return {(r["subject_id"], "MESH:" + r["object_id"].split(":")[1]) for r in reader}


# -- reading SSSOM ------------------------------------------------------------------------------------------


def test_default_set_is_read_whole_with_our_prefixes() -> None:
    mapping_set = read_sssom(DEFAULT_MAPPINGS)
    assert len(mapping_set.mappings) == len(_raw_exact_pairs()) == 8181
    assert {(m.subject, m.object) for m in mapping_set.mappings} == _raw_exact_pairs()
    assert mapping_set.license == "https://creativecommons.org/publicdomain/zero/1.0/"
    assert mapping_set.mappings[0].provider == "infores:mondo"
    assert not mapping_set.warnings


def test_malformed_header_is_one_error_with_file_and_line(tmp_path: Path) -> None:
    bad = HEADER.replace("# license: https", "# license: [unclosed, https")
    path = _sssom(
        tmp_path, ["MONDO:0005070\tneoplasm\tskos:exactMatch\tmesh:D009369\tsemapv:ManualMappingCuration"], bad
    )
    with pytest.raises(MappingError) as caught:
        read_sssom(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:") and "malformed YAML header" in message and "\n" not in message
    assert caught.value.line is not None and caught.value.line >= 6


@pytest.mark.parametrize(
    ("rows", "header", "fragment", "line"),
    [
        (["MONDO:1\tx\tskos:exactMatch\tmesh:D1"], HEADER, "4 columns where the header has 5", 10),
        (["MONDO:1\tx\tskos:exactMatch\tD009369\tsemapv:ManualMappingCuration"], HEADER, "is not a CURIE", 10),
        ([], HEADER.replace("# mapping_set_id: https://example.org/test.sssom.tsv\n", ""), "no mapping_set_id", 1),
        ([], "subject_id\tpredicate_id\n", "no '#' YAML header", 1),
        (
            ["MONDO:1\tskos:exactMatch"],
            HEADER.replace("subject_label\t", "").replace("\tmapping_justification", ""),
            "missing column(s): mapping_justification",
            9,
        ),
    ],
)
def test_malformed_rows_name_file_and_line(
    tmp_path: Path, rows: list[str], header: str, fragment: str, line: int
) -> None:
    path = _sssom(tmp_path, rows, header)
    with pytest.raises(MappingError) as caught:
        read_sssom(path)
    assert fragment in str(caught.value)
    assert caught.value.line == line and caught.value.path == str(path)


def test_unknown_prefix_and_non_skos_predicate_are_skipped_with_one_warning_each(tmp_path: Path) -> None:
    path = _sssom(
        tmp_path,
        [
            "MONDO:0005070\tneoplasm\tskos:exactMatch\tmesh:D009369\tsemapv:ManualMappingCuration",
            "MONDO:0005070\tneoplasm\tskos:exactMatch\tFOO:1\tsemapv:ManualMappingCuration",
            "MONDO:0005070\tneoplasm\tskos:exactMatch\tFOO:2\tsemapv:ManualMappingCuration",
            "MONDO:0005070\tneoplasm\towl:equivalentClass\tDOID:162\tsemapv:ManualMappingCuration",
            "MONDO:0005070\tneoplasm\tskos:broadMatch\tDOID:14566\tsemapv:LexicalMatching",
        ],
    )
    mapping_set = read_sssom(path)
    assert [(m.subject, m.predicate, m.object) for m in mapping_set.mappings] == [
        ("MONDO:0005070", "skos:exactMatch", "MESH:D009369"),
        ("MONDO:0005070", "skos:broadMatch", "DOID:14566"),
    ]
    assert mapping_set.mappings[0].provider == "infores:example"
    messages = sorted((w.line, w.message) for w in mapping_set.warnings)
    assert len(messages) == 2
    assert messages[0][0] == 11 and "2 mapping(s) skipped: unknown identifier scheme 'FOO'" in messages[0][1]
    assert messages[1][0] == 13 and "owl:equivalentClass" in messages[1][1]


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300))
def test_sssom_parser_raises_only_mapping_errors(text: str) -> None:
    """Whatever the text, the parser returns a set or raises a MappingError (never another exception)."""
    for candidate in (text, HEADER + text):
        try:
            parse_sssom(candidate, "fuzz.sssom.tsv")
        except MappingError as exc:
            assert "\n" not in str(exc)


# -- linking (the default) ----------------------------------------------------------------------------------


def test_seed_links_mondo_and_mesh_by_default(seed_build: Path) -> None:
    store = ox.Store()
    store.load(path=str(seed_build / "graph.ttl"), format=ox.RdfFormat.TURTLE)
    mondo, mesh = (
        f"<{iri}>" for iri in ("http://purl.obolibrary.org/obo/MONDO_0005070", "http://id.nlm.nih.gov/mesh/D009369")
    )
    assert store.query(f"ASK {{ {mondo} <{SKOS}exactMatch> {mesh} }}")
    provenance = list(
        store.query(
            "PREFIX owl: <http://www.w3.org/2002/07/owl#> PREFIX sssom: <https://w3id.org/sssom/> "
            "PREFIX dcterms: <http://purl.org/dc/terms/> SELECT ?j ?set WHERE { ?a owl:annotatedSource "
            f"{mondo} ; owl:annotatedTarget {mesh} ; sssom:mapping_justification ?j ; dcterms:source ?set }}"
        )
    )
    assert [(r["j"].value, r["set"].value) for r in provenance] == [
        (
            "https://w3id.org/semapv/vocab/ManualMappingCuration",
            "http://purl.obolibrary.org/obo/mondo/mappings/mondo_exactmatch_mesh.sssom.tsv",
        )
    ]
    summary = json.loads((seed_build / "summary.json").read_text())
    # 17 of the seed's 27 MeSH diseases have a MONDO exact match (counted from the raw file below).
    mesh_diseases = {k for k in summary_ids(seed_build, "Disease") if k.startswith("MESH:")}
    raw = _raw_exact_pairs()
    expected = {mesh for _, mesh in raw} & mesh_diseases
    assert len(mesh_diseases) == 27 and len(expected) == 17
    assert summary["mappings"]["used"] == 17
    assert summary["mappings"]["nodes_added"] == 16  # MONDO:0005070 is on the card already


def summary_ids(out: Path, node_type: str) -> set[str]:
    """Ids of the mentioned entities of one type, from the GraphML (another export than the one under test)."""
    import networkx as nx

    g = nx.read_graphml(out / "graph.graphml")
    return {k for k, d in g.nodes(data=True) if d.get("type") == node_type and d.get("paper_count", 0) > 0}


def test_mondo_nodes_reached_by_mapping_carry_the_sets_label(seed_build: Path) -> None:
    import networkx as nx

    g = nx.read_graphml(seed_build / "graph.graphml")
    raw_labels = {}
    data = gzip.decompress((files("exograph") / "data" / "mondo_exactmatch_mesh.sssom.tsv.gz").read_bytes())
    for line in data.decode().splitlines():
        cells = line.split("\t")
        if cells[0].startswith("MONDO:"):
            raw_labels[cells[0]] = cells[1]
    added = [k for k, d in g.nodes(data=True) if k.startswith("MONDO:") and d.get("paper_count") == 0]
    assert len(added) == 16
    for key in added:
        assert g.nodes[key]["type"] == "Disease" and g.nodes[key]["label"] == raw_labels[key]
    edges = [(u, v, d) for u, v, d in g.edges(data=True) if d.get("predicate") == "skos:exactMatch"]
    assert (MONDO_NEOPLASM, MESH_NEOPLASMS) in {(u, v) for u, v, _ in edges}
    assert len(edges) == 17


def test_no_default_mappings_turns_them_off(tmp_path: Path) -> None:
    result = build([SEEDS], tmp_path / "out", default_mappings=False, outputs=["ntriples"], store=False)
    assert not result.graph.mappings and len(result.graph.entities) == 104
    assert "exactMatch" not in (tmp_path / "out" / "graph.nt").read_text()


def test_biored_gets_the_measured_number_of_mapped_diseases() -> None:
    """Every disease id of BioRED Dev with a MONDO exact match is linked (counted independently from the raw
    PubTator and SSSOM files), and the figure measured when this was written holds."""
    path = shared("biored/Dev.PubTator")
    disease_ids: set[str] = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        cells = line.split("\t")
        if len(cells) >= 6 and cells[4] == "DiseaseOrPhenotypicFeature":
            disease_ids.update(
                "MESH:" + i.strip()
                for i in cells[5].replace(";", ",").replace("|", ",").split(",")
                if i.strip().startswith(("D", "C"))
            )
    mapped_raw = {mesh for _, mesh in _raw_exact_pairs()} & disease_ids
    kg = build([path]).graph
    linked = {m.object for m in kg.mappings if m.predicate == "skos:exactMatch" and m.object.startswith("MESH:")}
    diseases = {k for k, n in kg.entities.items() if n.type == "Disease" and k.startswith("MESH:") and n.papers}
    assert diseases == disease_ids
    assert linked == mapped_raw
    assert (len(linked), len(diseases)) == (MEASURED_BIORED_DEV)


#: Measured on BioRED Dev (the Test split is not in ../shared/data): mapped MeSH disease ids, all MeSH disease ids.
MEASURED_BIORED_DEV = (169, 241)


def test_a_bad_mapping_file_fails_like_a_bad_input(tmp_path: Path) -> None:
    bad = _sssom(tmp_path, ["MONDO:1\tx\tskos:exactMatch"])
    out = tmp_path / "out"
    result = runner.invoke(app, ["build", str(SEEDS), "-o", str(out), "--mappings", str(bad), "--no-store"])
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("exograph: error:")]
    assert errors == [f"exograph: error: {bad}:10: 3 columns where the header has 5"]
    assert "Traceback" not in result.output
    assert "skos:exactMatch" in (out / "graph.ttl").read_text()  # the default set still applies


# -- merging (--merge-mapped) -------------------------------------------------------------------------------


def _cancer_cards(tmp_path: Path) -> Path:
    """The fixture cards, the seed, and two cards naming the neoplasm by its MeSH id only."""
    cards = tmp_path / "cards"
    shutil.copytree(FIXTURES / "cards", cards)
    shutil.copy(SEED, cards / SEED.name)
    template = (FIXTURES / "cards" / "a_vegfa_tumor.md").read_text()
    for i in (7, 8):
        text = template.replace("PMC1000001", f"PMC100000{i}").replace("test.a", f"test.{i}")
        text = text.replace("tumor (MONDO:0005070)", "Neoplasms (MESH:D009369)")
        (cards / f"e{i}.md").write_text(text)
    return cards


def test_merge_mapped_makes_one_node_and_recomputes_fisher(tmp_path: Path) -> None:
    from scipy.stats import fisher_exact

    cards = _cancer_cards(tmp_path)
    linked = build([cards], max_p=1.0, min_papers=1).graph
    merged_result = build([cards], tmp_path / "out", max_p=1.0, min_papers=1, merge_mapped=True)
    merged = merged_result.graph
    papers = linked.entities[MONDO_NEOPLASM].papers | linked.entities[MESH_NEOPLASMS].papers
    assert linked.entities[MONDO_NEOPLASM].papers != papers != linked.entities[MESH_NEOPLASMS].papers
    assert MESH_NEOPLASMS not in merged.entities
    node = merged.entities[MONDO_NEOPLASM]
    assert node.papers == papers and list(node.xrefs) == [MESH_NEOPLASMS]
    assert {"tumor", "Cancer", "Neoplasms"} <= set(node.names)
    total = len(merged.papers)
    checked = 0
    for edge in merged.cooccurrence:
        if MONDO_NEOPLASM not in (edge.source, edge.target):
            continue
        other = edge.target if edge.source == MONDO_NEOPLASM else edge.source
        other_papers = merged.entities[other].papers
        both = len(papers & other_papers)
        assert edge.papers == both
        assert {edge.source_papers, edge.target_papers} == {len(papers), len(other_papers)} or (
            len(papers) == len(other_papers)
        )
        table = [[both, len(papers) - both], [len(other_papers) - both, total - len(papers | other_papers)]]
        assert math.isclose(edge.p_value, fisher_exact(table, alternative="greater")[1], rel_tol=1e-9)
        checked += 1
    assert checked >= 5
    # Every export agrees: one node, the other id as an xref.
    out = tmp_path / "out"
    nt = (out / "graph.nt").read_text()
    assert "<http://id.nlm.nih.gov/mesh/D009369> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type>" not in nt
    assert (
        "<http://purl.obolibrary.org/obo/MONDO_0005070> <https://w3id.org/biolink/vocab/xref> "
        "<http://id.nlm.nih.gov/mesh/D009369> ." in nt
    )
    summary = json.loads((out / "summary.json").read_text())
    assert summary["mappings"]["cliques_merged"] >= 1 and summary["mappings"]["ids_merged"] >= 1


def test_preferred_id_follows_biolinks_id_prefixes(tmp_path: Path) -> None:
    """MONDO before DOID before MESH for a disease, from the Biolink Model package's own order."""
    from exograph.mapping import id_prefix_order

    order = id_prefix_order("https://w3id.org/biolink/vocab/Disease")
    assert order.index("MONDO") < order.index("DOID") < order.index("MESH")
    cards = tmp_path / "cards"
    cards.mkdir()
    text = SEED.read_text().replace("tumor (MONDO:0005070)", "tumour (DOID:162)")
    (cards / "seed.md").write_text(text)
    sssom = _sssom(tmp_path, ["DOID:162\tcancer\tskos:exactMatch\tmesh:D009369\tsemapv:ManualMappingCuration"])
    kg = build([cards], mappings=[sssom], default_mappings=False, merge_mapped=True).graph
    assert "DOID:162" in kg.entities and MESH_NEOPLASMS not in kg.entities
    assert list(kg.entities["DOID:162"].xrefs) == [MESH_NEOPLASMS]
    kg = build([cards], mappings=[sssom], merge_mapped=True).graph  # the default set adds MONDO:0005070
    assert MONDO_NEOPLASM in kg.entities and "DOID:162" not in kg.entities
    assert list(kg.entities[MONDO_NEOPLASM].xrefs) == ["DOID:162", MESH_NEOPLASMS]


def test_same_prefix_clique_is_reported_not_merged(tmp_path: Path) -> None:
    sssom = _sssom(
        tmp_path,
        [
            "MONDO:0005070\tneoplasm\tskos:exactMatch\tmesh:D009369\tsemapv:ManualMappingCuration",
            "MONDO:0005070\tneoplasm\tskos:exactMatch\tmesh:D001943\tsemapv:ManualMappingCuration",
        ],
    )
    out = tmp_path / "out"
    result = build(
        [SEEDS],
        out,
        mappings=[sssom],
        default_mappings=False,
        merge_mapped=True,
        outputs=["summary-md", "summary-json"],
        store=False,
    )
    kg = result.graph
    assert {MONDO_NEOPLASM, MESH_NEOPLASMS, "MESH:D001943"} <= set(kg.entities)
    assert kg.unmerged_cliques == [("MESH:D001943", MESH_NEOPLASMS, MONDO_NEOPLASM)]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["mappings"]["cliques_not_merged"] == [["MESH:D001943", MESH_NEOPLASMS, MONDO_NEOPLASM]]
    assert summary["mappings"]["cliques_merged"] == 0
    assert "MESH:D001943, MESH:D009369, MONDO:0005070" in (out / "summary.md").read_text()


def test_broad_matches_link_but_never_merge(tmp_path: Path) -> None:
    sssom = _sssom(tmp_path, ["MONDO:0005070\tneoplasm\tskos:broadMatch\tmesh:D009369\tsemapv:ManualMappingCuration"])
    kg = build([SEEDS], mappings=[sssom], default_mappings=False, merge_mapped=True).graph
    assert MESH_NEOPLASMS in kg.entities and MONDO_NEOPLASM in kg.entities
    assert [(m.predicate) for m in kg.mappings] == ["skos:broadMatch"]


# -- everywhere ---------------------------------------------------------------------------------------------


def test_html_lists_and_finds_every_id_of_a_merged_node(tmp_path: Path) -> None:
    out = tmp_path / "out"
    build([SEEDS], out, merge_mapped=True, outputs=["html"], store=False)
    page = (out / "graph.html").read_text()
    start = page.index('<script id="graph-data"') if '<script id="graph-data"' in page else None
    assert '"xrefs":["MESH:D009369"]' in page
    assert "https://meshb.nlm.nih.gov/record/ui?ui=D009369" in page
    assert start is None or start > 0


def test_kgx_carries_mappings_and_xrefs(tmp_path: Path) -> None:
    out = tmp_path / "out"
    build([SEEDS], out, outputs=["kgx-jsonl"], store=False)
    edges = [json.loads(line) for line in (out / "kgx" / "edges.jsonl").read_text().splitlines()]
    mapping = [e for e in edges if e["predicate"] == "biolink:exact_match"]
    assert len(mapping) == 17
    e = next(e for e in mapping if e["subject"] == MONDO_NEOPLASM)
    assert (e["object"], e["primary_knowledge_source"], e["agent_type"], e["knowledge_level"]) == (
        MESH_NEOPLASMS,
        "infores:mondo",
        "manual_agent",
        "knowledge_assertion",
    )
    merged = tmp_path / "merged"
    build([SEEDS], merged, outputs=["kgx-jsonl"], store=False, merge_mapped=True)
    nodes = {n["id"]: n for n in map(json.loads, (merged / "kgx" / "nodes.jsonl").read_text().splitlines())}
    assert nodes[MONDO_NEOPLASM]["xref"] == [MESH_NEOPLASMS] and MESH_NEOPLASMS not in nodes


def test_query_pack_finds_papers_about_a_disease_by_any_id(tmp_path: Path) -> None:
    from exograph.store import query

    query_file = Path(__file__).resolve().parent.parent / "queries" / "papers_about_disease_any_id.rq"
    text = query_file.read_text()
    cards = _cancer_cards(tmp_path)
    for merge in (False, True):
        out = tmp_path / f"out-{merge}"
        build([cards], out, merge_mapped=merge, outputs=["summary-json"])
        for given_id in ("MONDO_0005070", "mesh/D009369"):
            asked = text.replace(
                "<http://purl.obolibrary.org/obo/MONDO_0005070>",
                "<http://purl.obolibrary.org/obo/MONDO_0005070>"
                if "MONDO" in given_id
                else "<http://id.nlm.nih.gov/mesh/D009369>",
            )
            rows = query(out, asked)
            papers = {str(r["paper"]) for r in rows}  # type: ignore[index]
            # the seed, card a (tumor, MONDO) and the two cards naming only MeSH's Neoplasms
            assert len(papers) == 4, (merge, given_id, papers)
