"""Names in the reader's language: the graph's preferred labels (``preferred-labels``) for one language.

The analysis answers carry English labels; a page or a document in another language shows the graph's label
in that language where it has one, and the English one otherwise. ``Names`` is that lookup, read once per
rendering; the brief (``api/brief_page.py``) and the map (``api/map_page.py``) both name mechanisms, countries
and concepts through it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from neaspec_kg.graph import select
from neaspec_kg.models import CountryRef, UnitRef
from neaspec_kg.namespaces import country as country_iri
from neaspec_kg.store import SparqlStore


@dataclass(frozen=True)
class Names:
    """Labels in one language by IRI (empty for English: the answers' own labels are English)."""

    by_iri: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, store: SparqlStore, lang: str) -> Names:
        """The graph's preferred labels in ``lang``."""
        if lang == "en":
            return cls()
        return cls({r["resource"].value: r["label"].value
                    for r in select(store, "preferred-labels", {"lang": lang})})

    def concept(self, iri: str, english: str) -> str:
        """Any resource (a focus area, a theme) by its IRI, with its English label to fall back on."""
        return self.by_iri.get(iri, english)

    def unit(self, u: UnitRef) -> str:
        """A mechanism or platform by its full name."""
        return self.by_iri.get(u.iri, u.label)

    def short(self, u: UnitRef) -> str:
        """A mechanism or platform by its acronym (how the note names them), its name where it has none."""
        return u.acronym or self.unit(u)

    def country(self, c: CountryRef) -> str:
        return self.by_iri.get(country_iri(c.id), c.label)
