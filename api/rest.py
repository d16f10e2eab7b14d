"""The REST API: thin routes over ``neaspec_kg.analysis`` and the named-query catalogue.

Answers are serialised once per distinct set of parameters and kept (``RestService._memo``): the
graph never changes while a server runs, so a repeated question costs a dictionary lookup. The memo
is bounded in entries and in bytes (an answer larger than an eighth of the budget is served but not
kept), so hostile callers cannot grow the server's memory without limit.
"""
from __future__ import annotations

import json
import re
from collections import OrderedDict
from collections.abc import Callable
from threading import Lock
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel
from starlette.responses import Response

from api.models import (
    CountryDetail,
    CountryList,
    FocusDetail,
    FocusTree,
    MechanismDetail,
    MechanismList,
    QueryCatalogue,
)
from api.problems import ProblemError
from neaspec_kg import catalogue, formatting
from neaspec_kg.analysis import EVIDENCE_KINDS, Analyst, DateError, UnknownFocusError, UnknownUnitError
from neaspec_kg.analysis.check import UnknownModalityError
from neaspec_kg.analysis.profiles import NotFoundError, Profiles
from neaspec_kg.catalogue import ParameterError
from neaspec_kg.export import FORMATS, TABLES, export, export_table
from neaspec_kg.graph import run
from neaspec_kg.models import (
    CheckAnswer,
    CountryAnswer,
    DuplicationAnswer,
    OverlapAnswer,
    PairAnswer,
    ProposalsAnswer,
    ProposedWork,
)
from neaspec_kg.store import QueryError, SparqlStore

JSON = "application/json"
T = TypeVar("T")
PROBLEMS: dict[int | str, dict[str, Any]] = {
    404: {"description": "Unknown id or focus; the body lists the closest known ones",
          "content": {"application/problem+json": {}}},
    400: {"description": "A parameter is missing or malformed; the body names it",
          "content": {"application/problem+json": {}}}}


DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
KIND_PATTERN = "^(" + "|".join(EVIDENCE_KINDS[:6]) + ")$"
#: module level: annotations are strings here (PEP 563), so FastAPI must find the pattern by name
EXPORT_PATTERN = "^(" + "|".join(re.escape(f) for f in [*FORMATS, *TABLES]) + ")$"


class RestService:
    """The analysis objects of one store, and a bounded memo of serialised answers."""

    def __init__(self, store: SparqlStore, memo_size: int = 2048, memo_bytes: int = 64_000_000) -> None:
        self.store = store
        self.analyst = Analyst(store)
        self.profiles = Profiles(store, self.analyst.sources, self.analyst.focus)
        self._memo: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()
        self._memo_size = memo_size
        self._memo_bytes = memo_bytes
        self._memo_total = 0
        self._lock = Lock()

    def memo(self, key: tuple[Any, ...], produce: Callable[[], bytes]) -> bytes:
        """The bytes for ``key``, produced once; an exception is raised each time, never memoised."""
        with self._lock:
            body = self._memo.get(key)
            if body is not None:
                self._memo.move_to_end(key)
                return body
        body = produce()
        if len(body) > self._memo_bytes // 8:
            return body  # one answer may not take over the memo: served, not kept
        with self._lock:
            old = self._memo.pop(key, None)
            self._memo_total -= len(old) if old is not None else 0
            self._memo[key] = body
            self._memo_total += len(body)
            while len(self._memo) > self._memo_size or self._memo_total > self._memo_bytes:
                _, dropped = self._memo.popitem(last=False)
                self._memo_total -= len(dropped)
        return body

    def answer(self, key: tuple[Any, ...], compute: Callable[[], object]) -> Response:
        """The memoised JSON answer for ``key``."""
        def produce() -> bytes:
            value = _translate(compute)
            if isinstance(value, BaseModel):
                return value.model_dump_json().encode("utf-8")
            return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

        return Response(self.memo(key, produce), media_type=JSON)


def _translate(compute: Callable[[], T]) -> T:
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
    except UnknownUnitError as exc:
        raise ProblemError(404, "Unknown mechanism, platform or country", str(exc),
                           type_="https://w3id.org/neaspec-kg/problems/not-found", value=exc.text,
                           suggestions=[{"id": x} for x in exc.suggestions]) from None
    except DateError as exc:
        raise ProblemError(400, "Invalid date", str(exc), parameter="as_of",
                           type_="https://w3id.org/neaspec-kg/problems/invalid-parameter") from None
    except UnknownModalityError as exc:
        raise ProblemError(400, "Unknown modality", str(exc), parameter="modalities", value=exc.text,
                           type_="https://w3id.org/neaspec-kg/problems/invalid-parameter",
                           suggestions=[{"id": m} for m in exc.known]) from None
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
    rest: RestService = state.rest
    return rest


#: OpenAPI schemas of the catalogue's parameter types (neaspec_kg/catalogue.py::Param.to_term checks them)
_PARAM_SCHEMAS: dict[str, dict[str, Any]] = {
    "mechanism": {"type": "string", "examples": ["eanet"]},
    "country": {"type": "string", "examples": ["KOR"]},
    "focus": {"type": "string", "examples": ["air-pollution"]},
    "iri": {"type": "string", "format": "iri"},
    "integer": {"type": "integer"},
    "decimal": {"type": "number"},
    "boolean": {"type": "boolean"},
    "date": {"type": "string", "format": "date"},
}


def _query_param(p: catalogue.Param) -> dict[str, Any]:
    """One catalogue parameter as an OpenAPI query parameter (repeatable ones as exploded arrays)."""
    schema = _PARAM_SCHEMAS.get(p.type, {"type": "string"})
    return {"name": p.name, "in": "query", "required": p.required, "description": p.description,
            "schema": {"type": "array", "items": schema} if p.multiple else schema,
            **({"style": "form", "explode": True} if p.multiple else {})}


def _query_media(form: str) -> dict[str, Any]:
    if form == "CONSTRUCT" or form == "DESCRIBE":
        return {"text/turtle": {}}
    if form == "ASK":
        return {"application/sparql-results+json": {}}
    return {"application/sparql-results+json": {}, "text/csv": {}}


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
                                                     pattern=DATE_PATTERN)] = None) -> Response:
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
                as_of: Annotated[str | None, Query(pattern=DATE_PATTERN)] = None) -> Response:
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

    @r.get("/overlap", tags=["analysis"], response_model=OverlapAnswer, responses=PROBLEMS,
           summary="Who works on a focus area (or anything narrower), with every piece of evidence and its sources",
           description='`focus` is free text ("air quality", "migratory birds", "Amur tiger and leopard"), an id '
                       "(`air-quality`) or an IRI; case, spacing, punctuation and plurals do not matter. Each "
                       "mechanism lists its evidence strongest first: stated focus, programme area, platform, "
                       "delivered activity, partial activity, engagement; `min_evidence` sets the weakest kind "
                       "(`stated-focus` gives Table 2 answers). Planned and proposed work is listed apart, in "
                       "`planned_or_proposed`, never as delivered. `country` keeps the work that country takes "
                       "part in (a platform's own coverage counts: NEAMPAN covers every NEASPEC member but "
                       "Mongolia); `as_of` counts only memberships known to hold on that day.")
    def overlap(request: Request,
                focus: Annotated[str, Query(min_length=1, max_length=500, examples=["air quality"])],
                country: Annotated[str | None, Query(pattern=r"^[A-Za-z]{3}$", examples=["KOR"])] = None,
                as_of: Annotated[str | None, Query(pattern=DATE_PATTERN, examples=["2020-07-10"])] = None,
                min_evidence: Annotated[str, Query(pattern=KIND_PATTERN)] = "engagement",
                include_related: Annotated[bool, Query(
                    description="also mechanisms outside Table 2 (conventions, partnerships)")] = False,
                related_concepts: Annotated[bool, Query(description="also related focus areas (weaker)")] = False,
                broader_concepts: Annotated[bool, Query(
                    description="also mechanisms working on something broader (weaker)")] = False,
                limit: Annotated[int, Query(ge=1, le=10_000, description=(
                    "at most this many mechanisms in each list, strongest evidence first; `total` says how many "
                    "were found"))] = 500) -> Response:
        s = service(request)
        key = ("overlap", focus, country, as_of, min_evidence, include_related, related_concepts, broader_concepts,
               limit)
        return s.answer(key, lambda: s.analyst.overlap(
            focus, country=country, as_of=as_of, min_evidence=min_evidence, include_related=include_related,
            related_concepts=related_concepts, broader_concepts=broader_concepts, limit=limit))

    @r.get("/duplication", tags=["analysis"], response_model=DuplicationAnswer, responses=PROBLEMS,
           summary="Pairs of mechanisms ranked as paragraph 36 of the note judges duplication, each explained "
                   "with its evidence, the note's own judgements and the coordination that lowers the risk",
           description="Levels, in order: flagged (the note records a duplication concern), risk (same focus, "
                       "same kind of activity, same countries, no coordination), coordinated, overlap, "
                       "complementary (same theme, different focus, object of work or scope), distinct. The top "
                       "`limit` pairs (default 10) are returned; `total` says how many met the filters. See the "
                       "README, section 'Duplication as paragraph 36 judges it'.")
    def duplication(request: Request,
                    theme: Annotated[str | None, Query(max_length=500, examples=["marine"])] = None,
                    country: Annotated[str | None, Query(pattern=r"^[A-Za-z]{3}$")] = None,
                    mechanism: Annotated[str | None, Query(max_length=80)] = None,
                    as_of: Annotated[str | None, Query(pattern=DATE_PATTERN)] = None,
                    min_score: Annotated[float, Query(ge=0, le=1, allow_inf_nan=False)] = 0.0,
                    limit: Annotated[int, Query(ge=1, le=10_000)] = 10,
                    include_related: bool = False) -> Response:
        s = service(request)
        key = ("duplication", theme, country, mechanism, as_of, min_score, limit, include_related)
        return s.answer(key, lambda: s.analyst.duplication(
            theme=theme, country=country, mechanism=mechanism, as_of=as_of, min_score=min_score,
            include_related=include_related, limit=limit))

    @r.get("/duplication/pairs/{a}/{b}", tags=["analysis"], response_model=PairAnswer, responses=PROBLEMS,
           summary="How two mechanisms (or a platform and a mechanism) relate: the level, the evidence on each "
                   "side, shared countries, coordination and what the note itself says")
    def pair(request: Request, a: str, b: str,
             as_of: Annotated[str | None, Query(pattern=DATE_PATTERN)] = None) -> Response:
        s = service(request)
        return s.answer(("pair", a.lower(), b.lower(), as_of), lambda: s.analyst.pair(a, b, as_of=as_of))

    @r.post("/duplication/check", tags=["analysis"], response_model=CheckAnswer, responses=PROBLEMS,
            summary="Check a proposed piece of work before adopting it: who already does it, ranked, with the "
                    "paragraph-36 verdict and the evidence",
            description="The body names the work in everyday words (`focus`), how it would be done "
                        "(`modalities`, e.g. research, monitoring, capacity-building), the countries taking "
                        "part and, optionally, the proposing mechanism (so that existing coordination with it "
                        "counts and its own work is shown as its own).")
    def check(request: Request, work: ProposedWork) -> Response:
        s = service(request)
        key = ("check", work.model_dump_json())
        return s.answer(key, lambda: s.analyst.check(work))

    @r.get("/proposals", tags=["analysis"], response_model=ProposalsAnswer,
           summary="The 31 proposals of paragraph 21 for the Strategic Plan 2021-2025, each with who already "
                   "covers it")
    def proposals(request: Request) -> Response:
        s = service(request)
        return s.answer(("proposals",), s.analyst.proposals)

    @r.get("/countries/{code}/participation", tags=["countries"], response_model=CountryAnswer,
           responses=PROBLEMS,
           summary="The mechanisms and platforms a country takes part in, as of a day: members, observers, and "
                   "those whose participation on that day cannot be shown (uncertain)")
    def participation(request: Request, code: str,
                      as_of: Annotated[str | None, Query(pattern=DATE_PATTERN)] = None) -> Response:
        s = service(request)
        return s.answer(("participation", code.upper(), as_of),
                        lambda: s.analyst.country_participation(code, as_of=as_of))

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

    def run_named(request: Request, name: str, format: str) -> Response:
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
        return Response(result.serialize(format="turtle"), media_type="text/turtle")

    # one documented operation per named query, its parameters typed from the .rq header (as grlc does), so
    # a client generator or the /docs page shows "members of a mechanism" with a mechanism id, not a bare name
    def operation(name: str) -> Callable[..., Response]:
        def named(request: Request, format: Annotated[str, Query(pattern="^(json|csv)$")] = "json") -> Response:
            return run_named(request, name, format)
        return named

    for q in catalogue.catalogue().values():
        r.add_api_route(f"/queries/{q.name}", operation(q.name), methods=["GET"], tags=["queries"], summary=q.title,
                        description=q.description, operation_id=f"query_{q.name.replace('-', '_')}",
                        responses={**PROBLEMS, 200: {"content": _query_media(q.form)}},
                        openapi_extra={"parameters": [_query_param(p) for p in q.params]})

    @r.get("/queries/{name}", tags=["queries"], responses=PROBLEMS,
           summary="Run any named query by name with typed parameters given as query-string arguments (repeat "
                   "one to give several values); SPARQL JSON results, or CSV with format=csv")
    def run_query(request: Request, name: str,
                  format: Annotated[str, Query(pattern="^(json|csv)$")] = "json") -> Response:
        return run_named(request, name, format)

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
