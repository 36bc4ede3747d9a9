"""RDF as compressed N-Quads shards with a manifest: what triplestore bulk loaders take at PubTator3 scale.

``OUT/rdf/part-00000.nq.gz`` ... each hold up to :data:`SHARD_STATEMENTS`
statements (each paper's in its named graph unless the profile is compact,
shared ones in the default graph, as in ``graph.nq``), written as they are generated: the whole graph's text is
never in memory at once. ``OUT/rdf/manifest.json`` lists every shard with its
statement count, size and SHA-256, so a loader (Virtuoso's ``ld_dir``,
``oxigraph load``, Jena's ``tdb2.tdbloader``) or a copy job can check it got all.
The shards and the manifest are published together.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Final

import numpy as np
from pyoxigraph import RdfFormat, parse, serialize

from ..atomic import Destination, atomic_dir, atomic_open
from ..errors import WriteError
from ..gz import compress, open_read, writer
from ..rdf import nquads_chunks, text_chunks
from ..version import __version__

if TYPE_CHECKING:
    from ..graph import KnowledgeGraph
    from ..statements import Statements

__all__ = [
    "MANIFEST",
    "SHARD_STATEMENTS",
    "read_manifest",
    "shard_blocks",
    "shard_record",
    "write_manifest",
    "write_nquads_shards",
    "write_shard",
    "write_shard_blocks",
]

#: Statements per shard: large enough for bulk loaders to stream well, small enough to parse in a few seconds.
SHARD_STATEMENTS: Final = 500_000
MANIFEST: Final = "manifest.json"


def write_nquads_shards(
    kg: KnowledgeGraph | Statements, dest: Destination, *, statements_per_shard: int | None = None
) -> None:
    """Write ``dest/part-NNNNN.nq.gz`` and ``dest/manifest.json`` (``dest`` is a folder)."""
    if not isinstance(dest, (str, os.PathLike)):
        raise WriteError("N-Quads shards are several files: give a folder, not an open handle", path="<handle>")
    size = statements_per_shard or SHARD_STATEMENTS
    with atomic_dir(dest) as folder:
        os.chmod(folder, 0o755)  # a temporary folder starts private; the published one is readable like the rest
        shards = []
        for index, text in enumerate(_shard_texts(nquads_chunks(kg), size)):
            name = f"part-{index:05d}.nq.gz"
            # Parsed and written again by pyoxigraph, so the shards hold canonical N-Quads, as graph.nq does.
            canonical = serialize(parse(text, format=RdfFormat.N_QUADS, lenient=True), format=RdfFormat.N_QUADS)
            data = compress(canonical or b"", level=2)
            (folder / name).write_bytes(data)
            shards.append(
                {
                    "file": name,
                    "statements": (canonical or b"").count(b"\n"),
                    "bytes": len(data),
                    "sha256": hashlib.sha256(data).hexdigest(),
                }
            )
        write_manifest(folder, shards)


def write_manifest(folder: Path, shards: list[dict[str, object]]) -> None:
    """``folder/manifest.json`` for the shards listed (each as :func:`shard_record` gives it)."""
    manifest = {
        "format": "application/n-quads",
        "compression": "gzip",
        "generator": f"exograph {__version__}",
        "statements": sum(int(s["statements"]) for s in shards),  # type: ignore[call-overload]
        "shards": shards,
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


def write_shard(path: Path, texts: Iterable[str]) -> int:
    """Write statement text (N-Quads lines) to the gzipped shard ``path``, atomically; returns the statements.

    The text is written as generated (it is valid by construction, see :func:`exograph.rdf.statement_text`),
    without parsing it again: at PubTator3 scale, parsing is as costly as generating.
    """
    return write_shard_blocks(path, text_chunks(texts, 1 << 20))


def write_shard_blocks(path: Path, blocks: Iterable[bytes]) -> int:
    """:func:`write_shard` for statement text already encoded (UTF-8 blocks of whole lines)."""
    lines = 0
    # A task failing mid-shard leaves neither the shard nor a stray partial file behind.
    with atomic_open(path) as raw, writer(raw, level=1) as out:
        for data in blocks:
            # Counted by NumPy, several times faster than bytes.count on blocks of this size.
            lines += int(np.count_nonzero(np.frombuffer(data, dtype=np.uint8) == 10))
            out.write(data)
    return lines


def shard_blocks(shards: Iterable[Path]) -> Iterator[bytes]:
    """The shards' statement text, decompressed, in blocks of whole lines (so a block can be edited line-wise)."""
    for shard in shards:
        with open_read(shard) as handle:
            pending = b""
            while block := handle.read(1 << 20):
                block = pending + block
                cut = block.rfind(b"\n") + 1
                pending = block[cut:]
                if cut:
                    yield block[:cut]
            if pending:
                yield pending


def shard_record(path: Path, name: str, statements: int) -> dict[str, object]:
    """A manifest entry for one shard file: its name, statements, size and SHA-256."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return {"file": name, "statements": statements, "bytes": path.stat().st_size, "sha256": digest.hexdigest()}


def _shard_texts(chunks: Iterator[bytes], size: int) -> Iterator[bytes]:
    """The statement text cut into pieces of at most ``size`` lines (a statement is one line)."""
    pending: list[bytes] = []
    lines = 0
    for chunk in chunks:
        start = 0
        while start < len(chunk):
            # Take lines from this chunk until the shard is full.
            room = size - lines
            end = start
            for _ in range(room):
                found = chunk.find(b"\n", end)
                if found < 0:
                    end = len(chunk)
                    break
                end = found + 1
                lines += 1
            pending.append(chunk[start:end])
            start = end
            if lines >= size:
                yield b"".join(pending)
                pending, lines = [], 0
    if pending and any(pending):
        yield b"".join(pending)


def read_manifest(folder: str | os.PathLike[str]) -> dict[str, object]:
    """The manifest of a shard folder, each shard checked against its size and SHA-256."""
    base = Path(folder)
    manifest: dict[str, object] = json.loads((base / MANIFEST).read_text(encoding="utf-8"))
    for shard in manifest["shards"]:  # type: ignore[attr-defined]
        data = (base / shard["file"]).read_bytes()
        if len(data) != shard["bytes"] or hashlib.sha256(data).hexdigest() != shard["sha256"]:
            raise WriteError(f"shard {shard['file']} does not match the manifest", path=base)
    return manifest
