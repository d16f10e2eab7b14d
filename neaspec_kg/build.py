"""Build the graph: parse ontology + data, enforce provenance, validate with SHACL.

Nothing leaves this module unless all of it is valid: callers get either a complete
``ValidatedGraph`` or an exception that names the file, line and problem. A half-loaded graph
cannot happen because the store is filled only from a ``ValidatedGraph``.

Validation is deterministic on its inputs, so a validated build is cached by the SHA-256 of
every input file; the next CLI call or server start with unchanged inputs skips parsing and SHACL.
"""
from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import logging
import operator
import os
import re
import shutil
import tempfile
import time
import uuid
import weakref
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from neaspec_kg import __version__, hashes
from neaspec_kg.config import Paths, default_paths
from neaspec_kg.errors import (
    DataSyntaxError,
    NeaspecKgError,
    ProvenanceError,
    SourceLocation,
    ValidationError,
    Violation,
)
from neaspec_kg.namespaces import ENTAILMENT_GRAPH, ID, NK, ONTOLOGY_GRAPH, RDF, RDFS


def __getattr__(name: str) -> Any:
    """``run_shacl`` and ``to_rdflib`` are re-exported lazily: importing pySHACL costs 0.2 s and 30 MB, which
    a SPARQL worker (it imports this module for the store layout, never to validate) should not pay."""
    if name in {"run_shacl", "to_rdflib"}:
        from neaspec_kg import validation

        return getattr(validation, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: classes whose instances may name a graph (see data/README.md)
SOURCE_CLASSES = {NK + "Source", NK + "DocumentPart", NK + "WebSource", NK + "EditorialSource", NK + "Document"}
RDF_TYPE = ox.NamedNode(RDF + "type")


class ValidatedGraph:
    """Every quad of a build that passed all checks; named graphs only (one per source).

    A build from the cache does not hold its quads in memory: it names the on-disk store written when it
    was validated (``store_path``), which every reader (the API process, each SPARQL worker, the CLI) opens
    read-only, so a server holds the data once, in the operating system's page cache, not once per
    process. ``quads`` is still there for tools that want them, read back from disk on first use."""

    def __init__(self, quads: list[ox.Quad] | None = None, digest: str = "", files: list[Path] | None = None,
                 *, store_path: Path | None = None, meta: dict[str, Any] | None = None) -> None:
        if quads is None and store_path is None:
            raise ValueError("a validated graph needs its quads or the path of its on-disk store")
        self._quads = quads
        self.digest = digest
        self.files: list[Path] = list(files or [])
        self.store_path = store_path
        self._meta = meta
        self._temporary: weakref.finalize[..., Any] | None = None
        #: how this build was made: "cached", "full" or "incremental" (and, for the last, what was redone)
        self.how = "cached"
        self.rebuilt: dict[str, Any] = {}

    @property
    def quads(self) -> list[ox.Quad]:
        """All quads of the named graphs (read from the on-disk store on first use)."""
        if self._quads is None:
            assert self.store_path is not None
            store = ox.Store.read_only(str(self.store_path))
            self._quads = [q for q in store.quads_for_pattern(None, None, None, None)
                           if not isinstance(q.graph_name, ox.DefaultGraph)]
        return self._quads

    @property
    def graph_names(self) -> set[str]:
        if self._quads is None and self._meta is not None:
            return set(self._meta["named_graphs"])
        return {q.graph_name.value for q in self.quads if isinstance(q.graph_name, ox.NamedNode)}

    @property
    def summary(self) -> dict[str, Any]:
        """Triples in the default graph (the merge) and in each named graph, and the number of quads: what
        a health check or service description reports, known without scanning the store again."""
        if self._meta is None:
            self._meta = _summarise(self.open_read_only() if self.store_path else _memory_store(self.quads))
        return self._meta

    def nquads(self) -> bytes:
        return ox.serialize(self.quads, format=ox.RdfFormat.N_QUADS) or b""

    def on_disk(self) -> Path:
        """The path of this build's on-disk store, written now to a private temporary directory (removed
        when this object goes) if the build was not cached (``build(use_cache=False)``, tests)."""
        if self.store_path is None:
            tmp = Path(tempfile.mkdtemp(prefix="neaspec-kg-store-"))
            path = tmp / f"{self.digest or 'graph'}{STORE_SUFFIX}"
            self._meta = write_store(self.quads, path, self.digest)
            self.store_path = path
            self._temporary = weakref.finalize(self, shutil.rmtree, tmp, True)
        return self.store_path

    def open_read_only(self) -> ox.Store:
        """The on-disk store, opened read-only (any number of processes may do so at once)."""
        return ox.Store.read_only(str(self.on_disk()))


#: the cached store of a build is ``<cache>/<digest>.oxigraph/``; its ``META_FILE`` says what it holds
STORE_SUFFIX = ".oxigraph"
META_FILE = "neaspec-kg.json"


def _memory_store(quads: Iterable[ox.Quad]) -> ox.Store:
    store = ox.Store()
    fill_store(store, quads)
    return store


def fill_store(store: ox.Store, quads: Iterable[ox.Quad]) -> None:
    """The project's dataset layout: the named graphs as built, and a default graph that is their RDF merge
    (see ``neaspec_kg.store`` for why the merge is materialised)."""
    quads = quads if isinstance(quads, list) else list(quads)
    store.bulk_extend(quads)
    store.bulk_extend(ox.Quad(q.subject, q.predicate, q.object, ox.DefaultGraph()) for q in quads)


_SUMMARY_DEFAULT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
_SUMMARY_NAMED = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"


def _summarise(store: ox.Store) -> dict[str, Any]:
    """Counts by SPARQL aggregates (evaluated in Rust; a Python loop over millions of quads takes seconds)."""
    default, named_rows = store.query(_SUMMARY_DEFAULT), store.query(_SUMMARY_NAMED)
    assert isinstance(default, ox.QuerySolutions) and isinstance(named_rows, ox.QuerySolutions)
    total = next(iter(default))["n"]
    named = {g.value: int(row["n"].value) for row in named_rows if isinstance(g := row["g"], ox.NamedNode)}
    return {"default_triples": int(total.value) if total is not None else 0,
            "named_graphs": dict(sorted(named.items())), "quads": sum(named.values())}


def _store_files(path: Path) -> dict[str, int]:
    """RocksDB's immutable files and their sizes: a missing or truncated one means the store is damaged."""
    return {f.name: f.stat().st_size for f in sorted(path.iterdir()) if f.suffix == ".sst"}


def write_store(quads: Iterable[ox.Quad], target: Path, digest: str) -> dict[str, Any]:
    """Write the dataset of a validated build as a RocksDB store at ``target``, all or nothing.

    Written into a temporary sibling and renamed into place, so that a reader finds either no store or a
    complete one (an interrupted build leaves only a ``.tmp-*`` directory, which no one opens). Compacted
    (``optimize``) so that readers open a few large files rather than many small ones. Returns the summary
    kept beside the data in ``META_FILE``, with the size of every data file for ``open_cached_store``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_sibling(target)
    try:
        store = ox.Store(str(tmp))
        fill_store(store, quads)
        store.flush()
        store.optimize()
        summary = _summarise(store)
        del store  # closes the database (and its LOCK) before the directory is moved
        return finish_store(tmp, target, digest, summary)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def temporary_sibling(target: Path) -> Path:
    """Where a store for ``target`` is written before it is complete (no reader opens a ``.tmp-*``)."""
    return target.with_name(f"{target.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}")


def finish_store(tmp: Path, target: Path, digest: str, summary: dict[str, Any],
                 extra: dict[str, bytes] | None = None) -> dict[str, Any]:
    """Seal the closed store written at ``tmp`` (its summary and data-file sizes in ``META_FILE``, and any
    ``extra`` files beside it) and move it to ``target`` in one rename. Returns the summary."""
    gc.collect()  # a Store object still referenced somewhere would hold RocksDB's LOCK
    meta = {"digest": digest, "version": __version__, **summary, "files": _store_files(tmp)}
    for name, body in (extra or {}).items():
        (tmp / name).write_bytes(body)
    (tmp / META_FILE).write_text(json.dumps(meta, indent=1), encoding="utf-8")
    try:
        tmp.rename(target)
    except OSError:
        old = _valid_store(target, digest)
        if old is None or (old.get("made") == "incremental" and meta.get("made") != "incremental"):
            # not a concurrent writer's complete store, or one a full validation now replaces: ours wins
            aside = temporary_sibling(target)
            with contextlib.suppress(OSError):
                target.rename(aside)  # readers that have it open keep their files until they close them
            shutil.rmtree(aside, ignore_errors=True)
            shutil.rmtree(target, ignore_errors=True)
            tmp.rename(target)
    return meta


def _valid_store(path: Path, digest: str) -> dict[str, Any] | None:
    """The summary of a complete store at ``path`` for ``digest``, or None if it is missing or damaged
    (no summary, another digest, a data file missing or of the wrong size, or RocksDB refuses to open it).
    Checks file sizes rather than scanning the data, so that a server starts in constant time."""
    try:
        meta = json.loads((path / META_FILE).read_text(encoding="utf-8"))
        if not isinstance(meta, dict) or meta.get("digest") != digest or _store_files(path) != meta.get("files"):
            return None
        ox.Store.read_only(str(path))  # RocksDB checks its manifest and every table file's footer
    except (OSError, ValueError, KeyError):
        return None
    return meta


def open_cached_store(path: Path) -> ValidatedGraph:
    """The validated build whose on-disk store is at ``path`` (how ``serve --workers N`` hands the one
    build of its parent to every HTTP worker); raise FileNotFoundError if it is not a complete store."""
    try:
        digest = json.loads((path / META_FILE).read_text(encoding="utf-8"))["digest"]
    except (OSError, ValueError, KeyError, TypeError):
        digest = None
    meta = _valid_store(path, digest) if isinstance(digest, str) else None
    if meta is None:
        raise FileNotFoundError(f"{path} is not a complete neaspec-kg store")
    return ValidatedGraph(digest=digest or "", store_path=path, meta=meta)


def _v(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> str:
    """A term's lexical value; our data holds no quoted triples (RDF-star), which would give their text."""
    return str(term) if isinstance(term, ox.Triple) else term.value


def _parse(path: Path, fmt: ox.RdfFormat, graph: ox.NamedNode | None = None, *,
           data: bytes | None = None) -> list[ox.Quad]:
    """Parse one file (or ``data``, an earlier version of it); a syntax error becomes a DataSyntaxError
    with the file, line and column."""
    try:
        data = path.read_bytes() if data is None else data
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


class Inputs:
    """What a build is made of, by content: one hash for the schema (program version, shapes, ontology) and one
    per data file. The build's digest is derived from them; an incremental rebuild compares them file by file
    with the last valid build's (see ``neaspec_kg.incremental``).

    Each hash is that of the file's bytes. With a ``record`` (``neaspec_kg.hashes``), a file whose size,
    times and inode are those recorded at an earlier build is not read again: the hashes, and so the digest,
    are the same either way; only the time to get them differs (at 100,000 data files, 2.5 s of reading)."""

    def __init__(self, paths: Paths, ontology_files: list[Path], data_files: list[Path],
                 record: hashes.Record | None = None) -> None:
        schema_files = [*sorted(ontology_files), paths.shapes]
        data_files = sorted(data_files)
        shas = hashes.sha256_files([*schema_files, *data_files], record)
        h = hashlib.sha256(f"neaspec-kg {__version__}\n".encode())
        for f, sha in zip(schema_files, shas[:len(schema_files)], strict=True):
            h.update(f.name.encode() + b"\0" + sha.encode() + b"\0")
        self.schema = h.hexdigest()
        self.data_dir = paths.data_dir
        #: data file path (relative to the data folder, POSIX) -> SHA-256 of its bytes
        self.files = {rel: sha for rel, sha in zip(_relative_posix(data_files, paths.data_dir),
                                                   shas[len(schema_files):], strict=True)}

    @property
    def digest(self) -> str:
        h = hashlib.sha256(b"schema\0" + self.schema.encode())
        for rel, sha in self.files.items():
            h.update(b"\0" + rel.encode() + b"\0" + sha.encode())
        return h.hexdigest()


def _relative_posix(files: list[Path], folder: Path) -> list[str]:
    """``f.relative_to(folder).as_posix()`` for each file, by cutting the folder's text off the front where
    it is there (as for the files ``Paths.data_files`` lists): ``relative_to`` took 1 s for 100,000 files."""
    prefix = os.path.join(os.fspath(folder), "")
    out = []
    for f in files:
        name = os.fspath(f)
        if name.startswith(prefix):
            out.append(name[len(prefix):] if os.sep == "/" else name[len(prefix):].replace(os.sep, "/"))
        else:
            out.append(f.relative_to(folder).as_posix())
    return out


def _digest(paths: Paths, files: Iterable[Path]) -> str:
    """The digest of a build of ``files`` (ontology and data files together, as ``build`` takes them)."""
    files = list(files)
    ontology = [f for f in files if f.parent == paths.ontology_dir and f.suffix == ".ttl"]
    return Inputs(paths, ontology, [f for f in files if f not in ontology]).digest


def _writable(folder: Path) -> bool:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return os.access(folder, os.W_OK)


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


def _check_provenance(quads_by_file: dict[Path, list[ox.Quad]],
                      is_source: Callable[[str], bool] | None = None) -> None:
    """Every data triple sits in the named graph of a catalogued source (``is_source``: whether an IRI is
    one; by default, whether these files type it with a source class)."""
    if is_source is None:
        sources = {
            _v(q.subject)
            for quads in quads_by_file.values()
            for q in quads
            if q.predicate == RDF_TYPE and _v(q.object) in SOURCE_CLASSES
        }
        is_source = sources.__contains__
    for path, quads in quads_by_file.items():
        for q in quads:
            if isinstance(q.graph_name, ox.DefaultGraph):
                raise ProvenanceError(
                    SourceLocation(path, _find_line(path, _v(q.subject))),
                    f"triple outside any GRAPH block: {q.subject} {q.predicate} {q.object} "
                    "(every fact must sit in the graph of its source; see data/README.md)",
                )
            if not is_source(q.graph_name.value):
                raise not_a_source(path, q.graph_name.value)


def not_a_source(path: Path, graph: str) -> ProvenanceError:
    return ProvenanceError(SourceLocation(path, _find_line(path, graph)),
                           f"graph <{graph}> is not a catalogued source (add it to data/sources.trig)")


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


SUB_CLASS_OF = RDFS + "subClassOf"
SUB_PROPERTY_OF = RDFS + "subPropertyOf"


def entailment_rules(quads: Iterable[ox.Quad]) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """Each class to its strict super-classes and each property to its strict super-properties."""
    class_pairs, prop_pairs = set(), set()
    for q in quads:
        if isinstance(q.object, ox.NamedNode):
            if q.predicate.value == SUB_CLASS_OF:
                class_pairs.add((_v(q.subject), q.object.value))
            elif q.predicate.value == SUB_PROPERTY_OF:
                prop_pairs.add((_v(q.subject), q.object.value))
    return _closure(class_pairs), _closure(prop_pairs)


def entailed(q: ox.Quad, classes: dict[str, set[str]], props: dict[str, set[str]]) -> Iterable[ox.Quad]:
    """What one stated quad entails (in ENTAILMENT_GRAPH, about the same subject)."""
    graph = ox.NamedNode(ENTAILMENT_GRAPH)
    if q.predicate == RDF_TYPE and _v(q.object) in classes:
        for sup in classes[_v(q.object)]:
            yield ox.Quad(q.subject, RDF_TYPE, ox.NamedNode(sup), graph)
    if q.predicate.value in props:
        for sup in props[q.predicate.value]:
            yield ox.Quad(q.subject, ox.NamedNode(sup), q.object, graph)


def _entail(quads: list[ox.Quad]) -> list[ox.Quad]:
    """RDFS subclass and subproperty entailment of the ontology, as quads in ENTAILMENT_GRAPH.

    Why: the store does no reasoning, and an analyst who asks for ``?m a nk:Mechanism`` expects the
    subregional mechanisms too. The entailed triples get a graph of their own so that provenance
    shows them as computed, not stated."""
    classes, props = entailment_rules(quads)
    return sorted({e for q in quads for e in entailed(q, classes, props)}, key=str)


def full_validation_required() -> bool:
    """Whether this environment asks for every build to be a full one (CI does: ``CI`` set, or
    ``NEASPEC_KG_FULL_VALIDATION=1``), so that nothing that only an incremental check would miss can land."""
    def on(name: str) -> bool:
        return os.environ.get(name, "").strip().lower() not in {"", "0", "false", "no"}

    return on("CI") or on("NEASPEC_KG_FULL_VALIDATION")


def build(paths: Paths | None = None, *, use_cache: bool = True, full: bool | None = None) -> ValidatedGraph:
    """Parse, check and validate ontology + data; raise rather than return anything invalid.

    With the cache, a build whose inputs are unchanged is the cached one, and a build where only some data
    files changed since the last valid build of the same data folder is made from that build by
    ``neaspec_kg.incremental`` (re-parsing and re-validating what changed) unless ``full`` is true, or None
    and ``full_validation_required()``. A rebuild that cannot be made safely that way is a full one."""
    paths = paths or default_paths()
    ontology_files = paths.ontology_files()
    data_files = paths.data_files()
    if not data_files:
        raise ProvenanceError(SourceLocation(paths.data_dir), "no .trig data files found")
    all_files = ontology_files + data_files
    cache = _cache_dir()
    want_full = full_validation_required() if full is None else full
    # a build that must be exact (``--full``, CI) reads every input; others may take unchanged files' hashes
    # from the record of the last build (``neaspec_kg.hashes``); without the cache, none is read or written
    record = (hashes.record_for(cache, paths.data_dir, reuse=not (want_full or full_validation_required()))
              if use_cache else None)
    inputs = Inputs(paths, ontology_files, data_files, record)
    digest = inputs.digest
    store_path = cache / f"{digest}{STORE_SUFFIX}"
    if use_cache:
        from neaspec_kg import incremental  # here, not above: it imports this module

        meta = _valid_store(store_path, digest)  # a missing or damaged store is built again, never opened half
        # a full validation does not take a store an incremental rebuild made on trust: it builds it again
        if meta is not None and not (want_full and meta.get("made") == "incremental"):
            incremental.remember(cache, inputs, digest)
            return ValidatedGraph(digest=digest, files=all_files, store_path=store_path, meta=meta)
        if meta is None and not want_full:
            rebuilt = incremental.rebuild(paths, inputs, cache, ontology_files)
            if rebuilt is not None:
                rebuilt.files = all_files
                return rebuilt

    use_cache = use_cache and _writable(cache)  # a read-only home is no reason to refuse a valid graph
    if use_cache:
        target = store_path
    else:  # a private store, removed with the returned graph (tests, `--no-cache`, a read-only cache)
        private = Path(tempfile.mkdtemp(prefix="neaspec-kg-store-"))
        target = private / f"{digest}{STORE_SUFFIX}"
    try:
        meta, shared = _full_build(paths, ontology_files, data_files, target, digest)
    except BaseException as exc:
        if not use_cache:
            shutil.rmtree(private, ignore_errors=True)
        elif isinstance(exc, NeaspecKgError):  # an incremental store of these inputs holds what is now refused
            shutil.rmtree(target, ignore_errors=True)
        raise
    served = ValidatedGraph(digest=digest, files=all_files, store_path=target, meta=meta)
    served.how = "full"
    if use_cache:
        from neaspec_kg import incremental  # here, not above: it imports this module

        with contextlib.suppress(OSError):  # a read-only home is no reason to refuse a valid graph
            incremental.record(cache, paths, inputs, digest, shared)
    else:
        served._temporary = weakref.finalize(served, shutil.rmtree, private, True)
    return served


class _Batches:
    """Quads written to a store as N-Quads text in large batches, each with its triple in the default graph
    (the dataset layout). Serialising and loading text is done in Rust: building a Python default-graph quad
    for each parsed quad and handing objects to ``bulk_extend`` cost more than parsing (10,000 mechanisms:
    54 s against 8 s). One ``bulk_load`` per batch, not per file: each call writes new table files, and one per
    small file would leave tens of thousands of tiny tables."""

    SIZE = 128 << 20  # bytes of N-Quads per bulk load: memory stays bounded, tables stay large

    def __init__(self, store: ox.Store) -> None:
        self.store = store
        self.pending: list[bytes] = []
        self.size = 0

    def add(self, quads: list[ox.Quad], graphs: Iterable[ox.NamedNode | ox.BlankNode | ox.DefaultGraph]) -> None:
        """Add ``quads`` (whose graph names are ``graphs``) and each one's triple to the default graph. The
        merge is the same text with the graph name cut from the end of each line: in N-Quads a line ends
        with `` <graph> .`` and a literal's newlines are escaped, so only a line's end can match."""
        body = ox.serialize(quads, format=ox.RdfFormat.N_QUADS) or b""
        merged = body
        for g in graphs:
            if isinstance(g, ox.NamedNode):  # a blank graph name is refused by the provenance check
                merged = merged.replace(b" <" + g.value.encode() + b"> .\n", b" .\n")
        self.add_text(body + merged)

    def add_text(self, nquads: bytes) -> None:
        """Add quads written as N-Quads."""
        self.pending.append(nquads)
        self.size += len(nquads)
        if self.size >= self.SIZE:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            self.store.bulk_load(b"".join(self.pending), format=ox.RdfFormat.N_QUADS)
            self.pending, self.size = [], 0


#: one INFO line per phase of a full build and its seconds (``bench/build_scale.py`` shows them): where a
#: build of 100,000 mechanisms spends its time is not something to guess
log = logging.getLogger(__name__)


class _Phases:
    """Seconds since the last phase ended, logged under the name of the phase that just ended."""

    def __init__(self) -> None:
        self.mark = time.perf_counter()

    def done(self, phase: str) -> None:
        now = time.perf_counter()
        log.info("full build: %s in %.1f s", phase, now - self.mark)
        self.mark = now


_GRAPH_NAME = operator.attrgetter("graph_name")
_OBJECT = operator.attrgetter("object")
_SUBJECT = operator.attrgetter("subject")


class _Scan:
    """What the checks after parsing need, gathered file by file so that no file's quads stay in memory, with
    no Python loop over the quads (``map`` and ``set`` over attribute getters run in C): the graphs each data
    file uses, the IRIs the files refer to, and how many quads the data files state. The rest is asked of the
    store once it is loaded."""

    def __init__(self) -> None:
        from neaspec_kg.validation import FileSpans

        self.referenced: set[str] = set()
        self.graphs: list[tuple[Path, set[ox.NamedNode | ox.BlankNode | ox.DefaultGraph]]] = []
        self.stated = 0
        self.files = FileSpans()  # for SHACL: chunks made from the files, not read back from the store

    def add(self, path: Path, fmt: ox.RdfFormat, parsed: list[ox.Quad], *,
            data: bool = True) -> set[ox.NamedNode | ox.BlankNode | ox.DefaultGraph]:
        """Note ``parsed``, the quads of the file ``path`` (parsed as ``fmt``; a data file unless ``data`` is
        false: an ontology file); returns its graphs."""
        objects = set(map(_OBJECT, parsed))
        self.referenced.update(o.value for o in objects if isinstance(o, ox.NamedNode) and o.value.startswith(ID))
        self.files.add(path, fmt, set(map(_SUBJECT, parsed)), objects)
        graphs = set(map(_GRAPH_NAME, parsed))
        if data:
            self.stated += len(parsed)
            self.graphs.append((path, graphs))
        return graphs

    def check_provenance(self, store: ox.Store, data_files: list[Path]) -> None:
        """Every data file's triples sit in graphs of catalogued sources (typed so by a data file: in one of
        their graphs, since no data file states anything outside one). If not, the files are read again to
        name the first offending triple in file order (``_first_provenance_error``)."""
        sources = {_v(q.subject) for c in SOURCE_CLASSES
                   for q in store.quads_for_pattern(None, RDF_TYPE, ox.NamedNode(c), None)
                   if isinstance(q.graph_name, ox.NamedNode) and q.graph_name.value != ONTOLOGY_GRAPH}
        if all(isinstance(g, ox.NamedNode) and g.value in sources for _path, graphs in self.graphs for g in graphs):
            return
        _first_provenance_error(data_files)

    def dangling(self, store: ox.Store) -> list[tuple[str, str]]:
        """(subject, IRI) for each reference to an IRI of ours that nothing types, in order."""
        untyped = [iri for iri in self.referenced
                   if next(store.quads_for_pattern(ox.NamedNode(iri), RDF_TYPE, None, ox.DefaultGraph()), None) is None]
        return sorted({(_v(q.subject), iri) for iri in untyped
                       for q in store.quads_for_pattern(None, None, ox.NamedNode(iri), None)
                       if not isinstance(q.graph_name, ox.DefaultGraph)})


def _first_provenance_error(data_files: list[Path]) -> None:
    """Raise the ProvenanceError for the first triple, in file order, outside any graph or in a graph that is
    no catalogued source (typed so anywhere in a data file, as before). Runs only when there is one, so it
    parses the files again rather than keep them."""
    sources = {_v(q.subject) for path in data_files for q in _parse(path, ox.RdfFormat.TRIG)
               if q.predicate == RDF_TYPE and _v(q.object) in SOURCE_CLASSES}
    for path in data_files:
        parsed = _parse(path, ox.RdfFormat.TRIG)
        first_default: ox.Quad | None = None
        first_default_at = len(parsed)
        graphs: dict[str, int] = {}
        for i, q in enumerate(parsed):
            if isinstance(q.graph_name, ox.DefaultGraph):
                if first_default is None:
                    first_default, first_default_at = q, i
            else:
                graphs.setdefault(q.graph_name.value, i)
        bad = [(i, g) for g, i in graphs.items() if g not in sources and i < first_default_at]
        if bad:
            raise not_a_source(path, min(bad)[1])
        if first_default is not None:
            _check_provenance({path: [first_default]}, sources.__contains__)


def _add_entailment(store: ox.Store, batches: _Batches, classes: dict[str, set[str]],
                    props: dict[str, set[str]]) -> None:
    """Add what ``entailed`` gives for every stated quad (the named graphs, before the entailment graph exists)
    to the entailment graph and the merge, without a Python object per quad: one CONSTRUCT per rule, written as
    N-Triples and loaded as N-Quads in Rust. (With a Python set of entailed quads, 100,000 mechanisms peaked at
    5.9 GB here.) In N-Triples a line ends with `` .`` and a literal's newlines are escaped, so giving each line
    the entailment graph's name is one replacement. A triple stated in several graphs is entailed once: the
    store keeps each quad once."""
    graph = b" <" + ENTAILMENT_GRAPH.encode() + b"> .\n"
    rules = [(f"?s <{RDF_TYPE.value}> <{sup}>", f"?s <{RDF_TYPE.value}> <{sub}>")
             for sub, sups in sorted(classes.items()) for sup in sorted(sups)]
    rules += [(f"?s <{sup}> ?o", f"?s <{sub}> ?o") for sub, sups in sorted(props.items()) for sup in sorted(sups)]
    for template, pattern in rules:
        found = store.query(f"CONSTRUCT {{ {template} }} WHERE {{ GRAPH ?g {{ {pattern} }} }}")
        assert isinstance(found, ox.QueryTriples)
        triples = found.serialize(format=ox.RdfFormat.N_TRIPLES) or b""
        batches.add_text(triples + triples.replace(b" .\n", graph))
    batches.flush()


def _full_build(paths: Paths, ontology_files: list[Path], data_files: list[Path], target: Path,
                digest: str) -> tuple[dict[str, Any], dict[str, int]]:
    """Parse every file into a new on-disk store, file by file; check provenance, SHACL (in chunks of files
    parsed again, with what they do not hold read from the store: ``neaspec_kg.validation.validate_merge``)
    and dangling references; then add the entailment and seal the store at ``target``. Raise on any problem,
    leaving nothing at ``target``. Returns the store's summary, and the count of each quad that more than one
    data file states (for ``neaspec_kg.incremental``).

    Memory stays bounded by the largest file, a batch of text to load, one SHACL chunk, the sets of node
    IRIs and a few hashes per node, not by the size of the data: the quads go to disk as they are parsed."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_sibling(target)
    try:
        phases = _Phases()
        store = ox.Store(str(tmp))
        batches = _Batches(store)
        scan = _Scan()
        onto_graph = ox.NamedNode(ONTOLOGY_GRAPH)
        for f in ontology_files:
            parsed = _parse(f, ox.RdfFormat.TURTLE, onto_graph)
            batches.add(parsed, scan.add(f, ox.RdfFormat.TURTLE, parsed, data=False))
        for f in data_files:
            parsed = _parse(f, ox.RdfFormat.TRIG)
            batches.add(parsed, scan.add(f, ox.RdfFormat.TRIG, parsed))
        del parsed
        batches.flush()
        phases.done(f"{len(data_files)} data files parsed and loaded")
        scan.check_provenance(store, data_files)
        phases.done("provenance")

        from neaspec_kg.validation import validate_merge

        violations = validate_merge(store, paths.shapes, files=scan.files)
        phases.done("SHACL")
        for subject, target_iri in scan.dangling(store):
            violations.append(
                Violation(focus_node=subject, path=None, value=target_iri, severity="Violation",
                          message=f"refers to {target_iri}, which no file describes (no rdf:type)"))
        if violations:
            locate(violations, [*ontology_files, *data_files])
            raise ValidationError(violations)
        phases.done("dangling references")

        rules = (q for p in (SUB_CLASS_OF, SUB_PROPERTY_OF)
                 for q in store.quads_for_pattern(None, ox.NamedNode(p), None, None)
                 if not isinstance(q.graph_name, ox.DefaultGraph))
        classes, props = entailment_rules(rules)
        _add_entailment(store, batches, classes, props)
        phases.done("entailment")
        store.flush()
        store.optimize()
        phases.done("store compacted")
        summary = _summarise(store)
        shared = _shared(summary, scan.stated, data_files)
        phases.done("summary")
        del store, batches  # both refer to the store: RocksDB closes (its background work done) before the seal
        return finish_store(tmp, target, digest, summary), shared
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def canonical(quads: Iterable[ox.Quad]) -> set[ox.Quad]:
    """The quads as the store holds them: pyoxigraph writes numbers and booleans in their canonical form
    (``"01"^^xsd:integer`` is stored as ``"1"``), so two spellings in two files are one quad in the store, and
    must be one in the counts of quads stated by more than one file."""
    store = ox.Store()
    store.extend(quads)
    return set(store)


def _shared(summary: dict[str, Any], stated: int, data_files: list[Path]) -> dict[str, int]:
    """How many data files state each quad that more than one states (or one file twice). Found cheaply when
    there is none, the usual case: the files' quads add up to the data quads in the store exactly then."""
    graphs = summary["named_graphs"]
    in_store = summary["quads"] - graphs.get(ONTOLOGY_GRAPH, 0) - graphs.get(ENTAILMENT_GRAPH, 0)
    if stated == in_store:
        return {}
    counts: Counter[str] = Counter()
    for f in data_files:
        counts.update(str(q) for q in canonical(_parse(f, ox.RdfFormat.TRIG)))
    return {q: n for q, n in counts.items() if n > 1}


def locate(violations: list[Violation], files: list[Path], parsed: dict[Path, list[ox.Quad]] | None = None) -> None:
    """The files that describe each focus node (state something about it), with the line of its first
    mention: ``parsed`` files from their quads, the others by a text search confirmed by parsing. Runs only
    when there are violations, so its cost does not matter."""
    parsed = parsed or {}
    wanted = {v.focus_node for v in violations}
    found: dict[str, set[Path]] = {n: set() for n in wanted}
    local = {n: n.rsplit("/", 1)[-1].rsplit("#", 1)[-1] for n in wanted}
    for f in files:
        if f in parsed:
            subjects = {_v(q.subject) for q in parsed[f]}
        else:
            text = f.read_text(encoding="utf-8")
            if not any(local[n] in text for n in wanted):
                continue
            fmt = ox.RdfFormat.TURTLE if f.suffix == ".ttl" else ox.RdfFormat.TRIG
            subjects = {_v(q.subject) for q in ox.parse(path=str(f), format=fmt)}
        for n in wanted & subjects:
            found[n].add(f)
    for v in violations:
        v.locations = [SourceLocation(f, _find_line(f, v.focus_node)) for f in sorted(found[v.focus_node])]
