"""The hostile corpus (tests/api/test_hostile_corpus.py) against the layout ``neaspec-kg serve`` runs: the
main process relaying to its analysis process (api/offload.py). Every answer keeps its status and problem
document through the relay: never a 5xx, a stack trace or a bare error page."""
from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from api.app import create_app
from api.settings import Settings
from neaspec_kg.build import ValidatedGraph
from tests.api.test_hostile_corpus import CORPUS
from tests.live_server import live_server


@pytest.fixture(scope="module")
def relayed(validated: ValidatedGraph) -> Iterator[httpx.Client]:
    app = create_app(dataclasses.replace(Settings(), workers=1), graph=validated, offload=True)
    with live_server(app) as url, httpx.Client(base_url=url, timeout=60) as client:
        yield client


def _ask(client: httpx.Client, method: str, path: str, payload: Any) -> httpx.Response:
    if method == "GET":
        return client.get(path, params=payload)
    if method == "POST":
        return client.post(path, data=payload)
    if isinstance(payload, str):
        return client.post(path, content=payload, headers={"Content-Type": "application/json"})
    return client.post(path, json=payload)


def test_no_hostile_request_gets_a_5xx_through_the_relay(relayed: httpx.Client) -> None:
    wrong = []
    for method, path, payload in CORPUS:
        r = _ask(relayed, method, path, payload)
        kind = r.headers.get("content-type", "")
        problem_ok = r.status_code < 400 or kind.startswith(("application/problem+json", "text/html"))
        if r.status_code >= 500 or "Traceback" in r.text or not problem_ok:
            wrong.append(f"{method} {path} {str(payload)[:60]!r}: {r.status_code} {kind} {r.text[:200]!r}")
        elif kind.startswith("application/problem+json"):
            body = r.json()
            if body["status"] != r.status_code:
                wrong.append(f"{method} {path}: problem status {body['status']} on a {r.status_code}")
    assert not wrong, f"{len(wrong)} of {len(CORPUS)}:\n" + "\n".join(wrong[:20])
