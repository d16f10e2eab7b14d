"""The coverage matrix page (``/matrix``): focus areas grouped by theme down the side, mechanisms across, the
strongest evidence in each cell with its sources on hover, gaps and rows with one mechanism marked.

A real ``<table>`` (caption, column and row headers) that a screen reader and the keyboard can walk and that
reads without colour: each cell says its evidence in words. JSON (``?format=json``) and CSV (``?format=csv``)
give the same matrix to programs and spreadsheets; all three come from ``Analyst.matrix``.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup
from starlette.responses import Response

from api.rest import DATE_PATTERN, _translate, service
from api.views import ENV, page
from neaspec_kg.index import KIND_LABELS
from neaspec_kg.models import CoverageMatrix, ParticipationMatrix

SHORT = {"stated-focus": "stated", "programme": "programme", "platform": "platform",
         "delivered-activity": "delivered", "partial-activity": "partial", "engagement": "engagement",
         "planned": "planned", "proposal": "proposed"}

#: the page body, a template file (the site's shell around it comes from ``api.views.page``)
_TABLE = ENV.from_string((Path(__file__).resolve().parent / "templates" / "matrix.html").read_text(encoding="utf-8"))
_COUNTRIES = ENV.from_string((Path(__file__).resolve().parent / "templates" / "participation-matrix.html")
                             .read_text(encoding="utf-8"))


def matrix_csv(m: CoverageMatrix) -> bytes:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["focus_area", "focus_id", "depth", "coverage", *[u.acronym or u.id for u in m.mechanisms]])
    for r in m.rows:
        cells = {c.mechanism: SHORT[c.kind] for c in r.cells}
        w.writerow([r.concept.label, r.concept.id, r.depth, r.status, *[cells.get(u.id, "") for u in m.mechanisms]])
    return out.getvalue().encode("utf-8")


def participation_csv(m: ParticipationMatrix) -> bytes:
    """One row per country, one column per unit: the status and the start date(s) the sources give."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["country", "country_id", "takes_part_in", *[u.acronym or u.id for u in m.units]])
    for r in m.rows:
        cells = [(f"{c.status} {' or '.join(c.since)}".strip() if (c := r.cells.get(u.id)) else "") for u in m.units]
        w.writerow([r.country.label, r.country.id, r.count, *cells])
    return out.getvalue().encode("utf-8")


def matrix_router() -> APIRouter:
    r = APIRouter()

    @r.get("/matrix", tags=["analysis"], response_class=HTMLResponse,
           summary="Coverage matrix: focus areas (by theme) against mechanisms, the strongest evidence in each cell",
           responses={200: {"content": {"text/html": {}, "application/json": {}, "text/csv": {}}},
                      400: {"description": "a date that does not exist (2020-13-45)"},
                      404: {"description": "a country code the graph does not know"}})
    def matrix(request: Request,
               country: Annotated[str | None, Query(pattern=r"^[A-Za-z]{3}$")] = None,
               as_of: Annotated[str | None, Query(pattern=DATE_PATTERN)] = None,
               include_related: bool = False,
               format: Annotated[str, Query(pattern="^(html|json|csv)$")] = "html") -> Response:
        s = service(request)
        key = ("matrix", country and country.upper(), as_of, include_related)
        m = _translate(lambda: s.analyst.matrix(country=country, as_of=as_of, include_related=include_related))
        assert isinstance(m, CoverageMatrix)
        if format == "json":
            return Response(s.memo((*key, "json"), lambda: m.model_dump_json().encode()),
                            media_type="application/json")
        if format == "csv":
            return Response(s.memo((*key, "csv"), lambda: matrix_csv(m)), media_type="text/csv; charset=utf-8",
                            headers={"Content-Disposition": 'attachment; filename="coverage-matrix.csv"'})
        query = str(request.query_params)
        sep = "&" if query else ""
        cells = {row.concept.iri: {c.mechanism: c for c in row.cells} for row in m.rows}
        body = Markup(_TABLE.render(m=m, cells=cells, kinds=KIND_LABELS, short=SHORT,
                                    csv_href=f"/matrix?{query}{sep}format=csv",
                                    json_href=f"/matrix?{query}{sep}format=json"))
        return page("Coverage matrix", body)

    @r.get("/matrix/countries", tags=["analysis"], response_class=HTMLResponse,
           summary="Participation matrix: countries against mechanisms and platforms (member, observer, uncertain)",
           responses={200: {"content": {"text/html": {}, "application/json": {}, "text/csv": {}}},
                      400: {"description": "a date that does not exist (2020-13-45)"}})
    def participation(request: Request,
                      as_of: Annotated[str | None, Query(pattern=DATE_PATTERN)] = None,
                      format: Annotated[str, Query(pattern="^(html|json|csv)$")] = "html") -> Response:
        s = service(request)
        key = ("participation-matrix", as_of)
        m = _translate(lambda: s.analyst.participation_matrix(as_of=as_of))
        assert isinstance(m, ParticipationMatrix)
        if format == "json":
            return Response(s.memo((*key, "json"), lambda: m.model_dump_json().encode()),
                            media_type="application/json")
        if format == "csv":
            return Response(s.memo((*key, "csv"), lambda: participation_csv(m)),
                            media_type="text/csv; charset=utf-8",
                            headers={"Content-Disposition": 'attachment; filename="participation-matrix.csv"'})
        query = str(request.query_params)
        sep = "&" if query else ""
        body = Markup(_COUNTRIES.render(m=m, csv_href=f"/matrix/countries?{query}{sep}format=csv",
                                        json_href=f"/matrix/countries?{query}{sep}format=json"))
        return page("Participation matrix", body)

    return r
