"""The timeline page (``/timeline``, JSON with ``?format=json``): a drawing (server-side SVG, no script, so it
prints and works offline) and a table of the same dated events, from ``Analyst.timeline``."""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup
from starlette.responses import Response

from api.rest import service
from api.views import ENV, page
from neaspec_kg.models import Timeline

_PAGE = ENV.from_string((Path(__file__).resolve().parent / "templates" / "timeline.html").read_text(encoding="utf-8"))
LABEL_W, WIDTH, ROW = 170, 1100, 22


def _render(t: Timeline) -> bytes:
    """The page for one timeline: the axis runs from the first dated event to this year."""
    y0, y1 = t.first_year - 1, max(t.last_year, date.today().year) + 1
    scale = (WIDTH - LABEL_W - 20) / max(y1 - y0, 1)

    def x(year: int) -> int:
        return round(LABEL_W + (year - y0) * scale)

    step = 5 if y1 - y0 > 20 else 1
    ticks = [y for y in range(y0, y1 + 1) if y % step == 0]
    return page("Timeline", Markup(_PAGE.render(
        t=t, x=x, y0=y0, y1=y1, ticks=ticks, width=WIDTH, label_w=LABEL_W, row=ROW,
        height=40 + len(t.lanes) * ROW))).body


def timeline_router() -> APIRouter:
    r = APIRouter()

    @r.get("/timeline", tags=["analysis"], response_class=HTMLResponse,
           summary="Timeline: establishments, accessions and resolutions, disputed dates drawn with their sources",
           responses={200: {"content": {"text/html": {}, "application/json": {}}}})
    def timeline(request: Request, format: Annotated[str, Query(pattern="^(html|json)$")] = "html") -> Response:
        s = service(request)
        if format == "json":
            return Response(s.memo(("timeline-json",), lambda: s.analyst.timeline().model_dump_json().encode()),
                            media_type="application/json")
        return HTMLResponse(s.memo(("timeline-html",), lambda: _render(s.analyst.timeline())))

    return r
