"""The card reader recovers every field of the seed exactly and refuses bad cards with file and line."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exograph import CardError, read_card
from exograph.diagnostics import Diagnostics
from exograph.readers.card import parse_card

from .conftest import SEED


@pytest.fixture(scope="module")
def seed():
    return read_card(SEED)


def test_seed_bibliographic_fields(seed) -> None:
    assert seed.title == (
        "Potential role of exosomes derived from the tumor microenvironment in tumor progression and treatment"
    )
    assert seed.authors == ("Ying Yu", "Wenjun Zhang", "Kun Wang")
    assert seed.pmcid == "PMC12921707"
    assert seed.doi == "10.3389/fonc.2025.1583295"
    assert seed.journal == "Frontiers in Oncology"
    assert seed.date == dt.date(2026, 2, 6)
    assert seed.pmid is None
    assert seed.tldr == (
        "This paper reviews how exosomes in the tumor environment help cancer progress and how they can be used "
        "for treatment."
    )
    assert (
        seed.contribution == "The paper summarizes recent findings on exosome roles in tumor communication and therapy."
    )
    assert seed.key_findings == (
        "Exosomes facilitate communication between tumor and premetastatic environments.",
        "Exosomes regulate tumor progression through angiogenesis, invasion, and drug resistance.",
        "Exosomes show promise as drug delivery carriers due to their targeting and compatibility.",
    )
    assert seed.abstract is not None
    assert seed.abstract.startswith("Exosomes are important intercellular communication substances")
    assert seed.abstract.endswith("current research progress on exosomes in tumor therapy.")


def test_seed_entities(seed) -> None:
    assert [(e.type, e.curie, e.name) for e in seed.about] == [("Disease", "MONDO:0005070", "tumor")]
    by_type: dict[str, list] = {}
    for e in seed.entities:
        by_type.setdefault(e.type, []).append(e)
    assert len(by_type["Gene"]) == 60
    assert len(by_type["Disease"]) == 27
    assert all(e.curie and e.curie.startswith("MESH:") for e in by_type["Disease"])
    chemicals = by_type["ChemicalEntity"]
    assert len([c for c in chemicals if c.curie and c.curie.startswith("MESH:")]) == 12
    car_t = [c for c in chemicals if c.name == "CAR-T"]
    assert len(car_t) == 1 and car_t[0].curie is None and car_t[0].raw_id == "-" and not car_t[0].normalised
    assert [(s.name, s.curie, s.common_name, s.rank) for s in by_type["OrganismTaxon"]] == [
        ("Mus musculus", "NCBITaxon:10090", "house mouse", "species"),
        ("Cricetus cricetus", "NCBITaxon:10034", "black-bellied hamster", "species"),
        ("Homo sapiens", "NCBITaxon:9606", "human", "species"),
    ]
    genes = {g.name: g for g in by_type["Gene"]}
    assert genes["VEGFA"].curie == "NCBIGene:7422"
    assert genes["VEGFA"].full_name == "vascular endothelial growth factor A"
    assert genes["VEGFA"].aliases == ("L-VEGF", "MVCD1", "VEGF", "VPF")
    assert genes["HSPA1A"].full_name == "heat shock protein family A (Hsp70) member 1A"
    assert genes["MYCN"].full_name == "MYCN proto-oncogene, bHLH transcription factor"
    assert genes["PBX3"].aliases == ()
    assert all(g.symbol == g.name and g.full_name for g in genes.values())
    assert by_type["Disease"][0].curie == "MESH:D015448"


def test_seed_links(seed) -> None:
    links = {(link.kind, link.url, link.count) for link in seed.links}
    full = "https://tomesphere.com/paper/PMC12921707/full.md"
    assert links == {
        ("full_text", full, None),
        ("figures", full, 3),
        ("references", full, 94),
        ("source", "https://tomesphere.com/paper/PMC12921707", None),
    }


def test_seed_reads_without_warnings() -> None:
    diag = Diagnostics()
    read_card(SEED, diag)
    assert list(diag) == []


def test_reads_from_a_handle() -> None:
    paper = read_card(io.BytesIO(SEED.read_bytes()))
    assert paper.pmcid == "PMC12921707"


def _sections(text: str) -> tuple[str, list[str]]:
    head, *rest = text.split("\n## ")
    return head, ["## " + r for r in rest]


def test_sections_in_another_order_and_missing() -> None:
    head, sections = _sections(SEED.read_text())
    trailer_idx = next(i for i, s in enumerate(sections) if "\n---\n" in s)
    last, trailer = sections[trailer_idx].split("\n---\n")
    sections[trailer_idx] = last
    shuffled = list(reversed(sections))
    dropped = [s for s in shuffled if not s.startswith(("## TL;DR", "## Figures"))]
    text = head + "\n" + "\n".join(dropped) + "\n---\n" + trailer
    diag = Diagnostics()
    paper = parse_card(text, "reordered.md", diag)
    original = read_card(SEED)
    assert paper.tldr is None
    assert paper.entities == original.entities
    assert paper.key_findings == original.key_findings
    assert paper.abstract == original.abstract
    assert not [d for d in diag if d.kind != "no-link"]


def test_unknown_section_and_entity_type_are_warnings_with_line() -> None:
    text = (
        SEED.read_text()
        .replace("## Abstract", "## Methods\n\nWe did things.\n\n## Abstract")
        .replace("- **Species:**", "- **Enzymes:** foo (EC:1.1.1.1)\n- **Species:**")
    )
    diag = Diagnostics()
    parse_card(text, "x.md", diag)
    kinds = {d.kind: d for d in diag}
    assert kinds["unknown-section"].line == text.split("\n").index("## Methods") + 1
    assert "We did things." in kinds["unknown-section"].message
    assert kinds["unknown-entity-type"].path == "x.md"
    assert "foo (EC:1.1.1.1)" in kinds["unknown-entity-type"].message


def test_unknown_id_scheme_is_kept_not_normalised_with_warning() -> None:
    text = SEED.read_text().replace("oxygen (MESH:D010100)", "oxygen (FOO:123)")
    diag = Diagnostics()
    paper = parse_card(text, "x.md", diag)
    oxygen = next(e for e in paper.entities if e.name == "oxygen")
    assert oxygen.curie is None and oxygen.raw_id == "FOO:123"
    assert [d.kind for d in diag] == ["unknown-id-scheme"]


@pytest.mark.parametrize(
    ("name", "data", "line", "needle"),
    [
        ("empty.md", b"", 1, "empty"),
        ("blank.md", b"\n\n  \n", 1, "empty"),
        ("binary.md", b"# T\n\x00\x01\x02", 2, "binary"),
        ("latin1.md", "# Title\n\n**Authors:** Jos\u00e9\n".encode("latin-1"), 3, "UTF-8"),
        ("notitle.md", b"no heading here\n\n## Abstract\n\ntext\n", 1, "no title"),
        ("emptytitle.md", b"#  \n\n## Abstract\n", 1, "no title"),
    ],
)
def test_bad_files_give_one_error_with_file_and_line(
    tmp_path: Path, name: str, data: bytes, line: int, needle: str
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(CardError) as info:
        read_card(path)
    err = info.value
    assert err.path == str(path) and err.line == line
    assert needle in str(err)
    assert str(err).startswith(f"{path}:{line}")
    assert "\n" not in str(err)


@pytest.mark.parametrize(
    "broken",
    [
        "- **Genes:** RET (ret proto-oncogene [NCBI Gene 5979]",  # truncated mid-name
        "- **Genes:** RET (ret proto-oncogene) [NCBI Gene 5979] {aka CDHF12, CDHR16",  # unclosed aliases
        "- **Diseases:** neuroblastoma (MESH:D009447), hypoxia (MESH:D0",  # truncated id
        "- **Diseases:** neuroblastoma MESH:D009447",
        "Genes: RET",
    ],
)
def test_broken_entity_lines_name_line_and_column(broken: str) -> None:
    text = SEED.read_text()
    lines = text.split("\n")
    index = next(i for i, s in enumerate(lines) if s.startswith("- **Diseases:** B-lymphocytic"))
    lines[index] = broken
    with pytest.raises(CardError) as info:
        parse_card("\n".join(lines), "broken.md")
    assert info.value.line == index + 1
    assert info.value.column is not None and info.value.column >= 1


def test_truncated_card_is_an_error(tmp_path: Path) -> None:
    data = SEED.read_bytes()
    cut = data.index(b"glioblastoma") + 5
    path = tmp_path / "truncated.md"
    path.write_bytes(data[:cut])
    with pytest.raises(CardError) as info:
        read_card(path)
    assert info.value.line is not None


# ---------------------------------------------------------------- property tests
_word = st.text(
    alphabet=st.characters(whitelist_categories=("Lu", "Ll", "Nd"), max_codepoint=0x2FF), min_size=1, max_size=8
)
_name = st.lists(_word, min_size=1, max_size=4).map(" ".join)
_symbol = st.from_regex(r"[A-Z][A-Z0-9-]{0,8}", fullmatch=True)
_gene = st.tuples(
    _symbol,
    st.one_of(_name, st.tuples(_name, _name).map(lambda t: f"{t[0]} ({t[1]}) member")),
    st.integers(min_value=1, max_value=10**9),
    st.lists(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9.-]{0,8}", fullmatch=True), max_size=5, unique=True),
)
_disease = st.tuples(_name, st.one_of(st.from_regex(r"D[0-9]{6}", fullmatch=True), st.just("-")))


@settings(max_examples=150, deadline=None)
@given(
    title=_name,
    authors=st.lists(_name, min_size=1, max_size=5),
    genes=st.lists(_gene, min_size=1, max_size=6, unique_by=lambda g: g[2]),
    diseases=st.lists(_disease, min_size=1, max_size=6),
)
def test_rendered_cards_parse_back(title: str, authors: list[str], genes: list, diseases: list) -> None:
    gene_items = ", ".join(
        f"{s} ({full}) [NCBI Gene {gid}]" + (f" {{aka {', '.join(al)}}}" if al else "") for s, full, gid, al in genes
    )
    disease_items = ", ".join(f"{name} ({'MESH:' + mid if mid != '-' else '-'})" for name, mid in diseases)
    text = (
        f"# {title}\n\n**Authors:** {', '.join(authors)}\n\nPMC · DOI: 10.1/x · J · 2024-01-02\n\n"
        f"## Full-text entities\n\n- **Genes:** {gene_items}\n- **Diseases:** {disease_items}\n"
    )
    diag = Diagnostics()
    paper = parse_card(text, "prop.md", diag)
    assert paper.title == title
    assert list(paper.authors) == [a.strip() for a in authors]
    parsed_genes = [e for e in paper.entities if e.type == "Gene"]
    assert [(g.symbol, g.full_name, g.curie, g.aliases) for g in parsed_genes] == [
        (s, full, f"NCBIGene:{gid}", tuple(al)) for s, full, gid, al in genes
    ]
    parsed = [(e.name, e.curie) for e in paper.entities if e.type == "Disease"]
    assert parsed == [(n, f"MESH:{m}" if m != "-" else None) for n, m in diseases]


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_never_crash(data: bytes) -> None:
    from exograph import InputError
    from exograph.textio import decode_text

    try:
        parse_card(decode_text(data, "fuzz.md", error=CardError), "fuzz.md")
    except InputError as exc:
        assert exc.path == "fuzz.md"


_NAME = st.text(alphabet="ab AB-1(),[]{}:", min_size=1, max_size=12)
_ITEM = st.one_of(
    st.builds(lambda s, f, i: f"{s} ({f}) [NCBI Gene {i}]", _NAME, _NAME, st.sampled_from(["7422", "12", "x", ""])),
    st.builds(
        lambda s, f, i, aka: f"{s} ({f}) [NCBI Gene {i}] {{aka {aka}}}",
        _NAME,
        _NAME,
        st.sampled_from(["7422", "5"]),
        _NAME,
    ),
    st.builds(lambda n, i: f"{n} ({i})", _NAME, st.sampled_from(["MESH:D001", "-", "mesh:C5", "FOO:1", "MONDO:1"])),
    _NAME,
)


@given(items=st.lists(_ITEM, min_size=1, max_size=5), etype=st.sampled_from(["Gene", "Disease", "ChemicalEntity"]))
@settings(max_examples=400, deadline=None)
def test_fast_item_path_reads_lines_as_the_careful_path_does(items: list[str], etype: str) -> None:
    """Common item shapes are matched in one regex pass and cached; the result must be the careful parser's."""
    import exograph.readers.card as card

    text = ", ".join(items)

    def careful() -> tuple[list[object] | str, list[str]]:
        diag = Diagnostics()
        try:
            found: list[object] | str = card._entity_items(text, etype, "f.md", 3, 4, diag)  # type: ignore[arg-type]
        except CardError as exc:
            found = str(exc)
        return found, [str(d) for d in diag.items]

    card._ITEMS.clear()
    fast = careful()  # first reading: items parsed and cached
    again = careful()  # second: served from the cache where nothing warned
    original = card._common_items
    card._common_items = lambda *args: None  # type: ignore[assignment]
    try:
        reference = careful()
    finally:
        card._common_items = original
        card._ITEMS.clear()
    assert fast == reference
    assert again == reference
