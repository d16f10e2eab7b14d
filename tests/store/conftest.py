"""Fixtures of the remote-store checks (tests/store/parity.py): a module that starts a store defines
``remote_url``; these build the analyst and the whole server over it, and the embedded reference."""
from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from neaspec_kg.analysis import Analyst
from neaspec_kg.store import OxigraphStore, RemoteStore


@pytest.fixture(scope="module")
def remote(remote_url: str) -> Analyst:
    return Analyst(RemoteStore(remote_url))


@pytest.fixture(scope="module")
def embedded(store: OxigraphStore) -> Analyst:
    return Analyst(store)


@pytest.fixture(scope="module")
def remote_api(remote_url: str) -> Iterator[httpx.Client]:
    """The whole server (``serve --store URL``) over the remote store."""
    from api.app import create_app
    from api.settings import Settings
    from tests.live_server import live_server

    app = create_app(Settings(query_timeout_s=5.0, workers=2, max_response_bytes=200_000), store_url=remote_url)
    with live_server(app) as url, httpx.Client(base_url=url, timeout=60) as client:
        yield client
