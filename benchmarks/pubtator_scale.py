"""PubTator3-shaped bulk files at growing sizes: the local engine against Dask with 1 and 2 workers, and a floor.

Run: python benchmarks/pubtator_scale.py [--sizes 20000 100000] [--out benchmarks/results/pubtator_scale.md]

For each size, bulk files of PubTator3's shape (benchmarks/pubtator3_bulk.py: ~27 concepts and ~1 relation per
abstract, Zipf popularity) are generated once, then each of these is one fresh process, timed from start to exit,
with the peak resident memory of its whole process tree (a Dask cluster's workers included), sampled from /proc:

- local: ``exograph build FILES -o OUT --output nquads-shards --no-store --clean``
- dask -j 1 / dask -j 2: the same with ``--engine dask -j N`` (a LocalCluster of N worker processes)
- floor: pyoxigraph parsing the same statements (the shards) and writing N-Quads again

Disk is the size of OUT. "statements/s per core" divides the statements by the wall time and the cores the
engine used (1 for local, N for dask), so it is comparable across engines. Results go to the Markdown file.
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


def floor(shards: Path, target: Path) -> None:
    """The floor task: parse every shard with pyoxigraph and write the statements again."""
    import pyoxigraph as ox

    manifest = json.loads((shards / "manifest.json").read_text())
    with open(target, "wb") as out:
        for shard in manifest["shards"]:
            with gzip.open(shards / shard["file"], "rb") as src:
                ox.serialize(ox.parse(src, ox.RdfFormat.N_QUADS, lenient=True), out, ox.RdfFormat.N_QUADS)


def _disk(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def run(sizes: list[int], work: Path) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    exograph = [sys.executable, "-m", "exograph", "build"]
    for size in sizes:
        data = work / f"bulk-{size}"
        if not (data / "relation2pubtator3.gz").exists():
            write_bulk(size, data)
        inputs = [str(data / "bioconcepts2pubtator3.gz"), str(data / "relation2pubtator3.gz")]
        common = ["--output", "nquads-shards", "--no-store", "--clean", "-q", "--no-default-mappings"]
        results: dict[str, dict[str, float]] = {}
        for name, extra, cores in (
            ("local", [], 1),
            ("dask -j 1", ["--engine", "dask", "-j", "1"], 1),
            ("dask -j 2", ["--engine", "dask", "-j", "2"], 2),
        ):
            out = work / f"out-{size}-{name.replace(' ', '')}"
            shutil.rmtree(out, ignore_errors=True)
            figures = measure([*exograph, *inputs, "-o", str(out), *common, *extra])
            manifest = json.loads((out / "rdf" / "manifest.json").read_text())
            figures["statements"] = manifest["statements"]
            figures["disk_mb"] = _disk(out) / 1e6
            figures["per_core"] = manifest["statements"] / figures["seconds"] / cores
            results[name] = figures
        shards = work / f"out-{size}-local" / "rdf"
        results["floor"] = measure([sys.executable, __file__, "--floor", str(shards), str(work / "floor.nq")])
        rows.append({"abstracts": size, **{k: v for k, v in results.items()}})
    return rows


def table(rows: list[dict[str, object]]) -> str:
    lines = [
        "| abstracts | statements | engine | wall (s) | peak MB (tree) | disk MB | statements/s per core | ratio to floor |",
        "|---:|---:|---|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        floor_s = row["floor"]["seconds"]  # type: ignore[index]
        for name in ("local", "dask -j 1", "dask -j 2"):
            r = row[name]  # type: ignore[index]
            lines.append(
                f"| {row['abstracts']:,} | {r['statements']:,} | {name} | {r['seconds']:.1f} | {r['peak_mb']:,.0f} | "
                f"{r['disk_mb']:,.0f} | {r['per_core']:,.0f} | {r['seconds'] / floor_s:.2f}× |"
            )
        lines.append(
            f"| {row['abstracts']:,} |  | floor (pyoxigraph) | {floor_s:.1f} | {row['floor']['peak_mb']:,.0f} |  |  | 1.00× |"
        )  # type: ignore[index]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20000, 100000])
    parser.add_argument("--work", type=Path, default=Path("/tmp/exograph-pubtator-scale"))
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "pubtator_scale.md")
    parser.add_argument("--floor", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.floor:
        floor(*args.floor)
        return
    args.work.mkdir(parents=True, exist_ok=True)
    start = time.time()
    text = table(run(args.sizes, args.work))
    header = f"Measured by benchmarks/pubtator_scale.py on {time.strftime('%Y-%m-%d')} ({time.time() - start:.0f} s in all)\n\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(header + text, encoding="utf-8")
    print(header + text)


if __name__ == "__main__":
    main()
