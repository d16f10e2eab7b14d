"""Downloads: every graph page saves its view as PNG and SVG, and ``neaspec-kg viz --matrix`` writes the coverage
matrix as one offline HTML file or its CSV.

What is proved here, in a real headless Chromium against a live server on 127.0.0.1 (and one standalone file
opened from ``file://``):
- each of the four graph pages has two labelled, keyboard-reachable download buttons, and pressing one with
  the keyboard saves a file named after the view;
- the PNG is a real PNG exactly the size of the network's canvas, on an opaque white background;
- the SVG is real vector XML (no embedded picture) with one shape per node, of the node's shape, and one line
  per edge with the edge's width, and its labels, title and legend equal what the page and vis-network hold;
- no console errors and no request outside 127.0.0.1;
- the CLI's matrix file has the cells ``/matrix?format=json`` gives (parsed from the file, for the same
  filters) and opens offline; its CSV is byte for byte ``/matrix?format=csv``.
"""
from __future__ import annotations

import base64
import struct
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from api.i18n import Gettext, gettext_for
from api.matrix import SHORT, STATUSES
from neaspec_kg import views
from neaspec_kg.cli import main
from neaspec_kg.models import CoverageMatrix
from tests.browser import Browser

SVG = "{http://www.w3.org/2000/svg}"
#: vis-network shape -> the SVG element drawing it
SHAPE_ELEMENTS = {"dot": "circle", "square": "rect", "triangle": "polygon", "triangleDown": "polygon",
                  "star": "polygon", "diamond": "polygon"}
#: the four graph pages and the file names their pictures get
PAGES = [
    ("/graph", "neaspec-kg-graph"),
    ("/graph/overlap?focus=air%20quality", "neaspec-kg-overlap-air-quality"),
    ("/graph/duplication", "neaspec-kg-duplication"),
    ("/graph/mechanism/eanet", "neaspec-kg-mechanism-eanet"),
]


def _paths(routes: list[Any]) -> Iterator[str]:
    for route in routes:
        if getattr(route, "path", None):
            yield route.path
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _paths(inner.routes)


# --------------------------------------------------------------------------- capturing a download

#: replaces the two steps of a browser download (a blob: URL, a click on an <a download>) by a record of them
CAPTURE = """
window.__nkSaved = [];
if (!window.__nkCapturing) {
  window.__nkCapturing = true;
  const made = URL.createObjectURL.bind(URL);
  URL.createObjectURL = function (blob) {
    const url = made(blob); window.__nkSaved.push({blob: blob, url: url}); return url;
  };
  HTMLAnchorElement.prototype.click = function () {
    const s = window.__nkSaved.find(x => x.url === this.href);
    if (s) s.name = this.download;
  };
}"""

#: the last saved blob, as base64, with its name and type
READ_SAVED = """
const done = arguments[arguments.length - 1];
const wait = () => {
  const s = window.__nkSaved[window.__nkSaved.length - 1];
  if (!s || !s.name) { setTimeout(wait, 50); return; }
  const r = new FileReader();
  r.onload = () => done({name: s.name, type: s.blob.type, data: r.result.split(',')[1]});
  r.onerror = () => done({error: String(r.error)});
  r.readAsDataURL(s.blob);
};
wait();"""


def press(browser: Browser, kind: str) -> dict[str, Any]:
    """Tab to a download button and press Enter on it, as a keyboard user would; the file it saves."""
    browser.js(CAPTURE)
    button = browser.driver.find_element(By.CSS_SELECTOR, f'button[data-nk-download="{kind}"]')
    browser.js("arguments[0].focus()", button)
    assert browser.js("return document.activeElement === arguments[0]", button), "the button takes focus"
    button.send_keys(Keys.ENTER)
    try:
        saved: dict[str, Any] = browser.driver.execute_async_script(READ_SAVED)
    except TimeoutException:
        state = browser.js("return [window.__nkSaved.map(s => [s.name, s.blob.size]), "
                           "document.getElementById('nk-downloads').dataset.error]")
        pytest.fail(f"pressing {kind} saved nothing: {state} {browser.console_errors()}")
    assert "error" not in saved, saved
    saved["bytes"] = base64.b64decode(saved["data"])
    return saved


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk, after checking the signature."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "a PNG starts with its signature"
    assert data[12:16] == b"IHDR"
    w, h = struct.unpack(">II", data[16:24])
    return int(w), int(h)


def network_state(browser: Browser) -> dict[str, Any]:
    """What vis-network holds: every node's id, label and resolved shape, every edge's id and width."""
    state: dict[str, Any] = browser.js("""
        const b = network.body;
        return {
          nodes: b.data.nodes.get().map(n => ({id: String(n.id), label: n.label || '',
                                               shape: b.nodes[n.id].options.shape})),
          edges: b.data.edges.get().map(e => ({id: String(e.id), width: b.edges[e.id].options.width})),
          canvas: [document.querySelector('#mynetwork canvas').width,
                   document.querySelector('#mynetwork canvas').height],
          title: document.getElementById('nk-title').textContent.trim(),
          legend: Array.from(document.querySelectorAll('.nk-legend li')).map(li => {
            const c = li.cloneNode(true);
            c.querySelectorAll('.nk-sym, .nk-line, .nk-count').forEach(e => e.remove());
            return c.textContent.replace(/\\s+/g, ' ').trim();
          }),
        };""")
    return state


def text_of(el: ET.Element) -> str:
    """An SVG <text>'s lines (its first text and each <tspan>) joined by newlines, as vis-network's labels."""
    return "\n".join([el.text or "", *[t.text or "" for t in el.findall(f"{SVG}tspan")]])


def check_svg(data: bytes, state: dict[str, Any]) -> None:
    root = ET.fromstring(data)
    assert root.tag == f"{SVG}svg" and float(root.get("width", "0")) > 0 and float(root.get("height", "0")) > 0
    assert root.find(f".//{SVG}image") is None and b"data:image" not in data, "vector drawing, not a picture"
    assert (root.findtext(f"{SVG}title") or "").strip() == state["title"]
    groups = root.findall(f".//{SVG}g[@id='nk-nodes']/{SVG}g")
    by_id = {g.get("data-id"): g for g in groups}
    assert len(groups) == len(by_id) == len(state["nodes"]), "one group per node"
    for n in state["nodes"]:
        g = by_id[n["id"]]
        shapes = [c for c in g if c.tag in {f"{SVG}circle", f"{SVG}rect", f"{SVG}polygon"}]
        assert [c.tag for c in shapes] == [SVG + SHAPE_ELEMENTS[n["shape"]]], (n, [c.tag for c in shapes])
        assert shapes[0].get("fill", "").startswith(("#", "rgb")), "nodes keep their colours"
        labels = g.findall(f"{SVG}text")
        assert [text_of(t) for t in labels] == ([n["label"]] if n["label"] else []), n
    lines = root.findall(f".//{SVG}g[@id='nk-edges']/{SVG}line")
    assert sorted(x.get("data-id", "") for x in lines) == sorted(e["id"] for e in state["edges"]), "a line per edge"
    widths = {e["id"]: float(e["width"]) for e in state["edges"]}
    for x in lines:
        assert float(x.get("stroke-width", "0")) == pytest.approx(widths[x.get("data-id", "")])
    legend = [t.text for t in root.findall(f".//{SVG}g[@id='nk-legend']/{SVG}text[@class='nk-legend-text']")]
    assert legend == state["legend"], "the legend is the page's"


def tab_to(browser: Browser, selector: str, limit: int = 80) -> int:
    """Press Tab from the top of the page until ``selector`` has the focus; how many presses it took."""
    browser.js("document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0)")
    body = browser.driver.find_element(By.TAG_NAME, "body")
    for n in range(1, limit + 1):
        (body if n == 1 else browser.driver.switch_to.active_element).send_keys(Keys.TAB)
        if browser.js("return document.activeElement.matches(arguments[0])", selector):
            return n
    pytest.fail(f"{selector} is not reachable with the Tab key")


def check_downloads(browser: Browser, stem: str, name: str) -> dict[str, Any]:
    state = network_state(browser)
    assert tab_to(browser, 'button[data-nk-download="png"]') > 0
    assert state["nodes"] and state["edges"]
    buttons = browser.js("""return Array.from(document.querySelectorAll('button[data-nk-download]')).map(
        b => [b.dataset.nkDownload, b.textContent.trim(), b.tabIndex, b.disabled])""")
    assert [b[0] for b in buttons] == ["png", "svg"]
    assert all(b[1] and b[2] >= 0 and not b[3] for b in buttons), "labelled, in the tab order, enabled"

    png = press(browser, "png")
    assert png["name"] == f"{stem}.png" and png["type"] == "image/png"
    assert png_size(png["bytes"]) == tuple(state["canvas"]), "the PNG is the canvas, at its size"
    corner = browser.driver.execute_async_script("""
        const done = arguments[arguments.length - 1];
        const s = window.__nkSaved[window.__nkSaved.length - 1];
        createImageBitmap(s.blob).then(img => {
          const c = document.createElement('canvas'); c.width = img.width; c.height = img.height;
          const ctx = c.getContext('2d'); ctx.drawImage(img, 0, 0);
          done(Array.from(ctx.getImageData(0, 0, 1, 1).data));
        });""")
    assert corner == [255, 255, 255, 255], "a white, opaque background"

    svg = press(browser, "svg")
    assert svg["name"] == f"{stem}.svg" and svg["type"] == "image/svg+xml"
    check_svg(svg["bytes"], state)
    (Path(__file__).resolve().parents[1] / "artifacts" / "screenshots").mkdir(parents=True, exist_ok=True)
    (Path(__file__).resolve().parents[1] / "artifacts" / "screenshots" / f"download-{name}.svg").write_bytes(
        svg["bytes"])
    return state


@pytest.mark.parametrize(("path", "stem"), PAGES, ids=[s for _p, s in PAGES])
def test_graph_page_downloads_png_and_svg(browser: Browser, base_url: str, path: str, stem: str) -> None:
    browser.open(base_url + path)
    browser.wait_graph_ready()
    check_downloads(browser, stem, stem)
    assert browser.console_errors() == []
    assert browser.external(browser.requests()) == []
    browser.screenshot(f"download-{stem}")


def test_downloads_follow_the_view_and_language(browser: Browser, base_url: str) -> None:
    """Filters and the label language are in the file name; labels in the SVG are the page's (Chinese here)."""
    browser.open(base_url + "/graph/overlap?" + urlencode({"focus": "air quality", "country": "kor",
                                                            "include_related": "true", "lang": "zh"}))
    browser.wait_graph_ready()
    state = check_downloads(browser, "neaspec-kg-overlap-air-quality-kor-with-related-zh", "overlap-kor-zh")
    assert any(any("\u4e00" <= ch <= "\u9fff" for ch in n["label"]) for n in state["nodes"]), "Chinese labels"
    assert browser.console_errors() == []
    assert browser.external(browser.requests()) == []


def test_standalone_file_downloads_offline(browser: Browser, http: httpx.Client, tmp_path: Path) -> None:
    """The standalone file (everything inlined) opened from disk saves the same pictures, fetching nothing."""
    r = http.get("/graph/overlap", params={"focus": "air quality", "standalone": "true"})
    assert r.status_code == 200
    path = tmp_path / "overlap.html"
    path.write_bytes(r.content)
    browser.open(path.as_uri())
    browser.wait_graph_ready()
    check_downloads(browser, "neaspec-kg-overlap-air-quality", "standalone-overlap")
    assert browser.console_errors() == []
    assert [u for u in browser.requests() if not u.startswith(("file:", "data:", "blob:"))] == []


def test_download_names() -> None:
    """File names say which view and which filters, and stay safe as file names whatever the focus text."""
    import networkx as nx

    def view(kind: str, query: dict[str, str], lang: str = "en", initial: str | None = None) -> views.View:
        return views.View(kind=kind, title="t", intro="i", lang=lang, graph=nx.Graph(), query=query, initial=initial)

    assert view("graph", {}).download_name() == "neaspec-kg-graph"
    assert view("duplication", {"include_related": "true", "min_score": "0.3"}).download_name() == \
        "neaspec-kg-duplication-with-related-min-0.3"
    assert view("mechanism", {}, "ja", "https://w3id.org/neaspec-kg/id/mechanism/eanet").download_name() == \
        "neaspec-kg-mechanism-eanet-ja"
    assert view("overlap", {"focus": '../../etc/"passwd" <x>'}).download_name() == "neaspec-kg-overlap-etc-passwd-x"


# --------------------------------------------------------------------------- neaspec-kg viz --matrix


class MatrixTable(HTMLParser):
    """The coverage table of a matrix page: column heads, and per row its head and cell texts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.head: list[str] = []
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None
        self.section = ""
        self.links: list[str] = []
        self.forms = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"thead", "tbody"}:
            self.section = tag
        elif tag == "tr" and self.section == "tbody":
            self.rows.append([])
        elif tag in {"th", "td"} and self.section:
            self.cell = []
        elif tag == "a":
            self.links.append(dict(attrs).get("href") or "")
        elif tag == "form":
            self.forms += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in {"th", "td"} and self.cell is not None:
            text = " ".join("".join(self.cell).split())
            (self.head if self.section == "thead" else self.rows[-1]).append(text)
            self.cell = None
        elif tag in {"thead", "tbody"}:
            self.section = ""

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def expected_rows(m: CoverageMatrix, _: Gettext) -> list[list[str]]:
    """What each row of the table should say, from the JSON answer: its label, a word per cell, coverage."""
    out = []
    for r in m.rows:
        cells = {c.mechanism: _(SHORT[c.kind]) for c in r.cells}
        out.append([r.concept.label, *[cells.get(u.id, "") for u in m.mechanisms],
                    _(STATUSES[r.status]) + (f" ({r.delivered})" if r.delivered > 1 else "")])
    return out


MATRIX_CASES = [[], ["--include-related"], ["--country", "KOR", "--as-of", "2020-07-10"], ["--lang", "zh"]]


@pytest.mark.parametrize("flags", MATRIX_CASES, ids=["default", "related", "kor-2020", "zh"])
def test_cli_matrix_html_and_csv_equal_the_server(http: httpx.Client, browser: Browser, tmp_path: Path,
                                                   flags: list[str]) -> None:
    params = {"include_related": "true"} if "--include-related" in flags else {}
    if "--country" in flags:
        params |= {"country": "KOR", "as_of": "2020-07-10"}
    lang = flags[flags.index("--lang") + 1] if "--lang" in flags else "en"
    _ = gettext_for(lang)
    html_path, csv_path = tmp_path / "matrix.html", tmp_path / "matrix.csv"
    assert main(["viz", "--matrix", *flags, "-o", str(html_path)]) == 0
    assert main(["viz", "--matrix", *flags, "-o", str(csv_path)]) == 0

    m = CoverageMatrix.model_validate_json(http.get("/matrix", params={**params, "format": "json"}).content)
    assert m.rows and m.mechanisms
    page = html_path.read_text(encoding="utf-8")
    views.assert_offline(page, allow_links=True)
    assert "<style>" in page and 'rel="stylesheet"' not in page, "CSS inlined"
    assert f'<html lang="{lang}">' in page
    table = MatrixTable()
    table.feed(page)
    assert table.head == [_("Focus area"), *[u.acronym or u.label for u in m.mechanisms], _("Coverage")]
    assert table.rows == expected_rows(m, _)
    assert table.forms == 0 and all(h.startswith("https://w3id.org/neaspec-kg/id/") for h in table.links), \
        "no form and no server links in a file: links go to the resources' IRIs"
    served = MatrixTable()
    served.feed(http.get("/matrix", params={**params, "lang": lang}).text)
    assert (served.head, served.rows) == (table.head, table.rows), "the file shows what /matrix shows"
    assert csv_path.read_bytes() == http.get("/matrix", params={**params, "format": "csv"}).content

    browser.open(html_path.as_uri())
    assert browser.js("return document.querySelectorAll('table.nk-matrix tbody tr').length") == len(m.rows)
    assert browser.js("return getComputedStyle(document.querySelector('table.nk-matrix')).borderCollapse") == \
        "collapse", "the inlined stylesheet applies"
    assert browser.console_errors() == []
    assert [u for u in browser.requests() if not u.startswith(("file:", "data:"))] == []


def test_cli_matrix_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "m.html"
    assert main(["viz", "--matrix", "--country", "XXX", "-o", str(out)]) == 1
    assert main(["viz", "--matrix", "--as-of", "2020-13-45", "-o", str(out)]) == 1
    assert main(["viz", "--country", "KOR", "-o", str(out)]) == 2
    assert main(["viz", "--matrix", "-o", str(tmp_path / "no-such-folder" / "m.csv")]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and "XXX" in err and "cannot write" in err and not out.exists()
