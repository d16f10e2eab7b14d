"""The focus thesaurus as a graph the analyses can walk: broader, narrower, related, themes.

Built from the ``index-concepts`` extraction query. Species link to the focus areas they belong to through
``skos:broadMatch`` and are walked like ``skos:broader``, so a question about cranes reaches migratory waterbirds.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from neaspec_kg.index.compact import ByFields
from neaspec_kg.models import ConceptRef
from neaspec_kg.namespaces import local_id


@dataclass(frozen=True, slots=True)
class Concept(ByFields):
    iri: str
    label: str
    type: str  # "theme" | "focus" | "species"

    @property
    def id(self) -> str:
        return local_id(self.iri)

    @property
    def is_theme(self) -> bool:
        return self.type == "theme"

    def to_dict(self) -> dict[str, object]:
        return self.ref().model_dump()

    def ref(self) -> ConceptRef:
        kind = {"theme": "thematic area", "focus": "focus area", "species": "species"}[self.type]
        return ConceptRef(id=self.id, iri=self.iri, label=self.label, kind=kind)  # type: ignore[arg-type]


@dataclass
class Thesaurus:
    concepts: dict[str, Concept] = field(default_factory=dict)
    broader: dict[str, set[str]] = field(default_factory=dict)
    narrower: dict[str, set[str]] = field(default_factory=dict)
    related: dict[str, set[str]] = field(default_factory=dict)

    @classmethod
    def from_rows(cls, rows: Iterable[dict[str, str]]) -> Thesaurus:
        t = cls()
        for r in rows:
            c = r["concept"]
            if c not in t.concepts or r["type"] == "theme":
                t.concepts[c] = Concept(c, r["label"], r["type"])
            link, target = r.get("link"), r.get("target")
            if link == "broader" and target:
                t.broader.setdefault(c, set()).add(target)
                t.narrower.setdefault(target, set()).add(c)
            elif link == "related" and target:
                t.related.setdefault(c, set()).add(target)
                t.related.setdefault(target, set()).add(c)
        return t

    _up: dict[str, dict[str, int]] = field(default_factory=dict)
    _down: dict[str, dict[str, int]] = field(default_factory=dict)

    def ancestors(self, iri: str) -> dict[str, int]:
        """Every broader concept (transitively) with its distance in steps (the shortest)."""
        return self._walk(iri, self.broader, self._up)

    def descendants(self, iri: str) -> dict[str, int]:
        """Every narrower concept (transitively) with its distance in steps."""
        return self._walk(iri, self.narrower, self._down)

    @staticmethod
    def _walk(iri: str, edges: dict[str, set[str]], memo: dict[str, dict[str, int]]) -> dict[str, int]:
        """Breadth-first from ``iri`` along ``edges``; remembered, as the thesaurus never changes once built."""
        if iri in memo:
            return memo[iri]
        out: dict[str, int] = {}
        frontier, depth = {iri}, 0
        while frontier:
            depth += 1
            nxt: set[str] = set()
            for c in frontier:
                for n in edges.get(c, ()):
                    if n not in out and n != iri:
                        out[n] = depth
                        nxt.add(n)
            frontier = nxt
        memo[iri] = out
        return out

    def themes(self, iri: str) -> set[str]:
        """The thematic areas (top concepts) a concept sits under, itself included if it is one."""
        found = {a for a in self.ancestors(iri) if self.concepts.get(a, Concept(a, a, "focus")).is_theme}
        if iri in self.concepts and self.concepts[iri].is_theme:
            found.add(iri)
        return found

    def relation(self, a: str, b: str) -> tuple[str, int] | None:
        """How concept ``a`` relates to ``b``: ('same', 0), ('narrower', steps) when a is under b,
        ('broader', steps) when a is above b, ('related', 1), or None."""
        if a == b:
            return ("same", 0)
        if b in (up := self.ancestors(a)):
            return ("narrower", up[b])
        if a in (up_b := self.ancestors(b)):
            return ("broader", up_b[a])
        if b in self.related.get(a, ()):
            return ("related", 1)
        return None

    def ref(self, iri: str) -> ConceptRef:
        return self.concepts[iri].ref() if iri in self.concepts else Concept(iri, local_id(iri), "focus").ref()
