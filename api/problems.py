"""Errors as ``application/problem+json`` (RFC 9457), for every route of the app.

One format for all errors lets clients (the SPARQL editor, scripts, the REST API's users) read the reason
for a failure the same way everywhere, and guarantees that no error ever leaks a stack trace or an HTML
page: routing errors (404, 405), validation errors (422), our own ``ProblemError`` and any unexpected
exception (500) all go through the handlers installed here.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

PROBLEM_MEDIA_TYPE = "application/problem+json"
#: base of the ``type`` IRIs of the problems this project defines
PROBLEM_BASE = "https://w3id.org/neaspec-kg/problems/"
_RESERVED = {"type", "title", "status", "detail", "instance"}

log = logging.getLogger(__name__)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def problem(
    status: int,
    title: str | None = None,
    detail: str | None = None,
    *,
    type_: str = "about:blank",
    headers: Mapping[str, str] | None = None,
    **extensions: Any,
) -> Response:
    """A problem-details response. ``type_`` ``about:blank`` means "nothing more than the status code"
    (RFC 9457 §4.2.1), so its title defaults to the status phrase; extension members (``line``,
    ``column``, ``limit``, ...) are added at the top level as the RFC prescribes."""
    clash = _RESERVED & set(extensions)
    if clash:
        raise ValueError(f"extension members may not redefine {sorted(clash)}")
    body: dict[str, Any] = {"type": type_, "title": title or _phrase(status), "status": status}
    if detail:
        body["detail"] = detail
    body.update(jsonable_encoder(extensions))
    return Response(
        json.dumps(body, ensure_ascii=False).encode("utf-8"),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=dict(headers or {}),
    )


class ProblemError(Exception):
    """Raise anywhere in a route to answer with a problem document; see ``problem`` for the fields."""

    def __init__(
        self,
        status: int,
        title: str | None = None,
        detail: str | None = None,
        *,
        type_: str = "about:blank",
        headers: Mapping[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail or title or _phrase(status))
        self.status = status
        self.title = title
        self.detail = detail
        self.type_ = type_
        self.headers = dict(headers or {})
        self.extensions = extensions

    def response(self) -> Response:
        return problem(self.status, self.title, self.detail, type_=self.type_, headers=self.headers,
                       **self.extensions)


async def _on_problem(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ProblemError)
    return exc.response()


async def _on_http_exception(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) and exc.detail != _phrase(exc.status_code) else None
    return problem(exc.status_code, detail=detail, headers=exc.headers)


async def _on_validation_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [{k: v for k, v in e.items() if k in {"loc", "msg", "type"}} for e in exc.errors()]
    return problem(422, "Invalid request parameters", "; ".join(str(e.get("msg")) for e in errors),
                   type_=PROBLEM_BASE + "invalid-parameters", errors=errors)


async def _on_unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem(500, detail="An unexpected error occurred; it has been logged.")


def install_problem_handlers(app: FastAPI) -> None:
    """Make every error response of ``app`` a problem document (never a stack trace or an HTML page)."""
    app.add_exception_handler(ProblemError, _on_problem)
    app.add_exception_handler(StarletteHTTPException, _on_http_exception)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(Exception, _on_unexpected)


#: the shape of every error answer, as OpenAPI documents it (RFC 9457 and the extensions we use)
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details: what was wrong and where. Extension members name the parameter, "
                   "the value, the limit or the closest known ids, depending on the problem.",
    "properties": {
        "type": {"type": "string", "format": "uri"}, "title": {"type": "string"}, "status": {"type": "integer"},
        "detail": {"type": "string"}, "instance": {"type": "string"}, "parameter": {"type": "string"},
        "value": {"type": "string"}, "suggestions": {"type": "array", "items": {"type": "object"}},
        "errors": {"type": "array", "items": {"type": "object"}},
    },
    "required": ["type", "title", "status"],
    "additionalProperties": True,
}


_SPARQL_ANSWERS = ["application/sparql-results+json", "application/sparql-results+xml", "text/csv",
                   "text/tab-separated-values", "text/turtle", "application/n-triples", "application/ld+json",
                   "application/rdf+xml", "text/html"]
_SPARQL_ERRORS = {"400": "malformed request, syntax error or a query too complex",
                  "403": "an update or a SERVICE call, refused", "406": "no acceptable result format",
                  "413": "request too large", "415": "unsupported request body type",
                  "422": "result larger than the row or byte budget", "502": "a SERVICE call failed",
                  "503": "every worker busy and the queue full (with Retry-After), or the query stopped at the "
                                 "time limit (problem type query-timeout, no Retry-After)"}
#: what some routes answer beyond what FastAPI infers from their signatures: (path, method) -> status ->
#: (description, media types); None as media types means a problem document
EXTRA_RESPONSES: dict[tuple[str, str], dict[str, tuple[str, list[str] | None]]] = {
    ("/sparql", "get"): {"200": ("query results, the service description or the editor", _SPARQL_ANSWERS)}
    | {s: (d, None) for s, d in _SPARQL_ERRORS.items()},
    ("/sparql", "post"): {"200": ("query results", _SPARQL_ANSWERS)}
    | {s: (d, None) for s, d in _SPARQL_ERRORS.items()},
    ("/export", "get"): {"200": ("the download", ["text/turtle", "application/n-triples", "application/ld+json",
                                                 "application/trig", "text/csv", "application/graphml+xml"])},
    ("/queries/{name}", "get"): {"200": ("SPARQL results (JSON or CSV) or a graph", [
        "application/sparql-results+json", "text/csv", "text/turtle"])},
    ("/graph/overlap", "get"): {"404": ("no focus area or mechanism has that name: a page with the closest",
                                        ["text/html"])},
    ("/graph/mechanism/{mechanism_id}", "get"): {"404": ("unknown mechanism: a page with the closest ids",
                                                          ["text/html"])},
    ("/id/{path}", "get"): {"400": ("a malformed format or path", None)},
    ("/ontology", "get"): {"400": ("a malformed format", None)},
}


#: what every answer computed by the analyses may also be (api.admission, api.offload); not SPARQL, which has
#: its own, nor the health check, which never waits
BUSY_503 = ("busy: the analysis queue is full or the analysis process restarted (with Retry-After), or the "
            "answer stopped at the time limit (problem type analysis-timeout, no Retry-After)")
_NOT_GATED = {"/sparql", "/healthz"}


def document_problems(schema: dict[str, Any]) -> dict[str, Any]:
    """Make the OpenAPI document say what the server does: every 4xx and 5xx answer is
    ``application/problem+json`` with the Problem schema (FastAPI's default documents 422 as plain JSON of
    its own shape, which this server never sends), and the routes that answer in several media types or with
    more statuses than their signatures show say so (``EXTRA_RESPONSES``)."""
    schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            if not isinstance(operation, dict):
                continue
            responses = operation.setdefault("responses", {})
            if path not in _NOT_GATED:
                responses.setdefault("503", {"description": BUSY_503})
            for status, (description, media) in EXTRA_RESPONSES.get((path, method), {}).items():
                content = problem if media is None else {m: {} for m in media}
                if status in responses and media is not None and status == "200":
                    content = {**responses[status].get("content", {}), **content}
                responses[status] = {"description": description, "content": content}
            for status, response in responses.items():
                if status[:1] in {"4", "5"} and isinstance(response, dict) and "text/html" not in (
                        response.get("content") or {}):
                    response["content"] = dict(problem)
    for unused in ("HTTPValidationError", "ValidationError"):
        schema["components"]["schemas"].pop(unused, None)
    return schema
