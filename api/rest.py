"""The REST API: thin routes over ``neaspec_kg.analysis`` and the named-query catalogue.

Answers are serialised once per distinct set of parameters and kept (``RestService._memo``): the
graph never changes while a server runs, so a repeated question costs a dictionary lookup. The memo
is bounded, so hostile callers cannot grow it without limit.
"""
from __future__ import annotations

import json
import re
from collections import OrderedDict
from collections.abc import Callable
from threading import Lock
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from api.models import (
    CountryDetail,
    CountryList,
    DuplicationResponse,
    FocusDetail,
    FocusTree,
    MechanismDetail,
    MechanismList,
    OverlapResponse,
    QueryCatalogue,
)
from api.problems import ProblemError
from neaspec_kg import catalogue, formatting
from neaspec_kg.analysis import Analyst, UnknownFocusError
from neaspec_kg.analysis.profiles import NotFoundError, Profiles
from neaspec_kg.catalogue import ParameterError
from neaspec_kg.export import FORMATS, TABLES, export, export_table
from neaspec_kg.graph import run
from neaspec_kg.store import QueryError, SparqlStore

JSON = "application/json"
PROBLEMS = {404: {"description": "Unknown id or focus; the body lists the closest known ones",
                  "content": {"application/problem+json": {}}},
            400: {"description": "A parameter is missing or malformed; the body names it",
                  "content": {"application/problem+json": {}}}}


#: module level: annotations are strings here (PEP 563), so FastAPI must find the pattern by name
EXPORT_PATTERN = "^(" + "|".join(re.escape(f) for f in [*FORMATS, *TABLES]) + ")$"


class RestService:
    """The analysis objects of one store, and a bounded memo of serialised answers."""

    def __init__(self, store: SparqlStore, memo_size: int = 2048) -> None:
        self.store = store
        self.analyst = Analyst(store)
        self.profiles = Profiles(store, self.analyst.sources, self.analyst.focus)
        self._memo: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()
        self._memo_size = memo_size
        self._lock = Lock()

    def memo(self, key: tuple[Any, ...], produce: Callable[[], bytes]) -> bytes:
        """The bytes for ``key``, produced once; an exception is raised each time, never memoised."""
        with self._lock:
            body = self._memo.get(key)
            if body is not None:
                self._memo.move_to_end(key)
                return body
        body = produce()
        with self._lock:
            self._memo[key] = body
            if len(self._memo) > self._memo_size:
                self._memo.popitem(last=False)
        return body

    def answer(self, key: tuple[Any, ...], compute: Callable[[], object]) -> Response:
        """The memoised JSON answer for ``key``."""
        body = self.memo(key, lambda: json.dumps(_translate(compute), ensure_ascii=False,
                                                 separators=(",", ":")).encode("utf-8"))
        return Response(body, media_type=JSON)


def _translate(compute: Callable[[], object]) -> object:
    """Run ``compute``, turning the library's errors into problem documents (4xx)."""
    try:
        return compute()
    except UnknownFocusError as exc:
        raise ProblemError(404, "Unknown focus area", str(exc),
                           type_="https://w3id.org/neaspec-kg/problems/unknown-focus",
                           parameter="focus", value=exc.text,
                           suggestions=[s.to_dict() for s in exc.suggestions]) from None
    except NotFoundError as exc:
        raise ProblemError(404, f"Unknown {exc.kind}", str(exc), type_="https://w3id.org/neaspec-kg/problems/not-found",
                           value=exc.ident, suggestions=exc.suggestions) from None
    except ParameterError as exc:
        raise ProblemError(400, "Invalid parameter", str(exc), parameter=exc.param,
                           type_="https://w3id.org/neaspec-kg/problems/invalid-parameter") from None
    except QueryError as exc:
        raise ProblemError(400, "Query failed", str(exc)) from None


def service(request: Request) -> RestService:
    """The app's RestService (create_app builds it; an app assembled by hand gets one on first use)."""
    state = request.app.state
    if getattr(state, "rest", None) is None:
        state.rest = RestService(state.store)
    return state.rest


def rest_router() -> APIRouter:
    r = APIRouter()

    @r.get("/mechanisms", tags=["mechanisms"], response_model=MechanismList,
           summary="All mechanisms: the eight of Table 2 first, then related conventions and partnerships")
    def mechanisms(request: Request) -> Response:
        s = service(request)
        return s.answer(("mechanisms",), lambda: {"count": len(s.profiles.mechanisms()),
                                                  "mechanisms": s.profiles.mechanisms()})

    @r.get("/mechanisms/{mechanism_id}", tags=["mechanisms"], response_model=MechanismDetail, responses=PROBLEMS,
           summary="One mechanism: members, secretariat, governing bodies, focus areas, platforms, engagements, "
                   "each with its sources")
    def mechanism(request: Request, mechanism_id: str,
                  as_of: Annotated[str | None, Query(description="members as of a date, YYYY-MM-DD",
                                                     pattern=r"^\d{4}(-\d{2}-\d{2})?$")] = None) -> Response:
        s = service(request)
        return s.answer(("mechanism", mechanism_id.lower(), as_of), lambda: s.profiles.mechanism(mechanism_id,
                                                                                                  as_of=as_of))

    @r.get("/countries", tags=["countries"], response_model=CountryList,
           summary="All countries, by number of mechanisms")
    def countries(request: Request) -> Response:
        s = service(request)
        return s.answer(("countries",), lambda: {"count": len(s.profiles.countries()),
                                                 "countries": s.profiles.countries()})

    @r.get("/countries/{code}", tags=["countries"], response_model=CountryDetail, responses=PROBLEMS,
           summary="One country (ISO 3166-1 alpha-3) and the mechanisms it takes part in")
    def country(request: Request, code: str,
                as_of: Annotated[str | None, Query(pattern=r"^\d{4}(-\d{2}-\d{2})?$")] = None) -> Response:
        s = service(request)
        return s.answer(("country", code.upper(), as_of), lambda: s.profiles.country(code, as_of=as_of))

    @r.get("/focus-areas", tags=["focus areas"], response_model=FocusTree,
           summary="The focus-area thesaurus as a tree: thematic areas and the focus areas beneath them")
    def focus_areas(request: Request) -> Response:
        s = service(request)
        return s.answer(("focus-areas",), lambda: {"themes": s.profiles.focus_tree()})

    @r.get("/focus-areas/{focus_id}", tags=["focus areas"], response_model=FocusDetail, responses=PROBLEMS,
           summary="One focus or thematic area with its labels, broader and narrower concepts")
    def focus_area(request: Request, focus_id: str) -> Response:
        s = service(request)
        return s.answer(("focus-area", focus_id), lambda: s.profiles.focus_area(focus_id))

    @r.get("/overlap", tags=["analysis"], response_model=OverlapResponse, responses=PROBLEMS,
           summary="Which mechanisms overlap on a focus area (or anything narrower), their shared members "
                   "and the engagements among them",
           description='`focus` is free text ("air quality"), an id (`air-quality`) or an IRI; case, spacing '
                       "and punctuation do not matter. Example: `/overlap?focus=air%20quality` gives NEASPEC "
                       "(through NEACAP), TEMM, EANET and LTP.")
    def overlap(request: Request,
                focus: Annotated[str, Query(min_length=1, max_length=500, examples=["air quality"])],
                country: Annotated[str | None, Query(pattern=r"^[A-Za-z]{3}$", examples=["KOR"])] = None,
                include_related: bool = False,
                as_of: Annotated[str | None, Query(pattern=r"^\d{4}(-\d{2}-\d{2})?$")] = None) -> Response:
        s = service(request)
        return s.answer(("overlap", focus, country, include_related, as_of), lambda: s.analyst.overlap(
            focus, country=country.upper() if country else None, include_related=include_related,
            as_of=as_of).to_dict())

    @r.get("/duplication", tags=["analysis"], response_model=DuplicationResponse, responses=PROBLEMS,
           summary="Pairs of mechanisms ranked by duplication score, each with an explanation and sources",
           description="Scoring follows paragraph 36 of the note: a shared theme with different focus areas "
                       "or modalities is not duplication. See the README, section 'Scoring duplication'.")
    def duplication(request: Request,
                    theme: Annotated[str | None, Query(max_length=500, examples=["air quality"])] = None,
                    country: Annotated[str | None, Query(pattern=r"^[A-Za-z]{3}$")] = None,
                    mechanism: Annotated[str | None, Query(max_length=80)] = None,
                    min_score: Annotated[float | None, Query(ge=0, le=1)] = None,
                    limit: Annotated[int | None, Query(ge=1, le=10_000)] = None,
                    include_related: bool = False) -> Response:
        s = service(request)

        def compute() -> dict[str, object]:
            pairs = s.analyst.duplication(theme=theme, country=country.upper() if country else None,
                                          mechanism=mechanism, min_score=min_score,
                                          include_related=include_related, limit=limit)
            return {"count": len(pairs), "pairs": [p.to_dict() for p in pairs]}

        return s.answer(("duplication", theme, country, mechanism, min_score, limit, include_related), compute)

    @r.get("/queries", tags=["queries"], response_model=QueryCatalogue,
           summary="The named-query catalogue: each query with its parameters, an example and a link that runs it")
    def queries(request: Request) -> Response:
        s = service(request)

        def compute() -> dict[str, object]:
            out = []
            for q in catalogue.catalogue().values():
                example = "&".join(f"{k}={v}" for k, vs in q.example.items()
                                   for v in (vs if isinstance(vs, list) else [vs]))
                out.append({
                    "name": q.name, "title": q.title, "description": q.description, "form": q.form,
                    "params": [{"name": p.name, "type": p.type, "required": p.required, "multiple": p.multiple,
                                "description": p.description} for p in q.params],
                    "example": dict(q.example), "run": f"/queries/{q.name}" + (f"?{example}" if example else ""),
                    "sparql": q.text,
                })
            return {"count": len(out), "queries": out}

        return s.answer(("queries",), compute)

    @r.get("/queries/{name}", tags=["queries"], responses=PROBLEMS,
           summary="Run a named query with typed parameters given as query-string arguments (repeat one to "
                   "give several values); SPARQL JSON results, or CSV with format=csv")
    def run_query(request: Request, name: str,
                  format: Annotated[str, Query(pattern="^(json|csv)$")] = "json") -> Response:
        s = service(request)
        if name not in catalogue.catalogue():
            raise ProblemError(404, "Unknown query", f"no named query {name!r}",
                               suggestions=[{"id": n} for n in catalogue.names()])
        params: dict[str, object] = {}
        for key in request.query_params:
            if key != "format":
                values = request.query_params.getlist(key)
                params[key] = values if len(values) > 1 else values[0]
        result = _translate(lambda: run(s.store, name, params))
        if isinstance(result, bool):
            return Response(json.dumps({"head": {}, "boolean": result}), media_type="application/sparql-results+json")
        if isinstance(result, list):
            columns = formatting.columns_of(result)
            if format == "csv":
                return Response(formatting.to_csv(result, columns), media_type="text/csv; charset=utf-8")
            return Response(formatting.to_sparql_json(result, columns), media_type="application/sparql-results+json")
        return Response(result.serialize(format="turtle"), media_type="text/turtle")  # type: ignore[union-attr]

    @r.get("/export", tags=["downloads"],
           summary="Downloads: the whole graph as Turtle, TriG (one named graph per source), JSON-LD or "
                   "N-Triples; CSV tables (members.csv, focus-areas.csv, duplication.csv); GraphML")
    def download(request: Request,
                 format: Annotated[str, Query(pattern=EXPORT_PATTERN)] = "turtle") -> Response:
        s = service(request)
        if format in FORMATS:
            _fmt, media, ext = FORMATS[format]
            name = f"neaspec-kg.{ext}"
            body = s.memo(("export", format), lambda: export(s.store, format))
        else:
            media, name = TABLES[format]
            body = s.memo(("export", format), lambda: export_table(s.store, format))
        return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})

    return r
