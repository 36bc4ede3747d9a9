"""Build time and peak memory for 1k, 10k and 100k realistic cards, against a floor and a naive baseline.

Run: python benchmarks/scale.py [--sizes 1000 10000 100000] [--naive-max 10000]

Each measurement runs in a fresh Python process and reports its wall time and
peak resident memory (ru_maxrss). In the same run, for the same triples:
- floor: pyoxigraph parsing graph.nt and writing Turtle (what any tool must at least do);
- naive: rdflib building a Graph from the same N-Triples and serialising Turtle.
Results: a Markdown table printed and written to benchmarks/results/scale.md.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def child(task: str, args: list[str]) -> None:
    start = time.perf_counter()
    info: dict[str, object] = {}
    if task == "build-turtle":
        from exograph.pipeline import build

        result = build([args[0]], args[1], outputs=["turtle", "ntriples"], store=False, incremental=False)
        info["papers"] = len(result.graph.papers)
        info["entities"] = len(result.graph.entities)
        info["cooccurrence"] = len(result.graph.cooccurrence)
        info["timings"] = result.timings
    elif task == "build-all":
        from exograph.pipeline import build

        info["timings"] = build([args[0]], args[1], incremental=False).timings
    elif task == "floor":
        import pyoxigraph as ox

        with open(args[0], "rb") as src, open(args[1], "wb") as dst:
            ox.serialize(ox.parse(src, ox.RdfFormat.N_TRIPLES), dst, ox.RdfFormat.TURTLE)
    elif task == "naive":
        import rdflib

        g = rdflib.Graph()
        g.parse(args[0], format="nt")
        g.serialize(args[1], format="turtle")
        info["triples"] = len(g)
    info["seconds"] = time.perf_counter() - start
    info["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(info))


def run(task: str, *args: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", task, *args], capture_output=True, text=True, check=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--naive-max", type=int, default=10000, help="largest size to run the rdflib baseline on")
    parser.add_argument("--work", type=Path, default=Path("/tmp/exograph-scale"))
    parser.add_argument("--child", nargs="+")
    ns = parser.parse_args()
    if ns.child:
        child(ns.child[0], ns.child[1:])
        return
    from benchmarks.synthetic import write_cards

    rows = []
    for n in ns.sizes:
        cards = write_cards(n, ns.work / f"cards-{n}")
        out = ns.work / f"out-{n}"
        turtle = run("build-turtle", str(cards), str(out))
        nt = out / "graph.nt"
        triples = sum(1 for _ in nt.open("rb"))
        floor = run("floor", str(nt), str(ns.work / f"floor-{n}.ttl"))
        full = run("build-all", str(cards), str(ns.work / f"all-{n}"))
        naive = run("naive", str(nt), str(ns.work / f"naive-{n}.ttl")) if n <= ns.naive_max else None
        row = {
            "cards": n,
            "triples": triples,
            "turtle": turtle,
            "floor": floor,
            "all": full,
            "naive": naive,
            "ttl_mb": (out / "graph.ttl").stat().st_size / 1e6,
        }
        rows.append(row)
        print(json.dumps(row), flush=True)
    lines = [
        "| cards | triples | build to Turtle+N-Triples (s) | peak MB | floor: pyoxigraph parse+write (s) | ratio to floor | naive rdflib (s) | naive peak MB | full build, all outputs + store (s) | full peak MB | Turtle MB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        naive = r["naive"]
        lines.append(
            f"| {r['cards']:,} | {r['triples']:,} | {r['turtle']['seconds']:.1f} | {r['turtle']['peak_mb']:,.0f} | "
            f"{r['floor']['seconds']:.1f} | {r['turtle']['seconds'] / r['floor']['seconds']:.1f}× | "
            + (f"{naive['seconds']:.1f} | {naive['peak_mb']:,.0f} | " if naive else "not run | not run | ")
            + f"{r['all']['seconds']:.1f} | {r['all']['peak_mb']:,.0f} | {r['ttl_mb']:,.0f} |"
        )
    table = "\n".join(lines)
    print(table)
    (ROOT / "benchmarks" / "results").mkdir(exist_ok=True)
    (ROOT / "benchmarks" / "results" / "scale.md").write_text(table + "\n")


if __name__ == "__main__":
    main()
