"""Run an ASGI app on a real socket for the duration of a test: real clients need a real server.

Not a conftest fixture on purpose: tests pick their own app and settings and wrap it in
``with live_server(app) as base_url: ...`` (or a fixture of their own).
"""
from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import uvicorn
from fastapi import FastAPI

from api.server import uvicorn_options


@contextmanager
def live_server(app: FastAPI, *, host: str = "127.0.0.1", startup_timeout_s: float = 60.0) -> Iterator[str]:
    """Serve ``app`` with uvicorn in a background thread on a free port; yield its base URL
    (``http://127.0.0.1:<port>``) once ``/healthz`` answers 200, and stop the server afterwards.

    The listening socket is bound here and handed to uvicorn, so the port cannot be taken by someone
    else between choosing it and using it. The app's lifespan runs, so its SPARQL pool starts and stops.
    """
    # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on sockets whose proto says TCP, and without it
    # every response waits ~40 ms for a delayed ACK (Nagle), which would distort any timing taken here
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    port = sock.getsockname()[1]
    # the connection policy `neaspec-kg serve` applies (header-read timeout, connection limit), when the app
    # carries its settings
    settings = getattr(app.state, "settings", None)
    options = uvicorn_options(settings) if settings is not None else {}
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on", access_log=False,
                            **options)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    base_url = f"http://{host}:{port}"
    try:
        _wait_until_healthy(base_url, thread, startup_timeout_s)
        yield base_url
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


def _wait_until_healthy(base_url: str, thread: threading.Thread, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    last_error = "no answer"
    while time.monotonic() < deadline:
        if not thread.is_alive():
            raise RuntimeError(f"the server at {base_url} stopped during startup ({last_error})")
        try:
            response = httpx.get(base_url + "/healthz", timeout=2.0)
            if response.status_code == 200:
                return
            last_error = f"/healthz answered {response.status_code}"
        except httpx.HTTPError as exc:
            last_error = repr(exc)
        time.sleep(0.05)
    raise TimeoutError(f"the server at {base_url} was not healthy within {timeout_s:g} s ({last_error})")
