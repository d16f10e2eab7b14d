"""Every page of the site at 1280 x 900 in headless Chromium: none is wider than the window (issue 12, item 6).

A review found three pages scrolling sideways at 1280 px because a sources table held long URLs
(``/matrix/countries`` 1379 px, ``/timeline`` 1605 px, ``/map`` 1701 px). Here every HTML page the API
documents (each operation whose answer can be ``text/html`` in ``/openapi.json``) and the API docs are opened
in a 1280 px window, with the variants that make tables widest (every platform and related convention as a
column, Russian words); the page's ``scrollWidth`` must not exceed the window's width, and each page leaves a
screenshot in ``artifacts/screenshots/page-1280-*.png``. A wide grid may scroll inside its own box; the page
itself never does.

The whole-graph view, fitted into the window, drew its labels at about 5 px. Here the text the canvas actually
draws at the first view is measured (every ``fillText`` of one redraw, at the canvas' transform): each label
drawn is at least 11 px on screen, every mechanism's is among them, and zooming in draws more of them
(``graph-1280-first-view.png``, ``graph-1280-zoomed.png``).
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
    assert narrow.external(narrow.requests()) == [], f"{path} asked for something outside this server"
    if path.startswith("/docs"):  # Swagger UI's page has no nav of ours: the API description links home
        links = narrow.js("return [...document.querySelectorAll('.swagger-ui .info a')]"
                          ".map(a => a.getAttribute('href'))")
        assert "/" in links and "/sparql" in links, links
    else:
        assert narrow.js("return document.querySelector('nav.nk-nav a.nk-home').getAttribute('href')").startswith("/")


#: every label the canvas draws in one redraw: its text and its height in CSS pixels on screen
DRAWN_LABELS = """
const done = arguments[arguments.length - 1];
const ctx = document.querySelector('#mynetwork canvas').getContext('2d');
const drawn = [], fill = ctx.fillText;
ctx.fillText = function (text, x, y) {
    const px = parseFloat(/([0-9.]+)px/.exec(this.font)[1]);
    drawn.push([String(text), px * this.getTransform().a / window.devicePixelRatio]);
    return fill.apply(this, arguments);
};
network.once('afterDrawing', () => { delete ctx.fillText; done(drawn); });
network.redraw();
"""


def test_the_whole_graph_is_readable_at_its_first_view(narrow: Browser, base_url: str) -> None:
    narrow.open(base_url + "/graph")
    narrow.wait_graph_ready()
    time.sleep(0.3)
    drawn = narrow.driver.execute_async_script(DRAWN_LABELS)
    narrow.screenshot("graph-1280-first-view")
    sizes = [px for _t, px in drawn]
    assert len(drawn) >= 20 and min(sizes) >= 11, f"{len(drawn)} labels drawn, the smallest at {min(sizes):.1f} px"
    mechanisms = narrow.js("""
        const data = JSON.parse(document.getElementById('nk-data').textContent), s = network.getScale();
        return Object.keys(data.nodes).filter(id => ['mechanism', 'related'].includes(data.nodes[id].style))
            .map(id => [data.nodes[id].label, network.body.nodes[id].options.font.size * s]);""")
    assert len(mechanisms) >= 8
    small = [(label, round(px, 1)) for label, px in mechanisms if px < 11]
    assert not small, f"mechanisms whose label is under 11 px at the first view: {small}"
    first_words = {t.split()[0] for t, _px in drawn if t.strip()}
    assert all(label.split()[0] in first_words for label, _px in mechanisms)

    narrow.js("network.moveTo({scale: network.getScale() * 2})")
    zoomed = narrow.driver.execute_async_script(DRAWN_LABELS)
    narrow.screenshot("graph-1280-zoomed")
    assert len({t for t, _px in zoomed}) > len({t for t, _px in drawn}), "zooming in shows no more labels"
    assert min(px for _t, px in zoomed) >= 9


def test_the_legend_filters_node_kinds(narrow: Browser, base_url: str) -> None:
    """A legend entry hides its kind of node (and their lines) and shows them again; the SVG download follows."""
    narrow.open(base_url + "/graph")
    narrow.wait_graph_ready()
    visible = "return nodes.get().filter(n => !network.body.nodes[n.id].options.hidden).length"
    total = narrow.js(visible)
    button = narrow.driver.find_element("css selector", "button.nk-filter[data-nk-kind='focus']")
    count = int(button.find_element("css selector", ".nk-count").text)
    assert count > 0 and button.get_attribute("aria-pressed") == "true"
    button.click()
    assert narrow.js(visible) == total - count and button.get_attribute("aria-pressed") == "false"
    svg = narrow.js("return window.nkDownload.svg()")
    assert svg.count("<g data-id=") == total - count
    narrow.screenshot("graph-1280-focus-areas-hidden")
    button.click()
    assert narrow.js(visible) == total and button.get_attribute("aria-pressed") == "true"
    assert narrow.console_errors() == []
