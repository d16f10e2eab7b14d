"""bench/synth.py: synthetic data in the project's model that builds, validates and answers the analyses."""
from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pyoxigraph as ox
import pytest

from bench.synth import generate, load_vocab
from neaspec_kg.analysis import Analyst
from neaspec_kg.build import ValidatedGraph, build
from neaspec_kg.config import PROJECT_ROOT, Paths
from neaspec_kg.namespaces import ID, NK, ORG, RDF
from neaspec_kg.store import OxigraphStore
from tests.terms import value

N = 150
SEED = 7


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    out = tmp_path_factory.mktemp("synth")
    return out, generate(N, out, seed=SEED)


@pytest.fixture(scope="module")
def graph(synth: tuple[Path, dict[str, int]]) -> ValidatedGraph:
    """Raises (with every violation) unless provenance and SHACL pass."""
    return build(Paths(ontology_dir=PROJECT_ROOT / "ontology", data_dir=synth[0]), use_cache=False)


def _objects_by_subject(graph: ValidatedGraph, predicate: str, subject_type: str | None = None) -> dict[str, set[str]]:
    typed = {value(q.subject) for q in graph.quads
             if q.predicate.value == RDF + "type" and value(q.object) == subject_type} if subject_type else None
    out: dict[str, set[str]] = defaultdict(set)
    for q in graph.quads:
        if q.predicate.value == predicate and (typed is None or value(q.subject) in typed):
            out[value(q.subject)].add(value(q.object))
    return out


def test_layout_and_determinism(synth: tuple[Path, dict[str, int]], tmp_path: Path) -> None:
    out, summary = synth
    files = _files(out)
    assert {"sources.trig", "countries.trig", "organisations.trig"} <= set(files)
    assert sum(1 for f in files if f.startswith("mechanisms/")) == N
    assert summary["mechanisms"] == N
    again = tmp_path / "again"
    generate(N, again, seed=SEED)
    assert _files(again) == files, "same seed must give the same bytes"
    other = tmp_path / "other"
    generate(N, other, seed=SEED + 1)
    assert _files(other) != files, "another seed must give other data"


def test_builds_and_validates(graph: ValidatedGraph) -> None:
    mechanisms = {value(q.subject) for q in graph.quads
                  if q.predicate.value == RDF + "type" and value(q.object) == NK + "Mechanism"}
    assert len(mechanisms) == N  # subregional ones too, through the entailed superclass type
    countries = {value(q.subject) for q in graph.quads
                 if q.predicate.value == RDF + "type" and value(q.object) == NK + "Country"}
    assert len(countries) == 195
    ontology = sum(1 for q in graph.quads if q.graph_name == ox.NamedNode("https://w3id.org/neaspec-kg/ontology"))
    per_mechanism = (len(graph.quads) - ontology) / N
    assert 180 <= per_mechanism <= 320, per_mechanism


def test_distribution(graph: ValidatedGraph) -> None:
    members: dict[str, set[str]] = defaultdict(set)
    for ms, orgs in _objects_by_subject(graph, ORG + "organization", NK + "Membership").items():
        for o in orgs:
            members[o].add(ms)
    work = _objects_by_subject(graph, NK + "hasWorkArea")
    mechanisms = sorted(work)
    assert len(mechanisms) == N
    assert all(2 <= len(members[m]) <= 15 for m in mechanisms), "2-15 memberships per mechanism"
    assert all(1 <= len(work[m]) <= 6 for m in mechanisms), "1-6 work areas per mechanism"
    assert max(len(members[m]) for m in mechanisms) > 8 and max(len(work[m]) for m in mechanisms) > 3

    # work areas hang on the real thesaurus: focus areas mostly, a theme now and then
    vocab = load_vocab(PROJECT_ROOT / "ontology")
    concepts = {ID + "focus/" + c.slug: c for c in vocab.concepts}
    foci = [f for fs in _objects_by_subject(graph, NK + "focus", NK + "WorkArea").values() for f in fs]
    assert all(f in concepts for f in foci)
    assert sum(not concepts[f].is_theme for f in foci) > 0.7 * len(foci)
    modalities = {m for ms in _objects_by_subject(graph, NK + "modality", NK + "WorkArea").values() for m in ms}
    assert modalities <= {ID + "modality/" + m for m in vocab.modalities} and len(modalities) > 5

    engaging = {p for ps in _objects_by_subject(graph, NK + "engagingParty").values() for p in ps}
    assert 0.04 * N <= len(engaging) <= 0.2 * N, f"about 10% of mechanisms engage others, got {len(engaging)}"
    counterparts = {c for cs in _objects_by_subject(graph, NK + "counterpart").values() for c in cs}
    assert counterparts <= set(mechanisms)

    # the rest of the model is there too
    def typed(cls: str) -> set[str]:
        return {value(q.subject) for q in graph.quads
                if q.predicate.value == RDF + "type" and value(q.object) == NK + cls}
    for cls in ("StrategicPlan", "ProgrammeArea", "PlannedActivity", "Platform", "Proposal", "Engagement"):
        assert typed(cls), f"no nk:{cls}"
    since = {q.object.datatype.value.rsplit("#", 1)[-1] for q in graph.quads
             if q.predicate.value == NK + "since" and isinstance(q.object, ox.Literal)}
    assert since == {"gYear", "date"}
    # every fact sits in the graph of a catalogued source (the build checks it; here: more than one per mechanism)
    assert len(graph.graph_names) > 2 * N


def test_analyses_answer(graph: ValidatedGraph) -> None:
    analyst = Analyst(OxigraphStore(graph))
    pairs = analyst.duplication(limit=5)
    assert len(pairs.pairs) == 5
    # the bounded searches give exactly the exhaustive ranking on a generated graph too
    from neaspec_kg.analysis.duplication import duplication

    ix = analyst.index
    assert pairs.pairs == duplication(ix, limit=5, exhaustive=True).pairs
    for m in ix.mechanisms[::15]:
        assert duplication(ix, mechanism=m, limit=5, include_related=True).pairs == \
            duplication(ix, mechanism=m, limit=5, include_related=True, exhaustive=True).pairs
    # and overlap finds what the plain SPARQL reference finds, concept by concept
    from neaspec_kg.analysis.overlap import overlap
    from neaspec_kg.graph import select

    for concept in list(ix.thesaurus.concepts.values())[::4]:
        got = {m.mechanism.iri for m in overlap(ix, [concept], include_related=True).mechanisms}
        want = {r["mechanism"].value for r in select(analyst.store, "mechanisms-working-on",
                                                     {"focus": [concept.iri]})}
        assert got == want, concept.id
    assert all(p.explanation for p in pairs.pairs)
    air = analyst.overlap("air quality", include_related=True)
    assert air.mechanisms and all(m.mechanism.id.startswith("syn-") for m in air.mechanisms)
    assert analyst.proposals().count > 0
