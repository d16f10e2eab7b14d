"""The analysis index of an incrementally rebuilt store, updated from the base build's index
(neaspec_kg.index.update), is exactly the index a full extraction of the new store gives.

Each scenario edits the data of a cached build whose index is kept, rebuilds incrementally, asks
``cached_index`` for the new build's index and holds it to ``AnalysisIndex(store)`` of the same store: every
attribute (units, claims, country labels, evidence in order, the lookups by owner and concept, the profile,
engagements, judgements, proposals, sources, the thesaurus), every matrix (numpy ``array_equal``, same dtype),
and analysis answers (duplication, overlap, a pair). Each also checks that the update was the path taken (not
a silent full extraction), or, where the change cannot be bounded, that the fallback said why. Run on a
synthetic graph of 200 mechanisms (bench/synth.py) and on the real data."""
from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from neaspec_kg.build import ValidatedGraph, build
from neaspec_kg.config import PROJECT_ROOT
from neaspec_kg.index import AnalysisIndex, cached_index, update
from neaspec_kg.store import OxigraphStore
from tests.synthetic import Workspace as BaseWorkspace
from tests.synthetic import synthetic_data as make_synthetic
from tests.synthetic import workspace

ARRAYS = ("work_matrix", "direct", "modality_bits", "relation", "member_matrix", "member_sizes", "has_coverage")


def _plain(x: Any) -> Any:
    """A comparable, order-keeping picture of an index attribute: dataclasses field by field, dicts and lists
    in their order, sets sorted (their order is the hash's, not the index's)."""
    if is_dataclass(x) and not isinstance(x, type):
        return (type(x).__name__, tuple((f.name, _plain(getattr(x, f.name))) for f in fields(x)))
    if isinstance(x, Mapping):  # dicts, and the claims' table (read as the mapping it stands for)
        return ("dict", tuple((_plain(k), _plain(v)) for k, v in x.items()))
    if isinstance(x, list | tuple):
        return tuple(_plain(v) for v in x)
    if isinstance(x, set | frozenset):
        return ("set", tuple(sorted((_plain(v) for v in x), key=repr)))
    return x


def _dump(ix: AnalysisIndex) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in vars(ix).items():
        if name in ARRAYS or name == "pair_table":  # the duplication table: held to its own standard below
            continue
        if name == "sources":
            out[name] = _plain(dict(sorted(value.by_iri.items())))
        elif name == "thesaurus":
            out[name] = repr(sorted(value.concepts.items()))
        else:
            out[name] = _plain(value)
    return out


def _answers(ix: AnalysisIndex) -> dict[str, str]:
    from neaspec_kg.analysis.duplication import compare, duplication
    from neaspec_kg.analysis.overlap import overlap

    concepts = [c for iri, c in sorted(ix.thesaurus.concepts.items()) if c.type == "focus"][:6]
    out = {"duplication": duplication(ix, limit=10).model_dump_json(),
           "overlap": overlap(ix, concepts[:3], include_related=True).model_dump_json(),
           "overlap-delivered": overlap(ix, concepts[3:], min_evidence="delivered-activity").model_dump_json()}
    top = duplication(ix, limit=1).pairs
    if top:
        out["pair"] = compare(ix, top[0].a.iri, top[0].b.iri).model_dump_json()
    return out


def assert_same_index(got: AnalysisIndex, want: AnalysisIndex) -> None:
    """Equal attribute by attribute, matrix by matrix, and in the answers read from them (compared last:
    an analysis may leave a table of its own on the index)."""
    a, b = _dump(got), _dump(want)
    assert a.keys() == b.keys()
    differ = [name for name in a if a[name] != b[name]]
    assert not differ, f"the updated index differs in {differ}"
    for name in ARRAYS:
        x, y = getattr(got, name), getattr(want, name)
        assert x.dtype == y.dtype and np.array_equal(x, y), f"the updated index differs in {name}"
    assert _answers(got) == _answers(want)


class Workspace(BaseWorkspace):
    def rebuilt(self) -> tuple[ValidatedGraph, OxigraphStore]:
        graph = build(self.paths)
        assert graph.how == "incremental", "the edit should be rebuilt incrementally"
        return graph, OxigraphStore(graph)


def _workspace(tmp: Path, data: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    ws = Workspace(workspace(tmp, data, monkeypatch), tmp / "cache")
    graph = build(ws.paths)
    assert graph.how == "full"
    cached_index(OxigraphStore(graph))  # the base build's index, kept
    assert update.last["how"] == "extracted"
    return ws


@pytest.fixture(scope="module")
def synthetic_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_synthetic(tmp_path_factory, 200, seed=11)


@pytest.fixture
def synthetic(tmp_path: Path, synthetic_data: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Workspace]:
    yield _workspace(tmp_path, synthetic_data, monkeypatch)


@pytest.fixture
def real(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Workspace]:
    yield _workspace(tmp_path, PROJECT_ROOT / "data", monkeypatch)


def assert_updated(ws: Workspace) -> AnalysisIndex:
    """Rebuild, take the index through the update and hold it to a full extraction; the updated index."""
    _, store = ws.rebuilt()
    index = cached_index(store)
    assert update.last["how"] == "updated", update.last.get("reason")
    full = AnalysisIndex(store)
    assert_same_index(cached_index(store), AnalysisIndex(store))  # as written and read back, not made again
    assert update.last["how"] == "updated"
    assert_same_index(index, full)
    assert_table_updated(index, full)
    return index


def assert_table_updated(index: AnalysisIndex, full: AnalysisIndex) -> None:
    """The index came with its duplication pair table, made from the base build's table (only the rows the
    change needs computed again) and equal, row for row, to the table computed from scratch."""
    from neaspec_kg.analysis.pair_table import PairTable, compute

    table = getattr(index, "pair_table", None)
    assert isinstance(table, PairTable), "cached_index keeps the pair table with the index"
    again = compute(full)
    assert table.mechanisms == again.mechanisms
    assert np.array_equal(table.full, again.full) and np.array_equal(table.forward, again.forward)
    assert table.recomputed < len(again.mechanisms) or len(again.mechanisms) <= 16, \
        f"updated, not computed again: {table.recomputed} of {len(again.mechanisms)} rows"


def assert_extracted(ws: Workspace, because: str) -> None:
    """Rebuild; the index cannot be updated, says why, and is the full extraction."""
    _, store = ws.rebuilt()
    index = cached_index(store)
    assert update.last["how"] == "extracted" and because in update.last["reason"], update.last
    assert_same_index(index, AnalysisIndex(store))


def _mechanism(n: int) -> str:
    return f"mechanisms/syn-{n:06d}.trig"


def _find(ws: Workspace, pattern: str, flags: int = 0) -> tuple[str, re.Match[str]]:
    """The first synthetic mechanism file (by number) with a match."""
    for path in sorted(ws.file("mechanisms").glob("syn-*.trig")):
        found = re.search(pattern, path.read_text(encoding="utf-8"), flags)
        if found:
            return f"mechanisms/{path.name}", found
    raise AssertionError(f"no synthetic mechanism matches {pattern!r}")


def test_synthetic_edits_update_the_index_to_a_full_extraction(synthetic: Workspace) -> None:
    """A founding year, a membership taken out and one added, a work area's focus, a platform's coverage, an
    engagement's status, a judgement's verdict, a planned activity's level, a mechanism file removed: after
    each, the index was updated (not extracted again) and is the full extraction's. How much faster the update
    is, bench/scale.py measures: a timed assertion here failed on a busy machine."""
    ws = synthetic
    rel = _mechanism(4)
    year = re.search(r'nk:established "(\d{4})"', ws.file(rel).read_text(encoding="utf-8"))
    assert year
    ws.edit(rel, f'nk:established "{year[1]}"', 'nk:established "1801"')
    assert_updated(ws)

    rel, ms = _find(ws, r"^  (membership:\S+) a nk:Membership ;[^\n]*\n", re.MULTILINE)
    text = ws.file(rel).read_text(encoding="utf-8")
    ws.file(rel).write_text(re.sub(rf"^\s*{re.escape(ms[1])} [^\n]*\n", "", text, flags=re.MULTILINE),
                            encoding="utf-8")
    assert_updated(ws)

    rel, ms = _find(ws, r"^  membership:(syn-\d+)-(X\w\w) a nk:Membership ; org:member country:X\w\w ;"
                        r" org:organization (mech:syn-\d+) ; org:role role:member", re.MULTILINE)
    code = "XHM" if ms[2] != "XHM" else "XHL"  # synthetic countries run from XAA to XHM
    ws.edit(rel, ms[0], ms[0] + f' ; nk:since "1999"^^xsd:gYear .\n  membership:{ms[1]}-{code} a nk:Membership ;'
            f" org:member country:{code} ; org:organization {ms[3]} ; org:role role:observer")
    assert_updated(ws)

    rel, focus = _find(ws, r"(work:\S+) a nk:WorkArea ;\n(?:    [^\n]*\n)*?    nk:focus (focus:[\w-]+)")
    ws.edit(rel, f"nk:focus {focus[2]}", "nk:focus focus:air-pollution" if focus[2] != "focus:air-pollution"
            else "nk:focus focus:marine-pollution")
    assert_updated(ws)

    rel, covers = _find(ws, r"nk:involves (country:X\w\w) , ")
    ws.edit(rel, f"nk:involves {covers[1]} , ", "nk:involves ")
    assert_updated(ws)

    rel, status = _find(ws, r"nk:engagementStatus estatus:(realised|ongoing)")
    ws.edit(rel, status[0], "nk:engagementStatus estatus:explored")
    assert_updated(ws)

    rel, level = _find(ws, r"nk:implementationLevel level:(partially|minimally)")
    ws.edit(rel, level[0], "nk:implementationLevel level:fully")
    assert_updated(ws)

    rel, verdict = _find(ws, r"nk:verdict (verdict:[\w-]+)")
    ws.edit(rel, verdict[0], "nk:verdict verdict:duplication-concern"
            if verdict[1] != "verdict:duplication-concern" else "nk:verdict verdict:different-focus")
    assert_updated(ws)

    ws.file(_mechanism(9)).unlink()
    assert_updated(ws)


def test_a_new_mechanism_with_its_own_sources_is_an_update(synthetic: Workspace) -> None:
    """A mechanism added under new ids with new catalogue entries (sources the base index did not know) is
    an update too; the new sources are read into the source index."""
    ws = synthetic
    body = ws.file(_mechanism(9)).read_text(encoding="utf-8")
    ws.file("mechanisms/syn-900009.trig").write_text(
        body.replace("syn-000009", "syn-900009").replace("SYN-000009", "SYN-900009"), encoding="utf-8")
    sources = ws.file("sources.trig")
    entries = re.findall(r"^  src:syn-000009[\w-]* a [^\n]*\n(?:    [^\n]*\n)*",
                         sources.read_text(encoding="utf-8"), re.MULTILINE)
    assert entries
    sources.write_text(sources.read_text(encoding="utf-8") + "\nsrc:catalogue {"
                       + "".join(entries).replace("syn-000009", "syn-900009") + "}\n", encoding="utf-8")
    index = assert_updated(ws)
    assert any("syn-900009" in iri for iri in index.sources.by_iri)
    assert "https://w3id.org/neaspec-kg/id/mechanism/syn-900009" in index.mech_row


def test_several_rebuilds_without_an_index_between_them_are_one_update(synthetic: Workspace) -> None:
    """Two rebuilds in a row, the first never asked for its index: the second's index is updated from the
    base build's through both changes records."""
    ws = synthetic
    year = re.search(r'nk:established "(\d{4})"', ws.file(_mechanism(5)).read_text(encoding="utf-8"))
    assert year
    ws.edit(_mechanism(5), f'nk:established "{year[1]}"', 'nk:established "1803"')
    first, _ = ws.rebuilt()
    ws.file(_mechanism(6)).unlink()
    second, store = ws.rebuilt()
    assert second.rebuilt["base"] == first.digest
    index = cached_index(store)
    assert update.last["how"] == "updated" and update.last["base"] == first.rebuilt["base"], update.last
    assert_same_index(index, AnalysisIndex(store))


def test_a_shared_term_changed_means_a_full_extraction(synthetic: Workspace) -> None:
    """A country's label is read by every mechanism's claims: the index is extracted whole, and says so;
    a country's alternative name, which no extraction query reads, is still an update."""
    ws = synthetic
    label = re.search(r'(country:X\w\w) a nk:Country ;\s*skos:prefLabel "([^"]+)"@en',
                      ws.file("countries.trig").read_text(encoding="utf-8"))
    assert label
    ws.edit("countries.trig", f'"{label[2]}"@en', f'"{label[2]} (renamed)"@en')
    assert_extracted(ws, "a Country that every mechanism may refer to")
    ws.edit("countries.trig", f"{label[1]} a nk:Country ;", f'{label[1]} a nk:Country ; skos:altLabel "Elsewhere"@en ;')
    assert_updated(ws)


def test_a_large_change_is_extracted_whole(synthetic: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    """A change touching more than the share of mechanisms an update is worth: a full extraction, said."""
    monkeypatch.setattr(update, "MAX_SHARE", 0.0)
    monkeypatch.setattr(update, "ALWAYS_UPDATE", 0)
    ws = synthetic
    for n in (3, 4):
        year = re.search(r'nk:established "(\d{4})"', ws.file(_mechanism(n)).read_text(encoding="utf-8"))
        assert year
        ws.edit(_mechanism(n), f'nk:established "{year[1]}"', 'nk:established "1804"')
    assert_extracted(ws, "the change touches 2 of 200 mechanisms")


def test_real_data_edits_update_the_index_to_a_full_extraction(real: Workspace) -> None:
    """On the real data (facts stated by several sources, engagements within activities, a platform with its
    own coverage): a founding year, a member dropped from NEAMPAN's coverage, an engagement's status."""
    ws = real
    text = ws.file("mechanisms/eanet.trig").read_text(encoding="utf-8")
    year = re.search(r'nk:established "(\d{4})"', text)
    assert year
    ws.edit("mechanisms/eanet.trig", f'nk:established "{year[1]}"', 'nk:established "1805"')
    assert_updated(ws)

    platforms = ws.file("neaspec-platforms.trig").read_text(encoding="utf-8")
    covers = re.search(r"nk:involves ((?:country:\w+ , )+)country:\w+", platforms)
    assert covers
    first = covers[1].split(" , ")[0]
    ws.edit("neaspec-platforms.trig", f"nk:involves {first} , ", "nk:involves ")
    assert_updated(ws)

    engagements = ws.file("engagements.trig").read_text(encoding="utf-8")
    status = re.search(r"nk:engagementStatus (\w+):(realised|ongoing)", engagements)
    assert status
    ws.edit("engagements.trig", status[0], f"nk:engagementStatus {status[1]}:explored")
    assert_updated(ws)
