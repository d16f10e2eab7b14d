"""Build the graph: parse ontology + data, enforce provenance, validate with SHACL.

Nothing leaves this module unless all of it is valid: callers get either a complete
``ValidatedGraph`` or an exception that names the file, line and problem. A half-loaded graph
cannot happen because the store is filled only from a ``ValidatedGraph``.

Validation is deterministic on its inputs, so a validated build is cached by the SHA-256 of
every input file; the next CLI call or server start with unchanged inputs skips parsing and SHACL.
"""
from __future__ import annotations

import hashlib
import os
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from neaspec_kg import __version__
from neaspec_kg.config import Paths, default_paths
from neaspec_kg.errors import DataSyntaxError, ProvenanceError, SourceLocation, ValidationError, Violation
from neaspec_kg.namespaces import ENTAILMENT_GRAPH, ID, NK, ONTOLOGY_GRAPH, RDF, RDFS
from neaspec_kg.validation import run_shacl, to_rdflib  # noqa: F401  (to_rdflib re-exported)

#: classes whose instances may name a graph (see data/README.md)
SOURCE_CLASSES = {NK + "Source", NK + "DocumentPart", NK + "WebSource", NK + "EditorialSource", NK + "Document"}
RDF_TYPE = ox.NamedNode(RDF + "type")


@dataclass
class ValidatedGraph:
    """Every quad of a build that passed all checks; named graphs only (one per source)."""

    quads: list[ox.Quad]
    digest: str
    files: list[Path] = field(default_factory=list)

    @property
    def graph_names(self) -> set[str]:
        return {q.graph_name.value for q in self.quads if isinstance(q.graph_name, ox.NamedNode)}

    def nquads(self) -> bytes:
        return ox.serialize(self.quads, format=ox.RdfFormat.N_QUADS) or b""


def _parse(path: Path, fmt: ox.RdfFormat, graph: ox.NamedNode | None = None) -> list[ox.Quad]:
    """Parse one file; a syntax error becomes a DataSyntaxError with the file, line and column."""
    try:
        data = path.read_bytes()
        return list(
            ox.parse(data, format=fmt, base_iri=None, without_named_graphs=False, rename_blank_nodes=True)
            if graph is None
            else (ox.Quad(t.subject, t.predicate, t.object, graph) for t in ox.parse(data, format=fmt))
        )
    except SyntaxError as exc:
        detail = exc.msg if hasattr(exc, "msg") else str(exc)
        raise DataSyntaxError(SourceLocation(path, exc.lineno, exc.offset), detail) from None
    except UnicodeDecodeError as exc:
        raise DataSyntaxError(SourceLocation(path), f"not UTF-8: {exc}") from None


def _digest(paths: Paths, files: Iterable[Path]) -> str:
    h = hashlib.sha256(f"neaspec-kg {__version__}\n".encode())
    for f in [*sorted(files), paths.shapes]:
        h.update(str(f.name).encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()


def _cache_dir() -> Path:
    return Path(os.environ.get("NEASPEC_KG_CACHE", Path.home() / ".cache" / "neaspec-kg"))


def _find_line(path: Path, iri: str) -> int | None:
    """The first line of ``path`` that mentions ``iri`` in full or as a prefixed name."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return None
    prefixes = dict(re.findall(r"@prefix\s+([\w-]*):\s*<([^>]*)>", text))
    forms = [f"<{iri}>"]
    for prefix, ns in prefixes.items():
        if iri.startswith(ns) and iri != ns:
            forms.append(f"{prefix}:{iri[len(ns):]}")
    for number, line in enumerate(text.splitlines(), start=1):
        for form in forms:
            idx = line.find(form)
            if idx >= 0:
                end = idx + len(form)
                if end == len(line) or not (line[end].isalnum() or line[end] in "-_"):
                    return number
    return None


def _check_provenance(quads_by_file: dict[Path, list[ox.Quad]]) -> None:
    """Every data triple sits in the named graph of a catalogued source."""
    sources = {
        q.subject.value
        for quads in quads_by_file.values()
        for q in quads
        if q.predicate == RDF_TYPE and q.object.value in SOURCE_CLASSES
    }
    for path, quads in quads_by_file.items():
        for q in quads:
            if isinstance(q.graph_name, ox.DefaultGraph):
                raise ProvenanceError(
                    SourceLocation(path, _find_line(path, q.subject.value)),
                    f"triple outside any GRAPH block: {q.subject} {q.predicate} {q.object} "
                    "(every fact must sit in the graph of its source; see data/README.md)",
                )
            if q.graph_name.value not in sources:
                raise ProvenanceError(
                    SourceLocation(path, _find_line(path, q.graph_name.value)),
                    f"graph {q.graph_name} is not a catalogued source (add it to data/sources.trig)",
                )


def _dangling(quads: list[ox.Quad]) -> list[tuple[str, str]]:
    """Our own IRIs that are used as objects but never typed anywhere: a typo or a missing node."""
    typed = {q.subject.value for q in quads if q.predicate == RDF_TYPE}
    out = []
    for q in quads:
        o = q.object
        if isinstance(o, ox.NamedNode) and o.value.startswith(ID) and o.value not in typed:
            out.append((q.subject.value, o.value))
    return sorted(set(out))


def _closure(pairs: set[tuple[str, str]]) -> dict[str, set[str]]:
    """Transitive closure of a sub-of relation: each term to all its strict super-terms."""
    direct: dict[str, set[str]] = defaultdict(set)
    for sub, sup in pairs:
        if sub != sup:
            direct[sub].add(sup)
    out: dict[str, set[str]] = {}
    for start in list(direct):
        seen: set[str] = set()
        stack = list(direct[start])
        while stack:
            term = stack.pop()
            if term not in seen:
                seen.add(term)
                stack.extend(direct.get(term, ()))
        seen.discard(start)
        out[start] = seen
    return out


def _entail(quads: list[ox.Quad]) -> list[ox.Quad]:
    """RDFS subclass and subproperty entailment of the ontology, as quads in ENTAILMENT_GRAPH.

    Why: the store does no reasoning, and an analyst who asks for ``?m a nk:Mechanism`` expects the
    subregional mechanisms too. The entailed triples get a graph of their own so that provenance
    shows them as computed, not stated."""
    sub_class = RDFS + "subClassOf"
    sub_prop = RDFS + "subPropertyOf"
    classes = _closure({(q.subject.value, q.object.value) for q in quads
                        if q.predicate.value == sub_class and isinstance(q.object, ox.NamedNode)})
    props = _closure({(q.subject.value, q.object.value) for q in quads
                      if q.predicate.value == sub_prop and isinstance(q.object, ox.NamedNode)})
    graph = ox.NamedNode(ENTAILMENT_GRAPH)
    out: set[ox.Quad] = set()
    for q in quads:
        if q.predicate == RDF_TYPE and q.object.value in classes:
            for sup in classes[q.object.value]:
                out.add(ox.Quad(q.subject, RDF_TYPE, ox.NamedNode(sup), graph))
        if q.predicate.value in props:
            for sup in props[q.predicate.value]:
                out.add(ox.Quad(q.subject, ox.NamedNode(sup), q.object, graph))
    return sorted(out, key=str)


def build(paths: Paths | None = None, *, use_cache: bool = True) -> ValidatedGraph:
    """Parse, check and validate ontology + data; raise rather than return anything invalid."""
    paths = paths or default_paths()
    ontology_files = paths.ontology_files()
    data_files = paths.data_files()
    if not data_files:
        raise ProvenanceError(SourceLocation(paths.data_dir), "no .trig data files found")
    all_files = ontology_files + data_files
    digest = _digest(paths, all_files)
    cached = _cache_dir() / f"{digest}.nq"
    if use_cache and cached.exists():
        quads = list(ox.parse(path=str(cached), format=ox.RdfFormat.N_QUADS))
        return ValidatedGraph(quads=quads, digest=digest, files=all_files)

    onto_graph = ox.NamedNode(ONTOLOGY_GRAPH)
    quads: list[ox.Quad] = []
    subjects_in: dict[str, set[Path]] = defaultdict(set)
    for f in ontology_files:
        parsed = _parse(f, ox.RdfFormat.TURTLE, onto_graph)
        quads.extend(parsed)
        for q in parsed:
            subjects_in[q.subject.value].add(f)
    by_file: dict[Path, list[ox.Quad]] = {}
    for f in data_files:
        parsed = _parse(f, ox.RdfFormat.TRIG)
        by_file[f] = parsed
        quads.extend(parsed)
        for q in parsed:
            subjects_in[q.subject.value].add(f)
    _check_provenance(by_file)

    violations = run_shacl(quads, paths.shapes)
    for subject, target in _dangling(quads):
        violations.append(
            Violation(focus_node=subject, path=None, value=target, severity="Violation",
                      message=f"refers to {target}, which no file describes (no rdf:type)")
        )
    if violations:
        for v in violations:
            files = sorted(subjects_in.get(v.focus_node, ()))
            v.locations = [SourceLocation(f, _find_line(f, v.focus_node)) for f in files]
        raise ValidationError(violations)

    result = ValidatedGraph(quads=quads + _entail(quads), digest=digest, files=all_files)
    if use_cache:
        try:
            cached.parent.mkdir(parents=True, exist_ok=True)
            tmp = cached.with_suffix(".tmp")
            tmp.write_bytes(result.nquads())
            tmp.replace(cached)
        except OSError:
            pass  # a read-only home is no reason to refuse a valid graph
    return result
