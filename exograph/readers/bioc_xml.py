"""Reader for BioC-XML (BioRED, CDR, PubTator3 ``biocxml`` exports).

Parsed with the standard library's expat, which neither fetches the DTD that
BioC files name nor expands entities without bound.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import IO, Any

from ..diagnostics import Diagnostics
from ..errors import AnnotationError
from ..models import Paper
from ..textio import read_bytes
from .bioc import documents_to_papers

__all__ = ["parse_bioc_xml", "read_bioc_xml"]


def read_bioc_xml(source: str | Path | IO[bytes], diagnostics: Diagnostics | None = None) -> list[Paper]:
    """Every document of a BioC-XML file as a Paper."""
    data, label = read_bytes(source)
    return parse_bioc_xml(data, label, diagnostics)


def _infons(el: ET.Element) -> dict[str, Any]:
    return {i.get("key", ""): (i.text or "") for i in el.findall("infon")}


def parse_bioc_xml(data: bytes, path: str = "<bioc-xml>", diagnostics: Diagnostics | None = None) -> list[Paper]:
    """Parse BioC-XML; a syntax error names line and column."""
    diag = diagnostics if diagnostics is not None else Diagnostics()
    if not data.strip():
        raise AnnotationError("file is empty", path=path, line=1)
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        line, column = exc.position
        raise AnnotationError(
            f"invalid XML: {exc.msg if hasattr(exc, 'msg') else exc}", path=path, line=line, column=column + 1
        ) from None
    if root.tag != "collection":
        raise AnnotationError(f"not BioC-XML: root element is <{root.tag}>, not <collection>", path=path, line=1)
    docs: list[dict[str, Any]] = []
    for d in root.iter("document"):
        passages = []
        for p in d.findall("passage"):
            annotations = []
            for a in p.findall("annotation"):
                annotations.append(
                    {
                        "id": a.get("id"),
                        "infons": _infons(a),
                        "text": a.findtext("text") or "",
                        "locations": [
                            {"offset": loc.get("offset"), "length": loc.get("length")} for loc in a.findall("location")
                        ],
                    }
                )
            passages.append(
                {
                    "infons": _infons(p),
                    "offset": p.findtext("offset"),
                    "text": p.findtext("text") or "",
                    "annotations": annotations,
                }
            )
        relations = [
            {
                "id": r.get("id"),
                "infons": _infons(r),
                "nodes": [{"refid": n.get("refid"), "role": n.get("role")} for n in r.findall("node")],
            }
            for r in d.findall("relation")
        ]
        docs.append({"id": d.findtext("id"), "passages": passages, "relations": relations, **_doc_infons(d)})
    return documents_to_papers(docs, path, "bioc-xml", diag)


def _doc_infons(d: ET.Element) -> dict[str, Any]:
    infons = _infons(d)
    out: dict[str, Any] = {}
    for key in ("pmid", "pmcid", "journal", "date"):
        if infons.get(key):
            out[key] = infons[key]
    return out
