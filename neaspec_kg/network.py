"""networkx projections of the graph and the metrics analysts ask for.

Nodes of every projection are keyed by IRI (so they compose into one graph) and carry ``kind``
(mechanism, country, focus) and ``label``; edges carry
what they came from. GraphML keeps only scalar attributes, so lists are joined with spaces.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import networkx as nx
from networkx.algorithms import bipartite
from networkx.algorithms.community import greedy_modularity_communities

from neaspec_kg.graph import select
from neaspec_kg.models import PairAnswer
from neaspec_kg.namespaces import local_id
from neaspec_kg.store import SparqlStore, text


def mechanism_country(store: SparqlStore, *, include_related: bool = False) -> nx.Graph:
    """Bipartite: mechanisms (bipartite=0) and the countries taking part in them (bipartite=1)."""
    g = nx.Graph(name="mechanism-country")
    for r in select(store, "memberships", {"include_related": include_related}):
        m, c = r["mechanism"].value, r["country"].value
        g.add_node(m, kind="mechanism", label=text(r, "acronym") or m, bipartite=0)
        g.add_node(c, kind="country", label=r["countryLabel"].value, iso3=r["iso3"].value, bipartite=1)
        g.add_edge(m, c, role=r["role"].value)
    return g


def mechanism_focus(store: SparqlStore, *, include_related: bool = False) -> nx.Graph:
    """Bipartite: mechanisms (bipartite=0) and the focus areas they work on (bipartite=1)."""
    g = nx.Graph(name="mechanism-focus")
    for r in select(store, "work-areas", {"include_related": include_related}):
        m, f = r["mechanism"].value, r["focus"].value
        g.add_node(m, kind="mechanism", label=text(r, "acronym") or m, bipartite=0)
        g.add_node(f, kind="focus", label=r["focusLabel"].value, themes=r["themes"].value, bipartite=1)
        modalities = text(r, "modalities") or ""
        if g.has_edge(m, f):
            g.edges[m, f]["modalities"] = ", ".join(filter(None, [g.edges[m, f]["modalities"], modalities]))
        else:
            g.add_edge(m, f, modalities=modalities)
    return g


def overlap_graph(pairs: list[PairAnswer]) -> nx.Graph:
    """Mechanism to mechanism, weighted by the duplication score; pairs judged by the note are kept even when
    their score is 0, distinct pairs are left out."""
    g = nx.Graph(name="duplication")
    for p in pairs:
        g.add_node(p.a.iri, kind="mechanism", label=p.a.acronym or p.a.label)
        g.add_node(p.b.iri, kind="mechanism", label=p.b.acronym or p.b.label)
        if p.level != "distinct" and (p.score > 0 or p.judged_by == "note"):
            g.add_edge(p.a.iri, p.b.iri, weight=p.score, level=p.level, judged_by=p.judged_by,
                       coordinated=bool(p.coordination), explanation=p.explanation)
    return g


def metrics(mc: nx.Graph, overlap: nx.Graph) -> dict[str, Any]:
    """Countries in the most mechanisms, the most central mechanisms, and clusters of mechanisms."""
    countries = [n for n, d in mc.nodes(data=True) if d["kind"] == "country"]
    mechanisms = [n for n, d in mc.nodes(data=True) if d["kind"] == "mechanism"]
    by_count = sorted(countries, key=lambda c: (-mc.degree(c), mc.nodes[c]["iso3"]))
    strength = dict(overlap.degree(weight="weight"))
    betweenness = nx.betweenness_centrality(overlap, weight=None) if overlap.number_of_edges() else {}
    clusters = (list(greedy_modularity_communities(overlap, weight="weight"))
                if overlap.number_of_edges() else [])
    projected = bipartite.weighted_projected_graph(mc, mechanisms)
    return {
        "countries_by_mechanisms": [
            {"id": mc.nodes[c]["iso3"], "label": mc.nodes[c]["label"], "mechanisms": mc.degree(c)} for c in by_count],
        "central_mechanisms": [
            {"id": local_id(n), "label": overlap.nodes[n]["label"], "overlap_strength": round(strength.get(n, 0.0), 3),
             "betweenness": round(betweenness.get(n, 0.0), 3)}
            for n in sorted(overlap.nodes, key=lambda n: (-strength.get(n, 0.0), n))],
        "clusters": [sorted(overlap.nodes[n]["label"] for n in c) for c in clusters],
        "shared_member_pairs": projected.number_of_edges(),
    }


def write_graphml(g: nx.Graph, path: str | Path) -> None:
    """GraphML for Gephi or Cytoscape."""
    nx.write_graphml(g, str(path))
