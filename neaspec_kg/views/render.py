"""A ``View`` as an HTML page: served (assets from the server) or standalone (one file, everything inlined).

Why post-process ``net.generate_html()`` rather than use pyvis' modes as they are: every pyvis 0.3.2
mode still loads Bootstrap from a CDN and ``local`` loads vis-network from a CDN too (see
shared/research/browser-notes.md), and pyvis' template does not escape what it prints. So the page is
rewritten, each rewrite asserts that it found what it expected (pyvis 0.3.2 is the last release, but a
changed template must fail loudly, not silently go online), and ``assert_offline`` refuses any page that
still names an http(s) resource.

Escaping: node and edge data reach the page only as JSON (pyvis' ``tojson`` and our
``<script type="application/json">`` block, escaped by ``script_json``, the rule every page uses), tooltips are set as
plain-text strings (vis-network shows a string ``title`` as text), and everything we print into HTML goes
through Jinja2 with autoescaping (templates in this package's ``templates``). Node tooltips are set from our
JSON by our script rather than given to pyvis, because pyvis switches to an ``innerHTML`` popup when a node
title contains "href".
"""
from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
import pyvis
from markupsafe import Markup
from pyvis.network import Network

from neaspec_kg import __version__
from neaspec_kg.analysis import Analyst
from neaspec_kg.analysis.profiles import Profiles
from neaspec_kg.views.kinds import build_view
from neaspec_kg.views.links import FileLinks
from neaspec_kg.views.model import View
from neaspec_kg.views.offline import VizError, assert_offline
from neaspec_kg.views.script_json import script_json
from neaspec_kg.views.style import OPTIONS, STYLES
from neaspec_kg.views.words import LANG_NAMES, LANGS, PANEL_WORDS, Translate, english

#: pyvis' bundled front-end files (vis-network 9.1.2, its CSS, pyvis' bindings): served at VIS_URL
VIS_LIB_DIR = Path(pyvis.__file__).resolve().parent / "templates" / "lib"
VIS_URL = "/assets/vis"
VIS_DIR = "vis-9.1.2"
#: our own CSS and scripts for every page (this package's ``assets``); a server mounts them at VIEWS_URL
ASSETS_DIR = Path(__file__).resolve().parent / "assets"
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
VIEWS_URL = "/static/views"
CSS_FILE = "nk.css"
JS_FILE = "nk-graph.js"
#: the site's one PNG pipeline and save() (also the figures' download buttons): nk-graph.js uses it, so every
#: graph page loads it first (and a standalone file inlines it first)
FIGURE_JS_FILE = "figure-download.js"


_ENV = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES_DIR), autoescape=True,
                          undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)

_HEAD = _ENV.get_template("head.html")

_TOP = _ENV.get_template("top.html")

_SIDE = _ENV.get_template("side.html")


def _network(view: View) -> Network:
    net = Network(height="100%", width="100%", bgcolor="#ffffff", heading="", cdn_resources="local")
    net.options = OPTIONS
    for n, d in view.graph.nodes(data=True):
        style = STYLES[d["kind"]]
        extra = {"borderWidth": 3, "color": {"background": style.color, "border": "#5a0b0b"}} \
            if d["kind"] == "shared" else {"color": style.color}
        net.add_node(n, label=d["label"], shape=style.shape, size=d["size"], **extra)
    for a, z, d in view.graph.edges(data=True):
        opts = {k: d[k] for k in ("id", "title", "width", "color", "dashes") if d.get(k) is not None}
        net.add_edge(a, z, **opts)
    return net


def _replace_once(text: str, pattern: str, repl: str, what: str, count: int = 1, flags: int = 0) -> str:
    """``re.subn`` that insists on finding exactly ``count`` matches: a changed pyvis template must fail
    here, loudly, rather than leave a CDN tag in the page."""
    out, n = re.subn(pattern, lambda _m: repl, text, flags=flags)
    if n != count:
        raise VizError(f"pyvis page: expected {count} {what}, found {n}; has the pyvis template changed?")
    return out


_CDN = {
    "https://cdnjs.cloudflare.com/ajax/libs/vis-network/9.1.2/dist/dist/vis-network.min.css":
        f"{VIS_URL}/{VIS_DIR}/vis-network.css",
    "https://cdnjs.cloudflare.com/ajax/libs/vis-network/9.1.2/dist/vis-network.min.js":
        f"{VIS_URL}/{VIS_DIR}/vis-network.min.js",
    "lib/bindings/utils.js": f"{VIS_URL}/bindings/utils.js",
}


def localise(page: str) -> str:
    """Point pyvis' CDN URLs at our copy of its bundled files, drop Bootstrap and the empty headings."""
    for cdn, local in _CDN.items():
        page = _replace_once(page, re.escape(cdn), local, f"reference to {cdn}")
    page = re.sub(r'<(link|script)\b[^>]*>', lambda m: re.sub(
        r'\s+(integrity|crossorigin|referrerpolicy)="[^"]*"', "", m.group(0)), page)
    page = _replace_once(page, r'<link\b[^>]*bootstrap[^>]*>', "", "Bootstrap stylesheet", flags=re.S)
    page = _replace_once(page, r'<script\b[^>]*bootstrap[^>]*>\s*</script>', "", "Bootstrap script", flags=re.S)
    page = _replace_once(page, r'<center>\s*<h1>\s*</h1>\s*</center>', "", "empty headings", count=2)
    return _replace_once(page, r"<!--.*?-->", "", "commented-out vis.js tags", flags=re.S)


def render(view: View, *, standalone: bool = False, gettext: Translate | None = None,
           nav: str | Markup = "") -> str:
    """The page for ``view``: served (assets from this server) or standalone (everything inlined).

    ``gettext`` puts the interface words (headings, legend, help) in the reader's language; the graph's
    labels are already in it (``View.lang``). ``nav`` is the caller's site navigation (already rendered
    HTML: the web layer's one nav bar), none in a standalone file."""
    page = localise(_network(view).generate_html())
    data = {"nodes": _panel(view.nodes, gettext), "edges": _panel(view.edges, gettext), "sources": view.sources,
            "initial": view.initial,
            # the words nk-graph.js writes itself, in the reader's language
            "ui": {"source": str((gettext or english)("Source")), "sources": str((gettext or english)("Sources"))}}

    def lang_query(code: str) -> str:
        return urlencode({**view.query, **({"lang": code} if code != "en" else {})})

    ctx: dict[str, Any] = {
        "view": view, "served": not standalone, "nav": Markup(nav) if nav else "",
        "langs": [(c, LANG_NAMES[c]) for c in LANGS],
        "lang_query": lang_query, "version": __version__, "views_url": VIEWS_URL, "css_file": CSS_FILE,
        "js_file": JS_FILE, "figure_js_file": FIGURE_JS_FILE, "inline": standalone, "digest": view.digest or "unknown",
        "_": gettext or english, "lang_suffix": "" if view.lang == "en" else f"?lang={view.lang}",
    }
    if standalone:
        css = (ASSETS_DIR / CSS_FILE).read_text(encoding="utf-8")
        js = "\n".join((ASSETS_DIR / f).read_text(encoding="utf-8") for f in (FIGURE_JS_FILE, JS_FILE))
        ctx |= {"css": _inert(css, "style"), "js": _inert(js, "script")}
    head = _HEAD.render(ctx)
    top = _TOP.render(ctx)
    side = _SIDE.render(ctx | {"data": Markup(script_json(data))})
    page = _replace_once(page, r"^\s*<html>", f'<!DOCTYPE html>\n<html lang="{html.escape(view.lang)}">', "<html>")
    page = _replace_once(page, r"</head>", head + "</head>", "</head>")
    page = _replace_once(page, r"<body>", '<body class="nk-graph-page">' + top, "<body>")
    page = _replace_once(page, r'(?=<script type="text/javascript">\s*// initialize global variables)', side,
                         "pyvis drawing script")
    page = _replace_once(page, r"drawGraph\(\);\s*</script>", "drawGraph();\n              nkInit();\n</script>",
                         "drawGraph() call")
    if standalone:
        page = inline_assets(page)
    assert_offline(page)
    return page


def _panel(cards: dict[str, dict[str, Any]], gettext: Translate | None) -> dict[str, dict[str, Any]]:
    """The side panel's cards with their words (``PANEL_WORDS``) in the reader's language; a copy, so a view
    can be rendered in several languages. Names and facts from the graph are left as they are."""
    if gettext is None:
        return cards

    def word(text: str) -> str:
        return str(gettext(text)) if text in PANEL_WORDS else text

    out: dict[str, dict[str, Any]] = {}
    for key, card in cards.items():
        card = dict(card)
        if "kind" in card:
            card["kind"] = word(card["kind"])
        if "facts" in card:
            card["facts"] = [{**f, "name": word(f["name"])} for f in card["facts"]]
        if "links" in card:
            card["links"] = [{**a, "text": word(a["text"])} for a in card["links"]]
        out[key] = card
    return out


def _inert(text: str, tag: str) -> Markup:
    """CSS or JS to inline verbatim in a <style>/<script> element; refuse text that would close it."""
    if f"</{tag}" in text.lower():
        raise VizError(f"cannot inline text containing </{tag}")
    return Markup(text)


def inline_assets(page: str) -> str:
    """Replace every reference to our served assets by the file's content (for the standalone file)."""
    def script(m: re.Match[str]) -> str:
        return f"<script>{_inert(_asset(m.group(1)), 'script')}</script>"

    def style(m: re.Match[str]) -> str:
        return f"<style>{_inert(_asset(m.group(1)), 'style')}</style>"

    page = re.sub(r'<script src="(' + re.escape(VIS_URL) + r'/[^"]+)"\s*>\s*</script>', script, page)
    return re.sub(r'<link rel="stylesheet" href="(' + re.escape(VIS_URL) + r'/[^"]+)"\s*/?>', style, page)


def _asset(url: str) -> str:
    path = (VIS_LIB_DIR / url.removeprefix(VIS_URL + "/")).resolve()
    if VIS_LIB_DIR not in path.parents:
        raise VizError(f"not a vis asset: {url}")
    return path.read_text(encoding="utf-8")


def write_standalone(analyst: Analyst, profiles: Profiles | None, kind: str, value: str | None,
                     path: str | Path, lang: str = "en", **options: Any) -> int:
    """Write one self-contained HTML file for a view (everything inlined, opens offline); return its size.

    ``kind`` is graph, overlap (``value`` = focus text), duplication or mechanism (``value`` = id);
    ``options`` go to the view (country, include_related, as_of for overlap; include_related, min_score
    for duplication). Unknown focus or mechanism raise UnknownFocusError / NotFoundError with suggestions.
    """
    profiles = profiles or Profiles(analyst.store, analyst.sources, analyst.focus)
    lang = lang if lang in LANGS else "en"
    view = build_view(analyst, profiles, kind, value, lang, FileLinks(lang=lang), **options)
    data = render(view, standalone=True).encode("utf-8")
    Path(path).write_bytes(data)
    return len(data)
