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

import httpx
import pyoxigraph as ox
import pytest
from store.parity import (  # noqa: F401  (the tests every remote store runs; see tests/store/parity.py)
    test_analyst_questions_over_the_remote_store,
    test_duplication_check_proposals_and_countries_are_the_same,
    test_overlap_is_the_same,
    test_the_server_over_the_remote_store_answers_as_the_embedded_one,
)

from neaspec_kg.build import ValidatedGraph
from neaspec_kg.store import RemoteStore

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
def remote_url(oxigraph_server: str) -> str:
    return oxigraph_server


def test_the_remote_store_holds_the_same_dataset(oxigraph_server: str, validated: ValidatedGraph) -> None:
    r = RemoteStore(oxigraph_server)
    count = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    assert int(r.select(count)[0]["n"].value) == len(set(validated.quads))
    merged = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    assert int(r.select(merged)[0]["n"].value) == len({(q.subject, q.predicate, q.object) for q in validated.quads})


def test_sparql_over_a_remote_store_keeps_the_endpoints_policy(remote_api: httpx.Client) -> None:
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s a <https://w3id.org/neaspec-kg/ontology#SubregionalMechanism> }"
    r = remote_api.post("/sparql", data={"query": count}, headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 200 and r.json()["results"]["bindings"][0]["n"]["value"] == "8"
    csv = remote_api.post("/sparql", data={"query": count}, headers={"Accept": "text/csv"})
    assert csv.status_code == 200 and csv.text.splitlines()[1].strip() == "8"
    turtle = remote_api.post("/sparql", data={"query": "CONSTRUCT { ?s a ?t } WHERE { ?s a ?t } LIMIT 3"},
                             headers={"Accept": "text/turtle"})
    assert turtle.status_code == 200 and turtle.headers["content-type"].startswith("text/turtle")
    for query, status in [("INSERT DATA { <a:b> <a:c> <a:d> }", 403),
                          ("SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }", 403),
                          ("SELECT * WHERE " + "{" * 5000 + "?s ?p ?o" + "}" * 5000, 400),
                          ("SELECT * WHERE { ?s ?p ?o }", 422),  # the whole store: past the byte budget
                          ("SELECT * WHERE { ?s ?p", 400)]:
        refused = remote_api.post("/sparql", data={"query": query})
        assert refused.status_code == status, (query[:60], refused.text[:300])
        assert refused.headers["content-type"].startswith("application/problem+json")
    assert remote_api.get("/healthz").json()["status"] == "ok"
