"""The one rule for JSON inside <script> (neaspec_kg.views.script_json), used by every page that embeds data."""
from __future__ import annotations

import doctest
import json
from pathlib import Path

from neaspec_kg.views import script_json as module
from neaspec_kg.views.script_json import script_json

ROOT = Path(__file__).resolve().parent.parent


def test_examples_in_the_docstring_hold() -> None:
    result = doctest.testmod(module)
    assert result.attempted >= 2 and result.failed == 0


def test_nothing_that_ends_a_script_or_starts_markup_survives() -> None:
    hostile = {"a": "</script><script>alert(1)</script>", "b": "<!-- x --> <![CDATA[", "c": "&lt;",
               "d": "\u2028\u2029", "e": ["</SCRIPT >"]}
    text = script_json(hostile)
    assert not any(ch in text for ch in "<>&\u2028\u2029")
    assert json.loads(text) == hostile  # the same data to the script


def test_no_page_escapes_script_json_its_own_way() -> None:
    """The graph pages and the SPARQL editor had two copies that drifted; one copy stays."""
    copies = [p.relative_to(ROOT).as_posix() for folder in ("neaspec_kg", "api") for p in (ROOT / folder).rglob("*.py")
              if '"\\\\u003c"' in p.read_text(encoding="utf-8")]
    assert copies == ["neaspec_kg/views/script_json.py"]
