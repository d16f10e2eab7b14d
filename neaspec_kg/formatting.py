"""Rows to terminal tables, CSV and SPARQL JSON: what the CLI prints."""
from __future__ import annotations

import csv
import io
import json
import re
import shutil
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


def _width(max_width: int | None) -> int:
    return max_width or shutil.get_terminal_size((100, 24)).columns


def _pieces(word: str) -> list[str]:
    """A word cut where it may break when it is wider than its column: after a '/' (URLs, "planned/proposed"),
    after a hyphen between letters ("delivered-activity", "dldd-nean") and between CJK characters."""
    pieces: list[str] = []
    for part in re.split(r"(?<=/)(?=[^/])|(?<=[^\W\d_]-)(?=[^\W\d_])", word):
        piece = ""
        for ch in part:
            piece += ch
            if cell_len(ch) > 1:
                pieces.append(piece)
                piece = ""
        if piece:
            pieces.append(piece)
    return pieces


def _fold(piece: str, width: int) -> list[str]:
    """A piece with no place to break, cut into lines of ``width`` display columns (the last may be shorter)."""
    lines, line = [], ""
    for ch in piece:
        if line and cell_len(line + ch) > width:
            lines.append(line)
            line = ""
        line += ch
    return [*lines, line]


def wrap(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` display columns (CJK characters count two), with nothing lost:
    lines break at spaces; a word wider than the line breaks after '/' or a hyphen, and is folded only where
    it has no such place. A newline in ``text`` always starts a new line."""
    width = max(width, 1)
    lines: list[str] = []
    for para in text.split("\n"):
        line = ""
        for word in para.split():
            sep = " " if line else ""
            if cell_len(line + sep + word) <= width:
                line += sep + word
                continue
            for piece in [word] if cell_len(word) <= width else _pieces(word):
                if cell_len(line + sep + piece) <= width:
                    line += sep + piece
                else:
                    if line:
                        lines.append(line)
                    *full, line = _fold(piece, width)
                    lines += full
                sep = ""
        lines.append(line)
    return lines


def paragraph(text: str, *, max_width: int | None = None, indent: str = "", hang: str | None = None) -> str:
    """Prose (a summary) wrapped to the terminal, as the tables are; one line with ``--wide``. ``indent`` starts
    the first line, ``hang`` (default: as many spaces) the others."""
    if _wide:
        return indent + text
    hang = " " * cell_len(indent) if hang is None else hang
    width = max(_width(max_width), 40)
    first, *rest = wrap(text, width - max(cell_len(indent), cell_len(hang)))
    return "\n".join([indent + first, *(hang + line for line in rest)])


def header(name: str) -> str:
    """A column name as a person reads it: ``roleLabel`` -> "Role", ``focus_id`` -> "Focus id"; an acronym
    stays as written ("NEASPEC member")."""
    text = re.sub(r"Label$", "", name)
    text = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", text).replace("_", " ").strip()
    words = [w if sum(c.isupper() for c in w) > 1 else w.lower() for w in text.split(" ")]
    text = " ".join(words)
    return text[:1].upper() + text[1:] if text else name


#: the rule under the headers is broken between columns, so that a reader sees where each column starts
#: even when a cell wraps or is empty (as in pandoc's simple tables)
_BOX = box.Box("    \n    \n ─  \n    \n    \n    \n    \n    \n")
#: display columns between two columns: padding, the (blank) separator, padding
_GUTTER = 3


def _column_widths(columns: Sequence[Sequence[str]], room: int) -> list[int]:
    """How wide each column may be, its header and cells given, to fit ``room`` display columns in all.

    Every column gets at least its longest word if all fit, else (the widest first) its longest piece of a word
    (``_pieces``: URLs break at '/'), and the room left goes where it saves the most lines (``_fewest_lines``):
    short columns (codes, counts, dates) stay whole, long ones wrap. If even the pieces do not fit, the widest
    columns are narrowed first and fold."""
    full = [max(cell_len(line) for cell in col for line in cell.split("\n")) for col in columns]
    if sum(full) <= room:
        return full
    pieces = [max([1] + [cell_len(p) for cell in col for w in cell.split() for p in _pieces(w)]) for col in columns]
    least = [max([1] + [cell_len(w) for cell in col for w in cell.split()]) for col in columns]
    while sum(least) > room and least != pieces:  # words break (ids, URLs), the widest column's first
        i = max((i for i in range(len(least)) if least[i] > pieces[i]), key=lambda i: least[i])
        least[i] = max(pieces[i], least[i] - (sum(least) - room))
    if sum(least) > room:
        level = max(least)
        while level > 1 and sum(min(x, level) for x in least) > room:
            level -= 1
        widths = [min(x, level) for x in least]
        spare = room - sum(widths)
        for i in sorted(range(len(widths)), key=lambda i: -least[i]):  # back to the widest, a column at a time
            give = min(spare, least[i] - widths[i])
            widths[i] += give
            spare -= give
        return widths
    return _fewest_lines(columns, least, full, room)


def _line_count(words: Sequence[Sequence[int]], width: int) -> int:
    """How many lines ``wrap`` makes of a cell, its words' widths given per line of the cell (near enough: a
    word wider than the column is counted as folded)."""
    lines = 0
    for para in words:
        used = -1
        lines += 1
        for w in para:
            if used >= 0 and used + 1 + w <= width:
                used += 1 + w
            else:
                lines += (used >= 0) + (w - 1) // width
                used = (w - 1) % width + 1
    return lines


def _fewest_lines(columns: Sequence[Sequence[str]], least: list[int], full: list[int], room: int) -> list[int]:
    """From every column at its ``least``, the room left given out a few display columns at a time to the column
    where they save the most lines of the table (a row is as tall as its tallest cell); where no move saves a
    whole line, to the column that loses most lines of its own, so that the next move can."""
    words = [[[[cell_len(w) for w in line.split()] for line in cell.split("\n")] for cell in col] for col in columns]
    cache: dict[tuple[int, int], list[int]] = {}

    def counts(i: int, width: int) -> list[int]:
        if (i, width) not in cache:
            cache[i, width] = [_line_count(cell, width) for cell in words[i]]
        return cache[i, width]

    widths, spare = list(least), room - sum(least)
    while spare > 0:
        now = [counts(i, w) for i, w in enumerate(widths)]
        best: tuple[float, float, int, int] | None = None
        for i, w in enumerate(widths):
            others = [max([0] + [now[j][r] for j in range(len(widths)) if j != i]) for r in range(len(now[i]))]
            total = sum(max(o, c) for o, c in zip(others, now[i], strict=True))
            for step in range(1, min(spare, full[i] - w) + 1):  # to where this column loses a line
                after = counts(i, w + step)
                if sum(after) < sum(now[i]):
                    saved = total - sum(max(o, c) for o, c in zip(others, after, strict=True))
                    move = (saved / step, (sum(now[i]) - sum(after)) / step, -step, i)
                    best = move if best is None or move > best else best
                    break
        if best is None:  # no column would lose a line: the table stays narrower than the room
            break
        step, i = -best[2], best[3]
        widths[i] += step
        spare -= step
    return widths


def text_table(rows: Sequence[Sequence[str]], headers: Sequence[str], *, title: str | None = None,
               caption: str | None = None, max_width: int | None = None) -> str:
    """An aligned table for the terminal: every column and every header shown, long cells wrapped inside their
    column (at spaces, then after '/' or a hyphen; never cut), CJK text measured by its display width, the title
    wrapped as prose. ``--wide`` keeps every row on one line."""
    width = 10**6 if _wide else _width(max_width)
    columns = [[h, *(r[i] for r in rows)] for i, h in enumerate(headers)]
    widths = _column_widths(columns, width - _GUTTER * (len(headers) - 1))
    t = Table(box=_BOX, pad_edge=False, show_edge=False)
    for h, w in zip(headers, widths, strict=True):
        t.add_column("\n".join(wrap(h, w)), width=w, no_wrap=True, overflow="fold")
    for r in rows:
        t.add_row(*("\n".join(wrap(cell, w)) for cell, w in zip(r, widths, strict=True)))
    out = io.StringIO()
    Console(file=out, width=sum(widths) + _GUTTER * (len(widths) - 1), no_color=True, highlight=False,
            emoji=False, markup=False).print(t)
    lines = [line.rstrip() for line in out.getvalue().rstrip("\n").splitlines()]
    top = [paragraph(title, max_width=width)] if title else []
    bottom = [paragraph(caption, max_width=width)] if caption else []
    return "\n".join(top + lines + bottom)


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
