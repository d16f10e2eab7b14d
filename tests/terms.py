"""Reading pyoxigraph terms in the tests.

pyoxigraph types a quad's subject and object as possibly a quoted triple (RDF-star) and its graph name as
possibly the default graph, neither of which has a ``.value``. The project's graph has no quoted triples, so
the tests read terms through these helpers, which say so (and fail loudly if it ever stops being true)
instead of silently reading an attribute that is not there.
"""
from __future__ import annotations

import pyoxigraph as ox

Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | ox.DefaultGraph


def value(term: Term) -> str:
    """The IRI, blank node id or lexical form of ``term``."""
    assert not isinstance(term, ox.Triple | ox.DefaultGraph), f"expected a term with a value, got {term!r}"
    return term.value


def literal(term: Term) -> ox.Literal:
    """``term``, which must be a literal (to read its language or datatype)."""
    assert isinstance(term, ox.Literal), f"expected a literal, got {term!r}"
    return term
