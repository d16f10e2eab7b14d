"""The all-pairs duplication table (``neaspec_kg.analysis.pair_table``) holds the method's own ranking.

Every row is held to the exhaustive ranking (``duplication(..., exhaustive=True)``, which compares every candidate
pair in full), on the real data and on a synthetic graph of 300 mechanisms (``bench/synth.py``: platforms with
their own coverage, engagements, judgements, several evidence strengths and kinds of activity), and the answers
the API gives from the table are the exhaustive ones, explanations included."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from neaspec_kg.analysis import Analyst
from neaspec_kg.analysis.duplication import LEVELS, Countries, _top_of_one, _top_pairs, duplication
from neaspec_kg.analysis.pair_table import (
    TABLE_K,
    PairTable,
    compute,
    factors,
    pack,
    table_of,
    unpack,
    updated,
)
from neaspec_kg.build import build
from neaspec_kg.config import PROJECT_ROOT, Paths
from neaspec_kg.index import AnalysisIndex
from neaspec_kg.store import OxigraphStore
from tests.synthetic import synthetic_data as make_synthetic


@pytest.fixture(scope="module")
def synthetic_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_synthetic(tmp_path_factory, 300, seed=5)


def _index(data: Path) -> AnalysisIndex:
    graph = build(Paths(ontology_dir=PROJECT_ROOT / "ontology", data_dir=data), use_cache=False)
    return AnalysisIndex(OxigraphStore(graph))


@pytest.fixture(scope="module")
def synthetic_index(synthetic_data: Path) -> AnalysisIndex:
    return _index(synthetic_data)


def _exhaustive_row(ix: AnalysisIndex, m: str) -> list[tuple[int, float, str]]:
    pairs = duplication(ix, mechanism=m, limit=None, exhaustive=True).pairs
    return [(LEVELS.index(p.level), p.score, p.b.id) for p in pairs]


def _table_row(ix: AnalysisIndex, table: PairTable, m: str) -> list[tuple[int, float, str]]:
    return [(level, score, ix.units[other].id) for level, score, other in table.row(ix, m)]


def _assert_rows_exact(ix: AnalysisIndex, table: PairTable) -> int:
    """Every mechanism's row is the head of its exhaustive ranking; returns how many rows were full."""
    full = 0
    for m in ix.mechanisms:
        want = _exhaustive_row(ix, m)
        assert _table_row(ix, table, m) == want[: table.k], m
        assert table.truncated(ix.mech_row[m]) == (len(want) > table.k), m
        full += len(want) > table.k
    return full


def test_keys_pack_level_then_score_then_partner() -> None:
    """A key sorts pairs as ``_pair_sort_key`` does: level first, then the higher score, then the partner."""
    assert unpack(pack(1, 0.375, 42)) == (1, 0.375, 42)
    assert pack(0, 0.1, 9) < pack(1, 1.0, 0) < pack(1, 0.999, 0) < pack(1, 0.999, 1)


def test_the_factor_table_is_the_methods_countries_factor() -> None:
    """The score table's countries factor is ``Countries.factor``, double for double."""
    table = factors(40)
    for smaller in range(41):
        for shared in range(smaller + 1):
            a = {f"c{i}" for i in range(smaller)}
            b = {f"c{i}" for i in range(shared)} | {f"d{i}" for i in range(smaller - shared)}
            assert table[shared, smaller] == Countries(a, b, set()).factor, (shared, smaller)


def test_real_data_rows_are_the_exhaustive_ranking(analyst: Analyst) -> None:
    ix = analyst.index
    table = compute(ix)
    _assert_rows_exact(ix, table)
    # the note's own readings, in the table as in the method: the duplication concern it records on
    # DLDD-NEAN (Table 1: "eliminate duplication") ranks first, and NOWPAP is complementary to NEASPEC's
    # marine work (Section III: people-to-people networking in NEAMPAN vs technical issues of NOWPAP)
    neaspec = ix.unit("neaspec")
    assert neaspec is not None
    row = [(LEVELS[level], ix.units[o].id) for level, _score, o in table.row(ix, neaspec.iri)]
    assert row[0] == ("flagged", "dldd-nean")
    assert ("complementary", "nowpap") in row
    top = _top_pairs(ix, limit=3, min_score=0.0, include_related=False).pairs
    assert [(p.a.id, p.b.id, p.level) for p in top][:1] == [("dldd-nean", "neaspec", "flagged")]
    assert top == duplication(ix, limit=3, exhaustive=True).pairs


def test_synthetic_rows_are_the_exhaustive_ranking(synthetic_index: AnalysisIndex) -> None:
    ix = synthetic_index
    table = compute(ix)
    full = _assert_rows_exact(ix, table)
    assert full > 50, "most rows should be cut at k, or the test does not test the cut"
    covering = [m for m, c in zip(ix.mechanisms, ix.has_coverage, strict=True) if c]
    assert covering, "the synthetic graph should have platforms with their own coverage"


@pytest.mark.parametrize("limit", [1, 5, 10, TABLE_K])
def test_synthetic_top_pairs_from_the_table_are_the_exhaustive_ones(synthetic_index: AnalysisIndex,
                                                                    limit: int) -> None:
    ix = synthetic_index
    want = duplication(ix, limit=limit, exhaustive=True).pairs
    got = _top_pairs(ix, limit=limit, min_score=0.0, include_related=False).pairs
    assert [(p.a.id, p.b.id, p.level, p.score) for p in got] == [(p.a.id, p.b.id, p.level, p.score) for p in want]
    assert got == want  # explanations, evidence and sources included


def test_duplicates_of_one_from_the_table_are_explained_like_the_search(synthetic_index: AnalysisIndex) -> None:
    ix = synthetic_index
    for m in ix.mechanisms[::37]:
        from_table = _top_of_one(ix, m, limit=10, min_score=0.0, include_related=False)
        searched = _top_of_one(ix, m, limit=10, min_score=0.0, include_related=False, table=False)
        assert from_table == searched
        assert from_table.pairs == duplication(ix, mechanism=m, limit=10, exhaustive=True).pairs


def test_min_score_and_limits_beyond_the_table_still_answer_exactly(synthetic_index: AnalysisIndex) -> None:
    ix = synthetic_index
    m = ix.mechanisms[len(ix.mechanisms) // 2]
    for min_score in (0.3, 0.6, 0.9):
        got = duplication(ix, mechanism=m, limit=10, min_score=min_score).pairs
        assert got == duplication(ix, mechanism=m, limit=10, min_score=min_score, exhaustive=True).pairs
        assert all(p.score >= min_score or p.level == "flagged" for p in got)
    beyond = duplication(ix, mechanism=m, limit=TABLE_K + 5).pairs  # more than a row holds: the search answers
    assert beyond == duplication(ix, mechanism=m, limit=TABLE_K + 5, exhaustive=True).pairs


def test_the_table_is_kept_with_the_index(synthetic_index: AnalysisIndex) -> None:
    """Computed once: the second answer reads the same table object."""
    ix = synthetic_index
    first = table_of(ix)
    assert first is not None and table_of(ix) is first
    assert first.full.shape == (len(ix.mechanisms), TABLE_K)
    assert np.all(first.full_total >= (first.full >= 0).sum(axis=1))


def test_an_update_after_edits_equals_the_table_computed_again(synthetic_data: Path, synthetic_index: AnalysisIndex,
                                                               tmp_path: Path) -> None:
    """Three edits of the kinds an editor makes (a kind of activity dropped from a work area, a member dropped, a
    mechanism's file removed): the updated table is the table of the new index, row for row, and only the changed
    mechanisms and the rows they were in were computed again."""
    data = tmp_path / "data"
    shutil.copytree(synthetic_data, data)
    files = sorted((data / "mechanisms").glob("*.trig"))
    texts = {f: f.read_text(encoding="utf-8") for f in files}
    f1 = files[10]
    edited = re.sub(r" ;\n    nk:modality modality:[a-z-]+ \.", " .", texts[f1], count=2)
    assert edited != texts[f1]
    f1.write_text(edited, encoding="utf-8")
    f2 = files[20]
    member = re.search(r"membership:(syn-\d+-[A-Z]+) a nk:Membership ; org:member country:[A-Z]+ ; "
                       r"org:organization mech:syn-\d+ ; org:role role:member", texts[f2])
    assert member
    f2.write_text("\n".join(line for line in texts[f2].splitlines()
                            if not line.strip().startswith(f"membership:{member.group(1)} ")) + "\n", encoding="utf-8")
    removed = next(f for f in files[30:] if not any(f"mech:{f.stem}" in t for g, t in texts.items() if g != f))
    removed.unlink()

    old = compute(synthetic_index)
    new_ix = _index(data)
    assert len(new_ix.mechanisms) == len(synthetic_index.mechanisms) - 1
    up = updated(old, new_ix)
    again = compute(new_ix)
    assert up.mechanisms == again.mechanisms
    assert np.array_equal(up.full, again.full) and np.array_equal(up.forward, again.forward)
    n = len(again.mechanisms)
    assert all(up.truncated(i) or not again.truncated(i) for i in range(n))  # a cut row is never taken as whole
    assert all(up.full_total[i] == again.full_total[i] for i in range(n) if not up.truncated(i))
    assert up.recomputed < n // 2, "an update computes the changed rows and the rows they were in, not all"
    assert _top_pairs(new_ix, limit=10, min_score=0.0, include_related=False).pairs == \
        duplication(new_ix, limit=10, exhaustive=True).pairs
