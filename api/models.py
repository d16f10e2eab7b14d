"""Response models of the REST API's resource routes (mechanisms, countries, focus areas, queries): they
document the answers in OpenAPI (/docs) and the tests check real answers against them. Extra fields are
allowed, so the models name what clients can rely on. The analysis answers (overlap, duplication, checks,
proposals) use the library's own models, ``neaspec_kg.models``, shared with the CLI."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class SourceRef(Open):
    iri: str
    label: str = Field(examples=["NEASPEC/NFP-2/1, Table 2"])
    kind: str = Field(examples=["DocumentPart", "WebSource"])
    locator: str | None = None
    url: str | None = None


class Ref(Open):
    id: str
    label: str


class Member(Ref):
    role: str = Field(examples=["member", "observer"])
    since: str | None = None
    sources: list[SourceRef]


class Kind(Open):
    id: str
    label: str


class MechanismSummary(Open):
    id: str = Field(examples=["eanet"])
    iri: str
    acronym: str | None = Field(examples=["EANET"])
    label: str = Field(examples=["Acid Deposition Monitoring Network in East Asia"])
    kind: Kind
    subregional: bool
    established: list[str]
    member_count: int


class MechanismList(Open):
    count: int
    mechanisms: list[MechanismSummary]


class Unit(Open):
    id: str
    label: str
    sources: list[SourceRef]
    hosted_by: Ref | None = None
    type: str | None = None


class FocusOfMechanism(Open):
    id: str
    label: str
    themes: list[str]
    modalities: list[str]
    through: list[str]
    stated_as: list[str]
    sources: list[SourceRef]


class Claim(Open):
    value: str
    sources: list[SourceRef]


class MechanismDetail(MechanismSummary):
    members: list[Member]
    secretariat: list[Unit]
    governing_bodies: list[Unit]
    focus_areas: list[FocusOfMechanism]
    established_claims: list[Claim] = Field(
        description="each establishment year or date with the sources stating it; several values are a disagreement")
    components: list[Open]
    engagements: list[Open]
    labels: list[Open]


class CountrySummary(Open):
    id: str = Field(examples=["MNG"])
    iri: str
    label: str = Field(examples=["Mongolia"])
    iso3166_alpha2: str
    iso3166_numeric: str | None = None
    wikidata: str | None = None
    neaspec_member_state: bool
    mechanism_count: int


class CountryList(Open):
    count: int
    countries: list[CountrySummary]


class CountryDetail(CountrySummary):
    mechanisms: list[Open]
    labels: list[Open]


class FocusNode(Open):
    id: str
    iri: str
    label: str
    kind: str = Field(examples=["thematic area", "focus area"])
    narrower: list[FocusNode] = []


class FocusTree(Open):
    themes: list[FocusNode]


class FocusDetail(Open):
    id: str
    iri: str
    label: str
    kind: str
    broader: list[Open]
    narrower: list[Open]
    labels: list[Open]








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
