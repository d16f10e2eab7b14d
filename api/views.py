"""The browser side: a home page with a search box, and the interactive graph pages.

Routes (``views_router()``): ``/`` (what this is, a search box, links to every view), ``/graph`` (the
whole graph), ``/graph/overlap?focus=...``, ``/graph/duplication``, ``/graph/mechanism/{id}``, and
``/assets/vis/...`` (pyvis' bundled copy of vis-network, so no page ever needs a CDN). Every graph page
takes ``?lang=en|zh|ja|ko|ru|mn`` (labels in that language, English where the graph has none) and
``?standalone=true`` (the same view as one self-contained HTML file to download).

Pages are built by ``neaspec_kg.viz`` and kept in the REST service's bounded memo: the graph never changes
while a server runs, so each distinct page is built once. Unknown input never gives a stack trace: the
search box and the mechanism page answer with a friendly page listing the closest labels (HTTP 404).
"""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any

import jinja2
from fastapi import APIRouter, Query, Request
from fastapi.staticfiles import StaticFiles
from markupsafe import Markup
from starlette.responses import HTMLResponse, RedirectResponse, Response

from api.rest import RestService, service
from neaspec_kg import __version__, viz
from neaspec_kg.analysis import DateError, UnknownFocusError, parse_as_of
from neaspec_kg.graph import select
from neaspec_kg.namespaces import local_id

HTML = "text/html; charset=utf-8"
#: vis-network and friends never change for a given pyvis release: let browsers keep them for a day
ASSET_CACHE = "public, max-age=86400"

ENV = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)

SHELL = ENV.from_string("""<!DOCTYPE html>
<html lang="{{ lang }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="neaspec-kg {{ version }}">
<link rel="icon" href="data:,">
<title>{{ title }} · neaspec-kg</title>
<link rel="stylesheet" href="{{ css }}">
{% for alt in alternates %}
<link rel="alternate" type="{{ alt.type }}" href="{{ alt.href }}">
{% endfor %}
</head>
<body>
<header class="nk-header">
  <nav class="nk-nav" aria-label="Site">
    <a href="/" class="nk-home">neaspec-kg</a>
    <a href="/graph{{ lang_suffix }}">Whole graph</a>
    <a href="/graph/duplication{{ lang_suffix }}">Duplication</a>
    <a href="/matrix">Matrix</a>
    <a href="/check">Check a proposal</a>
    <a href="/timeline">Timeline</a>
    <a href="/ontology">Ontology</a>
    <a href="/thesaurus">Thesaurus</a>
    <a href="/sparql">SPARQL editor</a>
    <a href="/docs">API docs</a>
  </nav>
</header>
<main class="nk-page">
{{ content }}
</main>
</body>
</html>
""")

HOME = ENV.from_string("""
<h1>Environmental cooperation mechanisms in North-East Asia</h1>
<p class="nk-intro">A knowledge graph of the {{ n_sub }} subregional environmental cooperation mechanisms
of North-East Asia ({{ table2 }}) and {{ n_rel }} related conventions and partnerships, in which every fact
carries its source. It shows policy analysts where the mechanisms overlap and whether an overlap is
duplication.</p>
<form class="nk-search" action="/graph/overlap" method="get" role="search">
  <label for="nk-q" class="nk-visually-hidden">Focus area or mechanism</label>
  <input type="search" id="nk-q" name="focus" list="nk-suggest" required maxlength="500"
         placeholder="A focus area (air quality, marine litter) or a mechanism (EANET)">
  {% if lang != "en" %}<input type="hidden" name="lang" value="{{ lang }}">{% endif %}
  <button type="submit">Show the graph</button>
</form>
<datalist id="nk-suggest">
{% for s in suggestions %}<option value="{{ s }}">{% endfor %}
</datalist>
<p class="nk-meta nk-langs">Labels:
{% for code, name in langs %}
  {% if code == lang %}<strong lang="{{ code }}">{{ name }}</strong>
  {% else %}<a lang="{{ code }}" href="/?lang={{ code }}">{{ name }}</a>{% endif %}
{% endfor %}</p>
<div class="nk-columns">
<section>
  <h2>Graphs</h2>
  <ul class="nk-list">
    <li><a href="/graph{{ lang_suffix }}">The whole graph</a>:
      mechanisms, countries, focus areas, secretariat hosts</li>
    <li><a href="/graph/duplication{{ lang_suffix }}">Duplication between mechanisms</a>,
      scored as paragraph 36 of the note asks</li>
    <li><a href="/graph/duplication?include_related=true{{ lang_amp }}">Duplication,
      with related conventions and partnerships</a></li>
  </ul>
  <h2>One mechanism</h2>
  <ul class="nk-list">
  {% for m in mechanisms %}
    <li><a href="/graph/mechanism/{{ m.id }}{{ lang_suffix }}">{{ m.short }}</a> {{ m.name }}
      <span class="nk-tag">(<a href="/id/mechanism/{{ m.id }}">data</a>
      {%- if not m.subregional %}, related{% endif %})</span></li>
  {% endfor %}
  </ul>
</section>
<section>
  <h2>Overlap on a focus</h2>
  <ul class="nk-list">
  {% for t in themes %}
    <li><a href="/graph/overlap?focus={{ t.id }}{{ lang_amp }}">{{ t.label }}</a>
    {% if t.narrower %}<ul>
      {% for f in t.narrower %}
      <li><a href="/graph/overlap?focus={{ f.id }}{{ lang_amp }}">{{ f.label }}</a></li>
      {% endfor %}
    </ul>{% endif %}</li>
  {% endfor %}
  </ul>
</section>
<section>
  <h2>Data and APIs</h2>
  <ul class="nk-list">
    <li><a href="/sparql">SPARQL editor and endpoint</a> (every triple in the named graph of its source)</li>
    <li><a href="/docs">REST API documentation</a> (<a href="/mechanisms">/mechanisms</a>,
        <a href="/countries">/countries</a>, <a href="/focus-areas">/focus-areas</a>,
        <a href="/overlap?focus=air%20quality">/overlap</a>, <a href="/duplication">/duplication</a>,
        <a href="/queries">/queries</a>)</li>
    <li><a href="/ontology">The ontology</a>: every class and property, with its definition</li>
    <li>Linked Data: every resource has a page, e.g. <a href="/id/mechanism/eanet">/id/mechanism/eanet</a>,
        <a href="/id/country/KOR">/id/country/KOR</a>, <a href="/id/focus/air-pollution">/id/focus/air-pollution</a>;
        ask for Turtle, JSON-LD or N-Triples with an Accept header</li>
  </ul>
</section>
</div>
""")

NOT_FOUND = ENV.from_string("""
<h1>{% if text %}Nothing is called “{{ text }}”{% else %}Search for a focus area or a mechanism{% endif %}</h1>
<div class="nk-problem">
<p>{{ message }}</p>
{% if focus %}
<h2>Closest focus areas</h2>
<ul class="nk-list">
{% for s in focus %}<li><a href="/graph/overlap?focus={{ s.id }}{{ lang_amp }}">{{ s.label }}</a>
  {% if s.label != s.concept %}<span class="nk-tag">({{ s.concept }})</span>{% endif %}</li>{% endfor %}
</ul>
{% endif %}
{% if mechanisms %}
<h2>Closest mechanisms</h2>
<ul class="nk-list">
{% for m in mechanisms %}<li><a href="/graph/mechanism/{{ m.id }}{{ lang_suffix }}">{{ m.label }}</a>
  {% if m.name and m.name != m.label %}<span class="nk-tag">{{ m.name }}</span>{% endif %}</li>{% endfor %}
</ul>
{% endif %}
{% if not focus and not mechanisms %}<p>Nothing in the graph is spelled anything like it.</p>{% endif %}
</div>
<form class="nk-search" action="/graph/overlap" method="get" role="search">
  <input type="search" name="focus" value="{{ text }}" required maxlength="500" aria-label="Focus area or mechanism">
  {% if lang != "en" %}<input type="hidden" name="lang" value="{{ lang }}">{% endif %}
  <button type="submit">Try again</button>
</form>
<p><a href="/">All focus areas and mechanisms</a></p>
""")


def language(lang: str | None) -> str:
    """One of the offered languages; anything else falls back to English rather than failing."""
    lang = (lang or "en").strip().lower()
    return lang if lang in viz.LANGS else "en"


def page(title: str, content: str | Markup, *, lang: str = "en", status: int = 200,
         alternates: list[dict[str, str]] | None = None, allow_links: bool = False,
         headers: dict[str, str] | None = None) -> HTMLResponse:
    """A text page in the site's shell (header and navigation); checked to load nothing from elsewhere.

    ``allow_links`` lets ``<a>`` elements point to other sites (a Linked Data page links to the web
    sources it cites); stylesheets, scripts and images must still come from this server.
    """
    html = SHELL.render(title=title, content=content, lang=lang, version=__version__,
                        css=f"{viz.VIEWS_URL}/{viz.CSS_FILE}", alternates=alternates or [],
                        lang_suffix="" if lang == "en" else f"?lang={lang}")
    viz.assert_offline(html, allow_links=allow_links)
    return HTMLResponse(html, status_code=status, headers=headers)


def _lang_ctx(lang: str) -> dict[str, str]:
    return {"lang": lang, "lang_suffix": "" if lang == "en" else f"?lang={lang}",
            "lang_amp": "" if lang == "en" else f"&lang={lang}"}


def _not_found(s: RestService, text: str, lang: str, message: str, focus: list[dict[str, str]] | None = None,
               mechanisms: list[dict[str, str]] | None = None) -> HTMLResponse:
    """The friendly answer to a focus or mechanism the graph does not know: the closest labels, as links."""
    if focus is None:
        focus = [{"id": x.concept.id, "label": x.label, "concept": x.concept.label}
                 for x in s.analyst.focus.suggest(text)]
    if mechanisms is None:
        mechanisms = viz.suggest_mechanisms(s.profiles, text)
    content = NOT_FOUND.render(text=text, message=message, focus=focus, mechanisms=mechanisms, **_lang_ctx(lang))
    title = f"Nothing is called “{text}”" if text else "Search for a focus area or a mechanism"
    return page(title, Markup(content), lang=lang, status=404)


def _graph_page(s: RestService, key: tuple[Any, ...] | None, lang: str, build: Callable[[viz.Links], viz.View],
                standalone: bool, filename: str) -> Response:
    """A graph page, or the same view as one self-contained file to download.

    Served pages are memoised under ``key`` (built once; the graph never changes). ``key`` is None for
    pages whose parameters are open-ended (a date, a threshold), and standalone files (~0.8 MB each) are
    never kept: a bounded memo of large answers must not be fillable by varying a query string.
    """
    links = viz.Links(served=not standalone, lang=lang)

    def produce() -> bytes:
        return viz.render(build(links), standalone=standalone).encode("utf-8")

    body = s.memo(("view", lang, *key), produce) if key is not None and not standalone else produce()
    headers = {"Content-Disposition": f'attachment; filename="{filename}.html"'} if standalone else None
    return Response(body, media_type=HTML, headers=headers)


def views_router() -> APIRouter:
    """The home page, the graph pages and the vis-network assets they load."""
    r = APIRouter(tags=["pages"])
    vis_files = StaticFiles(directory=viz.VIS_LIB_DIR)

    @r.get("/assets/vis/{path:path}", include_in_schema=False)
    async def vis_asset(path: str, request: Request) -> Response:
        """pyvis' own copy of vis-network 9.1.2 (and its CSS), so graph pages need no CDN."""
        response = await vis_files.get_response(path, request.scope)
        response.headers["Cache-Control"] = ASSET_CACHE
        return response

    @r.get("/", response_class=HTMLResponse, summary="Home: what this is, a search box, links to every view")
    def home(request: Request, lang: str = "en") -> Response:
        s = service(request)
        lang = language(lang)

        def produce() -> bytes:
            names = {}
            if lang != "en":
                names = {x["resource"].value: x["label"].value
                         for x in select(s.store, "preferred-labels", {"lang": lang})}
            mechanisms = [{"id": m["id"], "short": m["acronym"] or m["label"],
                           "name": names.get(str(m["iri"]), m["label"]) if m["acronym"] else "",
                           "subregional": m["subregional"]} for m in s.profiles.mechanisms()]
            tree = s.profiles.focus_tree()

            def lab(node: dict[str, Any]) -> str:
                return names.get(str(node["iri"]), str(node["label"]))

            themes = [{"id": t["id"], "label": lab(t),
                       "narrower": [{"id": f["id"], "label": lab(f)} for f in t["narrower"]]} for t in tree]
            suggestions = sorted({str(m["short"]) for m in mechanisms}
                                 | {lab(t) for t in tree} | {lab(f) for t in tree for f in t["narrower"]})
            sub = [m for m in mechanisms if m["subregional"]]
            content = HOME.render(
                n_sub=len(sub), n_rel=len(mechanisms) - len(sub), table2=", ".join(str(m["short"]) for m in sub),
                mechanisms=mechanisms, themes=themes, suggestions=suggestions,
                langs=[(c, viz.LANG_NAMES[c]) for c in viz.LANGS], **_lang_ctx(lang))
            return page("Home", Markup(content), lang=lang).body

        return Response(s.memo(("home", lang), produce), media_type=HTML)

    @r.get("/graph", response_class=HTMLResponse,
           summary="The whole graph: mechanisms, countries, focus areas and secretariat hosts")
    def whole(request: Request, lang: str = "en", standalone: bool = False) -> Response:
        s = service(request)
        lang = language(lang)
        return _graph_page(s, ("graph",), lang, lambda links: viz.whole_view(s.analyst, s.profiles, lang, links),
                           standalone, "neaspec-kg-graph")

    @r.get("/graph/overlap", response_class=HTMLResponse,
           summary="The mechanisms working on a focus area, their members, shared members highlighted; "
                   "a mechanism's name redirects to its own graph")
    def overlap(request: Request,
                focus: Annotated[str | None, Query(max_length=500, examples=["air quality"])] = None,
                country: Annotated[str | None, Query(max_length=20)] = None,
                include_related: bool = False,
                as_of: Annotated[str | None, Query(max_length=20)] = None,
                lang: str = "en", standalone: bool = False) -> Response:
        s = service(request)
        lang = language(lang)
        text = (focus or "").strip()
        if not text:
            return _not_found(s, "", lang, "Type a focus area (for example “air quality”) or a mechanism (“EANET”).",
                              focus=[], mechanisms=[])
        if country and not re.fullmatch(r"[A-Za-z]{3}", country):
            return _not_found(s, country, lang, "A country is given by its ISO 3166-1 alpha-3 code, e.g. KOR.",
                              focus=[], mechanisms=[])
        try:
            parse_as_of(as_of)
        except DateError as exc:
            return _not_found(s, as_of or "", lang, f"A date is a real day, YYYY-MM-DD ({exc}).", focus=[],
                              mechanisms=[])
        code = country.upper() if country else None
        if code and code not in {str(c["id"]) for c in s.profiles.countries()}:
            return _not_found(s, code, lang, "No country in the graph has this ISO 3166-1 alpha-3 code.",
                              focus=[], mechanisms=[])
        # a mechanism's id, acronym or name goes to its page, before a phrase is searched for focus labels
        # inside it ("Acid Deposition Monitoring Network" contains "acid deposition")
        mechanism = viz.find_mechanism(s.profiles, text)
        if mechanism:
            return RedirectResponse(f"/graph/mechanism/{mechanism}" + ("" if lang == "en" else f"?lang={lang}"),
                                    status_code=303)
        try:
            concepts = s.analyst.focus.resolve(text)
        except UnknownFocusError as exc:
            return _not_found(s, text, lang, "No focus area and no mechanism has this name or label.",
                              focus=[{"id": x.concept.id, "label": x.label, "concept": x.concept.label}
                                     for x in exc.suggestions])
        key = ("overlap", tuple(c.iri for c in concepts), code, include_related) if not as_of else None
        return _graph_page(
            s, key, lang,
            lambda links: viz.overlap_view(s.analyst, s.profiles, text, lang, country=code,
                                           include_related=include_related, as_of=as_of, links=links),
            standalone, "neaspec-kg-overlap")

    @r.get("/graph/duplication", response_class=HTMLResponse,
           summary="Mechanism to mechanism: edge width by duplication score, with an explanation of each score")
    def duplication(request: Request, include_related: bool = False,
                    min_score: Annotated[float | None, Query(ge=0, le=1)] = None,
                    lang: str = "en", standalone: bool = False) -> Response:
        s = service(request)
        lang = language(lang)
        return _graph_page(
            s, ("duplication", include_related) if min_score is None else None, lang,
            lambda links: viz.duplication_view(s.analyst, s.profiles, lang, include_related=include_related,
                                               min_score=min_score, links=links),
            standalone, "neaspec-kg-duplication")

    @r.get("/graph/mechanism/{mechanism_id}", response_class=HTMLResponse,
           summary="One mechanism with its members, platforms, secretariat and engagements")
    def mechanism(request: Request, mechanism_id: str, lang: str = "en", standalone: bool = False) -> Response:
        s = service(request)
        lang = language(lang)
        ident = mechanism_id.strip().lower()
        known = {str(m["id"]) for m in s.profiles.mechanisms()}
        if ident not in known:
            found = viz.find_mechanism(s.profiles, mechanism_id)
            if found:
                return RedirectResponse(f"/graph/mechanism/{found}" + ("" if lang == "en" else f"?lang={lang}"),
                                        status_code=303)
            return _not_found(s, mechanism_id, lang, "No mechanism has this id; ids are lowercase acronyms, "
                                                     "e.g. eanet or dldd-nean.", focus=[])
        return _graph_page(s, ("mechanism", ident), lang,
                           lambda links: viz.mechanism_view(s.analyst, s.profiles, ident, lang, links),
                           standalone, f"neaspec-kg-{local_id(ident)}")

    return r
