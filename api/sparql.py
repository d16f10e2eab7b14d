"""``/sparql``: the SPARQL 1.1 Protocol query operation, the service description and the query editor.

What the W3C SPARQL 1.1 Protocol asks of the query operation, and how this module does it:

- three ways to send a query: ``GET ?query=``, ``POST`` ``application/x-www-form-urlencoded`` and ``POST``
  ``application/sparql-query``; ``default-graph-uri`` / ``named-graph-uri`` (repeatable) set the dataset;
- content negotiation (with q-values) between the SPARQL results formats (JSON, XML, CSV, TSV) for SELECT
  and ASK, and RDF formats (Turtle, N-Triples, JSON-LD, RDF/XML) for CONSTRUCT and DESCRIBE; 406 when none
  is acceptable;
- 400 for malformed requests (two ``query`` parameters, missing or wrong media type, a body that is not
  UTF-8, a syntax error, reported with the parser's line and column);
- ``GET /sparql`` without a query returns the SPARQL 1.1 Service Description, or for a browser an HTML
  editor (YASGUI, served from our own static files) preloaded with the named-query catalogue.

On top of the Protocol, the endpoint is safe to expose: it is read-only (updates are refused with 403);
``SERVICE`` is refused with 403 unless its IRI is allow-listed (found here by a conservative lexical scan
before anything runs; with an empty allow-list the workers cannot open a connection at all); queries run
in ``api.query_pool`` worker processes with a timeout, a row cap and a bounded queue, never on the event
loop. Every error is an RFC 9457 problem document (``api.problems``).
"""
from __future__ import annotations

import asyncio
import logging
import re
import tempfile
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass
from typing import IO, Any
from urllib.parse import parse_qsl, urljoin

import pyoxigraph as ox
from fastapi import APIRouter, Request
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response, StreamingResponse

from api.i18n import gettext_for
from api.negotiation import (
    ASK_TYPES,
    DESCRIPTION_TYPES,
    GRAPH_TYPES,
    HTML_TYPE,
    SELECT_TYPES,
    SPARQL_RDF_FORMATS,
    negotiate,
)
from api.problems import PROBLEM_BASE, ProblemError
from api.query_pool import (
    NotAcceptable,
    PoolBusy,
    PoolClosed,
    QueryEvaluationError,
    QueryJob,
    QueryPool,
    QueryResult,
    QuerySyntaxError,
    QueryTimeout,
    TooManyBytes,
    TooManyRows,
    WorkerCrashed,
)
from api.remote_pool import RemotePool
from api.settings import Settings
from api.views import ENV, language
from neaspec_kg.catalogue import catalogue
from neaspec_kg.errors import NeaspecKgError
from neaspec_kg.namespaces import DCTERMS, RDF
from neaspec_kg.views.script_json import script_json

log = logging.getLogger(__name__)

# --------------------------------------------------------------------------- request media types

FORM_TYPE = "application/x-www-form-urlencoded"
QUERY_TYPE = "application/sparql-query"
UPDATE_TYPE = "application/sparql-update"
ALLOW = "GET, POST, OPTIONS"
#: how long a refusal (503, queue or client share full) is held before it is sent
REFUSAL_PAUSE_S = 0.5
#: answers larger than this are written to an unnamed temporary file as soon as they arrive from the worker
#: and streamed to the client from it: a client that reads slowly (or never) then holds a file, not the
#: main process's memory (the byte budget allows 16 MB per answer; six clients that never read once held
#: 3.6 GB of it)
SPOOL_BYTES = 1 << 20
#: bytes read from a spooled answer per chunk sent
SPOOL_CHUNK = 256 * 1024


# --------------------------------------------------------------------------- a lexical look at the query

_UNICODE_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
#: a linear-time tokenizer (no nested quantifiers that could backtrack): strings, IRIs, variables and
#: comments are recognised as the SPARQL grammar defines them; everything else is "code" (keywords, prefixed
#: names, numbers, operators, with PN_LOCAL backslash escapes kept inside) or a single punctuation character
_TOKEN = re.compile(
    r"""
      (?P<ws>\s+)
    | (?P<comment>\#[^\r\n]*)
    | (?P<string>'''(?:(?:'|'')?(?:[^'\\]|\\.))*'''
               | \"\"\"(?:(?:"|"")?(?:[^"\\]|\\.))*\"\"\"
               | '(?:[^'\\\r\n]|\\.)*'
               | "(?:[^"\\\r\n]|\\.)*")
    | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
    | (?P<var>[?$][\w\u00B7\u0300-\u036F\u203F-\u2040]*)
    | (?P<lang>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
    | (?P<code>(?:[^\s\#"'<>?$@{}()\[\],;\\]|\\.)+)
    | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)
_SERVICE = re.compile("service", re.IGNORECASE)
#: beyond this many SERVICE clauses a query is refused without looking further (bounds the scan's work)
MAX_SERVICE_CLAUSES = 64
QUERY_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
UPDATE_KEYWORDS = ("INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH")


@dataclass(frozen=True)
class ServiceTarget:
    """The endpoint of one SERVICE clause: ``iri`` is None for a variable or an unresolvable name."""

    written: str
    iri: str | None


@dataclass(frozen=True)
class QueryScan:
    form: str | None
    is_update: bool
    services: tuple[ServiceTarget, ...]
    #: deepest nesting of { ( [ and the number of UNION and OPTIONAL clauses: the parser recurses on them, and
    #: a query of ten thousand nested braces overflows its stack (a crashed worker) instead of failing politely
    depth: int = 0
    clauses: int = 0


#: beyond these a query is refused as too complex before it reaches a worker (far above any real query)
MAX_NESTING = 200
MAX_CLAUSES = 2000


Token = tuple[str, str]


def _tokens(text: str) -> list[Token]:
    out = []
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup or "other"
        if kind not in {"ws", "comment"}:
            out.append((kind, m.group()))
    return out


def _unescape_codepoints(text: str) -> str:
    """SPARQL 1.1 §19.2: ``\\uXXXX`` escapes are replaced before parsing, anywhere in the query, so a
    keyword can be spelt ``\\u0053ERVICE``; undo them first so that the scan sees what the parser sees."""

    def replace(m: re.Match[str]) -> str:
        try:
            return chr(int(m.group(1) or m.group(2), 16))
        except (ValueError, OverflowError):
            return m.group()

    return _UNICODE_ESCAPE.sub(replace, text)


def _strip_keyword(stream: list[Token], keyword: str) -> list[Token] | None:
    """``stream`` without a leading ``keyword``, which may be glued to what follows (``SILENT<x>`` and
    ``SILENTex:a`` both parse); None when it does not start with the keyword."""
    if not stream or stream[0][0] != "code" or not stream[0][1].upper().startswith(keyword):
        return None
    rest = stream[0][1][len(keyword):]
    return ([("code", rest)] if rest else []) + stream[1:]


def _service_target(stream: list[Token], base: str | None, prefixes: dict[str, str]) -> ServiceTarget | None:
    """What follows an occurrence of SERVICE, if it has the shape of a SERVICE clause:
    ``[SILENT] (IRI | variable | prefixed name) {``. Anything else cannot parse as a SERVICE clause."""
    stream = _strip_keyword(stream, "SILENT") or stream
    if len(stream) < 2 or stream[1] != ("other", "{"):
        return None
    kind, written = stream[0]
    if kind == "iri":
        return ServiceTarget(written, urljoin(base or "", written[1:-1]))
    if kind == "var":
        return ServiceTarget(written, None)
    if kind == "code" and ":" in written:
        prefix, _, local = written.partition(":")
        iri = prefixes[prefix] + re.sub(r"\\(.)", r"\1", local) if prefix in prefixes else None
        return ServiceTarget(written, iri)
    return None


def scan_query(text: str) -> QueryScan:
    """The query form, whether it is an update, and every SERVICE target, found outside comments, string
    literals and IRIs.

    The parser in the worker has the last word on syntax; this scan has to over-approximate. Oxigraph's
    parser does not need a space after a keyword (``SERVICEex:a {}``, ``true.SERVICE <x> {}`` and
    ``SERVICESILENT<x> {}`` all parse), so every occurrence of "service" outside strings, IRIs and comments
    counts when what follows has the shape of a SERVICE clause, and a target that cannot be resolved counts
    as a SERVICE that is not allowed. (Without an allow-list the workers cannot open connections anyway.)"""
    tokens = _tokens(_unescape_codepoints(text))
    base: str | None = None
    prefixes: dict[str, str] = {}
    i = 0
    while i < len(tokens):  # the prologue
        window = tokens[i:i + 3]
        rest = _strip_keyword(window, "BASE")
        if rest and rest[0][0] == "iri":
            base = urljoin(base or "", rest[0][1][1:-1])
            i += len(window) - len(rest) + 1
            continue
        rest = _strip_keyword(window, "PREFIX")
        if rest and len(rest) > 1 and rest[0][0] == "code" and rest[0][1].endswith(":") and rest[1][0] == "iri":
            prefixes[rest[0][1][:-1]] = urljoin(base or "", rest[1][1][1:-1])
            i += len(window) - len(rest) + 2
            continue
        break
    form = None
    if i < len(tokens) and tokens[i][0] == "code":
        first = tokens[i][1].upper()
        form = next((k for k in QUERY_FORMS + UPDATE_KEYWORDS if first.startswith(k)), None)
    depth = deepest = clauses = 0
    for kind, value in tokens:
        if kind == "other":
            if value in "{([":
                depth += 1
                deepest = max(deepest, depth)
            elif value in "})]":
                depth -= 1
        elif kind == "code" and value.upper() in ("UNION", "OPTIONAL", "MINUS"):
            clauses += 1
    return QueryScan(form=form, is_update=form in UPDATE_KEYWORDS, services=_services(tokens, base, prefixes),
                     depth=deepest, clauses=clauses)


def _services(tokens: list[Token], base: str | None, prefixes: dict[str, str]) -> tuple[ServiceTarget, ...]:
    """Every occurrence of "service" in code that has the shape of a SERVICE clause, in linear time."""
    services: list[ServiceTarget] = []
    for j, (kind, value) in enumerate(tokens):
        if kind != "code":
            continue
        glued_target_possible = j + 1 < len(tokens) and tokens[j + 1] == ("other", "{")
        for m in _SERVICE.finditer(value):
            tail = len(value) - m.end()
            if tail and not glued_target_possible and not (tail == 6 and value[m.end():].upper() == "SILENT"):
                continue  # a target glued to the keyword must be followed by "{"
            if len(services) == MAX_SERVICE_CLAUSES:
                return (*services, ServiceTarget("(more SERVICE clauses than this endpoint examines)", None))
            rest = [("code", value[m.end():])] if tail else []
            target = _service_target(rest + tokens[j + 1:j + 4], base, prefixes)
            if target is not None:
                services.append(target)
    return tuple(services)


# --------------------------------------------------------------------------- request parsing


def _own_url(request: Request, settings: Settings) -> str:
    """This server's base URL: the configured public URL, else the address the server is bound to (the ASGI
    ``server`` of the connection), never the Host header a client sent, which anyone can set."""
    if settings.public_url:
        return settings.public_url.rstrip("/")
    server = request.scope.get("server") or (settings.host, settings.port)
    host, port = server[0], server[1]
    host = f"[{host}]" if ":" in str(host) else host
    return f"{request.scope.get('scheme', 'http')}://{host}:{port}{request.scope.get('root_path', '')}"


def _problem(status: int, slug: str, title: str, detail: str, **extensions: Any) -> ProblemError:
    return ProblemError(status, title, detail, type_=PROBLEM_BASE + slug, **extensions)


def _bad_request(detail: str, **extensions: Any) -> ProblemError:
    return _problem(400, "malformed-request", "Malformed SPARQL Protocol request", detail, **extensions)


def _utf8(data: bytes, what: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _bad_request(f"The {what} is not valid UTF-8 (byte {data[exc.start]:#04x} at offset {exc.start}); "
                           "the SPARQL Protocol requires UTF-8.") from None


def _parse_params(raw: bytes, what: str) -> list[tuple[str, str]]:
    """``application/x-www-form-urlencoded`` pairs, strictly UTF-8 before and after percent-decoding."""
    try:
        return parse_qsl(_utf8(raw, what), keep_blank_values=True, encoding="utf-8", errors="strict",
                         max_num_fields=1000)
    except UnicodeDecodeError as exc:
        raise _bad_request(f"A percent-encoded value in the {what} is not valid UTF-8: {exc.reason}.") from None
    except ValueError as exc:
        raise _bad_request(f"The {what} cannot be parsed: {exc}.") from None


def _media_type(header: str | None) -> tuple[str | None, dict[str, str]]:
    if not header or not header.strip():
        return None, {}
    media, *params = header.split(";")
    parsed = {}
    for param in params:
        key, _, value = param.partition("=")
        parsed[key.strip().lower()] = value.strip().strip('"')
    return media.strip().lower(), parsed


async def _read_body(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 as soon as it is known to exceed ``limit``: from the
    Content-Length header before reading anything, else while streaming. It is never read whole."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            size = int(declared)
        except ValueError:
            raise _bad_request("Content-Length is not a number.") from None
        if size > limit:
            raise _too_large(limit)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise _too_large(limit)
    return bytes(body)


def _too_large(limit: int) -> ProblemError:
    return _problem(413, "request-too-large", "Request too large",
                    f"This endpoint accepts requests of at most {limit} bytes.", limit=limit)


def _graph_iris(values: Iterable[str], parameter: str) -> tuple[str, ...]:
    out = []
    for value in values:
        try:
            if not re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*:", value):
                raise ValueError("not absolute")
            ox.NamedNode(value)
        except ValueError:
            raise _bad_request(f"{parameter} {value!r} is not an absolute IRI.", parameter=parameter) from None
        out.append(value)
    return tuple(out)


def _updates_refused(detail: str = "") -> ProblemError:
    return _problem(403, "update-not-allowed", "Updates are not allowed",
                    detail or "SPARQL Update is not allowed: this endpoint is read-only.")


# --------------------------------------------------------------------------- the service description

SD = "http://www.w3.org/ns/sparql-service-description#"
FORMATS = "http://www.w3.org/ns/formats/"
VOID = "http://rdfs.org/ns/void#"
ENTAILMENT = "http://www.w3.org/ns/entailment/"
RESULT_FORMAT_IRIS = ["SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV",
                      "Turtle", "N-Triples", "JSON-LD", "RDF_XML"]
SD_PREFIXES = {"sd": SD, "formats": FORMATS, "void": VOID, "ent": ENTAILMENT, "dcterms": DCTERMS, "rdf": RDF}


def service_description(endpoint: str, dataset: Mapping[str, Any], settings: Settings) -> list[ox.Triple]:
    """SPARQL 1.1 Service Description of this endpoint, with the dataset it serves.

    ``sd:UnionDefaultGraph`` is declared because the default graph is the RDF merge of the named graphs
    (see neaspec_kg.store); ``sd:BasicFederatedQuery`` only when some SERVICE endpoint is allowed."""

    def n(iri: str) -> ox.NamedNode:
        return ox.NamedNode(iri)

    a = n(RDF + "type")
    service, ds, default = ox.BlankNode(), ox.BlankNode(), ox.BlankNode()
    triples = [
        ox.Triple(service, a, n(SD + "Service")),
        ox.Triple(service, n(SD + "endpoint"), n(endpoint)),
        ox.Triple(service, n(SD + "supportedLanguage"), n(SD + "SPARQL11Query")),
        ox.Triple(service, n(SD + "feature"), n(SD + "UnionDefaultGraph")),
        ox.Triple(service, n(SD + "defaultEntailmentRegime"), n(ENTAILMENT + "Simple")),
        ox.Triple(service, n(DCTERMS + "title"), ox.Literal("neaspec-kg SPARQL endpoint", language="en")),
        ox.Triple(service, n(DCTERMS + "description"), ox.Literal(
            "Read-only SPARQL 1.1 endpoint over the neaspec-kg knowledge graph. The default graph is the merge "
            f"of the named graphs, one per source. Queries stop after {settings.query_timeout_s:g} s and may "
            f"return at most {settings.max_rows} rows.", language="en")),
        ox.Triple(service, n(SD + "defaultDataset"), ds),
        ox.Triple(ds, a, n(SD + "Dataset")),
        ox.Triple(ds, n(SD + "defaultGraph"), default),
        ox.Triple(default, a, n(SD + "Graph")),
        ox.Triple(default, n(VOID + "triples"), ox.Literal(str(dataset.get("default_triples", 0)),
                                                           datatype=n("http://www.w3.org/2001/XMLSchema#integer"))),
    ]
    if settings.service_allowlist:
        triples.append(ox.Triple(service, n(SD + "feature"), n(SD + "BasicFederatedQuery")))
    triples += [ox.Triple(service, n(SD + "resultFormat"), n(FORMATS + f)) for f in RESULT_FORMAT_IRIS]
    for name, count in dict(dataset.get("named_graphs", {})).items():
        named, graph = ox.BlankNode(), ox.BlankNode()
        triples += [
            ox.Triple(ds, n(SD + "namedGraph"), named),
            ox.Triple(named, a, n(SD + "NamedGraph")),
            ox.Triple(named, n(SD + "name"), n(name)),
            ox.Triple(named, n(SD + "graph"), graph),
            ox.Triple(graph, a, n(SD + "Graph")),
            ox.Triple(graph, n(VOID + "triples"), ox.Literal(str(count),
                                                             datatype=n("http://www.w3.org/2001/XMLSchema#integer"))),
        ]
    return triples


# --------------------------------------------------------------------------- the editor page

#: the page loads scripts, styles and data from this server only; the browser enforces it
EDITOR_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
              "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
              "frame-ancestors 'none'")


def example_queries() -> list[dict[str, str]]:
    """The named-query catalogue as editor examples: each query with its example parameters bound."""
    examples = []
    for query in catalogue().values():
        try:
            text = query.bind(query.example)
        except NeaspecKgError:
            text = query.text
        examples.append({"name": query.name, "title": query.title, "description": query.description, "query": text})
    return examples


def editor_page(root_path: str, endpoint: str, settings: Settings, lang: str = "en") -> str:
    """The YASGUI page (``api/templates/sparql-editor.html``, with the site's nav bar); every value inserted
    into the HTML is escaped by the template, the configuration is script-safe JSON."""
    lang = language(lang)
    examples = example_queries()
    config = {"endpoint": root_path + "/sparql", "examples": examples}
    return ENV.get_template("sparql-editor.html").render(
        static=root_path + "/static", endpoint=endpoint, timeout=f"{settings.query_timeout_s:g}",
        max_rows=str(settings.max_rows), examples=examples, config=Markup(script_json(config)), lang=lang,
        _=gettext_for(lang), lang_suffix="" if lang == "en" else f"?lang={lang}")


# --------------------------------------------------------------------------- the router


@dataclass(frozen=True)
class _Request:
    """A Protocol query request once parsed: the query text and the dataset parameters."""

    query: str
    default_graphs: tuple[str, ...] | None
    named_graphs: tuple[str, ...] | None


def _from_params(params: list[tuple[str, str]], direct_query: str | None = None) -> _Request:
    names = [k for k, _ in params]
    if "update" in names:
        raise _updates_refused("SPARQL Update is not allowed: this endpoint is read-only, so the 'update' "
                               "parameter is refused.")
    queries = [v for k, v in params if k == "query"]
    if direct_query is not None:
        if queries:
            raise _bad_request("A query sent as the request body (application/sparql-query) must not also be "
                               "given as a 'query' parameter.")
        queries = [direct_query]
    if len(queries) != 1:
        raise _bad_request(f"Exactly one 'query' parameter is required; this request has {len(queries)}.")
    if not queries[0].strip():
        raise _bad_request("The query is empty.")
    defaults = _graph_iris((v for k, v in params if k == "default-graph-uri"), "default-graph-uri")
    named = _graph_iris((v for k, v in params if k == "named-graph-uri"), "named-graph-uri")
    if not defaults and not named:
        return _Request(queries[0], None, None)
    return _Request(queries[0], defaults, named)


class SparqlRouter(APIRouter):
    """The /sparql routes over ``pool`` (started by the app's lifespan), limited by ``settings``: a component
    that mounts into any FastAPI app (``app.include_router(SparqlRouter(pool, settings))``), as rdflib-endpoint's
    ``SparqlRouter`` does. One method per step of a request: the protocol (``sparql``), the policy check
    (``check_policy``), content negotiation and the job (``evaluate``), the pool's errors as problem documents
    (``run``), and the service description or editor for a request without a query (``describe``)."""

    def __init__(self, pool: QueryPool | RemotePool, settings: Settings) -> None:
        super().__init__(tags=["SPARQL"])
        self.pool = pool
        self.settings = settings
        self.allowlist = frozenset(settings.service_allowlist)
        # One route serves every method, so a 405 for PUT/DELETE lists them all in Allow; it is hidden from
        # OpenAPI because a multi-method route gives each method the same operation id. Two documentation-only
        # registrations follow: the first route always matches first, so they are never reached at run time.
        self.add_api_route("/sparql", self.sparql, methods=["GET", "POST", "OPTIONS"], name="sparql",
                           response_class=Response, include_in_schema=False)
        for method in ("GET", "POST"):
            self.add_api_route("/sparql", self.sparql, methods=[method], name=f"sparql_{method.lower()}",
                               operation_id=f"sparql_{method.lower()}", summary="SPARQL 1.1 Protocol query endpoint",
                               response_class=Response)


    def check_policy(self, query: str) -> QueryScan:
        scan = scan_query(query)
        # only a query that starts like one can make the parser descend: text that is not SPARQL from its
        # first word fails there, and its syntax error (with line and column) says more than a refusal would
        if scan.form and (scan.depth > MAX_NESTING or scan.clauses > MAX_CLAUSES):
            raise _problem(400, "query-too-complex", "Query too complex",
                           f"The query nests {{, ( or [ {scan.depth} deep and has {scan.clauses} UNION, OPTIONAL or "
                           f"MINUS clauses; this endpoint takes at most {MAX_NESTING} and {MAX_CLAUSES}. Split it "
                           "into smaller queries, or use VALUES instead of long chains of UNION.",
                           depth=scan.depth, clauses=scan.clauses, max_depth=MAX_NESTING,
                           max_clauses=MAX_CLAUSES)
        if scan.is_update:
            raise _updates_refused(f"SPARQL Update ({scan.form}) is not allowed: this endpoint is read-only.")
        for target in scan.services:
            if target.iri is None:
                raise _problem(403, "service-not-allowed", "SERVICE not allowed",
                               f"SERVICE {target.written or '(missing endpoint)'} is not allowed: federated "
                               "queries need a fixed, allow-listed endpoint IRI.", service=target.written)
            if target.iri not in self.allowlist:
                raise _problem(403, "service-not-allowed", "SERVICE not allowed",
                               f"SERVICE <{target.iri}> is not allowed: this endpoint does not call other "
                               "endpoints unless they are allow-listed.", service=target.iri)
        return scan

    async def evaluate(self, request: Request, parsed: _Request) -> Response:
        # the scan is linear but pure Python: a query of a megabyte would hold the event loop for a second
        if len(parsed.query) < 16_384:
            scan = self.check_policy(parsed.query)
        else:
            scan = await run_in_threadpool(self.check_policy, parsed.query)
        accept = request.headers.get("accept")
        chosen = {
            "solutions": negotiate(accept, list(SELECT_TYPES)),
            "boolean": negotiate(accept, list(ASK_TYPES)),
            "graph": negotiate(accept, list(GRAPH_TYPES)),
        }
        expected = {"SELECT": "solutions", "ASK": "boolean", "CONSTRUCT": "graph", "DESCRIBE": "graph"}.get(
            scan.form or "")
        if expected and chosen[expected] is None:
            raise _not_acceptable(expected)
        job = QueryJob(
            query=parsed.query,
            select_format=SELECT_TYPES[chosen["solutions"]] if chosen["solutions"] else None,
            ask_format=ASK_TYPES[chosen["boolean"]] if chosen["boolean"] else None,
            graph_format=GRAPH_TYPES[chosen["graph"]] if chosen["graph"] else None,
            default_graphs=parsed.default_graphs,
            named_graphs=parsed.named_graphs,
            form=scan.form,
            client=request.client.host if request.client else None,
        )
        result = await self.run(job)
        media_type = chosen[result.kind]
        assert media_type is not None
        if len(result.body) > SPOOL_BYTES:
            return await spooled(result.body, media_type, {"Vary": "Accept"})
        return Response(result.body, media_type=media_type, headers={"Vary": "Accept"})

    async def run(self, job: QueryJob) -> QueryResult:
        try:
            return await self.pool.run(job)
        except QuerySyntaxError as exc:
            where = f"line {exc.line}, column {exc.column}: " if exc.line is not None else ""
            raise _problem(400, "query-syntax", "SPARQL syntax error", f"{where}{exc.message}",
                           line=exc.line, column=exc.column) from None
        except TooManyRows as exc:
            raise _problem(422, "result-too-large", "Result too large",
                           f"The result has more than {exc.limit} rows, the most this endpoint returns. Add a "
                           "LIMIT (with OFFSET to page through the result) or narrow the query.",
                           limit=exc.limit) from None
        except TooManyBytes as exc:
            raise _problem(422, "result-too-large", "Result too large",
                           f"The result is larger than {exc.limit} bytes, the most this endpoint returns. Select "
                           "fewer or shorter values (avoid building long strings), add a LIMIT (with OFFSET to "
                           "page through the result), or narrow the query.", limit_bytes=exc.limit) from None
        except NotAcceptable as exc:
            raise _not_acceptable(exc.kind) from None
        except QueryTimeout as exc:
            log.warning("SPARQL query stopped after %g s: %.300r", exc.timeout_s, job.query)
            # 503 without Retry-After: a budget met, as the row and byte budgets are (the hardening issue asks
            # for 4xx or 503, never another 5xx); the same query would take as long again
            raise _problem(503, "query-timeout", "Query timed out",
                           f"The query was stopped after {exc.timeout_s:g} s, the limit of this endpoint. Narrow "
                           "it, add a LIMIT, or avoid cartesian products.", timeout_s=exc.timeout_s) from None
        except PoolBusy as exc:
            # a refusal is held a moment before it is sent (it costs a sleeping coroutine, nothing else): a
            # client that ignores Retry-After and retries at once would otherwise keep the main process busy
            # refusing it, and on a small machine starve the queries that were admitted (measured with wrk: 3
            # answers/s at 256 connections from one address without the pause)
            await asyncio.sleep(REFUSAL_PAUSE_S)
            raise ProblemError(503, "SPARQL endpoint busy", f"{exc.reason}; retry later.",
                               type_=PROBLEM_BASE + "endpoint-busy",
                               headers={"Retry-After": str(exc.retry_after_s)}) from None
        except WorkerCrashed as exc:
            log.warning("SPARQL worker died (exit code %s) on: %.300r", exc.exitcode, job.query)
            hint = ("The query probably needs more memory than a worker may use: narrow it."
                    if "memory" in str(exc) else "Narrow or simplify the query.")
            raise _problem(500, "query-crashed", "Query failed",
                           f"{exc}; the worker has been replaced. {hint}") from None
        except QueryEvaluationError as exc:
            if exc.remote:
                raise _problem(502, "service-failed", "SERVICE call failed", str(exc)) from None
            raise _problem(400, "query-evaluation", "Query evaluation failed", str(exc)) from None
        except PoolClosed:
            raise ProblemError(503, detail="The SPARQL endpoint is not running.",
                               headers={"Retry-After": "5"}) from None

    def describe(self, request: Request) -> Response:
        accept = request.headers.get("accept")
        media_type = negotiate(accept, list(DESCRIPTION_TYPES))
        if media_type is None:
            raise _problem(406, "not-acceptable", "Not acceptable",
                           "Without a query, /sparql offers its service description as "
                           f"{', '.join(t for t in DESCRIPTION_TYPES if t != HTML_TYPE)} or the query editor "
                           "as text/html.", offered=list(DESCRIPTION_TYPES))
        endpoint = _own_url(request, self.settings) + "/sparql"
        headers = {"Vary": "Accept"}
        if media_type == HTML_TYPE:
            page = editor_page(request.scope.get("root_path", ""), endpoint, self.settings,
                               request.query_params.get("lang", "en"))
            return Response(page, media_type=HTML_TYPE, headers={**headers, "Content-Security-Policy": EDITOR_CSP})
        rdf_format = SPARQL_RDF_FORMATS[DESCRIPTION_TYPES[media_type]]
        extra: dict[str, Any] = {"prefixes": SD_PREFIXES} if rdf_format is ox.RdfFormat.TURTLE else {}
        body = ox.serialize(service_description(endpoint, self.pool.dataset, self.settings), format=rdf_format, **extra)
        return Response(body or b"", media_type=media_type, headers=headers)

    async def sparql(self, request: Request) -> Response:
        """Query with GET (``query``), POST form or POST ``application/sparql-query``; GET without a
        query returns the service description (RDF) or the query editor (HTML)."""
        if request.method == "OPTIONS":  # CORS preflights are answered by the middleware before this
            return Response(status_code=204, headers={"Allow": ALLOW})
        raw_query_string: bytes = request.scope.get("query_string", b"")
        if len(raw_query_string) > self.settings.max_request_bytes:
            raise _problem(414, "request-too-large", "URI too long",
                           f"The query string is longer than {self.settings.max_request_bytes} bytes; send the query "
                           "with POST.", limit=self.settings.max_request_bytes)
        url_params = _parse_params(raw_query_string, "query string")
        if request.method == "GET":
            names = {k for k, _ in url_params}
            if "query" not in names and "update" not in names:
                return self.describe(request)
            return await self.evaluate(request, _from_params(url_params))
        media_type, params = _media_type(request.headers.get("content-type"))
        if media_type == UPDATE_TYPE:
            raise _updates_refused()
        if media_type not in {FORM_TYPE, QUERY_TYPE}:
            sent = f"Content-Type {media_type}" if media_type else "no Content-Type"
            raise _bad_request(f"A query sent with POST needs Content-Type {FORM_TYPE} or {QUERY_TYPE}; this request "
                               f"has {sent}.")
        charset = params.get("charset", "utf-8").lower()
        if charset not in {"utf-8", "utf8"}:
            raise _bad_request(f"The SPARQL Protocol requires UTF-8, not charset={charset}.")
        body = await _read_body(request, self.settings.max_request_bytes)
        if media_type == FORM_TYPE:
            return await self.evaluate(request, _from_params(url_params + _parse_params(body, "request body")))
        return await self.evaluate(request, _from_params(url_params, direct_query=_utf8(body, "request body")))


def _spool(body: bytes) -> IO[bytes]:
    # unnamed: gone with the last descriptor, whatever happens; closed by the response that streams it
    file = tempfile.TemporaryFile()  # noqa: SIM115
    file.write(body)
    file.seek(0)
    return file


async def spooled(body: bytes, media_type: str, headers: Mapping[str, str]) -> StreamingResponse:
    """A large answer streamed from an unnamed temporary file (``SPOOL_BYTES``): the caller drops ``body``
    once this returns, and the main process then holds one chunk per slow reader, not the answer."""
    file = await run_in_threadpool(_spool, body)
    size = len(body)

    async def chunks() -> AsyncIterator[bytes]:
        try:
            while data := await run_in_threadpool(file.read, SPOOL_CHUNK):
                yield data
        finally:
            file.close()

    return StreamingResponse(chunks(), media_type=media_type, headers={**headers, "Content-Length": str(size)})


def _not_acceptable(kind: str) -> ProblemError:
    offered = {"solutions": SELECT_TYPES, "boolean": ASK_TYPES, "graph": GRAPH_TYPES}[kind]
    what = {"solutions": "SELECT results", "boolean": "ASK results", "graph": "CONSTRUCT/DESCRIBE results"}[kind]
    return _problem(406, "not-acceptable", "Not acceptable",
                    f"None of the media types in the Accept header can carry {what}; this endpoint offers "
                    f"{', '.join(offered)}.", offered=list(offered))
