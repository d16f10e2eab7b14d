"""Every page of the site at 1280 x 900 in headless Chromium: none is wider than the window (issue 12, item 6).

A review found three pages scrolling sideways at 1280 px because a sources table held long URLs
(``/matrix/countries`` 1379 px, ``/timeline`` 1605 px, ``/map`` 1701 px). Here every HTML page the API
documents (each operation whose answer can be ``text/html`` in ``/openapi.json``) and the API docs are opened
in a 1280 px window, with the variants that make tables widest (every platform and related convention as a
column, Russian words); the page's ``scrollWidth`` must not exceed the window's width, and each page leaves a
screenshot in ``artifacts/screenshots/page-1280-*.png``. A wide grid may scroll inside its own box; the page
itself never does.
"""
from __future__ import annotations

import re
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.browser import Browser, chromium

WIDTH, HEIGHT = 1280, 900
#: name -> path; every HTML page, and the variants with the widest tables
PAGES = {
    "home": "/",
    "graph": "/graph",
    "graph-overlap": "/graph/overlap?focus=air%20quality",
    "graph-duplication": "/graph/duplication",
    "graph-mechanism": "/graph/mechanism/eanet",
    "matrix": "/matrix",
    "matrix-wide": "/matrix?platforms=true&include_related=true",
    "matrix-countries": "/matrix/countries",
    "matrix-countries-ru": "/matrix/countries?lang=ru",
    "timeline": "/timeline",
    "timeline-ru": "/timeline?lang=ru",
    "map": "/map",
    "map-mechanism": "/map?mechanism=neampan",
    "check": "/check",
    "check-answer": "/check?focus=air%20quality",
    "brief": "/brief?focus=air%20quality",
    "sparql": "/sparql",
    "ontology": "/ontology",
    "thesaurus": "/thesaurus",
    "resource-mechanism": "/id/mechanism/eanet",
    "resource-country": "/id/country/CHN",
    "docs": "/docs",
}


@pytest.fixture(scope="module")
def narrow() -> Iterator[Browser]:
    with chromium(width=WIDTH, height=HEIGHT) as b:
        yield b


def html_pages(http: httpx.Client) -> set[str]:
    """The GET operations that answer with HTML, as the API documents them."""
    paths = http.get("/openapi.json").json()["paths"]
    return {path for path, ops in paths.items()
            if "text/html" in ops.get("get", {}).get("responses", {}).get("200", {}).get("content", {})}


def test_the_list_holds_every_html_page(http: httpx.Client) -> None:
    """A new HTML page joins PAGES, or this fails: the width check cannot silently miss it."""
    visited = {p.split("?")[0] for p in PAGES.values()}
    for path in html_pages(http):
        pattern = re.compile(re.sub(r"\\\{[^}]+\\\}", "[^/].*", re.escape(path)) + "$")
        assert any(pattern.match(v) for v in visited), f"{path} is an HTML page that PAGES does not visit"


def settle(b: Browser, path: str) -> None:
    """Wait until what the page draws after loading is drawn (the graph, the SPARQL editor, Swagger UI)."""
    deadline = time.monotonic() + 20
    ready = ("document.documentElement.dataset.nkReady === '1'" if path.startswith("/graph") else
             "!!(window.neaspecYasgui && document.querySelector('.CodeMirror'))" if path.startswith("/sparql") else
             "!!document.querySelector('.swagger-ui .opblock')" if path.startswith("/docs") else "true")
    while not b.js(f"return {ready}"):
        assert time.monotonic() < deadline, f"{path} was not drawn within 20 s: {b.console_errors()}"
        time.sleep(0.1)
    time.sleep(0.3)  # fonts and late layout


@pytest.mark.parametrize("name", list(PAGES))
def test_no_page_is_wider_than_a_1280_px_window(narrow: Browser, base_url: str, name: str) -> None:
    path = PAGES[name]
    narrow.open(base_url + path)
    settle(narrow, path)
    page, window = narrow.js("return [document.documentElement.scrollWidth, window.innerWidth]")
    narrow.screenshot(f"page-1280-{name}")
    wide = narrow.js("""
        const w = window.innerWidth, out = [];
        for (const e of document.body.querySelectorAll('*')) {
            const r = e.getBoundingClientRect();
            if (r.right > w + 1 && !e.closest('.nk-scroll'))
                out.push(`${e.tagName}.${e.className} ${Math.round(r.right)}`);
        }
        return out.slice(0, 5);""")
    assert window == WIDTH and page <= window, f"{path} is {page} px wide in a {window} px window; too wide: {wide}"
    assert narrow.js("return document.body.innerText.trim().length") > 0
    if not path.startswith("/docs"):  # Swagger UI's page is FastAPI's, with no nav of ours (see the report)
        assert narrow.js("return document.querySelector('nav.nk-nav a.nk-home').getAttribute('href')").startswith("/")
