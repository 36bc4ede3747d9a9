"""SSSOM mapping sets: which ids of two vocabularies name the same thing (MONDO ↔ MeSH, ...).

An SSSOM TSV file opens with a ``#``-commented YAML header (``curie_map``,
``license``, ``mapping_set_id`` ...) and has one mapping a row. The reader maps
the file's prefixes onto exograph's own (``mesh:D009369`` -> ``MESH:D009369``),
so that a mapping joins the ids the readers produce; a malformed header, row or
id is a :class:`~exograph.errors.MappingError` naming the file and line, while
rows exograph cannot use (an id scheme it does not know, a predicate that is not
a SKOS match, a negated mapping) are skipped with one recorded warning per kind
and file, never silently.

>>> mapping_set = read_sssom(DEFAULT_MAPPINGS)
>>> len(mapping_set.mappings) > 8000, mapping_set.mappings[0].predicate
(True, 'skos:exactMatch')
"""

from __future__ import annotations

import csv
import gzip
import io
import textwrap
from collections.abc import Iterator, Sequence
from importlib.resources import as_file, files
from pathlib import Path
from typing import IO, Final

from pydantic import Field

from .errors import MappingError, UnknownPrefixError
from .iris import RDF_PREFIXES, converter, normalize_curie
from .models import Diagnostic, Record
from .textio import read_bytes

__all__ = [
    "DEFAULT_MAPPINGS",
    "MATCH_PREDICATES",
    "SEMAPV",
    "Mapping",
    "MappingSet",
    "read_sssom",
]

SKOS: Final = RDF_PREFIXES["skos"]
SEMAPV: Final = RDF_PREFIXES["semapv"]
#: The SKOS mapping predicates exograph links ids with (as CURIEs), and their IRIs.
MATCH_PREDICATES: Final[dict[str, str]] = {
    f"skos:{name}": SKOS + name for name in ("exactMatch", "closeMatch", "broadMatch", "narrowMatch", "relatedMatch")
}
#: Prefixes every SSSOM file may use without declaring them (SSSOM's built-in prefix map).
_BUILTIN: Final[dict[str, str]] = {
    "skos": SKOS,
    "semapv": SEMAPV,
    "owl": "http://www.w3.org/2002/07/owl#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "sssom": "https://w3id.org/sssom/",
    "oboInOwl": "http://www.geneontology.org/formats/oboInOwl#",
}
_REQUIRED_COLUMNS: Final = ("subject_id", "predicate_id", "object_id", "mapping_justification")

#: MONDO's exact matches to MeSH, shipped with exograph and used by default (CC0; see ``exograph/data/README.md``).
DEFAULT_MAPPINGS: Final = "exograph:mondo_exactmatch_mesh.sssom.tsv.gz"


class Mapping(Record):
    """One mapping of an SSSOM set, with ids in exograph's CURIE spelling."""

    subject: str = Field(description="Subject id as an exograph CURIE, e.g. 'MONDO:0005070'.")
    predicate: str = Field(description="SKOS mapping predicate as a CURIE, e.g. 'skos:exactMatch'.")
    object: str = Field(description="Object id as an exograph CURIE, e.g. 'MESH:D009369'.")
    justification: str = Field(description="How the mapping was made, as an IRI (semapv:ManualMappingCuration ...).")
    mapping_set: str = Field(description="The mapping set's id (an IRI), for provenance.")
    subject_label: str | None = Field(default=None, description="The subject's label in the mapping set.")
    object_label: str | None = Field(default=None, description="The object's label in the mapping set.")
    confidence: float | None = Field(default=None, ge=0, le=1, description="Confidence, when the set gives one.")
    provider: str | None = Field(
        default=None,
        description="Who made the set, as an infores CURIE: the header's mapping_provider, else its subject_source.",
    )
    line: int = Field(ge=1, description="Line of the file the mapping was read from.")


class MappingSet(Record):
    """An SSSOM mapping set: its header's metadata and the mappings exograph can use."""

    id: str = Field(description="The set's mapping_set_id (an IRI).")
    path: str = Field(description="The file it was read from.")
    license: str | None = Field(default=None, description="The set's licence IRI.")
    version: str | None = Field(default=None, description="The set's mapping_set_version, when given.")
    mappings: tuple[Mapping, ...] = Field(description="Mappings in file order.")
    warnings: tuple[Diagnostic, ...] = Field(default=(), description="Rows skipped, one warning per kind.")


def read_sssom(source: str | Path | IO[bytes]) -> MappingSet:
    """Read an SSSOM TSV file (gzipped or not), or the packaged default set named :data:`DEFAULT_MAPPINGS`."""
    if isinstance(source, str) and source.startswith("exograph:"):
        resource = files("exograph") / "data" / source.removeprefix("exograph:")
        with as_file(resource) as packaged:
            data, label = read_bytes(packaged)
        label = source
    else:
        data, label = read_bytes(source)
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise MappingError(f"not a valid gzip file: {exc}", path=label) from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise MappingError("not UTF-8 text", path=label, line=line) from exc
    return parse_sssom(text, label)


def parse_sssom(text: str, label: str) -> MappingSet:
    """Parse SSSOM TSV text; ``label`` names the file in messages."""
    lines = text.splitlines(keepends=True)
    header_end = 0
    while header_end < len(lines) and lines[header_end].startswith("#"):
        header_end += 1
    meta = _header(lines[:header_end], label)
    prefixes = {**_BUILTIN, **_curie_map(meta, label)}
    set_id = meta.get("mapping_set_id")
    if not isinstance(set_id, str) or not set_id.strip():
        raise MappingError("the header has no mapping_set_id", path=label, line=1)
    body = lines[header_end:]
    if not body or not body[0].strip():
        raise MappingError("no column header after the YAML header", path=label, line=header_end + 1)
    rows = csv.reader(io.StringIO("".join(body)), delimiter="\t", quoting=csv.QUOTE_NONE, strict=True)
    try:
        return _rows(rows, header_end, meta, prefixes, set_id.strip(), label)
    except csv.Error as exc:
        raise MappingError(f"malformed TSV: {exc}", path=label, line=header_end + rows.line_num) from exc


def _rows(
    rows: Iterator[list[str]],
    header_end: int,
    meta: dict[str, object],
    prefixes: dict[str, str],
    set_id: str,
    label: str,
) -> MappingSet:
    columns = next(rows)
    missing = [c for c in _REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise MappingError(f"missing column(s): {', '.join(missing)}", path=label, line=header_end + 1)
    index = {name: i for i, name in enumerate(columns)}
    skipped: dict[str, tuple[int, int, str]] = {}
    mappings: list[Mapping] = []
    translated: dict[str, str | None] = {}
    provider = _provider(meta)
    for offset, row in enumerate(rows, start=header_end + 2):
        if not row or not any(cell.strip() for cell in row):
            continue
        if len(row) != len(columns):
            raise MappingError(
                f"{len(row)} columns where the header has {len(columns)}", path=label, line=offset, value=row
            )
        mapping, reason = _mapping(row, index, prefixes, set_id, label, offset, translated, provider)
        if mapping is not None:
            mappings.append(mapping)
        else:
            count, first, example = skipped.get(reason, (0, offset, ""))
            skipped[reason] = (count + 1, first, example or "\t".join(row[i] for i in _ids(index)))
    warnings = tuple(
        Diagnostic(
            kind="mapping-skipped",
            message=f"{count:,} mapping(s) skipped: {reason} (first: {example})",
            path=label,
            line=first,
        )
        for reason, (count, first, example) in skipped.items()
    )
    license_ = meta.get("license")
    version = meta.get("mapping_set_version")
    return MappingSet(
        id=set_id,
        path=label,
        license=license_ if isinstance(license_, str) else None,
        version=version if isinstance(version, str) else None,
        mappings=tuple(mappings),
        warnings=warnings,
    )


def _ids(index: dict[str, int]) -> Sequence[int]:
    return [index[c] for c in ("subject_id", "predicate_id", "object_id")]


def _header(lines: list[str], label: str) -> dict[str, object]:
    import yaml

    text = textwrap.dedent("".join(line[1:] for line in lines))
    if not text.strip():
        raise MappingError("no '#' YAML header (curie_map, mapping_set_id, license)", path=label, line=1)
    try:
        meta = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        column = mark.column + 2 if mark is not None else None  # +1 for 1-based, +1 for the '#'
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise MappingError(f"malformed YAML header: {problem}", path=label, line=line, column=column) from exc
    if not isinstance(meta, dict):
        raise MappingError("the YAML header is not a mapping of keys to values", path=label, line=1)
    return meta


def _provider(meta: dict[str, object]) -> str | None:
    for key in ("mapping_provider", "subject_source"):
        value = meta.get(key)
        if isinstance(value, str) and value.startswith("infores:") and len(value) > len("infores:"):
            return value
    return None


def _curie_map(meta: dict[str, object], label: str) -> dict[str, str]:
    raw = meta.get("curie_map", {}) or {}
    if not isinstance(raw, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in raw.items()):
        raise MappingError("curie_map must map prefixes to IRI prefixes", path=label, line=1)
    return dict(raw)


def _mapping(
    row: list[str],
    index: dict[str, int],
    prefixes: dict[str, str],
    set_id: str,
    label: str,
    line: int,
    translated: dict[str, str | None],
    provider: str | None,
) -> tuple[Mapping | None, str]:
    """The row as a Mapping, or None and why it cannot be used."""

    def cell(name: str) -> str | None:
        i = index.get(name)
        value = row[i].strip() if i is not None else ""
        return value or None

    predicate = cell("predicate_id") or ""
    if predicate not in MATCH_PREDICATES:
        return None, f"predicate {predicate!r} is not a SKOS mapping predicate ({', '.join(MATCH_PREDICATES)})"
    if (cell("predicate_modifier") or "").lower() == "not":
        return None, "negated mapping (predicate_modifier Not)"
    ends = []
    for column in ("subject_id", "object_id"):
        value = cell(column)
        if value is None or ":" not in value:
            raise MappingError(f"{column} {value!r} is not a CURIE", path=label, line=line, value=value)
        curie = _ours(value, prefixes, translated)
        if curie is None:
            return None, f"unknown identifier scheme {value.partition(':')[0]!r}"
        ends.append(curie)
    justification = cell("mapping_justification") or ""
    jprefix, _, jlocal = justification.partition(":")
    if jprefix not in prefixes or not jlocal:
        raise MappingError(f"mapping_justification {justification!r} is not a CURIE", path=label, line=line)
    confidence: float | None = None
    if (raw := cell("confidence")) is not None:
        try:
            confidence = float(raw)
        except ValueError as exc:
            raise MappingError(f"confidence {raw!r} is not a number", path=label, line=line, value=raw) from exc
        if not 0 <= confidence <= 1:
            raise MappingError(f"confidence {raw!r} is not between 0 and 1", path=label, line=line, value=raw)
    return (
        Mapping(
            subject=ends[0],
            predicate=predicate,
            object=ends[1],
            justification=prefixes[jprefix] + jlocal,
            mapping_set=set_id,
            subject_label=cell("subject_label"),
            object_label=cell("object_label"),
            confidence=confidence,
            provider=provider,
            line=line,
        ),
        "",
    )


def _our_prefix(prefix: str, prefixes: dict[str, str]) -> str | None:
    """The exograph prefix for a file's prefix: by its IRI where the file declares one that exograph uses,
    else by the prefix's name (``mesh`` is a synonym of ``MESH``); None for a scheme exograph does not know."""
    by_iri = {iri: ours for ours, iri in converter.bimap.items()}
    iri_prefix = prefixes.get(prefix)
    if iri_prefix is not None and iri_prefix in by_iri:
        return by_iri[iri_prefix]
    return converter.standardize_prefix(prefix)


def _ours(curie: str, prefixes: dict[str, str], cache: dict[str, str | None]) -> str | None:
    """A file's CURIE in exograph's spelling (``mesh:D009369`` -> ``MESH:D009369``), or None."""
    prefix, _, local = curie.partition(":")
    if prefix not in cache:
        cache[prefix] = _our_prefix(prefix, prefixes)
    ours = cache[prefix]
    if ours is None:
        return None
    try:
        return normalize_curie(f"{ours}:{local}")
    except UnknownPrefixError:
        return None
