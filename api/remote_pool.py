"""The SPARQL endpoint over a remote SPARQL 1.1 store (``serve --store URL``): the same policy, then forwarding.

For users who outgrow one machine the answer of the RDF world is an existing SPARQL server (Oxigraph server,
Virtuoso, GraphDB, QLever). This evaluator gives the endpoint's router the interface of ``QueryPool``
(``run(job)``, ``stats()``, ``start()``, ``close()``), so everything the router checks before evaluation
still holds: updates and SERVICE refused, nesting and size limits, content negotiation. Evaluation is the
remote store's; here each query gets the endpoint's time limit, its byte budget (counted while the answer
streams in, so an oversized answer is cut off rather than held), and a bounded number of concurrent
forwards with a bounded queue (503 with Retry-After beyond it), like the local worker pool.
"""
from __future__ import annotations

import asyncio
import time
from typing import Any
from urllib.parse import urlencode

import httpx

from api.query_pool import (
    NotAcceptable,
    PoolBusy,
    PoolStats,
    QueryEvaluationError,
    QueryJob,
    QueryResult,
    QuerySyntaxError,
    QueryTimeout,
    ResultKind,
    TooManyBytes,
)

#: the media type asked of the remote store for each result format of a job
MEDIA = {
    "json": "application/sparql-results+json", "xml": "application/sparql-results+xml", "csv": "text/csv",
    "tsv": "text/tab-separated-values", "turtle": "text/turtle", "ntriples": "application/n-triples",
    "jsonld": "application/ld+json", "rdfxml": "application/rdf+xml",
}
KINDS: dict[str, ResultKind] = {"SELECT": "solutions", "ASK": "boolean", "CONSTRUCT": "graph", "DESCRIBE": "graph"}


class RemotePool:
    """Forwards policy-checked queries to ``endpoint`` (see the module docstring)."""

    def __init__(self, endpoint: str, *, timeout_s: float, max_bytes: int, concurrency: int = 4,
                 queue_limit: int = 32) -> None:
        self.endpoint = endpoint
        self.size = concurrency
        self.timeout_s = timeout_s
        self.max_bytes = max_bytes
        self.queue_limit = queue_limit
        self.dataset: dict[str, Any] = {}
        self._client: httpx.AsyncClient | None = None
        self._slots = asyncio.Semaphore(concurrency)
        self._busy = 0
        self._waiting = 0

    async def start(self) -> None:
        self._client = httpx.AsyncClient(timeout=httpx.Timeout(self.timeout_s, connect=5.0))
        self._slots = asyncio.Semaphore(self.size)

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    @property
    def retry_after_s(self) -> int:
        return max(1, round(self.timeout_s))

    def stats(self) -> PoolStats:
        return PoolStats(workers=self.size, idle=self.size - self._busy, waiting=self._waiting, replaced=0,
                         isolated=False)

    async def run(self, job: QueryJob) -> QueryResult:
        kind = KINDS.get(job.form or "", "solutions")
        fmt = {"solutions": job.select_format, "boolean": job.ask_format, "graph": job.graph_format}[kind]
        if fmt is None:
            raise NotAcceptable(kind)
        if self._waiting >= self.queue_limit:
            raise PoolBusy(self.retry_after_s)
        self._waiting += 1
        try:
            await asyncio.wait_for(self._slots.acquire(), timeout=self.timeout_s)
        except TimeoutError:
            raise PoolBusy(self.retry_after_s) from None
        finally:
            self._waiting -= 1
        self._busy += 1
        try:
            return await asyncio.wait_for(self._forward(job, kind, fmt), timeout=self.timeout_s)
        except TimeoutError:
            raise QueryTimeout(self.timeout_s) from None
        finally:
            self._busy -= 1
            self._slots.release()

    async def _forward(self, job: QueryJob, kind: ResultKind, fmt: str) -> QueryResult:
        assert self._client is not None, "the remote pool is not started"
        form: list[tuple[str, str]] = [("query", job.query)]
        form += [("default-graph-uri", g) for g in job.default_graphs or ()]
        form += [("named-graph-uri", g) for g in job.named_graphs or ()]
        started = time.perf_counter()
        try:
            async with self._client.stream(
                    "POST", self.endpoint, content=urlencode(form).encode("ascii"),
                    headers={"Accept": MEDIA[fmt], "Content-Type": "application/x-www-form-urlencoded"}) as r:
                chunks: list[bytes] = []
                size = 0
                async for chunk in r.aiter_bytes():
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise TooManyBytes(self.max_bytes)
                    chunks.append(chunk)
                body = b"".join(chunks)
                status = r.status_code
        except httpx.TimeoutException:
            raise QueryTimeout(self.timeout_s) from None
        except httpx.HTTPError as exc:
            raise QueryEvaluationError(f"the store at {self.endpoint} could not be reached: {exc}",
                                       remote=True) from None
        if status == 400:
            raise QuerySyntaxError(body.decode("utf-8", "replace")[:2000], None, None)
        if status != 200:
            raise QueryEvaluationError(f"the store at {self.endpoint} answered {status}: "
                                       f"{body.decode('utf-8', 'replace')[:500]}", remote=True)
        return QueryResult(kind=kind, format=fmt, body=body, rows=0, elapsed_s=time.perf_counter() - started)
