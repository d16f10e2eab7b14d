"""One on-disk store, many readers (issue 10, items 4 and 5).

What is proved here, each against the running code, not a description of it:
- a cached build writes ``<cache>/<digest>.oxigraph/`` and a second process opens it read-only and gets the
  answers of the in-memory store for every catalogue query;
- a server over it answers ``/healthz`` and ``/sparql`` with the counts the store has;
- SPARQL workers are given the store's path and hold no copy of the data: on a synthetic 1,000-mechanism
  graph a worker's resident memory stays far below what loading the same data into memory costs;
- the worker sandbox still holds with the store open: no new descriptor (file or socket) can be opened, a
  SERVICE call reaches nothing, and the address-space cap is in force;
- a missing, truncated or half-written store is rebuilt (or refused), never served half;
- ``serve --workers 2`` answers from two HTTP worker processes over the one store.
"""
from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox
import pytest
import rdflib

from api.app import create_app
from api.query_pool import QueryEvaluationError, QueryJob, QueryPool, WorkerCrashed
from api.settings import Settings
from neaspec_kg import catalogue
from neaspec_kg.build import META_FILE, STORE_SUFFIX, ValidatedGraph, build, open_cached_store
from neaspec_kg.config import PROJECT_ROOT, Paths
from neaspec_kg.graph import run
from neaspec_kg.store import OxigraphStore, Rows
from tests.live_server import live_server

ROOT = str(PROJECT_ROOT)
COUNT_ALL = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
COUNT_NAMED = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"


def count(store: ox.Store, query: str) -> int:
    """The ?n of a one-row SELECT (COUNT(*) AS ?n), asked of a pyoxigraph store directly."""
    solutions = store.query(query)
    assert isinstance(solutions, ox.QuerySolutions), f"a SELECT answers with solutions, got {solutions!r}"
    return int(next(iter(solutions))["n"].value)


# --------------------------------------------------------------------------- helpers


#: ``GROUP_CONCAT(...; separator="x") AS ?name``: the order of the concatenated values is the store's
#: iteration order, which SPARQL leaves undefined (and which differs between the in-memory and on-disk stores)
CONCATENATED = re.compile(r'separator\s*=\s*"([^"]*)"\s*\)\s*AS\s*\?(\w+)', re.IGNORECASE)


def canonical(result: Rows | bool | rdflib.Graph, query: str = "") -> Any:
    """An order-free, JSON-able form of a query answer (rows as sorted term tuples, graphs canonicalised,
    GROUP_CONCAT values as sorted parts)."""
    if isinstance(result, bool):
        return result
    if isinstance(result, rdflib.Graph):
        from rdflib.compare import to_canonical_graph

        return sorted(to_canonical_graph(result).serialize(format="nt").splitlines())
    separators = {name: sep for sep, name in CONCATENATED.findall(query)}

    def value(name: str, text: str) -> str:
        return separators[name].join(sorted(text.split(separators[name]))) if name in separators else text

    return sorted(json.dumps({k: [t.kind, value(k, t.value), t.datatype, t.lang] for k, t in row.items()},
                             sort_keys=True) for row in result)


def all_answers(store: OxigraphStore) -> dict[str, Any]:
    return {name: canonical(run(store, name, q.example), q.text)
            for name, q in sorted(catalogue.catalogue().items())}


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS, VmSize, VmHWM of a live process, in kB."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in {"VmRSS", "VmSize", "VmHWM"}:
            out[key] = int(value.split()[0])
    return out


def proc_limit(pid: int, name: str) -> str:
    for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
        if line.startswith(name):
            return line[len(name):].split()[0]
    raise KeyError(name)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("NEASPEC_KG_CACHE", str(folder))
    return folder


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ValidatedGraph]:
    """The project's graph, built once with a private cache: served from its on-disk store."""
    folder = tmp_path_factory.mktemp("real-cache")
    old = os.environ.get("NEASPEC_KG_CACHE")
    os.environ["NEASPEC_KG_CACHE"] = str(folder)
    try:
        yield build()
    finally:
        os.environ["NEASPEC_KG_CACHE"] = old or ""
        if old is None:
            del os.environ["NEASPEC_KG_CACHE"]


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ValidatedGraph]:
    """A synthetic 1,000-mechanism graph (bench/synth.py), built and cached: large enough that a copy of the
    data in a process shows in its memory."""
    sys.path.insert(0, ROOT)
    from bench.synth import generate

    tmp = tmp_path_factory.mktemp("synth1k")
    generate(1000, tmp / "data", seed=3)
    old = os.environ.get("NEASPEC_KG_CACHE")
    os.environ["NEASPEC_KG_CACHE"] = str(tmp / "cache")
    try:
        yield build(Paths(ontology_dir=PROJECT_ROOT / "ontology", data_dir=tmp / "data"))
    finally:
        os.environ["NEASPEC_KG_CACHE"] = old or ""
        if old is None:
            del os.environ["NEASPEC_KG_CACHE"]


# --------------------------------------------------------------------------- the build writes the store


def test_a_cached_build_writes_a_complete_store_and_keeps_no_quads(real: ValidatedGraph) -> None:
    path = real.store_path
    assert path is not None and path.name == f"{real.digest}{STORE_SUFFIX}" and path.is_dir()
    meta = json.loads((path / META_FILE).read_text())
    assert meta["digest"] == real.digest
    assert set(meta["files"]) == {f.name for f in path.glob("*.sst")}
    assert not list(path.parent.glob("*.tmp-*")), "no temporary store is left behind"
    assert real._quads is None, "a cached build does not hold its quads in memory"
    # the summary matches what the store itself counts, and the quads read back from the cache
    store = ox.Store.read_only(str(path))
    assert count(store, COUNT_ALL) == meta["default_triples"]
    named = count(store, COUNT_NAMED)
    assert named == meta["quads"] == len(set(real.quads))  # a store is a set: a quad stated twice counts once
    assert real.graph_names == set(meta["named_graphs"])


def test_a_second_process_reads_the_store_and_gets_the_in_memory_answers(real: ValidatedGraph,
                                                                          tmp_path: Path) -> None:
    """Every catalogue query, run with its example parameters by another process over the on-disk store,
    answers exactly what an in-memory store filled from the same validated quads answers."""
    out = tmp_path / "answers.json"
    script = (
        "import json, sys\n"
        "from pathlib import Path\n"
        f"sys.path[:0] = [{ROOT!r}, {str(Path(__file__).parent.parent)!r}, {str(Path(__file__).parent)!r}]\n"
        "from neaspec_kg.build import open_cached_store\n"
        "from neaspec_kg.store import OxigraphStore\n"
        "from test_disk_store import all_answers\n"
        "store = OxigraphStore(open_cached_store(Path(sys.argv[1])))\n"
        "assert store.path is not None\n"
        "Path(sys.argv[2]).write_text(json.dumps(all_answers(store)))\n"
    )
    subprocess.run([sys.executable, "-c", script, str(real.store_path), str(out)], check=True, timeout=300,
                   cwd=ROOT)
    from_disk = json.loads(out.read_text())
    in_memory = all_answers(OxigraphStore(ValidatedGraph(list(real.quads), real.digest)))
    assert set(from_disk) == set(catalogue.catalogue()) and len(from_disk) >= 10
    for name in in_memory:
        assert from_disk[name] == json.loads(json.dumps(in_memory[name])), name
    assert any(isinstance(v, list) and v for v in in_memory.values())


def test_the_server_answers_healthz_and_sparql_from_the_store(real: ValidatedGraph) -> None:
    app = create_app(Settings(workers=1, queue_limit=4), real)
    assert app.state.store.path == real.store_path  # the API process reads the on-disk store too
    pool = app.state.pool
    mem = OxigraphStore(ValidatedGraph(list(real.quads), real.digest))
    expected_default = int(mem.select(COUNT_ALL)[0]["n"].value)
    expected_named = int(mem.select(COUNT_NAMED)[0]["n"].value)
    with live_server(app) as base_url:
        health = httpx.get(base_url + "/healthz").json()
        assert health["status"] == "ok" and health["digest"] == real.digest
        assert health["triples"] == expected_default and health["quads"] == expected_named
        assert health["named_graphs"] == len(real.graph_names) and health["pid"] == os.getpid()
        assert pool.store_path == str(real.store_path), "workers are given the store's path, not its data"
        for query, expected in [(COUNT_ALL, expected_default), (COUNT_NAMED, expected_named)]:
            answer = httpx.post(base_url + "/sparql", data={"query": query},
                                headers={"Accept": "application/sparql-results+json"})
            assert answer.status_code == 200, answer.text
            assert int(answer.json()["results"]["bindings"][0]["n"]["value"]) == expected
    assert pool.dataset["default_triples"] == expected_default
    assert sum(pool.dataset["named_graphs"].values()) == expected_named


# --------------------------------------------------------------------------- workers share, and stay sandboxed


def _in_memory_cost_kb(graph: ValidatedGraph) -> int:
    """Resident memory a fresh process gains by loading ``graph`` into an in-memory store (what each worker
    paid before), measured, not assumed."""
    script = (
        "import sys, pyoxigraph as ox\n"
        f"sys.path.insert(0, {ROOT!r})\n"
        "from neaspec_kg.build import fill_store\n"
        "def rss():\n"
        "    return int(next(l for l in open('/proc/self/status') if l.startswith('VmRSS')).split()[1])\n"
        "before = rss()\n"
        "s = ox.Store()\n"
        "fill_store(s, ox.parse(path=sys.argv[1], format=ox.RdfFormat.N_QUADS))\n"
        "print(rss() - before)\n"
    )
    with tempfile.TemporaryDirectory() as tmp:
        nquads = Path(tmp) / "named-graphs.nq"  # the build's quads, as the workers used to load them
        ox.serialize(graph.quads, str(nquads), format=ox.RdfFormat.N_QUADS)
        out = subprocess.run([sys.executable, "-c", script, str(nquads)], check=True, capture_output=True,
                             text=True, timeout=300)
    return int(out.stdout.strip())


def test_workers_hold_no_copy_of_the_data(synthetic: ValidatedGraph) -> None:
    """The real measurement: after a query that reads every quad, a worker's resident memory is a fraction of
    what loading the same data into memory costs; and the pool handed it a path."""
    memory_cost = _in_memory_cost_kb(synthetic)
    baseline = subprocess.run([sys.executable, "-c", (
        f"import sys; sys.path.insert(0, {ROOT!r}); import api.query_pool\n"
        "print(next(l for l in open('/proc/self/status') if l.startswith('VmRSS')).split()[1])")],
        check=True, capture_output=True, text=True, timeout=60)
    interpreter_kb = int(baseline.stdout.strip())
    pool = QueryPool(synthetic.on_disk(), workers=2, timeout_s=120, memory_limit_mb=2048)

    async def measure() -> list[int]:
        await pool.start()
        try:
            assert pool.store_path == str(synthetic.store_path)
            every_term = ("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } "
                          "FILTER(isBlank(?o) || STRLEN(STR(?o)) >= 0) }")
            answer = await pool.run(QueryJob(every_term, select_format="tsv"))
            assert int(answer.body.split(b"\n")[1]) == synthetic.summary["quads"]
            return [proc_status(pid)["VmRSS"] for pid in pool.stats().pids]
        finally:
            await pool.close()

    worker_kb = asyncio.run(measure())
    assert memory_cost > 100_000, f"the 1k graph should cost over 100 MB in memory, measured {memory_cost} kB"
    for rss in worker_kb:
        assert rss - interpreter_kb < memory_cost / 3, (rss, interpreter_kb, memory_cost)


class _Listener:
    """A local HTTP server that records every request: a SERVICE call that got out would show up here."""

    def __init__(self) -> None:
        self.received: list[str] = []
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                listener.received.append(self.path)
                self.send_response(200)
                self.end_headers()

            do_POST = do_GET

            def log_message(self, *args: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sparql"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_the_sandbox_holds_with_the_store_open(real: ValidatedGraph) -> None:
    """Inside a real worker: every descriptor under the RLIMIT_NOFILE cap is taken (so nothing can be
    opened), the store's table files are among them, SERVICE reaches no one, and the memory cap is set."""
    listener = _Listener()
    pool = QueryPool(real.on_disk(), workers=1, timeout_s=10, memory_limit_mb=1536)

    async def attempt() -> tuple[int, str, str, list[str], str]:
        await pool.start()
        try:
            assert pool.stats().isolated
            pid = pool.stats().pids[0]
            with pytest.raises(QueryEvaluationError) as failure:
                await pool.run(QueryJob(f"SELECT * WHERE {{ SERVICE <{listener.url}> {{ ?s ?p ?o }} }}"))
            # still answers afterwards, from the files it opened before the cap
            ok = await pool.run(QueryJob(COUNT_NAMED, select_format="tsv"))
            assert int(ok.body.split(b"\n")[1]) == real.summary["quads"]
            fds = sorted(int(n) for n in os.listdir(f"/proc/{pid}/fd"))
            targets = [os.readlink(f"/proc/{pid}/fd/{n}") for n in fds]
            return pid, proc_limit(pid, "Max open files"), proc_limit(pid, "Max address space"), targets, \
                str(failure.value) + f" {len(fds)} {fds[-1]}"
        finally:
            await pool.close()

    try:
        _pid, nofile, address_space, targets, detail = asyncio.run(attempt())
    finally:
        time.sleep(0.2)
        listener.close()
    assert listener.received == []
    assert int(nofile) == len(targets), f"a free descriptor number below the cap: {detail}"
    tables = {str(p.resolve()) for p in real.store_path.glob("*.sst")}  # type: ignore[union-attr]
    assert tables and tables <= set(targets), "every table file is open before the cap"
    assert int(address_space) == 1536 * 1024 * 1024


def test_the_memory_cap_still_stops_a_runaway_query(real: ValidatedGraph) -> None:
    """RocksDB's address space (thread arenas, table readers) counts against RLIMIT_AS too: an open worker stays
    well under the cap, and a sort of tens of millions of rows fails its own worker, which is replaced."""
    cap_mb = 1024
    pool = QueryPool(real.on_disk(), workers=1, timeout_s=120, memory_limit_mb=cap_mb)
    runaway = "SELECT ?a ?c ?f WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f ?a LIMIT 1"

    async def attempt() -> tuple[int, BaseException, bytes]:
        await pool.start()
        try:
            idle_kb = proc_status(pool.stats().pids[0])["VmSize"]
            try:
                await pool.run(QueryJob(runaway, select_format="tsv"))
            except Exception as exc:  # the kind is asserted below
                failure: BaseException = exc
            else:
                raise AssertionError("the runaway sort finished under the cap")
            for _ in range(100):  # the replacement starts in the background
                if pool.stats().workers == 1 and pool.stats().idle == 1:
                    break
                await asyncio.sleep(0.1)
            after = await pool.run(QueryJob(COUNT_NAMED, select_format="tsv"))
            return idle_kb, failure, after.body
        finally:
            await pool.close()

    idle_kb, failure, body = asyncio.run(attempt())
    assert idle_kb < cap_mb * 1024 * 0.8, f"an idle worker already uses {idle_kb} kB of a {cap_mb} MB cap"
    assert isinstance(failure, WorkerCrashed), repr(failure)
    assert int(body.split(b"\n")[1]) == real.summary["quads"]


@pytest.fixture(scope="module")
def many_tables(synthetic: ValidatedGraph, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with more table files than RocksDB opens when a store opens (16): the synthetic graph loaded in
    slices, uncompacted, as a store ten times larger is after compaction (18 files at 10,000 mechanisms)."""
    path = tmp_path_factory.mktemp("many") / "store.oxigraph"
    store = ox.Store(str(path))
    quads = synthetic.quads
    for i in range(0, len(quads), 60_000):
        store.bulk_extend(quads[i:i + 60_000])
        store.bulk_extend(ox.Quad(q.subject, q.predicate, q.object, ox.DefaultGraph()) for q in quads[i:i + 60_000])
    store.flush()
    del store
    assert len(list(path.glob("*.sst"))) > 16
    return path


@pytest.mark.parametrize("which", ["real", "many-tables"])
def test_the_descriptor_cap_forbids_files_and_sockets_after_the_store_opens(
        which: str, request: pytest.FixtureRequest) -> None:
    """The worker's own sandbox sequence in a fresh process: open the store, warm it up until every table file
    is open (RocksDB opened only 16 of the many-tables store by itself), cap; then a file, a socket and a pipe
    are tried, and the whole store is still readable."""
    path = request.getfixturevalue("real").on_disk() if which == "real" else request.getfixturevalue("many_tables")
    script = (
        "import os, socket, sys\n"
        f"sys.path.insert(0, {ROOT!r})\n"
        "from api import query_pool as qp\n"
        "conn = os.dup(0)\n"
        "qp._close_descriptors_above(conn)\n"
        "store = qp.open_dataset(sys.argv[1])\n"
        "at_open = len(qp._unopened_table_files(sys.argv[1]))\n"
        "assert qp._warm_up(store, sys.argv[1]) == []\n"
        "assert qp._forbid_new_descriptors(conn)\n"
        "failures = []\n"
        "for attempt in (lambda: open('/etc/hostname'), lambda: socket.socket(), lambda: os.pipe()):\n"
        "    try:\n"
        "        attempt()\n"
        "    except OSError as exc:\n"
        "        failures.append(exc.errno)\n"
        "full = 'SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } FILTER(isBlank(?o) || STRLEN(STR(?o)) >= 0) }'\n"
        "n = next(iter(store.query(full)))['n'].value\n"
        "m = next(iter(store.query('SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o . ?x ?q ?s }')))['n'].value\n"
        "print(failures, n, m, at_open)\n"
    )
    out = subprocess.run([sys.executable, "-c", script, str(path)], check=True, capture_output=True,
                         text=True, timeout=300)
    import errno

    failures, rest = out.stdout.split("]")
    assert failures.strip("[ ") == ", ".join([str(errno.EMFILE)] * 3), out.stdout
    named, joined, unopened_at_open = (int(x) for x in rest.split())
    reference = ox.Store.read_only(str(path))  # the same counts, read with no cap
    assert named == count(reference, COUNT_NAMED)
    assert joined == count(reference, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o . ?x ?q ?s }")
    if which == "many-tables":
        assert unopened_at_open > 0, "the store should have files RocksDB does not open by itself"


# --------------------------------------------------------------------------- damaged stores


def _damage(path: Path, how: str) -> None:
    if how == "missing":
        shutil.rmtree(path)
    elif how == "truncated":
        table = max(path.glob("*.sst"), key=lambda f: f.stat().st_size)
        table.write_bytes(table.read_bytes()[: table.stat().st_size // 2])
    elif how == "no-summary":
        (path / META_FILE).unlink()
    elif how == "table-deleted":
        next(iter(path.glob("*.sst"))).unlink()


@pytest.mark.parametrize("how", ["missing", "truncated", "no-summary", "table-deleted"])
def test_a_damaged_store_is_rebuilt_not_served_half(data_copy: Paths, cache: Path, how: str) -> None:
    first = build(data_copy)
    path = first.store_path
    assert path is not None
    expected = first.summary
    _damage(path, how)
    if how != "missing":
        with pytest.raises(FileNotFoundError):
            open_cached_store(path)  # what a `serve --workers` child does: refuse, not serve half
    again = build(data_copy)
    assert again.store_path == path and again.summary["quads"] == expected["quads"]
    assert again.summary["default_triples"] == expected["default_triples"]
    reopened = OxigraphStore(open_cached_store(path))
    assert int(reopened.select(COUNT_NAMED)[0]["n"].value) == expected["quads"]


def test_an_interrupted_write_leaves_nothing_that_is_opened(data_copy: Paths, cache: Path) -> None:
    """A build killed while writing leaves only a ``.tmp-*`` directory: the next build ignores it."""
    graph = build(data_copy, use_cache=False)
    digest = graph.digest
    cache.mkdir(parents=True, exist_ok=True)
    half = cache / f"{digest}{STORE_SUFFIX}.tmp-999-deadbeef"
    half.mkdir()
    (half / "000001.sst").write_bytes(b"half")
    served = build(data_copy)
    assert served.store_path == cache / f"{digest}{STORE_SUFFIX}"
    assert served.summary["quads"] == len(set(graph.quads))


# --------------------------------------------------------------------------- serve --workers N


def test_serve_with_two_workers_answers_from_two_processes_over_one_store(data_copy: Paths, cache: Path) -> None:
    port = free_port()
    env = {**os.environ, "NEASPEC_KG_WORKERS": "1", "NEASPEC_KG_CACHE": str(cache)}
    command = [sys.executable, "-m", "neaspec_kg.cli", "--ontology-dir", str(data_copy.ontology_dir),
               "--data-dir", str(data_copy.data_dir), "serve", "--port", str(port), "--workers", "2",
               "--log-level", "warning"]
    server = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        pids: set[int] = set()
        answers: list[dict[str, Any]] = []

        def ask(_: int) -> dict[str, Any] | None:
            try:
                with httpx.Client(timeout=5) as client:  # a new connection each time
                    r = client.get(base + "/healthz")
                    return r.json() if r.status_code == 200 else None
            except httpx.HTTPError:
                return None

        up: set[int] = set()
        with ThreadPoolExecutor(8) as threads:
            while len(up) < 2 and time.monotonic() < deadline:
                assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
                for health in threads.map(ask, range(16)):
                    if health:
                        pids.add(health["pid"])
                        answers.append(health)
                        if health.get("analysis_process") == "up":
                            up.add(health["pid"])
                time.sleep(0.2)
        assert len(pids) == 2, f"answers came from {pids}"
        assert server.pid not in pids  # the parent only supervises
        # each HTTP worker runs its analyses in its own analysis process, as one `serve` does (issue 10: the
        # safety of the hardening issue holds per worker)
        assert up == pids, f"analysis processes up beside {up} of {pids}"
        children = {pid: _children(pid) for pid in pids}
        analysers = {pid: [c for c in kids if "analysis_main" in _cmdline(c)] for pid, kids in children.items()}
        assert all(len(a) == 1 for a in analysers.values()), analysers
        overlap = httpx.get(base + "/overlap", params={"focus": "air quality"}, timeout=60)
        assert overlap.status_code == 200, overlap.text
        assert {"temm", "eanet"} <= {m["mechanism"]["id"] for m in overlap.json()["mechanisms"]}
        digests = {a["digest"] for a in answers}
        assert len(digests) == 1 and {a["quads"] for a in answers} == {answers[0]["quads"]}
        store = cache / f"{digests.pop()}{STORE_SUFFIX}"
        assert store.is_dir()
        # both HTTP workers, and their SPARQL workers, have the one store's table files open
        tables = {str(p.resolve()) for p in store.glob("*.sst")}
        readers = [pid for pid in map(int, filter(str.isdigit, os.listdir("/proc")))
                   if _opens_any(pid, tables)]
        assert set(pids) <= set(readers) and len(readers) >= 4, readers
        counted = httpx.post(base + "/sparql", data={"query": COUNT_NAMED},
                             headers={"Accept": "application/sparql-results+json"}, timeout=30)
        assert int(counted.json()["results"]["bindings"][0]["n"]["value"]) == answers[0]["quads"]
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(10)


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for t in os.listdir(f"/proc/{pid}/task")
                for c in Path(f"/proc/{pid}/task/{t}/children").read_text().split()]
    except OSError:
        return []


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _opens_any(pid: int, paths: set[str]) -> bool:
    try:
        return any(os.readlink(f"/proc/{pid}/fd/{fd}") in paths for fd in os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return False
