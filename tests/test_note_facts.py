"""Expectations taken from the note (NEASPEC/NFP-2/1, 10 July 2020): Table 2, Table 1, Section III."""
from __future__ import annotations

import pytest

from neaspec_kg.graph import select
from neaspec_kg.store import SparqlStore
from tests.conftest import member_codes

NOTE_DATE = "2020-07-10"
SIX = {"CHN", "PRK", "JPN", "MNG", "KOR", "RUS"}
TABLE2 = ["neaspec", "temm", "nowpap", "yslme", "eanet", "ltp", "eabrn", "dldd-nean"]
ID = "https://w3id.org/neaspec-kg/id/"
NK = "https://w3id.org/neaspec-kg/ontology#"


@pytest.mark.parametrize(("mechanism", "expected"), [
    ("neaspec", SIX),
    ("temm", {"CHN", "JPN", "KOR"}),
    ("ltp", {"CHN", "JPN", "KOR"}),
    ("nowpap", {"CHN", "JPN", "KOR", "RUS"}),
    ("yslme", {"CHN", "KOR"}),
    ("eabrn", SIX | {"KAZ"}),
    ("dldd-nean", {"CHN", "MNG", "KOR"}),
])
def test_members_as_of_the_note(store: SparqlStore, mechanism: str, expected: set[str]) -> None:
    assert member_codes(store, mechanism, NOTE_DATE) == expected


def test_table2_members_graph_says_exactly_the_cell(store: SparqlStore) -> None:
    """What Table 2 itself states, read from its own named graph only."""
    rows = store.select(f"""
        PREFIX org: <http://www.w3.org/ns/org#>
        SELECT ?m ?iso WHERE {{ GRAPH <{ID}source/neaspec-nfp2-1-table-2> {{
            ?ms org:organization ?m ; org:member ?c ; org:role <{ID}role/member> }}
            ?c <{NK}iso3166Alpha3> ?iso }}""")
    got: dict[str, set[str]] = {}
    for r in rows:
        got.setdefault(r["m"].value.rsplit("/", 1)[1], set()).add(r["iso"].value)
    assert got["eanet"] == {"CHN", "JPN", "KOR", "MNG", "RUS"}  # "CJK, MNG, Russia and South-East Asia"
    assert got["dldd-nean"] == {"CHN", "MNG", "KOR"}
    assert got["temm"] == {"CHN", "JPN", "KOR"}
    assert set(got) == set(TABLE2)


def test_eanet_has_thirteen_participating_countries(store: SparqlStore) -> None:
    codes = member_codes(store, "eanet")
    assert len(codes) == 13
    assert {"KHM", "IDN", "LAO", "MYS", "MMR", "PHL", "THA", "VNM"} <= codes


def test_dldd_nean_russia_is_a_disagreement_after_the_note(store: SparqlStore) -> None:
    assert "RUS" in member_codes(store, "dldd-nean")          # UNCCD: member as of 13 July 2020
    assert "RUS" not in member_codes(store, "dldd-nean", NOTE_DATE)
    rows = select(store, "disagreements")
    roles = {(r["subject"].value, r["value1"].value, r["value2"].value) for r in rows}
    assert (f"{ID}membership/dldd-nean-RUS", f"{ID}role/member", f"{ID}role/observer") in roles


def test_nea_lccp_launch_year_keeps_both_claims(store: SparqlStore) -> None:
    rows = [r for r in select(store, "disagreements") if r["subject"].value == f"{ID}platform/nea-lccp"]
    assert len(rows) == 1
    r = rows[0]
    assert {r["value1"].value, r["value2"].value} == {"2014", "2016"}
    sources = {r["source1"].value, r["source2"].value}
    assert f"{ID}source/neaspec-nfp2-1-para-6" in sources
    assert any(s.startswith(f"{ID}source/web-") for s in sources)


def test_ltp_secretariat_is_nier(store: SparqlStore) -> None:
    rows = store.select(f"""
        SELECT ?label ?host WHERE {{ <{ID}mechanism/ltp> <{NK}secretariat> ?s .
          ?s <http://www.w3.org/2004/02/skos/core#prefLabel> ?label .
          OPTIONAL {{ ?s <{NK}hostedBy> ?host }} }}""")
    assert any("National Institute for Environmental Research" in r["label"].value for r in rows)
    assert f"{ID}org/nier" in {r["host"].value for r in rows if "host" in r}


def test_table2_has_eight_subregional_mechanisms_with_their_cells(store: SparqlStore) -> None:
    rows = store.select(f"""
        SELECT ?m (COUNT(DISTINCT ?p) AS ?cells) WHERE {{
          GRAPH <{ID}source/neaspec-nfp2-1-table-2> {{ ?m a <{NK}SubregionalMechanism> ; ?p ?cell }}
          FILTER(?p IN (<{NK}statedMembers>, <{NK}statedGovernance>, <{NK}statedSecretariat>, <{NK}statedFocusAreas>))
        }} GROUP BY ?m""")
    assert {r["m"].value.rsplit("/", 1)[1] for r in rows} == set(TABLE2)
    assert all(r["cells"].to_python() == 4 for r in rows)


def test_every_table2_focus_phrase_is_kept_and_mapped(store: SparqlStore) -> None:
    """Each phrase of the last column is a work area's statedAs, mapped to a focus concept."""
    rows = store.select(f"""
        SELECT ?m ?cell ?phrase ?focus WHERE {{
          GRAPH <{ID}source/neaspec-nfp2-1-table-2> {{
            ?m <{NK}statedFocusAreas> ?cell ; <{NK}hasWorkArea> ?w .
            ?w <{NK}statedAs> ?phrase ; <{NK}focus> ?focus }} }}""")
    by_mech: dict[str, list[str]] = {}
    for r in rows:
        assert r["phrase"].value.lower() in r["cell"].value.lower(), (r["phrase"].value, r["cell"].value)
        by_mech.setdefault(r["m"].value, []).append(r["phrase"].value)
    assert len(by_mech) == 8
    cells = {r["m"].value: r["cell"].value for r in rows}
    for m, cell in cells.items():
        covered = sum(len(p) for p in set(by_mech[m]))
        assert covered >= 0.6 * len(cell.replace(", etc.", "")), f"{m}: phrases do not cover {cell!r}"


def test_table1_in_full(store: SparqlStore) -> None:
    rows = select(store, "activities-by-level")
    assert len(rows) == 22
    per_area: dict[str, int] = {}
    for r in rows:
        per_area[r["areaLabel"].value] = per_area.get(r["areaLabel"].value, 0) + 1
        assert r["levelLabel"].value in {"Fully", "Substantially", "Partially", "Minimally"}
        assert r["note"].value.strip()
    assert sorted(per_area.values()) == [4, 4, 4, 5, 5]
    levels = [r["levelLabel"].value for r in rows]
    assert (levels.count("Fully"), levels.count("Minimally")) == (2, 3)


def test_activities_filter_by_rank(store: SparqlStore) -> None:
    low = select(store, "activities-by-level", {"max_rank": 2})
    assert {r["levelLabel"].value for r in low} == {"Partially", "Minimally"}
    assert len(low) == 7  # Partially: air 1, MPA 3, MPA 5, DLD 1; Minimally: air 2, DLD 2, DLD 3


def test_section3_engagements_each_cite_their_paragraph(store: SparqlStore) -> None:
    for key in ["nowpap", "yslme", "dldd-nean", "ltp", "eanet", "temm"]:
        rows = store.select(f"""
            SELECT ?e WHERE {{ GRAPH <{ID}source/neaspec-nfp2-1-s3-{key}> {{
              ?e a <{NK}Engagement> ; <{NK}counterpart> <{ID}mechanism/{key}> }} }}""")
        assert rows, f"no engagement with {key} in Section III's paragraph on it"


def test_stated_limits_are_kept(store: SparqlStore) -> None:
    rows = select(store, "mechanism-engagements", {"mechanism": "eanet"})
    limits = " ".join(r["limitation"].value for r in rows if "limitation" in r)
    assert "limited substantive cooperation" in limits
    temm = select(store, "mechanism-engagements", {"mechanism": "temm"})
    assert any(r["statusLabel"].value == "Sought, not secured" for r in temm)


def test_platforms_are_parts_of_neaspec(store: SparqlStore) -> None:
    rows = store.select(f"""
        SELECT ?acr ?year WHERE {{ ?p <{NK}partOf> <{ID}mechanism/neaspec> ; <{NK}acronym> ?acr .
          GRAPH <{ID}source/neaspec-nfp2-1-para-6> {{ ?p <{NK}established> ?year }} }}""")
    assert {(r["acr"].value, r["year"].value) for r in rows} == {
        ("NEAMPAN", "2013"), ("NEA-LCCP", "2016"), ("NEACAP", "2018")}


def test_seven_countries_with_iso_codes(store: SparqlStore) -> None:
    rows = store.select(f"""
        SELECT ?iso2 ?iso3 WHERE {{ ?c a <{NK}Country> ; <{NK}iso3166Alpha2> ?iso2 ; <{NK}iso3166Alpha3> ?iso3 }}""")
    codes = {r["iso3"].value: r["iso2"].value for r in rows}
    assert {k: codes[k] for k in SIX | {"KAZ"}} == {
        "CHN": "CN", "PRK": "KP", "JPN": "JP", "MNG": "MN", "KOR": "KR", "RUS": "RU", "KAZ": "KZ"}
