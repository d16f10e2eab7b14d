"""Analyst questions, in everyday words, each with the answer the note (or a cited source) supports.

The questions and expected answers in ``analyst_questions.yaml`` were written from the note, the research file
and the thesaurus only, without the code, by an analyst reading the documents; where this project changed an
expectation, the ``basis`` says why. Every question is asked three ways, as users ask it: through the library,
through the CLI (``--format json``, parsed back into the same typed answer) and through the REST API.
"""
from __future__ import annotations

import io
import json
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from neaspec_kg.analysis import Analyst, UnknownFocusError
from neaspec_kg.cli import main
from neaspec_kg.index import RANK
from neaspec_kg.models import (
    CheckAnswer,
    CountryAnswer,
    DuplicationAnswer,
    OverlapAnswer,
    PairAnswer,
    ProposalsAnswer,
    ProposedWork,
)

QUESTIONS = yaml.safe_load((Path(__file__).parent / "analyst_questions.yaml").read_text(encoding="utf-8"))
COVERING = {"flagged", "risk", "coordinated", "overlap"}


def test_there_are_enough_questions_and_some_answers_are_no() -> None:
    assert len(QUESTIONS) >= 40
    assert len({q["id"] for q in QUESTIONS}) == len(QUESTIONS)
    negative = [q for q in QUESTIONS if q["expect"].get("empty") or q["expect"].get("excludes")]
    assert len([q for q in QUESTIONS if q["expect"].get("empty")]) >= 3
    assert len(negative) >= 20


# ------------------------------------------------------------------ three ways of asking

class Unknown:
    """The answer to a question whose focus the thesaurus does not know: nothing, with the closest labels."""

    def __init__(self, message: str) -> None:
        self.message = message


def ask_library(analyst: Analyst, ask: dict[str, Any]) -> Any:
    try:
        return _ask_library(analyst, ask)
    except UnknownFocusError as exc:
        return Unknown(str(exc))


def _ask_library(analyst: Analyst, ask: dict[str, Any]) -> Any:
    kind = ask["kind"]
    if kind == "overlap":
        return analyst.overlap(ask["focus"], country=ask.get("country"), as_of=ask.get("as_of"),
                               min_evidence=ask.get("min_evidence", "engagement"), include_related=True)
    if kind == "pair":
        return analyst.pair(ask["a"], ask["b"], as_of=ask.get("as_of"))
    if kind == "duplicates_of":
        return analyst.duplication(mechanism=ask["mechanism"], include_related=True, as_of=ask.get("as_of"))
    if kind == "check":
        return analyst.check(ProposedWork(focus=ask["focus"], modalities=ask.get("modalities", []),
                                          countries=ask.get("countries", []), proposer=ask.get("proposer"),
                                          as_of=ask.get("as_of")))
    if kind == "country":
        return analyst.country_participation(ask["country"], as_of=ask.get("as_of"))
    if kind == "proposals":
        return analyst.proposals()
    raise AssertionError(kind)


def ask_cli(ask: dict[str, Any]) -> Any:
    kind = ask["kind"]
    opt: list[str] = []
    if ask.get("as_of"):
        opt += ["--as-of", ask["as_of"]]
    if kind == "overlap":
        args = ["overlap", ask["focus"], "--include-related", "--min-evidence", ask.get("min_evidence", "engagement")]
        args += ["--country", ask["country"]] if ask.get("country") else []
        model: type[BaseModel] = OverlapAnswer
    elif kind == "pair":
        args, model = ["pair", ask["a"], ask["b"]], PairAnswer
    elif kind == "duplicates_of":
        args, model = ["duplication", "--mechanism", ask["mechanism"], "--include-related"], DuplicationAnswer
    elif kind == "check":
        args = ["check", ask["focus"]]
        for m in ask.get("modalities", []):
            args += ["--modality", m]
        for c in ask.get("countries", []):
            args += ["--country", c]
        args += ["--proposer", ask["proposer"]] if ask.get("proposer") else []
        model = CheckAnswer
    elif kind == "country":
        args, model = ["country", ask["country"]], CountryAnswer
    else:
        args, model = ["proposals"], ProposalsAnswer
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main([*args, *opt, "--format", "json"])
    if code == 1 and "no focus area is called" in err.getvalue():
        return Unknown(err.getvalue())
    assert code == 0, err.getvalue()
    return model.model_validate(json.loads(out.getvalue()))


def ask_rest(client: Any, ask: dict[str, Any]) -> Any:
    kind = ask["kind"]
    if kind == "overlap":
        params = {"focus": ask["focus"], "include_related": "true",
                  "min_evidence": ask.get("min_evidence", "engagement")}
        params |= {k: ask[k] for k in ("country", "as_of") if ask.get(k)}
        r = client.get("/overlap", params=params)
        model: type[BaseModel] = OverlapAnswer
    elif kind == "pair":
        when = {"as_of": ask["as_of"]} if ask.get("as_of") else {}
        r = client.get(f"/duplication/pairs/{ask['a']}/{ask['b']}", params=when)
        model = PairAnswer
    elif kind == "duplicates_of":
        r = client.get("/duplication", params={"mechanism": ask["mechanism"], "include_related": "true"})
        model = DuplicationAnswer
    elif kind == "check":
        body = {"focus": ask["focus"], "modalities": ask.get("modalities", []), "countries": ask.get("countries", []),
                "proposer": ask.get("proposer"), "as_of": ask.get("as_of")}
        r = client.post("/duplication/check", json=body)
        model = CheckAnswer
    elif kind == "country":
        when = {"as_of": ask["as_of"]} if ask.get("as_of") else {}
        r = client.get(f"/countries/{ask['country']}/participation", params=when)
        model = CountryAnswer
    else:
        r = client.get("/proposals")
        model = ProposalsAnswer
    if r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json") \
            and "focus" in r.json().get("detail", ""):
        return Unknown(r.json()["detail"])
    assert r.status_code == 200, r.text
    return model.model_validate(r.json())


# ------------------------------------------------------------------ what an answer must show

def _unit_ids(u: Any) -> set[str]:
    return {u.id} | ({u.part_of} if u.part_of else set())


def check_answer(q: dict[str, Any], a: Any) -> None:
    e = q["expect"]
    kind = q["ask"]["kind"]
    why = f"{q['id']}: {q['question']} (basis: {q.get('basis', '')[:300]})"
    if isinstance(a, Unknown):  # "nothing is recorded", with the closest labels and where to look them up
        assert not e.get("includes") and not e.get("first") and not e.get("planned_includes"), f"{why}: {a.message}"
        assert "closest known labels" in a.message and "thesaurus" in a.message, a.message
        return
    if kind == "overlap":
        # with a country or a date, participation that cannot be shown to hold is shown, but never counted
        found = {m.mechanism.id: m for m in a.mechanisms if m.country_status != "uncertain"}
        planned = {m.mechanism.id for m in a.planned_or_proposed}
        if e.get("empty"):
            assert not found, why
        for m in e.get("includes", []):
            assert m in found, why
        for m in e.get("excludes", []):
            assert m not in found, why
        for m, kind_ in (e.get("evidence") or {}).items():
            assert RANK[found[m].strongest] <= RANK[kind_], why
            assert any(ev.kind == kind_ for ev in found[m].evidence) or found[m].strongest == kind_ or \
                RANK[found[m].strongest] < RANK[kind_], why
        for m, vias in (e.get("via") or {}).items():
            got = {ev.via.id for ev in found[m].evidence if ev.via}
            assert set(vias) <= got, why
        for m, vias in (e.get("not_delivered") or {}).items():
            # what is only planned through a platform never shows as delivered through it
            only_planned = {(ev.item, ev.via.id) for x in a.planned_or_proposed if x.mechanism.id == m
                            for ev in x.evidence if ev.via}
            delivered = {(ev.item, ev.via.id) for ev in found.get(m, _Empty()).evidence if ev.via}
            assert not {p for p in only_planned & delivered if p[1] in vias}, why
            assert all(not (ev.via and ev.via.id in vias and ev.item in {i for i, _ in only_planned})
                       for ev in found.get(m, _Empty()).evidence), why
        for m in e.get("planned_includes", []):
            assert m in planned, why
        for ms in (a.mechanisms, a.planned_or_proposed):  # never a planned item among delivered ones
            for m in ms:
                assert all(ev.delivered == (ms is a.mechanisms) for ev in m.evidence), why
    elif kind == "pair":
        assert a.level == e["level"], f"{why}: got {a.level}: {a.explanation}"
        assert a.explanation and (a.judged_by == "computed" or a.judgements)
    elif kind == "duplicates_of":
        others = [p.b.id for p in a.pairs]
        if "first" in e:
            assert others[0] == e["first"], f"{why}: got {others}"
        for m in e.get("includes", []):
            assert m in others, why
        for m in e.get("excludes", []):
            covering_ids = {p.b.id for p in a.pairs if p.level in COVERING}
            assert m not in covering_ids, why
    elif kind == "check":
        covering = [m for m in a.matches if m.level in COVERING and not m.own]
        ids = [_unit_ids(m.unit) for m in covering]
        flat = set().union(*ids) if ids else set()
        if e.get("empty"):
            assert not covering, f"{why}: {a.verdict}"
        if "first" in e:
            assert covering and e["first"] in ids[0], f"{why}: got {[m.unit.id for m in covering]}"
        working = set().union(*(_unit_ids(m.unit) for m in a.matches)) if a.matches else set()
        for m in e.get("includes", []):  # already works on it (the level says whether that is duplication)
            assert m in working, f"{why}: got {[(m.unit.id, m.level) for m in a.matches]}"
        for m in e.get("excludes", []):
            assert m not in flat, f"{why}: got {[m.unit.id for m in covering]}"
        for m, vias in (e.get("via") or {}).items():
            got = {mm.unit.id for mm in covering if mm.unit.part_of == m}
            got |= {ev.via.id for mm in covering for x in mm.meetings for ev in x.evidence_b if ev.via}
            assert set(vias) <= got, why
        asked = set(q["ask"].get("modalities", []))
        for vias in (e.get("not_delivered") or {}).values():  # never shown as delivering the asked work
            delivered_via = {ev.via.id for mm in a.matches for x in mm.meetings for ev in x.evidence_b
                             if ev.via and ev.delivered and set(ev.modalities) & asked}
            assert not set(vias) & delivered_via and not {mm.unit.id for mm in a.matches} & set(vias), why
        assert a.verdict
    elif kind == "country":
        taking_part = {p.unit.id for p in a.mechanisms if p.status == "member"}
        uncertain = {p.unit.id for p in a.mechanisms if p.status == "uncertain"}
        for m in e.get("includes", []):
            assert m in taking_part, f"{why}: got {sorted(taking_part)}, uncertain {sorted(uncertain)}"
        for m in e.get("excludes", []):
            assert m not in taking_part, f"{why}: got {sorted(taking_part)}"
        for m in e.get("uncertain", []):
            assert m in uncertain, why
    elif kind == "proposals":
        assert a.count == 31
        covered = {i for p in a.proposals for m in p.covered_by for i in _unit_ids(m.unit)}
        for m in e.get("includes", []):
            assert m in covered, f"{why}: got {sorted(covered)}"
        for p in a.proposals:
            assert p.sources and p.verdict


class _Empty:
    evidence: tuple[Any, ...] = ()


@pytest.fixture(scope="module")
def analyst(store: Any) -> Analyst:
    return Analyst(store)


@pytest.mark.parametrize("q", QUESTIONS, ids=[q["id"] for q in QUESTIONS])
def test_library(analyst: Analyst, q: dict[str, Any]) -> None:
    check_answer(q, ask_library(analyst, q["ask"]))


@pytest.mark.parametrize("q", QUESTIONS, ids=[q["id"] for q in QUESTIONS])
def test_cli(q: dict[str, Any]) -> None:
    check_answer(q, ask_cli(q["ask"]))


@pytest.mark.parametrize("q", QUESTIONS, ids=[q["id"] for q in QUESTIONS])
def test_rest(api_client: Callable[..., Any], q: dict[str, Any]) -> None:
    check_answer(q, ask_rest(api_client, q["ask"]))
