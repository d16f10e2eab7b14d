"""Profiles of mechanisms, countries and focus areas, each fact with its sources, as the typed answers of
``neaspec_kg.models_profiles``.

These are what the REST API serves, the CLI prints and the views show. Unknown ids raise ``NotFoundError`` with the
closest known ids, so a typo gets a helpful 404 rather than an empty answer.
"""
from __future__ import annotations

import difflib
from typing import cast

from neaspec_kg.analysis.focus import FocusResolver, normalise
from neaspec_kg.errors import NeaspecKgError
from neaspec_kg.graph import select
from neaspec_kg.index.sources import Source, SourceIndex
from neaspec_kg.models_profiles import (
    AltLabel,
    Claim,
    Component,
    ComponentType,
    CountryDetail,
    CountrySummary,
    FocusBrief,
    FocusConcept,
    FocusDetail,
    FocusNode,
    FocusOfMechanism,
    Host,
    KindRef,
    Label,
    LabelKind,
    MechanismDetail,
    MechanismEngagement,
    MechanismOfCountry,
    MechanismSummary,
    MemberOfMechanism,
    SourceCitation,
    SourcedLabel,
    StatedKey,
    StructureUnit,
)
from neaspec_kg.namespaces import ID, NK, local_id
from neaspec_kg.store import Row, Rows, SparqlStore, text

#: the Table 2 cells of a mechanism's row, as ``mechanism-profile`` gives them (by property IRI)
STATED: tuple[StatedKey, ...] = ("statedMembers", "statedGovernance", "statedSecretariat", "statedFocusAreas")


class NotFoundError(NeaspecKgError):
    """No resource with this id; ``suggestions`` are the closest known ids, ``{"id": ..., "label": ...}``: plain
    dicts because the web layer puts them into the 404 problem document as they are."""

    def __init__(self, kind: str, ident: str, suggestions: list[dict[str, str]]) -> None:
        self.kind = kind
        self.ident = ident
        self.suggestions = suggestions
        near = ", ".join(s["id"] for s in suggestions) or "none"
        super().__init__(f"no {kind} {ident!r}; closest known: {near}")


def _split(row: Row, key: str, sep: str = " ") -> list[str]:
    """The values of a GROUP_CONCAT, sorted: SPARQL leaves their order to the store, and two stores must give
    the same answer.

    Only where splitting cannot cut a value: establishment years and dates (``xsd:gYear``/``xsd:date`` lexical
    forms hold no space) in the list queries, whose rows are one mechanism or platform each. Lists of words
    (modalities, the sources' text, engagement types, alternative labels) come one value a row (``_by_item``,
    ``_focus_index``); lists of source IRIs (which hold no space either) are read by ``SourceIndex.many``."""
    return sorted(x for x in row[key].value.split(sep) if x) if key in row else []


def _by_item(rows: Rows) -> list[tuple[Row, dict[str, list[str]]]]:
    """The rows of a one-value-a-row query (``?field ?value`` beside an item's own columns) grouped by every
    other column, in the query's order: each item's first row (its single values) and each field's values,
    distinct and sorted (SPARQL leaves their order to the store, and two stores must give the same answer)."""
    items: dict[tuple[tuple[str, str], ...], tuple[Row, dict[str, set[str]]]] = {}
    for r in rows:
        key = tuple((k, t.value) for k, t in sorted(r.items()) if k not in {"field", "value"})
        items.setdefault(key, (r, {}))[1].setdefault(r["field"].value, set()).add(r["value"].value)
    return [(first, {f: sorted(v) for f, v in fields.items()}) for first, fields in items.values()]


def _suggest(ident: str, known: dict[str, str]) -> list[dict[str, str]]:
    """Closest ids by spelling, also matching against labels (``known`` maps id to label)."""
    key = normalise(ident)
    by_norm = {normalise(k): k for k in known} | {normalise(v): k for k, v in known.items()}
    hits = difflib.get_close_matches(key, list(by_norm), n=8, cutoff=0.5)
    ids: list[str] = []
    for h in hits:
        if by_norm[h] not in ids:
            ids.append(by_norm[h])
    return [{"id": i, "label": known[i]} for i in ids[:5]]


def cite(sources: list[Source]) -> list[SourceCitation]:
    """Sources as the profiles cite them (the fields a source lacks are left out of the JSON)."""
    return [SourceCitation(iri=s.iri, label=s.label, kind=s.kind, locator=s.locator or None, url=s.url or None,
                           secondary=s.secondary if s.url else None) for s in sources]


class Profiles:
    """Read-only views over one store; list answers are read once and kept (the graph never changes)."""

    def __init__(self, store: SparqlStore, sources: SourceIndex, focus: FocusResolver) -> None:
        self.store = store
        self.sources = sources
        self.focus = focus
        self._mechanisms = [self._mechanism_summary(r) for r in select(store, "mechanisms")]
        self._countries = [self._country_summary(r) for r in select(store, "countries")]
        self._focus_nodes: dict[str, FocusConcept] | None = None
        self._focus_broader: dict[str, set[str]] = {}

    # ------------------------------------------------------------------ lists

    def mechanisms(self) -> list[MechanismSummary]:
        return self._mechanisms

    def countries(self) -> list[CountrySummary]:
        return self._countries

    def _mechanism_summary(self, r: Row) -> MechanismSummary:
        return MechanismSummary(
            id=local_id(r["mechanism"].value), iri=r["mechanism"].value, acronym=text(r, "acronym"),
            label=r["label"].value, kind=KindRef(id=local_id(r["kind"].value), label=r["kindLabel"].value),
            subregional=r["subregional"].to_python() is True, established=_split(r, "established"),
            member_count=int(r["members"].to_python()))

    def _country_summary(self, r: Row) -> CountrySummary:
        return CountrySummary(
            id=r["iso3"].value, iri=r["country"].value, label=r["label"].value,
            iso3166_alpha2=r["iso2"].value, iso3166_numeric=text(r, "numeric"), wikidata=text(r, "wikidata"),
            neaspec_member_state=r["neaspecMember"].to_python() is True,
            mechanism_count=int(r["mechanisms"].to_python()))

    # ------------------------------------------------------------------ one mechanism

    def mechanism(self, ident: str, *, as_of: str | None = None) -> MechanismDetail:
        ident = ident.strip().lower()
        summary = next((m for m in self._mechanisms if m.id == ident), None)
        if summary is None:
            raise NotFoundError("mechanism", ident, _suggest(ident, {m.id: m.acronym or m.label
                                                                    for m in self._mechanisms}))
        iri = summary.iri
        params = {"mechanism": iri}
        members = select(self.store, "mechanism-members", {**params, "as_of": as_of})
        structure = select(self.store, "mechanism-structure", params)
        work = _by_item(select(self.store, "mechanism-work-areas", params))
        components = select(self.store, "mechanism-components", params)
        engagements = _by_item(select(self.store, "mechanism-engagement-values", params))
        profile = {p["property"].value: p for p in select(self.store, "mechanism-profile", params)}
        stated = {local: profile[NK + local] for local in STATED if NK + local in profile}
        return MechanismDetail(
            **dict(summary),
            labels=self._labels(iri),
            established_claims=self._claims(iri, "established"),
            website=[p["value"].value for k, p in profile.items() if k.endswith("#website")],
            stated_in_table_2={local: r["value"].value for local, r in stated.items()},
            stated_sources={local: self._src(r) for local, r in stated.items()},
            members=[MemberOfMechanism(
                id=r["iso3"].value, label=r["label"].value, role=r["roleLabel"].value.lower(),
                since=text(r, "since"), sources=self._src(r)) for r in members],
            secretariat=[self._unit(r) for r in structure if r["role"].value == "secretariat"],
            governing_bodies=[self._unit(r) for r in structure if r["role"].value == "governing body"],
            focus_areas=[FocusOfMechanism(
                id=local_id(r["focus"].value), label=r["focusLabel"].value,
                themes=[local_id(t) for t in values.get("theme", [])], modalities=values.get("modality", []),
                through=values.get("through", []), stated_as=values.get("stated", []),
                sources=cite(self.sources.many(values.get("source")))) for r, values in work],
            components=[Component(
                id=local_id(r["component"].value), iri=r["component"].value, acronym=text(r, "acronym"),
                label=r["label"].value, type=cast(ComponentType, r["class"].value),
                established=_split(r, "established"), sources=self._src(r)) for r in components],
            engagements=[MechanismEngagement(
                id=local_id(r["engagement"].value), party=local_id(r["party"].value),
                counterpart=local_id(r["counterpart"].value), counterpart_label=r["counterpartLabel"].value,
                types=values.get("type", []), status=r["statusLabel"].value, via=text(r, "viaLabel"),
                stated_as=values.get("stated", []), limitation=" | ".join(values.get("limitation", [])) or None,
                sources=cite(self.sources.many(values.get("source")))) for r, values in engagements],
        )

    def _labels(self, iri: str) -> list[SourcedLabel]:
        return [SourcedLabel(label=r["label"].value, lang=r["lang"].value or None,
                             kind=cast(LabelKind, r["kind"].value), sources=self._src(r))
                for r in select(self.store, "labels", {"resource": iri})]

    def _claims(self, iri: str, local: str) -> list[Claim]:
        rows = select(self.store, "fact-provenance", {"subject": iri, "predicate": NK + local})
        claims: dict[str, list[str]] = {}
        for r in rows:
            claims.setdefault(r["object"].value, []).append(r["source"].value)
        return [Claim(value=v, sources=cite(self.sources.many(srcs))) for v, srcs in claims.items()]

    def _unit(self, r: Row) -> StructureUnit:
        return StructureUnit(
            id=local_id(r["unit"].value), label=r["label"].value, sources=self._src(r),
            # host and its label, type and its label: bound together (one OPTIONAL each in the query)
            hosted_by=Host(id=local_id(host), label=r["hostLabel"].value) if (host := text(r, "host")) else None,
            type=text(r, "typeLabel") if text(r, "type") else None)

    def _src(self, r: Row) -> list[SourceCitation]:
        return cite(self.sources.many(text(r, "sources")))

    # ------------------------------------------------------------------ one country

    def country(self, code: str, *, as_of: str | None = None) -> CountryDetail:
        code = code.strip().upper()
        summary = next((c for c in self._countries if c.id == code), None)
        if summary is None:
            raise NotFoundError("country", code, _suggest(code, {c.id: c.label for c in self._countries}))
        rows = select(self.store, "country-mechanisms", {"country": code, "as_of": as_of})
        return CountryDetail(
            **dict(summary),
            labels=self._labels(summary.iri),
            mechanisms=[MechanismOfCountry(
                id=local_id(r["mechanism"].value), acronym=text(r, "acronym"), label=r["label"].value,
                subregional=r["subregional"].to_python() is True, role=r["roleLabel"].value.lower(),
                since=text(r, "since"), sources=self._src(r)) for r in rows],
        )

    # ------------------------------------------------------------------ focus areas

    def _focus_index(self) -> tuple[dict[str, FocusConcept], dict[str, set[str]]]:
        """Concepts by id and each concept's broader ids, read once from the focus-tree query (a row per
        broader concept and alternative label)."""
        if self._focus_nodes is None:
            first: dict[str, Row] = {}
            broader: dict[str, set[str]] = {}
            alts: dict[str, set[tuple[str, str]]] = {}
            for r in select(self.store, "focus-tree"):
                cid = local_id(r["concept"].value)
                first.setdefault(cid, r)
                broader.setdefault(cid, set())
                alts.setdefault(cid, set())
                if (up := text(r, "broader")) is not None:
                    broader[cid].add(local_id(up))
                if (alt := r.get("altLabel")) is not None:
                    alts[cid].add((alt.value, alt.lang or ""))
            self._focus_nodes = {cid: FocusConcept(
                id=cid, iri=r["concept"].value, label=r["label"].value,
                kind="thematic area" if r["isTheme"].to_python() is True else "focus area",
                # in the order the profiles have always given them: by "label@lang"
                alt_labels=[AltLabel(label=label, lang=lang or None)
                            for label, lang in sorted(alts[cid], key=lambda a: f"{a[0]}@{a[1]}")],
                mechanism_count=int(r["mechanisms"].to_python())) for cid, r in first.items()}
            self._focus_broader = broader
        return self._focus_nodes, self._focus_broader

    def focus_tree(self) -> list[FocusNode]:
        """Thematic areas with their focus areas nested beneath (a concept with two broader concepts
        appears under both, as in the thesaurus)."""
        nodes, broader = self._focus_index()

        def tree(cid: str) -> FocusNode:
            kids = sorted((k for k, b in broader.items() if cid in b), key=lambda k: nodes[k].label)
            return FocusNode(**dict(nodes[cid]), narrower=[tree(k) for k in kids])

        return [tree(cid) for cid, n in sorted(nodes.items(), key=lambda kv: kv[1].label)
                if n.kind == "thematic area"]

    def focus_area(self, ident: str) -> FocusDetail:
        nodes, broader = self._focus_index()
        cid = local_id(ident.strip()) if ident.startswith(ID) else ident.strip().lower()
        if cid not in nodes:
            raise NotFoundError("focus area", ident, [{"id": s.concept.id, "label": s.label}
                                                     for s in self.focus.suggest(ident)])

        def brief(k: str) -> FocusBrief:
            return FocusBrief(id=k, label=nodes[k].label, kind=nodes[k].kind)

        return FocusDetail(
            **dict(nodes[cid]),
            labels=[Label(label=r["label"].value, lang=r["lang"].value or None, kind=cast(LabelKind, r["kind"].value))
                    for r in select(self.store, "labels", {"resource": nodes[cid].iri})],
            broader=[brief(b) for b in sorted(broader[cid])],
            narrower=[brief(k) for k, b in sorted(broader.items()) if cid in b],
        )
