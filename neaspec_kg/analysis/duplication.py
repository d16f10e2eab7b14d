"""Duplication as paragraph 36 of the note judges it, not as a similarity score.

Paragraph 36: member States asked for "distinction between thematic areas and focus areas when assessing
whether there is any duplication". The note applies it in Section III: NEAMPAN and NOWPAP share the marine theme
but differ in focus and object of work (people-to-people networking in area-based management vs technical issues
of marine areas beyond protected areas), so they are complementary. The method here:

1. **Meetings, concept by concept.** For every concept each mechanism works on (delivered evidence only, at least
   ``min_evidence``), find where the two meet: the same concept (1.0), one narrower than the other (0.8 one step,
   0.6 further), ``skos:related`` on request (0.3). Sharing only a thematic area is not a meeting, and neither is
   a whole thematic area stated as the work ("Biodiversity") against a focus under it: that is a shared theme,
   which paragraph 36 asks not to read as a shared focus.
2. **The same kind of activity.** On a meeting, the union of modalities on each side: shared (1.0), not recorded
   on one side (0.6), different (0.3: a different object of work).
3. **The same countries.** Countries taking part in the work on each side (a platform's own coverage where it has
   one; as of a date when asked), as the share of the smaller side; halved when fewer than two are shared.
4. **Evidence strength.** Stated focus, programme area or platform 1.0; a fully or substantially implemented
   activity 0.9; a partially or minimally implemented one 0.6; the focus of an engagement 0.4 (used by proposal
   checks, not between two mechanisms, where an engagement between them is coordination, not overlap).

``score = best meeting (focus x activity x evidence) x countries``, halved when a coordination arrangement exists
(a realised or ongoing engagement between the two). Sets of concepts and modalities, never counts of phrases, so
repeating or splitting a phrase does not change a score (a test checks it); a mechanism with one stated focus is
not closer to anything for having only one.

**Levels** (in this order): *flagged* when the note itself records a duplication concern on the pair (cited);
*risk* when a meeting has the same kind of activity and at least two shared countries and no coordination
exists; *coordinated* when the same holds but coordination exists (listed); *overlap* when they meet but the
activity or the countries are not shown to be the same; *complementary* when the note says the focus or scope
differs (cited), or they share only a theme, or every meeting is a different kind of activity; *distinct*
otherwise. A level set by the note says so (``judged_by: note``); every other level is this method's reading,
and the explanation never cites a paragraph for a judgement that paragraph does not make.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from neaspec_kg.analysis.evidence import (
    engagement_model,
    engagements_between,
    evidence_model,
    evidence_sort_key,
    judgement_model,
    judgements_on,
    names,
)
from neaspec_kg.index import DELIVERED, RANK, AnalysisIndex, Judgement
from neaspec_kg.models import CountryRef, DuplicationAnswer, FocusMeeting, PairAnswer, SourceRef

LEVELS = ("flagged", "risk", "coordinated", "overlap", "complementary", "distinct")
LEVEL_LABELS = {
    "flagged": "duplication concern recorded in the note",
    "risk": "duplication risk: same focus, same kind of activity, same countries, no coordination",
    "coordinated": "same work, coordinated: coordination under way, or one works within the other",
    "overlap": "same focus; activity or countries not shown to be the same",
    "complementary": "complementary: same theme, different focus, object of work or scope",
    "distinct": "nothing in common",
}
DEFAULT_MIN_EVIDENCE = "partial-activity"
_RELATION_WEIGHT = {"same": 1.0, "theme-level": 0.5, "related": 0.3}


@dataclass
class Work:
    """What one side does on one concept: strongest evidence rank, modalities, evidence items."""

    rank: int
    modalities: set[str] = field(default_factory=set)
    items: list[int] = field(default_factory=list)


Profile = dict[str, Work]


def profile(ix: AnalysisIndex, owner: str, min_evidence: str = DEFAULT_MIN_EVIDENCE) -> Profile:
    """Per concept, the delivered work of a mechanism at or above ``min_evidence``."""
    floor = RANK[min_evidence]
    out: Profile = {}
    for i in ix.by_owner.get(owner, ()):
        ev = ix.evidence[i]
        if ev.kind not in DELIVERED or RANK[ev.kind] > floor:
            continue
        for c in ev.concepts:
            w = out.setdefault(c, Work(RANK[ev.kind]))
            w.rank = min(w.rank, RANK[ev.kind])
            w.modalities |= ev.modalities
            w.items.append(i)
    return out


@dataclass
class Meeting:
    a: str
    b: str
    relation: str
    focus_weight: float
    activity_weight: float
    evidence_weight: float
    shared: set[str]

    @property
    def value(self) -> float:
        return self.focus_weight * self.activity_weight * self.evidence_weight


def _evidence_weight(rank: int) -> float:
    if rank <= RANK["platform"]:
        return 1.0
    return {RANK["delivered-activity"]: 0.9, RANK["partial-activity"]: 0.6}.get(rank, 0.4)


def meetings(ix: AnalysisIndex, pa: Profile, pb: Profile, *, related: bool = False,
             themes: bool = False) -> list[Meeting]:
    """Every concept pair where the two profiles meet, best first (one per pair of concepts). ``themes``
    lets a whole theme stated on both sides meet at 0.5 (proposal checks: a proposal worded as a whole theme,
    "Promote the post-2020 global biodiversity targets", is covered by whoever works on the whole theme)."""
    out: list[Meeting] = []
    th = ix.thesaurus
    for ca, wa in pa.items():
        for cb, wb in pb.items():
            rel = th.relation(ca, cb)
            if rel is None:
                continue
            kind, steps = rel
            if kind == "related" and not related:
                continue
            if kind == "same" and th.concepts.get(ca) and th.concepts[ca].is_theme:
                if not themes:
                    continue  # both state a whole theme ("Biodiversity"): a shared theme, not a shared focus
                kind = "theme-level"
            if kind in ("narrower", "broader"):
                top = cb if kind == "narrower" else ca
                if th.concepts.get(top) and th.concepts[top].is_theme:
                    # a whole thematic area stated as the work ("Biodiversity") meets anything under it only as
                    # a theme: paragraph 36 asks not to read a shared theme as a shared focus
                    continue
                weight = 0.8 if steps == 1 else 0.6
            else:
                weight = _RELATION_WEIGHT[kind]
            shared = wa.modalities & wb.modalities
            activity = 1.0 if shared else 0.6 if not (wa.modalities and wb.modalities) else 0.3
            out.append(Meeting(ca, cb, kind, weight, activity, _evidence_weight(max(wa.rank, wb.rank)), shared))
    out.sort(key=lambda m: (-m.value, m.a, m.b))
    return out


def shared_themes(ix: AnalysisIndex, pa: Iterable[str], pb: Iterable[str]) -> set[str]:
    ta = set().union(*(ix.thesaurus.themes(c) for c in pa)) if pa else set()
    tb = set().union(*(ix.thesaurus.themes(c) for c in pb)) if pb else set()
    return ta & tb


@dataclass
class Countries:
    a: set[str]
    b: set[str]
    uncertain: set[str]

    @property
    def shared(self) -> set[str]:
        return self.a & self.b

    @property
    def factor(self) -> float:
        if not self.a or not self.b:
            return 0.0
        share = len(self.shared) / min(len(self.a), len(self.b))
        return share if len(self.shared) >= 2 else share / 2


def countries_of(ix: AnalysisIndex, items: Iterable[int], owner: str, as_of: date | None) -> tuple[set[str], set[str]]:
    """Countries taking part in the given work (its platforms' coverage where they have one)."""
    scopes = {ix.evidence[i].scope for i in items} or {owner}
    known: set[str] = set()
    unsure: set[str] = set()
    for s in scopes:
        k, u = ix.participation(s, as_of)
        known |= {c for c, r in k.items() if r == "member"}
        unsure |= u
    return known, unsure - known


def level_of(ms: list[Meeting], countries: Countries, coordinated: bool, judgements: list[Judgement],
             themes: set[str]) -> tuple[str, str]:
    verdicts = {j.verdict for j in judgements}
    if "duplication-concern" in verdicts:
        return "flagged", "note"
    if verdicts & {"different-focus", "different-scope"}:
        return "complementary", "note"
    if not ms:
        return ("complementary" if themes else "distinct"), "computed"
    same = [m for m in ms if m.shared and m.focus_weight > 0.5]
    if same and len(countries.shared) >= 2:
        return ("coordinated" if coordinated else "risk"), "computed"
    if all(m.activity_weight == 0.3 for m in ms):
        return "complementary", "computed"
    return "overlap", "computed"


def _label(ix: AnalysisIndex, iri: str) -> str:
    u = ix.units.get(iri)
    return u.name if u else iri.rsplit("/", 1)[-1]


def compare(ix: AnalysisIndex, a: str, b: str, *, as_of: date | None = None,
            min_evidence: str = DEFAULT_MIN_EVIDENCE, related: bool = False,
            pa: Profile | None = None, pb: Profile | None = None) -> PairAnswer:
    """The full, explained comparison of two mechanisms."""
    pa = profile(ix, a, min_evidence) if pa is None else pa
    pb = profile(ix, b, min_evidence) if pb is None else pb
    ms = meetings(ix, pa, pb, related=related)
    best = ms[0] if ms else None
    items_a = pa[best.a].items if best else []
    items_b = pb[best.b].items if best else []
    ka, ua = countries_of(ix, items_a, a, as_of)
    kb, ub = countries_of(ix, items_b, b, as_of)
    countries = Countries(ka, kb, (ua & (kb | ub)) | (ub & ka))
    engagements = engagements_between(ix, a, b)
    done = [e for e in engagements if e.delivered]
    proposed = [e for e in engagements if not e.delivered]
    judged = judgements_on(ix, a, b)
    themes = shared_themes(ix, pa, pb)
    whole = b if ix.units[a].wider == b else a if ix.units[b].wider == a else None
    part_of = None
    if whole:  # one works within the other: one system, coordinated by construction
        part = b if whole == a else a
        part_of = f"{ix.units[part].name} is a subregional component of {ix.units[whole].name}"
    level, judged_by = level_of(ms, countries, bool(done) or bool(whole), judged, themes)
    if whole and judged_by == "computed" and ms:
        level = "coordinated"
    raw = best.value * countries.factor if best else 0.0
    score = round(raw * (0.5 if done or whole else 1.0), 3)
    meeting_models = [_meeting_model(ix, m, pa, pb) for m in _distinct(ms)[:5]]
    sources: dict[str, SourceRef] = {}
    for mm in meeting_models:
        for ev in (*mm.evidence_a, *mm.evidence_b):
            for s in ev.sources:
                sources.setdefault(s.iri, s)
    engagement_models = [engagement_model(ix, e) for e in done]
    proposed_models = [engagement_model(ix, e) for e in proposed]
    judgement_models = [judgement_model(ix, j) for j in judged]
    for refs in [*(e.sources for e in engagement_models), *(j.sources for j in judgement_models)]:
        for s in refs:
            sources.setdefault(s.iri, s)
    answer = PairAnswer(
        a=ix.units[a].ref(), b=ix.units[b].ref(), level=level,  # type: ignore[arg-type]
        level_label=LEVEL_LABELS[level], judged_by=judged_by,  # type: ignore[arg-type]
        score=min(1.0, max(0.0, score)),
        components={"focus": best.focus_weight if best else 0.0, "activity": best.activity_weight if best else 0.0,
                    "evidence": best.evidence_weight if best else 0.0, "countries": round(countries.factor, 3),
                    "coordination": 0.5 if done or whole else 1.0},
        shared_themes=[ix.thesaurus.ref(t) for t in sorted(themes)], meetings=meeting_models,
        shared_countries=[ix.country_ref(c) for c in sorted(countries.shared)],
        uncertain_countries=[ix.country_ref(c) for c in sorted(countries.uncertain)],
        coordination=engagement_models, proposed_coordination=proposed_models, judgements=judgement_models,
        part_of=part_of, explanation="",
        sources=sorted(sources.values(), key=lambda s: (s.kind != "DocumentPart", s.label)))
    answer.explanation = explain(answer, as_of)
    return answer


def _distinct(ms: list[Meeting]) -> list[Meeting]:
    """The best meetings, each concept of either side used once (so ten near-identical lines become one)."""
    seen_a: set[str] = set()
    seen_b: set[str] = set()
    out = []
    for m in ms:
        if m.a in seen_a and m.b in seen_b:
            continue
        seen_a.add(m.a)
        seen_b.add(m.b)
        out.append(m)
    return out


def _meeting_model(ix: AnalysisIndex, m: Meeting, pa: Profile, pb: Profile) -> FocusMeeting:
    ev_a = sorted((evidence_model(ix, ix.evidence[i], [m.a], "exact") for i in pa[m.a].items), key=evidence_sort_key)
    ev_b = sorted((evidence_model(ix, ix.evidence[i], [m.b], "exact") for i in pb[m.b].items), key=evidence_sort_key)
    return FocusMeeting(focus_a=ix.thesaurus.ref(m.a), focus_b=ix.thesaurus.ref(m.b),
                        relation=m.relation, weight=round(m.value, 3),  # type: ignore[arg-type]
                        shared_modalities=sorted(m.shared), modalities_a=sorted(pa[m.a].modalities),
                        modalities_b=sorted(pb[m.b].modalities), evidence_a=ev_a[:3], evidence_b=ev_b[:3])


def explain(p: PairAnswer, as_of: date | None) -> str:
    """Plain words an analyst can check against the cited sources."""
    a, b = p.a.acronym or p.a.label, p.b.acronym or p.b.label
    out: list[str] = []
    note = [j for j in p.judgements]
    if p.meetings:
        m = p.meetings[0]
        rel = {"same": "both on", "narrower": "within", "broader": "containing", "theme-level": "a whole theme over",
               "related": "related to"}[m.relation]
        where = (m.focus_a.label if m.relation == "same"
                 else f"the whole theme {m.focus_a.label}, which both state" if m.relation == "theme-level"
                 else f"{a}'s {m.focus_a.label} ({rel} {b}'s {m.focus_b.label})")
        out.append(f"{a} and {b} meet on {where}.")
        if m.shared_modalities:
            out.append(f"Both work there by {names(m.shared_modalities)}.")
        elif m.modalities_a and m.modalities_b:
            out.append(f"But not in the same way: {a} by {names(m.modalities_a)}, {b} by {names(m.modalities_b)}.")
        else:
            out.append("How one of them works there is not recorded.")
    elif p.shared_themes:
        out.append(f"{a} and {b} share only the theme {names([t.label for t in p.shared_themes])}, "
                   "not a focus area.")
    else:
        out.append(f"{a} and {b} have no focus area or theme in common.")
    when = f" as of {as_of.isoformat()}" if as_of else ""
    if p.shared_countries:
        out.append(f"Countries taking part in both{when}: {names([c.label for c in p.shared_countries])}.")
    elif p.meetings:
        out.append(f"No country is shown to take part in both{when}.")
    if p.uncertain_countries:
        out.append(f"Not counted, as participation on that date is uncertain: "
                   f"{names([c.label for c in p.uncertain_countries])}.")
    if p.part_of:
        out.append(f"{p.part_of}: they are one system, so their common work is not duplication between them.")
    if p.coordination:
        out.append("Coordination under way, which lowers the risk: " + "; ".join(
            f"{names(e.types).lower()} ({e.status.lower()})" for e in p.coordination) + ".")
    if p.proposed_coordination:
        out.append("Explored or proposed, not done: " + "; ".join(
            f"{names(e.types).lower()} ({e.status.lower()})" for e in p.proposed_coordination) + ".")
    for j in note:
        where = "; ".join(s.label for s in j.sources)
        out.append(f"The note ({where}) says: \u201c{j.text}\u201d ({j.verdict_label.lower()}).")
    if p.judged_by == "note":
        out.append(f"Level: {p.level_label} (set by the note).")
    else:
        silent = "" if note else " The note makes no judgement on this pair."
        out.append(f"Level: {p.level_label} (this tool's reading of the rule in paragraph 36; "
                   f"score {p.score:.3f}).{silent}")
    return " ".join(out)


def _pair_sort_key(p: PairAnswer) -> tuple[int, float, str, str]:
    return (LEVELS.index(p.level), -p.score, p.a.id, p.b.id)


def duplication(ix: AnalysisIndex, *, mechanism: str | None = None, theme: str | None = None,
                country: str | None = None, as_of: date | None = None, min_score: float = 0.0,
                limit: int | None = 10, include_related: bool = False,
                min_evidence: str = DEFAULT_MIN_EVIDENCE, levels: Iterable[str] | None = None,
                exhaustive: bool = False) -> DuplicationAnswer:
    """Ranked pairs (level first, then score), top ``limit``; with ``mechanism``, its pairs only. A pair is
    listed when the two meet on a focus or the note judges them. ``exhaustive`` compares every candidate pair
    even where the bounded search of one mechanism's top pairs would give the same answer (tests use it)."""
    if (mechanism and limit is not None and as_of is None and not theme and not country and not levels
            and min_evidence == DEFAULT_MIN_EVIDENCE and not exhaustive):
        return _top_of_one(ix, mechanism, limit=limit, min_score=min_score, include_related=include_related)
    if (not mechanism and limit is not None and as_of is None and not theme and not country and not levels
            and min_evidence == DEFAULT_MIN_EVIDENCE and not exhaustive):
        return _top_pairs(ix, limit=limit, min_score=min_score, include_related=include_related)
    pool = [m for m in ix.mechanisms if include_related or ix.units[m].subregional]
    judged_pairs = {frozenset(ix.owner(u) for u in j.judged) for j in ix.judgements if len(j.judged) == 2}
    pairs: set[tuple[str, str]] = set()
    sources = [mechanism] if mechanism else pool
    allowed = set(pool) | ({mechanism} if mechanism else set())
    for m in sources:
        others = set(ix.candidates(m)) | {x for p in judged_pairs if m in p for x in p if x != m}
        for o in others:
            if o == m or o not in allowed:
                continue
            pairs.add((m, o) if mechanism else tuple(sorted((m, o))))  # type: ignore[arg-type]
    profiles = {u: profile(ix, u, min_evidence) for pair in pairs for u in pair}
    want_levels = set(levels) if levels else None
    out: list[PairAnswer] = []
    country_i = None
    if country:
        from neaspec_kg.namespaces import country as country_iri
        country_i = country_iri(country)
    for a, b in pairs:
        p = compare(ix, a, b, as_of=as_of, min_evidence=min_evidence, pa=profiles[a], pb=profiles[b])
        if not p.meetings and not p.judgements:  # nothing in common but a theme, and the note says nothing
            continue
        if p.score < min_score and p.level != "flagged":
            continue
        if want_levels and p.level not in want_levels:
            continue
        if theme and not any(t.iri == theme for t in p.shared_themes):
            continue
        if country_i and not any(c.id == country_i.rsplit("/", 1)[-1] for c in p.shared_countries):
            continue
        out.append(p)
    out.sort(key=_pair_sort_key)
    total = len(out)
    chosen = out if limit is None else out[:limit]
    context = [judgement_model(ix, j) for j in ix.judgements
               if mechanism and len(j.judged) == 1 and mechanism in j.judged]
    return DuplicationAnswer(mechanism=mechanism.rsplit("/", 1)[-1] if mechanism else None,
                             as_of=as_of.isoformat() if as_of else None, min_score=min_score,
                             count=len(chosen), total=total, pairs=chosen, context=context)


def _bounds(ix: AnalysisIndex, a: str, pool: np.ndarray) -> list[tuple[int, float, str]]:
    """For every mechanism in ``pool`` that can pair with ``a``: (best level it can reach, minus the score it
    cannot exceed, its IRI), from one vectorised pass over the index's matrices. The best level is a note's
    flag; risk when some concept meets with a shared modality and two countries are shared; overlap when a
    concept meets; complementary otherwise. The score bound is the best concept meeting x share of countries."""
    row = ix.mech_row[a]
    mine = np.flatnonzero(ix.direct[row])
    judged: dict[str, set[str]] = {}
    for key, js in ix.judgements_by_pair.items():
        if a in key:
            judged[next(iter(key - {a}))] = {j.verdict for j in js}
    if len(mine):
        weights = ix.relation[mine].max(axis=0)  # best meeting weight of each concept with any of a's concepts
        focus_ub = (ix.direct * weights).max(axis=1)
        same = np.zeros(len(ix.mechanisms), dtype=bool)
        for col in mine:
            near = np.flatnonzero(ix.relation[col] >= 0.5)
            same |= ((ix.modality_bits[:, near] & int(ix.modality_bits[row, col])) != 0).any(axis=1)
    else:
        focus_ub = np.zeros(len(ix.mechanisms), dtype=np.float32)
        same = np.zeros(len(ix.mechanisms), dtype=bool)
    shared = ix.member_matrix @ ix.member_matrix[row]
    sizes = ix.member_sizes
    smaller = np.maximum(np.minimum(sizes, sizes[row]), 1.0)
    factor = np.where(shared >= 2, shared / smaller, shared / smaller / 2)
    # platforms with their own coverage change who takes part: no tight bound on the countries there
    loose = ix.has_coverage | ix.has_coverage[row]
    factor = np.where(loose, np.where(shared >= 2, 1.0, 0.5 * (shared > 0) + 0.5 * loose), factor)
    ub = focus_ub * np.minimum(factor, 1.0)
    level_ub = np.where(same & ((shared >= 2) | loose), LEVELS.index("risk"),
                        np.where(focus_ub > 0, LEVELS.index("overlap"), LEVELS.index("complementary")))
    out: list[tuple[int, float, str]] = []
    hits = np.flatnonzero(pool & (focus_ub > 0))
    seen: set[str] = set()
    for i in hits.tolist():
        other = ix.mechanisms[i]
        seen.add(other)
        level = 0 if "duplication-concern" in judged.get(other, ()) else int(level_ub[i])
        out.append((level, -float(ub[i]), other))
    for other, verdicts in judged.items():
        other_row = ix.mech_row.get(other)
        if other_row is not None and pool[other_row] and other not in seen:
            out.append((0 if "duplication-concern" in verdicts else LEVELS.index("complementary"), 0.0, other))
    return out


def _search(ix: AnalysisIndex, sources: list[str], pool: np.ndarray, *, limit: int, min_score: float,
            one_way: bool) -> list[PairAnswer]:
    """The exact top ``limit`` pairs with a mechanism of ``sources``: candidates in the order of their bounds
    (see ``_bounds``), full comparisons only while a bound can still beat the last pair kept. ``one_way``
    counts each pair once (the other end later in the index's order), for the ranking of all pairs."""
    import heapq

    kept: list[tuple[tuple[int, float, str, str], PairAnswer]] = []
    done: set[tuple[str, str]] = set()

    def keep(p: PairAnswer) -> None:
        kept.append((_pair_sort_key(p), p))
        kept.sort(key=lambda x: x[0])
        del kept[limit:]

    if one_way:
        # the note's flags rank first whatever their score: take them first, so that the search of the others
        # can stop as soon as no later mechanism can beat the pairs kept (ties go to the lower ids)
        for key, js in ix.judgements_by_pair.items():
            if not any(j.verdict == "duplication-concern" for j in js):
                continue
            a, b = sorted(key, key=lambda m: ix.mech_row.get(m, -1))
            if a in ix.mech_row and b in ix.mech_row and pool[ix.mech_row[a]] and pool[ix.mech_row[b]]:
                keep(compare(ix, a, b))
                done.add((a, b))
    for a in sources:
        row = ix.mech_row[a]
        if one_way and len(kept) >= limit and (LEVELS.index("risk"), -1.0, ix.units[a].id) > kept[-1][0][:3]:
            break  # no pair of this mechanism or a later one can enter the top
        mask = pool.copy()
        mask[row] = False
        if one_way:
            mask[: row + 1] = False
        order = _bounds(ix, a, mask)
        heapq.heapify(order)
        pa: Profile | None = None
        a_id = ix.units[a].id
        while order:
            level_bound, neg_ub, other = order[0]
            if len(kept) >= limit and (level_bound, neg_ub, a_id, ix.units[other].id) > kept[-1][0]:
                if (level_bound, neg_ub) > kept[-1][0][:2]:
                    break  # no later candidate of this mechanism can enter the top
                heapq.heappop(order)
                continue
            heapq.heappop(order)
            if (-neg_ub < min_score and level_bound != 0) or (a, other) in done:
                continue
            pa = pa if pa is not None else profile(ix, a)
            p = compare(ix, a, other, pa=pa)
            if p.score < min_score and p.level != "flagged":
                continue
            if not p.meetings and not p.judgements:
                continue
            keep(p)
    return [p for _, p in kept]


def _top_of_one(ix: AnalysisIndex, a: str, *, limit: int, min_score: float,
                include_related: bool, table: bool = True) -> DuplicationAnswer:
    """The top ``limit`` pairs of one mechanism, exactly as the full method ranks them: read from the build's
    pair table (``pair_table``) where it holds them, else by comparing in full only the few candidates that can
    still reach the top (see ``_bounds`` and ``_search``)."""
    pairs = _from_table(ix, a, limit=limit, min_score=min_score) if table and not include_related else None
    if pairs is None:
        pool = np.array([include_related or ix.units[m].subregional for m in ix.mechanisms], dtype=bool)
        pairs = _search(ix, [a], pool, limit=limit, min_score=min_score, one_way=False)
    context = [judgement_model(ix, j) for j in ix.judgements if len(j.judged) == 1 and a in j.judged]
    return DuplicationAnswer(mechanism=ix.units[a].id, as_of=None, min_score=min_score, count=len(pairs),
                             total=None, pairs=pairs, context=context)


def _from_table(ix: AnalysisIndex, a: str, *, limit: int, min_score: float) -> list[PairAnswer] | None:
    """One mechanism's top pairs from the pair table, explained; None when the table cannot answer (no table,
    a ``limit`` beyond its rows, or a ``min_score`` that leaves a full row short)."""
    from neaspec_kg.analysis.pair_table import explained, table_of

    t = table_of(ix)
    if t is None or a not in ix.mech_row:
        return None
    flagged = LEVELS.index("flagged")
    rows = [x for x in t.row(ix, a) if x[1] >= min_score or x[0] == flagged]
    if limit > t.k or (len(rows) < limit and t.truncated(ix.mech_row[a])):
        return None  # the row was full and the filter left too few: the search knows the rest
    pairs = [explained(ix, a, other, (level, score)) for level, score, other in rows[:limit]]
    return None if any(p is None for p in pairs) else [p for p in pairs if p is not None]


def _top_pairs(ix: AnalysisIndex, *, limit: int, min_score: float, include_related: bool,
               table: bool = True) -> DuplicationAnswer:
    """The top ``limit`` pairs of all mechanisms, exactly as the exhaustive ranking gives them: from the pair
    table where it holds them (every pair counted once, from its earlier mechanism), else by the bounded search."""
    pairs = _pairs_from_table(ix, limit=limit, min_score=min_score) if table and not include_related else None
    if pairs is None:
        pool = np.array([include_related or ix.units[m].subregional for m in ix.mechanisms], dtype=bool)
        sources = [m for m, keep in zip(ix.mechanisms, pool, strict=True) if keep]
        pairs = _search(ix, sources, pool, limit=limit, min_score=min_score, one_way=True)
    return DuplicationAnswer(mechanism=None, as_of=None, min_score=min_score, count=len(pairs), total=None,
                             pairs=pairs, context=[])


def _pairs_from_table(ix: AnalysisIndex, *, limit: int, min_score: float) -> list[PairAnswer] | None:
    """The top pairs of all from the table (its pool is the default one: the subregional mechanisms), or None
    when it cannot answer: a ``limit`` beyond its rows, or a ``min_score`` (a pair may then rank below a full
    row's last entry and still be wanted)."""
    from neaspec_kg.analysis.pair_table import explained, table_of

    t = table_of(ix)
    if t is None or limit > t.k or min_score > 0:
        return None
    chosen = t.top_pairs(limit)
    pairs = [explained(ix, ix.mechanisms[a], ix.mechanisms[b], (level, score)) for level, score, a, b in chosen]
    return None if any(p is None for p in pairs) else [p for p in pairs if p is not None]


__all__ = ["LEVELS", "LEVEL_LABELS", "CountryRef", "compare", "duplication", "meetings", "profile"]
