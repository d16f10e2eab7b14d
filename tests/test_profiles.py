"""The profiles of mechanisms, countries and focus areas are typed answers (``neaspec_kg.models_profiles``): every
answer validates against its model, their JSON keeps the shape it had as plain dicts (absent fields left out,
not null), and the CLI lists and shows them from the same models."""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

import pytest

from neaspec_kg.analysis.profiles import NotFoundError, Profiles
from neaspec_kg.cli import main
from neaspec_kg.models_profiles import (
    CountryDetail,
    CountryList,
    FocusDetail,
    FocusNode,
    FocusTree,
    MechanismDetail,
    MechanismList,
    SourceCitation,
)


def _walk(nodes: list[FocusNode]) -> Iterator[FocusNode]:
    for n in nodes:
        yield n
        yield from _walk(n.narrower)


def test_every_profile_validates_against_its_model(profiles: Profiles) -> None:
    """Each answer, dumped to JSON and read back under the model (extra fields forbidden), is the same answer."""
    mechanisms = profiles.mechanisms()
    assert MechanismList.model_validate_json(
        MechanismList(count=len(mechanisms), mechanisms=mechanisms).model_dump_json()).mechanisms == mechanisms
    for m in mechanisms:
        for as_of in (None, "2020-07-10"):
            detail = profiles.mechanism(m.id, as_of=as_of)
            assert isinstance(detail, MechanismDetail)
            assert MechanismDetail.model_validate_json(detail.model_dump_json()) == detail
    countries = profiles.countries()
    assert CountryList.model_validate(CountryList(count=len(countries), countries=countries)
                                      .model_dump(mode="json")).countries == countries
    for c in countries:
        country = profiles.country(c.id)
        assert isinstance(country, CountryDetail)
        assert CountryDetail.model_validate(country.model_dump(mode="json")) == country
    tree = profiles.focus_tree()
    assert FocusTree.model_validate_json(FocusTree(themes=tree).model_dump_json()).themes == tree
    for node in _walk(tree):
        focus = profiles.focus_area(node.id)
        assert isinstance(focus, FocusDetail) and focus.id == node.id
        assert FocusDetail.model_validate(focus.model_dump(mode="json")) == focus


def test_json_leaves_absent_fields_out(profiles: Profiles) -> None:
    """The REST contract from before the models: a source without a locator or URL, a secretariat without a host
    and a governing body without a type have no such key (never null); fields that always exist may be null."""
    ltp = profiles.mechanism("ltp").model_dump(mode="json")
    assert ltp["secretariat"][0]["hosted_by"]["id"] == "nier"
    sources = [s for m in ltp["members"] for s in m["sources"]]
    assert sources and all(None not in s.values() for s in sources)
    note_parts = [s for s in sources if s["kind"] == "DocumentPart"]
    assert note_parts and all("url" not in s and "secondary" not in s for s in note_parts)
    eanet = profiles.mechanism("eanet").model_dump(mode="json")
    units = eanet["secretariat"] + eanet["governing_bodies"]
    assert units and all(None not in u.values() for u in units)
    assert all("acronym" in c for c in profiles.mechanism("neaspec").model_dump(mode="json")["components"])
    web = SourceCitation(iri="x", label="x", kind="WebSource", url="https://example.org", secondary=False)
    assert web.model_dump(mode="json") == {"iri": "x", "label": "x", "kind": "WebSource",
                                           "url": "https://example.org", "secondary": False}


def test_unknown_ids_suggest_known_ones(profiles: Profiles) -> None:
    with pytest.raises(NotFoundError) as exc:
        profiles.mechanism("eant")
    assert exc.value.suggestions[0] == {"id": "eanet", "label": "EANET"}


def test_cli_lists_mechanisms_and_countries_from_the_same_models(capsys: pytest.CaptureFixture[str],
                                                                 profiles: Profiles) -> None:
    """``neaspec-kg mechanisms`` and ``countries`` give what /mechanisms and /countries give (JSON), as CSV and
    as titled tables; ``focus-areas --format json`` is the /focus-areas answer."""
    assert main(["mechanisms", "--format", "json"]) == 0
    listed = MechanismList.model_validate_json(capsys.readouterr().out)
    assert listed.mechanisms == profiles.mechanisms() and listed.count == len(listed.mechanisms)
    assert main(["mechanisms", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["id"] for r in rows] == [m.id for m in profiles.mechanisms()]
    assert sum(r["table 2"] == "yes" for r in rows) == 8
    assert main(["mechanisms"]) == 0
    assert capsys.readouterr().out.startswith("Mechanisms (")
    assert main(["countries", "--format", "json"]) == 0
    assert CountryList.model_validate_json(capsys.readouterr().out).countries == profiles.countries()
    assert main(["countries", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert {r["code"] for r in rows if r["NEASPEC member"] == "yes"} == {"CHN", "PRK", "JPN", "MNG", "KOR", "RUS"}
    assert main(["focus-areas", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == FocusTree(themes=profiles.focus_tree()).model_dump(mode="json")
