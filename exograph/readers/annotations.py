"""What PubTator and BioC readers share: type and id normalisation, and assembling a Paper.

PubTator tab files, BioC-JSON and BioC-XML carry the same information in three
syntaxes; each reader turns its syntax into :class:`RawDocument` and this module
does the rest, so the three agree on every id and count.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Final

from ..diagnostics import Diagnostics
from ..errors import UnknownPrefixError
from ..iris import local_curie, normalize_curie
from ..models import Entity, EntityType, Mention, Paper, Relation, SourceRef
from .conventions import NOT_NORMALISED

__all__ = [
    "ENTITY_TYPE_OF",
    "RawAnnotation",
    "RawDocument",
    "RawRelation",
    "annotation_curies",
    "split_composite",
    "to_paper",
]

#: Annotation type in PubTator/BioC -> node type.
ENTITY_TYPE_OF: Final[dict[str, EntityType]] = {
    "gene": "Gene",
    "geneorgeneproduct": "Gene",
    "disease": "Disease",
    "diseaseorphenotypicfeature": "Disease",
    "chemical": "ChemicalEntity",
    "chemicalentity": "ChemicalEntity",
    "species": "OrganismTaxon",
    "organismtaxon": "OrganismTaxon",
    "sequencevariant": "SequenceVariant",
    "variant": "SequenceVariant",
    "mutation": "SequenceVariant",
    "dnamutation": "SequenceVariant",
    "proteinmutation": "SequenceVariant",
    "snp": "SequenceVariant",
    "cellline": "CellLine",
}

DEFAULT_PREFIX: Final[dict[EntityType, str]] = {
    "Gene": "NCBIGene",
    "Disease": "MESH",
    "ChemicalEntity": "MESH",
    "OrganismTaxon": "NCBITaxon",
    "CellLine": "CVCL",
    "SequenceVariant": "tmVar",
}

_COMPOSITE: Final = re.compile(r"[|,;]")
_RS: Final = re.compile(r"(?:RS#:|^)\s*(rs)?(\d+)\b", re.IGNORECASE)
_TMVAR_BARE: Final = re.compile(r"^[cgpmrn]?\|", re.IGNORECASE)


@dataclass(slots=True)
class RawAnnotation:
    """One annotated span as a reader found it."""

    text: str
    start: int
    end: int
    passage: str
    type: str
    identifier: str
    line: int | None = None
    name: str | None = None


@dataclass(slots=True)
class RawRelation:
    """One relation as a reader found it (ids as written, entity types when the source gives them)."""

    type: str
    id1: str
    id2: str
    novel: bool | None = None
    score: float | None = None
    type1: str | None = None
    type2: str | None = None
    line: int | None = None


@dataclass
class RawDocument:
    """A document in reader-neutral form."""

    path: str
    format: str
    line: int | None
    doc_id: str
    title: str = ""
    abstract: str = ""
    pmid: str | None = None
    pmcid: str | None = None
    doi: str | None = None
    journal: str | None = None
    date: dt.date | None = None
    authors: tuple[str, ...] = ()
    annotations: list[RawAnnotation] = field(default_factory=list)
    relations: list[RawRelation] = field(default_factory=list)


def split_composite(etype: EntityType, raw: str) -> list[str]:
    """A composite id (``D014786|D006311``, ``3172,3651``, ``6239;252961``) as its parts; variants never split."""
    raw = raw.strip()
    if etype == "SequenceVariant":
        return [raw]
    return [part.strip() for part in _COMPOSITE.split(raw) if part.strip()] or [raw]


def annotation_curies(
    etype: EntityType, raw: str, *, diag: Diagnostics, path: str, line: int | None
) -> list[str | None]:
    """Standard CURIEs for an annotation id; None for a part that is not normalised."""
    out: list[str | None] = []
    for part in split_composite(etype, raw):
        if part.casefold() in NOT_NORMALISED:
            out.append(None)
            continue
        try:
            out.append(_one_curie(etype, part))
        except UnknownPrefixError:
            diag.warn(
                "unknown-id-scheme", f"id {part!r} uses an unknown scheme; kept as not normalised", path=path, line=line
            )
            out.append(None)
    return out


def _one_curie(etype: EntityType, part: str) -> str:
    if etype == "SequenceVariant":
        if "RS#:" in part or re.fullmatch(r"rs\d+", part, re.IGNORECASE):
            match = _RS.search(part)
            if match:
                return f"DBSNP:rs{match.group(2)}"
        head = part.split(";", 1)[0].strip()
        if head.lower().startswith("tmvar:"):
            return "tmVar:" + head[6:]
        if _TMVAR_BARE.match(head):
            return "tmVar:" + head
        if head.upper().startswith("HGVS:"):
            return "HGVS:" + head[5:]
        raise UnknownPrefixError(part)
    if etype == "CellLine" and part.upper().startswith("CVCL_"):
        return "CVCL:" + part[5:]
    if ":" in part:
        return normalize_curie(part)
    return normalize_curie(f"{DEFAULT_PREFIX[etype]}:{part}")


def to_paper(doc: RawDocument, diag: Diagnostics) -> Paper:
    """Assemble a Paper: entities merged per id, one Mention per span, relations resolved to node ids."""
    entities: dict[tuple[str, str], Entity] = {}
    mentions: list[Mention] = []
    by_raw: dict[str, list[str]] = {}
    for ann in doc.annotations:
        etype = ENTITY_TYPE_OF.get(ann.type.replace("_", "").replace(" ", "").casefold())
        if etype is None:
            diag.warn(
                "unknown-entity-type",
                f"annotation type {ann.type!r} is not one exograph maps; mention {ann.text!r} not imported",
                path=doc.path,
                line=ann.line,
            )
            continue
        curies = annotation_curies(etype, ann.identifier, diag=diag, path=doc.path, line=ann.line)
        keys: list[str] = []
        for curie in curies:
            key = curie if curie is not None else local_curie(etype, ann.text)
            keys.append(key)
            surface = ann.text.strip() or ann.identifier
            entity_key = (key, surface)
            if entity_key not in entities:
                entities[entity_key] = Entity(
                    type=etype,
                    curie=curie,
                    raw_id=ann.identifier,
                    name=surface,
                    symbol=ann.name if (etype == "Gene" and ann.name) else None,
                    aliases=(ann.name,) if (ann.name and ann.name != surface) else (),
                )
        keys = list(dict.fromkeys(keys))
        mentions.append(
            Mention(text=ann.text, start=ann.start, end=ann.end, passage=ann.passage, entity_keys=tuple(keys))
        )
        by_raw.setdefault(ann.identifier.strip(), keys)
        for part, key in zip(split_composite(etype, ann.identifier), keys, strict=False):
            by_raw.setdefault(part, [key])
            if key not in by_raw:
                by_raw[key] = [key]
    known = {key for key, _ in entities}
    relations: list[Relation] = []
    for rel in doc.relations:
        subject = _resolve(rel.id1, rel.type1, by_raw, known)
        obj = _resolve(rel.id2, rel.type2, by_raw, known)
        if subject is None or obj is None:
            missing = rel.id1 if subject is None else rel.id2
            diag.warn(
                "relation-unknown-entity",
                f"{rel.type} relation names {missing!r}, which no annotation of document {doc.doc_id} has; "
                "kept with an id from the relation alone",
                path=doc.path,
                line=rel.line,
            )
            subject = subject or _guess_key(rel.id1, rel.type1)
            obj = obj or _guess_key(rel.id2, rel.type2)
        relations.append(Relation(type=rel.type, subject=subject, object=obj, novel=rel.novel, score=rel.score))
    if not doc.title.strip():
        diag.warn("missing-title", f"document {doc.doc_id} has no title passage", path=doc.path, line=doc.line)
    return Paper(
        title=doc.title.strip() or f"(untitled document {doc.doc_id})",
        authors=doc.authors,
        journal=doc.journal,
        date=doc.date,
        pmid=doc.pmid,
        pmcid=doc.pmcid,
        doi=doc.doi,
        abstract=doc.abstract.strip() or None,
        entities=tuple(entities.values()),
        mentions=tuple(mentions),
        relations=tuple(relations),
        source=SourceRef(path=doc.path, line=doc.line, format=doc.format),
    )


def _resolve(raw: str, etype: str | None, by_raw: dict[str, list[str]], known: set[str]) -> str | None:
    raw = raw.strip()
    if raw in by_raw:
        return by_raw[raw][0]
    node_type = ENTITY_TYPE_OF.get((etype or "").replace("_", "").casefold())
    candidates = [node_type] if node_type else list(DEFAULT_PREFIX)
    for candidate in candidates:
        try:
            key = _one_curie(candidate, raw)  # type: ignore[arg-type]
        except (UnknownPrefixError, KeyError):
            continue
        if key in known:
            return key
    return None


def _guess_key(raw: str, etype: str | None) -> str:
    node_type = ENTITY_TYPE_OF.get((etype or "").replace("_", "").casefold())
    if node_type is not None:
        try:
            return _one_curie(node_type, raw.strip())
        except UnknownPrefixError:
            return local_curie(node_type, raw)
    try:
        return normalize_curie(raw.strip())
    except UnknownPrefixError:
        return local_curie("entity", raw)
