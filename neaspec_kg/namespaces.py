"""IRIs the code needs by name. One base for everything the project mints."""
from __future__ import annotations

BASE = "https://w3id.org/neaspec-kg/"
ID = BASE + "id/"
ONTOLOGY_IRI = BASE + "ontology"
NK = ONTOLOGY_IRI + "#"
SOURCE = ID + "source/"
#: the named graph that holds the ontology and the controlled vocabularies
ONTOLOGY_GRAPH = ONTOLOGY_IRI
#: the named graph that holds the catalogue of sources
CATALOGUE_GRAPH = SOURCE + "catalogue"
NOTE = SOURCE + "neaspec-nfp2-1"
#: the named graph of RDFS entailments computed at build time (see build._entail)
ENTAILMENT_GRAPH = SOURCE + "entailment"

SKOS = "http://www.w3.org/2004/02/skos/core#"
ORG = "http://www.w3.org/ns/org#"
PROV = "http://www.w3.org/ns/prov#"
DCTERMS = "http://purl.org/dc/terms/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
OWL = "http://www.w3.org/2002/07/owl#"
SH = "http://www.w3.org/ns/shacl#"

#: prefixes offered to every query (named queries, the CLI and the SPARQL editor)
PREFIXES: dict[str, str] = {
    "nk": NK,
    "mech": ID + "mechanism/",
    "country": ID + "country/",
    "focus": ID + "focus/",
    "modality": ID + "modality/",
    "kind": ID + "kind/",
    "role": ID + "role/",
    "level": ID + "level/",
    "platform": ID + "platform/",
    "plan": ID + "plan/",
    "proposal": ID + "proposal/",
    "judgement": ID + "judgement/",
    "verdict": ID + "verdict/",
    "species": ID + "species/",
    "src": SOURCE,
    "skos": SKOS,
    "org": ORG,
    "prov": PROV,
    "dcterms": DCTERMS,
    "rdf": RDF,
    "rdfs": RDFS,
    "xsd": XSD,
    "owl": OWL,
}


def mechanism(acronym_id: str) -> str:
    """IRI of a mechanism from its id (the lowercase acronym, e.g. 'eanet')."""
    return f"{ID}mechanism/{acronym_id}"


def country(alpha3: str) -> str:
    """IRI of a country from its ISO 3166-1 alpha-3 code."""
    return f"{ID}country/{alpha3.upper()}"


def focus(slug: str) -> str:
    """IRI of a focus or thematic area from its slug."""
    return f"{ID}focus/{slug}"


def local_id(iri: str) -> str:
    """The last path segment of one of our IRIs: 'eanet', 'KOR', 'air-pollution'."""
    return iri.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]
