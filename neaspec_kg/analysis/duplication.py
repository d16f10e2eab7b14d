"""Duplication between mechanisms, scored in SPARQL and explained in plain words with sources.

The ranking, the components and the level come from one set-based query (duplication-candidates);
only the pairs it returns are then described in detail (who is shared, where the focus areas meet,
which modalities they share, whether they already engage), so top-K and thresholds stay cheap.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from neaspec_kg.analysis.overlap import Engagement, engagements_among
from neaspec_kg.analysis.sources import Source, SourceIndex
from neaspec_kg.graph import select
from neaspec_kg.namespaces import local_id
from neaspec_kg.store import Row, SparqlStore

LEVELS = ("none", "thematic only", "focus overlap", "likely duplication")


@dataclass
class FocusMeeting:
    focus_a: str
    focus_b: str
    stated_a: str
    stated_b: str
    shared_modalities: list[str]
    sources: list[Source]

    def to_dict(self) -> dict[str, object]:
        return {"focus_a": self.focus_a, "focus_b": self.focus_b, "stated_a": self.stated_a,
                "stated_b": self.stated_b, "shared_modalities": self.shared_modalities,
                "sources": [s.to_dict() for s in self.sources]}


@dataclass
class Pair:
    a: str
    b: str
    label_a: str
    label_b: str
    score: float
    level: str
    components: dict[str, float]
    counts: dict[str, int]
    engaged: bool
    shared_members: list[dict[str, str]] = field(default_factory=list)
    shared_themes: list[str] = field(default_factory=list)
    focus_meetings: list[FocusMeeting] = field(default_factory=list)
    engagements: list[Engagement] = field(default_factory=list)
    explanation: str = ""
    sources: list[Source] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {
            "mechanisms": [self.a, self.b], "labels": [self.label_a, self.label_b],
            "score": self.score, "level": self.level, "components": self.components, "counts": self.counts,
            "shared_members": self.shared_members, "shared_themes": self.shared_themes,
            "shared_focus": [m.to_dict() for m in self.focus_meetings],
            "shared_modalities": sorted({x for m in self.focus_meetings for x in m.shared_modalities}),
            "engaged": self.engaged, "engagements": [e.to_dict() for e in self.engagements],
            "explanation": self.explanation, "sources": [s.to_dict() for s in self.sources],
        }


def _num(row: Row, key: str) -> float:
    return float(row[key].to_python()) if key in row else 0.0


def _names(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _explain(p: Pair) -> str:
    """Plain words an analyst can check against the facts and their sources."""
    a, b = p.label_a, p.label_b
    n = p.counts["shared_members"]
    parts = []
    if n:
        names = _names([m["label"] for m in p.shared_members])
        parts.append(f"{a} and {b} share {n} member{'s' if n != 1 else ''} ({names}; "
                     f"Jaccard {p.components['members_jaccard']:.2f}).")
    else:
        parts.append(f"{a} and {b} share no member.")
    if p.shared_themes:
        parts.append(f"Both work under the thematic area{'s' if len(p.shared_themes) > 1 else ''} "
                     f"{_names(p.shared_themes)}.")
    else:
        parts.append("They share no thematic area.")
    if p.focus_meetings:
        meets = []
        for m in p.focus_meetings:
            same = m.focus_a == m.focus_b
            where = f"both on {m.focus_a}" if same else f"{m.focus_a} and {m.focus_b}, one within the other"
            meets.append(f"{a}'s \"{m.stated_a}\" and {b}'s \"{m.stated_b}\" ({where})")
        parts.append("Their focus areas meet: " + "; ".join(meets) + ".")
        mods = sorted({x for m in p.focus_meetings for x in m.shared_modalities})
        parts.append(f"On that work they share the modalit{'ies' if len(mods) > 1 else 'y'} {_names(mods)}."
                     if mods else "No modality is recorded as shared on that work.")
    elif p.shared_themes:
        parts.append("Their focus areas differ within the theme, so by paragraph 36 of the note this is "
                     "not duplication.")
    reason = {
        "likely duplication": "a shared focus, worked on in the same way, for at least two of the same countries",
        "focus overlap": "a shared focus, but not the same modality or not for enough shared countries",
        "thematic only": "a shared theme with different focus areas",
        "none": "nothing to duplicate in common",
    }[p.level]
    parts.append(f"Level: {p.level} ({reason}); score {p.score:.3f}.")
    if p.engagements:
        parts.append("Recorded engagements: " + "; ".join(f"{e.types} ({e.status.lower()})" for e in p.engagements)
                     + ".")
    else:
        parts.append("No engagement between them is recorded.")
    if p.sources:
        parts.append("Sources: " + "; ".join(s.cite() for s in p.sources) + ".")
    return " ".join(parts)


def duplication(store: SparqlStore, sources: SourceIndex, *, mechanism: str | None = None,
                theme: str | None = None, country: str | None = None, min_score: float | None = None,
                include_related: bool = False, limit: int | None = None) -> list[Pair]:
    """Ranked pairs with components, level, details and an explanation."""
    rows = select(store, "duplication-candidates", {
        "mechanism": mechanism, "theme": theme, "country": country,
        "min_score": min_score, "include_related": include_related}, limit=limit)
    labels = _labels(store, {r["a"].value for r in rows} | {r["b"].value for r in rows})
    return [_pair(store, sources, r, labels) for r in rows]


def _labels(store: SparqlStore, iris: set[str]) -> dict[str, str]:
    out = {}
    for r in select(store, "mechanisms"):
        out[r["mechanism"].value] = r["acronym"].value if "acronym" in r else r["label"].value
    return {i: out.get(i, local_id(i)) for i in iris}


def _pair(store: SparqlStore, sources: SourceIndex, r: Row, labels: dict[str, str]) -> Pair:
    a_iri, b_iri = r["a"].value, r["b"].value
    a, b = local_id(a_iri), local_id(b_iri)
    p = Pair(
        a=a, b=b, label_a=labels[a_iri], label_b=labels[b_iri],
        score=round(_num(r, "score"), 3), level=r["level"].value,
        components={"members_jaccard": round(_num(r, "jaccard"), 3), "themes": round(_num(r, "themeScore"), 3),
                    "focus": round(_num(r, "focusScore"), 3), "modalities": round(_num(r, "modalityScore"), 3),
                    "content": round(_num(r, "content"), 3)},
        counts={k: int(_num(r, v)) for k, v in {
            "members_a": "membersA", "members_b": "membersB", "shared_members": "sharedMembers",
            "themes_a": "themesA", "themes_b": "themesB", "shared_themes": "sharedThemes",
            "work_areas_a": "workA", "work_areas_b": "workB", "matched_a": "matchedA", "matched_b": "matchedB",
            "shared_modalities": "sharedModalities"}.items()},
        engaged=r["engaged"].to_python() is True,
    )
    members = select(store, "shared-members", {"mechanism": [a_iri, b_iri]})
    p.shared_members = [{"id": m["iso3"].value, "label": m["label"].value}
                        for m in members if m["count"].to_python() == 2]
    p.shared_themes = [t["label"].value for t in select(store, "pair-themes", {"a": a_iri, "b": b_iri})]
    cited: list[str] = []
    for m in select(store, "pair-focus-matches", {"a": a_iri, "b": b_iri}):
        meeting_sources = sources.many(m["sourcesA"].value.split() + m["sourcesB"].value.split())
        cited += [s.iri for s in meeting_sources]
        p.focus_meetings.append(FocusMeeting(
            focus_a=m["faLabel"].value, focus_b=m["fbLabel"].value,
            stated_a=m["statedA"].value.replace(" | ", '" / "') if "statedA" in m else "",
            stated_b=m["statedB"].value.replace(" | ", '" / "') if "statedB" in m else "",
            shared_modalities=[x for x in m["sharedModalities"].value.split(", ") if x]
            if "sharedModalities" in m else [],
            sources=meeting_sources))
    p.engagements = engagements_among(store, sources, [a_iri, b_iri])
    cited += [s.iri for e in p.engagements for s in e.sources]
    p.sources = sources.many(cited or [])
    p.explanation = _explain(p)
    return p
