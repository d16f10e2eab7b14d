"""Downloads, read through SPARQL so they work on any store.

Turtle, N-Triples and JSON-LD carry the merged graph (each fact once); TriG carries the named
graphs, one per source, so provenance travels with the data. The CSV tables and GraphML are the
shapes spreadsheet and network tools read.
"""
from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path
from typing import TypeVar

import rdflib

from neaspec_kg.namespaces import PREFIXES
from neaspec_kg.store import SparqlStore, text

FORMATS = {
    "turtle": ("turtle", "text/turtle", "ttl"),
    "n-triples": ("nt", "application/n-triples", "nt"),
    "json-ld": ("json-ld", "application/ld+json", "jsonld"),
    "trig": ("trig", "application/trig", "trig"),
}
#: tables and networks: format name -> (media type, file name)
TABLES = {
    "members.csv": ("text/csv; charset=utf-8", "mechanism-members.csv"),
    "focus-areas.csv": ("text/csv; charset=utf-8", "mechanism-focus-areas.csv"),
    "duplication.csv": ("text/csv; charset=utf-8", "duplication-pairs.csv"),
    "graphml": ("application/graphml+xml", "neaspec-kg.graphml"),
}
ALL_FORMATS = [*FORMATS, *TABLES]

G = TypeVar("G", bound=rdflib.Graph)


def with_prefixes(target: G) -> G:
    """``target`` (a graph or a dataset) with the project's prefixes bound (nk:, mech:, country:, ...), over
    rdflib's defaults: every Turtle, TriG and JSON-LD we write names terms the same way."""
    for prefix, ns in PREFIXES.items():
        target.bind(prefix, ns, override=True, replace=True)
    return target

def export(store: SparqlStore, fmt: str) -> bytes:
    """The whole graph in one of FORMATS."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    rdflib_format = FORMATS[fmt][0]
    from neaspec_kg.graph import run, select

    if fmt == "trig":
        ds = rdflib.Dataset()
        for row in select(store, "export-quads"):
            graph = ds.graph(rdflib.URIRef(row["g"].value))
            graph.add((row["s"].to_rdflib(), row["p"].to_rdflib(), row["o"].to_rdflib()))
        target: rdflib.Graph | rdflib.Dataset = ds
    else:
        graph_or_rows = run(store, "export-graph")
        assert isinstance(graph_or_rows, rdflib.Graph)
        target = graph_or_rows
    return with_prefixes(target).serialize(format=rdflib_format, encoding="utf-8")


def _csv(header: list[str], rows: list[list[object]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def export_table(store: SparqlStore, fmt: str) -> bytes:
    """One of TABLES: every mechanism (Table 2 and related) with its members or focus areas, the
    ranked duplication pairs of the Table 2 mechanisms, or the networks as one GraphML file."""
    from neaspec_kg import network  # the analysis layer sits above this module's RDF exports
    from neaspec_kg.analysis import Analyst
    from neaspec_kg.graph import select

    if fmt == "members.csv":
        rows = select(store, "memberships", {"include_related": True})
        return _csv(["mechanism", "acronym", "country", "iso3", "role"],
                    [[r["mechanism"].value, text(r, "acronym") or "", r["countryLabel"].value,
                      r["iso3"].value, r["role"].value] for r in rows])
    if fmt == "focus-areas.csv":
        rows = select(store, "work-areas", {"include_related": True})
        return _csv(["mechanism", "acronym", "focus", "focus_label", "themes", "modalities", "stated_as", "sources"],
                    [[r["mechanism"].value, text(r, "acronym") or "", r["focus"].value,
                      r["focusLabel"].value, r["themes"].value, text(r, "modalities") or "",
                      text(r, "stated") or "", r["sources"].value] for r in rows])
    analyst = Analyst(store)
    pairs = analyst.duplication(limit=None).pairs
    if fmt == "duplication.csv":
        return _csv(["mechanism_a", "mechanism_b", "level", "judged_by", "score", "focus", "activity", "evidence",
                     "countries", "coordination", "shared_countries", "shared_themes", "explanation", "sources"],
                    [[p.a.id, p.b.id, p.level, p.judged_by, p.score, p.components["focus"],
                      p.components["activity"], p.components["evidence"], p.components["countries"],
                      p.components["coordination"], " ".join(c.id for c in p.shared_countries),
                      "; ".join(t.label for t in p.shared_themes), p.explanation,
                      " ".join(s.url or s.label for s in p.sources)] for p in pairs])
    if fmt == "graphml":
        import networkx as nx

        g = nx.compose_all([network.mechanism_country(store), network.mechanism_focus(store),
                            network.overlap_graph(pairs)])
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "g.graphml"
            network.write_graphml(g, path)
            return path.read_bytes()
    raise ValueError(f"unknown table {fmt!r}; choose one of {', '.join(TABLES)}")
