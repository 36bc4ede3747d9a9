"""A real HTTP server on 127.0.0.1 serving recorded PubTator3 and card-site answers, plus scripted failures."""

from __future__ import annotations

import contextlib
import json
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from exograph.fetch import Fetcher

from .conftest import FIXTURES, SEED, SHARED_DATA


@dataclass
class Scripted:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    content_type: str = "application/json"
    #: Writes the whole answer itself (status line included) to the handler, for answers no server should send.
    raw: Callable[[BaseHTTPRequestHandler], None] | None = None


class Recorded:
    """State shared with the handler: captures, scripted answers and a log of requests."""

    def __init__(self) -> None:
        self.docs: dict[str, dict] = {}
        for path in [
            FIXTURES / "pubtator3_20516115.json",
            *sorted((SHARED_DATA / "pubtator3_api" / "captures").glob("*.json")),
        ]:
            value = json.loads(path.read_text())
            docs = value["PubTator3"] if isinstance(value, dict) and "PubTator3" in value else [value]
            for doc in docs:
                if doc.get("passages") and len(doc["passages"]) <= 3:  # abstracts only for export by PMID
                    self.docs.setdefault(str(doc["pmid"]), doc)
        self.script: list[Scripted] = []
        self.log: list[tuple[float, str]] = []
        self.agents: list[str] = []
        self.lock = threading.Lock()


def _pmc_collection(pmcids: list[str]) -> bytes:
    source = ET.parse(FIXTURES / "cdr_excerpt.bioc.xml").getroot()
    out = ET.Element("collection")
    ET.SubElement(out, "source").text = "PubTator"
    template = source.find("document")
    assert template is not None
    for pmcid in pmcids:
        if pmcid == "PMC999999999":
            continue
        doc = ET.fromstring(ET.tostring(template))
        id_el = doc.find("id")
        assert id_el is not None
        id_el.text = pmcid.removeprefix("PMC")
        front = doc.find("passage")
        assert front is not None
        for key, value in (("article-id_pmc", pmcid.removeprefix("PMC")), ("article-id_pmid", "227508")):
            infon = ET.Element("infon", key=key)
            infon.text = value
            front.insert(0, infon)
        out.append(doc)
    return ET.tostring(out, encoding="utf-8", xml_declaration=True)


def make_handler(state: Recorded) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            return

        def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)

        def do_GET(self) -> None:
            with state.lock:
                state.log.append((time.monotonic(), self.path))
                state.agents.append(self.headers.get("User-Agent", ""))
                scripted = state.script.pop(0) if state.script else None
            if scripted is not None and scripted.raw is not None:
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    scripted.raw(self)
                self.close_connection = True
                return
            if scripted is not None:
                if scripted.delay:
                    time.sleep(scripted.delay)
                if scripted.status != 0:
                    self._send(scripted.status, scripted.body, scripted.content_type, scripted.headers)
                    return
            url = urlparse(self.path)
            query = parse_qs(url.query)
            if url.path == "/pubtator/publications/export/biocjson":
                pmids = query.get("pmids", [""])[0].split(",")
                docs = [state.docs[p] for p in pmids if p in state.docs]
                self._send(200, json.dumps({"PubTator3": docs}).encode(), "application/json")
            elif url.path == "/pubtator/publications/pmc_export/biocxml":
                self._send(200, _pmc_collection(query.get("pmcids", [""])[0].split(",")), "application/xml")
            elif url.path == "/mappings/mondo.sssom.tsv":
                path = SHARED_DATA / "mappings" / "mondo_exactmatch_mesh.sssom.tsv"
                self._send(200, path.read_bytes(), "text/tab-separated-values")
            elif url.path == "/cards/PMC12921707":
                self._send(200, SEED.read_bytes(), "text/markdown; charset=utf-8")
            elif url.path == "/cards/PMC12921707/full.md":
                self._send(200, b"# Full text\n\nBody of the paper.\n", "text/markdown; charset=utf-8")
            else:
                self._send(404, b"<html><body>Not found</body></html>", "text/html")

    return Handler


@contextmanager
def recorded_server() -> Iterator[tuple[str, Recorded]]:
    state = Recorded()
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(state))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state
    finally:
        server.shutdown()
        server.server_close()


def fetch_client(base: str, tmp_path: Path, *, retries: int, **kwargs: object) -> Fetcher:
    """A Fetcher aimed at the recorded server, with short delays so that retry tests stay quick."""
    options: dict[str, object] = {"backoff": 0.05, "timeout": 2.0, "requests_per_second": 50.0, **kwargs}
    return Fetcher(
        pubtator_url=f"{base}/pubtator",
        cards_url=f"{base}/cards",
        cache_dir=tmp_path / "cache",
        retries=retries,
        **options,  # type: ignore[arg-type]
    )
