"""The named-query catalogue: ``queries/*.rq`` files with a header, run with typed parameters.

A query file starts with a YAML header in ``#+`` comment lines (as grlc does), for example::

    #+ title: Members of a mechanism
    #+ description: Countries taking part in a mechanism, with role, dates and sources.
    #+ params:
    #+   - {name: mechanism, type: mechanism, required: true, description: "mechanism id, e.g. eanet"}
    #+ example: {mechanism: eanet}

Each parameter ``p`` appears in the query body as one or more ``VALUES ?p { UNDEF }`` blocks
(several when the query needs the same values in two places, e.g. both ends of an engagement).
Binding replaces ``UNDEF`` with RDF terms built and serialised by pyoxigraph (IRIs are validated,
literals escaped), never with the caller's raw text, so a value full of quotes or braces stays one
literal and cannot change the query. An optional parameter left out stays ``UNDEF`` (matches all).
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import yaml

from neaspec_kg.errors import NeaspecKgError
from neaspec_kg.namespaces import ID, XSD

QUERY_DIR = Path(__file__).parent / "queries"

#: parameter types; the id types accept a short id or a full IRI under our base
PARAM_TYPES = {"iri", "string", "integer", "decimal", "boolean", "date", "mechanism", "country", "focus"}
_ID_TYPES = {"mechanism": "mechanism/", "country": "country/", "focus": "focus/"}
_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,80}$")


class CatalogueError(NeaspecKgError):
    """A query file is malformed (a bug in the project, found at load time)."""


class ParameterError(NeaspecKgError):
    """A caller passed a missing, unknown or badly typed parameter."""

    def __init__(self, param: str, message: str) -> None:
        self.param = param
        super().__init__(f"parameter {param!r}: {message}")


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    required: bool = False
    multiple: bool = False
    description: str = ""
    default: Any = None

    def to_term(self, raw: Any) -> ox.NamedNode | ox.Literal:
        """Build the RDF term for one value; raise ParameterError if it does not fit the type."""
        text = str(raw).strip() if not isinstance(raw, bool) else ("true" if raw else "false")
        try:
            if self.type in _ID_TYPES:
                if text.startswith(ID):
                    return ox.NamedNode(text)
                if not _ID_PATTERN.match(text):
                    raise ParameterError(self.name, f"{text!r} is not a valid {self.type} id")
                local = text.upper() if self.type == "country" else text.lower()
                return ox.NamedNode(ID + _ID_TYPES[self.type] + local)
            if self.type == "iri":
                if not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", text):
                    raise ParameterError(self.name, f"{text!r} is not an absolute IRI")
                return ox.NamedNode(text)
            if self.type == "integer":
                return ox.Literal(str(int(text)), datatype=ox.NamedNode(XSD + "integer"))
            if self.type == "decimal":
                return ox.Literal(str(float(text)), datatype=ox.NamedNode(XSD + "decimal"))
            if self.type == "boolean":
                if text.lower() not in {"true", "false", "1", "0"}:
                    raise ParameterError(self.name, f"{text!r} is not true or false")
                return ox.Literal("true" if text.lower() in {"true", "1"} else "false",
                                  datatype=ox.NamedNode(XSD + "boolean"))
            if self.type == "date":
                from neaspec_kg.index.periods import DateError, parse_as_of
                try:
                    day = parse_as_of(text)
                except DateError as exc:
                    raise ParameterError(self.name, str(exc)) from None
                assert day is not None
                return ox.Literal(day.isoformat(), datatype=ox.NamedNode(XSD + "date"))
            return ox.Literal(str(raw))
        except ValueError as exc:
            raise ParameterError(self.name, f"{text!r} is not a valid {self.type}: {exc}") from None


@dataclass(frozen=True)
class NamedQuery:
    name: str
    title: str
    description: str
    text: str
    params: tuple[Param, ...] = ()
    example: Mapping[str, Any] = field(default_factory=dict)
    path: Path | None = None

    @property
    def form(self) -> str:
        """SELECT, ASK, CONSTRUCT or DESCRIBE."""
        return query_form(self.text)

    def bind(self, values: Mapping[str, Any] | None = None, *, limit: int | None = None) -> str:
        """The query text with parameters bound and an optional LIMIT (top-K in the store, not after
        it); raise ParameterError on bad input."""
        values = dict(values or {})
        unknown = sorted(set(values) - {p.name for p in self.params})
        if unknown:
            raise ParameterError(unknown[0], f"unknown parameter; {self.name} takes {[p.name for p in self.params]}")
        text = self.text
        for p in self.params:
            raw = values.get(p.name, p.default)
            if raw is None or raw == "" or raw == []:
                if p.required:
                    raise ParameterError(p.name, "is required")
                continue
            items = raw if isinstance(raw, list | tuple) else [raw]
            if len(items) > 1 and not p.multiple:
                raise ParameterError(p.name, "takes one value")
            terms = " ".join(str(p.to_term(v)) for v in items)
            block = f"VALUES ?{p.name} {{ {terms} }}"
            text = _values_block(p.name).sub(lambda _m, b=block: b, text)  # type: ignore[misc]
        if limit is not None:
            if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
                raise ParameterError("limit", f"{limit!r} is not a non-negative integer")
            text += f"LIMIT {limit}\n"
        return text


def query_form(text: str) -> str:
    """The query form of SPARQL text: the first form keyword outside comments, IRIs and strings.
    A guess is enough here: the store's parser has the last word on the query itself."""
    body = re.sub(r"(?m)#.*$", "", text)
    body = re.sub(r'"[^"\n]*"|<[^>\s]*>', "", body)
    m = re.search(r"\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", body, re.IGNORECASE)
    return m.group(1).upper() if m else "SELECT"


def _values_block(name: str) -> re.Pattern[str]:
    return re.compile(r"VALUES\s+\?" + re.escape(name) + r"\s*\{\s*UNDEF\s*\}")


def _parse_file(path: Path) -> NamedQuery:
    lines = path.read_text(encoding="utf-8").splitlines()
    header = [line[2:].removeprefix(" ") for line in lines if line.startswith("#+")]
    try:
        meta = yaml.safe_load("\n".join(header)) or {}
    except yaml.YAMLError as exc:
        raise CatalogueError(f"{path}: header is not valid YAML: {exc}") from None
    if "title" not in meta:
        raise CatalogueError(f"{path}: header lacks a title")
    params = []
    for raw in meta.get("params") or []:
        p = Param(
            name=raw["name"], type=raw.get("type", "string"), required=bool(raw.get("required", False)),
            multiple=bool(raw.get("multiple", False)), description=raw.get("description", ""),
            default=raw.get("default"),
        )
        if p.type not in PARAM_TYPES:
            raise CatalogueError(f"{path}: parameter {p.name} has unknown type {p.type}")
        params.append(p)
    text = "\n".join(line for line in lines if not line.startswith("#+")).strip() + "\n"
    for p in params:
        if not _values_block(p.name).search(text):
            raise CatalogueError(f"{path}: parameter {p.name} needs a 'VALUES ?{p.name} {{ UNDEF }}' block")
    return NamedQuery(
        name=path.stem, title=meta["title"], description=str(meta.get("description", "")).strip(), text=text,
        params=tuple(params), example=meta.get("example") or {}, path=path,
    )


@cache
def catalogue(directory: Path = QUERY_DIR) -> dict[str, NamedQuery]:
    """All named queries, by name (the file's stem)."""
    return {q.name: q for q in (_parse_file(p) for p in sorted(directory.glob("*.rq")))}


def get(name: str) -> NamedQuery:
    try:
        return catalogue()[name]
    except KeyError:
        raise NeaspecKgError(f"no named query {name!r}; known: {', '.join(sorted(catalogue()))}") from None


def names() -> Sequence[str]:
    return sorted(catalogue())
