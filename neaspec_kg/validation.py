"""SHACL validation, turned into ``Violation`` objects an editor can act on.

Two engines with one report format: pyshacl-turbo (a Rust engine with pySHACL's API, which reads the
pyoxigraph store directly) is the default because it is several times faster on our data (1,000 generated
mechanisms: 1.8 s against 12.3 s for the conversion to rdflib and pySHACL, measured in ``bench/scale.py``);
pySHACL remains available (``NEASPEC_KG_SHACL=pyshacl``) as the reference, and a test holds the two to the
same violations on broken data."""
from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox
import pyshacl
import rdflib
from rdflib.namespace import SH

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
    engine = engine or default_engine()
    shapes = rdflib.Graph().parse(shapes_path, format="turtle")
    if engine == "turbo":
        import pyshacl_turbo

        if isinstance(quads, ox.Store):
            data = quads
        else:
            data = ox.Store()
            data.bulk_extend(ox.Quad(q.subject, q.predicate, q.object, ox.DefaultGraph()) for q in quads)
        conforms, report, _text = pyshacl_turbo.validate(
            data, shacl_graph=shapes, inference="none", advanced=True, allow_warnings=True)
    else:
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
    out.sort(key=lambda v: (v.focus_node, v.path or "", v.message))
    return out
