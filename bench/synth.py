"""Synthetic data in the project's own model, for scale benchmarks: a drop-in replacement for data/.

    .venv/bin/python bench/synth.py --mechanisms 1000 --out /tmp/synth1k [--seed 0]
    .venv/bin/neaspec-kg --no-cache --data-dir /tmp/synth1k validate
    .venv/bin/neaspec-kg --data-dir /tmp/synth1k overlap "air quality" --include-related

The ontology stays the project's own (ontology/); the focus areas, modalities, kinds, body types, roles,
engagement types and statuses, implementation levels and verdicts are read from it at run time, so the
synthetic facts hang on the real thesaurus and vocabularies. Everything else is made up and says so:
countries are "Country 001" ... "Country 195" with codes in the ISO 3166 user-assigned range XAA-XZZ,
mechanisms are "SYN-000001" ..., every URL is under https://example.org/synthetic/.

Layout written to --out (the same shape as data/):

    sources.trig                   the catalogue (graph src:catalogue): the editorial sources the build needs,
                                   the note document that ontology/focus-areas.ttl cites, one synthetic
                                   review document with its parts, and every synthetic web source
    countries.trig                 195 countries in 10 regions (graph src:syn-countries)
    organisations.trig             host organisations of the secretariats (graph src:syn-organisations)
    mechanisms/syn-NNNNNN.trig     one file per mechanism: its own source's graph (profile, secretariat,
                                   governing body, memberships, work areas, platforms, plans), sometimes a
                                   second (news) source that restates or disputes some facts, and its share of
                                   the shared review document (Table 1 rows, Section III engagements and
                                   judgements, survey proposals)

Distribution (the project's scale issue): 2-15 memberships per mechanism, mostly in one region; 1-6 work areas
on real focus concepts (mostly beneath one theme), 0-3 modalities each; ~10% of mechanisms engage other
mechanisms; ~5% have a strategic plan with 2-5 programme areas of 2-5 planned activities, and proposals for
the next plan; ~20% have platforms; a few judgements. Same arguments, same bytes. Text is written directly
(no rdflib graph), so 100,000 mechanisms take seconds, not minutes.
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

ROOT = Path(__file__).resolve().parent.parent
ID = "https://w3id.org/neaspec-kg/id/"
NK = "https://w3id.org/neaspec-kg/ontology#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
EXAMPLE = "https://example.org/synthetic/"

N_COUNTRIES = 195
N_REGIONS = 10
STATUSES = ("realised", "ongoing", "explored", "suggested")
STATUS_WEIGHTS = (3, 3, 2, 2)
#: how often a mechanism's facts are restated by a second source (the real data states most facts twice or more)
P_MEMBERS_PAGE = 0.8  # its own members page: every membership, with the same dates
P_NEWS = 0.6  # a secondary news item: founding year (now and then another year), members, labels
P_TABLE_2 = 0.75  # its row in the shared synthetic review's Table 2: profile, members, work areas
RELATED_KINDS = ("convention", "partnership-platform", "monitoring-network", "biosphere-reserve-network")

PREFIXES = {
    "nk": NK,
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": SKOS,
    "org": "http://www.w3.org/ns/org#",
    "dcterms": "http://purl.org/dc/terms/",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "src": ID + "source/",
    "mech": ID + "mechanism/",
    "country": ID + "country/",
    "agent": ID + "org/",
    "membership": ID + "membership/",
    "secretariat": ID + "secretariat/",
    "body": ID + "body/",
    "work": ID + "work/",
    "platform": ID + "platform/",
    "plan": ID + "plan/",
    "programme-area": ID + "programme-area/",
    "activity": ID + "activity/",
    "engagement": ID + "engagement/",
    "proposal": ID + "proposal/",
    "judgement": ID + "judgement/",
    "focus": ID + "focus/",
    "modality": ID + "modality/",
    "kind": ID + "kind/",
    "role": ID + "role/",
    "level": ID + "level/",
    "bodytype": ID + "body-type/",
    "etype": ID + "engagement-type/",
    "estatus": ID + "engagement-status/",
    "verdict": ID + "verdict/",
}


def _header(comment: str, names: tuple[str, ...]) -> str:
    lines = [f"# {line}".rstrip() for line in comment.splitlines()]
    lines += [f"@prefix {n}: <{PREFIXES[n]}> ." for n in names]
    return "\n".join(lines) + "\n\n"


MECHANISM_COMMENT = "Synthetic data (bench/synth.py): made-up facts in the project's model, for scale benchmarks only."
MECHANISM_PREFIXES = ("nk", "xsd", "skos", "org", "dcterms", "src", "mech", "country", "agent", "membership",
                      "secretariat", "body", "work", "focus", "modality", "kind", "role", "bodytype")
#: prefixes a mechanism file declares besides MECHANISM_PREFIXES, by what it has
OPTIONAL_PREFIXES = {
    "platforms": ("platform",),
    "plan": ("plan", "programme-area", "activity", "level", "proposal"),
    "engagements": ("engagement", "etype", "estatus"),
    "judgements": ("judgement", "verdict"),
}
_HEADERS: dict[tuple[bool, ...], str] = {}


def _mechanism_header(s: Spec) -> str:
    has = (s.n_platforms > 0, s.has_plan, bool(s.engagements), bool(s.judgements))
    if has not in _HEADERS:
        names = MECHANISM_PREFIXES + tuple(
            p for flag, group in zip(has, OPTIONAL_PREFIXES.values(), strict=True) if flag for p in group)
        _HEADERS[has] = _header(MECHANISM_COMMENT, names)
    return _HEADERS[has]


def lit(text: str, lang: str | None = "en") -> str:
    """A Turtle string literal (escaped), with a language tag unless ``lang`` is None."""
    body = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{body}"@{lang}' if lang else f'"{body}"'


def lower_first(label: str) -> str:
    """'Air pollution' -> 'air pollution', but 'UNCCD implementation' stays as it is."""
    return label if label[:2].isupper() else label[:1].lower() + label[1:]


# --------------------------------------------------------------------------------------------------
# The real vocabularies, read from ontology/ at run time
# --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Concept:
    slug: str  # local name under focus/
    label: str  # English prefLabel
    theme: str  # slug of its top concept (itself for a theme)
    is_theme: bool


@dataclass
class Vocab:
    concepts: list[Concept]
    themes: list[str]
    by_theme: dict[str, list[Concept]]
    theme_labels: dict[str, str]
    modalities: list[str]
    kinds: list[str]
    body_types: list[str]
    etypes: list[str]
    levels: list[str]
    verdicts: list[str]


def _local(iri: str, ns: str) -> str:
    if not iri.startswith(ns):
        raise ValueError(f"{iri} is not under {ns}")
    local = iri[len(ns):]
    if not local or not all(c.isalnum() or c == "-" for c in local):
        raise ValueError(f"{iri}: local name {local!r} cannot be written as a prefixed name")
    return local


def load_vocab(ontology_dir: Path) -> Vocab:
    """Focus and thematic areas (with their theme) and the other SKOS schemes, sorted for determinism."""
    quads: list[ox.Quad] = []
    for f in sorted(ontology_dir.glob("*.ttl")):
        if f.name != "shapes.ttl":
            quads.extend(ox.parse(path=str(f), format=ox.RdfFormat.TURTLE))
    types: dict[str, set[str]] = {}
    labels: dict[str, str] = {}
    broader: dict[str, set[str]] = {}
    schemes: dict[str, set[str]] = {}
    for q in quads:
        s, p, o = _value(q.subject), q.predicate.value, q.object
        if p == RDF_TYPE:
            types.setdefault(_value(o), set()).add(s)
        elif p == SKOS + "prefLabel" and isinstance(o, ox.Literal) and o.language == "en":
            labels[s] = o.value
        elif p == SKOS + "broader":
            broader.setdefault(s, set()).add(_value(o))
        elif p == SKOS + "inScheme":
            schemes.setdefault(_value(o), set()).add(s)

    def members(cls: str, ns: str) -> list[str]:
        found = sorted(_local(i, ID + ns) for i in types.get(NK + cls, ()))
        if not found:
            raise ValueError(f"no nk:{cls} in {ontology_dir}")
        return found

    theme_iris = sorted(types.get(NK + "ThematicArea", ()))
    focus_iris = sorted(types.get(NK + "FocusArea", ()))

    def theme_of(iri: str) -> str:
        seen, stack = set(), [iri]
        while stack:
            c = stack.pop()
            if c in theme_iris:
                return c
            if c not in seen:
                seen.add(c)
                stack.extend(sorted(broader.get(c, ()), reverse=True))
        raise ValueError(f"focus area {iri} has no thematic area above it")

    concepts = [Concept(_local(t, ID + "focus/"), labels[t], _local(t, ID + "focus/"), True) for t in theme_iris]
    concepts += [Concept(_local(f, ID + "focus/"), labels[f], _local(theme_of(f), ID + "focus/"), False)
                 for f in focus_iris]
    themes = [c.slug for c in concepts if c.is_theme]
    by_theme = {t: [c for c in concepts if c.theme == t] for t in themes}
    statuses = set(members("EngagementStatus", "engagement-status/"))
    missing = set(STATUSES) - statuses
    if missing:
        raise ValueError(f"engagement statuses missing from the vocabulary: {sorted(missing)}")
    return Vocab(
        concepts=concepts,
        themes=themes,
        by_theme=by_theme,
        theme_labels={c.slug: c.label for c in concepts if c.is_theme},
        modalities=members("Modality", "modality/"),
        kinds=[k for k in members("MechanismKind", "kind/") if k != "strategy-plan"],
        body_types=sorted(_local(i, ID + "body-type/") for i in schemes.get(ID + "scheme/body-types", ())),
        etypes=members("EngagementType", "engagement-type/"),
        levels=members("ImplementationLevel", "level/"),
        verdicts=members("Verdict", "verdict/"),
    )


# --------------------------------------------------------------------------------------------------
# Countries, regions, organisations
# --------------------------------------------------------------------------------------------------

def _country_code(i: int) -> str:
    """Alpha-3 code of synthetic country i (0-based): XAA, XAB, ... (ISO 3166 user-assigned range)."""
    return "X" + chr(65 + i // 26) + chr(65 + i % 26)


CODES = [_country_code(i) for i in range(N_COUNTRIES)]
country_code = CODES.__getitem__


def region_of(i: int) -> int:
    return i * N_REGIONS // N_COUNTRIES


REGIONS: list[list[int]] = [[c for c in range(N_COUNTRIES) if region_of(c) == r] for r in range(N_REGIONS)]


def write_countries(out: Path) -> None:
    parts = [_header("Synthetic countries (bench/synth.py): 195 made-up countries in 10 regions.\n"
                     "Alpha-3 codes are in the ISO 3166 user-assigned range XAA-XZZ; alpha-2 is its last two "
                     "letters.", ("nk", "skos", "dcterms", "src", "country")),
             "src:syn-countries {\n"]
    for i in range(N_COUNTRIES):
        code = country_code(i)
        parts.append(
            f"  country:{code} a nk:Country ;\n"
            f"    skos:prefLabel {lit(f'Country {i + 1:03d}')} ;\n"
            f'    nk:iso3166Alpha3 "{code}" ;\n'
            f'    nk:iso3166Alpha2 "{code[1:]}" ;\n'
            f"    dcterms:description {lit(f'Synthetic country in synthetic region {region_of(i) + 1:02d}.')} .\n")
    parts.append("}\n")
    (out / "countries.trig").write_text("".join(parts), encoding="utf-8")


def n_organisations(n: int) -> int:
    return max(10, n // 10)


def write_organisations(out: Path, n: int) -> None:
    parts = [_header("Synthetic organisations (bench/synth.py) that host the synthetic secretariats.",
                     ("nk", "skos", "src", "agent")),
             "src:syn-organisations {\n"]
    for k in range(n_organisations(n)):
        parts.append(f"  agent:syn-org-{k + 1:05d} a nk:Organisation ;\n"
                     f"    skos:prefLabel {lit(f'Synthetic Organisation {k + 1:05d}')} ;\n"
                     f'    nk:acronym "SO{k + 1:05d}" .\n')
    parts.append("}\n")
    (out / "organisations.trig").write_text("".join(parts), encoding="utf-8")


# --------------------------------------------------------------------------------------------------
# Mechanisms: plan everything first (engagements need the other side), then write
# --------------------------------------------------------------------------------------------------

@dataclass
class Member:
    country: int
    role: str
    since: str | None  # Turtle literal
    until: str | None


@dataclass
class Spec:
    i: int
    id: str
    acronym: str
    subregional: bool
    kind: str
    region: int
    members: list[Member]
    foci: list[Concept]
    n_platforms: int
    has_plan: bool
    has_news: bool
    has_members_page: bool
    in_table_2: bool
    established: int | None
    engagements: list[tuple[int, Concept]] = field(default_factory=list)
    judgements: list[tuple[int | None, Concept | None]] = field(default_factory=list)


def _date_literal(rng: random.Random, year: int) -> str:
    if rng.random() < 0.5:
        return f'"{year}"^^xsd:gYear'
    return f'"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"^^xsd:date'


def _plan_specs(n: int, vocab: Vocab, rng: random.Random) -> list[Spec]:
    specs: list[Spec] = []
    by_theme: dict[str, list[int]] = {t: [] for t in vocab.themes}
    sub_kinds = [k for k in vocab.kinds if k != "convention"]
    rel_kinds = [k for k in RELATED_KINDS if k in vocab.kinds] or vocab.kinds
    outside = {r: [c for c in range(N_COUNTRIES) if region_of(c) != r] for r in range(N_REGIONS)}
    for i in range(n):
        mid = f"syn-{i + 1:06d}"
        subregional = rng.random() < 0.85
        kind = rng.choice(sub_kinds if subregional else rel_kinds)
        region = rng.randrange(N_REGIONS)
        m = min(15, max(2, round(rng.triangular(2, 15, 8))))
        k_out = sum(rng.random() < 0.15 for _ in range(m))
        countries = sorted(rng.sample(REGIONS[region], m - k_out) + rng.sample(outside[region], k_out))
        base_role = {"convention": "party", "partnership-platform": "partner"}.get(kind, "member")
        if subregional:
            base_role = "member"  # the shape wants at least one role:member exactly
        established = rng.randint(1972, 2020) if rng.random() < 0.8 else None
        members = []
        for j, c in enumerate(countries):
            role = "observer" if j > 0 and rng.random() < 0.1 else base_role
            since = until = None
            if rng.random() < 0.7:
                year = rng.randint(established or 1980, 2020)
                since = _date_literal(rng, year)
                if rng.random() < 0.03:
                    until = f'"{min(2024, year + rng.randint(1, 10))}"^^xsd:gYear'
            members.append(Member(c, role, since, until))
        w = min(6, max(1, round(rng.triangular(1, 6, 3))))
        theme = rng.choice(vocab.themes)
        foci: list[Concept] = []
        while len(foci) < w:
            pool = vocab.by_theme[theme] if rng.random() < 0.75 else vocab.concepts
            concept = rng.choice(pool)
            if concept.is_theme and rng.random() < 0.7:
                continue  # mostly focus areas, sometimes a whole theme
            if concept not in foci:
                foci.append(concept)
        has_plan = rng.random() < 0.05
        n_platforms = rng.randint(1, 3) if has_plan or rng.random() < 0.18 else 0
        spec = Spec(i, mid, mid.upper(), subregional, kind, region, members, foci, n_platforms, has_plan,
                    has_news=rng.random() < P_NEWS, has_members_page=rng.random() < P_MEMBERS_PAGE,
                    in_table_2=rng.random() < P_TABLE_2, established=established)
        specs.append(spec)
        for t in sorted({c.theme for c in foci}):
            by_theme[t].append(i)
    if n < 2:
        return specs
    for s in specs:
        if rng.random() < 0.10:
            seen: set[int] = set()
            for _ in range(rng.randint(1, 3)):
                concept = rng.choice(s.foci)
                cands = by_theme[concept.theme]
                other = rng.choice(cands)
                if other == s.i or other in seen:
                    other = rng.randrange(n)
                if other == s.i or other in seen:
                    continue
                seen.add(other)
                s.engagements.append((other, concept))
        r = rng.random()
        if r < 0.02:
            concept = rng.choice(s.foci)
            other = rng.choice(by_theme[concept.theme])
            if other != s.i:
                s.judgements.append((other, concept))
        elif r < 0.025:
            s.judgements.append((None, None))
    return specs


def _value(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> str:
    """A term's lexical value (the ontology holds no quoted triples)."""
    assert not isinstance(term, ox.Triple), term
    return term.value


def _objs(items: Iterable[str]) -> str:
    return " , ".join(items)


def _membership(mid: str, m: Member, *, dates: bool) -> str:
    code = country_code(m.country)
    line = (f"  membership:{mid}-{code} a nk:Membership ; org:member country:{code} ; "
            f"org:organization mech:{mid} ; org:role role:{m.role}")
    if dates and m.since:
        line += f" ; nk:since {m.since}"
    if dates and m.until:
        line += f" ; nk:until {m.until}"
    return line + " .\n"


def _mechanism_text(s: Spec, specs: list[Spec], vocab: Vocab, rng: random.Random, n_orgs: int) -> str:
    """One mechanism's TriG file."""
    mid, acr = s.id, s.acronym
    own = f"src:{mid}"
    name = f"Synthetic {vocab.theme_labels[s.foci[0].theme].lower()} mechanism {mid[4:]}"
    body = f"body:{mid}-governing-body"
    sec = f"secretariat:{mid}"
    works = [f"work:{mid}-{c.slug}" for c in s.foci]
    platforms = [f"platform:{mid}-p{k + 1}" for k in range(s.n_platforms)]
    members = [f"country:{country_code(m.country)}" for m in s.members if m.role != "observer"]
    out: list[str] = [_mechanism_header(s), f"{own} {{\n"]
    a = out.append
    stated_members = ", ".join(f"Country {m.country + 1:03d}" for m in s.members if m.role != "observer")
    stated_focus = ", ".join(c.label for c in s.foci)
    a(f"  mech:{mid} a nk:{'SubregionalMechanism' if s.subregional else 'Mechanism'} ;\n"
      f"    skos:prefLabel {lit(name)} ;\n"
      f'    nk:acronym "{acr}" ;\n'
      f"    nk:kind kind:{s.kind} ;\n"
      f"    nk:statedMembers {lit(stated_members)} ;\n"
      f"    nk:statedGovernance {lit('Governing body meeting')} ;\n"
      f"    nk:statedSecretariat {lit(f'Secretariat of {acr}')} ;\n"
      f"    nk:statedFocusAreas {lit(stated_focus[:1].upper() + stated_focus[1:])} ;\n"
      f"    nk:secretariat {sec} ;\n"
      f"    nk:governingBody {body} ;\n")
    if s.established is not None:
        a(f'    nk:established "{s.established}"^^xsd:gYear ;\n')
    about = f"A synthetic mechanism of region {s.region + 1:02d}, made up for benchmarks."
    a(f"    skos:altLabel {lit(f'{acr} cooperation')} ;\n"
      f"    dcterms:description {lit(about)} ;\n")
    if rng.random() < 0.5:
        a(f"    nk:website <{EXAMPLE}mechanism/{mid}> ;\n")
    a(f"    nk:hasWorkArea {_objs(works)} .\n\n")
    host = f"agent:syn-org-{rng.randrange(n_orgs) + 1:05d}"
    body_node = (f"  {body} a nk:GoverningBody ;\n"
                 f"    skos:prefLabel {lit(f'Governing body meeting of {acr}')} ;\n"
                 f"    nk:bodyType bodytype:{rng.choice(vocab.body_types)}")
    sec_node = (f"  {sec} a nk:Secretariat ;\n"
                f"    skos:prefLabel {lit(f'Secretariat of {acr}')} ;\n"
                f"    nk:hostedBy {host} .\n")
    a(sec_node)
    a(body_node + f' ;\n    nk:meetsEvery "P{rng.choice((1, 1, 1, 2, 3))}Y"^^xsd:duration .\n\n')
    for m in s.members:
        a(_membership(mid, m, dates=True))
    a("\n")
    for k, platform in enumerate(platforms):
        pacr = f"{acr}-P{k + 1}"
        a(f"  {platform} a nk:Platform ;\n"
          f"    skos:prefLabel {lit(f'Synthetic platform {k + 1} of {acr}')} ;\n"
          f'    nk:acronym "{pacr}" ;\n'
          f"    nk:kind kind:partnership-platform ;\n"
          f"    nk:partOf mech:{mid} ;\n"
          f'    nk:established "{rng.randint(s.established or 1990, 2020)}"^^xsd:gYear')
        if rng.random() < 0.6:
            a(f" ;\n    nk:focus focus:{rng.choice(s.foci).slug}")
        if members and rng.random() < 0.5:
            covered = sorted(rng.sample(members, rng.randint(1, len(members))))
            a(f" ;\n    nk:involves {_objs(covered)}")
        a(" .\n\n")
    modalities: list[str] = []
    for c, work in zip(s.foci, works, strict=True):
        low = lower_first(c.label)
        stated = rng.choice((c.label, f"Cooperation on {low}", f"Joint work on {low}"))
        a(f"  {work} a nk:WorkArea ;\n"
          f"    nk:statedAs {lit(stated)} ;\n"
          f"    nk:focus focus:{c.slug}")
        mods = sorted(rng.sample(vocab.modalities, rng.choice((0, 1, 1, 2, 2, 3))))
        modalities.append(f" ;\n    nk:modality {_objs(f'modality:{x}' for x in mods)}" if mods else "")
        a(modalities[-1])
        if platforms and rng.random() < 0.4:
            a(f" ;\n    nk:through {rng.choice(platforms)}")
        a(" .\n")
    plan = plan_next = None
    if s.has_plan:
        plan, plan_next = f"plan:{mid}-sp-2016-2020", f"plan:{mid}-sp-2021-2025"
        n_areas = rng.randint(2, 5)
        areas = [f"programme-area:{mid}-{k + 1}" for k in range(n_areas)]
        a(f"\n  {plan} a nk:StrategicPlan ;\n"
          f"    skos:prefLabel {lit(f'{acr} Strategic Plan 2016-2020')} ;\n"
          f"    nk:kind kind:strategy-plan ;\n"
          f"    nk:partOf mech:{mid} ;\n"
          f'    nk:established "2016"^^xsd:gYear ;\n'
          f"    nk:programmeArea {_objs(areas)} .\n"
          f"  {plan_next} a nk:StrategicPlan ;\n"
          f"    skos:prefLabel {lit(f'{acr} Strategic Plan 2021-2025')} ;\n"
          f"    nk:kind kind:strategy-plan ;\n"
          f"    nk:partOf mech:{mid} ;\n"
          f"    dcterms:replaces {plan} .\n")
    a("}\n")

    if s.has_members_page:
        # the mechanism's own members page: every membership again, with the same dates
        a(f"\nsrc:{mid}-members {{\n  mech:{mid} skos:prefLabel {lit(name)} .\n")
        for m in s.members:
            a(_membership(mid, m, dates=True))
        a("}\n")
    if s.has_news:
        # a secondary source: restates the members, and sometimes gives another founding year (a disagreement)
        a(f"\nsrc:{mid}-news {{\n")
        year = s.established
        if year is not None and rng.random() < 0.15:
            year += rng.choice((-1, 1))
        a(f"  mech:{mid} skos:altLabel {lit(f'Synthetic Mechanism {mid[4:]}')} ;\n"
          f"    nk:governingBody {body} ")
        if year is not None:
            a(f';\n    nk:established "{year}"^^xsd:gYear ;\n'
              f"    dcterms:description {lit(f'Founded in {year}, a synthetic news item says.')} ")
        a(f'.\n  {body} nk:meetsEvery "P1Y"^^xsd:duration ;\n'
          f"    dcterms:description {lit(f'The governing body of {acr} met in a synthetic city.')} .\n")
        for m in s.members:
            a(_membership(mid, m, dates=False))
        a("}\n")
    if s.in_table_2:
        # the mechanism's row in the shared review's Table 2: profile, members and work areas again
        a(f"\nsrc:syn-review-table-2 {{\n"
          f"  mech:{mid} a nk:{'SubregionalMechanism' if s.subregional else 'Mechanism'} ;\n"
          f'    nk:acronym "{acr}" ;\n'
          f"    nk:kind kind:{s.kind} ;\n"
          f"    nk:statedMembers {lit(stated_members)} ;\n"
          f"    nk:statedFocusAreas {lit(stated_focus[:1].upper() + stated_focus[1:])} ;\n"
          f"    nk:secretariat {sec} ;\n"
          f"    nk:governingBody {body} ;\n"
          f"    nk:hasWorkArea {_objs(works)} .\n")
        a(sec_node + body_node + " .\n")
        for m in s.members:
            a(_membership(mid, m, dates=False))
        for c, work, stated_modalities in zip(s.foci, works, modalities, strict=True):
            a(f"  {work} a nk:WorkArea ;\n    nk:statedAs {lit(c.label)} ;\n"
              f"    nk:focus focus:{c.slug}{stated_modalities} .\n")
        a("}\n")

    if s.has_plan:
        assert plan is not None and plan_next is not None
        a("\nsrc:syn-review-table-1 {\n")
        for k in range(len(areas)):
            area = areas[k]
            c = rng.choice(s.foci)
            via = rng.choice(platforms) if platforms and rng.random() < 0.6 else None
            low = lower_first(c.label)
            a(f"  {area} a nk:ProgrammeArea ;\n"
              f"    skos:prefLabel {lit(f'Programme area {k + 1}: {c.label}')} ;\n"
              f"    nk:objective {lit(f'By 2020, carry out joint projects on {low} among members.')} ;\n"
              f"    nk:keyAchievement {lit(f'Held synthetic workshops on {low}.')} ;\n"
              f"    nk:inPlan {plan} ;\n"
              f"    nk:focus focus:{c.slug} ;\n"
              f"    nk:order {k + 1}")
            if via:
                a(f" ;\n    nk:through {via}")
            a(" .\n")
            for j in range(rng.randint(2, 5)):
                ac = c if rng.random() < 0.6 else rng.choice(vocab.by_theme[c.theme])
                note = lit(f"- Synthetic note {j + 1}\n- Made up for benchmarking")
                a(f"  activity:{mid}-{k + 1}-{j + 1} a nk:PlannedActivity ;\n"
                  f"    dcterms:description {lit(f'Synthetic activity {j + 1} on {lower_first(ac.label)}')} ;\n"
                  f"    nk:implementationLevel level:{rng.choice(vocab.levels)} ;\n"
                  f"    nk:evaluatorNote {note} ;\n"
                  f"    nk:programmeArea {area} ;\n"
                  f"    nk:order {j + 1} ;\n"
                  f"    nk:focus focus:{ac.slug}")
                if rng.random() < 0.6:
                    a(f" ;\n    nk:modality modality:{rng.choice(vocab.modalities)}")
                r = rng.random()
                if platforms and r < 0.3:
                    a(f" ;\n    nk:through {via or rng.choice(platforms)}")
                elif platforms and r < 0.45:
                    a(f" ;\n    nk:plannedThrough {rng.choice(platforms)}")
                a(" .\n")
        a("}\n\nsrc:syn-review-survey {\n")
        for k in range(rng.randint(2, 5)):
            c = rng.choice(s.foci if rng.random() < 0.5 else vocab.concepts)
            a(f"  proposal:{mid}-{k + 1} a nk:Proposal ; nk:order {k + 1} ; nk:proposedFor {plan_next} ;\n"
              f"    nk:proposalHeading {lit(vocab.theme_labels[c.theme])} ;\n"
              f"    dcterms:description {lit(f'Strengthen synthetic cooperation on {lower_first(c.label)}')} ;\n"
              f"    nk:focus focus:{c.slug}")
            if rng.random() < 0.5:
                a(f" ;\n    nk:modality modality:{rng.choice(vocab.modalities)}")
            r = rng.random()
            if r < 0.3:
                a(f" ;\n    nk:mentions {rng.choice(platforms)}")
            elif r < 0.5 and s.engagements:
                a(f" ;\n    nk:mentions mech:{specs[s.engagements[0][0]].id}")
            a(" .\n")
        a("}\n")

    if s.engagements or s.judgements:
        graph = "src:syn-review-s3" if rng.random() < 0.5 else own
        a(f"\n{graph} {{\n")
        for other, c in s.engagements:
            o = specs[other]
            types = sorted(rng.sample(vocab.etypes, rng.choice((1, 1, 2))))
            status = rng.choices(STATUSES, STATUS_WEIGHTS)[0]
            a(f"  engagement:{mid}-{o.id}-{types[0]} a nk:Engagement ;\n"
              f"    nk:engagingParty mech:{mid} ;\n"
              f"    nk:counterpart mech:{o.id} ;\n"
              f"    nk:engagementType {_objs(f'etype:{t}' for t in types)} ;\n"
              f"    nk:engagementStatus estatus:{status} ;\n"
              f"    nk:focus focus:{c.slug} ;\n"
              f"    nk:statedAs {lit(f'{acr} and {o.acronym} work together on {lower_first(c.label)} ({status}).')}")
            if platforms and rng.random() < 0.5:
                a(f" ;\n    nk:via {rng.choice(platforms)}")
            if rng.random() < 0.2:
                a(f" ;\n    nk:limitation {lit('no joint activities so far, as the scopes differ')}")
            a(" .\n")
        for jother, jc in s.judgements:
            verdict = rng.choice(vocab.verdicts)
            if jother is None:
                a(f"  judgement:{mid}-{verdict} a nk:Judgement ;\n"
                  f"    nk:judges mech:{mid} ;\n"
                  f"    nk:verdict verdict:{verdict} ;\n"
                  f"    nk:statedAs {lit(f'There is a synthetic concern about {acr}.')} .\n")
            else:
                assert jc is not None
                o = specs[jother]
                a(f"  judgement:{mid}-{o.id}-{verdict} a nk:Judgement ;\n"
                  f"    nk:judges mech:{mid} , mech:{o.id} ;\n"
                  f"    nk:verdict verdict:{verdict} ;\n"
                  f"    nk:focus focus:{jc.slug} ;\n"
                  f"    nk:statedAs {lit(f'{acr} and {o.acronym} are judged on {lower_first(jc.label)}.')} .\n")
        a("}\n")
    return "".join(out)


# --------------------------------------------------------------------------------------------------
# The catalogue
# --------------------------------------------------------------------------------------------------

# The project's own editorial sources and the note that ontology/focus-areas.ttl cites (dcterms:source): the build
# needs them typed, so they are catalogued here as in data/sources.trig (same labels and descriptions).
_REAL_SOURCES = (
    ("src:catalogue", "nk:EditorialSource", "neaspec-kg source catalogue",
     "The list of sources that facts in this graph may cite, each the name of the graph that holds its facts.", ""),
    ("<https://w3id.org/neaspec-kg/ontology>", "nk:EditorialSource",
     "neaspec-kg ontology and controlled vocabularies (editorial)",
     "Classes, properties, the focus-area thesaurus and the other SKOS schemes: classification decisions of the "
     "project, not claims about the world.", ""),
    ("src:entailment", "nk:EditorialSource", "RDFS entailment computed at build time",
     "Superclass types and superproperty statements that follow from the ontology's rdfs:subClassOf and "
     "rdfs:subPropertyOf axioms, materialised so that queries need no reasoner.", ""),
    ("src:neaspec-nfp2-1", "nk:Document", "NEASPEC/NFP-2/1: Background for the Strategic Plan of NEASPEC (2021-2025)",
     "Prepared for the Meeting of NEASPEC National Focal Points, 6 August 2020.",
     "    dcterms:title " + lit("Background for the Strategic Plan of NEASPEC (2021-2025). Note by the Secretariat")
     + ' ;\n    dcterms:identifier "NEASPEC/NFP-2/1" ;\n'
     "    dcterms:publisher " + lit("United Nations Economic and Social Commission for Asia and the Pacific (ESCAP)")
     + ' ;\n    nk:documentDate "2020-07-10"^^xsd:date ;\n'),
    ("src:syn-review", "nk:Document", "Synthetic review of cooperation mechanisms (bench/synth.py)",
     "A made-up document whose parts hold the synthetic evaluation tables, engagements and proposals.",
     "    dcterms:title " + lit("Synthetic review of cooperation mechanisms")
     + ' ;\n    nk:documentDate "2021-06-30"^^xsd:date ;\n'),
)
_REVIEW_PARTS = (("table-1", "Table 1"), ("table-2", "Table 2"), ("s3", "Section III"),
                 ("survey", "Survey of proposals"))


def _catalogue_head() -> str:
    parts = ["src:catalogue {\n"]
    for iri, cls, label, description, extra in _REAL_SOURCES:
        parts.append(f"  {iri} a {cls} ;\n    rdfs:label {lit(label)} ;\n{extra}"
                     f"    dcterms:description {lit(description)} .\n")
    for slug, locator in _REVIEW_PARTS:
        parts.append(f"  src:syn-review-{slug} a nk:DocumentPart ;\n"
                     f"    rdfs:label {lit(f'Synthetic review, {locator}')} ;\n"
                     f"    nk:locator {lit(locator, None)} ;\n"
                     f"    dcterms:isPartOf src:syn-review .\n")
    return "".join(parts)


def _web_source(name: str, label: str, url: str, secondary: bool, what: str) -> str:
    return (f"  src:{name} a nk:WebSource ;\n"
            f"    rdfs:label {lit(label)} ;\n"
            f'    nk:url "{url}"^^xsd:anyURI ;\n'
            f"    nk:secondary {'true' if secondary else 'false'} ;\n"
            f"    dcterms:description {lit(what)} .\n")


def write_sources(out: Path, specs: list[Spec]) -> None:
    parts = [_header("The catalogue of sources (bench/synth.py). The editorial entries and the note document are "
                     "the project's own\n(data/sources.trig); everything else is synthetic.",
                     ("nk", "xsd", "rdfs", "dcterms", "src")),
             _catalogue_head(),
             _web_source("syn-countries", "Synthetic country list", EXAMPLE + "countries", False,
                         "Names and codes of the synthetic countries."),
             _web_source("syn-organisations", "Synthetic organisation list", EXAMPLE + "organisations", False,
                         "The synthetic organisations that host secretariats.")]
    for s in specs:
        parts.append(_web_source(s.id, f"Synthetic profile page of {s.acronym}", f"{EXAMPLE}{s.id}", False,
                                 f"Profile, members and work areas of {s.acronym}."))
        if s.has_members_page:
            parts.append(_web_source(f"{s.id}-members", f"Synthetic members page of {s.acronym}",
                                     f"{EXAMPLE}{s.id}/members", False, f"Members of {s.acronym}, with dates."))
        if s.has_news:
            parts.append(_web_source(f"{s.id}-news", f"Synthetic news item on {s.acronym}",
                                     f"{EXAMPLE}news/{s.id}", True, f"Founding year and members of {s.acronym}."))
    parts.append("}\n")
    (out / "sources.trig").write_text("".join(parts), encoding="utf-8")


# --------------------------------------------------------------------------------------------------

MARK = b"bench/synth.py"  # every file we write says so on its first line


def _ours(path: Path) -> bool:
    with path.open("rb") as f:
        return MARK in f.readline()


def _clear(out: Path) -> None:
    """Remove what an earlier run wrote. Any other TriG file (the build would load it) is left alone and refused,
    so --out pointed at data/ by mistake deletes nothing."""
    trig = sorted(out.rglob("*.trig"))
    strangers = [str(p) for p in trig if not _ours(p)]
    if strangers:
        raise SystemExit(f"{out} holds TriG files that bench/synth.py did not write (the build would load them "
                         f"too): {', '.join(strangers[:3])}{' ...' if len(strangers) > 3 else ''}")
    for p in trig:
        p.unlink()


def generate(n: int, out: Path, seed: int = 0, ontology_dir: Path | None = None) -> dict[str, int]:
    """Write ``n`` synthetic mechanisms (and countries, organisations, sources) into ``out``."""
    if n < 1:
        raise ValueError("--mechanisms must be at least 1")
    vocab = load_vocab(ontology_dir or ROOT / "ontology")
    out.mkdir(parents=True, exist_ok=True)
    _clear(out)
    rng = random.Random(seed)
    specs = _plan_specs(n, vocab, rng)
    write_countries(out)
    write_organisations(out, n)
    write_sources(out, specs)
    mech_dir = out / "mechanisms"
    mech_dir.mkdir(exist_ok=True)
    n_orgs = n_organisations(n)
    # file writes release the GIL, so one writer thread overlaps them with making the next texts
    with ThreadPoolExecutor(max_workers=1) as writer:
        pending: list[Future[int]] = []
        for s in specs:
            text = _mechanism_text(s, specs, vocab, random.Random(f"{seed}/{s.id}"), n_orgs)
            pending.append(writer.submit((mech_dir / f"{s.id}.trig").write_bytes, text.encode("utf-8")))
            if len(pending) >= 256:
                for f in pending:
                    f.result()
                pending.clear()
        for f in pending:
            f.result()
    return {
        "mechanisms": n,
        "memberships": sum(len(s.members) for s in specs),
        "work_areas": sum(len(s.foci) for s in specs),
        "with_engagements": sum(1 for s in specs if s.engagements),
        "engagements": sum(len(s.engagements) for s in specs),
        "with_plan": sum(1 for s in specs if s.has_plan),
        "with_platforms": sum(1 for s in specs if s.n_platforms),
        "judgements": sum(len(s.judgements) for s in specs),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mechanisms", type=int, required=True, help="how many mechanisms to write")
    ap.add_argument("--out", type=Path, required=True, help="folder to write (replaces data/)")
    ap.add_argument("--seed", type=int, default=0, help="random seed (same seed, same bytes)")
    ap.add_argument("--ontology-dir", type=Path, default=ROOT / "ontology", help="where the real vocabularies are")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    summary = generate(args.mechanisms, args.out, args.seed, args.ontology_dir)
    took = time.perf_counter() - t0
    print(" ".join(f"{k}={v}" for k, v in summary.items()) + f" seconds={took:.1f} out={args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
