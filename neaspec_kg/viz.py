"""Interactive graph pages (pyvis / vis-network) that never reach outside the server, or open offline.

Four views, each a ``View`` (a networkx graph plus the facts shown when a node is clicked):
``whole`` (mechanisms, countries, focus areas, secretariat hosts), ``overlap`` (the mechanisms on one
focus and their members, shared members highlighted), ``duplication`` (mechanism to mechanism, edge
width by score) and ``mechanism`` (one mechanism with its members, platforms, secretariat and
engagements). ``render`` turns a view into HTML in one of two modes:

- served: pyvis' generated page with its CDN URLs pointed at ``/assets/vis/`` (pyvis' own bundled
  copy of vis-network, served by ``api.views``) and our CSS/JS from ``/static/views/``; ~tens of KB.
- standalone: the same page with every script and style inlined, one file that opens from disk.

Why post-process ``net.generate_html()`` rather than use pyvis' modes as they are: every pyvis 0.3.2
mode still loads Bootstrap from a CDN and ``local`` loads vis-network from a CDN too (see
shared/research/browser-notes.md), and pyvis' template does not escape what it prints. So the page is
rewritten, each rewrite asserts that it found what it expected (pyvis 0.3.2 is the last release, but a
changed template must fail loudly, not silently go online), and ``assert_offline`` refuses any page that
still names an http(s) resource.

Escaping: node and edge data reach the page only as JSON (pyvis' ``tojson`` and our
``<script type="application/json">`` block, with ``<``, ``>`` and ``&`` escaped), tooltips are set as
plain-text strings (vis-network shows a string ``title`` as text), and everything we print into HTML goes
through Jinja2 with autoescaping. Node tooltips are set from our JSON by our script rather than given to
pyvis, because pyvis switches to an ``innerHTML`` popup when a node title contains "href".
"""
from __future__ import annotations

import difflib
import html
import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlencode

import jinja2
import networkx as nx
import pyvis
from markupsafe import Markup
from pyvis.network import Network

from neaspec_kg import __version__, network
from neaspec_kg.analysis import LEVEL_LABELS, Analyst
from neaspec_kg.analysis.focus import normalise
from neaspec_kg.analysis.profiles import Profiles
from neaspec_kg.errors import NeaspecKgError
from neaspec_kg.graph import select
from neaspec_kg.models import PairAnswer
from neaspec_kg.namespaces import ID, ONTOLOGY_IRI, local_id
from neaspec_kg.namespaces import country as country_iri

#: pyvis' bundled front-end files (vis-network 9.1.2, its CSS, pyvis' bindings): served at VIS_URL
VIS_LIB_DIR = Path(pyvis.__file__).resolve().parent / "templates" / "lib"
VIS_URL = "/assets/vis"
VIS_DIR = "vis-9.1.2"
#: our own CSS and JS (api/static/views), served by the app's /static mount
VIEWS_URL = "/static/views"
CSS_FILE = "nk.css"
JS_FILE = "nk-graph.js"

#: languages the pages offer (the graph has labels in these; English is the fallback)
LANGS = ("en", "zh", "ja", "ko", "ru", "mn")
LANG_NAMES = {"en": "English", "zh": "中文", "ja": "日本語", "ko": "한국어", "ru": "Русский", "mn": "Монгол"}
VIEW_KINDS = ("graph", "overlap", "duplication", "mechanism")


class VizError(NeaspecKgError):
    """A page could not be produced safely (for example, it would still load something from the internet)."""


def views_dir() -> Path:
    """Where our CSS and JS live: ``api/static/views``, beside this package both in a checkout and when
    installed (``api`` and ``neaspec_kg`` are sibling top-level packages). Resolved from this file rather
    than by importing ``api``, which an editable install may expose as a namespace package."""
    return Path(__file__).resolve().parents[1] / "api" / "static" / "views"


# --------------------------------------------------------------------------- styles


@dataclass(frozen=True)
class Style:
    label: str
    shape: str
    color: str
    symbol: str


#: one style per kind of node; shapes and colours tell the kinds apart, the legend names them
STYLES: dict[str, Style] = {
    "mechanism": Style("Subregional mechanism (Table 2)", "dot", "#1f5fbf", "●"),
    "related": Style("Related convention or partnership", "dot", "#7fa9e3", "●"),
    "country": Style("Country", "square", "#e07b1f", "■"),
    "shared": Style("Shared member (in two or more of these mechanisms)", "square", "#c81e1e", "■"),
    "focus": Style("Focus area", "triangle", "#2a9d4b", "▲"),
    "theme": Style("Thematic area", "triangleDown", "#17663a", "▼"),
    "organisation": Style("Organisation (secretariat host, partner)", "star", "#8e44ad", "★"),
    "secretariat": Style("Secretariat", "star", "#c39bd3", "★"),
    "component": Style("Platform or plan", "diamond", "#0e9aa7", "◆"),
    "other": Style("Other", "dot", "#8a8a8a", "●"),
}
LEVEL_COLOURS = {"flagged": "#8b0000", "risk": "#c81e1e", "coordinated": "#2e7d32", "overlap": "#e07b1f",
                 "complementary": "#5b7fa6", "distinct": "#d5d9de"}
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
    "nodes": {"borderWidth": 1, "font": {"size": 14, "face": "system-ui, sans-serif", "strokeWidth": 3,
                                         "strokeColor": "#ffffff"}},
    "edges": {"smooth": False, "color": {"color": EDGE_COLOUR, "highlight": "#333333", "inherit": False}},
}

_PATH_KINDS = {"mechanism": "mechanism", "country": "country", "focus": "focus", "org": "organisation",
               "secretariat": "secretariat", "platform": "component", "plan": "component"}


def kind_of(iri: str) -> str:
    """The node kind of one of our IRIs, from its path (``.../id/org/unep`` is an organisation)."""
    if iri.startswith(ID):
        return _PATH_KINDS.get(iri[len(ID):].split("/", 1)[0], "other")
    return "other"


# --------------------------------------------------------------------------- links


@dataclass(frozen=True)
class Links:
    """Where a page's links point. Served pages link to this server (``/id/...``, the REST API, other
    views); a standalone file has no server behind it, so it links to the resources' IRIs."""

    served: bool = True
    lang: str = "en"

    def resource(self, iri: str) -> str:
        if self.served and iri.startswith(ID):
            return "/id/" + iri[len(ID):]
        if self.served and iri.startswith(ONTOLOGY_IRI):
            return "/ontology" + iri[len(ONTOLOGY_IRI):]
        return iri

    def rest(self, iri: str) -> str | None:
        if not self.served:
            return None
        kind, ident = kind_of(iri), local_id(iri)
        return {"mechanism": f"/mechanisms/{ident}", "country": f"/countries/{ident}",
                "focus": f"/focus-areas/{ident}"}.get(kind)

    def view(self, kind: str, value: str | None = None) -> str | None:
        """A link to another graph page (served only), keeping the language."""
        if not self.served:
            return None
        query = {} if self.lang == "en" else {"lang": self.lang}
        if kind == "mechanism" and value:
            path = f"/graph/mechanism/{value}"
        elif kind == "overlap" and value:
            path, query = "/graph/overlap", {"focus": value, **query}
        elif kind == "duplication":
            path = "/graph/duplication"
        else:
            path = "/graph"
        return path + ("?" + urlencode(query) if query else "")


def safe_url(url: str | None) -> str | None:
    """Only http(s) URLs and paths on this server become links; anything else (``javascript:``, data
    URIs) that a source record might hold is shown as text, never followed."""
    if not url:
        return None
    url = url.strip()
    if re.match(r"^https?://", url, re.IGNORECASE) or (url.startswith("/") and not url.startswith("//")):
        return url
    return None


# --------------------------------------------------------------------------- the view model


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

    def legend(self) -> list[dict[str, Any]]:
        counts: dict[str, int] = {}
        for _n, d in self.graph.nodes(data=True):
            counts[d["kind"]] = counts.get(d["kind"], 0) + 1
        return [{"kind": k, "label": s.label, "color": s.color, "symbol": s.symbol, "count": counts[k]}
                for k, s in STYLES.items() if k in counts]


class _Builder:
    """Collects nodes, edges, facts and a de-duplicated source table for one view."""

    def __init__(self, analyst: Analyst, profiles: Profiles, lang: str, links: Links) -> None:
        self.analyst = analyst
        self.store = analyst.store
        self.profiles = profiles
        self.lang = lang if lang in LANGS else "en"
        self.links = links
        self.g = nx.Graph()
        self.nodes: dict[str, dict[str, Any]] = {}
        self.edges: dict[frozenset[str], dict[str, Any]] = {}
        self._source_index: dict[str, int] = {}
        self.sources: list[dict[str, Any]] = []
        self.names: dict[str, str] = {}
        if self.lang != "en":
            self.names = {r["resource"].value: r["label"].value
                          for r in select(self.store, "preferred-labels", {"lang": self.lang})}
        self.mechanisms = {str(m["iri"]): m for m in profiles.mechanisms()}

    # ---- labels

    def name(self, iri: str, english: str) -> str:
        """The label in the page's language, English where the graph has none in that language."""
        return self.names.get(iri, english)

    def mechanism_label(self, iri: str) -> str:
        """Mechanisms go by their acronym in English (short, and how the note names them); in another
        language by their name in that language where the graph has one."""
        m = self.mechanisms.get(iri)
        english = str(m["acronym"] or m["label"]) if m else local_id(iri)
        return self.names.get(iri, english)

    # ---- sources

    def src(self, sources: Iterable[Mapping[str, Any]]) -> list[int]:
        """Indexes into the page's source table (each source once per page, however often cited)."""
        out: list[int] = []
        for s in sources:
            iri = str(s["iri"])
            if iri not in self._source_index:
                label = str(s["label"])
                if s.get("locator") and str(s["locator"]) not in label:
                    label += f", {s['locator']}"
                self._source_index[iri] = len(self.sources)
                self.sources.append({"label": label, "href": self.links.resource(iri),
                                     "url": safe_url(str(s["url"])) if s.get("url") else None})
            if self._source_index[iri] not in out:
                out.append(self._source_index[iri])
        return out

    def src_iris(self, iris: str | list[str] | None) -> list[int]:
        return self.src(s.to_dict() for s in self.analyst.sources.many(iris))

    # ---- graph

    def node(self, iri: str, kind: str, label: str, tooltip: str = "") -> None:
        """Add a node once; a later, stronger kind wins (a shared member, a Table 2 mechanism)."""
        if iri not in self.g:
            self.g.add_node(iri, kind=kind, label=label)
        elif kind == "shared" or (kind == "mechanism" and self.g.nodes[iri]["kind"] == "related"):
            self.g.nodes[iri]["kind"] = kind
        info = self.nodes.setdefault(iri, {"label": label, "tooltip": tooltip or label, "facts": []})
        if tooltip:
            info["tooltip"] = tooltip

    def edge(self, a: str, b: str, title: str, src: list[int] | None = None, **style: Any) -> None:
        """One edge per pair of nodes: a second relation between the same two adds to its tooltip."""
        if self.g.has_edge(a, b):
            d = self.g.edges[a, b]
            if title not in d["title"].split("\n"):
                d["title"] += "\n" + title
            d.update({k: v for k, v in style.items() if k != "dashes"})
            if not style.get("dashes"):
                d.pop("dashes", None)
        else:
            self.g.add_edge(a, b, title=title, **style)
        info = self.edges.setdefault(frozenset((a, b)), {"title": "", "facts": []})
        info["title"] = self.g.edges[a, b]["title"]
        if src:
            info.setdefault("src", [])
            info["src"] += [i for i in src if i not in info["src"]]

    def card(self, iri: str, kind_label: str, facts: list[dict[str, Any]], name: str | None = None) -> None:
        """What the side panel shows for a node: its kind, full name, links and facts (empty ones dropped)."""
        info = self.nodes[iri]
        info["kind"] = kind_label
        if name and name != info["label"]:
            info["name"] = name
        links = [{"text": "Resource page", "href": self.links.resource(iri)}]
        rest = self.links.rest(iri)
        if rest:
            links.append({"text": "REST JSON", "href": rest})
        kind = kind_of(iri)
        if kind == "mechanism":
            view = self.links.view("mechanism", local_id(iri))
            if view:
                links.append({"text": "Graph of this mechanism", "href": view})
        elif kind == "focus":
            view = self.links.view("overlap", local_id(iri))
            if view:
                links.append({"text": "Overlap on this focus", "href": view})
        info["links"] = links
        info["facts"] = [f for f in facts if f["items"]]

    def item(self, text: str, *, iri: str | None = None, src: list[int] | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {"text": text}
        if iri:
            out["href"] = self.links.resource(iri)
        if src:
            out["src"] = src
        return out

    # ---- facts per kind of node

    def mechanism_card(self, iri: str, extra: list[dict[str, Any]] | None = None) -> None:
        p = self.profiles.mechanism(local_id(iri))
        it = self.item
        facts = [
            {"name": "Names", "items": [
                it(f"{lab['label']}" + (f" ({lab['lang']})" if lab["lang"] else ""), src=self.src(lab["sources"]))
                for lab in p["labels"] if lab["kind"] in {"pref", "acronym"}]},
            {"name": "Kind", "items": [it(str(p["kind"]["label"]) + (
                ", one of the subregional mechanisms of Table 2" if p["subregional"] else ""))]},
            {"name": "Established", "items": [it(str(c["value"]), src=self.src(c["sources"]))
                                              for c in _claims(p, "established")]},
            {"name": "Members", "items": [
                it(f"{self.name(country_iri(m['id']), m['label'])}: {m['role']}"
                   + (f", since {m['since']}" if m["since"] else ""),
                   iri=country_iri(m["id"]), src=self.src(m["sources"])) for m in p["members"]]},
            {"name": "Secretariat", "items": [
                it(u["label"] + (f", hosted by {u['hosted_by']['label'] or u['hosted_by']['id']}"
                                 if u.get("hosted_by") else ""),
                   iri=ID + "secretariat/" + u["id"], src=self.src(u["sources"])) for u in p["secretariat"]]},
            {"name": "Governing bodies", "items": [
                it(u["label"] + (f" ({u['type']})" if u.get("type") else ""), src=self.src(u["sources"]))
                for u in p["governing_bodies"]]},
            {"name": "Focus areas", "items": [
                it(self.name(ID + "focus/" + f["id"], f["label"])
                   + (f": {', '.join(f['modalities'])}" if f["modalities"] else "")
                   + (f" (through {', '.join(f['through'])})" if f["through"] else ""),
                   iri=ID + "focus/" + f["id"], src=self.src(f["sources"])) for f in p["focus_areas"]]},
            {"name": "Platforms and plans", "items": [
                it(f"{c['acronym'] or c['label']} ({c['type']}"
                   + (f", {' or '.join(c['established'])}" if c["established"] else "") + ")",
                   iri=c["iri"], src=self.src(c["sources"])) for c in p["components"]]},
            {"name": "Engagements", "items": [
                it(f"{', '.join(e['types'])} with {e['counterpart_label'] if e['party'] == p['id'] else e['party']}"
                   f" ({e['status'].lower()})" + (f", via {e['via']}" if e["via"] else "")
                   + (f". Limitation: {e['limitation']}" if e["limitation"] else ""),
                   iri=ID + "engagement/" + e["id"], src=self.src(e["sources"])) for e in p["engagements"]]},
            {"name": "As Table 2 of the note states it", "items": [
                it(f"{k.removeprefix('stated')}: {v}") for k, v in dict(p["stated_in_table_2"]).items()]},
            *(extra or []),
        ]
        self.card(iri, "Mechanism" if p["subregional"] else "Related mechanism", facts,
                  name=self.name(iri, str(p["label"])))

    def country_card(self, iri: str) -> None:
        """Names, codes and the mechanisms a country takes part in, with role, date and sources."""
        p = self.profiles.country(local_id(iri))
        it = self.item
        codes = f"ISO 3166-1 {p['id']} / {p['iso3166_alpha2']}" + (
            f" / {p['iso3166_numeric']}" if p["iso3166_numeric"] else "")
        facts = [
            {"name": "Names", "items": [it(lab["label"] + (f" ({lab['lang']})" if lab["lang"] else ""),
                                           src=self.src(lab["sources"]))
                                        for lab in p["labels"] if lab["kind"] == "pref"]},
            {"name": "Codes", "items": [it(codes)] + ([it("NEASPEC member State")]
                                                      if p["neaspec_member_state"] else [])},
            {"name": "Takes part in", "items": [
                it(f"{self.mechanism_label(ID + 'mechanism/' + m['id'])}: {m['role']}"
                   + (f", since {m['since']}" if m["since"] else ""),
                   iri=ID + "mechanism/" + m["id"], src=self.src(m["sources"])) for m in p["mechanisms"]]},
        ]
        self.card(iri, "Country", facts, name=self.name(iri, str(p["label"])))

    def focus_card(self, iri: str, worked_on: list[dict[str, Any]]) -> None:
        if not iri.startswith(ID + "focus/"):  # a target species: its name and who works on it
            label = str(self.g.nodes[iri].get("label", local_id(iri)))
            self.card(iri, "Species", [{"name": "Worked on by", "items": worked_on}], name=label)
            return
        p = self.profiles.focus_area(local_id(iri))
        it = self.item
        facts = [
            {"name": "Other labels", "items": [it(a["label"] + (f" ({a['lang']})" if a["lang"] else ""))
                                               for a in p["alt_labels"]]},
            {"name": "Broader", "items": [it(self.name(ID + "focus/" + b["id"], b["label"]),
                                             iri=ID + "focus/" + b["id"]) for b in p["broader"]]},
            {"name": "Narrower", "items": [it(self.name(ID + "focus/" + n["id"], n["label"]),
                                              iri=ID + "focus/" + n["id"]) for n in p["narrower"]]},
            {"name": "Worked on by", "items": worked_on},
        ]
        self.card(iri, str(p["kind"]).capitalize(), facts, name=self.name(iri, str(p["label"])))

    def view(self, kind: str, title: str, intro: str, initial: str | None = None,
             query: dict[str, str] | None = None) -> View:
        """Finish: sizes by degree, edge ids, and the JSON-ready facts."""
        for n, d in self.g.nodes(data=True):
            d["size"] = round(12 + 6 * math.sqrt(self.g.degree(n)), 1)
        edges: dict[str, dict[str, Any]] = {}
        for i, (a, b, d) in enumerate(self.g.edges(data=True)):
            d["id"] = f"e{i}"
            info = self.edges.get(frozenset((a, b)), {"facts": []})
            edges[d["id"]] = {**info, "title": d["title"],
                              "between": [self.g.nodes[a]["label"], self.g.nodes[b]["label"]]}
        return View(kind=kind, title=title, intro=intro, lang=self.lang, graph=self.g, nodes=self.nodes,
                    edges=edges, sources=self.sources, initial=initial, query=query or {},
                    digest=str(getattr(self.store, "digest", ""))[:12])


# --------------------------------------------------------------------------- the four views


def _claims(profile: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    """A profile's claims for ``key`` (value and sources), under ``{key}_claims`` or, in older profiles,
    under ``key`` itself; plain values without sources are skipped."""
    claims = profile.get(f"{key}_claims", profile.get(key)) or []
    return [c for c in claims if isinstance(c, Mapping) and "value" in c]


def whole_view(analyst: Analyst, profiles: Profiles, lang: str = "en", links: Links | None = None) -> View:
    """Every mechanism (Table 2 and related), the countries in them, the focus areas they work on with
    the thematic areas above, and the organisations hosting their secretariats."""
    b = _Builder(analyst, profiles, lang, links or Links(lang=lang))
    store = analyst.store
    for iri, m in b.mechanisms.items():
        b.node(iri, "mechanism" if m["subregional"] else "related", b.mechanism_label(iri),
               f"{b.mechanism_label(iri)}\n{b.name(iri, str(m['label']))}\n{m['kind']['label']}")
    for r in select(store, "memberships", {"include_related": True}):
        m, c = r["mechanism"].value, r["country"].value
        label = b.name(c, r["countryLabel"].value)
        b.node(c, "country", label, f"{label}\n{r['iso3'].value}")
        b.edge(m, c, f"{b.mechanism_label(m)}: {label} is a {r['role'].value}",
               dashes=r["role"].value != "member" or None)
    worked_on: dict[str, list[dict[str, Any]]] = {}
    for r in select(store, "work-areas", {"include_related": True}):
        m, f = r["mechanism"].value, r["focus"].value
        label = b.name(f, r["focusLabel"].value)
        b.node(f, "focus", label, f"{label}\nfocus area")
        modalities = r["modalities"].value if "modalities" in r else ""
        src = b.src_iris(r["sources"].value)
        b.edge(m, f, f"{b.mechanism_label(m)} works on {label}" + (f" ({modalities})" if modalities else ""), src)
        worked_on.setdefault(f, []).append(b.item(
            f"{b.mechanism_label(m)}" + (f": {modalities}" if modalities else ""), iri=m, src=src))
    _add_broader(b, worked_on)
    hosts: dict[str, list[dict[str, Any]]] = {}
    for r in select(store, "secretariats", {"include_related": True}):
        m, unit = r["mechanism"].value, r["unit"].value
        where = r["host"].value if "host" in r else unit
        label = b.name(where, r["hostLabel"].value if "host" in r else r["unitLabel"].value)
        kind = "organisation" if "host" in r else "secretariat"
        b.node(where, kind, label, f"{label}\n{'hosts a secretariat' if 'host' in r else 'secretariat'}")
        src = b.src_iris(r["sources"].value.split() + (r["hostSources"].value.split() if "host" in r else []))
        b.edge(m, where, f"secretariat of {b.mechanism_label(m)}: {r['unitLabel'].value}", src)
        hosts.setdefault(where, []).append(b.item(f"{b.mechanism_label(m)}: {r['unitLabel'].value}", iri=m, src=src))
    for iri in list(b.g.nodes):
        kind = b.g.nodes[iri]["kind"]
        if kind in {"mechanism", "related"}:
            b.mechanism_card(iri)
        elif kind == "country":
            b.country_card(iri)
        elif kind in {"focus", "theme"}:
            b.focus_card(iri, worked_on.get(iri, []))
        else:
            b.card(iri, "Organisation" if kind == "organisation" else "Secretariat",
                   [{"name": "Secretariat of", "items": hosts.get(iri, [])}])
    n_sub = sum(1 for m in b.mechanisms.values() if m["subregional"])
    return b.view("graph", "The whole graph",
                  f"{len(b.mechanisms)} mechanisms ({n_sub} subregional ones of Table 2 and "
                  f"{len(b.mechanisms) - n_sub} related conventions and partnerships), the countries taking part "
                  "in them, the focus areas they work on under their thematic areas, and the organisations "
                  "hosting their secretariats. Click a node for its facts and their sources.")


def _add_broader(b: _Builder, worked_on: dict[str, list[dict[str, Any]]]) -> None:
    """Link each focus area drawn to its broader concepts, up to the thematic areas (the thesaurus'
    top concepts), so the picture groups focus areas by theme as paragraph 36 of the note does."""
    broader: dict[str, set[str]] = {}
    info: dict[str, tuple[str, bool]] = {}
    for r in select(b.store, "focus-tree"):
        c = r["concept"].value
        info[c] = (r["label"].value, r["isTheme"].to_python() is True)
        broader.setdefault(c, set())
        if "broader" in r:
            broader[c].add(r["broader"].value)
    todo = [n for n, d in b.g.nodes(data=True) if d["kind"] == "focus"]
    seen = set(todo)
    while todo:
        c = todo.pop()
        if c in info and info[c][1]:
            b.g.nodes[c]["kind"] = "theme"
        for up in sorted(broader.get(c, ())):
            if up not in info:
                continue
            label = b.name(up, info[up][0])
            b.node(up, "theme" if info[up][1] else "focus", label,
                   f"{label}\n{'thematic area' if info[up][1] else 'focus area'}")
            b.edge(c, up, f"{b.g.nodes[c]['label']} is narrower than {label}", color="#8fc79f")
            if up not in seen:
                seen.add(up)
                todo.append(up)


def overlap_view(analyst: Analyst, profiles: Profiles, focus: str, lang: str = "en", *, country: str | None = None,
                 include_related: bool = False, as_of: str | None = None, links: Links | None = None) -> View:
    """The mechanisms working on ``focus`` (or anything narrower), the focus areas they matched with the kind of
    evidence, their members, and the engagements among them; members of two or more of them are highlighted.
    Planned and proposed work is drawn dashed and labelled as such, never as delivered."""
    b = _Builder(analyst, profiles, lang, links or Links(lang=lang))
    res = analyst.overlap(focus, country=country, include_related=include_related, as_of=as_of)
    shared = {s.country.id: s for s in res.shared_members}
    worked_on: dict[str, list[dict[str, Any]]] = {}
    by_id = {m.mechanism.id: m.mechanism.iri for m in (*res.mechanisms, *res.planned_or_proposed)}
    for m in (*res.mechanisms, *res.planned_or_proposed):
        iri = m.mechanism.iri
        label = b.mechanism_label(iri)
        b.node(iri, "mechanism" if m.mechanism.subregional else "related",
               label, f"{label}\n{b.name(iri, m.mechanism.label)}")
        for ev in m.evidence:
            for f in ev.focus:
                flabel = b.name(f.iri, f.label)
                b.node(f.iri, "focus", flabel, f"{flabel}\n{f.kind}")
                src = b.src(s.model_dump(exclude_none=True) for s in ev.sources)
                via = f" through {ev.via.acronym or ev.via.label}" if ev.via else ""
                how = f" ({', '.join(ev.modalities)})" if ev.modalities else ""
                verb = "works on" if ev.delivered else ("plans work on" if ev.kind == "planned" else
                                                        "is proposed to work on")
                text = f"{label} {verb} {flabel}{how}{via}: {ev.kind_label}"
                b.edge(iri, f.iri, text, src, **({} if ev.delivered else {"dashes": True}))
                worked_on.setdefault(f.iri, []).append(b.item(f"{label}: {ev.kind_label}{via}", iri=iri, src=src))
        for c in m.members:
            ciri = country_iri(c.id)
            clabel = b.name(ciri, c.label)
            kind = "shared" if c.id in shared else "country"
            within = [b.mechanism_label(by_id[i]) for i in shared[c.id].mechanisms] if c.id in shared else [label]
            b.node(ciri, kind, clabel, f"{clabel}\nmember of {', '.join(within)}")
            b.edge(iri, ciri, f"{clabel} is a member of {label}")
    for e in res.engagements:
        a, z = by_id.get(e.party), by_id.get(e.counterpart)
        if a and z and a != z:
            b.edge(a, z, f"{b.mechanism_label(a)} → {b.mechanism_label(z)}: {', '.join(e.types)} ({e.status.lower()})",
                   b.src(s.model_dump(exclude_none=True) for s in e.sources), dashes=True, color=ENGAGEMENT_COLOUR)
    engaged = {m.mechanism.iri: {"name": "Engagements with the other mechanisms on this focus", "items": [
        b.item(f"{', '.join(e.types)} with {e.counterpart if e.party == m.mechanism.id else e.party} "
               f"({e.status.lower()})", iri=e.iri, src=b.src(s.model_dump(exclude_none=True) for s in e.sources))
        for e in res.engagements if m.mechanism.id in {e.party, e.counterpart}]}
        for m in (*res.mechanisms, *res.planned_or_proposed)}
    for iri in list(b.g.nodes):
        kind = b.g.nodes[iri]["kind"]
        if kind in {"mechanism", "related"}:
            b.mechanism_card(iri, extra=[engaged.get(iri, {"name": "Engagements", "items": []})])
        elif kind in {"country", "shared"}:
            b.country_card(iri)
        else:
            b.focus_card(iri, worked_on.get(iri, []))
    names = " / ".join(b.name(c.iri, c.label) for c in res.focus)
    title = f"Overlap on {names}"
    intro = (f"{len(res.mechanisms)} mechanism{'s' if len(res.mechanisms) != 1 else ''} work on {names} or a "
             f"narrower focus; {len(shared)} countr{'ies are members' if len(shared) != 1 else 'y is a member'} "
             "of two or more of them (highlighted). Dashed lines are recorded engagements between them, or work "
             "that is only planned or proposed."
             + (f" Only work {country} takes part in." if country else "")
             + (f" Members as of {as_of}." if as_of else ""))
    query = {"focus": focus} | ({"country": country} if country else {}) | (
        {"include_related": "true"} if include_related else {}) | ({"as_of": as_of} if as_of else {})
    return b.view("overlap", title, intro, query=query)


def _mechanism_iri(ident: str) -> str:
    """A mechanism's IRI from its IRI or its id (pairs and projections have used both)."""
    return ident if ident.startswith(ID) else ID + "mechanism/" + ident


def duplication_view(analyst: Analyst, profiles: Profiles, lang: str = "en", *, include_related: bool = False,
                     min_score: float | None = None, links: Links | None = None) -> View:
    """Mechanism to mechanism: edge width by duplication score, colour by level (paragraph 36), and a tooltip
    that explains the level in plain words with its evidence and the note's own judgements."""
    b = _Builder(analyst, profiles, lang, links or Links(lang=lang))
    pairs = analyst.duplication(include_related=include_related, min_score=min_score or 0.0, limit=None).pairs
    og = network.overlap_graph(pairs)
    by_pair = {frozenset((p.a.iri, p.b.iri)): p for p in pairs}
    for n in og.nodes:
        label = b.mechanism_label(n)
        m = b.mechanisms.get(n)
        b.node(n, "mechanism" if m and m["subregional"] else "related", label,
               f"{label}\n{b.name(n, str(m['label'])) if m else ''}")
    for a, z, d in og.edges(data=True):
        ends = frozenset((a, z))
        p = by_pair[ends]
        b.edge(a, z, score_tooltip(p), b.src(s.model_dump(exclude_none=True) for s in p.sources),
               width=round(1 + 14 * float(d["weight"]), 2), color=LEVEL_COLOURS.get(p.level, EDGE_COLOUR))
        b.edges[ends] |= {"text": p.explanation, "facts": [{"name": "Score components", "items": [
            {"text": f"{k.replace('_', ' ')}: {v:.3f}"} for k, v in p.components.items()]}]}
    for iri in list(b.g.nodes):
        mine = [(p, (p.b if p.a.iri == iri else p.a)) for ends, p in by_pair.items() if iri in ends]
        b.mechanism_card(iri, extra=[{"name": "Duplication with the others", "items": [
            b.item(f"{other.acronym or other.label}: {p.level_label}, score {p.score:.3f}",
                   src=b.src(s.model_dump(exclude_none=True) for s in p.sources))
            for p, other in mine]}])
    view = b.view("duplication", "Duplication between mechanisms",
                  f"{og.number_of_edges()} pairs of mechanisms meet on a focus area or are judged by the note. A "
                  "line's width is the score and its colour the level; hover or click a line for the explanation. "
                  "Paragraph 36 of the note asks to tell thematic areas from focus areas: sharing a theme with a "
                  "different focus, kind of activity or scope is complementarity, not duplication.",
                  query=({"include_related": "true"} if include_related else {})
                  | ({"min_score": str(min_score)} if min_score is not None else {}))
    view.edge_legend = [{"label": LEVEL_LABELS[level], "color": LEVEL_COLOURS[level]} for level in LEVEL_COLOURS]
    return view


def score_tooltip(p: PairAnswer) -> str:
    """The level and score of a pair with the plain-words explanation (as plain text)."""
    c = p.components
    return (f"{p.a.acronym or p.a.label} – {p.b.acronym or p.b.label}: {p.level_label}, score {p.score:.3f}\n"
            f"score = focus {c['focus']:.2f} × activity {c['activity']:.2f} × evidence {c['evidence']:.2f} "
            f"× countries {c['countries']:.2f} × coordination {c['coordination']:.2f}\n\n{p.explanation}")


def mechanism_view(analyst: Analyst, profiles: Profiles, ident: str, lang: str = "en",
                   links: Links | None = None) -> View:
    """One mechanism with its members, platforms and plans, secretariat (and host) and engagements."""
    b = _Builder(analyst, profiles, lang, links or Links(lang=lang))
    p = profiles.mechanism(ident)
    iri = str(p["iri"])
    label = b.mechanism_label(iri)
    b.node(iri, "mechanism" if p["subregional"] else "related", label, f"{label}\n{b.name(iri, str(p['label']))}")
    for r in select(b.store, "mechanism-members", {"mechanism": iri}):
        c = r["country"].value
        clabel = b.name(c, r["label"].value)
        b.node(c, "country", clabel, f"{clabel}\n{r['iso3'].value}")
        role = r["roleLabel"].value.lower()
        b.edge(iri, c, f"{clabel}: {role}" + (f" since {r['since'].value}" if "since" in r else ""),
               b.src_iris(r["sources"].value), dashes=role == "observer" or None)
    components: dict[str, list[dict[str, Any]]] = {}
    for r in select(b.store, "mechanism-components", {"mechanism": iri}):
        c = r["component"].value
        clabel = b.name(c, r["acronym"].value if "acronym" in r else r["label"].value)
        b.node(c, "component", clabel, f"{clabel}\n{r['label'].value}\n{r['class'].value}")
        src = b.src_iris(r["sources"].value)
        b.edge(iri, c, f"{clabel} is a {r['class'].value} of {label}", src)
        est = r["established"].value.split() if "established" in r else []
        components[c] = [
            {"name": "Part of", "items": [b.item(f"{label}, as a {r['class'].value}", iri=iri, src=src)]},
            {"name": "Name", "items": [b.item(r["label"].value)]},
            {"name": "Established", "items": [b.item(" or ".join(est), src=src)] if est else []}]
    units: dict[str, list[dict[str, Any]]] = {}
    for r in select(b.store, "mechanism-structure", {"mechanism": iri}):
        if r["role"].value != "secretariat":
            continue
        u = r["unit"].value
        ulabel = b.name(u, r["label"].value)
        src = b.src_iris(r["sources"].value)
        b.node(u, "secretariat", ulabel, f"{ulabel}\nsecretariat of {label}")
        b.edge(iri, u, f"secretariat of {label}", src)
        units.setdefault(u, []).append(b.item(f"Secretariat of {label}", iri=iri, src=src))
        if "host" in r:
            h = r["host"].value
            hlabel = b.name(h, r["hostLabel"].value)
            b.node(h, "organisation", hlabel, f"{hlabel}\nhosts the secretariat of {label}")
            b.edge(u, h, f"{ulabel} is hosted by {hlabel}")
            units[u].append(b.item(f"Hosted by {hlabel}", iri=h))
            units.setdefault(h, []).append(b.item(f"Hosts {ulabel}", iri=u))
    engagements: dict[str, list[dict[str, Any]]] = {}
    for r in select(b.store, "mechanism-engagements", {"mechanism": iri}):
        party, counterpart = r["party"].value, r["counterpart"].value
        other, other_label = ((counterpart, r["counterpartLabel"].value) if party == iri
                              else (party, r["partyLabel"].value))
        kind = kind_of(other)
        olabel = b.mechanism_label(other) if kind == "mechanism" else b.name(other, other_label)
        node_kind = {"country": "country", "organisation": "organisation", "component": "component"}.get(kind, "other")
        if kind == "mechanism":
            node_kind = "mechanism" if other in b.mechanisms and b.mechanisms[other]["subregional"] else "related"
        b.node(other, node_kind, olabel, f"{olabel}\n{other_label}")
        src = b.src_iris(r["sources"].value)
        text = (f"{b.mechanism_label(party) if kind_of(party) == 'mechanism' else r['partyLabel'].value} → "
                f"{olabel if party == iri else label}: {r['types'].value} ({r['statusLabel'].value.lower()})")
        b.edge(iri, other, text, src, dashes=True, color=ENGAGEMENT_COLOUR)
        engagements.setdefault(other, []).append(b.item(
            text + (f", via {r['viaLabel'].value}" if "viaLabel" in r else "")
            + (f". Limitation: {r['limitation'].value}" if r.get("limitation") and r["limitation"].value else ""),
            iri=r["engagement"].value, src=src))
    for n in list(b.g.nodes):
        kind = kind_of(n)
        eng = [{"name": f"Engagements with {label}", "items": engagements.get(n, [])}]
        if n == iri:
            b.mechanism_card(n)
        elif kind == "mechanism" and n in b.mechanisms:
            b.mechanism_card(n, extra=eng)
        elif kind == "country":
            b.country_card(n)
            b.nodes[n]["facts"] += [f for f in eng if f["items"]]
        elif kind == "component":
            b.card(n, "Platform or plan", components.get(n, []) + eng)
        else:
            b.card(n, "Secretariat" if kind == "secretariat" else "Organisation",
                   [{"name": "Secretariat", "items": units.get(n, [])}, *eng])
    return b.view("mechanism", f"{label}: members, platforms, secretariat and engagements",
                  f"{b.name(iri, str(p['label']))}: its {len(p['members'])} membership records, "
                  f"{len(p['components'])} platforms and plans, secretariat and {len(p['engagements'])} "
                  "recorded engagements. Dashed lines are engagements (or observer roles). "
                  "Click a node for its facts and their sources.", initial=iri)


def build_view(analyst: Analyst, profiles: Profiles, kind: str, value: str | None = None, lang: str = "en",
               links: Links | None = None, **options: Any) -> View:
    """Dispatch on the view kind: graph, overlap (value = focus), duplication, mechanism (value = id)."""
    if kind == "graph":
        return whole_view(analyst, profiles, lang, links)
    if kind == "overlap":
        if not value:
            raise VizError("the overlap view needs a focus (free text, id or IRI)")
        return overlap_view(analyst, profiles, value, lang, links=links, **options)
    if kind == "duplication":
        return duplication_view(analyst, profiles, lang, links=links, **options)
    if kind == "mechanism":
        if not value:
            raise VizError("the mechanism view needs a mechanism id")
        return mechanism_view(analyst, profiles, value, lang, links)
    raise VizError(f"unknown view {kind!r}; one of {', '.join(VIEW_KINDS)}")


def find_mechanism(profiles: Profiles, text: str) -> str | None:
    """The id of the mechanism ``text`` names (id, acronym or English name; case and punctuation do not
    matter), or None. Lets one search box take a focus area or a mechanism."""
    key = normalise(text)
    for m in profiles.mechanisms():
        if key in {normalise(str(m["id"])), normalise(str(m["acronym"] or "")), normalise(str(m["label"]))}:
            return str(m["id"])
    return None


def suggest_mechanisms(profiles: Profiles, text: str, n: int = 5) -> list[dict[str, str]]:
    """The closest mechanisms by spelling of id, acronym or name (for the "nothing is called that" page)."""
    keys: dict[str, dict[str, str]] = {}
    for m in profiles.mechanisms():
        entry = {"id": str(m["id"]), "label": str(m["acronym"] or m["label"]), "name": str(m["label"])}
        for k in (m["id"], m["acronym"], m["label"]):
            if k:
                keys.setdefault(normalise(str(k)), entry)
    out: list[dict[str, str]] = []
    for k in difflib.get_close_matches(normalise(text), list(keys), n=3 * n, cutoff=0.5):
        if keys[k] not in out:
            out.append(keys[k])
    return out[:n]


# --------------------------------------------------------------------------- HTML


_ENV = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)

_HEAD = _ENV.from_string("""
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="neaspec-kg {{ version }}">
<link rel="icon" href="data:,">
<title>{{ view.title }} · neaspec-kg</title>
{% if inline %}
<style>{{ css }}</style>
<script>{{ js }}</script>
{% else %}
<link rel="stylesheet" href="{{ views_url }}/{{ css_file }}">
<script src="{{ views_url }}/{{ js_file }}"></script>
{% endif %}
""")

_TOP = _ENV.from_string("""
<header class="nk-header">
  {% if served %}
  <nav class="nk-nav" aria-label="Site">
    <a href="/" class="nk-home">neaspec-kg</a>
    <a href="{{ links.view('graph') }}">Whole graph</a>
    <a href="{{ links.view('duplication') }}">Duplication</a>
    <a href="/ontology">Ontology</a>
    <a href="/sparql">SPARQL editor</a>
    <a href="/docs">API docs</a>
  </nav>
  {% endif %}
  <h1 id="nk-title">{{ view.title }}</h1>
  <p class="nk-intro">{{ view.intro }}</p>
  <p class="nk-meta">
    <span id="nk-counts">{{ view.graph.number_of_nodes() }} nodes, {{ view.graph.number_of_edges() }} edges</span>
    {% if served %}
    · <span class="nk-langs">Labels:
    {% for code, name in langs %}
      {% if code == view.lang %}<strong lang="{{ code }}" aria-current="true">{{ name }}</strong>
      {% else %}<a lang="{{ code }}" href="?{{ lang_query(code) }}">{{ name }}</a>{% endif %}
    {% endfor %}</span>
    {% else %}
    · neaspec-kg {{ version }}, graph {{ digest }}; this file opens offline.
    {% endif %}
  </p>
</header>
""")

_SIDE = _ENV.from_string("""
<aside class="nk-side">
  <section class="nk-legend" aria-labelledby="nk-legend-h">
    <h2 id="nk-legend-h">Legend</h2>
    <ul>
    {% for e in view.legend() %}
      <li><span class="nk-sym" style="color: {{ e.color }}">{{ e.symbol }}</span> {{ e.label }}
        <span class="nk-count">{{ e.count }}</span></li>
    {% endfor %}
    {% for e in view.edge_legend %}
      <li><span class="nk-line" style="background: {{ e.color }}"></span> {{ e.label }}</li>
    {% endfor %}
    </ul>
    <p class="nk-note">Size grows with the number of connections.</p>
  </section>
  <section id="nk-panel" class="nk-panel" aria-live="polite">
    <h2>Details</h2>
    <p class="nk-hint">Click a node (or a line) to see its facts with their sources.</p>
  </section>
</aside>
<script type="application/json" id="nk-data">{{ data }}</script>
""")


def _json_for_html(data: object) -> str:
    """JSON that is inert inside HTML: no "</script>", no comment or CDATA openers, no entities."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _network(view: View) -> Network:
    net = Network(height="100%", width="100%", bgcolor="#ffffff", heading="", cdn_resources="local")
    net.options = OPTIONS
    for n, d in view.graph.nodes(data=True):
        style = STYLES[d["kind"]]
        extra = {"borderWidth": 3, "color": {"background": style.color, "border": "#5a0b0b"}} \
            if d["kind"] == "shared" else {"color": style.color}
        net.add_node(n, label=d["label"], shape=style.shape, size=d["size"], **extra)
    for a, z, d in view.graph.edges(data=True):
        opts = {k: d[k] for k in ("id", "title", "width", "color", "dashes") if d.get(k) is not None}
        net.add_edge(a, z, **opts)
    return net


def _replace_once(text: str, pattern: str, repl: str, what: str, count: int = 1, flags: int = 0) -> str:
    """``re.subn`` that insists on finding exactly ``count`` matches: a changed pyvis template must fail
    here, loudly, rather than leave a CDN tag in the page."""
    out, n = re.subn(pattern, lambda _m: repl, text, flags=flags)
    if n != count:
        raise VizError(f"pyvis page: expected {count} {what}, found {n}; has the pyvis template changed?")
    return out


_CDN = {
    "https://cdnjs.cloudflare.com/ajax/libs/vis-network/9.1.2/dist/dist/vis-network.min.css":
        f"{VIS_URL}/{VIS_DIR}/vis-network.css",
    "https://cdnjs.cloudflare.com/ajax/libs/vis-network/9.1.2/dist/vis-network.min.js":
        f"{VIS_URL}/{VIS_DIR}/vis-network.min.js",
    "lib/bindings/utils.js": f"{VIS_URL}/bindings/utils.js",
}


def localise(page: str) -> str:
    """Point pyvis' CDN URLs at our copy of its bundled files, drop Bootstrap and the empty headings."""
    for cdn, local in _CDN.items():
        page = _replace_once(page, re.escape(cdn), local, f"reference to {cdn}")
    page = re.sub(r'<(link|script)\b[^>]*>', lambda m: re.sub(
        r'\s+(integrity|crossorigin|referrerpolicy)="[^"]*"', "", m.group(0)), page)
    page = _replace_once(page, r'<link\b[^>]*bootstrap[^>]*>', "", "Bootstrap stylesheet", flags=re.S)
    page = _replace_once(page, r'<script\b[^>]*bootstrap[^>]*>\s*</script>', "", "Bootstrap script", flags=re.S)
    page = _replace_once(page, r'<center>\s*<h1>\s*</h1>\s*</center>', "", "empty headings", count=2)
    return _replace_once(page, r"<!--.*?-->", "", "commented-out vis.js tags", flags=re.S)


def render(view: View, *, standalone: bool = False) -> str:
    """The page for ``view``: served (assets from this server) or standalone (everything inlined)."""
    links = Links(served=not standalone, lang=view.lang)
    page = localise(_network(view).generate_html())
    data = {"nodes": view.nodes, "edges": view.edges, "sources": view.sources, "initial": view.initial}

    def lang_query(code: str) -> str:
        return urlencode({**view.query, **({"lang": code} if code != "en" else {})})

    ctx: dict[str, Any] = {
        "view": view, "served": not standalone, "links": links, "langs": [(c, LANG_NAMES[c]) for c in LANGS],
        "lang_query": lang_query, "version": __version__, "views_url": VIEWS_URL, "css_file": CSS_FILE,
        "js_file": JS_FILE, "inline": standalone, "digest": view.digest or "unknown",
    }
    if standalone:
        css = (views_dir() / CSS_FILE).read_text(encoding="utf-8")
        js = (views_dir() / JS_FILE).read_text(encoding="utf-8")
        ctx |= {"css": _inert(css, "style"), "js": _inert(js, "script")}
    head = _HEAD.render(ctx)
    top = _TOP.render(ctx)
    side = _SIDE.render(ctx | {"data": Markup(_json_for_html(data))})
    page = _replace_once(page, r"^\s*<html>", f'<!DOCTYPE html>\n<html lang="{html.escape(view.lang)}">', "<html>")
    page = _replace_once(page, r"</head>", head + "</head>", "</head>")
    page = _replace_once(page, r"<body>", '<body class="nk-graph-page">' + top, "<body>")
    page = _replace_once(page, r'(?=<script type="text/javascript">\s*// initialize global variables)', side,
                         "pyvis drawing script")
    page = _replace_once(page, r"drawGraph\(\);\s*</script>", "drawGraph();\n              nkInit();\n</script>",
                         "drawGraph() call")
    if standalone:
        page = inline_assets(page)
    assert_offline(page)
    return page


def _inert(text: str, tag: str) -> Markup:
    """CSS or JS to inline verbatim in a <style>/<script> element; refuse text that would close it."""
    if f"</{tag}" in text.lower():
        raise VizError(f"cannot inline text containing </{tag}")
    return Markup(text)


def inline_assets(page: str) -> str:
    """Replace every reference to our served assets by the file's content (for the standalone file)."""
    def script(m: re.Match[str]) -> str:
        return f"<script>{_inert(_asset(m.group(1)), 'script')}</script>"

    def style(m: re.Match[str]) -> str:
        return f"<style>{_inert(_asset(m.group(1)), 'style')}</style>"

    page = re.sub(r'<script src="(' + re.escape(VIS_URL) + r'/[^"]+)"\s*>\s*</script>', script, page)
    return re.sub(r'<link rel="stylesheet" href="(' + re.escape(VIS_URL) + r'/[^"]+)"\s*/?>', style, page)


def _asset(url: str) -> str:
    path = (VIS_LIB_DIR / url.removeprefix(VIS_URL + "/")).resolve()
    if VIS_LIB_DIR not in path.parents:
        raise VizError(f"not a vis asset: {url}")
    return path.read_text(encoding="utf-8")


class _ResourceScan(HTMLParser):
    """Every URL-valued attribute of every element, and the CSS of the page (``<style>`` contents and
    ``style`` attributes): the only places a browser loads from. Text, scripts and their data are not looked
    at, so a user's words echoed on the page ("url(//example.org/x)") are never mistaken for a resource."""

    ATTRS: ClassVar[set[str]] = {"src", "href", "srcset", "action", "formaction", "poster", "data", "background",
                                 "manifest", "ping"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str, str]] = []
        self.css: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in self.ATTRS and value is not None:
                self.found.append((tag, name, value))
            if name == "style" and value:
                self.css.append(value)
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.css.append(data)


_EXTERNAL = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)


def assert_offline(page: str, *, allow_links: bool = False) -> None:
    """Raise VizError if the page would fetch anything from another host: any http(s) or
    protocol-relative ``src``/``href`` (links in ``<a>`` too, unless ``allow_links``: a Linked Data page
    links to the cited web sources, which a reader may follow but the browser never loads), or a CSS
    ``url(http...)``/``@import`` of one."""
    scan = _ResourceScan()
    scan.feed(page)
    scan.close()
    bad = [f"<{t} {n}={v!r}>" for t, n, v in scan.found
           if _EXTERNAL.match(v) and not (allow_links and t == "a" and n == "href")]
    css = "\n".join(scan.css)
    bad += re.findall(r"url\(\s*['\"]?\s*(?:https?:)?//[^)]*\)", css, re.IGNORECASE)
    bad += re.findall(r"@import\s+['\"](?:https?:)?//[^'\"]*['\"]", css, re.IGNORECASE)
    if bad:
        raise VizError("the page would load from outside this server: " + "; ".join(bad[:5]))


def write_standalone(analyst: Analyst, profiles: Profiles | None, kind: str, value: str | None,
                     path: str | Path, lang: str = "en", **options: Any) -> int:
    """Write one self-contained HTML file for a view (everything inlined, opens offline); return its size.

    ``kind`` is graph, overlap (``value`` = focus text), duplication or mechanism (``value`` = id);
    ``options`` go to the view (country, include_related, as_of for overlap; include_related, min_score
    for duplication). Unknown focus or mechanism raise UnknownFocusError / NotFoundError with suggestions.
    """
    profiles = profiles or Profiles(analyst.store, analyst.sources, analyst.focus)
    lang = lang if lang in LANGS else "en"
    view = build_view(analyst, profiles, kind, value, lang, Links(served=False, lang=lang), **options)
    data = render(view, standalone=True).encode("utf-8")
    Path(path).write_bytes(data)
    return len(data)
