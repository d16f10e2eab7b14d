"""Free text to focus concepts, the way an analyst types it.

Matching is exact after normalisation (Unicode NFKC, case folding, punctuation and spacing
collapsed), against every preferred, alternative and hidden label in every language the thesaurus
has, so "Air-Quality", "air quality" and "AIR  QUALITY" are the same. Ids and IRIs are accepted too.
No fuzzy guessing: an unknown text is an error that lists the closest labels, because a wrong
silent match would give a wrong overlap answer.
"""
from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass

from neaspec_kg.errors import NeaspecKgError
from neaspec_kg.graph import select
from neaspec_kg.index.thesaurus import Concept
from neaspec_kg.namespaces import ID
from neaspec_kg.store import SparqlStore

FOCUS_NS = ID + "focus/"


def normalise(text: str) -> str:
    """Case-, width-, punctuation- and spacing-insensitive form of a label."""
    text = unicodedata.normalize("NFKC", text).casefold().replace("&", " and ")
    return " ".join(re.sub(r"[\W_]+", " ", text).split())


@dataclass(frozen=True)
class Suggestion:
    label: str
    concept: Concept

    def to_dict(self) -> dict[str, object]:
        return {"label": self.label, **self.concept.to_dict()}


class UnknownFocusError(NeaspecKgError):
    """No focus or thematic area has this label; ``suggestions`` holds the closest known ones."""

    def __init__(self, text: str, suggestions: list[Suggestion]) -> None:
        self.text = text
        self.suggestions = suggestions
        near = "; ".join(f"{s.label!r} ({s.concept.id})" for s in suggestions) or "none"
        super().__init__(f"no focus area is called {text!r}; closest known labels: {near}. "
                         f"Every focus area and its labels: `neaspec-kg focus-areas`, or /thesaurus on the server")


class FocusResolver:
    """An index of the thesaurus labels, read once from the store (the graph is read-only)."""

    def __init__(self, store: SparqlStore) -> None:
        self._by_label: dict[str, set[Concept]] = {}
        self._display: dict[str, str] = {}
        self.concepts: dict[str, Concept] = {}
        for row in select(store, "focus-labels"):
            concept = Concept(row["concept"].value, row["prefLabel"].value,
                              "theme" if row["isTheme"].to_python() is True else row["type"].value)
            self.concepts[concept.iri] = concept
            key = normalise(row["label"].value)
            if key:
                self._by_label.setdefault(key, set()).add(concept)
                self._display.setdefault(key, row["label"].value)
        for concept in self.concepts.values():  # ids work too: "air-pollution"
            self._by_label.setdefault(normalise(concept.id), set()).add(concept)

    def resolve(self, text: str) -> list[Concept]:
        """The concept(s) the text names; UnknownFocusError with suggestions if none."""
        text = (text or "").strip()
        if text in self.concepts:
            return [self.concepts[text]]
        if text.startswith(FOCUS_NS) and text in self.concepts:
            return [self.concepts[text]]
        found = self._lookup(normalise(text))
        if found:
            return sorted(found, key=lambda c: c.iri)
        # everyday phrasing names two things at once: "Amur tiger and leopard", "cranes, spoonbills"
        parts = [p for p in re.split(r"\s*(?:,|;|/|\band\b|\bor\b)\s*", normalise(text)) if p]
        if len(parts) > 1:
            hits = [self._lookup(p) for p in parts]
            if all(hits):
                return sorted(set().union(*hits), key=lambda c: c.iri)  # type: ignore[arg-type]
        # a longer phrase that contains known labels ("source-receptor modelling of transboundary air pollution"):
        # the longest labels it contains, word for word, never overlapping
        contained = self._contained(normalise(text))
        if contained:
            return sorted(contained, key=lambda c: c.iri)
        raise UnknownFocusError(text, self.suggest(text))

    def _contained(self, key: str) -> set[Concept]:
        words = key.split()
        if len(words) < 2:
            return set()
        taken = [False] * len(words)
        out: set[Concept] = set()
        # labels of two words or more only: a single word inside a phrase ("marine" in "marine turtles") says
        # too little to answer for the whole phrase
        for size in range(len(words) - 1, 1, -1):
            for i in range(len(words) - size + 1):
                if any(taken[i:i + size]):
                    continue
                hit = self._lookup(" ".join(words[i:i + size]))
                if hit:
                    out |= hit
                    taken[i:i + size] = [True] * size
        return out

    def _lookup(self, key: str) -> set[Concept] | None:
        """A normalised label, or its plural or singular (labels are kept in the form the sources use)."""
        for k in (key, key + "s", key + "es", key[:-1] if key.endswith("s") else None,
                  key[:-2] if key.endswith("es") else None):
            if k and k in self._by_label:
                return self._by_label[k]
        return None

    def suggest(self, text: str, n: int = 5) -> list[Suggestion]:
        """The closest labels: similar spelling first, then labels sharing a word with the text."""
        key = normalise(text)
        keys = list(self._display)
        close = difflib.get_close_matches(key, keys, n=n, cutoff=0.55) if key else []
        words = set(key.split())
        for k in sorted(keys, key=lambda k: (-len(words & set(k.split())), len(k))):
            if len(close) >= n or not words & set(k.split()):
                break
            if k not in close:
                close.append(k)
        out, seen = [], set()
        for k in close[:n]:
            for concept in sorted(self._by_label[k], key=lambda c: c.iri):
                if concept.iri not in seen:
                    seen.add(concept.iri)
                    out.append(Suggestion(self._display[k], concept))
        return out[:n]
