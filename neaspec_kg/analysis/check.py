"""Check a proposal before adopting it: who already does this piece of work, and is it duplication?

The question the note was written to answer for the 2021-2025 plan. A proposed piece of work (a focus in
everyday words, modalities, countries, the proposing mechanism) is compared with every mechanism's delivered
work by the same method as duplication (:mod:`neaspec_kg.analysis.duplication`), so a proposal and an existing
mechanism are judged exactly as two mechanisms are. Coordination counts when it exists between the proposer and
the other mechanism; the note's judgements on that pair are cited.
"""
from __future__ import annotations

import re
from datetime import date

import numpy as np

from neaspec_kg.analysis.duplication import (
    LEVEL_LABELS,
    LEVELS,
    Countries,
    Profile,
    Work,
    countries_of,
    level_of,
    meetings,
    profile,
    shared_themes,
)
from neaspec_kg.analysis.evidence import (
    engagement_model,
    engagements_between,
    evidence_model,
    evidence_sort_key,
    judgement_model,
    judgements_on,
    names,
)
from neaspec_kg.analysis.focus import FocusResolver
from neaspec_kg.errors import NeaspecKgError
from neaspec_kg.index import AnalysisIndex, Proposal
from neaspec_kg.index.periods import parse_as_of
from neaspec_kg.models import (
    CheckAnswer,
    CheckMatch,
    ConceptRef,
    FocusMeeting,
    ProposalCoverage,
    ProposalsAnswer,
    ProposedWork,
)
from neaspec_kg.namespaces import country as country_iri
from neaspec_kg.namespaces import local_id

COVERING = ("flagged", "risk", "coordinated", "overlap")


class UnknownModalityError(NeaspecKgError):
    def __init__(self, text: str, known: list[str]) -> None:
        self.text = text
        self.known = known
        super().__init__(f"no modality is called {text!r}; known modalities: {', '.join(known)}")


def _modality_ids(ix: AnalysisIndex, texts: list[str]) -> set[str]:
    by_key = {re.sub(r"[\W_]+", "-", k.casefold()).strip("-"): k for k in ix.modality_labels}
    by_key.update({re.sub(r"[\W_]+", "-", v.casefold()).strip("-"): k for k, v in ix.modality_labels.items()})
    out = set()
    for t in texts:
        key = re.sub(r"[\W_]+", "-", t.casefold()).strip("-")
        if key not in by_key:
            raise UnknownModalityError(t, sorted(ix.modality_labels))
        out.add(by_key[key])
    return out


def _candidates(ix: AnalysisIndex, concepts: set[str]) -> list[str]:
    cols: set[int] = set()
    hits = np.zeros(len(ix.mechanisms), dtype=bool)
    for c in concepts:
        if c in ix.concept_col and ix.thesaurus.concepts[c].is_theme:  # a whole theme: who states it too
            hits |= ix.direct[:, ix.concept_col[c]]
        for x in (c, *ix.thesaurus.descendants(c), *ix.thesaurus.ancestors(c)):
            if x in ix.concept_col and not ix.thesaurus.concepts[x].is_theme:
                cols.add(ix.concept_col[x])
    if cols:
        mask = np.zeros(len(ix.concept_ids), dtype=bool)
        mask[list(cols)] = True
        hits |= (ix.work_matrix & mask).any(axis=1)
    return [ix.mechanisms[i] for i in np.flatnonzero(hits)]


def _match(ix: AnalysisIndex, virtual: Profile, other: str, countries: set[str] | None, proposer: str | None,
           as_of: date | None, min_evidence: str) -> CheckMatch | None:
    pm = profile(ix, other, min_evidence)
    ms = meetings(ix, virtual, pm, themes=True)
    if not ms:
        return None
    best = ms[0]
    items = pm[best.b].items
    theirs, unsure = countries_of(ix, items, other, as_of)
    ours = countries if countries is not None else (ix.members(proposer, as_of) if proposer else set(theirs))
    cs = Countries(ours, theirs, unsure & ours)
    engagements = engagements_between(ix, proposer, other) if proposer and proposer != other else []
    done = [e for e in engagements if e.delivered]
    judged = judgements_on(ix, proposer, other) if proposer and proposer != other else []
    level, _ = level_of(ms, cs, bool(done), judged, shared_themes(ix, virtual, pm))
    score = round(best.value * cs.factor * (0.5 if done else 1.0), 3)
    vias = {ix.evidence[i].via for i in items}
    only = next(iter(vias)) if len(vias) == 1 else None
    unit = ix.units[only] if only else ix.units[other]
    seen: set[tuple[str, str]] = set()
    meeting_models: list[FocusMeeting] = []
    for m in ms:
        if (m.a, m.b) in seen or len(meeting_models) >= 3:
            continue
        seen.add((m.a, m.b))
        ev = sorted((evidence_model(ix, ix.evidence[i], [m.b], "exact") for i in pm[m.b].items), key=evidence_sort_key)
        meeting_models.append(FocusMeeting(
            focus_a=ix.thesaurus.ref(m.a), focus_b=ix.thesaurus.ref(m.b), relation=m.relation,  # type: ignore[arg-type]
            weight=round(m.value, 3), shared_modalities=sorted(m.shared), modalities_a=sorted(virtual[m.a].modalities),
            modalities_b=sorted(pm[m.b].modalities), evidence_a=[], evidence_b=ev[:3]))
    name = unit.name
    m0 = meeting_models[0]
    words = [f"{name} already works on {m0.focus_b.label}"
             + (f" by {names(m0.shared_modalities)}" if m0.shared_modalities else "") + "."]
    if other == proposer:
        words.append("That is the proposer's own work: build on it rather than start anew.")
    if cs.shared:
        words.append(f"Countries in both: {names([ix.country_ref(c).label for c in sorted(cs.shared)])}.")
    if done:
        words.append("Coordination with the proposer already exists: " + "; ".join(
            f"{names(sorted(e.types.values())).lower()} ({e.status_label.lower()})" for e in done) + ".")
    for j in judged:
        where = "; ".join(s.label for s in ix.source_refs(j.sources))
        words.append(f"The note ({where}) says: \u201c{j.text}\u201d ({j.verdict_label.lower()}).")
    words.append(f"Reading: {LEVEL_LABELS[level]}.")
    return CheckMatch(unit=unit.ref(), own=other == proposer, level=level,  # type: ignore[arg-type]
                      level_label=LEVEL_LABELS[level], score=min(1.0, score),
                      meetings=meeting_models, shared_countries=[ix.country_ref(c) for c in sorted(cs.shared)],
                      coordination=[engagement_model(ix, e) for e in done],
                      judgements=[judgement_model(ix, j) for j in judged], explanation=" ".join(words))


def _verdict(matches: list[CheckMatch], focus: list[ConceptRef]) -> str:
    what = names([c.label for c in focus])
    covering = [m for m in matches if m.level in COVERING and not m.own]
    own = [m for m in matches if m.own and m.level in COVERING]
    if own and not covering:
        return (f"Already in the proposer's own work ({own[0].unit.acronym or own[0].unit.label}); no other mechanism "
                "is recorded doing it: build on that work.")
    if not covering:
        if matches:
            return (f"No mechanism is recorded doing this work on {what}; "
                    f"{names([m.unit.acronym or m.unit.label for m in matches])} work nearby with a different "
                    "focus or kind of activity (complementary).")
        return f"No mechanism is recorded working on {what}: a gap."
    top = covering[0]
    who = top.unit.acronym or top.unit.label
    if top.level == "flagged":
        return f"The note already records a duplication concern with {who}: coordinate before adopting this."
    if top.level == "risk":
        return f"Duplication risk: {who} already does this, for the same countries, with no coordination recorded."
    if top.level == "coordinated":
        return f"Already done by {who}, with which coordination exists: build on that work."
    return f"Partly covered by {who} (same focus; the kind of activity or the countries are not shown to match)."


def run_check(ix: AnalysisIndex, concepts: list[str], modalities: set[str], countries: set[str] | None,
              proposer: str | None, as_of: date | None, include_related: bool = True,
              min_evidence: str = "engagement") -> list[CheckMatch]:
    virtual: Profile = {c: Work(0, set(modalities)) for c in concepts}
    out = []
    for other in _candidates(ix, set(concepts)):
        if not (include_related or ix.units[other].subregional):
            continue
        m = _match(ix, virtual, other, countries, proposer, as_of, min_evidence)
        if m:
            out.append(m)
    out.sort(key=lambda m: (m.own, LEVELS.index(m.level), -m.score, m.unit.id))
    return out


def check(ix: AnalysisIndex, resolver: FocusResolver, work: ProposedWork, *,
          include_related: bool = True) -> CheckAnswer:
    concepts = resolver.resolve(work.focus)
    as_of = parse_as_of(work.as_of)
    unit = ix.unit(work.proposer) if work.proposer else None
    proposer = unit.owner if unit else None
    countries = {country_iri(c.upper()) for c in work.countries} if work.countries else None
    matches = run_check(ix, [c.iri for c in concepts], _modality_ids(ix, work.modalities), countries, proposer,
                        as_of, include_related)
    focus = [c.ref() for c in concepts]
    return CheckAnswer(proposal=work, focus=focus, verdict=_verdict(matches, focus), matches=matches)


def proposals(ix: AnalysisIndex) -> ProposalsAnswer:
    """Every proposal of paragraph 21 with who already covers it (by the same check)."""
    out = []
    plan = ""
    for p in ix.proposals:
        plan = plan or p.plan
        out.append(_coverage(ix, p))
    return ProposalsAnswer(plan=local_id(plan) if plan else "", count=len(out), proposals=out)


def _coverage(ix: AnalysisIndex, p: Proposal) -> ProposalCoverage:
    proposer = ix.owner(p.plan) if p.plan in ix.units else None
    if proposer is None:
        for u in ix.units.values():
            if u.iri == p.plan:
                proposer = u.owner
    focus = [ix.thesaurus.ref(c) for c in sorted(p.focus)]
    if not p.focus:
        matches: list[CheckMatch] = []
        verdict = "Not read as an environmental focus area, so there is nothing to compare it with."
    else:
        matches = run_check(ix, sorted(p.focus), p.modalities, None, proposer, None)
        verdict = _verdict(matches, focus)
    return ProposalCoverage(iri=p.iri, order=p.order, heading=p.heading, text=p.text, focus=focus,
                            modalities=sorted(p.modalities), mentions=sorted(local_id(m) for m in p.mentions),
                            covered_by=[m for m in matches if m.level in COVERING][:6], verdict=verdict,
                            sources=ix.source_refs(p.sources))
