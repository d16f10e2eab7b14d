"""SHACL validation with pySHACL, turned into ``Violation`` objects an editor can act on."""
from __future__ import annotations

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
    return term.n3()


def to_rdflib(quads: Iterable[ox.Quad]) -> rdflib.Graph:
    """The RDF merge of the quads as an rdflib Graph (what pySHACL and rdflib tooling take)."""
    triples = (ox.Triple(q.subject, q.predicate, q.object) for q in quads)
    data = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""
    return rdflib.Graph().parse(data=data, format="nt")


def run_shacl(quads: Iterable[ox.Quad], shapes_path: Path) -> list[Violation]:
    """Validate the RDF merge of ``quads`` (data + ontology, so subclass targets work)."""
    data = to_rdflib(quads)
    shapes = rdflib.Graph().parse(shapes_path, format="turtle")
    conforms, report, _text = pyshacl.validate(
        data, shacl_graph=shapes, inference="none", advanced=True, allow_warnings=True
    )
    if conforms:
        return []
    out: list[Violation] = []
    for result in report.subjects(rdflib.RDF.type, SH.ValidationResult):
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
