"""The numbered reference list shared by the printed brief and the CLI: its docstring examples run here."""
from __future__ import annotations

import doctest

from neaspec_kg import references


def test_the_docstring_examples_hold() -> None:
    result = doctest.testmod(references)
    assert result.attempted >= 1 and result.failed == 0
