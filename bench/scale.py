"""Scale benchmark (not a test): how the build, the analysis index and the analyses grow with the number of
mechanisms, each figure as a median beside a floor measured in the same run on the same data.

    .venv/bin/python bench/scale.py                      # 1,000 and 10,000 mechanisms
    .venv/bin/python bench/scale.py --sizes 1000 10000 100000 --validate-max 10000

Data comes from ``bench/synth.py`` (the project's own model, on the real thesaurus). The floors are the least
work the same answer needs: parsing the files (for a build), loading the quads (for a store), running the
extraction queries (for the index), reading the cached index file (for a warm start), a numpy column scan
(for overlap) and the vectorised bound pass alone (for the pairs of one mechanism). Ratios near 1 mean the
code adds little to the floor; the machine is shared and noisy, so read medians, not single runs.
"""
from __future__ import annotations

import argparse
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

from bench.synth import generate
from neaspec_kg.analysis.duplication import duplication
from neaspec_kg.analysis.focus import FocusResolver
from neaspec_kg.analysis.overlap import overlap
from neaspec_kg.build import ValidatedGraph, _entail, _parse, build
from neaspec_kg.config import PROJECT_ROOT, Paths
from neaspec_kg.graph import select_table
from neaspec_kg.index import AnalysisIndex
from neaspec_kg.namespaces import ONTOLOGY_GRAPH
from neaspec_kg.store import OxigraphStore

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


def parse_only(paths: Paths) -> list[ox.Quad]:
    g = ox.NamedNode(ONTOLOGY_GRAPH)
    quads = [q for f in paths.ontology_files() for q in _parse(f, ox.RdfFormat.TURTLE, g)]
    for f in paths.data_files():
        quads.extend(_parse(f, ox.RdfFormat.TRIG))
    return quads


def row(name: str, value: float, floor: float | None, unit: str = "s") -> str:
    ratio = f"{value / floor:8.1f}x" if floor else "        -"
    floor_text = f"{floor:10.3f}" if floor is not None else "         -"
    return f"  {name:34} {value:10.3f} {unit}  floor {floor_text} {unit}  ratio {ratio}"


def measure(n: int, args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix=f"nk-scale-{n}-") as tmp:
        out = Path(tmp) / "data"
        generate(n, out, seed=7)
        paths = Paths(ontology_dir=PROJECT_ROOT / "ontology", data_dir=out)
        os.environ["NEASPEC_KG_CACHE"] = str(Path(tmp) / "cache")
        print(f"\n{n:,} mechanisms ({sum(1 for _ in out.rglob('*.trig'))} files)")
        t_parse, quads = timed(lambda: parse_only(paths))
        assert isinstance(quads, list)
        if n <= args.validate_max:
            t_build, graph = timed(lambda: build(paths, use_cache=False))
            print(row("cold build (parse + SHACL)", t_build, t_parse))
        else:
            graph = ValidatedGraph(quads=quads + _entail(quads), digest="0" * 64)
            print(f"  {'cold build (parse + SHACL)':34} skipped above --validate-max {args.validate_max:,}")
        assert isinstance(graph, ValidatedGraph)
        print(f"  {'quads':34} {len(graph.quads):10,}  ({len(graph.quads) / n:.0f} per mechanism)")

        def bare_load() -> ox.Store:
            s = ox.Store()
            s.bulk_extend(graph.quads)
            return s

        t_floor_load, _ = timed(bare_load)
        t_load, store = timed(lambda: OxigraphStore(graph))
        assert isinstance(store, OxigraphStore)
        print(row("store load (named graphs + merge)", t_load, t_floor_load))
        t_queries, _ = timed(lambda: [select_table(store, q) for q in INDEX_QUERIES])
        t_index, ix = timed(lambda: AnalysisIndex(store))
        assert isinstance(ix, AnalysisIndex)
        print(row("analysis index, cold", t_index, t_queries))
        blob = pickle.dumps(ix, protocol=pickle.HIGHEST_PROTOCOL)
        path = Path(tmp) / "index.pickle"
        path.write_bytes(blob)
        t_read, _ = timed(path.read_bytes, 3)
        t_warm, _ = timed(lambda: pickle.loads(path.read_bytes()), 3)
        print(row(f"analysis index, warm ({len(blob) / 2**20:.0f} MB)", t_warm, t_read))

        resolver = FocusResolver(store)
        concepts = resolver.resolve("air quality")
        cols = [ix.concept_col[c] for c in ix.concept_col
                if c == concepts[0].iri or c in ix.thesaurus.descendants(concepts[0].iri)]
        t_floor_overlap, _ = timed(lambda: np.flatnonzero(ix.direct[:, cols].any(axis=1)), 5)
        t_overlap, answer = timed(lambda: overlap(ix, concepts, include_related=True), 5)
        found = len(answer.mechanisms) if hasattr(answer, "mechanisms") else 0
        print(row(f"overlap 'air quality' ({found:,} found)", t_overlap, t_floor_overlap))

        picks = [ix.mechanisms[i] for i in np.linspace(0, len(ix.mechanisms) - 1, 5).astype(int)]
        rows_ = [ix.mech_row[m] for m in picks]

        def bounds_only() -> None:
            for r in rows_:
                mine = np.flatnonzero(ix.direct[r])
                w = ix.relation[mine].max(axis=0) if len(mine) else np.zeros(len(ix.concept_ids))
                (ix.direct * w).max(axis=1)
                ix.member_matrix @ ix.member_matrix[r]

        t_floor_dup, _ = timed(bounds_only, 3)
        t_dup, _ = timed(lambda: [duplication(ix, mechanism=m, limit=10, include_related=True) for m in picks], 3)
        print(row("duplicates of one (top 10, exact)", t_dup / len(picks), t_floor_dup / len(picks)))
        if n <= args.pairs_max:
            t_pairs, _ = timed(lambda: duplication(ix, limit=10, include_related=True))
            print(row("top-10 pairs, all mechanisms", t_pairs, None))
        else:
            print(f"  {'top-10 pairs, all mechanisms':34} not measured above --pairs-max {args.pairs_max:,}: "
                  "no precomputed all-pairs table yet")
        print(f"  {'peak RSS, this process + children':34} {peak_rss_mb():10.0f} MB")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    p.add_argument("--validate-max", type=int, default=1000,
                   help="run the full SHACL build only up to this many mechanisms (it is the slow part)")
    p.add_argument("--pairs-max", type=int, default=1000,
                   help="rank all pairs (exhaustively) only up to this many mechanisms")
    args = p.parse_args(argv)
    for n in args.sizes:
        measure(n, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
