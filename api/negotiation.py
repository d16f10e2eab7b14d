"""Content negotiation, in one place: which media types each kind of answer is offered in, and the choice
among them by the client's Accept header (RFC 9110 proactive negotiation, with q-values).

Two families of answers negotiate: the SPARQL endpoint (results of SELECT and ASK, graphs of CONSTRUCT and
DESCRIBE, and its service description or editor page; serialised by pyoxigraph in the query workers) and
the Linked Data pages of ``/id/...`` and ``/ontology`` (a resource as HTML or RDF; serialised by rdflib
there, because JSON-LD framing and prefixes are its strength). Both choose with ``negotiate``.
"""
from __future__ import annotations

from collections.abc import Sequence

import pyoxigraph as ox

#: media types we answer with, best first (the first is the default for an absent Accept or */*),
#: each with the format name used by api.query_pool; later entries are common aliases
SELECT_TYPES: dict[str, str] = {
    "application/sparql-results+json": "json",
    "application/sparql-results+xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
    "application/json": "json",
    "application/xml": "xml",
    "text/xml": "xml",
}
#: SPARQL 1.1 CSV/TSV do not define ASK results
ASK_TYPES: dict[str, str] = {k: v for k, v in SELECT_TYPES.items() if v in {"json", "xml"}}
GRAPH_TYPES: dict[str, str] = {
    "text/turtle": "turtle",
    "application/n-triples": "ntriples",
    "application/ld+json": "jsonld",
    "application/rdf+xml": "rdfxml",
    "application/x-turtle": "turtle",
    "application/xml": "rdfxml",
}
HTML_TYPE = "text/html"
#: what GET /sparql without a query can return: the service description as RDF, or the editor page
DESCRIPTION_TYPES: dict[str, str] = {
    "text/turtle": "turtle",
    "application/rdf+xml": "rdfxml",
    "application/ld+json": "jsonld",
    "application/n-triples": "ntriples",
    HTML_TYPE: "html",
    "application/x-turtle": "turtle",
}
SPARQL_RDF_FORMATS = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "jsonld": ox.RdfFormat.JSON_LD,
    "rdfxml": ox.RdfFormat.RDF_XML,
}


def parse_accept(header: str) -> list[tuple[str, str, float]]:
    """Media ranges of an Accept header as (type, subtype, q); malformed ranges are skipped."""
    ranges = []
    for part in header.split(","):
        media, *params = part.split(";")
        media = media.strip().lower()
        if media == "*":  # seen in the wild for */*
            media = "*/*"
        kind, slash, sub = media.partition("/")
        if not slash or not kind or not sub:
            continue
        q = 1.0
        valid = True
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = min(max(float(value.strip()), 0.0), 1.0)
                except ValueError:
                    valid = False
        if valid:
            ranges.append((kind, sub, q))
    return ranges


def negotiate(accept: str | None, offers: Sequence[str]) -> str | None:
    """The offer the client prefers (RFC 9110 §12.5.1): each offer gets the q of the most specific range
    that matches it; the highest q > 0 wins, ties go to the earlier offer. No usable Accept header
    means "anything", so the first offer."""
    ranges = parse_accept(accept) if accept else []
    if not ranges:
        return offers[0] if offers else None
    best, best_q = None, 0.0
    for offer in offers:
        kind, _, sub = offer.partition("/")
        specificity, q = -1, 0.0
        for r_kind, r_sub, r_q in ranges:
            if (r_kind, r_sub) == (kind, sub):
                level = 2
            elif r_kind == kind and r_sub == "*":
                level = 1
            elif (r_kind, r_sub) == ("*", "*"):
                level = 0
            else:
                continue
            if level > specificity:
                specificity, q = level, r_q
            elif level == specificity:
                q = max(q, r_q)
        if q > best_q:
            best, best_q = offer, q
    return best


# --------------------------------------------------------------------------- Linked Data (/id/..., /ontology)

#: the RDF media types a resource page is served in, with rdflib's serialiser name for each
RESOURCE_SERIALISERS: dict[str, str] = {
    "text/turtle": "turtle",
    "application/ld+json": "json-ld",
    "application/n-triples": "nt",
    "application/trig": "trig",
    "application/n-quads": "nquads",
}
#: what we offer, in our order of preference: "*/*" (curl, most RDF libraries) gets Turtle, browsers HTML
RESOURCE_OFFERS = ("text/turtle", "text/html", "application/xhtml+xml", "application/ld+json", "application/json",
                   "application/n-triples", "application/trig", "application/n-quads", "text/plain")
#: ?format= names for links (a browser cannot set Accept on a link)
RESOURCE_FORMAT_NAMES = {
    "turtle": "text/turtle", "ttl": "text/turtle", "json-ld": "application/ld+json", "jsonld": "application/ld+json",
    "n-triples": "application/n-triples", "nt": "application/n-triples", "trig": "application/trig",
    "n-quads": "application/n-quads", "nq": "application/n-quads", "html": "text/html"}
