"""The ``neaspec-kg`` command. Each subcommand is a thin layer over the library.

Exit codes: 0 success, 1 the data or a query is wrong (message names the file and line), 2 usage.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from neaspec_kg import catalogue, formatting, network
from neaspec_kg.build import build
from neaspec_kg.config import Paths, default_paths
from neaspec_kg.errors import NeaspecKgError, ValidationError
from neaspec_kg.export import ALL_FORMATS, FORMATS, export, export_table
from neaspec_kg.graph import open_graph, run
from neaspec_kg.namespaces import PREFIXES
from neaspec_kg.store import Row, SparqlStore, Term

if TYPE_CHECKING:
    from pydantic import BaseModel

    from api.settings import Settings
    from neaspec_kg.analysis import Analyst
    from neaspec_kg.analysis.profiles import Profiles
    from neaspec_kg.build import ValidatedGraph


def _paths(args: argparse.Namespace) -> Paths:
    base = default_paths()
    return Paths(
        ontology_dir=Path(args.ontology_dir) if args.ontology_dir else base.ontology_dir,
        data_dir=Path(args.data_dir) if args.data_dir else base.data_dir,
    )


def _store(args: argparse.Namespace) -> SparqlStore:
    return open_graph(_paths(args), store=args.store, use_cache=not args.no_cache)


def _params(pairs: Sequence[str]) -> dict[str, object]:
    out: dict[str, object] = {}
    for pair in pairs:
        if "=" not in pair:
            raise SystemExit(f"neaspec-kg: error: parameter {pair!r} is not NAME=VALUE")
        key, value = pair.split("=", 1)
        if key in out:  # repeated: a multi-valued parameter
            prev = out[key]
            out[key] = [*prev, value] if isinstance(prev, list) else [prev, value]
        else:
            out[key] = value
    return out


def cmd_validate(args: argparse.Namespace) -> int:
    paths = _paths(args)
    graph = build(paths, use_cache=not args.no_cache, full=True if args.full else None)
    summary = graph.summary
    print(f"valid: {summary['default_triples']} distinct triples ({summary['quads']} quads) in "
          f"{len(summary['named_graphs'])} named graphs from {len(graph.files)} files; "
          f"SHACL shapes {paths.shapes} pass")
    if graph.how == "incremental":
        r = graph.rebuilt
        print(f"incremental: {len(r['changed_files'])} changed and {len(r['removed_files'])} removed data "
              f"files re-checked ({r['focus_nodes']} nodes validated with their neighbours) in {r['seconds']} s; "
              "`validate --full` validates everything")
    elif graph.how == "full" and not args.no_cache:
        from neaspec_kg import incremental

        if incremental.last_reason:
            print(f"full build: {incremental.last_reason}")
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    store = _store(args)
    rows = run(store, "stats")
    assert isinstance(rows, list)
    print(_render(rows, ["class", "label", "count"], args.format))
    return 0


def cmd_queries(args: argparse.Namespace) -> int:
    for q in catalogue.catalogue().values():
        params = ", ".join(f"{p.name}:{p.type}{'!' if p.required else ''}" for p in q.params)
        print(f"{q.name:24} {q.title}" + (f"  ({params})" if params else ""))
    return 0


def _render(rows: Sequence[Row], columns: Sequence[str], fmt: str) -> str:
    if fmt == "csv":
        return formatting.to_csv(rows, columns).rstrip("\n")
    if fmt == "json":
        return formatting.to_sparql_json(rows, columns)
    return formatting.table(rows, columns)


def cmd_query(args: argparse.Namespace) -> int:
    store = _store(args)
    source = args.query
    if source == "-":
        text = sys.stdin.read()
        result: object = _run_text(store, text)
    elif Path(source).is_file():
        result = _run_text(store, Path(source).read_text(encoding="utf-8"))
    elif source in catalogue.catalogue():
        result = run(store, source, _params(args.param))
    else:
        print(f"neaspec-kg: {source}: no such file, and no named query of that name "
              f"(see 'neaspec-kg queries')", file=sys.stderr)
        return 2
    if isinstance(result, bool):
        print("true" if result else "false") if args.format != "json" else print(
            '{"head": {}, "boolean": ' + ("true" if result else "false") + "}")
    elif isinstance(result, list):
        print(_render(result, formatting.columns_of(result), args.format))
    else:
        for prefix, ns in PREFIXES.items():
            result.bind(prefix, ns, override=True)  # type: ignore[attr-defined]
        sys.stdout.write(result.serialize(format="turtle"))  # type: ignore[attr-defined]
    return 0


def _run_text(store: SparqlStore, text: str) -> object:
    """Run an analyst's own query with our prefixes declared first (a later PREFIX of the same
    name in the query overrides ours, as SPARQL allows)."""
    full = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items()) + text
    keyword = catalogue.query_form(text)
    if keyword == "ASK":
        return store.ask(full)
    if keyword in {"CONSTRUCT", "DESCRIBE"}:
        return store.construct(full)
    return store.select(full)


def cmd_export(args: argparse.Namespace) -> int:
    store = _store(args)
    data = export(store, args.format) if args.format in FORMATS else export_table(store, args.format)
    if args.output:
        Path(args.output).write_bytes(data)
        print(f"wrote {len(data)} bytes to {args.output}", file=sys.stderr)
    else:
        sys.stdout.buffer.write(data)
    return 0


def cmd_load(args: argparse.Namespace) -> int:
    """Write the validated build into a remote store and verify it there (neaspec_kg.load)."""
    from neaspec_kg.load import LoadError, credentials, load, virtuoso_dataset_sql

    target = args.target or (args.store if args.store.startswith(("http://", "https://")) else None)
    if not target:
        print("neaspec-kg: load needs --store URL, the query endpoint of the store to load", file=sys.stderr)
        return 2
    graph = build(_paths(args), use_cache=not args.no_cache)
    if args.virtuoso_sql:
        if not args.default_graph:
            print("neaspec-kg: --virtuoso-sql needs --default-graph IRI (the graph that holds the merge)",
                  file=sys.stderr)
            return 2
        sql = virtuoso_dataset_sql(args.default_graph, graph.graph_names)
        Path(args.virtuoso_sql).write_text(sql, encoding="utf-8")
        print(f"wrote {args.virtuoso_sql}: run it with isql to make the endpoint's default dataset ours",
              file=sys.stderr)
    try:
        report = load(graph, target, args.graph_store, replace=args.replace, default_graph=args.default_graph,
                      batch=args.batch, auth=credentials())
    except LoadError as exc:
        print(f"neaspec-kg: {exc}", file=sys.stderr)
        return exc.exit_code
    where = f"<{report.default_graph}>" if report.default_graph else "the default graph"
    print(f"loaded {report.named_graphs} named graphs and their merge ({report.counts[report.default_graph]} "
          f"triples, in {where}) into {report.graph_store} in {report.requests} requests; verified through "
          f"{report.store}" + (f"; replaced {len(report.replaced)} graphs" if report.replaced else ""),
          file=sys.stderr)
    return 0


def _analyst(args: argparse.Namespace) -> Analyst:
    from neaspec_kg.analysis import Analyst

    return Analyst(_store(args))


def _lit(text: object) -> Term:
    return Term("literal", str(text))


def _print_rows(rows: list[dict[str, object]], columns: list[str], fmt: str, title: str | None = None) -> None:
    """Plain dict rows as a table or CSV (JSON output prints the full result instead)."""
    if fmt == "csv":
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\n")
        w.writerow(columns)
        for r in rows:
            w.writerow([r.get(c, "") for c in columns])
        print(out.getvalue().rstrip("\n"))
    else:
        print(formatting.table([{c: _lit(r.get(c, "")) for c in columns} for r in rows], columns, title=title))


def _json(model: object) -> None:
    from pydantic import BaseModel

    assert isinstance(model, BaseModel)
    print(model.model_dump_json(indent=2))


def _unit_name(u: object) -> str:
    return str(getattr(u, "acronym", None) or getattr(u, "label", ""))


def cmd_overlap(args: argparse.Namespace) -> int:
    analyst = _analyst(args)
    result = analyst.overlap(args.focus, country=args.country, as_of=args.as_of,
                                    min_evidence=args.min_evidence, include_related=args.include_related,
                                    related_concepts=args.related_concepts, broader_concepts=args.broader_concepts,
                                    limit=args.limit)
    if args.format == "json":
        _json(result)
        return 0
    refs = _References()
    columns = ["mechanism", "work", "evidence", "focus", "match", "via", "level", "sources"]
    tables: dict[str, list[dict[str, object]]] = {}
    for part, ms in (("delivered", result.mechanisms), ("planned/proposed", result.planned_or_proposed)):
        for m in ms:
            for ev in m.evidence:
                tables.setdefault(part, []).append({
                    "mechanism": _unit_name(m.mechanism), "work": part, "evidence": ev.kind,
                    "focus": ", ".join(c.label for c in ev.focus), "match": ev.match,
                    "via": " ".join(filter(None, [_unit_name(ev.via) if ev.via else "",
                                                  f"with {_unit_name(ev.counterpart)}" if ev.counterpart else ""])),
                    "level": ev.level or ev.status or "",
                    "sources": refs.cite(ev.sources) if args.format == "table" else "; ".join(
                        x.locator or x.url or x.label for x in ev.sources)})
    focus = ", ".join(c.label for c in result.focus)
    if args.format != "table":
        _print_rows([r for rows in tables.values() for r in rows], columns, args.format)
        return 0
    # delivered and planned work in tables of their own (as the summary tells them apart), so that no column
    # repeats which it is and the evidence has the room
    print(formatting.table([{c: _lit(r[c]) for c in columns if c != "work"} for r in tables.get("delivered", [])],
                           [c for c in columns if c != "work"], title=f"Who works on {focus}, and on what evidence"))
    if "planned/proposed" in tables:
        print()
        print(formatting.table([{c: _lit(r[c]) for c in columns if c != "work"} for r in tables["planned/proposed"]],
                               [c for c in columns if c != "work"], title=f"Planned or proposed work on {focus}, "
                                                                          "not delivered"))
    print()
    print(formatting.paragraph(result.summary))
    if result.total > len(result.mechanisms):
        print(f"{len(result.mechanisms)} of {result.total} mechanisms shown (--limit)")
    # mechanisms by acronym, as the tables name them (the answer carries ids)
    names = {m.id: m.acronym or m.label for m in _profiles(analyst).mechanisms()}
    names |= {m.mechanism.id: _unit_name(m.mechanism) for m in (*result.mechanisms, *result.planned_or_proposed)}
    print(formatting.paragraph("Shared members: " + ("; ".join(
        f"{s.country.label} ({', '.join(names.get(x, x) for x in s.mechanisms)})" for s in result.shared_members)
        or "none")))
    engagements = [[names.get(e.party, e.party), names.get(e.counterpart, e.counterpart), ", ".join(e.types),
                    e.status, e.limitation or "", refs.cite(e.sources)] for e in result.engagements]
    if engagements:
        print()
        print(formatting.text_table(engagements, ["Party", "With", "Kind", "Status", "Limitation", "Sources"],
                                    title="Engagements between these mechanisms"))
    print()
    print(refs.table())
    return 0


def _print_pairs(pairs: list, fmt: str, explain: bool) -> None:  # type: ignore[type-arg]
    rows = [{"rank": i, "pair": f"{_unit_name(p.a)} - {_unit_name(p.b)}", "level": p.level,
             "judged by": p.judged_by, "score": f"{p.score:.3f}",
             "shared countries": " ".join(c.id for c in p.shared_countries),
             "coordination": "yes" if p.coordination else "one system" if p.part_of else "no"}
            for i, p in enumerate(pairs, 1)]
    _print_rows(rows, ["rank", "pair", "level", "judged by", "score", "shared countries", "coordination"], fmt)
    if fmt == "table" and explain:
        for i, p in enumerate(pairs, 1):
            print()
            print(formatting.paragraph(p.explanation, indent=f"{i}. "))
            for src in p.sources:
                print(formatting.paragraph(src.label + (f" <{src.url}>" if src.url else ""), indent="   - "))


def cmd_duplication(args: argparse.Namespace) -> int:
    answer = _analyst(args).duplication(mechanism=args.mechanism, theme=args.theme, country=args.country,
                                        as_of=args.as_of, min_score=args.min_score or 0.0,
                                        include_related=args.include_related,
                                        limit=None if args.all else args.top)
    if args.format == "json":
        _json(answer)
        return 0
    _print_pairs(answer.pairs, args.format, args.explain)
    if args.format == "table":
        if answer.total is not None and answer.total > answer.count:
            print(f"\n{answer.count} of {answer.total} pairs shown (--top K or --all for more)")
        for j in answer.context:
            print()
            print(formatting.paragraph(f"context: the note ({'; '.join(s.label for s in j.sources)}) says: "
                                       f"\u201c{j.text}\u201d"))
    return 0


def cmd_pair(args: argparse.Namespace) -> int:
    p = _analyst(args).pair(args.a, args.b, as_of=args.as_of)
    if args.format == "json":
        _json(p)
        return 0
    _print_pairs([p], args.format, True)
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from neaspec_kg.models import ProposedWork

    work = ProposedWork(focus=args.focus, modalities=args.modality, countries=args.country,
                        proposer=args.proposer, as_of=args.as_of)
    answer = _analyst(args).check(work, include_related=not args.subregional_only)
    if args.format == "json":
        _json(answer)
        return 0
    rows: list[dict[str, object]] = [
        {"rank": i, "who": _unit_name(m.unit) + (f" ({m.unit.part_of})" if m.unit.part_of else ""),
             "level": m.level, "score": f"{m.score:.3f}",
             "meets on": ", ".join(x.focus_b.label for x in m.meetings),
             "shared countries": " ".join(c.id for c in m.shared_countries)} for i, m in enumerate(answer.matches, 1)]
    _print_rows(rows, ["rank", "who", "level", "score", "meets on", "shared countries"], args.format)
    if args.format == "table":
        print(f"\n{formatting.paragraph(answer.verdict)}")
        for i, m in enumerate(answer.matches, 1):
            print()
            print(formatting.paragraph(m.explanation, indent=f"{i}. "))
    return 0


def cmd_proposals(args: argparse.Namespace) -> int:
    answer = _analyst(args).proposals()
    if args.format == "json":
        _json(answer)
        return 0
    rows = [{"#": p.order, "heading": p.heading, "proposal": p.text,
             "covered by": ", ".join(f"{_unit_name(m.unit)} ({m.level})" for m in p.covered_by) or "nobody"}
            for p in answer.proposals]
    _print_rows(rows, ["#", "heading", "proposal", "covered by"], args.format)
    return 0


class _References:
    """The CLI's face of ``neaspec_kg.references.References``: cited as "1,3" in a table's last column, listed
    once at the end with each web source's URL."""

    def __init__(self) -> None:
        from neaspec_kg.references import References

        self.refs = References()

    def cite(self, sources: Sequence[Mapping[str, Any] | BaseModel]) -> str:
        """Sources as dicts or models (``SourceRef``, a profile's ``SourceCitation``)."""
        from neaspec_kg.models import SourceRef

        return ",".join(str(n) for n in self.refs.cite(
            SourceRef.model_validate(s if isinstance(s, Mapping) else s.model_dump()) for s in sources))

    def table(self) -> str:
        rows = []
        for i, s in enumerate(self.refs.items, 1):
            text = s.url if s.url and s.label in s.url else s.label + (f" <{s.url}>" if s.url else "")
            rows.append([str(i), text + (" (secondary)" if s.secondary else "")])
        return formatting.text_table(rows, ["#", "Source"], title="Sources")


def _profiles(analyst: Analyst) -> Profiles:
    from neaspec_kg.analysis.profiles import Profiles

    return Profiles(analyst.store, analyst.sources, analyst.focus)


def cmd_mechanism(args: argparse.Namespace) -> int:
    """One mechanism as REST ``/mechanisms/{id}`` gives it (the same profile), as titled tables."""
    from neaspec_kg.analysis.profiles import NotFoundError

    profiles = _profiles(_analyst(args))
    try:
        m = profiles.mechanism(args.id, as_of=args.as_of)
    except NotFoundError as exc:
        near = ", ".join(s["id"] for s in exc.suggestions) or "none"
        print(f"neaspec-kg: no mechanism {args.id!r}; closest ids: {near} (all: neaspec-kg mechanisms)",
              file=sys.stderr)
        return 1
    if args.format == "json":
        _json(m)
        return 0
    refs = _References()
    names = {x.id: x.acronym or x.label for x in profiles.mechanisms()}
    names |= {c.id: c.acronym or c.label for c in m.components}
    title = f"{m.acronym}: {m.label}" if m.acronym else m.label
    facts: list[list[str]] = [["Kind", m.kind.label, ""],
                              ["In Table 2", "yes, a subregional mechanism" if m.subregional else
                               "no, a related convention or partnership", ""]]
    facts += [["Established", c.value, refs.cite(c.sources)] for c in m.established_claims]
    facts += [["Website", w, ""] for w in m.website]
    for sec in m.secretariat:
        host = f" (hosted by {sec.hosted_by.label})" if sec.hosted_by else ""
        facts.append(["Secretariat", f"{sec.label}{host}", refs.cite(sec.sources)])
    facts += [["Governing body", g.label, refs.cite(g.sources)] for g in m.governing_bodies]
    facts += [["Also called", x.label + (f" ({x.lang})" if x.lang else ""), refs.cite(x.sources)]
              for x in m.labels if x.kind != "acronym" and x.label not in {m.acronym, m.label}]
    cells = {"statedMembers": "Members", "statedGovernance": "Governance", "statedSecretariat": "Secretariat",
             "statedFocusAreas": "Focus areas"}
    facts += [[f"Table 2: {cells[key]}", value, refs.cite(m.stated_sources[key])]
              for key, value in m.stated_in_table_2.items() if value]
    print(formatting.text_table(facts, ["Fact", "Value", "Sources"], title=title))
    members = [[f"{c.label} ({c.id})", c.role, c.since or "", refs.cite(c.sources)] for c in m.members]
    print()
    print(formatting.text_table(members, ["Country", "Role", "Since", "Sources"],
                                title=f"Members ({len(members)})" + (f" as of {args.as_of}" if args.as_of else "")))
    focus = [[f.label, ", ".join(f.modalities), ", ".join(f.through), refs.cite(f.sources)] for f in m.focus_areas]
    print()
    print(formatting.text_table(focus, ["Focus area", "How", "Through", "Sources"],
                                title=f"Focus areas ({len(focus)})"))
    if m.components:
        parts = [[c.acronym or c.label, c.type, ", ".join(c.established), refs.cite(c.sources)] for c in m.components]
        print()
        print(formatting.text_table(parts, ["Platform or plan", "Type", "Established", "Sources"],
                                    title=f"Platforms and plans ({len(parts)})"))
    ours = {m.id, *(c.id for c in m.components)}
    rows = []
    for e in m.engagements:
        other = e.party if e.counterpart in ours else e.counterpart
        rows.append([names.get(other, other), f"{', '.join(e.types)} ({e.status.lower()})", e.via or "",
                     " ".join(e.stated_as) + (f" Limitation: {e.limitation}" if e.limitation else ""),
                     refs.cite(e.sources)])
    print()
    # the kind and its status in one column: what the source says needs the room
    print(formatting.text_table(rows, ["With", "Kind (status)", "Via", "What the source says", "Sources"],
                                title=f"Engagements with other mechanisms ({len(rows)})"))
    print()
    print(refs.table())
    return 0


def cmd_mechanisms(args: argparse.Namespace) -> int:
    """Every mechanism as REST ``/mechanisms`` lists it."""
    from neaspec_kg.models_profiles import MechanismList

    found = _profiles(_analyst(args)).mechanisms()
    if args.format == "json":
        _json(MechanismList(count=len(found), mechanisms=found))
        return 0
    rows: list[dict[str, object]] = [
        {"id": m.id, "acronym": m.acronym or "", "name": m.label, "kind": m.kind.label,
         "table 2": "yes" if m.subregional else "no", "established": ", ".join(m.established),
         "members": m.member_count} for m in found]
    _print_rows(rows, ["id", "acronym", "name", "kind", "table 2", "established", "members"], args.format,
                title=f"Mechanisms ({len(found)}): the subregional ones of Table 2 first")
    return 0


def cmd_countries(args: argparse.Namespace) -> int:
    """Every country as REST ``/countries`` lists it."""
    from neaspec_kg.models_profiles import CountryList

    found = _profiles(_analyst(args)).countries()
    if args.format == "json":
        _json(CountryList(count=len(found), countries=found))
        return 0
    rows: list[dict[str, object]] = [
        {"code": c.id, "name": c.label, "alpha-2": c.iso3166_alpha2, "numeric": c.iso3166_numeric or "",
         "NEASPEC member": "yes" if c.neaspec_member_state else "no", "member of": c.mechanism_count}
        for c in found]
    _print_rows(rows, ["code", "name", "alpha-2", "numeric", "NEASPEC member", "member of"], args.format,
                title=f"Countries ({len(found)}), by the number of mechanisms they are members of")
    return 0


def cmd_country(args: argparse.Namespace) -> int:
    analyst = _analyst(args)
    answer = analyst.country_participation(args.code, as_of=args.as_of)
    if args.format == "json":
        _json(answer)
        return 0
    refs = _References()
    rows: list[dict[str, object]] = [
        {"mechanism": _unit_name(p.unit), "name": p.unit.label, "status": p.status, "since": ", ".join(p.since),
         "sources": refs.cite([x.model_dump() for x in p.sources]) if args.format == "table" else
         "; ".join(x.locator or x.url or x.label for x in p.sources)} for p in answer.mechanisms]
    when = f" as of {args.as_of}" if args.as_of else ""
    _print_rows(rows, ["mechanism", "name", "status", "since", "sources"], args.format,
                title=f"What {answer.country.label} ({answer.country.id}) takes part in{when}")
    if args.format == "table":
        print(f"\n{formatting.paragraph(answer.summary)}\n")
        print(refs.table())
    return 0


def cmd_focus_areas(args: argparse.Namespace) -> int:
    """The thesaurus as an indented tree, each concept with its id and other labels."""
    from neaspec_kg.models_profiles import FocusNode, FocusTree

    tree = _profiles(_analyst(args)).focus_tree()
    if args.format == "json":
        _json(FocusTree(themes=tree))
        return 0

    def show(nodes: list[FocusNode], depth: int) -> None:
        for n in nodes:
            print(f"{'  ' * depth}{n.label} ({n.id})")
            show(n.narrower, depth + 1)

    show(tree, 0)
    return 0


def cmd_network(args: argparse.Namespace) -> int:
    analyst = _analyst(args)
    mc = network.mechanism_country(analyst.store, include_related=args.include_related)
    overlap = network.overlap_graph(analyst.duplication(include_related=args.include_related, limit=None).pairs)
    if args.graphml:
        graph = {"mechanism-country": mc, "duplication": overlap,
                 "mechanism-focus": network.mechanism_focus(analyst.store, include_related=args.include_related)}
        network.write_graphml(graph[args.graph], args.graphml)
        print(f"wrote {args.graph} graph to {args.graphml}", file=sys.stderr)
    m = network.metrics(mc, overlap)
    if args.format == "json":
        print(json.dumps(m, ensure_ascii=False, indent=2))
        return 0
    print("countries by number of mechanisms:")
    for c in m["countries_by_mechanisms"]:
        print(f"  {c['id']}  {c['label']:40} {c['mechanisms']}")
    print("mechanisms by overlap strength (sum of duplication scores), betweenness:")
    for c in m["central_mechanisms"]:
        print(f"  {c['label']:12} {c['overlap_strength']:.3f}  {c['betweenness']:.3f}")
    print("clusters of mechanisms (greedy modularity on duplication scores):")
    for i, cluster in enumerate(m["clusters"], 1):
        print(f"  {i}. {', '.join(cluster)}")
    return 0


def cmd_viz(args: argparse.Namespace) -> int:
    """One self-contained interactive HTML page (everything inlined) that opens offline."""
    from neaspec_kg import views

    if args.matrix:
        return _viz_matrix(args)
    if (args.country or args.as_of) and not args.focus:
        print("neaspec-kg: error: --country and --as-of go with --matrix or --focus", file=sys.stderr)
        return 2
    if args.focus:
        kind, value = "overlap", args.focus
    elif args.mechanism:
        kind, value = "mechanism", args.mechanism
    elif args.duplication:
        kind, value = "duplication", None
    else:
        kind, value = "graph", None
    opts: dict[str, object] = (
        {"include_related": True} if args.include_related and kind in {"overlap", "duplication"} else {})
    if kind == "overlap":
        opts |= {"country": args.country.upper() if args.country else None, "as_of": args.as_of}
    size = views.write_standalone(_analyst(args), None, kind, value, args.output, lang=args.lang, **opts)
    print(f"wrote {args.output} ({size:,} bytes)", file=sys.stderr)
    return 0


def _viz_matrix(args: argparse.Namespace) -> int:
    """The coverage matrix as ``/matrix`` shows it: a ``.csv`` output gets the CSV, anything else one
    self-contained HTML file. The web layer renders it (imported here, never at module level: the library
    does not depend on ``api``)."""
    from api.matrix import matrix_csv, matrix_document

    m = _analyst(args).matrix(country=args.country, as_of=args.as_of, include_related=args.include_related)
    out = Path(args.output)
    data = matrix_csv(m) if out.suffix.lower() == ".csv" else matrix_document(m, lang=args.lang).encode("utf-8")
    try:
        out.write_bytes(data)
    except OSError as exc:
        print(f"neaspec-kg: error: cannot write {out}: {exc.strerror}", file=sys.stderr)
        return 1
    print(f"wrote {out} ({len(data):,} bytes)", file=sys.stderr)
    return 0


def cmd_brief(args: argparse.Namespace) -> int:
    """The printable brief on a focus, as ``/brief`` serves it: a PDF through headless Chromium, or the HTML
    (``--html`` or an ``.html`` output). The page is rendered by the web layer's module, imported here
    lazily (as ``serve`` imports the app) so the library never depends on it."""
    from api.brief_page import render_brief
    from neaspec_kg.analysis import DateError, UnknownFocusError, UnknownUnitError
    from neaspec_kg.brief import print_pdf

    try:
        html = render_brief(_analyst(args), args.focus, country=args.country, as_of=args.as_of,
                            include_related=args.include_related, lang=args.lang, served=False)
    except (UnknownFocusError, DateError) as exc:
        print(f"neaspec-kg: error: {exc}", file=sys.stderr)
        return 2
    except UnknownUnitError as exc:  # the only unit a brief is asked about is --country
        near = ", ".join(exc.suggestions) or "none"
        print(f"neaspec-kg: error: no country in the graph has the ISO 3166-1 alpha-3 code {exc.text!r}; "
              f"closest known codes: {near}", file=sys.stderr)
        return 2
    out = Path(args.output)
    if args.html or out.suffix.lower() in {".html", ".htm"}:
        out.write_text(html, encoding="utf-8")
        print(f"wrote {out} ({out.stat().st_size:,} bytes of HTML)", file=sys.stderr)
        return 0
    size = print_pdf(html, out, timeout_s=args.timeout)
    print(f"wrote {out} ({size:,} bytes of PDF)", file=sys.stderr)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """Build and validate first (an invalid graph stops the start, with the violations listed)."""
    import dataclasses
    import socket

    import uvicorn

    from api.app import create_app
    from api.settings import Settings

    with socket.socket() as probe:  # a busy port is said before minutes of building, with how to change it
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does: TIME_WAIT is not busy
        try:
            probe.bind((args.host, args.port))
        except OSError as exc:
            print(f"neaspec-kg: cannot listen on {args.host}:{args.port} ({exc.strerror}): another server is "
                  f"probably running there; choose another port with --port (make run PORT=...)", file=sys.stderr)
            return 2
    settings = dataclasses.replace(Settings.from_env(), host=args.host, port=args.port)
    if args.public_url:
        settings = dataclasses.replace(settings, public_url=args.public_url)
    if args.query_timeout is not None:
        settings = dataclasses.replace(settings, query_timeout_s=args.query_timeout)
    if args.store.startswith(("http://", "https://")) and args.workers > 1:
        print("neaspec-kg: serve --workers N serves the embedded store; with --store URL the store itself "
              "scales out, so run one server (or several behind a proxy) without --workers", file=sys.stderr)
        return 2
    if args.store.startswith(("http://", "https://")):
        # a remote store that already holds a validated build (README, "Another SPARQL store"): the API,
        # the views and a policy-checked /sparql that forwards to it
        app = create_app(settings, store_url=args.store, offload=True)
        what = f"the store at {args.store}"
    elif args.store != "oxigraph":
        print(f"neaspec-kg: serve takes --store oxigraph (the default) or the URL of a SPARQL 1.1 store, not "
              f"{args.store!r}", file=sys.stderr)
        return 2
    else:
        graph = build(_paths(args), use_cache=not args.no_cache)
        what = f"{len(graph.graph_names)} named graphs"
        if args.workers > 1:
            return _serve_workers(args, settings, graph, what)
        # the analyses and pages run in an analysis process, so that none of them holds this process's GIL
        # while it answers /healthz, SPARQL and repeated answers (api/offload.py)
        app = create_app(settings, graph, offload=True)
    print(f"neaspec-kg: serving {what} on http://{args.host}:{args.port}/ "
          f"(SPARQL at /sparql, API docs at /docs)", file=sys.stderr)
    from api.server import uvicorn_options

    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, **uvicorn_options(settings))
    return 0


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def _serve_workers(args: argparse.Namespace, settings: Settings, graph: ValidatedGraph, what: str) -> int:
    """``serve --workers N``: N uvicorn worker processes over the one on-disk store built here, once.

    uvicorn starts each worker as a fresh interpreter that calls ``api.app:create_app()``, which reads its
    settings from ``NEASPEC_KG_*`` variables: they are set here, with ``store_path`` naming the build's store,
    so no worker builds or validates anything, and all of them (and their SPARQL workers and analysis
    processes) read the same files.
    uvicorn pickles its options for the workers, so a protocol class made at run time is replaced by the
    nearest importable one."""
    import dataclasses
    import os

    import uvicorn

    from api.server import uvicorn_options

    # each worker runs its own analysis process, as single-process `serve` does (the hardening holds per worker)
    settings = dataclasses.replace(settings, store_path=str(graph.on_disk()), offload=True)
    os.environ.update(settings.to_env())
    options = uvicorn_options(settings)
    if isinstance(options.get("http"), type):
        options["http"] = next(c for c in options["http"].__mro__
                               if getattr(sys.modules.get(c.__module__), c.__qualname__, None) is c)
    print(f"neaspec-kg: serving {what} with {args.workers} worker processes on http://{args.host}:{args.port}/ "
          f"(SPARQL at /sparql, API docs at /docs)", file=sys.stderr)
    uvicorn.run("api.app:create_app", factory=True, workers=args.workers, host=args.host, port=args.port,
                log_level=args.log_level, **options)
    return 0


def parser() -> argparse.ArgumentParser:
    from neaspec_kg import __version__

    p = argparse.ArgumentParser(prog="neaspec-kg", description=__doc__.splitlines()[0])
    p.add_argument("--version", action="version", version=f"neaspec-kg {__version__}")
    p.add_argument("--data-dir", help="folder of TriG data (default: the checkout's data/)")
    p.add_argument("--ontology-dir", help="folder of ontology Turtle and shapes (default: ontology/)")
    p.add_argument("--store", default="oxigraph",
                   help="oxigraph (default), rdflib, or the URL of a SPARQL 1.1 endpoint holding the data")
    p.add_argument("--no-cache", action="store_true", help="rebuild and revalidate even if inputs are unchanged")
    sub = p.add_subparsers(dest="command", required=True)

    def add(name: str, func: Callable[[argparse.Namespace], int], help_: str) -> argparse.ArgumentParser:
        sp = sub.add_parser(name, help=help_, description=help_)
        sp.set_defaults(func=func)
        return sp

    sp = add("validate", cmd_validate, "build the graph and check it against the SHACL shapes")
    sp.add_argument("--full", action="store_true",
                    help="validate every file, not only those changed since the last valid build")
    sp = add("stats", cmd_stats, "how many things of each class the graph holds")
    sp.add_argument("--format", choices=["table", "csv", "json"], default="table")
    add("queries", cmd_queries, "list the named queries")
    sp = add("query", cmd_query, "run a SPARQL query from a FILE, from stdin (-), or a named query by NAME")
    sp.add_argument("query", metavar="FILE|-|NAME")
    sp.add_argument("-p", "--param", action="append", default=[], metavar="NAME=VALUE",
                    help="parameter of a named query (repeat for several)")
    sp.add_argument("--format", choices=["table", "csv", "json"], default="table")
    kinds = ["stated-focus", "programme", "platform", "delivered-activity", "partial-activity", "engagement"]
    sp = add("overlap", cmd_overlap, "who works on a focus area (free text, id or IRI), with the evidence")
    sp.add_argument("focus", help='e.g. "air quality", desertification, "migratory birds", marine-protected-areas')
    sp.add_argument("--country", help="only work this country (ISO alpha-3) takes part in")
    sp.add_argument("--as-of", help="memberships as of a date (YYYY-MM-DD), e.g. the note's 2020-07-10")
    sp.add_argument("--min-evidence", choices=kinds, default="engagement",
                    help="the weakest kind of evidence to include (stated-focus: Table 2 and official sites only)")
    sp.add_argument("--include-related", action="store_true",
                    help="also mechanisms outside Table 2 (conventions, partnerships)")
    sp.add_argument("--related-concepts", action="store_true", help="also related focus areas (weaker)")
    sp.add_argument("--broader-concepts", action="store_true",
                    help="also mechanisms working on something broader (weaker)")
    sp.add_argument("--limit", type=int, help="at most this many mechanisms in each list (strongest first)")
    sp.add_argument("--format", choices=["table", "csv", "json"], default="table")
    sp = add("duplication", cmd_duplication, "pairs of mechanisms ranked as paragraph 36 judges duplication")
    sp.add_argument("--theme", help="only pairs that share this theme (free text or id)")
    sp.add_argument("--country", help="only pairs that both have this member (ISO alpha-3)")
    sp.add_argument("--mechanism", help="only pairs that include this mechanism (its duplicates)")
    sp.add_argument("--as-of", help="memberships as of a date (YYYY-MM-DD)")
    sp.add_argument("--min-score", type=float, help="only pairs scoring at least this (0 to 1); flagged pairs stay")
    sp.add_argument("--top", type=int, default=10, help="the K highest-ranked pairs (default 10)")
    sp.add_argument("--all", action="store_true", help="every pair, not only the top K")
    sp.add_argument("--include-related", action="store_true", help="also conventions and partnerships")
    sp.add_argument("--no-explain", dest="explain", action="store_false", help="table only, no explanations")
    sp.add_argument("--format", choices=["table", "csv", "json"], default="table")
    sp = add("pair", cmd_pair, "how two mechanisms relate: duplication, coordination or complementarity")
    sp.add_argument("a", help="mechanism or platform id, e.g. neaspec, neampan")
    sp.add_argument("b", help="mechanism or platform id, e.g. nowpap")
    sp.add_argument("--as-of", help="memberships as of a date (YYYY-MM-DD)")
    sp.add_argument("--format", choices=["table", "csv", "json"], default="table")
    sp = add("check", cmd_check, "check a proposed piece of work: who already does it, and is it duplication")
    sp.add_argument("focus", help='the work in everyday words, e.g. "migratory birds", "dust storms"')
    sp.add_argument("--modality", action="append", default=[],
                    help="how it would be done (repeat), e.g. research, monitoring, capacity-building")
    sp.add_argument("--country", action="append", default=[], help="countries taking part (repeat; ISO alpha-3)")
    sp.add_argument("--proposer", help="the proposing mechanism, e.g. neaspec")
    sp.add_argument("--as-of", help="memberships as of a date (YYYY-MM-DD)")
    sp.add_argument("--subregional-only", action="store_true", help="compare with the Table 2 mechanisms only")
    sp.add_argument("--format", choices=["table", "csv", "json"], default="table")
    sp = add("focus-areas", cmd_focus_areas, "the focus-area thesaurus as a tree (ids and labels to ask with)")
    sp.add_argument("--format", choices=["table", "json"], default="table")
    sp = add("proposals", cmd_proposals, "the paragraph 21 proposals for 2021-2025 and who already covers each")
    sp.add_argument("--format", choices=["table", "csv", "json"], default="table")
    sp = add("mechanisms", cmd_mechanisms, "list the mechanisms (ids to ask with), as /mechanisms does")
    sp.add_argument("--format", choices=["table", "csv", "json"], default="table")
    sp = add("countries", cmd_countries, "list the countries (codes to ask with), as /countries does")
    sp.add_argument("--format", choices=["table", "csv", "json"], default="table")
    sp = add("mechanism", cmd_mechanism, "everything about one mechanism, with sources")
    sp.add_argument("id", help="lowercase acronym, e.g. eanet")
    sp.add_argument("--as-of", help="memberships as of a date (YYYY-MM-DD)")
    sp.add_argument("--format", choices=["table", "json"], default="table")
    sp = add("country", cmd_country, "the mechanisms a country takes part in")
    sp.add_argument("code", help="ISO 3166-1 alpha-3, e.g. MNG")
    sp.add_argument("--as-of", help="memberships as of a date (YYYY-MM-DD)")
    sp.add_argument("--format", choices=["table", "csv", "json"], default="table")
    sp = add("network", cmd_network, "network metrics; --graphml writes a graph for Gephi or Cytoscape")
    sp.add_argument("--graphml", help="file to write")
    sp.add_argument("--graph", choices=["mechanism-country", "mechanism-focus", "duplication"],
                    default="duplication", help="which graph --graphml writes")
    sp.add_argument("--include-related", action="store_true", help="also conventions and partnerships")
    sp.add_argument("--format", choices=["table", "json"], default="table")
    sp = add("viz", cmd_viz, "write one self-contained interactive network page (opens offline); "
                             "no flag: the whole graph")
    which = sp.add_mutually_exclusive_group()
    which.add_argument("--focus", help='the overlap view of a focus, e.g. "air quality"')
    which.add_argument("--mechanism", help="one mechanism's view, e.g. eanet")
    which.add_argument("--duplication", action="store_true", help="the mechanism-to-mechanism duplication view")
    which.add_argument("--matrix", action="store_true",
                       help="the coverage matrix (focus areas against mechanisms), as /matrix shows it; "
                            "-o FILE.csv writes its CSV")
    sp.add_argument("--country", help="--matrix, --focus: only work this country (ISO alpha-3) takes part in")
    sp.add_argument("--as-of", help="--matrix, --focus: memberships as of a date (YYYY-MM-DD)")
    sp.add_argument("--lang", default="en", choices=["en", "zh", "ja", "ko", "ru", "mn"],
                    help="label language, English where a label is missing")
    sp.add_argument("--include-related", action="store_true", help="also conventions and partnerships")
    sp.add_argument("-o", "--output", required=True, help="the HTML file to write (--matrix: or a .csv file)")
    sp = add("brief", cmd_brief, "write a printable A4 brief on a focus (overlap, matrix row, network figure, "
                                 "numbered references) as PDF through headless Chromium, or as HTML")
    sp.add_argument("--focus", required=True, help='a focus area (free text, id or IRI), e.g. "air quality"')
    sp.add_argument("-o", "--output", required=True, help="the PDF to write (an .html name writes the HTML)")
    sp.add_argument("--country", help="only work this country (ISO alpha-3) takes part in")
    sp.add_argument("--as-of", help="memberships as of a date (YYYY-MM-DD)")
    sp.add_argument("--include-related", action="store_true", help="also conventions and partnerships")
    sp.add_argument("--lang", default="en", choices=["en", "zh", "ja", "ko", "ru", "mn"],
                    help="interface and label language, English where a translation is missing")
    sp.add_argument("--html", action="store_true", help="write the HTML instead of printing it to PDF")
    sp.add_argument("--timeout", type=float, default=120.0,
                    help="seconds Chromium may take to print (default 120); Chromium is $CHROMIUM or on PATH")
    sp = add("serve", cmd_serve, "start the web server (SPARQL endpoint, REST API, views) on 127.0.0.1")
    sp.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    sp.add_argument("--port", type=int, default=8000)
    sp.add_argument("--query-timeout", type=float, help="SPARQL query time limit in seconds (default 10)")
    sp.add_argument("--public-url", help="the URL clients reach the server at, behind a proxy (default: the "
                                         "address it listens on; never taken from requests' Host header)")
    sp.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    sp.add_argument("--workers", type=_positive_int, default=1,
                    help="HTTP worker processes, all over the one on-disk store (default 1); each has its own "
                         "SPARQL worker pool (NEASPEC_KG_WORKERS)")
    sp = add("export", cmd_export, "write the whole graph in an RDF format, a CSV table or GraphML")
    sp.add_argument("--format", choices=ALL_FORMATS, default="turtle")
    sp.add_argument("-o", "--output", help="file to write (default: standard output)")
    sp = add("load", cmd_load, "put the validated graph into a remote SPARQL 1.1 store (Graph Store Protocol) "
                               "and verify it there, graph by graph")
    sp.add_argument("--store", dest="target", metavar="URL", help="the store's SPARQL query endpoint")
    sp.add_argument("--graph-store", metavar="URL", help="its Graph Store Protocol endpoint (default: .../store "
                    "next to .../query, as Oxigraph server has; Virtuoso: .../sparql-graph-crud-auth). "
                    "Credentials, if it wants them: NEASPEC_KG_STORE_USER and NEASPEC_KG_STORE_PASSWORD")
    sp.add_argument("--replace", action="store_true", help="overwrite graphs that already hold data")
    sp.add_argument("--default-graph", metavar="IRI", help="load the merged graph into this named graph, for "
                    "stores whose default graph is the union of all graphs (Virtuoso)")
    sp.add_argument("--virtuoso-sql", metavar="FILE", help="also write the isql statements that make Virtuoso's "
                    "endpoint use --default-graph and our named graphs as its default dataset")
    sp.add_argument("--batch", type=int, default=5000, help="triples per request (default 5000)")
    # every command that prints tables can print them unwrapped, one line per row
    for sp in sub.choices.values():
        if any("--format" in a.option_strings and "table" in (a.choices or ()) for a in sp._actions):
            sp.add_argument("--wide", action="store_true", help="do not wrap table cells (one line per row)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    formatting.set_wide(bool(getattr(args, "wide", False)))
    try:
        return int(args.func(args))
    except ValidationError as exc:
        print(f"neaspec-kg: {exc}", file=sys.stderr)
        return 1
    except NeaspecKgError as exc:
        print(f"neaspec-kg: error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # `neaspec-kg export | head`
        return 0
    except OSError as exc:  # an output file that cannot be written, a folder that does not exist
        where = f" {exc.filename}" if exc.filename else ""
        print(f"neaspec-kg: cannot write or read{where}: {exc.strerror or exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
