"""Fetching annotated papers by id: PubTator3 (BioC-JSON by PMID, BioC-XML by PMCID) and paper cards.

Polite by construction: at most 3 requests a second (PubTator3's stated limit),
batches as large as the API takes, timeouts, retries with exponential backoff
on 429 and 5xx that honour ``Retry-After``, and an on-disk cache so that
nothing is fetched twice. An answer is validated (JSON, XML, card) before it
is cached or written, so a truncated or HTML error page never lands anywhere.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import functools
import hashlib
import json
import math
import os
import re
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import requests
import urllib3

from .atomic import atomic_open
from .errors import AnnotationError, CardError, FetchError, FormatError, MappingError
from .readers.bioc import bioc_json_documents
from .version import __version__

__all__ = [
    "BATCH_SIZE",
    "DEFAULT_CARDS_URL",
    "DEFAULT_PUBTATOR_URL",
    "FetchReport",
    "Fetcher",
    "fetch",
    "parse_ids",
]

DEFAULT_PUBTATOR_URL = "https://www.ncbi.nlm.nih.gov/research/pubtator3-api"
DEFAULT_CARDS_URL = "https://tomesphere.com/paper"
#: PubTator3 takes up to 100 ids per export request.
BATCH_SIZE = 100
RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
#: Seconds a negative answer (asked ids missing from it) is trusted before it is asked again.
NEGATIVE_TTL = 24 * 3600
#: Largest answer read, in bytes (a batch of 100 full texts is a few MB; MONDO's full mapping set about 13 MB).
MAX_ANSWER_BYTES = 256 << 20
_PMID = re.compile(r"^(?:pmid:|pubmed:)?\s*(\d+)$", re.IGNORECASE)
_PMCID = re.compile(r"^(?:pmcid:|pmc:)?\s*(?:PMC)?(\d+)$", re.IGNORECASE)


def parse_ids(raw: list[str]) -> tuple[list[str], list[str]]:
    """Split ids into PMIDs and PMCIDs ('123', 'PMID:123', 'PMC123', 'PMCID:PMC123'); commas allowed."""
    pmids: list[str] = []
    pmcids: list[str] = []
    for item in (p.strip() for chunk in raw for p in chunk.split(",")):
        if not item:
            continue
        if item.upper().startswith(("PMC", "PMCID:")):
            match = _PMCID.match(item)
            if match:
                pmcids.append("PMC" + match.group(1))
                continue
        match = _PMID.match(item)
        if match:
            pmids.append(match.group(1))
            continue
        raise FetchError(f"{item!r} is neither a PMID (digits) nor a PMCID (PMC followed by digits)")
    return list(dict.fromkeys(pmids)), list(dict.fromkeys(pmcids))


@dataclass
class FetchReport:
    """What a fetch wrote, what it found in the cache, and which ids do not exist."""

    written: list[Path] = field(default_factory=list)
    requests: int = 0
    cached: int = 0
    missing: list[str] = field(default_factory=list)


class _RateLimiter:
    def __init__(self, per_second: float) -> None:
        self.interval = 1.0 / per_second if per_second > 0 else 0.0
        self.lock = threading.Lock()
        self.next_at = 0.0

    def wait(self) -> None:
        with self.lock:
            now = time.monotonic()
            if now < self.next_at:
                time.sleep(self.next_at - now)
                now = self.next_at
            self.next_at = now + self.interval


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header: a number or an HTTP date; None for anything else."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            parsed = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if parsed is None:
            return None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=dt.timezone.utc)
        return max(0.0, parsed.timestamp() - time.time())
    return max(0.0, seconds) if math.isfinite(seconds) else None


class _Unusable(Exception):
    """An answer that came but cannot be used (too large, too slow, cut short, badly encoded)."""


def _default_cache() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "exograph" / "http"


class Fetcher:
    """HTTP client for PubTator3 and the card site, with rate limit, retries and cache."""

    def __init__(
        self,
        *,
        pubtator_url: str | None = None,
        cards_url: str | None = None,
        cache_dir: str | Path | None = None,
        requests_per_second: float = 3.0,
        timeout: float = 30.0,
        retries: int = 5,
        backoff: float = 1.0,
        max_wait: float = 60.0,
        max_bytes: int = MAX_ANSWER_BYTES,
        session: requests.Session | None = None,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.pubtator_url = (pubtator_url or os.environ.get("EXOGRAPH_PUBTATOR_URL") or DEFAULT_PUBTATOR_URL).rstrip(
            "/"
        )
        self.cards_url = (cards_url or os.environ.get("EXOGRAPH_CARDS_URL") or DEFAULT_CARDS_URL).rstrip("/")
        self.cache_dir = Path(cache_dir) if cache_dir is not None else _default_cache()
        self.limiter = _RateLimiter(requests_per_second)
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_wait = max_wait
        self.max_bytes = max_bytes
        self.session = session or requests.Session()
        self.session.max_redirects = 5
        # requests names itself by default ('python-requests/x'): say who is asking unless the caller did.
        if str(self.session.headers.get("User-Agent", "")).startswith("python-requests"):
            self.session.headers["User-Agent"] = f"exograph/{__version__} (+https://w3id.org/exograph)"
        self.log = log or (lambda _msg: None)
        self.report = FetchReport()

    # -- transport ------------------------------------------------------------------
    def _cache_path(self, url: str) -> Path:
        return self.cache_dir / hashlib.sha256(url.encode("utf-8")).hexdigest()

    def get(
        self, url: str, validate: Callable[[bytes], Any], *, complete: Callable[[bytes], bool] | None = None
    ) -> bytes:
        """GET with cache, rate limit and retries; ``validate`` raises ValueError on a bad body.

        Only a valid answer is cached. One that ``complete`` says lacks something asked for (an id PubTator3
        does not know, say) is a negative answer: cached for :data:`NEGATIVE_TTL` seconds only, so that an id
        published later is found. ``timeout`` bounds each whole request, however slowly the body drips, and
        :data:`MAX_ANSWER_BYTES` its size; redirects are followed to http(s) URLs only.
        """
        cached = self._cache_path(url)
        if self._fresh(cached):
            self.report.cached += 1
            return cached.read_bytes()
        last = "no attempt"
        for attempt in range(self.retries + 1):
            self.limiter.wait()
            self.report.requests += 1
            wait: float | None = None
            try:
                status, headers, body = self._request(url)
            except _Unusable as exc:
                last = str(exc)
            except requests.Timeout:
                last = f"no answer within {self.timeout:g} s"
            except requests.TooManyRedirects:
                raise FetchError(f"{url}: too many redirects (a redirect loop?)", url=url) from None
            except (requests.exceptions.InvalidSchema, requests.exceptions.MissingSchema) as exc:
                raise FetchError(f"{url}: redirected to a URL that is not http(s): {exc}", url=url) from None
            except requests.ConnectionError as exc:
                last = f"cannot connect ({exc.__class__.__name__})"
            except requests.RequestException as exc:
                last = f"unusable answer ({exc.__class__.__name__})"
            else:
                if status == 404:
                    raise FetchError(f"{url}: not found (HTTP 404)", url=url, status=404)
                if status in RETRY_STATUS:
                    last = f"HTTP {status}"
                    wait = _retry_after(headers.get("Retry-After"))
                elif status >= 400:
                    raise FetchError(f"{url}: HTTP {status}", url=url, status=status)
                else:
                    try:
                        validate(body)
                    except ValueError as exc:
                        last = f"unusable answer: {exc}"
                        if attempt >= 1:
                            break
                    else:
                        self.cache_dir.mkdir(parents=True, exist_ok=True)
                        with atomic_open(cached) as handle:
                            handle.write(body)
                        negative = cached.with_name(cached.name + ".negative")
                        if complete is not None and not complete(body):
                            negative.touch()
                        else:
                            negative.unlink(missing_ok=True)
                        return body
            if attempt < self.retries:
                delay = wait if wait is not None else self.backoff * (2**attempt)
                delay = min(delay, self.max_wait)
                self.log(f"{url}: {last}; retrying in {delay:.1f} s ({attempt + 1}/{self.retries})")
                time.sleep(delay)
        raise FetchError(f"{url}: giving up after {self.report.requests} request(s): {last}", url=url)

    def _fresh(self, cached: Path) -> bool:
        """A cache entry that may be used: any valid answer, a negative one only while it is recent."""
        if not cached.is_file():
            return False
        negative = cached.with_name(cached.name + ".negative")
        return not (negative.exists() and time.time() - negative.stat().st_mtime > NEGATIVE_TTL)

    def _request(self, url: str) -> tuple[int, Any, bytes]:
        """Status, headers and body of one GET, the whole of it within ``timeout`` and ``MAX_ANSWER_BYTES``."""
        deadline = time.monotonic() + self.timeout
        with self.session.get(url, timeout=(min(10.0, self.timeout), self.timeout), stream=True) as response:
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > self.max_bytes:
                raise _Unusable(f"answer of {int(declared):,} bytes, more than the {self.max_bytes:,} allowed")
            chunks: list[bytes] = []
            size = 0
            raw = response.raw
            try:
                while True:
                    if time.monotonic() > deadline:
                        raise _Unusable(f"answer not complete within {self.timeout:g} s")
                    # read1: whatever has arrived (decoded), so that a dripping body cannot outlast the deadline.
                    chunk = raw.read1(1 << 16, decode_content=True)
                    if not chunk:
                        break
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise _Unusable(f"answer larger than the {self.max_bytes:,} bytes allowed")
                    chunks.append(chunk)
            except (urllib3.exceptions.HTTPError, OSError) as exc:
                raise _Unusable(f"answer cut short or badly encoded ({exc.__class__.__name__})") from None
            if declared.isdigit() and response.headers.get("Content-Encoding") is None and size < int(declared):
                raise _Unusable(f"answer cut short ({size:,} of {int(declared):,} bytes)")
            return response.status_code, response.headers, b"".join(chunks)

    # -- PubTator3 --------------------------------------------------------------------
    def pubtator_by_pmid(self, pmids: list[str], out_dir: Path, *, full: bool = False) -> list[Path]:
        """BioC-JSON per PMID into ``out_dir`` (one file per paper)."""
        written = []
        for start in range(0, len(pmids), BATCH_SIZE):
            batch = pmids[start : start + BATCH_SIZE]
            url = f"{self.pubtator_url}/publications/export/biocjson?pmids={','.join(batch)}"
            if full:
                url += "&full=true"
            body = self.get(url, _validate_bioc_json, complete=functools.partial(_has_all_pmids, asked=batch))
            docs = bioc_json_documents(json.loads(body), url)
            found = {}
            for doc in docs:
                pmid = str(doc.get("pmid") or doc.get("id") or "")
                found[pmid] = doc
            for pmid in batch:
                if pmid not in found:
                    self.report.missing.append(f"PMID {pmid}: not found in PubTator3")
                    continue
                path = out_dir / f"PMID{pmid}{'.full' if full else ''}.json"
                with atomic_open(path) as handle:
                    handle.write(json.dumps({"PubTator3": [found[pmid]]}, ensure_ascii=False, sort_keys=True).encode())
                written.append(path)
        self.report.written.extend(written)
        return written

    def pubtator_by_pmcid(self, pmcids: list[str], out_dir: Path) -> list[Path]:
        """Full-text BioC-XML per PMCID into ``out_dir``."""
        written = []
        for start in range(0, len(pmcids), BATCH_SIZE):
            batch = pmcids[start : start + BATCH_SIZE]
            url = f"{self.pubtator_url}/publications/pmc_export/biocxml?pmcids={','.join(batch)}"
            root = ET.fromstring(
                self.get(url, _validate_bioc_xml, complete=functools.partial(_has_all_pmcids, asked=batch))
            )
            found: dict[str, ET.Element] = {}
            for doc in root.iter("document"):
                ident = (doc.findtext("id") or "").strip()
                key = ident if ident.upper().startswith("PMC") else f"PMC{ident}"
                found[key.upper()] = doc
            for pmcid in batch:
                match = found.get(pmcid.upper())
                if match is None:
                    self.report.missing.append(f"{pmcid}: not found in PubTator3")
                    continue
                collection = ET.Element("collection")
                for tag in ("source", "date", "key"):
                    el = root.find(tag)
                    if el is not None:
                        collection.append(el)
                collection.append(match)
                path = out_dir / f"{pmcid}.xml"
                with atomic_open(path) as handle:
                    handle.write(ET.tostring(collection, encoding="utf-8", xml_declaration=True))
                written.append(path)
        self.report.written.extend(written)
        return written

    # -- paper cards -------------------------------------------------------------------
    def cards(self, pmcids: list[str], out_dir: Path, *, full_text: bool = False) -> list[Path]:
        """Paper cards (and optionally their full text) by PMCID."""
        written = []
        for pmcid in pmcids:
            url = f"{self.cards_url}/{pmcid}"
            try:
                body = self.get(url, _validate_card)
            except FetchError as exc:
                if exc.status == 404:
                    self.report.missing.append(f"{pmcid}: no paper card at {url}")
                    continue
                raise
            path = out_dir / f"{pmcid}.md"
            with atomic_open(path) as handle:
                handle.write(body)
            written.append(path)
            if full_text:
                text = self.get(f"{url}/full.md", _validate_text)
                # Kept beside the cards but with a suffix 'exograph build' does not read as a card.
                target = out_dir / "fulltext" / f"{pmcid}.full.markdown"
                with atomic_open(target) as handle:
                    handle.write(text)
                written.append(target)
        self.report.written.extend(written)
        return written


def _has_all_pmids(body: bytes, asked: list[str]) -> bool:
    docs = bioc_json_documents(json.loads(body), "<answer>")
    found = {str(d.get("pmid") or d.get("id") or "") for d in docs if isinstance(d, dict)}
    return all(pmid in found for pmid in asked)


def _has_all_pmcids(body: bytes, asked: list[str]) -> bool:
    found = {(d.findtext("id") or "").strip().upper() for d in ET.fromstring(body).iter("document")}
    found |= {f"PMC{ident}" for ident in found}
    return all(pmcid.upper() in found for pmcid in asked)


def _validate_bioc_json(body: bytes) -> None:
    """The answer must be BioC-JSON whose every document exograph can read (else it is not cached)."""
    if body.lstrip()[:1] == b"<":
        raise ValueError("got an HTML/XML page instead of BioC-JSON")
    _validate_with(body, "bioc-json")


def _validate_bioc_xml(body: bytes) -> None:
    if body.lstrip()[:1] == b"<" and b"<collection" not in body[:4096]:
        raise ValueError("got an HTML page or XML that is not a BioC <collection> (an error page?)")
    _validate_with(body, "bioc-xml")


def _validate_with(body: bytes, fmt: str) -> None:
    from .diagnostics import Diagnostics
    from .readers.bioc_json import parse_bioc_json
    from .readers.bioc_xml import parse_bioc_xml

    diag = Diagnostics()
    try:
        if fmt == "bioc-json":
            parse_bioc_json(body, "<download>", diag)
        else:
            parse_bioc_xml(body, "<download>", diag)
    except AnnotationError as exc:
        raise ValueError(f"invalid or truncated {fmt}: {exc}") from None
    bad = [d for d in diag if d.kind == "malformed-document"]
    if bad:
        raise ValueError(f"{fmt} of an unexpected shape: {bad[0].message}")


def _validate_text(body: bytes) -> None:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("answer is not UTF-8 text") from None
    if text.lstrip()[:15].lower().startswith(("<!doctype html", "<html")):
        raise ValueError("got an HTML page instead of Markdown")


def _validate_card(body: bytes) -> None:
    from .readers.card import parse_card

    _validate_text(body)
    try:
        parse_card(body.decode("utf-8"), "<download>")
    except CardError as exc:
        raise ValueError(f"not a paper card: {exc.message}") from None


#: Mapping sets ``exograph fetch --mappings NAME`` downloads: MONDO's full SSSOM set (every vocabulary it maps to:
#: MeSH, OMIM, DOID, Orphanet, NCIT, UMLS ...), published with each MONDO release.
MAPPING_SETS: Final[dict[str, str]] = {"mondo": "http://purl.obolibrary.org/obo/mondo/mappings/mondo.sssom.tsv"}


def _validate_sssom(body: bytes) -> None:
    from .sssom import parse_sssom

    _validate_text(body)
    try:
        mapping_set = parse_sssom(body.decode("utf-8"), "<download>")
    except MappingError as exc:
        raise ValueError(f"not an SSSOM mapping set: {exc.message} (line {exc.line})") from None
    if not mapping_set.mappings:
        raise ValueError("an SSSOM mapping set with no usable mapping")


def mapping_set_path(name: str, cache_dir: str | Path | None = None) -> Path:
    """Where ``exograph fetch --mappings NAME`` keeps a downloaded mapping set (``exograph build --mappings NAME``
    reads it from there)."""
    if name not in MAPPING_SETS:
        raise FormatError(name, MAPPING_SETS, what="mapping set")
    base = Path(cache_dir) if cache_dir is not None else _default_cache().parent / "mappings"
    return base / f"{name}.sssom.tsv"


def fetch_mapping_set(name: str, *, url: str | None = None, fetcher: Fetcher | None = None) -> Path:
    """Download a named mapping set (validated as SSSOM before it is kept) to :func:`mapping_set_path`."""
    target = mapping_set_path(name)
    client = fetcher or Fetcher()
    body = client.get(url or os.environ.get("EXOGRAPH_MAPPINGS_URL") or MAPPING_SETS[name], _validate_sssom)
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_open(target) as handle:
        handle.write(body)
    return target


def fetch(
    ids: list[str],
    out_dir: str | Path,
    *,
    full: bool = False,
    cards: bool = False,
    pubtator: bool = True,
    fetcher: Fetcher | None = None,
) -> FetchReport:
    """Download papers by PMID/PMCID into ``out_dir`` for ``exograph build``.

    PMIDs come from PubTator3 as BioC-JSON (``full=True`` asks for full text),
    PMCIDs as full-text BioC-XML; ``cards=True`` also fetches paper cards for PMCIDs.
    """
    pmids, pmcids = parse_ids(ids)
    client = fetcher or Fetcher()
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FetchError(f"{out}: cannot use as the output folder: {exc.strerror or exc}") from None
    if pubtator and pmids:
        client.pubtator_by_pmid(pmids, out, full=full)
    if pubtator and pmcids:
        client.pubtator_by_pmcid(pmcids, out)
    if cards and pmcids:
        client.cards(pmcids, out, full_text=full)
    return client.report
