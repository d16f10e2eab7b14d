"""A full build validates the merge in chunks of focus nodes (neaspec_kg.validation.validate_merge) and loads the
store from N-Quads text; both must change nothing an editor or a reader sees.

Each scenario breaks the data and builds it twice: with chunks of a few dozen focus nodes (so that a node, the
values it points at and the nodes pointing at it fall into different chunks) and with the merge validated whole
(``NEASPEC_KG_SHACL_CHUNK=0``, how every build validated before). The two reports must be the same violations,
word for word, with the same files and lines. On valid data the store must hold exactly the dataset made from
the parsed files in memory (named graphs, merge, entailment)."""
from __future__ import annotations

import re
import shutil
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib

from neaspec_kg.build import _entail, _memory_store, _parse, _summarise, build
from neaspec_kg.config import PROJECT_ROOT, Paths
from neaspec_kg.errors import NeaspecKgError, ProvenanceError, ValidationError
from neaspec_kg.namespaces import ONTOLOGY_GRAPH
from neaspec_kg.validation import CHUNK_ENV, Reach, reach, validate_merge
from tests.synthetic import synthetic_data as make_synthetic

SMALL = "37"  # focus nodes per chunk: small enough that every kind of node spans several chunks
#: focus node, path, message, severity, value, shape, and (file name, line) of each location
Row = tuple[str, str | None, str, str, str | None, str | None, list[tuple[str, int | None]]]


def _report(paths: Paths, monkeypatch: pytest.MonkeyPatch, chunk: str) -> list[Row] | str:
    """What a cold build says: each violation with its files and lines, or the error's text, or 'valid'."""
    monkeypatch.setenv(CHUNK_ENV, chunk)
    try:
        build(paths, use_cache=False)
    except ValidationError as exc:
        return [(v.focus_node, v.path, v.message, v.severity, v.value, v.shape,
                 [(loc.file.name, loc.line) for loc in v.locations]) for v in exc.violations]
    except NeaspecKgError as exc:
        return f"{type(exc).__name__}: {exc}"
    return "valid"


def _same_both_ways(paths: Paths, monkeypatch: pytest.MonkeyPatch) -> list[Row]:
    chunked = _report(paths, monkeypatch, SMALL)
    whole = _report(paths, monkeypatch, "0")
    assert chunked == whole
    assert isinstance(chunked, list)
    return chunked


def _edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_synthetic(tmp_path_factory, 200, seed=5)


@pytest.fixture
def synth_copy(synthetic: Path, tmp_path: Path) -> Paths:
    shutil.copytree(synthetic, tmp_path / "data")
    return Paths(ontology_dir=PROJECT_ROOT / "ontology", data_dir=tmp_path / "data")


def test_real_data_with_defects_same_report_chunked_or_whole(data_copy: Paths,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    for f in data_copy.data_files():  # EANET loses every member (an inverse path: judged on what points at it)
        text = f.read_text(encoding="utf-8")
        f.write_text(re.sub(r"org:organization\s+mech:eanet\b", "org:organization mech:temm", text), encoding="utf-8")
    ltp = data_copy.data_dir / "mechanisms" / "ltp.trig"
    _edit(ltp, "kind:joint-research-project", "kind:joint-reserch-project")  # dangling, and no nk:MechanismKind
    _edit(ltp, "role:member", "role:nobody")  # a membership whose role is nothing typed
    report = _same_both_ways(data_copy, monkeypatch)
    messages = {message for _f, _p, message, *_ in report}
    assert any("at least one member" in m for m in messages)
    assert any("joint-reserch-project" in m for m in messages)
    assert any(m.startswith("a membership must have a role") for m in messages)
    assert all(locations for *_, locations in report)  # every violation has a file and line
    assert any(("eanet.trig", line) in locations for *_, locations in report for line in range(1, 10_000))


def test_synthetic_defects_of_every_kind_same_report(synth_copy: Paths, monkeypatch: pytest.MonkeyPatch) -> None:
    mechanisms = synth_copy.data_dir / "mechanisms"
    # a missing required property
    _edit(mechanisms / "syn-000003.trig", '    nk:acronym "SYN-000003" ;\n', "", count=-1)
    # a wrong sh:class value: a secretariat that is a governing body
    _edit(mechanisms / "syn-000007.trig", "nk:secretariat secretariat:syn-000007", "nk:secretariat body:syn-000007", -1)
    # an inverse-path violation: every membership of SYN-000012 an observer, so it has no member
    _edit(mechanisms / "syn-000012.trig", "org:role role:member", "org:role role:observer", -1)
    # a work area claimed by a second mechanism (sh:maxCount on an inverse path)
    work = re.search(r"work:syn-000013-[a-z-]+", (mechanisms / "syn-000013.trig").read_text(encoding="utf-8"))
    assert work is not None
    _edit(mechanisms / "syn-000017.trig", "    nk:secretariat secretariat:syn-000017",
          f"    nk:hasWorkArea {work.group(0)} ;\n    nk:secretariat secretariat:syn-000017")
    # a dangling reference
    _edit(mechanisms / "syn-000019.trig", "org:member country:", "org:member country:ZZ", 1)
    report = _same_both_ways(synth_copy, monkeypatch)
    by_node = Counter(focus.rsplit("/", 1)[-1] for focus, *_ in report)
    assert by_node["syn-000003"] >= 1  # no acronym
    assert any(focus.endswith("mechanism/syn-000007") and "nk:Secretariat" in message
               for focus, _p, message, *_ in report)
    assert any(focus.endswith("mechanism/syn-000012") and "at least one member" in message
               for focus, _p, message, *_ in report)
    assert any(focus.endswith(work.group(0).split(":", 1)[1]) and "exactly one mechanism" in message
               for focus, _p, message, *_ in report)
    assert any("no file describes" in message and "country/ZZ" in message for _f, _p, message, *_ in report)
    assert {name for *_, locations in report for name, _line in locations} >= {
        "syn-000003.trig", "syn-000007.trig", "syn-000012.trig", "syn-000019.trig"}


def test_synthetic_provenance_error_is_the_same(synth_copy: Paths, monkeypatch: pytest.MonkeyPatch) -> None:
    target = synth_copy.data_dir / "mechanisms" / "syn-000023.trig"
    target.write_text(target.read_text(encoding="utf-8").replace(
        "src:syn-000023 {", "<https://example.org/made-up-source> {", 1), encoding="utf-8")
    chunked = _report(synth_copy, monkeypatch, SMALL)
    assert chunked == _report(synth_copy, monkeypatch, "0")
    assert isinstance(chunked, str) and chunked.startswith("ProvenanceError")
    assert f"{target}:" in chunked and "made-up-source" in chunked
    with pytest.raises(ProvenanceError) as info:
        build(synth_copy, use_cache=False)
    assert info.value.location.file == target and info.value.location.line is not None


def _dataset(store: ox.Store) -> tuple[set[ox.Quad], Counter[str]]:
    """The quads without blank nodes (labels differ from parse to parse), and how many with one per graph."""
    plain, blank = set(), Counter[str]()
    for q in store.quads_for_pattern(None, None, None, None):
        if isinstance(q.subject, ox.BlankNode) or isinstance(q.object, ox.BlankNode):
            blank[str(q.graph_name)] += 1
        else:
            plain.add(q)
    return plain, blank


def test_valid_synthetic_build_holds_exactly_the_parsed_dataset(synth_copy: Paths,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CHUNK_ENV, SMALL)
    graph = build(synth_copy, use_cache=False)
    onto = ox.NamedNode(ONTOLOGY_GRAPH)
    quads = [q for f in synth_copy.ontology_files() for q in _parse(f, ox.RdfFormat.TURTLE, onto)]
    for f in synth_copy.data_files():
        quads += _parse(f, ox.RdfFormat.TRIG)
    reference = _memory_store(quads + _entail(quads))
    built = graph.open_read_only()
    assert _dataset(built) == _dataset(reference)
    assert {k: graph.summary[k] for k in ("default_triples", "named_graphs", "quads")} == _summarise(reference)
    assert graph.summary["default_triples"] > 25_000


def test_nested_results_on_values_are_reported_as_a_whole_graph_run_reports_them(tmp_path: Path) -> None:
    """A value's own result under sh:node is reported once per focus node leading to it, whatever the chunk."""
    shapes = tmp_path / "shapes.ttl"
    shapes.write_text("""@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
ex:S a sh:NodeShape ; sh:targetClass ex:A ;
  sh:property [ sh:path ex:p ; sh:node ex:N ; sh:message "p must be dated" ] ;
  sh:property [ sh:path ex:q ; sh:class ex:B ; sh:message "q must be a B" ] .
ex:N a sh:NodeShape ; sh:or ( [ sh:datatype xsd:gYear ] [ sh:datatype xsd:date ] ) .
ex:T a sh:NodeShape ; sh:targetClass ex:Sub ;
  sh:property [ sh:path [ sh:inversePath ex:q ] ; sh:maxCount 1 ; sh:message "one q at most" ] .
""", encoding="utf-8")
    store = ox.Store()
    store.bulk_load(b"""@prefix ex: <http://example.org/> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:Sub rdfs:subClassOf ex:B .
ex:a1 a ex:A ; ex:p ex:shared, "1999" ; ex:q ex:b1 .
ex:a2 a ex:A ; ex:p ex:shared ; ex:q ex:b1, ex:c .
ex:a3 a ex:A ; ex:q ex:b2 .
ex:b1 a ex:Sub . ex:b2 a ex:B . ex:c a ex:Other .
""", format=ox.RdfFormat.TURTLE)
    shape_reach = reach(rdflib.Graph().parse(shapes, format="turtle"))
    assert isinstance(shape_reach, Reach) and shape_reach.inverse == {"http://example.org/Sub"}
    whole = validate_merge(store, shapes, size=0)
    assert [v.focus_node.rsplit("/", 1)[-1] for v in whole].count("shared") == 2
    assert any(v.message == "one q at most" for v in whole) and any(v.message == "q must be a B" for v in whole)
    for size in (1, 2, 3):
        assert validate_merge(store, shapes, size=size) == whole


def test_shapes_that_read_further_are_validated_whole(tmp_path: Path) -> None:
    """What the chunk's neighbourhood would not hold sends the build back to validating the merge whole."""
    head = "@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .\n"
    cases = {
        "two steps": "ex:S sh:targetClass ex:A ; sh:property [ sh:path ex:p ; sh:node ex:N ] .\n"
                     "ex:N sh:property [ sh:path ex:q ; sh:class ex:C ] .",
        "sparql": "ex:S sh:targetClass ex:A ; sh:sparql [ sh:select \"SELECT $this WHERE {}\" ] .",
        "sequence path": "ex:S sh:targetClass ex:A ; sh:property [ sh:path ( ex:p ex:q ) ; sh:minCount 1 ] .",
        "target node": "ex:S sh:targetNode ex:a ; sh:property [ sh:path ex:p ; sh:minCount 1 ] .",
        "rule": "ex:S sh:targetClass ex:A ; sh:rule [ a sh:TripleRule ] .",
        "dash": "ex:S sh:targetClass ex:A ; sh:property [ sh:path ex:p ; "
                "<http://datashapes.org/dash#uniqueValueForClass> ex:A ] .",
        "inverse further": "ex:S sh:targetClass ex:A ; sh:property [ sh:path ex:p ; "
                           "sh:node [ sh:property [ sh:path [ sh:inversePath ex:q ] ; sh:minCount 1 ] ] ] .",
    }
    for name, body in cases.items():
        assert isinstance(reach(rdflib.Graph().parse(data=head + body, format="turtle")), str), name
    real = reach(rdflib.Graph().parse(PROJECT_ROOT / "ontology" / "shapes.ttl", format="turtle"))
    assert isinstance(real, Reach)
    assert real.inverse == {"https://w3id.org/neaspec-kg/ontology#SubregionalMechanism",
                            "https://w3id.org/neaspec-kg/ontology#WorkArea"}
    # a two-step shape still gives the whole-graph report (validated whole, whatever the chunk size)
    shapes = tmp_path / "deep.ttl"
    shapes.write_text(head + cases["two steps"] + "\nex:S sh:message \"deep\" .\n", encoding="utf-8")
    store = ox.Store()
    store.bulk_load(b"<http://example.org/a> a <http://example.org/A> ; <http://example.org/p> "
                    b"<http://example.org/b> . <http://example.org/b> <http://example.org/q> <http://example.org/c> .",
                    format=ox.RdfFormat.TURTLE)
    whole = validate_merge(store, shapes, size=0)
    assert whole and validate_merge(store, shapes, size=1) == whole


def test_a_source_typed_outside_any_graph_is_reported_where_it_is_typed(data_copy: Paths) -> None:
    """A file using a source's graph comes first; the source is typed outside any graph in a later file. The
    error names that triple (as a check of every parsed file in order does), not the graph's first use."""
    source = "https://example.org/typed-outside"
    (data_copy.data_dir / "aa-uses.trig").write_text(
        f"<{source}> {{ <https://w3id.org/neaspec-kg/id/country/KOR> "
        "<http://www.w3.org/2000/01/rdf-schema#comment> \"x\" . }\n", encoding="utf-8")
    typed = data_copy.data_dir / "zz-types.trig"
    typed.write_text(f"\n<{source}> a <https://w3id.org/neaspec-kg/ontology#EditorialSource> .\n", encoding="utf-8")
    with pytest.raises(ProvenanceError, match="outside any GRAPH") as info:
        build(data_copy, use_cache=False)
    assert info.value.location.file == typed and info.value.location.line == 2
