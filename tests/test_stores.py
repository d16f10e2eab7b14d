"""The embedded stores answer every named query identically: the interface hides the engine."""
from __future__ import annotations

import pytest

from neaspec_kg import catalogue
from neaspec_kg.graph import run
from neaspec_kg.store import OxigraphStore, RdflibStore


@pytest.fixture(scope="module")
def rdflib_store(validated) -> RdflibStore:
    return RdflibStore(validated)


def _canonical(result):
    if isinstance(result, list):
        return sorted(tuple(sorted((k, v.kind, v.value) for k, v in row.items() if not k.endswith("sources")))
                      for row in result)
    return result


@pytest.mark.parametrize("name", catalogue.names())
def test_oxigraph_and_rdflib_agree(store: OxigraphStore, rdflib_store: RdflibStore, name: str) -> None:
    params = catalogue.get(name).example
    assert _canonical(run(store, name, params)) == _canonical(run(rdflib_store, name, params))


def test_default_graph_has_each_fact_once(store: OxigraphStore) -> None:
    """A fact stated by several sources is counted once (the default graph is the merge)."""
    rows = store.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    distinct = store.select("SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }")
    assert rows[0]["n"].value == distinct[0]["n"].value
    multi = store.select(
        "SELECT ?s ?p ?o WHERE { GRAPH ?a { ?s ?p ?o } GRAPH ?b { ?s ?p ?o } FILTER(?a != ?b) } LIMIT 1")
    assert multi, "some fact should be stated by two sources"
