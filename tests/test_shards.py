"""Compressed N-Quads shards with a manifest: the same statements as graph.nq, checkable, loadable."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from exograph.errors import WriteError
from exograph.pipeline import build
from exograph.writers.shards import read_manifest, write_nquads_shards, write_shard_blocks

from .conftest import FIXTURES, SEEDS


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("shards")
    result = build([SEEDS, FIXTURES / "cards"], out, outputs=["nquads", "nquads-shards"], store=False, max_p=1.0)
    assert result.ok
    return out


def test_shards_hold_exactly_graph_nq(built: Path, tmp_path: Path) -> None:
    kg = build([SEEDS, FIXTURES / "cards"], max_p=1.0).graph
    write_nquads_shards(kg, tmp_path / "rdf", statements_per_shard=700)
    manifest = read_manifest(tmp_path / "rdf")
    shards = manifest["shards"]
    assert isinstance(shards, list) and len(shards) > 3
    assert all(s["statements"] <= 700 for s in shards)
    lines: list[bytes] = []
    for shard in shards:
        lines += gzip.decompress((tmp_path / "rdf" / shard["file"]).read_bytes()).splitlines()
    assert manifest["statements"] == len(lines)
    assert sorted(lines) == sorted((built / "graph.nq").read_bytes().splitlines())
    # The build's own shard folder is the same statements, in one shard at this size.
    built_manifest = read_manifest(built / "rdf")
    assert built_manifest["statements"] == len(lines)


def test_a_store_loads_the_shards(built: Path) -> None:
    store = ox.Store()
    for shard in json.loads((built / "rdf" / "manifest.json").read_text())["shards"]:
        store.bulk_load(gzip.decompress((built / "rdf" / shard["file"]).read_bytes()), format=ox.RdfFormat.N_QUADS)
    expected = ox.Store()
    expected.bulk_load(path=str(built / "graph.nq"), format=ox.RdfFormat.N_QUADS)
    assert len(store) == len(expected) > 1000


def test_a_tampered_shard_is_caught(built: Path, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "rdf"
    shutil.copytree(built / "rdf", copy)
    shard = next(copy.glob("part-*.nq.gz"))
    shard.write_bytes(shard.read_bytes()[:-10])
    with pytest.raises(WriteError, match="does not match the manifest"):
        read_manifest(copy)


def test_a_shard_is_published_whole_or_not_at_all(tmp_path: Path) -> None:
    """A task that fails mid-shard leaves no shard and no partial file; one that succeeds replaces the old shard."""
    path = tmp_path / "rdf" / "part-00000.nq.gz"
    line = b'<http://example.org/s> <http://example.org/p> "o" .\n'

    def failing() -> Iterator[bytes]:
        yield line * 1000
        raise OSError("disk gone")

    with pytest.raises(OSError, match="disk gone"):
        write_shard_blocks(path, failing())
    assert list(path.parent.iterdir()) == []
    assert write_shard_blocks(path, [line * 3, line]) == 4
    with pytest.raises(OSError):
        write_shard_blocks(path, failing())
    assert [p.name for p in path.parent.iterdir()] == [path.name]
    assert gzip.decompress(path.read_bytes()) == line * 4
    assert path.stat().st_mode & 0o777 == 0o644
