"""The one entry point most callers need: a validated graph in a store, and named queries on it."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import rdflib

from neaspec_kg import catalogue
from neaspec_kg.build import build
from neaspec_kg.config import Paths
from neaspec_kg.store import RemoteStore, Rows, SparqlStore, Table, open_store


def open_graph(paths: Paths | None = None, *, store: str = "oxigraph", use_cache: bool = True) -> SparqlStore:
    """Build and validate ontology + data, then load a store. ``store`` may be 'oxigraph',
    'rdflib', or the URL of a remote SPARQL 1.1 endpoint that already holds the data."""
    if store.startswith(("http://", "https://")):
        return RemoteStore(store)
    return open_store(build(paths, use_cache=use_cache), store)


def run(store: SparqlStore, name: str, params: Mapping[str, Any] | None = None, *,
        limit: int | None = None) -> Rows | bool | rdflib.Graph:
    """Run a named query with typed parameters (see neaspec_kg/catalogue.py), at most ``limit`` rows."""
    query = catalogue.get(name)
    text = query.bind(params, limit=limit)
    if query.form == "ASK":
        return store.ask(text)
    if query.form in {"CONSTRUCT", "DESCRIBE"}:
        return store.construct(text)
    return store.select(text)


def select_table(store: SparqlStore, name: str, params: Mapping[str, Any] | None = None) -> Table:
    """Run a named SELECT query for bulk reading: plain text values, "" where unbound (see store.Table)."""
    return store.select_table(catalogue.get(name).bind(params))


def select(store: SparqlStore, name: str, params: Mapping[str, Any] | None = None, *,
           limit: int | None = None) -> Rows:
    """Run a named SELECT query; a typed convenience over ``run``."""
    rows = run(store, name, params, limit=limit)
    assert isinstance(rows, Rows), f"{name} is not a SELECT query"
    return rows
