"""The HTML view in real headless Chromium: offline, safe against injected markup, and usable."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from exograph.pipeline import build
from exograph.writers.html import render_html

from .browser import chromium
from .conftest import SEED, SEEDS

pytestmark = pytest.mark.browser

HOSTILE_IMG = "<img src=x onerror=alert(1)>"
HOSTILE_SCRIPT = "</script><script>alert(1)</script>"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


class Session:
    """A page with every request, console message, page error and dialog recorded; the network is blocked."""

    def __init__(self, browser: Any, path: Path) -> None:
        self.requests: list[str] = []
        self.problems: list[str] = []
        self.dialogs: list[str] = []
        self.context = browser.new_context(viewport={"width": 1400, "height": 900})
        self.page = self.context.new_page()
        self.page.route("**/*", self._route)
        self.page.on(
            "console",
            lambda m: self.problems.append(f"console {m.type}: {m.text}") if m.type in ("error", "warning") else None,
        )
        self.page.on("pageerror", lambda e: self.problems.append(f"pageerror: {e}"))
        self.page.on("dialog", self._dialog)
        self.page.goto(path.resolve().as_uri())
        self.page.wait_for_function("window.exograph && window.exograph.state.stable", timeout=60_000)

    def _route(self, route: Any) -> None:
        self.requests.append(route.request.url)
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            route.abort()

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def close(self) -> None:
        self.context.close()


@pytest.fixture()
def seed_page(browser: Any, seed_build: Path) -> Iterator[Session]:
    session = Session(browser, seed_build / "graph.html")
    yield session
    session.close()


def test_offline_no_requests_no_console_errors(seed_page: Session, seed_build: Path) -> None:
    assert seed_page.requests == [(seed_build / "graph.html").resolve().as_uri()]
    assert seed_page.problems == []
    html = (seed_build / "graph.html").read_text()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html.split('<script type="application/json"')[0])
    assert "Content-Security-Policy" in html


def test_all_nodes_drawn(seed_page: Session) -> None:
    drawn = seed_page.page.evaluate("Object.keys(exograph.network.getPositions()).length")
    assert drawn == 125  # 109 nodes of the card, 16 MONDO diseases its MeSH diseases map to
    assert seed_page.page.evaluate("exograph.edges.length") == 125  # 108, and 17 exact matches


def test_search_by_alias_finds_vegfa(seed_page: Session) -> None:
    page = seed_page.page
    page.fill("#search", "VPF")
    page.press("#search", "Enter")
    assert page.evaluate("exograph.network.getSelectedNodes()") == ["NCBIGene:7422"]
    details = page.inner_text("#details")
    assert "VEGFA" in details and "Gene" in details and "VPF" in details
    link = page.get_attribute("#details a", "href")
    assert link == "https://www.ncbi.nlm.nih.gov/gene/7422"
    page.fill("#search", "MESH:D001943")
    page.press("#search", "Enter")
    assert page.evaluate("exograph.network.getSelectedNodes()") == ["MESH:D001943"]
    assert page.get_attribute("#details a", "href") == "https://meshb.nlm.nih.gov/record/ui?ui=D001943"


def test_gene_filter_hides_genes(seed_page: Session) -> None:
    page = seed_page.page
    page.uncheck("input[data-type=Gene]")
    hidden = page.evaluate("exograph.nodes.get({filter: n => n.hidden === true}).map(n => n.group)")
    assert len(hidden) == 60 and set(hidden) == {"Gene"}
    page.check("input[data-type=Gene]")
    assert page.evaluate("exograph.nodes.get({filter: n => n.hidden === true}).length") == 0


def test_click_node_opens_details_and_edges_show_type(seed_page: Session) -> None:
    page = seed_page.page
    pos = page.evaluate(
        "(() => { const p = exograph.network.canvasToDOM(exograph.network.getPositions(['NCBITaxon:10090'])['NCBITaxon:10090']); return [p.x, p.y]; })()"
    )
    box = page.locator("#network").bounding_box()
    page.mouse.click(box["x"] + pos[0], box["y"] + pos[1])
    details = page.inner_text("#details")
    assert "Mus musculus" in details and "house mouse" in details and "OrganismTaxon" in details
    assert (
        page.get_attribute("#details a", "href") == "https://www.ncbi.nlm.nih.gov/Taxonomy/Browser/wwwtax.cgi?id=10090"
    )
    titles = page.evaluate("exograph.edges.get().map(e => e.title.textContent)")
    assert set(titles) == {"mentions", "about", "authored_by", "published_in", "exactMatch"}


def test_screenshot_of_the_seed(seed_page: Session, tmp_path: Path) -> None:
    target = tmp_path / "seed-graph.png"
    seed_page.page.screenshot(path=str(target))
    data = target.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
    # Labels are drawn on the canvas: check a few are legible by reading the node label list the canvas uses.
    labels = seed_page.page.evaluate("exograph.nodes.get().map(n => n.label)")
    assert {"VEGFA", "Homo sapiens", "Frontiers in Oncology"} <= set(labels)


def _hostile_card(tmp_path: Path) -> Path:
    text = SEED.read_text()
    text = text.replace("# Potential role of exosomes", f"# {HOSTILE_IMG} Potential role of exosomes {HOSTILE_SCRIPT}")
    text = text.replace("**Authors:** Ying Yu", f"**Authors:** {HOSTILE_IMG} Ying Yu")
    text = text.replace("Fisetin (MESH:C017875)", f"{HOSTILE_SCRIPT} (MESH:C017875)")
    text = text.replace("CAR-T (-)", f"{HOSTILE_IMG} (-)")
    text = text.replace(
        "{aka L-VEGF, MVCD1, VEGF, VPF}", "{aka L-VEGF, MVCD1, VEGF, VPF, <b onmouseover=alert(2)>x</b>}"
    )
    cards = tmp_path / "cards"
    cards.mkdir()
    (cards / "hostile.md").write_text(text)
    return cards


def test_hostile_names_are_text_not_markup(browser: Any, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = build([_hostile_card(tmp_path)], out, outputs=["html"], store=False)
    assert result.ok
    html = (out / "graph.html").read_text()
    assert HOSTILE_SCRIPT not in html and HOSTILE_IMG not in html  # escaped inside the JSON data block
    session = Session(browser, out / "graph.html")
    try:
        page = session.page
        page.evaluate(
            "() => { window.__pwned = false; for (const f of ['alert', 'confirm', 'prompt']) "
            "{ window[f] = () => { window.__pwned = true; }; } }"
        )
        ids = page.evaluate(
            "exograph.data.nodes.filter(n => /alert/.test(n.label + (n.aliases||[]).join(' '))).map(n => n.id)"
        )
        assert len(ids) >= 4
        box = page.locator("#network").bounding_box()
        for node_id in ids:
            page.evaluate(f"exograph.network.focus({node_id!r}, {{scale: 1.0, animation: false}})")
            pos = page.evaluate(
                f"(() => {{ const p = exograph.network.canvasToDOM(exograph.network.getPositions([{node_id!r}])[{node_id!r}]); return [p.x, p.y]; }})()"
            )
            page.mouse.move(box["x"] + pos[0], box["y"] + pos[1])
            page.wait_for_timeout(250)
            page.mouse.click(box["x"] + pos[0], box["y"] + pos[1])
            details = page.inner_text("#details")
            assert "alert(" in details  # shown as text
        page.fill("#search", "onerror")
        page.press("#search", "Enter")
        assert page.locator("#details img").count() == 0
        assert page.locator("#details script").count() == 0
        assert page.locator("div.vis-tooltip img").count() == 0
        assert page.locator("b[onmouseover]").count() == 0
        assert page.evaluate("window.__pwned") is False
        assert session.dialogs == []
        assert page.evaluate("document.title").startswith("exograph")
        assert not [p for p in session.problems if "Content Security Policy" not in p], session.problems
        assert len(session.requests) == 1
    finally:
        session.close()


def test_size_limit_notice(browser: Any, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build([SEEDS], out, outputs=["html"], store=False, html_max_nodes=30)
    session = Session(browser, out / "graph.html")
    try:
        assert session.page.evaluate("Object.keys(exograph.network.getPositions()).length") == 30
        notice = session.page.inner_text("#notice")
        assert "top 30 of 125 nodes" in notice and "--html-max-nodes 0" in notice
    finally:
        session.close()


def test_render_is_deterministic() -> None:
    from exograph import build_graph, read_card

    kg = build_graph([read_card(SEED)])
    assert render_html(kg) == render_html(kg)
    assert shutil.which("true") is not None


def test_merged_node_lists_every_id_and_search_finds_it_by_any(browser: Any, tmp_path: Path) -> None:
    """--merge-mapped: the details panel links each of the node's ids to its source page; searching the MeSH id
    finds the MONDO node it was merged into."""
    out = tmp_path / "out"
    build([SEEDS], out, merge_mapped=True, outputs=["html"], store=False)
    session = Session(browser, out / "graph.html")
    try:
        page = session.page
        page.evaluate("exograph.search('MESH:D009369')")
        details = page.inner_text("#details")
        assert "MONDO:0005070" in details and "MESH:D009369" in details
        links = page.evaluate("Array.from(document.querySelectorAll('#details a')).map(a => [a.textContent, a.href])")
        assert ["MONDO:0005070", "http://purl.obolibrary.org/obo/MONDO_0005070"] in links
        assert ["MESH:D009369", "https://meshb.nlm.nih.gov/record/ui?ui=D009369"] in links
        assert session.problems == [] and session.dialogs == []
    finally:
        session.close()
