"""``Builder``: what every view does while it is built (nodes, edges, facts with their sources, names in the
reader's language), so the four views in ``kinds`` only say what they show."""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import networkx as nx
from pydantic import BaseModel

from neaspec_kg.analysis import Analyst
from neaspec_kg.analysis.profiles import Profiles
from neaspec_kg.graph import select
from neaspec_kg.models_profiles import MechanismSummary
from neaspec_kg.namespaces import ID, local_id
from neaspec_kg.namespaces import country as country_iri
from neaspec_kg.views.links import LinkPolicy, safe_url
from neaspec_kg.views.model import View
from neaspec_kg.views.style import LEAD_KINDS, kind_of
from neaspec_kg.views.words import LANGS


class Builder:
    """Collects nodes, edges, facts and a de-duplicated source table for one view."""

    def __init__(self, analyst: Analyst, profiles: Profiles, lang: str, links: LinkPolicy) -> None:
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
        self.mechanisms: dict[str, MechanismSummary] = {m.iri: m for m in profiles.mechanisms()}

    # ---- labels

    def name(self, iri: str, english: str) -> str:
        """The label in the page's language, English where the graph has none in that language."""
        return self.names.get(iri, english)

    def mechanism_label(self, iri: str) -> str:
        """Mechanisms go by their acronym in English (short, and how the note names them); in another
        language by their name in that language where the graph has one."""
        m = self.mechanisms.get(iri)
        english = (m.acronym or m.label) if m else local_id(iri)
        return self.names.get(iri, english)

    # ---- sources

    def src(self, sources: Iterable[Mapping[str, Any] | BaseModel]) -> list[int]:
        """Indexes into the page's source table (each source once per page, however often cited); a source is
        a mapping or a model of one (``SourceRef``, ``SourceCitation``)."""
        out: list[int] = []
        for given in sources:
            s = given.model_dump(exclude_none=True) if isinstance(given, BaseModel) else given
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
                it(lab.label + (f" ({lab.lang})" if lab.lang else ""), src=self.src(lab.sources))
                for lab in p.labels if lab.kind in {"pref", "acronym"}]},
            {"name": "Kind", "items": [it(p.kind.label + (
                ", one of the subregional mechanisms of Table 2" if p.subregional else ""))]},
            {"name": "Established", "items": [it(c.value, src=self.src(c.sources))
                                              for c in p.established_claims]},
            {"name": "Members", "items": [
                it(f"{self.name(country_iri(m.id), m.label)}: {m.role}" + (f", since {m.since}" if m.since else ""),
                   iri=country_iri(m.id), src=self.src(m.sources)) for m in p.members]},
            {"name": "Secretariat", "items": [
                it(u.label + (f", hosted by {u.hosted_by.label or u.hosted_by.id}" if u.hosted_by else ""),
                   iri=ID + "secretariat/" + u.id, src=self.src(u.sources)) for u in p.secretariat]},
            {"name": "Governing bodies", "items": [
                it(u.label + (f" ({u.type})" if u.type else ""), src=self.src(u.sources))
                for u in p.governing_bodies]},
            {"name": "Focus areas", "items": [
                it(self.name(ID + "focus/" + f.id, f.label)
                   + (f": {', '.join(f.modalities)}" if f.modalities else "")
                   + (f" (through {', '.join(f.through)})" if f.through else ""),
                   iri=ID + "focus/" + f.id, src=self.src(f.sources)) for f in p.focus_areas]},
            {"name": "Platforms and plans", "items": [
                it(f"{c.acronym or c.label} ({c.type}" + (f", {' or '.join(c.established)}" if c.established else "")
                   + ")", iri=c.iri, src=self.src(c.sources)) for c in p.components]},
            {"name": "Engagements", "items": [
                it(f"{', '.join(e.types)} with {e.counterpart_label if e.party == p.id else e.party}"
                   f" ({e.status.lower()})" + (f", via {e.via}" if e.via else "")
                   + (f". Limitation: {e.limitation}" if e.limitation else ""),
                   iri=ID + "engagement/" + e.id, src=self.src(e.sources)) for e in p.engagements]},
            {"name": "As Table 2 of the note states it", "items": [
                it(f"{k.removeprefix('stated')}: {v}") for k, v in p.stated_in_table_2.items()]},
            *(extra or []),
        ]
        self.card(iri, "Mechanism" if p.subregional else "Related mechanism", facts, name=self.name(iri, p.label))

    def country_card(self, iri: str) -> None:
        """Names, codes and the mechanisms a country takes part in, with role, date and sources."""
        p = self.profiles.country(local_id(iri))
        it = self.item
        codes = f"ISO 3166-1 {p.id} / {p.iso3166_alpha2}" + (f" / {p.iso3166_numeric}" if p.iso3166_numeric else "")
        facts = [
            {"name": "Names", "items": [it(lab.label + (f" ({lab.lang})" if lab.lang else ""),
                                           src=self.src(lab.sources)) for lab in p.labels if lab.kind == "pref"]},
            {"name": "Codes", "items": [it(codes)] + ([it("NEASPEC member State")] if p.neaspec_member_state else [])},
            {"name": "Takes part in", "items": [
                it(f"{self.mechanism_label(ID + 'mechanism/' + m.id)}: {m.role}"
                   + (f", since {m.since}" if m.since else ""), iri=ID + "mechanism/" + m.id, src=self.src(m.sources))
                for m in p.mechanisms]},
        ]
        self.card(iri, "Country", facts, name=self.name(iri, p.label))

    def focus_card(self, iri: str, worked_on: list[dict[str, Any]]) -> None:
        if not iri.startswith(ID + "focus/"):  # a target species: its name and who works on it
            label = str(self.g.nodes[iri].get("label", local_id(iri)))
            self.card(iri, "Species", [{"name": "Worked on by", "items": worked_on}], name=label)
            return
        p = self.profiles.focus_area(local_id(iri))
        it = self.item
        facts = [
            {"name": "Other labels", "items": [it(a.label + (f" ({a.lang})" if a.lang else "")) for a in p.alt_labels]},
            {"name": "Broader", "items": [it(self.name(ID + "focus/" + b.id, b.label), iri=ID + "focus/" + b.id)
                                          for b in p.broader]},
            {"name": "Narrower", "items": [it(self.name(ID + "focus/" + n.id, n.label), iri=ID + "focus/" + n.id)
                                           for n in p.narrower]},
            {"name": "Worked on by", "items": worked_on},
        ]
        self.card(iri, p.kind.capitalize(), facts, name=self.name(iri, p.label))

    def view(self, kind: str, title: str, intro: str, initial: str | None = None,
             query: dict[str, str] | None = None) -> View:
        """Finish: sizes by degree, edge ids, and the JSON-ready facts."""
        for n, d in self.g.nodes(data=True):
            d["size"] = round(12 + 6 * math.sqrt(self.g.degree(n)), 1)
            if n in self.nodes:  # for the page's script: the legend's filters, and which labels lead at first
                self.nodes[n] |= {"style": d["kind"], "lead": d["kind"] in LEAD_KINDS}
        edges: dict[str, dict[str, Any]] = {}
        for i, (a, b, d) in enumerate(self.g.edges(data=True)):
            d["id"] = f"e{i}"
            info = self.edges.get(frozenset((a, b)), {"facts": []})
            edges[d["id"]] = {**info, "title": d["title"],
                              "between": [self.g.nodes[a]["label"], self.g.nodes[b]["label"]]}
        return View(kind=kind, title=title, intro=intro, lang=self.lang, graph=self.g, nodes=self.nodes,
                    edges=edges, sources=self.sources, initial=initial, query=query or {},
                    digest=str(getattr(self.store, "digest", ""))[:12])
