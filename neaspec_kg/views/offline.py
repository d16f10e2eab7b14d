"""The guarantee every page keeps: nothing is loaded from another host (no CDN, no web font, no image).

Pages are scanned as HTML, not as text: only URL-valued attributes and CSS are looked at, so a user's words
echoed on a page ("url(//example.org/x)") are never mistaken for a resource."""
from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import ClassVar

from neaspec_kg.errors import NeaspecKgError


class VizError(NeaspecKgError):
    """A page could not be produced safely (for example, it would still load something from the internet)."""



class _ResourceScan(HTMLParser):
    """Every URL-valued attribute of every element, and the CSS of the page (``<style>`` contents and
    ``style`` attributes): the only places a browser loads from. Text, scripts and their data are not looked
    at, so a user's words echoed on the page ("url(//example.org/x)") are never mistaken for a resource."""

    ATTRS: ClassVar[set[str]] = {"src", "href", "srcset", "action", "formaction", "poster", "data", "background",
                                 "manifest", "ping"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str, str]] = []
        self.css: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in self.ATTRS and value is not None:
                self.found.append((tag, name, value))
            if name == "style" and value:
                self.css.append(value)
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.css.append(data)


_EXTERNAL = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)


def assert_offline(page: str, *, allow_links: bool = False) -> None:
    """Raise VizError if the page would fetch anything from another host: any http(s) or
    protocol-relative ``src``/``href`` (links in ``<a>`` too, unless ``allow_links``: a Linked Data page
    links to the cited web sources, which a reader may follow but the browser never loads), or a CSS
    ``url(http...)``/``@import`` of one."""
    scan = _ResourceScan()
    scan.feed(page)
    scan.close()
    bad = [f"<{t} {n}={v!r}>" for t, n, v in scan.found
           if _EXTERNAL.match(v) and not (allow_links and t == "a" and n == "href")]
    css = "\n".join(scan.css)
    bad += re.findall(r"url\(\s*['\"]?\s*(?:https?:)?//[^)]*\)", css, re.IGNORECASE)
    bad += re.findall(r"@import\s+['\"](?:https?:)?//[^'\"]*['\"]", css, re.IGNORECASE)
    if bad:
        raise VizError("the page would load from outside this server: " + "; ".join(bad[:5]))
