"""The map page (``/map``): countries shaded by how many mechanisms they take part in, or by
their status in one chosen mechanism or platform (``?mechanism=neampan``), as of a day (``?as_of=``).

Drawn on the server as SVG (like ``/timeline``) from shapes that ship with the project (``api/geo/``: Natural
Earth 1:110m via world-atlas, pre-projected in Equal Earth by ``tools/geo.py``), so it prints, works offline and
loads nothing from elsewhere. Each country the graph knows is one ``<path>`` with ``data-country`` (ISO alpha-3),
``data-value`` (the count, or the status) and a ``<title>``; a table below holds the same facts with their
sources, so nothing depends on telling colours apart. ``?format=json`` gives the ``ParticipationMap`` model,
``?format=csv`` a row per country and ``?format=svg`` the bare drawing as a file;
``neaspec_kg/views/assets/figure-download.js`` adds SVG and PNG buttons to the page.
"""
from __future__ import annotations

import csv
import io
import json
import re
from functools import cache
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup
from starlette.responses import Response

from api.deps import Service
from api.i18n import N_, gettext_for
from api.service import RestService, translate_errors
from api.views import ENV, language, page
from neaspec_kg.analysis import DateError, UnknownUnitError
from neaspec_kg.analysis.map import ParticipationMap, participation_map
from neaspec_kg.labels import Names

HERE = Path(__file__).resolve().parent
GEO_FILE = HERE / "geo" / "countries-110m.json"
_PAGE = ENV.get_template("map.html")
_PROBLEM = ENV.get_template("map-unknown.html")

#: pixel width of the drawing; its height follows the cropped view's proportions
WIDTH = 1000
#: the crop around the countries the graph knows, as a share of the box on each side
PAD = 0.04
#: ColorBrewer "Blues" (7 classes), light to dark: the count ramp
BLUES = ["#deebf7", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#08519c", "#08306b"]
ZERO = "#ffffff"
STATUS_FILL = {"member": "#08519c", "observer": "url(#nk-hatch-m)", "uncertain": "url(#nk-dots-m)", "none": "#c4cad0"}
LEGEND_FILL = {"member": "#08519c", "observer": "url(#nk-hatch)", "uncertain": "url(#nk-dots)", "none": "#c4cad0"}


@cache
def shapes() -> dict[str, Any]:
    """The committed shapes (read once per process): ``width``, ``height`` and ``countries`` with ``id``
    (alpha-3, or None for the few Natural Earth units without an ISO code), ``bbox`` and ``d``."""
    data: dict[str, Any] = json.loads(GEO_FILE.read_text(encoding="utf-8"))
    return data


def count_fill(value: int, top: int) -> str:
    """The Blues class for ``value`` out of ``top`` (0 has its own near-white)."""
    if value <= 0 or top <= 0:
        return ZERO
    return BLUES[min(len(BLUES) - 1, round((value - 1) * (len(BLUES) - 1) / max(top - 1, 1)))]


def filename(m: ParticipationMap) -> str:
    """The download name: what is shaded and as of when, so two downloads never overwrite each other."""
    return filename_for(m.mechanism.id if m.mechanism else None, m.as_of)


def filename_for(mechanism: str | None, as_of: str | None) -> str:
    """The same name from the request's parameters (safe characters only: it goes into a header)."""
    parts = ["neaspec-kg-map", mechanism or "", as_of or ""]
    return "-".join(re.sub(r"[^a-z0-9.]+", "-", p.lower()).strip("-") for p in parts if p)


def map_csv(m: ParticipationMap) -> bytes:
    """One row per country: the count, or the status in the chosen unit, the units by role, and the sources."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["country", "country_id", "takes_part_in", "status_in", "status", "since", "member_of",
                "observer_in", "uncertain", "sources"])
    for c in m.countries:
        w.writerow([c.country.label, c.country.id, c.count, m.mechanism.id if m.mechanism else "", c.status or "",
                    " or ".join(c.since), " ".join(c.members), " ".join(c.observer), " ".join(c.uncertain),
                    "; ".join(x.url or x.label for x in c.sources)])
    return out.getvalue().encode("utf-8")


def _crop(boxes: list[list[int]], world: tuple[int, int]) -> list[int]:
    """The viewBox (x, y, w, h) around ``boxes``, padded, inside the world."""
    if not boxes:
        return [0, 0, *world]
    x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    x1, y1 = max(b[2] for b in boxes), max(b[3] for b in boxes)
    px, py = (x1 - x0) * PAD, (y1 - y0) * PAD
    x0, y0 = max(0, round(x0 - px)), max(0, round(y0 - py))
    return [x0, y0, round(x1 + px) - x0, round(y1 + py) - y0]


def _overlaps(b: list[int], v: list[int]) -> bool:
    return b[0] < v[0] + v[2] and b[2] > v[0] and b[1] < v[1] + v[3] and b[3] > v[1]


def render(m: ParticipationMap, *, lang: str, extent: str, query: str, s: RestService) -> tuple[str, str]:
    """The page body and the bare SVG, from one template (the SVG is its ``svg`` block)."""
    _ = gettext_for(lang)
    names = Names.of(s.store, lang)
    units = {u.id: u for u in m.units}

    def short(ids: list[str]) -> list[str]:
        return [names.short(units[i]) if i in units else i for i in ids]

    status_label = {"member": _("member"), "observer": _("observer"), "uncertain": _("uncertain"),
                    "none": _("not a member in the graph")}
    geo = shapes()
    by_id = {c["id"]: c for c in geo["countries"] if c["id"]}
    chosen = m.mechanism
    drawn, rows, missing = [], [], []
    for c in m.countries:
        name = names.country(c.country)
        if chosen is not None:
            status = c.status or "none"
            value: str | int = status
            fill = STATUS_FILL[status]
            title = _("%(country)s: %(status)s (%(unit)s)", country=name, status=status_label[status],
                      unit=names.short(chosen))
            if c.since:
                title += "; " + _("since %(dates)s", dates=" / ".join(c.since))
        else:
            value, fill = c.count, count_fill(c.count, m.max_count)
            title = _("%(country)s: takes part in %(count)s", country=name, count=c.count)
            for label, ids in ((N_("member of %(units)s"), c.members), (N_("observer in %(units)s"), c.observer),
                               (N_("uncertain: %(units)s"), c.uncertain)):
                if ids:
                    title += "; " + _(label, units=", ".join(short(ids)))
        if c.sources:
            title += ". " + _("Sources: %(sources)s", sources="; ".join(x.label for x in c.sources))
        rows.append({"c": c, "name": name, "members": short(c.members), "observer": short(c.observer),
                     "uncertain": short(c.uncertain), "status_label": status_label.get(c.status or "", "")})
        shape = by_id.get(c.country.id)
        if shape is None:
            missing.append(name)
            continue
        drawn.append({"id": c.country.id, "value": value, "fill": fill, "title": title, "d": shape["d"],
                      "bbox": shape["bbox"]})
    world = (int(geo["width"]), int(geo["height"]))
    view = [0, 0, *world] if extent == "world" else _crop([d["bbox"] for d in drawn], world)
    ours = {d["id"] for d in drawn}
    context = [x for x in geo["countries"] if x["id"] not in ours and _overlaps(x["bbox"], view)]
    map_h = round(WIDTH * view[3] / view[2])
    if chosen is not None:
        legend_title = _("Status in %(unit)s",
                         unit=names.unit(chosen) + (f" ({chosen.acronym})" if chosen.acronym else ""))
        present = [k for k in STATUS_FILL if any(d["value"] == k for d in drawn)]
        legend = [{"fill": LEGEND_FILL[k], "label": status_label[k]} for k in present]
        heading = _("Countries by their status in %(unit)s", unit=names.short(chosen))
    else:
        legend_title = _("Mechanisms taken part in (member or observer)")
        values = sorted({int(d["value"]) for d in drawn})
        legend = [{"fill": count_fill(v, m.max_count), "label": str(v)} for v in values]
        heading = _("Countries by the number of mechanisms they take part in")
    heading += ", " + (_("as of %(day)s", day=m.as_of) if m.as_of else _("today"))
    cols, col_w = (4, 240) if chosen is not None else (12, 80)
    height = map_h + 34 + ((len(legend) + cols - 1) // cols) * 20 + 12
    sep = "&" if query else ""
    ctx = {
        "_": _, "m": m, "lang": lang, "extent": extent, "unit_name": names.unit, "heading": heading,
        "width": WIDTH, "height": height, "map_h": map_h, "view": view, "unit_px": round(view[2] / WIDTH, 3),
        "context": context, "drawn": drawn, "rows": rows, "missing": missing, "legend": legend,
        "legend_title": legend_title, "legend_cols": cols, "legend_w": col_w,
        "credit": _("Shapes: Natural Earth 1:110m, public domain (world-atlas 2.0.2); Equal Earth projection"),
        "svg_href": f"/map?{query}{sep}format=svg", "json_href": f"/map?{query}{sep}format=json",
        "filename": filename(m), "csv_href": f"/map?{query}{sep}format=csv",
    }
    body = _PAGE.render(**ctx)
    svg = "".join(_PAGE.blocks["svg"](_PAGE.new_context(ctx))).strip()
    return body, svg


def _friendly(s: RestService, lang: str, status: int, heading: str, message: str, request: Request) -> HTMLResponse:
    """A 4xx page that says what was wrong and lists what the map can show, as links."""
    _ = gettext_for(lang)
    from neaspec_kg.analysis.map import participation_units

    body = _PROBLEM.render(_=_, heading=heading, message=message, units=participation_units(s.analyst),
                           lang_suffix="" if lang == "en" else f"?lang={lang}",
                           lang_amp="" if lang == "en" else f"&lang={lang}")
    return page(heading, Markup(body), lang=lang, status=status, url=request.url)


router = APIRouter()


@router.get("/map", tags=["analysis"], response_class=HTMLResponse,
            summary="Map: countries shaded by the number of mechanisms they take part in, or by status in one",
            responses={200: {"content": {"text/html": {}, "application/json": {}, "text/csv": {},
                                           "image/svg+xml": {}}},
                       400: {"description": "a date that does not exist (2020-13-45): a page for browsers, a "
                                            "problem document for ?format=json|csv|svg",
                             "content": {"text/html": {}, "application/problem+json": {}}},
                       404: {"description": "a mechanism or platform id the graph has no participation for",
                             "content": {"text/html": {}, "application/problem+json": {}}}})
def participation_map_page(
        request: Request, s: Service,
        mechanism: Annotated[str | None, Query(max_length=100, examples=["neampan"],
                                               description="a mechanism or NEASPEC platform id or acronym")] = None,
        as_of: Annotated[str | None, Query(max_length=40, examples=["2015-01-01"])] = None,
        extent: Annotated[str, Query(pattern="^(graph|world)$")] = "graph",
        lang: str = "en",
        format: Annotated[str, Query(pattern="^(html|json|csv|svg)$")] = "html") -> Response:
    lang = language(lang)
    mech = (mechanism or "").strip().lower() or None
    day = (as_of or "").strip() or None
    # links and memo keys from the normalised parameters only: junk in the query string makes no new entry
    query = urlencode({k: v for k, v in (("mechanism", mech), ("as_of", day),
                                         ("extent", None if extent == "graph" else extent),
                                         ("lang", None if lang == "en" else lang)) if v})
    key = ("map", format, mech, day, extent, lang)

    def produce() -> bytes:
        """Computed only when the memo has no answer yet (under the gate, as every memo miss is)."""
        answer = participation_map(s.analyst, mechanism=mech, as_of=day)
        if format == "json":
            return answer.model_dump_json().encode()
        if format == "csv":
            return map_csv(answer)
        out = render(answer, lang=lang, extent=extent, query=query, s=s)
        if format == "svg":
            return ('<?xml version="1.0" encoding="UTF-8"?>\n' + out[1] + "\n").encode()
        return bytes(page(gettext_for(lang)("Map"), Markup(out[0]), lang=lang, allow_links=True,
                          url=request.url).body)

    if format != "html":
        body = s.memo(key, lambda: translate_errors(produce))
        name = filename_for(mech, day)
        media = {"json": "application/json", "csv": "text/csv; charset=utf-8", "svg": "image/svg+xml"}[format]
        headers = None if format == "json" else {"Content-Disposition": f'attachment; filename="{name}.{format}"'}
        return Response(body, media_type=media, headers=headers)
    _ = gettext_for(lang)
    try:
        return HTMLResponse(s.memo(key, produce))
    except UnknownUnitError:
        return _friendly(s, lang, 404, _("No mechanism or platform is called “%(id)s”", id=mech),
                         _("The map shades countries by the number of mechanisms they take part in, or by "
                           "their status in one of those below (ids are lowercase acronyms)."),
                         request)
    except DateError as exc:
        return _friendly(s, lang, 400, _("“%(day)s” is not a date", day=day),
                         _("A date is a real day, written YYYY-MM-DD (%(reason)s).", reason=str(exc)),
                         request)


