"""Shared fixtures: the real graph is built and validated once per test session."""
from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from neaspec_kg.analysis import Analyst
from neaspec_kg.analysis.profiles import Profiles
from neaspec_kg.build import ValidatedGraph, build
from neaspec_kg.config import PROJECT_ROOT, Paths
from neaspec_kg.graph import select
from neaspec_kg.store import OxigraphStore, SparqlStore

SEED = PROJECT_ROOT.parent / "shared" / "seed" / "000_8118f4fe5c2f1a2d.txt"


@pytest.fixture(scope="session", autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Tests never read or write the user's build cache."""
    old = os.environ.get("NEASPEC_KG_CACHE")
    os.environ["NEASPEC_KG_CACHE"] = str(tmp_path_factory.mktemp("cache"))
    yield
    if old is None:
        os.environ.pop("NEASPEC_KG_CACHE", None)
    else:
        os.environ["NEASPEC_KG_CACHE"] = old


@pytest.fixture(scope="session")
def validated() -> ValidatedGraph:
    return build(use_cache=False)


@pytest.fixture(scope="session")
def store(validated: ValidatedGraph) -> OxigraphStore:
    return OxigraphStore(validated)


@pytest.fixture
def data_copy(tmp_path: Path) -> Paths:
    """A private copy of ontology/ and data/ that a test may break."""
    shutil.copytree(PROJECT_ROOT / "ontology", tmp_path / "ontology")
    shutil.copytree(PROJECT_ROOT / "data", tmp_path / "data")
    return Paths(ontology_dir=tmp_path / "ontology", data_dir=tmp_path / "data")


def member_codes(store: SparqlStore, mechanism: str, as_of: str | None = None) -> set[str]:
    """ISO alpha-3 codes of the countries holding the member role (or party/partner)."""
    rows = select(store, "mechanism-members", {
        "mechanism": mechanism, "as_of": as_of, "role": "https://w3id.org/neaspec-kg/id/role/member"})
    return {r["iso3"].value for r in rows}


@pytest.fixture(scope="session")
def api_base(validated: ValidatedGraph) -> Iterator[str]:
    """One live server for the whole session (real uvicorn on 127.0.0.1), shared by every test that only
    reads: the graph is immutable while served, so sharing changes no answer."""
    from api.app import create_app
    from api.settings import Settings
    from tests.live_server import live_server

    with live_server(create_app(Settings(query_timeout_s=5.0, workers=1), validated)) as url:
        yield url


@pytest.fixture(scope="session")
def api_client(api_base: str) -> Iterator[object]:
    import httpx

    with httpx.Client(base_url=api_base, timeout=60) as client:
        yield client


# --------------------------------------------------------------------------- what most test modules share

@pytest.fixture(scope="module")
def base_url(api_base: str) -> str:
    """The session's one live server: the page and API tests only read, and the graph is immutable. A module
    that needs its own settings or graph starts its own server instead."""
    return api_base


@pytest.fixture(scope="module")
def http(base_url: str) -> Iterator[object]:
    import httpx

    with httpx.Client(base_url=base_url, timeout=120.0) as client:
        yield client


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Headless Chromium from Debian (tests/browser.py): a failure, never a skip, when it is missing."""
    from tests.browser import chromium

    with chromium() as b:
        yield b


@pytest.fixture(scope="session")
def analyst(store: OxigraphStore) -> Analyst:
    """Read-only: one for the session, as the server keeps one for its life."""
    return Analyst(store)


@pytest.fixture(scope="session")
def profiles(analyst: Analyst) -> Profiles:
    return Profiles(analyst.store, analyst.sources, analyst.focus)
