"""Whole-graph downloads, read through SPARQL so they work on any store.

Turtle, N-Triples and JSON-LD carry the merged graph (each fact once); TriG carries the named
graphs, one per source, so provenance travels with the data.
"""
from __future__ import annotations

import rdflib

from neaspec_kg.namespaces import PREFIXES
from neaspec_kg.store import SparqlStore, Term

FORMATS = {
    "turtle": ("turtle", "text/turtle", "ttl"),
    "n-triples": ("nt", "application/n-triples", "nt"),
    "json-ld": ("json-ld", "application/ld+json", "jsonld"),
    "trig": ("trig", "application/trig", "trig"),
}

_ALL_TRIPLES = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
_ALL_QUADS = "SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } }"


def _node(t: Term) -> rdflib.term.Node:
    if t.kind == "uri":
        return rdflib.URIRef(t.value)
    if t.kind == "bnode":
        return rdflib.BNode(t.value)
    if t.lang:
        return rdflib.Literal(t.value, lang=t.lang)
    return rdflib.Literal(t.value, datatype=rdflib.URIRef(t.datatype) if t.datatype else None)


def export(store: SparqlStore, fmt: str) -> bytes:
    """The whole graph in one of FORMATS."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    rdflib_format = FORMATS[fmt][0]
    if fmt == "trig":
        ds = rdflib.Dataset()
        for row in store.select(_ALL_QUADS):
            graph = ds.graph(rdflib.URIRef(row["g"].value))
            graph.add((_node(row["s"]), _node(row["p"]), _node(row["o"])))
        target: rdflib.Graph | rdflib.Dataset = ds
    else:
        target = store.construct(_ALL_TRIPLES)
    for prefix, ns in PREFIXES.items():
        target.bind(prefix, ns, override=True)
    return target.serialize(format=rdflib_format, encoding="utf-8")
