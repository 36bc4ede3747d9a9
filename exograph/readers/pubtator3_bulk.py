"""Reader for PubTator3's bulk files: every PubMed abstract's concepts and relations, without the text.

``bioconcepts2pubtator3.gz`` and the per-type files (``gene2pubtator3.gz`` ...)
hold one concept per row, ``PMID<TAB>Type<TAB>ConceptID<TAB>Mentions<TAB>Resource``
(mentions ``|``-separated); ``relation2pubtator3.gz`` one relation per row,
``PMID<TAB>type<TAB>Type|ConceptID<TAB>Type|ConceptID``. Rows come grouped by
PMID. There are no titles, offsets or spans: each PMID becomes a paper (titled
``PubMed <PMID>``) that mentions its concepts, every name PubTator3 saw kept as
the entity's names, and its relations; the concept file and the relation file of
the same abstracts are merged by PMID like any two sources of one paper.

The file is read as a gzip stream, a group of rows at a time, so a reader of
PMID groups (:func:`iter_pubtator3_bulk`) never holds more than one paper's rows.
"""

from __future__ import annotations

import gzip
import io
import re
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Final

from ..diagnostics import Diagnostics
from ..errors import AnnotationError
from ..models import Entity, EntityType, Paper, Relation, SourceRef
from ..textio import read_bytes
from .annotations import ENTITY_TYPE_OF, annotation_curies, split_composite

__all__ = [
    "FORMAT",
    "ConceptIds",
    "bulk_paper",
    "concept_entities",
    "concept_ids",
    "concept_names",
    "concept_records",
    "iter_pubtator3_bulk",
    "looks_like_pubtator3_bulk",
    "parse_pubtator3_bulk",
    "read_pubtator3_bulk",
    "relation_end",
]

_CONCEPT: Final = re.compile(rb"^\d+\t[A-Za-z_ ]+\t[^\t\n]*\t[^\t\n]*\t[^\t\n]*\r?$")
_RELATION: Final = re.compile(rb"^\d+\t[A-Za-z_]+\t[A-Za-z]+\|[^\t\n]+\t[A-Za-z]+\|[^\t\n]+\r?$")
#: The format name of a bulk file's records.
FORMAT: Final = "pubtator3-bulk"


def looks_like_pubtator3_bulk(head: bytes) -> bool:
    """Whether the first line of (decompressed) text is a bulk concept or relation row."""
    first = head.split(b"\n", 1)[0]
    return bool(_CONCEPT.match(first) or _RELATION.match(first))


def read_pubtator3_bulk(source: str | Path | IO[bytes], diagnostics: Diagnostics | None = None) -> list[Paper]:
    """Every PMID of a bulk file (gzipped or not) as a Paper."""
    data, label = read_bytes(source)
    return parse_pubtator3_bulk(data, label, diagnostics)


def parse_pubtator3_bulk(data: bytes, path: str = "<pubtator3>", diagnostics: Diagnostics | None = None) -> list[Paper]:
    """Parse a bulk file held in memory (gzipped or not)."""
    if data[:2] == b"\x1f\x8b":
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
            return list(iter_pubtator3_bulk(stream, path, diagnostics))
    # Bytes in memory are decoded in one go (a line break is never part of a multi-byte UTF-8 character, so
    # this reads each line as decoding it alone would): a chunk of a bulk file holds half a million rows.
    return list(_papers(data.decode("utf-8", "replace").split("\n"), path, diagnostics))


def iter_pubtator3_bulk(stream: Iterable[bytes], path: str, diagnostics: Diagnostics | None = None) -> Iterator[Paper]:
    """Papers one PMID group at a time from a (decompressed) binary stream."""
    return _papers((raw.decode("utf-8", "replace") for raw in stream), path, diagnostics)


def _papers(lines: Iterable[str], path: str, diagnostics: Diagnostics | None) -> Iterator[Paper]:
    """Papers one PMID group at a time from decoded lines (a stream's may fail as a broken gzip stream)."""
    diag = diagnostics if diagnostics is not None else Diagnostics()
    group: list[tuple[int, list[str]]] = []
    seen: _Concepts = {}
    pmid = ""
    line_no = 0
    try:
        for line_no, raw in enumerate(lines, start=1):
            text = raw.rstrip("\r\n")
            if not text.strip():
                continue
            fields = text.split("\t")
            if not fields[0].isdigit():
                raise AnnotationError(f"row does not start with a PMID: {text[:80]!r}", path=path, line=line_no)
            if fields[0] != pmid and group:
                yield _paper(pmid, group, path, diag, seen)
                group = []
            pmid = fields[0]
            group.append((line_no, fields))
    except (OSError, EOFError, zlib.error) as exc:
        raise AnnotationError(f"broken gzip stream: {exc}", path=path, line=line_no + 1) from None
    if group:
        yield _paper(pmid, group, path, diag, seen)


#: Entities of a concept row (type, id, mentions), shared by every row that says the same: concepts follow a
#: Zipf law, so most rows repeat one seen before, and sharing the record also lets the graph count it cheaply.
_Concepts = dict[tuple[str, str, str], tuple[tuple[str, "Entity"], ...]]
#: Most concept rows remembered at once (the cache is emptied when full; it only saves work).
_CONCEPT_CACHE_SIZE: Final = 200_000


def _paper(pmid: str, rows: list[tuple[int, list[str]]], path: str, diag: Diagnostics, seen: _Concepts) -> Paper:
    entities: dict[str, Entity] = {}
    relations: list[Relation] = []
    for line, fields in rows:
        if len(fields) == 5:
            ident = (fields[1], fields[2], fields[3])
            known = seen.get(ident)
            if known is None:
                before = len(diag.items)
                known = tuple((entity.key, entity) for entity in concept_entities(fields, path, line, diag))
                if len(diag.items) == before:  # a row with a warning is read again, so each gets its line
                    if len(seen) >= _CONCEPT_CACHE_SIZE:
                        seen.clear()
                    seen[ident] = known
            for key, entity in known:
                if key not in entities:
                    entities[key] = entity
        elif len(fields) == 4 and "|" in fields[2] and "|" in fields[3]:
            relation = _relation(fields, path, line, diag)
            if relation is not None:
                relations.append(relation)
        else:
            raise AnnotationError(
                f"row is neither a concept (5 tab-separated fields) nor a relation (4): {fields!r}"[:160],
                path=path,
                line=line,
            )
    return bulk_paper(pmid, path, rows[0][0], tuple(entities.values()), tuple(relations))


def bulk_paper(
    pmid: str, path: str, line: int, entities: tuple[Entity, ...] = (), relations: tuple[Relation, ...] = ()
) -> Paper:
    """The paper record of one PMID's rows (what a bulk file says of a paper besides its concepts and relations)."""
    return Paper(
        title=f"PubMed {pmid}",
        pmid=pmid,
        entities=entities,
        relations=relations,
        source=SourceRef(path=path, line=line, format=FORMAT),
    )


def concept_entities(fields: list[str], path: str, line: int, diag: Diagnostics) -> tuple[Entity, ...]:
    """The entities of one concept row's fields (several for a composite id; none, with a warning, for a type
    exograph does not map)."""
    _, kind, concept, mentions, _resource = fields
    ids = concept_ids(kind, concept, path, line, diag)
    return concept_records(ids, kind, concept, mentions) if ids is not None else ()


#: What a concept row's type and id come to: the entity type and each (CURIE, id as written) of the id, or
#: None for a type exograph does not map.
ConceptIds = tuple[EntityType, tuple[tuple[str | None, str], ...]] | None


def concept_ids(kind: str, concept: str, path: str, line: int, diag: Diagnostics) -> ConceptIds:
    """The id handling of a concept row (warnings go to ``diag`` with ``line``): apart from its names, as many rows
    name one concept with different mentions."""
    etype = ENTITY_TYPE_OF.get(kind.replace("_", "").replace(" ", "").casefold())
    if etype is None:
        diag.warn(
            "unknown-entity-type",
            f"concept type {kind!r} is not one exograph maps; row not imported",
            path=path,
            line=line,
        )
        return None
    curies = annotation_curies(etype, concept, diag=diag, path=path, line=line)
    return etype, tuple(zip(curies, split_composite(etype, concept), strict=False))


def concept_records(ids: ConceptIds, kind: str, concept: str, mentions: str) -> tuple[Entity, ...]:
    """A concept row's entity records from its ids (:func:`concept_ids`) and its ``|``-separated mentions."""
    if ids is None:
        return ()
    etype, parts = ids
    name, aliases = concept_names(kind, concept, mentions)
    return tuple(Entity(type=etype, curie=curie, raw_id=part, name=name, aliases=aliases) for curie, part in parts)


def concept_names(kind: str, concept: str, mentions: str) -> tuple[str, tuple[str, ...]]:
    """A concept row's name and aliases: its first mention and the others, each once (the id, else the type,
    when it has none)."""
    names = [m.strip() for m in mentions.split("|") if m.strip()] or [concept.strip() or kind]
    return names[0], tuple(dict.fromkeys(names[1:]))


def _relation(fields: list[str], path: str, line: int, diag: Diagnostics) -> Relation | None:
    _, rtype, first, second = fields
    ends: list[str] = []
    for end in (first, second):
        curie = relation_end(end, path, line, diag)
        if curie is None:
            diag.warn(
                "relation-unknown-entity",
                f"{rtype} relation names {end!r}, which has no usable id; not imported",
                path=path,
                line=line,
            )
            return None
        ends.append(curie)
    return Relation(type=rtype, subject=ends[0], object=ends[1])


def relation_end(end: str, path: str, line: int, diag: Diagnostics) -> str | None:
    """The node id of one end of a relation row (``Type|ConceptID``), or None when it has no usable id (the
    caller warns); the id handling's own warnings go to ``diag`` with ``line``."""
    kind, _, concept = end.partition("|")
    etype = ENTITY_TYPE_OF.get(kind.replace("_", "").casefold())
    if etype is None:
        return None
    curies = annotation_curies(etype, concept, diag=diag, path=path, line=line)
    return curies[0] if curies else None
