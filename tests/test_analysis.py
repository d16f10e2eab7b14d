"""Overlap and duplication, with expectations from the note, and properties of the scoring."""
from __future__ import annotations

import json

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neaspec_kg.analysis import Analyst, UnknownFocusError, normalise
from neaspec_kg.build import ValidatedGraph, _entail, _parse, build
from neaspec_kg.cli import main
from neaspec_kg.config import PROJECT_ROOT, Paths
from neaspec_kg.graph import select
from neaspec_kg.namespaces import ONTOLOGY_GRAPH
from neaspec_kg.store import OxigraphStore


@pytest.fixture(scope="module")
def analyst(store: OxigraphStore) -> Analyst:
    return Analyst(store)


def ids(result) -> set[str]:
    return {m.id for m in result.mechanisms}


# ------------------------------------------------------------------ focus resolution and overlap

def test_air_quality_gives_exactly_the_four(analyst: Analyst) -> None:
    result = analyst.overlap("air quality")
    assert ids(result) == {"neaspec", "temm", "eanet", "ltp"}
    neaspec = next(m for m in result.mechanisms if m.id == "neaspec")
    assert neaspec.platforms == ["NEACAP"]
    assert {"CHN", "JPN", "KOR"} <= {s.iso3 for s in result.shared_members}
    assert all(len(s.mechanisms) >= 2 for s in result.shared_members)
    assert any(e.counterpart == "eanet" and e.limitation for e in result.engagements)


@pytest.mark.parametrize("text", ["Air Quality", "  AIR   quality ", "air-quality", "air_quality!",
                                  "ＡＩＲ ＱＵＡＬＩＴＹ"])
def test_resolution_ignores_case_spacing_punctuation_and_width(analyst: Analyst, text: str) -> None:
    assert [c.id for c in analyst.focus.resolve(text)] == ["air-quality"]


def test_synonyms_resolve_sensibly(analyst: Analyst) -> None:
    assert [c.id for c in analyst.focus.resolve("transboundary air pollution")] == ["transboundary-air-pollution"]
    assert [c.id for c in analyst.focus.resolve("LRTAP")] == ["transboundary-air-pollution"]
    assert [c.id for c in analyst.focus.resolve("acid rain")] == ["acid-deposition"]
    assert [c.id for c in analyst.focus.resolve("3R/circular economy")] == ["circular-economy"]


def test_hierarchy_covers_everything_beneath(analyst: Analyst) -> None:
    assert ids(analyst.overlap("air pollution")) == {"neaspec", "temm", "eanet", "ltp"}
    # a narrow focus does not pull in mechanisms that only work on something broader
    assert ids(analyst.overlap("transboundary air pollution")) == {"eanet", "ltp"}
    assert ids(analyst.overlap("acid deposition")) == {"eanet"}


def test_land_degradation_includes_neaspec_and_dldd_nean(analyst: Analyst) -> None:
    assert {"neaspec", "dldd-nean"} <= ids(analyst.overlap("land degradation"))
    assert {"neaspec", "dldd-nean"} <= ids(analyst.overlap("desertification and land degradation"))


def test_country_filter(analyst: Analyst) -> None:
    assert ids(analyst.overlap("air quality", country="MNG")) == {"neaspec", "eanet"}
    assert ids(analyst.overlap("air quality", country="KAZ")) == set()


def test_related_mechanisms_only_on_request(analyst: Analyst) -> None:
    assert "eaafp" not in ids(analyst.overlap("biodiversity"))
    assert "eaafp" in ids(analyst.overlap("biodiversity", include_related=True))


@pytest.mark.parametrize("hostile", ['air" } UNION { ?s ?p ?o } #', "}{", '\\"\'', "air pollution; DROP", "x" * 5000])
def test_hostile_focus_text_is_an_unknown_focus(analyst: Analyst, hostile: str) -> None:
    with pytest.raises(UnknownFocusError) as info:
        analyst.overlap(hostile)
    assert info.value.text == hostile.strip()


def test_unknown_focus_lists_the_closest_labels(analyst: Analyst) -> None:
    with pytest.raises(UnknownFocusError) as info:
        analyst.overlap("air qualty")
    assert info.value.suggestions[0].concept.id == "air-quality"
    with pytest.raises(UnknownFocusError) as info:
        analyst.overlap("marine turtles")
    assert any(s.concept.id.startswith("marine") for s in info.value.suggestions)


def test_labels_in_other_languages_resolve(data_copy: Paths) -> None:
    (data_copy.data_dir / "zz-ja.trig").write_text(
        "<https://w3id.org/neaspec-kg/id/source/web-env-coop-dialogue-mechanism-eanet> {\n"
        '  <https://w3id.org/neaspec-kg/id/focus/acid-deposition> '
        '<http://www.w3.org/2004/02/skos/core#altLabel> "酸性雨"@ja .\n}\n', encoding="utf-8")
    analyst = Analyst(OxigraphStore(build(data_copy, use_cache=False)))
    assert [c.id for c in analyst.focus.resolve("酸性雨")] == ["acid-deposition"]


def test_thesaurus_labels_are_unambiguous(analyst: Analyst, store: OxigraphStore) -> None:
    seen: dict[str, str] = {}
    for r in select(store, "focus-labels"):
        key = normalise(r["label"].value)
        assert seen.setdefault(key, r["concept"].value) == r["concept"].value, f"{key!r} names two concepts"


# ------------------------------------------------------------------ duplication on the real graph

def test_pair_explanation_names_shared_members_and_sources(analyst: Analyst) -> None:
    pairs = analyst.duplication(mechanism="eanet")
    pair = next(p for p in pairs if {p.a, p.b} == {"eanet", "ltp"})
    for name in ("China", "Japan", "Republic of Korea"):
        assert name in pair.explanation
    assert "Table 2" in pair.explanation
    assert pair.level == "likely duplication"
    assert {m["id"] for m in pair.shared_members} == {"CHN", "JPN", "KOR"}


def test_paragraph_36_same_theme_different_focus_is_not_duplication(analyst: Analyst) -> None:
    pair = next(p for p in analyst.duplication(mechanism="nowpap") if {p.a, p.b} == {"neaspec", "nowpap"})
    assert pair.level != "likely duplication"
    assert "Marine and coastal environment" in pair.shared_themes
    assert pair.engaged  # Section III: the Secretariat maintained communication with NOWPAP


def test_the_notes_own_duplication_concern_is_found(analyst: Analyst) -> None:
    """Paragraph 21 ('eliminate duplication') and Table 1 (overlapping focal points): DLDD-NEAN."""
    pair = next(p for p in analyst.duplication(mechanism="dldd-nean") if {p.a, p.b} == {"neaspec", "dldd-nean"})
    assert pair.level in {"focus overlap", "likely duplication"}
    assert pair.engaged


def test_filters_and_ranking(analyst: Analyst) -> None:
    all_pairs = analyst.duplication()
    assert len(all_pairs) == 28  # every pair of Table 2's eight shares China
    scores = [p.score for p in all_pairs]
    assert scores == sorted(scores, reverse=True)
    assert all(p.score >= 0.15 for p in analyst.duplication(min_score=0.15))
    assert len(analyst.duplication(limit=3)) == 3
    air = analyst.duplication(theme="air quality")
    assert {frozenset((p.a, p.b)) for p in air} == {frozenset(x) for x in [
        ("eanet", "ltp"), ("eanet", "neaspec"), ("eanet", "temm"), ("ltp", "neaspec"), ("ltp", "temm"),
        ("neaspec", "temm")]}
    assert all("MNG" in {m["id"] for m in p.shared_members} for p in analyst.duplication(country="MNG"))


def test_cli_answers_with_explanations(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["overlap", "air quality", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {m["id"] for m in data["mechanisms"]} == {"neaspec", "temm", "eanet", "ltp"}
    assert main(["duplication", "--top", "2"]) == 0
    out = capsys.readouterr().out
    assert "1. " in out and "share" in out
    assert main(["overlap", "air qualty"]) == 1
    assert "closest known labels: 'Air quality'" in capsys.readouterr().err


# ------------------------------------------------------------------ properties of the scoring

ONTOLOGY = Paths(ontology_dir=PROJECT_ROOT / "ontology", data_dir=PROJECT_ROOT / "data")
FOCI = ["air-quality", "air-pollution", "transboundary-air-pollution", "acid-deposition", "marine-biodiversity",
        "marine-protected-areas", "coastal-management", "biodiversity", "land-degradation", "low-carbon-city"]
MODALITIES = ["monitoring", "research", "modelling", "information-sharing", "networking"]
COUNTRIES = ["CHN", "JPN", "KOR", "MNG", "RUS", "PRK"]


def _onto_quads() -> list[ox.Quad]:
    g = ox.NamedNode(ONTOLOGY_GRAPH)
    return [q for f in ONTOLOGY.ontology_files() for q in _parse(f, ox.RdfFormat.TURTLE, g)]


_ONTO = _onto_quads()

mechanism_st = st.fixed_dictionaries({
    "members": st.sets(st.sampled_from(COUNTRIES), max_size=4),
    "work": st.lists(st.tuples(st.sampled_from(FOCI), st.sets(st.sampled_from(MODALITIES), max_size=2)), max_size=3),
})


def _store(mechs: dict[str, dict]) -> OxigraphStore:
    ns = "https://w3id.org/neaspec-kg/"
    g = ox.NamedNode(ns + "id/source/catalogue")
    q: list[ox.Quad] = []

    def add(s: str, p: str, o: ox.NamedNode | ox.Literal) -> None:
        q.append(ox.Quad(ox.NamedNode(s), ox.NamedNode(p), o, g))

    typ, nk = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type", ns + "ontology#"
    org = "http://www.w3.org/ns/org#"
    for name, spec in mechs.items():
        m = ns + "id/mechanism/" + name
        add(m, typ, ox.NamedNode(nk + "SubregionalMechanism"))
        for c in spec["members"]:
            ms = f"{ns}id/membership/{name}-{c}"
            add(ms, org + "organization", ox.NamedNode(m))
            add(ms, org + "member", ox.NamedNode(ns + "id/country/" + c))
            add(ms, org + "role", ox.NamedNode(ns + "id/role/member"))
        for i, (focus, mods) in enumerate(spec["work"]):
            w = f"{ns}id/work/{name}-{i}"
            add(m, nk + "hasWorkArea", ox.NamedNode(w))
            add(w, nk + "focus", ox.NamedNode(ns + "id/focus/" + focus))
            for mod in mods:
                add(w, nk + "modality", ox.NamedNode(ns + "id/modality/" + mod))
    quads = _ONTO + q
    return OxigraphStore(ValidatedGraph(quads=quads + _entail(quads), digest="synthetic"))


def _scores(store: OxigraphStore) -> dict[frozenset[str], tuple[float, str, int]]:
    rows = select(store, "duplication-candidates")
    return {frozenset((r["a"].value.rsplit("/", 1)[1], r["b"].value.rsplit("/", 1)[1])):
            (float(r["score"].to_python()), r["level"].value, int(r["sharedThemes"].to_python())) for r in rows}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(["m1", "m2", "m3", "m4"]), mechanism_st, min_size=2, max_size=4))
def test_scoring_properties(mechs: dict[str, dict]) -> None:
    scores = _scores(_store(mechs))
    # symmetric: renaming so that every pair's order flips gives the same scores
    flipped = {f"z{9 - int(k[1])}": v for k, v in mechs.items()}
    back = {frozenset(f"m{9 - int(n[1])}" for n in pair): v for pair, v in _scores(_store(flipped)).items()}
    assert back == scores
    for pair, (score, level, shared_themes) in scores.items():
        assert 0.0 <= score <= 1.0
        if shared_themes == 0:  # nothing in common to duplicate
            assert score == 0.0 and level == "none"
        if level == "likely duplication":
            a, b = sorted(pair)
            assert len(mechs[a]["members"] & mechs[b]["members"]) >= 2


def test_identical_mechanisms_score_highest_and_disjoint_ones_zero() -> None:
    same = {"members": {"CHN", "JPN"}, "work": [("acid-deposition", {"monitoring"})]}
    scores = _scores(_store({"m1": same, "m2": same, "m3": {"members": {"MNG"}, "work": [("low-carbon-city", set())]}}))
    assert scores[frozenset(("m1", "m2"))] == (1.0, "likely duplication", 1)
    assert frozenset(("m1", "m3")) not in scores or scores[frozenset(("m1", "m3"))][0] == 0.0
