"""Cold-build benchmark (not a test): what ``neaspec-kg validate --full`` costs as the data grows, each figure
beside the floor measured in the same run on the same data.

    .venv/bin/python bench/build_scale.py                          # 1,000 and 10,000 mechanisms
    .venv/bin/python bench/build_scale.py --sizes 10000 100000 --repeat 1

For each size, synthetic data is written by ``bench/synth.py``; then

* the floor: parsing every file with pyoxigraph (each file's quads made and dropped, as a build must at least
  do), in this process;
* the cold build: ``build(paths, use_cache=False)`` (parse, provenance, SHACL, dangling references,
  entailment, the sealed on-disk store) in a fresh child process each time, so that its peak resident memory
  is its own (``wait4``'s ``ru_maxrss``), not this process's or an earlier run's.

Seconds are medians over ``--repeat`` runs; the ratio is build / floor. The machine may be shared and noisy:
read medians, and the load average printed beside them. ``measure_cold_build`` is the function for another
benchmark (``bench/scale.py``) to call.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pyoxigraph as ox  # noqa: E402

from bench.synth import generate  # noqa: E402
from neaspec_kg.build import _parse  # noqa: E402
from neaspec_kg.config import PROJECT_ROOT, Paths  # noqa: E402
from neaspec_kg.namespaces import ONTOLOGY_GRAPH  # noqa: E402

#: the child: one cold build, as `validate --full` makes it; prints its seconds (and, on standard error, each
#: phase's)
_CHILD = """
import logging, sys, time
logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="      %(message)s")
from pathlib import Path
from neaspec_kg.build import build
from neaspec_kg.config import Paths
paths = Paths(ontology_dir=Path(sys.argv[1]), data_dir=Path(sys.argv[2]))
keep = sys.argv[3] == "keep"
started = time.perf_counter()
graph = build(paths, full=True) if keep else build(paths, use_cache=False)
print(time.perf_counter() - started, graph.summary["quads"], graph.summary["default_triples"])
"""


@dataclass
class ColdBuild:
    """Median seconds and the largest peak RSS of the cold builds, the parse floor, and what the store held."""

    seconds: float
    peak_rss_mb: float
    floor_seconds: float
    quads: int
    default_triples: int

    @property
    def ratio(self) -> float:
        return self.seconds / self.floor_seconds if self.floor_seconds else float("nan")


def parse_floor(paths: Paths) -> float:
    """Seconds to parse every ontology and data file with pyoxigraph, keeping nothing."""
    started = time.perf_counter()
    graph = ox.NamedNode(ONTOLOGY_GRAPH)
    for f in paths.ontology_files():
        _parse(f, ox.RdfFormat.TURTLE, graph)
    for f in paths.data_files():
        _parse(f, ox.RdfFormat.TRIG)
    return time.perf_counter() - started


def _one_build(paths: Paths, cache: Path, keep: bool = False) -> tuple[float, float, int, int]:
    """One cold build in a child process: its seconds, its peak RSS (MB) and the store's counts. With
    ``keep``, the build is cached in ``cache`` (as ``validate --full`` caches it) for what is measured next."""
    env = {**os.environ, "NEASPEC_KG_CACHE": str(cache), "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(paths.ontology_dir), str(paths.data_dir),
                              "keep" if keep else "private"],
                             stdout=subprocess.PIPE, env=env, cwd=ROOT)
    assert child.stdout is not None
    out = child.stdout.read()
    _pid, status, usage = os.wait4(child.pid, 0)
    if status != 0:
        raise RuntimeError(f"the cold build failed (status {status})")
    seconds, quads, default = out.split()
    return float(seconds), usage.ru_maxrss / 1024, int(quads), int(default)


def measure_cold_build(paths: Paths, repeat: int = 1, cache: Path | None = None) -> ColdBuild:
    """The cold build of ``paths`` (``repeat`` times) beside the parse floor, measured now on the same data.
    With ``cache`` (an empty folder), the last build is left there, cached, for the caller to measure on."""
    floors = [parse_floor(paths) for _ in range(repeat)]
    runs = []
    with tempfile.TemporaryDirectory(prefix="nk-build-cache-") as private:
        for i in range(repeat):
            last = cache is not None and i == repeat - 1
            runs.append(_one_build(paths, cache if last and cache else Path(private), keep=last))
    return ColdBuild(seconds=statistics.median(r[0] for r in runs), peak_rss_mb=max(r[1] for r in runs),
                     floor_seconds=statistics.median(floors), quads=runs[-1][2], default_triples=runs[-1][3])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000], help="numbers of mechanisms")
    ap.add_argument("--repeat", type=int, default=3, help="cold builds per size (median)")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)
    for n in args.sizes:
        with tempfile.TemporaryDirectory(prefix=f"nk-build-{n}-") as tmp:
            data = Path(tmp) / "data"
            generate(n, data, seed=args.seed)
            paths = Paths(ontology_dir=PROJECT_ROOT / "ontology", data_dir=data)
            result = measure_cold_build(paths, args.repeat)
            load = os.getloadavg()[0]
            print(f"{n:>8,} mechanisms  {len(paths.data_files()):>7,} files  {result.quads:>11,} quads "
                  f"({result.default_triples:,} in the merge)  load {load:.1f}")
            print(f"  cold build {result.seconds:9.1f} s   floor (parse) {result.floor_seconds:7.1f} s   "
                  f"ratio {result.ratio:5.1f}x   peak RSS {result.peak_rss_mb:8.0f} MB", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
