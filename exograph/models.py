"""Typed, validated records for what the readers recover from papers.

Records are frozen so a parsed paper can be cached, hashed and shared between
the graph builder and the writers without anyone mutating it behind their back.
"""

from __future__ import annotations

import datetime as _dt
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .errors import display_path
from .iris import local_curie, slugify, url_iri

__all__ = [
    "ENTITY_TYPES",
    "NODE_TYPES",
    "Diagnostic",
    "Entity",
    "EntityType",
    "Link",
    "Mention",
    "NodeType",
    "Paper",
    "Record",
    "Relation",
    "SourceRef",
]

EntityType = Literal["Gene", "Disease", "ChemicalEntity", "OrganismTaxon", "SequenceVariant", "CellLine"]
NodeType = Literal[
    "Paper", "Author", "Journal", "Gene", "Disease", "ChemicalEntity", "OrganismTaxon", "SequenceVariant", "CellLine"
]
ENTITY_TYPES: tuple[EntityType, ...] = get_args(EntityType)
NODE_TYPES: tuple[NodeType, ...] = get_args(NodeType)
LinkKind = Literal["source", "full_text", "figures", "references"]


class Record(BaseModel):
    """Base of every record: frozen, and strict about unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class SourceRef(Record):
    """Where a record was read from, so every statement can be traced back."""

    path: str = Field(description="File the record came from ('<stdin>' for standard input).")
    line: int | None = Field(default=None, description="1-based line where the record starts, when meaningful.")
    format: str = Field(description="Reader that produced the record, e.g. 'card' or 'pubtator'.")


class Entity(Record):
    """A gene, disease, chemical, species, variant or cell line as one source names it."""

    type: EntityType = Field(description="Node type the entity maps to.")
    curie: str | None = Field(description="Standard CURIE (e.g. 'NCBIGene:7422'); None when not normalised.")
    raw_id: str = Field(description="The id exactly as the source wrote it ('-' and '-1' mean not normalised).")
    name: str = Field(description="The name the source uses (gene symbol for genes).")
    symbol: str | None = Field(default=None, description="Official gene symbol, when the source gives one.")
    full_name: str | None = Field(
        default=None, description="Gene full name, e.g. 'vascular endothelial growth factor A'."
    )
    aliases: tuple[str, ...] = Field(default=(), description="Synonyms listed by the source, in source order.")
    common_name: str | None = Field(default=None, description="Common name of a species, e.g. 'house mouse'.")
    rank: str | None = Field(default=None, description="Taxonomic rank of a species, e.g. 'species'.")

    @property
    def normalised(self) -> bool:
        """True when the entity carries a public identifier."""
        return self.curie is not None

    @property
    def key(self) -> str:
        """Node id: the CURIE, or a stable local id from type and folded name."""
        return entity_key(self.type, self.curie, self.name)


def entity_key(etype: str, curie: str | None, name: str) -> str:
    """The node id of an entity record (:attr:`Entity.key`) from its type, CURIE and name."""
    return curie if curie is not None else local_curie(etype, name)


class Mention(Record):
    """One span of text that names one or more entities (composite ids name several)."""

    text: str = Field(description="The surface text.")
    start: int = Field(ge=0, description="Character offset from the start of the document.")
    end: int = Field(ge=0, description="Offset one past the last character.")
    passage: str = Field(description="Where the span is: 'title', 'abstract' or a full-text section name.")
    entity_keys: tuple[str, ...] = Field(description="Node ids of the entities the span refers to.")


class Relation(Record):
    """A typed statement between two entities that one paper asserts."""

    type: str = Field(description="Relation type as the source names it, e.g. 'Positive_Correlation' or 'CID'.")
    subject: str = Field(description="Node id of the first entity.")
    object: str = Field(description="Node id of the second entity.")
    novel: bool | None = Field(default=None, description="BioRED's novelty flag, when given.")
    score: float | None = Field(default=None, description="Confidence score, when the source gives one.")


class Link(Record):
    """A link from the card to more of the paper (full text, figures, references, source page)."""

    kind: LinkKind = Field(description="What the link leads to.")
    url: str = Field(description="Absolute URL, as a valid IRI (characters IRIs forbid are percent-encoded).")
    count: int | None = Field(default=None, description="How many figures or references the card says there are.")

    @field_validator("url")
    @classmethod
    def _valid_iri(cls, value: str) -> str:
        # Checked here so that no writer can ever be handed a URL that is not an IRI.
        iri = url_iri(value)
        if iri is None:
            raise ValueError(f"not an absolute URL: {value!r}")
        return iri


class Paper(Record):
    """A paper with its bibliographic record and everything annotated in it."""

    title: str = Field(min_length=1, description="Paper title.")
    authors: tuple[str, ...] = Field(default=(), description="Author names in byline order.")
    journal: str | None = Field(default=None, description="Journal name.")
    date: _dt.date | None = Field(default=None, description="Publication date.")
    pmid: str | None = Field(default=None, description="PubMed id, digits only.")
    pmcid: str | None = Field(default=None, description="PubMed Central id including the 'PMC' prefix.")
    doi: str | None = Field(default=None, description="DOI without resolver, e.g. '10.3389/fonc.2025.1583295'.")
    tldr: str | None = Field(default=None, description="One-sentence plain-language summary.")
    contribution: str | None = Field(default=None, description="What the paper adds.")
    key_findings: tuple[str, ...] = Field(default=(), description="Key findings in card order.")
    abstract: str | None = Field(default=None, description="Abstract text.")
    about: tuple[Entity, ...] = Field(default=(), description="Entities the paper is about (card 'Linked entities').")
    entities: tuple[Entity, ...] = Field(default=(), description="Entities the paper mentions.")
    mentions: tuple[Mention, ...] = Field(default=(), description="Mention spans, for sources that give offsets.")
    relations: tuple[Relation, ...] = Field(default=(), description="Relations between entities the paper asserts.")
    links: tuple[Link, ...] = Field(default=(), description="Links to full text, figures, references and source.")
    source: SourceRef = Field(description="Where this record was read from.")

    @property
    def ids(self) -> tuple[str, ...]:
        """All public ids as CURIEs, most specific first (PMID, PMC, DOI)."""
        out = []
        if self.pmid:
            out.append(f"PMID:{self.pmid}")
        if self.pmcid:
            out.append(f"PMCID:{self.pmcid}")
        if self.doi:
            out.append(f"doi:{self.doi}")
        return tuple(out)

    @property
    def key(self) -> str:
        """Node id: the first public id, else a local id from the folded title."""
        ids = self.ids
        return ids[0] if ids else f"exo.id:paper/{slugify(self.title)}"


class Diagnostic(Record):
    """A recorded warning: something was odd but the build could go on."""

    kind: str = Field(description="Short machine-readable category, e.g. 'unknown-section'.")
    message: str = Field(description="What was odd, for a person.")
    path: str | None = Field(default=None, description="File it concerns.")
    line: int | None = Field(default=None, description="1-based line it concerns.")

    def __str__(self) -> str:
        where = display_path(self.path) if self.path else "<input>"
        if self.line is not None:
            where += f":{self.line}"
        return f"{where}: warning: {self.message}"
