"""The coverage matrix: every focus area (grouped by theme) against every mechanism, each cell the strongest
evidence that the mechanism works there, the same evidence and rules as overlap (so a cell never says more
than the overlap answer would). Rows where nobody delivers work are gaps; rows with one mechanism have no
overlap to worry about; the rest are where duplication may hide."""
from __future__ import annotations

from datetime import date

from neaspec_kg.analysis.overlap import overlap
from neaspec_kg.index import AnalysisIndex
from neaspec_kg.models import CoverageMatrix, MatrixCell, MatrixRow, UnitRef


def _ordered(ix: AnalysisIndex) -> list[tuple[str, int]]:
    """Concepts depth-first under their themes (a concept under two themes appears under each)."""
    th = ix.thesaurus
    out: list[tuple[str, int]] = []

    def walk(iri: str, depth: int) -> None:
        out.append((iri, depth))
        for child in sorted(th.narrower.get(iri, ()), key=lambda c: th.concepts[c].label):
            if th.concepts.get(child) and th.concepts[child].type != "species":
                walk(child, depth + 1)

    for theme in sorted((c for c in th.concepts.values() if c.is_theme), key=lambda c: c.label):
        walk(theme.iri, 0)
    return out


def coverage_matrix(ix: AnalysisIndex, *, country: str | None = None, as_of: date | None = None,
                    include_related: bool = False) -> CoverageMatrix:
    rows: list[MatrixRow] = []
    seen_mechanisms: set[str] = set()
    platforms: dict[str, UnitRef] = {}
    for iri, depth in _ordered(ix):
        answer = overlap(ix, [ix.thesaurus.concepts[iri]], country=country, as_of=as_of,
                         include_related=include_related)
        cells: list[MatrixCell] = []
        delivered = [m for m in answer.mechanisms if m.country_status != "uncertain"]
        for m in (*delivered, *answer.planned_or_proposed):
            if any(c.mechanism == m.mechanism.id for c in cells):
                continue  # delivered work wins over planned work of the same mechanism
            seen_mechanisms.add(m.mechanism.iri)
            strongest = m.evidence[0]
            platforms.update({ev.via.id: ev.via for ev in m.evidence if ev.via})
            cells.append(MatrixCell(mechanism=m.mechanism.id, kind=strongest.kind, delivered=strongest.delivered,
                                    via=sorted({ev.via.id for ev in m.evidence if ev.via}),
                                    sources=strongest.sources))
        n = len(delivered)
        rows.append(MatrixRow(concept=ix.thesaurus.ref(iri), depth=depth, cells=cells, delivered=n,
                              status="gap" if n == 0 else "single" if n == 1 else "overlap"))
    units = sorted((ix.units[m] for m in seen_mechanisms),
                   key=lambda u: (not u.subregional, u.acronym or u.label))
    return CoverageMatrix(country=country, as_of=as_of.isoformat() if as_of else None,
                          include_related=include_related, mechanisms=[u.ref() for u in units],
                          platforms=sorted(platforms.values(), key=lambda u: (u.part_of or "", u.acronym or u.label)),
                          rows=rows)
