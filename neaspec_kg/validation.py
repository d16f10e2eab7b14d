"""SHACL validation, turned into ``Violation`` objects an editor can act on.

Two engines with one report format: pyshacl-turbo (a Rust engine with pySHACL's API, which reads the
pyoxigraph store directly) is the default because it is several times faster on our data (1,000 generated
mechanisms: 1.8 s against 12.3 s for the conversion to rdflib and pySHACL, measured in ``bench/scale.py``);
pySHACL remains available (``NEASPEC_KG_SHACL=pyshacl``) as the reference, and a test holds the two to the
same violations on broken data.

A full build validates the merge in bounded chunks of focus nodes (``validate_merge``): the engines copy
whatever they validate into their own memory, which for the whole merge at 100,000 mechanisms is many
gigabytes. Each chunk is validated on the neighbourhood that SHACL reads around its focus nodes (derived from
the shapes by ``reach``), and only results about the chunk's own focus nodes are kept, so the union is the
whole-graph report. Shapes that read further than that neighbourhood are validated whole, as before.

A chunk's data comes from the files themselves where it can (``FileSpans``): reading a statement back from the
on-disk store costs about 10 microseconds (each term is looked up in RocksDB), which at 100,000 mechanisms
made reading neighbourhoods back the largest part of a build. So a chunk is a run of consecutive input files
parsed again into memory (in Rust, no Python object per statement); what SHACL reads around the chunk's focus
nodes that those files may not hold (values described in other files, nodes pointing at a node from other
files, nodes some other file also describes) is then read from the store, a few statements per chunk."""
from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyoxigraph as ox
import pyshacl
import rdflib
from rdflib.namespace import RDF, RDFS, SH

from neaspec_kg.errors import Violation


def _n3(term: rdflib.term.Node | None) -> str | None:
    if term is None:
        return None
    if isinstance(term, rdflib.URIRef):
        return str(term)
    if isinstance(term, rdflib.BNode):
        return "[]"
    if isinstance(term, rdflib.Literal) and term.datatype == rdflib.XSD.string:  # RDF 1.1: the same literal
        return rdflib.Literal(str(term)).n3()
    return term.n3()


def to_rdflib(quads: Iterable[ox.Quad]) -> rdflib.Graph:
    """The RDF merge of the quads as an rdflib Graph (what pySHACL and rdflib tooling take)."""
    triples = (ox.Triple(q.subject, q.predicate, q.object) for q in quads)
    data = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""
    return rdflib.Graph().parse(data=data, format="nt")


ENGINES = ("turbo", "pyshacl")


def default_engine() -> str:
    engine = os.environ.get("NEASPEC_KG_SHACL", "turbo")
    if engine not in ENGINES:
        raise ValueError(f"NEASPEC_KG_SHACL must be one of {', '.join(ENGINES)}, not {engine!r}")
    return engine


def run_shacl(quads: Iterable[ox.Quad] | ox.Store, shapes_path: Path, engine: str | None = None) -> list[Violation]:
    """Validate the RDF merge of ``quads`` (data + ontology, so subclass targets work), or of every graph of
    a store (pyshacl-turbo reads the union of a pyoxigraph store's graphs in place, on disk or in memory, so
    a build need not hold its quads in memory to validate them)."""
    return _validate(quads, rdflib.Graph().parse(shapes_path, format="turtle"), engine or default_engine())


def _validate(quads: Iterable[ox.Quad] | ox.Store, shapes: rdflib.Graph, engine: str,
              focus: list[str] | None = None) -> list[Violation]:
    """The violations ``engine`` finds; with ``focus`` (pyshacl-turbo only), those found in validating only these
    focus nodes, their nested checks included (a value's own result under ``sh:node`` is reported once per
    focus node that leads to it, as a whole-graph validation reports it)."""
    if engine == "turbo":
        import pyshacl_turbo

        if isinstance(quads, ox.Store):
            data = quads
        else:
            data = ox.Store()
            data.bulk_extend(ox.Quad(q.subject, q.predicate, q.object, ox.DefaultGraph()) for q in quads)
        conforms, report, _text = pyshacl_turbo.validate(
            data, shacl_graph=shapes, inference="none", advanced=True, allow_warnings=True, focus_nodes=focus)
    else:
        assert focus is None, "only pyshacl-turbo validates given focus nodes as a whole-graph run does"
        if isinstance(quads, ox.Store):
            quads = quads.quads_for_pattern(None, None, None, None)
        conforms, report, _text = pyshacl.validate(
            to_rdflib(quads), shacl_graph=shapes, inference="none", advanced=True, allow_warnings=True)
    if conforms:
        return []
    out: list[Violation] = []
    for result in report.subjects(rdflib.RDF.type, SH.ValidationResult):
        if isinstance(report.value(result, SH.focusNode), rdflib.Literal):
            # the detail of a node shape checked on a value (nks:yearOrDate on "sometime"): the enclosing
            # violation is reported too, in our words and on the subject an editor can find; engines word and
            # count these details differently, so they are left out
            continue
        severity = report.value(result, SH.resultSeverity)
        messages = [str(m) for m in report.objects(result, SH.resultMessage)]
        path = report.value(result, SH.resultPath)
        out.append(
            Violation(
                focus_node=str(report.value(result, SH.focusNode)),
                path=_n3(path) if isinstance(path, rdflib.URIRef) else (None if path is None else "(complex path)"),
                message="; ".join(messages) or "does not conform",
                severity=str(severity).rsplit("#", 1)[-1] if severity else "Violation",
                value=_n3(report.value(result, SH.value)),
                shape=_n3(report.value(result, SH.sourceShape)),
            )
        )
    out.sort(key=violation_order)
    return out


def violation_order(v: Violation) -> tuple[str, str, str, str, str, str]:
    """A total order on violations, so that a report is the same whichever order the engine found them in
    (whole graph or chunk by chunk)."""
    return (v.focus_node, v.path or "", v.message, v.value or "", v.shape or "", v.severity)


# --------------------------------------------------------------------------- validation in chunks

#: focus nodes per chunk (``NEASPEC_KG_SHACL_CHUNK``; 0 validates the merge whole)
CHUNK_ENV = "NEASPEC_KG_SHACL_CHUNK"
DEFAULT_CHUNK = 2_000

#: parameters that only look at a value term itself (or at the list of values a path already gave)
_TERM_PARAMS = {SH[n] for n in (
    "datatype", "nodeKind", "pattern", "flags", "languageIn", "in", "hasValue", "minLength", "maxLength",
    "minInclusive", "maxInclusive", "minExclusive", "maxExclusive", "minCount", "maxCount", "uniqueLang",
    "qualifiedMinCount", "qualifiedMaxCount")}
#: what says nothing about the data (names, messages, targets by class: handled by the focus nodes)
_META_PARAMS = {SH[n] for n in (
    "message", "severity", "deactivated", "name", "description", "order", "group", "defaultValue",
    "targetClass", "path")} | {RDF.type, RDFS.label, RDFS.comment}
#: parameters naming one or more shapes checked on the same node (sh:node, logic) or on each value
_SHAPE_PARAMS = {SH.node, SH["not"], SH.qualifiedValueShape, SH.property}
_LIST_PARAMS = {SH["and"], SH["or"], SH.xone}
_DASH = "http://datashapes.org/dash#"
#: compare a node's values of one path with its values of another predicate
_PAIR_PARAMS = {SH.equals, SH.disjoint, SH.lessThan, SH.lessThanOrEquals}


@dataclass(frozen=True)
class Reach:
    """What SHACL reads around a focus node under given shapes, when that is a bounded neighbourhood: the
    node's own statements; for instances of ``inverse`` classes also the statements pointing at them; and,
    of every node one step away (either way), its statements with a predicate in ``near`` (None: all).
    Class membership reads ``rdf:type`` and ``rdfs:subClassOf``; every subclass statement is added to
    every chunk. ``targets``: the classes of the focus nodes."""

    targets: frozenset[str]
    inverse: frozenset[str]
    near: frozenset[str] | None


def reach(shapes: rdflib.Graph) -> Reach | str:
    """The neighbourhood the shapes read (``Reach``), or why it is not bounded by one step (then the merge is
    validated whole): a SPARQL constraint or target, a target other than a class, an implicit class target,
    a path other than a predicate or a single inverse step, an inverse step or a class check further than
    the focus node's own values, a custom constraint component, or a parameter this analysis does not know."""
    for kind in (SH.SPARQLConstraint, SH.ConstraintComponent, SH.SPARQLTarget, SH.SPARQLTargetType,
                 SH.JSConstraint, SH.TargetType):
        if (None, RDF.type, kind) in shapes:
            return f"the shapes declare a {kind.split('#')[-1]}"
    for param in (SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.target, SH.sparql):
        if (None, param, None) in shapes:
            return f"the shapes use sh:{param.split('#')[-1]}"
    for cls in (RDFS.Class, rdflib.OWL.Class):
        if any((s, RDF.type, cls) in shapes for s in shapes.subjects(RDF.type, SH.NodeShape)):
            return "a shape is also a class (an implicit class target)"
    if any(shapes.objects(None, SH.qualifiedValueShapesDisjoint)):
        return "the shapes use sh:qualifiedValueShapesDisjoint"
    near: set[str] | None = {str(RDF.type)}
    inverse: set[str] = set()
    targets: set[str] = set()
    seen: set[tuple[rdflib.term.Node, int, frozenset[str]]] = set()

    def fail(why: str) -> None:
        raise _Unbounded(why)

    def read(depth: int, predicate: str | None) -> None:
        """The node at ``depth`` is read for ``predicate`` (None: all of its statements)."""
        nonlocal near
        if depth >= 2:
            fail("a shape reads a node two steps from its focus node")
        if depth == 1:
            if predicate is None:
                near = None
            elif near is not None:
                near.add(predicate)

    def shape(node: rdflib.term.Node, depth: int, roots: frozenset[str]) -> None:
        """``node`` (a node or property shape) is checked on a node at ``depth`` from the focus node."""
        if (node, depth, roots) in seen:
            return
        seen.add((node, depth, roots))
        is_property = (node, SH.path, None) in shapes
        value_depth = depth
        if is_property:
            path = shapes.value(node, SH.path)
            if isinstance(path, rdflib.URIRef):
                read(depth, str(path))
            elif path is not None and isinstance(shapes.value(path, SH.inversePath), rdflib.URIRef) \
                    and len(set(shapes.predicate_objects(path))) == 1:
                if depth > 0:
                    fail("an inverse path is followed from a node other than the focus node")
                inverse.update(roots)
            else:
                fail("a shape has a path other than a predicate or one inverse step")
            value_depth = depth + 1
        for param, value in shapes.predicate_objects(node):
            if param in _META_PARAMS or param in _TERM_PARAMS:
                continue
            if param == SH["class"]:
                read(value_depth, str(RDF.type))
            elif param in _SHAPE_PARAMS:
                shape(value, depth if param == SH.property and not is_property else value_depth, roots)
            elif param in _LIST_PARAMS:
                for member in rdflib.collection.Collection(shapes, value):
                    shape(member, value_depth, roots)
            elif param in _PAIR_PARAMS and isinstance(value, rdflib.URIRef):
                read(depth, str(value))
            elif param in (SH.closed, SH.ignoredProperties):
                read(depth, None)
            elif str(param).startswith((str(SH), _DASH)):  # DASH constraints (advanced mode) may read anywhere
                fail(f"the shapes use {param}")

    try:
        for root in set(shapes.subjects(SH.targetClass)):
            classes = frozenset(str(c) for c in shapes.objects(root, SH.targetClass))
            targets.update(classes)
            shape(root, 0, classes)
    except _Unbounded as exc:
        return str(exc)
    return Reach(frozenset(targets), frozenset(inverse), None if near is None else frozenset(near))


class _Unbounded(Exception):
    pass


def chunk_size() -> int:
    """Focus nodes per chunk, from ``NEASPEC_KG_SHACL_CHUNK`` (0 or less: the whole merge at once)."""
    raw = os.environ.get(CHUNK_ENV, "").strip()
    return int(raw) if raw else DEFAULT_CHUNK


_SUB_CLASS_OF = ox.NamedNode(str(RDFS.subClassOf))
_RDF_TYPE = ox.NamedNode(str(RDF.type))


def _iri(term: ox.NamedNode) -> str:
    return f"<{term.value}>"


def _instances(store: ox.Store, classes: Iterable[str], union: bool = False) -> list[ox.NamedNode | ox.BlankNode]:
    """The nodes the merge types with any of ``classes`` (IRIs), by the POS index: no scan of the data. The
    merge is the default graph, or with ``union`` the union of every graph (a chunk's files, loaded as they
    are)."""
    values = " ".join(f"<{c}>" for c in sorted(classes))
    if not values:
        return []
    query = f"SELECT DISTINCT ?s WHERE {{ VALUES ?c {{ {values} }} ?s <{RDF.type}> ?c }}"
    rows = store.query(query, use_default_graph_as_union=True) if union else \
        store.query(query, default_graph=ox.DefaultGraph())
    assert isinstance(rows, ox.QuerySolutions)
    return [s for row in rows if isinstance(s := row["s"], (ox.NamedNode, ox.BlankNode))]


def _with_subclasses(store: ox.Store, classes: frozenset[str]) -> set[str]:
    """``classes`` and every class the merge makes a subclass of one of them, at any depth."""
    sub: dict[str, set[str]] = {}
    for q in store.quads_for_pattern(None, _SUB_CLASS_OF, None, ox.DefaultGraph()):
        if isinstance(q.subject, ox.NamedNode) and isinstance(q.object, ox.NamedNode):
            sub.setdefault(q.object.value, set()).add(q.subject.value)
    out, stack = set(classes), list(classes)
    while stack:
        for s in sub.get(stack.pop(), ()):
            if s not in out:
                out.add(s)
                stack.append(s)
    return out


def _neighbourhood_queries(focus: list[ox.NamedNode], inverse: list[ox.NamedNode],
                           near: frozenset[str] | None) -> list[str]:
    """CONSTRUCT queries for what SHACL reads around ``focus`` (see ``Reach``). Each step is a join from the
    named nodes with a constant predicate, which the query planner walks by index from those nodes; a join on
    a variable predicate (``VALUES ?p``) makes it scan every statement of those predicates (4x slower). A node
    one step away may come once per node pointing at it: the chunk's store keeps each triple once."""
    nodes = " ".join(map(_iri, focus))
    queries = [f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ VALUES ?s {{ {nodes} }} ?s ?p ?o }}"]
    if inverse:
        pointed = " ".join(map(_iri, inverse))
        queries.append(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ VALUES ?o {{ {pointed} }} ?s ?p ?o }}")
    for values, step in [(nodes, "?n ?q ?s . FILTER(!isLiteral(?s))"),
                         *([(" ".join(map(_iri, inverse)), "?s ?q ?n .")] if inverse else [])]:
        if near is None:
            queries.append(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ VALUES ?n {{ {values} }} {step} ?s ?p ?o }}")
        else:
            queries += [f"CONSTRUCT {{ ?s <{p}> ?o }} WHERE {{ VALUES ?n {{ {values} }} {step} ?s <{p}> ?o }}"
                        for p in sorted(near)]
    return queries


@dataclass(frozen=True)
class Chunk:
    """Focus nodes validated together (IRIs, in order), those of them judged on what points at them too, and
    the reach of the shapes; ``neighbourhood`` reads what SHACL needs of them from the store."""

    focus: list[ox.NamedNode]
    inverse: list[ox.NamedNode]
    near: frozenset[str] | None

    def neighbourhood(self, store: ox.Store, hierarchy: bytes) -> bytes:
        """The chunk's neighbourhood in the merge of ``store``, after ``hierarchy``, as N-Triples."""
        body = [hierarchy]
        for query in _neighbourhood_queries(self.focus, self.inverse, self.near):
            triples = store.query(query, default_graph=ox.DefaultGraph())
            assert isinstance(triples, ox.QueryTriples)
            body.append(triples.serialize(format=ox.RdfFormat.N_TRIPLES) or b"")
        return b"".join(body)


def chunks(store: ox.Store, shape_reach: Reach, size: int, prefixes: set[str]) -> tuple[list[Chunk], bytes] | None:
    """The focus nodes of the merge in ``store`` (its default graph) in chunks of ``size`` (in IRI order, so
    that a chunk's nodes share neighbours), and every subclass statement of the merge as N-Triples; None if a
    focus node cannot be named to the engine (a blank node, which a SPARQL query cannot name either, or an
    IRI whose scheme the shapes bind as a prefix, which the engine would expand)."""
    focus = _instances(store, _with_subclasses(store, shape_reach.targets))
    if any(not isinstance(n, ox.NamedNode) or n.value.partition(":")[0] in prefixes for n in focus):
        return None
    named = sorted((n for n in focus if isinstance(n, ox.NamedNode)), key=lambda n: n.value)
    inverse = {n.value for n in _instances(store, _with_subclasses(store, shape_reach.inverse))}
    parts = [named[start:start + size] for start in range(0, len(named), size)]
    return ([Chunk(part, [n for n in part if n.value in inverse], shape_reach.near) for part in parts],
            _hierarchy(store))


def _hierarchy(store: ox.Store) -> bytes:
    """Every subclass statement of the merge in ``store``, as N-Triples (added to every chunk)."""
    classes = store.query(f"CONSTRUCT {{ ?a <{RDFS.subClassOf}> ?b }} WHERE {{ ?a <{RDFS.subClassOf}> ?b }}",
                          default_graph=ox.DefaultGraph())
    assert isinstance(classes, ox.QueryTriples)
    return classes.serialize(format=ox.RdfFormat.N_TRIPLES) or b""


#: threads validating chunks at once (``NEASPEC_KG_SHACL_WORKERS``): reading a neighbourhood from the store and
#: the engine's work both release the GIL, so two threads use both cores of a small machine
WORKERS_ENV = "NEASPEC_KG_SHACL_WORKERS"
log = logging.getLogger(__name__)
_DEFAULT = ox.DefaultGraph()


def _workers() -> int:
    raw = os.environ.get(WORKERS_ENV, "").strip()
    return max(1, int(raw)) if raw else min(2, os.cpu_count() or 1)


# --------------------------------------------------------------------------- chunks made from the files


def _hashes(terms: Sequence[ox.NamedNode]) -> npt.NDArray[np.int64]:
    return np.fromiter(map(hash, terms), dtype=np.int64, count=len(terms))


@dataclass(frozen=True)
class _Spans:
    """For each node (by its hash), the first and the last input file that states something about it (or
    that refers to it). Two nodes with one hash share a span wider than either's: such a node is then read
    from the store, never missed."""

    keys: npt.NDArray[np.int64]
    first: npt.NDArray[np.int64]
    last: npt.NDArray[np.int64]

    @classmethod
    def of(cls, per_file: list[npt.NDArray[np.int64]]) -> _Spans:
        if not per_file or not sum(map(len, per_file)):
            empty = np.empty(0, np.int64)
            return cls(empty, empty, empty)
        keys = np.concatenate(per_file)
        files = np.repeat(np.arange(len(per_file), dtype=np.int64), [len(a) for a in per_file])
        order = np.lexsort((files, keys))
        keys, files = keys[order], files[order]
        starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
        ends = np.r_[starts[1:], len(keys)] - 1
        return cls(keys[starts], files[starts], files[ends])

    def within(self, nodes: Sequence[ox.NamedNode], files: range) -> list[bool]:
        """For each node, whether every file stating it (or referring to it) is one of ``files``; true for a
        node no file states."""
        if not len(self.keys):
            return [True] * len(nodes)
        wanted = _hashes(nodes)
        at = np.minimum(np.searchsorted(self.keys, wanted), len(self.keys) - 1)
        known = self.keys[at] == wanted
        inside = (self.first[at] >= files.start) & (self.last[at] < files.stop)
        return list(~known | inside)


@dataclass
class FileSpans:
    """The input files in build order and, noted as each is parsed (``add``), which files state something
    about each node and which refer to it; from these ``validate_merge`` validates runs of consecutive files
    from the files themselves and knows what else it must read from the store. Kept as arrays of hashes, a
    few bytes per node: no Python object per node outlives the parse."""

    files: list[tuple[Path, ox.RdfFormat]] = field(default_factory=list)
    subject_counts: list[int] = field(default_factory=list)
    _subjects: list[npt.NDArray[np.int64]] = field(default_factory=list)
    _objects: list[npt.NDArray[np.int64]] = field(default_factory=list)

    def add(self, path: Path, fmt: ox.RdfFormat, subjects: Iterable[object], objects: Iterable[object]) -> None:
        """Note the file ``path`` (parsed as ``fmt``), the distinct subjects and objects of its statements."""
        named_subjects = [s for s in subjects if isinstance(s, ox.NamedNode)]
        named_objects = [o for o in objects if isinstance(o, ox.NamedNode)]
        self.files.append((path, fmt))
        self.subject_counts.append(len(named_subjects))
        self._subjects.append(_hashes(named_subjects))
        self._objects.append(_hashes(named_objects))

    def spans(self) -> tuple[_Spans, _Spans]:
        """Where each subject is stated, and where each node is referred to."""
        return _Spans.of(self._subjects), _Spans.of(self._objects)

    def groups(self, size: int) -> list[range]:
        """Runs of consecutive files with about ``size`` subjects each (a large file is a run of its own)."""
        out: list[range] = []
        start, count = 0, 0
        for i, n in enumerate(self.subject_counts):
            count += n
            if count >= size:
                out.append(range(start, i + 1))
                start, count = i + 1, 0
        if start < len(self.files):
            out.append(range(start, len(self.files)))
        return out


class _Unchunkable(Exception):
    """A focus node cannot be named to the engine: the merge is validated whole."""


@dataclass
class _Check:
    """What every chunk's validation shares: the store, the shapes (a graph per thread: rdflib graphs are
    not made to be shared), the engine and what the shapes read."""

    store: ox.Store
    shapes_path: Path
    engine: str
    reach: Reach
    prefixes: set[str]
    local: threading.local = field(default_factory=threading.local)

    @property
    def shapes(self) -> rdflib.Graph:
        if not hasattr(self.local, "shapes"):
            self.local.shapes = rdflib.Graph().parse(self.shapes_path, format="turtle")
        graph: rdflib.Graph = self.local.shapes
        return graph

    def nameable(self, nodes: list[ox.NamedNode | ox.BlankNode]) -> list[ox.NamedNode]:
        """``nodes``, if the engine can be given each by name: not a blank node (a SPARQL query cannot name
        one either), not an IRI whose scheme the shapes bind as a prefix (the engine would expand it)."""
        named = [n for n in nodes if isinstance(n, ox.NamedNode) and n.value.partition(":")[0] not in self.prefixes]
        if len(named) != len(nodes):
            raise _Unchunkable
        return named

    def near(self, nodes: Iterable[ox.NamedNode | ox.BlankNode]) -> list[ox.Quad]:
        """What the merge states about ``nodes`` that SHACL reads one step from a focus node."""
        predicates: list[ox.NamedNode | None] = [None] if self.reach.near is None else \
            [ox.NamedNode(p) for p in sorted(self.reach.near)]
        out: list[ox.Quad] = []
        for n in nodes:
            for p in predicates:
                out.extend(self.store.quads_for_pattern(n, p, None, _DEFAULT))
        return out


def _validate_files(check: _Check, files: FileSpans, size: int) -> list[Violation]:
    """The whole-graph report of the merge in ``check.store``, validated run of files by run of files (see
    the module's doc); the focus nodes that files of more than one run describe, and those of a file with
    many more than ``size`` of them, are validated last in chunks of ``size``, on their neighbourhood read
    from the store. pyshacl-turbo's time on one call grows faster than its focus nodes and data together: a
    source catalogue of 72,000 sources (30,000 mechanisms) took 154 s as one run, 7.7 s at a third of it."""
    subjects, referrers = files.spans()
    hierarchy = _hierarchy(check.store)
    targets = _with_subclasses(check.store, check.reach.targets)
    inverse = _with_subclasses(check.store, check.reach.inverse)

    def run(group: range) -> tuple[list[Violation], list[ox.NamedNode]]:
        data = ox.Store()
        for path, fmt in files.files[group.start:group.stop]:
            data.bulk_load(path=str(path), format=fmt)
        data.bulk_load(hierarchy, format=ox.RdfFormat.N_TRIPLES)
        found = check.nameable(_instances(data, targets, union=True))
        own = subjects.within(found, group)
        focus = [n for n, ok in zip(found, own, strict=True) if ok]
        elsewhere = [n for n, ok in zip(found, own, strict=True) if not ok]
        if not focus:
            return [], elsewhere
        if len(focus) > 2 * size:  # one file of many subjects (a source catalogue): validated in chunks, below
            return [], found
        # values described in files outside the run (a blank node is described in its own file only)
        values = _named(data, "SELECT DISTINCT ?n WHERE { ?s ?p ?n FILTER(isIRI(?n)) }")
        extra = check.near(n for n, ok in zip(values, subjects.within(values, group), strict=True) if not ok)
        # what points at nodes of an inverse class, when files outside the run refer to them
        judged_here = set(_instances(data, inverse, union=True))
        judged = [n for n in focus if n in judged_here]
        if judged:
            pointing = [q for n, ok in zip(judged, referrers.within(judged, group), strict=True) if not ok
                        for q in check.store.quads_for_pattern(None, None, n, _DEFAULT)]
            extra += pointing
            judged_iris = " ".join(map(_iri, judged))
            here = _named(data, f"SELECT DISTINCT ?n WHERE {{ VALUES ?o {{ {judged_iris} }} ?n ?p ?o }}")
            there = {q.subject for q in pointing if isinstance(q.subject, (ox.NamedNode, ox.BlankNode))}
            outside: set[ox.NamedNode | ox.BlankNode] = {  # the store's blank nodes: read whatever they are
                n for n in there if not isinstance(n, ox.NamedNode)}
            named = list({*here, *(n for n in there if isinstance(n, ox.NamedNode))})
            outside.update(n for n, ok in zip(named, subjects.within(named, group), strict=True) if not ok)
            extra += check.near(outside)
        data.bulk_extend(extra)
        return _validate(data, check.shapes, check.engine, [n.value for n in focus]), elsewhere

    out: list[Violation] = []
    deferred: dict[str, ox.NamedNode] = {}
    started, groups = time.perf_counter(), files.groups(size)
    with ThreadPoolExecutor(max_workers=_workers()) as pool:  # map runs at most max_workers runs at a time
        for found, elsewhere in pool.map(run, groups):
            out += found
            deferred.update((n.value, n) for n in elsewhere)
    log.info("SHACL: %d runs of %d files in %.1f s; %d focus nodes left to validate from the store",
             len(groups), len(files.files), time.perf_counter() - started, len(deferred))
    spread = [deferred[v] for v in sorted(deferred)]
    judged = {n.value for n in spread if any(isinstance(q.object, ox.NamedNode) and q.object.value in inverse
                                             for q in check.store.quads_for_pattern(n, _RDF_TYPE, None, _DEFAULT))}
    parts = [spread[start:start + size] for start in range(0, len(spread), size)]
    out += _validate_chunks(check, [Chunk(p, [n for n in p if n.value in judged], check.reach.near) for p in parts],
                            hierarchy)
    return out


def _named(store: ox.Store, query: str) -> list[ox.NamedNode]:
    """The IRIs a one-variable (``?n``) SELECT finds in the union of ``store``'s graphs."""
    rows = store.query(query, use_default_graph_as_union=True)
    assert isinstance(rows, ox.QuerySolutions)
    return [n for row in rows if isinstance(n := row["n"], ox.NamedNode)]


def _validate_chunks(check: _Check, parts: list[Chunk], hierarchy: bytes) -> list[Violation]:
    """The violations of each chunk's focus nodes, on their neighbourhood read from the store."""
    def run(chunk: Chunk) -> list[Violation]:
        data = ox.Store()
        data.bulk_load(chunk.neighbourhood(check.store, hierarchy), format=ox.RdfFormat.N_TRIPLES)
        return _validate(data, check.shapes, check.engine, [n.value for n in chunk.focus])

    out: list[Violation] = []
    with ThreadPoolExecutor(max_workers=_workers()) as pool:
        for found in pool.map(run, parts):
            out += found
    return out


def validate_merge(store: ox.Store, shapes_path: Path, engine: str | None = None,
                   size: int | None = None, files: FileSpans | None = None) -> list[Violation]:
    """Validate the default graph of ``store`` (the merge of data and ontology) as a whole-graph validation
    would, in chunks of about ``size`` focus nodes (default ``chunk_size()``) when ``reach`` bounds what the
    shapes read and the engine is pyshacl-turbo (it validates given focus nodes only; pySHACL, the reference,
    has no such mode that reports the same); memory then grows with the chunk, not the data. With ``files``
    (the files the store was loaded from, in order) a chunk is made from its files, and only what they may
    not hold is read from the store. Otherwise, or with ``size`` 0, the merge is copied into memory and
    validated whole."""
    engine = engine or default_engine()
    shapes = rdflib.Graph().parse(shapes_path, format="turtle")
    size = chunk_size() if size is None else size
    shape_reach = reach(shapes) if engine == "turbo" and size > 0 else None
    prefixes = {p for p, _ns in shapes.namespaces()}
    out: list[Violation] | None = None
    if isinstance(shape_reach, Reach):
        check = _Check(store, shapes_path, engine, shape_reach, prefixes)
        try:
            if files is not None:
                out = _validate_files(check, files, size)
            else:
                plan = chunks(store, shape_reach, size, prefixes)
                out = None if plan is None else _validate_chunks(check, *plan)
        except _Unchunkable:
            out = None
    if out is None:
        merge = ox.Store()
        merge.bulk_load(store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph()),
                        format=ox.RdfFormat.N_TRIPLES)
        return _validate(merge, shapes, engine)
    out.sort(key=violation_order)
    return out
