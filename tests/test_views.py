"""The browser side, in a real headless Chromium against a live server on 127.0.0.1.

What is proved here:
- every page loads with no console error and no request outside 127.0.0.1 (vis-network and all CSS/JS
  come from this server), and every generated page passes ``assert_offline``;
- each graph page holds exactly the nodes and edges the graph says (expected sets computed here from the
  store and the networkx projections, never hard-coded), paints its canvas, and a real mouse click on a
  mechanism shows its members with their sources and links in the side panel;
- shared members are highlighted, duplication edges widen with the score and explain it, labels follow
  ``?lang=`` with English as fallback;
- the standalone file opens from disk with everything inlined;
- labels full of ``<``, ``&`` and quotes show as text and run no script (a graph built from a poisoned copy
  of the data);
- unknown input gets a friendly page with the closest labels, never a stack trace.

Chromium missing is a failure, not a skip (``tests/browser.py``). Screenshots: artifacts/screenshots/.
"""
from __future__ import annotations

import base64
import re
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import httpx
import networkx as nx
import pyoxigraph as ox
import pytest

from api.app import create_app
from api.settings import Settings
from neaspec_kg import network, views
from neaspec_kg.analysis import Analyst
from neaspec_kg.analysis.profiles import Profiles
from neaspec_kg.build import ValidatedGraph, build
from neaspec_kg.config import Paths
from neaspec_kg.graph import select
from neaspec_kg.namespaces import ID, SKOS
from neaspec_kg.namespaces import country as country_iri
from neaspec_kg.store import OxigraphStore, SparqlStore
from tests.browser import Browser
from tests.live_server import live_server
from tests.terms import literal

SETTINGS = Settings(workers=1, queue_limit=4)
FOCUS = "air quality"


# --------------------------------------------------------------------------- what the graph says


Expected = tuple[set[str], set[frozenset[str]]]


def _sets(g: nx.Graph) -> Expected:
    return set(g.nodes), {frozenset(e) for e in g.edges}


def expected_whole(store: SparqlStore) -> Expected:
    """Mechanism-country and mechanism-focus projections, every mechanism, the broader chain of each
    focus area up to its thematic area, and mechanism -> secretariat host (or the secretariat itself)."""
    g = nx.compose(network.mechanism_country(store, include_related=True),
                   network.mechanism_focus(store, include_related=True))
    g.add_nodes_from(r["mechanism"].value for r in select(store, "mechanisms"))
    broader: dict[str, set[str]] = {}
    for r in select(store, "focus-tree"):
        if "broader" in r:
            broader.setdefault(r["concept"].value, set()).add(r["broader"].value)
    todo = [n for n, d in g.nodes(data=True) if d.get("kind") == "focus"]
    seen = set(todo)
    while todo:
        c = todo.pop()
        for up in broader.get(c, ()):
            g.add_edge(c, up)
            if up not in seen:
                seen.add(up)
                todo.append(up)
    for r in select(store, "secretariats", {"include_related": True}):
        g.add_edge(r["mechanism"].value, r["host"].value if "host" in r else r["unit"].value)
    return _sets(g)


def expected_overlap(analyst: Analyst, focus: str) -> tuple[Expected, set[str]]:
    """Mechanisms on the focus (delivered, planned or proposed), the concepts each piece of evidence matched,
    their members, engagements among them; and the IRIs of the members shared by two or more of them."""
    res = analyst.overlap(focus)
    g = nx.Graph()
    every = [*res.mechanisms, *res.planned_or_proposed]
    ids = {m.mechanism.id: m.mechanism.iri for m in every}
    for m in every:
        g.add_node(m.mechanism.iri)
        g.add_edges_from((m.mechanism.iri, f.iri) for ev in m.evidence for f in ev.focus)
        g.add_edges_from((m.mechanism.iri, country_iri(c.id)) for c in m.members)
    g.add_edges_from((ids[e.party], ids[e.counterpart]) for e in res.engagements
                     if e.party in ids and e.counterpart in ids and e.party != e.counterpart)
    return _sets(g), {country_iri(s.country.id) for s in res.shared_members}


def expected_duplication(analyst: Analyst) -> Expected:
    return _sets(network.overlap_graph(analyst.duplication(limit=None).pairs))


def expected_mechanism(store: SparqlStore, mid: str) -> Expected:
    """The mechanism, its members, platforms and plans, secretariat (and host), engagement counterparts."""
    iri = ID + "mechanism/" + mid
    g = nx.Graph()
    g.add_node(iri)
    g.add_edges_from((iri, r["country"].value) for r in select(store, "mechanism-members", {"mechanism": mid}))
    g.add_edges_from((iri, r["component"].value) for r in select(store, "mechanism-components", {"mechanism": mid}))
    for r in select(store, "mechanism-structure", {"mechanism": mid}):
        if r["role"].value == "secretariat":
            g.add_edge(iri, r["unit"].value)
            if "host" in r:
                g.add_edge(r["unit"].value, r["host"].value)
    for r in select(store, "mechanism-engagements", {"mechanism": mid}):
        other = r["counterpart"].value if r["party"].value == iri else r["party"].value
        g.add_edge(iri, other)
    return _sets(g)


def pref_label(store: OxigraphStore, iri: str, lang: str) -> str:
    """A resource's preferred label in ``lang``, else English, read from the quads (not our queries)."""
    labels = {literal(q.object).language: literal(q.object).value for q in store.oxigraph.quads_for_pattern(
        ox.NamedNode(iri), ox.NamedNode(SKOS + "prefLabel"), None, ox.DefaultGraph())}
    return labels.get(lang) or labels["en"]


# --------------------------------------------------------------------------- page helpers


def on_graph_page(browser: Browser, url: str, name: str) -> float:
    """Open a graph page and check the basics every page must pass; return the time to ready."""
    browser.open(url)
    ready = browser.wait_graph_ready()
    time.sleep(0.1)  # let the console and network logs catch up
    errors, requests = browser.console_errors(), browser.requests()
    assert errors == [], f"{name}: console errors {errors}"
    assert browser.external(requests) == [], f"{name}: requests outside 127.0.0.1"
    assert any(u.endswith(f"/assets/vis/{views.VIS_DIR}/vis-network.min.js") for u in requests), \
        f"{name}: vis-network was not loaded from this server: {requests}"
    paint = browser.paint()
    assert paint.painted > 200, f"{name}: the canvas is (nearly) empty: {paint}"
    browser.screenshot(name)
    return ready


def page_graph(browser: Browser) -> Expected:
    nodes, edges = browser.js(
        "return [network.body.data.nodes.getIds(), network.body.data.edges.get().map(e => [e.from, e.to])]")
    return set(nodes), {frozenset(e) for e in edges}


def assert_same(got: Expected, want: Expected, name: str) -> None:
    assert got[0] == want[0], f"{name}: nodes differ: extra {got[0] - want[0]}, missing {want[0] - got[0]}"
    assert got[1] == want[1], f"{name}: edges differ: extra {got[1] - want[1]}, missing {want[1] - got[1]}"


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.hrefs += [v for k, v in attrs if k == "href" and v]


def links_of(html: str) -> list[str]:
    p = Links()
    p.feed(html)
    return p.hrefs


# --------------------------------------------------------------------------- graph pages in Chromium


def test_whole_graph(browser: Browser, base_url: str, store: OxigraphStore) -> None:
    ready = on_graph_page(browser, base_url + "/graph", "graph")
    want = expected_whole(store)
    assert_same(page_graph(browser), want, "/graph")
    assert browser.counts() == (len(want[0]), len(want[1]))
    assert ready < 15, f"the whole graph took {ready:.1f} s to settle"
    shapes = browser.js("return Object.fromEntries(nodes.get().map(n => [n.id, n.shape]))")
    for iri in want[0]:  # shapes by type: countries are squares, mechanisms dots, organisations stars
        kind = views.kind_of(iri)
        if kind in {"country", "mechanism"}:
            assert shapes[iri] == views.STYLES[kind].shape, iri
    legend = browser.js("return [...document.querySelectorAll('.nk-legend li')].map(li => li.textContent)")
    assert any("Country" in t and str(sum(1 for i in want[0] if views.kind_of(i) == "country")) in t for t in legend)


def test_click_on_a_mechanism_shows_its_members_with_sources(browser: Browser, base_url: str,
                                                             profiles: Profiles, http: httpx.Client) -> None:
    """A real click at the node's position on the canvas fills the side panel."""
    on_graph_page(browser, base_url + "/graph", "graph")
    mid = max((m for m in profiles.mechanisms() if m.subregional), key=lambda m: m.member_count).id
    iri = ID + "mechanism/" + str(mid)
    x, y = browser.node_position(iri)
    browser.click_at(x, y)
    deadline = time.monotonic() + 5
    while browser.js("return document.getElementById('nk-panel').dataset.node || ''") != iri:
        assert time.monotonic() < deadline, "clicking the node did not fill the side panel"
        time.sleep(0.05)
    panel = browser.js("return document.getElementById('nk-panel').innerText")
    profile = profiles.mechanism(str(mid))
    for member in profile.members:
        assert member.label in panel, f"member {member.label} missing from the panel"
    cited = {s.label for m in profile.members for s in m.sources}
    assert any(label in panel for label in cited), "no source of a membership is shown"
    hrefs = browser.js("return [...document.querySelectorAll('#nk-panel .nk-links a')]"
                       ".map(a => a.getAttribute('href'))")
    assert f"/id/mechanism/{mid}" in hrefs and f"/mechanisms/{mid}" in hrefs
    for href in hrefs:
        assert http.get(href).status_code == 200, href
    browser.screenshot("graph-clicked")
    assert browser.console_errors() == []


def test_overlap_highlights_shared_members(browser: Browser, base_url: str, analyst: Analyst) -> None:
    on_graph_page(browser, f"{base_url}/graph/overlap?focus={quote(FOCUS)}", "overlap")
    want, shared = expected_overlap(analyst, FOCUS)
    assert shared, "the example focus should have shared members"
    assert_same(page_graph(browser), want, "overlap")
    colours = browser.js("return Object.fromEntries(nodes.get().map(n => "
                         "[n.id, typeof n.color === 'object' ? n.color.background : n.color]))")
    for iri in want[0]:
        if views.kind_of(iri) == "country":
            expected = views.STYLES["shared" if iri in shared else "country"].color
            assert colours[iri] == expected, f"{iri} shared={iri in shared} has colour {colours[iri]}"


def test_duplication_edges_widen_with_the_score_and_explain_it(browser: Browser, base_url: str,
                                                               analyst: Analyst) -> None:
    on_graph_page(browser, base_url + "/graph/duplication", "duplication")
    assert_same(page_graph(browser), expected_duplication(analyst), "duplication")
    pairs = {frozenset((p.a.iri, p.b.iri)): p for p in analyst.duplication(limit=None).pairs}
    edges = browser.js("return edges.get().map(e => [e.id, e.from, e.to, e.width, e.title])")
    ranked = sorted(edges, key=lambda e: pairs[frozenset(e[1:3])].score)
    widths = [e[3] for e in ranked]
    assert widths == sorted(widths) and widths[-1] > widths[0], "edge width does not follow the score"
    for _id, a, b, _w, title in edges:
        p = pairs[frozenset((a, b))]
        assert f"score {p.score:.3f}" in title and p.explanation in title
    top = ranked[-1]
    (ax, ay), (bx, by) = browser.node_position(top[1]), browser.node_position(top[2])
    browser.click_at((ax + bx) / 2, (ay + by) / 2)
    deadline = time.monotonic() + 5
    while browser.js("return document.getElementById('nk-panel').dataset.edge || ''") != top[0]:
        assert time.monotonic() < deadline, "clicking the line did not explain it in the side panel"
        time.sleep(0.05)
    assert pairs[frozenset(top[1:3])].explanation in browser.js("return document.getElementById('nk-panel').innerText")
    browser.screenshot("duplication-clicked")


def test_mechanism_page_in_another_language(browser: Browser, base_url: str, store: OxigraphStore) -> None:
    """Labels in Korean where the graph has them, English otherwise; the mechanism is shown at once."""
    on_graph_page(browser, base_url + "/graph/mechanism/eanet?lang=ko", "mechanism-eanet-ko")
    want = expected_mechanism(store, "eanet")
    assert_same(page_graph(browser), want, "mechanism")
    labels = browser.js("return Object.fromEntries(nodes.get().map(n => [n.id, n.label]))")
    countries = [i for i in want[0] if views.kind_of(i) == "country"]
    fell_back = 0
    for iri in countries:
        assert labels[iri] == pref_label(store, iri, "ko"), iri
        fell_back += labels[iri] == pref_label(store, iri, "en")
    assert 0 < fell_back < len(countries), "the example should mix Korean labels and English fallbacks"
    assert browser.js("return document.getElementById('nk-panel').dataset.node") == ID + "mechanism/eanet"


@pytest.mark.parametrize("name,path", [
    ("home", "/"),
    ("resource-eanet", "/id/mechanism/eanet"),
    ("resource-country-zh", "/id/country/CHN?lang=zh"),
    ("ontology", "/ontology"),
])
def test_text_pages_in_chromium(browser: Browser, base_url: str, name: str, path: str) -> None:
    browser.open(base_url + path)
    time.sleep(0.1)
    assert browser.console_errors() == []
    requests = browser.requests()
    assert browser.external(requests) == [] and requests, f"{name}: {requests}"
    assert browser.js("return document.querySelector('h1').textContent.trim().length") > 0
    browser.screenshot(name)


def test_sparql_editor_fits_1280_pixels_and_has_the_way_home(base_url: str) -> None:
    """The SPARQL editor had no way back to the home page and scrolled sideways at 1400 px: at 1280 px, once
    YASGUI has drawn the editor, the page is no wider than the window and carries the site's one nav bar."""
    from tests.browser import chromium

    with chromium(width=1280, height=900) as narrow:
        narrow.open(base_url + "/sparql")
        deadline = time.monotonic() + 20
        while not narrow.js("return !!(window.neaspecYasgui && document.querySelector('.CodeMirror'))"):
            assert time.monotonic() < deadline, "the editor was not drawn"
            time.sleep(0.1)
        time.sleep(0.3)  # let YASGUI finish its layout
        page, window = narrow.js("return [document.documentElement.scrollWidth, window.innerWidth]")
        assert window == 1280 and page <= window, f"the editor page is {page} px wide in a {window} px window"
        assert narrow.js("return document.querySelector('nav.nk-nav a.nk-home').getAttribute('href')") == "/"
        narrow.screenshot("sparql-1280")
        assert narrow.console_errors() == []


def test_unknown_focus_gets_a_friendly_page(browser: Browser, base_url: str, http: httpx.Client,
                                            analyst: Analyst) -> None:
    typo = "air qualty"
    response = http.get("/graph/overlap", params={"focus": typo})
    assert response.status_code == 404 and response.headers["content-type"].startswith("text/html")
    body = response.text
    assert "Traceback" not in body and "Nothing is called" in body
    for s in analyst.focus.suggest(typo):
        assert f"/graph/overlap?focus={s.concept.id}" in body
    browser.open(f"{base_url}/graph/overlap?focus={quote(typo)}")
    errors = [e for e in browser.console_errors() if "status of 404" not in e]
    assert errors == [] and browser.external(browser.requests()) == []
    browser.screenshot("unknown-focus")


# --------------------------------------------------------------------------- standalone file


def test_standalone_file_opens_offline(browser: Browser, analyst: Analyst, profiles: Profiles,
                                       tmp_path: Path) -> None:
    path = tmp_path / "overlap.html"
    size = views.write_standalone(analyst, profiles, "overlap", FOCUS, path, "en")
    page = path.read_text(encoding="utf-8")
    assert size == path.stat().st_size and "/assets/" not in page and "/static/" not in page
    views.assert_offline(page)
    browser.open(path.as_uri())
    browser.wait_graph_ready()
    assert browser.console_errors() == []
    assert [u for u in browser.requests() if not u.startswith(("file:", "data:"))] == []
    assert_same(page_graph(browser), expected_overlap(analyst, FOCUS)[0], "standalone")
    assert browser.paint().painted > 200
    mechanism = next(iter(analyst.overlap(FOCUS).mechanisms)).mechanism
    assert browser.js("return nkShowNode(arguments[0])", mechanism.iri)
    panel = browser.js("return document.getElementById('nk-panel').innerText")
    assert mechanism.acronym in panel and "https://w3id.org/neaspec-kg/id/" in browser.js(
        "return document.querySelector('#nk-panel .nk-links a').href"), "standalone links go to the IRIs"
    browser.screenshot("standalone-overlap")


# --------------------------------------------------------------------------- hostile labels


EVIL_ACRONYM = 'EANET<img src=x onerror="window.__pwned=1">&amp;\'"'
EVIL_COUNTRY = "Mongolia</script><script>window.__pwned=2</script><!--"


@pytest.fixture(scope="module")
def evil_graph(tmp_path_factory: pytest.TempPathFactory) -> ValidatedGraph:
    """The project's data with a mechanism acronym and a country name that try to inject script."""
    import shutil

    from neaspec_kg.config import PROJECT_ROOT

    root = tmp_path_factory.mktemp("evil")
    shutil.copytree(PROJECT_ROOT / "ontology", root / "ontology")
    shutil.copytree(PROJECT_ROOT / "data", root / "data")

    def turtle(s: str) -> str:
        return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'

    for rel, old, new in [("data/mechanisms/eanet.trig", 'nk:acronym "EANET"', f"nk:acronym {turtle(EVIL_ACRONYM)}"),
                          ("data/countries.trig", '"Mongolia"@en', f"{turtle(EVIL_COUNTRY)}@en")]:
        f = root / rel
        text = f.read_text(encoding="utf-8")
        assert old in text, f"{rel} no longer contains {old}: update this test's poison"
        f.write_text(text.replace(old, new), encoding="utf-8")
    return build(Paths(ontology_dir=root / "ontology", data_dir=root / "data"), use_cache=False)


def test_hostile_labels_show_as_text_and_run_nothing(browser: Browser, evil_graph: ValidatedGraph) -> None:
    app = create_app(SETTINGS, graph=evil_graph)
    mng, eanet = country_iri("MNG"), ID + "mechanism/eanet"
    with live_server(app) as url:
        for path in ["/graph", "/graph/overlap?focus=acid-deposition", "/graph/mechanism/eanet"]:
            browser.open(url + path)
            browser.wait_graph_ready()
            assert browser.js("return window.__pwned === undefined"), f"{path}: a label ran script"
            assert browser.js("return document.querySelectorAll('img, svg, iframe').length") == 0
            assert browser.console_errors() == []
            labels = browser.js("return Object.fromEntries(nodes.get().map(n => [n.id, [n.label, n.title]]))")
            assert labels[eanet][0] == EVIL_ACRONYM and EVIL_ACRONYM in labels[eanet][1]
            assert labels[mng][0] == EVIL_COUNTRY and EVIL_COUNTRY in labels[mng][1]
            for node in (eanet, mng):
                assert browser.js("return nkShowNode(arguments[0])", node)
                panel = browser.js("return document.getElementById('nk-panel').textContent")
                assert EVIL_ACRONYM in panel and (node == eanet or EVIL_COUNTRY in panel)
        assert EVIL_ACRONYM in browser.js("return document.getElementById('nk-title').textContent")
        x, y = browser.node_position(mng)  # hover: vis-network shows the title as text, not HTML
        browser.click_at(x, y)
        deadline = time.monotonic() + 5
        while not browser.js("const t = document.querySelector('div.vis-tooltip');"
                             "return !!t && t.style.visibility !== 'hidden' && t.textContent.length > 0"):
            assert time.monotonic() < deadline, "no tooltip appeared on hover"
            time.sleep(0.05)
        assert EVIL_COUNTRY in browser.js("return document.querySelector('div.vis-tooltip').textContent")
        # setting innerText turns newlines into <br>; anything else would be markup from the label
        assert browser.js("return [...document.querySelectorAll('div.vis-tooltip *')].map(e => e.tagName)"
                          ".filter(t => t !== 'BR')") == []
        assert browser.js("return window.__pwned === undefined")
        browser.screenshot("hostile-labels")
        for path in ["/", "/id/mechanism/eanet", "/id/country/MNG"]:
            browser.open(url + path)
            assert browser.js("return window.__pwned === undefined"), f"{path}: a label ran script"
            assert browser.js("return document.querySelectorAll('img, svg, iframe').length") == 0
            text = browser.js("return document.body.textContent")
            assert (EVIL_COUNTRY if "MNG" in path else EVIL_ACRONYM) in text, path
            assert browser.console_errors() == []


# --------------------------------------------------------------------------- without a browser


def test_every_mechanism_view_draws_its_profile(analyst: Analyst, profiles: Profiles, store: OxigraphStore,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The mechanism view is ``Profiles.mechanism`` drawn (what /mechanisms/{id} serves): for every mechanism
    it holds the nodes and edges the store's own queries give (so the IRIs it mints from the profile's ids are
    the graph's), the profile's counts, and each engagement's types in the profile's order. Without the
    analysis index's IRIs for an engagement's parties, the picture is the same."""
    for m in profiles.mechanisms():
        view = views.build_view(analyst, profiles, "mechanism", m.id)
        p = profiles.mechanism(m.id)
        assert_same(_sets(view.graph), expected_mechanism(store, m.id), m.id)
        assert view.intro_args["members"] == len(p.members)
        assert view.intro_args["components"] == len(p.components)
        assert view.intro_args["engagements"] == len(p.engagements)
        titles = "\n".join(d["title"] for _a, _b, d in view.graph.edges(data=True))
        for e in p.engagements:
            assert f": {', '.join(e.types)} ({e.status.lower()})" in titles, (m.id, e.id)
    monkeypatch.setattr(analyst.index, "engagement_by_iri", {})
    for mid in ("neaspec", "eanet"):
        assert_same(_sets(views.build_view(analyst, profiles, "mechanism", mid).graph),
                    expected_mechanism(store, mid), f"{mid} without the index")


def test_home_links_every_view_and_they_all_work(http: httpx.Client, profiles: Profiles) -> None:
    home = http.get("/")
    assert home.status_code == 200
    hrefs = links_of(home.text)
    assert all(h.startswith("/") for h in hrefs), [h for h in hrefs if not h.startswith("/")]
    for needed in ["/graph", "/graph/duplication", "/sparql", "/docs", "/ontology"]:
        assert needed in hrefs, needed
    for m in profiles.mechanisms():
        assert f"/graph/mechanism/{m.id}" in hrefs
    focus_links = [h for h in hrefs if h.startswith("/graph/overlap?")]
    tree = profiles.focus_tree()
    concepts = {t.id for t in tree} | {f.id for t in tree for f in t.narrower}
    assert {parse_qs(urlsplit(h).query)["focus"][0] for h in focus_links} == concepts
    graph_links = [h for h in hrefs if h.startswith("/graph")]
    for href in graph_links:
        response = http.get(href)
        assert response.status_code == 200, href
        views.assert_offline(response.text)
    form = re.search(r'<form class="nk-search" action="([^"]+)"[^>]*>.*?name="([^"]+)"', home.text, re.S)
    assert form and form.groups() == ("/graph/overlap", "focus")


def test_one_nav_bar_on_every_page(http: httpx.Client) -> None:
    """The shell, the graph pages, the SPARQL editor and the Linked Data pages share one navigation bar
    (api/templates/nav.html): it had drifted when each page wrote its own."""
    def nav(path: str) -> list[str]:
        r = http.get(path, headers={"Accept": "text/html"})
        assert r.status_code == 200, path
        block = re.search(r'<nav class="nk-nav"[^>]*>(.*?)</nav>', r.text, re.S)
        assert block, f"{path} has no site navigation"
        return re.findall(r'href="([^"]+)"', block.group(1))

    home = nav("/")
    assert {"/graph", "/matrix", "/map", "/timeline", "/check", "/thesaurus", "/sparql", "/docs"} <= set(home)
    for path in ("/graph", "/graph/duplication", "/graph/mechanism/eanet", "/graph/overlap?focus=air%20quality",
                 "/matrix", "/matrix/countries", "/timeline", "/map", "/check", "/thesaurus", "/ontology",
                 "/id/mechanism/eanet", "/sparql"):
        assert nav(path) == home, path
    assert nav("/graph?lang=zh") == nav("/matrix?lang=zh") != home


def test_search_box_takes_a_mechanism_too(http: httpx.Client) -> None:
    r = http.get("/graph/overlap", params={"focus": "eanet"})
    assert r.status_code == 303 and r.headers["location"] == "/graph/mechanism/eanet"
    r = http.get("/graph/overlap", params={"focus": "Acid Deposition Monitoring Network in East Asia", "lang": "ja"})
    assert r.status_code == 303 and r.headers["location"] == "/graph/mechanism/eanet?lang=ja"


def test_unknown_mechanism_and_empty_search_are_friendly(http: httpx.Client) -> None:
    r = http.get("/graph/mechanism/eanett")
    assert r.status_code == 404 and "text/html" in r.headers["content-type"]
    assert "/graph/mechanism/eanet" in links_of(r.text) and "Traceback" not in r.text
    r = http.get("/graph/overlap", params={"focus": "  "})
    assert r.status_code == 404 and "<form" in r.text
    r = http.get("/graph/overlap", params={"focus": "air quality", "country": "Korea"})
    assert r.status_code == 404 and "ISO 3166-1" in r.text


def test_vis_assets_are_served_here_and_nothing_else(http: httpx.Client) -> None:
    r = http.get(f"/assets/vis/{views.VIS_DIR}/vis-network.min.js")
    assert r.status_code == 200 and r.content == (views.VIS_LIB_DIR / views.VIS_DIR / "vis-network.min.js").read_bytes()
    assert "max-age" in r.headers["cache-control"]
    assert http.get("/assets/vis/../network.py").status_code == 404
    assert http.get("/assets/vis/%2e%2e/network.py").status_code == 404


def test_standalone_download_and_served_page_weights(http: httpx.Client) -> None:
    served = http.get("/graph/mechanism/ltp")
    download = http.get("/graph/mechanism/ltp", params={"standalone": "true"})
    assert download.headers["content-disposition"] == 'attachment; filename="neaspec-kg-ltp.html"'
    views.assert_offline(download.text)
    assert "/assets/" not in download.text and "/assets/vis/" in served.text
    assert len(served.content) < len(download.content) / 4, "served pages should load vis-network separately"


def test_offline_guard_refuses_external_resources() -> None:
    for bad in ['<script src="https://cdn.example/x.js"></script>', '<link rel="stylesheet" href="//cdn/x.css">',
                '<img src="HTTP://x/y.png">', "<style>@import 'https://x/y.css';</style>",
                "<div style=\"background: url('https://x/y.png')\"></div>", '<a href="https://example.org/">x</a>']:
        with pytest.raises(views.VizError):
            views.assert_offline(f"<html><body>{bad}</body></html>")
    views.assert_offline('<a href="https://example.org/">cited source</a>', allow_links=True)
    views.assert_offline("<script>var s = 'src=\"https://not-markup\"';</script>")  # script text is not markup


def test_a_changed_pyvis_template_fails_loudly() -> None:
    with pytest.raises(views.VizError, match="pyvis template"):
        views.localise("<html><head><script src='https://cdn.example/vis.js'></script></head><body></body></html>")


@pytest.mark.parametrize("params", [{"focus": "url(//evil.example/x)"},
                                    {"focus": "air quality", "country": "url(//evil.example/x)"},
                                    {"focus": "air quality", "as_of": "url(//e.x/y)"},
                                    {"focus": "@import 'http://evil.example/x.css'"}])
def test_user_text_echoed_on_a_page_is_never_taken_for_a_resource(http: httpx.Client,
                                                                   params: dict[str, str]) -> None:
    """The offline check looks at where a browser loads from (attributes, CSS), not at echoed words."""
    r = http.get("/graph/overlap", params=params)
    assert 400 <= r.status_code < 500 and "Traceback" not in r.text
    if "text/html" in r.headers["content-type"]:
        assert "evil.example" not in " ".join(links_of(r.text))


def test_coverage_matrix_matches_the_overlap_answers(http: httpx.Client, analyst: Analyst) -> None:
    """Each cell is the strongest evidence the overlap answer gives for that row's focus area."""
    data = http.get("/matrix", params={"format": "json", "include_related": "true"}).json()
    assert data["rows"] and data["mechanisms"]
    for row in data["rows"][::3]:
        answer = analyst.overlap(row["concept"]["id"], include_related=True)
        delivered = {m.mechanism.id: m.strongest for m in answer.mechanisms}
        cells = {c["mechanism"]: c["kind"] for c in row["cells"] if c["delivered"]}
        assert cells == delivered, row["concept"]["id"]
        assert row["status"] == ("gap" if not delivered else "single" if len(delivered) == 1 else "overlap")
    desert = next(r for r in data["rows"] if r["concept"]["id"] == "desertification")
    assert {"neaspec", "dldd-nean"} <= {c["mechanism"] for c in desert["cells"]}
    page_ = http.get("/matrix")
    assert page_.status_code == 200 and "<table class=\"nk-matrix\">" in page_.text and "scope=\"row\"" in page_.text
    csv_ = http.get("/matrix", params={"format": "csv"})
    assert csv_.headers["content-type"].startswith("text/csv") and csv_.text.startswith("focus_area,")
    assert http.get("/matrix", params={"as_of": "2020-13-45"}).status_code == 400


def test_matrix_platform_columns_say_where_the_work_goes_through(http: httpx.Client) -> None:
    """?platforms=true adds, after each mechanism, a column per platform or plan its work goes through; a cell
    says "through" exactly where the cell's evidence goes through that platform (MatrixCell.via)."""
    m = http.get("/matrix", params={"format": "json"}).json()
    assert {p["id"] for p in m["platforms"]} >= {"neacap", "neampan", "neamsp"}
    assert all(p["part_of"] for p in m["platforms"])
    page_ = http.get("/matrix", params={"platforms": "true"}).text
    body = page_[page_.index("<tbody>"):]
    for p in m["platforms"]:
        assert f'href="/id/{p["type"]}/{p["id"]}"' in page_
        expected = sum(1 for r in m["rows"] for c in r["cells"]
                       if c["mechanism"] == p["part_of"] and p["id"] in c["via"])
        got = len(re.findall(rf'data-platform="{re.escape(p["id"])}" title="[^"]*">through<', body))
        assert got == expected, (p["id"], got, expected)
    assert "data-platform" not in http.get("/matrix").text  # collapsed by default
    assert 'class="nk-toggle"' in http.get("/matrix").text


def test_matrix_page_in_chromium(browser: Browser, base_url: str) -> None:
    browser.open(base_url + "/matrix?country=MNG")
    cells = browser.js("return document.querySelectorAll('table.nk-matrix tbody tr').length")
    assert cells > 20
    assert browser.console_errors() == []
    assert browser.external(browser.requests()) == []
    browser.screenshot("matrix")


def test_participation_matrix_is_the_country_answers_side_by_side(http: httpx.Client, browser: Browser,
                                                                  base_url: str) -> None:
    """Countries against mechanisms: every row is that country's /countries answer, and the note's own
    exceptions show (Mongolia outside NEAMPAN; the DPRK's one attendance at NOWPAP is not membership)."""
    for as_of in (None, "2010-01-01"):
        params = {"format": "json", **({"as_of": as_of} if as_of else {})}
        data = http.get("/matrix/countries", params=params).json()
        assert len(data["rows"]) >= 6 and data["units"]
        for row in data["rows"]:
            answer = http.get(f"/countries/{row['country']['id']}/participation",
                              params={"as_of": as_of} if as_of else {}).json()
            expected = {p["unit"]["id"]: (p["status"], p["since"]) for p in answer["mechanisms"]}
            assert {u: (c["status"], c["since"]) for u, c in row["cells"].items()} == expected, row["country"]
    rows = http.get("/matrix/countries", params={"format": "json"}).json()["rows"]
    today = {r["country"]["id"]: r["cells"] for r in rows}
    assert all(today[c]["neaspec"]["status"] == "member" for c in ("CHN", "JPN", "KOR", "MNG", "PRK", "RUS"))
    assert "neampan" not in today["MNG"] and today["RUS"]["neampan"]["status"] == "member"
    assert "nowpap" not in today["PRK"] and today["PRK"]["yslme"]["status"] == "observer"
    # the count is of mechanisms: Russia in NEASPEC and in its platform NEAMPAN takes part in one mechanism
    units = http.get("/matrix/countries", params={"format": "json"}).json()["units"]
    owner = {u["id"]: u.get("part_of") or u["id"] for u in units}
    for r in rows:
        assert r["count"] == len({owner[u] for u, c in r["cells"].items() if c["status"] != "uncertain"})
    rus = next(r for r in rows if r["country"]["id"] == "RUS")
    assert {"neaspec", "neampan"} <= set(rus["cells"]) and rus["count"] < len(rus["cells"])
    csv_ = http.get("/matrix/countries", params={"format": "csv"})
    assert csv_.headers["content-type"].startswith("text/csv") and csv_.text.startswith("country,country_id,")
    assert len(csv_.text.strip().splitlines()) == len(today) + 1
    bad = http.get("/matrix/countries", params={"as_of": "2020-13-45"})
    assert bad.status_code == 400 and bad.headers["content-type"].startswith("application/problem+json")
    browser.open(base_url + "/matrix/countries")
    assert browser.js("return document.querySelectorAll('table.nk-matrix tbody tr').length") == len(today)
    assert browser.console_errors() == [] and browser.external(browser.requests()) == []
    browser.screenshot("participation-matrix")


def test_check_page_answers_who_already_does_it(http: httpx.Client, browser: Browser, base_url: str) -> None:
    params = {"focus": "dust storms", "modalities": "capacity-building", "countries": "MNG, CHN",
              "proposer": "neaspec"}
    r = http.get("/check", params=params)
    assert r.status_code == 200 and "DLDD-NEAN" in r.text and "duplication concern" in r.text
    assert "Work organically with other existing efforts" in r.text  # the note's words, cited
    assert r.text.count("<tr>") >= 31  # the 31 proposals of paragraph 21
    unknown = http.get("/check", params={"focus": "nuclear safety"})
    assert unknown.status_code == 404 and "closest known labels" in unknown.text
    bad = http.get("/check", params={"focus": "air quality", "modalities": "juggling"})
    assert bad.status_code == 404 and "known modalities" in bad.text
    browser.open(base_url + "/check?" + "&".join(f"{k}={quote(v)}" for k, v in params.items()))
    assert browser.console_errors() == [] and browser.external(browser.requests()) == []
    browser.screenshot("check")


def test_check_page_tables_download_as_csv(http: httpx.Client, analyst: Analyst) -> None:
    """The check page's two tables as CSV: the same rows as the answers behind them."""
    import csv as csvlib
    import io

    from neaspec_kg.models import ProposedWork

    params = {"focus": "dust storms", "modalities": "capacity-building", "countries": "MNG, CHN",
              "proposer": "neaspec"}
    page_ = http.get("/check", params=params).text
    assert "format=matches.csv" in page_ and "format=proposals.csv" in page_
    r = http.get("/check", params={**params, "format": "matches.csv"})
    assert r.headers["content-type"].startswith("text/csv") and "attachment" in r.headers["content-disposition"]
    rows = list(csvlib.DictReader(io.StringIO(r.text)))
    answer = analyst.check(ProposedWork(focus="dust storms", modalities=["capacity building"],
                                        countries=["MNG", "CHN"], proposer="neaspec"))
    assert [x["mechanism_or_platform"] for x in rows] == [m.unit.acronym or m.unit.label for m in answer.matches]
    proposals = list(csvlib.DictReader(io.StringIO(http.get("/check", params={"format": "proposals.csv"}).text)))
    assert [int(p["order"]) for p in proposals] == [p.order for p in analyst.proposals().proposals]
    missing = http.get("/check", params={"format": "matches.csv"})
    assert missing.status_code == 400 and missing.headers["content-type"].startswith("application/problem+json")
    # the format is one of three names, not a pattern with a wildcard: "matches<any character>csv" (found by
    # schemathesis, with a character outside Latin-1 that broke the download's header) is refused
    for odd in ("matchesXcsv", "matches\U0008d4c6csv", "proposals_csv"):
        wrong = http.get("/check", params={**params, "format": odd})
        assert wrong.status_code == 422 and "format" in wrong.text, odd


def test_timeline_draws_every_disputed_date_with_its_sources(http: httpx.Client, browser: Browser,
                                                             base_url: str) -> None:
    data = http.get("/timeline", params={"format": "json"}).json()
    lccp = next(lane for lane in data["lanes"] if lane["acronym"] == "NEA-LCCP")
    established = {e["date"]: e for e in lccp["events"] if e["event"] == "established"}
    assert {"2014", "2016"} <= set(established) and all(e["disputed"] for e in established.values())
    assert any("paragraph 6" in s["label"] for s in established["2016"]["sources"])
    # The research file records the other three disagreements; each year is kept, each with its own source.
    for acronym, years in {"LTP": {"1995", "1996"}, "EABRN": {"1994", "1995"}, "APCAP": {"2014", "2015"}}.items():
        lane = next(lane for lane in data["lanes"] if lane["acronym"] == acronym)
        drawn = {e["date"][:4]: e for e in lane["events"] if e["event"] == "established"}
        assert years <= set(drawn), (acronym, sorted(drawn))
        assert all(drawn[y]["disputed"] and drawn[y]["sources"] for y in years), acronym
        assert len({s["label"] for y in years for s in drawn[y]["sources"]}) >= 2, acronym
    page_ = http.get("/timeline")
    assert page_.status_code == 200 and "<svg" in page_.text and "disputed" in page_.text
    browser.open(base_url + "/timeline")
    assert browser.js("return document.querySelectorAll('svg circle').length") >= 20
    # the figure downloads as SVG (what is drawn, every mark) and PNG, made in the browser
    buttons = browser.js("return [...document.querySelectorAll('figure.nk-figure .nk-fig-tools button')]"
                         ".map(b => b.textContent)")
    assert buttons == ["Download SVG", "Download PNG"]
    png = browser.driver.execute_async_script("""
        const done = arguments[arguments.length - 1];
        window.nkFigurePng(document.querySelector('figure.nk-figure svg')).then(b => {
            const r = new FileReader(); r.onload = () => done(r.result); r.readAsDataURL(b); },
            e => done('error: ' + e.message));""")
    assert png.startswith("data:image/png;base64,") and base64.b64decode(png.split(",", 1)[1])[:4] == b"\x89PNG"
    assert browser.console_errors() == [] and browser.external(browser.requests()) == []
    browser.screenshot("timeline")
