"""The timeline page (``/timeline``, JSON with ``?format=json``): a drawing (server-side SVG, no script, so it
prints and works offline) and a table of the same dated events, from ``Analyst.timeline``."""
from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup
from starlette.datastructures import URL
from starlette.responses import Response

from api.deps import Service
from api.i18n import N_, gettext_for
from api.views import ENV, language, page
from neaspec_kg.models import Timeline

_PAGE = ENV.get_template("timeline.html")
LABEL_W, WIDTH, ROW = 170, 1100, 22
#: the kinds of event, as msgids (the JSON keeps the ids)
EVENTS = {"established": N_("established"), "joined": N_("joined"), "adopted": N_("adopted")}


def _render(t: Timeline, lang: str = "en", url: URL | None = None) -> bytes:
    """The page for one timeline in ``lang``: the axis runs from the first dated event to this year."""
    y0, y1 = t.first_year - 1, max(t.last_year, date.today().year) + 1
    scale = (WIDTH - LABEL_W - 20) / max(y1 - y0, 1)

    def x(year: int) -> int:
        return round(LABEL_W + (year - y0) * scale)

    step = 5 if y1 - y0 > 20 else 1
    ticks = [y for y in range(y0, y1 + 1) if y % step == 0]
    _ = gettext_for(lang)
    return bytes(page(_("Timeline"), Markup(_PAGE.render(
        t=t, x=x, y0=y0, y1=y1, ticks=ticks, width=WIDTH, label_w=LABEL_W, row=ROW,
        height=40 + len(t.lanes) * ROW, events=EVENTS, _=_, lang=lang)), lang=lang, url=url).body)


router = APIRouter()


@router.get("/timeline", tags=["analysis"], response_class=HTMLResponse,
            summary="Timeline: establishments, accessions and resolutions, disputed dates drawn with their sources",
            responses={200: {"content": {"text/html": {}, "application/json": {}}}})
def timeline(request: Request, s: Service, format: Annotated[str, Query(pattern="^(html|json)$")] = "html",
             lang: Annotated[str, Query(max_length=10)] = "en") -> Response:
    lang = language(lang)
    if format == "json":
        return Response(s.memo(("timeline-json",), lambda: s.analyst.timeline().model_dump_json().encode()),
                        media_type="application/json")
    # memoised per language; the language links are built from the canonical URL, not the request's
    url = URL("/timeline" + ("" if lang == "en" else f"?lang={lang}"))
    return HTMLResponse(s.memo(("timeline-html", lang), lambda: _render(s.analyst.timeline(), lang, url)))


