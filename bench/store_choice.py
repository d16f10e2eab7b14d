"""Choose the embedded store by measurement, on the real graph and our own named queries.

Prints, for each store: load time (median of N fresh loads) and, per named query, the median
latency over R runs; then each query's rdflib/oxigraph ratio. Machines here are noisy, so both
stores are measured in the same run, interleaved, and only medians and ratios are reported.

    .venv/bin/python bench/store_choice.py [--loads 5] [--runs 30]
"""
from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from functools import partial

from neaspec_kg import catalogue
from neaspec_kg.build import ValidatedGraph, build
from neaspec_kg.graph import run
from neaspec_kg.store import OxigraphStore, QueryError, RdflibStore, SparqlStore

STORES: dict[str, Callable[[ValidatedGraph], SparqlStore]] = {"oxigraph": OxigraphStore, "rdflib": RdflibStore}


def median_ms(fn: Callable[[], object], repeat: int, budget_s: float = 20.0) -> float:
    """Median latency; stops early (at least 3 samples) once a query has used its time budget."""
    samples: list[float] = []
    start = time.perf_counter()
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
        if len(samples) >= 3 and time.perf_counter() - start > budget_s:
            break
    return statistics.median(samples)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--loads", type=int, default=5)
    ap.add_argument("--runs", type=int, default=30)
    args = ap.parse_args()

    graph = build(use_cache=False)
    distinct = len({(q.subject, q.predicate, q.object) for q in graph.quads})
    print(f"graph: {len(graph.quads)} quads, {distinct} distinct triples, {len(graph.graph_names)} named graphs")

    load = {name: median_ms(partial(cls, graph), args.loads) for name, cls in STORES.items()}
    stores = {name: cls(graph) for name, cls in STORES.items()}
    print(f"\nload (median of {args.loads}):")
    for name, ms in load.items():
        print(f"  {name:9} {ms:9.1f} ms   ratio to oxigraph {ms / load['oxigraph']:6.1f}x")

    print(f"\nnamed queries, example parameters (median of {args.runs} runs, ms):")
    print(f"  {'query':24} {'oxigraph':>10} {'rdflib':>10} {'rdflib/ox':>10}")
    ratios: list[float] = []
    failed: list[str] = []
    for name in catalogue.names():
        params = catalogue.get(name).example
        times: dict[str, float | None] = {}
        for store_name in STORES:  # interleaved per query so drift hits both
            store = stores[store_name]
            try:
                run(store, name, params)  # warm up
            except QueryError:
                times[store_name] = None  # this engine cannot run the query
                continue
            times[store_name] = median_ms(partial(run, store, name, params), args.runs)
        ox_ms, rdf_ms = times["oxigraph"], times["rdflib"]
        if ox_ms is None or rdf_ms is None:
            failed.append(name)
            print(f"  {name:24} {ox_ms or 0:10.2f} {'fails':>10} {'-':>10}")
            continue
        ratio = rdf_ms / ox_ms
        ratios.append(ratio)
        print(f"  {name:24} {ox_ms:10.2f} {rdf_ms:10.2f} {ratio:9.1f}x")
    print(f"\nmedian query ratio rdflib/oxigraph: {statistics.median(ratios):.1f}x "
          f"(min {min(ratios):.1f}x, max {max(ratios):.1f}x) over {len(ratios)} queries both run; "
          f"rdflib fails on {len(failed)}: {', '.join(failed) or 'none'}")


if __name__ == "__main__":
    main()
