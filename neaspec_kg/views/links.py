"""Where a page's links point is the caller's choice, not the library's.

The library draws views and knows nothing of the web layer's URLs: every builder takes a ``LinkPolicy``.
``FileLinks`` is the policy for a file with no server behind it (a standalone page, a brief written by the
CLI): resources link to their IRIs and there are no REST or view links. The web layer brings its own
policy for served pages (``api.links.ServedLinks``)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol


class LinkPolicy(Protocol):
    """What a view needs to know to link a node to more about it."""

    @property
    def lang(self) -> str: ...

    def resource(self, iri: str) -> str:
        """Where a resource's own page is (its IRI when there is no server)."""
        ...

    def rest(self, iri: str) -> str | None:
        """Where its JSON is, if anywhere."""
        ...

    def view(self, kind: str, value: str | None = None) -> str | None:
        """Another graph page (``graph``, ``overlap`` with a focus id, ``duplication``, ``mechanism`` with an
        id), keeping the language; None where there is none."""
        ...


@dataclass(frozen=True)
class FileLinks:
    """Links for a file that opens with no server: IRIs only."""

    lang: str = "en"

    def resource(self, iri: str) -> str:
        return iri

    def rest(self, iri: str) -> str | None:
        return None

    def view(self, kind: str, value: str | None = None) -> str | None:
        return None


def safe_url(url: str | None) -> str | None:
    """Only http(s) URLs and paths on this server become links; anything else (``javascript:``, data
    URIs) that a source record might hold is shown as text, never followed."""
    if not url:
        return None
    url = url.strip()
    if re.match(r"^https?://", url, re.IGNORECASE) or (url.startswith("/") and not url.startswith("//")):
        return url
    return None
