"""Every IRI exograph writes comes from CURIEs through this one prefix map.

The prefixes and IRIs of every scheme Biolink knows are read from the Biolink
Model's own prefix map (the ``biolink-model`` package), so CURIEs are spelled as
Biolink, KGX and KG-Hub spell them (``PMCID:``, ``doi:``, ``DBSNP:``) and MeSH,
NCBI Gene, MONDO, NCBITaxon, OMIM and the other OBO ids expand to the IRIs
Biolink uses (NLM's MeSH RDF, identifiers.org, OBO PURLs). Two IRIs differ on
purpose: Biolink maps ``PMID`` and ``PMCID`` to NCBI's web pages
(``http://www.ncbi.nlm.nih.gov/pubmed/``), exograph to identifiers.org, which
resolves and is what Bio2RDF and most public RDF use (see ``_IRI_OVERRIDES``).
Schemes Biolink has no prefix for (Cellosaurus, tmVar, HGVS) and exograph's own
namespaces are declared here.
"""

from __future__ import annotations

import json
import re
import unicodedata
from functools import lru_cache
from typing import Final

import curies

from .errors import UnknownPrefixError

__all__ = [
    "BASE",
    "LOCAL",
    "PREFIX_MAP",
    "RDF_PREFIXES",
    "SAFE_ASCII",
    "VOCAB",
    "biolink_prefix_map",
    "compress",
    "converter",
    "expand",
    "local_curie",
    "normalize_curie",
    "page_url",
    "shorten",
    "slugify",
]

BASE: Final = "https://w3id.org/exograph/"
VOCAB: Final = BASE + "vocab/"
LOCAL: Final = BASE + "id/"

#: The schemes exograph writes, by Biolink's prefix, with the other spellings seen in inputs.
_BIOLINK_SCHEMES: Final[dict[str, tuple[str, ...]]] = {
    "NCBIGene": ("ncbigene", "NCBI Gene", "NCBIGENE", "EntrezGene", "GENE"),
    "MESH": ("mesh", "MeSH", "Mesh"),
    "MONDO": ("mondo",),
    "NCBITaxon": ("ncbitaxon", "taxon", "NCBITAXON", "TAXON"),
    "doi": ("DOI",),
    "PMCID": ("PMC", "pmc", "pmcid"),
    "PMID": ("pmid", "pubmed", "PUBMED"),
    "OMIM": ("omim", "MIM"),
    "DBSNP": ("dbSNP", "dbsnp", "RS"),
    "CHEBI": ("chebi",),
    "HP": ("hp",),
    "DOID": ("doid",),
    "UMLS": ("umls",),
    "NCIT": ("ncit",),
}

#: Where exograph's IRI deliberately differs from Biolink's (Biolink: NCBI's web pages; these resolve as data).
_IRI_OVERRIDES: Final[dict[str, str]] = {
    "PMID": "http://identifiers.org/pubmed/",
    "PMCID": "http://identifiers.org/pmc/",
}

#: Schemes with no Biolink prefix, and exograph's own namespaces.
_OWN_SCHEMES: Final[dict[str, tuple[str, tuple[str, ...]]]] = {
    "CVCL": ("http://identifiers.org/cellosaurus/CVCL_", ("cellosaurus", "Cellosaurus", "CELLOSAURUS")),
    # tmVar and HGVS variant names have no public resolver; they live in exograph's id space.
    "tmVar": (LOCAL + "tmVar/", ("tmvar", "TMVAR")),
    "HGVS": (LOCAL + "HGVS/", ("hgvs",)),
    "infores": ("https://w3id.org/biolink/infores/", ()),
    "exo": (VOCAB, ()),
    "exo.id": (LOCAL, ()),
}


def biolink_prefix_map() -> dict[str, str]:
    """Biolink's CURIE prefix map (prefix -> IRI prefix), as the ``biolink-model`` package ships it."""
    from importlib.resources import files

    text = (files("biolink_model") / "prefixmaps" / "biolink-model-prefix-map.json").read_text(encoding="utf-8")
    loaded: dict[str, str] = json.loads(text)
    return loaded


def _records() -> dict[str, tuple[str, tuple[str, ...]]]:
    biolink = biolink_prefix_map()
    records: dict[str, tuple[str, tuple[str, ...]]] = {}
    for prefix, synonyms in _BIOLINK_SCHEMES.items():
        # A KeyError here means a Biolink release renamed a prefix exograph writes: fail loudly at import.
        records[prefix] = (_IRI_OVERRIDES.get(prefix, biolink[prefix]), synonyms)
    records.update(_OWN_SCHEMES)
    return records


# prefix -> (IRI prefix, synonyms seen in inputs)
_RECORDS: Final[dict[str, tuple[str, tuple[str, ...]]]] = _records()

converter: Final = curies.Converter(
    [
        curies.Record(prefix=prefix, uri_prefix=uri, prefix_synonyms=list(synonyms))
        for prefix, (uri, synonyms) in _RECORDS.items()
    ]
)

#: Prefix -> IRI prefix, computed once (``converter.prefix_map`` rebuilds a dict on every access).
PREFIX_MAP: Final[dict[str, str]] = dict(converter.prefix_map)

#: Prefixes written at the top of Turtle and TriG files.
RDF_PREFIXES: Final[dict[str, str]] = {
    "biolink": "https://w3id.org/biolink/vocab/",
    "bibo": "http://purl.org/ontology/bibo/",
    "dcterms": "http://purl.org/dc/terms/",
    "owl": "http://www.w3.org/2002/07/owl#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "schema": "http://schema.org/",
    "semapv": "https://w3id.org/semapv/vocab/",
    "sssom": "https://w3id.org/sssom/",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    **{prefix: uri for prefix, (uri, _) in _RECORDS.items()},
}

#: Prefixes longest IRI first, so the most specific one wins when compressing.
_LONGEST_FIRST: Final = sorted(RDF_PREFIXES.items(), key=lambda kv: -len(kv[1]))

_SLUG_RE: Final = re.compile(r"[^0-9a-z]+")


@lru_cache(maxsize=1 << 16)
def slugify(text: str) -> str:
    """Fold a name to a stable, IRI-safe key (so 'CAR-T' and 'car t' are one entity)."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    slug = _SLUG_RE.sub("-", folded).strip("-")
    if not slug:
        # Names with no ASCII letters still need a key that is stable and distinct.
        slug = "u" + "-".join(f"{ord(c):x}" for c in unicodedata.normalize("NFC", text.strip())[:32])
    return slug[:120]


@lru_cache(maxsize=1 << 16)
def local_curie(kind: str, name: str) -> str:
    """A CURIE in exograph's own id space for things no public scheme identifies."""
    return f"exo.id:{kind}/{slugify(name)}"


def normalize_curie(raw: str) -> str:
    """Return the standard CURIE for ``raw`` (``mesh:D001`` -> ``MESH:D001``).

    Raises :class:`UnknownPrefixError` for schemes outside the prefix map so an
    unknown id is reported instead of turned into a made-up IRI.
    """
    text = raw.strip()
    prefix, sep, local = text.partition(":")
    if not sep or not local.strip():
        raise UnknownPrefixError(raw)
    standard = converter.standardize_prefix(prefix.strip())
    if standard is None:
        raise UnknownPrefixError(raw)
    local = local.strip()
    if standard == "PMCID" and not local.upper().startswith("PMC"):
        local = "PMC" + local
    if standard == "PMCID":
        local = local.upper()
    if standard == "CVCL" and local.upper().startswith("CVCL_"):
        local = local[5:]
    if standard == "DBSNP" and not local.lower().startswith("rs"):
        local = "rs" + local
    return f"{standard}:{local}"


@lru_cache(maxsize=1 << 18)
def expand(curie: str) -> str:
    """IRI for a standard CURIE; local parts are percent-encoded where IRIs forbid them."""
    prefix, _, local = curie.partition(":")
    uri_prefix = PREFIX_MAP.get(prefix)
    if uri_prefix is None:
        raise UnknownPrefixError(curie)
    return uri_prefix + _iri_safe(local)


def shorten(iri: str) -> str:
    """CURIE for an IRI where one of exograph's prefixes fits, else the IRI itself (for labels and tables)."""
    return compress(iri) or iri


def compress(iri: str) -> str | None:
    """CURIE (with any of exograph's Turtle prefixes) for an IRI, or None."""
    for prefix, uri_prefix in _LONGEST_FIRST:
        if iri.startswith(uri_prefix):
            return f"{prefix}:{_iri_unsafe(iri[len(uri_prefix) :])}"
    return None


# RFC 3987 ``ucschar``: the non-ASCII characters an IRI may hold unencoded.
_UCSCHAR: Final = "\u00a0-\ud7ff\uf900-\ufdcf\ufdf0-\uffef" + "".join(
    f"{chr(0xE1000 if plane == 14 else plane << 16)}-{chr((plane << 16) | 0xFFFD)}" for plane in range(1, 15)
)
#: The ASCII characters of ``ipath`` (iunreserved, sub-delims, ':', '@', '/'), as a regex character class body.
SAFE_ASCII: Final = "A-Za-z0-9\\-._~!$&'()*+,;=:@/"
#: Everything outside ``ipath``'s characters is percent-encoded.
_UNSAFE: Final = re.compile(f"[^{SAFE_ASCII}{_UCSCHAR}]")


def _percent(match: re.Match[str]) -> str:
    char = match.group()
    if "\ud800" <= char <= "\udfff":
        char = "\ufffd"  # a lone surrogate (from a JSON escape) has no UTF-8 form
    return "".join(f"%{b:02X}" for b in char.encode("utf-8"))


def _iri_safe(local: str) -> str:
    """Percent-encode what an IRI path may not hold, so every expanded CURIE is a valid IRI by construction.

    Generated statements are parsed without re-checking their IRIs (pyoxigraph's
    ``lenient`` mode, twice as fast), which is only sound because of this.
    """
    return _UNSAFE.sub(_percent, local)


_URL_UNSAFE: Final = re.compile(r"[\x00-\x20<>\"{}|\\^`]|%(?![0-9A-Fa-f]{2})")


@lru_cache(maxsize=1 << 16)
def url_iri(url: str) -> str | None:
    """A URL from an input file as a valid IRI (characters IRIs forbid percent-encoded), or None.

    None means the text is not an absolute IRI even after encoding (no scheme,
    a malformed host or port): callers report it rather than write RDF that no
    parser accepts.
    """
    from pyoxigraph import NamedNode

    iri = _URL_UNSAFE.sub(_percent, url.strip())
    try:
        NamedNode(iri)
    except ValueError:
        return None
    return iri


def _iri_unsafe(local: str) -> str:
    return re.sub(r"%([0-9A-F]{2})", lambda m: chr(int(m.group(1), 16)), local)


_PAGES: Final[dict[str, str]] = {
    "NCBIGene": "https://www.ncbi.nlm.nih.gov/gene/{}",
    "MESH": "https://meshb.nlm.nih.gov/record/ui?ui={}",
    "MONDO": "http://purl.obolibrary.org/obo/MONDO_{}",
    "HP": "http://purl.obolibrary.org/obo/HP_{}",
    "DOID": "http://purl.obolibrary.org/obo/DOID_{}",
    "CHEBI": "http://purl.obolibrary.org/obo/CHEBI_{}",
    "NCBITaxon": "https://www.ncbi.nlm.nih.gov/Taxonomy/Browser/wwwtax.cgi?id={}",
    "doi": "https://doi.org/{}",
    "PMCID": "https://www.ncbi.nlm.nih.gov/pmc/articles/{}/",
    "PMID": "https://pubmed.ncbi.nlm.nih.gov/{}/",
    "OMIM": "https://omim.org/entry/{}",
    "DBSNP": "https://www.ncbi.nlm.nih.gov/snp/{}",
    "UMLS": "https://uts.nlm.nih.gov/uts/umls/concept/{}",
    "NCIT": "http://purl.obolibrary.org/obo/NCIT_{}",
    "CVCL": "https://www.cellosaurus.org/CVCL_{}",
}


def page_url(curie: str) -> str | None:
    """The human-readable source page of an id (NCBI Gene, MeSH browser, ...), if it has one."""
    prefix, _, local = curie.partition(":")
    template = _PAGES.get(prefix)
    return template.format(local) if template else None
