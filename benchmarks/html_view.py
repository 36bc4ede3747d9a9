"""How fast the HTML view becomes interactive in headless Chromium, for 1k, 5k and 20k nodes.

Run: python benchmarks/html_view.py [--sizes 1000 5000 20000]
Prints a Markdown table (also written to benchmarks/results/html_view.md).
"First drawing" is measured in the page: milliseconds from navigation start to
the first drawn frame with final positions (no physics runs: positions are
precomputed), i.e. when the graph can be panned, searched and clicked.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.synthetic import make_papers
from exograph import build_graph, to_networkx
from exograph.writers.html import write_html
from tests.browser import ARGS, CHROMIUM


def graph_of_size(nodes: int):  # type: ignore[no-untyped-def]
    """About ``nodes`` nodes with four edges per node (papers, authors, journals, entities they mention)."""
    papers = max(10, int(nodes / 5.6))
    kg = build_graph(
        make_papers(
            papers,
            genes=8,
            diseases=4,
            chemicals=3,
            species=1,
            gene_pool=nodes,
            disease_pool=nodes // 4,
            chemical_pool=nodes // 3,
        ),
        min_papers=10**9,
    )
    return kg


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 20000])
    parser.add_argument("--out", type=Path, default=Path("/tmp/exograph-html-bench"))
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    rows = []
    args.out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for size in args.sizes:
            kg = graph_of_size(size)
            g = to_networkx(kg)
            for limit in [5000, 0] if g.number_of_nodes() > 5000 else [5000]:
                path = args.out / f"view-{size}-{limit}.html"
                t = time.perf_counter()
                write_html(kg, path, max_nodes=limit)
                write_s = time.perf_counter() - t
                page = browser.new_page(viewport={"width": 1400, "height": 900})
                t = time.perf_counter()
                page.goto(path.as_uri())
                page.wait_for_function("window.exograph && window.exograph.state.stable", timeout=300_000)
                wall = time.perf_counter() - t
                drawn_ms = page.evaluate("exograph.state.drawn")
                shown = page.evaluate("Object.keys(exograph.network.getPositions()).length")
                shown_edges = page.evaluate("exograph.edges.length")
                page.screenshot(path=str(args.out / f"view-{size}-{limit}.png"))
                page.close()
                rows.append(
                    (
                        g.number_of_nodes(),
                        g.number_of_edges(),
                        limit or "none",
                        shown,
                        shown_edges,
                        write_s,
                        drawn_ms / 1000,
                        wall,
                        path.stat().st_size / 1e6,
                    )
                )
                print(rows[-1], flush=True)
        browser.close()
    lines = [
        "| graph nodes | graph edges | --html-max-nodes | nodes drawn | edges drawn | write HTML (s) | first drawing in page (s) | load to interactive, wall (s) | file (MB) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r[0]:,} | {r[1]:,} | {r[2]} | {r[3]:,} | {r[4]:,} | {r[5]:.1f} | {r[6]:.2f} | {r[7]:.2f} | {r[8]:.1f} |"
        )
    table = "\n".join(lines)
    print(table)
    Path(__file__).with_name("results").mkdir(exist_ok=True)
    (Path(__file__).with_name("results") / "html_view.md").write_text(table + "\n")


if __name__ == "__main__":
    main()
