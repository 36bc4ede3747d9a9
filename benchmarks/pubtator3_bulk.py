"""Files of the shape of PubTator3's bulk downloads, generated as a stream (the corpus is never held in memory).

``bioconcepts2pubtator3.gz`` rows ``PMID<TAB>Type<TAB>ConceptID<TAB>Mentions<TAB>Resource`` and
``relation2pubtator3.gz`` rows ``PMID<TAB>type<TAB>Type|ConceptID<TAB>Type|ConceptID``, grouped by PMID.
About 30 concepts and 1 relation per abstract, as in PubTator3 (a billion annotations over 36 million
abstracts); entity pools of real size (NCBI Gene ~60,000 genes cited, MeSH ~12,000 diseases and ~25,000
chemicals, ~3,000 species) drawn with Zipf popularity, so that TP53, cancer and human are in many abstracts.

    python benchmarks/pubtator3_bulk.py 100000 /tmp/pt3       # writes the two files into /tmp/pt3
"""

from __future__ import annotations

import argparse
import bisect
import gzip
import itertools
import random
from pathlib import Path

__all__ = ["POOLS", "write_bulk"]

#: Type -> (pool size, mean concepts per abstract, id maker).
POOLS = {
    "Gene": (60_000, 9.0, lambda i: str(1 + i * 7)),
    "Disease": (12_000, 8.0, lambda i: f"MESH:D{i:06d}"),
    "Chemical": (25_000, 8.0, lambda i: f"MESH:C{i:06d}"),
    "Species": (3_000, 3.0, lambda i: str(9606 + i)),
    "Mutation": (200_000, 1.5, lambda i: f"RS#:{100000 + i}"),
    "CellLine": (5_000, 0.5, lambda i: f"CVCL_{i:04X}"),
}
_RELATIONS = [
    ("treat", "Chemical", "Disease"),
    ("cause", "Chemical", "Disease"),
    ("associate", "Gene", "Disease"),
    ("interact", "Gene", "Gene"),
    ("inhibit", "Chemical", "Gene"),
    ("stimulate", "Chemical", "Gene"),
]


def _zipf_table(size: int, exponent: float = 1.05) -> list[float]:
    weights = itertools.accumulate(1.0 / (i + 1) ** exponent for i in range(size))
    return list(weights)


def write_bulk(abstracts: int, folder: Path, *, seed: int = 1, first_pmid: int = 10_000_000) -> tuple[Path, Path]:
    """Write ``bioconcepts2pubtator3.gz`` and ``relation2pubtator3.gz`` for ``abstracts`` PMIDs into ``folder``."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    tables = {kind: _zipf_table(size) for kind, (size, _, _) in POOLS.items()}
    concepts_path, relations_path = folder / "bioconcepts2pubtator3.gz", folder / "relation2pubtator3.gz"
    with (
        gzip.open(concepts_path, "wt", encoding="utf-8", compresslevel=1) as concepts,
        gzip.open(relations_path, "wt", encoding="utf-8", compresslevel=1) as relations,
    ):
        for pmid in range(first_pmid, first_pmid + abstracts):
            chosen: dict[str, list[str]] = {}
            for kind, (_, mean, make) in POOLS.items():
                table = tables[kind]
                count = min(len(table), int(rng.expovariate(1 / mean) + 0.5)) if mean >= 1 else int(rng.random() < mean)
                ids = {make(bisect.bisect(table, rng.random() * table[-1])) for _ in range(count)}
                chosen[kind] = sorted(ids)
                for concept in chosen[kind]:
                    names = "|".join(
                        f"{kind.lower()} {concept}" + ("" if k == 0 else f" alt{k}") for k in range(rng.randint(1, 3))
                    )
                    concepts.write(f"{pmid}\t{kind}\t{concept}\t{names}\tPubTator3\n")
            for _ in range(int(rng.expovariate(1.0) + 0.5)):
                rtype, a, b = rng.choice(_RELATIONS)
                if chosen.get(a) and chosen.get(b):
                    first, second = rng.choice(chosen[a]), rng.choice(chosen[b])
                    if (a, first) != (b, second):
                        relations.write(f"{pmid}\t{rtype}\t{a}|{first}\t{b}|{second}\n")
    return concepts_path, relations_path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("abstracts", type=int)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    for path in write_bulk(args.abstracts, args.folder, seed=args.seed):
        print(path, path.stat().st_size)


if __name__ == "__main__":
    main()
