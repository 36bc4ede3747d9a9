"""What BioC-JSON and BioC-XML share once parsed: documents as dicts of passages and infons.

Both readers turn their syntax into the same plain structure (the BioC-JSON
shape) so that one function maps BioC onto exograph's records, including the
PubTator3 API's extras (document-level pmid/pmcid/journal/authors/date,
``identifier`` infons, relation roles and scores).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from ..diagnostics import Diagnostics
from ..errors import AnnotationError
from ..models import Paper
from .annotations import RawAnnotation, RawDocument, RawRelation, to_paper

__all__ = ["ID_INFONS", "documents_to_papers"]

#: Infon keys that hold an annotation's id, in order of preference (CDR uses 'MESH').
ID_INFONS = ("identifier", "Identifier", "MESH", "NCBI Gene", "NCBIGene", "Gene", "NCBI Taxonomy", "ID")
_DOI = re.compile(r"\bdoi:\s*(10\.\S+?)\.?(?:\s|$)", re.IGNORECASE)
_NOVEL = {"novel": True, "no": False}


def _str(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text if text and text.lower() not in ("none", "null") else None


def _date(value: Any, year: Any) -> dt.date | None:
    text = _str(value)
    if text:
        try:
            return dt.date.fromisoformat(text[:10])
        except ValueError:
            pass
    y = _str(year)
    if y and y[:4].isdigit():
        return dt.date(int(y[:4]), 1, 1)
    return None


def _passage_name(infons: dict[str, Any]) -> str:
    section = _str(infons.get("section_type"))
    kind = _str(infons.get("type")) or "passage"
    if section:
        return section.lower()
    return "title" if kind in ("front", "title") else kind


def documents_to_papers(docs: list[dict[str, Any]], path: str, fmt: str, diag: Diagnostics) -> list[Paper]:
    """Map parsed BioC documents to Papers."""
    papers = []
    for doc in docs:
        if not isinstance(doc, dict) or "passages" not in doc:
            raise AnnotationError("BioC document without 'passages'", path=path, line=_line(doc), value=str(doc)[:80])
        papers.append(to_paper(_raw_document(doc, path, fmt, diag), diag))
    return papers


def _line(doc: Any) -> int | None:
    return doc.get("_line") if isinstance(doc, dict) else None


def _raw_document(doc: dict[str, Any], path: str, fmt: str, diag: Diagnostics) -> RawDocument:
    doc_id = _str(doc.get("id")) or "?"
    raw = RawDocument(path=path, format=fmt, line=_line(doc), doc_id=doc_id)
    pmid = _str(doc.get("pmid"))
    pmcid = _str(doc.get("pmcid"))
    passages = doc.get("passages") or []
    first_infons = (passages[0].get("infons") or {}) if passages else {}
    pmid = pmid or _str(first_infons.get("article-id_pmid"))
    pmcid = pmcid or _str(first_infons.get("article-id_pmc"))
    if pmid is None and doc_id.isdigit() and not pmcid:
        pmid = doc_id
    if pmcid and not pmcid.upper().startswith("PMC"):
        pmcid = "PMC" + pmcid
    raw.pmid = pmid
    raw.pmcid = pmcid.upper() if pmcid else None
    raw.doi = _str(first_infons.get("article-id_doi"))
    if raw.doi is None:
        match = _DOI.search(str(first_infons.get("journal") or ""))
        raw.doi = match.group(1) if match else None
    raw.journal = _str(doc.get("journal")) or _journal_from_citation(_str(first_infons.get("journal")))
    raw.date = _date(doc.get("date"), first_infons.get("year"))
    authors = doc.get("authors")
    if isinstance(authors, list):
        raw.authors = tuple(str(a).strip() for a in authors if str(a).strip())
    elif _str(first_infons.get("authors")):
        raw.authors = tuple(a.strip() for a in str(first_infons["authors"]).split(",") if a.strip())
    abstract: list[str] = []
    for index, passage in enumerate(passages):
        infons = passage.get("infons") or {}
        kind = _str(infons.get("type")) or ""
        section = (_str(infons.get("section_type")) or "").upper()
        if not kind and not section:
            # BioRED's BioC-JSON gives no passage infons: title first, then the abstract.
            kind = "title" if index == 0 else "abstract"
        name = _passage_name({**infons, "type": kind})
        text = passage.get("text") or ""
        if not raw.title and (kind in ("title", "front") or section == "TITLE"):
            raw.title = text
        elif kind == "abstract" or (section == "ABSTRACT" and not kind.startswith("abstract_title")):
            abstract.append(text)
        for ann in passage.get("annotations") or []:
            raw.annotations.append(_annotation(ann, name, path, diag))
    raw.abstract = "\n".join(abstract)
    for rel in doc.get("relations") or []:
        raw.relations.append(_relation(rel, path, diag))
    return raw


def _journal_from_citation(citation: str | None) -> str | None:
    if not citation:
        return None
    return citation.split(".", 1)[0].strip() or None


def _annotation(ann: dict[str, Any], passage: str, path: str, diag: Diagnostics) -> RawAnnotation:
    infons = ann.get("infons") or {}
    line = ann.get("_line")
    locations = ann.get("locations") or []
    if not locations:
        raise AnnotationError(f"annotation {ann.get('id')!r} has no location", path=path, line=line)
    try:
        start = min(int(loc["offset"]) for loc in locations)
        end = max(int(loc["offset"]) + int(loc["length"]) for loc in locations)
    except (KeyError, TypeError, ValueError):
        raise AnnotationError(
            f"annotation {ann.get('id')!r} has a location without integer offset and length", path=path, line=line
        ) from None
    identifier = next((_str(infons[k]) for k in ID_INFONS if _str(infons.get(k)) is not None), None)
    if identifier is None:
        identifier = "-"
    return RawAnnotation(
        text=str(ann.get("text") or ""),
        start=start,
        end=end,
        passage=passage,
        type=str(infons.get("type") or ""),
        identifier=identifier,
        line=line,
        name=_str(infons.get("name")),
    )


def _relation(rel: dict[str, Any], path: str, diag: Diagnostics) -> RawRelation:
    infons = rel.get("infons") or {}
    line = rel.get("_line")
    rtype = _str(infons.get("type")) or _str(infons.get("relation")) or "related_to"
    novel = None
    if _str(infons.get("novel")):
        novel = _NOVEL.get(str(infons["novel"]).casefold())
    score = None
    if _str(infons.get("score")):
        try:
            score = float(infons["score"])
        except ValueError:
            diag.warn("unknown-field", f"relation score {infons['score']!r} is not a number", path=path, line=line)
    if isinstance(infons.get("role1"), dict) and isinstance(infons.get("role2"), dict):
        r1, r2 = infons["role1"], infons["role2"]
        return RawRelation(
            type=rtype,
            id1=str(r1.get("identifier") or "-"),
            id2=str(r2.get("identifier") or "-"),
            novel=novel,
            score=score,
            type1=_str(r1.get("type")),
            type2=_str(r2.get("type")),
            line=line,
        )
    if "entity1" in infons and "entity2" in infons:
        return RawRelation(type=rtype, id1=str(infons["entity1"]), id2=str(infons["entity2"]), novel=novel, line=line)
    if "Chemical" in infons and "Disease" in infons:  # CDR
        return RawRelation(
            type=rtype,
            id1=str(infons["Chemical"]),
            id2=str(infons["Disease"]),
            type1="Chemical",
            type2="Disease",
            line=line,
        )
    nodes = rel.get("nodes") or []
    if len(nodes) >= 2:
        return RawRelation(
            type=rtype, id1=str(nodes[0].get("refid")), id2=str(nodes[1].get("refid")), novel=novel, line=line
        )
    raise AnnotationError(f"relation {rel.get('id')!r} names no two entities", path=path, line=line)
