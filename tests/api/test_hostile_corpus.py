"""A corpus of hostile and unlucky requests against every REST parameter, path segment and the SPARQL forms:
each must get a 4xx with a problem document (an HTML page for the browser routes) or a timely answer, never a
5xx, a stack trace, or the attacker's text as a resource."""
from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote

import httpx
import pytest

VALUES = ["", " ", "x" * 5000, "' OR 1=1 --", '"} UNION { ?s ?p ?o } #', "{{7*7}}", "<script>alert(1)</script>",
          "url(//evil.example/x)", "../../etc/passwd", "%00", "NaN", "inf", "-1", "1e309", "٢٠٢٠-٠٧-١٠",
          "2020-13-45", "9999-12-31", "eanet\n", "🦉", "a" * 81]
ROUTES: list[tuple[str, list[str]]] = [
    ("/overlap", ["focus", "country", "as_of", "min_evidence", "limit", "include_related"]),
    ("/duplication", ["theme", "country", "mechanism", "as_of", "min_score", "limit", "include_related"]),
    ("/mechanisms/eanet", ["as_of"]),
    ("/countries/MNG/participation", ["as_of"]),
    ("/queries/mechanism-members", ["mechanism", "as_of", "role", "format"]),
    ("/export", ["format"]),
    ("/graph/overlap", ["focus", "country", "as_of", "lang"]),
    ("/graph/duplication", ["min_score", "lang", "include_related"]),
]
PATHS = ["/mechanisms/{}", "/countries/{}", "/countries/{}/participation", "/focus-areas/{}", "/queries/{}",
         "/duplication/pairs/{}/eanet", "/duplication/pairs/neaspec/{}", "/graph/mechanism/{}", "/id/mechanism/{}"]
DEFAULTS = {"/overlap": {"focus": "air quality"}, "/graph/overlap": {"focus": "air quality"}}
SPARQL = ["", "SELECT", "SELECT * WHERE { ?s ?p ?o", "ASK {}" * 1000, "DROP ALL", "LOAD <http://evil.example/>",
          "SELECT * WHERE { SERVICE <http://127.0.0.1:1/> { ?s ?p ?o } }", "SELECT * WHERE " + "{" * 3000,
          "PREFIX : <x> SELECT * WHERE { ?s :p* ?o } LIMIT 1", "SELECT (REPLACE('a', '(', 'b') AS ?x) {}",
          "\x00", "SELECT * WHERE { ?s ?p ?o } LIMIT -1", "DESCRIBE <" + "a" * 10000 + ">"]
CHECKS: list[Any] = [{}, {"focus": ""}, {"focus": "x" * 5000}, {"focus": "air", "modalities": ["x"]},
                     {"focus": "air", "countries": ["KOR' --"]}, {"focus": "air", "as_of": "2020-02-30"},
                     {"focus": "air", "proposer": "../../"}, {"focus": 7}, [], "not json", {"focus": None}]


def corpus() -> list[tuple[str, str, Any]]:
    out: list[tuple[str, str, Any]] = []
    for path, params in ROUTES:
        for name in params:
            for value in VALUES:
                out.append(("GET", path, DEFAULTS.get(path, {}) | {name: value}))
    for template in PATHS:
        for value in VALUES:
            if value.strip("/") and "/" not in value and "\n" not in value:
                out.append(("GET", template.format(quote(value, safe="")), None))
    out += [("POST", "/sparql", {"query": q}) for q in SPARQL]
    out += [("CHECK", "/duplication/check", body) for body in CHECKS]
    return out


CORPUS = corpus()


def test_the_corpus_is_large_enough() -> None:
    assert len(CORPUS) >= 300


@pytest.mark.parametrize(("method", "path", "payload"), CORPUS,
                         ids=[f"{m} {p} {str(x)[:40]!r}" for m, p, x in CORPUS])
def test_no_hostile_request_gets_a_5xx(api_client: httpx.Client, method: str, path: str, payload: Any) -> None:
    started = time.monotonic()
    if method == "GET":
        r = api_client.get(path, params=payload)
    elif method == "POST":
        r = api_client.post(path, data=payload)
    elif isinstance(payload, str):
        r = api_client.post(path, content=payload, headers={"Content-Type": "application/json"})
    else:
        r = api_client.post(path, json=payload)
    assert r.status_code < 500, r.text[:500]
    assert time.monotonic() - started < 30
    assert "Traceback" not in r.text
    if r.status_code >= 400:
        kind = r.headers["content-type"]
        assert kind.startswith("application/problem+json") or kind.startswith("text/html"), kind
        if kind.startswith("application/problem+json"):
            body = r.json()
            assert body["status"] == r.status_code and (body.get("detail") or body.get("title"))
