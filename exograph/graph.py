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
from typing import TYPE_CHECKING

from .diagnostics import Diagnostics
from .iris import local_curie
from .models import Entity, EntityType, Mention, Paper, Relation

if TYPE_CHECKING:
    from .sssom import Mapping

__all__ = ["CoOccurrence", "EntityNode", "KnowledgeGraph", "PaperNode", "warn_type_conflict"]


@dataclass(frozen=True, slots=True)
class CoOccurrence:
    """Two entities mentioned in the same papers, with how surprising that is (see :mod:`exograph.cooccurrence`)."""

    source: str
    target: str
    papers: int
    source_papers: int
    target_papers: int
    total_papers: int
    expected: float
    enrichment: float
    log_odds: float
    p_value: float
    p_adjusted: float
    supporting: tuple[str, ...]


@dataclass(slots=True)
class EntityNode:
    """One entity with every name, alias and id any source gave it."""

    key: str
    type: EntityType
    curie: str | None
    #: Name -> how many papers used it (a plain dict: cheaper to copy between processes than a Counter).
    names: dict[str, int] = field(default_factory=dict)
    aliases: dict[str, None] = field(default_factory=dict)
    symbols: dict[str, None] = field(default_factory=dict)
    full_names: dict[str, None] = field(default_factory=dict)
    common_names: dict[str, None] = field(default_factory=dict)
    ranks: dict[str, None] = field(default_factory=dict)
    raw_ids: dict[str, None] = field(default_factory=dict)
    papers: set[str] = field(default_factory=set)
    #: Other ids of this entity: the ids merged into it through exact-match mappings (``--merge-mapped``).
    xrefs: dict[str, None] = field(default_factory=dict)
    #: The last Entity record folded in: readers share one record between papers that describe an entity
    #: identically, and folding the same record again only adds to its name count.
    last: Entity | None = field(default=None, repr=False, compare=False)

    def __reduce__(self) -> tuple[object, ...]:
        # Positional rebuild: much cheaper to unpickle than the generated per-field __setstate__ of a slots
        # dataclass, and parallel reading sends hundreds of thousands of these between processes.
        return EntityNode, (
            self.key,
            self.type,
            self.curie,
            self.names,
            self.aliases,
            self.symbols,
            self.full_names,
            self.common_names,
            self.ranks,
            self.raw_ids,
            self.papers,
            self.xrefs,
        )

    @property
    def label(self) -> str:
        """Preferred label: the most used name, ties broken alphabetically so input order does not matter."""
        return min(self.names.items(), key=lambda kv: (-kv[1], kv[0]))[0]

    @property
    def alt_labels(self) -> list[str]:
        """Every other name and alias, once each, sorted."""
        label = self.label
        return sorted({*self.names, *self.aliases} - {label})

    def merge(self, other: EntityNode) -> None:
        """Fold in what another graph learnt about the same entity (names counted, the rest in order)."""
        names = self.names
        for name, count in other.names.items():
            names[name] = names.get(name, 0) + count
        for ours, theirs in (
            (self.aliases, other.aliases),
            (self.symbols, other.symbols),
            (self.full_names, other.full_names),
            (self.common_names, other.common_names),
            (self.ranks, other.ranks),
            (self.raw_ids, other.raw_ids),
            (self.xrefs, other.xrefs),
        ):
            if theirs:
                for value in theirs:
                    ours.setdefault(value)

    def add(self, entity: Entity) -> None:
        """Fold another source's view of this entity in."""
        # Called once per entity per paper (millions of times in a large corpus): kept to plain dict operations.
        names = self.names
        names[entity.name] = names.get(entity.name, 0) + 1
        if entity is self.last:
            return
        self.last = entity
        for alias in entity.aliases:
            self.aliases.setdefault(alias)
        if entity.symbol:
            self.symbols.setdefault(entity.symbol)
        if entity.full_name:
            self.full_names.setdefault(entity.full_name)
        if entity.common_name:
            self.common_names.setdefault(entity.common_name)
        if entity.rank:
            self.ranks.setdefault(entity.rank)
        if entity.raw_id:
            self.raw_ids.setdefault(entity.raw_id)


@dataclass(slots=True)
class PaperNode:
    """A paper's record (without entity copies) and the keys of what it links to."""

    paper: Paper
    about: tuple[str, ...]
    mentions: dict[str, int]
    mention_spans: tuple[Mention, ...]
    relations: tuple[Relation, ...]
    sources: tuple[str, ...]
    #: Node id of the paper (``paper.key``, worked out once: writers ask for it many times per paper).
    key: str = field(init=False)

    def __post_init__(self) -> None:
        self.key = self.paper.key

    def __reduce__(self) -> tuple[object, ...]:
        # See EntityNode.__reduce__.
        return PaperNode, (self.paper, self.about, self.mentions, self.mention_spans, self.relations, self.sources)

    @property
    def journal_key(self) -> str | None:
        """Journal node id."""
        return local_curie("journal", self.paper.journal) if self.paper.journal else None


class LocalKeys(dict[str, str]):
    """Name -> local node id of one kind, worked out once per name.

    A large corpus has more distinct authors (165,000 at 100,000 papers) than
    any LRU cache should hold, and every writer asks for every author's id.
    """

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind

    def __missing__(self, name: str) -> str:
        key = self[name] = local_curie.__wrapped__(self.kind, name)
        return key


_MERGED_FIELDS = ("journal", "date", "pmid", "pmcid", "doi", "tldr", "contribution", "abstract")


class KnowledgeGraph:
    """Papers and entities merged across sources: a model only (no statistics, files or jobs).

    Build it with :func:`exograph.build_graph`, or :meth:`add` papers and then
    :func:`exograph.cooccurrence.finalize`.
    """

    def __init__(
        self, *, spans: bool = True, edge_papers: bool = True, paper_graphs: bool = True, entity_links: bool = True
    ) -> None:
        #: Whether papers keep their mention spans (offsets); without them (the compact profile) only
        #: each paper's mention counts are kept.
        self.spans = spans
        #: Whether co-occurrence edges list the papers that support them. The compact profile leaves the
        #: lists out: they are exactly the papers that mention both entities (a query away), and at
        #: PubTator3 scale they would outnumber every other statement, growing with pairs times papers.
        self.edge_papers = edge_papers
        #: Whether each paper's statements sit in a named graph of their own (N-Quads, TriG, the store). The
        #: compact profile puts them in the default graph: a quad store indexes a named graph's statements six
        #: ways instead of three, and their subjects (the paper, or IRIs minted under it) already say whose
        #: they are.
        self.paper_graphs = paper_graphs
        #: Whether each entity node keeps the set of papers that link it. A graph that only merges papers
        #: whose entities are held elsewhere (the out-of-core ``papers`` stage) has no entity nodes to keep
        #: them in, and would otherwise hold every (entity, paper) link of its share of the corpus twice.
        self.entity_links = entity_links
        self.papers: dict[str, PaperNode] = {}
        self.entities: dict[str, EntityNode] = {}
        self.diagnostics = Diagnostics()
        self.merges: Counter[str] = Counter()
        #: Co-occurrence edges, sorted by (source, target): set by :func:`exograph.cooccurrence.finalize`
        #: once every paper is in (empty before).
        self.cooccurrence: list[CoOccurrence] = []
        self.failures: list[tuple[str, str]] = []
        #: For a graph of entities without their papers (the out-of-core plan's entity-level view, see
        #: :mod:`exograph.stages.view`): how many papers link each entity, and how many the corpus holds.
        self.paper_counts: dict[str, int] = {}
        self.paper_total: int | None = None
        self._by_id: dict[str, str] = {}
        #: Author name -> author node id (``kg.author_key[name]``; a paper's authors in byline order are
        #: ``[kg.author_key[a] for a in node.paper.authors]``).
        self.author_key = LocalKeys("author")
        #: SSSOM mappings between ids of this graph (see :mod:`exograph.mapping`), sorted.
        self.mappings: list[Mapping] = []
        #: Cliques of exact matches that were not merged into one node (two ids of one scheme), sorted.
        self.unmerged_cliques: list[tuple[str, ...]] = []

    # -- building -----------------------------------------------------------------
    def add(self, paper: Paper) -> None:
        """Add one paper; merges with an existing paper sharing any id."""
        about = self._add_entities(paper.about, paper)
        mentioned = self._add_entities(paper.entities, paper)
        mentions = dict.fromkeys(mentioned, 0)  # cards give no spans: every count stays 0
        if paper.mentions:
            counts = Counter(key for span in paper.mentions for key in span.entity_keys)
            for key, count in counts.items():
                mentions[key] = count
        slim = paper.model_copy(update={"about": (), "entities": (), "mentions": (), "relations": ()})
        spans = paper.mentions if self.spans else ()
        self._insert(PaperNode(slim, about, mentions, spans, paper.relations, (paper.source.path,)))

    def insert_node(self, node: PaperNode) -> None:
        """Add a paper node whose entities are already in the graph (merging it with papers sharing an id)."""
        self._insert(node)

    def _insert(self, node: PaperNode, *, linked: bool = False) -> None:
        """Register a paper node whose entities are already in the graph, merging it with papers sharing an id.

        ``linked`` says the node's key is already in its entities' paper sets
        (it comes from a graph being absorbed), so only a merge needs to touch them.
        """
        ids = node.paper.ids
        by_id = self._by_id
        matches = list(dict.fromkeys(by_id[i] for i in ids if i in by_id)) if ids else []
        if not ids and node.key in self.papers:
            matches = [node.key]
        if not self.entity_links:
            linked = True  # nothing to link: a merge below still touches no entity
        elif matches and linked:
            for key in (*node.about, *node.mentions):
                self.entities[key].papers.discard(node.key)
            linked = False
        for old_key in matches:
            old = self.papers.pop(old_key)
            # Forget the old node's ids and paper links; the merged node re-registers them below.
            for i in old.paper.ids:
                if self._by_id.get(i) == old_key:
                    del self._by_id[i]
            if self.entity_links:
                for key in (*old.about, *old.mentions):
                    self.entities[key].papers.discard(old_key)
            node = _merge_papers(old, node, self.diagnostics)
            self.merges["paper"] += 1
        paper_key = node.key
        self.papers[paper_key] = node
        for i in node.paper.ids if matches else ids:  # a merged node has the ids of both
            by_id[i] = paper_key
        if not linked:
            entities = self.entities
            for key in (*node.about, *node.mentions):
                entities[key].papers.add(paper_key)

    def absorb(self, other: KnowledgeGraph) -> None:
        """Add everything another graph holds, as if its papers had been added here one by one.

        Parallel reading builds one graph per batch of files in worker processes
        and absorbs them in file order, so the result, and every output, is
        the same as reading the files one after the other.
        """
        self.diagnostics.extend(other.diagnostics.items)
        self.failures.extend(other.failures)
        self.merges.update(other.merges)
        entities = self.entities
        for key, theirs in other.entities.items():
            ours = entities.get(key)
            if ours is None:
                entities[key] = theirs
                continue
            if ours.type != theirs.type:
                for node in other.papers.values():
                    if key in node.mentions or key in node.about:
                        warn_type_conflict(
                            self.diagnostics, key, ours.type, theirs.type, node.sources[0], node.paper.source.line
                        )
            ours.merge(theirs)
            ours.papers |= theirs.papers
        for node in other.papers.values():
            self._insert(node, linked=True)
        other.entities, other.papers = {}, {}  # their nodes now belong to this graph

    def _add_entities(self, entities: Iterable[Entity], paper: Paper) -> tuple[str, ...]:
        keys: dict[str, None] = {}
        nodes = self.entities
        # Millions of iterations in a large corpus: the common case (the record folded in last time,
        # shared by the reader between papers) only counts the name, without a method call.
        for entity in entities:
            curie = entity.curie
            key = curie if curie is not None else entity.key
            node = nodes.get(key)
            if node is None:
                node = nodes[key] = EntityNode(key=key, type=entity.type, curie=curie)
            elif node.type != entity.type:
                warn_type_conflict(self.diagnostics, key, node.type, entity.type, paper.source.path, paper.source.line)
            if entity is node.last:
                names = node.names
                names[entity.name] = names.get(entity.name, 0) + 1
            else:
                node.add(entity)
            keys[key] = None
        return tuple(keys)

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
        author_key = self.author_key
        for node in self.papers.values():
            for name in node.paper.authors:
                out.setdefault(author_key[name], name)
        return dict(sorted(out.items()))

    def journals(self) -> dict[str, str]:
        """Journal node id -> name."""
        out: dict[str, str] = {}
        for node in self.papers.values():
            if node.journal_key and node.paper.journal:
                out.setdefault(node.journal_key, node.paper.journal)
        return dict(sorted(out.items()))

    def paper_count(self, key: str) -> int:
        """How many papers link the entity ``key`` (held here, or counted where they are held)."""
        found = self.paper_counts.get(key)
        return len(self.entities[key].papers) if found is None else found

    def paper_number(self) -> int:
        """How many papers the corpus holds (here, or counted where they are held)."""
        return len(self.papers) if self.paper_total is None else self.paper_total

    def node_count(self) -> int:
        """Number of nodes of every type."""
        return len(self.papers) + len(self.entities) + len(self.authors()) + len(self.journals())

    def __iter__(self) -> Iterator[PaperNode]:
        return iter(self.sorted_papers())


def warn_type_conflict(
    diagnostics: Diagnostics, key: str, kept: str, found: str, path: str | None, line: int | None
) -> None:
    """Record that a paper names an entity with another type than the one its node was made with (the node
    keeps its first type: one id is one node)."""
    diagnostics.warn(
        "type-conflict", f"{key} is a {kept} elsewhere but a {found} here; kept as {kept}", path=path, line=line
    )


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
