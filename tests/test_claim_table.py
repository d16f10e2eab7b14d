"""The index's claims held as columns (neaspec_kg.index.claims) read exactly as the mapping they replace,
survive the index file, and are updated without being made again as objects."""
from __future__ import annotations

import pickle
import random
from datetime import date

from neaspec_kg.index.claims import Claim, ClaimTable
from neaspec_kg.index.periods import Period

COUNTRIES = [f"http://example.org/country/{c}" for c in "ABCDEFG"]
PERIODS = [None, Period.parse("1993"), Period.parse("2005-06-01"), Period.parse("2020")]


def _claims(rng: random.Random, units: list[str]) -> dict[str, dict[str, list[Claim]]]:
    out: dict[str, dict[str, list[Claim]]] = {}
    for u in units:
        for country in rng.sample(COUNTRIES, rng.randint(1, 4)):
            out.setdefault(u, {})[country] = [
                Claim(country, rng.choice(["member", "observer", "coverage"]), rng.choice(PERIODS),
                      rng.choice(PERIODS), rng.random() < 0.3, f"http://example.org/source/{rng.randint(0, 5)}",
                      rng.choice([None, date(2020, 7, 10)]))
                for _ in range(rng.randint(1, 3))]
    return out


def _as_dicts(table: ClaimTable) -> dict[str, dict[str, list[Claim]]]:
    return {u: dict(table[u]) for u in table}


def test_the_table_reads_as_the_mapping_it_was_made_of() -> None:
    rng = random.Random(1)
    units = [f"http://example.org/unit/{i:03}" for i in range(40)]
    claims = _claims(rng, units)
    table = ClaimTable.of(claims)
    want = {u: dict(sorted(claims[u].items())) for u in sorted(claims)}
    assert _as_dicts(table) == want
    # the order is part of the answer: units and their countries by IRI, a country's claims as loaded
    assert list(table) == list(want) and all(list(table[u]) == list(want[u]) for u in want)
    assert table == want and table.get("nothing") is None and "nothing" not in table and len(table) == 40
    country = COUNTRIES[2]
    assert table.units_with(country) == [u for u in want if country in want[u]]
    assert table.with_coverage() == [u for u in want if any(c.role == "coverage" for cs in want[u].values()
                                                            for c in cs)]
    assert table.countries() == {c for cs in want.values() for c in cs}
    assert table.units_with("http://example.org/country/nowhere") == []


def test_the_index_file_keeps_the_table_as_columns() -> None:
    table = ClaimTable.of(_claims(random.Random(2), [f"u{i}" for i in range(300)]))
    back = pickle.loads(pickle.dumps(table, protocol=pickle.HIGHEST_PROTOCOL))
    assert isinstance(back, ClaimTable) and back == table
    assert _as_dicts(back) == _as_dicts(table)
    objects = sum(len(cs) for u in table for cs in table[u].values())
    assert objects > 1000
    assert len(pickle.dumps(table)) < 40 * objects, "a claim costs a few numbers in the file, not an object"


def test_a_replaced_table_equals_one_made_whole() -> None:
    rng = random.Random(3)
    units = [f"http://example.org/unit/{i:03}" for i in range(60)]
    claims = _claims(rng, units)
    table = ClaimTable.of(claims)
    dropped = set(rng.sample(units, 10))
    # new claims for some units kept, some dropped, and some new ones; a new period and country too
    changed = _claims(rng, [*rng.sample(units, 8), "http://example.org/unit/new-1", "http://example.org/unit/000a"])
    changed["http://example.org/unit/new-1"]["http://example.org/country/Z"] = [
        Claim("http://example.org/country/Z", "member", Period.parse("2024"), None, False, "s", None)]
    whole = {u: cs for u, cs in claims.items() if u not in dropped and u not in changed} | changed
    updated = table.replaced(dropped, changed)
    assert _as_dicts(updated) == _as_dicts(ClaimTable.of(whole))
    assert list(updated) == sorted(whole)
    assert _as_dicts(table) == _as_dicts(ClaimTable.of(claims)), "the base table is left as it was"
    assert updated.units_with("http://example.org/country/Z") == ["http://example.org/unit/new-1"]


def test_members_today_are_the_members_participation_reads() -> None:
    """The member matrix's pairs, worked out on the columns, are exactly the countries that
    ``AnalysisIndex.participation`` (with no date asked) gives the role "member" from a unit's own claims:
    claims of every role, with ends before, on and after today and none."""
    from datetime import date, timedelta

    from neaspec_kg.index import AnalysisIndex

    today = date.today()
    ends = [None, Period.parse((today - timedelta(days=1)).isoformat()), Period.parse(today.isoformat()),
            Period.parse((today + timedelta(days=1)).isoformat()), Period.parse(str(today.year - 1)),
            Period.parse(str(today.year))]
    rng = random.Random(5)
    claims: dict[str, dict[str, list[Claim]]] = {}
    for u in range(60):
        unit = f"http://example.org/unit/{u:02d}"
        for k in range(rng.randint(0, 5)):
            country = f"http://example.org/country/{rng.choice('ABCD')}"
            claims.setdefault(unit, {}).setdefault(country, []).append(
                Claim(country, rng.choice(["member", "observer", "coverage"]), None, rng.choice(ends),
                      rng.random() < 0.3, f"s{k}", None))
    table = ClaimTable.of(claims)
    ix = AnalysisIndex.__new__(AnalysisIndex)
    ix.claims, ix.units = table, {}
    want = {(unit, country) for unit in claims for country, role in ix.participation(unit, None)[0].items()
            if role == "member"}
    assert want, "some claims should make members"
    assert table.members_today(today) == want
