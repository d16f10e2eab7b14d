"""Readable citations for source IRIs ("NEASPEC/NFP-2/1, Table 2", or a URL)."""
from __future__ import annotations

from dataclasses import dataclass

from neaspec_kg.graph import select_table
from neaspec_kg.store import SparqlStore


@dataclass(frozen=True)
class Source:
    iri: str
    label: str
    kind: str
    locator: str | None = None
    url: str | None = None
    secondary: bool = False

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"iri": self.iri, "label": self.label, "kind": self.kind}
        if self.locator:
            out["locator"] = self.locator
        if self.url:
            out["url"] = self.url
            out["secondary"] = self.secondary
        return out

    def cite(self) -> str:
        return self.url if self.url else self.label


class SourceIndex:
    """Every catalogued source by IRI, read once."""

    def __init__(self, store: SparqlStore) -> None:
        self.by_iri: dict[str, Source] = {}
        names, rows = select_table(store, "index-sources")
        for row in rows:
            r = dict(zip(names, row, strict=True))
            current = self.by_iri.get(r["source"])
            if current and current.kind == "DocumentPart":  # a part of a document is also typed a document
                continue
            self.by_iri[r["source"]] = Source(
                iri=r["source"], label=r["label"], kind=r["kind"].rsplit("#", 1)[-1],
                locator=r["locator"] or None, url=r["url"] or None, secondary=r["secondary"] == "true")

    def many(self, iris: str | list[str] | None) -> list[Source]:
        """Sources for a space-separated GROUP_CONCAT of IRIs (or a list), in a stable order:
        parts of the note first, then web sources."""
        if not iris:
            return []
        items = iris.split() if isinstance(iris, str) else iris
        found = {self.by_iri[i] for i in items if i in self.by_iri}
        return sorted(found, key=lambda s: (s.kind != "DocumentPart", s.label))
