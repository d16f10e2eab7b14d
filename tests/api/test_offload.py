"""The main process as a front door (api/offload.py): analyses and pages run in an analysis process and are
streamed back, repeated answers are served from the main process's cache, and a lost analysis process is
answered with 503 problem documents and replaced."""
from __future__ import annotations

import asyncio
import dataclasses
import gzip
import os
import signal
import time
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from starlette.types import Message, Receive, Scope, Send

from api.app import create_app
from api.offload import AnswerCache, is_front
from api.settings import Settings
from neaspec_kg.build import ValidatedGraph
from tests.live_server import live_server
from tests.problems import assert_problem

AIR = {"focus": "air quality"}


@pytest.fixture(scope="module")
def front(validated: ValidatedGraph) -> Iterator[tuple[str, FastAPI]]:
    settings = dataclasses.replace(Settings(), workers=1, max_request_bytes=10_000)
    app = create_app(settings, graph=validated, offload=True)
    with live_server(app) as url:
        yield url, app


def test_answers_are_computed_in_the_analysis_process_and_relayed(front: tuple[str, FastAPI]) -> None:
    url, app = front
    with httpx.Client(base_url=url, timeout=60) as client:
        health = client.get("/healthz").json()
        assert health["status"] == "ok" and health["analysis_process"] == "up"
        assert app.state.analysis.pid not in (None, health["pid"])
        r = client.get("/overlap", params=AIR)
        assert r.status_code == 200 and r.headers["content-type"] == "application/json"
        assert r.json()["focus"][0]["id"] == "air-quality" and r.json()["total"] > 0
        assert r.headers["x-content-type-options"] == "nosniff"  # the main process's headers still apply
        # the main process computed nothing itself: it has not even read an analysis index
        assert app.state.rest is None, "the main process made its own analysis service"
        # problem documents come back as they are
        body = assert_problem(client.get("/overlap", params={"focus": "no such thing at all"}), 404)
        assert body["status"] == 404 and str(body["type"]).endswith("/unknown-focus")
        assert_problem(client.get("/duplication", params={"min_score": "NaN"}), 422)
        # a POST body is relayed; one over the request budget is refused by the main process
        check = client.post("/duplication/check", json={"focus": "air quality", "modalities": ["monitoring"],
                                                        "countries": ["KOR"]})
        assert check.status_code == 200 and check.json()["proposal"]["focus"] == "air quality"
        assert_problem(client.post("/duplication/check", content=b"x" * 20_000,
                             headers={"content-type": "application/json"}), 413)


def test_relayed_answers_keep_their_encoding_head_and_size(front: tuple[str, FastAPI]) -> None:
    url, _app = front
    with httpx.Client(base_url=url, timeout=60) as client:
        plain = client.get("/graph", headers={"Accept-Encoding": "identity"})
        assert plain.status_code == 200 and "content-encoding" not in plain.headers
        assert plain.headers["content-type"].startswith("text/html")
        assert "content-security-policy" in plain.headers
        with client.stream("GET", "/graph", headers={"Accept-Encoding": "gzip"}) as zipped:
            assert zipped.headers["content-encoding"] == "gzip"
            raw = b"".join(zipped.iter_raw())
        assert len(raw) < len(plain.content) and gzip.decompress(raw) == plain.content
        head = client.head("/graph")
        assert head.status_code == 200 and head.content == b""
        # a large download is streamed through whole (several MB, never held by the main process)
        export = client.get("/export", params={"format": "n-triples"})
        assert export.status_code == 200 and export.content.count(b"\n") > 5000
        assert "attachment" in export.headers["content-disposition"]


def test_a_lost_analysis_process_gives_503_then_is_replaced_and_repeats_still_answer(
        front: tuple[str, FastAPI]) -> None:
    url, app = front
    with httpx.Client(base_url=url, timeout=60) as client:
        for _ in range(3):  # kept the second time it is asked
            assert client.get("/mechanisms/eanet").status_code == 200
        os.kill(app.state.analysis.pid, signal.SIGKILL)
        time.sleep(0.2)
        assert client.get("/healthz").json()["status"] == "degraded"
        repeated = client.get("/mechanisms/eanet")
        assert repeated.status_code == 200, "a repeated answer is served by the main process itself"
        fresh = client.get("/duplication", params={"limit": 3, "min_score": 0.111})
        if fresh.status_code != 200:  # not yet replaced: an honest 503, never another 5xx
            assert_problem(fresh, 503)
            assert "Retry-After" in fresh.headers
        deadline = time.monotonic() + 90
        while client.get("/healthz").json()["status"] != "ok":
            assert time.monotonic() < deadline, "the analysis process was not replaced"
            time.sleep(0.2)
        assert client.get("/duplication", params={"limit": 3, "min_score": 0.112}).status_code == 200
        assert app.state.analysis.restarts >= 1


def test_the_main_process_answers_health_sparql_and_static_files_itself() -> None:
    for path in ("/healthz", "/sparql", "/openapi.json", "/docs", "/static/vendor/x.js", "/assets/vis/x.js"):
        assert is_front(path), path
    for path in ("/", "/overlap", "/graph/overlap", "/sparqlish", "/healthzz", "/export", "/mechanisms/eanet"):
        assert not is_front(path), path


# --------------------------------------------------------------------------- the cache, on a tiny app

def _counting_app() -> tuple[AnswerCache, list[str]]:
    calls: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        calls.append(scope["path"] + "?" + scope["query_string"].decode())
        status = 404 if scope["path"] == "/missing" else 200
        body = (scope["path"] * 100).encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body, "more_body": False})

    return AnswerCache(app, max_entries=3, max_bytes=10_000, seen_once=4), calls


def _get(cache: AnswerCache, path: str, query: bytes = b"", headers: list[tuple[bytes, bytes]] | None = None,
         method: str = "GET") -> tuple[int, bytes]:
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {"type": "http", "method": method, "path": path, "query_string": query, "headers": headers or []}
    asyncio.run(cache(scope, receive, send))
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


def test_the_cache_keeps_an_answer_the_second_time_it_is_asked() -> None:
    cache, calls = _counting_app()
    for _ in range(4):
        assert _get(cache, "/overlap", b"focus=air") == (200, b"/overlap" * 100)
    assert len(calls) == 2 and cache.hits == 2
    # another query, another Accept or compression is another answer
    _get(cache, "/overlap", b"focus=sea")
    _get(cache, "/overlap", b"focus=air", [(b"accept-encoding", b"gzip")])
    _get(cache, "/overlap", b"focus=air", [(b"accept", b"text/csv")])
    assert len(calls) == 5
    # never kept: errors, other methods, the main process's own paths
    for _ in range(3):
        _get(cache, "/missing")
        _get(cache, "/overlap", b"focus=air", method="POST")
        _get(cache, "/healthz")
    assert len(calls) == 5 + 9


def test_fresh_urls_do_not_evict_answers_that_are_asked_again() -> None:
    cache, calls = _counting_app()
    _get(cache, "/overlap", b"focus=air")
    _get(cache, "/overlap", b"focus=air")  # kept
    for n in range(50):  # a flood of never-repeated URLs only cycles through the keys seen once
        _get(cache, "/duplication", f"limit={n}".encode())
    before = len(calls)
    _get(cache, "/overlap", b"focus=air")
    assert len(calls) == before, "the repeated answer was evicted by fresh ones"
    # kept answers are bounded in number (3 here): the least recently used goes first
    for path in ("/a", "/b", "/c"):
        _get(cache, path)
        _get(cache, path)
    before = len(calls)
    _get(cache, "/overlap", b"focus=air")
    assert len(calls) == before + 1


def test_a_refusal_of_the_analysis_process_is_held_by_the_main_process_without_its_connection() -> None:
    """The analysis process's gate answers a full queue at once, marked to be held; the main process holds
    it (RefusalPause), having given the connection back first, and never sends the internal header."""
    from api.admission import HOLD_HEADER, RefusalPause
    from api.offload import Offload

    def analysis(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/busy":
            return httpx.Response(503, headers={"content-type": "application/problem+json", "Retry-After": "5",
                                                HOLD_HEADER: "0.3"}, stream=httpx.ByteStream(b'{"status": 503}'))
        return httpx.Response(200, headers={"content-type": "application/json"},
                              stream=httpx.ByteStream(b'{"ok": true}'))

    class Stub:
        client = httpx.AsyncClient(transport=httpx.MockTransport(analysis), base_url="http://analysis")

    async def inner(scope: Scope, receive: Receive, send: Send) -> None:
        raise AssertionError("a relayed path reached the main process's own routes")

    app = RefusalPause(Offload(inner, Stub(), max_request_bytes=1000))  # type: ignore[arg-type]

    async def scenario() -> tuple[httpx.Response, float, httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://front") as client:
            started = time.monotonic()
            busy = await client.get("/busy")
            held = time.monotonic() - started
            ok = await client.get("/overlap?focus=x")
        return busy, held, ok

    busy, held, ok = asyncio.run(scenario())
    assert busy.status_code == 503 and busy.headers["retry-after"] == "5" and HOLD_HEADER not in busy.headers
    assert held >= 0.25, f"sent after {held:.3f} s: not held"
    assert ok.status_code == 200 and ok.json() == {"ok": True}


def test_an_app_served_twice_starts_its_analysis_process_again(validated: ValidatedGraph) -> None:
    """A lifespan may run more than once (tests reuse apps): the second start gets a new process and socket,
    and the first process is gone."""
    app = create_app(dataclasses.replace(Settings(), workers=1), graph=validated, offload=True)
    pids = []
    for _ in range(2):
        with live_server(app) as url:
            assert httpx.get(url + "/mechanisms/eanet", timeout=60).status_code == 200
            pids.append(app.state.analysis.pid)
        with pytest.raises(ProcessLookupError):
            os.kill(pids[-1], 0)
    assert pids[0] != pids[1]
