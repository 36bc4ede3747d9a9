"""graph.ttl loads unchanged into Virtuoso (Debian's virtuoso-opensource), started here on 127.0.0.1.

Virtuoso 7 keeps the backslash of a Turtle local-name escape (``exo.id:a\\/b``) in the IRI, so Turtle with such
escapes loses every join; the test loads graph.ttl with ``DB.DBA.TTLP_MT`` and checks over HTTP that it holds
exactly the statements of graph.nt, IRI for IRI.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests

pytestmark = pytest.mark.server


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


INI = """[Database]
DatabaseFile = {db}/virtuoso.db
ErrorLogFile = {db}/virtuoso.log
LockFile = {db}/virtuoso.lck
TransactionFile = {db}/virtuoso.trx
xa_persistent_file = {db}/virtuoso.pxa
[TempDatabase]
DatabaseFile = {db}/virtuoso-temp.db
TransactionFile = {db}/virtuoso-temp.trx
[Parameters]
ServerPort = 127.0.0.1:{isql}
DisableUnixSocket = 1
DirsAllowed = ., {data}
NumberOfBuffers = 20000
MaxDirtyBuffers = 15000
[HTTPServer]
ServerPort = 127.0.0.1:{http}
ServerRoot = {db}
MaxClientConnections = 4
[SPARQL]
ResultSetMaxRows = 1000000
MaxQueryExecutionTime = 120
"""


class Virtuoso:
    def __init__(self, root: Path) -> None:
        self.db, self.data = root / "db", root / "data"
        self.db.mkdir()
        self.data.mkdir()
        self.isql, self.http = _port(), _port()
        (self.db / "virtuoso.ini").write_text(
            INI.format(db=self.db, data=self.data, isql=self.isql, http=self.http), encoding="utf-8"
        )
        self.process = subprocess.Popen(
            ["virtuoso-t", "+foreground", "+configfile", str(self.db / "virtuoso.ini")],
            cwd=self.db,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.endpoint = f"http://127.0.0.1:{self.http}/sparql"
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert self.process.poll() is None, (self.db / "virtuoso.log").read_text(errors="replace")[-2000:]
            try:
                if requests.get(self.endpoint, params={"query": "ASK {}"}, timeout=2).ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.5)
        raise AssertionError("Virtuoso did not answer in 90 s")

    def sql(self, statement: str) -> str:
        done = subprocess.run(
            ["isql-vt", f"127.0.0.1:{self.isql}", "dba", "dba", f"exec={statement}"],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0 and "Error" not in done.stdout + done.stderr, done.stdout + done.stderr
        return done.stdout

    def select(self, query: str) -> list[dict[str, dict[str, str]]]:
        r = requests.post(
            self.endpoint,
            data={"query": query},
            headers={"Accept": "application/sparql-results+json"},
            timeout=120,
        )
        r.raise_for_status()
        return r.json()["results"]["bindings"]  # type: ignore[no-any-return]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture()
def virtuoso(tmp_path: Path) -> Iterator[Virtuoso]:
    if shutil.which("virtuoso-t") is None or shutil.which("isql-vt") is None:
        pytest.skip("Virtuoso is not installed (Debian: apt-get install virtuoso-opensource)")
    server = Virtuoso(tmp_path)
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.parametrize("build_fixture", ["seed_build", "corpus_build"])
def test_turtle_loads_into_virtuoso_with_every_iri_intact(
    virtuoso: Virtuoso, build_fixture: str, request: pytest.FixtureRequest
) -> None:
    out: Path = request.getfixturevalue(build_fixture)
    shutil.copy(out / "graph.ttl", virtuoso.data / "graph.ttl")
    graph = "https://w3id.org/exograph/test"
    virtuoso.sql(f"DB.DBA.TTLP_MT(file_to_string_output('{virtuoso.data / 'graph.ttl'}'), '', '{graph}', 0);")
    expected = {q.triple for q in ox.parse(path=str(out / "graph.nt"))}
    rows = virtuoso.select(f"SELECT (COUNT(*) AS ?n) FROM <{graph}> WHERE {{ ?s ?p ?o }}")
    assert int(rows[0]["n"]["value"]) == len(expected)
    subjects = {t.subject.value for t in expected if isinstance(t.subject, ox.NamedNode)}
    stored = {row["s"]["value"] for row in virtuoso.select(f"SELECT DISTINCT ?s FROM <{graph}> WHERE {{ ?s ?p ?o }}")}
    assert sorted(stored - subjects)[:5] == []
    assert stored == subjects
    assert not [s for s in stored if "\\" in s]
    # A local id joins: the unnormalised CAR-T entity by its IRI.
    car_t = "https://w3id.org/exograph/id/ChemicalEntity/car-t"
    if car_t in subjects:
        rows = virtuoso.select(
            f"SELECT ?l FROM <{graph}> WHERE {{ <{car_t}> <http://www.w3.org/2000/01/rdf-schema#label> ?l }}"
        )
        assert [r["l"]["value"] for r in rows] == ["CAR-T"]
