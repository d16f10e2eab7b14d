"""The analysis index: a compact, materialised picture of who works on what, with whom, where and since when.

Built once per store from a handful of extraction queries (``queries/index-*.rq``), so it works over any SPARQL
store, remote ones included, and read by every analysis (overlap, duplication, proposal checks). It holds:

- the thesaurus as a walkable graph (:class:`Thesaurus`);
- every mechanism and component (platform, plan) with the mechanism it belongs to;
- memberships as each source states them, with dates as periods (:mod:`neaspec_kg.index.periods`), and each
  platform's own country coverage;
- every piece of evidence that a mechanism works on a concept, classified into an *evidence kind*;
- per mechanism and concept, the strongest evidence kind and the union of modalities (the *profile*), and the
  same as a dense numpy matrix so that candidate pairs are found with one vectorised pass;
- engagements, the note's own judgements and the proposals.

Explanations use the same index; nothing here runs SPARQL after construction.
"""
from __future__ import annotations

import contextlib
import gc
import os
import re
import sys
import weakref
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Protocol, TypeVar

import numpy as np

from neaspec_kg.graph import select_table
from neaspec_kg.index.claims import Claim, ClaimTable
from neaspec_kg.index.compact import ByFields
from neaspec_kg.index.periods import DateError, Period
from neaspec_kg.index.sources import SourceIndex
from neaspec_kg.index.thesaurus import Concept, Thesaurus
from neaspec_kg.models import CountryRef, SourceRef, UnitRef
from neaspec_kg.namespaces import ID, local_id
from neaspec_kg.store import SparqlStore, Table


class _Sourced(Protocol):
    sources: set[str]


_G = TypeVar("_G", bound=_Sourced)

__all__ = ["EVIDENCE_KINDS", "AnalysisIndex", "Claim", "Concept", "EvidenceItem", "Thesaurus", "Unit", "cached_index"]

#: evidence kinds, strongest first. The first six are delivered work; planned work and proposals never are.
EVIDENCE_KINDS: tuple[str, ...] = ("stated-focus", "programme", "platform", "delivered-activity",
                                   "partial-activity", "engagement", "planned", "proposal")
KIND_LABELS = {
    "stated-focus": "stated focus area",
    "programme": "programme area of its strategic plan",
    "platform": "focus of one of its platforms or plans",
    "delivered-activity": "planned activity implemented fully or substantially",
    "partial-activity": "planned activity implemented partially or minimally",
    "engagement": "focus of an engagement with another mechanism",
    "planned": "planned or potential work, not delivered",
    "proposal": "proposed for a future plan, not adopted",
}
DELIVERED = frozenset(EVIDENCE_KINDS[:6])
RANK = {k: i for i, k in enumerate(EVIDENCE_KINDS)}

_LEVEL_KIND = {"fully": "delivered-activity", "substantially": "delivered-activity",
               "partially": "partial-activity", "minimally": "partial-activity"}
_NO_SOURCE = type("NoSource", (), {"kind": ""})()
_STATUS_KIND = {"realised": "engagement", "ongoing": "engagement", "explored": "planned", "suggested": "proposal"}


@dataclass(frozen=True, slots=True)
class Unit(ByFields):
    iri: str
    type: str  # mechanism | platform | plan
    label: str
    acronym: str | None
    owner: str  # the mechanism it belongs to (itself for a mechanism)
    subregional: bool
    wider: str | None
    established: Period | None

    @property
    def id(self) -> str:
        return local_id(self.iri)

    @property
    def name(self) -> str:
        return self.acronym or self.label

    def ref(self) -> UnitRef:
        return UnitRef(id=self.id, iri=self.iri, label=self.label, acronym=self.acronym,
                       type=self.type,  # type: ignore[arg-type]
                       part_of=None if self.owner == self.iri else local_id(self.owner), subregional=self.subregional)


@dataclass(slots=True)
class EvidenceItem(ByFields):
    item: str
    form: str
    owner: str
    kind: str
    via: str | None
    scope: str = ""  # the unit whose countries this work covers: its platform, its area's platform, or the owner
    concepts: set[str] = field(default_factory=set)
    modalities: set[str] = field(default_factory=set)
    level: str | None = None
    status: str | None = None
    text: str | None = None
    note: str | None = None
    sources: set[str] = field(default_factory=set)

    @property
    def delivered(self) -> bool:
        return self.kind in DELIVERED


@dataclass(slots=True)
class Engagement(ByFields):
    iri: str
    party: str
    counterpart: str
    via: str | None
    types: dict[str, str]
    status: str
    status_label: str
    focus: set[str]
    text: str
    limitation: str | None
    sources: set[str]

    @property
    def delivered(self) -> bool:
        return self.status in ("realised", "ongoing")


@dataclass(slots=True)
class Judgement(ByFields):
    iri: str
    judged: set[str]
    verdict: str
    verdict_label: str
    focus: set[str]
    text: str
    sources: set[str]


@dataclass(slots=True)
class Proposal(ByFields):
    iri: str
    order: int
    heading: str
    text: str
    plan: str
    focus: set[str]
    modalities: set[str]
    mentions: set[str]
    sources: set[str]


@dataclass(slots=True)
class ConceptWork(ByFields):
    """What a mechanism does on one concept: strongest evidence, modalities, the evidence items."""

    rank: int
    modalities: set[str]
    items: list[int]


def _plain(table: Table) -> list[dict[str, str]]:
    """The rows as dicts without unbound values, in a canonical order (sorted): wherever one row's value
    wins over another's, the same one wins whichever order the store returned them in, and whether the rows
    came from a full extraction or from one restricted to a few units (the incremental update).

    Every value is interned: the same IRI (a country, a source, a concept, an owner) comes back in thousands
    of rows as as many string objects, nine in ten of the index's strings were copies (1.55 million strings,
    176,000 distinct, at 10,000 mechanisms), and pickle writes an object once however often it is referred
    to: so one copy each is what the index file holds, what a server reads back and what it keeps in memory."""
    names, rows = table
    intern = sys.intern
    return [{k: intern(v) for k, v in zip(names, row, strict=True) if v != ""} for row in sorted(rows)]


#: parsed dates by their text: periods are immutable, and a few hundred distinct ones stand for the hundreds
#: of thousands of membership dates (shared, each is one object in memory and in the index file)
_PERIODS: dict[str, Period | None] = {}


def _period(text: str | None) -> Period | None:
    if not text:
        return None
    try:
        return _PERIODS[text]
    except KeyError:
        pass
    try:
        period: Period | None = Period.parse(text)
    except DateError:
        period = None
    if len(_PERIODS) < 100_000:  # bounded: free-text dates from a hostile store cannot grow it without end
        _PERIODS[text] = period
    return period


class AnalysisIndex:
    """Everything the analyses read, extracted once from a store (see the module docstring)."""

    def __init__(self, store: SparqlStore, sources: SourceIndex | None = None) -> None:
        self.sources = sources or SourceIndex(store)
        self.thesaurus = Thesaurus.from_rows(_plain(select_table(store, "index-concepts")))
        self.units: dict[str, Unit] = {}
        self.country_labels: dict[str, str] = {}
        self.claims = ClaimTable.of({})
        self.evidence: list[EvidenceItem] = []
        self.by_owner: dict[str, list[int]] = defaultdict(list)
        self.by_concept: dict[str, list[int]] = defaultdict(list)
        self.profile: dict[str, dict[str, ConceptWork]] = defaultdict(dict)
        self.engagements: list[Engagement] = []
        self.judgements: list[Judgement] = []
        self.proposals: list[Proposal] = []
        self.modality_labels: dict[str, str] = {}
        self._load_units(_plain(select_table(store, "index-units")))
        self.claims = ClaimTable.of(self._load_claims(_plain(select_table(store, "index-memberships"))))
        self._place_evidence(self._read_evidence(_plain(select_table(store, "index-evidence")),
                                                 _plain(select_table(store, "index-modalities"))))
        self.engagements = self._read_engagements(_plain(select_table(store, "index-engagements")))
        self.judgements = self._read_judgements(_plain(select_table(store, "index-judgements")))
        self.proposals = self._read_proposals(_plain(select_table(store, "index-proposals")))
        self._finish()

    def _finish(self) -> None:
        """Everything derived from units, claims, evidence, engagements and judgements: the canonical order
        of the dicts (sorted by key, so that an index updated in place of a few units and one extracted whole
        are equal item for item), the matrices and the lookups by pair."""
        self.units = dict(sorted(self.units.items()))
        self.country_labels = dict(sorted(self.country_labels.items()))
        self._build_matrices()
        self.engagement_by_iri = {e.iri: e for e in self.engagements}
        self.engagements_by_pair: dict[frozenset[str], list[Engagement]] = defaultdict(list)
        for e in self.engagements:
            self.engagements_by_pair[frozenset((self.owner(e.party), self.owner(e.counterpart)))].append(e)
        self.judgements_by_pair: dict[frozenset[str], list[Judgement]] = defaultdict(list)
        for j in self.judgements:
            owners = frozenset(self.owner(u) for u in j.judged)
            if len(j.judged) == 2 and len(owners) == 2:
                self.judgements_by_pair[owners].append(j)

    # ------------------------------------------------------------------ loading
    def _load_units(self, rows: Iterable[dict[str, str]]) -> None:
        for r in rows:
            iri = r["unit"]
            est = _period(r.get("established"))
            old = self.units.get(iri)
            if old and old.established and est and old.established.start <= est.start:
                est = old.established
            self.units[iri] = Unit(iri, r["type"], r["label"], r.get("acronym"), r["owner"],
                                   r.get("subregional") == "true", r.get("wider") or (old.wider if old else None),
                                   est)

    def _load_claims(self, rows: Iterable[dict[str, str]]) -> dict[str, dict[str, list[Claim]]]:
        """The claims of every unit in ``rows`` (all of that unit's rows), and their countries' labels."""
        loaded: dict[str, dict[str, list[Claim]]] = {}
        for r in rows:
            self.country_labels[r["country"]] = r["countryLabel"]
            sd = _period(r.get("sourceDate"))
            loaded.setdefault(r["unit"], {}).setdefault(r["country"], []).append(Claim(
                r["country"], r["role"], _period(r.get("since")), _period(r.get("until")),
                r.get("founding") == "true", r["source"], sd.start if sd else None))
        # a day given by one source refines a year given by another for the same start (Russia in DLDD-NEAN:
        # "2020" in the news, 13 July 2020 in UNCCD's announcement), so the year is not read as "maybe earlier"
        for by_country in loaded.values():
            for country, cs in by_country.items():
                days = [c.since for c in cs if c.since and not c.since.is_year]
                refined = []
                for c in cs:
                    if c.since and c.since.is_year:
                        inside = sorted(d for d in days if c.since.contains(d.start))
                        if inside:
                            c = Claim(c.country, c.role, inside[0], c.until, c.founding, c.source, c.source_date)
                    refined.append(c)
                by_country[country] = refined
        return loaded

    def _read_evidence(self, rows: Iterable[dict[str, str]],
                       modality_rows: Iterable[dict[str, str]]) -> list[EvidenceItem]:
        """The evidence items of the owners in ``rows`` (all of each owner's rows), classified and settled;
        placed in the index by ``_place_evidence``."""
        modalities: dict[str, set[str]] = defaultdict(set)
        text_candidates: dict[int, set[tuple[tuple[bool, str], str]]] = {}
        for r in modality_rows:
            if r.get("item"):
                modalities[r["item"]].add(local_id(r["modality"]))
            else:
                self.modality_labels[local_id(r["modality"])] = r["label"]
        items: dict[tuple[str, str, str, str | None], EvidenceItem] = {}

        def add(r: dict[str, str], kind: str, via: str | None) -> None:
            key = (r["item"], r["owner"], kind, via)
            ev = items.get(key)
            if ev is None:
                ev = items[key] = EvidenceItem(
                    item=r["item"], form=r["form"], owner=r["owner"], kind=kind, via=via,
                    modalities=set(modalities.get(r["item"], ())),
                    level=local_id(r["level"]) if r.get("level") else None,
                    status=local_id(r["status"]) if r.get("status") else None,
                    text=r.get("text") or None, note=r.get("note") or None,
                    scope=via or r.get("areaVia") or r["owner"])
            ev.concepts.add(r["concept"])
            ev.sources.add(r["source"])
            if r.get("text"):
                text_candidates.setdefault(id(ev), set()).add((self._source_key(r["source"]), r["text"]))

        for r in rows:
            form = r["form"]
            if r["owner"] not in self.units:
                continue
            if form == "work-area":
                add(r, "stated-focus", r.get("via"))
            elif form == "programme-area":
                add(r, "programme", r.get("via"))
            elif form == "component":
                add(r, "platform", r.get("via"))
            elif form == "component-target":
                add(r, "planned", r.get("plannedVia"))
            elif form == "activity":
                add(r, _LEVEL_KIND.get(local_id(r.get("level") or ""), "partial-activity"), r.get("via"))
                if r.get("plannedVia"):
                    add(r, "planned", r["plannedVia"])
            elif form == "engagement":
                kind = _STATUS_KIND.get(local_id(r.get("status") or ""))
                if kind:
                    add(r, kind, r.get("via"))
            elif form == "proposal":
                add(r, "proposal", r.get("plannedVia"))
        for ev in items.values():  # the same words whichever order a store returns its rows in
            if id(ev) in text_candidates:
                ev.text = min(text_candidates[id(ev)])[1]
        self._settle_work_areas(items)
        self._settle_scopes(items)
        return list(items.values())

    def _place_evidence(self, items: Iterable[EvidenceItem]) -> None:
        """``evidence`` in its canonical order (strongest kind, item, owner, channel: one place for each item,
        however it was read) and the lookups by owner, by concept and the profile, which refer to it."""
        self.evidence = sorted(items, key=lambda e: (RANK[e.kind], e.item, e.owner, e.via or ""))
        self.by_owner = defaultdict(list)
        self.by_concept = defaultdict(list)
        self.profile = defaultdict(dict)
        for i, ev in enumerate(self.evidence):
            self.by_owner[ev.owner].append(i)
            for c in sorted(ev.concepts):
                self.by_concept[c].append(i)
                if ev.delivered:
                    work = self.profile[ev.owner].get(c)
                    if work is None:
                        self.profile[ev.owner][c] = ConceptWork(RANK[ev.kind], set(ev.modalities), [i])
                    else:
                        work.rank = min(work.rank, RANK[ev.kind])
                        work.modalities |= ev.modalities
                        work.items.append(i)

    def _settle_work_areas(self, items: dict[tuple[str, str, str, str | None], EvidenceItem]) -> None:
        """A work area is the mechanism's *stated* focus when Table 2's focus column or a web page of the
        mechanism says so; a work area that only another part of the note describes (Section III, paragraph 6)
        is the work of its platform (or a programme statement when it names none)."""
        for key, ev in list(items.items()):
            if ev.kind != "stated-focus":
                continue
            declared = any(s.endswith("-table-2") or self.sources.by_iri.get(s, _NO_SOURCE).kind == "WebSource"
                           for s in ev.sources)
            if not declared:
                ev.kind = "platform" if ev.via else "programme"
                del items[key]
                items[(key[0], key[1], ev.kind, key[3])] = ev

    def _settle_scopes(self, items: dict[tuple[str, str, str, str | None], EvidenceItem]) -> None:
        """Work with no platform of its own, on a concept whose programme area runs through a platform with its
        own coverage, covers that platform's countries (NEASPEC's marine protected area work is NEAMPAN's)."""
        covering = set(self.claims.with_coverage())

        def covered(unit: str) -> bool:
            return unit in covering

        area: dict[tuple[str, str], str] = {}
        for ev in items.values():
            if ev.form == "programme-area" and ev.via is not None and covered(ev.via):
                for c in ev.concepts:
                    area[(ev.owner, c)] = ev.via
        for ev in items.values():
            if ev.scope == ev.owner and ev.concepts:
                scopes = {area.get((ev.owner, c)) for c in ev.concepts}
                if len(scopes) == 1 and None not in scopes:
                    ev.scope = scopes.pop()  # type: ignore[assignment]

    def _source_key(self, source: str) -> tuple[bool, str]:
        """Which source's words to show when several state the same thing: the note first, then by label."""
        s = self.sources.by_iri.get(source)
        return (s is None or s.kind != "DocumentPart", s.label if s else source)

    def _grouped(self, rows: Iterable[dict[str, str]], key: str, make: Callable[[dict[str, str]], _G],
                 add: Callable[[_G, dict[str, str]], None]) -> list[_G]:
        """Fold the rows of one extraction query (one row per value of a many-valued property) into one
        record per resource. Rows are read in source order, so the first text kept is the primary source's."""
        by_iri: dict[str, _G] = {}
        for r in sorted(rows, key=lambda r: (self._source_key(r["source"]), r.get("text", ""))):
            item = by_iri.get(r[key])
            if item is None:
                item = by_iri[r[key]] = make(r)
            add(item, r)
            item.sources.add(r["source"])
        return list(by_iri.values())

    def _read_engagements(self, rows: Iterable[dict[str, str]]) -> list[Engagement]:
        def add(e: Engagement, r: dict[str, str]) -> None:
            e.types[local_id(r["type"])] = r["typeLabel"]
            if r.get("focus"):
                e.focus.add(r["focus"])

        return sorted(self._grouped(rows, "engagement", lambda r: Engagement(
            r["engagement"], r["party"], r["counterpart"], r.get("via"), {}, local_id(r["status"]),
            r["statusLabel"], set(), r["text"], r.get("limitation"), set()), add), key=lambda e: e.iri)

    def _read_judgements(self, rows: Iterable[dict[str, str]]) -> list[Judgement]:
        def add(j: Judgement, r: dict[str, str]) -> None:
            j.judged.add(r["judged"])
            if r.get("focus"):
                j.focus.add(r["focus"])

        return sorted(self._grouped(rows, "judgement", lambda r: Judgement(
            r["judgement"], set(), local_id(r["verdict"]), r["verdictLabel"], set(), r["text"], set()), add),
            key=lambda j: j.iri)

    def _read_proposals(self, rows: Iterable[dict[str, str]]) -> list[Proposal]:
        def add(p: Proposal, r: dict[str, str]) -> None:
            for key, target in (("focus", p.focus), ("species", p.focus), ("mentions", p.mentions)):
                if r.get(key):
                    target.add(r[key])
            if r.get("modality"):
                p.modalities.add(local_id(r["modality"]))

        return sorted(self._grouped(rows, "proposal", lambda r: Proposal(
            r["proposal"], int(r["order"]), r["heading"], r["text"], r["plan"], set(), set(), set(), set()), add),
            key=lambda p: (p.order, p.iri))

    def _build_matrices(self) -> None:
        """Dense matrices over mechanisms, so that one vectorised pass finds and bounds the pairs of any one
        mechanism at any size (tens of megabytes at 100,000 mechanisms):

        - ``work_matrix`` (mechanism x concept, bool): delivered work on a concept or anything under it,
          without thematic areas: who can meet whom at all;
        - ``direct`` (bool) and ``modality_bits`` (int32 bitmask of modalities): the duplication profile
          (delivered work down to partially implemented activities) concept by concept;
        - ``relation`` (concept x concept, float32): the meeting weight of two concepts (1.0 the same, 0.8 one
          step narrower or broader, 0.6 further, 0 otherwise or when the broader one is a thematic area);
        - ``members`` (mechanism x country, float32 0/1): countries taking part today.
        """
        self.mechanisms = sorted(u for u, unit in self.units.items() if unit.type == "mechanism")
        self.mech_row = {m: i for i, m in enumerate(self.mechanisms)}
        self.concept_ids = sorted(self.thesaurus.concepts)
        self.concept_col = {c: i for i, c in enumerate(self.concept_ids)}
        n, k = len(self.mechanisms), len(self.concept_ids)
        th = self.thesaurus
        work = np.zeros((n, k), dtype=bool)
        direct = np.zeros((n, k), dtype=bool)
        bits = np.zeros((n, k), dtype=np.int32)
        self.modality_bit = {m: 1 << i for i, m in enumerate(sorted(self.modality_labels))}
        floor = RANK["partial-activity"]
        for owner, concepts in self.profile.items():
            row = self.mech_row.get(owner)
            if row is None:
                continue
            for c in concepts:
                for x in (c, *th.ancestors(c)):
                    col = self.concept_col.get(x)
                    if col is not None and not th.concepts[x].is_theme:
                        work[row, col] = True
            for i in self.by_owner.get(owner, ()):
                ev = self.evidence[i]
                if ev.kind not in DELIVERED or RANK[ev.kind] > floor:
                    continue
                mask = 0
                for m in ev.modalities:
                    mask |= self.modality_bit.get(m, 0)
                for c in ev.concepts:
                    col = self.concept_col.get(c)
                    if col is not None:
                        direct[row, col] = True
                        bits[row, col] |= mask
        self.work_matrix, self.direct, self.modality_bits = work, direct, bits
        rel = np.zeros((k, k), dtype=np.float32)
        for i, a in enumerate(self.concept_ids):
            rel[i, i] = 0.0 if th.concepts[a].is_theme else 1.0
            for up, steps in th.ancestors(a).items():
                j = self.concept_col.get(up)
                if j is None or th.concepts[up].is_theme:
                    continue
                rel[i, j] = rel[j, i] = 0.8 if steps == 1 else 0.6
        self.relation = rel
        self.country_ids = sorted(self.country_labels)
        self.country_col = {c: i for i, c in enumerate(self.country_ids)}
        members = np.zeros((n, len(self.country_ids)), dtype=np.float32)
        for m, c in self.claims.members_today(date.today()):  # a mechanism's own claims are its members
            row = self.mech_row.get(m)
            if row is not None:
                members[row, self.country_col[c]] = 1.0
        self.member_matrix = members
        self.member_sizes = members.sum(axis=1)
        covering = {self.owner(u) for u in self.claims.with_coverage() if u != self.owner(u)}
        self.has_coverage = np.array([m in covering for m in self.mechanisms], dtype=bool)

    # ------------------------------------------------------------------ lookups
    def unit(self, iri_or_id: str) -> Unit | None:
        """A unit by IRI or short id (mechanisms first: 'neaspec', then platforms and plans)."""
        if iri_or_id in self.units:
            return self.units[iri_or_id]
        for prefix in ("mechanism/", "platform/", "plan/"):
            u = self.units.get(ID + prefix + iri_or_id.lower())
            if u:
                return u
        return None

    def owner(self, iri: str) -> str:
        u = self.units.get(iri)
        return u.owner if u else iri

    def source_refs(self, iris: Iterable[str]) -> list[SourceRef]:
        return [SourceRef(iri=s.iri, label=s.label, kind=s.kind, locator=s.locator, url=s.url,
                          secondary=s.secondary) for s in self.sources.many(list(iris))]

    def country_ref(self, iri: str) -> CountryRef:
        return CountryRef(id=local_id(iri), label=self.country_labels.get(iri, local_id(iri)))

    # ------------------------------------------------------------------ who takes part, when
    def participation(self, unit: str, as_of: date | None) -> tuple[dict[str, str], set[str]]:
        """Countries taking part in ``unit`` as of a day (or today): {country: role} for those known to take
        part, and the set of countries whose participation cannot be shown to hold on that day.

        A platform with its own coverage (NEAMPAN: all NEASPEC members but Mongolia) uses that coverage; other
        components use their mechanism's membership. A year-only start that contains the day is uncertain; a
        membership with no start date counts from the date of a source that states it (Table 2 is dated
        10 July 2020) or, for a founding member, from the mechanism's establishment.
        """
        claims = self.claims.get(unit)
        if not claims or not any(c.role == "coverage" for cs in claims.values() for c in cs):
            u = self.units.get(unit)
            if u and u.owner != unit:
                return self.participation(u.owner, as_of)
            if not claims:
                return {}, set()
        known: dict[str, str] = {}
        uncertain: set[str] = set()
        established = self.units[unit].established if unit in self.units else None
        for country, cs in claims.items():
            best: str | None = None
            unsure = False
            for c in cs:
                status = self._claim_status(c, as_of, established)
                if status == "yes":
                    role = "member" if c.role in ("member", "coverage") else c.role
                    if best is None or (best == "observer" and role == "member"):
                        best = role
                elif status == "uncertain":
                    unsure = True
            if best:
                known[country] = best
            elif unsure:
                uncertain.add(country)
        return known, uncertain

    @staticmethod
    def _claim_status(c: Claim, as_of: date | None, established: Period | None) -> str:
        if as_of is None:
            if c.until and c.until.end < date.today():
                return "no"
            return "yes"
        if c.until:
            rel = c.until.relation_to(as_of)
            if rel == "before" and c.until.end < as_of:
                return "no"
            if rel == "uncertain":
                return "uncertain"
        start = c.since or (established if c.founding else None)
        if start is not None:
            return {"before": "yes", "after": "no", "uncertain": "uncertain"}[start.relation_to(as_of)]
        if c.source_date and c.source_date <= as_of:
            return "yes"
        return "uncertain"

    def members(self, unit: str, as_of: date | None) -> set[str]:
        """Countries known to take part as members (not observers) on the day."""
        known, _ = self.participation(unit, as_of)
        return {c for c, role in known.items() if role == "member"}

    # ------------------------------------------------------------------ evidence
    def items_of(self, owner: str, kinds: Iterable[str] | None = None) -> list[EvidenceItem]:
        allowed = set(kinds) if kinds is not None else None
        return [self.evidence[i] for i in self.by_owner.get(owner, ())
                if allowed is None or self.evidence[i].kind in allowed]

    def candidates(self, mechanism: str) -> list[str]:
        """Mechanisms whose delivered work meets this one's on some focus (not only a thematic area):
        one vectorised pass over the mechanism x concept matrix."""
        row = self.mech_row.get(mechanism)
        if row is None:
            return []
        mine = self.work_matrix[row]
        if not mine.any():
            return []
        # concepts this mechanism works on, plus everything under them (a narrower focus meets a broader one)
        cols = set(np.flatnonzero(mine).tolist())
        for c in list(cols):
            for d in self.thesaurus.descendants(self.concept_ids[c]):
                if d in self.concept_col:
                    cols.add(self.concept_col[d])
        mask = np.zeros(len(self.concept_ids), dtype=bool)
        mask[list(cols)] = True
        hits = np.flatnonzero((self.work_matrix & mask).any(axis=1))
        return [self.mechanisms[i] for i in hits if i != row]


def _code_version() -> str:
    """What the index's shape depends on besides the data: this package's code and its extraction queries."""
    import hashlib

    here = Path(__file__).parent
    h = hashlib.sha256()
    for f in sorted([*here.glob("*.py"), *(here.parent / "queries").glob("index-*.rq")]):
        h.update(f.name.encode() + b"\0" + f.read_bytes())
    return h.hexdigest()[:16]


def _index_path(cache_dir: Path, digest: str) -> Path:
    return cache_dir / f"{digest}.index-{_code_version()}.pickle"


@contextlib.contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Python's cycle collector paused while an index file is read, and what was read then left out of its
    later collections (``gc.freeze``).

    Unpickling makes millions of objects (claims, periods, evidence, their sets and lists) and nothing that
    could be garbage, yet the collector ran every 700 allocations and now and then walked everything made so
    far: at 10,000 mechanisms reading the 86 MB file took about twice as long with it. Once it was read, the
    collector walked all of it again (at 100,000 mechanisms, 2.1 s on the first allocations after reading,
    then 1.3 s at every full collection, in the middle of whatever request was being answered); frozen, the
    index is never walked. ``gc.freeze`` moves every object alive at that moment, not only the index: in a
    server that is the modules, the app and the index, which live as long as the process; what is frozen is
    still freed by reference counting when nothing holds it, only a cycle among frozen objects is never
    collected."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()


def _read_index(path: Path) -> AnalysisIndex | None:
    import pickle

    try:
        with path.open("rb") as f, _no_cyclic_gc():
            index = pickle.load(f)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        return None
    return index if isinstance(index, AnalysisIndex) else None


def _write_index(path: Path, index: AnalysisIndex) -> None:
    import pickle

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        with tmp.open("wb") as f:
            pickle.dump(index, f, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(path)
    except OSError:
        pass  # a read-only cache is no reason to refuse an answer


#: the indexes this process has handed out and still holds, by build digest: the base of an update is taken
#: from here when a server that holds it rebuilds (reading it from disk is most of an update's time)
_held: weakref.WeakValueDictionary[str, AnalysisIndex] = weakref.WeakValueDictionary()


def cached_index(store: SparqlStore, sources: SourceIndex | None = None) -> AnalysisIndex:
    """The analysis index of a store, built once per validated build and kept beside the build cache.

    A build is immutable and named by the digest of its inputs, so its index is too: a second process (the
    CLI after the server, a restarted server) reads the index instead of extracting it again, which at
    100,000 mechanisms is minutes against seconds. A build made incrementally from an earlier one whose index
    is kept gets that index updated with what changed (:mod:`neaspec_kg.index.update`: seconds, growing with
    the change, not with the data), equal to a full extraction. Stores without a build digest (remote ones)
    are extracted each time."""
    import time

    from neaspec_kg.build import _cache_dir
    from neaspec_kg.index import update

    digest = str(getattr(store, "digest", ""))
    if not re.fullmatch(r"[0-9a-f]{64}", digest):
        return AnalysisIndex(store, sources)
    cache_dir = _cache_dir()
    path = _index_path(cache_dir, digest)
    index = _read_index(path)
    if index is not None:
        _held[digest] = index
        return index
    started = time.perf_counter()
    update.last.clear()
    base_index: AnalysisIndex | None = None  # the index of the build this one was made from, when updated
    found = update.changes_since(cache_dir, digest, lambda d: d in _held or _index_path(cache_dir, d).exists())
    if isinstance(found, str):
        reason = found
    else:
        base, triples = found
        update.last["base"] = base
        base_index = _held.get(base) or _read_index(_index_path(cache_dir, base))
        made = update.updated(base_index, store, triples) if base_index else "the earlier index is unreadable"
        if isinstance(made, AnalysisIndex):
            index, reason = made, ""
        else:
            base_index, reason = None, made
    if index is None:
        index = AnalysisIndex(store, sources)
    update.last.update(how="updated" if base_index else "extracted", reason=reason,
                       seconds=round(time.perf_counter() - started, 3))
    # the duplication pair table is derived from the index and kept in its file: updated from the base build's
    # table where there is one, else computed (imported here: the analyses sit above the index)
    from neaspec_kg.analysis.pair_table import attach

    attach(index, base_index)
    _write_index(path, index)
    _held[digest] = index
    return index
