"""Rows to terminal tables, CSV and SPARQL JSON: what the CLI prints."""
from __future__ import annotations

import csv
import io
import json
import re
import shutil
import textwrap
from collections.abc import Sequence

from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table

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


#: ``--wide``: cells are never wrapped (one line per row, for grep and wide terminals)
_wide = False


def set_wide(wide: bool) -> None:
    """Chosen once per CLI run (``--wide``); tables wrap long cells to the terminal otherwise."""
    global _wide
    _wide = wide


def paragraph(text: str, *, max_width: int | None = None) -> str:
    """Prose (a summary) wrapped to the terminal, as the tables are; one line with ``--wide``."""
    if _wide:
        return text
    width = max_width or shutil.get_terminal_size((100, 24)).columns
    return textwrap.fill(text, width=max(width, 40), break_long_words=False, break_on_hyphens=False)


def header(name: str) -> str:
    """A column name as a person reads it: ``roleLabel`` -> "Role", ``focus_id`` -> "Focus id"."""
    text = re.sub(r"Label$", "", name)
    text = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", text).replace("_", " ").strip()
    return text[:1].upper() + text[1:].lower() if text else name


def text_table(rows: Sequence[Sequence[str]], headers: Sequence[str], *, title: str | None = None,
               caption: str | None = None, max_width: int | None = None) -> str:
    """An aligned table for the terminal, made by rich: long cells wrap inside their column (never cut), CJK
    text is measured by its display width, and ``--wide`` keeps every row on one line."""
    width = max_width or shutil.get_terminal_size((100, 24)).columns
    out = io.StringIO()
    console = Console(file=out, width=10**5 if _wide else width, no_color=True, highlight=False,
                      emoji=False, markup=False, soft_wrap=_wide)
    t = Table(title=title, caption=caption, box=box.SIMPLE_HEAD, title_justify="left",
              caption_justify="left", pad_edge=False, show_edge=False)
    for i, h in enumerate(headers):
        longest = max([cell_len(h)] + [max((cell_len(x) for x in r[i].split()), default=0) for r in rows])
        full = max([cell_len(h)] + [cell_len(r[i]) for r in rows])
        # short columns (codes, dates, counts) keep their width; long ones share the rest and wrap at spaces
        short = full <= 16
        t.add_column(h, overflow="fold", no_wrap=_wide, min_width=full if short else min(longest, 20),
                     ratio=None if short else full)
    for r in rows:
        t.add_row(*r)
    console.print(t)
    return "\n".join(line.rstrip() for line in out.getvalue().rstrip("\n").splitlines())


def table(rows: Sequence[Row], columns: Sequence[str], *, max_width: int | None = None,
          title: str | None = None) -> str:
    """SPARQL result rows as a terminal table with readable headers and a row count."""
    cells = [[_cell(r, c) for c in columns] for r in rows]
    return text_table(cells, [header(c) for c in columns], title=title, max_width=max_width,
                      caption=f"({len(rows)} row{'s' if len(rows) != 1 else ''})")


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
