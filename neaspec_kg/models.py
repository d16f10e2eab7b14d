"""One typed shape per answer, shared by the library, the REST API (as ``response_model``), the CLI and views.

These are pydantic models so that the API validates what it serves and documents it in OpenAPI, and the CLI
prints JSON or tables from the same object. Every answer that states a fact carries the sources that state it.
"""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

EvidenceKindId = Literal["stated-focus", "programme", "platform", "delivered-activity", "partial-activity",
                         "engagement", "planned", "proposal"]
MatchId = Literal["exact", "narrower", "broader", "related"]
LevelId = Literal["flagged", "risk", "coordinated", "overlap", "complementary", "distinct"]
CountryStatus = Literal["member", "covered", "uncertain", "observer"]


class Model(BaseModel):
    model_config = ConfigDict(frozen=False, extra="forbid")


class SourceRef(Model):
    """A source as a reader cites it: a part of the note, or a cited web page."""

    iri: str
    label: str = Field(examples=["NEASPEC/NFP-2/1, Table 2"])
    kind: str = Field(examples=["DocumentPart", "WebSource"])
    locator: str | None = None
    url: str | None = None
    secondary: bool = False


class ConceptRef(Model):
    id: str = Field(examples=["air-pollution"])
    iri: str
    label: str = Field(examples=["Air pollution"])
    kind: Literal["thematic area", "focus area", "species"]


class UnitRef(Model):
    """A mechanism, or a platform or plan of one (``part_of`` names the mechanism)."""

    id: str = Field(examples=["neaspec", "neacap"])
    iri: str
    label: str
    acronym: str | None = None
    type: Literal["mechanism", "platform", "plan"]
    part_of: str | None = Field(None, description="id of the mechanism a platform or plan belongs to")
    subregional: bool = Field(False, description="one of the eight subregional mechanisms of Table 2")


class CountryRef(Model):
    id: str = Field(examples=["MNG"])
    label: str


class Evidence(Model):
    """One thing a source says that shows a mechanism works (or plans to work) on a focus."""

    kind: EvidenceKindId
    kind_label: str
    delivered: bool = Field(description="false for planned work and proposals: never evidence of delivery")
    match: MatchId = Field(description="how the matched concept relates to what was asked")
    focus: list[ConceptRef] = Field(description="the concepts of this item that matched")
    item: str = Field(description="IRI of the work area, programme area, platform, activity, engagement or proposal")
    text: str | None = Field(None, description="the source's words")
    note: str | None = Field(None, description="Table 1's Note column (the Secretariat's note) for an activity")
    level: str | None = Field(None, description="implementation level of a planned activity")
    status: str | None = Field(None, description="status of an engagement")
    via: UnitRef | None = Field(None, description="the platform or plan the work is done (or planned) through")
    counterpart: UnitRef | None = Field(None, description="for an engagement: the other mechanism or platform")
    modalities: list[str] = []
    sources: list[SourceRef]


class MechanismOnFocus(Model):
    mechanism: UnitRef
    strongest: EvidenceKindId
    evidence: list[Evidence] = Field(description="strongest first")
    platforms: list[UnitRef] = Field(description="platforms and plans the delivered work goes through")
    members: list[CountryRef] = Field(description="countries taking part (as of the date asked, when one is)")
    uncertain_members: list[CountryRef] = Field(
        description="countries whose membership cannot be shown to hold on the as-of date")
    also_delivered: bool = Field(False, description="in planned_or_proposed: the mechanism also has delivered work "
                                                    "on this focus (listed in mechanisms unless a limit cut it)")
    country_status: CountryStatus | None = Field(
        None, description="with a country filter: how that country takes part in this work")


class SharedMember(Model):
    country: CountryRef
    mechanisms: list[str]


class EngagementRef(Model):
    iri: str
    party: str
    counterpart: str
    via: str | None = None
    types: list[str]
    status: str
    delivered: bool
    focus: list[ConceptRef] = []
    text: str
    limitation: str | None = None
    sources: list[SourceRef]


class OverlapAnswer(Model):
    """Who works on a focus, with every piece of evidence and its source."""

    focus: list[ConceptRef] = Field(description="what the text was resolved to")
    searched: int = Field(description="number of concepts searched (the focus and everything narrower, ...)")
    country: str | None = None
    as_of: str | None = None
    min_evidence: EvidenceKindId
    include_related: bool = False
    include_broader: bool = False
    mechanisms: list[MechanismOnFocus]
    planned_or_proposed: list[MechanismOnFocus] = Field(
        description="work that is only planned or proposed, never shown as delivered")
    total: int = Field(description="mechanisms with delivered work found, before any limit")
    total_planned_or_proposed: int = Field(description="mechanisms with only planned or proposed work found")
    shared_members: list[SharedMember]
    engagements: list[EngagementRef]
    summary: str


class JudgementRef(Model):
    iri: str
    verdict: str = Field(examples=["duplication-concern", "different-focus", "different-scope"])
    verdict_label: str
    judges: list[str]
    text: str
    sources: list[SourceRef]


class FocusMeeting(Model):
    """Where the two pieces of work meet: concept by concept, with the evidence on each side."""

    focus_a: ConceptRef
    focus_b: ConceptRef
    relation: Literal["same", "narrower", "broader", "theme-level", "related"]
    weight: float
    shared_modalities: list[str]
    modalities_a: list[str]
    modalities_b: list[str]
    evidence_a: list[Evidence]
    evidence_b: list[Evidence]


class PairAnswer(Model):
    a: UnitRef
    b: UnitRef
    level: LevelId
    level_label: str
    judged_by: Literal["note", "computed"] = Field(
        description="'note' when the note itself makes the judgement that sets the level")
    score: float = Field(ge=0, le=1, description="how close the pair comes to duplication by the rule of "
                         "paragraph 36 (same focus, same kind of activity, same countries), lowered by coordination")
    components: dict[str, float]
    shared_themes: list[ConceptRef]
    meetings: list[FocusMeeting]
    shared_countries: list[CountryRef]
    uncertain_countries: list[CountryRef] = []
    coordination: list[EngagementRef] = Field(description="realised or ongoing engagements between the two")
    proposed_coordination: list[EngagementRef] = Field(description="explored, sought or suggested, not done")
    judgements: list[JudgementRef] = Field(description="what the note itself says about this pair")
    part_of: str | None = Field(None, description="when one is a subregional component of the other (DLDD-NEAN "
                                "within the UNCCD): the relation, which makes them one system, not duplicates")
    explanation: str
    sources: list[SourceRef]


class DuplicationAnswer(Model):
    mechanism: str | None = None
    as_of: str | None = None
    min_score: float
    count: int = Field(description="pairs returned")
    total: int | None = Field(description="pairs that met the filters before the limit; null when only the "
                              "top pairs of one mechanism were computed (the ranking is still exact)")
    pairs: list[PairAnswer]
    context: list[JudgementRef] = Field(
        default_factory=list, description="the note's general judgements on the mechanism asked about (paragraph 26)")


class ProposedWork(Model):
    focus: str
    modalities: list[str] = []
    countries: list[str] = []
    proposer: str | None = None
    as_of: str | None = None


class CheckMatch(Model):
    unit: UnitRef
    own: bool = Field(False, description="the proposer's own existing work (build on it), ranked after others")
    level: LevelId
    level_label: str
    score: float
    meetings: list[FocusMeeting]
    shared_countries: list[CountryRef]
    coordination: list[EngagementRef]
    judgements: list[JudgementRef]
    explanation: str


class CheckAnswer(Model):
    proposal: ProposedWork
    focus: list[ConceptRef]
    verdict: str = Field(description="the paragraph-36 reading of the whole proposal in one sentence")
    matches: list[CheckMatch]


class ProposalCoverage(Model):
    iri: str
    order: int
    heading: str
    text: str
    focus: list[ConceptRef]
    modalities: list[str]
    mentions: list[str]
    covered_by: list[CheckMatch]
    verdict: str
    sources: list[SourceRef]


class ProposalsAnswer(Model):
    plan: str
    count: int
    proposals: list[ProposalCoverage]


class Participation(Model):
    unit: UnitRef
    status: Literal["member", "observer", "uncertain"]
    roles_disagree: str | None = Field(None, description="when sources give different roles, each with its source")
    since: list[str] = Field(description="start dates as the sources give them (a year or a day)")
    sources: list[SourceRef]


class CountryAnswer(Model):
    country: CountryRef
    as_of: str | None = None
    mechanisms: list[Participation] = Field(description="members first, then observers, then uncertain")
    attendances: list[str] = Field(default_factory=list, description="one-off attendances, not participation")
    summary: str


class MatrixCell(Model):
    """What one mechanism does on one focus area (or anything under it): the strongest evidence."""

    mechanism: str
    kind: EvidenceKindId
    delivered: bool
    via: list[str] = []
    sources: list[SourceRef]


class MatrixRow(Model):
    concept: ConceptRef
    depth: int = Field(description="0 for a thematic area, 1 for a focus area under it, ...")
    cells: list[MatrixCell]
    delivered: int = Field(description="mechanisms with delivered work here")
    status: Literal["gap", "single", "overlap"] = Field(
        description="nobody delivers work here, only one mechanism does, or several do")


class CoverageMatrix(Model):
    """Focus areas grouped by theme down the side, mechanisms across: who works on what, on what evidence."""

    country: str | None = None
    as_of: str | None = None
    include_related: bool = False
    mechanisms: list[UnitRef]
    platforms: list[UnitRef] = Field([], description="the platforms and plans some cell's work goes through "
                                                     "(MatrixCell.via), each with the mechanism it is part of")
    rows: list[MatrixRow]


class ParticipationRow(Model):
    """One country across the mechanisms and platforms: its participation in each, as ``CountryAnswer`` gives it."""

    country: CountryRef
    cells: dict[str, Participation] = Field(description="by unit id; a unit the country is not known in is absent")
    count: int = Field(description="mechanisms the country takes part in as a member or observer, each once: "
                                   "a platform counts for its mechanism (NEAMPAN for NEASPEC); uncertain ones are "
                                   "not counted")


class ParticipationMatrix(Model):
    """Countries down the side, mechanisms and platforms across: member, observer or uncertain, with dates and
    sources. Every row is the country's own ``CountryAnswer``, so the matrix cannot disagree with ``/countries``."""

    as_of: str | None = None
    units: list[UnitRef]
    rows: list[ParticipationRow]


class TimelineEvent(Model):
    event: Literal["established", "joined", "adopted"]
    date: str = Field(description="as the source gives it: a year or a day")
    year: int
    country: str | None = None
    disputed: bool = Field(description="another source gives another date for the same event")
    sources: list[SourceRef]


class TimelineLane(Model):
    """One mechanism, platform, plan or resolution and its dated events, earliest first."""

    iri: str
    label: str
    acronym: str | None = None
    type: Literal["mechanism", "platform", "plan", "resolution"]
    events: list[TimelineEvent]


class Timeline(Model):
    first_year: int
    last_year: int
    lanes: list[TimelineLane]
