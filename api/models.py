"""Response models of the REST API's own answers (the named-query catalogue): they document the answers in
OpenAPI (/docs) and the tests check real answers against them. Extra fields are allowed, so the models name
what clients can rely on. Every other answer is a library model shared with the CLI and the views: the
analysis answers (overlap, duplication, checks, proposals) in ``neaspec_kg.models``, the profiles of
mechanisms, countries and focus areas in ``neaspec_kg.models_profiles``."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class ParamInfo(Open):
    name: str
    type: str
    required: bool
    multiple: bool
    description: str


class NamedQueryInfo(Open):
    name: str
    title: str
    description: str
    form: str
    params: list[ParamInfo]
    example: dict[str, object]
    run: str = Field(description="URL that runs the query with its example parameters")
    sparql: str


class QueryCatalogue(Open):
    count: int
    queries: list[NamedQueryInfo]
