"""The analysis over a real remote SPARQL 1.1 store: the Oxigraph server (``oxigraph serve-read-only``, from
the ``oxigraph`` package on PyPI), started on 127.0.0.1 for this module and bulk-loaded with the validated
build the documented way (README, "Another SPARQL store"): the named graphs as N-Quads and their merge as
N-Triples into the default graph. Every answer must equal the embedded store's."""
from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox
import pytest
from analysis.test_analyst_questions import QUESTIONS, ask_library, check_answer

from neaspec_kg.analysis import Analyst
from neaspec_kg.build import ValidatedGraph
from neaspec_kg.models import ProposedWork
from neaspec_kg.store import OxigraphStore, RemoteStore

OXIGRAPH = shutil.which("oxigraph") or str(Path(sys.executable).with_name("oxigraph"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def load_for_remote(graph: ValidatedGraph, folder: Path) -> list[Path]:
    """The files a remote store is loaded from: named graphs (N-Quads) and their merge (N-Triples)."""
    quads = folder / "named-graphs.nq"
    quads.write_bytes(graph.nquads())
    merged = folder / "default-graph.nt"
    triples = {ox.Triple(q.subject, q.predicate, q.object) for q in graph.quads}
    merged.write_bytes(ox.serialize(sorted(triples, key=str), format=ox.RdfFormat.N_TRIPLES) or b"")
    return [quads, merged]


@pytest.fixture(scope="module")
def oxigraph_server(validated: ValidatedGraph, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("oxigraph-server")
    files = load_for_remote(validated, folder)
    db = folder / "db"
    subprocess.run([OXIGRAPH, "load", "--location", str(db), "--file", *map(str, files)], check=True,
                   capture_output=True, timeout=300)
    port = _free_port()
    server = subprocess.Popen([OXIGRAPH, "serve-read-only", "--location", str(db), "--bind", f"127.0.0.1:{port}"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}/query"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(url, params={"query": "ASK {}"}, timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert server.poll() is None, server.stderr.read().decode() if server.stderr else "server died"
            assert time.monotonic() < deadline, "the Oxigraph server did not start"
            time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(scope="module")
def remote(oxigraph_server: str) -> Analyst:
    return Analyst(RemoteStore(oxigraph_server))


@pytest.fixture(scope="module")
def embedded(store: OxigraphStore) -> Analyst:
    return Analyst(store)


def test_the_remote_store_holds_the_same_dataset(oxigraph_server: str, validated: ValidatedGraph) -> None:
    r = RemoteStore(oxigraph_server)
    count = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    assert int(r.select(count)[0]["n"].value) == len(set(validated.quads))
    merged = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    assert int(r.select(merged)[0]["n"].value) == len({(q.subject, q.predicate, q.object) for q in validated.quads})


@pytest.mark.parametrize("focus", ["air quality", "desertification", "migratory birds", "climate change",
                                   "marine protected areas"])
def test_overlap_is_the_same(remote: Analyst, embedded: Analyst, focus: str) -> None:
    assert remote.overlap(focus, include_related=True) == embedded.overlap(focus, include_related=True)
    assert remote.overlap(focus, country="MNG", as_of="2020-07-10") == \
        embedded.overlap(focus, country="MNG", as_of="2020-07-10")


def test_duplication_check_proposals_and_countries_are_the_same(remote: Analyst, embedded: Analyst) -> None:
    assert remote.duplication(limit=None) == embedded.duplication(limit=None)
    assert remote.duplication(mechanism="neaspec") == embedded.duplication(mechanism="neaspec")
    work = ProposedWork(focus="sand and dust storms", modalities=["capacity-building"], countries=["MNG"],
                        proposer="neaspec")
    assert remote.check(work) == embedded.check(work)
    assert remote.proposals() == embedded.proposals()
    assert remote.country_participation("RUS", as_of="2020-07-10") == \
        embedded.country_participation("RUS", as_of="2020-07-10")


@pytest.mark.parametrize("q", QUESTIONS, ids=[q["id"] for q in QUESTIONS])
def test_analyst_questions_over_the_remote_store(remote: Analyst, q: dict[str, Any]) -> None:
    check_answer(q, ask_library(remote, q["ask"]))
