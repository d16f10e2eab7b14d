"""Turning index entries into the typed answers: evidence, engagements, judgements.

Written once and used by overlap, duplication and proposal checks, so the same piece of evidence reads the same
wherever it appears.
"""
from __future__ import annotations

from collections.abc import Iterable

from neaspec_kg.index import KIND_LABELS, RANK, AnalysisIndex, Engagement, EvidenceItem, Judgement
from neaspec_kg.models import EngagementRef, Evidence, JudgementRef
from neaspec_kg.namespaces import local_id

_LEVEL_LABELS = {"fully": "Fully", "substantially": "Substantially", "partially": "Partially",
                 "minimally": "Minimally"}
MATCH_ORDER = {"exact": 0, "narrower": 1, "related": 2, "broader": 3}


def evidence_model(ix: AnalysisIndex, ev: EvidenceItem, matched: Iterable[str], match: str) -> Evidence:
    via = ix.units.get(ev.via) if ev.via else None
    other = None
    if ev.kind == "engagement" and (e := ix.engagement_by_iri.get(ev.item)):
        other = ix.units.get(e.counterpart if ix.owner(e.party) == ev.owner else e.party)
    return Evidence(
        kind=ev.kind,  # type: ignore[arg-type]
        kind_label=KIND_LABELS[ev.kind], delivered=ev.delivered, match=match,  # type: ignore[arg-type]
        focus=[ix.thesaurus.ref(c) for c in sorted(matched)], item=ev.item, text=ev.text, note=ev.note,
        level=_LEVEL_LABELS.get(ev.level or "", ev.level), status=ev.status,
        via=via.ref() if via else None, counterpart=other.ref() if other else None,
        modalities=sorted(ev.modalities), sources=ix.source_refs(ev.sources))


def evidence_sort_key(e: Evidence) -> tuple[int, int, str]:
    return (RANK[e.kind], MATCH_ORDER[e.match], e.item)


def engagement_model(ix: AnalysisIndex, e: Engagement) -> EngagementRef:
    return EngagementRef(
        iri=e.iri, party=local_id(e.party), counterpart=local_id(e.counterpart),
        via=local_id(e.via) if e.via else None, types=sorted(e.types.values()), status=e.status_label,
        delivered=e.delivered, focus=[ix.thesaurus.ref(c) for c in sorted(e.focus)], text=e.text,
        limitation=e.limitation, sources=ix.source_refs(e.sources))


def judgement_model(ix: AnalysisIndex, j: Judgement) -> JudgementRef:
    return JudgementRef(iri=j.iri, verdict=j.verdict, verdict_label=j.verdict_label,
                        judges=sorted(local_id(u) for u in j.judged), text=j.text, sources=ix.source_refs(j.sources))


def engagements_between(ix: AnalysisIndex, a: str, b: str) -> list[Engagement]:
    """Engagements whose two parties belong to the two mechanisms (platforms count for their mechanism)."""
    return list(ix.engagements_by_pair.get(frozenset((a, b)), ()))


def judgements_on(ix: AnalysisIndex, a: str, b: str) -> list[Judgement]:
    """The note's judgements on this pair of mechanisms (a judgement on NEAMPAN is one on NEASPEC's work)."""
    return list(ix.judgements_by_pair.get(frozenset((a, b)), ()))


def names(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
