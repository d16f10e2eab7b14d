"""Admission control for the analysis work of an app (REST and HTML answers not yet memoised).

SPARQL runs in killable worker processes (``api.query_pool``); the analyses behind the REST answers and the
pages run on the app's thread pool: in the analysis process under ``neaspec-kg serve`` (``api.offload``),
in the one process of an app made without ``offload``. Without a bound, clients that vary a parameter
(``/duplication?limit=N``, a fresh ``as_of``) can occupy every thread and starve memoised answers and
``/healthz``. ``WorkGate`` lets ``running`` computations proceed at once, queues at most ``waiting`` more in
arrival order (first come, first served: a freed slot is handed to the oldest waiter, never taken by a
newcomer), and answers 503 with ``Retry-After`` at once when the queue is full or after ``wait_s`` in it. So
at most ``running + waiting`` threads ever wait on analysis work, and the rest of the pool stays free for
memoised answers, which never pass the gate.

A computation in a thread cannot be killed as a worker process can; the gate bounds how many run, and the
analyses themselves are bounded (top-K by default, an in-memory index).

A refusal because the queue is full is held ``REFUSAL_PAUSE_S`` before it is sent, as the SPARQL endpoint's
are (``api.sparql``): a client that ignores Retry-After and asks again at once would otherwise be refused
hundreds of times a second, and the main process would spend itself refusing. The gate runs in a pool
thread, which must not sleep (the pool serves the memoised answers); it marks the refusal with an internal
header and ``RefusalPause``, an ASGI middleware, holds the answer in a sleeping coroutine, removes the
header and sends it.
"""
from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import ProblemError

#: seconds a refusal of a full queue is held before it is sent (the SPARQL endpoint holds its own as long)
REFUSAL_PAUSE_S = 0.5
#: internal response header: how long ``RefusalPause`` holds this answer; never sent to the client
HOLD_HEADER = "x-neaspec-kg-hold-s"


class WorkGate:
    """At most ``running`` at once, ``waiting`` queued in arrival order, 503 beyond."""

    def __init__(self, running: int = 2, waiting: int = 16, wait_s: float = 10.0,
                 refusal_pause_s: float = REFUSAL_PAUSE_S) -> None:
        self.running_limit, self.waiting_limit, self.wait_s = running, waiting, wait_s
        self.refusal_pause_s = refusal_pause_s
        self._lock = threading.Lock()
        self._running = 0
        self._queue: deque[threading.Event] = deque()

    def stats(self) -> tuple[int, int]:
        """(running, waiting) now."""
        with self._lock:
            return self._running, len(self._queue)

    def _busy(self, why: str, hold_s: float = 0.0) -> ProblemError:
        headers = {"Retry-After": str(max(1, round(self.wait_s / 2)))}
        if hold_s > 0:
            headers[HOLD_HEADER] = f"{hold_s:g}"
        return ProblemError(503, "Busy", f"{why}; retry shortly, or ask for an answer the server has already "
                                         f"given (those are served at once)",
                            type_="https://w3id.org/neaspec-kg/problems/busy", headers=headers)

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one of the running slots for the ``with`` block."""
        with self._lock:
            if self._running < self.running_limit and not self._queue:
                self._running += 1
                ticket = None
            elif len(self._queue) >= self.waiting_limit:
                # refused at once: held before it is sent (a refusal after wait_s has waited already)
                raise self._busy(f"{self._running} answers are being computed and {len(self._queue)} wait, "
                                 f"the most this server queues", self.refusal_pause_s)
            else:
                ticket = threading.Event()
                self._queue.append(ticket)
        if ticket is not None and not ticket.wait(self.wait_s):
            with self._lock:
                if ticket in self._queue:  # not granted in time: leave the queue
                    self._queue.remove(ticket)
                    raise self._busy(f"no computing slot became free within {self.wait_s:g} s")
            # granted between the timeout and the lock: the slot is ours
        try:
            yield
        finally:
            with self._lock:
                if self._queue:
                    self._queue.popleft().set()  # hand the slot to the oldest waiter; the count is unchanged
                else:
                    self._running -= 1


class RefusalPause:
    """Pure ASGI middleware: an answer marked with ``HOLD_HEADER`` is held that many seconds (in a sleeping
    coroutine: no thread, no worker) and sent without the header."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def held(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.get("headers", [])
                hold = next((v for n, v in headers if n.lower() == _HOLD), None)
                if hold is not None:
                    message = {**message, "headers": [(n, v) for n, v in headers if n.lower() != _HOLD]}
                    await asyncio.sleep(min(float(hold), 10.0))
            await send(message)

        await self.app(scope, receive, held)


_HOLD = HOLD_HEADER.encode("latin-1")
