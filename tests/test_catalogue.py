"""Named queries: every file is well formed, runs, and binds parameters safely."""
from __future__ import annotations

import pytest

from neaspec_kg import catalogue
from neaspec_kg.catalogue import ParameterError
from neaspec_kg.graph import run, select
from neaspec_kg.store import SparqlStore

REQUIRED = {"mechanisms", "mechanism-profile", "mechanism-members", "country-mechanisms", "focus-tree",
            "activities-by-level", "mechanism-engagements", "fact-provenance", "disagreements", "stats"}


def test_catalogue_has_the_required_queries() -> None:
    assert set(catalogue.names()) >= REQUIRED


@pytest.mark.parametrize("name", catalogue.names())
def test_header_is_complete_and_example_runs(store: SparqlStore, name: str) -> None:
    q = catalogue.get(name)
    assert q.title and q.description, f"{name}: title and description are required"
    for p in q.params:
        assert p.description, f"{name}: parameter {p.name} lacks a description"
    result = run(store, name, q.example)
    if isinstance(result, list):
        assert result, f"{name}: the example returns no rows"


@pytest.mark.parametrize("hostile", [
    'air" } ; DROP ALL ; SELECT * { "',
    "air } UNION { ?s ?p ?o }",
    'x"^^<http://evil> . } #',
    "\\\" \n '''",
])
def test_hostile_text_stays_one_literal(store: SparqlStore, hostile: str) -> None:
    """The value is bound as a literal: the query keeps its shape and matches nothing."""
    q = catalogue.NamedQuery(
        name="t", title="t", description="t",
        text="SELECT ?v WHERE { VALUES ?v { UNDEF } }\n",
        params=(catalogue.Param("v", "string"),),
    )
    rows = store.select(q.bind({"v": hostile}))
    assert [r["v"].value for r in rows] == [hostile]


@pytest.mark.parametrize("bad", ["eanet>", "ea net", "x{}", '"', "a" * 200])
def test_bad_ids_are_refused_before_any_query(bad: str) -> None:
    with pytest.raises(ParameterError) as info:
        catalogue.get("mechanism-members").bind({"mechanism": bad})
    assert info.value.param == "mechanism"


def test_unknown_missing_and_mistyped_parameters() -> None:
    q = catalogue.get("mechanism-members")
    with pytest.raises(ParameterError, match="required"):
        q.bind({})
    with pytest.raises(ParameterError, match="unknown parameter"):
        q.bind({"mechanism": "eanet", "colour": "red"})
    with pytest.raises(ParameterError, match="date"):
        q.bind({"mechanism": "eanet", "as_of": "last year"})
    with pytest.raises(ParameterError, match="integer"):
        catalogue.get("activities-by-level").bind({"max_rank": "two"})


def test_ids_and_iris_bind_to_the_same_thing(store: SparqlStore) -> None:
    by_id = select(store, "mechanism-members", {"mechanism": "EANET"})
    by_iri = select(store, "mechanism-members", {"mechanism": "https://w3id.org/neaspec-kg/id/mechanism/eanet"})
    assert by_id == by_iri and by_id


def test_every_parameter_has_a_values_block(tmp_path) -> None:
    (tmp_path / "broken.rq").write_text(
        "#+ title: x\n#+ params:\n#+   - {name: m, type: mechanism}\nSELECT * WHERE { ?s ?p ?o }\n")
    with pytest.raises(catalogue.CatalogueError, match="VALUES"):
        catalogue.catalogue.__wrapped__(tmp_path)
