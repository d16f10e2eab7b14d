"""The map page (``/map``), against a live server on 127.0.0.1 and in a real headless Chromium.

What is proved here:
- the shapes ship with the project with their source and licence, cover every country the graph knows, and the
  ISO numeric -> alpha-3 mapping they were keyed with agrees with the numeric codes the graph itself holds;
- every shaded country's ``data-value`` is the participation matrix's count (today and as of a past day);
- shaded by NEAMPAN, the members are exactly the countries a SPARQL query over the store finds NEAMPAN covering,
  which are the NEASPEC member States less Mongolia (the issue's acceptance example, computed, not typed in);
- ``?format=json`` is the ``ParticipationMap`` model; ``?format=csv`` and ``?format=svg`` (downloadable) carry
  the same values as the page's marks;
- bad input gets a friendly 4xx page (HTML) or a problem document (JSON/SVG), never a 5xx;
- in Chromium: no console error, no request leaving 127.0.0.1, the marks match the store, the download script
  adds its buttons and turns the SVG into a real PNG; screenshots in artifacts/screenshots/.
"""
from __future__ import annotations

import base64
import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

from api.map_page import GEO_FILE, shapes
from neaspec_kg.analysis import Analyst
from neaspec_kg.analysis.map import participation_map
from neaspec_kg.analysis.profiles import Profiles
from neaspec_kg.graph import select
from neaspec_kg.namespaces import ID, NK, ORG
from neaspec_kg.store import OxigraphStore
from tests.browser import Browser

ROOT = Path(__file__).resolve().parents[1]
SVG_NS = "{http://www.w3.org/2000/svg}"


class Marks(HTMLParser):
    """``data-country`` -> ``data-value`` of every ``<path>`` (the figure's marks, not the table's rows)."""

    def __init__(self) -> None:
        super().__init__()
        self.marks: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "path" and a.get("data-country"):
            assert a["data-country"] not in self.marks, f"{a['data-country']} drawn twice"
            self.marks[str(a["data-country"])] = str(a.get("data-value"))


def marks(html: str) -> dict[str, str]:
    p = Marks()
    p.feed(html)
    return p.marks


def known_countries(profiles: Profiles) -> set[str]:
    return {c.id for c in profiles.countries()}


def unit_takers(store: OxigraphStore, unit_iri: str) -> set[str]:
    """Countries a unit covers or has as members, straight from the triples (not through the analysis index)."""
    q = f"""PREFIX nk: <{NK}> PREFIX org: <{ORG}>
    SELECT DISTINCT ?c WHERE {{
      {{ <{unit_iri}> nk:involves ?c }} UNION {{ ?ms a nk:Membership ; org:organization <{unit_iri}> ; org:member ?c }}
      ?c a nk:Country }}"""
    return {r["c"].value.rsplit("/", 1)[-1] for r in store.select(q)}


# --------------------------------------------------------------------------- shapes and their provenance


def test_shapes_ship_with_source_licence_and_cover_the_graph(profiles: Profiles) -> None:
    readme = (ROOT / "api" / "geo" / "README.md").read_text(encoding="utf-8")
    assert "world-atlas" in readme and "Natural Earth" in readme and "public domain" in readme
    assert "ISC" in (ROOT / "api" / "geo" / "LICENSE-world-atlas").read_text(encoding="utf-8")
    assert (ROOT / "tools" / "geo.py").is_file()
    assert GEO_FILE.stat().st_size < 200_000, "the committed shapes should stay small"
    geo = shapes()
    ids = [c["id"] for c in geo["countries"] if c["id"]]
    assert len(ids) == len(set(ids)), "one shape per alpha-3 code"
    by_id = {c["id"]: c for c in geo["countries"] if c["id"]}
    missing = known_countries(profiles) - set(by_id)
    assert not missing, f"countries the graph knows but the shapes lack: {missing}"
    # the mapping came from iso-codes; the graph states numeric codes itself: the two must agree
    checked = 0
    for c in profiles.countries():
        if c.iso3166_numeric:
            assert by_id[c.id]["numeric"] == c.iso3166_numeric, c.id
            checked += 1
    assert checked >= 5
    for c in geo["countries"]:
        x0, y0, x1, y1 = c["bbox"]
        assert 0 <= x0 <= x1 and 0 <= y0 <= y1 <= geo["height"]
        assert re.fullmatch(r"(M-?\d+ -?\d+l[-\d ]+z)+", c["d"]), c["ne_name"]


# --------------------------------------------------------------------------- what the marks say


def test_counts_equal_the_participation_matrix(http: httpx.Client, analyst: Analyst, profiles: Profiles) -> None:
    for as_of in (None, "2000-01-01"):
        m = analyst.participation_matrix(as_of=as_of)
        expected = {c: "0" for c in known_countries(profiles)}
        expected.update({r.country.id: str(r.count) for r in m.rows})
        r = http.get("/map", params={"as_of": as_of} if as_of else {})
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        assert marks(r.text) == expected
        # the table holds the same numbers: one row per country
        for code in expected:
            assert f'<tr data-country="{code}">' in r.text
    assert len({v for v in marks(http.get("/map").text).values()}) > 3, "a choropleth with several classes"


def test_neampan_is_neaspec_without_mongolia(http: httpx.Client, store: OxigraphStore) -> None:
    neaspec = unit_takers(store, ID + "mechanism/neaspec")
    neampan = unit_takers(store, ID + "platform/neampan")
    # the acceptance example, from the triples: NEAMPAN covers every NEASPEC member State except Mongolia
    assert "MNG" in neaspec and neampan < neaspec and neaspec - neampan == {"MNG"}
    r = http.get("/map", params={"mechanism": "neampan"})
    assert r.status_code == 200
    got = marks(r.text)
    assert {c for c, v in got.items() if v == "member"} == neampan
    assert got["MNG"] == "none"
    assert "NEAMPAN" in r.text
    # acronyms work too, and name the same unit
    assert marks(http.get("/map", params={"mechanism": "NEAMPAN"}).text) == got


def test_every_unit_status_matches_the_matrix(http: httpx.Client, analyst: Analyst, profiles: Profiles) -> None:
    m = analyst.participation_matrix()
    for unit in m.units:
        expected = {c: "none" for c in known_countries(profiles)}
        expected.update({r.country.id: r.cells[unit.id].status for r in m.rows if unit.id in r.cells})
        assert marks(http.get("/map", params={"mechanism": unit.id}).text) == expected, unit.id


def test_json_csv_and_svg_alternates(http: httpx.Client, analyst: Analyst) -> None:
    r = http.get("/map", params={"format": "json", "mechanism": "neampan"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    assert r.json() == json.loads(participation_map(analyst, mechanism="neampan").model_dump_json())
    page = marks(http.get("/map", params={"mechanism": "neampan"}).text)
    r = http.get("/map", params={"format": "svg", "mechanism": "neampan"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")
    assert r.headers["content-disposition"] == 'attachment; filename="neaspec-kg-map-neampan.svg"'
    root = ET.fromstring(r.content)
    assert root.tag == f"{SVG_NS}svg"
    svg_marks = {p.get("data-country"): p.get("data-value")
                 for p in root.iter(f"{SVG_NS}path") if p.get("data-country")}
    assert svg_marks == page
    r = http.get("/map", params={"format": "csv", "mechanism": "neampan"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert 'filename="neaspec-kg-map-neampan.csv"' in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert {row["country_id"]: row["status"] for row in rows} == page
    counts = {row["country_id"]: row["takes_part_in"] for row in
              csv.DictReader(io.StringIO(http.get("/map", params={"format": "csv"}).text))}
    assert counts == marks(http.get("/map").text)
    world = http.get("/map", params={"format": "svg", "extent": "world"})
    inner = [e for e in ET.fromstring(world.content).iter(f"{SVG_NS}svg")][1]
    assert inner.get("viewBox") == f"0 0 {shapes()['width']} {shapes()['height']}"
    assert len(list(inner.iter(f"{SVG_NS}path"))) == len(shapes()["countries"])


def test_bad_input_is_a_4xx_never_a_5xx(http: httpx.Client, analyst: Analyst) -> None:
    r = http.get("/map", params={"mechanism": "no-such-thing"})
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    for u in analyst.participation_matrix().units:
        assert f'href="/map?mechanism={u.id}"' in r.text
    r = http.get("/map", params={"mechanism": "no-such-thing", "format": "json"})
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")
    r = http.get("/map", params={"as_of": "2020-13-45"})
    assert r.status_code == 400 and r.headers["content-type"].startswith("text/html") and "2020-13-45" in r.text
    for params in ({"as_of": "2020-13-45", "format": "svg"}, {"as_of": "yesterday", "format": "json"},
                   {"format": "pdf"}, {"extent": "moon"}, {"mechanism": "x" * 500}):
        r = http.get("/map", params=params)
        assert 400 <= r.status_code < 500 and r.headers["content-type"].startswith("application/problem+json"), params
    r = http.get("/map", params={"mechanism": "<script>alert(1)</script>"})
    assert r.status_code == 404 and "<script>alert(1)" not in r.text


def test_language_follows_lang(http: httpx.Client, store: OxigraphStore) -> None:
    zh = {x["resource"].value.rsplit("/", 1)[-1]: x["label"].value
          for x in select(store, "preferred-labels", {"lang": "zh"}) if "/country/" in x["resource"].value}
    r = http.get("/map", params={"lang": "zh"})
    assert r.status_code == 200 and '<html lang="zh">' in r.text
    for code, label in zh.items():
        assert label in r.text, code


# --------------------------------------------------------------------------- in the browser


def _page_marks(browser: Browser) -> dict[str, str]:
    return dict(browser.driver.execute_script(
        "return Object.fromEntries([...document.querySelectorAll('figure.nk-figure path[data-country]')]"
        ".map(p => [p.dataset.country, p.dataset.value]));"))


@pytest.mark.parametrize("query, shot", [("", "map-count"), ("?mechanism=neampan", "map-neampan"),
                                         ("?extent=world&lang=ja", "map-world-ja"),
                                         ("?mechanism=nope", "map-unknown")])
def test_browser_loads_clean(browser: Browser, base_url: str, http: httpx.Client, query: str, shot: str) -> None:
    browser.open(f"{base_url}/map{query}")
    errors = browser.console_errors()
    if query == "?mechanism=nope":  # Chromium logs the 404 status of the page itself, and nothing else
        assert all("404" in e for e in errors), errors
    else:
        assert errors == []
    assert browser.external(browser.requests()) == []
    if query != "?mechanism=nope":
        assert _page_marks(browser) == marks(http.get(f"/map{query}").text)
        buttons = browser.driver.execute_script(
            "return [...document.querySelectorAll('figure.nk-figure .nk-fig-tools button')].map(b => b.textContent);")
        assert len(buttons) == 2
    assert browser.screenshot(shot).stat().st_size > 10_000


def test_browser_png_download(browser: Browser, base_url: str) -> None:
    browser.open(f"{base_url}/map?mechanism=neampan")
    data = browser.driver.execute_async_script("""
        const done = arguments[arguments.length - 1];
        const svg = document.querySelector('figure.nk-figure svg');
        window.nkFigurePng(svg).then(b => { const r = new FileReader(); r.onload = () => done(r.result);
                                            r.readAsDataURL(b); }, e => done('error: ' + e.message));""")
    assert data.startswith("data:image/png;base64,"), data[:80]
    png = base64.b64decode(data.split(",", 1)[1])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert width == 2000 and height > 1000
    assert len(png) > 20_000, "a drawn map, not a blank canvas"
    (ROOT / "artifacts" / "screenshots").mkdir(parents=True, exist_ok=True)
    (ROOT / "artifacts" / "screenshots" / "map-neampan-download.png").write_bytes(png)
    assert browser.console_errors() == []
    assert browser.external(browser.requests()) == []
