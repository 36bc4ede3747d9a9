"""The README's guarantees: never a traceback, never a lost or mixed output.

Hostile and broken inputs give one line naming the file (and line); a malformed document costs that document;
one build owns its output folder and publishes everything at once; a kill leaves the previous outputs whole;
"unchanged" is decided by content.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from exograph.cli import app
from exograph.diagnostics import Diagnostics
from exograph.errors import ExographError, InputError
from exograph.outdir import BuildFolder, BuildLockedError
from exograph.pipeline import build
from exograph.readers import read_papers

from .conftest import FIXTURES, SEED, SEEDS

runner = CliRunner()

GOOD_DOC = {
    "id": "1",
    "passages": [
        {"infons": {"type": "title"}, "offset": 0, "text": "VEGFA in tumours", "annotations": []},
        {
            "infons": {"type": "abstract"},
            "offset": 17,
            "text": "VEGFA drives growth.",
            "annotations": [
                {
                    "id": "a1",
                    "infons": {"type": "Gene", "identifier": "7422"},
                    "text": "VEGFA",
                    "locations": [{"offset": 17, "length": 5}],
                }
            ],
        },
    ],
    "relations": [],
}


def _doc(**changes: object) -> dict[str, object]:
    doc = json.loads(json.dumps(GOOD_DOC))
    doc["id"] = "2"
    for path, value in changes.items():
        target = doc
        keys = path.split("__")
        for key in keys[:-1]:
            target = target[int(key)] if isinstance(target, list) else target[key]  # type: ignore[index]
        last = keys[-1]
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value  # type: ignore[index]
    return doc


BAD_DOCUMENTS = {
    "negative offset": _doc(passages__1__annotations__0__locations__0__offset=-5),
    "offset 1e400": _doc(passages__1__annotations__0__locations__0__offset=float("inf")),
    "passage a string": _doc(passages__0="a passage"),
    "annotations an object": _doc(passages__1__annotations={"a": 1}),
    "annotation a number": _doc(passages__1__annotations=[7]),
    "infons a list": _doc(passages__0__infons=["type", "title"]),
    "locations a string": _doc(passages__1__annotations__0__locations="17-22"),
    "relations an object": _doc(relations={"r": 1}),
    "text an object": _doc(passages__0__text={"t": 1}),
}


@pytest.mark.parametrize("case", sorted(BAD_DOCUMENTS))
def test_a_malformed_document_costs_that_document_only(case: str, tmp_path: Path) -> None:
    path = tmp_path / "corpus.json"
    text = json.dumps({"documents": [GOOD_DOC, BAD_DOCUMENTS[case]]}, allow_nan=True).replace("Infinity", "1e400")
    path.write_text(text)
    diag = Diagnostics()
    papers = read_papers(path, diagnostics=diag)
    assert [p.pmid for p in papers] == ["1"]
    warnings = [d for d in diag if d.kind == "malformed-document"]
    assert len(warnings) == 1 and "document 2 (id '2') skipped" in warnings[0].message
    assert "\n" not in str(warnings[0])


def test_year_0000_score_list_and_deep_nesting_never_raise_outside_the_contract(tmp_path: Path) -> None:
    year = _doc(passages__0__infons={"type": "title", "year": "0000"})
    score = _doc(relations=[{"infons": {"type": "Association", "score": [1], "entity1": "7422", "entity2": "x"}}])
    path = tmp_path / "odd.json"
    path.write_text(json.dumps([GOOD_DOC, year, score]))
    diag = Diagnostics()
    papers = read_papers(path, diagnostics=diag)
    assert len(papers) == 3 and papers[1].date is None
    assert any("relation score [1] is not a number" in d.message for d in diag)
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000)
    with pytest.raises(InputError, match="nested too deeply"):
        read_papers(deep)


def test_bioc_xml_negative_offset(tmp_path: Path) -> None:
    xml = (FIXTURES / "cdr_excerpt.bioc.xml").read_text()
    bad = xml.replace("<location offset='49'", "<location offset='-49'", 1)
    assert bad != xml
    path = tmp_path / "bad.xml"
    path.write_text(bad)
    diag = Diagnostics()
    papers = read_papers(path, diagnostics=diag)
    good = read_papers(FIXTURES / "cdr_excerpt.bioc.xml")
    assert len(papers) == len(good) - 1
    assert [d.kind for d in diag].count("malformed-document") == 1


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)
_KEYS = ["id", "passages", "infons", "offset", "text", "annotations", "locations", "length", "relations", "type"]


@st.composite
def _mutated_document(draw: st.DrawFn) -> dict[str, object]:
    """A good BioC document with one value somewhere replaced by arbitrary JSON (structure-aware mutation)."""
    doc = json.loads(json.dumps(GOOD_DOC))
    node: object = doc
    for _ in range(draw(st.integers(0, 5))):
        if isinstance(node, dict) and node:
            key = draw(st.sampled_from(sorted(node)))
            if not isinstance(node[key], (dict, list)) or draw(st.booleans()):
                node[key] = draw(_JSON)
                return doc
            node = node[key]
        elif isinstance(node, list) and node:
            i = draw(st.integers(0, len(node) - 1))
            if not isinstance(node[i], (dict, list)) or draw(st.booleans()):
                node[i] = draw(_JSON)
                return doc
            node = node[i]
    if isinstance(node, dict):
        node[draw(st.sampled_from(_KEYS))] = draw(_JSON)
    return doc


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_mutated_document(), st.sampled_from(["bioc-json", "bioc-xml"]))
def test_no_mutated_bioc_document_escapes_the_contract(doc: dict[str, object], fmt: str) -> None:
    """Whatever one document holds, reading gives papers (the good one at least) or one InputError."""
    from exograph.readers.bioc_json import parse_bioc_json
    from exograph.readers.bioc_xml import parse_bioc_xml

    diag = Diagnostics()
    if fmt == "bioc-json":
        papers = parse_bioc_json(json.dumps([GOOD_DOC, doc]).encode(), "fuzz.json", diag)
    else:
        try:
            papers = parse_bioc_xml(_to_xml([GOOD_DOC, doc]), "fuzz.xml", diag)
        except InputError as exc:
            assert "\n" not in str(exc)
            return
    assert papers and papers[0].title == "VEGFA in tumours"


def _to_xml(docs: list[dict[str, object]]) -> bytes:
    """Documents as BioC-XML (values as text, so the mutation reaches the XML reader as strings)."""
    import xml.etree.ElementTree as ET

    root = ET.Element("collection")
    for doc in docs:
        d = ET.SubElement(root, "document")
        ET.SubElement(d, "id").text = _xml_text(doc.get("id"))
        for passage in doc.get("passages") or [] if isinstance(doc.get("passages"), list) else []:
            p = ET.SubElement(d, "passage")
            if isinstance(passage, dict):
                for key, value in (
                    (passage.get("infons") or {}).items() if isinstance(passage.get("infons"), dict) else []
                ):
                    ET.SubElement(p, "infon", key=_xml_text(key)).text = _xml_text(value)
                ET.SubElement(p, "offset").text = _xml_text(passage.get("offset"))
                ET.SubElement(p, "text").text = _xml_text(passage.get("text"))
                annotations = passage.get("annotations")
                for ann in annotations if isinstance(annotations, list) else []:
                    a = ET.SubElement(p, "annotation", id=_xml_text(ann.get("id") if isinstance(ann, dict) else ann))
                    if isinstance(ann, dict):
                        for key, value in ann.get("infons", {}).items() if isinstance(ann.get("infons"), dict) else []:
                            ET.SubElement(a, "infon", key=_xml_text(key)).text = _xml_text(value)
                        locations = ann.get("locations")
                        for loc in locations if isinstance(locations, list) else []:
                            if isinstance(loc, dict):
                                ET.SubElement(
                                    a,
                                    "location",
                                    offset=_xml_text(loc.get("offset")),
                                    length=_xml_text(loc.get("length")),
                                )
                        ET.SubElement(a, "text").text = _xml_text(ann.get("text"))
    return ET.tostring(root, encoding="utf-8")


def _xml_text(value: object) -> str:
    text = "" if value is None else str(value)
    return "".join(
        c for c in text if c in "\t\n\r" or (c >= " " and c not in "\ufffe\uffff" and not "\ud800" <= c <= "\udfff")
    )


# -- the output folder --------------------------------------------------------------------------------------


def test_a_second_build_into_the_same_folder_fails_at_once(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with BuildFolder(out):
        result = runner.invoke(app, ["build", str(SEEDS), "-o", str(out)])
        assert result.exit_code == 1
        lines = [line for line in result.stderr.splitlines() if line]
        assert len(lines) == 1 and "another exograph build" in lines[0] and str(os.getpid()) in lines[0]
        with pytest.raises(BuildLockedError):
            build([SEEDS], out)
    assert build([SEEDS], out, store=False, outputs=["turtle"]).ok  # free again once the first is done


def test_outputs_are_published_together_and_old_generations_go(tmp_path: Path) -> None:
    out = tmp_path / "out"
    build([SEEDS], out)
    first = os.readlink(out / ".exograph" / "current")
    ttl = (out / "graph.ttl").read_bytes()
    build([SEEDS], out, outputs=["turtle", "kgx"])
    second = os.readlink(out / ".exograph" / "current")
    assert first != second
    assert {p.name for p in (out / ".exograph").iterdir()} == {"cache", "current", "lock", second}
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == ["graph.ttl", "kgx", "store"]
    assert (out / "graph.ttl").read_bytes() == ttl
    assert (out / "kgx" / "nodes.tsv").is_file() and (out / "store").is_dir()
    for link in out.iterdir():
        if link.is_symlink():
            assert os.readlink(link) == f".exograph/current/{link.name}"


_SLOW_BUILD = """
import sys, time
import exograph.writers.html as html
real = html.write_html
def slow(*a, **k):
    print("WRITING", flush=True)
    time.sleep(60)
    return real(*a, **k)
html.write_html = slow
import exograph.writers as w
w.WRITERS["html"] = slow
from exograph.pipeline import build
build([sys.argv[1]], sys.argv[2])
"""


def test_kill_9_mid_build_leaves_the_previous_outputs_whole(tmp_path: Path) -> None:
    out = tmp_path / "out"
    build([SEEDS], out)
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    cards = tmp_path / "cards"
    shutil.copytree(FIXTURES / "cards", cards)
    process = subprocess.Popen(
        [sys.executable, "-c", _SLOW_BUILD, str(cards), str(out)], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "WRITING"  # Turtle and more are written into the new generation
    children = _children(process.pid)
    process.send_signal(signal.SIGKILL)
    process.wait()
    after = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    assert after == before  # readers still see the whole previous build
    from exograph.store import query

    assert query(out, "ASK { ?g skos:altLabel 'VPF' }") is True
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in children if _alive(pid)], "a child outlived the killed build"
    stale = [p.name for p in (out / ".exograph").iterdir() if p.name.startswith("gen-")]
    assert len(stale) == 2  # the published generation and the killed build's
    build([cards], out, store=False, outputs=["turtle"])  # the next build removes what the killed one left
    assert len([p for p in (out / ".exograph").iterdir() if p.name.startswith("gen-")]) == 1
    assert not list(out.glob(".*.part")) and not list(out.glob(".*.link"))


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(x) for x in text.split()]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split()[2]
    except OSError:
        return False
    return state != "Z"


def test_a_build_never_reads_its_own_outputs(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(SEED, work / "seed.md")
    for _ in range(2):
        result = runner.invoke(app, ["build", str(work), "-o", str(work / "out"), "--no-store"])
        assert result.exit_code == 0, result.output
        assert "read 1 of 1 file(s)" in result.stderr


def test_empty_input_folder_or_missing_input_keeps_the_previous_build(tmp_path: Path) -> None:
    out = tmp_path / "out"
    build([SEEDS], out, store=False)
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    empty = tmp_path / "empty"
    empty.mkdir()
    for args in ([str(empty)], [str(SEEDS), str(tmp_path / "missing.md")]):
        result = runner.invoke(app, ["build", *args, "-o", str(out), "--no-store"])
        assert result.exit_code == 1
        lines = [line for line in result.stderr.splitlines() if line]
        assert len(lines) == 1 and lines[0].startswith("exograph: error:"), result.stderr
        assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before


# -- content, not times ---------------------------------------------------------------------------------------


def test_an_edit_that_keeps_size_and_mtime_is_rebuilt(tmp_path: Path, seed_copy: Path) -> None:
    out = tmp_path / "out"
    build([seed_copy.parent], out, store=False, outputs=["turtle"])
    stat = seed_copy.stat()
    text = seed_copy.read_text()
    edited = text.replace("VEGFA", "VEGFZ", 1)
    assert len(edited.encode()) == len(text.encode())
    seed_copy.write_text(edited)
    os.utime(seed_copy, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    again = build([seed_copy.parent], out, store=False, outputs=["turtle"])
    assert (again.parsed, again.cached) == (1, 0)
    assert "VEGFZ" in (out / "graph.ttl").read_text()


# -- the filesystem ------------------------------------------------------------------------------------------


@pytest.mark.skipif(os.geteuid() == 0 and sys.platform != "linux", reason="root reads everything")
def test_filesystem_oddities_are_one_line_each(tmp_path: Path) -> None:
    cards = tmp_path / "cards"
    cards.mkdir()
    shutil.copy(SEED, cards / "good.md")
    (cards / "loop").symlink_to(cards)  # a folder that contains itself
    (cards / "dangling.md").symlink_to(tmp_path / "nowhere.md")
    (cards / "self.md").symlink_to(cards / "self.md")
    os.makedirs(cards / "odd")
    shutil.copy(SEED, os.path.join(os.fsencode(cards / "odd"), b"caf\xe9\nexograph: error: forged.md"))
    result = runner.invoke(app, ["build", str(cards), "-o", str(tmp_path / "out"), "--no-store"])
    assert "Traceback" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("exograph: error:")]
    assert not any(line == "exograph: error: forged.md" for line in result.stderr.splitlines())
    assert any("loop" in line and "symbolic link loop" in line for line in errors), errors
    assert any("dangling.md" in line and "broken or looping symbolic link" in line for line in errors), errors
    assert any("self.md" in line for line in errors), errors
    assert "read 2 of 5 file(s)" in result.stderr  # the seed and the oddly named copy of it were read
    assert result.exit_code == 1


def test_unreadable_folder_is_one_line(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root can read a folder without read permission")
    cards = tmp_path / "cards"
    (cards / "locked").mkdir(parents=True)
    shutil.copy(SEED, cards / "good.md")
    os.chmod(cards / "locked", 0)
    try:
        result = runner.invoke(app, ["build", str(cards), "-o", str(tmp_path / "out"), "--no-store"])
    finally:
        os.chmod(cards / "locked", 0o755)
    assert "cannot read folder" in result.stderr and result.exit_code == 1


def test_a_17_mib_title_is_cut_with_a_warning_and_every_output_is_written(tmp_path: Path) -> None:
    cards = tmp_path / "cards"
    cards.mkdir()
    lines = SEED.read_text().split("\n")
    lines[0] = "# " + "x" * (17 << 20)
    (cards / "big.md").write_text("\n".join(lines))
    out = tmp_path / "out"
    result = runner.invoke(app, ["build", str(cards), "-o", str(out)])
    assert result.exit_code == 0, result.stderr[-500:]
    assert "'text-truncated'" in result.stderr and "kept the first 1,048,576" in result.stderr
    assert (out / "graph.ttl").stat().st_size > 1 << 20 and (out / "store").is_dir()


def test_exograph_errors_carry_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "x.json"
    bad.write_text('{"documents": 3}')
    with pytest.raises(ExographError) as caught:
        read_papers(bad)
    assert str(caught.value).startswith(f"{bad}:1: ")


_PUBTATOR = (FIXTURES / "cdr_excerpt.pubtator").read_text(encoding="utf-8")
_FIELD = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["-1", "-", "", "1e400", "-5", "99999999999999999999", "MESH:", "|", ";", "\x00", "\u2028"]),
)


@st.composite
def _mutated_pubtator(draw: st.DrawFn) -> str:
    """The CDR excerpt with a few of its fields (title, offsets, types, ids, relation parts) replaced."""
    lines = _PUBTATOR.split("\n")
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(lines) - 1))
        sep = "|" if "|" in lines[i][:20] and "\t" not in lines[i] else "\t"
        parts = lines[i].split(sep)
        j = draw(st.integers(0, max(0, len(parts) - 1)))
        action = draw(st.sampled_from(["replace", "drop", "add"]))
        if action == "replace" and parts:
            parts[j] = draw(_FIELD)
        elif action == "drop" and len(parts) > 1:
            del parts[j]
        else:
            parts.insert(j, draw(_FIELD))
        lines[i] = sep.join(parts)
    return "\n".join(lines)


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(text=_mutated_pubtator())
def test_a_mutated_pubtator_file_never_stops_the_build(tmp_path: Path, text: str) -> None:
    """Whatever a PubTator file holds, the build goes on: the good card beside it is always built."""
    folder = tmp_path / "in"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    shutil.copy(SEED, folder / "good.md")
    (folder / "mutated.pubtator").write_text(text, encoding="utf-8", errors="surrogatepass")
    result = build([folder], default_mappings=False)
    assert "PMCID:PMC12921707" in result.graph.papers
    for failure in result.failures:
        assert "\n" not in str(failure) and failure.path and failure.path.endswith("mutated.pubtator")


_CARD_LINES = SEED.read_text(encoding="utf-8").split("\n")


@st.composite
def _mutated_card(draw: st.DrawFn) -> str:
    """The seed card with lines dropped, duplicated, swapped or overwritten (headings and items included)."""
    lines = list(_CARD_LINES)
    for _ in range(draw(st.integers(1, 6))):
        i = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["drop", "duplicate", "swap", "text", "truncate"]))
        if action == "drop" and len(lines) > 1:
            del lines[i]
        elif action == "duplicate":
            lines.insert(i, lines[i])
        elif action == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif action == "text":
            lines[i] = draw(st.sampled_from(["", "## ", "- **Genes:** ", "# ", "---"])) + draw(st.text(max_size=30))
        else:
            lines[i] = lines[i][: draw(st.integers(0, len(lines[i])))]
    return "\n".join(lines)


@settings(max_examples=300, deadline=None)
@given(_mutated_card())
def test_a_mutated_card_gives_a_paper_or_one_error_line(text: str) -> None:
    from exograph.errors import CardError
    from exograph.readers.card import parse_card

    try:
        paper = parse_card(text, "mutated.md", Diagnostics())
    except CardError as exc:
        assert "\n" not in str(exc) and str(exc).startswith("mutated.md")
    else:
        assert paper.title


def test_a_folder_that_cannot_be_listed_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As root every folder is readable, so the refusal is simulated where the walk lists a folder."""
    import exograph.readers as readers

    cards = tmp_path / "cards"
    (cards / "locked").mkdir(parents=True)
    shutil.copy(SEED, cards / "good.md")
    real = os.scandir

    def scandir(path: str) -> object:
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(readers.os, "scandir", scandir)
    result = runner.invoke(app, ["build", str(cards), "-o", str(tmp_path / "out"), "--no-store"])
    errors = [line for line in result.stderr.splitlines() if line.startswith("exograph: error:")]
    assert errors == [f"exograph: error: {cards / 'locked'}: cannot read folder: Permission denied"]
    assert result.exit_code == 1 and "read 1 of 2 file(s)" in result.stderr


def test_an_output_path_that_is_a_file_is_one_line(tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.write_text("not a folder")
    result = runner.invoke(app, ["build", str(SEEDS), "-o", str(target)])
    assert result.exit_code == 1
    assert result.stderr.strip() == f"exograph: error: {target}: cannot use as the output folder: Not a directory"
    assert target.read_text() == "not a folder"


def test_a_long_pubtator_line_is_cut_too(tmp_path: Path) -> None:
    """Line-based inputs skip the walk over every string only when no line is longer than the cap."""
    from exograph.diagnostics import Diagnostics
    from exograph.readers import MAX_LITERAL, read_papers

    source = tmp_path / "long.pubtator"
    source.write_text(f"1|t|{'y' * (MAX_LITERAL + 10)}\n1|a|short\n\n", encoding="utf-8")
    diag = Diagnostics()
    papers = read_papers(source, diagnostics=diag)
    assert len(papers[0].title) == MAX_LITERAL
    assert [d.kind for d in diag.items] == ["text-truncated"]
