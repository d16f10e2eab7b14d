"""The questions analysts ask, answered from the analysis index: focus resolution, overlap with evidence kinds,
duplication as paragraph 36 judges it, proposal checks, and profiles.

``Analyst`` is the facade the CLI, the API and the views use. The graph is read-only once built, so the index
is extracted once per store.
"""
from __future__ import annotations

from neaspec_kg.analysis.check import check, proposals
from neaspec_kg.analysis.duplication import DEFAULT_MIN_EVIDENCE, LEVEL_LABELS, LEVELS, compare, duplication
from neaspec_kg.analysis.focus import FocusResolver, UnknownFocusError, normalise
from neaspec_kg.analysis.overlap import overlap
from neaspec_kg.errors import NeaspecKgError
from neaspec_kg.index import EVIDENCE_KINDS, Concept, cached_index
from neaspec_kg.index.periods import DateError, parse_as_of
from neaspec_kg.index.sources import Source
from neaspec_kg.models import (
    CheckAnswer,
    CountryAnswer,
    CoverageMatrix,
    DuplicationAnswer,
    OverlapAnswer,
    PairAnswer,
    Participation,
    ParticipationMatrix,
    ParticipationRow,
    ProposalsAnswer,
    ProposedWork,
    Timeline,
    UnitRef,
)
from neaspec_kg.namespaces import country as country_iri
from neaspec_kg.store import SparqlStore

__all__ = ["DEFAULT_MIN_EVIDENCE", "EVIDENCE_KINDS", "LEVELS", "LEVEL_LABELS", "Analyst", "Concept", "DateError",
           "OverlapAnswer", "PairAnswer", "Source", "UnknownFocusError", "UnknownUnitError", "normalise"]


class UnknownUnitError(NeaspecKgError, LookupError):
    """No mechanism, platform or plan has this id; ``suggestions`` holds the closest ids."""

    def __init__(self, text: str, suggestions: list[str]) -> None:
        self.text = text
        self.suggestions = suggestions
        near = ", ".join(suggestions) or "none"
        super().__init__(f"no mechanism, platform or plan is called {text!r}; closest known ids: {near}")


class Analyst:
    """The questions analysts ask, answered from one store through its analysis index."""

    def __init__(self, store: SparqlStore) -> None:
        self.store = store
        self.index = cached_index(store)
        self.sources = self.index.sources  # read with the index (the index file holds it), not again
        self.focus = FocusResolver(store)

    def _country(self, code: str | None) -> str | None:
        """An ISO alpha-3 code the graph knows, upper-cased; UnknownUnitError with the closest otherwise."""
        if not code:
            return None
        code = code.strip().upper()
        if country_iri(code) not in self.index.country_labels:
            import difflib

            codes = sorted(c.rsplit("/", 1)[-1] for c in self.index.country_labels)
            raise UnknownUnitError(code, difflib.get_close_matches(code, codes, n=5, cutoff=0.3))
        return code

    def _unit(self, text: str) -> str:
        u = self.index.unit(text)
        if u is None:
            import difflib
            ids = sorted({x.id for x in self.index.units.values()})
            raise UnknownUnitError(text, difflib.get_close_matches(text.lower(), ids, n=5, cutoff=0.5))
        return u.owner

    def overlap(self, focus: str, *, country: str | None = None, as_of: str | None = None,
                min_evidence: str = "engagement", include_related: bool = False, related_concepts: bool = False,
                broader_concepts: bool = False, limit: int | None = None) -> OverlapAnswer:
        """Who works on ``focus`` (free text, id or IRI) or anything narrower, with the evidence for each."""
        return overlap(self.index, self.focus.resolve(focus), country=self._country(country),
                       as_of=parse_as_of(as_of), min_evidence=min_evidence, include_related=include_related,
                       related_concepts=related_concepts, broader_concepts=broader_concepts, limit=limit)

    def duplication(self, *, mechanism: str | None = None, theme: str | None = None, country: str | None = None,
                    as_of: str | None = None, min_score: float = 0.0, limit: int | None = 10,
                    include_related: bool = False, min_evidence: str = DEFAULT_MIN_EVIDENCE) -> DuplicationAnswer:
        """Ranked pairs; ``theme`` may be free text (resolved like a focus); ``mechanism`` an id."""
        theme_iri = self.focus.resolve(theme)[0].iri if theme else None
        return duplication(self.index, mechanism=self._unit(mechanism) if mechanism else None, theme=theme_iri,
                           country=self._country(country), as_of=parse_as_of(as_of),
                           min_score=min_score, limit=limit, include_related=include_related,
                           min_evidence=min_evidence)

    def pair(self, a: str, b: str, *, as_of: str | None = None,
             min_evidence: str = DEFAULT_MIN_EVIDENCE) -> PairAnswer:
        """The explained comparison of two mechanisms (platforms count for their mechanism)."""
        return compare(self.index, self._unit(a), self._unit(b), as_of=parse_as_of(as_of), min_evidence=min_evidence)

    def check(self, work: ProposedWork, *, include_related: bool = True) -> CheckAnswer:
        """Who already does a proposed piece of work, ranked, with the paragraph-36 verdict."""
        if work.proposer:
            work = work.model_copy(update={"proposer": self.index.units[self._unit(work.proposer)].id})
        for code in work.countries:
            self._country(code)
        return check(self.index, self.focus, work, include_related=include_related)

    def proposals(self) -> ProposalsAnswer:
        """The proposals of paragraph 21, each with who already covers it."""
        return proposals(self.index)

    def matrix(self, *, country: str | None = None, as_of: str | None = None,
               include_related: bool = False) -> CoverageMatrix:
        """Focus areas against mechanisms: the strongest evidence in each cell, gaps and single rows marked."""
        from neaspec_kg.analysis.matrix import coverage_matrix

        return coverage_matrix(self.index, country=self._country(country), as_of=parse_as_of(as_of),
                               include_related=include_related)

    def participation_matrix(self, *, as_of: str | None = None) -> ParticipationMatrix:
        """Every country that takes part in anything, against every unit anyone takes part in: the rows are
        ``country_participation`` answers, so the two views cannot drift apart."""
        day = parse_as_of(as_of)
        answers = [self.country_participation(iri.rsplit("/", 1)[-1], as_of=as_of)
                   for iri in self.index.country_labels]
        rows = [ParticipationRow(country=a.country, cells={p.unit.id: p for p in a.mechanisms},
                                 count=len({p.unit.part_of or p.unit.id for p in a.mechanisms
                                            if p.status != "uncertain"}))
                for a in answers if a.mechanisms]
        rows.sort(key=lambda r: (-r.count, r.country.label))
        units: dict[str, UnitRef] = {}
        taking_part: dict[str, int] = {}
        for a in answers:
            for p in a.mechanisms:
                units[p.unit.id] = p.unit
                taking_part[p.unit.id] = taking_part.get(p.unit.id, 0) + (p.status != "uncertain")
        order = sorted(units.values(), key=lambda u: (-taking_part[u.id], u.acronym or u.label))
        return ParticipationMatrix(as_of=day.isoformat() if day else None, units=order, rows=rows)

    def timeline(self) -> Timeline:
        """Establishments, accessions and resolutions by date, every disputed date kept with its sources."""
        from neaspec_kg.analysis.timeline import timeline

        return timeline(self.store, self.sources)

    def country_participation(self, code: str, *, as_of: str | None = None) -> CountryAnswer:
        """The mechanisms and platforms a country takes part in (as of a day), uncertain ones apart."""
        ix = self.index
        iri = country_iri(code.upper())
        if iri not in ix.country_labels:
            import difflib
            by_name = {v.casefold(): k for k, v in ix.country_labels.items()}
            hit = by_name.get(code.casefold())
            if hit is None:
                near = difflib.get_close_matches(code.casefold(), list(by_name), n=3, cutoff=0.6)
                codes = [f"{ix.country_labels[by_name[n]]} ({by_name[n].rsplit('/', 1)[-1]})" for n in near]
                raise UnknownUnitError(code, codes)
            iri = hit
        day = parse_as_of(as_of)
        rows: list[Participation] = []
        order = {"member": 0, "observer": 1, "uncertain": 2}
        for unit_iri in ix.claims.units_with(iri):
            claims = ix.claims[unit_iri]
            known, unsure = ix.participation(unit_iri, day)
            status = known.get(iri) or ("uncertain" if iri in unsure else None)
            if status is None:
                continue
            cs = claims[iri]
            roles: dict[str, set[str]] = {}
            for c in cs:
                roles.setdefault("member" if c.role in ("member", "coverage") else c.role, set()).add(c.source)
            disagree = None
            if len(roles) > 1:
                disagree = "; ".join(f"{role} per {', '.join(s.url or s.label for s in ix.source_refs(srcs))}"
                                     for role, srcs in sorted(roles.items()))
            rows.append(Participation(unit=ix.units[unit_iri].ref(), status=status,  # type: ignore[arg-type]
                                      roles_disagree=disagree,
                                      since=sorted({c.since.text for c in cs if c.since}),
                                      sources=ix.source_refs({c.source for c in cs})))
        rows.sort(key=lambda p: (order[p.status], not p.unit.subregional, p.unit.acronym or p.unit.label))
        ref = ix.country_ref(iri)
        n = sum(1 for p in rows if p.status != "uncertain")
        when = f" as of {day.isoformat()}" if day else ""
        unsure_units = [p.unit.acronym or p.unit.label for p in rows if p.status == "uncertain"]
        plural = "s" if n != 1 else ""
        summary = (f"{ref.label} takes part in {n} mechanism{plural} or platform{plural}{when}"
                   + (f"; uncertain on that day: {', '.join(unsure_units)}" if unsure_units else "") + ".")
        return CountryAnswer(country=ref, as_of=day.isoformat() if day else None, mechanisms=rows, summary=summary)
