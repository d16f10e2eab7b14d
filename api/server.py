"""How uvicorn runs the app: connection limits and a header-read timeout that uvicorn lacks.

uvicorn closes idle keep-alive connections, but a connection that has not finished sending its request
headers is kept forever: a client that connects and says nothing, or trickles one header byte every few
seconds (slowloris), holds a socket and a file descriptor for as long as it likes, and a few thousand of
them exhaust the process. ``GuardedH11Protocol`` arms a timer whenever the server is waiting for a request's
headers (a new connection, or the next request on a kept-alive one) and closes the connection if they are
not complete in time, answering ``408 Request Timeout`` when part of a request had arrived. Bytes arriving
do not reset it: the whole header block must arrive within ``header_timeout_s``.

``limit_concurrency`` bounds the connections and requests one process handles at once; beyond it uvicorn
answers 503 at once rather than accepting work it cannot do.
"""
from __future__ import annotations

import asyncio
from functools import cache
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from api.settings import Settings


@cache
def _timeout_from_env() -> float:
    return Settings.from_env().header_timeout_s


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline for receiving each request's headers.

    The deadline is the subclass's ``header_timeout_s`` (``protocol_class``), or, in the worker processes
    ``serve --workers N`` starts (uvicorn can only hand them an importable class, this one), the
    ``NEASPEC_KG_HEADER_TIMEOUT_S`` their parent exported."""

    header_timeout_s: float | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._header_timer: asyncio.TimerHandle | None = None
        self._partial = False  # some bytes of the awaited request have arrived
        self._arm_header_timer()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._waiting_for_headers():
            self._partial = True
            self._arm_header_timer()  # no-op if already armed: trickling bytes buys no time
        else:
            self._partial = False
            self._cancel_header_timer()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self._waiting_for_headers():
            self._arm_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_header_timer()
        super().connection_lost(exc)

    def _waiting_for_headers(self) -> bool:
        """True between requests: h11 puts the client back to IDLE until a complete request line + headers."""
        return bool(self.conn.their_state is h11.IDLE and not self.transport.is_closing())

    def _arm_header_timer(self) -> None:
        if self._header_timer is None:
            timeout = self.header_timeout_s if self.header_timeout_s is not None else _timeout_from_env()
            self._header_timer = self.loop.call_later(timeout, self._header_timeout)

    def _cancel_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _header_timeout(self) -> None:
        self._header_timer = None
        if not self._waiting_for_headers():
            return
        if self._partial and self.conn.our_state is h11.IDLE:  # a silent socket is just closed
            body = b"The request headers did not arrive in time.\n"
            self.transport.write(
                b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
                b"connection: close\r\ncontent-length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
        self.transport.close()


def protocol_class(settings: Settings) -> type[GuardedH11Protocol]:
    """The protocol class with this server's timeout (a subclass, so two servers in one process differ)."""
    return type("GuardedH11Protocol", (GuardedH11Protocol,), {"header_timeout_s": settings.header_timeout_s})


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for ``uvicorn.run`` / ``uvicorn.Config`` that apply the server's connection policy."""
    return {"http": protocol_class(settings), "limit_concurrency": settings.max_connections or None,
            "timeout_keep_alive": 5, "proxy_headers": False, "server_header": False}
