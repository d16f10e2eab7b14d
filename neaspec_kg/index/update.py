"""The analysis index of an incrementally rebuilt store, made from its base build's index.

Why: an edit to one data file is rebuilt into a new store in under a second (``neaspec_kg.incremental``), but
the new build has a new digest, so ``cached_index`` found no index for it and extracted everything again
(28 s at 10,000 mechanisms on disk, minutes at 100,000). The rebuild keeps what it changed
(``incremental.changes_path``: every changed triple); from that and the base build's index this module makes
the new build's index by extracting again only the *groups* the change touches, and the result is equal to a
full extraction of the new store, item for item and in the same order (``AnalysisIndex`` keeps every order
canonical for that: sorted rows, sorted dicts, evidence in a total order).

A group is a mechanism with its platforms and plans (everything the index holds for it: its units, the
claims about them, the evidence it owns), or an organisation that is not part of a mechanism but which a
membership names (its claims). A change touches a group when a changed triple's subject or IRI object is, in
the base index or in the new store, one of its units or anything the extraction queries read on the way to
one (``index-affected.rq``: a work area, programme area, activity, engagement, proposal, membership, or a
platform a programme area runs through). Engagements, judgements and proposals are also held as records of
their own, extracted again when their own node changed.

Where an update cannot be bounded this way the index is extracted whole, and ``last["reason"]`` says why:

- a changed fact about a concept, a country, a modality or another vocabulary term (every group may read
  its label, its place in the thesaurus or in the role hierarchy), or a thesaurus link on any node
  (skos:broader, skos:related, skos:broadMatch);
- a changed catalogue entry of a source the base index knows (a source's label orders the texts of every
  item it states; its date dates every claim): new sources (a mechanism added with its own) and sources taken
  out are fine;
- a unit that belongs to a mechanism the change touches and to one it does not;
- a change the rebuild did not record triple by triple (too large), or no chain of changes records back to a
  build whose index is kept (``MAX_STEPS``), or a change touching more than ``MAX_SHARE`` of the mechanisms
  (extracting everything is then about as quick).

Triples whose predicate (or, for rdf:type, class) no extraction query names cannot change the index and are
ignored: a secretariat's label, a country's alternative name.
"""
from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from typing import Any

from neaspec_kg.graph import select_table
from neaspec_kg.index import AnalysisIndex, _plain
from neaspec_kg.index.sources import Source, SourceIndex
from neaspec_kg.store import SparqlStore

NK = "https://w3id.org/neaspec-kg/ontology#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"

#: classes whose members any group may read: a change to one of their facts is not bounded by groups
SHARED_CLASSES = frozenset({NK + c for c in ("FocusArea", "ThematicArea", "Species", "Country", "Modality",
                                             "EngagementStatus", "EngagementType", "ImplementationLevel", "Role",
                                             "Verdict", "MechanismKind")}
                           | {SKOS + "Concept", SKOS + "ConceptScheme"})
SOURCE_CLASSES = frozenset(NK + c for c in ("DocumentPart", "WebSource", "EditorialSource", "Document"))
#: links among shared terms (the thesaurus, the role hierarchy), whatever the type of the node stating them
#: (a source's document and date are judged as a change to its catalogue entry)
SHARED_PREDICATES = frozenset({SKOS + "broader", SKOS + "related", SKOS + "broadMatch"})
#: how many changes records back a kept index may be
MAX_STEPS = 8
#: above this share of the mechanisms touched, the index is extracted whole (about as quick then)...
MAX_SHARE = 0.2
#: ... unless they are no more than this many
ALWAYS_UPDATE = 64

Triple = tuple[str, str, str | None]
#: an IRI no graph holds, so that a restriction to no nodes is one to nothing, not to everything
NOTHING = "urn:neaspec-kg:nothing"

#: what the last ``cached_index`` call did that had no index for its build: how ("updated" or "extracted"),
#: the base digest, why it was extracted whole (reason), how many groups were extracted again, seconds
last: dict[str, Any] = {}


@cache
def index_terms() -> frozenset[str]:
    """Every IRI the extraction queries name (predicates and classes among them): a changed triple whose
    predicate, or rdf:type class, is not one of them cannot change the index."""
    here = Path(__file__).parent.parent / "queries"
    terms: set[str] = {RDF_TYPE}
    for f in sorted(here.glob("index-*.rq")):
        text = "\n".join(line for line in f.read_text(encoding="utf-8").splitlines() if not line.startswith("#"))
        prefixes = dict(re.findall(r"PREFIX\s+([\w-]*):\s*<([^>]*)>", text))
        body = re.sub(r'"[^"\n]*"', "", text)
        terms.update(re.findall(r"<([^>\s]+)>", body))
        for prefix, local in re.findall(r"(?<![\w?$])([A-Za-z][\w-]*):([\w-]+)", body):
            if prefix in prefixes:
                terms.add(prefixes[prefix] + local)
    return frozenset(terms)


def changes_since(cache_dir: Path, digest: str, kept: Callable[[str], bool]) -> tuple[str, list[Triple]] | str:
    """The nearest earlier build whose index is ``kept`` and every triple changed since, following the
    changes records back at most ``MAX_STEPS`` rebuilds; or why there is none."""
    from neaspec_kg.incremental import changes_path

    triples: set[Triple] = set()
    current = digest
    for _ in range(MAX_STEPS):
        try:
            record = json.loads(changes_path(cache_dir, current).read_text(encoding="utf-8"))
            base = str(record["base"])
        except (OSError, ValueError, KeyError, TypeError):
            return "no record of what changed since an earlier build" if current == digest else \
                "no index is kept of an earlier build the changes lead back to"
        if record.get("triples") is None:
            return "the change was too large to be recorded triple by triple"
        triples.update((s, p, o) for s, p, o in record["triples"])
        if kept(base):
            return base, sorted(triples, key=lambda t: (t[0], t[1], t[2] or ""))
        current = base
    return f"no index is kept of the builds up to {MAX_STEPS} rebuilds back"


def _rows(store: SparqlStore, name: str, param: str, values: Iterable[str]) -> list[dict[str, str]]:
    """The rows of an extraction query restricted to some values of one of its parameters (none for none)."""
    chosen = sorted(set(values))
    return _plain(select_table(store, name, {param: chosen})) if chosen else []


def _memberships(store: SparqlStore, units: set[str]) -> list[dict[str, str]]:
    """The rows of ``index-memberships`` for some units. Restricted by their membership nodes too, inside
    the query's GRAPH pattern: restricted by unit alone, a store reads every membership there first."""
    if not units:
        return []
    nodes = {r["ms"] for r in _rows(store, "index-memberships-of", "unit", units)}
    chosen = {"unit": sorted(units), "ms": sorted(nodes | {NOTHING})}  # never none: none means every one
    return _plain(select_table(store, "index-memberships", chosen))


def _sources(old: SourceIndex, store: SparqlStore, added: set[str], dropped: set[str]) -> SourceIndex:
    """The source index with the entries of new sources read and those of sources taken out dropped, read
    as ``SourceIndex`` reads each row."""
    if not added and not dropped:
        return old
    index = SourceIndex.__new__(SourceIndex)
    index.by_iri = {iri: s for iri, s in old.by_iri.items() if iri not in dropped}
    for r in _rows(store, "index-sources", "source", added):
        current = index.by_iri.get(r["source"])
        if current and current.kind == "DocumentPart":
            continue
        index.by_iri[r["source"]] = Source(
            iri=r["source"], label=r["label"], kind=r["kind"].rsplit("#", 1)[-1], locator=r.get("locator"),
            url=r.get("url"), secondary=r.get("secondary") == "true")
    return index


def updated(old: AnalysisIndex, store: SparqlStore, triples: list[Triple]) -> AnalysisIndex | str:
    """The index of ``store`` made from ``old`` (the index of the build the triples were changed in), or why
    it must be extracted whole. ``old`` is not changed: items of untouched groups are shared with it."""
    terms = index_terms()
    recorded: dict[str, set[str]] = defaultdict(set)
    for s, p, o in triples:
        if p == RDF_TYPE and o:
            recorded[s].add(o)
    relevant = [(s, p, o) for s, p, o in triples if (p in terms and p != RDF_TYPE) or (p == RDF_TYPE and o in terms)]
    for s, p, _ in relevant:
        if p in SHARED_PREDICATES:
            return f"<{p}> changed on {s}: a link among shared terms"
    subjects = {s for s, _, _ in relevant}
    nodes = subjects | {o for _, _, o in relevant if o}
    rows = _rows(store, "index-affected", "node", nodes)
    types: dict[str, set[str]] = defaultdict(set, {k: set(v) for k, v in recorded.items()})
    for r in rows:
        if r.get("type"):
            types[r["node"]].add(r["type"])
    added_sources: set[str] = set()
    dropped_sources: set[str] = set()
    for s in sorted(subjects):
        shared = types[s] & SHARED_CLASSES
        if shared:
            return f"{s} changed, a {min(shared).rsplit('#', 1)[-1]} that every mechanism may refer to"
        if types[s] & SOURCE_CLASSES:
            now = {r["type"] for r in rows if r["node"] == s and r.get("type")}
            if s not in old.sources.by_iri:
                added_sources.add(s)
            elif now & SOURCE_CLASSES:
                return f"the catalogue entry of {s}, a source the index cites, changed"
            else:
                dropped_sources.add(s)
    shared_nodes = {n for n in nodes if types[n] & (SHARED_CLASSES | SOURCE_CLASSES)}
    touched = nodes - shared_nodes

    def old_group(iri: str) -> str:
        u = old.units.get(iri)
        return u.owner if u else iri

    # the groups whose rows mention a touched node, in the new store and in the base index
    groups = {r.get("owner") or r["unit"] for r in rows if r.get("unit") and r["node"] in touched}
    for n in touched:
        if n in old.units or n in old.claims:
            groups.add(old_group(n))
        e = old.engagement_by_iri.get(n)
        if e is not None:
            groups.update((old_group(e.party), old_group(e.counterpart)))
    for ev in old.evidence:
        if ev.item in touched or ev.via in touched or ev.scope in touched:
            groups.add(old_group(ev.owner))
    new_mechanisms = {r["owner"] for r in rows if r.get("owner")} - old.mech_row.keys()
    mechanisms = len(groups & old.mech_row.keys()) + len(new_mechanisms)
    if mechanisms > max(ALWAYS_UPDATE, MAX_SHARE * len(old.mechanisms)):
        return f"the change touches {mechanisms} of {len(old.mechanisms)} mechanisms"

    ix = AnalysisIndex.__new__(AnalysisIndex)
    ix.sources = _sources(old.sources, store, added_sources, dropped_sources)
    ix.thesaurus = old.thesaurus
    ix.modality_labels = dict(old.modality_labels)
    ix.units = {iri: u for iri, u in old.units.items() if u.owner not in groups}
    unit_rows = _rows(store, "index-units", "owner", groups)
    loaded = {r["unit"] for r in unit_rows}
    if loaded & ix.units.keys():
        return f"{min(loaded & ix.units.keys())} belongs to a mechanism the change touches and to another"
    ix._load_units(unit_rows)

    again = {k for k in old.claims if old_group(k) in groups} | loaded | groups
    ix.country_labels = {}  # the loaded units' countries' labels, read again
    ix.claims = old.claims.replaced(again, ix._load_claims(_memberships(store, again)))
    ix.country_labels = {c: ix.country_labels.get(c) or old.country_labels[c] for c in ix.claims.countries()}

    kept = [ev for ev in old.evidence if old_group(ev.owner) not in groups]
    evidence_rows = _rows(store, "index-evidence", "owner", loaded)
    modality_rows = [r for r in _rows(store, "index-modalities", "item", {r["item"] for r in evidence_rows})
                     if r.get("item")]
    ix._place_evidence([*kept, *ix._read_evidence(evidence_rows, modality_rows)])

    def records(held: Iterable[str], cls: str) -> set[str]:
        """The touched records of a class: held in the base index or of the class in the new store."""
        return {n for n in touched if n in held or NK + cls in types[n]}

    again_e = records(old.engagement_by_iri, "Engagement")
    ix.engagements = sorted([*(e for e in old.engagements if e.iri not in again_e),
                             *ix._read_engagements(_rows(store, "index-engagements", "engagement", again_e))],
                            key=lambda e: e.iri)
    again_j = records({j.iri for j in old.judgements}, "Judgement")
    ix.judgements = sorted([*(j for j in old.judgements if j.iri not in again_j),
                            *ix._read_judgements(_rows(store, "index-judgements", "judgement", again_j))],
                           key=lambda j: j.iri)
    again_p = records({p.iri for p in old.proposals}, "Proposal")
    ix.proposals = sorted([*(p for p in old.proposals if p.iri not in again_p),
                           *ix._read_proposals(_rows(store, "index-proposals", "proposal", again_p))],
                          key=lambda p: (p.order, p.iri))
    ix._finish()
    last["groups"] = len(groups)
    return ix
