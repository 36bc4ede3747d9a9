"""Build time and peak memory for 1k, 10k and 100k realistic cards, against a floor and a naive baseline.

Run: python benchmarks/scale.py [--sizes 1000 10000 100000] [--naive-max 10000]

Each measurement is a fresh process (the real ``exograph build`` command for
exograph), timed from start to exit; peak memory is the largest sum of the
resident sizes of the process and its children, sampled every 50 ms from /proc
(a build reads with worker processes and serialises in child processes).
In the same run, for the same triples:
- floor: pyoxigraph parsing graph.nt and writing Turtle (what any tool must at least do);
- lenient floor: the same without re-checking IRIs (``lenient=True``, as exograph parses the
  statements it generates, whose IRIs are valid by construction): the stricter comparison;
- naive: rdflib building a Graph from the same N-Triples and serialising Turtle.
Results: a Markdown table printed and written to benchmarks/results/scale.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def child(task: str, args: list[str]) -> None:
    if task in ("floor", "floor-lenient"):
        import pyoxigraph as ox

        with open(args[0], "rb") as src, open(args[1], "wb") as dst:
            triples = ox.parse(src, ox.RdfFormat.N_TRIPLES, lenient=task == "floor-lenient")
            ox.serialize(triples, dst, ox.RdfFormat.TURTLE)
    elif task == "naive":
        import rdflib

        g = rdflib.Graph()
        g.parse(args[0], format="nt")
        g.serialize(args[1], format="turtle")


_PAGE = os.sysconf("SC_PAGE_SIZE")


def _tree_rss(root: int) -> int:
    """Resident bytes of a process and all its descendants, following /proc/PID/task/TID/children.

    Only the tree is read (not all of /proc), so sampling costs the measured build almost nothing.
    """
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        try:
            with open(f"/proc/{pid}/statm") as handle:
                total += int(handle.read().split()[1]) * _PAGE
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as handle:
                    todo.extend(int(child) for child in handle.read().split())
        except (OSError, ValueError):
            continue
    return total


def measure(command: list[str]) -> dict[str, float]:
    """Wall time and peak resident memory of a command and its children."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    peak = 0
    while process.poll() is None:
        peak = max(peak, _tree_rss(process.pid))
        time.sleep(0.05)
    seconds = time.perf_counter() - start
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed with exit status {process.returncode}")
    return {"seconds": seconds, "peak_mb": peak / 1e6}


def exograph_build(cards: Path, out: Path, *extra: str) -> dict[str, float]:
    """The real command: ``exograph build CARDS -o OUT --clean -q ...`` (no cache from an earlier run)."""
    return measure([sys.executable, "-m", "exograph", "build", str(cards), "-o", str(out), "--clean", "-q", *extra])


def run(task: str, *args: str) -> dict[str, float]:
    return measure([sys.executable, __file__, "--child", task, *args])


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
        shutil.rmtree(out, ignore_errors=True)
        turtle = exograph_build(cards, out, "--output", "turtle", "--no-store")
        # The same triples as N-Triples, for the floor and the naive baseline (not timed).
        exograph_build(cards, ns.work / f"nt-{n}", "--output", "ntriples", "--no-store")
        nt = ns.work / f"nt-{n}" / "graph.nt"
        triples = sum(1 for _ in nt.open("rb"))
        floor = run("floor", str(nt), str(ns.work / f"floor-{n}.ttl"))
        lenient = run("floor-lenient", str(nt), str(ns.work / f"floor-{n}.ttl"))
        shutil.rmtree(ns.work / f"all-{n}", ignore_errors=True)
        full = exograph_build(cards, ns.work / f"all-{n}")
        naive = run("naive", str(nt), str(ns.work / f"naive-{n}.ttl")) if n <= ns.naive_max else None
        row = {
            "cards": n,
            "triples": triples,
            "turtle": turtle,
            "floor": floor,
            "lenient": lenient,
            "all": full,
            "naive": naive,
            "ttl_mb": (out / "graph.ttl").stat().st_size / 1e6,
        }
        rows.append(row)
        print(json.dumps(row), flush=True)
    lines = [
        "| cards | triples | `exograph build` to Turtle (s) | peak MB | floor: pyoxigraph parse+write (s) | ratio to floor "
        "| lenient floor (s) | ratio to lenient floor | naive rdflib (s) | naive peak MB "
        "| full build, all outputs + store (s) | full peak MB | Turtle MB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        naive = r["naive"]
        lines.append(
            f"| {r['cards']:,} | {r['triples']:,} | {r['turtle']['seconds']:.1f} | {r['turtle']['peak_mb']:,.0f} | "
            f"{r['floor']['seconds']:.1f} | {r['turtle']['seconds'] / r['floor']['seconds']:.2f}× | "
            f"{r['lenient']['seconds']:.1f} | {r['turtle']['seconds'] / r['lenient']['seconds']:.2f}× | "
            + (f"{naive['seconds']:.1f} | {naive['peak_mb']:,.0f} | " if naive else "not run | not run | ")
            + f"{r['all']['seconds']:.1f} | {r['all']['peak_mb']:,.0f} | {r['ttl_mb']:,.0f} |"
        )
    table = "\n".join(lines)
    print(table)
    (ROOT / "benchmarks" / "results").mkdir(exist_ok=True)
    (ROOT / "benchmarks" / "results" / "scale.md").write_text(table + "\n")


if __name__ == "__main__":
    main()
