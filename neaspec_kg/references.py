"""Numbered references, as a printed brief and the CLI's tables cite their sources: each source gets a number
the first time it is cited, and is listed once, so a row with five web sources shows "[1,3,4,5,9]" rather
than five URLs."""
from __future__ import annotations

from collections.abc import Iterable

from neaspec_kg.models import SourceRef


class References:
    """The numbered reference list, filled as sources are cited."""

    def __init__(self) -> None:
        self.items: list[SourceRef] = []
        self._number: dict[str, int] = {}

    def cite(self, sources: Iterable[SourceRef]) -> list[int]:
        """The numbers of ``sources`` (new ones appended to the list), ascending, each once.

        >>> refs = References()
        >>> a = SourceRef(iri="urn:a", label="Table 2", kind="DocumentPart")
        >>> b = SourceRef(iri="urn:b", label="example.org", kind="WebSource", url="https://example.org")
        >>> refs.cite([b, a]), refs.cite([a]), [s.label for s in refs.items]
        ([1, 2], [2], ['example.org', 'Table 2'])
        """
        out: set[int] = set()
        for s in sources:
            n = self._number.get(s.iri)
            if n is None:
                self.items.append(s)
                n = self._number[s.iri] = len(self.items)
            out.add(n)
        return sorted(out)
