"""The gate in front of the main process's own analysis work (api/admission.py): bounded, first come first
served, 503 with Retry-After when full, and memoised answers never wait behind it."""
from __future__ import annotations

import threading
import time

import httpx
import pytest

from api.admission import WorkGate
from api.problems import ProblemError


def _hold(gate: WorkGate, started: threading.Event, release: threading.Event, order: list[int], n: int) -> None:
    try:
        with gate.slot():
            order.append(n)
            started.set()
            release.wait(10)
    except ProblemError:
        order.append(-n)


def test_slots_are_handed_to_waiters_in_arrival_order() -> None:
    gate = WorkGate(running=1, waiting=5, wait_s=10)
    release = [threading.Event() for _ in range(4)]
    started = [threading.Event() for _ in range(4)]
    order: list[int] = []
    threads = []
    for n in range(4):
        t = threading.Thread(target=_hold, args=(gate, started[n], release[n], order, n))
        t.start()
        threads.append(t)
        time.sleep(0.05)  # arrive one after another
    assert started[0].wait(5) and gate.stats() == (1, 3)
    for n in range(4):
        release[n].set()
        if n < 3:
            assert started[n + 1].wait(5)
    for t in threads:
        t.join(5)
    assert order == [0, 1, 2, 3] and gate.stats() == (0, 0)


def test_a_full_queue_answers_503_at_once_and_a_long_wait_gives_up() -> None:
    gate = WorkGate(running=1, waiting=1, wait_s=0.3)
    release, started = threading.Event(), threading.Event()
    holder = threading.Thread(target=_hold, args=(gate, started, release, [], 1))
    holder.start()
    assert started.wait(5)
    waiter_order: list[int] = []
    waiter = threading.Thread(target=_hold, args=(gate, threading.Event(), threading.Event(), waiter_order, 2))
    waiter.start()
    time.sleep(0.05)
    t = time.monotonic()
    with pytest.raises(ProblemError) as full, gate.slot():
        pass
    assert time.monotonic() - t < 0.1, "a full queue must not make the client wait"
    assert full.value.status == 503 and "Retry-After" in (full.value.headers or {})
    waiter.join(5)
    assert waiter_order == [-2], "the waiter gave up after wait_s"
    release.set()
    holder.join(5)
    assert gate.stats() == (0, 0)


Params = dict[str, str | int | float]


def test_memoised_answers_and_healthz_never_wait_for_the_gate(narrow: tuple[str, WorkGate]) -> None:
    url, gate = narrow
    memoised: list[tuple[str, Params]] = [
        ("/overlap", {"focus": "air quality"}), ("/map", {"format": "json"}), ("/map", {}),
        ("/matrix", {}), ("/matrix/countries", {"format": "csv"}), ("/timeline", {})]
    fresh: list[tuple[str, Params]] = [
        ("/duplication", {"limit": 7, "min_score": 0.123}), ("/map", {"as_of": "2011-02-03"}),
        ("/matrix", {"as_of": "2011-02-03", "format": "json"})]
    with httpx.Client(base_url=url, timeout=30) as client:
        for path, params in memoised:
            assert client.get(path, params=params).status_code == 200, path  # now memoised
        with gate.slot():  # every computing slot taken, no queue
            for path, params in fresh:
                r = client.get(path, params=params)
                assert r.status_code == 503 and r.headers["content-type"].startswith("application/problem+json"), \
                    (path, r.status_code)
                assert "Retry-After" in r.headers
            for path, params in memoised:
                assert client.get(path, params=params).status_code == 200, f"{path} waited behind the gate"
            assert client.get("/healthz").status_code == 200
        for path, params in fresh:
            assert client.get(path, params=params).status_code == 200, path
