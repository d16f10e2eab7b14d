"""Focus resolution, overlap and duplication: thin Python over the named queries.

``Analyst`` is the facade the CLI and the API use. The graph is read-only once built, so the label
and source indexes are read once per store.
"""
from __future__ import annotations

from neaspec_kg.analysis.duplication import LEVELS, Pair, duplication
from neaspec_kg.analysis.focus import Concept, FocusResolver, UnknownFocusError, normalise
from neaspec_kg.analysis.overlap import OverlapResult, overlap
from neaspec_kg.analysis.sources import Source, SourceIndex
from neaspec_kg.store import SparqlStore

__all__ = ["LEVELS", "Analyst", "Concept", "OverlapResult", "Pair", "Source", "UnknownFocusError", "normalise"]


class Analyst:
    """The questions analysts ask, answered from one store."""

    def __init__(self, store: SparqlStore) -> None:
        self.store = store
        self.focus = FocusResolver(store)
        self.sources = SourceIndex(store)

    def overlap(self, focus: str, *, country: str | None = None, include_related: bool = False,
                as_of: str | None = None) -> OverlapResult:
        """Mechanisms that work on ``focus`` (free text, id or IRI) or anything narrower."""
        return overlap(self.store, self.sources, self.focus.resolve(focus), country=country,
                       include_related=include_related, as_of=as_of)

    def duplication(self, *, mechanism: str | None = None, theme: str | None = None, country: str | None = None,
                    min_score: float | None = None, include_related: bool = False,
                    limit: int | None = None) -> list[Pair]:
        """Ranked pairs; ``theme`` may be free text (resolved like a focus)."""
        theme_iri = None
        if theme:
            concepts = self.focus.resolve(theme)
            theme_iri = concepts[0].iri
        return duplication(self.store, self.sources, mechanism=mechanism, theme=theme_iri, country=country,
                           min_score=min_score, include_related=include_related, limit=limit)
