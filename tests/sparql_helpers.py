"""Running the query pack on several engines and comparing their answers as plain values."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyoxigraph as ox
import rdflib
import requests

QUERIES = sorted((Path(__file__).resolve().parent.parent / "queries").glob("*.rq"))
NUMERIC = {"http://www.w3.org/2001/XMLSchema#" + t for t in ("integer", "double", "decimal", "float", "int", "long")}


def _value(kind: str, value: str, datatype: str | None) -> Any:
    if kind == "literal" and datatype in NUMERIC:
        number = float(value)
        return int(number) if number.is_integer() else round(number, 9)
    return value


def rows_from_oxigraph(result: ox.QuerySolutions) -> list[tuple[Any, ...]]:
    names = [v.value for v in result.variables]
    out = []
    for row in result:
        values = []
        for n in names:
            term = row[n]
            if term is None:
                values.append(None)
            elif isinstance(term, ox.Literal):
                values.append(_value("literal", term.value, term.datatype.value))
            else:
                values.append(term.value)
        out.append(tuple(values))
    return out


def rows_from_rdflib(graph: rdflib.Graph, text: str) -> list[tuple[Any, ...]]:
    out = []
    for row in graph.query(text):
        values = []
        for term in row:
            if term is None:
                values.append(None)
            elif isinstance(term, rdflib.Literal):
                values.append(_value("literal", str(term), str(term.datatype) if term.datatype else None))
            else:
                values.append(str(term))
        out.append(tuple(values))
    return out


def rows_from_http(endpoint: str, text: str) -> list[tuple[Any, ...]]:
    r = requests.post(endpoint, data={"query": text}, headers={"Accept": "application/sparql-results+json"}, timeout=30)
    r.raise_for_status()
    data = r.json()
    names = data["head"]["vars"]
    out = []
    for binding in data["results"]["bindings"]:
        values = []
        for n in names:
            b = binding.get(n)
            values.append(None if b is None else _value(b["type"], b["value"], b.get("datatype")))
        out.append(tuple(values))
    return out
