"""Reader for BioC-JSON: collections, PubTator3 API answers (``{"PubTator3": [...]}``) and bare documents."""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, Any

from ..diagnostics import Diagnostics
from ..errors import AnnotationError
from ..models import Paper
from ..textio import decode_text, read_bytes
from .bioc import documents_to_papers

__all__ = ["parse_bioc_json", "read_bioc_json"]


def read_bioc_json(source: str | Path | IO[bytes], diagnostics: Diagnostics | None = None) -> list[Paper]:
    """Every document of a BioC-JSON file as a Paper."""
    data, label = read_bytes(source)
    return parse_bioc_json(data, label, diagnostics)


def parse_bioc_json(
    data: bytes | str, path: str = "<bioc-json>", diagnostics: Diagnostics | None = None
) -> list[Paper]:
    """Parse BioC-JSON; a syntax error names line and column."""
    diag = diagnostics if diagnostics is not None else Diagnostics()
    text = data if isinstance(data, str) else decode_text(data, path, error=AnnotationError)
    try:
        value: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise AnnotationError(f"invalid JSON: {exc.msg}", path=path, line=exc.lineno, column=exc.colno) from None
    if isinstance(value, dict) and "PubTator3" in value:
        docs = value["PubTator3"]
    elif isinstance(value, dict) and "documents" in value:
        docs = value["documents"]
    elif isinstance(value, dict) and "passages" in value:
        docs = [value]
    elif isinstance(value, list):
        docs = value
    else:
        raise AnnotationError(
            "not BioC-JSON: expected a collection with 'documents', a PubTator3 answer or a document", path=path, line=1
        )
    if not isinstance(docs, list):
        raise AnnotationError("BioC 'documents' is not a list", path=path, line=1)
    return documents_to_papers(docs, path, "bioc-json", diag)
