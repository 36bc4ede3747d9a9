"""Reader for paper cards: markdown summaries of a paper and its annotated entities.

The card format is line-oriented markdown (see ``seeds/``). Sections may be
missing or reordered; anything not understood is recorded as a warning with
file and line, and a malformed entity list is an error that names the column,
because silently skipping an entity would corrupt every downstream count.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import IO, Final

from ..diagnostics import Diagnostics
from ..errors import CardError, UnknownPrefixError
from ..iris import normalize_curie, url_iri
from ..models import Entity, EntityType, Link, Paper, SourceRef
from ..textio import decode_text, read_bytes
from .conventions import NOT_NORMALISED

__all__ = ["parse_card", "read_card"]


_CATEGORIES: Final[dict[str, EntityType]] = {
    "genes": "Gene",
    "gene": "Gene",
    "diseases": "Disease",
    "disease": "Disease",
    "chemicals": "ChemicalEntity",
    "chemical": "ChemicalEntity",
    "species": "OrganismTaxon",
    "organisms": "OrganismTaxon",
    "variants": "SequenceVariant",
    "mutations": "SequenceVariant",
    "cell lines": "CellLine",
    "celllines": "CellLine",
}

_SECTIONS: Final = {
    "tl;dr": "tldr",
    "tldr": "tldr",
    "contribution": "contribution",
    "key findings": "key_findings",
    "abstract": "abstract",
    "linked entities": "about",
    "full-text entities": "entities",
    "full text entities": "entities",
    "entities": "entities",
    "full text": "full_text",
    "figures": "figures",
    "references": "references",
}

_URL_RE: Final = re.compile(r"https?://[^\s<>()\[\]]+[^\s<>()\[\].,;:!?'\"]")
_DATE_RE: Final = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
_BULLET_RE: Final = re.compile(r"^\s*[-*+]\s+\*\*(?P<cat>[^*]+?):?\*\*:?\s*(?P<items>.*)$")
_ID_PART: Final = r"(?:-1|-|null|[A-Za-z][\w.]*:\s*[^()\s,]+)"
_GENERIC_RE: Final = re.compile(r"(?P<name>\S.*?) \((?P<id>" + _ID_PART + r")\)(?=, |\s*$)")
_SPECIES_RE: Final = re.compile(r"(?P<name>\S.*?) \((?P<info>[^()]*)\) \[taxon (?P<id>[^\]]*)\](?=, |\s*$)")
_COUNT_RE: Final = re.compile(r"^\s*(\d+)\s+(figures?|references?)\b", re.IGNORECASE)
_GENE_ID_RE: Final = re.compile(r" \[NCBI Gene ([^\]]*)\]")
#: The common shape of a gene item (full name with at most two levels of parentheses), matched in one go;
#: anything else takes the character-by-character path, which also produces the error messages.
_GENE_FAST_RE: Final = re.compile(
    # Possessive quantifiers (Python 3.11+) match the same strings without backtracking into runs of
    # plain characters, which makes this, the most frequent pattern of a large corpus, 2.5x faster.
    r"(?P<symbol>[^,]*?) \((?P<full>(?:[^()]++|\((?:[^()]++|\([^()]*+\))*+\))*+)\)"
    r" \[NCBI Gene (?P<id>[^\]]*+)\](?: \{aka (?P<aka>[^}]*+)\})?(?=, |$)"
    if sys.version_info >= (3, 11)
    else r"(?P<symbol>[^,]*?) \((?P<full>(?:[^()]|\((?:[^()]|\([^()]*\))*\))*)\)"
    r" \[NCBI Gene (?P<id>[^\]]*)\](?: \{aka (?P<aka>[^}]*)\})?(?=, |$)"
)


def read_card(source: str | Path | IO[bytes], diagnostics: Diagnostics | None = None) -> Paper:
    """Read one paper card from a path, ``-`` or a binary handle.

    >>> from exograph.readers.card import read_card
    >>> paper = read_card("seeds/000_d081ed892fcfcee2.txt")
    >>> paper.pmcid, len(paper.authors)
    ('PMC12921707', 3)
    """
    data, label = read_bytes(source)
    return parse_card(decode_text(data, label, error=CardError), label, diagnostics)


@dataclass
class _Section:
    name: str
    line: int
    lines: list[tuple[int, str]] = field(default_factory=list)


def parse_card(text: str, path: str = "<card>", diagnostics: Diagnostics | None = None) -> Paper:
    """Parse card text; ``path`` is only used in messages and provenance."""
    diag = diagnostics if diagnostics is not None else Diagnostics()
    lines = text.split("\n")
    numbered = list(enumerate(lines, start=1))

    title_line = next(((n, s) for n, s in numbered if s.strip()), None)
    if title_line is None or not title_line[1].startswith("# ") or not title_line[1][2:].strip():
        n = title_line[0] if title_line else 1
        raise CardError("card has no title: the first line must be '# Title'", path=path, line=n)
    title = title_line[1][2:].strip()

    header: list[tuple[int, str]] = []
    sections: list[_Section] = []
    trailer: list[tuple[int, str]] = []
    current: list[tuple[int, str]] = header
    for n, line in numbered[title_line[0] :]:
        if line.startswith("## "):
            sections.append(_Section(line[3:].strip(), n))
            current = sections[-1].lines
        elif line.strip() == "---":
            current = trailer
        elif line.startswith("# "):
            diag.warn("extra-title", f"second '# ' heading ignored: {line[2:].strip()!r}", path=path, line=n)
        else:
            current.append((n, line))

    fields: dict[str, object] = {"title": title}
    links: list[Link] = []
    _parse_header(header, fields, path, diag)

    seen: set[str] = set()
    for section in sections:
        key = _SECTIONS.get(section.name.casefold())
        if key is None:
            kept = " ".join(s.strip() for _, s in section.lines if s.strip())
            diag.warn(
                "unknown-section",
                f"section {section.name!r} is not a card section; its text was not imported: {kept[:200]!r}",
                path=path,
                line=section.line,
            )
            continue
        if key in seen:
            diag.warn(
                "duplicate-section", f"section {section.name!r} appears twice; merged", path=path, line=section.line
            )
        seen.add(key)
        if key in ("tldr", "contribution", "abstract"):
            body = _paragraphs(section.lines)
            if body:
                previous = fields.get(key)
                fields[key] = f"{previous}\n\n{body}" if previous else body
            else:
                diag.warn("empty-section", f"section {section.name!r} is empty", path=path, line=section.line)
        elif key == "key_findings":
            findings = list(fields.get("key_findings", ()))  # type: ignore[call-overload]
            findings.extend(_bullets(section.lines, path, diag))
            fields["key_findings"] = tuple(findings)
        elif key in ("about", "entities"):
            found = list(fields.get(key, ()))  # type: ignore[call-overload]
            found.extend(_entity_section(section.lines, path, diag))
            fields[key] = tuple(found)
        else:
            links.extend(_links(section.lines, key, path, diag))

    for n, line in trailer:
        stripped = line.strip()
        if not stripped:
            continue
        label, sep, value = stripped.partition(":")
        if sep and label.strip().casefold() == "source":
            url = value.strip()
            if url_iri(url) is None:
                diag.warn("bad-url", f"source {url[:200]!r} is not a URL; not imported", path=path, line=n)
                continue
            links.append(Link(kind="source", url=url))
            match = re.search(r"(PMC\d+)", url)
            if match and not fields.get("pmcid"):
                fields["pmcid"] = match.group(1)
        else:
            diag.warn("unknown-line", f"trailer line not understood: {stripped[:200]!r}", path=path, line=n)

    return Paper(
        links=tuple(links),
        source=SourceRef(path=path, line=title_line[0], format="card"),
        **fields,  # type: ignore[arg-type]
    )


def _parse_header(header: list[tuple[int, str]], fields: dict[str, object], path: str, diag: Diagnostics) -> None:
    for n, line in header:
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith("**Authors:**"):
            names = stripped[len("**Authors:**") :].strip()
            fields["authors"] = tuple(a.strip() for a in names.split(",") if a.strip())
            continue
        if "·" in stripped or stripped.startswith(("DOI:", "PMID:", "PMC")):
            _parse_meta(stripped, n, fields, path, diag)
            continue
        diag.warn("unknown-line", f"header line not understood: {stripped[:200]!r}", path=path, line=n)


def _parse_meta(line: str, n: int, fields: dict[str, object], path: str, diag: Diagnostics) -> None:
    for token in (t.strip() for t in line.split("·")):
        if not token:
            continue
        label, sep, value = token.partition(":")
        label_cf = label.strip().casefold()
        if sep and label_cf == "doi":
            fields["doi"] = value.strip()
        elif sep and label_cf in ("pmid", "pubmed"):
            fields["pmid"] = value.strip()
        elif sep and label_cf in ("pmcid", "pmc"):
            fields["pmcid"] = normalize_curie("PMC:" + value.strip()).partition(":")[2]
        elif token == "PMC":
            continue  # says the paper is in PubMed Central; the id comes from the Source line
        elif re.fullmatch(r"PMC\d+", token):
            fields["pmcid"] = token
        elif _DATE_RE.match(token):
            parts = [int(p) for p in token.split("-")] + [1, 1]
            try:
                fields["date"] = dt.date(parts[0], parts[1], parts[2])
            except ValueError:
                diag.warn("bad-date", f"date {token!r} is not a calendar date; not imported", path=path, line=n)
            if token.count("-") < 2:
                diag.warn(
                    "partial-date", f"date {token!r} is partial; stored as {fields.get('date')}", path=path, line=n
                )
        elif "journal" not in fields:
            fields["journal"] = token
        else:
            diag.warn("unknown-field", f"metadata {token!r} not understood; not imported", path=path, line=n)


def _paragraphs(lines: list[tuple[int, str]]) -> str:
    return "\n".join(s.rstrip() for _, s in lines).strip()


def _bullets(lines: list[tuple[int, str]], path: str, diag: Diagnostics) -> list[str]:
    items: list[str] = []
    for n, line in lines:
        stripped = line.strip()
        if not stripped:
            continue
        if stripped[:2] in ("- ", "* ", "+ "):
            items.append(stripped[2:].strip())
        elif items and line[:1].isspace():
            items[-1] += " " + stripped
        else:
            diag.warn(
                "unknown-line", f"expected a '- ' bullet, got {stripped[:200]!r}; kept as a finding", path=path, line=n
            )
            items.append(stripped)
    return items


def _links(lines: list[tuple[int, str]], key: str, path: str, diag: Diagnostics) -> list[Link]:
    text = " ".join(s for _, s in lines)
    urls = []
    for url in dict.fromkeys(_URL_RE.findall(text)):
        if url_iri(url) is None:
            diag.warn("bad-url", f"{url[:200]!r} is not a valid URL; not imported", path=path, line=lines[0][0])
        else:
            urls.append(url)
    count_match = _COUNT_RE.match(text.replace("_", ""))
    count = int(count_match.group(1)) if count_match else None
    if not urls and lines and text.strip():
        diag.warn("no-link", f"section {key!r} has no URL", path=path, line=lines[0][0])
    return [Link(kind=key, url=u, count=count) for u in urls]  # type: ignore[arg-type]


def _entity_section(lines: list[tuple[int, str]], path: str, diag: Diagnostics) -> list[Entity]:
    found: list[Entity] = []
    for n, line in lines:
        if not line.strip():
            continue
        match = _BULLET_RE.match(line)
        if match is None:
            raise CardError(
                f"entity line not understood: {line.strip()[:120]!r}", path=path, line=n, column=1, value=line
            )
        category = match.group("cat").strip()
        etype = _CATEGORIES.get(category.casefold())
        if etype is None:
            diag.warn(
                "unknown-entity-type",
                f"entity type {category!r} is not one exograph maps; its entities were not imported: "
                f"{match.group('items')[:200]!r}",
                path=path,
                line=n,
            )
            continue
        offset = match.start("items")
        found.extend(_entity_items(match.group("items"), etype, path, n, offset, diag))
    return found


def _entity_items(text: str, etype: EntityType, path: str, n: int, offset: int, diag: Diagnostics) -> list[Entity]:
    text = text.rstrip()
    if etype != "OrganismTaxon":
        fast = _common_items(text, etype, path, n, offset, diag)
        if fast is not None:
            return fast
    entities: list[Entity] = []
    pos = 0
    while pos < len(text):
        if etype == "Gene":
            entity, end = _gene_item(text, pos, path, n, offset, diag)
        elif etype == "OrganismTaxon":
            entity, end = _species_item(text, pos, path, n, offset, diag)
        else:
            entity, end = _generic_item(text, pos, etype, path, n, offset, diag)
        entities.append(entity)
        pos = end
        if text.startswith(", ", pos):
            pos += 2
        elif pos < len(text):
            raise CardError(
                f"expected ', ' between entities, got {text[pos : pos + 30]!r}",
                path=path,
                line=n,
                column=offset + pos + 1,
            )
    return entities


#: Entity per item text, per type: the same description in another card is the same record.
_ITEMS: dict[str, dict[str, Entity]] = {}


def _common_items(
    text: str, etype: EntityType, path: str, n: int, offset: int, diag: Diagnostics
) -> list[Entity] | None:
    """Entities of a line whose items all have the usual shape, else None (the careful path then reads it).

    Items seen before are looked up by their text, so a corpus's popular
    entities are parsed and validated once; items whose parsing warned are
    never cached, so every occurrence still gets its warning.
    """
    pattern = _GENE_FAST_RE if etype == "Gene" else _GENERIC_RE
    known = _ITEMS.setdefault(etype, {})
    items: list[Entity | None] = []
    unknown: list[tuple[int, re.Match[str]]] = []
    pos, size = 0, len(text)
    while pos < size:
        match = pattern.match(text, pos)
        if match is None:
            return None
        entity = known.get(match.group())
        if entity is None:
            unknown.append((len(items), match))
        items.append(entity)
        pos = match.end() + 2
    if not items or pos - 2 != size:
        return None
    mark = len(diag.items)
    for index, match in unknown:
        warned = len(diag.items)
        try:
            if etype == "Gene":
                parsed, end = _gene_item(text, match.start(), path, n, offset, diag)  # re-checks the shape
            else:
                parsed, end = _generic_item(text, match.start(), etype, path, n, offset, diag)
        except CardError:
            end = -1
        if end != match.end():
            # The item parser reads this one differently (odd spacing or parentheses) or not at all: the
            # careful path reads the whole line, with its own warnings and error messages.
            del diag.items[mark:]
            return None
        if len(diag.items) == warned:
            if len(known) >= 1 << 17:
                known.clear()
            known[match.group()] = parsed
        items[index] = parsed
    return items  # type: ignore[return-value]  # every None was replaced above


def _to_curie(raw: str, default_prefix: str | None, path: str, n: int, diag: Diagnostics) -> str | None:
    raw = raw.strip()
    curie, unknown = _standard_curie(raw, default_prefix)
    if unknown:
        diag.warn("unknown-id-scheme", f"id {raw!r} uses an unknown scheme; kept as not normalised", path=path, line=n)
    return curie


@lru_cache(maxsize=1 << 16)
def _standard_curie(raw: str, default_prefix: str | None) -> tuple[str | None, bool]:
    """(CURIE or None, whether the scheme is unknown); cached because corpora repeat the same ids endlessly."""
    if raw.casefold() in NOT_NORMALISED:
        return None, False
    candidate = raw if ":" in raw or default_prefix is None else f"{default_prefix}:{raw}"
    try:
        return normalize_curie(candidate), False
    except UnknownPrefixError:
        return None, True


_ENTITIES: dict[tuple[str | tuple[str, ...] | None, ...], Entity] = {}


def _entity(
    etype: EntityType,
    curie: str | None,
    raw_id: str,
    name: str,
    symbol: str | None = None,
    full_name: str | None = None,
    aliases: tuple[str, ...] = (),
) -> Entity:
    """A validated Entity, shared between cards that describe it identically (records are frozen).

    Popular entities appear in most cards of a corpus; validating each
    description once keeps reading a hundred thousand cards fast.
    """
    key = (etype, curie, raw_id, name, symbol, full_name, aliases)
    entity = _ENTITIES.get(key)
    if entity is None:
        if len(_ENTITIES) >= 1 << 17:
            _ENTITIES.clear()
        entity = _ENTITIES[key] = Entity(
            type=etype, curie=curie, raw_id=raw_id, name=name, symbol=symbol, full_name=full_name, aliases=aliases
        )
    return entity


def _gene_item(text: str, pos: int, path: str, n: int, offset: int, diag: Diagnostics) -> tuple[Entity, int]:
    fast = _GENE_FAST_RE.match(text, pos)
    if fast is not None and text.find(" (", pos) == fast.start("full") - 2:
        raw_id = fast.group("id").strip()
        aka = fast.group("aka")
        aliases = tuple(a.strip() for a in aka.split(",") if a.strip()) if aka else ()
        symbol = fast.group("symbol").strip()
        curie = _to_curie(raw_id, "NCBIGene", path, n, diag)
        return _entity("Gene", curie, raw_id, symbol, symbol, fast.group("full").strip() or None, aliases), fast.end()
    return _gene_item_slow(text, pos, path, n, offset, diag)


def _gene_item_slow(text: str, pos: int, path: str, n: int, offset: int, diag: Diagnostics) -> tuple[Entity, int]:
    def fail(message: str, at: int) -> CardError:
        return CardError(message, path=path, line=n, column=offset + at + 1, value=text[pos : pos + 60])

    open_at = text.find(" (", pos)
    if open_at < 0 or "," in text[pos:open_at]:
        raise fail("gene must look like 'SYMBOL (full name) [NCBI Gene id]'", pos)
    symbol = text[pos:open_at].strip()
    depth, i = 0, open_at + 1
    while i < len(text):
        if text[i] == "(":
            depth += 1
        elif text[i] == ")":
            depth -= 1
            if depth == 0:
                break
        i += 1
    if depth != 0:
        raise fail("unbalanced parenthesis in gene full name (is the line truncated?)", open_at + 1)
    full_name = text[open_at + 2 : i].strip()
    end = i + 1
    raw_id = "-"
    id_match = _GENE_ID_RE.match(text, end)
    if id_match:
        raw_id = id_match.group(1).strip()
        end = id_match.end()
    else:
        diag.warn("missing-id", f"gene {symbol!r} has no [NCBI Gene id]; kept as not normalised", path=path, line=n)
    aliases: tuple[str, ...] = ()
    if text.startswith(" {aka ", end):
        close = text.find("}", end)
        if close < 0:
            raise fail("unclosed '{aka ...}' alias list (is the line truncated?)", end + 1)
        aliases = tuple(a.strip() for a in text[end + 6 : close].split(",") if a.strip())
        end = close + 1
    curie = _to_curie(raw_id, "NCBIGene", path, n, diag)
    return _entity("Gene", curie, raw_id, symbol, symbol, full_name or None, aliases), end


def _species_item(text: str, pos: int, path: str, n: int, offset: int, diag: Diagnostics) -> tuple[Entity, int]:
    match = _SPECIES_RE.match(text, pos)
    if match is None:
        generic, end = _generic_item(text, pos, "OrganismTaxon", path, n, offset, diag, prefix="NCBITaxon")
        return generic, end
    info = match.group("info")
    common, _, rank = info.rpartition(", ")
    if not common:
        common, rank = info, ""
    raw_id = match.group("id").strip()
    entity = Entity(
        type="OrganismTaxon",
        curie=_to_curie(raw_id, "NCBITaxon", path, n, diag),
        raw_id=raw_id,
        name=match.group("name").strip(),
        common_name=common.strip() or None,
        rank=rank.strip() or None,
    )
    return entity, match.end()


def _generic_item(
    text: str,
    pos: int,
    etype: EntityType,
    path: str,
    n: int,
    offset: int,
    diag: Diagnostics,
    prefix: str | None = None,
) -> tuple[Entity, int]:
    match = _GENERIC_RE.match(text, pos)
    if match is None:
        raise CardError(
            f"entity must look like 'name (ID)', got {text[pos : pos + 60]!r} (is the line truncated?)",
            path=path,
            line=n,
            column=offset + pos + 1,
            value=text[pos:],
        )
    raw_id = match.group("id").strip()
    curie = _to_curie(raw_id, prefix, path, n, diag)
    return _entity(etype, curie, raw_id, match.group("name").strip()), match.end()
