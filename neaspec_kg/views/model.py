"""``View``: one graph page as data (the graph drawn, the facts behind each node and edge, the words around
it), built by ``neaspec_kg.views.kinds`` and turned into HTML by ``neaspec_kg.views.render``."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
from markupsafe import Markup

from neaspec_kg.namespaces import local_id
from neaspec_kg.views.style import STYLES
from neaspec_kg.views.words import Translate, english


@dataclass
class View:
    """One graph page: the graph drawn, the facts behind each node and edge, and the words around it.

    ``graph`` nodes carry ``kind`` and ``label``; edges carry ``title`` (tooltip text) and optional
    ``width``, ``color``, ``dashes``. ``nodes``/``edges`` map ids to what the side panel shows.
    """

    kind: str
    title: str
    intro: str
    lang: str
    graph: nx.Graph
    nodes: dict[str, dict[str, Any]] = field(default_factory=dict)
    edges: dict[str, dict[str, Any]] = field(default_factory=dict)
    sources: list[dict[str, Any]] = field(default_factory=list)
    initial: str | None = None
    edge_legend: list[dict[str, str]] = field(default_factory=list)
    query: dict[str, str] = field(default_factory=dict)
    digest: str = ""
    #: placeholders of ``title`` and ``intro`` when they are msgids (names from the graph stay out of msgids)
    title_args: dict[str, Any] = field(default_factory=dict)
    intro_args: dict[str, Any] = field(default_factory=dict)
    #: an introduction made of several msgids (sentences that depend on counts), instead of ``intro_args``
    intro_parts: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def heading(self, _: Translate = english) -> str:
        """The title in the reader's language (``_`` from ``render``), the graph's names filled in."""
        return _(self.title, **self.title_args)

    def lead(self, _: Translate = english) -> str:
        """The introduction in the reader's language."""
        if self.intro_parts:  # Markup.join escapes what ``_`` left as plain text, and only that
            return Markup(" ").join(_(message, **args) for message, args in self.intro_parts)
        return _(self.intro, **self.intro_args)

    def legend(self) -> list[dict[str, Any]]:
        counts: dict[str, int] = {}
        for _n, d in self.graph.nodes(data=True):
            counts[d["kind"]] = counts.get(d["kind"], 0) + 1
        return [{"kind": k, "label": s.label, "color": s.color, "symbol": s.symbol, "count": counts[k]}
                for k, s in STYLES.items() if k in counts]

    def download_name(self) -> str:
        """The stem of a picture of this view saved from the page (``neaspec-kg-overlap-air-quality``): the
        view and what it is about, so a folder of exported figures says which is which."""
        q = self.query
        parts = ["neaspec-kg", self.kind]
        if self.kind == "overlap":
            parts += [q.get("focus", ""), q.get("country", ""), "with-related" if q.get("include_related") else "",
                      f"as-of-{q['as_of']}" if q.get("as_of") else ""]
        elif self.kind == "mechanism" and self.initial:
            parts.append(local_id(self.initial))
        elif self.kind == "duplication":
            parts += ["with-related" if q.get("include_related") else "",
                      f"min-{q['min_score']}" if q.get("min_score") else ""]
        parts.append("" if self.lang == "en" else self.lang)
        slugs = (re.sub(r"[^\w.]+", "-", p.lower()).strip("-.") for p in parts)
        return "-".join(s for s in slugs if s)[:120]
