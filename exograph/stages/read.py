"""Stage 1, ``read``: one chunk of input through the readers and the in-memory graph, out as bucketed tables.

The chunk is read exactly as the in-memory build reads it (:func:`exograph.plan.read_chunk`:
same readers, same id handling, same merging of a paper's records within the
chunk), or, for a chunk of PubTator3 bulk concept or relation rows, by columns to
the same records (:mod:`exograph.stages.bulk`, :mod:`exograph.stages.bulk_relations`); then its papers and entities are written
as partial records, each to the bucket of its key, for the stages that merge
them across chunks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pyarrow as pa
from pydantic import TypeAdapter

from ..models import Mention, Relation
from ..plan import Chunk, read_chunk
from ..readers.pubtator3_bulk import bulk_paper
from ..tables import write_buckets, write_table
from . import Layout, TaskReport
from .bulk import read_bulk_concepts
from .bulk_relations import read_bulk_relations
from .schemas import IDS_SCHEMA, PAPER_SCHEMA, entity_table

if TYPE_CHECKING:
    from ..errors import InputError
    from ..graph import PaperNode

__all__ = ["RELATIONS", "SPANS", "failure_record", "paper_tables", "read_task"]

SPANS: TypeAdapter[tuple[Mention, ...]] = TypeAdapter(tuple[Mention, ...])
RELATIONS: TypeAdapter[tuple[Relation, ...]] = TypeAdapter(tuple[Relation, ...])


def failure_record(exc: InputError) -> dict[str, Any]:
    """An input error as JSON (rebuilt by the driver with its class, file and line)."""
    return {
        "class": type(exc).__name__,
        "message": exc.message,
        "path": exc.path,
        "line": exc.line,
        "column": exc.column,
    }


def read_task(layout: Layout, chunk: Chunk) -> TaskReport:
    """Read one chunk and write its paper, entity and id tables (every bucket gets a file, maybe empty)."""
    bulk = read_bulk_concepts(chunk) or read_bulk_relations(chunk)
    if bulk is not None:
        report = TaskReport(papers=len(bulk.papers))
        report.diagnostics = [d.model_dump() for d in bulk.diagnostics.items]
        papers, several_ids, entities = bulk.papers, IDS_SCHEMA.empty_table(), bulk.entities
    else:
        part, chunk_report = read_chunk(chunk)
        report = TaskReport(papers=len(part.papers))
        report.failures = [failure_record(exc) for exc in chunk_report.failures]
        report.diagnostics = [d.model_dump() for d in part.diagnostics.items]
        report.merges = dict(part.merges)
        papers, several_ids = paper_tables(chunk.index, list(part.papers.values()))
        entities = entity_table(part.entities.values(), chunk.index)
    write_buckets(papers, "key", layout.buckets, layout.bucketed("read", "papers", chunk.index))
    write_table(several_ids, layout.part("read", "ids", chunk.index))
    write_buckets(entities, "key", layout.buckets, layout.bucketed("read", "entities", chunk.index))
    return report


def paper_tables(index: int, papers: list[PaperNode]) -> tuple[pa.Table, pa.Table]:
    """Papers as rows of :data:`PAPER_SCHEMA`, and the ids of those with more than one (:data:`IDS_SCHEMA`).

    A row is marked ``bulk`` when its record is what a PubTator3 bulk file says of a paper and no more: the
    paper record of its PMID (:func:`bulk_paper`), the entities it mentions without counts, its relations. The
    ``papers`` stage writes papers made only of such rows by columns.
    """
    columns: dict[str, list[Any]] = {name: [] for name in PAPER_SCHEMA.names}
    several_ids: dict[str, list[Any]] = {"key": [], "ids": []}
    for pos, node in enumerate(papers):
        columns["key"].append(node.key)
        columns["chunk"].append(index)
        columns["pos"].append(pos)
        columns["paper"].append(node.paper.model_dump_json())
        columns["about"].append(list(node.about))
        columns["mention_keys"].append(list(node.mentions))
        columns["mention_counts"].append(list(node.mentions.values()))
        columns["spans"].append(SPANS.dump_json(node.mention_spans).decode() if node.mention_spans else "")
        columns["relations"].append(RELATIONS.dump_json(node.relations).decode() if node.relations else "")
        columns["sources"].append(list(node.sources))
        columns["bulk"].append(_says_only_bulk(node))
        ids = node.paper.ids
        if len(ids) > 1:
            several_ids["key"].append(node.key)
            several_ids["ids"].append(list(ids))
    return pa.table(columns, schema=PAPER_SCHEMA), pa.table(several_ids, schema=IDS_SCHEMA)


def _says_only_bulk(node: PaperNode) -> bool:
    paper = node.paper
    pmid, source = paper.pmid, paper.source
    if pmid is None or not (pmid.isascii() and pmid.isdigit()) or source is None or source.line is None:
        return False
    if node.about or node.mention_spans or any(node.mentions.values()):
        return False
    return paper == bulk_paper(pmid, source.path, source.line)
