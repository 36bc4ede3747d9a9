"""What BioC-JSON and BioC-XML share once parsed: documents as dicts of passages and infons.

Both readers turn their syntax into the same plain structure (the BioC-JSON
shape) so that one function maps BioC onto exograph's records, including the
PubTator3 API's extras (document-level pmid/pmcid/journal/authors/date,
``identifier`` infons, relation roles and scores).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

from pydantic import ValidationError

from ..diagnostics import Diagnostics
from ..errors import AnnotationError
from ..models import Paper
from .annotations import RawAnnotation, RawDocument, RawRelation, to_paper
from .conventions import novelty

__all__ = ["ID_INFONS", "bioc_json_documents", "documents_to_papers"]

#: Infon keys that hold an annotation's id, in order of preference (CDR uses 'MESH').
ID_INFONS = ("identifier", "Identifier", "MESH", "NCBI Gene", "NCBIGene", "Gene", "NCBI Taxonomy", "ID")
_DOI = re.compile(r"\bdoi:\s*(10\.\S+?)\.?(?:\s|$)", re.IGNORECASE)


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
    if y and y[:4].isdigit() and dt.MINYEAR <= int(y[:4]) <= dt.MAXYEAR:
        return dt.date(int(y[:4]), 1, 1)
    return None


def _passage_name(infons: dict[str, Any]) -> str:
    section = _str(infons.get("section_type"))
    kind = _str(infons.get("type")) or "passage"
    if section:
        return section.lower()
    return "title" if kind in ("front", "title") else kind


def bioc_json_documents(value: Any, path: str) -> list[Any]:
    """The documents of a parsed BioC-JSON value, whatever its envelope: a collection (``documents``), a
    PubTator3 API answer (``{"PubTator3": [...]}``), a bare document or a list of documents.

    Shared by the reader and by ``exograph fetch``, which checks an answer's shape before caching it.
    """
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
        raise AnnotationError(f"BioC documents are {_json_type(docs)}, not a list", path=path, line=1)
    return docs


def documents_to_papers(
    docs: list[Any], path: str, fmt: str, diag: Diagnostics, *, text: str | None = None
) -> list[Paper]:
    """Map parsed BioC documents to Papers; a malformed document costs that document, not the file.

    Each document is checked at this boundary (:func:`_objects` and friends turn
    a wrong JSON type into an :class:`AnnotationError` naming what is wrong), and
    whatever still goes wrong inside one document is recorded as one
    ``malformed-document`` warning naming the file, the document and, where it
    can be found, its line; the file fails only when none of its documents can
    be read. ``text`` is the file's text, used to find a JSON document's line.
    """
    papers = []
    first_error: AnnotationError | None = None
    for index, doc in enumerate(docs):
        try:
            if not isinstance(doc, dict) or "passages" not in doc:
                raise AnnotationError("BioC document without 'passages'", path=path, line=_line(doc))
            papers.append(to_paper(_raw_document(doc, path, fmt, diag), diag))
        except AnnotationError as exc:
            error = exc
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError, RecursionError) as exc:
            # A shape no check above foresaw: still one document's problem, said in one line.
            error = AnnotationError(f"malformed document: {_describe(exc)}", path=path)
        else:
            continue
        line = error.line or _line(doc) or _json_line(doc, text)
        where = f"document {index + 1}" + (f" (id {_short(doc.get('id'))})" if isinstance(doc, dict) else "")
        if first_error is None:
            first_error = AnnotationError(f"{where}: {error.message}", path=path, line=line, column=error.column)
        diag.warn("malformed-document", f"{where} skipped: {error.message}", path=path, line=line)
    if not papers and first_error is not None:
        raise first_error
    return papers


def _describe(exc: BaseException) -> str:
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        return f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
    return f"{type(exc).__name__}: {str(exc)[:120]}"


def _short(value: Any) -> str:
    return repr(str(value)[:40]) if value is not None else "none"


def _json_line(doc: Any, text: str | None) -> int | None:
    """The line of a JSON document's id in the file's text, when it can be found."""
    if text is None or not isinstance(doc, dict) or doc.get("id") is None:
        return None
    found = re.search(r'"id"\s*:\s*"?' + re.escape(str(doc["id"])) + r"\b", text)
    return text.count("\n", 0, found.start()) + 1 if found else None


def _objects(value: Any, what: str, path: str, line: int | None) -> list[dict[str, Any]]:
    """A list of JSON objects, or an AnnotationError naming the first item that is not one."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise AnnotationError(f"{what} is {_json_type(value)}, not a list", path=path, line=line)
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            raise AnnotationError(f"{what}[{i}] is {_json_type(item)}, not an object", path=path, line=line)
    return value


def _infons_of(item: dict[str, Any], what: str, path: str, line: int | None) -> dict[str, Any]:
    infons = item.get("infons")
    if infons is None:
        return {}
    if not isinstance(infons, dict):
        raise AnnotationError(f"{what} infons is {_json_type(infons)}, not an object", path=path, line=line)
    return infons


def _json_type(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", int: "a number", float: "a number"}
    return "null" if value is None else names.get(type(value), f"a {type(value).__name__}")


def _line(doc: Any) -> int | None:
    return doc.get("_line") if isinstance(doc, dict) else None


def _raw_document(doc: dict[str, Any], path: str, fmt: str, diag: Diagnostics) -> RawDocument:
    doc_id = _str(doc.get("id")) or "?"
    raw = RawDocument(path=path, format=fmt, line=_line(doc), doc_id=doc_id)
    pmid = _str(doc.get("pmid"))
    pmcid = _str(doc.get("pmcid"))
    passages = _objects(doc.get("passages"), "passages", path, raw.line)
    first_infons = _infons_of(passages[0], "passage", path, raw.line) if passages else {}
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
        infons = _infons_of(passage, f"passages[{index}]", path, raw.line)
        kind = _str(infons.get("type")) or ""
        section = (_str(infons.get("section_type")) or "").upper()
        if not kind and not section:
            # BioRED's BioC-JSON gives no passage infons: title first, then the abstract.
            kind = "title" if index == 0 else "abstract"
        name = _passage_name({**infons, "type": kind})
        text = _text(passage.get("text"))
        if not raw.title and (kind in ("title", "front") or section == "TITLE"):
            raw.title = text
        elif kind == "abstract" or (section == "ABSTRACT" and not kind.startswith("abstract_title")):
            abstract.append(text)
        for ann in _objects(passage.get("annotations"), f"passages[{index}].annotations", path, raw.line):
            raw.annotations.append(_annotation(ann, name, path, diag))
    raw.abstract = "\n".join(abstract)
    for rel in _objects(doc.get("relations"), "relations", path, raw.line):
        raw.relations.append(_relation(rel, path, diag))
    return raw


def _text(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, (str, int, float)):
        raise AnnotationError(f"a passage text is {_json_type(value)}, not a string")
    return str(value)


def _journal_from_citation(citation: str | None) -> str | None:
    if not citation:
        return None
    return citation.split(".", 1)[0].strip() or None


def _annotation(ann: dict[str, Any], passage: str, path: str, diag: Diagnostics) -> RawAnnotation:
    line = ann.get("_line")
    infons = _infons_of(ann, f"annotation {ann.get('id')!r}", path, line)
    locations = _objects(ann.get("locations"), f"annotation {ann.get('id')!r} locations", path, line)
    if not locations:
        raise AnnotationError(f"annotation {ann.get('id')!r} has no location", path=path, line=line)
    try:
        start = min(_offset(loc["offset"]) for loc in locations)
        end = max(_offset(loc["offset"]) + _offset(loc["length"]) for loc in locations)
    except (KeyError, TypeError, ValueError, OverflowError):
        raise AnnotationError(
            f"annotation {ann.get('id')!r} has a location without a non-negative integer offset and length",
            path=path,
            line=line,
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


def _offset(value: Any) -> int:
    """A location's offset or length: a non-negative integer (``"12"`` and ``12.0`` too; not ``1e400``)."""
    if isinstance(value, bool):
        raise TypeError("a boolean is not an offset")
    number = int(value) if not isinstance(value, float) else int(value) if value.is_integer() else -1
    if number < 0 or number > _MAX_OFFSET:
        raise ValueError(f"offset {value!r} out of range")
    return number


#: Offsets past this are no text's (a BioC file is read whole into memory, so 2**40 characters is out of reach).
_MAX_OFFSET = 1 << 40


def _relation(rel: dict[str, Any], path: str, diag: Diagnostics) -> RawRelation:
    line = rel.get("_line")
    infons = _infons_of(rel, f"relation {rel.get('id')!r}", path, line)
    rtype = _str(infons.get("type")) or _str(infons.get("relation")) or "related_to"
    novel = novelty(_str(infons.get("novel")), diag, path=path, line=line)
    score = None
    if _str(infons.get("score")):
        try:
            score = float(infons["score"])
            if not math.isfinite(score):
                raise ValueError(score)
        except (ValueError, TypeError, OverflowError):
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
    nodes = _objects(rel.get("nodes"), f"relation {rel.get('id')!r} nodes", path, line)
    if len(nodes) >= 2:
        return RawRelation(
            type=rtype, id1=str(nodes[0].get("refid")), id2=str(nodes[1].get("refid")), novel=novel, line=line
        )
    raise AnnotationError(f"relation {rel.get('id')!r} names no two entities", path=path, line=line)
