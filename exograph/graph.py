"""The knowledge graph: papers, authors, journals and entities merged by id.

Papers are merged when any of their ids (PMID, PMCID, DOI) match; entities when
their CURIEs match (or, without one, their type and folded name). The graph
keeps only keys per paper, not copies of entities, so that a corpus of a
hundred thousand cards fits in memory; writers stream from it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .diagnostics import Diagnostics
from .iris import local_curie
from .models import Entity, EntityType, Mention, Paper, Relation

if TYPE_CHECKING:
    import networkx as nx
    import rdflib

    from .cooccurrence import CoOccurrence

__all__ = ["EntityNode", "KnowledgeGraph", "PaperNode", "build_graph"]


@dataclass(slots=True)
class EntityNode:
    """One entity with every name, alias and id any source gave it."""

    key: str
    type: EntityType
    curie: str | None
    names: Counter[str] = field(default_factory=Counter)
    aliases: dict[str, None] = field(default_factory=dict)
    symbols: dict[str, None] = field(default_factory=dict)
    full_names: dict[str, None] = field(default_factory=dict)
    common_names: dict[str, None] = field(default_factory=dict)
    ranks: dict[str, None] = field(default_factory=dict)
    raw_ids: dict[str, None] = field(default_factory=dict)
    papers: set[str] = field(default_factory=set)

    @property
    def label(self) -> str:
        """Preferred label: the most used name, ties broken alphabetically so input order does not matter."""
        return min(self.names.items(), key=lambda kv: (-kv[1], kv[0]))[0]

    @property
    def alt_labels(self) -> list[str]:
        """Every other name and alias, once each, sorted."""
        label = self.label
        return sorted({*self.names, *self.aliases} - {label})

    def add(self, entity: Entity) -> None:
        """Fold another source's view of this entity in."""
        self.names[entity.name] += 1
        for alias in entity.aliases:
            self.aliases.setdefault(alias)
        for value, bucket in (
            (entity.symbol, self.symbols),
            (entity.full_name, self.full_names),
            (entity.common_name, self.common_names),
            (entity.rank, self.ranks),
            (entity.raw_id, self.raw_ids),
        ):
            if value:
                bucket.setdefault(value)


@dataclass(slots=True)
class PaperNode:
    """A paper's record (without entity copies) and the keys of what it links to."""

    paper: Paper
    about: tuple[str, ...]
    mentions: dict[str, int]
    mention_spans: tuple[Mention, ...]
    relations: tuple[Relation, ...]
    sources: tuple[str, ...]

    @property
    def key(self) -> str:
        """Node id of the paper."""
        return self.paper.key

    @property
    def author_keys(self) -> list[str]:
        """Author node ids in byline order."""
        return [local_curie("author", a) for a in self.paper.authors]

    @property
    def journal_key(self) -> str | None:
        """Journal node id."""
        return local_curie("journal", self.paper.journal) if self.paper.journal else None


_MERGED_FIELDS = ("journal", "date", "pmid", "pmcid", "doi", "tldr", "contribution", "abstract")


class KnowledgeGraph:
    """Papers and entities merged across sources; build with :func:`build_graph` or :meth:`add`."""

    def __init__(self) -> None:
        self.papers: dict[str, PaperNode] = {}
        self.entities: dict[str, EntityNode] = {}
        self.diagnostics = Diagnostics()
        self.merges: Counter[str] = Counter()
        self.cooccurrence: list[CoOccurrence] = []
        self.failures: list[tuple[str, str]] = []
        #: N-Quads file holding every statement once generated (set during a build, see rdf.materialize).
        self.rdf_cache: Path | None = None
        self._by_id: dict[str, str] = {}

    # -- building -----------------------------------------------------------------
    def add(self, paper: Paper) -> None:
        """Add one paper; merges with an existing paper sharing any id."""
        about = self._add_entities(paper.about, paper)
        mentioned = self._add_entities(paper.entities, paper)
        counts: Counter[str] = Counter()
        for span in paper.mentions:
            counts.update(span.entity_keys)
        mentions = {key: counts.get(key, 0) for key in mentioned}
        for key in counts:
            mentions.setdefault(key, counts[key])
        slim = paper.model_copy(update={"about": (), "entities": (), "mentions": (), "relations": ()})
        node = PaperNode(slim, about, mentions, paper.mentions, paper.relations, (paper.source.path,))
        matches = list(dict.fromkeys(self._by_id[i] for i in paper.ids if i in self._by_id))
        if not paper.ids and paper.key in self.papers:
            matches = [paper.key]
        for old_key in matches:
            old = self.papers.pop(old_key)
            # Forget the old node's ids and paper links; the merged node re-registers them below.
            for i in old.paper.ids:
                if self._by_id.get(i) == old_key:
                    del self._by_id[i]
            for key in (*old.about, *old.mentions):
                self.entities[key].papers.discard(old_key)
            node = _merge_papers(old, node, self.diagnostics)
            self.merges["paper"] += 1
        self.papers[node.key] = node
        for i in node.paper.ids:
            self._by_id[i] = node.key
        for key in (*node.about, *node.mentions):
            self.entities[key].papers.add(node.key)

    def _add_entities(self, entities: Iterable[Entity], paper: Paper) -> tuple[str, ...]:
        keys: dict[str, None] = {}
        for entity in entities:
            key = entity.key
            node = self.entities.get(key)
            if node is None:
                node = self.entities[key] = EntityNode(key=key, type=entity.type, curie=entity.curie)
            elif node.type != entity.type:
                self.diagnostics.warn(
                    "type-conflict",
                    f"{key} is a {node.type} elsewhere but a {entity.type} here; kept as {node.type}",
                    path=paper.source.path,
                    line=paper.source.line,
                )
            node.add(entity)
            keys.setdefault(key)
        return tuple(keys)

    def finalize(
        self, *, min_papers: int = 2, max_p: float = 0.05, pairs: Iterable[tuple[str, str]] | None = None
    ) -> None:
        """Compute corpus-level edges once all papers are in."""
        from .cooccurrence import DEFAULT_PAIRS, cooccurrences

        self.cooccurrence = cooccurrences(self, pairs=pairs or DEFAULT_PAIRS, min_papers=min_papers, max_p=max_p)

    # -- reading ------------------------------------------------------------------
    def sorted_papers(self) -> list[PaperNode]:
        """Papers in node-id order, so every writer is deterministic."""
        return [self.papers[k] for k in sorted(self.papers)]

    def sorted_entities(self) -> list[EntityNode]:
        """Entities in node-id order."""
        return [self.entities[k] for k in sorted(self.entities)]

    def authors(self) -> dict[str, str]:
        """Author node id -> name."""
        out: dict[str, str] = {}
        for node in self.papers.values():
            for key, name in zip(node.author_keys, node.paper.authors, strict=True):
                out.setdefault(key, name)
        return dict(sorted(out.items()))

    def journals(self) -> dict[str, str]:
        """Journal node id -> name."""
        out: dict[str, str] = {}
        for node in self.papers.values():
            if node.journal_key and node.paper.journal:
                out.setdefault(node.journal_key, node.paper.journal)
        return dict(sorted(out.items()))

    def node_count(self) -> int:
        """Number of nodes of every type."""
        return len(self.papers) + len(self.entities) + len(self.authors()) + len(self.journals())

    def __iter__(self) -> Iterator[PaperNode]:
        return iter(self.sorted_papers())

    def to_networkx(self) -> nx.MultiDiGraph:
        """The graph as a networkx MultiDiGraph (node ids are CURIEs, edge keys are edge types).

        >>> import exograph
        >>> g = exograph.build(["seeds/"]).graph.to_networkx()
        >>> g.nodes["NCBIGene:7422"]["label"], g.number_of_nodes()
        ('VEGFA', 109)
        """
        from .network import to_networkx

        return to_networkx(self)

    def to_rdflib(self) -> rdflib.Dataset:
        """The graph as an rdflib Dataset (one named graph per paper, the rest in the default graph).

        >>> import exograph
        >>> ds = exograph.build(["seeds/"]).graph.to_rdflib()
        >>> len(ds) > 1500
        True
        """
        from .rdf import to_rdflib

        return to_rdflib(self)


def _merge_papers(old: PaperNode, new: PaperNode, diag: Diagnostics) -> PaperNode:
    """One paper from two sources: keep every id, fill gaps, and record disagreements."""
    a, b = old.paper, new.paper
    update: dict[str, object] = {}
    for name in _MERGED_FIELDS:
        va, vb = getattr(a, name), getattr(b, name)
        if va is None and vb is not None:
            update[name] = vb
        elif va is not None and vb is not None and va != vb and name in ("pmid", "pmcid", "doi"):
            diag.warn(
                "id-conflict", f"{a.key} has {name} {va} and {vb} in different sources; kept {va}", path=b.source.path
            )
    if not a.authors and b.authors:
        update["authors"] = b.authors
    if not a.key_findings and b.key_findings:
        update["key_findings"] = b.key_findings
    if b.links:
        update["links"] = tuple(dict.fromkeys((*a.links, *b.links)))
    mentions = dict(old.mentions)
    for key, count in new.mentions.items():
        mentions[key] = mentions.get(key, 0) + count
    return PaperNode(
        paper=a.model_copy(update=update),
        about=tuple(dict.fromkeys((*old.about, *new.about))),
        mentions=mentions,
        mention_spans=old.mention_spans + new.mention_spans,
        relations=old.relations + new.relations,
        sources=tuple(dict.fromkeys((*old.sources, *new.sources))),
    )


def build_graph(papers: Iterable[Paper], *, min_papers: int = 2, max_p: float = 0.05) -> KnowledgeGraph:
    """Merge papers into one graph and compute co-occurrence statistics.

    >>> from exograph import read_card, build_graph
    >>> kg = build_graph([read_card("seeds/000_d081ed892fcfcee2.txt")])
    >>> len(kg.papers), len(kg.entities)
    (1, 104)
    """
    kg = KnowledgeGraph()
    for paper in papers:
        kg.add(paper)
    kg.finalize(min_papers=min_papers, max_p=max_p)
    return kg
