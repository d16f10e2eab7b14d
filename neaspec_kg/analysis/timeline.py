"""When things happened, as the sources say: establishment of every mechanism, platform and plan, countries
joining, resolutions adopted. Where sources give different dates for the same event, every date is kept with
its sources and marked as disputed, never reconciled here (NEA-LCCP: 2016 in paragraph 6, 2014 on NEASPEC's
site)."""
from __future__ import annotations

from collections import defaultdict

from neaspec_kg.graph import select
from neaspec_kg.index.sources import SourceIndex
from neaspec_kg.models import SourceRef, Timeline, TimelineEvent, TimelineLane
from neaspec_kg.store import SparqlStore, text


def timeline(store: SparqlStore, sources: SourceIndex) -> Timeline:
    lanes: dict[str, dict[str, object]] = {}
    claims: dict[tuple[str, str, str | None, str], set[str]] = defaultdict(set)
    for r in select(store, "timeline-events"):
        subject = r["subject"].value
        lanes.setdefault(subject, {"label": r["label"].value, "type": r["type"].value,
                                   "acronym": text(r, "acronym")})
        country = text(r, "country")
        claims[(subject, r["event"].value, country, r["date"].value)].add(r["source"].value)
    dates_of: dict[tuple[str, str, str | None], set[str]] = defaultdict(set)
    for subject, event, country, day in claims:
        dates_of[(subject, event, country)].add(day[:4])
    events: dict[str, list[TimelineEvent]] = defaultdict(list)
    for (subject, event, country, day), srcs in claims.items():
        refs = [SourceRef(iri=s.iri, label=s.label, kind=s.kind, locator=s.locator, url=s.url,
                          secondary=s.secondary) for s in sources.many(sorted(srcs))]
        events[subject].append(TimelineEvent(
            event=event, date=day, year=int(day[:4]), country=country,  # type: ignore[arg-type]
            disputed=len(dates_of[(subject, event, country)]) > 1, sources=refs))
    out = []
    for subject, lane in lanes.items():
        evs = sorted(events[subject], key=lambda e: (e.date, e.event, e.country or ""))
        out.append(TimelineLane(iri=subject, label=str(lane["label"]), acronym=lane["acronym"],  # type: ignore[arg-type]
                                type=lane["type"], events=evs))  # type: ignore[arg-type]
    out.sort(key=lambda lane: (min(e.year for e in lane.events), lane.acronym or lane.label))
    years = [e.year for lane in out for e in lane.events]
    return Timeline(first_year=min(years, default=1990), last_year=max(years, default=2026), lanes=out)
