"""Linked Data: our IRIs dereference on this server, as HTML for people and as RDF for programs.

``/id/{path}`` answers for ``https://w3id.org/neaspec-kg/id/{path}`` and ``/ontology`` for the ontology
(``/ontology#Term`` is the same document: the fragment never reaches a server). What comes back depends
on the Accept header (RFC 9110 proactive negotiation, with q-values; the same ``negotiate`` as the SPARQL
endpoint): an HTML page, Turtle, JSON-LD, N-Triples, or, to keep the source of every triple, TriG or
N-Quads with one named graph per source. ``?format=turtle|json-ld|n-triples|trig|n-quads|html``
overrides the header, for links. No acceptable type gives 406, an IRI with no triples 404 (both as
``application/problem+json``).

All data is read through named queries (``describe-resource``, ``ontology-terms``, ``ontology-graph``),
and the ontology page is generated from the graph, so the documentation cannot drift from the ontology.
"""
from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable
from typing import Annotated, Any

import rdflib
from fastapi import APIRouter, Query, Request
from markupsafe import Markup
from starlette.responses import Response

from api.deps import Service
from api.i18n import N_, gettext_for
from api.links import ServedLinks
from api.negotiation import RESOURCE_FORMAT_NAMES, RESOURCE_OFFERS, RESOURCE_SERIALISERS, negotiate
from api.problems import PROBLEM_BASE, ProblemError
from api.service import RestService
from api.views import ENV, HTML, language, page
from neaspec_kg import views
from neaspec_kg.export import with_prefixes
from neaspec_kg.graph import run, select
from neaspec_kg.namespaces import ID, NK, ONTOLOGY_IRI, PREFIXES, RDF, RDFS, SKOS, XSD, local_id
from neaspec_kg.store import Row, Term, text

HTML_TYPES = ("text/html", "application/xhtml+xml")
#: media type -> rdflib serialiser; quads formats keep each triple's named graph (its source)
DOWNLOADS = (("Turtle", "turtle"), ("JSON-LD", "json-ld"), ("N-Triples", "n-triples"),
             ("TriG (with sources)", "trig"), ("N-Quads (with sources)", "n-quads"))
_PATH = re.compile(r"[A-Za-z0-9][A-Za-z0-9._~:@!$'()*+,;=%/-]{0,300}")
OWL = "http://www.w3.org/2002/07/owl#"
TERM_KINDS = ((OWL + "Class", "Classes"), (OWL + "ObjectProperty", "Object properties"),
              (OWL + "DatatypeProperty", "Datatype properties"), (OWL + "AnnotationProperty", "Annotation properties"))


# --------------------------------------------------------------------------- negotiation


def choose(request: Request, format_: str | None) -> str:
    """The media type to answer with: ``?format=`` if given, else the Accept header; 406 if none fits."""
    if format_:
        media = RESOURCE_FORMAT_NAMES.get(format_.strip().lower())
        if media is None:
            raise ProblemError(400, "Unknown format",
                               f"format must be one of {', '.join(sorted(RESOURCE_FORMAT_NAMES))}",
                               type_=PROBLEM_BASE + "invalid-parameter", parameter="format", value=format_)
        return media
    media = negotiate(request.headers.get("accept"), RESOURCE_OFFERS)
    if media is None:
        raise ProblemError(406, "Not acceptable",
                           "This resource is available as HTML, Turtle, JSON-LD, N-Triples, TriG or N-Quads.",
                           type_=PROBLEM_BASE + "not-acceptable",
                           acceptable=[m for m in RESOURCE_OFFERS if m not in {"application/json", "text/plain"}])
    return {"application/xhtml+xml": "text/html", "application/json": "application/ld+json",
            "text/plain": "application/n-triples"}.get(media, media)


# --------------------------------------------------------------------------- RDF





def serialise(quads: list[tuple[Term, Term, Term, Term]], media: str) -> bytes:
    """The quads as ``media``: triples formats merge the graphs (each triple once), quads formats keep them.

    rdflib, not pyoxigraph (which serialises the SPARQL endpoint's answers): pyoxigraph 0.5 writes JSON-LD only
    in expanded form (no ``@context``, ``prefixes`` ignored), and Turtle/TriG with every prefix it is given,
    used or not, and no ``[ ]`` or ``( )`` for blank nodes and RDF lists; these pages are read by people."""
    fmt = RESOURCE_SERIALISERS[media]
    if fmt in {"trig", "nquads"}:
        ds = with_prefixes(rdflib.Dataset())
        for s, p, o, g in quads:
            ds.graph(rdflib.URIRef(g.value)).add((s.to_rdflib(), p.to_rdflib(), o.to_rdflib()))
        return ds.serialize(format=fmt, encoding="utf-8")
    graph = with_prefixes(rdflib.Graph())
    for s, p, o, _g in quads:
        graph.add((s.to_rdflib(), p.to_rdflib(), o.to_rdflib()))
    if fmt == "json-ld":
        return graph.serialize(format="json-ld", context=dict(PREFIXES), auto_compact=True, encoding="utf-8")
    return graph.serialize(format=fmt, encoding="utf-8")


def _rdf_response(body: bytes, media: str) -> Response:
    charset = "; charset=utf-8" if media.startswith("text/") or media == "application/n-triples" else ""
    return Response(body, media_type=media + charset, headers={"Vary": "Accept"})


# --------------------------------------------------------------------------- HTML helpers


def compact(iri: str) -> str:
    """``nk:Mechanism`` for an IRI under a known prefix, the IRI itself otherwise."""
    best = ""
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns) and len(ns) > len(PREFIXES.get(best, "")) and re.fullmatch(r"[\w.-]*", iri[len(ns):]):
            best = prefix
    return f"{best}:{iri[len(PREFIXES[best]):]}" if best else iri


def here(iri: str) -> str:
    """Our IRIs link to this server; anything else to itself (a W3C term, a cited web page)."""
    return ServedLinks().resource(iri)


def _cell(term: Term, label: str | None) -> dict[str, Any]:
    """What a table cell shows for one RDF term."""
    if term.kind == "uri":
        href = here(term.value)
        return {"kind": "iri", "text": label or compact(term.value), "iri": compact(term.value),
                "href": href if views.safe_url(href) else None, "external": not href.startswith("/")}
    if term.kind == "bnode":
        return {"kind": "bnode", "text": f"_:{term.value}"}
    tag = f"@{term.lang}" if term.lang else (compact(term.datatype) if term.datatype and
                                             term.datatype != XSD + "string" else "")
    return {"kind": "literal", "text": term.value, "tag": tag}


RESOURCE = ENV.get_template("resource.html")

ONTOLOGY = ENV.get_template("ontology.html")


def _label_of(rows: list[Row], iri: str, lang: str) -> str:
    """The resource's name: its preferred label in ``lang``, in English, its rdfs:label, its acronym, its id."""
    by: dict[str, str] = {}
    for r in rows:
        if r["direction"].value != "out" or r["o"].kind != "literal":
            continue
        p, o = r["p"].value, r["o"]
        key = {SKOS + "prefLabel": "pref", RDFS + "label": "label", NK + "acronym": "acronym",
               "http://purl.org/dc/terms/title": "title"}.get(p)
        if key == "pref" and o.lang and o.lang.split("-")[0] == lang:
            by.setdefault("pref-lang", o.value)
        elif key == "pref" and (not o.lang or o.lang.split("-")[0] == "en"):
            by.setdefault("pref-en", o.value)
        elif key:
            by.setdefault(key, o.value)
    for key in ("pref-lang", "pref-en", "title", "label", "acronym"):
        if key in by:
            return by[key]
    return local_id(iri)


def _views(iri: str, lang: str) -> list[dict[str, str]]:
    """Links from a resource page to its graph page and its REST JSON, where it has them."""
    links = ServedLinks(lang=lang)
    kind, ident = views.kind_of(iri), local_id(iri)
    out = []
    if kind == "mechanism":
        out.append({"text": N_("Graph of this mechanism"), "href": str(links.view("mechanism", ident))})
    elif kind == "focus":
        out.append({"text": N_("Mechanisms on this focus (graph)"), "href": str(links.view("overlap", ident))})
    rest = links.rest(iri)
    if rest:
        out.append({"text": "REST JSON", "href": rest})
    return out


def describe(s: RestService, iri: str, lang: str) -> list[Row]:
    rows = select(s.store, "describe-resource", {"resource": iri, "lang": lang})
    if not rows:
        raise ProblemError(404, "No such resource", f"The graph has no triple about <{iri}>.",
                           type_=PROBLEM_BASE + "not-found", value=iri)
    return rows


def resource_html(iri: str, rows: list[Row], lang: str) -> bytes:
    """The resource page: every triple about it, with readable labels and the source of each."""
    grouped: dict[tuple[str, str, str, str], dict[str, Any]] = OrderedDict()
    for r in rows:
        d = r["direction"].value
        key = (d, r["s"].value, r["p"].value, repr(r["o"]))
        if key not in grouped:
            other = text(r, "otherLabel")
            grouped[key] = {
                "direction": d,
                "s": _cell(r["s"], other if d == "in" else None),
                "p": _cell(r["p"], text(r, "pLabel")),
                "o": _cell(r["o"], other if d != "in" else None),
                "sources": [], "type": r["p"].value == RDF + "type",
            }
        grouped[key]["sources"].append({"href": here(r["graph"].value),
                                        "text": text(r, "graphLabel") or compact(r["graph"].value)})
    out = [g for g in grouped.values() if g["direction"] == "out"]
    types = []
    for g in out:
        if g["type"] and g["o"] not in types:
            types.append(g["o"])
    content = RESOURCE.render(
        title=_label_of(rows, iri, lang), iri=iri, types=types, views=_views(iri, lang), downloads=DOWNLOADS,
        out=out, nested=[g for g in grouped.values() if g["direction"] == "nested"],
        incoming=[g for g in grouped.values() if g["direction"] == "in"], _=gettext_for(lang))
    alternates = [{"type": RESOURCE_FORMAT_NAMES[f], "href": f"?format={f}"} for _n, f in DOWNLOADS]
    return bytes(page(_label_of(rows, iri, lang), Markup(content), lang=lang, alternates=alternates,
                      allow_links=True, headers={"Vary": "Accept"}).body)


def resource_quads(rows: list[Row]) -> list[tuple[Term, Term, Term, Term]]:
    return [(r["s"], r["p"], r["o"], r["graph"]) for r in rows]


def ontology_html(s: RestService) -> bytes:
    """Every class and property of the ontology with its label and definition, generated from the graph."""
    meta = select(s.store, "describe-resource", {"resource": ONTOLOGY_IRI})

    def first(prop: str) -> str | None:
        return next((r["o"].value for r in meta if r["direction"].value == "out" and r["p"].value == prop), None)

    def refs(iris: str) -> list[dict[str, str | None]]:
        out: list[dict[str, str | None]] = []
        for i in iris.split():
            href = ("#" + i[len(NK):]) if i.startswith(NK) else here(i)
            out.append({"text": _short(i), "href": href if href.startswith("#") or views.safe_url(href) else None})
        return out

    rows = select(s.store, "ontology-terms")
    sections = []
    for type_iri, title in TERM_KINDS:
        terms = [{"name": r["term"].value[len(NK):], "label": text(r, "label") or r["term"].value[len(NK):],
                  "definition": text(r, "definition") or "",
                  "supers": refs(text(r, "supers") or ""), "domains": refs(text(r, "domains") or ""),
                  "ranges": refs(text(r, "ranges") or "")} for r in rows if r["type"].value == type_iri]
        if terms:
            sections.append({"anchor": title.lower().replace(" ", "-"), "title": title, "terms": terms,
                             "super_word": "subclass of" if type_iri == OWL + "Class" else "subproperty of"})
    title = first("http://purl.org/dc/terms/title") or first(RDFS + "label") or "The neaspec-kg ontology"
    content = ONTOLOGY.render(
        title=title, iri=ONTOLOGY_IRI, version=first(OWL + "versionInfo"),
        description=first("http://purl.org/dc/terms/description"), sections=sections, total=len(rows),
        downloads=DOWNLOADS, meta=_meta(meta), _=gettext_for("en"))
    alternates = [{"type": RESOURCE_FORMAT_NAMES[f], "href": f"?format={f}"} for _n, f in DOWNLOADS]
    return bytes(page(title, Markup(content), alternates=alternates, allow_links=True,
                      headers={"Vary": "Accept"}).body)


#: namespaces rdflib knows by name (vann, foaf, dcat, ...), after the graph's own: the ontology page names a term of
#: any of them as prefix:name, never by a full IRI wrapped over three lines
_WELL_KNOWN = {p: str(ns) for p, ns in rdflib.Graph(bind_namespaces="rdflib").namespaces() if p not in PREFIXES}


def _short(iri: str) -> str:
    """``vann:preferredNamespacePrefix`` where ``compact`` knows no prefix; the IRI itself if no namespace fits."""
    named = compact(iri)
    if named != iri:
        return named
    for prefix, ns in sorted(_WELL_KNOWN.items(), key=lambda kv: -len(kv[1])):
        if iri.startswith(ns) and re.fullmatch(r"[\w.-]+", iri[len(ns):]):
            return f"{prefix}:{iri[len(ns):]}"
    return iri


def _named(cell: dict[str, Any]) -> dict[str, Any]:
    """A metadata cell that would show a full IRI shows its prefixed name instead."""
    if cell["kind"] == "iri" and cell["text"] == cell["iri"]:
        return {**cell, "text": _short(cell["iri"]), "iri": _short(cell["iri"])}
    return cell


def _meta(rows: list[Row]) -> list[dict[str, Any]]:
    """The ontology's own statements (title, version, licence, ...) as property, value and sources."""
    grouped: dict[tuple[str, str], dict[str, Any]] = OrderedDict()
    for r in rows:
        if r["direction"].value != "out":
            continue
        key = (r["p"].value, repr(r["o"]))
        if key not in grouped:
            grouped[key] = {"p": _named(_cell(r["p"], text(r, "pLabel"))),
                            "o": _named(_cell(r["o"], text(r, "otherLabel"))),
                            "sources": []}
        grouped[key]["sources"].append({"href": here(r["graph"].value),
                                        "text": text(r, "graphLabel") or compact(r["graph"].value)})
    return list(grouped.values())


def ontology_quads(s: RestService) -> list[tuple[Term, Term, Term, Term]]:
    graph = run(s.store, "ontology-graph")
    assert isinstance(graph, rdflib.Graph)
    name = Term("uri", ONTOLOGY_IRI)
    term = Term.from_rdflib
    return [(term(a), term(b), term(c), name) for a, b, c in graph]


# --------------------------------------------------------------------------- routes


#: ``/id/{path}`` and ``/ontology``: dereferenceable IRIs with content negotiation.
router = APIRouter(tags=["linked data"])
responses: dict[int | str, dict[str, Any]] = {
    200: {"content": {m: {} for m in ("text/html", *RESOURCE_SERIALISERS)}},
    404: {"description": "No triple about this IRI", "content": {"application/problem+json": {}}},
    406: {"description": "None of the Accept header's types is offered",
          "content": {"application/problem+json": {}}},
}


def resource(request: Request, s: Service, path: str, lang: str = "en",
             format: Annotated[str | None, Query(max_length=20)] = None) -> Response:
    media = choose(request, format)
    if not _PATH.fullmatch(path) or "//" in path:
        raise ProblemError(404, "No such resource", f"{path!r} is not an identifier of this graph.",
                           type_=PROBLEM_BASE + "not-found", value=path)
    iri = ID + path
    lang = language(lang)
    if media == "text/html":
        body = s.memo(("ld-html", iri, lang), lambda: resource_html(iri, describe(s, iri, lang), lang))
        return Response(body, media_type=HTML, headers={"Vary": "Accept"})
    body = s.memo(("ld", iri, media), lambda: serialise(resource_quads(describe(s, iri, "en")), media))
    return _rdf_response(body, media)


def ontology(request: Request, s: Service, format: Annotated[str | None, Query(max_length=20)] = None) -> Response:
    media = choose(request, format)
    if media == "text/html":
        return Response(s.memo(("ontology-html",), lambda: ontology_html(s)), media_type=HTML,
                        headers={"Vary": "Accept"})
    return _rdf_response(s.memo(("ontology", media), lambda: serialise(ontology_quads(s), media)), media)

# GET and HEAD share one hidden route (a multi-method route would give both methods one OpenAPI operation
# id); the GET-only registrations after it document the operations and are never reached at run time.
routes: list[tuple[str, Callable[..., Response], str]] = [
    ("/id/{path:path}", resource, "A resource (https://w3id.org/neaspec-kg/id/{path}): HTML, Turtle, JSON-LD, "
                                  "N-Triples, TriG or N-Quads by Accept, with the source of every triple"),
    ("/ontology", ontology, "The ontology: an HTML page of every class and property, or the ontology graph as RDF"),
]
for path, endpoint, summary in routes:
    router.add_api_route(path, endpoint, methods=["GET", "HEAD"], include_in_schema=False)
    router.add_api_route(path, endpoint, methods=["GET"], responses=responses, summary=summary)



