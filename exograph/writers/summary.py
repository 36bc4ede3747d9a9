"""A corpus summary (JSON for machines, Markdown for people): what the graph holds and what went wrong."""

from __future__ import annotations

import json
from collections import Counter
from typing import TYPE_CHECKING, Any

from ..atomic import Destination, open_destination

if TYPE_CHECKING:
    from ..graph import KnowledgeGraph

__all__ = ["summarize", "write_summary_json", "write_summary_markdown"]

TOP = 10


def summarize(kg: KnowledgeGraph) -> dict[str, Any]:
    """Counts per type, predicate and id prefix; top entities; gaps; merges; warnings grouped by kind."""
    # Counted from the graph's own tables: building the networkx view would cost gigabytes on large corpora.
    nodes: Counter[str] = Counter(e.type for e in kg.entities.values())
    nodes.update({"Paper": len(kg.papers), "Author": len(kg.authors()), "Journal": len(kg.journals())})
    edges: Counter[str] = Counter()
    for node in kg.papers.values():
        edges["authored_by"] += len(node.paper.authors)
        edges["published_in"] += node.journal_key is not None
        edges["about"] += len(node.about)
        edges["mentions"] += len(node.mentions)
        edges.update(r.type for r in node.relations)
    edges["co_occurs_with"] += len(kg.cooccurrence)
    edges.update(m.predicate for m in kg.mappings)
    nodes = +nodes
    edges = +edges
    prefixes = Counter(k.split(":", 1)[0] for k in kg.entities if not k.startswith("exo.id:"))
    top: dict[str, list[dict[str, Any]]] = {}
    for etype in sorted({e.type for e in kg.entities.values()}):
        ranked = sorted((e for e in kg.entities.values() if e.type == etype), key=lambda e: (-len(e.papers), e.key))[
            :TOP
        ]
        top[etype] = [{"id": e.key, "label": e.label, "papers": len(e.papers)} for e in ranked]
    warnings = {
        kind: {"count": count, "example": str(example)} for kind, (count, example) in kg.diagnostics.by_kind().items()
    }
    return {
        "papers": len(kg.papers),
        "nodes": dict(sorted(nodes.items())),
        "edges": dict(sorted(edges.items())),
        "id_prefixes": dict(sorted(prefixes.items())),
        "top_entities": top,
        "papers_without_entities": sorted(k for k, p in kg.papers.items() if not p.mentions and not p.about),
        "entities_without_ids": sorted(k for k, e in kg.entities.items() if e.curie is None),
        "singletons": sum(1 for e in kg.entities.values() if len(e.papers) == 1),
        "merges": {
            "papers": kg.merges.get("paper", 0),
            "entities_in_several_papers": sum(1 for e in kg.entities.values() if len(e.papers) > 1),
            "entities_with_several_names": sum(1 for e in kg.entities.values() if len(e.names) > 1),
        },
        "mappings": {
            "used": len(kg.mappings),
            "by_predicate": dict(sorted(Counter(m.predicate for m in kg.mappings).items())),
            "by_set": dict(sorted(Counter(m.mapping_set for m in kg.mappings).items())),
            "nodes_added": kg.merges.get("mapping-node", 0),
            "cliques_merged": kg.merges.get("entity-clique", 0),
            "ids_merged": sum(len(e.xrefs) for e in kg.entities.values()),
            "cliques_not_merged": [list(c) for c in kg.unmerged_cliques],
        },
        "warnings": warnings,
        "failed_inputs": [{"path": p, "error": e} for p, e in kg.failures],
    }


def write_summary_json(kg: KnowledgeGraph, dest: Destination) -> None:
    """``summary.json``."""
    data = json.dumps(summarize(kg), indent=2, ensure_ascii=False, sort_keys=False)
    with open_destination(dest) as handle:
        handle.write(data.encode("utf-8") + b"\n")


def render_markdown(summary: dict[str, Any]) -> str:
    """The summary as Markdown tables (also what ``exograph stats`` prints)."""
    lines = ["# exograph summary", "", f"Papers: {summary['papers']}", "", "## Nodes per type", ""]
    lines += ["| type | count |", "|---|---:|"] + [f"| {k} | {v} |" for k, v in summary["nodes"].items()]
    lines += ["", "## Edges per predicate", "", "| predicate | count |", "|---|---:|"]
    lines += [f"| {k} | {v} |" for k, v in summary["edges"].items()]
    lines += ["", "## Id prefixes", "", "| prefix | entities |", "|---|---:|"]
    lines += [f"| {k} | {v} |" for k, v in summary["id_prefixes"].items()]
    lines += ["", "## Top entities", ""]
    for etype, rows in summary["top_entities"].items():
        lines.append(f"- **{etype}**: " + ", ".join(f"{_md(r['label'])} ({r['id']}, {r['papers']})" for r in rows))
    m = summary["merges"]
    mp = summary["mappings"]
    lines += [
        "",
        "## Gaps and merges",
        "",
        f"- papers without entities: {_count(summary['papers_without_entities'])}",
        f"- entities without ids: {len(summary['entities_without_ids'])}"
        + (f" ({', '.join(summary['entities_without_ids'][:5])})" if summary["entities_without_ids"] else ""),
        f"- singletons (entities in one paper): {summary['singletons']}",
        f"- papers merged across sources: {m['papers']}",
        f"- entities in several papers: {m['entities_in_several_papers']}",
        f"- entities with several names: {m['entities_with_several_names']}",
        "",
        "## Mappings",
        "",
        f"- mappings used: {mp['used']}"
        + (" (" + ", ".join(f"{k}: {v}" for k, v in mp["by_predicate"].items()) + ")" if mp["by_predicate"] else ""),
        f"- nodes added through a mapping: {mp['nodes_added']}",
        f"- cliques of exact matches merged: {mp['cliques_merged']} ({mp['ids_merged']} ids merged into others)",
        f"- cliques not merged (two ids of one scheme or of different types): {len(mp['cliques_not_merged'])}"
        + (
            " (" + "; ".join(", ".join(c) for c in mp["cliques_not_merged"][:5]) + ")"
            if mp["cliques_not_merged"]
            else ""
        ),
        "",
        "## Warnings",
        "",
    ]
    if summary["warnings"]:
        lines += ["| kind | count | example |", "|---|---:|---|"]
        lines += [f"| {k} | {v['count']} | {_md(v['example'])} |" for k, v in summary["warnings"].items()]
    else:
        lines.append("none")
    if summary["failed_inputs"]:
        lines += ["", "## Failed inputs", ""] + [f"- {_md(f['error'])}" for f in summary["failed_inputs"]]
    return "\n".join(lines) + "\n"


def _count(value: int | list[Any]) -> int:
    """A count given as a number (the out-of-core plan's summary) or as the list of what is counted."""
    return value if isinstance(value, int) else len(value)


def _md(text: str) -> str:
    """Neutralise Markdown and HTML in names so a hostile name cannot inject markup into the report."""
    return (
        text.replace("\\", "\\\\")
        .replace("|", "\\|")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("`", "\\`")
        .replace("*", "\\*")
        .replace("_", "\\_")
        .replace("[", "\\[")
        .replace("\n", " ")
    )


def write_summary_markdown(kg: KnowledgeGraph, dest: Destination) -> None:
    """``summary.md``."""
    with open_destination(dest) as handle:
        handle.write(render_markdown(summarize(kg)).encode("utf-8"))
