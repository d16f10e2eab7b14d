"""The web application: ``create_app()`` wires the validated graph, the SPARQL endpoint and shared plumbing.

The graph is built and validated before the app exists, so an invalid graph stops the server from starting
(``neaspec_kg.build.build`` raises). The main process keeps its own store for the REST API; SPARQL queries
run in a pool of worker processes (``api.query_pool``), started and stopped by the app's lifespan, so an
expensive query can neither block the event loop nor starve the REST routes.

Run it with ``uvicorn --factory api.app:create_app``. ``neaspec-kg serve`` builds it with ``offload=True``:
the analyses and pages then run in an analysis process (``api.offload``), a second instance of this app made
with ``role="analysis"``, and the main process keeps ``/healthz``, SPARQL and a cache of repeated answers.
"""
from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from api import brief_page, check_page, linked_data, map_page, matrix, rest, thesaurus, timeline_page
from api import views as pages
from api.admission import RefusalPause, WorkGate
from api.headers import HeadAsGet, SecurityHeaders
from api.offload import AnalysisProcess, AnswerCache, Offload
from api.problems import ProblemError, document_problems, install_problem_handlers
from api.query_pool import QueryPool
from api.remote_pool import RemotePool
from api.service import RestService
from api.settings import Settings
from api.sparql import SparqlRouter
from neaspec_kg import __version__, views
from neaspec_kg.build import ValidatedGraph, build, open_cached_store
from neaspec_kg.namespaces import PREFIXES
from neaspec_kg.store import OxigraphStore, RemoteStore, SparqlStore

STATIC_DIR = Path(__file__).resolve().parent / "static"


def create_app(settings: Settings | None = None, graph: ValidatedGraph | None = None,
               store_url: str | None = None, *, offload: bool = False, role: str = "all") -> FastAPI:
    """The FastAPI app over ``graph`` (default: build and validate the project's data now), or, with
    ``store_url``, over a remote SPARQL 1.1 store that already holds a validated build (see README).

    ``offload``: run every answer but ``/healthz``, SPARQL and static files in an analysis process
    (``api.offload``), so that no analysis holds this process's GIL. ``role="analysis"`` is that process's
    app: it starts no SPARQL workers (the main process answers SPARQL)."""
    if role not in {"all", "analysis"}:
        raise ValueError(f"role must be 'all' or 'analysis', not {role!r}")
    settings = settings or Settings.from_env()
    offload = offload or settings.offload
    pool: QueryPool | RemotePool
    if store_url:
        store: SparqlStore = RemoteStore(store_url, timeout=max(settings.query_timeout_s, 60.0))
        pool = RemotePool(store_url, timeout_s=settings.query_timeout_s, max_bytes=settings.max_response_bytes,
                          concurrency=max(settings.workers, 1), queue_limit=settings.queue_limit)
        identity: dict[str, Any] = {"store": store_url}
    else:
        if graph is None:  # serve --workers N: every HTTP worker opens the one store its parent built
            graph = open_cached_store(Path(settings.store_path)) if settings.store_path else build()
        store_path = graph.on_disk()  # one on-disk store, opened read-only here and by every SPARQL worker
        local = OxigraphStore(graph)
        store = local
        # fixed for the app's life: written beside the store by the build, not counted per start or check
        summary = graph.summary
        identity = {"triples": summary["default_triples"], "quads": summary["quads"],
                    "named_graphs": len(summary["named_graphs"]), "digest": graph.digest}
        pool = QueryPool(
            store_path,
            workers=settings.workers,
            queue_limit=settings.queue_limit,
            timeout_s=settings.query_timeout_s,
            max_rows=settings.max_rows,
            max_bytes=settings.max_response_bytes,
            per_client=settings.per_client_queries,
            prefixes=PREFIXES,
            # with nothing allow-listed no worker needs to open a connection: forbid it (see api.query_pool)
            isolate_network=not settings.service_allowlist,
            memory_limit_mb=settings.worker_memory_mb or None,
        )

    analysis: AnalysisProcess | None = None
    if offload and role == "all":
        analysis = AnalysisProcess(settings, store_path=str(graph.on_disk()) if graph is not None else None,
                                   store_url=store_url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if role == "analysis":  # SPARQL is the main process's
            yield
            return
        # the SPARQL workers and the analysis process start side by side: each opens the store (and the
        # analysis process reads the index) on its own, and one after the other added their times (at 100,000
        # mechanisms, 17 s of workers before 6 s of the analysis process)
        starting = [pool.start(), *([analysis.start()] if analysis is not None else [])]
        failed = [r for r in await asyncio.gather(*starting, return_exceptions=True) if isinstance(r, BaseException)]
        if failed:
            if analysis is not None:
                await analysis.close()
            await pool.close()
            raise failed[0]
        try:
            yield
        finally:
            if analysis is not None:
                await analysis.close()
            await pool.close()

    app = FastAPI(
        title="neaspec-kg",
        version=__version__,
        # Swagger UI shows this Markdown above the operations: the way back to the site from /docs
        description=("Environmental cooperation mechanisms in North-East Asia: a SPARQL endpoint and a REST API."
                     "\n\n[Home](/) · [SPARQL editor](/sparql) · [Graph](/graph) · [Ontology](/ontology)"),
        lifespan=lifespan,
        docs_url=None,  # served below with vendored Swagger UI: FastAPI's default page loads it from a CDN
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.graph = graph
    app.state.store = store  # the REST API reads this store, in this process
    # label and source indexes read once, at start-up, not on a first request; analysis work under the gate.
    # With an analysis process the main process answers no analysis: it reads no index (at 10,000 mechanisms,
    # seconds and 100 MB saved at every start), unless a request it must answer itself asks for one
    app.state.rest_factory = lambda: RestService(
        store, gate=WorkGate(settings.analysis_slots, settings.analysis_queue, settings.analysis_wait_s))
    app.state.rest = None if analysis is not None else app.state.rest_factory()
    app.state.pool = pool
    install_problem_handlers(app)
    # graph pages embed every node's facts and sources (about 7x smaller gzipped); clients that do not ask
    # for gzip (SPARQL tools, load generators) get plain bodies
    app.add_middleware(GZipMiddleware, minimum_size=2048)
    app.state.analysis = analysis
    if analysis is not None:  # answers computed in the analysis process, streamed through
        app.add_middleware(Offload, analysis=analysis, max_request_bytes=settings.max_request_bytes,
                           timeout_s=settings.analysis_timeout_s)
    if role != "analysis":  # (the analysis process's refusals are held by the main process, which relays them)
        app.add_middleware(RefusalPause)  # the gate's refusals are held a moment before they are sent
    if analysis is not None:  # repeated answers served from the event loop
        app.add_middleware(AnswerCache)
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_problems(get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    app.add_middleware(HeadAsGet)
    app.add_middleware(SecurityHeaders)  # outermost: every answer, errors included, carries the headers
    if settings.cors_origins and role != "analysis":  # the main process's CORS answers for both
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=["Accept", "Content-Type"],
            expose_headers=["Retry-After", "Content-Type"],
            max_age=3600,
        )
    app.include_router(SparqlRouter(pool, settings))
    # one router per resource; each module's routes receive what they need through api.deps
    for module in (rest, pages, thesaurus, matrix, check_page, timeline_page, brief_page, map_page, linked_data):
        app.include_router(module.router)
    # the pages' own CSS and scripts ship with the library's views (standalone files inline the same files)
    app.mount(views.VIEWS_URL, StaticFiles(directory=views.ASSETS_DIR), name="views-assets")
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        """The OpenAPI explorer, every asset from this server (works with no internet)."""
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json", title="neaspec-kg API",
            swagger_js_url="/static/vendor/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="/static/vendor/swagger-ui/swagger-ui.css",
            swagger_favicon_url="/static/vendor/swagger-ui/favicon-32x32.png",
        )

    @app.get("/healthz", tags=["meta"], summary="Liveness and the identity of the served graph")
    async def healthz() -> dict[str, Any]:
        """Status, size and digest of the served graph, and how many SPARQL workers are up."""
        stats = pool.stats()
        if stats.workers == 0:
            raise ProblemError(503, detail="No SPARQL worker is running.", headers={"Retry-After": "5"})
        analysis_up = analysis is None or analysis.up
        return {
            "status": "ok" if stats.workers == pool.size and analysis_up else "degraded",
            "sparql_workers_expected": pool.size,
            **identity,
            "sparql_workers": stats.workers,
            **({"analysis_process": "up" if analysis_up else "down"} if analysis is not None else {}),
            "pid": os.getpid(),  # which HTTP worker answered (serve --workers N)
        }

    return app
