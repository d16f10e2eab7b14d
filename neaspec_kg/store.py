"""One small interface to a SPARQL store: every read in the project goes through it.

Three implementations, same behaviour:
- ``OxigraphStore`` (default): pyoxigraph, read-only over the build's on-disk store (or in memory for an
  uncached build). Chosen by measurement (bench/store_choice.py):
  it loads and answers our named queries several times faster than rdflib's engine.
- ``RdflibStore``: rdflib's own SPARQL engine; kept as the measured baseline and for tools that
  want rdflib objects.
- ``RemoteStore``: any SPARQL 1.1 Protocol endpoint (Fuseki, GraphDB, Oxigraph server, ...).

Dataset layout (the same in all three): one named graph per source, and a default graph that is
the RDF merge (a set) of all named graphs. Plain queries see each fact once; ``GRAPH ?g`` queries
see where it came from. (Oxigraph's "union default graph" mode would return a fact once per source
that states it, which double-counts; hence the materialised merge.)
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import httpx
import pyoxigraph as ox
import rdflib

from neaspec_kg.build import ValidatedGraph, fill_store
from neaspec_kg.errors import NeaspecKgError
from neaspec_kg.namespaces import XSD

TermKind = Literal["uri", "literal", "bnode"]


@dataclass(frozen=True, slots=True)
class Term:
    """An RDF term as the SPARQL JSON results format sees it."""

    kind: TermKind
    value: str
    datatype: str | None = None
    lang: str | None = None

    def __str__(self) -> str:
        return self.value

    def to_json(self) -> dict[str, str]:
        """The term in SPARQL 1.1 Query Results JSON form."""
        out = {"type": self.kind, "value": self.value}
        if self.lang:
            out["xml:lang"] = self.lang
        elif self.datatype and self.datatype != XSD + "string":
            out["datatype"] = self.datatype
        return out

    @classmethod
    def from_rdflib(cls, t: rdflib.term.Node) -> Term:
        """The term of an rdflib node (plain literals get xsd:string, as RDF 1.1 says)."""
        if isinstance(t, rdflib.URIRef):
            return cls("uri", str(t))
        if isinstance(t, rdflib.BNode):
            return cls("bnode", str(t))
        assert isinstance(t, rdflib.Literal)
        datatype = str(t.datatype) if t.datatype else (None if t.language else XSD + "string")
        return cls("literal", str(t), datatype, t.language)

    def to_rdflib(self) -> rdflib.term.Node:
        """The same term as an rdflib node (for serialising with rdflib)."""
        if self.kind == "uri":
            return rdflib.URIRef(self.value)
        if self.kind == "bnode":
            return rdflib.BNode(self.value)
        if self.lang:
            return rdflib.Literal(self.value, lang=self.lang)
        if self.datatype and self.datatype != XSD + "string":
            return rdflib.Literal(self.value, datatype=rdflib.URIRef(self.datatype))
        return rdflib.Literal(self.value)

    def to_python(self) -> str | int | float | bool:
        """A plain Python value for integers, decimals and booleans; the lexical form otherwise."""
        if self.kind == "literal" and self.datatype:
            local = self.datatype.removeprefix(XSD)
            try:
                if local in {"integer", "int", "long", "nonNegativeInteger", "positiveInteger"}:
                    return int(self.value)
                if local in {"decimal", "double", "float"}:
                    return float(self.value)
                if local == "boolean":
                    return self.value in {"true", "1"}
            except ValueError:
                return self.value
        return self.value


Row = dict[str, Term]


class Rows(list[Row]):
    """SELECT results: a list of rows that also knows the query's projected variables, in order
    (a row leaves out unbound variables, so the rows alone cannot say which columns exist)."""

    def __init__(self, rows: Iterable[Row] = (), variables: Iterable[str] = ()) -> None:
        super().__init__(rows)
        self.variables: list[str] = list(variables)


class QueryError(NeaspecKgError):
    """The store refused or failed a query (syntax error, remote failure)."""


class SparqlStore(Protocol):
    """What callers may ask of a store. Nothing else: this is what a remote store can offer."""

    def select(self, query: str) -> Rows: ...

    def ask(self, query: str) -> bool: ...

    def construct(self, query: str) -> rdflib.Graph: ...

    def select_table(self, query: str) -> Table: ...


#: SELECT results as plain text values (SPARQL CSV): the variables, then one list of strings per solution, ""
#: where unbound. What bulk readers (the analysis index) use: no language tags or datatypes, and no Python
#: object per value, so a million values read in a second rather than in twenty.
Table = tuple[list[str], list[list[str]]]


def _csv_table(data: bytes) -> Table:
    import csv
    import io

    reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""))
    header = next(reader, [])
    return header, [row for row in reader if row]


# --------------------------------------------------------------------------- Oxigraph (default)


def _term(t: ox.NamedNode | ox.BlankNode | ox.Literal) -> Term:
    if isinstance(t, ox.NamedNode):
        return Term("uri", t.value)
    if isinstance(t, ox.BlankNode):
        return Term("bnode", t.value)
    return Term("literal", t.value, t.datatype.value, t.language)


class OxigraphStore:
    """pyoxigraph over a validated build, never written to.

    A build that has an on-disk store (every cached build: ``build()``, the server, the CLI) is opened
    read-only in place, so that any number of processes share one copy of the data (the page cache's); a
    build held only in memory (``build(use_cache=False)``, tests) is loaded into an in-memory store as
    before. Both have the same layout: named graphs, and a default graph that is their merge."""

    def __init__(self, graph: ValidatedGraph) -> None:
        if graph.store_path is not None:
            self._store = graph.open_read_only()
        else:
            self._store = ox.Store()
            fill_store(self._store, graph.quads)  # default graph := RDF merge of the named graphs (see above)
        self.digest = graph.digest
        #: where the data lives on disk (None: in this process's memory only)
        self.path = graph.store_path

    @property
    def oxigraph(self) -> ox.Store:
        """The underlying store, for the SPARQL endpoint's own serialisers (read-only use)."""
        return self._store

    def _run(self, query: str, **kwargs: Any) -> object:
        try:
            return self._store.query(query, **kwargs)
        except SyntaxError as exc:
            raise QueryError(f"SPARQL syntax error: {exc}") from None
        except (OSError, RuntimeError, ValueError) as exc:
            raise QueryError(str(exc)) from None

    def select(self, query: str) -> Rows:
        result = self._run(query)
        if not isinstance(result, ox.QuerySolutions):
            raise QueryError("not a SELECT query")
        names = [v.value for v in result.variables]
        rows = Rows(variables=names)
        for solution in result:
            row: Row = {}
            for name in names:
                value = solution[name]
                if value is not None:
                    row[name] = _term(value)
            rows.append(row)
        return rows

    def select_table(self, query: str) -> Table:
        result = self._run(query)
        if not isinstance(result, ox.QuerySolutions):
            raise QueryError("not a SELECT query")
        return _csv_table(result.serialize(format=ox.QueryResultsFormat.CSV) or b"")

    def ask(self, query: str) -> bool:
        result = self._run(query)
        if not isinstance(result, ox.QueryBoolean):
            raise QueryError("not an ASK query")
        return bool(result)

    def construct(self, query: str) -> rdflib.Graph:
        result = self._run(query)
        if not isinstance(result, ox.QueryTriples):
            raise QueryError("not a CONSTRUCT or DESCRIBE query")
        data = ox.serialize(result, format=ox.RdfFormat.N_TRIPLES) or b""
        return rdflib.Graph().parse(data=data, format="nt")


# --------------------------------------------------------------------------- rdflib (baseline)


class RdflibStore:
    """rdflib's Dataset and SPARQL engine, with the same layout as OxigraphStore."""

    def __init__(self, graph: ValidatedGraph) -> None:
        self._ds = rdflib.Dataset()
        self._ds.parse(data=graph.nquads(), format="nquads")
        default = self._ds.default_graph
        for s, p, o, _g in self._ds.quads((None, None, None, None)):
            default.add((s, p, o))
        self.digest = graph.digest

    def _run(self, query: str) -> rdflib.query.Result:
        try:
            return self._ds.query(query)
        except Exception as exc:  # rdflib raises pyparsing and assorted errors
            raise QueryError(str(exc)) from None

    def select(self, query: str) -> Rows:
        result = self._run(query)
        if result.type != "SELECT":
            raise QueryError("not a SELECT query")
        names = [str(v) for v in result.vars or []]
        return Rows(
            ({n: Term.from_rdflib(row[i]) for i, n in enumerate(names) if row[i] is not None}
             for row in result if isinstance(row, rdflib.query.ResultRow)),
            names,
        )

    def select_table(self, query: str) -> Table:
        rows = self.select(query)
        return rows.variables, [[r[v].value if v in r else "" for v in rows.variables] for r in rows]

    def ask(self, query: str) -> bool:
        result = self._run(query)
        if result.type != "ASK":
            raise QueryError("not an ASK query")
        return bool(result.askAnswer)

    def construct(self, query: str) -> rdflib.Graph:
        result = self._run(query)
        if result.type not in {"CONSTRUCT", "DESCRIBE"}:
            raise QueryError("not a CONSTRUCT or DESCRIBE query")
        g = rdflib.Graph()
        for t in result:
            assert isinstance(t, tuple) and len(t) == 3
            g.add(t)
        return g


# --------------------------------------------------------------------------- remote SPARQL 1.1


def _json_term(b: Mapping[str, str]) -> Term:
    kind = b["type"]
    if kind == "typed-literal":  # SPARQL JSON from older servers
        kind = "literal"
    if kind == "literal":
        lang = b.get("xml:lang")
        return Term("literal", b["value"], b.get("datatype") or (None if lang else XSD + "string"), lang)
    return Term("uri" if kind == "uri" else "bnode", b["value"])


def _duration(value: str) -> str:
    """The canonical xsd:duration of Virtuoso's internal form: an integer is months, a decimal is seconds."""
    sign, number = ("-", value[1:]) if value.startswith("-") else ("", value)
    try:
        if number.isdigit():
            years, months = divmod(int(number), 12)
            return sign + "P" + (f"{years}Y" if years else "") + (f"{months}M" if months or not years else "")
        seconds = float(number)
    except ValueError:
        return value
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    time = (f"{int(hours)}H" if hours else "") + (f"{int(minutes)}M" if minutes else "") + \
        (f"{secs:g}S" if secs else "")
    return sign + "P" + (f"{int(days)}D" if days else "") + (f"T{time}" if time else "" if days else "T0S")


class RemoteStore:
    """A SPARQL 1.1 Protocol endpoint. The remote dataset must use the same layout (see above)."""

    def __init__(self, endpoint: str, *, timeout: float = 30.0, headers: Mapping[str, str] | None = None) -> None:
        self.endpoint = endpoint
        self._client = httpx.Client(timeout=timeout, headers=dict(headers or {}))
        self.digest = f"remote:{endpoint}"

    def _post(self, query: str, accept: str) -> httpx.Response:
        # "query via URL-encoded POST", the one form every SPARQL 1.1 server takes: Virtuoso 7.2 never answers
        # a direct POST (application/sparql-query), it hangs until the client gives up
        try:
            response = self._client.post(self.endpoint, data={"query": query}, headers={"Accept": accept})
        except httpx.HTTPError as exc:
            raise QueryError(f"cannot reach {self.endpoint}: {exc}") from None
        if response.status_code != 200:
            raise QueryError(f"{self.endpoint} answered {response.status_code}: {response.text[:500]}")
        if "x-sparql-maxrows" in response.headers:  # Virtuoso's ResultSetMaxRows: otherwise a silent cut
            raise QueryError(f"{self.endpoint} cut its answer off at {response.headers['x-sparql-maxrows']} rows "
                             f"(raise the store's limit: Virtuoso's [SPARQL] ResultSetMaxRows)")
        return response

    @staticmethod
    def _lexical(b: Mapping[str, str]) -> Mapping[str, str]:
        """The canonical lexical form where a store answers with a value's internal form (Virtuoso 7.2 writes
        xsd:boolean as 0/1 in JSON, and xsd:duration as a count of months or of seconds, which is not even a
        valid lexical form): same value, the form the embedded store gives for our canonical data."""
        datatype = b.get("datatype")
        if datatype == XSD + "boolean" and b["value"] in {"0", "1"}:
            return {**b, "value": "true" if b["value"] == "1" else "false"}
        if datatype == XSD + "duration" and b["value"] and not b["value"].lstrip("-").startswith("P"):
            return {**b, "value": _duration(b["value"])}
        return b

    def select(self, query: str) -> Rows:
        data = json.loads(self._post(query, "application/sparql-results+json").content)
        return Rows(({k: _json_term(self._lexical(v)) for k, v in b.items()} for b in data["results"]["bindings"]),
                    data["head"].get("vars", []))

    def select_table(self, query: str) -> Table:
        # JSON, not CSV: every SPARQL 1.1 server speaks it, and it tells an unbound value from an empty one
        data = json.loads(self._post(query, "application/sparql-results+json").content)
        names = data["head"].get("vars", [])
        return names, [[self._lexical(b[n])["value"] if n in b else "" for n in names]
                       for b in data["results"]["bindings"]]

    def ask(self, query: str) -> bool:
        return bool(json.loads(self._post(query, "application/sparql-results+json").content)["boolean"])

    def construct(self, query: str) -> rdflib.Graph:
        return rdflib.Graph().parse(data=self._post(query, "application/n-triples").content, format="nt")


def open_store(graph: ValidatedGraph, kind: str = "oxigraph") -> OxigraphStore | RdflibStore:
    """The embedded store of the given kind, filled from a validated build."""
    if kind == "oxigraph":
        return OxigraphStore(graph)
    if kind == "rdflib":
        return RdflibStore(graph)
    raise ValueError(f"unknown embedded store {kind!r} (oxigraph or rdflib)")


def text(row: Row, name: str) -> str | None:
    """The lexical value of ``name`` in one result row, or None where it is unbound (an OPTIONAL that did not
    match): the one way rows are read, instead of ``r[name].value if name in r else ...`` at every use.

    >>> text({"label": Term("literal", "EANET")}, "label"), text({}, "acronym")
    ('EANET', None)
    """
    term = row.get(name)
    return None if term is None else term.value


def values(rows: Iterable[Row], name: str) -> list[str]:
    """The values of one column, skipping rows where it is unbound."""
    return [r[name].value for r in rows if name in r]
