"""The ``neaspec-kg`` command. Each subcommand is a thin layer over the library.

Exit codes: 0 success, 1 the data or a query is wrong (message names the file and line), 2 usage.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from neaspec_kg import catalogue, formatting, network
from neaspec_kg.build import build
from neaspec_kg.config import Paths, default_paths
from neaspec_kg.errors import NeaspecKgError, ValidationError
from neaspec_kg.export import ALL_FORMATS, FORMATS, export, export_table
from neaspec_kg.graph import open_graph, run
from neaspec_kg.namespaces import PREFIXES
from neaspec_kg.store import SparqlStore, Term

if TYPE_CHECKING:
    from neaspec_kg.analysis import Analyst


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
    graph = build(paths, use_cache=not args.no_cache)
    n_graphs = len(graph.graph_names)
    triples = {(q.subject, q.predicate, q.object) for q in graph.quads}
    print(f"valid: {len(triples)} distinct triples ({len(graph.quads)} quads) in {n_graphs} named graphs "
          f"from {len(graph.files)} files; SHACL shapes {paths.shapes} pass")
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


def _render(rows: list, columns: Sequence[str], fmt: str) -> str:
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


def _analyst(args: argparse.Namespace) -> Analyst:
    from neaspec_kg.analysis import Analyst

    return Analyst(_store(args))


def _lit(text: object) -> Term:
    return Term("literal", str(text))


def _print_rows(rows: list[dict[str, object]], columns: list[str], fmt: str) -> None:
    """Plain dict rows as a table or CSV (JSON output prints the full result instead)."""
    if fmt == "csv":
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\n")
        w.writerow(columns)
        for r in rows:
            w.writerow([r.get(c, "") for c in columns])
        print(out.getvalue().rstrip("\n"))
    else:
        print(formatting.table([{c: _lit(r.get(c, "")) for c in columns} for r in rows], columns))


def _json(model: object) -> None:
    from pydantic import BaseModel

    assert isinstance(model, BaseModel)
    print(model.model_dump_json(indent=2))


def _unit_name(u: object) -> str:
    return getattr(u, "acronym", None) or getattr(u, "label", "")


def cmd_overlap(args: argparse.Namespace) -> int:
    result = _analyst(args).overlap(args.focus, country=args.country, as_of=args.as_of,
                                    min_evidence=args.min_evidence, include_related=args.include_related,
                                    related_concepts=args.related_concepts, broader_concepts=args.broader_concepts,
                                    limit=args.limit)
    if args.format == "json":
        _json(result)
        return 0
    rows = []
    for part, ms in (("delivered", result.mechanisms), ("planned/proposed", result.planned_or_proposed)):
        for m in ms:
            for ev in m.evidence:
                rows.append({"mechanism": _unit_name(m.mechanism), "work": part, "evidence": ev.kind,
                             "focus": ", ".join(c.label for c in ev.focus), "match": ev.match,
                             "via": _unit_name(ev.via) if ev.via else "", "level": ev.level or ev.status or "",
                             "sources": "; ".join(s.locator or s.url or s.label for s in ev.sources)})
    _print_rows(rows, ["mechanism", "work", "evidence", "focus", "match", "via", "level", "sources"], args.format)
    if args.format == "table":
        print()
        print(result.summary)
        if result.total > len(result.mechanisms):
            print(f"{len(result.mechanisms)} of {result.total} mechanisms shown (--limit)")
        print("shared members: " + ("; ".join(f"{s.country.label} ({', '.join(s.mechanisms)})"
                                             for s in result.shared_members) or "none"))
        for e in result.engagements:
            print(f"engagement: {e.party} -> {e.counterpart}: {', '.join(e.types)} ({e.status})"
                  + (f"; limit: {e.limitation}" if e.limitation else ""))
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
            print(f"\n{i}. {p.explanation}")
            for src in p.sources:
                print(f"   - {src.label}" + (f" <{src.url}>" if src.url else ""))


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
            print(f"\ncontext: the note ({'; '.join(s.label for s in j.sources)}) says: \u201c{j.text}\u201d")
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
    rows = [{"rank": i, "who": _unit_name(m.unit) + (f" ({m.unit.part_of})" if m.unit.part_of else ""),
             "level": m.level, "score": f"{m.score:.3f}",
             "meets on": ", ".join(x.focus_b.label for x in m.meetings),
             "shared countries": " ".join(c.id for c in m.shared_countries)} for i, m in enumerate(answer.matches, 1)]
    _print_rows(rows, ["rank", "who", "level", "score", "meets on", "shared countries"], args.format)
    if args.format == "table":
        print(f"\n{answer.verdict}")
        for i, m in enumerate(answer.matches, 1):
            print(f"\n{i}. {m.explanation}")
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


def cmd_mechanism(args: argparse.Namespace) -> int:
    store = _store(args)
    profile = run(store, "mechanism-profile", {"mechanism": args.id})
    assert isinstance(profile, list)
    if not profile:
        import difflib

        ids = [r["id"].value if "id" in r else r["mechanism"].value.rsplit("/", 1)[-1]
               for r in run(store, "mechanisms")]  # type: ignore[union-attr]
        near = difflib.get_close_matches(args.id.lower(), ids, n=5, cutoff=0.5)
        hint = f"closest ids: {', '.join(near)}" if near else "see 'neaspec-kg query mechanisms'"
        print(f"neaspec-kg: no mechanism {args.id!r}; {hint}", file=sys.stderr)
        return 1
    members = run(store, "mechanism-members", {"mechanism": args.id, "as_of": args.as_of})
    engagements = run(store, "mechanism-engagements", {"mechanism": args.id})
    assert isinstance(members, list) and isinstance(engagements, list)
    if args.format == "json":
        def plain(rows: list) -> list[dict[str, str]]:
            return [{k: v.value for k, v in r.items()} for r in rows]
        print(json.dumps({"profile": plain(profile), "members": plain(members), "engagements": plain(engagements)},
                         ensure_ascii=False, indent=2))
        return 0
    print(formatting.table(profile, ["propertyLabel", "value", "valueLabel", "sources"]))
    print()
    print(formatting.table(members, ["iso3", "label", "roleLabel", "since", "sources"]))
    print()
    print(formatting.table(engagements, ["counterpartLabel", "types", "statusLabel", "viaLabel", "limitation"]))
    return 0


def cmd_country(args: argparse.Namespace) -> int:
    analyst = _analyst(args)
    answer = analyst.country_participation(args.code, as_of=args.as_of)
    if args.format == "json":
        _json(answer)
        return 0
    rows = [{"mechanism": _unit_name(p.unit), "name": p.unit.label, "status": p.status,
             "since": ", ".join(p.since), "sources": "; ".join(s.locator or s.url or s.label for s in p.sources)}
            for p in answer.mechanisms]
    _print_rows(rows, ["mechanism", "name", "status", "since", "sources"], args.format)
    if args.format == "table":
        print(f"\n{answer.summary}")
    return 0


def cmd_focus_areas(args: argparse.Namespace) -> int:
    """The thesaurus as an indented tree, each concept with its id and other labels."""
    from neaspec_kg.analysis.profiles import Profiles

    analyst = _analyst(args)
    tree = Profiles(analyst.store, analyst.sources, analyst.focus).focus_tree()
    if args.format == "json":
        print(json.dumps(tree, ensure_ascii=False, indent=2))
        return 0

    def show(nodes: list[dict[str, object]], depth: int) -> None:
        for n in nodes:
            print(f"{'  ' * depth}{n['label']} ({n['id']})")
            show(n.get("narrower", []), depth + 1)  # type: ignore[arg-type]

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
    for c in m["countries_by_mechanisms"]:  # type: ignore[union-attr]
        print(f"  {c['id']}  {c['label']:40} {c['mechanisms']}")
    print("mechanisms by overlap strength (sum of duplication scores), betweenness:")
    for c in m["central_mechanisms"]:  # type: ignore[union-attr]
        print(f"  {c['label']:12} {c['overlap_strength']:.3f}  {c['betweenness']:.3f}")
    print("clusters of mechanisms (greedy modularity on duplication scores):")
    for i, cluster in enumerate(m["clusters"], 1):  # type: ignore[arg-type]
        print(f"  {i}. {', '.join(cluster)}")
    return 0


def cmd_viz(args: argparse.Namespace) -> int:
    """One self-contained interactive HTML page (everything inlined) that opens offline."""
    from neaspec_kg import viz

    if args.focus:
        kind, value = "overlap", args.focus
    elif args.mechanism:
        kind, value = "mechanism", args.mechanism
    elif args.duplication:
        kind, value = "duplication", None
    else:
        kind, value = "graph", None
    opts = {"include_related": True} if args.include_related and kind in {"overlap", "duplication"} else {}
    size = viz.write_standalone(_analyst(args), None, kind, value, args.output, lang=args.lang, **opts)
    print(f"wrote {args.output} ({size:,} bytes)", file=sys.stderr)
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
    if args.store.startswith(("http://", "https://")):
        # a remote store that already holds a validated build (README, "Another SPARQL store"): the API,
        # the views and a policy-checked /sparql that forwards to it
        app = create_app(settings, store_url=args.store)
        what = f"the store at {args.store}"
    elif args.store != "oxigraph":
        print(f"neaspec-kg: serve takes --store oxigraph (the default) or the URL of a SPARQL 1.1 store, not "
              f"{args.store!r}", file=sys.stderr)
        return 2
    else:
        graph = build(_paths(args), use_cache=not args.no_cache)
        app = create_app(settings, graph)
        what = f"{len(graph.graph_names)} named graphs"
    print(f"neaspec-kg: serving {what} on http://{args.host}:{args.port}/ "
          f"(SPARQL at /sparql, API docs at /docs)", file=sys.stderr)
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, proxy_headers=False)
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

    add("validate", cmd_validate, "build the graph and check it against the SHACL shapes")
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
    sp.add_argument("--lang", default="en", choices=["en", "zh", "ja", "ko", "ru", "mn"],
                    help="label language, English where a label is missing")
    sp.add_argument("--include-related", action="store_true", help="also conventions and partnerships")
    sp.add_argument("-o", "--output", required=True, help="the HTML file to write")
    sp = add("serve", cmd_serve, "start the web server (SPARQL endpoint, REST API, views) on 127.0.0.1")
    sp.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    sp.add_argument("--port", type=int, default=8000)
    sp.add_argument("--query-timeout", type=float, help="SPARQL query time limit in seconds (default 10)")
    sp.add_argument("--public-url", help="the URL clients reach the server at, behind a proxy (default: the "
                                         "address it listens on; never taken from requests' Host header)")
    sp.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    sp = add("export", cmd_export, "write the whole graph in an RDF format, a CSV table or GraphML")
    sp.add_argument("--format", choices=ALL_FORMATS, default="turtle")
    sp.add_argument("-o", "--output", help="file to write (default: standard output)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
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


if __name__ == "__main__":
    sys.exit(main())
