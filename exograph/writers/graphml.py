"""GraphML for Cytoscape and Gephi.

GraphML has no list type and networkx refuses lists and None, so list values
are JSON-encoded under one declared string key each and missing values are
left out; every key keeps one type across the whole file.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from ..atomic import Destination, open_destination
from ..network import to_networkx

if TYPE_CHECKING:
    import networkx as nx

    from ..graph import KnowledgeGraph

__all__ = ["LIST_KEYS", "read_graphml", "write_graphml"]

#: Attributes stored as JSON arrays (or objects) in GraphML strings.
LIST_KEYS = frozenset({"names", "aliases", "source_ids", "authors", "key_findings", "links", "sources", "supporting"})

_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(value: Any) -> Any:
    if isinstance(value, (list, tuple, dict)):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, str):
        # XML 1.0 cannot carry these characters at all, not even escaped.
        return _XML_INVALID.sub("\ufffd", value)
    return value


#: Defaults declared in the file's <key> elements for attributes not every node or edge has: a reader
#: (igraph, Gephi) that fills a missing boolean with false, or a missing number with 0, then reads what we mean.
NODE_DEFAULTS = {"normalised": True}
EDGE_DEFAULTS = {"novel": False}


def _encoded(g: nx.MultiDiGraph) -> nx.MultiDiGraph:
    import networkx as nx

    out: nx.MultiDiGraph = nx.MultiDiGraph(node_default=NODE_DEFAULTS, edge_default=EDGE_DEFAULTS)
    for n, attrs in g.nodes(data=True):
        out.add_node(_clean(n), **{k: _clean(v) for k, v in attrs.items() if v is not None})
    for u, v, key, attrs in g.edges(keys=True, data=True):
        out.add_edge(_clean(u), _clean(v), key=_clean(key), **{k: _clean(x) for k, x in attrs.items() if x is not None})
    return out


def write_graphml(kg: KnowledgeGraph, dest: Destination, *, entities_only: bool = False) -> None:
    """Write the graph; ``entities_only`` keeps only entities and co-occurrence edges (for very large corpora).

    >>> import tempfile, pathlib, exograph
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "graph.graphml"
    >>> exograph.write_graphml(exograph.build(["seeds/"]).graph, path)
    >>> exograph.read_graphml(path).nodes["NCBIGene:7422"]["aliases"]
    ['L-VEGF', 'MVCD1', 'VEGF', 'VPF']
    """
    import networkx as nx

    graph = _encoded(to_networkx(kg, entities_only=entities_only))
    with open_destination(dest) as handle:
        nx.write_graphml_xml(
            graph, handle, encoding="utf-8", prettyprint=True, named_key_ids=False, infer_numeric_types=False
        )


def read_graphml(source: str | Any) -> nx.MultiDiGraph:
    """Read a GraphML file exograph wrote, decoding the JSON-encoded list attributes back to lists."""
    import networkx as nx

    g = nx.read_graphml(source, force_multigraph=True)
    for _, attrs in g.nodes(data=True):
        for k in LIST_KEYS & attrs.keys():
            attrs[k] = json.loads(attrs[k])
    for _, _, attrs in g.edges(data=True):
        for k in LIST_KEYS & attrs.keys():
            attrs[k] = json.loads(attrs[k])
    return g  # type: ignore[no-any-return]
