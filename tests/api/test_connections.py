"""Connections a hostile or broken client holds open: silent sockets and slow headers are closed (slow ones
with 408) after the header-read timeout, and past the connection limit new work gets 503 at once (api/server.py)."""
from __future__ import annotations

import dataclasses
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from api.app import create_app
from api.settings import Settings
from neaspec_kg.build import ValidatedGraph
from tests.live_server import live_server

TIMEOUT_S = 1.0


@pytest.fixture(scope="module")
def guarded(validated: ValidatedGraph) -> Iterator[tuple[str, int]]:
    settings = dataclasses.replace(Settings(), workers=1, header_timeout_s=TIMEOUT_S, max_connections=8)
    with live_server(create_app(settings, graph=validated)) as url:
        yield url, int(url.rsplit(":", 1)[1])


def _read_until_closed(sock: socket.socket, limit_s: float) -> tuple[bytes, float]:
    """Everything the server sends until it closes the socket, and how long that took."""
    start = time.monotonic()
    sock.settimeout(limit_s)
    data = b""
    while True:
        chunk = sock.recv(4096)
        if not chunk:
            return data, time.monotonic() - start
        data += chunk


def test_a_silent_connection_is_closed(guarded: tuple[str, int]) -> None:
    _, port = guarded
    with socket.create_connection(("127.0.0.1", port)) as sock:
        data, took = _read_until_closed(sock, limit_s=TIMEOUT_S * 5)
    assert data == b"", data  # nothing was asked, so nothing is answered
    assert TIMEOUT_S * 0.8 <= took <= TIMEOUT_S * 3


def test_trickled_headers_buy_no_time(guarded: tuple[str, int]) -> None:
    """A slowloris client sends a header byte at a time: the deadline counts from the start of the request."""
    _, port = guarded
    with socket.create_connection(("127.0.0.1", port)) as sock:
        start = time.monotonic()
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        answer = None
        while answer is None and time.monotonic() - start < TIMEOUT_S * 6:
            time.sleep(TIMEOUT_S / 4)
            try:
                sock.sendall(b"X")
                sock.settimeout(0.05)
                answer = sock.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                answer = b""  # reset by the server: closed
        took = time.monotonic() - start
    assert answer is not None, "the server kept a connection whose headers never ended"
    assert answer.startswith(b"HTTP/1.1 408") or answer == b"", answer  # 408, or reset if a byte crossed it
    assert took <= TIMEOUT_S * 3


def test_a_kept_alive_connection_gets_the_same_deadline_for_its_next_request(guarded: tuple[str, int]) -> None:
    _, port = guarded
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        sock.settimeout(10)
        first = sock.recv(65536)
        assert first.startswith(b"HTTP/1.1 200"), first
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # the next request, never finished
        data, took = _read_until_closed(sock, limit_s=TIMEOUT_S * 8)
    assert b"HTTP/1.1 408" in data, data  # after whatever of the first answer recv had not read yet
    assert took <= TIMEOUT_S * 6


def test_normal_requests_are_untouched(guarded: tuple[str, int]) -> None:
    url, _ = guarded
    with httpx.Client(base_url=url, timeout=30) as client:
        for _ in range(3):
            assert client.get("/healthz").status_code == 200
            time.sleep(TIMEOUT_S / 3)  # idle between requests, under the keep-alive timeout
        assert client.get("/mechanisms").status_code == 200


def test_past_the_connection_limit_new_work_gets_503_at_once(guarded: tuple[str, int]) -> None:
    url, port = guarded
    held = [socket.create_connection(("127.0.0.1", port)) for _ in range(8)]
    try:
        time.sleep(0.2)
        start = time.monotonic()
        r = httpx.get(url + "/healthz", timeout=10)
        assert r.status_code == 503 and time.monotonic() - start < 2
    finally:
        for s in held:
            s.close()
    deadline = time.monotonic() + 10
    while httpx.get(url + "/healthz", timeout=10).status_code != 200:
        assert time.monotonic() < deadline, "the server did not recover after the held connections closed"
        time.sleep(0.1)
