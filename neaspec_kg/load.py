"""Put a validated build into a remote SPARQL 1.1 store, then prove it arrived (``neaspec-kg load``).

Why a loader and not only a recipe: a remote store answers like the embedded one only if it holds exactly the
same dataset (``neaspec_kg.store``: one named graph per source, and a default graph that is their RDF merge).
Writing it with the SPARQL 1.1 Graph Store HTTP Protocol needs nothing store-specific, and counting the
triples of every graph afterwards, through the store's query endpoint, catches a store that silently drops,
truncates or rewrites data.

How: one ``PUT`` per graph (it replaces whatever the graph held), then ``POST``s for the rest when a graph is
larger than one batch. Bodies are N-Triples sent as ``text/turtle`` (N-Triples is Turtle, and Turtle is the
one format every Graph Store Protocol server must read). Blank nodes are scoped to one request, so every
triple that mentions one travels in the graph's first request (our blank nodes are a few OWL lists).

The merge: a store with a real, writable default graph (Oxigraph server) gets it there. A store whose
default graph is the union of all its graphs (Virtuoso, which also keeps system graphs and repeats a
triple once per graph that holds it) gets it into a named graph given by ``default_graph``; the store must
then be told to use that graph, and only our named graphs, as its default dataset. For Virtuoso that is one
SQL statement (:func:`virtuoso_dataset_sql`, run with ``isql``), after which every plain query (the
library's, and those ``serve --store`` forwards) sees exactly our dataset.
"""
from __future__ import annotations

import os
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from urllib.parse import quote

import httpx
import pyoxigraph as ox

from neaspec_kg.build import ValidatedGraph
from neaspec_kg.errors import NeaspecKgError

#: triples per request; large enough that our biggest graph is one PUT, small enough for any server
DEFAULT_BATCH = 5000
#: environment variables holding the credentials of a store that only accepts authenticated writes
USER_ENV, PASSWORD_ENV = "NEASPEC_KG_STORE_USER", "NEASPEC_KG_STORE_PASSWORD"


class LoadError(NeaspecKgError):
    """The store could not be reached, refused a request, or does not hold what was sent.

    ``exit_code`` is what the command exits with: 2 when the store or the request failed, 1 when the store
    accepted everything but then counted different data (the store, not the user, is at fault)."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.differences: list[Difference] = []


@dataclass(frozen=True)
class LoadReport:
    """What was written and verified: triples per graph (``None`` is the store's own default graph)."""

    store: str
    graph_store: str
    counts: Mapping[str | None, int]
    requests: int
    default_graph: str | None = None
    replaced: list[str] = field(default_factory=list)

    @property
    def named_graphs(self) -> int:
        return sum(1 for g in self.counts if g is not None and g != self.default_graph)

    @property
    def triples(self) -> int:
        return sum(self.counts.values())


def layout(graph: ValidatedGraph) -> tuple[dict[str, list[ox.Triple]], list[ox.Triple]]:
    """The dataset to write: each named graph's distinct triples, and their merge (also distinct)."""
    named: dict[str, set[ox.Triple]] = defaultdict(set)
    for q in graph.quads:
        assert isinstance(q.graph_name, ox.NamedNode), "a validated build holds named graphs only"
        named[q.graph_name.value].add(ox.Triple(q.subject, q.predicate, q.object))
    merged: set[ox.Triple] = set().union(*named.values())
    return ({g: sorted(ts, key=str) for g, ts in sorted(named.items())}, sorted(merged, key=str))


def batches(triples: list[ox.Triple], size: int) -> Iterator[list[ox.Triple]]:
    """``triples`` in requests of at most ``size``, except that every triple with a blank node goes in the
    first one (a blank node label means one node only within one request)."""
    with_bnode = [t for t in triples if isinstance(t.subject, ox.BlankNode) or isinstance(t.object, ox.BlankNode)]
    rest = [t for t in triples if not (isinstance(t.subject, ox.BlankNode) or isinstance(t.object, ox.BlankNode))]
    first = with_bnode + rest[:max(0, size - len(with_bnode))]
    yield first
    for i in range(len(first) - len(with_bnode), len(rest), size):
        yield rest[i:i + size]


def graph_store_for(store: str) -> str:
    """The Graph Store endpoint next to a query endpoint when the layout is known (Oxigraph server:
    ``/query`` and ``/store``); otherwise the caller must say (``--graph-store``)."""
    if store.rstrip("/").endswith("/query"):
        return store.rstrip("/")[: -len("query")] + "store"
    raise LoadError(f"cannot tell the Graph Store endpoint of {store}; give it with --graph-store "
                    f"(Oxigraph server: .../store; Virtuoso: .../sparql-graph-crud-auth)")


def credentials(environ: Mapping[str, str] | None = None) -> tuple[str, str] | None:
    """The store's user and password from the environment (never from the command line, where other
    users of the machine could read them)."""
    env = os.environ if environ is None else environ
    user = env.get(USER_ENV)
    return (user, env.get(PASSWORD_ENV, "")) if user else None


def virtuoso_dataset_sql(default_graph: str, named_graphs: Iterable[str], host: str = "*") -> str:
    """The ``isql`` statements that make Virtuoso's ``/sparql`` answer plain queries over our dataset:
    ``default_graph`` (the loaded merge) as the default graph and only ``named_graphs`` for ``GRAPH``.

    Virtuoso differs from SPARQL 1.1 here (measured on 7.2.5): with no dataset it queries the union of all
    graphs, system graphs included, once per graph (duplicates); ``FROM a FROM b`` is not a set merge; and
    with this host setting a query's own ``FROM``/``FROM NAMED`` or ``named-graph-uri`` are added to it,
    not put in its place (``default-graph-uri`` does replace the default graph)."""
    for iri in (default_graph, *named_graphs):
        if any(c in iri for c in "<>'\" {}\\"):
            raise LoadError(f"not a usable graph IRI: {iri!r}")
    defines = " ".join(f"define input:named-graph-uri <{g}>" for g in sorted(named_graphs))
    return (f"DELETE FROM DB.DBA.SYS_SPARQL_HOST WHERE SH_HOST = '{host}';\n"
            f"INSERT INTO DB.DBA.SYS_SPARQL_HOST (SH_HOST, SH_GRAPH_URI, SH_DEFINES) "
            f"VALUES ('{host}', '{default_graph}', '{defines}');\n")


class _Remote:
    """The two endpoints, one HTTP client, and errors that name the URL and the status."""

    def __init__(self, store: str, graph_store: str, auth: tuple[str, str] | None, timeout: float) -> None:
        self.store, self.graph_store = store, graph_store
        self._auth = auth
        self.client = httpx.Client(timeout=timeout, follow_redirects=False)
        self.requests = 0

    def close(self) -> None:
        self.client.close()

    def _send(self, method: str, url: str, **kwargs: object) -> httpx.Response:
        try:
            response = self.client.request(method, url, **kwargs)  # type: ignore[arg-type]
            if response.status_code == 401 and self._auth is not None and self.client.auth is None:
                # the scheme the store asks for: Virtuoso's /sparql-graph-crud-auth wants Digest
                scheme = response.headers.get("www-authenticate", "").split(" ", 1)[0].lower()
                self.client.auth = httpx.DigestAuth(*self._auth) if scheme == "digest" else \
                    httpx.BasicAuth(*self._auth)
                response = self.client.request(method, url, **kwargs)  # type: ignore[arg-type]
        except httpx.HTTPError as exc:
            raise LoadError(f"cannot reach {url}: {exc or type(exc).__name__}") from None
        self.requests += 1
        if response.status_code == 401:
            hint = (f"; set {USER_ENV} and {PASSWORD_ENV}" if self._auth is None
                    else f"; check {USER_ENV} and {PASSWORD_ENV}")
            raise LoadError(f"{method} {url} answered 401 (the store wants credentials{hint})")
        if response.status_code >= 400:
            raise LoadError(f"{method} {url} answered {response.status_code}: {_gist(response.text)}")
        return response

    def write(self, graph: str | None, triples: list[ox.Triple], method: str) -> None:
        body = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""
        url = self.graph_store + ("&" if "?" in self.graph_store else "?") + (
            "default" if graph is None else "graph=" + quote(graph, safe=""))
        self._send(method, url, content=body, headers={"Content-Type": "text/turtle; charset=utf-8"})

    def raw_select(self, query: str) -> list[dict[str, dict[str, str]]]:
        """SELECT bindings in SPARQL JSON form, refusing an answer the store says it cut short."""
        response = self._send("POST", self.store, data={"query": query},
                              headers={"Accept": "application/sparql-results+json"})
        if "x-sparql-maxrows" in response.headers:  # Virtuoso's ResultSetMaxRows, otherwise silent
            raise LoadError(f"{self.store} cut its answer off at {response.headers['x-sparql-maxrows']} rows; "
                            f"raise the store's row limit (Virtuoso: [SPARQL] ResultSetMaxRows)")
        try:
            bindings: list[dict[str, dict[str, str]]] = response.json()["results"]["bindings"]
        except (ValueError, KeyError, TypeError):
            raise LoadError(f"{self.store} did not answer a SELECT with SPARQL JSON results: "
                            f"{_gist(response.text)}") from None
        return bindings

    def select(self, query: str) -> list[dict[str, str]]:
        return [{k: v["value"] for k, v in b.items()} for b in self.raw_select(query)]

    def terms(self, query: str) -> list[dict[str, str]]:
        """SELECT solutions with each value as N-Triples (blank nodes all ``_:b``), read from the XML results
        format: Virtuoso writes xsd:boolean as 0/1 in JSON but as stored (true/false) in XML."""
        from xml.etree import ElementTree

        response = self._send("POST", self.store, data={"query": query},
                              headers={"Accept": "application/sparql-results+xml"})
        if "x-sparql-maxrows" in response.headers:
            raise LoadError(f"{self.store} cut its answer off at {response.headers['x-sparql-maxrows']} rows; "
                            f"raise the store's row limit (Virtuoso: [SPARQL] ResultSetMaxRows)")
        ns = "{http://www.w3.org/2005/sparql-results#}"
        lang = "{http://www.w3.org/XML/1998/namespace}lang"
        try:
            root = ElementTree.fromstring(response.content)
        except ElementTree.ParseError:
            raise LoadError(f"{self.store} did not answer a SELECT with SPARQL XML results: "
                            f"{_gist(response.text)}") from None
        out: list[dict[str, str]] = []
        for result in root.iter(f"{ns}result"):
            row: dict[str, str] = {}
            for binding in result.iter(f"{ns}binding"):
                term = binding[0]
                text = term.text or ""
                if term.tag == f"{ns}uri":
                    row[binding.get("name", "")] = str(ox.NamedNode(text))
                elif term.tag == f"{ns}bnode":
                    row[binding.get("name", "")] = "_:b"
                elif term.get(lang):
                    row[binding.get("name", "")] = str(ox.Literal(text, language=term.get(lang)))
                else:
                    datatype = term.get("datatype")
                    row[binding.get("name", "")] = str(ox.Literal(text, datatype=ox.NamedNode(datatype))
                                                       if datatype else ox.Literal(text))
            out.append(row)
        return out


def _gist(text: str) -> str:
    """The first line of an error body that says something (servers answer HTML, JSON or plain text)."""
    plain = re.sub(r"<[^>]+>", " ", text)
    return " ".join(plain.split())[:300] or "(no message)"


def counts(remote: _Remote, named: Iterable[str], default_graph: str | None) -> dict[str | None, int]:
    """Triples per graph as the store's query endpoint sees them (``None``: its default graph)."""
    names = sorted(named)
    out: dict[str | None, int] = dict.fromkeys(names, 0)
    rows = remote.select("SELECT ?g (COUNT(*) AS ?n) WHERE { VALUES ?g { " + " ".join(f"<{g}>" for g in names)
                         + " } GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
    for r in rows:
        out[r["g"]] = int(r["n"])
    # the merge: FROM names it where it is a named graph (Virtuoso: and is also the host's default graph,
    # which that store adds to FROM rather than replacing, so the count is the same)
    dataset = f"FROM <{default_graph}> " if default_graph else ""
    rows = remote.select(f"SELECT (COUNT(*) AS ?n) {dataset}WHERE {{ ?s ?p ?o }}")
    out[default_graph] = int(rows[0]["n"]) if rows else 0
    return out


def _key(s: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | str) -> str:
    """A term as N-Triples, with every blank node the same (their labels are the store's own)."""
    return "_:b" if isinstance(s, ox.BlankNode) else str(s)


@dataclass(frozen=True)
class Difference:
    """One graph the store holds differently: triples (N-Triples, blank nodes as ``_:b``) sent but not held,
    and held but not sent. A store that rewrites a literal shows it as one of each."""

    graph: str | None
    sent: int
    held: int
    missing: list[str]
    unexpected: list[str]

    def __str__(self) -> str:
        out = f"{self.graph or 'the default graph'}: sent {self.sent} triples, holds {self.held}"
        for label, items in (("missing", self.missing), ("not sent", self.unexpected)):
            if items:
                out += f"; {label}: " + ", ".join(items[:3]) + (f" (+{len(items) - 3} more)" if len(items) > 3 else "")
        return out


def differences(remote: _Remote, named: Mapping[str, list[ox.Triple]], default_graph: str | None,
                merged: list[ox.Triple]) -> list[Difference]:
    """Every graph whose content, read back through the query endpoint, is not what was sent."""
    from collections import Counter

    held: dict[str | None, Counter[str]] = defaultdict(Counter)
    rows = remote.terms("SELECT ?g ?s ?p ?o WHERE { VALUES ?g { " + " ".join(f"<{g}>" for g in named)
                        + " } GRAPH ?g { ?s ?p ?o } }")
    for b in rows:
        held[b["g"][1:-1]][f"{b['s']} {b['p']} {b['o']} ."] += 1
    dataset = f"FROM <{default_graph}> " if default_graph else ""
    for b in remote.terms(f"SELECT ?s ?p ?o {dataset}WHERE {{ ?s ?p ?o }}"):
        held[default_graph][f"{b['s']} {b['p']} {b['o']} ."] += 1
    out: list[Difference] = []
    for name, triples in [*named.items(), (default_graph, merged)]:
        sent = Counter(f"{_key(t.subject)} {_key(t.predicate)} {_key(t.object)} ." for t in triples)
        got = held.get(name, Counter())
        if sent != got:
            out.append(Difference(name, sum(sent.values()), sum(got.values()), sorted((sent - got).elements()),
                                  sorted((got - sent).elements())))
    return out


def load(graph: ValidatedGraph, store: str, graph_store: str | None = None, *, replace: bool = False,
         default_graph: str | None = None, batch: int = DEFAULT_BATCH, auth: tuple[str, str] | None = None,
         timeout: float = 120.0) -> LoadReport:
    """Write ``graph`` into the store whose query endpoint is ``store`` (Graph Store endpoint ``graph_store``),
    then read every graph back and compare. Refuses to write over non-empty graphs unless ``replace``.

    ``default_graph``: the named graph to hold the merge when the store has no writable default graph of its
    own (see the module docstring); ``None`` writes the merge into the store's default graph.
    Raises :class:`LoadError` (``exit_code`` 1, ``differences`` set) when the store holds something else: the
    data stays there, so the caller can judge whether the store's rewriting matters."""
    if batch < 1:
        raise LoadError(f"the batch size must be at least 1, not {batch}")
    named, merged = layout(graph)
    if default_graph is not None and default_graph in named:
        raise LoadError(f"{default_graph} is one of the build's named graphs; the merge needs a graph of its own")
    remote = _Remote(store, graph_store or graph_store_for(store), auth, timeout)
    try:
        before = counts(remote, named, default_graph)
        occupied = sorted((g or "the default graph") for g, n in before.items() if n)
        if occupied and not replace:
            raise LoadError(f"the store at {store} already holds data in {len(occupied)} of these graphs "
                            f"(e.g. {occupied[0]}); give --replace to overwrite them")
        for name, triples in [*named.items(), (default_graph, merged)]:
            for i, part in enumerate(batches(triples, batch)):
                remote.write(name, part, "PUT" if i == 0 else "POST")
        after = counts(remote, named, default_graph)
        wrong = differences(remote, named, default_graph, merged)
    finally:
        remote.close()
    if wrong:
        error = LoadError(f"the store at {store} does not hold exactly what was loaded ({len(wrong)} graphs "
                          f"differ): " + " | ".join(map(str, wrong[:5])), exit_code=1)
        error.differences = wrong
        raise error
    return LoadReport(store=store, graph_store=remote.graph_store, counts=after, requests=remote.requests,
                      default_graph=default_graph, replaced=occupied)
