"""How each kind of node and edge is drawn, and vis-network's options: one place for the picture's look."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from neaspec_kg.namespaces import ID
from neaspec_kg.views.words import N_


@dataclass(frozen=True)
class Style:
    label: str
    shape: str
    color: str
    symbol: str


#: one style per kind of node; shapes and colours tell the kinds apart, the legend names them
STYLES: dict[str, Style] = {
    "mechanism": Style(N_("Subregional mechanism (Table 2)"), "dot", "#1f5fbf", "●"),
    "related": Style(N_("Related convention or partnership"), "dot", "#7fa9e3", "●"),
    "country": Style(N_("Country"), "square", "#e07b1f", "■"),
    "shared": Style(N_("Shared member (in two or more of these mechanisms)"), "square", "#c81e1e", "■"),
    "focus": Style(N_("Focus area"), "triangle", "#2a9d4b", "▲"),
    "theme": Style(N_("Thematic area"), "triangleDown", "#17663a", "▼"),
    "organisation": Style(N_("Organisation (secretariat host, partner)"), "star", "#8e44ad", "★"),
    "secretariat": Style(N_("Secretariat"), "star", "#c39bd3", "★"),
    "component": Style(N_("Platform or plan"), "diamond", "#0e9aa7", "◆"),
    "other": Style(N_("Other"), "dot", "#8a8a8a", "●"),
}
LEVEL_COLOURS = {"flagged": "#8b0000", "risk": "#c81e1e", "coordinated": "#2e7d32", "overlap": "#e07b1f",
                 "complementary": "#5b7fa6", "distinct": "#d5d9de"}
#: the kinds of node whose labels lead at the first view of a large graph, whatever their size (nk-graph.js adds
#: the best-connected others up to what the canvas holds)
LEAD_KINDS = frozenset({"mechanism", "related", "theme", "shared"})
EDGE_COLOUR = "#a9b3bd"
ENGAGEMENT_COLOUR = "#8e44ad"
#: vis-network options: a seeded layout (same picture every time), a short stabilisation so the page
#: paints fast, then physics off (see nk-graph.js) so nodes stay where the reader drags them
OPTIONS: dict[str, Any] = {
    "layout": {"randomSeed": 7, "improvedLayout": True},
    "physics": {
        "enabled": True, "solver": "forceAtlas2Based",
        "forceAtlas2Based": {"gravitationalConstant": -70, "centralGravity": 0.012, "springLength": 120,
                             "springConstant": 0.06, "avoidOverlap": 0.5},
        "stabilization": {"enabled": True, "iterations": 300, "updateInterval": 50, "fit": True},
    },
    "interaction": {"hover": True, "tooltipDelay": 120, "multiselect": False},
    # a label under 10 px on screen is not drawn (at the whole graph's first view it would be a 5 px smudge);
    # nk-graph.js sizes the leading labels to 12 px on screen at the first view, and zooming in brings the others
    "nodes": {"borderWidth": 1, "font": {"size": 14, "face": "system-ui, sans-serif", "strokeWidth": 3,
                                         "strokeColor": "#ffffff"},
              "scaling": {"label": {"drawThreshold": 10, "maxVisible": 24}}},
    "edges": {"smooth": False, "color": {"color": EDGE_COLOUR, "highlight": "#333333", "inherit": False}},
}

_PATH_KINDS = {"mechanism": "mechanism", "country": "country", "focus": "focus", "org": "organisation",
               "secretariat": "secretariat", "platform": "component", "plan": "component"}


def kind_of(iri: str) -> str:
    """The node kind of one of our IRIs, from its path (``.../id/org/unep`` is an organisation)."""
    if iri.startswith(ID):
        return _PATH_KINDS.get(iri[len(ID):].split("/", 1)[0], "other")
    return "other"
