"""Who works on a focus, from all the evidence, each match with its kind and sources.

A mechanism works on a focus when any source says so: its stated focus areas (Table 2, its own site), the
programme areas of its strategic plan, the focus of its platforms and plans, its planned activities (with the
implementation level and the Secretariat's note), the focus of its engagements. Planned work and proposals
(paragraph 21) are reported apart, in ``planned_or_proposed``, and never as delivered work.

The asked focus is widened downwards through the thesaurus (everything narrower counts as the focus), and on
request sideways (``skos:related``) and upwards (mechanisms that work on something broader), each marked as the
weaker match it is. A country filter asks whether the country takes part in *that* work: work done through a
platform with its own coverage (NEAMPAN) counts that platform's countries, not the whole mechanism's.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date

from neaspec_kg.analysis.evidence import (
    MATCH_ORDER,
    engagement_model,
    evidence_model,
    evidence_sort_key,
    names,
)
from neaspec_kg.index import DELIVERED, KIND_LABELS, RANK, AnalysisIndex, Concept
from neaspec_kg.models import MechanismOnFocus, OverlapAnswer, SharedMember
from neaspec_kg.namespaces import country as country_iri
from neaspec_kg.namespaces import local_id


def targets(ix: AnalysisIndex, concepts: list[Concept], *, related: bool = False,
            broader: bool = False) -> dict[str, str]:
    """Concept IRI -> how it matches the asked focus ('exact', 'narrower', 'related', 'broader')."""
    out: dict[str, str] = {}

    def put(iri: str, match: str) -> None:
        if iri not in out or MATCH_ORDER[match] < MATCH_ORDER[out[iri]]:
            out[iri] = match

    for c in concepts:
        put(c.iri, "exact")
        for d in ix.thesaurus.descendants(c.iri):
            put(d, "narrower")
    if related:
        for iri in list(out):
            for r in ix.thesaurus.related.get(iri, ()):
                put(r, "related")
                for d in ix.thesaurus.descendants(r):
                    put(d, "related")
    if broader:
        for c in concepts:
            for a in ix.thesaurus.ancestors(c.iri):
                put(a, "broader")
    return out


def overlap(ix: AnalysisIndex, concepts: list[Concept], *, country: str | None = None, as_of: date | None = None,
            min_evidence: str = "engagement", include_related: bool = False, related_concepts: bool = False,
            broader_concepts: bool = False, limit: int | None = None) -> OverlapAnswer:
    """Mechanisms (and their platforms) that work on the concepts, strongest evidence first; the first
    ``limit`` of each list when given (``total`` says how many there are)."""
    wanted = targets(ix, concepts, related=related_concepts, broader=broader_concepts)
    floor = RANK[min_evidence]
    country_i = country_iri(country) if country else None
    hits: dict[str, dict[int, tuple[set[str], str]]] = defaultdict(dict)
    for concept, match in wanted.items():
        for i in ix.by_concept.get(concept, ()):
            ev = ix.evidence[i]
            unit = ix.units.get(ev.owner)
            if unit is None or not (include_related or unit.subregional):
                continue
            if ev.delivered and RANK[ev.kind] > floor:
                continue
            matched, best = hits[ev.owner].get(i, (set(), match))
            matched.add(concept)
            hits[ev.owner][i] = (matched, match if MATCH_ORDER[match] < MATCH_ORDER[best] else best)

    # country filter first (cheap), then rank the mechanisms on plain numbers, and build the answer's models
    # only for those shown: at 100,000 mechanisms an everyday focus finds tens of thousands
    parts: dict[bool, list[tuple[tuple[int, int, str], str, dict[int, tuple[set[str], str]]]]] = {True: [], False: []}
    statuses: dict[int, str] = {}
    taking_part: dict[str, tuple[dict[str, str], set[str]]] = {}

    def participation(unit: str) -> tuple[dict[str, str], set[str]]:
        """``ix.participation`` of a unit on the day asked, worked out once per answer: a mechanism's work
        areas share its scope, and it is listed among the delivered and the planned alike."""
        if unit not in taking_part:
            taking_part[unit] = ix.participation(unit, as_of)
        return taking_part[unit]

    for owner, found in hits.items():
        if country_i:
            for i in found:
                known, unsure = participation(ix.evidence[i].scope)
                if country_i in known:
                    scope = ix.units.get(ix.evidence[i].scope)
                    covered = scope is not None and scope.type != "mechanism" and any(
                        c.role == "coverage" for cs in ix.claims.get(scope.iri, {}).values() for c in cs)
                    statuses[i] = "covered" if covered else known[country_i]
                elif country_i in unsure:
                    statuses[i] = "uncertain"
            found = {i: v for i, v in found.items() if i in statuses}
        split: dict[bool, dict[int, tuple[set[str], str]]] = {True: {}, False: {}}  # one pass over the evidence
        for i, v in found.items():
            split[ix.evidence[i].delivered][i] = v
        unit = ix.units[owner]
        for delivered, part in split.items():
            if part:
                key = (min(RANK[ix.evidence[i].kind] for i in part), min(MATCH_ORDER[m] for _, m in part.values()),
                       unit.acronym or unit.id)
                parts[delivered].append((key, owner, part))
    totals = {d: len(v) for d, v in parts.items()}
    rows_of: dict[bool, list[MechanismOnFocus]] = {True: [], False: []}
    delivering = {owner for _key, owner, _part in parts[True]}  # all of them, before any limit
    for delivered, entries in parts.items():
        entries.sort(key=lambda e: e[0])
        for _key, owner, part in entries[:limit] if limit is not None else entries:
            evidence = sorted((evidence_model(ix, ix.evidence[i], m, match) for i, (m, match) in part.items()),
                              key=evidence_sort_key)
            known, unsure = participation(owner)
            status = None
            if country_i:
                order = ["member", "covered", "observer", "uncertain"]
                status = min((statuses[i] for i in part), key=order.index)
            platforms = {ix.evidence[i].via for i in part if ix.evidence[i].via}
            rows_of[delivered].append(MechanismOnFocus(
                mechanism=ix.units[owner].ref(), strongest=evidence[0].kind, evidence=evidence,
                platforms=[ix.units[p].ref() for p in sorted(p for p in platforms if p) if p in ix.units],
                members=[ix.country_ref(c) for c in sorted(k for k, r in known.items() if r == "member")],
                uncertain_members=[ix.country_ref(c) for c in sorted(unsure)],
                country_status=status,  # type: ignore[arg-type]
                also_delivered=not delivered and owner in delivering))
    delivered_rows, planned_rows = rows_of[True], rows_of[False]
    shown = {m.mechanism.iri for m in delivered_rows}  # a set made once: per engagement, it was O(rows) each
    shared: dict[str, list[str]] = defaultdict(list)
    for m in delivered_rows:
        for c in m.members:
            shared[c.id].append(m.mechanism.id)
    engagements = [engagement_model(ix, e) for e in ix.engagements
                   if (party := ix.owner(e.party)) in shown and (other := ix.owner(e.counterpart)) in shown
                   and party != other]
    answer = OverlapAnswer(
        focus=[c.ref() for c in concepts], searched=len(wanted), country=country,
        as_of=as_of.isoformat() if as_of else None, min_evidence=min_evidence,  # type: ignore[arg-type]
        include_related=related_concepts, include_broader=broader_concepts,
        mechanisms=delivered_rows, planned_or_proposed=planned_rows, total=totals[True],
        total_planned_or_proposed=totals[False],
        shared_members=[SharedMember(country=ix.country_ref(country_iri(c)), mechanisms=sorted(ms))
                        for c, ms in sorted(shared.items()) if len(ms) >= 2],
        engagements=engagements, summary="")
    answer.summary = summarise(answer)
    return answer


def summarise(a: OverlapAnswer) -> str:
    """One paragraph an analyst can read aloud."""
    what = names([c.label for c in a.focus])
    where = f" with {a.country} taking part" if a.country else ""
    when = f" as of {a.as_of}" if a.as_of else ""
    if not a.mechanisms:
        out = f"No mechanism is recorded as working on {what}{where}{when}."
    else:
        parts = []
        for m in a.mechanisms:
            via = f"; through {names([p.acronym or p.label for p in m.platforms])}" if m.platforms else ""
            parts.append(f"{m.mechanism.acronym or m.mechanism.label} ({KIND_LABELS[m.strongest]}{via})")
        n = a.total
        shown = "" if n == len(a.mechanisms) else f" (the first {len(a.mechanisms)})"
        out = f"{n} mechanism{'s' if n != 1 else ''} work{'s' if n == 1 else ''} on {what}{where}{when}{shown}: " \
              + "; ".join(parts) + "."
    only = [m for m in a.planned_or_proposed if not m.also_delivered]
    more = [m for m in a.planned_or_proposed if m.also_delivered]
    for heading, group in (("Only planned or proposed, not delivered", only),
                           ("Further work planned or proposed, not delivered", more)):
        if group:
            out += f" {heading}: " + "; ".join(
                f"{m.mechanism.acronym or m.mechanism.label} ({KIND_LABELS[m.strongest]})" for m in group) + "."
    return out


__all__ = ["DELIVERED", "local_id", "overlap", "summarise", "targets"]
