"""Writers, one module per output format; the CLI's ``--outputs`` choices come from :data:`WRITERS`."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Final, Literal, get_args

from ..atomic import Destination
from .graphml import read_graphml, write_graphml
from .html import write_html
from .kgx import write_kgx, write_kgx_jsonl
from .rdf import write_nquads, write_ntriples, write_trig, write_turtle
from .shards import write_nquads_shards
from .summary import write_summary_json, write_summary_markdown

if TYPE_CHECKING:
    from ..graph import KnowledgeGraph
    from ..statements import Statements

__all__ = [
    "DEFAULT_OUTPUTS",
    "FILE_NAMES",
    "OUTPUT_FORMATS",
    "RDF_OUTPUTS",
    "RDF_WRITERS",
    "WRITERS",
    "OutputFormat",
    "RdfOutput",
    "read_graphml",
    "write_graphml",
    "write_html",
    "write_kgx",
    "write_kgx_jsonl",
    "write_nquads",
    "write_nquads_shards",
    "write_ntriples",
    "write_summary_json",
    "write_summary_markdown",
    "write_trig",
    "write_turtle",
]

OutputFormat = Literal[
    "turtle",
    "ntriples",
    "nquads",
    "nquads-shards",
    "trig",
    "graphml",
    "html",
    "kgx",
    "kgx-jsonl",
    "summary-json",
    "summary-md",
]
OUTPUT_FORMATS: Final[tuple[OutputFormat, ...]] = get_args(OutputFormat)
#: The outputs that hold the graph's statements: written from a :class:`~exograph.statements.Statements`
#: (which a large build reads from one materialised file and a background co-occurrence job).
RdfOutput = Literal["turtle", "ntriples", "nquads", "nquads-shards", "trig"]
RDF_OUTPUTS: Final[tuple[RdfOutput, ...]] = get_args(RdfOutput)
Writer = Callable[["KnowledgeGraph", Destination], None]
RdfWriter = Callable[["KnowledgeGraph | Statements", Destination], None]

RDF_WRITERS: Final[dict[RdfOutput, RdfWriter]] = {
    "turtle": write_turtle,
    "ntriples": write_ntriples,
    "nquads": write_nquads,
    "nquads-shards": write_nquads_shards,
    "trig": write_trig,
}

WRITERS: Final[dict[OutputFormat, Writer]] = {
    # The RDF writers again (a dict is invariant in its values' type: RDF_WRITERS' take more than a graph).
    "turtle": write_turtle,
    "ntriples": write_ntriples,
    "nquads": write_nquads,
    "nquads-shards": write_nquads_shards,
    "trig": write_trig,
    "graphml": write_graphml,
    "html": write_html,
    "kgx": write_kgx,
    "kgx-jsonl": write_kgx_jsonl,
    "summary-json": write_summary_json,
    "summary-md": write_summary_markdown,
}

FILE_NAMES: Final[dict[OutputFormat, str]] = {
    "turtle": "graph.ttl",
    "ntriples": "graph.nt",
    "nquads": "graph.nq",
    "nquads-shards": "rdf",
    "trig": "graph.trig",
    "graphml": "graph.graphml",
    "html": "graph.html",
    "kgx": "kgx",
    "kgx-jsonl": "kgx",
    "summary-json": "summary.json",
    "summary-md": "summary.md",
}

DEFAULT_OUTPUTS: Final[tuple[OutputFormat, ...]] = (
    "turtle",
    "ntriples",
    "trig",
    "graphml",
    "html",
    "summary-json",
    "summary-md",
)
