"""The ``neaspec-kg`` command. Each subcommand is a thin layer over the library.

Exit codes: 0 success, 1 the data or a query is wrong (message names the file and line), 2 usage.
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from neaspec_kg import catalogue, formatting
from neaspec_kg.build import build
from neaspec_kg.config import Paths, default_paths
from neaspec_kg.errors import NeaspecKgError, ValidationError
from neaspec_kg.export import FORMATS, export
from neaspec_kg.graph import open_graph, run
from neaspec_kg.namespaces import PREFIXES
from neaspec_kg.store import SparqlStore


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
    data = export(_store(args), args.format)
    if args.output:
        Path(args.output).write_bytes(data)
        print(f"wrote {len(data)} bytes to {args.output}", file=sys.stderr)
    else:
        sys.stdout.buffer.write(data)
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="neaspec-kg", description=__doc__.splitlines()[0])
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
    sp = add("export", cmd_export, "write the whole graph in an RDF format")
    sp.add_argument("--format", choices=list(FORMATS), default="turtle")
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
