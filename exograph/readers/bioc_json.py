"""Reader for BioC-JSON: collections, PubTator3 API answers (``{"PubTator3": [...]}``) and bare documents."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import IO, Any

from ..diagnostics import Diagnostics
from ..errors import AnnotationError
from ..models import Paper
from ..textio import decode_text, read_bytes
from .bioc import bioc_json_documents, documents_to_papers

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
    except RecursionError:
        raise AnnotationError("invalid JSON: nested too deeply", path=path, line=1) from None
    if _SURROGATE_ESCAPE.search(text) or (isinstance(data, str) and _SURROGATE.search(text)):
        value = _without_lone_surrogates(value, text, path, diag)
    docs = bioc_json_documents(value, path)
    return documents_to_papers(docs, path, "bioc-json", diag, text=text)


# A \uD800-\uDFFF escape not paired with its other half decodes to a lone surrogate, which no UTF-8
# output can hold; such escapes are rare enough that a regex over the raw text decides whether to look.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_LONE_ESCAPE = re.compile(
    r"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F])"  # a high half not followed by a low one
    r"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}"  # a low half not after a high one
)
_SURROGATE = re.compile("[\ud800-\udfff]")


def _without_lone_surrogates(value: Any, text: str, path: str, diag: Diagnostics) -> Any:
    """Replace lone surrogates in every string by U+FFFD, with one warning naming where the first one is."""
    replaced = 0

    def clean(item: Any) -> Any:
        nonlocal replaced
        if isinstance(item, str):
            fixed, count = _SURROGATE.subn("\ufffd", item)
            replaced += count
            return fixed
        if isinstance(item, list):
            return [clean(x) for x in item]
        if isinstance(item, dict):
            return {clean(k): clean(v) for k, v in item.items()}
        return item

    value = clean(value)
    if replaced:
        first = _LONE_ESCAPE.search(text)
        example = first.group() if first else "a \\uD800-\\uDFFF escape"
        diag.warn(
            "lone-surrogate",
            f"{replaced} unpaired UTF-16 surrogate(s), e.g. {example}, stand for no character; replaced by U+FFFD",
            path=path,
            line=text.count("\n", 0, first.start()) + 1 if first else None,
        )
    return value
