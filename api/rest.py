"""The REST API: thin routes over ``neaspec_kg.analysis`` and the named-query catalogue, each answer
memoised by ``api.service.RestService`` (given to every route as ``api.deps.Service``)."""
from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from api.deps import Service
from api.models import QueryCatalogue
from api.problems import ProblemError
from api.service import RestService
from neaspec_kg import catalogue, formatting
from neaspec_kg.analysis import EVIDENCE_KINDS
from neaspec_kg.export import FORMATS, TABLES, export, export_table, with_prefixes
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
from neaspec_kg.models_profiles import (
    CountryDetail,
    CountryList,
    FocusDetail,
    FocusTree,
    MechanismDetail,
    MechanismList,
)

JSON = "application/json"
PROBLEMS: dict[int | str, dict[str, Any]] = {
    404: {"description": "Unknown id or focus; the body lists the closest known ones",
          "content": {"application/problem+json": {}}},
    400: {"description": "A parameter is missing or malformed; the body names it",
          "content": {"application/problem+json": {}}}}


DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
KIND_PATTERN = "^(" + "|".join(EVIDENCE_KINDS[:6]) + ")$"
#: module level: annotations are strings here (PEP 563), so FastAPI must find the pattern by name
EXPORT_PATTERN = "^(" + "|".join(re.escape(f) for f in [*FORMATS, *TABLES]) + ")$"


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


router = APIRouter()


@router.get("/mechanisms", tags=["mechanisms"], response_model=MechanismList,
            summary="All mechanisms: the eight of Table 2 first, then related conventions and partnerships")
def mechanisms(s: Service) -> Response:
    return s.answer(("mechanisms",), lambda: MechanismList(count=len(s.profiles.mechanisms()),
                                                            mechanisms=s.profiles.mechanisms()))


@router.get("/mechanisms/{mechanism_id}", tags=["mechanisms"], response_model=MechanismDetail, responses=PROBLEMS,
            summary="One mechanism: members, secretariat, governing bodies, focus areas, platforms, engagements, "
                    "each with its sources")
def mechanism(s: Service, mechanism_id: str,
              as_of: Annotated[str | None, Query(description="members as of a date, YYYY-MM-DD",
                                                 pattern=DATE_PATTERN)] = None) -> Response:
    return s.answer(("mechanism", mechanism_id.lower(), as_of), lambda: s.profiles.mechanism(mechanism_id,
                                                                                              as_of=as_of))


@router.get("/countries", tags=["countries"], response_model=CountryList,
            summary="All countries, by number of mechanisms")
def countries(s: Service) -> Response:
    return s.answer(("countries",), lambda: CountryList(count=len(s.profiles.countries()),
                                                         countries=s.profiles.countries()))


@router.get("/countries/{code}", tags=["countries"], response_model=CountryDetail, responses=PROBLEMS,
            summary="One country (ISO 3166-1 alpha-3) and the mechanisms it takes part in")
def country(s: Service, code: str,
            as_of: Annotated[str | None, Query(pattern=DATE_PATTERN)] = None) -> Response:
    return s.answer(("country", code.upper(), as_of), lambda: s.profiles.country(code, as_of=as_of))


@router.get("/focus-areas", tags=["focus areas"], response_model=FocusTree,
            summary="The focus-area thesaurus as a tree: thematic areas and the focus areas beneath them")
def focus_areas(s: Service) -> Response:
    return s.answer(("focus-areas",), lambda: FocusTree(themes=s.profiles.focus_tree()))


@router.get("/focus-areas/{focus_id}", tags=["focus areas"], response_model=FocusDetail, responses=PROBLEMS,
            summary="One focus or thematic area with its labels, broader and narrower concepts")
def focus_area(s: Service, focus_id: str) -> Response:
    return s.answer(("focus-area", focus_id), lambda: s.profiles.focus_area(focus_id))


@router.get("/overlap", tags=["analysis"], response_model=OverlapAnswer, responses=PROBLEMS,
            summary="Who works on a focus area (or anything narrower), with every piece of evidence and its sources",
            description='`focus` is free text ("air quality", "migratory birds", "Amur tiger and leopard"), an id '
                        "(`air-quality`) or an IRI; case, spacing, punctuation and plurals do not matter. Each "
                        "mechanism lists its evidence strongest first: stated focus, programme area, platform, "
                        "delivered activity, partial activity, engagement; `min_evidence` sets the weakest kind "
                        "(`stated-focus` gives Table 2 answers). Planned and proposed work is listed apart, in "
                        "`planned_or_proposed`, never as delivered. `country` keeps the work that country takes "
                        "part in (a platform's own coverage counts: NEAMPAN covers every NEASPEC member but "
                        "Mongolia); `as_of` counts only memberships known to hold on that day.")
def overlap(s: Service, focus: Annotated[str, Query(min_length=1, max_length=500, examples=["air quality"])],
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
    key = ("overlap", focus, country, as_of, min_evidence, include_related, related_concepts, broader_concepts,
           limit)
    return s.answer(key, lambda: s.analyst.overlap(
        focus, country=country, as_of=as_of, min_evidence=min_evidence, include_related=include_related,
        related_concepts=related_concepts, broader_concepts=broader_concepts, limit=limit))


@router.get("/duplication", tags=["analysis"], response_model=DuplicationAnswer, responses=PROBLEMS,
            summary="Pairs of mechanisms ranked as paragraph 36 of the note judges duplication, each explained "
                    "with its evidence, the note's own judgements and the coordination that lowers the risk",
            description="Levels, in order: flagged (the note records a duplication concern), risk (same focus, "
                        "same kind of activity, same countries, no coordination), coordinated, overlap, "
                        "complementary (same theme, different focus, object of work or scope), distinct. The top "
                        "`limit` pairs (default 10) are returned; `total` says how many met the filters. See the "
                        "README, section 'Duplication as paragraph 36 judges it'.")
def duplication(s: Service, theme: Annotated[str | None, Query(max_length=500, examples=["marine"])] = None,
                country: Annotated[str | None, Query(pattern=r"^[A-Za-z]{3}$")] = None,
                mechanism: Annotated[str | None, Query(max_length=80)] = None,
                as_of: Annotated[str | None, Query(pattern=DATE_PATTERN)] = None,
                min_score: Annotated[float, Query(ge=0, le=1, allow_inf_nan=False)] = 0.0,
                limit: Annotated[int, Query(ge=1, le=10_000)] = 10,
                include_related: bool = False) -> Response:
    key = ("duplication", theme, country, mechanism, as_of, min_score, limit, include_related)
    return s.answer(key, lambda: s.analyst.duplication(
        theme=theme, country=country, mechanism=mechanism, as_of=as_of, min_score=min_score,
        include_related=include_related, limit=limit))


@router.get("/duplication/pairs/{a}/{b}", tags=["analysis"], response_model=PairAnswer, responses=PROBLEMS,
            summary="How two mechanisms (or a platform and a mechanism) relate: the level, the evidence on each "
                    "side, shared countries, coordination and what the note itself says")
def pair(s: Service, a: str, b: str,
         as_of: Annotated[str | None, Query(pattern=DATE_PATTERN)] = None) -> Response:
    return s.answer(("pair", a.lower(), b.lower(), as_of), lambda: s.analyst.pair(a, b, as_of=as_of))


@router.post("/duplication/check", tags=["analysis"], response_model=CheckAnswer, responses=PROBLEMS,
             summary="Check a proposed piece of work before adopting it: who already does it, ranked, with the "
                     "paragraph-36 verdict and the evidence",
             description="The body names the work in everyday words (`focus`), how it would be done "
                         "(`modalities`, e.g. research, monitoring, capacity-building), the countries taking "
                         "part and, optionally, the proposing mechanism (so that existing coordination with it "
                         "counts and its own work is shown as its own).")
def check(s: Service, work: ProposedWork) -> Response:
    key = ("check", work.model_dump_json())
    return s.answer(key, lambda: s.analyst.check(work))


@router.get("/proposals", tags=["analysis"], response_model=ProposalsAnswer,
            summary="The 31 proposals of paragraph 21 for the Strategic Plan 2021-2025, each with who already "
                    "covers it")
def proposals(s: Service) -> Response:
    return s.answer(("proposals",), s.analyst.proposals)


@router.get("/countries/{code}/participation", tags=["countries"], response_model=CountryAnswer,
            responses=PROBLEMS,
            summary="The mechanisms and platforms a country takes part in, as of a day: members, observers, and "
                    "those whose participation on that day cannot be shown (uncertain)")
def participation(s: Service, code: str,
                  as_of: Annotated[str | None, Query(pattern=DATE_PATTERN)] = None) -> Response:
    return s.answer(("participation", code.upper(), as_of),
                    lambda: s.analyst.country_participation(code, as_of=as_of))


@router.get("/queries", tags=["queries"], response_model=QueryCatalogue,
            summary="The named-query catalogue: each query with its parameters, an example and a link that runs it")
def queries(s: Service) -> Response:

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


def run_named(request: Request, s: RestService, name: str, format: str) -> Response:
    """A named query's answer, the parameters read from the query string (repeated ones as lists)."""
    if name not in catalogue.catalogue():
        raise ProblemError(404, "Unknown query", f"no named query {name!r}",
                           suggestions=[{"id": n} for n in catalogue.names()])
    params: dict[str, object] = {}
    for key in request.query_params:
        if key != "format":
            values = request.query_params.getlist(key)
            params[key] = values if len(values) > 1 else values[0]
    result = s.compute(lambda: run(s.store, name, params))
    if isinstance(result, bool):
        return Response(json.dumps({"head": {}, "boolean": result}), media_type="application/sparql-results+json")
    if isinstance(result, list):
        columns = formatting.columns_of(result)
        if format == "csv":
            return Response(formatting.to_csv(result, columns), media_type="text/csv; charset=utf-8")
        return Response(formatting.to_sparql_json(result, columns), media_type="application/sparql-results+json")
    return Response(with_prefixes(result).serialize(format="turtle", encoding="utf-8"), media_type="text/turtle")


def _operation(name: str) -> Callable[..., Response]:
    def named(request: Request, s: Service,
              format: Annotated[str, Query(pattern="^(json|csv)$")] = "json") -> Response:
        return run_named(request, s, name, format)
    return named


# one documented operation per named query, its parameters typed from the .rq header (as grlc does), so
# a client generator or the /docs page shows "members of a mechanism" with a mechanism id, not a bare name
for q in catalogue.catalogue().values():
    router.add_api_route(f"/queries/{q.name}", _operation(q.name), methods=["GET"], tags=["queries"],
                         summary=q.title, description=q.description,
                         operation_id=f"query_{q.name.replace('-', '_')}",
                         responses={**PROBLEMS, 200: {"content": _query_media(q.form)}},
                         openapi_extra={"parameters": [_query_param(p) for p in q.params]})


@router.get("/queries/{name}", tags=["queries"], responses=PROBLEMS,
            summary="Run any named query by name with typed parameters given as query-string arguments (repeat "
                    "one to give several values); SPARQL JSON results, or CSV with format=csv")
def run_query(request: Request, s: Service, name: str,
              format: Annotated[str, Query(pattern="^(json|csv)$")] = "json") -> Response:
    return run_named(request, s, name, format)


@router.get("/export", tags=["downloads"],
            summary="Downloads: the whole graph as Turtle, TriG (one named graph per source), JSON-LD or "
                    "N-Triples; CSV tables (members.csv, focus-areas.csv, duplication.csv); GraphML")
def download(s: Service, format: Annotated[str, Query(pattern=EXPORT_PATTERN)] = "turtle") -> Response:
    if format in FORMATS:
        _fmt, media, ext = FORMATS[format]
        name = f"neaspec-kg.{ext}"
        body = s.memo(("export", format), lambda: export(s.store, format))
    else:
        media, name = TABLES[format]
        body = s.memo(("export", format), lambda: export_table(s.store, format))
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})


