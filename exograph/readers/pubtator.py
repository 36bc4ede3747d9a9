"""Reader for the PubTator tab format (BioRED, BioCreative V CDR, PubTator exports).

Documents are separated by blank lines: ``PMID|t|title``, ``PMID|a|abstract``,
then ``PMID<TAB>start<TAB>end<TAB>text<TAB>type<TAB>id[<TAB>extra]`` mention
lines and ``PMID<TAB>type<TAB>id1<TAB>id2[<TAB>novel]`` relation lines.
Offsets count from the start of the document (title, a space, abstract).
"""

from __future__ import annotations

from pathlib import Path
from typing import IO

from ..diagnostics import Diagnostics
from ..errors import AnnotationError
from ..models import Paper
from ..textio import decode_text, read_bytes
from .annotations import RawAnnotation, RawDocument, RawRelation, to_paper
from .conventions import novelty

__all__ = ["parse_pubtator", "read_pubtator"]


def read_pubtator(source: str | Path | IO[bytes], diagnostics: Diagnostics | None = None) -> list[Paper]:
    """Every document of a PubTator file as a Paper."""
    data, label = read_bytes(source)
    return parse_pubtator(data, label, diagnostics)


def parse_pubtator(data: bytes | str, path: str = "<pubtator>", diagnostics: Diagnostics | None = None) -> list[Paper]:
    """Parse PubTator text; errors name the line and column."""
    diag = diagnostics if diagnostics is not None else Diagnostics()
    text = data if isinstance(data, str) else decode_text(data, path, error=AnnotationError)
    papers: list[Paper] = []
    doc: RawDocument | None = None

    def finish() -> None:
        nonlocal doc
        if doc is not None:
            papers.append(to_paper(doc, diag))
            doc = None

    for n, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            finish()
            continue
        head = line.split("\t", 1)[0]
        if "|" in head and "\t" not in line[: len(head)]:
            pmid, sep, rest = line.partition("|")
            kind, sep2, body = rest.partition("|")
            if sep and sep2 and kind in ("t", "a"):
                if doc is not None and doc.doc_id != pmid.strip():
                    finish()
                if doc is None:
                    doc = RawDocument(path=path, format="pubtator", line=n, doc_id=pmid.strip())
                    doc.pmid = pmid.strip() if pmid.strip().isdigit() else None
                if kind == "t":
                    doc.title = body
                else:
                    doc.abstract = body
                continue
        fields = line.split("\t")
        if doc is None:
            raise AnnotationError(
                "annotation line before any 'PMID|t|title' line", path=path, line=n, column=1, value=line[:80]
            )
        if fields[0].strip() != doc.doc_id:
            raise AnnotationError(
                f"line belongs to document {fields[0]!r} but follows document {doc.doc_id!r} (missing blank line?)",
                path=path,
                line=n,
                column=1,
                value=line[:80],
            )
        if len(fields) >= 5 and fields[1].strip().isdigit():
            _mention(doc, fields, path, n, diag)
        elif len(fields) in (4, 5) and not fields[1].strip().lstrip("-").isdigit():
            novel = novelty(fields[4], diag, path=path, line=n) if len(fields) == 5 else None
            doc.relations.append(RawRelation(type=fields[1].strip(), id1=fields[2], id2=fields[3], novel=novel, line=n))
        else:
            raise AnnotationError(
                f"line is neither a mention (6 tab-separated fields) nor a relation (4-5 fields): {line[:80]!r}",
                path=path,
                line=n,
                column=1,
                value=line,
            )
    finish()
    return papers


def _mention(doc: RawDocument, fields: list[str], path: str, n: int, diag: Diagnostics) -> None:
    try:
        start, end = int(fields[1]), int(fields[2])
    except ValueError:
        column = len(fields[0]) + 2
        raise AnnotationError(
            f"offsets must be integers, got {fields[1]!r} and {fields[2]!r}", path=path, line=n, column=column
        ) from None
    if end < start:
        raise AnnotationError(
            f"mention ends ({end}) before it starts ({start})", path=path, line=n, column=len(fields[0]) + 2
        )
    identifier = fields[5] if len(fields) > 5 else "-"
    if len(fields) == 5:
        diag.warn("missing-id", f"mention {fields[3]!r} has no id column; kept as not normalised", path=path, line=n)
    text = fields[3]
    full = doc.title + " " + doc.abstract
    if full[start:end] != text and doc.title:
        diag.warn("offset-mismatch", f"text at {start}-{end} is {full[start:end]!r}, not {text!r}", path=path, line=n)
    passage = "title" if start < len(doc.title) else "abstract"
    doc.annotations.append(
        RawAnnotation(text=text, start=start, end=end, passage=passage, type=fields[4], identifier=identifier, line=n)
    )
