"""Graphs built from the real corpora hold exactly what an independent count over the files finds.

The counts here are written plainly, without exograph's readers: split lines or
walk the XML/JSON, map the corpus type names, split composite ids, drop the
"not normalised" markers and ids of no known scheme.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from exograph.graph import KnowledgeGraph
from exograph.pipeline import build

from .conftest import shared

pytestmark = pytest.mark.corpus

TYPES = {
    "GeneOrGeneProduct": "Gene", "Gene": "Gene",
    "DiseaseOrPhenotypicFeature": "Disease", "Disease": "Disease",
    "ChemicalEntity": "ChemicalEntity", "Chemical": "ChemicalEntity",
    "OrganismTaxon": "OrganismTaxon", "Species": "OrganismTaxon",
    "SequenceVariant": "SequenceVariant", "Variant": "SequenceVariant",
    "CellLine": "CellLine",
}  # fmt: skip
NONE = {"-", "-1", "null", ""}


def known_scheme(etype: str, part: str) -> bool:
    if etype == "SequenceVariant":
        return bool(re.match(r"^(rs\d+|RS#:\d+|tmVar:|HGVS:|[cgpmrn]?\|)", part))
    if etype == "CellLine":
        return bool(re.match(r"^(CVCL[_:])", part))
    return bool(re.match(r"^(MESH:|OMIM:)?[A-Z]?\d+$", part))


def plain_id(etype: str, part: str) -> str:
    """Ids as one string per entity: MeSH with or without 'MESH:' are the same entity."""
    if etype == "SequenceVariant":
        m = re.search(r"RS#:(\d+)", part)
        return f"rs{m.group(1)}" if m else part.split(";")[0].removeprefix("tmVar:")
    return part.removeprefix("MESH:").replace("CVCL_", "CVCL:")


def add(counts: dict, etype: str, raw: str) -> None:
    counts["mentions"][etype] += 1
    parts = [raw.strip()] if etype == "SequenceVariant" else [p.strip() for p in re.split(r"[|,;]", raw)]
    for part in parts:
        if part not in NONE and known_scheme(etype, part):
            counts["entities"][etype].add(plain_id(etype, part))


def new_counts() -> dict:
    return {"mentions": Counter(), "entities": defaultdict(set), "relations": 0}


def count_pubtator(path: Path) -> dict:
    counts = new_counts()
    for line in path.read_text(encoding="utf-8").splitlines():
        fields = line.split("\t")
        if len(fields) >= 5 and fields[1].isdigit():
            add(counts, TYPES[fields[4]], fields[5] if len(fields) > 5 else "-")
        elif len(fields) in (4, 5):
            counts["relations"] += 1
    return counts


def count_bioc_xml(path: Path) -> dict:
    counts = new_counts()
    root = ET.parse(path).getroot()
    for ann in root.iter("annotation"):
        infons = {i.get("key"): i.text or "" for i in ann.findall("infon")}
        add(counts, TYPES[infons["type"]], infons.get("identifier", infons.get("MESH", "-")))
    counts["relations"] = len(list(root.iter("relation")))
    return counts


def count_bioc_json(paths: list[Path]) -> dict:
    counts = new_counts()
    seen: set[str] = set()
    for path in paths:
        value = json.loads(path.read_text())
        docs = value.get("PubTator3") or value.get("documents") or [value]
        for doc in docs:
            if doc["id"] in seen:
                continue
            seen.add(doc["id"])
            for passage in doc["passages"]:
                for ann in passage["annotations"]:
                    add(counts, TYPES[ann["infons"]["type"]], str(ann["infons"].get("identifier") or "-"))
            counts["relations"] += len(doc.get("relations") or [])
    return counts


def graph_counts(kg: KnowledgeGraph) -> dict:
    counts = new_counts()
    for key, entity in kg.entities.items():
        # Entities the papers name (MONDO ids reached only through a mapping set are no paper's annotation).
        if entity.curie is not None and entity.papers:
            counts["entities"][entity.type].add(key)
    for node in kg.papers.values():
        for span in node.mention_spans:
            counts["mentions"][kg.entities[span.entity_keys[0]].type] += 1
        counts["relations"] += len(node.relations)
    return counts


def assert_same(kg: KnowledgeGraph, expected: dict) -> None:
    got = graph_counts(kg)
    assert dict(got["mentions"]) == dict(expected["mentions"])
    assert {t: len(s) for t, s in got["entities"].items()} == {t: len(s) for t, s in expected["entities"].items()}
    assert got["relations"] == expected["relations"]


@pytest.mark.parametrize(
    ("relative", "counter"),
    [
        ("biored/Train.PubTator", count_pubtator),
        ("biored/Train.BioC.XML", count_bioc_xml),
        ("biored/Dev.PubTator", count_pubtator),
        ("cdr/CDR_TrainingSet.PubTator.txt", count_pubtator),
        ("cdr/CDR_TrainingSet.BioC.xml", count_bioc_xml),
    ],
)
def test_corpus_counts(relative: str, counter: object) -> None:
    path = shared(relative)
    result = build([path])
    assert result.ok
    assert_same(result.graph, counter(path))  # type: ignore[operator]


def test_biored_dev_bioc_json() -> None:
    path = shared("biored/Dev.BioC.JSON")
    assert_same(build([path]).graph, count_bioc_json([path]))


def test_pubtator3_captures() -> None:
    folder = shared("pubtator3_api/captures/biomcp_export_20516115.json").parent
    paths = sorted(p for p in folder.glob("*.json") if "full" not in p.name and "preformat" not in p.name)
    assert_same(build(paths).graph, count_bioc_json(paths))


def test_biored_known_facts() -> None:
    kg = build([shared("biored/Train.PubTator")]).graph
    paper = kg.papers["PMID:10491763"]
    assert paper.paper.title.startswith("Hepatocyte nuclear factor-6")
    rel = paper.relations[0]
    assert (rel.type, rel.subject, rel.object, rel.novel) == ("Association", "NCBIGene:3175", "MESH:D003924", False)
    # Same abstract from PubTator and BioC-XML: same graph.
    other = build([shared("biored/Train.BioC.XML")]).graph
    assert sorted(kg.entities) == sorted(other.entities)
    assert {k: len(v.papers) for k, v in kg.entities.items()} == {k: len(v.papers) for k, v in other.entities.items()}
