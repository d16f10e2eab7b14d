"""The /sparql endpoint against a live server on 127.0.0.1, through real clients.

SPARQLWrapper and rdflib's SPARQLStore show that ordinary SPARQL clients work; httpx checks the Protocol
request by request (methods, media types, dataset parameters, content negotiation, error codes); hostile
inputs each get the right error, and a normal query succeeds right after each one. The server runs with
a 2 s query timeout, a 5,000-row cap, two workers and a queue of one, so that the limits can be reached
quickly.
"""
from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import TypeVar
from urllib.parse import quote
from xml.dom.minidom import Document

import httpx
import pyoxigraph as ox
import pytest
import rdflib
from fastapi import FastAPI
from rdflib.compare import isomorphic
from rdflib.namespace import RDF
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from rdflib.query import ResultRow
from SPARQLWrapper import CSV, JSON, POST, POSTDIRECTLY, TURTLE, XML, SPARQLWrapper

from api.app import create_app
from api.negotiation import negotiate
from api.query_pool import QueryEvaluationError, QueryJob, QueryPool
from api.settings import Settings
from api.sparql import editor_page, scan_query
from neaspec_kg.build import ValidatedGraph
from neaspec_kg.catalogue import NamedQuery, catalogue
from neaspec_kg.graph import run
from neaspec_kg.namespaces import NK, SOURCE
from neaspec_kg.store import OxigraphStore
from tests.live_server import live_server
from tests.problems import assert_problem

SETTINGS = Settings(query_timeout_s=2.0, max_rows=5000, workers=2, queue_limit=1, cors_origins=("*",))
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
#: a cartesian product of all triples with itself four times: would run for days
ENDLESS = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
T = TypeVar("T")


# --------------------------------------------------------------------------- fixtures and helpers


@pytest.fixture(scope="module")
def app(validated: ValidatedGraph) -> FastAPI:
    return create_app(SETTINGS, graph=validated)


@pytest.fixture(scope="module")
def server(app: FastAPI) -> Iterator[str]:
    with live_server(app) as base_url:
        yield base_url


@pytest.fixture(scope="module")
def endpoint(server: str) -> str:
    return server + "/sparql"


@pytest.fixture(scope="module")
def client(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, timeout=30.0) as c:
        yield c


@pytest.fixture(scope="module")
def triples(store: OxigraphStore) -> int:
    """Triples in the default graph, counted by the main process's own store."""
    return int(store.select(COUNT)[0]["n"].value)


def count_via_endpoint(client: httpx.Client, **params: str) -> int:
    response = client.get("/sparql", params={"query": COUNT, **params},
                          headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 200, response.text
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


def assert_still_answering(client: httpx.Client, triples: int) -> None:
    """The check after every hostile input: a normal query still gets the right answer."""
    assert count_via_endpoint(client) == triples


def converted(sw: SPARQLWrapper, kind: type[T]) -> T:
    """SPARQLWrapper's answer, converted as the return format asks, checked to be of the type that format gives
    (a dict for JSON, a DOM document for XML results, an rdflib Graph for RDF/XML, bytes for CSV and Turtle)."""
    result = sw.queryAndConvert()
    assert isinstance(result, kind), f"expected {kind.__name__}, got {type(result).__name__}"
    return result


class Listener:
    """A TCP server on 127.0.0.1 that records every connection (and can answer as a SPARQL endpoint)."""

    def __init__(self, answer: bytes | None = None) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/sparql"
        self.received: list[bytes] = []
        self._answer = answer
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(2)
                try:
                    self.received.append(conn.recv(65536))
                    if self._answer is not None:
                        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\n"
                                     b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(self._answer)
                                     + self._answer)
                except OSError:
                    pass

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    lst = Listener()
    yield lst
    lst.close()


# --------------------------------------------------------------------------- real clients


def test_sparqlwrapper_select_json_matches_the_main_store(endpoint: str, store: OxigraphStore) -> None:
    """The workers serve the same dataset as OxigraphStore: default graph = merge, named graphs as built."""
    query = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"
    sw = SPARQLWrapper(endpoint)
    sw.setQuery(query)
    sw.setReturnFormat(JSON)
    remote = {b["g"]["value"]: int(b["n"]["value"]) for b in converted(sw, dict)["results"]["bindings"]}
    local = {r["g"].value: int(r["n"].value) for r in store.select(query)}
    assert remote == local and len(remote) > 1
    sw.setQuery(COUNT)
    assert converted(sw, dict)["results"]["bindings"][0]["n"]["value"] == store.select(COUNT)[0]["n"].value


def test_sparqlwrapper_xml_csv_and_ask(endpoint: str, store: OxigraphStore) -> None:
    query = (f"SELECT ?m ?label WHERE {{ ?m a <{NK}Mechanism> ; "
             "<http://www.w3.org/2004/02/skos/core#prefLabel> ?label }")
    expected = {(r["m"].value, r["label"].value) for r in store.select(query)}
    assert expected
    sw = SPARQLWrapper(endpoint)
    sw.setQuery(query)
    sw.setReturnFormat(XML)
    sw.setMethod(POST)  # form-encoded POST
    doc = converted(sw, Document)
    results = doc.getElementsByTagName("result")
    assert len(results) == len(expected)
    sw.setReturnFormat(CSV)
    sw.setRequestMethod(POSTDIRECTLY)  # application/sparql-query
    rows = list(csv.DictReader(io.StringIO(converted(sw, bytes).decode("utf-8"))))
    assert {(r["m"], r["label"]) for r in rows} == expected
    sw = SPARQLWrapper(endpoint)
    sw.setQuery(f"ASK {{ ?m a <{NK}Mechanism> }}")
    sw.setReturnFormat(JSON)
    assert converted(sw, dict)["boolean"] is True


def test_sparqlwrapper_construct(endpoint: str, store: OxigraphStore) -> None:
    pattern = f"?m a <{NK}Mechanism> ; <{NK}acronym> ?a"
    query = f"CONSTRUCT {{ {pattern} }} WHERE {{ {pattern} }}"
    expected = store.construct(query)
    assert len(expected) > 0
    sw = SPARQLWrapper(endpoint)
    sw.setQuery(query)
    sw.setReturnFormat(XML)  # RDF/XML, parsed by SPARQLWrapper into an rdflib Graph
    graph = sw.queryAndConvert()
    assert isinstance(graph, rdflib.Graph) and isomorphic(graph, expected)
    sw.setReturnFormat(TURTLE)
    assert isomorphic(rdflib.Graph().parse(data=converted(sw, bytes), format="turtle"), expected)


def test_rdflib_sparqlstore_graph_query(endpoint: str, store: OxigraphStore) -> None:
    graph = rdflib.Graph(store=SPARQLStore(endpoint, returnFormat="json"))
    query = f"SELECT ?m ?a WHERE {{ ?m a <{NK}Mechanism> ; <{NK}acronym> ?a }} ORDER BY ?a"
    rows = []
    for r in graph.query(query):
        assert isinstance(r, ResultRow), r
        rows.append((str(r.m), str(r.a)))
    assert rows == [(r["m"].value, r["a"].value) for r in store.select(query)]
    assert rows
    ask = graph.query(f"ASK {{ ?m a <{NK}Mechanism> }}")
    assert ask.askAnswer is True


# --------------------------------------------------------------------------- the Protocol, request by request


def test_get_form_post_and_direct_post_agree(client: httpx.Client, triples: int) -> None:
    accept = {"Accept": "application/sparql-results+json"}
    by_get = client.get("/sparql", params={"query": COUNT}, headers=accept)
    by_form = client.post("/sparql", data={"query": COUNT}, headers=accept)
    by_body = client.post("/sparql", content=COUNT.encode(),
                          headers={**accept, "Content-Type": "application/sparql-query; charset=utf-8"})
    for response in (by_get, by_form, by_body):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/sparql-results+json")
        assert "accept" in response.headers["vary"].lower()
        assert int(response.json()["results"]["bindings"][0]["n"]["value"]) == triples


def test_dataset_parameters(client: httpx.Client, validated: ValidatedGraph, store: OxigraphStore,
                            triples: int) -> None:
    """default-graph-uri / named-graph-uri replace the dataset; without them, the merge and all graphs."""
    catalogue_graph = SOURCE + "catalogue"
    in_catalogue = int(store.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{catalogue_graph}> {{ ?s ?p ?o }} }}")
                       [0]["n"].value)
    assert 0 < in_catalogue < triples
    assert count_via_endpoint(client) == triples
    assert count_via_endpoint(client, **{"default-graph-uri": catalogue_graph}) == in_catalogue
    # two default graphs: their merge (as a form POST this time, parameters repeated)
    other = sorted(validated.graph_names - {catalogue_graph})[0]
    both = client.post("/sparql", content=f"query={quote(COUNT)}&default-graph-uri={quote(catalogue_graph)}"
                                          f"&default-graph-uri={quote(other)}",
                       headers={"Content-Type": "application/x-www-form-urlencoded"})
    union = int(store.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ SELECT DISTINCT ?s ?p ?o WHERE {{ "
                             f"{{ GRAPH <{catalogue_graph}> {{ ?s ?p ?o }} }} UNION "
                             f"{{ GRAPH <{other}> {{ ?s ?p ?o }} }} }} }}")[0]["n"].value)
    assert int(both.json()["results"]["bindings"][0]["n"]["value"]) == union
    graphs_query = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    all_graphs = client.get("/sparql", params={"query": graphs_query})
    assert {b["g"]["value"] for b in all_graphs.json()["results"]["bindings"]} == validated.graph_names
    only = client.get("/sparql", params={"query": graphs_query, "named-graph-uri": catalogue_graph})
    assert [b["g"]["value"] for b in only.json()["results"]["bindings"]] == [catalogue_graph]
    # only named graphs given: the default graph is then empty (Protocol §2.1.4), not the merge
    assert count_via_endpoint(client, **{"named-graph-uri": catalogue_graph}) == 0
    assert_problem(client.get("/sparql", params={"query": COUNT, "default-graph-uri": "not an iri"}), 400)


@pytest.mark.parametrize(("accept", "media_type"), [
    (None, "application/sparql-results+json"),
    ("*/*", "application/sparql-results+json"),
    ("application/sparql-results+xml", "application/sparql-results+xml"),
    ("text/csv;q=0.5, application/sparql-results+xml;q=0.9", "application/sparql-results+xml"),
    ("text/*;q=0.8, application/sparql-results+json;q=0.2", "text/csv"),
    ("text/tab-separated-values, */*;q=0.1", "text/tab-separated-values"),
    ("application/json", "application/json"),
])
def test_select_negotiation(client: httpx.Client, accept: str | None, media_type: str, triples: int) -> None:
    headers = {"Accept": accept} if accept else {}
    response = client.get("/sparql", params={"query": COUNT}, headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == media_type
    assert str(triples) in response.text


@pytest.mark.parametrize(("accept", "media_type", "rdflib_format"), [
    (None, "text/turtle", "turtle"),
    ("*/*", "text/turtle", "turtle"),
    ("application/n-triples", "application/n-triples", "nt"),
    ("application/ld+json", "application/ld+json", "json-ld"),
    ("application/rdf+xml;q=1, text/turtle;q=0.5", "application/rdf+xml", "xml"),
])
def test_construct_negotiation(client: httpx.Client, store: OxigraphStore, accept: str | None, media_type: str,
                               rdflib_format: str) -> None:
    query = f"DESCRIBE ?m WHERE {{ ?m <{NK}acronym> \"EANET\" }}"
    headers = {"Accept": accept} if accept else {}
    response = client.post("/sparql", data={"query": query}, headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == media_type
    graph = rdflib.Graph().parse(data=response.content, format=rdflib_format)
    assert len(graph) > 0 and isomorphic(graph, store.construct(query))


def test_not_acceptable(client: httpx.Client, triples: int) -> None:
    body = assert_problem(client.get("/sparql", params={"query": COUNT}, headers={"Accept": "image/png"}), 406)
    assert "application/sparql-results+json" in body["offered"]
    # CSV/TSV cannot carry ASK results, Turtle cannot carry SELECT results
    assert_problem(client.get("/sparql", params={"query": "ASK {}"}, headers={"Accept": "text/csv"}), 406)
    assert_problem(client.get("/sparql", params={"query": COUNT}, headers={"Accept": "text/turtle"}), 406)
    assert_still_answering(client, triples)


def test_malformed_requests(client: httpx.Client, triples: int) -> None:
    two = client.get(f"/sparql?query={quote(COUNT)}&query={quote('ASK {}')}")
    assert "exactly one" in assert_problem(two, 400)["detail"].lower()
    assert_problem(client.post("/sparql", content=COUNT.encode()), 400)  # no Content-Type
    assert_problem(client.post("/sparql", content=COUNT.encode(), headers={"Content-Type": "text/plain"}), 400)
    assert_problem(client.post("/sparql", content=COUNT.encode(),
                               headers={"Content-Type": "application/sparql-query; charset=iso-8859-1"}), 400)
    assert_problem(client.post("/sparql", data={"nothing": "here"}), 400)
    assert_problem(client.get("/sparql", params={"query": "  "}), 400)
    bad = "SELECT * WHERE {\n  ?s ?p ?o .\n  FILTER(?o = ) }"
    body = assert_problem(client.post("/sparql", content=bad.encode(),
                                      headers={"Content-Type": "application/sparql-query"}), 400, "query-syntax")
    assert (body["line"], body["column"]) == (3, 18)
    assert body["detail"].startswith("line 3, column 18: ")
    assert_still_answering(client, triples)


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_other_methods_get_405_with_allow(client: httpx.Client, method: str) -> None:
    response = client.request(method, "/sparql", params={"query": COUNT})
    assert_problem(response, 405)
    assert {m.strip() for m in response.headers["allow"].split(",")} >= {"GET", "POST"}


def test_cors(client: httpx.Client) -> None:
    origin = {"Origin": "https://example.org"}
    response = client.get("/sparql", params={"query": "ASK {}"}, headers=origin)
    assert response.status_code == 200 and response.headers["access-control-allow-origin"] == "*"
    preflight = client.options("/sparql", headers={**origin, "Access-Control-Request-Method": "POST",
                                                   "Access-Control-Request-Headers": "content-type"})
    assert preflight.status_code == 200
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert "content-type" in preflight.headers["access-control-allow-headers"].lower()
    plain = client.options("/sparql")
    assert plain.status_code == 204 and "POST" in plain.headers["allow"]


def test_errors_elsewhere_are_problems_too(client: httpx.Client) -> None:
    assert_problem(client.get("/no/such/page"), 404)
    health = client.get("/healthz").json()
    assert health["status"] == "ok" and health["sparql_workers"] == SETTINGS.workers
    assert health["triples"] > 0 and health["named_graphs"] > 1 and len(health["digest"]) == 64


# --------------------------------------------------------------------------- service description and editor


@pytest.mark.parametrize(("accept", "rdflib_format"), [
    ("text/turtle", "turtle"), ("application/rdf+xml", "xml"), ("application/ld+json", "json-ld"),
    ("application/n-triples", "nt"), (None, "turtle"),
])
def test_service_description(client: httpx.Client, endpoint: str, validated: ValidatedGraph, triples: int,
                             accept: str | None, rdflib_format: str) -> None:
    response = client.get("/sparql", headers={"Accept": accept} if accept else {})
    assert response.status_code == 200
    graph = rdflib.Graph().parse(data=response.content, format=rdflib_format)
    service = graph.value(predicate=RDF.type, object=SD.Service)
    assert service is not None
    assert graph.value(service, SD.endpoint) == rdflib.URIRef(endpoint)
    assert (service, SD.supportedLanguage, SD.SPARQL11Query) in graph
    assert (service, SD.feature, SD.UnionDefaultGraph) in graph
    formats = {str(f).rsplit("/", 1)[1] for f in graph.objects(service, SD.resultFormat)}
    assert formats >= {"SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV",
                       "Turtle", "N-Triples", "JSON-LD", "RDF_XML"}
    dataset = graph.value(service, SD.defaultDataset)
    default = graph.value(dataset, SD.defaultGraph)
    count = graph.value(default, VOID.triples)
    assert isinstance(count, rdflib.Literal) and count.toPython() == triples
    names = {str(graph.value(ng, SD.name)) for ng in graph.objects(dataset, SD.namedGraph)}
    assert names == validated.graph_names


def test_editor_page(client: httpx.Client, triples: int, store: OxigraphStore) -> None:
    """Browsers get the editor, with the catalogue's queries as examples and nothing loaded from elsewhere."""
    browser_accept = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
    response = client.get("/sparql", headers={"Accept": browser_accept})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    page = response.text
    links = re.findall(r'<(?:link|script)\b[^>]*\b(?:src|href)="([^"]*)"', page)  # what the browser loads
    assert "/static/vendor/yasgui/yasgui.min.js" in links and "/static/sparql-editor.js" in links
    assert all(link.startswith("/static/") or link.startswith("data:") for link in links), links
    found = re.search(r'<script type="application/json" id="nk-sparql-config">(.*?)</script>', page, re.DOTALL)
    assert found, "the editor's configuration is on the page"
    config = json.loads(found.group(1))
    assert config["endpoint"] == "/sparql"
    queries = catalogue()
    assert [e["name"] for e in config["examples"]] == list(queries)
    for example in config["examples"]:
        named = queries[example["name"]]
        assert example["query"] == named.bind(named.example)
        assert f'data-example="{example["name"]}"' in page
        # every example runs as it is offered; one whose answer is larger than this server's row cap (the
        # whole-graph export queries, under the tests' small cap) is refused with the advice to add LIMIT
        ran = client.post("/sparql", data={"query": example["query"]})
        local = run(store, example["name"], named.example)
        size = len(local) if isinstance(local, (list, rdflib.Graph)) else 1
        if size > SETTINGS.max_rows:
            assert ran.status_code == 422 and "LIMIT" in ran.json()["detail"], (example["name"], ran.text)
        else:
            assert ran.status_code == 200, (example["name"], ran.text)
    for path in ("/static/vendor/yasgui/yasgui.min.js", "/static/vendor/yasgui/yasgui.min.css",
                 "/static/vendor/yasgui/LICENSE", "/static/sparql-editor.js", "/static/sparql-editor.css"):
        assert client.get(path).status_code == 200, path
    assert "MIT License" in client.get("/static/vendor/yasgui/LICENSE").text
    assert_still_answering(client, triples)


def test_editor_page_escapes_catalogue_text(monkeypatch: pytest.MonkeyPatch) -> None:
    hostile = '</script><script>alert("x")</script>&<b>'
    fake = NamedQuery(name="x", title=hostile, description=hostile,
                      text=f"SELECT * WHERE {{ BIND('{hostile}' AS ?x) }}")
    monkeypatch.setattr("api.sparql.catalogue", lambda: {"x": fake})
    page = editor_page("", "http://127.0.0.1/sparql", SETTINGS)
    assert "<script>alert" not in page and "<b>" not in page
    found = re.search(r'id="nk-sparql-config">(.*?)</script>', page, re.DOTALL)
    assert found, "the editor's configuration is on the page"
    config = json.loads(found.group(1))
    assert config["examples"][0]["title"] == hostile and hostile in config["examples"][0]["query"]


def test_editor_runs_a_query_in_chromium_without_outside_requests(server: str) -> None:
    # a failure, never a skip, when the browser is missing: `make test` installs it (see tests/browser.py)
    assert shutil.which("chromium") and shutil.which("chromedriver"), "needs Debian's chromium and chromium-driver"
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    options = Options()
    options.binary_location = shutil.which("chromium") or ""
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    try:
        driver.get(server + "/sparql")
        WebDriverWait(driver, 30).until(lambda d: d.execute_script("return !!window.neaspecYasgui"))
        assert driver.execute_script("return Yasgui.Yasqe.defaults.autocompleters") == ["prefixes", "variables"]
        driver.find_element(By.CSS_SELECTOR, '.nk-example[data-example="mechanisms"]').click()
        named = catalogue()["mechanisms"]
        assert driver.execute_script("return neaspecYasgui.getTab().getQuery()") == named.bind(named.example)
        driver.execute_script("neaspecYasgui.getTab().query()")
        WebDriverWait(driver, 30).until(
            lambda d: d.execute_script("return document.querySelectorAll('.yasr tbody tr').length") > 1)
        urls = []
        for entry in driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message["method"] == "Network.requestWillBeSent":
                urls.append(message["params"]["request"]["url"])
        assert any(u.startswith(server + "/sparql") for u in urls)
        outside = [u for u in urls if re.match(r"^(https?|wss?)://", u) and not u.startswith(server + "/")]
        assert outside == []
        errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        assert errors == []
    finally:
        driver.quit()


# --------------------------------------------------------------------------- hostile inputs


@pytest.mark.parametrize("template", [
    "SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ SERVICE SILENT <{url}> {{ ?s ?p ?o }} }}",
    "select * where {{ service <{url}> {{ ?s ?p ?o }} }}",
    "PREFIX remote: <{base}> SELECT * WHERE {{ SERVICE remote:sparql {{ ?s ?p ?o }} }}",
    "BASE <{base}> SELECT * WHERE {{ SERVICE <sparql> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ \\u0053ERVICE <{url}> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ SERVICE # a comment between keyword and IRI\n <{url}> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ BIND(<{url}> AS ?e) SERVICE ?e {{ ?s ?p ?o }} }}",
    # Oxigraph's parser needs no space after a keyword: these glued forms parse as SERVICE clauses too
    "SELECT * WHERE {{ SERVICESILENT<{url}> {{ ?s ?p ?o }} }}",
    "PREFIX remote: <{base}> SELECT * WHERE {{ SERVICEremote:sparql {{ ?s ?p ?o }} }}",
    "PREFIX : <{base}> SELECT * WHERE {{ SERVICE:sparql {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ ?s ?p ?o .SERVICE<{url}>{{}} }}",
    "SELECT * WHERE {{ GRAPH ?g {{ ?s ?p ?o }} OPTIONAL {{ SERVICE <{url}> {{ ?s ?q ?r }} }} }} LIMIT 1",
])
def test_service_is_refused_and_nothing_is_contacted(client: httpx.Client, listener: Listener, triples: int,
                                                     template: str) -> None:
    query = template.format(url=listener.url, base=listener.url.rsplit("/", 1)[0] + "/")
    body = assert_problem(client.post("/sparql", data={"query": query}), 403, "service-not-allowed")
    assert "not allowed" in body["detail"]
    assert_still_answering(client, triples)
    time.sleep(0.3)
    assert listener.received == []


def test_service_words_in_strings_comments_and_iris_are_not_service_calls(client: httpx.Client,
                                                                          listener: Listener) -> None:
    query = (f'SELECT ?x WHERE {{ BIND("SERVICE <{listener.url}> {{ }}" AS ?x) '
             f"FILTER(?x != <urn:SERVICE>) }} # SERVICE <{listener.url}>")
    response = client.post("/sparql", data={"query": query})
    assert response.status_code == 200, response.text
    assert response.json()["results"]["bindings"][0]["x"]["value"].startswith("SERVICE <")
    assert listener.received == []


def test_workers_cannot_connect_even_if_the_scan_were_bypassed(listener: Listener) -> None:
    """Defence in depth: a SERVICE handed straight to a worker fails in the worker, nothing connects."""
    quad = ox.Quad(ox.NamedNode("urn:s"), ox.NamedNode("urn:p"), ox.Literal("o"), ox.NamedNode("urn:g"))
    pool = QueryPool(ox.serialize([quad], format=ox.RdfFormat.N_QUADS) or b"", workers=1, timeout_s=5)

    async def attempt() -> tuple[bool, str]:
        await pool.start()
        try:
            isolated = pool.stats().isolated
            with pytest.raises(QueryEvaluationError) as failure:
                await pool.run(QueryJob(f"SELECT * WHERE {{ SERVICE <{listener.url}> {{ ?s ?p ?o }} }}"))
            return isolated, str(failure.value)
        finally:
            await pool.close()

    isolated, message = asyncio.run(attempt())
    assert isolated and message
    time.sleep(0.3)
    assert listener.received == []


def test_allow_listed_service_is_called(validated: ValidatedGraph) -> None:
    """The allow-list is the only way out: a listed endpoint is called, any other one is still refused."""
    answer = b'{"head":{"vars":["x"]},"results":{"bindings":[{"x":{"type":"literal","value":"remote"}}]}}'
    remote = Listener(answer=answer)
    try:
        settings = replace(SETTINGS, workers=1, service_allowlist=(remote.url,))
        with live_server(create_app(settings, graph=validated)) as base, httpx.Client(base_url=base) as c:
            ok = c.post("/sparql", data={"query": f"SELECT ?x WHERE {{ SERVICE <{remote.url}> {{ ?x ?y ?z }} }}"})
            assert ok.status_code == 200, ok.text
            assert ok.json()["results"]["bindings"] == [{"x": {"type": "literal", "value": "remote"}}]
            assert len(remote.received) == 1 and remote.received[0].startswith(b"POST /sparql")
            other = remote.url.replace("/sparql", "/other")
            refused = c.post("/sparql", data={"query": f"SELECT * WHERE {{ SERVICE <{other}> {{ ?x ?y ?z }} }}"})
            assert_problem(refused, 403, "service-not-allowed")
            assert len(remote.received) == 1
    finally:
        remote.close()


def test_endless_query_is_stopped_at_the_timeout_and_its_worker_replaced(app: FastAPI, client: httpx.Client,
                                                                         triples: int) -> None:
    pool = app.state.pool
    before = pool.stats()
    with ThreadPoolExecutor(1) as executor:
        started = time.monotonic()
        future = executor.submit(client.post, "/sparql", data={"query": ENDLESS})
        time.sleep(0.3)
        # meanwhile the rest of the server answers at once: the REST side and the other SPARQL worker
        t0 = time.monotonic()
        assert client.get("/healthz").status_code == 200
        assert_still_answering(client, triples)
        assert time.monotonic() - t0 < 1.0
        response = future.result()
        elapsed = time.monotonic() - started
    body = assert_problem(response, 503, "query-timeout")
    assert body["timeout_s"] == SETTINGS.query_timeout_s
    assert "retry-after" not in response.headers  # the same query would take as long again
    assert SETTINGS.query_timeout_s <= elapsed < SETTINGS.query_timeout_s + 2.0
    deadline = time.monotonic() + 15
    while pool.stats().workers < SETTINGS.workers and time.monotonic() < deadline:
        time.sleep(0.05)
    after = pool.stats()
    killed = set(before.pids) - set(after.pids)
    fresh = set(after.pids) - set(before.pids)
    assert len(killed) == 1 and len(fresh) == 1 and after.replaced == before.replaced + 1
    with pytest.raises(ProcessLookupError):
        os.kill(killed.pop(), 0)  # the worker is gone, not just abandoned
    for _ in range(4):  # queries alternate between idle workers, so the new one gets some
        assert_still_answering(client, triples)
    assert pool.stats().jobs[fresh.pop()] > 0


def test_full_queue_gets_503_with_retry_after(app: FastAPI, client: httpx.Client, triples: int) -> None:
    """Two workers busy and one request queued (queue_limit=1): the next request is refused without waiting
    for a worker, held only the short refusal pause (so a client that retries at once cannot keep the main
    process busy refusing it)."""
    from api.sparql import REFUSAL_PAUSE_S

    with ThreadPoolExecutor(3) as executor:
        busy = [executor.submit(client.post, "/sparql", data={"query": ENDLESS}) for _ in range(3)]
        time.sleep(0.5)
        t0 = time.monotonic()
        response = client.post("/sparql", data={"query": COUNT})
        assert REFUSAL_PAUSE_S <= time.monotonic() - t0 < REFUSAL_PAUSE_S + 1.0
        body = assert_problem(response, 503, "endpoint-busy")
        assert int(response.headers["retry-after"]) >= 1 and "retry" in body["detail"]
        assert client.get("/healthz").status_code == 200
        kinds = sorted(f.result().json()["type"].rsplit("/", 1)[-1] for f in busy)
        assert {f.result().status_code for f in busy} == {503}
    # the two running queries time out; the queued one times out too, or gives up waiting (endpoint busy)
    assert kinds in (["endpoint-busy", "query-timeout", "query-timeout"], ["query-timeout"] * 3)
    deadline = time.monotonic() + 15
    while app.state.pool.stats().idle < SETTINGS.workers and time.monotonic() < deadline:
        time.sleep(0.05)
    assert_still_answering(client, triples)


def test_too_many_rows_is_refused_with_advice(client: httpx.Client, triples: int) -> None:
    everything_twice = "SELECT * WHERE { ?s ?p ?o . ?a ?b ?c }"
    body = assert_problem(client.get("/sparql", params={"query": everything_twice}), 422, "result-too-large")
    assert body["limit"] == SETTINGS.max_rows and "LIMIT" in body["detail"]
    construct = "CONSTRUCT { ?s ?p ?a } WHERE { ?s ?p ?o . ?a ?b ?c }"
    assert_problem(client.get("/sparql", params={"query": construct}), 422, "result-too-large")
    limited = client.get("/sparql", params={"query": everything_twice + " LIMIT 10"}, headers={"Accept": "text/csv"})
    assert limited.status_code == 200 and len(limited.text.strip().splitlines()) == 11
    assert_still_answering(client, triples)


@pytest.mark.parametrize(("send", "content_type"), [
    ("post", "application/sparql-update"),
    ("form", "application/x-www-form-urlencoded"),
    ("get", None),
    ("post", "application/sparql-query"),
])
@pytest.mark.parametrize("update", [
    "INSERT DATA { <urn:a> <urn:b> <urn:c> }",
    "DELETE WHERE { ?s ?p ?o }",
    "PREFIX ex: <urn:ex:> DROP ALL",
    "CLEAR DEFAULT",
    "LOAD <http://127.0.0.1:9/data.ttl>",
])
def test_updates_are_refused(client: httpx.Client, triples: int, send: str, content_type: str | None,
                             update: str) -> None:
    if send == "post":
        response = client.post("/sparql", content=update.encode(), headers={"Content-Type": content_type or ""})
    elif send == "form":
        response = client.post("/sparql", data={"update": update})
    else:
        response = client.get("/sparql", params={"query": update})
    body = assert_problem(response, 403, "update-not-allowed")
    assert "not allowed" in body["detail"]
    assert_still_answering(client, triples)


def test_ten_megabyte_body_gets_413(client: httpx.Client, triples: int) -> None:
    big = b"SELECT * WHERE { ?s ?p ?o } #" + b"x" * 10_000_000
    response = client.post("/sparql", content=big, headers={"Content-Type": "application/sparql-query"})
    body = assert_problem(response, 413, "request-too-large")
    assert body["limit"] == SETTINGS.max_request_bytes
    # without Content-Length (chunked), the limit is enforced while reading
    chunks = (b"x" * 65536 for _ in range(160))
    chunked = client.post("/sparql", content=chunks, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert_problem(chunked, 413, "request-too-large")
    assert_still_answering(client, triples)


def test_413_comes_before_the_body_is_sent(server: str, client: httpx.Client, triples: int) -> None:
    """The server answers from the headers alone: it does not wait for (or buffer) the 10 MB."""
    host, port = server.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(b"POST /sparql HTTP/1.1\r\nHost: test\r\nContent-Type: application/sparql-query\r\n"
                     b"Content-Length: 10000000\r\n\r\n" + b"x" * 1000)
        reply = sock.recv(65536)
    assert reply.startswith(b"HTTP/1.1 413")
    assert_still_answering(client, triples)


@pytest.mark.parametrize(("how", "payload"), [
    ("direct", b'SELECT * WHERE { ?s ?p "caf\xe9" }'),
    ("form", b"query=SELECT+%2A+WHERE+%7B+%3Fs+%3Fp+%22caf%E9%22+%7D"),
    ("form", b"query=SELECT * WHERE { ?s ?p \"\xff\xfe\" }"),
    ("get", b"SELECT+%2A+WHERE+%7B+%3Fs+%3Fp+%22caf%E9%22+%7D"),
])
def test_invalid_utf8_gets_400(client: httpx.Client, triples: int, how: str, payload: bytes) -> None:
    if how == "direct":
        response = client.post("/sparql", content=payload, headers={"Content-Type": "application/sparql-query"})
    elif how == "form":
        response = client.post("/sparql", content=payload,
                               headers={"Content-Type": "application/x-www-form-urlencoded"})
    else:
        response = client.get("/sparql?query=" + payload.decode("ascii"))
    assert "UTF-8" in assert_problem(response, 400)["detail"]
    assert_still_answering(client, triples)


def test_quotes_and_braces(client: httpx.Client, triples: int) -> None:
    text = '{"}}{{" \'\'\' }' * 500
    literal = text.replace("\\", "\\\\").replace('"', '\\"')
    valid = f'SELECT ?x WHERE {{ BIND("{literal}" AS ?x) }}'
    response = client.post("/sparql", data={"query": valid})
    assert response.status_code == 200, response.text
    assert response.json()["results"]["bindings"][0]["x"]["value"] == text
    garbage = '"{\'}"""{{' * 2000 + "SELECT"
    body = assert_problem(client.post("/sparql", data={"query": garbage}), 400, "query-syntax")
    assert body["line"] == 1 and isinstance(body["column"], int)
    assert_still_answering(client, triples)


def test_a_large_query_does_not_stall_the_server(client: httpx.Client, triples: int) -> None:
    """Scanning ~1 MB of one-character tokens takes about a second of Python: it must not block the loop."""
    big = ("ASK { " + "<a" * 450_000 + " }").encode()
    with ThreadPoolExecutor(1) as executor:
        started = time.monotonic()
        future = executor.submit(client.post, "/sparql", content=big,
                                 headers={"Content-Type": "application/sparql-query"})
        time.sleep(0.2)
        t0 = time.monotonic()
        assert client.get("/healthz").status_code == 200
        assert time.monotonic() - t0 < 0.3
        assert_problem(future.result(), 400, "query-syntax")
        assert time.monotonic() - started > 0.4  # the scan was still running while /healthz answered
    assert_still_answering(client, triples)


# --------------------------------------------------------------------------- the helpers, without a server


def test_negotiate() -> None:
    offers = ["application/sparql-results+json", "application/sparql-results+xml", "text/csv"]
    assert negotiate(None, offers) == offers[0]
    assert negotiate("", offers) == offers[0]
    assert negotiate("text/csv;q=0.9, application/*;q=0.5", offers) == "text/csv"
    assert negotiate("application/*;q=0.5, application/sparql-results+xml;q=0.6", offers) == offers[1]
    assert negotiate("application/sparql-results+json;q=0, */*;q=0.1", offers) == offers[1]
    assert negotiate("image/png", offers) is None
    assert negotiate("text/csv;q=oops, application/sparql-results+xml", offers) == offers[1]


def test_scan_query() -> None:
    scan = scan_query("PREFIX a: <urn:a:> BASE <http://h/x/> SELECT * { SERVICE a:b {} SERVICE <c> {} SERVICE ?v {} }")
    assert scan.form == "SELECT" and not scan.is_update
    assert [t.iri for t in scan.services] == ["urn:a:b", "http://h/x/c", None]
    assert scan_query("# SERVICE <x>\nASK { ?s ?p 'SERVICE <y>' } ").services == ()
    assert scan_query("PREFIX : <urn:> INSERT DATA { :a :b :c }").is_update
    assert scan_query("SELECT * { ?s ex:SERVICE ?o }").services == ()
    assert scan_query('ASK { ?s ?p """a " SERVICE <x> "" b""" }').services == ()
    assert scan_query('ASK { ?s ?p "x"@en-SERVICE }').services == ()
    assert [t.iri for t in scan_query("ASK { ?s ?p ?o.SERVICE<urn:x>{} }").services] == ["urn:x"]


def test_settings_from_env() -> None:
    settings = Settings.from_env({
        "NEASPEC_KG_QUERY_TIMEOUT_S": "2.5", "NEASPEC_KG_WORKERS": "3", "NEASPEC_KG_CORS_ORIGINS": "",
        "NEASPEC_KG_SERVICE_ALLOWLIST": "https://a.example/sparql, https://b.example/sparql",
    })
    assert (settings.query_timeout_s, settings.workers, settings.cors_origins) == (2.5, 3, ())
    assert settings.service_allowlist == ("https://a.example/sparql", "https://b.example/sparql")
    assert Settings.from_env({}) == Settings()
    with pytest.raises(ValueError, match="NEASPEC_KG_MAX_ROWS"):
        Settings.from_env({"NEASPEC_KG_MAX_ROWS": "many"})
    with pytest.raises(ValueError, match="query_timeout_s"):
        Settings.from_env({"NEASPEC_KG_QUERY_TIMEOUT_S": "0"})


def test_pool_restarts_in_a_new_event_loop() -> None:
    """An app's lifespan may run more than once (test clients do that): the pool starts again cleanly."""
    quad = ox.Quad(ox.NamedNode("urn:s"), ox.NamedNode("urn:p"), ox.Literal("o"), ox.NamedNode("urn:g"))
    pool = QueryPool(ox.serialize([quad], format=ox.RdfFormat.N_QUADS) or b"", workers=1, timeout_s=5)

    async def once() -> bytes:
        await pool.start()
        try:
            return (await pool.run(QueryJob("SELECT ?o WHERE { ?s ?p ?o }", select_format="tsv"))).body
        finally:
            await pool.close()

    for _ in range(2):
        assert asyncio.run(once()) == b'?o\n"o"\n'
    assert pool.dataset == {"default_triples": 1, "named_graphs": {"urn:g": 1}}


def test_answers_are_capped_in_bytes_as_well_as_rows(validated: ValidatedGraph) -> None:
    """A few hundred bytes of query can ask for hundreds of megabytes of answer (REPLACE blows every row up):
    the worker counts bytes while it serialises and refuses past the budget, before anything is built."""
    settings = replace(SETTINGS, workers=1, max_response_bytes=50_000)
    blow_up = ('SELECT ?big WHERE { ?s ?p ?o BIND(REPLACE(REPLACE(REPLACE(STR(?s), "(.)", "$1$1$1$1"), '
               '"(.)", "$1$1$1$1"), "(.)", "$1$1$1$1") AS ?big) } LIMIT 50')
    with live_server(create_app(settings, graph=validated)) as base, httpx.Client(base_url=base, timeout=30) as c:
        for accept in ("application/sparql-results+json", "text/csv", "application/sparql-results+xml"):
            r = c.post("/sparql", data={"query": blow_up}, headers={"Accept": accept})
            assert_problem(r, 422, "result-too-large")
            assert r.json()["limit_bytes"] == 50_000 and "LIMIT" in r.json()["detail"]
        graph = c.post("/sparql", data={"query": "CONSTRUCT WHERE { ?s ?p ?o }"}, headers={"Accept": "text/turtle"})
        assert_problem(graph, 422, "result-too-large")
        small = c.post("/sparql", data={"query": "SELECT ?s WHERE { ?s a <https://w3id.org/neaspec-kg/ontology#"
                                                 "SubregionalMechanism> }"})
        assert small.status_code == 200 and len(small.json()["results"]["bindings"]) == 8


@pytest.mark.parametrize("query", [
    "SELECT * WHERE " + "{" * 10_000 + "?s ?p ?o" + "}" * 10_000,
    "SELECT * WHERE { ?s ?p ?o FILTER(" + "(" * 5_000 + "true" + ")" * 5_000 + ") }",
    "SELECT * WHERE { " + " UNION ".join(["{ ?s ?p ?o }"] * 30_000) + " }",
    "SELECT * WHERE { ?s ?p ?o " + " ".join(["OPTIONAL { ?s ?p ?o }"] * 3_000) + " }",
])
def test_pathological_queries_are_400_before_any_worker(client: httpx.Client, triples: int, query: str) -> None:
    r = client.post("/sparql", data={"query": query})
    body = assert_problem(r, 400, "query-too-complex")
    assert body["max_depth"] == 200 and "VALUES" in body["detail"]
    assert_still_answering(client, triples)


def test_lost_workers_are_noticed_and_replaced_before_users_meet_them(validated: ValidatedGraph) -> None:
    """A worker killed or stopped from outside: /healthz says so at once, and the next queries still get
    answers (a killed worker is replaced; a query that lost its worker is tried once more elsewhere)."""
    import signal

    settings = replace(SETTINGS, workers=2)
    app = create_app(settings, graph=validated)
    with live_server(app) as base, httpx.Client(base_url=base, timeout=30) as c:
        os.kill(app.state.pool.stats().pids[0], signal.SIGKILL)
        time.sleep(0.2)
        health = c.get("/healthz").json()
        assert health["status"] == "degraded" and health["sparql_workers"] == 1
        assert health["sparql_workers_expected"] == 2
        for _ in range(4):
            assert count_via_endpoint(c) > 0
        os.kill(app.state.pool.stats().pids[0], signal.SIGSTOP)
        time.sleep(0.1)  # the kernel stops it as soon as it runs; a query in the same millisecond could still race
        started = time.monotonic()
        for _ in range(3):
            assert count_via_endpoint(c) > 0
        assert time.monotonic() - started < settings.query_timeout_s  # nobody waited for the stopped one
        deadline = time.monotonic() + 60
        while c.get("/healthz").json()["status"] != "ok":
            assert time.monotonic() < deadline, "the pool was not brought back to full strength"
            time.sleep(0.2)


def test_one_client_cannot_hold_every_worker(validated: ValidatedGraph) -> None:
    """With a per-client share, a client running long queries is told so at once, and others still get
    workers; waiting queries are served first come, first served."""
    settings = replace(SETTINGS, workers=2, queue_limit=4, per_client_queries=1)
    with live_server(create_app(settings, graph=validated)) as base, httpx.Client(base_url=base, timeout=30) as c:
        with ThreadPoolExecutor(2) as executor:
            first = executor.submit(c.post, "/sparql", data={"query": ENDLESS})
            time.sleep(0.3)
            second = c.post("/sparql", data={"query": ENDLESS})
            body = assert_problem(second, 503, "endpoint-busy")
            assert "share" in body["detail"] and int(second.headers["retry-after"]) >= 1
            assert first.result().status_code == 503
            assert first.result().json()["type"].endswith("/query-timeout")
        assert count_via_endpoint(c) > 0
