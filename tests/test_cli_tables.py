"""The CLI's tables at a terminal's width: wrapped, never cut.

Each answer is printed twice, with ``--wide`` (one line per row, nothing wrapped) and at 100 columns (also 80
and 140), and the two are compared: the same blocks, every table with the same title, the same headers and,
column by column, the same text once the line breaks inside cells are undone; paragraphs with the same words.
A column that rich crops, a header cut to "S" or a cell cut to "Substan" fails here, whatever the line widths.
"""
from __future__ import annotations

import re

import pytest
from rich.cells import cell_len

from neaspec_kg.cli import main

COMMANDS = [("mechanism", "neaspec"), ("mechanism", "eanet"), ("country", "MNG"), ("country", "Mongolia"),
            ("overlap", "air quality"), ("overlap", "desertification"), ("duplication",), ("mechanisms",),
            ("countries",), ("focus-areas",)]
_CAPTION = re.compile(r"^\(\d+ rows?\)$")


def _out(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, columns: int, *argv: str) -> str:
    monkeypatch.setenv("COLUMNS", str(columns))
    assert main(list(argv)) == 0
    return capsys.readouterr().out


def _blocks(out: str) -> list[list[str]]:
    return [b.splitlines() for b in re.split(r"\n\s*\n", out.strip("\n"))]


def _display(line: str) -> list[str]:
    """A line as terminal cells: a double-width character fills two (the second empty)."""
    cells: list[str] = []
    for ch in line:
        cells += [ch] + [""] * (cell_len(ch) - 1)
    return cells


def _is_rule(line: str) -> bool:
    return "─" in line and not line.replace("─", "").strip()


def _table(block: list[str], title: str | None) -> tuple[str, list[str], list[str], list[str]]:
    """(title, headers, column texts, caption lines) of one printed table. Columns are told apart by the
    gutters: runs of two or more columns blank on every header and body line (words inside a cell are
    one space apart). ``title`` (the wide output's) says where a wrapped title ends and the headers begin."""
    rule = next(i for i, line in enumerate(block) if _is_rule(line))
    above, body = block[:rule], block[rule + 1:]
    captions = [line for line in body if _CAPTION.match(line.strip())]
    body = [line for line in body if not _CAPTION.match(line.strip())]
    if title is None:  # the wide output: one line of headers under the title
        title_lines, head = above[:-1], above[-1:]
    else:
        n, seen = 0, ""
        while n < len(above) and seen != _squeeze(title):
            seen += _squeeze(above[n])
            n += 1
        title_lines, head = above[:n], above[n:]
    grid = [_display(line) for line in head + body]
    width = max(map(len, grid))
    blank = [all(x >= len(g) or not g[x].strip() for g in grid) for x in range(width)] + [True, True]
    spans, x = [], 0
    while x < width:
        start = x
        while x < width and not (blank[x] and blank[x + 1]):
            x += 1
        spans.append((start, x))
        while x < width and blank[x]:
            x += 1

    def column(lines: list[list[str]], a: int, b: int) -> str:
        return " ".join("".join(g[a:b]).strip() for g in lines).strip()

    heads = [" ".join(column([_display(h) for h in head], a, b).split()) for a, b in spans]
    texts = [column(grid[len(head):], a, b) for a, b in spans]
    return " ".join(" ".join(title_lines).split()), heads, texts, captions


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("columns", [100, 80, 140])
@pytest.mark.parametrize("argv", COMMANDS, ids=" ".join)
def test_tables_show_every_header_and_every_cell(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                                                 argv: tuple[str, ...], columns: int) -> None:
    """100 columns is what issue 12 asks to read well; at 80 words may be folded, but nothing may be lost."""
    wide = _out(capsys, monkeypatch, columns, *argv, "--wide")
    narrow = _out(capsys, monkeypatch, columns, *argv)
    too_long = [line for line in narrow.splitlines() if cell_len(line) > columns]
    assert not too_long, f"{len(too_long)} lines wider than {columns} columns, e.g. {too_long[0]!r}"
    assert "…" not in narrow
    wide_blocks, narrow_blocks = _blocks(wide), _blocks(narrow)
    assert len(narrow_blocks) == len(wide_blocks), "the same tables and paragraphs, in the same order"
    for w, n in zip(wide_blocks, narrow_blocks, strict=True):
        if not any(_is_rule(line) for line in w):  # prose: the same text (a URL may break at a '/')
            assert _squeeze(" ".join(n)) == _squeeze(" ".join(w))
            if columns >= 100:  # and no word broken
                assert " ".join(n).split() == " ".join(w).split()
            continue
        title, heads, texts, captions = _table(w, None)
        n_title, n_heads, n_texts, n_captions = _table(n, title)
        assert n_title == title and n_captions == captions
        assert n_heads == heads, f"{title}: every header, in full"
        assert len(n_texts) == len(texts)
        for head, full, shown in zip(heads, texts, n_texts, strict=True):
            # every character of every cell, in order: only where the lines break may differ
            assert _squeeze(shown) == _squeeze(full), f"{title}, column {head!r}: text lost"


def test_the_overlap_answer_reads_as_the_api_gives_it(capsys: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The engagements between the mechanisms of an overlap answer, and its shared members, name them as the
    other tables do (acronyms, not ids), and a header keeps an acronym as written."""
    out = _out(capsys, monkeypatch, 100, "overlap", "air quality", "--wide")
    engagements = out[out.index("Engagements between these mechanisms"):]
    assert "NEASPEC" in engagements and not re.search(r"^(neaspec|eanet|ltp|temm)\b", engagements, re.M)
    shared = out[out.index("Shared members:"):out.index("Engagements between")]
    assert "China (EANET, LTP, NEASPEC, TEMM)" in shared and "eanet" not in shared
    assert "NEASPEC member" in _out(capsys, monkeypatch, 100, "countries")
