"""The checks every remote store must pass, written once: a test module that starts a store defines the
fixture ``remote_url`` (its SPARQL query endpoint, holding the validated build) and imports what is below
(the fixtures they use, ``remote``, ``embedded`` and ``remote_api``, are in tests/store/conftest.py).
Every analysis, the 75 analyst questions and the REST answers over ``serve --store URL`` must equal the
embedded store's. Not collected on its own (no ``test_`` prefix): pytest runs these in each importing module."""
from __future__ import annotations

from typing import Any

import httpx
import pytest
from analysis.test_analyst_questions import QUESTIONS, ask_library, check_answer

from neaspec_kg.analysis import Analyst
from neaspec_kg.models import ProposedWork

REST_PATHS = ["/overlap?focus=air%20quality&include_related=true",
              "/overlap?focus=desertification&country=MNG&as_of=2020-07-10",
              "/duplication?mechanism=neaspec", "/duplication", "/duplication/pairs/neampan/nowpap", "/proposals",
              "/countries/RUS/participation?as_of=2020-07-10", "/mechanisms/eanet", "/focus-areas"]


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


@pytest.mark.parametrize("path", REST_PATHS)
def test_the_server_over_the_remote_store_answers_as_the_embedded_one(remote_api: httpx.Client,
                                                                      api_client: httpx.Client, path: str) -> None:
    remote, local = remote_api.get(path), api_client.get(path)
    assert remote.status_code == local.status_code == 200, remote.text[:300]
    assert remote.json() == local.json()
