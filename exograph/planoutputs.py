"""The out-of-core plan's outputs: everything is made from the statement shards and the stage tables.

The shards are the plan's RDF: ``rdf/part-NNNNN.nq.gz`` with a manifest (moved,
not copied, into the build's generation folder), ``graph.nq`` their
concatenation, Turtle, N-Triples and TriG parsed from them by pyoxigraph a
stream at a time, and the embedded store bulk-loaded from them. The summary is
counted from the stage reports and tables, never from a graph in memory.
"""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .outofcore import PlanResult
from .writers.shards import shard_blocks

if TYPE_CHECKING:
    from .graph import KnowledgeGraph
    from .sssom import MappingSet
    from .writers import OutputFormat

__all__ = ["plan_summary", "write_plan_outputs"]


def write_plan_outputs(
    plan: PlanResult,
    out: Path,
    outputs: Sequence[OutputFormat],
    *,
    store: bool,
    mapping_sets: Sequence[MappingSet] = (),
    html_max_nodes: int | None = None,
) -> dict[str, Path]:
    """Write the asked outputs of a finished plan into ``out`` (the build's generation folder).

    GraphML and HTML hold the entity-level graph (entities, mappings, co-occurrence edges), as the in-memory
    build writes them above their limits; ``mapping_sets`` are the build's, linked into it the same way.
    """
    import json

    from .writers import FILE_NAMES
    from .writers.shards import shard_record, write_manifest

    written: dict[str, Path] = {}
    shards = plan.shards()
    summary: dict[str, Any] | None = None
    view: KnowledgeGraph | None = None
    for fmt in outputs:
        path = out / FILE_NAMES[fmt]
        if fmt == "nquads":
            with open(path, "wb") as handle:
                for block in shard_blocks(p for p, _ in shards):
                    handle.write(block)
        elif fmt in ("ntriples", "turtle", "trig"):
            _convert(shards, path, fmt)
        elif fmt in ("summary-json", "summary-md"):
            from .writers.summary import render_markdown

            summary = summary or plan_summary(plan)  # counted once for both files
            text = (
                render_markdown(summary) if fmt == "summary-md" else json.dumps(summary, indent=2, ensure_ascii=False)
            )
            path.write_text(text + ("\n" if fmt == "summary-json" else ""), encoding="utf-8")
        elif fmt == "nquads-shards":
            continue  # moved last, below: the other outputs read the shards first
        elif fmt in ("graphml", "html"):
            if view is None:
                from .stages.view import entity_view

                view = entity_view(plan.layout, mapping_sets)
            _write_view(view, path, fmt, html_max_nodes)
            plan.diagnostics.append(
                _warning(
                    "entity-level-view",
                    f"{FILE_NAMES[fmt]} holds entities and co-occurrence edges only: the out-of-core plan keeps "
                    "papers, authors and mentions in the RDF (use --plan memory for everything)",
                )
            )
        else:
            plan.diagnostics.append(
                _warning("output-not-written", f"{FILE_NAMES[fmt]} is not written by the out-of-core plan")
            )
            continue
        written[fmt] = path
    if store:
        from .store import STORE_DIR, load_shards

        written["store"] = load_shards([p for p, _ in shards], out / STORE_DIR)
    if "nquads-shards" in outputs:
        folder = out / FILE_NAMES["nquads-shards"]
        folder.mkdir()
        records = []
        for number, (path, statements) in enumerate(shards):
            name = f"part-{number:05d}.nq.gz"
            shutil.move(path, folder / name)
            records.append(shard_record(folder / name, name, statements))
        write_manifest(folder, records)
        written["nquads-shards"] = folder
    return written


def _write_view(view: KnowledgeGraph, path: Path, fmt: str, html_max_nodes: int | None) -> None:
    if fmt == "graphml":
        from .writers.graphml import write_graphml

        write_graphml(view, path, entities_only=True)
        return
    from .writers.html import DEFAULT_MAX_NODES, write_html

    write_html(view, path, max_nodes=DEFAULT_MAX_NODES if html_max_nodes is None else html_max_nodes)


def _warning(kind: str, message: str) -> Any:
    from .models import Diagnostic

    return Diagnostic(kind=kind, message=message)


def _convert(shards: list[tuple[Path, int]], path: Path, target: str) -> None:
    """Turtle, N-Triples or TriG from the shards, streamed through pyoxigraph with the standard prefixes."""
    from pyoxigraph import RdfFormat, parse

    from .iris import RDF_PREFIXES
    from .rdf import chunk_stream
    from .rdfconvert import convert

    statements = parse(chunk_stream(shard_blocks(p for p, _ in shards)), format=RdfFormat.N_QUADS, lenient=True)
    prefixes = RDF_PREFIXES if target in ("turtle", "trig") else None
    with open(path, "wb") as handle:
        convert(statements, handle, target, prefixes, drop_graphs=target != "trig")


def plan_summary(plan: PlanResult) -> dict[str, Any]:
    """The build summary (the keys of :func:`exograph.writers.summary.summarize`) from the stage reports and tables."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from .stages.schemas import entity_types, paper_counts
    from .tables import read_table

    layout = plan.layout
    types = entity_types(layout)
    added = layout.path("extras", "nodes.arrow")
    if added.is_file():  # nodes reached through a mapping: in no paper
        types = pa.concat_tables([types, read_table(added)])
    counts = paper_counts(layout)
    nodes: Counter[str] = Counter(types["type"].to_pylist())
    extras = plan.counted("extras")
    papers_counts = plan.counted("papers")
    nodes.update({"Paper": layout.total, "Author": extras.get("Author", 0), "Journal": extras.get("Journal", 0)})
    edges: Counter[str] = Counter()
    for key in ("authored_by", "published_in", "about", "mentions"):
        edges[key] = papers_counts.get(key, 0)
    edges.update({k.partition(":")[2]: v for k, v in papers_counts.items() if k.startswith("relation:")})
    edges["co_occurs_with"] = plan.counted("cooccurrence").get("co_occurs_with", 0)
    edges.update({k.partition(":")[2]: v for k, v in extras.items() if k.startswith("mapping:")})
    prefixes = Counter(k.split(":", 1)[0] for k in types["key"].to_pylist() if not k.startswith("exo.id:"))
    joined = types.join(counts, keys="key", join_type="left outer")
    joined = joined.set_column(joined.schema.get_field_index("papers"), "papers", pc.fill_null(joined["papers"], 0))
    top: dict[str, list[dict[str, Any]]] = {}
    for etype in sorted(set(types["type"].to_pylist())):
        ranked = joined.filter(pc.equal(joined["type"], etype)).sort_by(
            [("papers", "descending"), ("key", "ascending")]
        )
        top[etype] = [
            {"id": r["key"], "label": r["label"], "papers": r["papers"]} for r in ranked.slice(0, 10).to_pylist()
        ]
    without_ids = types.filter(pc.is_null(types["curie"]))["key"].to_pylist()
    warnings: dict[str, dict[str, Any]] = {}
    by_kind = Counter(d.kind for d in plan.diagnostics)
    for d in plan.diagnostics:
        warnings.setdefault(d.kind, {"count": by_kind[d.kind], "example": str(d)})
    entity_counts = plan.counted("counts")
    return {
        "papers": layout.total,
        "nodes": dict(sorted((+nodes).items())),
        "edges": dict(sorted((+edges).items())),
        "id_prefixes": dict(sorted(prefixes.items())),
        "top_entities": top,
        "papers_without_entities": papers_counts.get("without_entities", 0),
        "entities_without_ids": sorted(without_ids),
        "singletons": entity_counts.get("singletons", 0),
        "merges": {
            "papers": sum(r.merges.get("paper", 0) for s in ("read", "papers") for r in plan.reports.get(s, [])),
            "entities_in_several_papers": entity_counts.get("several_papers", 0),
            "entities_with_several_names": plan.counted("entities").get("several_names", 0),
        },
        "mappings": {
            "used": extras.get("mappings", 0),
            "by_predicate": {k.partition(":")[2]: v for k, v in sorted(extras.items()) if k.startswith("mapping:")},
            "by_set": {},
            "nodes_added": extras.get("mapping-node", 0),
            "cliques_merged": 0,
            "ids_merged": 0,
            "cliques_not_merged": [],
        },
        "warnings": dict(sorted(warnings.items())),
        "failed_inputs": [{"path": f.path, "error": str(f)} for f in plan.failures],
        "plan": {
            "buckets": layout.buckets,
            "pair_buckets": layout.pair_buckets,
            "tasks": sum(len(r) for r in plan.reports.values()),
            "tasks_resumed": plan.resumed,
            "statements": sum(n for _, n in plan.shards()),
        },
    }
