"""Rows to terminal tables, CSV and SPARQL JSON: what the CLI prints."""
from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Sequence

from neaspec_kg.namespaces import PREFIXES
from neaspec_kg.store import Row

_SHORT = sorted(PREFIXES.items(), key=lambda kv: -len(kv[1]))


def shorten(iri: str) -> str:
    """Prefixed form of an IRI for display (``mech:eanet``), the IRI itself if no prefix fits."""
    for prefix, ns in _SHORT:
        if iri.startswith(ns) and len(iri) > len(ns):
            return f"{prefix}:{iri[len(ns):]}"
    return iri


def _cell(row: Row, name: str) -> str:
    term = row.get(name)
    if term is None:
        return ""
    if term.kind == "uri":
        return shorten(term.value)
    text = term.value.replace("\n", " ")
    if text.startswith("http"):  # space-separated IRIs from GROUP_CONCAT (e.g. sources)
        return " ".join(shorten(t) for t in text.split(" "))
    return text


def table(rows: Sequence[Row], columns: Sequence[str], *, max_width: int | None = None) -> str:
    """An aligned plain-text table; long cells are cut with an ellipsis to fit the terminal."""
    width = max_width or shutil.get_terminal_size((160, 24)).columns
    cells = [[_cell(r, c) for c in columns] for r in rows]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
    budget = max(width - 2 * (len(columns) - 1), 20)
    while sum(widths) > budget and max(widths) > 12:
        i = widths.index(max(widths))
        widths[i] -= 1

    def fit(text: str, w: int) -> str:
        return text if len(text) <= w else text[: w - 1] + "…"

    lines = ["  ".join(fit(c, widths[i]).ljust(widths[i]) for i, c in enumerate(columns)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for row in cells:
        lines.append("  ".join(fit(v, widths[i]).ljust(widths[i]) for i, v in enumerate(row)).rstrip())
    lines.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(lines)


def to_csv(rows: Sequence[Row], columns: Sequence[str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for r in rows:
        writer.writerow([r[c].value if c in r else "" for c in columns])
    return out.getvalue()


def to_sparql_json(rows: Sequence[Row], columns: Sequence[str]) -> str:
    """SPARQL 1.1 Query Results JSON, so programs can use any SPARQL client library to read it."""
    return json.dumps(
        {"head": {"vars": list(columns)},
         "results": {"bindings": [{k: v.to_json() for k, v in r.items()} for r in rows]}},
        ensure_ascii=False, indent=2,
    )


def columns_of(rows: Sequence[Row], declared: Sequence[str] | None = None) -> list[str]:
    """The columns to show: as declared, else the query's projection, else the keys seen in rows."""
    if declared:
        return list(declared)
    if getattr(rows, "variables", None):
        return list(rows.variables)  # type: ignore[attr-defined]
    seen: dict[str, None] = {}
    for r in rows:
        for k in r:
            seen.setdefault(k, None)
    return list(seen)
