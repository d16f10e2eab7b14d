"""Throughput and latency of the web layer, next to a bare FastAPI endpoint measured in the same run.

Starts three uvicorn servers on 127.0.0.1 (ours, a bare FastAPI app returning a small JSON object, and
nothing else), loads each endpoint for a fixed time with N concurrent connections, and prints
requests/s, median and p99 latency, and each endpoint's throughput as a ratio of the bare floor.
Machines here are noisy, so every figure is a median over --rounds rounds, endpoints interleaved.

Load generator: wrk (Debian package `wrk`, as in the issue's reference figures) when installed,
else a built-in asyncio/httpx loop (slower itself, so its ratios are conservative).

    .venv/bin/python bench/api_bench.py [--seconds 5] [--connections 16] [--rounds 3]
"""
from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
BARE_APP = "bench.bare_app:app"
SPARQL_QUERY = "SELECT ?m ?acr WHERE { ?m a nk:SubregionalMechanism ; nk:acronym ?acr } ORDER BY ?acr"
ENDPOINTS = {
    "bare FastAPI /bare": "/bare",
    "/overlap?focus=air quality": "/overlap?focus=" + urllib.parse.quote("air quality"),
    "/overlap, 8 distinct foci": None,  # filled with a rotating set below (wrk: one URL; see note)
    "/sparql (SELECT, JSON)": "/sparql?query=" + urllib.parse.quote(
        "PREFIX nk: <https://w3id.org/neaspec-kg/ontology#> " + SPARQL_QUERY),
    "/mechanisms/eanet": "/mechanisms/eanet",
}


@dataclass
class Result:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(target: str, port: int, *, factory: bool = False) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "uvicorn", target, "--host", "127.0.0.1", "--port", str(port),
           "--log-level", "warning", "--no-access-log"]
    if factory:
        cmd.append("--factory")
    proc = subprocess.Popen(cmd, cwd=ROOT)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit(f"server {target} did not start on port {port}")


def _ms(text: str) -> float:
    value, unit = float(re.match(r"[\d.]+", text).group(0)), re.sub(r"[\d.]+", "", text)  # type: ignore[union-attr]
    return value * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def run_wrk(url: str, seconds: int, connections: int) -> Result:
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url],
                         capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    errors = sum(int(x) for x in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    return Result(rps, p50, p99, errors)


async def _python_load(urls: list[str], seconds: int, connections: int) -> Result:
    latencies: list[float] = []
    errors = 0
    stop = time.perf_counter() + seconds

    async def worker(i: int, client: httpx.AsyncClient) -> None:
        nonlocal errors
        n = i
        while time.perf_counter() < stop:
            t0 = time.perf_counter()
            r = await client.get(urls[n % len(urls)])
            latencies.append((time.perf_counter() - t0) * 1000)
            errors += r.status_code >= 400
            n += 1

    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        await asyncio.gather(*(worker(i, client) for i in range(connections)))
    latencies.sort()
    return Result(len(latencies) / seconds, statistics.median(latencies),
                  latencies[int(0.99 * (len(latencies) - 1))], errors)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--python-load", action="store_true", help="use the built-in load generator even if wrk exists")
    args = ap.parse_args()
    use_wrk = shutil.which("wrk") is not None and not args.python_load

    ours, bare = free_port(), free_port()
    procs = [start("api.app:create_app", ours, factory=True), start(BARE_APP, bare)]
    foci = ["air quality", "air pollution", "marine", "biodiversity", "land degradation", "low carbon city",
            "climate change", "wetlands"]
    try:
        results: dict[str, list[Result]] = {name: [] for name in ENDPOINTS}
        for _ in range(args.rounds):
            for name, path in ENDPOINTS.items():
                port = bare if path == "/bare" else ours
                if path is None:  # rotating foci: the memo cannot answer everything from one entry
                    urls = [f"http://127.0.0.1:{ours}/overlap?focus={urllib.parse.quote(f)}" for f in foci]
                    results[name].append(asyncio.run(_python_load(urls, args.seconds, args.connections))
                                         if not use_wrk else run_wrk_rotating(urls, args.seconds, args.connections))
                    continue
                url = f"http://127.0.0.1:{port}{path}"
                results[name].append(run_wrk(url, args.seconds, args.connections) if use_wrk
                                     else asyncio.run(_python_load([url], args.seconds, args.connections)))
        floor = statistics.median(r.rps for r in results["bare FastAPI /bare"])
        tool = "wrk -t2" if use_wrk else "python asyncio/httpx"
        print(f"load: {tool}, {args.connections} connections, {args.seconds} s x {args.rounds} rounds (medians)")
        print(f"{'endpoint':34} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'x bare':>7}")
        for name, rs in results.items():
            rps = statistics.median(r.rps for r in rs)
            print(f"{name:34} {rps:9.0f} {statistics.median(r.p50_ms for r in rs):8.2f} "
                  f"{statistics.median(r.p99_ms for r in rs):8.2f} {sum(r.errors for r in rs):7d} {rps / floor:7.2f}")
    finally:
        for p in procs:
            p.terminate()
            p.wait(timeout=10)


def run_wrk_rotating(urls: list[str], seconds: int, connections: int) -> Result:
    """wrk with a Lua script that rotates through several paths."""
    paths = [urllib.parse.urlsplit(u) for u in urls]
    base = f"{paths[0].scheme}://{paths[0].netloc}"
    lua = ROOT / "bench" / ".rotate.lua"
    items = ", ".join('"' + p.path + "?" + p.query + '"' for p in paths)
    lua.write_text(f"local paths = {{{items}}}\nlocal i = 0\nrequest = function()\n  i = i + 1\n"
                   f"  return wrk.format('GET', paths[(i % #paths) + 1])\nend\n")
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(lua), base],
                         capture_output=True, text=True, check=True).stdout
    lua.unlink()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    return Result(rps, _ms(re.search(r"50%\s+(\S+)", out).group(1)),  # type: ignore[union-attr]
                  _ms(re.search(r"99%\s+(\S+)", out).group(1)),  # type: ignore[union-attr]
                  sum(int(x) for x in re.findall(r"Non-2xx or 3xx responses: (\d+)", out)))


if __name__ == "__main__":
    main()
