"""Incremental rebuilds: re-parse and re-validate only the data files that changed since the last valid build.

Why: a full build parses every file, validates the whole graph with SHACL and writes a new store, which takes
minutes at 100,000 mechanisms, though an editor has usually changed one file. So a build whose schema
(program version, shapes, ontology) is that of the last valid build of the same data folder starts from that
build instead:

1. its store is copied by hard links (a RocksDB checkpoint: milliseconds, whatever its size);
2. the old version of each changed or removed file (kept by content hash when it was built, in
   ``<cache>/inputs/``) and the new version are parsed, and only their difference is applied: the quads a file
   no longer states are taken out (unless another file states them too: how many files state each quad that
   more than one file states is kept beside the store), the new ones put in;
3. the RDFS entailment of every touched subject, the default graph (the merge) for every touched triple and
   the summary counts are brought up to date;
4. the provenance rule is checked on the changed files, and SHACL runs on the changed nodes together with
   their neighbourhood in the updated store: everything they state, what their values state (types, for
   ``sh:class``), and, for nodes of a class whose shape has an inverse path, the nodes that point at them and
   what those state. Only results about the changed nodes count: their neighbours are not seen whole. The
   dangling-reference check looks at the new references and at every reference to a node that lost its type.

What a valid rebuild changed is kept beside it, in ``<cache>/<digest>.changes.json`` (``changes_path``):
the base build's digest and every changed triple (subject, predicate, and the object when it is an IRI),
so that the analysis index of the new build is made from the base build's index by extracting again only
what the change touches (``neaspec_kg.index.update``) instead of everything.

Nothing is served from a rebuild that fails: the copy is deleted and the error raised, as in a full build,
with the same file and line. A rebuild that cannot be made safely this way is left to a full build (``rebuild``
returns None and says why in ``last_reason``): no earlier build of this folder, another schema, an input of
the earlier build no longer kept, too many changed files, blank nodes in a changed file (their labels differ
from parse to parse), or a change to ``rdfs:subClassOf``/``rdfs:subPropertyOf`` (the entailment of every
subject may change). CI, ``NEASPEC_KG_FULL_VALIDATION=1`` and ``neaspec-kg validate --full`` always build in
full (``neaspec_kg.build.full_validation_required``).
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import rdflib
from rdflib.namespace import SH

from neaspec_kg import hashes
from neaspec_kg.build import (
    RDF_TYPE,
    SOURCE_CLASSES,
    STORE_SUFFIX,
    SUB_CLASS_OF,
    SUB_PROPERTY_OF,
    Inputs,
    ValidatedGraph,
    _check_provenance,
    _parse,
    _v,
    _valid_store,
    canonical,
    entailed,
    entailment_rules,
    finish_store,
    locate,
    not_a_source,
    temporary_sibling,
)
from neaspec_kg.config import Paths
from neaspec_kg.errors import ProvenanceError, ValidationError, Violation
from neaspec_kg.namespaces import ENTAILMENT_GRAPH, ID, ONTOLOGY_GRAPH

#: beside a build's store: its inputs by content hash and the quads more than one file states
INPUTS_FILE = "neaspec-kg-inputs.json"
#: above this share of changed files a full build is as quick and simpler
MAX_CHANGED_SHARE = 0.25
DEFAULT = ox.DefaultGraph()
ENTAILMENT = ox.NamedNode(ENTAILMENT_GRAPH)
#: why the last ``rebuild`` call left the build to a full one (for ``validate`` to say)
last_reason = ""
#: above this many changed triples a changes record says only that the change was large (``"triples": null``):
#: the index is then extracted whole, which is as quick as reading a record that size
MAX_RECORDED_TRIPLES = 100_000


def changes_path(cache: Path, digest: str) -> Path:
    """Where what made the build ``digest`` from its base is kept (see the module docstring)."""
    return cache / f"{digest}.changes.json"


def _record_changes(cache: Path, digest: str, base: str, changed: list[str], removed: list[str],
                    quads: list[ox.Quad]) -> None:
    """Keep what the rebuild changed, for the analysis index: the quads taken out and put in (the entailment
    graph's included, the merge not: it follows them) as distinct (subject, predicate, IRI object or None)."""
    triples = sorted({(_v(q.subject), q.predicate.value,
                       q.object.value if isinstance(q.object, ox.NamedNode) else None) for q in quads},
                     key=lambda t: (t[0], t[1], t[2] or ""))
    body = {"base": base, "changed_files": sorted(changed), "removed_files": sorted(removed),
            "triples": triples if len(triples) <= MAX_RECORDED_TRIPLES else None}
    _write_atomic(changes_path(cache, digest), json.dumps(body).encode())


def _blob(cache: Path, sha: str) -> Path:
    return cache / "inputs" / sha[:2] / f"{sha}.trig"


def _lineage(cache: Path, data_dir: Path) -> Path:
    key = hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:32]
    return cache / "last" / f"{key}.json"


def _write_atomic(path: Path, body: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(body)
    tmp.replace(path)


def remember(cache: Path, inputs: Inputs, digest: str) -> None:
    """Make ``digest`` the last valid build of its data folder (the base of the next incremental rebuild)."""
    with contextlib.suppress(OSError):  # a read-only cache: the next build is a full one
        _write_atomic(_lineage(cache, inputs.data_dir),
                      json.dumps({"digest": digest, "data_dir": str(inputs.data_dir.resolve())}).encode())


def _keep_inputs(cache: Path, data_dir: Path, files: Iterable[str], inputs: Inputs) -> None:
    """A copy of each data file as built, by content hash: the old version an incremental rebuild takes out.

    The bytes kept are hashed here, never looked up in the stat record (``neaspec_kg.hashes``): a blob is
    trusted by its name ever after, so only a file not edited since the build hashed it is kept."""
    for rel in files:
        blob = _blob(cache, inputs.files[rel])
        if not blob.exists():
            body = (data_dir / rel).read_bytes()
            if hashes.sha256_bytes(body) == inputs.files[rel]:  # not edited since it was hashed
                _write_atomic(blob, body)


def record(cache: Path, paths: Paths, inputs: Inputs, digest: str, shared: dict[str, int]) -> None:
    """After a full build: keep its inputs (by content hash, and beside its store with ``shared``, the count
    of every quad that more than one data file states) and make it the base of the next rebuild."""
    _seal_inputs(cache / f"{digest}{STORE_SUFFIX}", inputs, shared)
    _keep_inputs(cache, paths.data_dir, inputs.files, inputs)
    remember(cache, inputs, digest)


def _inputs_body(inputs: Inputs, shared: dict[str, int]) -> bytes:
    return json.dumps({"schema": inputs.schema, "files": inputs.files, "shared": shared}).encode()


def _seal_inputs(store_path: Path, inputs: Inputs, shared: dict[str, int]) -> None:
    _write_atomic(store_path / INPUTS_FILE, _inputs_body(inputs, shared))


@dataclass
class _Base:
    digest: str
    path: Path
    meta: dict[str, Any]
    files: dict[str, str]
    shared: dict[str, int]


def _base(cache: Path, inputs: Inputs) -> _Base | str:
    """The last valid build of this data folder, if it can be the base of this one; else why not."""
    try:
        digest = json.loads(_lineage(cache, inputs.data_dir).read_text(encoding="utf-8"))["digest"]
        path = cache / f"{digest}{STORE_SUFFIX}"
        meta = _valid_store(path, digest)
        recorded = json.loads((path / INPUTS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, TypeError):
        return "no earlier valid build of this data folder is kept"
    if meta is None:
        return "the store of the last build is damaged"
    if recorded.get("schema") != inputs.schema:
        return "the shapes, the ontology or the program changed since the last build"
    return _Base(digest, path, meta, dict(recorded["files"]), dict(recorded["shared"]))


def _graph(q: ox.Quad) -> str:
    return q.graph_name.value if isinstance(q.graph_name, ox.NamedNode) else ""


def _has_blank_nodes(quads: Iterable[ox.Quad]) -> bool:
    return any(isinstance(q.subject, ox.BlankNode) or isinstance(q.object, ox.BlankNode) for q in quads)


def rebuild(paths: Paths, inputs: Inputs, cache: Path, ontology_files: list[Path]) -> ValidatedGraph | None:
    """The build of ``inputs`` made from the last valid build of the same data folder, or None (and
    ``last_reason``) if it must be a full build. Raises what a full build would raise on invalid data."""
    global last_reason
    last_reason = ""
    started = time.perf_counter()
    base = _base(cache, inputs)
    if isinstance(base, str):
        last_reason = base
        return None
    changed = [rel for rel, sha in inputs.files.items() if base.files.get(rel) != sha]
    removed = [rel for rel in base.files if rel not in inputs.files]
    if len(changed) + len(removed) > max(8, MAX_CHANGED_SHARE * len(inputs.files)):
        last_reason = f"{len(changed) + len(removed)} of {len(inputs.files)} data files changed"
        return None
    old: dict[str, set[ox.Quad]] = {}
    for rel in [*changed, *removed]:
        if rel in base.files:
            blob = _blob(cache, base.files[rel])
            try:
                old[rel] = canonical(_parse(paths.data_dir / rel, ox.RdfFormat.TRIG, data=blob.read_bytes()))
            except OSError:
                last_reason = f"the version of {rel} in the last build is no longer kept"
                return None
    new_lists = {rel: _parse(paths.data_dir / rel, ox.RdfFormat.TRIG) for rel in changed}
    new = {rel: canonical(qs) for rel, qs in new_lists.items()}
    every = [q for qs in [*old.values(), *new.values()] for q in qs]
    if _has_blank_nodes(every):
        last_reason = "a changed file has blank nodes"
        return None
    if any(q.predicate.value in (SUB_CLASS_OF, SUB_PROPERTY_OF) for q in every):
        last_reason = "a changed file states subclasses or subproperties"
        return None

    digest = inputs.digest  # a hash over every file's entry (100,000 at scale): made once, not at each use
    target = cache / f"{digest}{STORE_SUFFIX}"
    tmp = temporary_sibling(target)
    try:
        ox.Store.read_only(str(base.path)).backup(str(tmp))  # hard links to the base's tables: milliseconds
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        last_reason = f"the last build's store could not be copied ({exc})"
        return None
    try:
        store = ox.Store(str(tmp))
        delta = _Delta(store, base.meta, base.shared)
        delta.apply(old, new)
        _check_sources(paths, store, new_lists, delta)
        delta.entail()
        delta.merge()
        focus = _check(paths, store, delta, new_lists, ontology_files)
        store.flush()
        # marked, so that a full validation (CI, `validate --full`) checks it again instead of serving it
        summary = {**delta.summary(), "made": "incremental"}
        shared, quads_removed, quads_added = delta.shared, delta.removed, delta.added
        # every reference to the store dropped (the delta holds one), so that RocksDB is closed, its
        # background compaction finished, before the sizes of its files are sealed: a store still open wrote
        # a table after the seal, and the next rebuild found its base "damaged" and built everything again
        del store, delta
        meta = finish_store(tmp, target, digest, summary, extra={INPUTS_FILE: _inputs_body(inputs, shared)})
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    with contextlib.suppress(OSError):  # a valid build stays valid; the next rebuild is then a full one
        _keep_inputs(cache, paths.data_dir, changed, inputs)
    with contextlib.suppress(OSError):  # without it the index of this build is extracted whole
        _record_changes(cache, digest, base.digest, changed, removed, [*quads_removed, *quads_added])
    remember(cache, inputs, digest)
    graph = ValidatedGraph(digest=digest, store_path=target, meta=meta)
    graph.how = "incremental"
    graph.rebuilt = {"base": base.digest, "changed_files": sorted(changed), "removed_files": sorted(removed),
                     "quads_removed": len(quads_removed), "quads_added": len(quads_added),
                     "focus_nodes": focus, "seconds": round(time.perf_counter() - started, 3)}
    last_reason = ""
    return graph


class _Delta:
    """The changes made to the copied store, with the counts of its summary kept up to date."""

    def __init__(self, store: ox.Store, meta: dict[str, Any], shared: dict[str, int]) -> None:
        self.store = store
        self.named = Counter({g: int(n) for g, n in meta["named_graphs"].items()})
        self.default = int(meta["default_triples"])
        self.shared = shared
        #: quads actually taken out of / put into named graphs (the entailment graph's included)
        self.removed: list[ox.Quad] = []
        self.added: list[ox.Quad] = []
        #: nodes that lost a type, and those of them left with none
        self.retyped: set[Any] = set()
        self.untyped: set[Any] = set()

    def _remove(self, q: ox.Quad) -> None:
        if q in self.store:
            self.store.remove(q)
            self.removed.append(q)
            self.named[_graph(q)] -= 1

    def _add(self, q: ox.Quad) -> None:
        if q not in self.store:
            self.store.add(q)
            self.added.append(q)
            self.named[_graph(q)] += 1

    def apply(self, old: dict[str, set[ox.Quad]], new: dict[str, set[ox.Quad]]) -> None:
        """Take out what a file no longer states (unless another file states it) and put in what it now does.
        All removals first, so that a quad moved from one file to another stays."""
        for rel, quads in old.items():
            for q in quads - new.get(rel, set()):
                key = str(q)
                count = self.shared.pop(key, 1) - 1
                if count > 1:
                    self.shared[key] = count
                if count == 0:
                    self._remove(q)
        for rel, quads in new.items():
            for q in quads - old.get(rel, set()):
                if q in self.store:
                    self.shared[str(q)] = self.shared.get(str(q), 1) + 1
                else:
                    self._add(q)

    def entail(self) -> None:
        """Recompute the entailment of every subject the change touched (entailed quads share the subject
        of the quad they come from), with rules from the unchanged subclass and subproperty statements."""
        rules = (q for p in (SUB_CLASS_OF, SUB_PROPERTY_OF)
                 for q in self.store.quads_for_pattern(None, ox.NamedNode(p), None, None)
                 if not isinstance(q.graph_name, ox.DefaultGraph) and q.graph_name != ENTAILMENT)
        classes, props = entailment_rules(rules)
        for subject in {q.subject for q in [*self.removed, *self.added]}:
            want = {e for q in self.store.quads_for_pattern(subject, None, None, None)
                    if not isinstance(q.graph_name, ox.DefaultGraph) and q.graph_name != ENTAILMENT
                    for e in entailed(q, classes, props)}
            have = set(self.store.quads_for_pattern(subject, None, None, ENTAILMENT))
            for q in have - want:
                self._remove(q)
            for q in want - have:
                self._add(q)

    def merge(self) -> None:
        """The default graph holds a triple exactly when some named graph does."""
        for s, p, o in {(q.subject, q.predicate, q.object) for q in [*self.removed, *self.added]}:
            stated = any(not isinstance(q.graph_name, ox.DefaultGraph)
                         for q in self.store.quads_for_pattern(s, p, o, None))
            merged = ox.Quad(s, p, o, DEFAULT)
            if stated and merged not in self.store:
                self.store.add(merged)
                self.default += 1
            elif not stated and merged in self.store:
                self.store.remove(merged)
                self.default -= 1
        for q in self.removed:
            if q.predicate == RDF_TYPE:
                self.retyped.add(q.subject)
                if not _typed(self.store, q.subject):
                    self.untyped.add(q.subject)
        for graph, n in list(self.named.items()):
            if n <= 0:
                del self.named[graph]
                name = ox.NamedNode(graph)
                if self.store.contains_named_graph(name):
                    self.store.remove_graph(name)

    def summary(self) -> dict[str, Any]:
        named = {g: n for g, n in sorted(self.named.items()) if n > 0}
        return {"default_triples": self.default, "named_graphs": named, "quads": sum(named.values())}


def _stated(store: ox.Store, s: Any = None, p: Any = None, o: Any = None) -> Iterable[ox.Quad]:
    """Quads of the ontology and the data files (what a full build validates): not the merge, not entailed."""
    return (q for q in store.quads_for_pattern(s, p, o, None)
            if not isinstance(q.graph_name, ox.DefaultGraph) and q.graph_name != ENTAILMENT)


def _typed(store: ox.Store, node: Any) -> bool:
    return next(iter(_stated(store, node, RDF_TYPE)), None) is not None


def _check_sources(paths: Paths, store: ox.Store, new_lists: dict[str, list[ox.Quad]], delta: _Delta) -> None:
    """The provenance rule on the changed files, with the catalogue as it now is; and no graph left in use
    whose source lost its catalogue entry. Of several problems, the one a full build names: in the first
    file, in the data folder's order, that has one.

    The data folder is listed only when that order is needed (a source lost its type, or there are two
    problems): listing and sorting 100,000 files took longer than all the rest of a one-file rebuild."""
    def is_source(iri: str) -> bool:
        return any(_v(q.object) in SOURCE_CLASSES for q in _stated(store, ox.NamedNode(iri), RDF_TYPE))

    listed: list[Path] = []

    def files() -> list[Path]:
        if not listed:
            listed.extend(paths.data_files())
        return listed

    found: list[tuple[Path, ProvenanceError]] = []
    try:
        _check_provenance({paths.data_dir / rel: qs for rel, qs in new_lists.items()}, is_source)
    except ProvenanceError as exc:
        found.append((exc.location.file, exc))
    changed = {paths.data_dir / rel: qs for rel, qs in new_lists.items()}
    for q in delta.removed:
        if q.predicate == RDF_TYPE and _v(q.object) in SOURCE_CLASSES and not is_source(_v(q.subject)):
            graph = ox.NamedNode(_v(q.subject))
            if next(iter(store.quads_for_pattern(None, None, None, graph)), None) is None:
                continue
            local = graph.value.rsplit("/", 1)[-1]
            for f in files():  # the first file that states something in the graph (a comment does not count)
                if f in changed:
                    uses = any(x.graph_name == graph for x in changed[f])
                else:
                    uses = local in f.read_text(encoding="utf-8") and any(
                        x.graph_name == graph for x in ox.parse(path=str(f), format=ox.RdfFormat.TRIG))
                if uses:
                    found.append((f, not_a_source(f, graph.value)))
                    break
    if len(found) == 1:
        raise found[0][1]
    if found:
        order = {f: i for i, f in enumerate(files())}
        raise min(found, key=lambda item: order.get(item[0], -1))[1]


def _inverse_classes(shapes: Path) -> set[str]:
    """Classes whose shapes follow an inverse path: a node of one is validated on the nodes pointing at it."""
    g = rdflib.Graph().parse(shapes, format="turtle")
    out = set()
    for shape, cls in g.subject_objects(SH.targetClass):
        for prop in g.objects(shape, SH.property):
            path = g.value(prop, SH.path)
            if path is not None and g.value(path, SH.inversePath) is not None:
                out.add(str(cls))
    return out


def _check(paths: Paths, store: ox.Store, delta: _Delta, new_lists: dict[str, list[ox.Quad]],
           ontology_files: list[Path]) -> int:
    """SHACL on the changed nodes in their neighbourhood, and the dangling-reference check; raise
    ValidationError (with the files and lines a full build would give) on any violation. Returns how many
    nodes were validated."""
    inverse = _inverse_classes(paths.shapes)

    def inverse_typed(node: Any) -> bool:
        return any(_v(q.object) in inverse for q in store.quads_for_pattern(node, RDF_TYPE, None, DEFAULT))

    touched = [*delta.removed, *delta.added]
    focus: set[Any] = {q.subject for q in touched}
    focus |= {q.object for q in touched if isinstance(q.object, ox.NamedNode) and inverse_typed(q.object)}
    # a node whose shape follows an inverse path is judged on what points at it (a subregional mechanism on
    # its memberships' types and roles): when anything pointing at it changed, it is checked again
    for changed_node in {q.subject for q in touched}:
        focus |= {q.object for q in store.quads_for_pattern(changed_node, None, None, DEFAULT)
                  if isinstance(q.object, ox.NamedNode) and inverse_typed(q.object)}
    for node in delta.retyped:  # what points at a node that lost a type may now point at the wrong class
        focus |= {q.subject for q in store.quads_for_pattern(None, None, node, DEFAULT)}
    triples: set[tuple[Any, Any, Any]] = set()
    seen: set[Any] = set()

    def describe(node: Any) -> Iterable[Any]:
        if node in seen:
            return ()
        seen.add(node)
        stated = list(_stated(store, node))
        triples.update((q.subject, q.predicate, q.object) for q in stated)
        return [q.object for q in stated if not isinstance(q.object, ox.Literal)]

    neighbours: set[Any] = set()
    for node in focus:
        neighbours.update(describe(node))
        if inverse_typed(node):
            for q in _stated(store, None, None, node):
                triples.add((q.subject, q.predicate, q.object))
                neighbours.add(q.subject)
    for node in neighbours:
        describe(node)
    ontology = ox.NamedNode(ONTOLOGY_GRAPH)
    triples.update((q.subject, q.predicate, q.object) for q in store.quads_for_pattern(None, None, None, ontology))

    from neaspec_kg.validation import run_shacl

    names = {_v(n) for n in focus}
    violations = [v for v in run_shacl((ox.Quad(s, p, o, DEFAULT) for s, p, o in triples), paths.shapes)
                  if v.focus_node in names]
    dangling = {(_v(q.subject), q.object.value) for q in delta.added
                if q.graph_name != ENTAILMENT and isinstance(q.object, ox.NamedNode)
                and q.object.value.startswith(ID) and not _typed(store, q.object)}
    for node in delta.untyped:
        if isinstance(node, ox.NamedNode) and node.value.startswith(ID):
            dangling |= {(_v(q.subject), node.value) for q in _stated(store, None, None, node)}
    for subject, target in sorted(dangling):
        violations.append(Violation(focus_node=subject, path=None, value=target, severity="Violation",
                                    message=f"refers to {target}, which no file describes (no rdf:type)"))
    if violations:
        locate(violations, [*ontology_files, *paths.data_files()],
               {paths.data_dir / rel: quads for rel, quads in new_lists.items()})
        raise ValidationError(violations)
    return len(focus)


