"""Where the embedded store's load from shards spends its time, and what its compaction buys queries.

Run: python benchmarks/store_load.py SHARDS_DIR STORE_DIR [--no-compact]

``SHARDS_DIR`` is a build's ``OUT/rdf`` (``exograph build … --output nquads-shards``). The store is loaded as
``exograph.store.load_shards`` loads it, with each step timed apart: oxigraph's bulk load, the flush, and the
compaction (``optimize``). ``--no-compact`` stops after the bulk load (oxigraph's own ``oxigraph load`` leaves
compaction to a later ``oxigraph optimize``). Then a few typical queries run on the store, opened read-only as
``exograph query`` opens it: each is timed on its first run and as the median of three more.

The queries name entities of the generated bulk files (``benchmarks/pubtator3_bulk.py``): MeSH C000002, a
chemical mentioned by about a quarter of the papers (231,563 of 999,997 at 1,000,000 abstracts), and D007411,
mentioned by a few dozen.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import time
from pathlib import Path

import pyoxigraph as ox

from exograph.rdf import chunk_stream
from exograph.store import run_query
from exograph.writers.shards import read_manifest, shard_blocks

QUERIES = {
    "an entity's paper count": "SELECT ?n WHERE { MESH:D007411 exo:paperCount ?n }",
    "papers mentioning an entity": "SELECT (COUNT(?p) AS ?n) WHERE { ?p biolink:mentions MESH:D007411 }",
    "co-occurrences of an entity": "SELECT (COUNT(?a) AS ?n) WHERE { ?a biolink:subject MESH:C000002 }",
    "top 10 partners by shared papers": (
        "SELECT ?o ?c WHERE { ?a biolink:subject MESH:C000002 ; biolink:object ?o ; biolink:concept_pair_count ?c }"
        " ORDER BY DESC(?c) LIMIT 10"
    ),
    "papers mentioning two entities": (
        "SELECT (COUNT(?p) AS ?n) WHERE { ?p biolink:mentions MESH:C000002 , MESH:D007411 }"
    ),
}


def load(shards: list[Path], target: Path, *, compact: bool) -> dict[str, float]:
    """Load the shards into a fresh store at ``target``; the seconds of each step."""
    shutil.rmtree(target, ignore_errors=True)
    times: dict[str, float] = {}
    start = time.perf_counter()
    store = ox.Store(str(target))
    store.bulk_load(chunk_stream(shard_blocks(shards)), format=ox.RdfFormat.N_QUADS, lenient=True)
    times["bulk load"] = time.perf_counter() - start
    if compact:
        start = time.perf_counter()
        store.flush()
        times["flush"] = time.perf_counter() - start
        start = time.perf_counter()
        store.optimize()
        times["optimize"] = time.perf_counter() - start
    del store
    return times


def query_times(target: Path) -> list[tuple[str, float, float, int]]:
    """Each query's name, first-run and median-of-three seconds, and its number of rows."""
    store = ox.Store.read_only(str(target))
    rows = []
    for name, sparql in QUERIES.items():
        seconds = []
        answer: list[object] = []
        for _ in range(4):
            start = time.perf_counter()
            result = run_query(store, sparql)
            assert isinstance(result, ox.QuerySolutions)  # every query here is a SELECT
            answer = list(result)
            seconds.append(time.perf_counter() - start)
        rows.append((name, seconds[0], statistics.median(seconds[1:]), len(answer)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("shards", type=Path, help="a build's OUT/rdf folder")
    parser.add_argument("store", type=Path, help="where to write the store (replaced)")
    parser.add_argument("--no-compact", action="store_true", help="skip the flush and the compaction")
    args = parser.parse_args()
    # The manifest's list, each shard checked against its size and SHA-256 before the clock starts.
    shards = [args.shards / str(entry["file"]) for entry in read_manifest(args.shards)["shards"]]  # type: ignore[attr-defined]
    times = load(shards, args.store, compact=not args.no_compact)
    size = sum(p.stat().st_size for p in args.store.rglob("*") if p.is_file())
    print(f"{len(shards)} shards, {'no compaction' if args.no_compact else 'compacted'}; store {size / 1e6:,.0f} MB")
    print(
        ", ".join(f"{step} {seconds:.1f} s" for step, seconds in times.items()) + f"; total {sum(times.values()):.1f} s"
    )
    print("\n| query | first run (ms) | median of 3 more (ms) | rows |\n|---|---:|---:|---:|")
    for name, first, median, count in query_times(args.store):
        print(f"| {name} | {first * 1000:,.1f} | {median * 1000:,.1f} | {count} |")


if __name__ == "__main__":
    main()
