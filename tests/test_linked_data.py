"""Linked Data: /id/... and /ontology dereference with content negotiation, against a live server.

Expected triples are read straight from the store's quads (pyoxigraph ``quads_for_pattern``), not through
the named query the routes use, so a wrong query or serialisation shows up as a difference.
"""
from __future__ import annotations

from html.parser import HTMLParser

import httpx
import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic

from neaspec_kg.namespaces import ID, NK, ONTOLOGY_GRAPH, ONTOLOGY_IRI, OWL, RDF, RDFS, SKOS, XSD
from neaspec_kg.store import OxigraphStore
from tests.terms import Term, literal, value

EANET = ID + "mechanism/eanet"
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
PROBLEM = "application/problem+json"


def rdf(term: Term) -> rdflib.term.Node:
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    term = literal(term)
    if term.language:
        return rdflib.Literal(term.value, lang=term.language)
    dt = term.datatype.value
    return rdflib.Literal(term.value, datatype=None if dt == XSD + "string" else rdflib.URIRef(dt))


def quads_about(store: OxigraphStore, iri: str) -> set[tuple[rdflib.term.Node, ...]]:
    """Every (s, p, o, source) with ``iri`` as subject or object, in the named graphs."""
    node = ox.NamedNode(iri)
    found = list(store.oxigraph.quads_for_pattern(node, None, None, None))
    found += store.oxigraph.quads_for_pattern(None, None, node, None)
    return {(rdf(q.subject), rdf(q.predicate), rdf(q.object), rdflib.URIRef(q.graph_name.value))
            for q in found if isinstance(q.graph_name, ox.NamedNode)}


def parse(body: bytes, fmt: str) -> rdflib.Graph:
    g = rdflib.Graph()
    g.parse(data=body, format=fmt)
    return g


# --------------------------------------------------------------------------- RDF


def test_turtle_holds_every_triple_about_the_resource(http: httpx.Client, store: OxigraphStore) -> None:
    r = http.get("/id/mechanism/eanet", headers={"Accept": "text/turtle"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/turtle")
    assert "accept" in r.headers["vary"].lower()
    got = set(parse(r.content, "turtle"))
    want = {q[:3] for q in quads_about(store, EANET)}
    assert got == want
    assert (rdflib.URIRef(EANET), rdflib.URIRef(NK + "acronym"), rdflib.Literal("EANET")) in got


@pytest.mark.parametrize("media,fmt", [("application/ld+json", "json-ld"), ("application/n-triples", "nt")])
def test_other_triple_formats_say_the_same(http: httpx.Client, media: str, fmt: str) -> None:
    turtle = parse(http.get("/id/country/KOR", headers={"Accept": "text/turtle"}).content, "turtle")
    r = http.get("/id/country/KOR", headers={"Accept": media})
    assert r.status_code == 200 and r.headers["content-type"].split(";")[0] == media
    assert isomorphic(parse(r.content, fmt), turtle) and len(turtle) > 10


@pytest.mark.parametrize("media,fmt", [("application/n-quads", "nquads"), ("application/trig", "trig")])
def test_quad_formats_keep_the_source_of_each_triple(http: httpx.Client, store: OxigraphStore, media: str,
                                                     fmt: str) -> None:
    r = http.get("/id/mechanism/eanet", headers={"Accept": media})
    assert r.status_code == 200
    ds = rdflib.Dataset()
    ds.parse(data=r.content, format=fmt)
    got = {(s, p, o, g) for s, p, o, g in ds.quads((None, None, None, None)) if g is not None}
    got = {(s, p, o, g.identifier if isinstance(g, rdflib.Graph) else g) for s, p, o, g in got}
    assert got == quads_about(store, EANET)
    assert len({q[3] for q in got}) > 3, "EANET's facts come from several sources"


@pytest.mark.parametrize("accept,expected", [
    ("text/turtle", "text/turtle"),
    ("application/ld+json", "application/ld+json"),
    ("text/turtle;q=0.5, application/ld+json;q=0.9", "application/ld+json"),
    ("application/n-triples;q=0.2, text/*;q=0.3", "text/turtle"),
    ("application/ld+json;q=0, */*;q=0.1", "text/turtle"),
    ("*/*", "text/turtle"),
    (None, "text/turtle"),
    (BROWSER_ACCEPT, "text/html"),
    ("text/html;q=0.1, application/trig", "application/trig"),
    ("application/json", "application/ld+json"),
])
def test_content_negotiation_with_q_values(http: httpx.Client, accept: str | None, expected: str) -> None:
    headers = {"Accept": accept} if accept is not None else {}
    client_default = http.headers.get("accept")
    if accept is None:
        del http.headers["accept"]
    try:
        r = http.get("/id/focus/air-pollution", headers=headers)
    finally:
        if client_default is not None:
            http.headers["accept"] = client_default
    assert r.status_code == 200
    assert r.headers["content-type"].split(";")[0] in {expected, "application/json"}
    if expected == "text/html":
        assert "<table" in r.text


def test_nothing_acceptable_is_406_and_format_overrides(http: httpx.Client) -> None:
    r = http.get("/id/mechanism/eanet", headers={"Accept": "image/png, text/html;q=0"})
    assert r.status_code == 406 and r.headers["content-type"] == PROBLEM
    assert "text/turtle" in r.json()["acceptable"]
    r = http.get("/id/mechanism/eanet", params={"format": "trig"}, headers={"Accept": "image/png"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/trig")
    assert http.get("/id/mechanism/eanet", params={"format": "rdf/xml"}).status_code == 400


@pytest.mark.parametrize("path", ["/id/mechanism/no-such-thing", "/id/country/XXX", "/id/%3Cscript%3E",
                                  "/id/mechanism/eanet%22%3E", "/id/"])
def test_unknown_iris_are_404_problems(http: httpx.Client, path: str) -> None:
    r = http.get(path, headers={"Accept": BROWSER_ACCEPT})
    assert r.status_code == 404 and r.headers["content-type"] == PROBLEM
    assert r.json()["status"] == 404


def test_head_answers_like_get(http: httpx.Client) -> None:
    r = http.head("/id/mechanism/eanet", headers={"Accept": "text/turtle"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/turtle")


def test_lists_come_with_their_members(http: httpx.Client, store: OxigraphStore) -> None:
    """A resource pointing to an RDF list gets the list's nodes too, or the list would be unreadable."""
    iri = ID + "collection/implementation-levels"
    got = parse(http.get("/id/collection/implementation-levels", headers={"Accept": "text/turtle"}).content, "turtle")
    members = got.value(rdflib.URIRef(iri), rdflib.URIRef(SKOS + "memberList"))
    assert members is not None, "the collection's memberList is missing"
    items = list(rdflib.collection.Collection(got, members))
    levels = {value(q.subject) for q in store.oxigraph.quads_for_pattern(
        None, ox.NamedNode(RDF + "type"), ox.NamedNode(NK + "ImplementationLevel"), ox.DefaultGraph())}
    assert {str(i) for i in items} == levels and len(items) == len(levels)
    page = http.get("/id/collection/implementation-levels", headers={"Accept": "text/html"}).text
    assert 'id="nk-nested"' in page


# --------------------------------------------------------------------------- HTML


class Tables(HTMLParser):
    """Rows of the tables by id: each row's cells as (text, [hrefs])."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: dict[str, list[list[tuple[str, list[str]]]]] = {}
        self.hrefs: list[str] = []
        self.h1 = ""
        self._table: str | None = None
        self._cell: tuple[list[str], list[str]] | None = None
        self._in_h1 = False
        self._tbody = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "table":
            self._table = a.get("id") or ""
            self.tables[self._table] = []
        elif tag == "tbody":
            self._tbody = True
        elif tag == "tr" and self._table is not None and self._tbody:
            self.tables[self._table].append([])
        elif tag in {"td", "th"} and self._table is not None and self._tbody:
            self._cell = ([], [])
        elif tag == "a" and a.get("href"):
            self.hrefs.append(str(a["href"]))
            if self._cell:
                self._cell[1].append(str(a["href"]))
        elif tag == "h1":
            self._in_h1 = True

    def handle_endtag(self, tag: str) -> None:
        if tag in {"td", "th"} and self._cell is not None and self._table is not None:
            self.tables[self._table][-1].append((" ".join("".join(self._cell[0]).split()), self._cell[1]))
            self._cell = None
        elif tag == "table":
            self._table, self._tbody = None, False
        elif tag == "h1":
            self._in_h1 = False

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell[0].append(data)
        if self._in_h1:
            self.h1 += data


def tables_of(html: str) -> Tables:
    t = Tables()
    t.feed(html)
    return t


def test_resource_page_lists_every_triple_with_its_sources(http: httpx.Client, store: OxigraphStore) -> None:
    r = http.get("/id/mechanism/eanet", headers={"Accept": BROWSER_ACCEPT})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    page = tables_of(r.text)
    quads = quads_about(store, EANET)
    out = {(p, o) for s, p, o, _g in quads if s == rdflib.URIRef(EANET)}
    incoming = {(s, p) for s, p, o, _g in quads if o == rdflib.URIRef(EANET)}
    assert len(page.tables["nk-out"]) == len(out)
    assert len(page.tables["nk-in"]) == len(incoming)
    for row in page.tables["nk-out"] + page.tables["nk-in"]:
        sources = row[-1][1]
        assert sources and all(h.startswith("/id/source/") for h in sources), row
    graphs = {str(g) for *_t, g in quads}
    shown = {h for row in page.tables["nk-out"] + page.tables["nk-in"] for h in row[-1][1]}
    assert shown == {"/id/" + g.removeprefix(ID) for g in graphs}, "every source of a triple is named"
    assert not [h for h in page.hrefs if h.startswith("https://w3id.org/neaspec-kg/")], \
        "links between our resources stay on this server"
    assert "/id/membership/eanet-CHN" in page.hrefs and "/graph/mechanism/eanet" in page.hrefs
    assert "/mechanisms/eanet" in page.hrefs
    labels = {row[0][0] for row in page.tables["nk-out"]}
    assert any("acronym" in label for label in labels), "properties are shown by their labels"
    assert page.h1.strip() == "Acid Deposition Monitoring Network in East Asia"


def test_resource_page_in_another_language(http: httpx.Client, store: OxigraphStore) -> None:
    zh = next(literal(q.object).value for q in store.oxigraph.quads_for_pattern(
        ox.NamedNode(ID + "country/CHN"), ox.NamedNode(SKOS + "prefLabel"), None, ox.DefaultGraph())
        if literal(q.object).language == "zh")
    page = tables_of(http.get("/id/country/CHN", params={"lang": "zh"}, headers={"Accept": "text/html"}).text)
    assert page.h1.strip() == zh


def test_source_pages_dereference(http: httpx.Client) -> None:
    r = http.get("/id/source/neaspec-nfp2-1-table-2", headers={"Accept": "text/html"})
    assert r.status_code == 200 and "Table 2" in r.text


# --------------------------------------------------------------------------- the ontology


def ontology_graph(store: OxigraphStore) -> rdflib.Graph:
    g = rdflib.Graph()
    for q in store.oxigraph.quads_for_pattern(None, None, None, ox.NamedNode(ONTOLOGY_GRAPH)):
        g.add((rdf(q.subject), rdf(q.predicate), rdf(q.object)))
    return g


@pytest.mark.parametrize("media,fmt", [("text/turtle", "turtle"), ("application/ld+json", "json-ld"),
                                       ("application/n-triples", "nt")])
def test_ontology_as_rdf_is_the_ontology_graph(http: httpx.Client, store: OxigraphStore, media: str,
                                               fmt: str) -> None:
    r = http.get("/ontology", headers={"Accept": media})
    assert r.status_code == 200 and r.headers["content-type"].split(";")[0] == media
    assert isomorphic(parse(r.content, fmt), ontology_graph(store))


def test_ontology_page_documents_every_class_and_property(http: httpx.Client, store: OxigraphStore) -> None:
    r = http.get("/ontology", headers={"Accept": BROWSER_ACCEPT})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    g = ontology_graph(store)
    terms = {s for t in ("Class", "ObjectProperty", "DatatypeProperty", "AnnotationProperty")
             for s in g.subjects(rdflib.RDF.type, rdflib.URIRef(OWL + t)) if str(s).startswith(NK)}
    assert terms

    class Terms(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.ids: list[str] = []
            self.text: dict[str, str] = {}
            self._current: str | None = None

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag == "dt":
                self._current = dict(attrs).get("id")
                self.ids.append(str(self._current))
                self.text[str(self._current)] = ""

        def handle_data(self, data: str) -> None:
            if self._current:
                self.text[self._current] += data

    parsed = Terms()
    parsed.feed(r.text)
    assert sorted(parsed.ids) == sorted(str(t)[len(NK):] for t in terms)
    for t in terms:
        text = " ".join(parsed.text[str(t)[len(NK):]].split())
        label = g.value(t, rdflib.URIRef(RDFS + "label"))
        definition = g.value(t, rdflib.URIRef(SKOS + "definition")) or g.value(t, rdflib.RDFS.comment)
        assert label is not None and str(label) in text, t
        assert definition is not None and " ".join(str(definition).split()) in text, t
    assert ONTOLOGY_IRI in r.text
