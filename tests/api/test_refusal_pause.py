"""The analysis gate's refusals are held before they are sent (api/admission.py), as the SPARQL endpoint's
are, so that a client that retries at once cannot keep the main process busy refusing it; the hold costs a
sleeping coroutine, never a pool thread, so memoised answers and /healthz are served meanwhile."""
from __future__ import annotations

import asyncio
import threading
import time

import httpx
import pytest

from api.admission import HOLD_HEADER, REFUSAL_PAUSE_S, WorkGate
from api.problems import ProblemError


def test_a_full_queue_marks_its_refusal_to_be_held_and_a_timed_out_wait_does_not() -> None:
    gate = WorkGate(running=1, waiting=0, wait_s=0.2)
    with gate.slot(), pytest.raises(ProblemError) as full, gate.slot():
        pass
    assert full.value.status == 503 and full.value.headers[HOLD_HEADER] == f"{REFUSAL_PAUSE_S:g}"
    assert "Retry-After" in full.value.headers

    gate = WorkGate(running=1, waiting=1, wait_s=0.2)
    release = threading.Event()

    def hold() -> None:
        with gate.slot():
            release.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    time.sleep(0.05)
    try:
        with pytest.raises(ProblemError) as waited, gate.slot():
            pass
    finally:
        release.set()
        holder.join(5)
    assert waited.value.status == 503 and HOLD_HEADER not in waited.value.headers, \
        "a refusal after waiting wait_s has waited already"


def test_a_refusal_is_held_then_sent_as_a_problem_with_retry_after(narrow: tuple[str, WorkGate]) -> None:
    url, gate = narrow
    with httpx.Client(base_url=url, timeout=30) as client, gate.slot():
        started = time.monotonic()
        r = client.get("/duplication", params={"limit": 9, "min_score": 0.321})
        held = time.monotonic() - started
    assert r.status_code == 503 and r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["status"] == 503 and int(r.headers["Retry-After"]) >= 1
    assert HOLD_HEADER not in r.headers, "the internal header must not reach the client"
    assert held >= REFUSAL_PAUSE_S * 0.9, f"the refusal was sent after {held:.3f} s, not held"


def test_held_refusals_take_no_pool_thread_from_memoised_answers(narrow: tuple[str, WorkGate]) -> None:
    """More refusals held at once than the thread pool has threads (40): a memoised answer asked meanwhile
    is served before any of them is released."""
    url, gate = narrow

    async def scenario() -> tuple[list[float], float, float, float]:
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
        async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as client:
            done: list[float] = []

            async def refused(n: int) -> None:
                r = await client.get("/duplication", params={"limit": 100 + n, "min_score": 0.5})
                assert r.status_code == 503, r.status_code
                done.append(time.monotonic())

            started = time.monotonic()
            tasks = [asyncio.create_task(refused(n)) for n in range(60)]
            await asyncio.sleep(0.1)
            r = await client.get("/overlap", params={"focus": "air quality"})
            assert r.status_code == 200
            memo_done = time.monotonic()
            health = await client.get("/healthz")
            assert health.status_code == 200
            health_done = time.monotonic()
            await asyncio.gather(*tasks)
            return done, started, memo_done, health_done

    assert httpx.get(url + "/overlap", params={"focus": "air quality"}, timeout=30).status_code == 200  # memoised
    with gate.slot():  # every computing slot taken, no queue: each fresh request is refused
        done, started, memo_done, health_done = asyncio.run(scenario())
    assert len(done) == 60
    assert min(done) - started >= REFUSAL_PAUSE_S * 0.9, "the refusals were not held"
    assert memo_done < min(done) and health_done < min(done), (
        f"memoised answer after {memo_done - started:.3f} s, /healthz after {health_done - started:.3f} s, "
        f"first refusal after {min(done) - started:.3f} s: they waited behind the held refusals")
