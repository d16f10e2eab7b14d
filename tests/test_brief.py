"""The printable brief: ``/brief?focus=...`` over HTTP and in headless Chromium, and ``neaspec-kg brief``'s PDF.

What is proved here, with every expected value computed from the store and the analysis (never typed in):
- the page holds every mechanism of the overlap answer with each of its evidence kinds, delivered work and
  planned or proposed work in separate, labelled tables;
- every source the overlap answer and the focus rows of the coverage matrix cite is in the numbered reference
  list, once; the list runs 1..n with no gap, every [n] resolves, and every reference is cited;
- the header names the focus as resolved, the note's symbol and date as the source catalogue gives them, and
  the graph's digest; the network figure has the answer's mechanisms and members, the shared ones marked;
- Chromium loads it with no console error and no request outside 127.0.0.1, hides the toolbar when printing,
  and prints it (DevTools ``Page.printToPDF``) to the same number of A4 pages as the command line does;
- ``neaspec-kg brief`` writes a PDF whose text (``pdftotext``) has the focus label, every mechanism acronym and
  the reference heading, on a small, stable number of A4 pages (``pdfinfo``), or the HTML with ``--html``;
- bad input: a friendly page (404 with the closest focus areas, 400 for a malformed date or country), and exit
  code 2 with the suggestions from the command line, never a traceback.

Screenshots: artifacts/screenshots/brief.png and brief-print.png.
"""
from __future__ import annotations

import base64
import re
import shutil
import subprocess
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest

from neaspec_kg import cli
from neaspec_kg.analysis import Analyst
from neaspec_kg.build import ValidatedGraph
from neaspec_kg.graph import select
from neaspec_kg.models import OverlapAnswer
from tests.browser import Browser

FOCUS = "air quality"
DC = "http://purl.org/dc/terms/"
#: A4 in PostScript points, as pdfinfo prints it (595.28 x 841.89; Chromium rounds to 594.96 x 841.92)
A4 = (595.0, 842.0)


@pytest.fixture(scope="module")
def answer(analyst: Analyst) -> OverlapAnswer:
    return analyst.overlap(FOCUS)


@pytest.fixture(scope="module")
def page(http: httpx.Client) -> str:
    r = http.get("/brief", params={"focus": FOCUS})
    assert r.status_code == 200, r.text[:500]
    assert r.headers["content-type"].startswith("text/html")
    return r.text


class Scan(HTMLParser):
    """The parts of the brief the tests read: evidence rows by table, references, citations, figure nodes."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[str] = []
        self.rows: dict[str, set[tuple[str, str]]] = {}
        self.refs: list[tuple[int, str]] = []
        self.cites: list[int] = []
        self.mechanisms: dict[str, bool] = {}
        self.countries: dict[str, bool] = {}
        self.matrix_rows = 0
        self._in_matrix_body = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "table":
            self.tables.append(a.get("class", ""))
        elif tag == "tr" and "data-mechanism" in a:
            self.rows.setdefault(self.tables[-1], set()).add((a["data-mechanism"], a["data-kind"]))
        elif tag == "li" and a.get("id", "").startswith("ref-"):
            self.refs.append((int(a["id"][4:]), a["data-iri"]))
        elif tag == "a" and a.get("href", "").startswith("#ref-"):
            self.cites.append(int(a["href"][5:]))
        elif tag == "g" and a.get("class") == "nk-node-mechanism":
            self.mechanisms[a["data-id"]] = a["data-delivered"] == "true"
        elif tag == "g" and a.get("class") == "nk-node-country":
            self.countries[a["data-id"]] = a["data-shared"] == "true"
        elif tag == "tbody" and self.tables and self.tables[-1] == "nk-matrix":
            self._in_matrix_body = True
        elif tag == "tr" and self._in_matrix_body:
            self.matrix_rows += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "tbody":
            self._in_matrix_body = False


def scan(html: str) -> Scan:
    s = Scan()
    s.feed(html)
    s.close()
    return s


def _name(m: Any) -> str:
    return str(m.mechanism.acronym or m.mechanism.label)


def _focus_rows(analyst: Analyst, answer: OverlapAnswer) -> list[Any]:
    """The matrix rows of the focus concepts and everything listed under them (deeper rows that follow)."""
    m = analyst.matrix()
    wanted = {c.iri for c in answer.focus}
    out = []
    for i, row in enumerate(m.rows):
        if row.concept.iri in wanted:
            out.append(row)
            out.extend(r for r in _until_shallower(m.rows[i + 1:], row.depth))
    return out


def _until_shallower(rows: list[Any], depth: int) -> Iterator[Any]:
    for r in rows:
        if r.depth <= depth:
            return
        yield r


# --------------------------------------------------------------------------- the page over HTTP


def test_every_mechanism_with_each_evidence_kind_delivered_and_planned_apart(page: str,
                                                                             answer: OverlapAnswer) -> None:
    s = scan(page)
    delivered = {(_name(m), ev.kind) for m in answer.mechanisms for ev in m.evidence}
    planned = {(_name(m), ev.kind) for m in answer.planned_or_proposed for ev in m.evidence}
    assert delivered and planned, "air quality has delivered and planned work in the graph"
    assert s.rows["nk-evidence"] == delivered
    assert s.rows["nk-evidence nk-planned"] == planned
    assert not any(ev.delivered for m in answer.planned_or_proposed for ev in m.evidence)
    assert "Planned or proposed only: not delivery" in page
    for m in answer.mechanisms + answer.planned_or_proposed:
        assert f"<th scope=\"row\" title=\"{m.mechanism.label}\">{_name(m)}</th>" in page


def test_summary_counts_only_planned_apart_from_further_plans(page: str, answer: OverlapAnswer) -> None:
    """NEASPEC and TEMM deliver air-quality work and also plan more: they are not "only planned"."""
    delivering = {m.mechanism.id for m in answer.mechanisms}
    only = [m for m in answer.planned_or_proposed if m.mechanism.id not in delivering]
    more = [m for m in answer.planned_or_proposed if m.mechanism.id in delivering]
    assert more, "air quality has mechanisms that deliver and also plan more"
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", page))
    assert f"Mechanisms with only planned or proposed work on it: {len(only)}" in text
    assert f"also plan or propose more: {len(more)} ({', '.join(_name(m) for m in more)})" in text


def test_engagement_rows_say_with_whom(page: str, answer: OverlapAnswer) -> None:
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    for m in answer.mechanisms:
        for ev in m.evidence:
            if ev.kind == "engagement":
                assert ev.counterpart is not None
                assert f"with {ev.counterpart.acronym or ev.counterpart.label}" in text


def test_references_numbered_without_gaps_each_source_once_every_citation_resolves(
        page: str, analyst: Analyst, answer: OverlapAnswer) -> None:
    s = scan(page)
    numbers = [n for n, _ in s.refs]
    assert numbers == list(range(1, len(numbers) + 1)), "numbered 1..n in order, no gap"
    iris = [iri for _, iri in s.refs]
    assert len(iris) == len(set(iris)), "each source is listed once"
    assert set(s.cites) == set(numbers), "every [n] resolves and every reference is cited"
    cited: set[str] = set()
    for m in answer.mechanisms + answer.planned_or_proposed:
        for ev in m.evidence:
            cited |= {x.iri for x in ev.sources}
    for e in answer.engagements:
        cited |= {x.iri for x in e.sources}
    for row in _focus_rows(analyst, answer):
        for c in row.cells:
            cited |= {x.iri for x in c.sources}
    assert cited <= set(iris), f"missing from the references: {cited - set(iris)}"
    # the memberships in the table beside the figure cite the sources the country answers give
    for m in answer.mechanisms:
        for c in m.members:
            p = {x.unit.id: x for x in analyst.country_participation(c.id).mechanisms}.get(m.mechanism.id)
            assert p is not None, (m.mechanism.id, c.id)
            assert {x.iri for x in p.sources} <= set(iris)
    # a web source is shown with its URL
    for iri in iris:
        url = analyst.sources.by_iri[iri].url
        if url:
            assert f'href="{url.replace("&", "&amp;")}"' in page


def test_header_names_focus_note_and_graph(page: str, analyst: Analyst, answer: OverlapAnswer,
                                           validated: ValidatedGraph) -> None:
    docs = [x for x in analyst.sources.by_iri.values() if x.kind == "Document"]
    assert docs
    facts = {r["p"].value: r["o"].value for r in select(analyst.store, "describe-resource", {"resource": docs[0].iri})
             if r["direction"].value == "out"}
    assert facts[DC + "identifier"] in page
    assert facts[DC + "title"] in page
    assert validated.digest in page
    h1 = re.search(r"<h1[^>]*>(.*?)</h1>", page, re.S)
    assert h1 is not None
    for c in answer.focus:
        assert c.label in h1.group(1), (c.label, h1.group(1))


def test_matrix_rows_and_network_figure(page: str, analyst: Analyst, answer: OverlapAnswer) -> None:
    s = scan(page)
    assert s.matrix_rows == len(_focus_rows(analyst, answer))
    units = answer.mechanisms + answer.planned_or_proposed
    assert set(s.mechanisms) == {m.mechanism.id for m in units}
    assert {k for k, d in s.mechanisms.items() if d} == {m.mechanism.id for m in answer.mechanisms}
    members = {c.id for m in units for c in m.members + m.uncertain_members}
    assert set(s.countries) == members
    assert {k for k, shared in s.countries.items() if shared} == {x.country.id for x in answer.shared_members}
    assert "<svg" in page and "<canvas" not in page


def test_filters_and_language(http: httpx.Client, analyst: Analyst) -> None:
    r = http.get("/brief", params={"focus": FOCUS, "country": "mng", "as_of": "2020-07-10", "lang": "zh"})
    assert r.status_code == 200
    a = analyst.overlap(FOCUS, country="MNG", as_of="2020-07-10")
    s = scan(r.text)
    assert s.rows["nk-evidence"] == {(_name(m), ev.kind) for m in a.mechanisms for ev in m.evidence}
    assert '<html lang="zh">' in r.text
    zh = {x["resource"].value: x["label"].value for x in select(analyst.store, "preferred-labels", {"lang": "zh"})}
    # the focus in Chinese where the graph has a label for it, else its English label (never a translation
    # made up here)
    assert f"<h1>{zh.get(a.focus[0].iri, a.focus[0].label)}</h1>" in r.text


@pytest.mark.parametrize(("params", "status", "needle"), [
    ({"focus": "air qualty"}, 404, "/brief?focus="),
    ({"focus": "no such thing at all zzz"}, 404, "No brief for"),
    ({}, 404, "Make a printable brief"),
    ({"focus": "EANET"}, 404, 'href="/graph/mechanism/eanet"'),
    ({"focus": FOCUS, "as_of": "2020-13-45"}, 400, "YYYY-MM-DD"),
    ({"focus": FOCUS, "country": "K0R!"}, 400, "alpha-3"),
    ({"focus": FOCUS, "country": "XXX"}, 404, "alpha-3"),
])
def test_bad_input_gets_a_friendly_page(http: httpx.Client, params: dict[str, str], status: int,
                                        needle: str) -> None:
    r = http.get("/brief", params=params)
    assert r.status_code == status
    assert r.headers["content-type"].startswith("text/html")
    assert needle in r.text
    assert "Traceback" not in r.text


def test_home_links_to_a_brief(http: httpx.Client) -> None:
    assert 'href="/brief?focus=' in http.get("/").text


# --------------------------------------------------------------------------- in Chromium, and the PDF


def _pdfinfo(path: Path) -> dict[str, str]:
    out = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in out.splitlines())}


def _page_size(info: dict[str, str]) -> tuple[float, float]:
    w, h = re.findall(r"[\d.]+", info["Page size"])[:2]
    return float(w), float(h)


@pytest.fixture(scope="module")
def cli_pdf(tmp_path_factory: pytest.TempPathFactory, validated: ValidatedGraph) -> Path:
    out = tmp_path_factory.mktemp("brief") / "brief.pdf"
    assert cli.main(["brief", "--focus", FOCUS, "-o", str(out)]) == 0
    return out


def test_browser_loads_offline_and_prints_like_the_cli(browser: Browser, base_url: str, cli_pdf: Path,
                                                       tmp_path: Path) -> None:
    browser.open(f"{base_url}/brief?focus={FOCUS.replace(' ', '%20')}")
    assert browser.js("return document.querySelectorAll('table').length") >= 4
    assert browser.console_errors() == []
    assert browser.external(browser.requests()) == []
    assert browser.js("return getComputedStyle(document.querySelector('.nk-toolbar')).display") != "none"
    browser.screenshot("brief")
    browser.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        assert browser.js("return getComputedStyle(document.querySelector('.nk-toolbar')).display") == "none"
        browser.screenshot("brief-print")
    finally:
        browser.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    printed = browser.driver.execute_cdp_cmd("Page.printToPDF", {"preferCSSPageSize": True,
                                                                 "displayHeaderFooter": False})
    served = tmp_path / "served.pdf"
    served.write_bytes(base64.b64decode(printed["data"]))
    assert browser.console_errors() == []
    assert _pdfinfo(served)["Pages"] == _pdfinfo(cli_pdf)["Pages"]


def test_cli_pdf_has_the_expected_pages_and_text(cli_pdf: Path, answer: OverlapAnswer) -> None:
    assert shutil.which("pdftotext") and shutil.which("pdfinfo"), "poppler-utils (make system-deps)"
    info = _pdfinfo(cli_pdf)
    pages = int(info["Pages"])
    print(f"\nneaspec-kg brief --focus {FOCUS!r}: {pages} A4 pages")
    # Air quality: ~25 evidence rows, 8 engagements, 4 matrix rows, a figure with 14 countries and ~15
    # references fill about five pages; fewer than 3 means content went missing, more than 8 that tables or
    # the figure no longer fit the page (rows split, a page per row)
    assert 3 <= pages <= 8
    w, h = _page_size(info)
    assert abs(w - A4[0]) < 2 and abs(h - A4[1]) < 2, info["Page size"]
    text = subprocess.run(["pdftotext", "-layout", str(cli_pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    for c in answer.focus:
        assert c.label in text
    for m in answer.mechanisms + answer.planned_or_proposed:
        assert (m.mechanism.acronym or m.mechanism.label) in text
    assert "References" in text
    assert "Planned or proposed only: not delivery" in text
    numbers = re.findall(rf"(?m)^\s*(\d+)\s*/\s*{pages}\s*$", text)
    assert numbers == [str(i) for i in range(1, pages + 1)], "page n / N in the margin of every page"
    assert "Print or save as PDF" not in text, "no toolbar on paper"


def test_cli_html_and_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                validated: ValidatedGraph, answer: OverlapAnswer) -> None:
    out = tmp_path / "brief.html"
    assert cli.main(["brief", "--focus", FOCUS, "-o", str(out)]) == 0
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "<nav class=\"nk-toolbar" not in html
    assert scan(html).rows["nk-evidence"] == {(_name(m), ev.kind) for m in answer.mechanisms for ev in m.evidence}
    capsys.readouterr()
    assert cli.main(["brief", "--focus", "air qualty", "-o", str(tmp_path / "x.pdf")]) == 2
    err = capsys.readouterr().err
    assert "closest" in err and "Traceback" not in err
    assert not (tmp_path / "x.pdf").exists()
    assert cli.main(["brief", "--focus", FOCUS, "--as-of", "2020-02-30", "-o", str(tmp_path / "y.pdf")]) == 2
    assert cli.main(["brief", "--focus", FOCUS, "--country", "XXX", "-o", str(tmp_path / "z.pdf")]) == 2


def test_cli_without_chromium_says_what_is_missing(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch, validated: ValidatedGraph) -> None:
    monkeypatch.setenv("CHROMIUM", str(tmp_path / "no-such-browser"))
    assert cli.main(["brief", "--focus", FOCUS, "-o", str(tmp_path / "b.pdf")]) == 1
    err = capsys.readouterr().err
    assert "CHROMIUM" in err and "no-such-browser" in err and "Traceback" not in err
