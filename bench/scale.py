"""Scale benchmark (not a test): how the build, the analysis index and the analyses grow with the number of
mechanisms, each figure as a median beside a floor measured in the same run on the same data.

    .venv/bin/python bench/scale.py                      # 1,000 and 10,000 mechanisms
    .venv/bin/python bench/scale.py --sizes 1000 10000 100000

Data comes from ``bench/synth.py`` (the project's own model, on the real thesaurus). The floors are the least
work the same answer needs: parsing the files (for a build), loading the quads (for a store), running the
extraction queries (for the index), reading the cached index file (for a warm start), a numpy column scan
(for overlap) and the vectorised bound pass alone (for the pairs of one mechanism). Ratios near 1 mean the
code adds little to the floor; the machine is shared and noisy, so read medians, not single runs.

The server figures (issue 10: one on-disk store, many readers): the build's RocksDB store is written once, then
a real server (``create_app`` + uvicorn, ``--sparql-workers`` SPARQL worker processes) is started over it in a
fresh process tree; "ready" is the wall time from process start to the first ``/healthz`` 200, and "peak RSS"
is the largest sum of resident memory over the server and all its descendants, sampled every 50 ms while it
starts and answers a few SPARQL queries that read every quad. ``--compare-tree DIR`` runs the same server
from another checkout (e.g. ``git archive HEAD`` of the commit before this change, which loaded the N-Quads
into an in-memory store in every process) on the same data, for a before/after in one run.
"""
from __future__ import annotations

import argparse
import contextlib
import gc
import os
import pickle
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyoxigraph as ox

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.build_scale import measure_cold_build
from bench.synth import generate
from neaspec_kg.analysis import pair_table
from neaspec_kg.analysis.duplication import _top_of_one, _top_pairs, duplication
from neaspec_kg.analysis.focus import FocusResolver
from neaspec_kg.analysis.overlap import overlap
from neaspec_kg.build import ValidatedGraph, build
from neaspec_kg.config import PROJECT_ROOT, Paths
from neaspec_kg.graph import select_table
from neaspec_kg.index import AnalysisIndex, _read_index, cached_index
from neaspec_kg.models import OverlapAnswer
from neaspec_kg.store import OxigraphStore

#: how many mechanisms /overlap lists by default (its ``limit``, api/rest.py); the total is counted in full
OVERLAP_LIMIT = 500

#: peak RSS of all server processes at 10,000 synthetic mechanisms before the on-disk store (issue 10)
OLD_PEAK_10K_MB = 5300

INDEX_QUERIES = ["index-sources", "focus-labels", "index-concepts", "index-units", "index-memberships",
                 "index-evidence", "index-modalities", "index-engagements", "index-judgements", "index-proposals"]


def timed(fn: Callable[[], object], repeat: int = 1) -> tuple[float, object]:
    """Median seconds over ``repeat`` runs, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        gc.collect()
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


def peak_rss_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return (own + children) / 1024


def _tree_rss_kb(root: int) -> dict[int, int]:
    """Resident memory (kB) of ``root`` and all its descendants, from /proc."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
                parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    tree, frontier = {root}, [root]
    while frontier:
        pid = frontier.pop()
        for child, parent in parents.items():
            if parent == pid and child not in tree:
                tree.add(child)
                frontier.append(child)
    out = {}
    for pid in tree:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    out[pid] = int(line.split()[1])
        except OSError:
            pass
    return out


#: the server as ``neaspec-kg serve`` runs it, over a given build: the on-disk store (this tree) or, for
#: ``--compare-tree``, the N-Quads as any checkout's ``ValidatedGraph(quads=...)`` takes them
_LAUNCHER = """
import sys
from pathlib import Path
import pyoxigraph as ox
import uvicorn
from api.app import create_app
from api.settings import Settings
mode, where, digest, port, workers = sys.argv[1:6]
if mode == "disk":
    from neaspec_kg.build import open_cached_store
    graph = open_cached_store(Path(where))
else:
    from neaspec_kg.build import ValidatedGraph
    graph = ValidatedGraph(quads=list(ox.parse(path=where, format=ox.RdfFormat.N_QUADS)), digest=digest)
settings = Settings(workers=int(workers), query_timeout_s=600, worker_memory_mb=0)
try:  # as `neaspec-kg serve` runs it: analyses in an analysis process (a checkout before that has no offload)
    app = create_app(settings, graph, offload=True)
except TypeError:
    app = create_app(settings, graph)
uvicorn.run(app, host="127.0.0.1", port=int(port), log_level="warning")
"""

#: queries that make every SPARQL worker read the whole store (and so page in whatever it holds)
_SERVER_QUERIES = [
    "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }",
    "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o FILTER(isBlank(?o) || STRLEN(STR(?o)) >= 0) }",
]


def serve_footprint(tree: Path, mode: str, where: Path, digest: str,
                    workers: int) -> tuple[float, float, int, str, dict[str, list[float]]]:
    """Start a server from checkout ``tree``; return (seconds until /healthz answers, peak MB of all its
    processes together, number of processes at the peak, why it failed to start or "", and the latencies
    of ``/overlap?focus=air quality`` over HTTP (the first, cold, apart) with ``/healthz`` as their floor)."""
    import socket
    import subprocess
    import threading

    import httpx

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": str(tree)}
    started = time.perf_counter()
    server = subprocess.Popen([sys.executable, "-c", _LAUNCHER, mode, str(where), digest, str(port), str(workers)],
                              cwd=tree, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = [0, 0]
    latencies: dict[str, list[float]] = {}
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            rss = _tree_rss_kb(server.pid)
            if sum(rss.values()) > peak[0]:
                peak[:] = [sum(rss.values()), len(rss)]
            done.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    base = f"http://127.0.0.1:{port}"
    ready, failure = float("nan"), ""
    try:
        while time.perf_counter() - started < 1800:
            if server.poll() is not None:
                detail = server.stderr.read().decode().strip().splitlines() if server.stderr else []
                failure = next((line for line in reversed(detail) if "Error" in line), "it exited")
                break
            try:
                if httpx.get(base + "/healthz", timeout=5).status_code == 200:
                    ready = time.perf_counter() - started
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        for query in _SERVER_QUERIES if not failure else []:
            for _ in range(workers):  # each query once per worker (the pool hands them out in turn)
                r = httpx.post(base + "/sparql", data={"query": query}, timeout=900,
                               headers={"Accept": "text/tab-separated-values"})
                r.raise_for_status()
        if not failure:
            with httpx.Client(base_url=base, timeout=300) as client:
                for path, key in (("/healthz", "healthz"), ("/overlap?focus=air%20quality", "overlap")):
                    for _ in range(51):
                        t = time.perf_counter()
                        client.get(path).raise_for_status()
                        latencies.setdefault(key, []).append(time.perf_counter() - t)
        time.sleep(0.3)
    finally:
        done.set()
        sampler.join()
        server.terminate()
        try:
            server.wait(60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    return ready, peak[0] / 1024, peak[1], failure, latencies


def row(name: str, value: float, floor: float | None, unit: str = "s") -> str:
    ratio = f"{value / floor:8.1f}x" if floor else "        -"
    floor_text = f"{floor:10.3f}" if floor is not None else "         -"
    return f"  {name:34} {value:10.3f} {unit}  floor {floor_text} {unit}  ratio {ratio}"


def _workdir(n: int, keep: str | None) -> contextlib.AbstractContextManager[str]:
    """A new temporary folder, removed after; with ``--keep DIR``, ``DIR/<n>`` (which must not exist yet),
    kept with its data and cache for profiling a rebuild or a server start afterwards."""
    if keep is None:
        return tempfile.TemporaryDirectory(prefix=f"nk-scale-{n}-")
    folder = Path(keep) / str(n)
    folder.mkdir(parents=True)
    return contextlib.nullcontext(str(folder))


def measure(n: int, args: argparse.Namespace) -> None:
    with _workdir(n, args.keep) as tmp:
        out = Path(tmp) / "data"
        generate(n, out, seed=7)
        paths = Paths(ontology_dir=PROJECT_ROOT / "ontology", data_dir=out)
        os.environ["NEASPEC_KG_CACHE"] = str(Path(tmp) / "cache")
        print(f"\n{n:,} mechanisms ({sum(1 for _ in out.rglob('*.trig'))} files)", flush=True)
        # the cold build as `validate --full` runs it (parse, SHACL, the on-disk store, the inputs kept for
        # incremental rebuilds), in a child process whose peak memory is its own; the floor is parsing
        cold = measure_cold_build(paths, cache=Path(os.environ["NEASPEC_KG_CACHE"]))
        print(row("cold build (parse + SHACL + store)", cold.seconds, cold.floor_seconds) +
              f"  peak RSS {cold.peak_rss_mb:,.0f} MB (the build's process)")
        graph = build(paths)  # the build just cached: opened, not made again
        assert isinstance(graph, ValidatedGraph) and graph.store_path is not None and graph.how == "cached"
        measure_incremental(paths)
        quads = graph.summary["quads"]
        print(f"  {'quads':34} {quads:10,}  ({quads / n:.0f} per mechanism)")
        disk = OxigraphStore(graph)
        if n <= args.memory_max:
            # the in-memory store and its floor, for the library figures below (the build's store is on disk;
            # measure_server sets the two side by side); skipped above --memory-max, where a Python object
            # per quad is the memory the on-disk store exists to avoid
            in_memory = ValidatedGraph(quads=graph.quads, digest=graph.digest)

            def bare_load() -> ox.Store:
                s = ox.Store()
                s.bulk_extend(in_memory.quads)
                return s

            t_floor_load, _ = timed(bare_load)
            t_load, store = timed(lambda: OxigraphStore(in_memory))
            assert isinstance(store, OxigraphStore)
            print(row("store load into memory (+ merge)", t_load, t_floor_load), flush=True)
        else:
            store = disk
            print(f"  {'store load into memory':34} skipped above --memory-max {args.memory_max:,}: "
                  "the figures below read the on-disk store")
        t_queries, _ = timed(lambda: [select_table(store, q) for q in INDEX_QUERIES])
        t_index, ix = timed(lambda: AnalysisIndex(store))
        assert isinstance(ix, AnalysisIndex)
        print(row("analysis index, cold", t_index, t_queries), flush=True)
        blob = pickle.dumps(ix, protocol=pickle.HIGHEST_PROTOCOL)
        path = Path(tmp) / "index.pickle"
        path.write_bytes(blob)
        del blob
        t_read, _ = timed(path.read_bytes, 3)
        t_warm, _ = timed(lambda: _read_index(path), 3)  # as a server reads it (no cyclic GC while it does)
        print(row(f"analysis index, warm ({path.stat().st_size / 2**20:.0f} MB)", t_warm, t_read))

        resolver = FocusResolver(store)
        concepts = resolver.resolve("air quality")
        cols = [ix.concept_col[c] for c in ix.concept_col
                if c == concepts[0].iri or c in ix.thesaurus.descendants(concepts[0].iri)]
        t_floor_overlap, _ = timed(lambda: np.flatnonzero(ix.direct[:, cols].any(axis=1)), 5)
        # as /overlap answers by default (the first 500 of each list, and how many there are), then every one
        t_overlap, answer = timed(lambda: overlap(ix, concepts, include_related=True, limit=OVERLAP_LIMIT), 5)
        total = answer.total if isinstance(answer, OverlapAnswer) else 0
        print(row(f"overlap 'air quality' (first {OVERLAP_LIMIT} of {total:,})", t_overlap, t_floor_overlap))
        t_all, _ = timed(lambda: overlap(ix, concepts, include_related=True), 3)
        print(row(f"overlap 'air quality', all {total:,} listed", t_all, t_floor_overlap))
        measure_pairs(ix, n, args)
        if not args.no_server:
            measure_server(graph, store if store is not disk else None, ix, t_index, args)
        print(f"  {'peak RSS, this process + children':34} {peak_rss_mb():10.0f} MB", flush=True)


def measure_pairs(ix: AnalysisIndex, n: int, args: argparse.Namespace) -> None:
    """Duplication: the pair table from scratch (its floor: the compiled pass alone, on inputs already made),
    duplicates of one and the top pairs read from it (floors: the vectorised bound pass of one mechanism,
    and the table's ranking without explanations), and the bounded search without a table, for comparison."""
    t_inputs, inputs = timed(lambda: pair_table._Inputs(ix))
    assert isinstance(inputs, pair_table._Inputs)
    rows = list(range(len(ix.mechanisms)))
    inputs.run(rows[:1], pair_table.TABLE_K)  # the compiled pass loaded (or compiled) before it is timed
    t_pass, _ = timed(lambda: inputs.run(rows, pair_table.TABLE_K))
    t_rest, table = timed(lambda: pair_table._from_inputs(ix, inputs, pair_table.TABLE_K))
    assert isinstance(table, pair_table.PairTable)
    print(row(f"pair table from scratch (top {table.k})", t_inputs + t_rest, t_pass) +
          f"  (inputs {t_inputs:.2f} s; floor: the compiled pass alone)")
    ix.pair_table = table  # type: ignore[attr-defined]
    picks = [ix.mechanisms[i] for i in np.linspace(0, len(ix.mechanisms) - 1, 5).astype(int)]
    rows_ = [ix.mech_row[m] for m in picks]

    def bounds_only() -> None:
        for r in rows_:
            mine = np.flatnonzero(ix.direct[r])
            w = ix.relation[mine].max(axis=0) if len(mine) else np.zeros(len(ix.concept_ids))
            (ix.direct * w).max(axis=1)
            ix.member_matrix @ ix.member_matrix[r]

    t_floor_dup, _ = timed(bounds_only, 3)
    t_dup, _ = timed(lambda: [duplication(ix, mechanism=m, limit=10) for m in picks], 3)
    print(row("duplicates of one (top 10, table)", t_dup / len(picks), t_floor_dup / len(picks)))

    def rank_only() -> object:
        table.ranking = None
        return table.top_pairs(10)

    t_floor_pairs, _ = timed(rank_only, 5)
    t_pairs, _ = timed(lambda: duplication(ix, limit=10), 5)
    print(row("top-10 pairs (table)", t_pairs, t_floor_pairs) + "  (floor: ranking the rows, no explanations)")
    if n <= args.pairs_max:
        t_search, _ = timed(lambda: [_top_of_one(ix, m, limit=10, min_score=0.0, include_related=False,
                                                 table=False) for m in picks], 1)
        print(row("  duplicates of one, bounded search", t_search / len(picks), t_floor_dup / len(picks)))
        t_all, _ = timed(lambda: _top_pairs(ix, limit=10, min_score=0.0, include_related=False, table=False))
        print(row("  top-10 pairs, bounded search", t_all, t_floor_pairs))


def measure_incremental(paths: Paths) -> None:
    """A cached full build (what ``validate`` and ``make run`` do: parse, SHACL, the on-disk store, the inputs
    kept for later rebuilds), then one mechanism file edited and the build run again, three times: the
    incremental rebuild (``neaspec_kg.incremental``). Its floor is hashing every input file, the least any
    rebuild does to learn what changed."""
    import hashlib
    import re

    target = sorted((paths.data_dir / "mechanisms").glob("*.trig"))[len(list(paths.data_dir.rglob("*.trig"))) // 3]
    original = target.read_text(encoding="utf-8")
    times = []
    try:
        for year in (1801, 1802, 1803):
            target.write_text(re.sub(r'nk:established "\d{4}"', f'nk:established "{year}"', original, count=1),
                              encoding="utf-8")
            t, rebuilt = timed(lambda: build(paths, full=False))
            assert isinstance(rebuilt, ValidatedGraph), rebuilt
            assert rebuilt.how == "incremental", rebuilt.how
            times.append(t)
    finally:
        target.write_text(original, encoding="utf-8")
    files = [*paths.ontology_files(), paths.shapes, *paths.data_files()]
    t_hash, _ = timed(lambda: [hashlib.sha256(f.read_bytes()).digest() for f in files], 3)
    print(row("incremental rebuild (1 file edited)", statistics.median(times), t_hash))


def measure_server(graph: ValidatedGraph, mem: OxigraphStore | None, ix: AnalysisIndex, t_index: float,
                   args: argparse.Namespace) -> None:
    """The build's on-disk store and the servers over it."""
    path = graph.on_disk()
    nquads = path.with_suffix(".nq")  # for --compare-tree: an older checkout loads N-Quads
    if args.compare_tree:
        ox.Store.read_only(str(path)).dump(str(nquads), format=ox.RdfFormat.N_QUADS)
    size = sum(f.stat().st_size for f in path.iterdir()) / 2**20
    print(f"  {'on-disk store':34} {size:10.0f} MB")
    disk = OxigraphStore(ValidatedGraph(digest=graph.digest, store_path=path))
    if mem is not None:
        t_disk, _ = timed(lambda: [select_table(disk, q) for q in INDEX_QUERIES])
        t_mem, _ = timed(lambda: [select_table(mem, q) for q in INDEX_QUERIES])
        print(row("index queries, on-disk store", t_disk, t_mem) + "  (floor: the same, in memory)")
        t_cold, _ = timed(lambda: cached_index(disk))  # and the index file, so that servers start warm
        print(row("analysis index over on-disk, cold", t_cold, None))
    else:
        # the index above was extracted from the on-disk store already: written where servers read it
        # (with its pair table) instead of being extracted a second time
        from neaspec_kg.index import _index_path, _write_index

        _write_index(_index_path(path.parent, graph.digest), ix)
        print(row("analysis index over on-disk, cold", t_index, None) + "  (the same as above)")
    workers = args.sparql_workers
    ready, peak, procs, failure, lat = serve_footprint(PROJECT_ROOT, "disk", path, graph.digest, workers)
    print(f"  {'server ready (on-disk store)':34} {ready:10.3f} s  {failure}")
    print(f"  {'server peak RSS, all processes':34} {peak:10.0f} MB  ({procs} processes: main, analysis, "
          f"{workers} SPARQL workers)")
    if lat:
        floor = statistics.median(lat["healthz"][1:])
        warm = sorted(lat["overlap"][1:])
        print(row("/overlap over HTTP, first (cold)", lat["overlap"][0], floor))
        print(row("/overlap over HTTP, p50 (memoised)", statistics.median(warm), floor) + "  (floor: /healthz p50)")
        print(row("/overlap over HTTP, p99 (memoised)", warm[min(len(warm) - 1, int(0.99 * len(warm)))], floor))
    if args.compare_tree:
        old_ready, old_peak, old_procs, old_failure, _old_lat = serve_footprint(
            Path(args.compare_tree), "memory", nquads, graph.digest, workers)
        print(f"  {'  before: server ready (in memory)':34} {old_ready:10.3f} s  ({args.compare_tree}) {old_failure}")
        print(f"  {'  before: server peak RSS':34} {old_peak:10.0f} MB  ({old_procs} processes)  "
              f"now {peak / old_peak:.2f}x")
    elif graph.summary["quads"] > 1_000_000:
        print(f"  {'  before (issue 10, 10k, in memory)':34} {OLD_PEAK_10K_MB:10.0f} MB")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    p.add_argument("--pairs-max", type=int, default=10000,
                   help="also time the bounded search without the pair table up to this many mechanisms")
    p.add_argument("--memory-max", type=int, default=10000,
                   help="also load the graph into an in-memory store up to this many mechanisms")
    p.add_argument("--no-server", action="store_true", help="skip the on-disk store and server measurements")
    p.add_argument("--sparql-workers", type=int, default=2, help="SPARQL worker processes of the measured server")
    p.add_argument("--keep", metavar="DIR", help="keep each size's data and cache in DIR/<size> (new folders)")
    p.add_argument("--compare-tree", help="another checkout to start the same server from (before/after)")
    args = p.parse_args(argv)
    for n in args.sizes:
        measure(n, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
