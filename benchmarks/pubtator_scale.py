"""PubTator3-shaped bulk files at growing sizes: the out-of-core plan in one process and on Dask, against a floor.

Run: python benchmarks/pubtator_scale.py [--sizes 100000 1000000] [--runs plan dask2 ...] [--out FILE.md]

For each size, bulk files of PubTator3's shape (benchmarks/pubtator3_bulk.py: ~30 concepts and ~1 relation per
abstract, entity pools of real size with Zipf popularity) are generated once, then each run is one fresh
process, timed from start to exit, with the peak resident memory of its whole process tree (a Dask cluster's
workers included), sampled from /proc:

- ``memory``: ``exograph build FILES -o OUT --output nquads-shards --no-store --plan memory`` (the in-memory
  graph; only up to ``--memory-max`` abstracts, where it fits)
- ``plan``: the same with ``--plan tables`` (the out-of-core plan, every stage in this process)
- ``dask1`` / ``dask2``: the same with ``--engine dask -j N`` (a LocalCluster of N worker processes)
- ``dask2-store``: ``dask2`` writing the embedded store too (without ``--no-store``): the whole build of
  shards and store in one command, as a user runs it
- ``store``: the embedded store bulk-loaded from the plan's shards (``exograph.store.load_shards``)
- ``floor``: pyoxigraph parsing the same statements (the shards) and writing Turtle, in one process

Disk is the size of OUT. "statements/s per core" divides the statements by the wall time and the cores the run
used, so it is comparable across engines. Results go to the Markdown file, with the figures the README's
extrapolation uses.
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from pubtator3_bulk import write_bulk  # noqa: E402
from scale import measure  # noqa: E402

# name: (arguments added to the build's, cores it uses); every run but dask2-store skips the store
RUNS = {
    "memory": (["--plan", "memory", "--no-store"], 1),
    "plan": (["--plan", "tables", "--no-store"], 1),
    "dask1": (["--engine", "dask", "-j", "1", "--no-store"], 1),
    "dask2": (["--engine", "dask", "-j", "2", "--no-store"], 2),
    "dask2-store": (["--engine", "dask", "-j", "2"], 2),
}


def floor(shards: Path, target: Path) -> None:
    """The floor task: parse every shard with pyoxigraph and write the statements as Turtle."""
    import pyoxigraph as ox

    manifest = json.loads((shards / "manifest.json").read_text())

    def triples() -> object:
        for shard in manifest["shards"]:
            with gzip.open(shards / shard["file"], "rb") as src:
                for quad in ox.parse(src, ox.RdfFormat.N_QUADS, lenient=True):
                    yield quad.triple

    with open(target, "wb") as out:
        ox.serialize(triples(), out, ox.RdfFormat.TURTLE)


def store(shards: Path, target: Path) -> None:
    """The store task: exograph's own loader, from the shards."""
    from exograph.store import load_shards

    manifest = json.loads((shards / "manifest.json").read_text())
    load_shards([shards / s["file"] for s in manifest["shards"]], target)


def _remove(path: Path) -> None:
    """A store folder or a Turtle file left by a task, whichever it is."""
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def _disk(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def run(sizes: list[int], runs: list[str], work: Path, memory_max: int) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    exograph = [sys.executable, "-m", "exograph", "build"]
    for size in sizes:
        data = work / f"bulk-{size}"
        if not (data / "relation2pubtator3.gz").exists():
            write_bulk(size, data)
        inputs = [str(data / "bioconcepts2pubtator3.gz"), str(data / "relation2pubtator3.gz")]
        # -v: the build prints each stage's time to this script's standard error, beside the run's figures.
        common = ["--output", "nquads-shards", "--clean", "-v", "--no-default-mappings"]
        results: dict[str, dict[str, float]] = {}
        shards: Path | None = None
        for name in runs:
            if name in ("store", "floor") or (name == "memory" and size > memory_max):
                continue
            extra, cores = RUNS[name]
            out = work / f"out-{size}-{name}"
            shutil.rmtree(out, ignore_errors=True)
            figures = measure([*exograph, *inputs, "-o", str(out), *common, *extra])
            manifest = json.loads((out / "rdf" / "manifest.json").read_text())
            figures["statements"] = manifest["statements"]
            figures["disk_mb"] = _disk(out) / 1e6
            figures["per_core"] = manifest["statements"] / figures["seconds"] / cores
            results[name] = figures
            shards = out / "rdf"
            print(size, name, {k: round(v, 1) for k, v in figures.items()}, flush=True)
        if shards is not None:
            for name in ("store", "floor"):
                if name in runs:
                    target = work / f"{name}-{size}"
                    _remove(target)
                    results[name] = measure([sys.executable, __file__, f"--{name}", str(shards), str(target)])
                    results[name]["disk_mb"] = (_disk(target) if target.is_dir() else target.stat().st_size) / 1e6
                    print(size, name, {k: round(v, 1) for k, v in results[name].items()}, flush=True)
                    _remove(target)
        rows.append({"abstracts": size, **results})
    return rows


def table(rows: list[dict[str, object]]) -> str:
    lines = [
        "| abstracts | statements | run | wall (s) | peak MB (tree) | disk MB | statements/s per core | ratio to floor |",
        "|---:|---:|---|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        floor_s = row["floor"]["seconds"] if "floor" in row else None  # type: ignore[index]
        for name in (*RUNS, "store", "floor"):
            if name not in row:
                continue
            r = row[name]  # type: ignore[index]
            statements = r.get("statements")
            per_core = f"{r['per_core']:,.0f}" if "per_core" in r else ""
            ratio = f"{r['seconds'] / floor_s:.2f}×" if floor_s else ""
            lines.append(
                f"| {row['abstracts']:,} | {f'{statements:,}' if statements else ''} | {name} | {r['seconds']:.1f} | "
                f"{r['peak_mb']:,.0f} | {r.get('disk_mb', 0):,.0f} | {per_core} | {ratio} |"
            )
        if "dask1" in row and "dask2" in row:
            speedup = row["dask1"]["seconds"] / row["dask2"]["seconds"]  # type: ignore[index]
            lines.append(f"| {row['abstracts']:,} |  | dask2 against dask1 | {speedup:.2f}× faster |  |  |  |  |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100000])
    parser.add_argument("--runs", nargs="+", default=["memory", "plan", "dask1", "dask2", "store", "floor"])
    parser.add_argument("--memory-max", type=int, default=100000, help="largest size to run the in-memory graph on")
    parser.add_argument("--work", type=Path, default=Path("/tmp/exograph-pubtator-scale"))
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "pubtator_scale.md")
    parser.add_argument("--floor", nargs=2, type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--store", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.floor:
        floor(*args.floor)
        return
    if args.store:
        store(*args.store)
        return
    args.work.mkdir(parents=True, exist_ok=True)
    start = time.time()
    text = table(run(args.sizes, args.runs, args.work, args.memory_max))
    header = (
        f"Measured by `python benchmarks/pubtator_scale.py --sizes {' '.join(map(str, args.sizes))} "
        f"--runs {' '.join(args.runs)}` on {time.strftime('%Y-%m-%d')} ({time.time() - start:.0f} s in all)\n\n"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "a", encoding="utf-8") as handle:
        handle.write(header + text + "\n")
    print(header + text)


if __name__ == "__main__":
    main()
