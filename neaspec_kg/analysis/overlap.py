"""Which mechanisms overlap on a focus: thin Python over the overlap-by-focus and shared-members queries."""
from __future__ import annotations

from dataclasses import dataclass, field

from neaspec_kg.analysis.focus import Concept
from neaspec_kg.analysis.sources import Source, SourceIndex
from neaspec_kg.graph import select
from neaspec_kg.namespaces import local_id
from neaspec_kg.store import SparqlStore


@dataclass
class WorkMatch:
    focus: Concept
    stated_as: list[str]
    modalities: list[str]
    through: str | None
    sources: list[Source]

    def to_dict(self) -> dict[str, object]:
        return {"focus": self.focus.to_dict(), "stated_as": self.stated_as, "modalities": self.modalities,
                "through": self.through, "sources": [s.to_dict() for s in self.sources]}


@dataclass
class MechanismOnFocus:
    id: str
    iri: str
    acronym: str | None
    label: str
    work: list[WorkMatch] = field(default_factory=list)
    members: list[str] = field(default_factory=list)

    @property
    def matched_focus_areas(self) -> list[Concept]:
        seen: dict[str, Concept] = {}
        for w in self.work:
            seen.setdefault(w.focus.iri, w.focus)
        return list(seen.values())

    @property
    def platforms(self) -> list[str]:
        return sorted({w.through for w in self.work if w.through})

    @property
    def modalities(self) -> list[str]:
        return sorted({m for w in self.work for m in w.modalities})

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id, "iri": self.iri, "acronym": self.acronym, "label": self.label,
            "matched_focus_areas": [c.to_dict() for c in self.matched_focus_areas],
            "modalities": self.modalities, "platforms": self.platforms, "members": self.members,
            "work": [w.to_dict() for w in self.work],
        }


@dataclass
class SharedMember:
    iso3: str
    label: str
    mechanisms: list[str]

    def to_dict(self) -> dict[str, object]:
        return {"id": self.iso3, "label": self.label, "mechanisms": self.mechanisms}


@dataclass
class Engagement:
    iri: str
    party: str
    counterpart: str
    types: str
    status: str
    stated_as: str
    limitation: str | None
    sources: list[Source]

    def to_dict(self) -> dict[str, object]:
        return {"id": local_id(self.iri), "iri": self.iri, "party": self.party, "counterpart": self.counterpart,
                "types": self.types, "status": self.status, "stated_as": self.stated_as,
                "limitation": self.limitation, "sources": [s.to_dict() for s in self.sources]}


@dataclass
class OverlapResult:
    focus: list[Concept]
    country: str | None
    mechanisms: list[MechanismOnFocus]
    shared_members: list[SharedMember]
    engagements: list[Engagement]

    def to_dict(self) -> dict[str, object]:
        return {
            "focus": [c.to_dict() for c in self.focus], "country": self.country,
            "mechanisms": [m.to_dict() for m in self.mechanisms],
            "shared_members": [s.to_dict() for s in self.shared_members],
            "engagements": [e.to_dict() for e in self.engagements],
        }


def engagements_among(store: SparqlStore, sources: SourceIndex, mechanism_ids: list[str]) -> list[Engagement]:
    if len(mechanism_ids) < 2:
        return []
    rows = select(store, "engagements-among", {"mechanism": mechanism_ids})
    return [
        Engagement(iri=r["engagement"].value, party=local_id(r["party"].value),
                   counterpart=local_id(r["counterpart"].value), types=r["types"].value,
                   status=r["statusLabel"].value, stated_as=r["statedAs"].value,
                   limitation=r["limitation"].value or None if "limitation" in r else None,
                   sources=sources.many(r["sources"].value))
        for r in rows
    ]


def overlap(store: SparqlStore, sources: SourceIndex, concepts: list[Concept], country: str | None = None,
            include_related: bool = False, as_of: str | None = None) -> OverlapResult:
    """Mechanisms working on the concepts or anything narrower, their members and shared members."""
    params = {"focus": [c.iri for c in concepts], "country": country, "include_related": include_related}
    by_id: dict[str, MechanismOnFocus] = {}
    for r in select(store, "overlap-by-focus", params):
        mid = local_id(r["mechanism"].value)
        m = by_id.setdefault(mid, MechanismOnFocus(
            id=mid, iri=r["mechanism"].value, acronym=r["acronym"].value if "acronym" in r else None,
            label=r["label"].value))
        m.work.append(WorkMatch(
            focus=Concept(r["matched"].value, r["matchedLabel"].value, False),
            stated_as=r["statedAs"].value.split(" | ") if "statedAs" in r else [],
            modalities=[x for x in r["modalityLabels"].value.split(", ") if x] if "modalityLabels" in r else [],
            through=r["throughName"].value if "throughName" in r else None,
            sources=sources.many(r["sources"].value),
        ))
    mechanisms = sorted(by_id.values(), key=lambda m: m.acronym or m.id)
    shared: list[SharedMember] = []
    if mechanisms:
        rows = select(store, "shared-members", {"mechanism": [m.iri for m in mechanisms], "as_of": as_of})
        for r in rows:
            ids = sorted(local_id(i) for i in r["mechanisms"].value.split())
            for mid in ids:
                by_id[mid].members.append(r["iso3"].value)
            if len(ids) >= 2:
                shared.append(SharedMember(r["iso3"].value, r["label"].value, ids))
    for m in mechanisms:
        m.members.sort()
    return OverlapResult(
        focus=concepts, country=country, mechanisms=mechanisms, shared_members=shared,
        engagements=engagements_among(store, sources, [m.id for m in mechanisms]),
    )
