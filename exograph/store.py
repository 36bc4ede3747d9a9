"""The embedded SPARQL store (pyoxigraph): written by ``exograph build``, read by ``exograph query``.

Each statement is stored once, where the N-Quads put it: a paper's own
statements in the paper's named graph (in the default graph with the compact
profile), shared ones (entities, relations, co-occurrence, authors, journals)
in the default graph. Queries run over the
union of all graphs (oxigraph's ``use_default_graph_as_union``, and
``--union-default-graph`` for the server), so users need no ``GRAPH`` clause for
ordinary questions and ``GRAPH ?g { ... }`` still reaches one paper's statements.

A union counts a statement once per graph that holds it (oxigraph does not
remove duplicates across graphs), so it equals the set of statements only
because no statement sits in two graphs: every statement in a paper's graph has
the paper or an IRI minted under it as subject, and the default graph never does
(``tests/test_query.py`` holds the store to ``graph.ttl``). Storing each
statement once rather than also copying it into the default graph keeps the
bulk load of a large build to the statements themselves.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_args

import pyoxigraph as ox

from .atomic import atomic_dir
from .errors import ExographError, QueryError
from .iris import RDF_PREFIXES, compress
from .sparql import uses_service
from .statements import Statements

if TYPE_CHECKING:
    from .graph import KnowledgeGraph

__all__ = [
    "RESULT_FORMATS",
    "STORE_DIR",
    "ResultFormat",
    "format_result",
    "load_shards",
    "open_store",
    "query",
    "run_query",
    "term_to_python",
    "write_store",
]

STORE_DIR = "store"
ResultFormat = Literal["table", "csv", "tsv", "json", "xml"]
RESULT_FORMATS: tuple[ResultFormat, ...] = get_args(ResultFormat)
_POSITION = re.compile(r"error at (\d+):(\d+):\s*(.*)", re.DOTALL)
QueryResult = ox.QuerySolutions | ox.QueryTriples | ox.QueryBoolean


def write_store(source: KnowledgeGraph | Statements, path: str | Path) -> Path:
    """Write the graph's statements into a fresh persistent store at ``path`` (replaced only when complete)."""
    from .rdf import quads

    statements = Statements.of(source)
    with atomic_dir(path) as tmp:
        store = ox.Store(str(tmp))
        if statements.cache is not None:
            store.bulk_load(path=str(statements.cache), format=ox.RdfFormat.N_QUADS, lenient=True)
        else:
            store.bulk_extend(quads(statements))
        store.flush()
        store.optimize()
        del store
    return Path(path)


def load_shards(shards: list[Path], path: str | Path) -> Path:
    """A fresh persistent store at ``path`` bulk-loaded from gzipped N-Quads shards (the out-of-core plan's).

    oxigraph's bulk loader keeps memory bounded whatever the size; as in :func:`write_store`, each
    statement is stored once, in the graph its shard line names.
    """
    from .rdf import chunk_stream
    from .writers.shards import shard_blocks

    with atomic_dir(path) as tmp:
        store = ox.Store(str(tmp))
        store.bulk_load(chunk_stream(shard_blocks(shards)), format=ox.RdfFormat.N_QUADS, lenient=True)
        store.flush()
        store.optimize()
        del store
    return Path(path)


def open_store(out_dir: str | Path) -> ox.Store:
    """Open the store under a build folder read-only (several readers may share it)."""
    path = Path(out_dir)
    if (path / STORE_DIR).is_dir():
        path = path / STORE_DIR
    if not path.is_dir() or not any(path.iterdir()):
        raise ExographError(f"{out_dir}: no store found; run 'exograph build ... -o {out_dir}' first")
    try:
        return ox.Store.read_only(str(path))
    except OSError as exc:
        raise ExographError(f"{path}: cannot open store: {exc}") from exc


def run_query(store: ox.Store, sparql: str, *, allow_service: bool = False) -> QueryResult:
    """Run SPARQL with exograph's prefixes predeclared, over the union of the store's graphs (each statement once).

    A ``SERVICE`` clause (which would make this machine fetch from the URL it names) is refused unless
    ``allow_service``; where allowed, a failing service is a :class:`QueryError`, not a traceback.
    """
    if not allow_service and uses_service(sparql):
        raise QueryError(
            "SERVICE clauses are off (they make this machine send requests to the URLs a query names); "
            "pass --allow-service to run federated queries",
            query=sparql,
        )
    try:
        return store.query(sparql, prefixes=RDF_PREFIXES, use_default_graph_as_union=True)
    except SyntaxError as exc:
        match = _POSITION.match(str(exc))
        if match:
            raise QueryError(
                match.group(3), query=sparql, line=int(match.group(1)), column=int(match.group(2))
            ) from None
        raise QueryError(str(exc), query=sparql) from None
    except (OSError, ValueError, RuntimeError) as exc:
        raise QueryError(str(exc).splitlines()[0] if str(exc) else type(exc).__name__, query=sparql) from None


def term_to_python(term: Any) -> Any:
    """A plain Python value for an RDF term: IRIs as str, typed literals as int/float/bool/date."""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return term.value
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, ox.Literal):
        dtype = term.datatype.value
        xsd = RDF_PREFIXES["xsd"]
        try:
            if dtype in (xsd + "integer", xsd + "int", xsd + "long"):
                return int(term.value)
            if dtype in (xsd + "double", xsd + "decimal", xsd + "float"):
                return float(term.value)
            if dtype == xsd + "boolean":
                return term.value == "true"
            if dtype == xsd + "date":
                return dt.date.fromisoformat(term.value)
        except ValueError:
            return term.value
        return term.value
    return str(term)


def query(out_dir: str | Path, sparql: str) -> list[dict[str, Any]] | bool | list[tuple[Any, Any, Any]]:
    """Run SPARQL against a build's store.

    SELECT gives a list of rows (dicts of plain Python values), ASK a bool,
    CONSTRUCT/DESCRIBE a list of (subject, predicate, object) tuples.

    >>> import tempfile, exograph
    >>> out = tempfile.mkdtemp()
    >>> _ = exograph.build(["seeds/"], out)
    >>> exograph.query(out, "SELECT (COUNT(*) AS ?n) WHERE { ?g a biolink:Gene }")
    [{'n': 60}]
    >>> exograph.query(out, "ASK { ?g skos:altLabel 'VPF' }")
    True
    """
    result = run_query(open_store(out_dir), sparql)
    if isinstance(result, ox.QueryBoolean):
        return bool(result)
    if isinstance(result, ox.QueryTriples):
        return [(term_to_python(t.subject), term_to_python(t.predicate), term_to_python(t.object)) for t in result]
    names = [v.value for v in result.variables]
    return [{n: term_to_python(row[n]) for n in names} for row in result]


def _short(term: Any) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        return compress(term.value) or term.value
    if isinstance(term, ox.Literal):
        return term.value
    return str(term)


def format_result(result: QueryResult, fmt: ResultFormat = "table") -> tuple[list[str], list[list[str]]] | bytes:
    """Rows for a table (header and cells), or the serialised bytes for machine formats.

    Results are computed as they are read, so an evaluation error (a failing SERVICE, say) surfaces here:
    it becomes a :class:`QueryError`.
    """
    try:
        return _format_result(result, fmt)
    except (OSError, ValueError, RuntimeError) as exc:
        raise QueryError(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from None


def _format_result(result: QueryResult, fmt: ResultFormat) -> tuple[list[str], list[list[str]]] | bytes:
    if isinstance(result, ox.QueryTriples):
        return ox.serialize(result, format=ox.RdfFormat.TURTLE, prefixes=RDF_PREFIXES) or b""
    if fmt == "table":
        if isinstance(result, ox.QueryBoolean):
            return ["ask"], [["yes" if bool(result) else "no"]]
        names = [v.value for v in result.variables]
        return names, [[_short(row[n]) for n in names] for row in result]
    formats = {
        "csv": ox.QueryResultsFormat.CSV,
        "tsv": ox.QueryResultsFormat.TSV,
        "json": ox.QueryResultsFormat.JSON,
        "xml": ox.QueryResultsFormat.XML,
    }
    return result.serialize(format=formats[fmt]) or b""
