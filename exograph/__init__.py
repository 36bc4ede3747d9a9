"""exograph: biomedical papers and their entity annotations as one knowledge graph.

>>> import exograph
>>> result = exograph.build(["seeds/"])
>>> sorted(result.graph.entities)[:2]
['MESH:C017875', 'MESH:C080625']

The package face is lazy: ``import exograph`` loads nothing but this module, and
each name below is imported on first use. A worker or serialiser process that
needs one module (``exograph.rdfconvert``, say) so does not pay for pydantic,
networkx and the readers.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from .version import __version__

#: Public name -> module that defines it.
_EXPORTS: dict[str, str] = {
    "AnnotationError": ".errors",
    "CardError": ".errors",
    "ExographError": ".errors",
    "FetchError": ".errors",
    "FormatError": ".errors",
    "InputError": ".errors",
    "MappingError": ".errors",
    "QueryError": ".errors",
    "ServeError": ".errors",
    "UnknownPrefixError": ".errors",
    "KnowledgeGraph": ".graph",
    "build_graph": ".pipeline",
    "to_networkx": ".network",
    "to_rdflib": ".rdf",
    "Diagnostic": ".models",
    "Entity": ".models",
    "Link": ".models",
    "Mention": ".models",
    "Paper": ".models",
    "Relation": ".models",
    "SourceRef": ".models",
    "show": ".notebook",
    "BuildResult": ".pipeline",
    "build": ".pipeline",
    "read_papers": ".readers",
    "read_card": ".readers.card",
    "read_sssom": ".sssom",
    "query": ".store",
    "read_graphml": ".writers",
    "write_graphml": ".writers",
    "write_html": ".writers",
    "write_nquads": ".writers",
    "write_ntriples": ".writers",
    "write_trig": ".writers",
    "write_turtle": ".writers",
}

__all__ = [
    "AnnotationError",
    "BuildResult",
    "CardError",
    "Diagnostic",
    "Entity",
    "ExographError",
    "FetchError",
    "FormatError",
    "InputError",
    "KnowledgeGraph",
    "Link",
    "MappingError",
    "Mention",
    "Paper",
    "QueryError",
    "Relation",
    "ServeError",
    "SourceRef",
    "UnknownPrefixError",
    "__version__",
    "build",
    "build_graph",
    "query",
    "read_card",
    "read_graphml",
    "read_papers",
    "read_sssom",
    "show",
    "to_networkx",
    "to_rdflib",
    "write_graphml",
    "write_html",
    "write_nquads",
    "write_ntriples",
    "write_trig",
    "write_turtle",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'exograph' has no attribute {name!r}")
    value = getattr(import_module(module, __name__), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})


if TYPE_CHECKING:
    from .errors import (
        AnnotationError,
        CardError,
        ExographError,
        FetchError,
        FormatError,
        InputError,
        MappingError,
        QueryError,
        ServeError,
        UnknownPrefixError,
    )
    from .graph import KnowledgeGraph
    from .models import Diagnostic, Entity, Link, Mention, Paper, Relation, SourceRef
    from .network import to_networkx
    from .notebook import show
    from .pipeline import BuildResult, build, build_graph
    from .rdf import to_rdflib
    from .readers import read_papers
    from .readers.card import read_card
    from .sssom import read_sssom
    from .store import query
    from .writers import (
        read_graphml,
        write_graphml,
        write_html,
        write_nquads,
        write_ntriples,
        write_trig,
        write_turtle,
    )
