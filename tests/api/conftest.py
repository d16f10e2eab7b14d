"""Fixtures of the web layer's tests that more than one module uses."""
from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest

from api.admission import WorkGate
from api.app import create_app
from api.settings import Settings
from neaspec_kg.build import ValidatedGraph
from tests.live_server import live_server


@pytest.fixture(scope="module")
def narrow(validated: ValidatedGraph) -> Iterator[tuple[str, WorkGate]]:
    """A server whose analysis gate has one slot, no queue and a one-second wait: the second fresh answer
    asked for at once is refused."""
    settings = dataclasses.replace(Settings(), workers=1, analysis_slots=1, analysis_queue=0, analysis_wait_s=1)
    app = create_app(settings, graph=validated)
    with live_server(app) as url:
        yield url, app.state.rest.gate
