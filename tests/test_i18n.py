"""Interface text in zh, ja, ko and ru (issue 13, item 6): the catalogues are complete, their placeholders fit,
and every page shows them, falling back to English string by string.

What is proved here:
- extracting with Babel's own API over the sources ``babel.cfg`` names (templates, the inline templates of
  ``api/*.py``, ``neaspec_kg/views.py``) finds no msgid that a catalogue lacks, leaves empty or marks fuzzy; a
  new untranslated string fails here with its file and line;
- every translation keeps the msgid's ``%(name)s`` placeholders (Babel's checkers) and its inline tags;
- over HTTP, the home page, the matrices, the timeline, the check page, the thesaurus and the graph pages in
  each language show the catalogue's heading and navigation, say ``<html lang>`` truthfully, keep ``?lang=``
  in their links and offer the other languages; names from the graph are never looked up in a catalogue;
- a msgid missing from a catalogue falls back to English on its own while the rest stays translated;
- ``/matrix?lang=ja`` in headless Chromium: no console error, nothing fetched from elsewhere.
"""
from __future__ import annotations

import html
import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

from api import i18n
from neaspec_kg import views
from neaspec_kg.analysis import LEVEL_LABELS, Analyst
from neaspec_kg.analysis.profiles import Profiles
from neaspec_kg.graph import select
from neaspec_kg.store import OxigraphStore
from tests.browser import Browser, chromium

ROOT = Path(__file__).resolve().parents[1]
LANGS = i18n.CATALOGUES
#: the shell's navigation, as msgid -> path (the links that must keep ``?lang=``)
NAV = {"Whole graph": "/graph", "Duplication": "/graph/duplication", "Matrix": "/matrix",
       "Check a proposal": "/check", "Timeline": "/timeline", "Thesaurus": "/thesaurus"}
#: each page and the msgid of its heading (``<h1>``)
PAGES = {"/": "Environmental cooperation mechanisms in North-East Asia", "/matrix": "Coverage matrix",
         "/matrix/countries": "Participation matrix", "/timeline": "Timeline", "/check": "Check a proposal",
         "/thesaurus": "Focus-area thesaurus", "/graph": "The whole graph",
         "/graph/duplication": "Duplication between mechanisms"}


# --------------------------------------------------------------------------- catalogues


def extracted() -> dict[str, list[tuple[str, int]]]:
    """Every msgid in the configured sources with where it occurs, extracted now with Babel's API."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f)
    found: dict[str, list[tuple[str, int]]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(str(ROOT), method_map, options_map):
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            found.setdefault(msgid, []).append((filename, lineno))
    return found


def catalogue(lang: str, locale_dir: Path | None = None) -> Catalog:
    with ((locale_dir or i18n.LOCALE_DIR) / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f, locale=lang)


@pytest.fixture(scope="module")
def messages() -> dict[str, list[tuple[str, int]]]:
    return extracted()


@pytest.fixture(scope="module")
def catalogues() -> dict[str, Catalog]:
    return {lang: catalogue(lang) for lang in LANGS}


def translated(cat: Catalog, msgid: str) -> str:
    m = cat.get(msgid)
    assert m is not None and m.string and not m.fuzzy, f"{cat.locale}: {msgid!r} is not translated"
    return str(m.string)


def test_extraction_sees_every_kind_of_source(messages: dict[str, list[tuple[str, int]]]) -> None:
    """The extraction reaches the templates, the Python modules and the views package; a configuration that
    silently skipped one would make the completeness test below prove nothing."""
    files = {f for places in messages.values() for f, _ in places}
    for must in ("api/views.py", "api/thesaurus.py", "api/matrix.py", "api/templates/matrix.html",
                 "api/templates/timeline.html", "api/templates/check.html",
                 "api/templates/participation-matrix.html", "neaspec_kg/views/kinds.py",
                 "neaspec_kg/views/templates/side.html"):
        assert must in files, f"nothing extracted from {must}"
    for msgid in ("Environmental cooperation mechanisms in North-East Asia", "Focus-area thesaurus", "Legend"):
        for filename, lineno in messages[msgid]:
            line = (ROOT / filename).read_text(encoding="utf-8").splitlines()[lineno - 1]
            assert msgid in line, f"{filename}:{lineno} does not hold {msgid!r}"
    # marked with N_() where they are defined, translated where they are shown
    assert {s.label for s in views.STYLES.values()} <= set(messages)
    assert set(views.LEVEL_WORDS) == set(LEVEL_LABELS.values()), "views.LEVEL_WORDS must list analysis.LEVEL_LABELS"
    assert set(views.LEVEL_WORDS) <= set(messages)


@pytest.mark.parametrize("lang", LANGS)
def test_every_msgid_is_translated(lang: str, messages: dict[str, list[tuple[str, int]]],
                                   catalogues: dict[str, Catalog]) -> None:
    cat = catalogues[lang]
    problems = []
    for msgid, places in sorted(messages.items()):
        m = cat.get(msgid)
        where = ", ".join(f"{f}:{n}" for f, n in places)
        if m is None:
            problems.append(f"{where}: {msgid!r} is not in {lang}/messages.po (run `make messages`, translate)")
        elif not m.string or not str(m.string).strip():
            problems.append(f"{where}: {msgid!r} has an empty msgstr in {lang}")
        elif m.fuzzy:
            problems.append(f"{where}: {msgid!r} is fuzzy in {lang}")
    assert not problems, "\n".join(problems)
    assert cat.language_team and "terminologist" in cat.language_team, "the header must say who translated"


@pytest.mark.parametrize("lang", LANGS)
def test_placeholders_and_tags_match(lang: str, catalogues: dict[str, Catalog]) -> None:
    cat = catalogues[lang]
    errors = [f"{m.id!r}: {'; '.join(str(e) for e in errs)}" for m, errs in cat.check()]
    assert not errors, "\n".join(errors)
    for m in cat:
        if m.id and m.string:
            names = sorted(re.findall(r"%\((\w+)\)", str(m.id)))
            assert sorted(re.findall(r"%\((\w+)\)", str(m.string))) == names, f"{lang}: {m.id!r}"
            # every tag, attributes included, and every quote and angle bracket: the msgstr holds exactly the
            # msgid's markup (a translation is only ever trusted as markup where the English is markup)
            tags = sorted(re.findall(r"<[^>]*>", str(m.id)))
            assert sorted(re.findall(r"<[^>]*>", str(m.string))) == tags, f"{lang}: tags of {m.id!r}"
            text = re.sub(r"<[^>]*>", "", str(m.string))
            assert '"' not in text and "<" not in text and ">" not in text, f"{lang}: markup in {m.id!r}"


def test_a_catalogue_never_adds_markup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A translation whose English has no markup is text: a tag or quote slipped into a catalogue is shown
    escaped, never obeyed (it may reach an attribute: aria-label, data-label-svg)."""
    po = tmp_path / "ru" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True)
    po.write_text('msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n\n'
                  'msgid "Map"\nmsgstr "<img src=x onerror=alert(1)>\\" x=\\""\n', encoding="utf-8")
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    i18n.translations.cache_clear()
    try:
        out = str(i18n.gettext_for("ru")("Map"))
    finally:
        i18n.translations.cache_clear()
    assert "<img" not in out and '"' not in out and "&lt;img" in out


def test_placeholder_values_are_escaped() -> None:
    """A label or a user's words fill a placeholder as text, never markup."""
    _ = i18n.gettext_for("zh")
    assert "&lt;script&gt;" in _("Nothing is called “%(text)s”", text="<script>")
    assert "<script>" not in _("Nothing is called “%(text)s”", text="<script>")
    assert _("Overlap on %(names)s", names="X") == translated(catalogue("zh"), "Overlap on %(names)s") % {
        "names": "X"}


# --------------------------------------------------------------------------- pages over HTTP


class Page(HTMLParser):
    """The parts of a page this test reads: ``<html lang>``, the ``<h1>``, the site navigation and the
    language switcher's links."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.lang = ""
        self.h1 = ""
        self.nav: dict[str, str] = {}
        self.switch: dict[str, str] = {}
        self._in: list[str] = []
        self._href: str | None = None
        self._hreflang: str | None = None
        self._text = ""
        self._in_nav = False
        self._in_h1 = False
        self.feed(text)
        self.close()
        self.h1 = " ".join(self.h1.split())

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang") or ""
        elif tag == "nav" and "nk-nav" in (a.get("class") or ""):
            self._in_nav = True
        elif tag == "h1" and not self.h1:
            self._in_h1 = True
        elif tag == "a":
            self._href, self._hreflang, self._text = a.get("href"), a.get("hreflang"), ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "nav":
            self._in_nav = False
        elif tag == "h1":
            self._in_h1 = False
        elif tag == "a" and self._href is not None:
            if self._in_nav:
                self.nav[" ".join(self._text.split())] = self._href
            if self._hreflang:
                self.switch[self._hreflang] = self._href
            self._href = None

    def handle_data(self, data: str) -> None:
        if self._in_h1:
            self.h1 += data
        if self._href is not None:
            self._text += data


def get(http: httpx.Client, path: str, lang: str, **params: Any) -> Page:
    r = http.get(path, params={**params, "lang": lang})
    assert r.status_code == 200, f"{path}?lang={lang}: {r.status_code}"
    assert "text/html" in r.headers["content-type"]
    return Page(r.text)


@pytest.mark.parametrize("lang", LANGS)
def test_pages_show_the_catalogue(http: httpx.Client, catalogues: dict[str, Catalog], lang: str) -> None:
    cat = catalogues[lang]
    for path, heading in PAGES.items():
        page = get(http, path, lang)
        assert page.lang == lang, f"{path}: <html lang={page.lang!r}>"
        assert page.h1 == translated(cat, heading), f"{path}?lang={lang}: heading {page.h1!r}"
        # the navigation in the reader's language, every link keeping it
        for msgid, href in NAV.items():
            if path.startswith("/graph") and href not in ("/graph", "/graph/duplication"):
                continue  # the graph pages' own, shorter bar
            text = translated(cat, msgid)
            assert text in page.nav, f"{path}?lang={lang}: no nav link {text!r} ({msgid})"
            assert page.nav[text] == f"{href}?lang={lang}", f"{path}: {msgid} drops the language"
        assert page.nav.get("neaspec-kg") == f"/?lang={lang}"


@pytest.mark.parametrize("lang", LANGS)
def test_a_mechanism_page_fills_the_graphs_name_into_its_translated_title(
        http: httpx.Client, store: OxigraphStore, catalogues: dict[str, Catalog], lang: str) -> None:
    """The heading's words come from the catalogue, the mechanism's name from the graph's labels in that
    language (English where it has none) -- never from the catalogue."""
    names = {r["resource"].value: r["label"].value for r in select(store, "preferred-labels", {"lang": lang})}
    mechanism = next(r for r in select(store, "mechanisms") if r["mechanism"].value.endswith("/eanet"))
    english = mechanism["acronym"].value if "acronym" in mechanism else mechanism["label"].value
    name = names.get(mechanism["mechanism"].value, english)
    page = get(http, "/graph/mechanism/eanet", lang)
    want = translated(catalogues[lang], "%(name)s: members, platforms, secretariat and engagements") % {"name": name}
    assert page.h1 == " ".join(want.split()) and page.lang == lang


def panel_words(view: views.View) -> set[str]:
    """Every word of the side panel's frame in a view: node kinds, fact headings, link texts."""
    out: set[str] = set()
    for card in [*view.nodes.values(), *view.edges.values()]:
        out |= {card["kind"]} if "kind" in card else set()
        out |= {f["name"] for f in card.get("facts", [])} | {a["text"] for a in card.get("links", [])}
    return out


def test_the_side_panel_words_are_all_in_the_catalogue(store: OxigraphStore) -> None:
    """Every kind, fact heading and link text the four views produce is a msgid (``views.PANEL_WORDS``), except
    the headings that carry a mechanism's name, which stay English rather than hold a name in a msgid."""
    analyst = Analyst(store)
    profiles = Profiles(store, analyst.sources, analyst.focus)
    words: set[str] = set()
    for kind, value in (("graph", None), ("overlap", "air quality"), ("duplication", None), ("mechanism", "eanet")):
        words |= panel_words(views.build_view(analyst, profiles, kind, value))
    unlisted = {w for w in words if w not in views.PANEL_WORDS and not w.startswith("Engagements with ")}
    assert not unlisted, f"add these to views.PANEL_WORDS and the catalogues: {sorted(unlisted)}"


@pytest.mark.parametrize("lang", LANGS)
def test_the_side_panel_data_is_translated(http: httpx.Client, catalogues: dict[str, Catalog], lang: str) -> None:
    r = http.get("/graph/mechanism/eanet", params={"lang": lang})
    found = re.search(r'<script type="application/json" id="nk-data">(.*?)</script>', r.text, re.S)
    assert found, "no panel data on the page"
    data = json.loads(found[1])
    card = data["nodes"][data["initial"]]
    cat = catalogues[lang]
    assert card["kind"] == translated(cat, "Mechanism")
    assert translated(cat, "Members") in {f["name"] for f in card["facts"]}
    assert [a["text"] for a in card["links"]][:2] == [translated(cat, "Resource page"), translated(cat, "REST JSON")]


@pytest.mark.parametrize("lang", LANGS)
def test_an_overlap_page_explains_itself_in_the_language(http: httpx.Client, store: OxigraphStore,
                                                         catalogues: dict[str, Catalog], lang: str) -> None:
    """The overlap page's introduction is built from sentences that depend on counts; each is a msgid, the
    counts come from the analysis."""
    answer = Analyst(store).overlap("air quality")
    r = http.get("/graph/overlap", params={"focus": "air quality", "lang": lang})
    intro = re.search(r'<p class="nk-intro">(.*?)</p>', r.text, re.S)
    assert r.status_code == 200 and intro
    cat = catalogues[lang]
    assert translated(cat, "Dashed lines are recorded engagements between them, or work that is only planned or "
                           "proposed.") in intro[1]
    labels = {r["resource"].value: r["label"].value for r in select(store, "preferred-labels", {"lang": lang})}
    names = " / ".join(labels.get(c.iri, c.label) for c in answer.focus)
    assert len(answer.mechanisms) > 1, "the example should have several mechanisms"
    sentence = translated(cat, "%(n)s mechanisms work on %(names)s or a narrower focus;")
    assert sentence % {"n": len(answer.mechanisms), "names": names} in html.unescape(intro[1])


def test_the_language_switcher_keeps_the_query(http: httpx.Client) -> None:
    page = get(http, "/matrix", "ko", country="KOR", include_related="true")
    assert set(page.switch) == set(views.LANGS) - {"ko"}, \
        "every other language is offered, the current one is not a link"
    for code, href in page.switch.items():
        path, _, query = href.partition("?")
        params = dict(p.split("=", 1) for p in query.split("&") if p)
        assert path == "/matrix" and params.get("country") == "KOR" and params.get("include_related") == "true"
        assert params.get("lang") == (None if code == "en" else code), href


def test_languages_do_not_share_a_memoised_page(http: httpx.Client, catalogues: dict[str, Catalog]) -> None:
    """Timeline, thesaurus and home are memoised: each language is its own entry, English stays English."""
    for path in ("/timeline", "/thesaurus", "/"):
        zh = get(http, path, "zh")
        en = Page(http.get(path).text)
        assert zh.h1 == translated(catalogues["zh"], PAGES[path]) and en.h1 == PAGES[path] and en.lang == "en"


def test_unknown_language_is_english_and_bad_input_stays_friendly(http: httpx.Client,
                                                                  catalogues: dict[str, Catalog]) -> None:
    page = get(http, "/matrix", "xx")
    assert page.lang == "en" and page.h1 == "Coverage matrix"
    r = http.get("/graph/overlap", params={"focus": "no such focus <b>", "lang": "ru"})
    assert r.status_code == 404 and "Traceback" not in r.text and "<b>" not in r.text
    assert Page(r.text).h1 == translated(catalogues["ru"], "Nothing is called “%(text)s”") % {
        "text": "no such focus <b>"}
    r = http.get("/matrix", params={"as_of": "2020-13-45", "lang": "ja"})
    assert r.status_code == 400 and r.headers["content-type"].startswith("application/problem+json")
    assert http.get("/timeline", params={"lang": "x" * 50}).status_code == 422


def test_a_missing_msgid_falls_back_to_english(http: httpx.Client, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Drop one msgid from a copy of the Russian catalogue: that string is English, its neighbours stay
    Russian. A translation whose placeholders do not fit gives the English sentence, not a 500."""
    locale = tmp_path / "locale"
    shutil.copytree(i18n.LOCALE_DIR, locale)
    cat = catalogue("ru", locale)
    focus_area = translated(cat, "Focus area")
    cat.delete("Coverage matrix")
    broken = cat.get("Overlap on %(names)s")
    assert broken is not None
    broken.string = "Пересечение: %(nomen)s"
    with (locale / "ru" / "LC_MESSAGES" / "messages.po").open("wb") as f:
        write_po(f, cat)
    monkeypatch.setattr(i18n, "LOCALE_DIR", locale)
    i18n.translations.cache_clear()
    try:
        # a date this module asks nowhere else: the page is built now, with the changed catalogue
        r = http.get("/matrix", params={"lang": "ru", "as_of": "2019-05-06"})
        page = Page(r.text)
        assert page.h1 == "Coverage matrix" and page.lang == "ru"
        assert f'<th scope="col">{focus_area}</th>' in r.text
        assert page.nav[translated(cat, "Timeline")] == "/timeline?lang=ru"
        # not memoised (a date), so built with the broken catalogue
        r = http.get("/graph/overlap", params={"focus": "air quality", "as_of": "2020-01-01", "lang": "ru"})
        assert r.status_code == 200 and Page(r.text).h1.startswith("Overlap on ")
    finally:
        monkeypatch.undo()
        i18n.translations.cache_clear()


# --------------------------------------------------------------------------- in a browser


def test_matrix_in_japanese_in_chromium(base_url: str, store: OxigraphStore, catalogues: dict[str, Catalog]) -> None:
    b: Browser
    with chromium() as b:
        b.open(f"{base_url}/matrix?lang=ja")
        assert b.js("return document.documentElement.lang") == "ja"
        assert b.js("return document.querySelector('h1').textContent.trim()") == translated(
            catalogues["ja"], "Coverage matrix")
        # one row per matrix row, as the analysis computes it
        rows = len(Analyst(store).matrix().rows)
        assert b.js("return document.querySelectorAll('table.nk-matrix tbody tr').length") == rows
        assert b.console_errors() == []
        assert b.external(b.requests()) == []
        b.screenshot("matrix-ja")
