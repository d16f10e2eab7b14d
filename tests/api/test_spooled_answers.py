"""Large SPARQL answers are spooled to an unnamed temporary file and streamed from it (api/sparql.py), so a
client that reads slowly holds a file, not the main process's memory; the bytes are those of the answer."""
from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import IO

import httpx
import pytest

import api.sparql
from api.app import create_app
from api.settings import Settings
from neaspec_kg.build import ValidatedGraph
from tests.live_server import live_server

EVERYTHING = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o"


@pytest.fixture(scope="module")
def url(validated: ValidatedGraph) -> Iterator[str]:
    with live_server(create_app(dataclasses.replace(Settings(), workers=1), graph=validated)) as base:
        yield base


@pytest.mark.parametrize("accept", ["application/sparql-results+json", "text/tab-separated-values"])
def test_a_large_answer_is_streamed_from_a_spool_file_byte_for_byte(url: str, accept: str,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    spooled: list[int] = []
    real = api.sparql._spool

    def counting(body: bytes) -> IO[bytes]:
        spooled.append(len(body))
        return real(body)

    monkeypatch.setattr(api.sparql, "_spool", counting)
    headers = {"Accept": accept, "Accept-Encoding": "identity"}
    with httpx.Client(base_url=url, timeout=60) as client:
        monkeypatch.setattr(api.sparql, "SPOOL_BYTES", 1 << 40)
        held = client.get("/sparql", params={"query": EVERYTHING}, headers=headers)
        assert held.status_code == 200 and not spooled
        monkeypatch.setattr(api.sparql, "SPOOL_BYTES", 10_000)
        streamed = client.get("/sparql", params={"query": EVERYTHING}, headers=headers)
        small = client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"}, headers={"Accept": "application/json"})
    assert spooled == [len(held.content)] and len(held.content) > 100_000, "the large answer was not spooled"
    assert streamed.status_code == 200 and streamed.content == held.content
    assert int(streamed.headers["content-length"]) == len(held.content)
    assert streamed.headers["content-type"] == held.headers["content-type"]
    assert streamed.headers["vary"] == held.headers["vary"]
    assert small.status_code == 200 and small.json()["boolean"] is True and len(spooled) == 1
