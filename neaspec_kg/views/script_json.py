"""Data as JSON inside a ``<script>`` element of an HTML page: the one escaping rule every page uses.

Why one: the graph pages and the SPARQL editor each had their own copy, and the copies had drifted (only one
escaped U+2028 and U+2029). Inside ``<script>``, HTML entities are not decoded, so the JSON itself must not
contain what ends the element or starts markup: ``<``, ``>`` and ``&`` are written as JSON escapes, which
mean the same characters to the script. U+2028 and U+2029 are escaped too, because older JavaScript engines
read them as line ends inside string literals.

>>> script_json({"label": "</script><b>&amp;", "line": "a\\u2028b"})
'{"label":"\\\\u003c/script\\\\u003e\\\\u003cb\\\\u003e\\\\u0026amp;","line":"a\\\\u2028b"}'
>>> import json; json.loads(script_json(["<&>"])) == ["<&>"]
True
"""
from __future__ import annotations

import json

_ESCAPES = (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029"))


def script_json(value: object) -> str:
    """``value`` as compact JSON that is inert inside an HTML ``<script>`` element."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for char, escape in _ESCAPES:
        text = text.replace(char, escape)
    return text
