"""RDF terms exograph writes: Biolink, Dublin Core, schema.org, SKOS and BIBO first, our own only where none fits.

Every ``EXO`` term used here is declared with a label and comment in
``ontologies/exograph.ttl``; a test checks that nothing is used undeclared.
"""

from __future__ import annotations

from typing import Final

from .iris import RDF_PREFIXES, VOCAB, slugify

__all__ = [
    "ASSOCIATION_CLASS",
    "BIBO",
    "BIOLINK",
    "CLASS_OF",
    "DCT",
    "EXO",
    "INFORES",
    "KNOWLEDGE_SOURCE",
    "OWL",
    "PREDICATE_OF",
    "RDF",
    "RDFS",
    "SCHEMA",
    "SKOS",
    "SSSOM",
    "XSD",
    "association_class",
    "evidence_kind",
    "relation_predicate",
]

BIOLINK: Final = RDF_PREFIXES["biolink"]
DCT: Final = RDF_PREFIXES["dcterms"]
SCHEMA: Final = RDF_PREFIXES["schema"]
SKOS: Final = RDF_PREFIXES["skos"]
RDF: Final = RDF_PREFIXES["rdf"]
RDFS: Final = RDF_PREFIXES["rdfs"]
XSD: Final = RDF_PREFIXES["xsd"]
OWL: Final = RDF_PREFIXES["owl"]
BIBO: Final = RDF_PREFIXES["bibo"]
SSSOM: Final = RDF_PREFIXES["sssom"]
EXO: Final = VOCAB

#: Node type -> RDF class.
CLASS_OF: Final[dict[str, str]] = {
    "Paper": BIOLINK + "JournalArticle",
    "Author": SCHEMA + "Person",
    "Journal": SCHEMA + "Periodical",
    "Gene": BIOLINK + "Gene",
    "Disease": BIOLINK + "Disease",
    "ChemicalEntity": BIOLINK + "ChemicalEntity",
    "OrganismTaxon": BIOLINK + "OrganismTaxon",
    "SequenceVariant": BIOLINK + "SequenceVariant",
    "CellLine": BIOLINK + "CellLine",
}

#: Edge type -> RDF predicate (relation types from annotated corpora included).
PREDICATE_OF: Final[dict[str, str]] = {
    "mentions": BIOLINK + "mentions",
    "about": SCHEMA + "about",
    "authored_by": DCT + "creator",
    "published_in": BIOLINK + "published_in",
    "co_occurs_with": BIOLINK + "occurs_together_in_literature_with",
    # BioRED
    "Association": BIOLINK + "associated_with",
    "Positive_Correlation": BIOLINK + "positively_correlated_with",
    "Negative_Correlation": BIOLINK + "negatively_correlated_with",
    "Bind": BIOLINK + "physically_interacts_with",
    "Cotreatment": EXO + "cotreatedWith",
    "Comparison": EXO + "comparedWith",
    "Drug_Interaction": BIOLINK + "directly_physically_interacts_with",
    "Conversion": EXO + "convertedTo",
    # CDR
    "CID": BIOLINK + "causes",
    # PubTator3
    "treat": BIOLINK + "treats",
    "cause": BIOLINK + "causes",
    "associate": BIOLINK + "associated_with",
    "interact": BIOLINK + "interacts_with",
    "stimulate": BIOLINK + "positively_correlated_with",
    "inhibit": BIOLINK + "negatively_correlated_with",
    "positive_correlate": BIOLINK + "positively_correlated_with",
    "negative_correlate": BIOLINK + "negatively_correlated_with",
    "compare": EXO + "comparedWith",
    "cotreat": EXO + "cotreatedWith",
    "drug_interact": BIOLINK + "directly_physically_interacts_with",
    "prevent": BIOLINK + "preventative_for_condition",
}


def relation_predicate(relation_type: str) -> str:
    """Predicate IRI for a relation type; unmapped types get a declared-at-runtime exograph term."""
    return PREDICATE_OF.get(relation_type) or EXO + "relation_" + slugify(relation_type).replace("-", "_")


#: Biolink's namespace of information resources (``infores:`` CURIEs name knowledge sources).
INFORES: Final = "https://w3id.org/biolink/infores/"

#: Category (Biolink class) of a node that exograph writes as another class (schema.org) for RDF users.
CATEGORY_OF: Final[dict[str, str]] = {**CLASS_OF, "Author": BIOLINK + "Agent", "Journal": BIOLINK + "Publication"}

#: (subject type, object type) -> the most specific Biolink association class for a relation between them.
ASSOCIATION_CLASS: Final[dict[tuple[str, str], str]] = {
    ("Gene", "Disease"): BIOLINK + "GeneToDiseaseAssociation",
    ("ChemicalEntity", "Disease"): BIOLINK + "ChemicalOrDrugOrTreatmentToDiseaseOrPhenotypicFeatureAssociation",
    ("ChemicalEntity", "Gene"): BIOLINK + "ChemicalAffectsGeneAssociation",
    ("Gene", "Gene"): BIOLINK + "GeneToGeneAssociation",
    ("SequenceVariant", "Disease"): BIOLINK + "VariantToDiseaseAssociation",
}


def association_class(subject_type: str | None, object_type: str | None) -> str:
    """The most specific Biolink association class for two entity types (either order), else ``Association``."""
    pair = (subject_type or "", object_type or "")
    return ASSOCIATION_CLASS.get(pair) or ASSOCIATION_CLASS.get(pair[::-1]) or BIOLINK + "Association"


#: Kinds of evidence -> (knowledge level, agent type, primary knowledge source), from Biolink's enumerations
#: KnowledgeLevelEnum and AgentTypeEnum; a test checks every value against the Biolink model.
KNOWLEDGE_SOURCE: Final[dict[str, tuple[str, str, str]]] = {
    # Relations annotated by curators: BioRED and the BioCreative V CDR corpus.
    "biored": ("knowledge_assertion", "manual_agent", "infores:biored"),
    "cdr": ("knowledge_assertion", "manual_agent", "infores:bc5cdr"),
    # Relations PubTator3's models extracted from text.
    "pubtator3": ("knowledge_assertion", "text_mining_agent", "infores:pubtator3"),
    # Co-occurrence statistics exograph computes over the papers it read.
    "cooccurrence": ("statistical_association", "data_analysis_pipeline", "infores:exograph"),
}

#: Every statement exograph writes reached the graph through exograph.
AGGREGATOR: Final = "infores:exograph"

_CDR_TYPES: Final = frozenset({"CID"})
_BIORED_TYPES: Final = frozenset(
    {
        "Association",
        "Positive_Correlation",
        "Negative_Correlation",
        "Bind",
        "Cotreatment",
        "Comparison",
        "Drug_Interaction",
        "Conversion",
    }
)


def evidence_kind(relation_type: str, score: float | None) -> str:
    """Where a relation comes from, told by its type vocabulary (CDR's 'CID', BioRED's capitalised types,
    PubTator3's lower-case ones); a scored relation is always a model's."""
    if score is None and relation_type in _CDR_TYPES:
        return "cdr"
    if score is None and relation_type in _BIORED_TYPES:
        return "biored"
    return "pubtator3"
