"""Realistic synthetic paper cards for benchmarks.

Entity counts per card follow the seed card and BioRED (tens of genes, diseases
and chemicals, a few species); entity popularity is Zipf-like so that popular
entities (TP53, cancer, human) are shared by many papers, as in real corpora.
"""

from __future__ import annotations

import random
from pathlib import Path

from exograph.models import Entity, Link, Paper, SourceRef

__all__ = ["make_papers", "render_card", "write_cards"]


def _pool(rng: random.Random, size: int, weights_exp: float = 1.1) -> list[float]:
    return [1.0 / (i + 1) ** weights_exp for i in range(size)]


def make_papers(
    n: int,
    *,
    seed: int = 1,
    genes: int = 25,
    diseases: int = 12,
    chemicals: int = 8,
    species: int = 2,
    gene_pool: int = 20000,
    disease_pool: int = 5000,
    chemical_pool: int = 8000,
) -> list[Paper]:
    """``n`` papers with per-card entity counts drawn around the given means."""
    rng = random.Random(seed)
    pools = {
        "Gene": (gene_pool, genes),
        "Disease": (disease_pool, diseases),
        "ChemicalEntity": (chemical_pool, chemicals),
        "OrganismTaxon": (40, species),
    }
    cumulative = {t: _pool(rng, size) for t, (size, _) in pools.items()}
    papers = []
    for i in range(n):
        entities: list[Entity] = []
        for etype, (size, mean) in pools.items():
            count = max(1, int(rng.gauss(mean, mean / 3)))
            picks = sorted(set(rng.choices(range(size), weights=cumulative[etype], k=count)))
            for j in picks:
                entities.append(_entity(etype, j, rng))
        papers.append(
            Paper(
                title=f"Synthetic study {i} of gene {entities[0].name} in disease",
                authors=tuple(f"Author {rng.randrange(n * 2)}" for _ in range(rng.randint(1, 6))),
                journal=f"Journal {rng.randrange(max(10, n // 50))}",
                pmcid=f"PMC{9000000 + i}",
                doi=f"10.9999/synthetic.{i}",
                tldr="A synthetic paper for benchmarks.",
                key_findings=("Finding one.", "Finding two."),
                abstract="Synthetic abstract " * 20,
                entities=tuple(entities),
                links=(Link(kind="source", url=f"https://example.org/paper/PMC{9000000 + i}"),),
                source=SourceRef(path=f"synthetic/{i:07d}.md", format="card"),
            )
        )
    return papers


def _entity(etype: str, j: int, rng: random.Random) -> Entity:
    if etype == "Gene":
        symbol = f"G{j}"
        return Entity(
            type="Gene",
            curie=f"NCBIGene:{100 + j}",
            raw_id=str(100 + j),
            name=symbol,
            symbol=symbol,
            full_name=f"gene number {j} (synthetic) member",
            aliases=tuple(f"{symbol}-A{k}" for k in range(j % 4)),
        )
    if etype == "Disease":
        return Entity(
            type="Disease", curie=f"MESH:D{100000 + j:06d}", raw_id=f"MESH:D{100000 + j:06d}", name=f"disease {j}"
        )
    if etype == "ChemicalEntity":
        if j % 97 == 0:
            return Entity(type="ChemicalEntity", curie=None, raw_id="-", name=f"unmapped chemical {j}")
        return Entity(
            type="ChemicalEntity",
            curie=f"MESH:C{200000 + j:06d}",
            raw_id=f"MESH:C{200000 + j:06d}",
            name=f"chemical {j}",
        )
    taxon = [9606, 10090, 10116, 7955, 6239, 7227, 4932, 562][j % 8] + (j // 8) * 100000
    return Entity(
        type="OrganismTaxon",
        curie=f"NCBITaxon:{taxon}",
        raw_id=str(taxon),
        name=f"species {j}",
        common_name=f"critter {j}",
        rank="species",
    )


def render_card(paper: Paper) -> str:
    """The paper as a card in the seed's format."""
    by_type: dict[str, list[Entity]] = {}
    for e in paper.entities:
        by_type.setdefault(e.type, []).append(e)

    def gene(e: Entity) -> str:
        aka = f" {{aka {', '.join(e.aliases)}}}" if e.aliases else ""
        return f"{e.name} ({e.full_name}) [NCBI Gene {e.raw_id}]{aka}"

    def generic(e: Entity) -> str:
        return f"{e.name} ({e.curie or '-'})"

    def taxon(e: Entity) -> str:
        return f"{e.name} ({e.common_name}, {e.rank}) [taxon {e.raw_id}]"

    lines = [
        f"# {paper.title}",
        "",
        f"**Authors:** {', '.join(paper.authors)}",
        "",
        f"PMC · DOI: {paper.doi} · {paper.journal} · 2025-01-01",
        "",
        "## TL;DR",
        "",
        paper.tldr or "",
        "",
        "## Key findings",
        "",
        *[f"- {f}" for f in paper.key_findings],
        "",
        "## Abstract",
        "",
        paper.abstract or "",
        "",
        "## Full-text entities",
        "",
        f"- **Genes:** {', '.join(gene(e) for e in by_type.get('Gene', []))}",
        f"- **Diseases:** {', '.join(generic(e) for e in by_type.get('Disease', []))}",
        f"- **Chemicals:** {', '.join(generic(e) for e in by_type.get('ChemicalEntity', []))}",
        f"- **Species:** {', '.join(taxon(e) for e in by_type.get('OrganismTaxon', []))}",
        "",
        "---",
        f"Source: https://tomesphere.com/paper/{paper.pmcid}",
        "",
    ]
    return "\n".join(lines)


def write_cards(n: int, folder: Path, *, seed: int = 1) -> Path:
    """Write ``n`` synthetic cards into ``folder`` (skipped when already there)."""
    folder.mkdir(parents=True, exist_ok=True)
    if len(list(folder.glob("*.md"))) == n:
        return folder
    for i, paper in enumerate(make_papers(n, seed=seed)):
        (folder / f"{i:07d}.md").write_text(render_card(paper), encoding="utf-8")
    return folder
