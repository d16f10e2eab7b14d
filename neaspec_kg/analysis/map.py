"""What the map shades: every country the graph knows, with how many mechanisms it takes part in, or its status
in one chosen mechanism or platform.

Built from ``Analyst.participation_matrix`` (whose rows are ``Analyst.country_participation`` answers), so the
map, the participation matrix and ``/countries/{code}/participation`` cannot disagree. The count is the matrix's
own: mechanisms where the country is a member *or an observer*, each once (a platform counts for its
mechanism, so NEASPEC and NEAMPAN are one); uncertain participation (the sources do not show it held on the
day asked) is not counted but listed apart. Shapes and drawing are the web
layer's business (``api.map_page``); this module knows nothing of geometry.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field

from neaspec_kg.analysis import UnknownUnitError
from neaspec_kg.models import CountryRef, Model, SourceRef, UnitRef

if TYPE_CHECKING:
    from neaspec_kg.analysis import Analyst

MapStatus = Literal["member", "observer", "uncertain", "none"]

#: what ``count`` means, said once for the page, the JSON and the tests
COUNTED = ("mechanisms the country takes part in as a member or an observer, each counted once (a platform such "
           "as NEAMPAN counts for its mechanism, NEASPEC); uncertain participation is not counted")


class MapCountry(Model):
    """One country as the map shades it."""

    country: CountryRef
    count: int = Field(description="mechanisms taken part in as member or observer (the participation matrix's count)")
    members: list[str] = Field(description="ids of the units the country is a member of")
    observer: list[str] = Field(description="ids of the units the country is an observer in")
    uncertain: list[str] = Field(description="ids of the units whose participation cannot be shown on the day")
    status: MapStatus | None = Field(None, description="with a chosen unit: the country's status in it; "
                                                       "'none' means no source in the graph places it there")
    since: list[str] = Field(default_factory=list, description="with a chosen unit: start dates as sources give them")
    roles_disagree: str | None = None
    sources: list[SourceRef] = Field(description="the sources of what is shaded")


class ParticipationMap(Model):
    """The map's answer: one entry per country the graph knows, in the participation matrix's order."""

    as_of: str | None = None
    mechanism: UnitRef | None = Field(None, description="the chosen mechanism or platform, if any")
    counted: str = COUNTED
    max_count: int
    units: list[UnitRef] = Field(description="every mechanism and platform with participation in the graph")
    countries: list[MapCountry]


def participation_units(analyst: Analyst) -> list[UnitRef]:
    """The units a map can be shaded by: those with any participation claim, mechanisms first."""
    ix = analyst.index
    refs = [ix.units[u].ref() for u in ix.claims if u in ix.units]
    order = {"mechanism": 0, "platform": 1, "plan": 2}
    return sorted(refs, key=lambda u: (order[u.type], (u.acronym or u.label).casefold()))


def participation_map(analyst: Analyst, *, mechanism: str | None = None, as_of: str | None = None) -> ParticipationMap:
    """The map for ``as_of`` (default today), shaded by count or, with ``mechanism``, by status in that unit.

    Raises ``UnknownUnitError`` (with every choosable id as suggestions) for a unit without participation and
    ``DateError`` for a day that does not exist.
    """
    units = participation_units(analyst)
    chosen: UnitRef | None = None
    if mechanism is not None:
        wanted = mechanism.strip().casefold()
        chosen = next((u for u in units if wanted in (u.id.casefold(), (u.acronym or "").casefold())), None)
        if chosen is None:
            raise UnknownUnitError(mechanism, [u.id for u in units])
    m = analyst.participation_matrix(as_of=as_of)
    rows = {r.country.id: r for r in m.rows}
    ix = analyst.index
    everyone = sorted((ix.country_ref(iri) for iri in ix.country_labels), key=lambda c: c.label)
    order = [r.country for r in m.rows] + [c for c in everyone if c.id not in rows]
    countries = []
    for c in order:
        row = rows.get(c.id)
        cells = row.cells if row else {}
        by = {s: [u for u, p in cells.items() if p.status == s] for s in ("member", "observer", "uncertain")}
        status: MapStatus | None = None
        since: list[str] = []
        disagree = None
        if chosen is not None:
            cell = cells.get(chosen.id)
            status = cell.status if cell else "none"
            since = cell.since if cell else []
            disagree = cell.roles_disagree if cell else None
            sources = cell.sources if cell else []
        else:
            seen: dict[str, SourceRef] = {}
            for p in cells.values():
                for s in p.sources:
                    seen.setdefault(s.iri, s)
            sources = sorted(seen.values(), key=lambda s: s.label)
        countries.append(MapCountry(country=c, count=row.count if row else 0, members=by["member"],
                                    observer=by["observer"], uncertain=by["uncertain"], status=status,
                                    since=since, roles_disagree=disagree, sources=sources))
    return ParticipationMap(as_of=m.as_of, mechanism=chosen, max_count=max((c.count for c in countries), default=0),
                            units=units, countries=countries)
