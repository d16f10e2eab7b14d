"""The coverage matrix page (``/matrix``): focus areas grouped by theme down the side, mechanisms across, the
strongest evidence in each cell with its sources on hover, gaps and rows with one mechanism marked.

A real ``<table>`` (caption, column and row headers) that a screen reader and the keyboard can walk and that
reads without colour: each cell says its evidence in words. JSON (``?format=json``) and CSV (``?format=csv``)
give the same matrix to programs and spreadsheets; all three come from ``Analyst.matrix``.
"""
from __future__ import annotations

import csv
import html
import io
import re
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup
from starlette.responses import Response

from api.deps import Service
from api.i18n import N_, gettext_for
from api.rest import DATE_PATTERN
from api.service import translate_errors
from api.views import ENV, language, page
from neaspec_kg import __version__, views
from neaspec_kg.index import KIND_LABELS
from neaspec_kg.models import CoverageMatrix, ParticipationMatrix, UnitRef
from neaspec_kg.namespaces import ID

#: a cell's evidence in one word (English in the CSV; the page shows it translated)
SHORT = {"stated-focus": N_("stated"), "programme": N_("programme"), "platform": N_("platform"),
         "delivered-activity": N_("delivered"), "partial-activity": N_("partial"), "engagement": N_("engagement"),
         "planned": N_("planned"), "proposal": N_("proposed")}
#: the words for a row's coverage and a country's part, as msgids (the JSON and CSV keep the ids)
STATUSES = {"gap": N_("gap"), "single": N_("single"), "overlap": N_("overlap"), "member": N_("member"),
            "observer": N_("observer"), "uncertain": N_("uncertain"), "covered": N_("covered")}


def _lang_links(lang: str) -> dict[str, str]:
    """What the templates append to a link to another page to keep the reader's language."""
    return {"lang": lang, "lang_suffix": "" if lang == "en" else f"?lang={lang}",
            "lang_amp": "" if lang == "en" else f"&lang={lang}"}

#: the page body, a template file (the site's shell around it comes from ``api.views.page``)
_TABLE = ENV.get_template("matrix.html")
_COUNTRIES = ENV.get_template("participation-matrix.html")
#: the shell of the self-contained file (``matrix_document``): no navigation, the stylesheet inlined
_DOCUMENT = ENV.get_template("matrix-document.html")


def matrix_csv(m: CoverageMatrix) -> bytes:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["focus_area", "focus_id", "depth", "coverage", *[u.acronym or u.id for u in m.mechanisms]])
    for r in m.rows:
        cells = {c.mechanism: SHORT[c.kind] for c in r.cells}
        w.writerow([r.concept.label, r.concept.id, r.depth, r.status, *[cells.get(u.id, "") for u in m.mechanisms]])
    return out.getvalue().encode("utf-8")


def matrix_body(m: CoverageMatrix, *, query: str = "", lang: str = "en", platforms: bool = False) -> Markup:
    """The page body of one matrix (filters, download links, the table): one function so that ``/matrix`` and
    ``neaspec-kg viz --matrix`` cannot drift apart. ``query`` is the page's query string, kept in the
    CSV and JSON links. With ``platforms``, each mechanism's column is followed by one column per platform or
    plan its work goes through (NEASPEC's NEACAP, NEAMPAN, ...), saying where a cell's work is done."""
    sep = "&" if query else ""
    cells = {row.concept.iri: {c.mechanism: c for c in row.cells} for row in m.rows}
    columns: list[tuple[UnitRef, UnitRef | None]] = []
    for u in m.mechanisms:
        columns.append((u, None))
        if platforms:
            columns += [(u, p) for p in m.platforms if p.part_of == u.id]
    toggle = re.sub(r"&?platforms=true", "", query).lstrip("&")
    toggle_href = f"/matrix?{toggle}" if platforms else f"/matrix?{toggle}{'&' if toggle else ''}platforms=true"
    return Markup(_TABLE.render(m=m, cells=cells, kinds=KIND_LABELS, short=SHORT, statuses=STATUSES,
                                _=gettext_for(lang), **_lang_links(lang), columns=columns, platforms=platforms,
                                expandable=any(p.part_of for p in m.platforms), toggle_href=toggle_href.rstrip("?"),
                                csv_href=f"/matrix?{query}{sep}format=csv",
                                json_href=f"/matrix?{query}{sep}format=json"))


def matrix_document(m: CoverageMatrix, *, lang: str = "en") -> str:
    """The matrix as one self-contained HTML file (``neaspec-kg viz --matrix``): CSS inlined, opens offline.

    A file has no server behind it, so the filter form goes, links to resources point at their IRIs (as
    the standalone graph files do) and links to other pages of the site become plain text."""
    _ = gettext_for(lang)

    def link(match: re.Match[str]) -> str:
        href, text = html.unescape(match.group(1)), match.group(2)
        if href.startswith("/id/"):
            return f'<a href="{html.escape(ID + href.removeprefix("/id/"))}">{text}</a>'
        return text

    body = re.sub(r"<form\b.*?</form>\s*", "", str(matrix_body(m, lang=lang)), flags=re.S)
    body = re.sub(r'<a href="([^"]*)">(.*?)</a>', link, body, flags=re.S)
    css = (views.ASSETS_DIR / views.CSS_FILE).read_text(encoding="utf-8")
    doc = _DOCUMENT.render(title=_("Coverage matrix"), lang=lang, version=__version__, css=Markup(css),
                           body=Markup(body))
    views.assert_offline(doc, allow_links=True)
    return doc


def participation_csv(m: ParticipationMatrix) -> bytes:
    """One row per country, one column per unit: the status and the start date(s) the sources give."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["country", "country_id", "takes_part_in", *[u.acronym or u.id for u in m.units]])
    for r in m.rows:
        cells = [(f"{c.status} {' or '.join(c.since)}".strip() if (c := r.cells.get(u.id)) else "") for u in m.units]
        w.writerow([r.country.label, r.country.id, r.count, *cells])
    return out.getvalue().encode("utf-8")


router = APIRouter()


@router.get("/matrix", tags=["analysis"], response_class=HTMLResponse,
            summary="Coverage matrix: focus areas (by theme) against mechanisms, the strongest evidence in each cell",
            responses={200: {"content": {"text/html": {}, "application/json": {}, "text/csv": {}}},
                       400: {"description": "a date that does not exist (2020-13-45)"},
                       404: {"description": "a country code the graph does not know"}})
def matrix(request: Request, s: Service,
           country: Annotated[str | None, Query(pattern=r"^[A-Za-z]{3}$")] = None,
           as_of: Annotated[str | None, Query(pattern=DATE_PATTERN)] = None,
           include_related: bool = False,
           platforms: Annotated[bool, Query(description="a column for each platform or plan the work goes through, "
                                                        "after its mechanism's")] = False,
           format: Annotated[str, Query(pattern="^(html|json|csv)$")] = "html",
           lang: Annotated[str, Query(max_length=10)] = "en") -> Response:
    lang = language(lang)
    country = country.upper() if country else None
    query = urlencode({k: v for k, v in (("country", country), ("as_of", as_of),
                                         ("include_related", "true" if include_related else None),
                                         ("platforms", "true" if platforms else None),
                                         ("lang", None if lang == "en" else lang)) if v})

    def produce() -> bytes:
        """Computed only when the memo has no answer yet, under the gate as every memo miss is."""
        m = translate_errors(lambda: s.analyst.matrix(country=country, as_of=as_of, include_related=include_related))
        if format == "json":
            return m.model_dump_json().encode()
        if format == "csv":
            return matrix_csv(m)
        return bytes(page(gettext_for(lang)("Coverage matrix"), matrix_body(m, query=query, lang=lang,
                                                                          platforms=platforms), lang=lang,
                          url=request.url.replace(query=query)).body)

    body = s.memo(("matrix", format, country, as_of, include_related, platforms if format == "html" else False,
                   lang), produce)
    if format == "csv":
        return Response(body, media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="coverage-matrix.csv"'})
    return Response(body, media_type="application/json" if format == "json" else "text/html; charset=utf-8")


@router.get("/matrix/countries", tags=["analysis"], response_class=HTMLResponse,
            summary="Participation matrix: countries against mechanisms and platforms (member, observer, uncertain)",
            responses={200: {"content": {"text/html": {}, "application/json": {}, "text/csv": {}}},
                       400: {"description": "a date that does not exist (2020-13-45)"}})
def participation(request: Request, s: Service,
                  as_of: Annotated[str | None, Query(pattern=DATE_PATTERN)] = None,
                  format: Annotated[str, Query(pattern="^(html|json|csv)$")] = "html",
                  lang: Annotated[str, Query(max_length=10)] = "en") -> Response:
    lang = language(lang)
    query = urlencode({k: v for k, v in (("as_of", as_of), ("lang", None if lang == "en" else lang)) if v})

    def produce() -> bytes:
        """Computed only when the memo has no answer yet, under the gate as every memo miss is."""
        m = translate_errors(lambda: s.analyst.participation_matrix(as_of=as_of))
        if format == "json":
            return m.model_dump_json().encode()
        if format == "csv":
            return participation_csv(m)
        sep = "&" if query else ""
        _ = gettext_for(lang)
        body = Markup(_COUNTRIES.render(m=m, statuses=STATUSES, _=_, **_lang_links(lang),
                                        csv_href=f"/matrix/countries?{query}{sep}format=csv",
                                        json_href=f"/matrix/countries?{query}{sep}format=json"))
        return bytes(page(_("Participation matrix"), body, lang=lang, url=request.url.replace(query=query)).body)

    body = s.memo(("participation-matrix", format, as_of, lang), produce)
    if format == "csv":
        return Response(body, media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="participation-matrix.csv"'})
    return Response(body, media_type="application/json" if format == "json" else "text/html; charset=utf-8")


