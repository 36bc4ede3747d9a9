"""Every Biolink term exograph writes exists in the real Biolink Model (the biolink-model package, offline),
and the KGX export carries what KG-Hub requires."""

from __future__ import annotations

import json
import re
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest

from exograph.pipeline import build

BIOLINK = "https://w3id.org/biolink/vocab/"
yaml = pytest.importorskip("yaml")


@cache
def model() -> dict[str, Any]:
    try:
        schema = files("biolink_model") / "schema" / "biolink_model.yaml"
        return yaml.safe_load(schema.read_text(encoding="utf-8"))  # type: ignore[no-any-return]
    except (ModuleNotFoundError, FileNotFoundError):
        pytest.skip("the biolink-model package is not installed")


@cache
def prefix_map() -> dict[str, str]:
    return json.loads((files("biolink_model") / "prefixmaps" / "biolink-model-prefix-map.json").read_text())  # type: ignore[no-any-return]


def _words(camel: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", " ", camel).lower()


def _permissible(enum: str) -> set[str]:
    return set(model()["enums"][enum]["permissible_values"])


@pytest.fixture(params=["seed_build", "corpus_build"])
def turtle(request: pytest.FixtureRequest) -> list[ox.Triple]:
    out: Path = request.getfixturevalue(request.param)
    return [q.triple for q in ox.parse(path=str(out / "graph.ttl"))]


def test_every_biolink_class_and_slot_exists_in_the_model(turtle: list[ox.Triple]) -> None:
    classes, slots = model()["classes"], model()["slots"]
    used_classes = {
        t.object.value[len(BIOLINK) :]
        for t in turtle
        if t.predicate.value in ("http://www.w3.org/1999/02/22-rdf-syntax-ns#type", BIOLINK + "category")
        and t.object.value.startswith(BIOLINK)
    }
    used_slots = {t.predicate.value[len(BIOLINK) :] for t in turtle if t.predicate.value.startswith(BIOLINK)}
    used_slots |= {
        t.object.value[len(BIOLINK) :]
        for t in turtle
        if t.predicate.value == BIOLINK + "predicate" and t.object.value.startswith(BIOLINK)
    }
    assert used_classes and used_slots
    assert sorted(c for c in used_classes if _words(c) not in classes) == []
    assert sorted(s for s in used_slots if s.replace("_", " ") not in slots) == []


def test_every_association_is_biolink_complete(turtle: list[ox.Triple]) -> None:
    subjects = {t.subject for t in turtle if t.predicate.value == BIOLINK + "subject"}
    by_slot: dict[str, dict[Any, list[str]]] = {}
    for t in turtle:
        if t.subject in subjects:
            by_slot.setdefault(t.predicate.value[len(BIOLINK) :], {}).setdefault(t.subject, []).append(t.object.value)
    for slot in ("knowledge_level", "agent_type", "primary_knowledge_source", "category", "predicate", "object"):
        assert set(by_slot.get(slot, {})) == subjects, slot
    assert {v for vs in by_slot.get("knowledge_level", {}).values() for v in vs} <= _permissible("KnowledgeLevelEnum")
    assert {v for vs in by_slot.get("agent_type", {}).values() for v in vs} <= _permissible("AgentTypeEnum")
    sources = {v for vs in by_slot.get("primary_knowledge_source", {}).values() for v in vs}
    assert all(s.startswith("https://w3id.org/biolink/infores/") for s in sources)


def test_every_entity_and_paper_has_a_biolink_category(turtle: list[ox.Triple]) -> None:
    typed = {t.subject for t in turtle if t.predicate.value == "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"}
    categorised = {t.subject for t in turtle if t.predicate.value == BIOLINK + "category"}
    mention_nodes = {
        t.subject
        for t in turtle
        if t.object.value.startswith("https://w3id.org/exograph/vocab/M")
        or t.object.value == "http://www.w3.org/1999/02/22-rdf-syntax-ns#Seq"
        # SSSOM provenance records (a mapping's owl:Axiom, its mapping set) are not Biolink nodes.
        or t.object.value in ("http://www.w3.org/2002/07/owl#Axiom", "https://w3id.org/sssom/MappingSet")
    }
    assert typed - mention_nodes <= categorised


def test_kgx_export_follows_kg_hub_conventions(tmp_path: Path) -> None:
    from .conftest import shared

    result = build([shared("biored/Dev.PubTator")], tmp_path, outputs=["kgx", "kgx-jsonl"], store=False)
    assert result.ok
    nodes = [json.loads(line) for line in (tmp_path / "kgx" / "nodes.jsonl").read_text().splitlines()]
    edges = [json.loads(line) for line in (tmp_path / "kgx" / "edges.jsonl").read_text().splitlines()]
    header = (tmp_path / "kgx" / "edges.tsv").read_text().splitlines()[0].split("\t")
    for column in ("id", "subject", "predicate", "object", "knowledge_level", "agent_type", "primary_knowledge_source"):
        assert column in header
    assert len((tmp_path / "kgx" / "edges.tsv").read_text().splitlines()) == len(edges) + 1
    classes, slots = model()["classes"], model()["slots"]
    ids = {n["id"] for n in nodes}
    assert len(ids) == len(nodes)
    for n in nodes:
        assert n["category"] and all(_words(c.removeprefix("biolink:")) in classes for c in n["category"]), n
    prefixes = prefix_map()
    for n in nodes:
        prefix = n["id"].partition(":")[0]
        # Schemes Biolink has no prefix for at all: exograph's own ids, Cellosaurus, tmVar and HGVS names.
        assert prefix in prefixes or prefix in {"exo.id", "CVCL", "tmVar", "HGVS"}, n["id"]
    for e in edges:
        assert e["subject"] in ids and e["object"] in ids, e["id"]
        assert e["predicate"].removeprefix("biolink:").replace("_", " ") in slots
        assert e["knowledge_level"] in _permissible("KnowledgeLevelEnum")
        assert e["agent_type"] in _permissible("AgentTypeEnum")
        assert e["primary_knowledge_source"].startswith("infores:")
    kinds = {(e["knowledge_level"], e["agent_type"]) for e in edges}
    assert ("knowledge_assertion", "manual_agent") in kinds  # BioRED's curated relations
    assert ("statistical_association", "data_analysis_pipeline") in kinds  # co-occurrence
    assert {e["category"][0] for e in edges} >= {"biolink:GeneToDiseaseAssociation"}


def _kgx_python() -> str:
    """The Python of an environment with kgx (kgx pins numpy and pandas versions of its own, so .ci/run
    installs it apart, in .venv-kgx); EXOGRAPH_KGX_PYTHON names another."""
    import os

    root = Path(__file__).resolve().parent.parent
    python = os.environ.get("EXOGRAPH_KGX_PYTHON", str(root / ".venv-kgx" / "bin" / "python"))
    if not Path(python).is_file():
        pytest.skip(
            f"no environment with kgx at {python} (.ci/run makes one: python -m venv .venv-kgx; pip install kgx)"
        )
    return python


@pytest.mark.parametrize("fmt", ["tsv", "jsonl"])
def test_real_kgx_validate_finds_no_error(corpus_build: Path, tmp_path: Path, fmt: str) -> None:
    """The real ``kgx validate`` (offline, on the Biolink Model its packages ship) on the KGX export."""
    import subprocess

    folder = corpus_build / "kgx"
    report = tmp_path / "report.json"
    done = subprocess.run(
        [
            _kgx_python(),
            str(Path(__file__).parent / "kgx_offline.py"),
            "validate",
            "-i",
            fmt,
            str(folder / f"nodes.{fmt}"),
            str(folder / f"edges.{fmt}"),
            "-o",
            str(report),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "NO_PROXY": "*"},
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    text = report.read_text() if report.exists() else done.stdout
    assert "ERROR" not in text, text[:3000]
    edges = (folder / f"edges.{fmt}").read_text().splitlines()
    assert len(edges) > 1000


#: Where exograph's IRI deliberately differs from Biolink's (identifiers.org instead of NCBI's web pages; README).
_IRI_DIFFERS = {"PMID", "PMCID"}


def test_prefixes_are_biolinks_spelling_and_iri() -> None:
    """Every scheme exograph writes that Biolink knows uses Biolink's prefix (no 'PMC', 'DOI', 'dbSNP') and,
    but for PubMed and PMC, Biolink's IRI, so CURIEs and IRIs join with Biolink and KG-Hub data."""
    from exograph.iris import converter, normalize_curie

    biolink = prefix_map()
    by_iri = {iri: prefix for prefix, iri in biolink.items()}
    for prefix, iri in converter.bimap.items():
        if prefix in biolink:
            assert (iri == biolink[prefix]) != (prefix in _IRI_DIFFERS), prefix
        else:
            # A scheme we write under our own prefix must not be one Biolink spells differently.
            assert iri not in by_iri, f"{prefix}: Biolink spells {iri} as {by_iri.get(iri)}"
    for raw, expected in [
        ("PMC:PMC1", "PMCID:PMC1"),
        ("pmc:12", "PMCID:PMC12"),
        ("DOI:10.1/x", "doi:10.1/x"),
        ("dbSNP:rs7", "DBSNP:rs7"),
        ("RS:7", "DBSNP:rs7"),
    ]:
        assert normalize_curie(raw) == expected


@pytest.mark.parametrize("output", ["graph.ttl", "graph.graphml", "graph.html", "kgx/nodes.tsv", "kgx/edges.tsv"])
def test_every_export_spells_curies_as_biolink(corpus_build: Path, seed_build: Path, output: str) -> None:
    """The RDF prefixes, GraphML node ids, the HTML view and KGX all use Biolink's spellings."""
    for out in (seed_build, corpus_build):
        path = out / output
        if not path.exists():
            pytest.skip(f"{output} is not among the fixture's outputs")
        text = path.read_text(encoding="utf-8")
        for old in ("PMC:PMC", "DOI:10.", "dbSNP:rs", "@prefix PMC:", "@prefix DOI:"):
            assert old not in text, (out.name, output, old)
    assert "PMCID:PMC12921707" in (seed_build / output).read_text(encoding="utf-8") or output.startswith("kgx/edges")
