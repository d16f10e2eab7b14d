"""Incremental rebuilds (neaspec_kg.incremental) give exactly what a full build gives.

Each scenario edits the data of a build that is cached, rebuilds incrementally, and compares with a full build
of the same files made without the cache: the same quads in every graph (the merge and the entailment graph
included) and the same summary when the data is valid; the same violations, word for word with file and line,
when it is not; and nothing new in the cache after a refusal. Run on the real data (which states one fact in
two files) and on a synthetic graph of 150 mechanisms (bench/synth.py)."""
from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from neaspec_kg import incremental
from neaspec_kg.build import STORE_SUFFIX, ValidatedGraph, _memory_store, _summarise, build
from neaspec_kg.cli import main
from neaspec_kg.config import PROJECT_ROOT
from neaspec_kg.errors import NeaspecKgError
from tests.synthetic import Workspace as BaseWorkspace
from tests.synthetic import synthetic_data as make_synthetic
from tests.synthetic import workspace


def _without_blank_nodes(quads: Iterator[ox.Quad]) -> tuple[set[ox.Quad], int]:
    """The quads without blank nodes, and how many have one (blank node labels differ from parse to parse;
    only the ontology's RDF lists have them)."""
    plain, blank = set(), 0
    for q in quads:
        if isinstance(q.subject, ox.BlankNode) or isinstance(q.object, ox.BlankNode):
            blank += 1
        else:
            plain.add(q)
    return plain, blank


class Workspace(BaseWorkspace):
    def reference(self) -> ValidatedGraph | NeaspecKgError:
        try:
            return build(self.paths, use_cache=False)
        except NeaspecKgError as exc:
            return exc

    def stores(self) -> set[str]:
        return {p.name for p in self.cache.glob(f"*{STORE_SUFFIX}")}


def _workspace(tmp: Path, data: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    ws = Workspace(workspace(tmp, data, monkeypatch), tmp / "cache")
    assert build(ws.paths).how == "full"
    return ws


@pytest.fixture(scope="module")
def synthetic_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_synthetic(tmp_path_factory, 150, seed=11)


@pytest.fixture
def real(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    return _workspace(tmp_path, PROJECT_ROOT / "data", monkeypatch)


@pytest.fixture
def synthetic(tmp_path: Path, synthetic_data: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    return _workspace(tmp_path, synthetic_data, monkeypatch)


def assert_same_as_full(ws: Workspace) -> ValidatedGraph:
    """Rebuild incrementally and hold the result to a full build of the same files."""
    reference = ws.reference()
    assert isinstance(reference, ValidatedGraph), f"the edit should leave the data valid: {reference}"
    rebuilt = build(ws.paths)
    assert rebuilt.how == "incremental", incremental.last_reason
    full_store = _memory_store(reference.quads)
    got = _without_blank_nodes(rebuilt.open_read_only().quads_for_pattern(None, None, None, None))
    want = _without_blank_nodes(full_store.quads_for_pattern(None, None, None, None))
    assert got[1] == want[1]
    assert got[0] == want[0], (f"missing {sorted(map(str, want[0] - got[0]))[:3]}, "
                               f"extra {sorted(map(str, got[0] - want[0]))[:3]}")
    expected = _summarise(full_store)
    assert {k: rebuilt.summary[k] for k in expected} == expected
    assert {g.value for g in rebuilt.open_read_only().named_graphs()} == set(expected["named_graphs"])
    return rebuilt


def assert_refused_as_full(ws: Workspace, expected_words: str) -> None:
    """Rebuild incrementally: refused with the full build's violations (file and line), nothing cached."""
    reference = ws.reference()
    assert isinstance(reference, NeaspecKgError), "the edit should make the data invalid"
    before = ws.stores()
    with pytest.raises(NeaspecKgError) as caught:
        build(ws.paths)
    assert type(caught.value) is type(reference)
    got = sorted(str(v) for v in getattr(caught.value, "violations", [caught.value]))
    want = sorted(str(v) for v in getattr(reference, "violations", [reference]))
    assert got == want
    assert expected_words in str(caught.value)
    assert ws.stores() == before  # nothing half-made is kept, or could be served



def _mechanism(ws: Workspace, n: int) -> str:
    return f"mechanisms/syn-{n:06d}.trig"


def test_synthetic_valid_edits_rebuild_to_the_full_builds_graph(synthetic: Workspace) -> None:
    """A changed year, a work area dropped, a mechanism file removed and added back under new ids, a
    membership moved from one mechanism to another: one file or two each, each the full build's graph."""
    ws = synthetic
    first = _mechanism(ws, 4)
    text = ws.file(first).read_text(encoding="utf-8")
    year = re.search(r'nk:established "(\d{4})"', text)
    assert year
    ws.edit(first, f'nk:established "{year[1]}"', 'nk:established "1801"')
    one = assert_same_as_full(ws)
    assert one.rebuilt["changed_files"] == [first] and one.rebuilt["focus_nodes"] >= 1

    second = _mechanism(ws, 9)
    body = ws.file(second).read_text(encoding="utf-8")
    ws.file(second).unlink()
    gone = assert_same_as_full(ws)
    assert gone.rebuilt["removed_files"] == [second] and gone.rebuilt["quads_removed"] > 50

    copy = body.replace("syn-000009", "syn-900009").replace("SYN-000009", "SYN-900009")
    ws.file("mechanisms/syn-900009.trig").write_text(copy, encoding="utf-8")
    sources = ws.file("sources.trig")
    entries = re.findall(r"^  src:syn-000009[\w-]* a [^\n]*\n(?:    [^\n]*\n)*", sources.read_text(encoding="utf-8"),
                         re.MULTILINE)
    assert entries, "the synthetic catalogue entries of the removed mechanism's sources"
    sources.write_text(sources.read_text(encoding="utf-8") + "\nsrc:catalogue {"
                       + "".join(entries).replace("syn-000009", "syn-900009") + "}\n", encoding="utf-8")
    back = assert_same_as_full(ws)
    assert sorted(back.rebuilt["changed_files"]) == ["mechanisms/syn-900009.trig", "sources.trig"]


def test_synthetic_invalid_edits_are_refused_with_the_full_builds_report(synthetic: Workspace) -> None:
    """A country retyped (every membership naming it, in other files, breaks), a reference to a work area no
    file describes, a required property misspelt: refused like a full build, and the next valid edit is still
    rebuilt from the last valid build."""
    ws = synthetic
    countries = ws.file("countries.trig").read_text(encoding="utf-8")
    code = re.search(r"country:(X\w\w) a nk:Country", countries)
    assert code
    ws.edit("countries.trig", f"country:{code[1]} a nk:Country", f"country:{code[1]} a nk:Organisation")
    assert_refused_as_full(ws, "a membership must name exactly one country")
    ws.file("countries.trig").write_text(countries, encoding="utf-8")

    first = _mechanism(ws, 4)
    text = ws.file(first).read_text(encoding="utf-8")
    area = re.search(r"nk:hasWorkArea (work:[\w-]+)", text)
    assert area
    ws.edit(first, f"nk:hasWorkArea {area[1]}", "nk:hasWorkArea work:nowhere")
    assert_refused_as_full(ws, "which no file describes")
    ws.file(first).write_text(text, encoding="utf-8")

    host = re.search(r"nk:hostedBy (agent:[\w-]+)", text)
    assert host
    ws.edit(first, f"nk:hostedBy {host[1]}", f"nk:hostedBy country:{code[1]}")  # a country hosts no secretariat
    assert_refused_as_full(ws, "Violation")
    ws.file(first).write_text(text, encoding="utf-8")
    assert build(ws.paths).how == "cached"
    ws.edit(first, 'skos:altLabel "SYN-000004 cooperation"@en', 'skos:altLabel "SYN-000004 co-operation"@en')
    assert_same_as_full(ws)


def test_real_data_fact_stated_in_two_files_stays_when_one_drops_it(real: Workspace) -> None:
    """NEASPEC's founding year (1993) is stated in paragraph 1's graph by two files; dropping it from one
    keeps it (the other still states it), dropping it from both takes it out."""
    ws = real
    founded = '  mech:neaspec nk:established "1993"^^xsd:gYear ;\n    dcterms:description "NEASPEC was established'
    ws.edit("neaspec-platforms.trig", founded, '  mech:neaspec dcterms:description "NEASPEC was established')
    kept = assert_same_as_full(ws)
    quad = ox.Quad(ox.NamedNode("https://w3id.org/neaspec-kg/id/mechanism/neaspec"),
                   ox.NamedNode("https://w3id.org/neaspec-kg/ontology#established"),
                   ox.Literal("1993", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#gYear")),
                   ox.NamedNode("https://w3id.org/neaspec-kg/id/source/neaspec-nfp2-1-para-1"))
    assert quad in kept.open_read_only()
    ws.edit("mechanisms/neaspec.trig",
            'src:neaspec-nfp2-1-para-1 {\n  mech:neaspec nk:established "1993"^^xsd:gYear .\n}', "")
    dropped = assert_same_as_full(ws)
    assert quad not in dropped.open_read_only()


def test_real_data_source_taken_out_of_the_catalogue_is_refused(real: Workspace) -> None:
    ws = real
    text = ws.file("sources.trig").read_text(encoding="utf-8")
    entry = re.search(r"\n  src:neaspec-nfp2-1-para-1 a nk:DocumentPart[^.]*\.\n", text)
    assert entry
    ws.file("sources.trig").write_text(text.replace(entry[0], "\n"), encoding="utf-8")
    assert_refused_as_full(ws, "is not a catalogued source")


def test_full_build_when_the_schema_changes_or_ci_asks(real: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = real
    ws.edit("mechanisms/eanet.trig", "EANET", "EANET", 1)  # no change: cached
    assert build(ws.paths).how == "cached"
    shapes = ws.paths.shapes
    shapes.write_text(shapes.read_text(encoding="utf-8") + "\n# a comment\n", encoding="utf-8")
    assert build(ws.paths).how == "full"
    assert "shapes" in incremental.last_reason

    text = ws.file("organisations.trig").read_text(encoding="utf-8")
    ws.file("organisations.trig").write_text(text + "\n# edited\n", encoding="utf-8")
    monkeypatch.setenv("CI", "true")
    assert build(ws.paths).how == "full"
    ws.file("organisations.trig").write_text(text + "\n# edited again\n", encoding="utf-8")
    monkeypatch.delenv("CI")
    assert build(ws.paths, full=True).how == "full"


def test_blank_nodes_in_a_changed_file_mean_a_full_build(real: Workspace) -> None:
    ws = real
    path = ws.file("organisations.trig")
    path.write_text(path.read_text(encoding="utf-8")
                    + "\nsrc:catalogue { src:catalogue rdfs:seeAlso [ rdfs:label \"a note\"@en ] . }\n",
                    encoding="utf-8")
    assert isinstance(ws.reference(), ValidatedGraph)
    assert build(ws.paths).how == "full"
    assert incremental.last_reason == "a changed file has blank nodes"


def test_cli_validate_says_what_it_rebuilt(real: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    ws = real
    args = ["--ontology-dir", str(ws.paths.ontology_dir), "--data-dir", str(ws.paths.data_dir)]
    ws.edit("mechanisms/temm.trig", "TEMM", "TEMM", 1)
    text = ws.file("mechanisms/temm.trig").read_text(encoding="utf-8")
    ws.file("mechanisms/temm.trig").write_text(text + "\n# reviewed\n", encoding="utf-8")
    assert main([*args, "validate"]) == 0
    out = capsys.readouterr().out
    assert "incremental: 1 changed and 0 removed data files re-checked" in out
    assert "validate --full" in out
    ws.file("mechanisms/temm.trig").write_text(text + "\n# reviewed twice\n", encoding="utf-8")
    assert main([*args, "validate", "--full"]) == 0
    out = capsys.readouterr().out
    assert "valid:" in out and "incremental:" not in out


def test_a_mechanism_is_checked_again_when_only_its_memberships_change(real: Workspace) -> None:
    """YSLME's shape follows org:organization backwards (a subregional mechanism needs a member): when every
    membership becomes an observer's, only the memberships' triples change, and YSLME must still be judged."""
    real.edit("mechanisms/yslme.trig", "org:role role:member", "org:role role:observer", count=100)
    assert_refused_as_full(real, "a subregional mechanism must have at least one member")


def test_two_spellings_of_one_number_are_one_fact(real: Workspace) -> None:
    """The store holds a number in its canonical form ("01" and "1" are one integer): when one of two files
    stating it goes, the other still states it."""
    header = real.file("note-proposals-and-judgements.trig").read_text(encoding="utf-8").split(
        "src:neaspec-nfp2-1-para-21 {")[0]
    for name, spelling in (("extra-a.trig", '"01"'), ("extra-b.trig", '"1"')):
        real.file(name).write_text(header + "src:neaspec-nfp2-1-para-21 { proposal:p21-01 nk:weight "
                                   f"{spelling}^^xsd:integer . }}\n", encoding="utf-8")
    assert build(real.paths, full=True).how == "full"
    real.file("extra-a.trig").unlink()
    kept = assert_same_as_full(real)
    weight = ox.NamedNode("https://w3id.org/neaspec-kg/ontology#weight")
    assert len(list(kept.open_read_only().quads_for_pattern(None, weight, None, ox.DefaultGraph()))) == 1


def test_a_full_validation_checks_an_incremental_store_again(real: Workspace,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """`validate --full` and CI do not take a store an incremental rebuild made on trust: they build it
    again, and afterwards it is an ordinary cached build."""
    text = real.file("mechanisms/temm.trig").read_text(encoding="utf-8")
    real.file("mechanisms/temm.trig").write_text(text + "\n# reviewed\n", encoding="utf-8")
    assert build(real.paths).how == "incremental"
    again = build(real.paths, full=True)
    assert again.how == "full" and "made" not in again.summary
    assert build(real.paths).how == "cached"
    real.file("mechanisms/temm.trig").write_text(text + "\n# reviewed twice\n", encoding="utf-8")
    assert build(real.paths).how == "incremental"
    monkeypatch.setenv("CI", "true")
    assert build(real.paths).how == "full"


def test_a_source_lost_from_the_catalogue_is_reported_where_a_full_build_reports_it(real: Workspace) -> None:
    """Section III's YSLME paragraph stops being a catalogued source while yslme.trig (which uses its graph)
    is also edited: the first file, in the folder's order, that states something in the graph is named
    (engagements.trig), not the edited file, nor a file that only mentions the graph in a comment."""
    real.edit("sources.trig", "src:neaspec-nfp2-1-s3-yslme a nk:DocumentPart", "src:neaspec-nfp2-1-s3-yslme a nk:Note")
    text = real.file("mechanisms/yslme.trig").read_text(encoding="utf-8")
    real.file("mechanisms/yslme.trig").write_text(text + "\n# edited\n", encoding="utf-8")
    assert_refused_as_full(real, "engagements.trig")


def test_every_store_is_closed_before_it_is_sealed(real: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    """The seal records the sizes of the store's files; a store still open (a Python object still refers to
    it) can go on compacting after it, and the next rebuild then finds its base "damaged" and builds
    everything again (seen at 10,000 mechanisms on the second edit). At the seal RocksDB's lock must be free,
    for the full build and for the incremental one, and a second rebuild must be incremental."""
    from neaspec_kg import build as build_module

    sealed: list[str] = []
    finish = build_module.finish_store

    def seal_closed(tmp: Path, *args: object, **kwargs: object) -> object:
        ox.Store(str(tmp))  # raises OSError (the lock is held) if any handle on the store is still open
        sealed.append(tmp.name)
        return finish(tmp, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(build_module, "finish_store", seal_closed)
    monkeypatch.setattr(incremental, "finish_store", seal_closed)
    assert build(real.paths, use_cache=False).how == "full"  # a full build of its own (the fixture made one)
    for edit in ("first", "second"):
        with real.file("mechanisms/neaspec.trig").open("a", encoding="utf-8") as f:
            f.write(f"# the {edit} edit\n")
        assert build(real.paths).how == "incremental", incremental.last_reason
    assert len(sealed) == 3
