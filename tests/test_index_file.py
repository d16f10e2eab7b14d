"""The analysis index file holds each repeated value once.

A server reads the index file at every start; at 100,000 mechanisms it held millions of copies of a few
hundred thousand strings (country, source, concept and owner IRIs, one per extracted row) and of a few thousand
dates. Pickle writes an object once however often it is referred to, so the index shares equal values, and
what is read back shares them too."""
from __future__ import annotations

import pickle
from collections.abc import Iterable
from pathlib import Path

import pytest

from neaspec_kg.build import build
from neaspec_kg.index import AnalysisIndex, _index_path, _read_index, cached_index
from neaspec_kg.store import OxigraphStore
from tests.synthetic import synthetic_data, workspace


def _copies(values: Iterable[object]) -> tuple[int, int]:
    """(distinct values, distinct objects) among ``values`` (None left out)."""
    present = [v for v in values if v is not None]
    return len(set(present)), len({id(v) for v in present})


def assert_shared(ix: AnalysisIndex) -> None:
    claims = [c for by_country in ix.claims.values() for cs in by_country.values() for c in cs]
    assert len(claims) > 1000
    for what, values in (("claim sources", [c.source for c in claims]),
                         ("claim countries", [c.country for c in claims]),
                         ("membership dates", [c.since for c in claims] + [c.until for c in claims]),
                         ("evidence owners", [e.owner for e in ix.evidence] + list(ix.units)),
                         ("evidence concepts", [c for e in ix.evidence for c in e.concepts])):
        distinct, objects = _copies(values)
        assert objects == distinct, f"{what}: {objects:,} objects for {distinct:,} values"


@pytest.fixture(scope="module")
def index_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[AnalysisIndex, Path]:
    data = synthetic_data(tmp_path_factory, 200, seed=5)
    tmp = tmp_path_factory.mktemp("ws")
    with pytest.MonkeyPatch.context() as mp:
        graph = build(workspace(tmp, data, mp))
        ix = cached_index(OxigraphStore(graph))
    return ix, _index_path(tmp / "cache", graph.digest)


def test_an_extracted_index_shares_equal_values(index_file: tuple[AnalysisIndex, Path]) -> None:
    assert_shared(index_file[0])


def test_the_index_file_read_back_shares_them_too(index_file: tuple[AnalysisIndex, Path]) -> None:
    ix, path = index_file
    back = _read_index(path)
    assert isinstance(back, AnalysisIndex)
    assert_shared(back)
    # one copy each in the file: the claims' strings written once (a copy per claim was twice the size)
    claims = [c for by_country in ix.claims.values() for cs in by_country.values() for c in cs]
    blob = len(pickle.dumps(ix.claims, protocol=pickle.HIGHEST_PROTOCOL))
    written_apart = sum(len(c.source) + len(c.country) for c in claims)
    assert blob < written_apart, f"{blob:,} bytes of claims, {written_apart:,} in their strings alone"
