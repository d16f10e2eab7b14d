"""The main process's front door: analysis runs in another process, repeated answers are served from here.

The REST analyses and the pages are pure Python, and some of their steps (a store query, a large JSON or
HTML string) hold the GIL for tens of milliseconds at a time; run in the main process's threads they stall
its event loop, however few of them run at once, so ``/healthz`` and answers already memoised waited behind
them (p99 of 80 and 150 ms under 64 attackers; bench/hardening.py). ``serve`` therefore runs them in an
*analysis process*: the same app (``create_app(role="analysis")``), started from the build's on-disk store
and serving on a Unix socket, with the admission gate, the memo and the pages as they are in-process.

The main process keeps what must stay responsive and costs it nothing: ``/healthz``, SPARQL (whose own
worker processes do the work), the OpenAPI document and static files. Every other request goes through
``Offload``, which relays it to the analysis process and streams the answer back chunk by chunk (the main
process never holds a large body), and through ``AnswerCache``, which serves repeated GET answers from the
event loop itself without touching a thread: an answer is kept the second time its URL is asked for (so a
flood of fresh URLs cannot evict the answers that are asked for again), bounded in entries and in bytes,
and only for the day (answers without a date count memberships as of today).

``AnalysisProcess`` starts the process, waits for it, restarts it when it dies, and stops it with the app.
While it is down, the relayed requests get 503 problem documents with Retry-After, never a 5xx of another
kind. Its gate's refusals come back at once, marked to be held (``api.admission.RefusalPause``), and are
held here, so a held refusal keeps no connection to the analysis process busy.

**Time limit.** A relayed answer that has not started arriving within ``analysis_timeout_s``
(``NEASPEC_KG_ANALYSIS_TIMEOUT_S``, 30 s; the wait for a gate slot counts) is answered here with 503 (no
Retry-After) and a problem document naming the limit, as a SPARQL query past its limit is, and the work is
stopped: a Python computation in a thread cannot be stopped but with its process, so the analysis process is killed and
replaced at once (``/healthz`` says ``degraded`` until the new one serves). The trade-off: a SPARQL timeout
kills the one worker that ran the one query, but the analysis process computes ``analysis_slots`` answers
at once and queues more, so every request in flight on it at that moment is lost with it, through no fault
of its own. Those get 503 with Retry-After and a problem document saying the process was restarted, never
another 5xx or a hang; an answer that was already being streamed is cut short. The cost is bounded: only
a request that is itself past the limit stops the process, and since the limit must exceed
``analysis_wait_s`` (the gate refuses a request that waited that long), it has computed for at least the
difference (20 s by default); a process is stopped once, however many of its requests time out together,
never its replacement; each stop is logged with the request, the time and how many were in flight.
Answers this process holds (``AnswerCache``) are not touched.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from datetime import date
from pathlib import Path

import httpx
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.admission import HOLD_HEADER, REFUSAL_PAUSE_S
from api.problems import PROBLEM_BASE, problem
from api.query_pool import WORKER_NICENESS, lower_priority
from api.settings import Settings

log = logging.getLogger("neaspec_kg.api")

#: paths the main process answers itself: cheap, and what must answer while analyses run
FRONT_PATHS = ("/healthz", "/sparql", "/openapi.json", "/docs", "/static/", "/assets/")
#: request headers that decide an answer (content negotiation and compression): part of the cache key
_KEY_HEADERS = (b"accept", b"accept-encoding")
#: hop-by-hop headers (RFC 9110 §7.6.1), never relayed; nor those each server sets for itself
_HOP = {b"connection", b"keep-alive", b"proxy-connection", b"te", b"trailer", b"transfer-encoding", b"upgrade",
        b"host", b"date", b"server"}
_CODE_ROOT = str(Path(__file__).resolve().parent.parent)
_HOLD = HOLD_HEADER.encode("latin-1")


def is_front(path: str, extra: Iterable[str] = ()) -> bool:
    """True for the paths the main process answers itself."""
    return any(path == p or (p.endswith("/") and path.startswith(p)) or path.startswith(p + "/")
               for p in (*FRONT_PATHS, *extra))


def _problem(status: int, title: str, detail: str, retry_after: int, hold_s: float = 0.0) -> Message:
    body = json.dumps({"type": "https://w3id.org/neaspec-kg/problems/busy", "title": title, "status": status,
                       "detail": detail}).encode()
    headers = [(b"content-type", b"application/problem+json"), (b"content-length", str(len(body)).encode()),
               (b"retry-after", str(retry_after).encode())]
    if hold_s > 0:
        headers.append((HOLD_HEADER.encode(), f"{hold_s:g}".encode()))
    return {"type": "http.response.start", "status": status, "headers": headers, "body": body}


async def _send_problem(send: Send, message: Message) -> None:
    body = message.pop("body")
    await send(message)
    await send({"type": "http.response.body", "body": body, "more_body": False})


class AnalysisProcess:
    """The analysis process: started, watched and restarted by the main process's lifespan."""

    def __init__(self, settings: Settings, store_path: str | None = None, store_url: str | None = None,
                 start_timeout_s: float = 120.0) -> None:
        self.settings, self.store_path, self.store_url = settings, store_path, store_url
        self.start_timeout_s = start_timeout_s
        self._dir = ""
        self.socket_path = ""
        self._process: subprocess.Popen[bytes] | None = None
        self._watch: asyncio.Task[None] | None = None
        self._closing = False
        self._ready = False
        self._wake: asyncio.Event | None = None  # set to restart at once (made in start: bound to its loop)
        self.restarts = 0
        #: when (time.monotonic) a process was last stopped because an answer took too long, and how often
        self.stopped_at = float("-inf")
        self.timeouts = 0
        self._stopped_pid: int | None = None
        self.client = self._client()

    def _client(self) -> httpx.AsyncClient:
        """A client of a fresh socket path (an app's lifespan may run more than once, as in tests)."""
        self._dir = tempfile.mkdtemp(prefix="neaspec-kg-analysis-")
        self.socket_path = os.path.join(self._dir, "analysis.sock")
        settings = self.settings
        limits = httpx.Limits(max_connections=settings.analysis_slots + settings.analysis_queue + 32,
                              max_keepalive_connections=32)
        # a request may wait for the gate (analysis_wait_s) and then compute; the pool wait is bounded too
        timeout = httpx.Timeout(connect=5.0, read=settings.analysis_wait_s + 300.0, write=30.0,
                                pool=settings.analysis_wait_s)
        client = httpx.AsyncClient(transport=httpx.AsyncHTTPTransport(uds=self.socket_path),
                                   base_url="http://analysis", limits=limits, timeout=timeout)
        client.headers.clear()  # relay the client's headers only (no Accept-Encoding of httpx's own)
        return client

    @property
    def up(self) -> bool:
        """Running and serving (a replacement that is still starting is not up)."""
        return self._ready and self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def _spawn(self) -> subprocess.Popen[bytes]:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.socket_path)
        env = {**os.environ, **self.settings.to_env(), "PYTHONPATH": os.pathsep.join(
            [_CODE_ROOT, *filter(None, [os.environ.get("PYTHONPATH")])])}
        if self.store_path:
            env["NEASPEC_KG_STORE_PATH"] = self.store_path
        cmd = [sys.executable, "-c", "from api.offload import analysis_main; analysis_main()", self.socket_path,
               self.store_url or ""]
        return subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL)

    async def _wait_ready(self, process: subprocess.Popen[bytes]) -> None:
        deadline = asyncio.get_running_loop().time() + self.start_timeout_s
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the analysis process exited with code {process.returncode} while starting")
            if os.path.exists(self.socket_path):
                try:
                    await self.client.get("/healthz", timeout=5)  # any answer: its app is serving
                    return
                except httpx.HTTPError:
                    pass
            if asyncio.get_running_loop().time() > deadline:
                raise RuntimeError(f"the analysis process did not start within {self.start_timeout_s:g} s")
            await asyncio.sleep(0.05)

    async def start(self) -> None:
        if self.client.is_closed:
            self.client = self._client()
        self._closing = False
        self._wake = asyncio.Event()
        self._process = self._spawn()
        await self._wait_ready(self._process)
        self._ready = True
        self._watch = asyncio.get_running_loop().create_task(self._supervise())

    def stop_for_timeout(self, what: str, elapsed_s: float, limit_s: float, in_flight: int) -> bool:
        """Kill the analysis process because ``what`` has had no answer from it for ``elapsed_s`` s, past
        ``limit_s``; the supervisor starts another at once. False, and nothing done, while a replacement is
        starting: one stop per process, however many of its requests time out together.

        The process that is up is the one the late request is waiting on: a request's connection to a process
        that was stopped breaks at once (an error, not a timeout), and one that waits for a connection is
        refused after ``analysis_wait_s``, shorter than the limit."""
        process = self._process
        if not self._ready or process is None or process.poll() is not None or self._closing:
            return False
        self._ready = False  # /healthz says degraded from now, and the supervisor replaces it
        self.stopped_at = time.monotonic()
        self._stopped_pid = process.pid
        self.timeouts += 1
        log.warning("stopping the analysis process (pid %s): %s had no answer after %.1f s, past the %g s limit "
                    "(NEASPEC_KG_ANALYSIS_TIMEOUT_S); %d other relayed requests in flight are lost with it",
                    process.pid, what[:300], elapsed_s, limit_s, max(in_flight - 1, 0))
        process.kill()
        if self._wake is not None:
            self._wake.set()
        return True

    async def _supervise(self) -> None:
        """Restart the process when it dies (checked every half second, or at once when it was stopped for a
        timeout; meanwhile requests get 503)."""
        while not self._closing:
            if self._wake is not None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), 0.5)
                self._wake.clear()
            else:
                await asyncio.sleep(0.5)
            if self._closing or self.up:
                continue
            code = self._process.returncode if self._process is not None else None
            if self._process is not None and self._process.pid == self._stopped_pid:
                log.warning("starting another analysis process after a timeout stopped the last one")
            else:
                log.warning("the analysis process exited (code %s); starting another", code)
            self.restarts += 1
            self._ready = False
            if self._process is not None and self._process.poll() is None:  # started but never ready
                self._process.kill()
                await asyncio.to_thread(self._process.wait, 5)
            try:
                self._process = self._spawn()
                await self._wait_ready(self._process)
                self._ready = True
            except RuntimeError as exc:
                log.error("%s", exc)

    async def close(self) -> None:
        self._closing = True
        if self._watch is not None:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch
        await self.client.aclose()
        process = self._process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                await asyncio.to_thread(process.wait, 10)
            except subprocess.TimeoutExpired:
                process.kill()
                await asyncio.to_thread(process.wait, 5)
        with contextlib.suppress(OSError):
            os.unlink(self.socket_path)
        with contextlib.suppress(OSError):
            os.rmdir(self._dir)


class Offload:
    """Pure ASGI middleware: requests for anything but the front paths are relayed to the analysis
    process, and its answers streamed back as they come."""

    def __init__(self, app: ASGIApp, analysis: AnalysisProcess, max_request_bytes: int,
                 timeout_s: float | None = None) -> None:
        """``timeout_s``: how long an answer may take to start arriving (``analysis_timeout_s``) before the
        client gets 503 and the analysis process is stopped; None for no limit."""
        self.app, self.analysis, self.max_request_bytes = app, analysis, max_request_bytes
        self.timeout_s = timeout_s
        self.in_flight = 0  # relayed requests sent and not yet answered in full

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or is_front(scope["path"]):
            await self.app(scope, receive, send)
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if len(body) > self.max_request_bytes:
                await _send_problem(send, _problem(413, "Request too large", f"The request body is larger than "
                                                   f"{self.max_request_bytes} bytes.", 1))
                return
            if not message.get("more_body", False):
                break
        headers = [(n, v) for n, v in scope["headers"] if n.lower() not in _HOP]
        target = scope.get("raw_path") or scope["path"].encode()
        if scope.get("query_string"):
            target += b"?" + scope["query_string"]
        request = self.analysis.client.build_request(scope["method"], target.decode("latin-1"),
                                                     headers=headers, content=bytes(body))
        self.in_flight += 1
        try:
            await self._relay(request, scope, receive, send)
        finally:
            self.in_flight -= 1

    async def _relay(self, request: httpx.Request, scope: Scope, receive: Receive, send: Send) -> None:
        analysis, limit = self.analysis, self.timeout_s
        started = time.monotonic()
        try:
            # the limit is on the answer's start (its status and headers), as SPARQL's is on the result
            response = await asyncio.wait_for(analysis.client.send(request, stream=True), limit)
        except TimeoutError:
            assert limit is not None  # (no limit: no timeout)
            what = f"{scope['method']} {request.url.raw_path.decode('latin-1')}"
            analysis.stop_for_timeout(what, time.monotonic() - started, limit, self.in_flight)
            await problem(503, "Answer timed out",
                          f"The answer was stopped after {limit:g} s, the limit of this server for REST answers "
                          "and pages (NEASPEC_KG_ANALYSIS_TIMEOUT_S). Narrow the request: a smaller limit, a "
                          "theme, country, mechanism or focus, a higher min_score, no include_related; or use "
                          "an answer the server already gives (those are served at once).",
                          type_=PROBLEM_BASE + "analysis-timeout", timeout_s=limit,
                          setting="NEASPEC_KG_ANALYSIS_TIMEOUT_S")(scope, receive, send)
            return
        except httpx.PoolTimeout:
            await _send_problem(send, _problem(
                503, "Busy", "Too many answers are being computed; retry shortly, or ask for an answer the "
                "server has already given (those are served at once).", 5, REFUSAL_PAUSE_S))
            return
        except httpx.HTTPError as exc:
            if analysis.stopped_at >= started:  # lost with the process another request stopped
                await _send_problem(send, _problem(
                    503, "Analysis restarted", f"The analysis process computing this answer was restarted "
                    f"because another request ran past the {analysis.settings.analysis_timeout_s:g} s limit "
                    "(NEASPEC_KG_ANALYSIS_TIMEOUT_S); "
                    "this request was lost with it through no fault of its own. Retry in a few seconds.",
                    5, REFUSAL_PAUSE_S))
                return
            log.warning("analysis process unreachable: %s", exc)
            await _send_problem(send, _problem(
                503, "Analysis restarting", "The process that computes answers is restarting; retry in a few "
                "seconds.", 5, REFUSAL_PAUSE_S))
            return
        begun = False
        try:
            out = [(n.lower(), v) for n, v in response.headers.raw if n.lower() not in _HOP]
            if any(n == _HOLD for n, _ in out):  # a refusal to be held: free the connection first
                held = await response.aread()
                await response.aclose()
                await send({"type": "http.response.start", "status": response.status_code, "headers": out})
                await send({"type": "http.response.body", "body": held, "more_body": False})
                return
            begun = True
            await send({"type": "http.response.start", "status": response.status_code, "headers": out})
            async for chunk in response.aiter_raw():
                if chunk:
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except httpx.HTTPError as exc:  # the answer broke off: nothing better to do than to close
            log.warning("analysis answer broke off: %s", exc)
            if begun:
                raise
            await _send_problem(send, _problem(  # nothing sent yet: an honest 503, not a 500
                503, "Analysis restarting", "The process that computes answers stopped while answering; retry "
                "in a few seconds.", 5, REFUSAL_PAUSE_S))
        finally:
            await response.aclose()


class AnswerCache:
    """Pure ASGI middleware: repeated GET answers of the relayed paths, from memory, on the event loop.

    An answer is kept the second time its key is seen (the first time only the key is remembered), so
    fresh URLs, however many, only ever cycle through the list of keys seen once; kept answers are bounded
    in number and bytes (least recently used first out) and keyed by today's date, the path, the query and
    the headers that choose a representation."""

    def __init__(self, app: ASGIApp, *, max_entries: int = 1024, max_bytes: int = 32_000_000,
                 max_entry_bytes: int = 2_000_000, seen_once: int = 8192) -> None:
        self.app = app
        self.max_entries, self.max_bytes, self.max_entry_bytes = max_entries, max_bytes, max_entry_bytes
        self._entries: OrderedDict[tuple[object, ...], tuple[Message, bytes]] = OrderedDict()
        self._total = 0
        self._seen: OrderedDict[tuple[object, ...], None] = OrderedDict()
        self._seen_limit = seen_once
        self.hits = 0

    def _key(self, scope: Scope) -> tuple[object, ...]:
        wanted = {n.lower(): v for n, v in scope["headers"] if n.lower() in _KEY_HEADERS}
        encoding = b"gzip" if b"gzip" in wanted.get(b"accept-encoding", b"") else b""
        return (date.today().toordinal(), scope["path"], scope.get("query_string", b""),
                wanted.get(b"accept", b""), encoding)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or is_front(scope["path"]):
            await self.app(scope, receive, send)
            return
        key = self._key(scope)
        kept = self._entries.get(key)
        if kept is not None:
            self._entries.move_to_end(key)
            self.hits += 1
            start, body = kept
            await send({**start, "headers": list(start.get("headers", []))})  # later layers may edit theirs
            await send({"type": "http.response.body", "body": body, "more_body": False})
            return
        if key not in self._seen:
            self._seen[key] = None
            if len(self._seen) > self._seen_limit:
                self._seen.popitem(last=False)
            await self.app(scope, receive, send)
            return
        start_message: Message | None = None
        chunks: list[bytes] = []
        size = 0
        keep = True

        async def capture(message: Message) -> None:
            nonlocal start_message, size, keep
            if message["type"] == "http.response.start":
                start_message = message
                headers = {n.lower(): v for n, v in message.get("headers", [])}
                vary = {v.strip().lower() for v in headers.get(b"vary", b"").split(b",") if v.strip()}
                keep = (message["status"] == 200 and b"set-cookie" not in headers
                        and b"no-store" not in headers.get(b"cache-control", b"")
                        and vary <= {b"accept", b"accept-encoding"})
            elif message["type"] == "http.response.body" and keep:
                size += len(message.get("body", b""))
                if size > self.max_entry_bytes:
                    keep = False
                    chunks.clear()
                else:
                    chunks.append(message.get("body", b""))
                if not message.get("more_body", False) and keep and start_message is not None:
                    self._store(key, start_message, b"".join(chunks))
            await send(message)

        await self.app(scope, receive, capture)

    def _store(self, key: tuple[object, ...], start: Message, body: bytes) -> None:
        self._seen.pop(key, None)
        old = self._entries.pop(key, None)
        if old is not None:
            self._total -= len(old[1])
        self._entries[key] = (start, body)
        self._total += len(body)
        while len(self._entries) > self.max_entries or self._total > self.max_bytes:
            _, (_, dropped) = self._entries.popitem(last=False)
            self._total -= len(dropped)


def analysis_main() -> None:
    """Entry point of the analysis process: ``python -c ... <socket path> [store URL]``."""
    import signal

    import uvicorn

    from api.app import create_app
    from neaspec_kg.build import open_cached_store

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group; the main process decides
    lower_priority(WORKER_NICENESS)  # the main process's event loop first, as for the SPARQL workers
    parent = os.getppid()

    def orphaned() -> None:  # the main process was killed without stopping this one: stop too
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=orphaned, daemon=True, name="parent-watch").start()
    socket_path, store_url = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else "")
    settings = Settings.from_env()
    if store_url:
        app = create_app(settings, store_url=store_url, role="analysis")
    else:
        app = create_app(settings, graph=open_cached_store(Path(settings.store_path)), role="analysis")
    uvicorn.run(app, uds=socket_path, log_level="warning", access_log=False, lifespan="on",
                timeout_keep_alive=30)
