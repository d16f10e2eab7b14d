"""The browser side: a home page with a search box, and the interactive graph pages.

Routes (``router``): ``/`` (what this is, a search box, links to every view), ``/graph`` (the
whole graph), ``/graph/overlap?focus=...``, ``/graph/duplication``, ``/graph/mechanism/{id}``, and
``/assets/vis/...`` (pyvis' bundled copy of vis-network, so no page ever needs a CDN). Every graph page
takes ``?lang=en|zh|ja|ko|ru|mn`` (labels in that language, English where the graph has none) and
``?standalone=true`` (the same view as one self-contained HTML file to download). The interface text (the
shell, headings, legends, buttons) follows ``?lang=`` too, from the catalogues of ``api.i18n``, string by string
with English as the fallback; ``page(url=...)`` adds a language switcher that keeps the rest of the query.

Pages are built by ``neaspec_kg.views`` and kept in the REST service's bounded memo: the graph never changes
while a server runs, so each distinct page is built once. Unknown input never gives a stack trace: the
search box and the mechanism page answer with a friendly page listing the closest labels (HTTP 404).
"""
from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import jinja2
from fastapi import APIRouter, Query, Request
from fastapi.staticfiles import StaticFiles
from markupsafe import Markup
from starlette.datastructures import URL
from starlette.responses import HTMLResponse, RedirectResponse, Response

from api.deps import Service
from api.i18n import gettext_for
from api.links import ServedLinks
from api.service import RestService
from neaspec_kg import __version__, views
from neaspec_kg.analysis import DateError, UnknownFocusError
from neaspec_kg.graph import select
from neaspec_kg.index.periods import parse_as_of
from neaspec_kg.models_profiles import FocusNode
from neaspec_kg.namespaces import local_id

HTML = "text/html; charset=utf-8"
#: vis-network and friends never change for a given pyvis release: let browsers keep them for a day
ASSET_CACHE = "public, max-age=86400"

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
#: every page template of the web layer (``api/templates``); pages may include the shared parts by name
ENV = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES_DIR), autoescape=True,
                         undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)

SHELL = ENV.get_template("base.html")
#: the one navigation bar, in the shell and on the graph pages
NAV = ENV.get_template("nav.html")

HOME = ENV.get_template("home.html")

NOT_FOUND = ENV.get_template("not-found.html")


def language(lang: str | None) -> str:
    """One of the offered languages; anything else falls back to English rather than failing."""
    lang = (lang or "en").strip().lower()
    return lang if lang in views.LANGS else "en"


def page(title: str, content: str | Markup, *, lang: str = "en", status: int = 200,
         alternates: list[dict[str, str]] | None = None, allow_links: bool = False,
         headers: dict[str, str] | None = None, url: URL | None = None) -> HTMLResponse:
    """A text page in the site's shell (header and navigation); checked to load nothing from elsewhere.

    The shell's words are in ``lang`` (``title`` comes translated by the caller). Given the page's ``url``,
    the shell offers the same page in every language, keeping the rest of the query.

    ``allow_links`` lets ``<a>`` elements point to other sites (a Linked Data page links to the web
    sources it cites); stylesheets, scripts and images must still come from this server.
    """
    html = SHELL.render(title=title, content=content, lang=lang, version=__version__,
                        css=f"{views.VIEWS_URL}/{views.CSS_FILE}", alternates=alternates or [],
                        lang_suffix="" if lang == "en" else f"?lang={lang}", _=gettext_for(lang),
                        switch=language_links(url) if url is not None else [])
    views.assert_offline(html, allow_links=allow_links)
    return HTMLResponse(html, status_code=status, headers=headers)


def language_links(url: URL) -> list[tuple[str, str, str]]:
    """The same page in each offered language: (code, name in that language, path and query)."""
    out = []
    for code in views.LANGS:
        u = url.remove_query_params("lang") if code == "en" else url.include_query_params(lang=code)
        out.append((code, views.LANG_NAMES[code], u.path + (f"?{u.query}" if u.query else "")))
    return out


def _lang_ctx(lang: str) -> dict[str, Any]:
    return {"lang": lang, "_": gettext_for(lang), "lang_suffix": "" if lang == "en" else f"?lang={lang}",
            "lang_amp": "" if lang == "en" else f"&lang={lang}"}


def _not_found(s: RestService, text: str, lang: str, message: str, focus: list[dict[str, str]] | None = None,
               mechanisms: list[dict[str, str]] | None = None) -> HTMLResponse:
    """The friendly answer to a focus or mechanism the graph does not know: the closest labels, as links."""
    if focus is None:
        focus = [{"id": x.concept.id, "label": x.label, "concept": x.concept.label}
                 for x in s.analyst.focus.suggest(text)]
    if mechanisms is None:
        mechanisms = views.suggest_mechanisms(s.profiles, text)
    content = NOT_FOUND.render(text=text, message=message, focus=focus, mechanisms=mechanisms, **_lang_ctx(lang))
    _ = gettext_for(lang)
    title = _("Nothing is called “%(text)s”", text=text) if text else _("Search for a focus area or a mechanism")
    return page(title, Markup(content), lang=lang, status=404)


def _graph_page(s: RestService, key: tuple[Any, ...] | None, lang: str,
                build: Callable[[views.LinkPolicy], views.View], standalone: bool, filename: str) -> Response:
    """A graph page, or the same view as one self-contained file to download.

    Served pages are memoised under ``key`` (built once; the graph never changes). ``key`` is None for
    pages whose parameters are open-ended (a date, a threshold), and standalone files (~0.8 MB each) are
    never kept: a bounded memo of large answers must not be fillable by varying a query string.
    """
    links: views.LinkPolicy = views.FileLinks(lang=lang) if standalone else ServedLinks(lang=lang)

    def produce() -> bytes:
        _ = gettext_for(lang)
        nav = "" if standalone else NAV.render(_=_, lang_suffix="" if lang == "en" else f"?lang={lang}")
        return views.render(build(links), standalone=standalone, gettext=_, nav=nav).encode("utf-8")

    if key is not None and not standalone:
        body = s.memo(("view", lang, *key), produce)
    else:  # open-ended or a download: never kept, always under the gate
        with s.gate.slot():
            body = produce()
    headers = {"Content-Disposition": f'attachment; filename="{filename}.html"'} if standalone else None
    return Response(body, media_type=HTML, headers=headers)


#: The home page, the graph pages and the vis-network assets they load.
router = APIRouter(tags=["pages"])


vis_files = StaticFiles(directory=views.VIS_LIB_DIR)


@router.get("/assets/vis/{path:path}", include_in_schema=False)
async def vis_asset(path: str, request: Request) -> Response:
    """pyvis' own copy of vis-network 9.1.2 (and its CSS), so graph pages need no CDN."""
    response = await vis_files.get_response(path, request.scope)
    response.headers["Cache-Control"] = ASSET_CACHE
    return response


@router.get("/", response_class=HTMLResponse, summary="Home: what this is, a search box, links to every view")
def home(s: Service, lang: str = "en") -> Response:
    lang = language(lang)

    def produce() -> bytes:
        names = {}
        if lang != "en":
            names = {x["resource"].value: x["label"].value
                     for x in select(s.store, "preferred-labels", {"lang": lang})}
        mechanisms = [{"id": m.id, "short": m.acronym or m.label,
                       "name": names.get(m.iri, m.label) if m.acronym else "",
                       "subregional": m.subregional} for m in s.profiles.mechanisms()]
        tree = s.profiles.focus_tree()

        def lab(node: FocusNode) -> str:
            return names.get(node.iri, node.label)

        themes = [{"id": t.id, "label": lab(t),
                   "narrower": [{"id": f.id, "label": lab(f)} for f in t.narrower]} for t in tree]
        suggestions = sorted({str(m["short"]) for m in mechanisms}
                             | {lab(t) for t in tree} | {lab(f) for t in tree for f in t.narrower})
        sub = [m for m in mechanisms if m["subregional"]]
        content = HOME.render(
            n_sub=len(sub), n_rel=len(mechanisms) - len(sub), table2=", ".join(str(m["short"]) for m in sub),
            mechanisms=mechanisms, themes=themes, suggestions=suggestions,
            langs=[(c, views.LANG_NAMES[c]) for c in views.LANGS], **_lang_ctx(lang))
        return bytes(page(gettext_for(lang)("Home"), Markup(content), lang=lang).body)

    return Response(s.memo(("home", lang), produce), media_type=HTML)


@router.get("/graph", response_class=HTMLResponse,
            summary="The whole graph: mechanisms, countries, focus areas and secretariat hosts")
def whole(s: Service, lang: str = "en", standalone: bool = False) -> Response:
    lang = language(lang)
    return _graph_page(s, ("graph",), lang, lambda links: views.whole_view(s.analyst, s.profiles, lang, links),
                       standalone, "neaspec-kg-graph")


@router.get("/graph/overlap", response_class=HTMLResponse,
            summary="The mechanisms working on a focus area, their members, shared members highlighted; "
                    "a mechanism's name redirects to its own graph")
def overlap(s: Service, focus: Annotated[str | None, Query(max_length=500, examples=["air quality"])] = None,
            country: Annotated[str | None, Query(max_length=20)] = None,
            include_related: bool = False,
            as_of: Annotated[str | None, Query(max_length=20)] = None,
            lang: str = "en", standalone: bool = False) -> Response:
    lang = language(lang)
    _ = gettext_for(lang)
    text = (focus or "").strip()
    if not text:
        return _not_found(s, "", lang, _("Type a focus area (for example “%(focus)s”) or a mechanism (“%(name)s”).",
                                         focus="air quality", name="EANET"), focus=[], mechanisms=[])
    if country and not re.fullmatch(r"[A-Za-z]{3}", country):
        return _not_found(s, country, lang, _("A country is given by its ISO 3166-1 alpha-3 code, e.g. KOR."),
                          focus=[], mechanisms=[])
    try:
        parse_as_of(as_of)
    except DateError as exc:
        return _not_found(s, as_of or "", lang, _("A date is a real day, YYYY-MM-DD (%(error)s).", error=str(exc)),
                          focus=[], mechanisms=[])
    code = country.upper() if country else None
    if code and code not in {c.id for c in s.profiles.countries()}:
        return _not_found(s, code, lang, _("No country in the graph has this ISO 3166-1 alpha-3 code."),
                          focus=[], mechanisms=[])
    # a mechanism's id, acronym or name goes to its page, before a phrase is searched for focus labels
    # inside it ("Acid Deposition Monitoring Network" contains "acid deposition")
    mechanism = views.find_mechanism(s.profiles, text)
    if mechanism:
        return RedirectResponse(f"/graph/mechanism/{mechanism}" + ("" if lang == "en" else f"?lang={lang}"),
                                status_code=303)
    try:
        concepts = s.analyst.focus.resolve(text)
    except UnknownFocusError as exc:
        return _not_found(s, text, lang, _("No focus area and no mechanism has this name or label."),
                          focus=[{"id": x.concept.id, "label": x.label, "concept": x.concept.label}
                                 for x in exc.suggestions])
    key = ("overlap", tuple(c.iri for c in concepts), code, include_related) if not as_of else None
    return _graph_page(
        s, key, lang,
        lambda links: views.overlap_view(s.analyst, s.profiles, text, lang, country=code,
                                       include_related=include_related, as_of=as_of, links=links),
        standalone, "neaspec-kg-overlap")


@router.get("/graph/duplication", response_class=HTMLResponse,
            summary="Mechanism to mechanism: edge width by duplication score, with an explanation of each score")
def duplication(s: Service, include_related: bool = False,
                min_score: Annotated[float | None, Query(ge=0, le=1)] = None,
                lang: str = "en", standalone: bool = False) -> Response:
    lang = language(lang)
    return _graph_page(
        s, ("duplication", include_related) if min_score is None else None, lang,
        lambda links: views.duplication_view(s.analyst, s.profiles, lang, include_related=include_related,
                                           min_score=min_score, links=links),
        standalone, "neaspec-kg-duplication")


@router.get("/graph/mechanism/{mechanism_id}", response_class=HTMLResponse,
            summary="One mechanism with its members, platforms, secretariat and engagements")
def mechanism(s: Service, mechanism_id: str, lang: str = "en", standalone: bool = False) -> Response:
    lang = language(lang)
    ident = mechanism_id.strip().lower()
    known = {m.id for m in s.profiles.mechanisms()}
    if ident not in known:
        found = views.find_mechanism(s.profiles, mechanism_id)
        if found:
            return RedirectResponse(f"/graph/mechanism/{found}" + ("" if lang == "en" else f"?lang={lang}"),
                                    status_code=303)
        return _not_found(s, mechanism_id, lang, gettext_for(lang)(
            "No mechanism has this id; ids are lowercase acronyms, e.g. eanet or dldd-nean."), focus=[])
    return _graph_page(s, ("mechanism", ident), lang,
                       lambda links: views.mechanism_view(s.analyst, s.profiles, ident, lang, links),
                       standalone, f"neaspec-kg-{local_id(ident)}")


