"""Server settings: one frozen object, built from defaults or from ``NEASPEC_KG_*`` environment variables.

Every limit that protects the server (timeout, row cap, request size, pool size, queue length) lives here so
that an operator can see and change all of them in one place, and so that tests can tighten them.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, fields
from typing import Any

ENV_PREFIX = "NEASPEC_KG_"


def _parse_bool(raw: str) -> bool:
    text = raw.strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off"}:
        return False
    raise ValueError("expected true or false")


def _parse(raw: str, default: Any) -> Any:
    """Parse ``raw`` as the type of the field's default: the dataclass is the single source of types."""
    if isinstance(default, bool):
        return _parse_bool(raw)
    if isinstance(default, tuple):  # comma- or whitespace-separated list; "" is the empty list
        return tuple(item for item in raw.replace(",", " ").split() if item)
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, float):
        return float(raw)
    return raw


@dataclass(frozen=True)
class Settings:
    """Limits and switches of the web server. Defaults are safe for a public, read-only endpoint."""

    host: str = "127.0.0.1"
    port: int = 8000
    #: wall-clock limit of one SPARQL query (evaluation and serialisation), in seconds
    query_timeout_s: float = 10.0
    #: most result rows (SELECT) or triples (CONSTRUCT/DESCRIBE) one response may hold
    max_rows: int = 100_000
    #: most bytes one SPARQL response may hold, counted while it is produced in the worker
    max_response_bytes: int = 16_000_000
    #: largest request body (or query string) accepted, in bytes
    max_request_bytes: int = 1_000_000
    #: SPARQL worker processes (each opens the build's on-disk store read-only; none holds a copy of the data)
    workers: int = 2
    #: most SPARQL queries one client address may have running or waiting at once: half the queue, so one
    #: client can never fill it and others always find room (0: no limit; behind a proxy every client has the
    #: proxy's address, so raise it or set 0 there)
    per_client_queries: int = 128
    #: SPARQL requests that may wait for a free worker; beyond that new ones get 503. A waiting request costs
    #: a coroutine, not a worker; a short queue turned 64 clients into 95 % refusals (measured with wrk: a
    #: refusal that is retried at once costs the server more than the answer would), a queue of 256 serves them
    queue_limit: int = 256
    #: address-space cap of each SPARQL worker in MB (a runaway ORDER BY fails its worker, not the host);
    #: 0 for no cap
    worker_memory_mb: int = 2048
    #: SERVICE endpoints a query may call (exact IRIs); empty: every federated query is refused
    service_allowlist: tuple[str, ...] = ()
    #: the address clients reach this server at (behind a proxy: its public URL), used in the service
    #: description and the editor; empty: the address the server is bound to, never the request's Host header
    public_url: str = ""
    #: seconds a client has to send a request's complete headers (a new connection or the next request on a
    #: kept-alive one) before it is closed with 408; stops slow-header clients from holding sockets
    header_timeout_s: float = 10.0
    #: most connections and requests one server process handles at once; beyond it new ones get 503 at once
    max_connections: int = 1000
    #: REST and page answers not yet memoised computed at once in this process (api/admission.py), how many
    #: more may wait for a slot (in arrival order), and for how long, before 503
    analysis_slots: int = 2
    analysis_queue: int = 16
    analysis_wait_s: float = 10.0
    #: seconds a relayed REST or page answer may take to start arriving from the analysis process (waiting for
    #: a slot included) before the client gets 503 (analysis-timeout), as a SPARQL query past its limit does,
    #: and the analysis process is killed and replaced: a computation in a thread cannot be stopped any other
    #: way, and requests in flight on it get 503 with Retry-After. Longer than ``analysis_wait_s`` (checked),
    #: so only a request that computed at least the difference (20 s by default) can stop the process, never
    #: one that only waited; three times the SPARQL limit because a page or an unbounded analysis on a large graph
    #: legitimately takes seconds, and a kill costs every request in flight and a restart
    analysis_timeout_s: float = 30.0
    #: origins allowed by CORS; ("*",) for any, () to switch CORS off
    cors_origins: tuple[str, ...] = ("*",)
    #: a validated build's on-disk store (``<cache>/<digest>.oxigraph``) to serve instead of building now: set
    #: by ``serve --workers N`` so that its HTTP workers open the one store their parent built
    store_path: str = ""
    #: run analyses and pages in an analysis process beside each HTTP process (``api.offload``), so that none
    #: holds the GIL that answers ``/healthz`` and SPARQL: ``serve`` does, and sets it for the workers of
    #: ``serve --workers N`` so that each of them is as safe as one server
    offload: bool = False

    def __post_init__(self) -> None:
        for name in ("query_timeout_s", "max_rows", "max_response_bytes", "max_request_bytes", "workers",
                     "queue_limit", "header_timeout_s", "max_connections", "analysis_slots", "analysis_wait_s",
                     "analysis_timeout_s"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive, not {getattr(self, name)!r}")
        if self.analysis_timeout_s <= self.analysis_wait_s:  # a request that only waited would stop the process
            raise ValueError(f"analysis_timeout_s ({self.analysis_timeout_s:g}) must be longer than "
                             f"analysis_wait_s ({self.analysis_wait_s:g}), the wait for a slot that it includes "
                             f"(NEASPEC_KG_ANALYSIS_TIMEOUT_S, NEASPEC_KG_ANALYSIS_WAIT_S)")
        for name in ("analysis_queue", "per_client_queries", "worker_memory_mb"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be 0 or more, not {getattr(self, name)!r}")

    def to_env(self) -> dict[str, str]:
        """These settings as ``NEASPEC_KG_*`` variables that ``from_env`` reads back unchanged: how
        ``serve --workers N`` hands its settings to the worker processes uvicorn starts."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            text = (" ".join(value) if isinstance(value, tuple) else str(value).lower() if isinstance(value, bool)
                    else str(value))
            out[ENV_PREFIX + f.name.upper()] = text
        return out

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Settings from ``NEASPEC_KG_<FIELD>`` variables (e.g. ``NEASPEC_KG_QUERY_TIMEOUT_S=5``).

        Each value is parsed as the type of the field's default; lists (``SERVICE_ALLOWLIST``,
        ``CORS_ORIGINS``) are comma- or space-separated. A malformed value raises ValueError naming the
        variable, so that a typo stops the server instead of being silently ignored. Keyword
        ``overrides`` win over the environment.
        """
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            name = ENV_PREFIX + f.name.upper()
            if name in env and f.default is not MISSING:
                try:
                    values[f.name] = _parse(env[name], f.default)
                except ValueError as exc:
                    raise ValueError(f"{name}={env[name]!r}: {exc}") from None
        values.update(overrides)
        return cls(**values)
