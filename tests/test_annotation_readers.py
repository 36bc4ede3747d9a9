"""PubTator, BioC-JSON and BioC-XML readers: id quirks, evidence, relations, errors, and property tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import rdflib
from hypothesis import given, settings
from hypothesis import strategies as st

from exograph import AnnotationError, build_graph
from exograph.diagnostics import Diagnostics
from exograph.pipeline import build
from exograph.readers import guess_format, read_papers
from exograph.readers.bioc_json import parse_bioc_json
from exograph.readers.bioc_xml import parse_bioc_xml
from exograph.readers.pubtator import parse_pubtator

from .conftest import FIXTURES, SEED

DOC = """123|t|BRCA1 and tumors in mice
123|a|Cisplatin worsens ocular and auditory toxicity in OMIM cases.
123\t0\t5\tBRCA1\tGeneOrGeneProduct\t672
123\t10\t16\ttumors\tDisease\tMESH:D009369
123\t20\t24\tmice\tSpecies\t10090;10095
123\t25\t34\tCisplatin\tChemical\t D002945{SPACE}
123\t42\t70\tocular and auditory toxicity\tDisease\tD014786|D006311
123\t74\t78\tOMIM\tDisease\tOMIM:604370
123\t79\t84\tcases\tDisease\t-1
123\t0\t5\tBRCA1\tGene\t672,675
123\t10\t16\ttumors\tDisease\tnull
123\tCID\tD002945\tD014786
123\tPositive_Correlation\t672\tD009369\tNovel
""".replace("{SPACE}", " ")


def test_pubtator_id_quirks_and_evidence() -> None:
    diag = Diagnostics()
    (paper,) = parse_pubtator(DOC, "doc.pubtator", diag)
    assert paper.pmid == "123" and paper.title == "BRCA1 and tumors in mice"
    keys = {m.text + "@" + str(m.start): m.entity_keys for m in paper.mentions}
    assert keys["BRCA1@0"] == ("NCBIGene:672",) or keys["BRCA1@0"] == ("NCBIGene:672", "NCBIGene:675")
    assert keys["mice@20"] == ("NCBITaxon:10090", "NCBITaxon:10095")
    assert keys["Cisplatin@25"] == ("MESH:D002945",)  # stray spaces
    assert keys["ocular and auditory toxicity@42"] == ("MESH:D014786", "MESH:D006311")
    assert keys["OMIM@74"] == ("OMIM:604370",)
    assert keys["cases@79"] == ("exo.id:Disease/cases",)
    assert {m.passage for m in paper.mentions} == {"title", "abstract"}
    kg = build_graph([paper])
    node = kg.papers["PMID:123"]
    assert node.mentions["NCBIGene:672"] == 2 and node.mentions["NCBIGene:675"] == 1
    assert kg.entities["exo.id:Disease/cases"].curie is None
    assert kg.entities["exo.id:Disease/tumors"].curie is None  # 'null' id
    rels = [(r.type, r.subject, r.object, r.novel) for r in paper.relations]
    assert rels == [
        ("CID", "MESH:D002945", "MESH:D014786", None),
        ("Positive_Correlation", "NCBIGene:672", "MESH:D009369", True),
    ]


def test_relations_become_typed_edges_with_provenance(tmp_path: Path) -> None:
    (tmp_path / "doc.pubtator").write_text(DOC)
    build([tmp_path / "doc.pubtator"], tmp_path / "out", outputs=["turtle", "graphml"], store=False)
    g = rdflib.Graph().parse(tmp_path / "out" / "graph.ttl")
    bl = rdflib.Namespace("https://w3id.org/biolink/vocab/")
    chem = rdflib.URIRef("http://id.nlm.nih.gov/mesh/D002945")
    tox = rdflib.URIRef("http://id.nlm.nih.gov/mesh/D014786")
    assert (chem, bl.causes, tox) in g
    assocs = list(g.subjects(bl.subject, chem))
    assert len(assocs) == 1
    assert g.value(assocs[0], bl.publications) == rdflib.URIRef("http://identifiers.org/pubmed/123")
    assert str(g.value(assocs[0], rdflib.URIRef("https://w3id.org/exograph/vocab/relationType"))) == "CID"
    gene = rdflib.URIRef("http://identifiers.org/ncbigene/672")
    assert (gene, bl.positively_correlated_with, rdflib.URIRef("http://id.nlm.nih.gov/mesh/D009369")) in g
    mention_texts = {str(o) for o in g.objects(None, rdflib.URIRef("https://w3id.org/exograph/vocab/text"))}
    assert "ocular and auditory toxicity" in mention_texts


@pytest.mark.parametrize(
    ("text", "line", "needle"),
    [
        ("1|t|T\n1\tx\t5\tA\tGene\t1\n", 2, "neither a mention"),
        ("1|t|T\n1\t0\tfive\tA\tGene\t1\tz\n", 2, "integers"),
        ("1\t0\t5\tA\tGene\t1\n", 1, "before any"),
        ("1|t|T\n2\t0\t5\tA\tGene\t1\n", 2, "belongs to document"),
        ("1|t|T\n1\t5\t0\tA\tGene\t1\n", 2, "ends"),
    ],
)
def test_pubtator_errors_name_the_line(text: str, line: int, needle: str) -> None:
    with pytest.raises(AnnotationError) as info:
        parse_pubtator(text, "bad.pubtator")
    assert info.value.line == line and needle in str(info.value) and info.value.path == "bad.pubtator"


def test_bioc_json_errors_have_line_and_column() -> None:
    with pytest.raises(AnnotationError) as info:
        parse_bioc_json(b'{"documents": [\n  {"id": "1", "passages": [}\n]}', "x.json")
    assert (info.value.line, info.value.column) == (2, 28)
    with pytest.raises(AnnotationError, match="not BioC-JSON"):
        parse_bioc_json(b'{"hello": 1}', "x.json")


def test_bioc_xml_errors_have_line_and_column() -> None:
    with pytest.raises(AnnotationError) as info:
        parse_bioc_xml(b"<collection>\n<document><id>1</id>\n</collection>", "x.xml")
    assert info.value.line == 3 and info.value.column is not None
    with pytest.raises(AnnotationError, match="not BioC-XML"):
        parse_bioc_xml(b"<html><body/></html>", "x.xml")


def test_xml_entity_bombs_are_refused() -> None:
    bomb = b"""<?xml version="1.0"?><!DOCTYPE c [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
<!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;"><!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
<!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;"><!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;">]>
<collection><document><id>1</id><passage><text>&h;</text></passage></document></collection>"""
    with pytest.raises(AnnotationError):
        parse_bioc_xml(bomb, "bomb.xml")


def test_format_guessed_from_suffix_or_content(tmp_path: Path) -> None:
    assert guess_format("x.md", b"") == "card"
    assert guess_format("x.txt", b"# Title\n") == "card"
    assert guess_format("x.txt", b"123|t|Title\n") == "pubtator"
    assert guess_format("x.data", b'{"documents": []}') == "bioc-json"
    assert guess_format("x.data", b"<?xml version='1.0'?><collection/>") == "bioc-xml"
    with pytest.raises(AnnotationError.__mro__[1]):
        guess_format("x.data", b"hello")
    forced = tmp_path / "cdr.data"
    forced.write_bytes((FIXTURES / "cdr_excerpt.pubtator").read_bytes())
    assert len(read_papers(forced, format="pubtator")) == 3


def test_card_and_pubtator_for_the_same_paper_are_one_node(tmp_path: Path) -> None:
    card = SEED.read_text().replace("PMC · DOI:", "PMID: 31415926 · DOI:")
    (tmp_path / "card.md").write_text(card)
    (tmp_path / "same.pubtator").write_text(
        "31415926|t|Exosomes in tumors\n31415926|a|VEGFA.\n31415926\t19\t24\tVEGFA\tGene\t7422\n"
    )
    kg = build([tmp_path]).graph
    assert list(kg.papers) == ["PMID:31415926"]
    node = kg.papers["PMID:31415926"]
    assert node.paper.ids == ("PMID:31415926", "PMCID:PMC12921707", "doi:10.3389/fonc.2025.1583295")
    assert node.mentions["NCBIGene:7422"] == 1 and node.paper.tldr is not None
    assert kg.merges["paper"] == 1
    assert sorted(node.sources) == sorted([str(tmp_path / "card.md"), str(tmp_path / "same.pubtator")])


def test_pubtator3_json_fields() -> None:
    (paper,) = parse_bioc_json((FIXTURES / "pubtator3_20516115.json").read_bytes(), "p.json")
    assert paper.pmid == "20516115" and paper.journal == "Cancer Res" and paper.date is not None
    assert paper.authors[0] == "Lee MS"
    assert paper.relations and paper.relations[0].score is not None


def test_lone_surrogate_escapes_become_replacement_characters_with_a_warning(tmp_path: Path) -> None:
    """JSON can escape half a UTF-16 pair, which no UTF-8 file can hold: replaced by U+FFFD, and said so."""
    raw = (
        '{"documents": [{"id": "77", "infons": {}, "passages": [\n'
        '  {"infons": {"type": "title"}, "offset": 0, "text": "Half \\ud800 and whole \\ud83d\\ude00", "annotations": [\n'
        '    {"id": "1", "infons": {"type": "Gene", "identifier": "7422"}, "text": "V\\udfffEGF",\n'
        '     "locations": [{"offset": 0, "length": 4}]}]}]}]}'
    )
    source = tmp_path / "odd.json"
    source.write_text(raw, encoding="utf-8")
    result = build([source], tmp_path / "out", outputs=["ntriples", "summary-json"], store=False)
    assert result.ok
    (warning,) = [d for d in result.graph.diagnostics if d.kind == "lone-surrogate"]
    assert warning.path == str(source) and warning.line == 2 and "\\ud800" in warning.message
    assert warning.message.startswith("2 unpaired")
    text = (tmp_path / "out" / "graph.nt").read_bytes().decode("utf-8")
    assert '"Half \ufffd and whole \U0001f600"' in text
    assert "V\ufffdEGF" in text
    # A file with only whole pairs is read without a warning.
    diag = Diagnostics()
    (paper,) = parse_bioc_json(raw.replace("\\ud800", "x").replace("\\udfff", "x"), "ok.json", diag)
    assert paper.title == "Half x and whole \U0001f600" and not diag.items


# ---------------------------------------------------------------- property test
_text = st.text(
    alphabet=st.characters(blacklist_characters="\t\n\r|", blacklist_categories=("Cs", "Cc")), min_size=1, max_size=12
).filter(str.strip)
_ann = st.tuples(
    _text,
    st.sampled_from(["Gene", "Disease", "Chemical", "Species"]),
    st.one_of(
        st.integers(1, 10**7).map(str),
        st.just("-"),
        st.just("-1"),
        st.lists(st.integers(1, 10**6).map(str), min_size=2, max_size=3).map("|".join),
    ),
)


@settings(max_examples=100, deadline=None)
@given(title=_text, anns=st.lists(_ann, max_size=8))
def test_pubtator_round_trip(title: str, anns: list) -> None:
    title = title.strip()
    lines = [f"42|t|{title}", "42|a|"]
    offset = 0
    for text, etype, ident in anns:
        lines.append(f"42\t{offset}\t{offset + len(text)}\t{text}\t{etype}\t{ident}")
        offset += len(text) + 1
    (paper,) = parse_pubtator("\n".join(lines) + "\n", "prop.pubtator", Diagnostics())
    assert paper.title == title and len(paper.mentions) == len(anns)
    for mention, (text, _etype, ident) in zip(paper.mentions, anns, strict=True):
        assert mention.text == text
        parts = [] if ident in ("-", "-1") else ident.split("|")
        if parts:
            assert len(mention.entity_keys) == len(set(parts))
            assert all(k.split(":", 1)[1] in parts for k in mention.entity_keys)
        else:
            assert mention.entity_keys[0].startswith("exo.id:")


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_crash_the_annotation_readers(data: bytes) -> None:
    from exograph import InputError

    for parse in (parse_pubtator, parse_bioc_json, parse_bioc_xml):
        try:
            parse(data, "fuzz")
        except InputError as exc:
            assert exc.path == "fuzz"
        except json.JSONDecodeError:  # pragma: no cover - must not happen
            raise
