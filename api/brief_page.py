"""The printable brief on one focus (``/brief?focus=...``, and ``neaspec-kg brief ... -o brief.pdf``).

One A4 document a policy analyst can print or hand on: who works on the focus and on what evidence (the
overlap answer, delivered work apart from work that is only planned or proposed), the focus row(s) of the
coverage matrix, a network figure of the mechanisms and their member countries with the shared members
marked, and every source cited anywhere as one numbered reference list at the end, cited as [n].

Why a complete HTML document of its own and not a page in the site's shell: it must print the same from
the server and from a ``file://`` copy (the command line prints it through headless Chromium with no
server), so its stylesheet is inline and nothing it shows is loaded from anywhere; the figure is an
inline SVG (a canvas would not print). Content comes from ``Analyst.overlap``, ``Analyst.matrix`` and
``Analyst.country_participation`` only: nothing is recomputed or written by hand here. The rendering lives
in ``api`` because the library must not import the web layer; the command line imports it lazily.
"""
from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from markupsafe import Markup
from starlette.responses import HTMLResponse, Response

from api.deps import Service
from api.i18n import N_, gettext_for
from api.matrix import SHORT
from api.views import ENV, language, page
from neaspec_kg import __version__, views
from neaspec_kg.analysis import Analyst, DateError, UnknownFocusError, UnknownUnitError
from neaspec_kg.graph import select
from neaspec_kg.index.periods import parse_as_of
from neaspec_kg.labels import Names
from neaspec_kg.models import CountryRef, MechanismOnFocus, OverlapAnswer, SourceRef
from neaspec_kg.references import References

_DOC = ENV.get_template("brief.html")

_NOT_FOUND = ENV.get_template("brief-unknown.html")

#: words the template translates that reach it as values (so the catalogues hold them): evidence kinds and
#: their matrix abbreviations, coverage statuses, how a concept matched, membership, concept and source kinds
WORDS = (N_("stated focus area"), N_("programme area of its strategic plan"),
         N_("focus of one of its platforms or plans"), N_("planned activity implemented fully or substantially"),
         N_("planned activity implemented partially or minimally"),
         N_("focus of an engagement with another mechanism"), N_("planned or potential work, not delivered"),
         N_("proposed for a future plan, not adopted"), N_("stated"), N_("programme"), N_("platform"),
         N_("delivered"), N_("partial"), N_("engagement"), N_("planned"), N_("proposed"), N_("gap"),
         N_("single"), N_("overlap"), N_("narrower"), N_("broader"), N_("related"), N_("member"),
         N_("uncertain"), N_("thematic area"), N_("focus area"), N_("species"))

#: geometry of the network figure (SVG user units; it scales to the page width)
FIG_W, MECH_Y, COUNTRY_Y, FIG_H, PAD, MIN_GAP = 800, 30, 236, 280, 48, 96
DC = "http://purl.org/dc/terms/"


def _documents(analyst: Analyst, cited: list[SourceRef]) -> list[dict[str, str]]:
    """The documents (the note) whose parts the brief cites: symbol, title, date and publisher, as the
    source catalogue states them."""
    out = []
    for doc in sorted((s for s in analyst.sources.by_iri.values() if s.kind == "Document"), key=lambda s: s.iri):
        facts: dict[str, str] = {}
        parts: set[str] = set()
        for r in select(analyst.store, "describe-resource", {"resource": doc.iri}):
            p = r["p"].value
            if r["direction"].value == "out" and (p.startswith(DC) or p.endswith("#documentDate")):
                facts.setdefault(p.rsplit("/", 1)[-1].rsplit("#", 1)[-1], r["o"].value)
            elif r["direction"].value == "in" and p == DC + "isPartOf":
                parts.add(r["s"].value)
        if any(s.iri in parts or s.iri == doc.iri for s in cited):
            out.append({"iri": doc.iri, "label": doc.label, "identifier": facts.get("identifier", ""),
                        "title": facts.get("title", ""), "date": facts.get("documentDate") or facts.get("date", ""),
                        "publisher": facts.get("publisher", "")})
    return out


def _matrix_rows(analyst: Analyst, answer: OverlapAnswer, refs: References, names: Names, unit_names: dict[str, str],
                 country: str | None, as_of: str | None, include_related: bool) -> dict[str, Any]:
    """The focus row(s) of the coverage matrix, each with the rows under it; columns: the mechanisms with
    something in those rows (the others are named as having nothing there)."""
    m = analyst.matrix(country=country, as_of=as_of, include_related=include_related)
    wanted = {c.iri for c in answer.focus}
    picked: list[int] = []
    for i, row in enumerate(m.rows):
        if row.concept.iri in wanted and i not in picked:
            picked.append(i)
            j = i + 1
            while j < len(m.rows) and m.rows[j].depth > row.depth:
                if j not in picked:
                    picked.append(j)
                j += 1
    rows = [m.rows[i] for i in picked]
    used = {c.mechanism for r in rows for c in r.cells}
    columns = [u for u in m.mechanisms if u.id in used]
    out_rows = []
    for r in rows:
        by = {c.mechanism: c for c in r.cells}
        cells = []
        for u in columns:
            c = by.get(u.id)
            cells.append(None if c is None else {
                "short": SHORT[c.kind], "kind": c.kind, "delivered": c.delivered,
                "via": [unit_names.get(v, v) for v in c.via],
                "refs": refs.cite(c.sources)})
        out_rows.append({"label": names.concept(r.concept.iri, r.concept.label), "depth": r.depth,
                         "status": r.status, "delivered": r.delivered, "cells": cells})
    return {"columns": [{"label": names.short(u), "full": names.unit(u)} for u in columns],
            "rows": out_rows, "absent": [names.short(u) for u in m.mechanisms if u.id not in used]}


def _evidence_rows(ms: list[MechanismOnFocus], refs: References, names: Names) -> list[dict[str, Any]]:
    out = []
    for m in ms:
        for i, ev in enumerate(m.evidence):
            out.append({"first": i == 0, "span": len(m.evidence), "mechanism": names.short(m.mechanism),
                        "mechanism_full": names.unit(m.mechanism), "kind": ev.kind,
                        "kind_label": ev.kind_label, "delivered": ev.delivered,
                        "focus": [names.concept(c.iri, c.label) for c in ev.focus], "match": ev.match,
                        "text": ev.text, "note": ev.note, "level": ev.level or ev.status,
                        "via": names.short(ev.via) if ev.via else None,
                        "counterpart": names.short(ev.counterpart) if ev.counterpart else None,
                        "status": m.country_status, "refs": refs.cite(ev.sources)})
    return out


def _network(analyst: Analyst, answer: OverlapAnswer, refs: References, names: Names,
             as_of: str | None) -> dict[str, Any]:
    """Mechanisms on one row, their member countries on another, a line for each membership; countries in
    more than one mechanism (the answer's shared members) filled. The layout is fixed arithmetic: mechanisms
    in the answer's order (delivered work first), countries ordered by where their mechanisms stand."""
    units: dict[str, dict[str, Any]] = {}
    for delivered, ms in ((True, answer.mechanisms), (False, answer.planned_or_proposed)):
        for m in ms:
            u = units.setdefault(m.mechanism.id, {"ref": m.mechanism, "delivered": False, "members": {},
                                                  "uncertain": {}})
            u["delivered"] = u["delivered"] or delivered
            u["members"].update({c.id: c for c in m.members})
            u["uncertain"].update({c.id: c for c in m.uncertain_members if c.id not in u["members"]})
    order = list(units)
    shared = {s.country.id: len(s.mechanisms) for s in answer.shared_members}

    def spread(n: int, i: int) -> float:
        return FIG_W / 2 if n == 1 else PAD + i * (FIG_W - 2 * PAD) / (n - 1)

    # too many boxes for one row: every other one a row lower, so no two boxes overlap
    stagger = len(order) > 1 and (FIG_W - 2 * PAD) / (len(order) - 1) < MIN_GAP
    mech = [{"id": k, "label": names.short(units[k]["ref"]), "full": names.unit(units[k]["ref"]),
             "delivered": units[k]["delivered"], "x": round(spread(len(order), i), 1),
             "y": MECH_Y + (40 if stagger and i % 2 else 0)}
            for i, k in enumerate(order)]
    pos = {m["id"]: m["x"] for m in mech}
    top = {m["id"]: m["y"] for m in mech}
    countries: dict[str, CountryRef] = {}
    links: list[tuple[str, str, bool]] = []
    for k in order:
        for code, c in sorted(units[k]["members"].items()):
            countries[code] = c
            links.append((k, code, False))
        for code, c in sorted(units[k]["uncertain"].items()):
            countries.setdefault(code, c)
            links.append((k, code, True))
    mean = {code: sum(pos[k] for k, c, _ in links if c == code) / sum(1 for _, c, _ in links if c == code)
            for code in countries}
    ccodes = sorted(countries, key=lambda c: (mean[c], c))
    cx = {c: round(spread(len(ccodes), i), 1) for i, c in enumerate(ccodes)}
    nodes = [{"code": c, "label": names.country(countries[c]), "x": cx[c], "y": COUNTRY_Y,
              "shared": c in shared, "count": shared.get(c, 1)} for c in ccodes]
    edges = [{"x1": pos[k], "y1": top[k] + 14, "x2": cx[c], "y2": COUNTRY_Y - 9, "uncertain": u,
              "shared": c in shared, "title": f"{names.short(units[k]['ref'])} - {names.country(countries[c])}"}
             for k, c, u in links]
    # the table beside the figure: the same memberships, each with the sources the graph gives for it
    part: dict[str, dict[str, Any]] = {}
    for c in ccodes:
        answer_c = analyst.country_participation(c, as_of=as_of)
        part[c] = {p.unit.id: p for p in answer_c.mechanisms}
    table = []
    for c in ccodes:
        cells = []
        for k in order:
            p = part[c].get(k)
            status = ("uncertain" if c in units[k]["uncertain"] else "member") \
                if (c in units[k]["members"] or c in units[k]["uncertain"]) else None
            cells.append(None if status is None else {
                "status": status, "since": p.since if p else [], "refs": refs.cite(p.sources) if p else []})
        table.append({"code": c, "label": names.country(countries[c]), "shared": c in shared,
                      # the answer's shared members count mechanisms with delivered work only; so does this
                      "count": sum(1 for x, k in zip(cells, order, strict=True)
                                   if x and x["status"] == "member" and units[k]["delivered"]), "cells": cells})
    return {"width": FIG_W, "height": FIG_H, "mechanisms": mech, "countries": nodes, "edges": edges,
            "table": table}


def render_brief(analyst: Analyst, focus: str, *, country: str | None = None, as_of: str | None = None,
                 include_related: bool = False, lang: str = "en", served: bool = True,
                 today: str | None = None) -> str:
    """The brief as one complete HTML document (inline CSS and SVG; checked to load nothing from elsewhere).

    Raises the library's errors for input it cannot answer (``UnknownFocusError``, ``DateError``,
    ``UnknownUnitError``); the route and the command line turn them into a friendly page or exit code 2.
    ``served`` adds the on-screen toolbar (links into the site, a print button), hidden on paper anyway.
    """
    lang = language(lang)
    answer = analyst.overlap(focus, country=country, as_of=as_of, include_related=include_related)
    names = Names.of(analyst.store, lang)
    refs = References()
    delivered = _evidence_rows(answer.mechanisms, refs, names)
    planned = _evidence_rows(answer.planned_or_proposed, refs, names)
    unit_names = {u.id: names.short(u.ref()) for u in analyst.index.units.values()}
    engagements = [{"party": unit_names.get(e.party, e.party),
                    "counterpart": unit_names.get(e.counterpart, e.counterpart),
                    "via": unit_names.get(e.via, e.via) if e.via else None, "types": e.types, "status": e.status,
                    "delivered": e.delivered, "text": e.text, "limitation": e.limitation,
                    "focus": [names.concept(c.iri, c.label) for c in e.focus], "refs": refs.cite(e.sources)}
                   for e in answer.engagements]
    matrix = _matrix_rows(analyst, answer, refs, names, unit_names, answer.country, answer.as_of, include_related)
    network = _network(analyst, answer, refs, names, answer.as_of)
    focus_labels = [names.concept(c.iri, c.label) for c in answer.focus]
    query = {"focus": focus, **({"country": answer.country} if answer.country else {}),
             **({"as_of": answer.as_of} if answer.as_of else {}),
             **({"include_related": "true"} if include_related else {}), **({"lang": lang} if lang != "en" else {})}
    html = _DOC.render(
        _=gettext_for(lang), lang=lang, answer=answer, focus_labels=focus_labels,
        focus_concepts=[{"label": names.concept(c.iri, c.label), "kind": c.kind, "id": c.id} for c in answer.focus],
        delivered=delivered, planned=planned, delivered_names=[names.short(m.mechanism) for m in answer.mechanisms],
        only_planned=[names.short(m.mechanism) for m in answer.planned_or_proposed if not m.also_delivered],
        more_planned=[names.short(m.mechanism) for m in answer.planned_or_proposed if m.also_delivered],
        engagements=engagements, matrix=matrix, net=network,
        references=[{"n": i, "s": s} for i, s in enumerate(refs.items, 1)],
        documents=_documents(analyst, refs.items), generated=today or datetime.now(UTC).date().isoformat(),
        digest=getattr(analyst.store, "digest", None), version=__version__, include_related=include_related,
        served=served, query=urlencode(query), langs=[(c, views.LANG_NAMES[c]) for c in views.LANGS],
        focus_text=focus)
    views.assert_offline(html, allow_links=True)
    return html


def _friendly(request: Request, text: str, lang: str, status: int, message: str,
              focus: list[dict[str, str]], mechanism: str | None = None) -> HTMLResponse:
    """The answer to input the brief cannot use: what was wrong, the closest focus areas, a search box."""
    _ = gettext_for(lang)
    heading = _("Make a printable brief") if not text else _("No brief for “%(text)s”", text=text)
    body = _NOT_FOUND.render(_=_, heading=heading, text=text, message=message, focus=focus, lang=lang,
                             mechanism=mechanism, lang_amp="" if lang == "en" else f"&lang={lang}",
                             lang_q="" if lang == "en" else f"?lang={lang}")
    return page(heading, Markup(body), lang=lang, status=status, url=request.url)


#: ``/brief``: the printable brief, memoised per focus, filters, language and day (the date is printed).
router = APIRouter()


@router.get("/brief", tags=["pages"], response_class=HTMLResponse,
            summary="A printable A4 brief on one focus: overlap with evidence, the matrix row(s), a network "
                    "figure and every source as a numbered reference",
            responses={400: {"description": "a malformed country code or a date that does not exist (a page)",
                             "content": {"text/html": {}}},
                       404: {"description": "a focus or country the graph does not know: the closest ones (a page)",
                             "content": {"text/html": {}}}})
def brief(request: Request, s: Service,
          focus: Annotated[str | None, Query(max_length=500, examples=["air quality"])] = None,
          country: Annotated[str | None, Query(max_length=20, examples=["KOR"])] = None,
          as_of: Annotated[str | None, Query(max_length=20, examples=["2020-07-10"])] = None,
          include_related: bool = False, lang: str = "en") -> Response:
    lang = language(lang)
    _ = gettext_for(lang)
    text = (focus or "").strip()
    if not text:
        return _friendly(request, "", lang, 404, _("Type a focus area, for example “air quality”."), [])
    if country and not re.fullmatch(r"[A-Za-z]{3}", country.strip()):
        return _friendly(request, country, lang, 400,
                         _("A country is given by its ISO 3166-1 alpha-3 code, e.g. KOR."), [])
    try:
        day = parse_as_of(as_of or None)
    except DateError as exc:
        return _friendly(request, as_of or "", lang, 400, _("A date is a real day, YYYY-MM-DD.") + f" ({exc})", [])
    try:
        concepts = s.analyst.focus.resolve(text)
    except UnknownFocusError as exc:
        return _friendly(request, text, lang, 404, _("No focus area has this name or label."),
                         [{"id": x.concept.id, "label": x.label, "concept": x.concept.label}
                          for x in exc.suggestions], mechanism=views.find_mechanism(s.profiles, text))
    code = country.strip().upper() if country else None
    today = datetime.now(UTC).date().isoformat()
    key = ("brief", text.casefold(), tuple(c.iri for c in concepts), code, day and day.isoformat(),
           include_related, lang, today)
    try:
        body = s.memo(key, lambda: render_brief(
            s.analyst, text, country=code, as_of=day.isoformat() if day else None,
            include_related=include_related, lang=lang, today=today).encode("utf-8"))
    except UnknownUnitError as exc:
        near = (" " + _("Closest:") + " " + ", ".join(exc.suggestions)) if exc.suggestions else ""
        return _friendly(request, code or "", lang, 404,
                         _("No country in the graph has this ISO 3166-1 alpha-3 code.") + near, [])
    return Response(body, media_type="text/html; charset=utf-8")


