"""SPARQL evaluation in worker processes, so that a query can be stopped and cannot stall the server.

Why processes: pyoxigraph cannot cancel a running query from another thread, so a query that runs for
minutes would hold a thread (and the GIL-free Rust work would compete with the API) until it ends. Here
every query runs in a worker process over the build's on-disk store; the server waits for the
answer in a thread (never on the event loop) and, when the timeout passes, kills the worker (SIGKILL: the
work really stops) and starts a replacement in the background. The REST API keeps answering from the main
process's own store meanwhile.

Each worker is a fresh interpreter that opens the build's on-disk RocksDB store read-only (the path is sent
over its socket at start; ``neaspec_kg.build.write_store`` wrote it with the layout of
``neaspec_kg.store.OxigraphStore``: the named graphs, plus a default graph that is the RDF merge of all of
them). No worker holds a copy of the data: they all read the same files through the page cache, so N workers
cost N small processes, not N stores. Results are serialised inside the worker with pyoxigraph's own
serialisers and counted against the row cap while they are produced, so an oversized result is cut off early
instead of being built in memory; an address-space cap makes a runaway query (a huge ORDER BY) fail its own
worker rather than the host. On Linux, when no SERVICE endpoint is allowed, a worker also moves itself into
an empty network namespace (when it may: root or unprivileged user namespaces) and, everywhere, gives up the
right to open any new file descriptor (RLIMIT_NOFILE) once the store's files are open (RocksDB opens only 16
table files by itself; ``_warm_up`` reads the rest open and the worker checks in /proc that none is left
before the cap): even a SERVICE clause that slipped past the lexical check in ``api.sparql`` could not open
a connection, nor the worker any file. ``PoolStats.isolated`` tells whether that worked.

The pool has a bounded queue: when ``queue_limit`` requests already wait for a worker, a new one fails
at once with ``PoolBusy`` (the endpoint answers 503 with Retry-After) instead of piling up.
"""
from __future__ import annotations

import asyncio
import contextlib
import ctypes
import functools
import itertools
import json
import logging
import math
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import weakref
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import IO, Any, Literal, cast

import pyoxigraph as ox

from neaspec_kg.build import _summarise

log = logging.getLogger(__name__)

#: result formats by the names used in a QueryJob (media types and aliases live in api.sparql)
RESULTS_FORMATS: dict[str, ox.QueryResultsFormat] = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}
#: the SPARQL 1.1 CSV/TSV formats do not define ASK results
BOOLEAN_FORMATS = ("json", "xml")
GRAPH_FORMATS: dict[str, ox.RdfFormat] = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "jsonld": ox.RdfFormat.JSON_LD,
    "rdfxml": ox.RdfFormat.RDF_XML,
}

ResultKind = Literal["solutions", "boolean", "graph"]


# --------------------------------------------------------------------------- jobs, results, errors


@dataclass(frozen=True)
class QueryJob:
    """One query as the endpoint hands it to a worker.

    The query form is only certain once pyoxigraph has parsed the query, so the job carries the
    negotiated format for each kind of result (None: the client accepts none of ours for that kind).
    ``default_graphs``/``named_graphs`` are the Protocol's ``default-graph-uri``/``named-graph-uri``;
    both None means "the store's dataset" (the merge as default graph, all named graphs available).
    """

    query: str
    select_format: str | None = "json"
    ask_format: str | None = "json"
    graph_format: str | None = "turtle"
    default_graphs: tuple[str, ...] | None = None
    named_graphs: tuple[str, ...] | None = None
    #: the form the endpoint's scan found (SELECT, ASK, ...): what a remote evaluator asks its store for
    form: str | None = None
    #: who asked (the client's address): no one client may hold more than its share of the workers
    client: str | None = None


@dataclass(frozen=True)
class QueryResult:
    kind: ResultKind
    format: str
    body: bytes
    #: solutions (SELECT), triples (CONSTRUCT/DESCRIBE) or 1 (ASK)
    rows: int
    #: seconds spent in the worker (evaluation and serialisation)
    elapsed_s: float


class QueryPoolError(Exception):
    """Base class of everything ``QueryPool.run`` raises on purpose."""


class QuerySyntaxError(QueryPoolError):
    def __init__(self, message: str, line: int | None, column: int | None) -> None:
        super().__init__(message)
        self.message, self.line, self.column = message, line, column


class TooManyBytes(QueryPoolError):
    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(f"result larger than {limit} bytes")


class TooManyRows(QueryPoolError):
    def __init__(self, limit: int) -> None:
        super().__init__(f"the result has more than {limit} rows")
        self.limit = limit


class NotAcceptable(QueryPoolError):
    def __init__(self, kind: ResultKind) -> None:
        super().__init__(f"no acceptable format for {kind}")
        self.kind = kind


class QueryTimeout(QueryPoolError):
    def __init__(self, timeout_s: float) -> None:
        super().__init__(f"the query ran for more than {timeout_s:g} s")
        self.timeout_s = timeout_s


class PoolBusy(QueryPoolError):
    def __init__(self, retry_after_s: int, reason: str = "All query workers are busy and the queue is full") -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after_s = retry_after_s


class WorkerCrashed(QueryPoolError):
    def __init__(self, exitcode: int | None) -> None:
        reason = {-signal.SIGABRT: "it ran out of memory", -signal.SIGSEGV: "it crashed",
                  -signal.SIGKILL: "it was killed"}.get(exitcode or 0, f"exit code {exitcode}")
        super().__init__(f"the worker evaluating the query stopped ({reason})")
        self.exitcode = exitcode


class QueryEvaluationError(QueryPoolError):
    """The query parsed but its evaluation failed (``remote`` when a SERVICE call failed)."""

    def __init__(self, message: str, *, remote: bool) -> None:
        super().__init__(message)
        self.remote = remote


class PoolClosed(QueryPoolError):
    pass


# --------------------------------------------------------------------------- the worker process

_CLONE_NEWUSER = 0x10000000
_CLONE_NEWNET = 0x40000000
_SYNTAX_POSITION = re.compile(r"^error at (\d+):(\d+):\s*")


class _Overflow(Exception):
    """Raised inside a worker's serialiser when the row cap is passed; stops evaluation early."""


def _isolate_network() -> bool:
    """Move this process into a new, empty network namespace (Linux; needs root or user namespaces).
    Defence in depth: the endpoint refuses SERVICE before a query gets here."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return any(libc.unshare(flags) == 0 for flags in (_CLONE_NEWNET, _CLONE_NEWUSER | _CLONE_NEWNET))
    except (OSError, AttributeError):
        return False


def _close_descriptors_above(conn_fd: int) -> None:
    """Close every descriptor above the server connection (inherited ones included), so that the store's
    files, opened next, take the numbers just above it, with no gap (see ``_forbid_new_descriptors``)."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    os.closerange(conn_fd + 1, max(soft, conn_fd + 1))


def _open_descriptors() -> dict[int, str]:
    """This process's open descriptors and what they point at (Linux /proc; empty elsewhere)."""
    out: dict[int, str] = {}
    with contextlib.suppress(OSError):
        for name in os.listdir("/proc/self/fd"):
            with contextlib.suppress(OSError):
                out[int(name)] = os.readlink(f"/proc/self/fd/{name}")
    return out


def _forbid_new_descriptors(conn_fd: int, headroom: int = 0) -> bool:
    """Cap RLIMIT_NOFILE just above the highest descriptor in use, with every number below it taken, so
    this process can open no socket (nor file) any more: no privileges needed, works on any POSIX system.

    ``_child_entry`` moved the connection to the lowest free descriptor, so every number below it is in
    use (stdio); the store's table files sit above it. A gap (a file RocksDB opened and closed while the
    store opened) is filled with a duplicate of the connection, so that no number under the cap is free.
    A worker needs no new descriptor after opening its store and running the warm-up queries; ``headroom``
    leaves that many numbers free for table files RocksDB has not opened yet (see ``_warm_up``)."""
    try:
        in_use = set(_open_descriptors()) or {conn_fd}
        top = max(max(in_use), conn_fd)
        fillers = []
        while True:
            fd = os.dup(conn_fd)  # always the lowest free number
            if fd > top:
                os.close(fd)
                break
            fillers.append(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (top + 1 + headroom, top + 1 + headroom))
        return headroom == 0
    except (OSError, ValueError):
        return False


def _limit_memory(megabytes: int | None) -> None:
    """Cap the worker's address space: a runaway query then fails its own worker, not the machine."""
    if not megabytes:
        return
    try:
        limit = megabytes * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (OSError, ValueError):
        log.warning("cannot limit SPARQL worker memory on this platform")


def open_dataset(path: str) -> ox.Store:
    """The endpoint's dataset, read-only from the build's on-disk store (``neaspec_kg.build.write_store``:
    named graphs as built, default graph := their RDF merge)."""
    return ox.Store.read_only(path)


def dataset_summary(store: ox.Store, path: str | None = None) -> dict[str, Any]:
    """Triples in the default graph and in each named graph (for the service description): from the summary
    the build wrote beside the store when there is one (counting takes seconds at scale), else counted."""
    from neaspec_kg.build import META_FILE

    summary: dict[str, Any] | None = None
    if path is not None:
        with contextlib.suppress(OSError, ValueError):
            summary = json.loads((Path(path) / META_FILE).read_text(encoding="utf-8"))
    if not isinstance(summary, dict) or "named_graphs" not in summary:
        summary = _summarise(store)
    return {"default_triples": summary["default_triples"], "named_graphs": summary["named_graphs"]}


def _warm_up(store: ox.Store, path: str, graphs_sampled: int = 500, per_graph: int = 2) -> list[str]:
    """Read the store so that RocksDB opens its table files before the worker caps its descriptors; return
    the files still not open (the caller keeps that many descriptors free).

    Why: RocksDB opens at most 16 table files when a store opens and the rest on first use (a 10,000-mechanism
    store has 18; 100,000 has 88). A table file holds one contiguous key range of one index, so reads landing
    in each range open them: quads sampled from graphs spread over the whole store (graph names are hashed, so
    evenly spread), then, for each, a seek by subject, by predicate and object, and by object, in any graph,
    the default graph and its own graph. That costs about a second however large the store. What it cannot
    reach is a file in the middle of one long run of a predicate-first or object-first index (all the
    ``rdf:type`` of one class, say): at 100,000 mechanisms 11 of 88 files. Full scans of the subject-first
    indexes, tried after the seeks until this change, opened 4 of those 11 and took 12 s of every worker's
    start; opening the rest would mean scanning every index."""
    graphs = list(store.named_graphs())
    step = max(1, len(graphs) // graphs_sampled)
    sample = [q for g in graphs[::step] for q in itertools.islice(store.quads_for_pattern(None, None, None, g),
                                                                   per_graph)]
    default = ox.DefaultGraph()
    for q in sample:
        for graph in (None, default, q.graph_name):
            for subject, predicate, obj in ((q.subject, None, None), (None, q.predicate, q.object),
                                            (None, None, q.object)):
                next(iter(store.quads_for_pattern(subject, predicate, obj, graph)), None)
    return _unopened_table_files(path)


def _unopened_table_files(path: str) -> list[str]:
    """Table files of the store at ``path`` that this process has not open (should be none after the warm-up:
    RocksDB opens them all when the store opens, as long as its table cache is not full)."""
    opened = set(_open_descriptors().values())
    with contextlib.suppress(OSError):
        return sorted(str(f) for f in Path(path).resolve().glob("*.sst") if str(f) not in opened)
    return []


class _TooBig(Exception):
    """Raised inside a serialiser when the answer passes the byte budget."""


class _CountingSink:
    """A binary sink for pyoxigraph's serialisers that counts lines and bytes as they are written.

    TSV has exactly one line per solution (newlines inside literals are escaped), so counting newlines
    counts rows; passing either cap raises inside the serialiser, which stops the query's evaluation, so an
    answer of a few rows blown up to hundreds of megabytes (REPLACE, CONCAT) is refused before it exists."""

    def __init__(self, max_rows: int | None, max_bytes: int | None) -> None:
        self.chunks: list[bytes] = []
        self.lines = 0
        self.size = 0
        self.max_lines = None if max_rows is None else max_rows + 1  # the header line
        self.max_bytes = max_bytes

    def write(self, data: bytes) -> int:
        chunk = bytes(data)
        self.lines += chunk.count(b"\n")
        self.size += len(chunk)
        if self.max_lines is not None and self.lines > self.max_lines:
            raise _Overflow
        if self.max_bytes is not None and self.size > self.max_bytes:
            raise _TooBig
        self.chunks.append(chunk)
        return len(chunk)

    def flush(self) -> None:
        pass


def _serialize_solutions(result: ox.QuerySolutions, fmt: str, max_rows: int,
                         max_bytes: int | None = None) -> tuple[bytes, int]:
    sink = _CountingSink(max_rows, max_bytes)
    result.serialize(cast("IO[bytes]", sink), format=ox.QueryResultsFormat.TSV)
    tsv = b"".join(sink.chunks)
    rows = max(sink.lines - 1, 0)
    if fmt == "tsv":
        return tsv, rows
    # TSV is lossless (terms in N-Triples/Turtle syntax, blank node labels kept): re-read and write the
    # requested format with pyoxigraph's serialiser, now that the row count is known to be within the cap,
    # again counting bytes (JSON and XML are larger than TSV)
    solutions = ox.parse_query_results(tsv, format=ox.QueryResultsFormat.TSV)
    assert isinstance(solutions, ox.QuerySolutions)
    out = _CountingSink(None, max_bytes)
    solutions.serialize(cast("IO[bytes]", out), format=RESULTS_FORMATS[fmt])
    return b"".join(out.chunks), rows


def _capped(triples: Iterable[ox.Triple], max_rows: int, counter: list[int]) -> Iterator[ox.Triple]:
    for triple in triples:
        counter[0] += 1
        if counter[0] > max_rows:
            raise _Overflow
        yield triple


def _dataset_kwargs(job: QueryJob) -> dict[str, Any]:
    if job.default_graphs is None and job.named_graphs is None:
        return {}
    # Protocol §2.1.4: once either parameter is given, the dataset is exactly what the parameters name
    return {
        "default_graph": [ox.NamedNode(g) for g in job.default_graphs or ()],
        "named_graphs": [ox.NamedNode(g) for g in job.named_graphs or ()],
    }


def execute(store: ox.Store, job: QueryJob, max_rows: int, prefixes: Mapping[str, str],
            max_bytes: int | None = None) -> tuple[Any, ...]:
    """Evaluate and serialise one job; the reply is a plain tuple (cheap to pickle, no classes needed)."""
    started = time.perf_counter()
    try:
        result = store.query(job.query, **_dataset_kwargs(job))
        if isinstance(result, ox.QuerySolutions):
            kind: ResultKind = "solutions"
            if job.select_format is None:
                return ("not-acceptable", kind)
            fmt = job.select_format
            body, rows = _serialize_solutions(result, fmt, max_rows, max_bytes)
        elif isinstance(result, ox.QueryBoolean):
            kind = "boolean"
            if job.ask_format not in BOOLEAN_FORMATS:
                return ("not-acceptable", kind)
            fmt = job.ask_format
            body, rows = result.serialize(format=RESULTS_FORMATS[fmt]) or b"", 1
        else:
            kind = "graph"
            if job.graph_format is None:
                return ("not-acceptable", kind)
            fmt = job.graph_format
            counter = [0]
            rdf_format = GRAPH_FORMATS[fmt]
            extra: dict[str, Any] = {"prefixes": dict(prefixes)} if rdf_format is ox.RdfFormat.TURTLE else {}
            sink = _CountingSink(None, max_bytes)
            ox.serialize(_capped(result, max_rows, counter), cast("IO[bytes]", sink), format=rdf_format, **extra)
            body, rows = b"".join(sink.chunks), counter[0]
    except _Overflow:
        return ("too-many", max_rows)
    except _TooBig:
        return ("too-big", max_bytes)
    except SyntaxError as exc:
        message = str(exc.msg if getattr(exc, "msg", None) else exc)
        position = _SYNTAX_POSITION.match(message)
        if position:
            return ("syntax", message[position.end():], int(position.group(1)), int(position.group(2)))
        return ("syntax", message, None, None)
    except OSError as exc:  # pyoxigraph raises OSError for I/O, which at query time means a SERVICE call
        return ("failed", str(exc), True)
    except (RuntimeError, ValueError, TypeError) as exc:
        return ("failed", str(exc), False)
    return ("ok", kind, fmt, body, rows, time.perf_counter() - started)


def lower_priority(niceness: int) -> None:
    """Make this process ``niceness`` steps nicer (a worker, never the main process): on a machine with few
    cores, the main process's event loop is then given a core as soon as it has something to answer instead
    of waiting for a worker's time slice to end (bench/hardening.py: /healthz p99 under attack fell from
    about 5x to under 2x that of an idle process on the same machine). Raising niceness needs no privilege;
    it cannot be undone by the worker."""
    if niceness > 0:
        with contextlib.suppress(OSError):
            os.nice(niceness)


def _worker_main(conn: Connection, max_rows: int, prefixes: dict[str, str], isolate: bool,
                 memory_mb: int | None, store_path: str, max_bytes: int | None = None, niceness: int = 0) -> None:
    """Body of a worker process: open the store once, then answer jobs until told to stop."""
    lower_priority(niceness)
    in_empty_netns = _isolate_network() if isolate else False
    _limit_memory(memory_mb)
    if isolate:
        _close_descriptors_above(conn.fileno())
    try:
        store = open_dataset(store_path)
        summary = dataset_summary(store, store_path)
        unopened = _warm_up(store, store_path)
    except OSError as exc:
        conn.send(("failed", os.getpid(), False, f"cannot open the store at {store_path}: {exc}"))
        return
    if unopened and isolate:
        # a cap with no free number would make every later read of these files fail: keep one number free
        # per file (so the cap still bounds descriptors, but no longer forbids a socket: only the empty
        # network namespace, where there is one, isolates this worker then)
        log.warning("SPARQL worker: %d table files of the store are not open yet; keeping %d descriptors free",
                    len(unopened), len(unopened))
    no_new_sockets = _forbid_new_descriptors(conn.fileno(), len(unopened)) if isolate else False
    conn.send(("ready", os.getpid(), in_empty_netns or no_new_sockets, summary))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return  # the server went away
        if job is None:
            return
        try:
            conn.send(execute(store, job, max_rows, prefixes, max_bytes))
        except (BrokenPipeError, ConnectionResetError):
            return  # the server went away (or killed this job's wait) while the answer was being sent


def _child_entry() -> None:
    """``python -c`` entry point of a worker (see ``QueryPool._spawn``); argv[1] is the socket's fd."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C in a terminal reaches the group; the parent decides
    fd = int(sys.argv[1])
    lowest = os.dup(fd)  # the lowest free descriptor: see _forbid_new_descriptors
    if lowest < fd:
        os.close(fd)
        fd = lowest
    else:
        os.close(lowest)
    conn = Connection(fd)
    settings = conn.recv()
    _worker_main(conn, **settings)


# --------------------------------------------------------------------------- the server side

#: workers run this much nicer than the main process (``lower_priority``): the front door answers first
WORKER_NICENESS = 10


#: the directory that holds the ``api`` package, so that a worker imports the same code as the server
_CODE_ROOT = str(Path(__file__).resolve().parent.parent)


@dataclass
class _Worker:
    process: subprocess.Popen[bytes]
    conn: Connection
    isolated: bool
    jobs: int = 0

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def exitcode(self) -> int | None:
        return self.process.poll()

    def roundtrip(self, job: QueryJob, timeout_s: float) -> tuple[Any, ...]:
        """Send a job and wait for the reply (runs in a thread). On timeout the worker is killed here,
        so the work stops at the deadline whatever happens to the waiting request."""
        self.jobs += 1
        try:
            self.conn.send(job)
            if not self.conn.poll(timeout_s):
                self.kill()
                return ("timeout",)
            reply: tuple[Any, ...] = self.conn.recv()
            return reply
        except (EOFError, OSError):
            self.kill()
            return ("crashed", self.exitcode)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(5)
        with contextlib.suppress(OSError):
            self.conn.close()

    def stop(self, grace_s: float = 2.0) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.conn.send(None)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(grace_s)
        self.kill()


@dataclass
class PoolStats:
    workers: int
    idle: int
    waiting: int
    replaced: int
    isolated: bool
    pids: list[int] = field(default_factory=list)
    #: jobs run so far by each live worker, by process id
    jobs: dict[int, int] = field(default_factory=dict)


class QueryPool:
    """A fixed number of SPARQL worker processes behind a bounded queue (see the module docstring).

    Use from one event loop at a time: ``await pool.start()``, ``await pool.run(job)``, ``await pool.close()``.
    A closed pool can be started again (an app whose lifespan runs twice, as in tests, reuses its pool).
    """

    def __init__(
        self,
        dataset: str | os.PathLike[str] | bytes,
        *,
        workers: int = 2,
        queue_limit: int = 32,
        timeout_s: float = 10.0,
        max_rows: int = 100_000,
        max_bytes: int | None = None,
        per_client: int = 0,
        prefixes: Mapping[str, str] | None = None,
        isolate_network: bool = True,
        memory_limit_mb: int | None = None,
        start_timeout_s: float = 60.0,
        niceness: int = WORKER_NICENESS,
    ) -> None:
        if workers < 1 or queue_limit < 0:
            raise ValueError("a pool needs at least one worker and a non-negative queue limit")
        #: the on-disk store every worker opens read-only; N-Quads (tests, small tools) are written to a
        #: private temporary store on the first start, so that workers never receive the data itself
        self._store_path: str | None = None if isinstance(dataset, bytes) else os.fspath(dataset)
        self._nquads: bytes | None = dataset if isinstance(dataset, bytes) else None
        self._temporary: weakref.finalize[..., Any] | None = None
        self.size = workers
        self.queue_limit = queue_limit
        self.timeout_s = timeout_s
        self.max_rows = max_rows
        self.max_bytes = max_bytes
        #: most queries one client address may have running or waiting at once (0: no limit)
        self.per_client = per_client
        self._prefixes = dict(prefixes or {})
        self._isolate = isolate_network
        self._memory_mb = memory_limit_mb
        self._start_timeout_s = start_timeout_s
        #: how much nicer than the server its workers run (``lower_priority``)
        self.niceness = niceness
        self._threads = ThreadPoolExecutor(max_workers=1)  # replaced by start()
        self._workers: list[_Worker] = []
        self._idle: asyncio.Queue[_Worker] = asyncio.Queue()  # replaced by start(), on the running loop
        self._waiting = 0
        self._by_client: dict[str, int] = {}
        self._replaced = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._running = False
        #: bumped by start() and close(), so that a callback from an earlier run cannot touch this one
        self._generation = 0
        #: triples per graph of the served dataset, reported by the first worker
        self.dataset: dict[str, Any] = {}

    # -- lifecycle

    async def start(self) -> None:
        """Start all workers (in parallel, off the event loop) and wait until each has opened the store."""
        if self._running:
            raise RuntimeError("pool already started")
        if self._store_path is None:
            await asyncio.get_running_loop().run_in_executor(None, self._write_temporary_store)
        self._running = True
        self._generation += 1
        self._threads = ThreadPoolExecutor(max_workers=2 * self.size + 1, thread_name_prefix="sparql-pool")
        self._idle = asyncio.Queue()
        self._waiting = 0
        loop = asyncio.get_running_loop()
        results = await asyncio.gather(
            *(loop.run_in_executor(self._threads, self._spawn) for _ in range(self.size)), return_exceptions=True
        )
        failures = [r for r in results if isinstance(r, BaseException)]
        for worker in results:
            if isinstance(worker, _Worker):
                self._workers.append(worker)
                self._idle.put_nowait(worker)
        if failures:
            await self.close()
            raise RuntimeError(f"SPARQL workers failed to start: {failures[0]}") from failures[0]

    async def close(self) -> None:
        """Stop every worker (gracefully, then by force) and the helper threads. Idempotent."""
        if not self._running:
            return
        self._running = False
        self._generation += 1
        for task in list(self._tasks):
            task.cancel()
        workers, self._workers = self._workers, []
        loop = asyncio.get_running_loop()
        await asyncio.gather(*(loop.run_in_executor(None, w.stop) for w in workers))
        self._threads.shutdown(wait=False, cancel_futures=True)

    def _write_temporary_store(self) -> None:
        """The store of N-Quads given to the constructor, in a directory removed with this pool."""
        from neaspec_kg.build import write_store

        assert self._nquads is not None
        tmp = tempfile.mkdtemp(prefix="neaspec-kg-pool-")
        self._temporary = weakref.finalize(self, shutil.rmtree, tmp, True)
        path = Path(tmp) / "dataset.oxigraph"
        write_store(ox.parse(self._nquads, format=ox.RdfFormat.N_QUADS), path, "")
        self._store_path, self._nquads = str(path), None

    @property
    def store_path(self) -> str | None:
        """The on-disk store the workers read (None until the first start for a pool given N-Quads)."""
        return self._store_path

    def _spawn(self) -> _Worker:
        """Start one worker process and wait until it has opened the store (runs in a thread).

        A fresh interpreter (``python -c``), not multiprocessing: forking a threaded server is unsafe, and
        multiprocessing's spawn re-imports the server's ``__main__`` module, which breaks scripts without
        an ``if __name__ == "__main__"`` guard. The two ends talk over a socket pair with
        multiprocessing's Connection framing."""
        ours, theirs = socket.socketpair()
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (_CODE_ROOT, env.get("PYTHONPATH")) if p)
        if self._memory_mb:
            # glibc reserves 64 MB of address space per malloc arena, up to 8 arenas a core, as threads start:
            # under RLIMIT_AS that reservation counts though it is never used, so an idle worker's share of its
            # cap would depend on the machine (518 MB here, 846 MB on a CI machine, against 190 MB with two)
            env.setdefault("MALLOC_ARENA_MAX", "2")
        try:
            process = subprocess.Popen(
                [sys.executable, "-c", "from api.query_pool import _child_entry; _child_entry()", str(theirs.fileno())],
                stdin=subprocess.DEVNULL, pass_fds=(theirs.fileno(),), env=env, close_fds=True,
            )
        finally:
            theirs.close()
        worker = _Worker(process, Connection(ours.detach()), isolated=False)
        try:
            worker.conn.send({"max_rows": self.max_rows, "max_bytes": self.max_bytes,
                              "prefixes": self._prefixes, "isolate": self._isolate,
                              "memory_mb": self._memory_mb, "store_path": self._store_path,
                              "niceness": self.niceness})
            if not worker.conn.poll(self._start_timeout_s):
                raise TimeoutError(f"no answer within {self._start_timeout_s:g} s")
            tag, _pid, isolated, summary = worker.conn.recv()
        except (EOFError, OSError, TimeoutError, ValueError) as exc:
            worker.kill()
            raise RuntimeError(f"SPARQL worker did not start (exit code {worker.exitcode}): {exc!r}") from exc
        if tag != "ready":
            worker.kill()
            raise RuntimeError(f"SPARQL worker sent {tag!r} instead of 'ready': {summary}")
        worker.isolated = bool(isolated)
        if not self.dataset:
            self.dataset = summary
        return worker

    # -- running queries

    @property
    def retry_after_s(self) -> int:
        """A fair guess for Retry-After when the pool is saturated: one query timeout."""
        return max(1, math.ceil(self.timeout_s))

    @staticmethod
    def usable(worker: _Worker) -> bool:
        """Alive and able to run: not exited, and (where /proc tells) not stopped or a zombie. A killed or
        stopped worker is found here, before a user's query is given to it, not by that query."""
        if worker.process.poll() is not None:
            return False
        try:
            stat = Path(f"/proc/{worker.pid}/stat").read_text()
        except OSError:
            return True  # no /proc: trust poll()
        return stat.rsplit(")", 1)[-1].split()[0] not in {"T", "t", "Z", "X"}

    def _discard(self, worker: _Worker) -> None:
        """Take a broken worker out of the pool and start its replacement (runs on the loop)."""
        with contextlib.suppress(ValueError):
            self._workers.remove(worker)
        task = asyncio.get_running_loop().create_task(self._replace(worker, self._generation))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _acquire(self) -> _Worker:
        if not self._running:
            raise PoolClosed("the SPARQL pool is not running")
        # first come, first served: while others wait, a newcomer queues behind them instead of taking the
        # worker that was just freed for the first of them
        while not self._waiting:
            try:
                worker = self._idle.get_nowait()
            except asyncio.QueueEmpty:
                break
            if self.usable(worker):
                return worker
            self._discard(worker)
        if self._waiting >= self.queue_limit:
            raise PoolBusy(self.retry_after_s, f"All query workers are busy and {self._waiting} queries already "
                                               f"wait, the most this endpoint queues")
        self._waiting += 1
        try:
            # a request that cannot get a worker within one timeout would most likely time out anyway
            deadline = asyncio.get_running_loop().time() + self.timeout_s
            while True:
                left = deadline - asyncio.get_running_loop().time()
                worker = await asyncio.wait_for(self._idle.get(), timeout=max(left, 0.001))
                if self.usable(worker):
                    return worker
                self._discard(worker)
        except TimeoutError:
            raise PoolBusy(self.retry_after_s, f"No query worker became free within {self.timeout_s:g} s "
                                               "(the queries ahead of this one are long)") from None
        finally:
            self._waiting -= 1

    async def run(self, job: QueryJob) -> QueryResult:
        """Evaluate ``job`` in a worker; raise one of the QueryPoolError subclasses on failure. A query whose
        worker was lost while it ran (killed from outside, or crashed) is tried once more on another worker;
        a second crash is the query's own doing and is reported."""
        share = self.per_client
        if share and job.client is not None and self._by_client.get(job.client, 0) >= share:
            raise PoolBusy(self.retry_after_s, f"This client already runs {share} queries at once, its share of "
                                               "this endpoint; wait for one to finish")
        if job.client is not None:
            self._by_client[job.client] = self._by_client.get(job.client, 0) + 1
        try:
            return await self._run(job)
        finally:
            if job.client is not None:
                left = self._by_client.pop(job.client, 1) - 1
                if left:
                    self._by_client[job.client] = left

    async def _run(self, job: QueryJob) -> QueryResult:
        reply: tuple[Any, ...] = ("crashed", None)
        for _attempt in range(2):
            worker = await self._acquire()
            loop = asyncio.get_running_loop()
            future = loop.run_in_executor(self._threads, worker.roundtrip, job, self.timeout_s)
            generation = self._generation
            future.add_done_callback(functools.partial(self._after_job_of, worker, generation))
            # shield: if the request is cancelled, the roundtrip still ends and the worker is still recycled
            reply = await asyncio.shield(future)
            if reply[0] != "crashed":
                break
        return self._interpret(reply)

    def _after_job_of(self, worker: _Worker, generation: int, future: asyncio.Future[tuple[Any, ...]]) -> None:
        """``_after_job`` as a done-callback bound to its worker and generation."""
        self._after_job(worker, future, generation)

    def _after_job(self, worker: _Worker, future: asyncio.Future[tuple[Any, ...]], generation: int) -> None:
        """Back to the idle queue, or replaced if it was killed or died (runs on the loop)."""
        healthy = not future.cancelled() and future.exception() is None and future.result()[0] not in {
            "timeout", "crashed"}
        if generation != self._generation:
            return
        if healthy:
            self._idle.put_nowait(worker)
            return
        with contextlib.suppress(ValueError):
            self._workers.remove(worker)
        task = asyncio.get_running_loop().create_task(self._replace(worker, generation))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _replace(self, old: _Worker, generation: int) -> None:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._threads, old.kill)
        delay = 0.5
        while generation == self._generation:
            try:
                worker = await loop.run_in_executor(self._threads, self._spawn)
            except RuntimeError:
                log.exception("could not start a replacement SPARQL worker; retrying in %.1f s", delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)
                continue
            if generation != self._generation:
                await loop.run_in_executor(None, worker.stop)
                return
            self._workers.append(worker)
            self._replaced += 1
            self._idle.put_nowait(worker)
            log.info("SPARQL worker %d replaced by %d", old.pid, worker.pid)
            return

    def _interpret(self, reply: tuple[Any, ...]) -> QueryResult:
        tag = reply[0]
        if tag == "ok":
            _, kind, fmt, body, rows, elapsed = reply
            return QueryResult(kind=kind, format=fmt, body=body, rows=rows, elapsed_s=elapsed)
        if tag == "syntax":
            raise QuerySyntaxError(reply[1], reply[2], reply[3])
        if tag == "too-many":
            raise TooManyRows(reply[1])
        if tag == "too-big":
            raise TooManyBytes(reply[1])
        if tag == "not-acceptable":
            raise NotAcceptable(reply[1])
        if tag == "timeout":
            raise QueryTimeout(self.timeout_s)
        if tag == "crashed":
            raise WorkerCrashed(reply[1])
        if tag == "failed":
            raise QueryEvaluationError(reply[1], remote=reply[2])
        raise QueryPoolError(f"unexpected worker reply {tag!r}")

    # -- introspection

    def stats(self) -> PoolStats:
        alive = [w for w in self._workers if self.usable(w)]
        return PoolStats(
            workers=len(alive),
            idle=self._idle.qsize(),
            waiting=self._waiting,
            replaced=self._replaced,
            isolated=bool(self._workers) and all(w.isolated for w in self._workers),
            pids=[w.pid for w in self._workers],
            jobs={w.pid: w.jobs for w in self._workers},
        )
