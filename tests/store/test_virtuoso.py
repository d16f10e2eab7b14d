"""The analysis over a second real remote store, OpenLink Virtuoso (Debian's ``virtuoso-opensource``), and
``neaspec-kg load`` into it and into a writable Oxigraph server.

Virtuoso is started here in the foreground (``virtuoso-t -f``, no root or systemd needed) on free 127.0.0.1
ports with a throwaway database and its own ``virtuoso.ini`` (tests/store/virtuoso.ini.tmpl), loaded with
``neaspec-kg load`` through its Graph Store endpoint, and given our dataset as its default dataset with the
isql statements ``load --virtuoso-sql`` writes. Then every check of the Oxigraph-server module runs against
it: analyses, REST answers over ``serve --store URL`` and the 75 analyst questions equal the embedded store's.

What Virtuoso 7.2.5 does differently (found here; each is asserted below or worked around):
- without a dataset its default graph is the union of all graphs, system graphs included, with a triple
  once per graph that holds it: hence the merge in a graph of its own plus the host's dataset setting
  (a query's own FROM/FROM NAMED are then added to that setting, not put in its place);
- it keeps typed date/time values, not their lexical forms: ``"P1Y"^^xsd:duration`` reads back as ``"12"``
  (months) and, in one graph, ``"2003"^^xsd:gYear`` and ``"2003-01-01"^^xsd:date`` are one value, so the merge
  loses a triple. ``load`` reports exactly these and exits 1; no answer depends on them;
- its JSON results write xsd:boolean as 0/1 and EXISTS yields 1/0 as xsd:integer (RemoteStore reads the
  canonical forms back; the queries spell booleans out with STRDT);
- it never answers a direct POST (``application/sparql-query``): RemoteStore posts the form-encoded query;
- it crashes on a property path inside EXISTS, cannot compile an aggregate inside IF in a projection, fails the
  whole query on 1/0, and makes CONCAT over an unbound variable a string: the queries avoid these;
- ``ResultSetMaxRows`` (10000 by default) cuts answers off silently but for an ``X-SPARQL-MaxRows`` header,
  which RemoteStore and ``load`` refuse.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from string import Template
from typing import Any

import httpx
import pyoxigraph as ox
import pytest
from store.parity import (  # noqa: F401  (the tests every remote store runs; see tests/store/parity.py)
    test_analyst_questions_over_the_remote_store,
    test_duplication_check_proposals_and_countries_are_the_same,
    test_overlap_is_the_same,
    test_the_server_over_the_remote_store_answers_as_the_embedded_one,
)
from store.test_remote_stores import OXIGRAPH, _free_port

from neaspec_kg import cli
from neaspec_kg.analysis import Analyst
from neaspec_kg.build import ValidatedGraph
from neaspec_kg.load import PASSWORD_ENV, USER_ENV, LoadError, layout, load
from neaspec_kg.store import OxigraphStore, RemoteStore

VIRTUOSO = shutil.which("virtuoso-t")
ISQL = shutil.which("isql-vt") or shutil.which("isql")
TEMPLATE = Path(__file__).with_name("virtuoso.ini.tmpl")
#: the named graph the fixture loads the merge into (a test-only name: it holds no facts of its own)
MERGE = "urn:x-neaspec-kg-test:merged-default-graph"
XSD = "http://www.w3.org/2001/XMLSchema#"



def _wait(url: str, process: subprocess.Popen[bytes], what: str, log: Path | None = None) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(url, params={"query": "ASK {}"}, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if process.poll() is not None:
            raise RuntimeError(f"{what} stopped: " + (log.read_text(errors="replace")[-2000:] if log else ""))
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not answer within 60 s")
        time.sleep(0.2)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def _isql(sql_port: int, script: Path) -> str:
    """Run an isql script as the fresh database's dba; isql exits 0 even on SQL errors, so look."""
    assert ISQL is not None
    done = subprocess.run([ISQL, f"127.0.0.1:{sql_port}", "dba", "dba", str(script)], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0 and "*** Error" not in done.stdout + done.stderr, done.stdout + done.stderr
    return done.stdout


class Virtuoso:
    """A running throwaway Virtuoso: its endpoints and ports."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.sql_port, self.http_port = _free_port(), _free_port()
        self.sparql = f"http://127.0.0.1:{self.http_port}/sparql"
        self.graph_store = f"http://127.0.0.1:{self.http_port}/sparql-graph-crud-auth"


@pytest.fixture(scope="module")
def virtuoso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Virtuoso]:
    """An empty Virtuoso on 127.0.0.1, stopped at the end of the module."""
    # a failure, never a skip, when the store is missing: `make test` installs it (make system-deps)
    assert VIRTUOSO is not None and ISQL is not None, \
        "needs Debian's virtuoso-opensource (virtuoso-t, isql-vt): run make system-deps"
    v = Virtuoso(tmp_path_factory.mktemp("virtuoso"))
    ini = v.folder / "virtuoso.ini"
    ini.write_text(Template(TEMPLATE.read_text()).substitute(dir=v.folder, sql_port=v.sql_port,
                                                             http_port=v.http_port))
    log = v.folder / "console.log"
    with log.open("wb") as out:
        process = subprocess.Popen([VIRTUOSO, "-f", "-c", str(ini)], cwd=v.folder, stdout=out,
                                   stderr=subprocess.STDOUT)
    try:
        _wait(v.sparql, process, "Virtuoso", log)
        yield v
    finally:
        _stop(process)


@pytest.fixture(scope="module")
def loaded(virtuoso: Virtuoso, validated: ValidatedGraph) -> dict[str, Any]:
    """``neaspec-kg load`` into Virtuoso (as dba, through the environment), then the dataset setting.
    Returns what ``load`` said and its exit code."""
    import contextlib
    import io

    sql = virtuoso.folder / "dataset.sql"
    err = io.StringIO()
    env = {USER_ENV: "dba", PASSWORD_ENV: "dba"}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        with contextlib.redirect_stderr(err):
            code = cli.main(["load", "--store", virtuoso.sparql, "--graph-store", virtuoso.graph_store,
                             "--default-graph", MERGE, "--virtuoso-sql", str(sql)])
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    _isql(virtuoso.sql_port, sql)
    return {"code": code, "stderr": err.getvalue()}


@pytest.fixture(scope="module")
def endpoint(virtuoso: Virtuoso, loaded: dict[str, Any]) -> str:
    return virtuoso.sparql


@pytest.fixture(scope="module")
def remote_url(endpoint: str) -> str:
    return endpoint


def test_load_reports_exactly_what_virtuoso_rewrites(loaded: dict[str, Any], validated: ValidatedGraph) -> None:
    """Virtuoso keeps values, not lexical forms, of durations and dates; ``load`` says so, exits 1, and
    reports nothing else (every other triple of every graph is held as sent)."""
    _, merged = layout(validated)
    durations = [t for t in merged if isinstance(t.object, ox.Literal) and t.object.datatype.value == XSD + "duration"]
    assert durations, "the build has no durations any more: update this test"
    assert loaded["code"] == 1, loaded["stderr"]
    assert "does not hold exactly what was loaded" in loaded["stderr"]
    assert 'P1Y"^^<http://www.w3.org/2001/XMLSchema#duration>' in loaded["stderr"]
    assert "Traceback" not in loaded["stderr"]


def test_the_differences_are_only_date_and_duration_values(virtuoso: Virtuoso, validated: ValidatedGraph,
                                                           loaded: dict[str, Any]) -> None:
    from neaspec_kg.load import _Remote, differences

    named, merged = layout(validated)
    remote = _Remote(virtuoso.sparql, virtuoso.graph_store, None, 60)
    try:
        diffs = differences(remote, named, MERGE, merged)
    finally:
        remote.close()
    assert diffs
    temporal = (f"<{XSD}duration>", f"<{XSD}date>", f"<{XSD}gYear>")
    for d in diffs:
        assert all(line.rstrip(" .").endswith(temporal) for line in d.missing + d.unexpected), str(d)
        # a duration is rewritten (one missing, one not sent); the gYear/date pair of one graph becomes one
        assert d.held == d.sent or (d.graph == MERGE and d.held == d.sent - 1), str(d)


def test_the_remote_store_holds_the_same_dataset(endpoint: str, validated: ValidatedGraph) -> None:
    r = RemoteStore(endpoint)
    count = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    assert int(r.select(count)[0]["n"].value) == len(set(validated.quads))
    graphs = "SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    assert int(r.select(graphs)[0]["n"].value) == len(validated.graph_names)  # no system graphs, no merge
    merged = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    # the one gYear/date pair Virtuoso holds as one value (see the module docstring)
    assert int(r.select(merged)[0]["n"].value) == \
        len({(q.subject, q.predicate, q.object) for q in validated.quads}) - 1


def test_answers_are_not_cut_off_at_virtuosos_row_limit(endpoint: str, store: OxigraphStore) -> None:
    """More rows than Virtuoso's default ResultSetMaxRows (10000) come back, all of them."""
    query = "SELECT ?s ?g WHERE { GRAPH ?g { ?s ?p ?o } GRAPH ?g2 { ?s ?p2 ?o2 } }"  # named graphs: exact
    expected = len(store.select(query))
    assert expected > 10000
    response = httpx.post(endpoint, data={"query": query}, headers={"Accept": "application/sparql-results+json"},
                          timeout=60)
    assert response.status_code == 200 and "x-sparql-maxrows" not in response.headers
    assert len(response.json()["results"]["bindings"]) == expected
    assert len(RemoteStore(endpoint).select(query)) == expected


def test_virtuoso_honours_the_protocols_default_graph_uri(endpoint: str, validated: ValidatedGraph) -> None:
    """The standard ``default-graph-uri`` replaces the endpoint's default graph (so a client may still ask for
    one source's graph alone); the host setting is what makes the default right for everyone else."""
    named, _ = layout(validated)
    table2 = "https://w3id.org/neaspec-kg/id/source/neaspec-nfp2-1-table-2"
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    r = httpx.post(endpoint, data={"query": count, "default-graph-uri": table2},
                   headers={"Accept": "application/sparql-results+json"}, timeout=30)
    assert r.status_code == 200
    assert int(r.json()["results"]["bindings"][0]["n"]["value"]) == len(named[table2])


def test_sparql_over_virtuoso_keeps_the_endpoints_policy(remote_api: httpx.Client) -> None:
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s a <https://w3id.org/neaspec-kg/ontology#SubregionalMechanism> }"
    r = remote_api.post("/sparql", data={"query": count}, headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 200 and r.json()["results"]["bindings"][0]["n"]["value"] == "8"
    for query, status in [("INSERT DATA { <a:b> <a:c> <a:d> }", 403),
                          ("SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }", 403),
                          ("SELECT * WHERE { ?s ?p ?o }", 422),  # the whole store: past the byte budget
                          ("SELECT * WHERE { ?s ?p", 400)]:
        refused = remote_api.post("/sparql", data={"query": query})
        assert refused.status_code == status, (query[:60], refused.text[:300])
        assert refused.headers["content-type"].startswith("application/problem+json")


# ----------------------------------------------------------------------------- load: errors and Oxigraph


def test_load_refuses_to_overwrite_without_replace(virtuoso: Virtuoso, validated: ValidatedGraph,
                                                   loaded: dict[str, Any]) -> None:
    with pytest.raises(LoadError) as refused:
        load(validated, virtuoso.sparql, virtuoso.graph_store, default_graph=MERGE, auth=("dba", "dba"))
    assert refused.value.exit_code == 2 and "--replace" in str(refused.value)


def test_load_errors_name_the_url_and_status(virtuoso: Virtuoso, capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(USER_ENV, raising=False)
    dead = f"http://127.0.0.1:{_free_port()}/query"
    assert cli.main(["load", "--store", dead]) == 2
    err = capsys.readouterr().err
    assert dead in err and "cannot reach" in err and "Traceback" not in err
    # Virtuoso's Graph Store endpoint wants credentials: a 401 names the URL and the variables to set
    fresh = "urn:x-neaspec-kg-test:nothing-here"
    assert cli.main(["load", "--store", virtuoso.sparql, "--graph-store", virtuoso.graph_store,
                     "--default-graph", fresh, "--replace"]) == 2
    err = capsys.readouterr().err
    assert "answered 401" in err and virtuoso.graph_store in err and USER_ENV in err
    # the unauthenticated endpoint refuses writes: 403, named
    assert cli.main(["load", "--store", virtuoso.sparql, "--graph-store",
                     virtuoso.graph_store.removesuffix("-auth"), "--default-graph", fresh, "--replace"]) == 2
    err = capsys.readouterr().err
    assert "answered 403" in err and "/sparql-graph-crud" in err
    assert cli.main(["load"]) == 2 and "--store URL" in capsys.readouterr().err


def test_load_into_a_writable_oxigraph_server_round_trips(validated: ValidatedGraph,
                                                          tmp_path: Path) -> None:
    """Oxigraph keeps lexical forms and has a real default graph: every graph, the merge included, reads back
    exactly as sent; a second load needs --replace and leaves the same data."""
    port = _free_port()
    server = subprocess.Popen([OXIGRAPH, "serve", "--location", str(tmp_path / "db"), "--bind",
                               f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/query"
    try:
        _wait(url, server, "the Oxigraph server")
        report = load(validated, url, batch=2000)  # /store found next to /query; the merge needs 4 requests
        named, merged = layout(validated)
        assert report.graph_store == f"http://127.0.0.1:{port}/store"
        expected: dict[str | None, int] = {g: len(t) for g, t in named.items()}
        expected[None] = len(merged)
        assert dict(report.counts) == expected
        assert report.requests > len(named) + 1
        with pytest.raises(LoadError):
            load(validated, url)
        again = load(validated, url, replace=True)
        assert again.counts == report.counts and len(again.replaced) == len(named) + 1
        r = RemoteStore(url)
        assert int(r.select("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")[0]["n"].value) == \
            len(set(validated.quads))
        assert Analyst(r).overlap("air quality") is not None
    finally:
        _stop(server)


# ----------------------------------------------------------------------------- RemoteStore and Virtuoso's answers


@pytest.fixture
def canned() -> Iterator[tuple[str, dict[str, Any]]]:
    """A 127.0.0.1 endpoint that answers every query with ``reply["body"]`` and ``reply["headers"]`` and keeps
    what it was sent: how Virtuoso answers where a test cannot make it (a row limit hit)."""
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    reply: dict[str, Any] = {"body": {}, "headers": {}, "requests": []}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            reply["requests"].append((self.headers.get("Content-Type"), self.rfile.read(length)))
            body = json.dumps(reply["body"]).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/sparql-results+json")
            self.send_header("Content-Length", str(len(body)))
            for k, v in reply["headers"].items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/sparql", reply
    finally:
        server.shutdown()
        server.server_close()


def test_remote_store_refuses_an_answer_cut_at_the_row_limit(canned: tuple[str, dict[str, Any]]) -> None:
    from neaspec_kg.store import QueryError

    url, reply = canned
    reply["body"] = {"head": {"vars": ["s"]}, "results": {"bindings": [{"s": {"type": "uri", "value": "a:b"}}]}}
    assert len(RemoteStore(url).select("SELECT ?s WHERE { ?s ?p ?o }")) == 1
    content_type, sent = reply["requests"][-1]
    assert content_type == "application/x-www-form-urlencoded" and sent.startswith(b"query=SELECT")
    reply["headers"] = {"X-SPARQL-MaxRows": "10000"}
    with pytest.raises(QueryError, match="10000 rows"):
        RemoteStore(url).select("SELECT ?s WHERE { ?s ?p ?o }")
    with pytest.raises(QueryError, match="ResultSetMaxRows"):
        RemoteStore(url).select_table("SELECT ?s WHERE { ?s ?p ?o }")


def test_remote_store_reads_virtuosos_boolean_and_duration_forms(canned: tuple[str, dict[str, Any]]) -> None:
    """Virtuoso writes booleans as 0/1 and durations as months or seconds: read as the canonical forms."""
    url, reply = canned
    values = {"t": ("boolean", "1", "true"), "f": ("boolean", "0", "false"), "y": ("duration", "12", "P1Y"),
              "m": ("duration", "14", "P1Y2M"), "d": ("duration", "93600.0", "P1DT2H"),
              "z": ("duration", "0.0", "PT0S"), "p": ("duration", "P3Y", "P3Y"), "i": ("integer", "1", "1")}
    reply["body"] = {"head": {"vars": list(values)}, "results": {"bindings": [
        {k: {"type": "typed-literal", "datatype": XSD + t, "value": raw} for k, (t, raw, _) in values.items()}]}}
    row = RemoteStore(url).select("SELECT * WHERE { ?s ?p ?o }")[0]
    assert {k: row[k].value for k in values} == {k: want for k, (_, _, want) in values.items()}
    assert row["t"].to_python() is True and row["f"].to_python() is False
    names, rows = RemoteStore(url).select_table("SELECT * WHERE { ?s ?p ?o }")
    assert dict(zip(names, rows[0], strict=True)) == {k: want for k, (_, _, want) in values.items()}
