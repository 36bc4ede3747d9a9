"""RDF terms exograph writes: Biolink, Dublin Core, schema.org, SKOS and BIBO first, our own only where none fits.

Every ``EXO`` term used here is declared with a label and comment in
``ontologies/exograph.ttl``; a test checks that nothing is used undeclared.
"""

from __future__ import annotations

from typing import Final

from .iris import RDF_PREFIXES, VOCAB

__all__ = ["BIBO", "BIOLINK", "CLASS_OF", "DCT", "EXO", "OWL", "PREDICATE_OF", "RDF", "RDFS", "SCHEMA", "SKOS", "XSD"]

BIOLINK: Final = RDF_PREFIXES["biolink"]
DCT: Final = RDF_PREFIXES["dcterms"]
SCHEMA: Final = RDF_PREFIXES["schema"]
SKOS: Final = RDF_PREFIXES["skos"]
RDF: Final = RDF_PREFIXES["rdf"]
RDFS: Final = RDF_PREFIXES["rdfs"]
XSD: Final = RDF_PREFIXES["xsd"]
OWL: Final = RDF_PREFIXES["owl"]
BIBO: Final = RDF_PREFIXES["bibo"]
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
    "prevent": BIOLINK + "prevents",
}
