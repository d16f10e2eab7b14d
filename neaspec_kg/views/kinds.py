"""The four graph views: the whole graph, the overlap on a focus, duplication between mechanisms, and one
mechanism. Each reads the analysis answers (never its own SPARQL for what an analysis already answers) and
says only what it shows; ``Builder`` does the bookkeeping. ``VIEWS`` is the registry the routes and the CLI
read."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from neaspec_kg import network
from neaspec_kg.analysis import LEVEL_LABELS, Analyst
from neaspec_kg.analysis.profiles import Profiles
from neaspec_kg.graph import select
from neaspec_kg.models import PairAnswer
from neaspec_kg.namespaces import ID, local_id
from neaspec_kg.namespaces import country as country_iri
from neaspec_kg.store import text
from neaspec_kg.views.builder import Builder
from neaspec_kg.views.links import FileLinks, LinkPolicy
from neaspec_kg.views.model import View
from neaspec_kg.views.offline import VizError
from neaspec_kg.views.style import EDGE_COLOUR, ENGAGEMENT_COLOUR, LEVEL_COLOURS, kind_of
from neaspec_kg.views.words import N_, english


def whole_view(analyst: Analyst, profiles: Profiles, lang: str = "en", links: LinkPolicy | None = None) -> View:
    """Every mechanism (Table 2 and related), the countries in them, the focus areas they work on with
    the thematic areas above, and the organisations hosting their secretariats."""
    b = Builder(analyst, profiles, lang, links or FileLinks(lang=lang))
    store = analyst.store
    for iri, prof in b.mechanisms.items():
        b.node(iri, "mechanism" if prof.subregional else "related", b.mechanism_label(iri),
               f"{b.mechanism_label(iri)}\n{b.name(iri, prof.label)}\n{prof.kind.label}")
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
        modalities = text(r, "modalities") or ""
        src = b.src_iris(r["sources"].value)
        b.edge(m, f, f"{b.mechanism_label(m)} works on {label}" + (f" ({modalities})" if modalities else ""), src)
        worked_on.setdefault(f, []).append(b.item(
            f"{b.mechanism_label(m)}" + (f": {modalities}" if modalities else ""), iri=m, src=src))
    _add_broader(b, worked_on)
    hosts: dict[str, list[dict[str, Any]]] = {}
    for r in select(store, "secretariats", {"include_related": True}):
        m, unit = r["mechanism"].value, r["unit"].value
        host = text(r, "host")  # the host, its label and sources are bound together (one OPTIONAL)
        where = host or unit
        label = b.name(where, r["hostLabel"].value if host else r["unitLabel"].value)
        kind = "organisation" if host else "secretariat"
        b.node(where, kind, label, f"{label}\n{'hosts a secretariat' if host else 'secretariat'}")
        src = b.src_iris(r["sources"].value.split() + (r["hostSources"].value.split() if host else []))
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
    n_sub = sum(1 for m in b.mechanisms.values() if m.subregional)
    view = b.view("graph", N_("The whole graph"),
                  N_("%(n)s mechanisms (%(n_sub)s subregional ones of Table 2 and %(n_rel)s related conventions and "
                     "partnerships), the countries taking part in them, the focus areas they work on under their "
                     "thematic areas, and the organisations hosting their secretariats. Click a node for its facts "
                     "and their sources."))
    view.intro_args = {"n": len(b.mechanisms), "n_sub": n_sub, "n_rel": len(b.mechanisms) - n_sub}
    return view


def _add_broader(b: Builder, worked_on: dict[str, list[dict[str, Any]]]) -> None:
    """Link each focus area drawn to its broader concepts, up to the thematic areas (the thesaurus'
    top concepts), so the picture groups focus areas by theme as paragraph 36 of the note does."""
    broader: dict[str, set[str]] = {}
    info: dict[str, tuple[str, bool]] = {}
    for r in select(b.store, "focus-tree"):
        c = r["concept"].value
        info[c] = (r["label"].value, r["isTheme"].to_python() is True)
        broader.setdefault(c, set())
        if (up := text(r, "broader")) is not None:
            broader[c].add(up)
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
                 include_related: bool = False, as_of: str | None = None, links: LinkPolicy | None = None) -> View:
    """The mechanisms working on ``focus`` (or anything narrower), the focus areas they matched with the kind of
    evidence, their members, and the engagements among them; members of two or more of them are highlighted.
    Planned and proposed work is drawn dashed and labelled as such, never as delivered."""
    b = Builder(analyst, profiles, lang, links or FileLinks(lang=lang))
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
    title = N_("Overlap on %(names)s")
    n, k = len(res.mechanisms), len(shared)
    parts: list[tuple[str, dict[str, Any]]] = [
        (N_("1 mechanism works on %(names)s or a narrower focus;") if n == 1
         else N_("%(n)s mechanisms work on %(names)s or a narrower focus;"), {"n": n, "names": names}),
        (N_("1 country is a member of two or more of them (highlighted).") if k == 1
         else N_("%(n)s countries are members of two or more of them (highlighted)."), {"n": k}),
        (N_("Dashed lines are recorded engagements between them, or work that is only planned or proposed."), {}),
        *([(N_("Only work %(country)s takes part in."), {"country": country})] if country else []),
        *([(N_("Members as of %(date)s."), {"date": as_of})] if as_of else []),
    ]
    intro = " ".join(english(m, **a) for m, a in parts)
    query = {"focus": focus} | ({"country": country} if country else {}) | (
        {"include_related": "true"} if include_related else {}) | ({"as_of": as_of} if as_of else {})
    view = b.view("overlap", title, intro, query=query)
    view.title_args, view.intro_parts = {"names": names}, parts
    return view


def _mechanism_iri(ident: str) -> str:
    """A mechanism's IRI from its IRI or its id (pairs and projections have used both)."""
    return ident if ident.startswith(ID) else ID + "mechanism/" + ident


def duplication_view(analyst: Analyst, profiles: Profiles, lang: str = "en", *, include_related: bool = False,
                     min_score: float | None = None, links: LinkPolicy | None = None) -> View:
    """Mechanism to mechanism: edge width by duplication score, colour by level (paragraph 36), and a tooltip
    that explains the level in plain words with its evidence and the note's own judgements."""
    b = Builder(analyst, profiles, lang, links or FileLinks(lang=lang))
    pairs = analyst.duplication(include_related=include_related, min_score=min_score or 0.0, limit=None).pairs
    og = network.overlap_graph(pairs)
    by_pair = {frozenset((p.a.iri, p.b.iri)): p for p in pairs}
    for n in og.nodes:
        label = b.mechanism_label(n)
        m = b.mechanisms.get(n)
        b.node(n, "mechanism" if m and m.subregional else "related", label,
               f"{label}\n{b.name(n, m.label) if m else ''}")
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
    view = b.view("duplication", N_("Duplication between mechanisms"),
                  N_("%(n)s pairs of mechanisms meet on a focus area or are judged by the note. A "
                     "line's width is the score and its colour the level; hover or click a line for the explanation. "
                     "Paragraph 36 of the note asks to tell thematic areas from focus areas: sharing a theme with a "
                     "different focus, kind of activity or scope is complementarity, not duplication."),
                  query=({"include_related": "true"} if include_related else {})
                  | ({"min_score": str(min_score)} if min_score is not None else {}))
    view.intro_args = {"n": og.number_of_edges()}
    view.edge_legend = [{"label": LEVEL_LABELS[level], "color": LEVEL_COLOURS[level]} for level in LEVEL_COLOURS]
    return view


def score_tooltip(p: PairAnswer) -> str:
    """The level and score of a pair with the plain-words explanation (as plain text)."""
    c = p.components
    return (f"{p.a.acronym or p.a.label} – {p.b.acronym or p.b.label}: {p.level_label}, score {p.score:.3f}\n"
            f"score = focus {c['focus']:.2f} × activity {c['activity']:.2f} × evidence {c['evidence']:.2f} "
            f"× countries {c['countries']:.2f} × coordination {c['coordination']:.2f}\n\n{p.explanation}")


def mechanism_view(analyst: Analyst, profiles: Profiles, ident: str, lang: str = "en",
                   links: LinkPolicy | None = None) -> View:
    """One mechanism with its members, platforms and plans, secretariat (and host) and engagements: its profile
    (``Profiles.mechanism``, what ``/mechanisms/{id}`` serves) drawn, so the picture and the REST answer cannot
    say different things."""
    b = Builder(analyst, profiles, lang, links or FileLinks(lang=lang))
    p = profiles.mechanism(ident)
    iri = p.iri
    label = b.mechanism_label(iri)
    b.node(iri, "mechanism" if p.subregional else "related", label, f"{label}\n{b.name(iri, p.label)}")
    for m in p.members:
        c = country_iri(m.id)
        clabel = b.name(c, m.label)
        b.node(c, "country", clabel, f"{clabel}\n{m.id}")
        b.edge(iri, c, f"{clabel}: {m.role}" + (f" since {m.since}" if m.since else ""),
               b.src(m.sources), dashes=m.role == "observer" or None)
    components: dict[str, list[dict[str, Any]]] = {}
    for comp in p.components:
        c = comp.iri
        clabel = b.name(c, comp.acronym or comp.label)
        b.node(c, "component", clabel, f"{clabel}\n{comp.label}\n{comp.type}")
        src = b.src(comp.sources)
        b.edge(iri, c, f"{clabel} is a {comp.type} of {label}", src)
        components[c] = [
            {"name": "Part of", "items": [b.item(f"{label}, as a {comp.type}", iri=iri, src=src)]},
            {"name": "Name", "items": [b.item(comp.label)]},
            {"name": "Established", "items": [b.item(" or ".join(comp.established), src=src)]
             if comp.established else []}]
    units: dict[str, list[dict[str, Any]]] = {}
    for unit in p.secretariat:  # a secretariat with two hosts comes twice, once with each
        u = SECRETARIAT + unit.id
        ulabel = b.name(u, unit.label)
        src = b.src(unit.sources)
        b.node(u, "secretariat", ulabel, f"{ulabel}\nsecretariat of {label}")
        b.edge(iri, u, f"secretariat of {label}", src)
        units.setdefault(u, []).append(b.item(f"Secretariat of {label}", iri=iri, src=src))
        if unit.hosted_by:
            h = ORGANISATION + unit.hosted_by.id
            hlabel = b.name(h, unit.hosted_by.label)
            b.node(h, "organisation", hlabel, f"{hlabel}\nhosts the secretariat of {label}")
            b.edge(u, h, f"{ulabel} is hosted by {hlabel}")
            units[u].append(b.item(f"Hosted by {hlabel}", iri=h))
            units.setdefault(h, []).append(b.item(f"Hosts {ulabel}", iri=u))
    engagements: dict[str, list[dict[str, Any]]] = {}
    for e in p.engagements:
        e_iri = ENGAGEMENT + e.id
        party, counterpart = _engagement_parties(b, e_iri, e.party, e.counterpart)
        other, other_label = ((counterpart, e.counterpart_label) if party == iri
                              else (party, _english_label(b, party)))
        kind = kind_of(other)
        olabel = b.mechanism_label(other) if kind == "mechanism" else b.name(other, other_label)
        node_kind = {"country": "country", "organisation": "organisation", "component": "component"}.get(kind, "other")
        if kind == "mechanism":
            node_kind = "mechanism" if other in b.mechanisms and b.mechanisms[other].subregional else "related"
        b.node(other, node_kind, olabel, f"{olabel}\n{other_label}")
        src = b.src(e.sources)
        by = b.mechanism_label(party) if kind_of(party) == "mechanism" else _english_label(b, party)
        text = (f"{by} → {olabel if party == iri else label}: {', '.join(e.types)} ({e.status.lower()})")
        b.edge(iri, other, text, src, dashes=True, color=ENGAGEMENT_COLOUR)
        engagements.setdefault(other, []).append(b.item(
            text + (f", via {e.via}" if e.via else "") + (f". Limitation: {e.limitation}" if e.limitation else ""),
            iri=e_iri, src=src))
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
    view = b.view("mechanism", N_("%(name)s: members, platforms, secretariat and engagements"),
                  N_("%(name)s: its %(members)s membership records, %(components)s platforms and plans, secretariat "
                     "and %(engagements)s recorded engagements. Dashed lines are engagements (or observer roles). "
                     "Click a node for its facts and their sources."), initial=iri)
    view.title_args = {"name": label}
    view.intro_args = {"name": b.name(iri, p.label), "members": len(p.members),
                       "components": len(p.components), "engagements": len(p.engagements)}
    return view


#: where the project mints the IRIs a profile names by id only (``neaspec_kg.views.style.kind_of`` reads them back)
SECRETARIAT, ORGANISATION, ENGAGEMENT = ID + "secretariat/", ID + "org/", ID + "engagement/"


def _engagement_parties(b: Builder, engagement: str, party: str, counterpart: str) -> tuple[str, str]:
    """The IRIs of an engagement's two sides: the profile gives ids, the analysis index the same engagement's
    IRIs (an id alone does not say whether it names a mechanism, a platform, a country or an organisation)."""
    known = b.analyst.index.engagement_by_iri.get(engagement)
    if known is not None:
        return known.party, known.counterpart
    return _unit_iri(b, party), _unit_iri(b, counterpart)


def _unit_iri(b: Builder, ident: str) -> str:
    unit = b.analyst.index.unit(ident)
    if unit is not None:
        return unit.iri
    c = country_iri(ident)
    return c if c in b.analyst.index.country_labels else ORGANISATION + ident


def _english_label(b: Builder, iri: str) -> str:
    """The English name of an engagement's party (the profile names only the counterpart)."""
    if iri in b.mechanisms:
        return b.mechanisms[iri].label
    unit = b.analyst.index.units.get(iri)
    return unit.label if unit else b.analyst.index.country_labels.get(iri, local_id(iri))


#: the views by name, as the routes and ``neaspec-kg viz`` name them: (builder, what ``value`` is, or None)
VIEWS: dict[str, tuple[Callable[..., View], str | None]] = {
    "graph": (whole_view, None),
    "overlap": (overlap_view, "a focus (free text, id or IRI)"),
    "duplication": (duplication_view, None),
    "mechanism": (mechanism_view, "a mechanism id"),
}
VIEW_KINDS = tuple(VIEWS)


def build_view(analyst: Analyst, profiles: Profiles, kind: str, value: str | None = None, lang: str = "en",
               links: LinkPolicy | None = None, **options: Any) -> View:
    """Build the view ``kind`` (see ``VIEWS``); ``value`` is the focus or the mechanism id where it needs one."""
    if kind not in VIEWS:
        raise VizError(f"unknown view {kind!r}; one of {', '.join(VIEW_KINDS)}")
    builder, needs = VIEWS[kind]
    if needs is None:
        return builder(analyst, profiles, lang, links=links, **options)
    if not value:
        raise VizError(f"the {kind} view needs {needs}")
    return builder(analyst, profiles, value, lang, links=links, **options)
