"""The typed answers of ``neaspec_kg.analysis.profiles``: mechanisms, countries and focus areas as REST
``/mechanisms``, ``/countries`` and ``/focus-areas`` serve them, the CLI prints them and the views read them.

They follow ``neaspec_kg.models`` (the analysis answers): pydantic, extra fields forbidden, so the API documents
them in OpenAPI and validates them. Their JSON is the profiles' public contract from before they were typed:
a field that used to be left out when empty (a source's locator or URL, a secretariat's host, a governing body's
type) is still left out, never written as ``null`` (``exclude_if``).
"""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from neaspec_kg.models import Model

#: the cells of Table 2 a mechanism's row states, by the ontology property that holds them
StatedKey = Literal["statedMembers", "statedGovernance", "statedSecretariat", "statedFocusAreas"]
ConceptKind = Literal["thematic area", "focus area"]
LabelKind = Literal["pref", "alt", "hidden", "acronym"]
ComponentType = Literal["platform", "strategic plan", "plan"]


def _absent(value: object) -> bool:
    return value is None


class SourceCitation(Model):
    """A source as ``neaspec_kg.models.SourceRef`` gives it, with the fields it lacks left out of the JSON."""

    iri: str
    label: str = Field(examples=["NEASPEC/NFP-2/1, Table 2"])
    kind: str = Field(examples=["DocumentPart", "WebSource"])
    locator: str | None = Field(default=None, exclude_if=_absent)
    url: str | None = Field(default=None, exclude_if=_absent)
    secondary: bool | None = Field(default=None, exclude_if=_absent,
                                   description="for a web source: a secondary one (not the mechanism's own site)")


class Label(Model):
    label: str
    lang: str | None = Field(description="BCP 47 tag; null for a label without a language (an acronym)")
    kind: LabelKind


class SourcedLabel(Label):
    sources: list[SourceCitation]


class Claim(Model):
    """One value of a fact with the sources stating it; several claims for one fact are a disagreement."""

    value: str
    sources: list[SourceCitation]


class KindRef(Model):
    id: str = Field(examples=["convention", "action-plan"])
    label: str


class MechanismSummary(Model):
    id: str = Field(examples=["eanet"])
    iri: str
    acronym: str | None = Field(examples=["EANET"])
    label: str = Field(examples=["Acid Deposition Monitoring Network in East Asia"])
    kind: KindRef
    subregional: bool = Field(description="one of the eight subregional mechanisms of Table 2")
    established: list[str] = Field(description="establishment years or dates as the sources state them, sorted")
    member_count: int


class MechanismList(Model):
    count: int
    mechanisms: list[MechanismSummary]


class MemberOfMechanism(Model):
    id: str = Field(examples=["MNG"], description="ISO 3166-1 alpha-3")
    label: str
    role: str = Field(examples=["member", "observer"])
    since: str | None = Field(description="the earliest start date the sources give (a year or a day)")
    sources: list[SourceCitation]


class Host(Model):
    id: str = Field(examples=["nier"])
    label: str


class StructureUnit(Model):
    """A secretariat (with its host, when known) or a governing body (with its type, when known)."""

    id: str
    label: str
    sources: list[SourceCitation]
    hosted_by: Host | None = Field(default=None, exclude_if=_absent)
    type: str | None = Field(default=None, exclude_if=_absent, examples=["intergovernmental meeting"])


class FocusOfMechanism(Model):
    """A work area of the mechanism: its focus concept and how, through what and in whose words it is done."""

    id: str = Field(examples=["acid-deposition"])
    label: str
    themes: list[str] = Field(description="ids of the thematic areas above the focus")
    modalities: list[str] = Field(examples=[["monitoring", "research"]])
    through: list[str] = Field(description="acronyms (or names) of the platforms or plans the work goes through")
    stated_as: list[str] = Field(description="the sources' own words for this work area")
    sources: list[SourceCitation]


class Component(Model):
    """A platform or plan that is part of the mechanism."""

    id: str = Field(examples=["neacap"])
    iri: str
    acronym: str | None
    label: str
    type: ComponentType
    established: list[str]
    sources: list[SourceCitation]


class MechanismEngagement(Model):
    """An engagement between this mechanism (or one of its platforms) and another party, either side."""

    id: str
    party: str = Field(description="id of the engaging party")
    counterpart: str = Field(description="id of the other party")
    counterpart_label: str
    types: list[str] = Field(examples=[["information exchange"]])
    status: str = Field(examples=["Ongoing"])
    via: str | None = Field(description="name of the platform the engagement goes through")
    stated_as: list[str]
    limitation: str | None = Field(description="the limits the sources state")
    sources: list[SourceCitation]


class MechanismDetail(MechanismSummary):
    labels: list[SourcedLabel]
    established_claims: list[Claim] = Field(
        description="each establishment year or date with the sources stating it; several values are a disagreement")
    website: list[str]
    stated_in_table_2: dict[StatedKey, str] = Field(description="the mechanism's row of Table 2 as the note states it")
    stated_sources: dict[StatedKey, list[SourceCitation]]
    members: list[MemberOfMechanism]
    secretariat: list[StructureUnit]
    governing_bodies: list[StructureUnit]
    focus_areas: list[FocusOfMechanism]
    components: list[Component]
    engagements: list[MechanismEngagement]


class CountrySummary(Model):
    id: str = Field(examples=["MNG"], description="ISO 3166-1 alpha-3")
    iri: str
    label: str = Field(examples=["Mongolia"])
    iso3166_alpha2: str
    iso3166_numeric: str | None
    wikidata: str | None
    neaspec_member_state: bool
    mechanism_count: int = Field(description="mechanisms the country is a member of")


class CountryList(Model):
    count: int
    countries: list[CountrySummary]


class MechanismOfCountry(Model):
    id: str = Field(examples=["eanet"])
    acronym: str | None
    label: str
    subregional: bool
    role: str = Field(examples=["member", "observer"])
    since: str | None
    sources: list[SourceCitation]


class CountryDetail(CountrySummary):
    labels: list[SourcedLabel]
    mechanisms: list[MechanismOfCountry]


class AltLabel(Model):
    label: str
    lang: str | None


class FocusConcept(Model):
    """A concept of the focus-area thesaurus."""

    id: str = Field(examples=["air-pollution"])
    iri: str
    label: str
    kind: ConceptKind
    alt_labels: list[AltLabel]
    mechanism_count: int = Field(description="mechanisms with a work area on this very concept")


class FocusNode(FocusConcept):
    narrower: list[FocusNode] = Field(description="a concept with two broader concepts appears under both")


class FocusTree(Model):
    themes: list[FocusNode]


class FocusBrief(Model):
    id: str
    label: str
    kind: ConceptKind


class FocusDetail(FocusConcept):
    labels: list[Label]
    broader: list[FocusBrief]
    narrower: list[FocusBrief]
