"""exograph: biomedical papers and their entity annotations as one knowledge graph.

>>> import exograph
>>> result = exograph.build(["seeds/"])
>>> sorted(result.graph.entities)[:2]
['MESH:C017875', 'MESH:C080625']
"""

from __future__ import annotations

__version__ = "0.1.0"

from .errors import (
    AnnotationError,
    CardError,
    ExographError,
    FetchError,
    FormatError,
    InputError,
    QueryError,
    ServeError,
    UnknownPrefixError,
)
from .graph import KnowledgeGraph, build_graph
from .models import Diagnostic, Entity, Link, Mention, Paper, Relation, SourceRef
from .notebook import show
from .pipeline import BuildResult, build
from .readers import read_papers
from .readers.card import read_card
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
    "show",
    "write_graphml",
    "write_html",
    "write_nquads",
    "write_ntriples",
    "write_trig",
    "write_turtle",
]
