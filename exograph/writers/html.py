"""A self-contained, offline HTML view of the graph built on pyvis and its bundled vis-network.

pyvis as shipped loads Bootstrap from a CDN, writes ``lib/`` into the working
directory and sets tooltips with innerHTML. Here pyvis assembles the nodes and
edges, and our own template inlines vis-network's script and stylesheet, embeds
the data as escaped JSON, builds every label, tooltip and detail with
``textContent``, and forbids all network access with a Content-Security-Policy.
Positions are precomputed so that large graphs draw without a physics run.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Hashable
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from ..atomic import Destination, open_destination
from ..network import to_networkx

if TYPE_CHECKING:
    import networkx as nx

    from ..graph import KnowledgeGraph

__all__ = ["DEFAULT_MAX_NODES", "STYLES", "render_html", "write_html"]

#: Above this many nodes the page shows the top nodes by degree (0 lifts the limit).
DEFAULT_MAX_NODES: Final = 5000

#: Colour (colour-blind-safe Okabe-Ito palette) and shape per node type.
STYLES: Final[dict[str, dict[str, str]]] = {
    "Paper": {"color": "#0072B2", "shape": "square"},
    "Author": {"color": "#999999", "shape": "triangle"},
    "Journal": {"color": "#000000", "shape": "star"},
    "Gene": {"color": "#009E73", "shape": "dot"},
    "Disease": {"color": "#D55E00", "shape": "diamond"},
    "ChemicalEntity": {"color": "#E69F00", "shape": "triangleDown"},
    "OrganismTaxon": {"color": "#56B4E9", "shape": "hexagon"},
    "SequenceVariant": {"color": "#CC79A7", "shape": "dot"},
    "CellLine": {"color": "#F0E442", "shape": "square"},
}
_FIELDS: Final = (
    "symbol",
    "full_name",
    "aliases",
    "names",
    "common_name",
    "rank",
    "paper_count",
    "authors",
    "journal",
    "date",
    "doi",
    "pmid",
    "pmcid",
    "tldr",
    "name",
)


@cache
def _vis_assets() -> tuple[str, str]:
    import pyvis

    lib = Path(pyvis.__file__).parent / "templates" / "lib" / "vis-9.1.2"
    js = (lib / "vis-network.min.js").read_text(encoding="utf-8")
    css = (lib / "vis-network.css").read_text(encoding="utf-8")
    # Inline scripts end at the first '</script'; the bundle has none, but stay safe if pyvis changes it.
    return js.replace("</script", "<\\/script"), css.replace("</style", "<\\/style")


def _json_for_script(value: Any) -> str:
    """JSON that cannot end the script element or be read as markup."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _layout(g: nx.Graph) -> dict[Hashable, tuple[float, float]]:
    """Deterministic force-directed positions, scaled so nodes do not overlap at first draw."""
    from ..layout import force_layout

    n = g.number_of_nodes()
    if n == 0:
        return {}
    pos = force_layout(g)
    scale = 45.0 * math.sqrt(n) + 60.0
    return {k: (round(float(x) * scale, 1), round(float(y) * scale, 1)) for k, (x, y) in pos.items()}


def _view_data(kg: KnowledgeGraph, *, max_nodes: int, title: str) -> dict[str, Any]:
    from pyvis.network import Network

    # Far above the limit, papers and authors would crowd out the entities people explore.
    full = to_networkx(kg, entities_only=max_nodes > 0 and kg.node_count() > 4 * max_nodes)
    import networkx as nx

    simple = nx.Graph(full)
    degree = dict(simple.degree())
    keep = sorted(full.nodes, key=lambda k: (-degree[k], k))
    notice = ""
    total_nodes = kg.node_count()
    if max_nodes and len(keep) > max_nodes:
        keep = keep[:max_nodes]
    if len(keep) < total_nodes:
        notice = (
            f"Showing the top {len(keep):,} of {total_nodes:,} nodes by degree. "
            "Rebuild with --html-max-nodes 0 to show all."
        )
    kept = set(keep)
    shown = simple.subgraph(kept)
    pos = _layout(shown)
    net = Network(directed=True, cdn_resources="in_line")
    order = sorted(kept)
    for key in order:
        attrs = full.nodes[key]
        x, y = pos[key]
        net.add_node(key, label=str(attrs.get("label", key)), x=x, y=y)
    for u, v, attrs in sorted(full.edges(data=True), key=lambda e: (e[0], e[1], str(e[2].get("type")))):
        if u in kept and v in kept:
            net.add_edge(u, v, type=attrs.get("type"))
    nodes = []
    for item in net.nodes:
        key = item["id"]
        attrs = full.nodes[key]
        record: dict[str, Any] = {
            "id": key,
            "label": item["label"],
            "type": attrs.get("type"),
            "curie": attrs.get("curie"),
            "url": attrs.get("url"),
            "xrefs": attrs.get("xrefs") or [],
            "xref_urls": attrs.get("xref_urls") or [],
            "degree": degree[key],
            "x": item["x"],
            "y": item["y"],
        }
        for field in _FIELDS:
            value = attrs.get(field)
            if value not in (None, "", []):
                record[field] = value
        nodes.append(record)
    edges = []
    for item in net.edges:
        edge: dict[str, Any] = {"from": item["from"], "to": item["to"], "type": item["type"]}
        edges.append(edge)
    stats = {(e.source, e.target): e for e in kg.cooccurrence}
    for edge in edges:
        if edge["type"] == "co_occurs_with":
            s = stats.get((edge["from"], edge["to"]))
            if s is not None:
                edge["papers"] = s.papers
                edge["p_adjusted"] = s.p_adjusted
    counts: dict[str, int] = {}
    for record in nodes:
        counts[record["type"]] = counts.get(record["type"], 0) + 1
    return {
        "title": title,
        "notice": notice,
        "nodes": nodes,
        "edges": edges,
        "styles": STYLES,
        "counts": dict(sorted(counts.items())),
        "fields": [f for f in _FIELDS if f != "name"],
    }


def render_html(kg: KnowledgeGraph, *, max_nodes: int = DEFAULT_MAX_NODES, title: str | None = None) -> str:
    """The page as a string."""
    if title is None:
        title = f"exograph: {kg.paper_number()} papers, {len(kg.entities)} entities"
    template = resources.files("exograph").joinpath("templates/view.html").read_text(encoding="utf-8")
    js, css = _vis_assets()
    data = _view_data(kg, max_nodes=max_nodes, title=title)
    parts = {
        "__TITLE__": html.escape(title),
        "/*__VIS_CSS__*/": css,
        "__DATA__": _json_for_script(data),
        "/*__VIS_JS__*/": js,
    }
    # One pass, so nothing substituted (a hostile name, say) is scanned for markers again.
    return re.sub("|".join(re.escape(k) for k in parts), lambda m: parts[m.group()], template)


def write_html(kg: KnowledgeGraph, dest: Destination, *, max_nodes: int = DEFAULT_MAX_NODES) -> None:
    """Write ``graph.html``: one file, no external resources, safe against injected markup.

    >>> import io, exograph
    >>> buffer = io.BytesIO()
    >>> exograph.write_html(exograph.build(["seeds/"]).graph, buffer)
    >>> b"Content-Security-Policy" in buffer.getvalue()
    True
    """
    page = render_html(kg, max_nodes=max_nodes)
    with open_destination(dest) as handle:
        handle.write(page.encode("utf-8"))
