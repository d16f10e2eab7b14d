"""Interface text in the reader's language: gettext catalogues (``api/locale/<lang>/LC_MESSAGES/messages.po``).

Templates call ``_("...")`` on every heading, legend and button; each render passes ``_=gettext_for(lang)``.
Catalogues are read from the ``.po`` files once per process (no compiled ``.mo`` is kept in the repository,
so a translator edits one text file); a string a catalogue lacks falls back to English on its own, which is
how gettext works, so a half-translated catalogue never breaks a page.

Only the interface is translated here. Names of mechanisms, countries and focus areas come from the graph's
language-tagged labels, never from these catalogues: a msgid holds them as ``%(name)s`` placeholders.

Regenerating the catalogues (``babel.cfg`` at the repository root names the sources)::

    pybabel extract -F babel.cfg --sort-by-file --project neaspec-kg --version 0.1.0 \\
        --copyright-holder "neaspec-kg contributors" -o api/locale/messages.pot .
    pybabel update -i api/locale/messages.pot -d api/locale --ignore-obsolete

then translate every new (empty) or changed (``#, fuzzy``) entry in each ``.po``: ``tests/test_i18n.py`` fails,
naming the file and line, until every msgid has a reviewed translation.

Templates that live inside Python modules (a string given to ``ENV.from_string``) are invisible to Babel's Python
extractor, so ``babel.cfg`` names :func:`extract_python_and_templates` for ``api/*.py``: Python ``_()`` calls
and the ``_()`` calls in those inline templates, with their real line numbers.
"""
from __future__ import annotations

import ast
import io
from collections.abc import Collection, Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import IO, Any, Protocol

from babel.messages.extract import extract_python
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from jinja2.ext import babel_extract
from markupsafe import Markup, escape

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "messages"
#: the languages with an interface catalogue (English is the msgids themselves; Mongolian has labels only)
CATALOGUES = ("zh", "ja", "ko", "ru")
#: how templates are parsed for extraction: as ``api.views.ENV`` parses them, failing loudly on a syntax error
TEMPLATE_OPTIONS = {"trim_blocks": "true", "lstrip_blocks": "true", "silent": "false"}


class Gettext(Protocol):
    """``_(message, **variables)``: the translation of ``message``, with ``%(name)s`` placeholders filled."""

    def __call__(self, message: str, **variables: Any) -> str: ...


def N_(message: str) -> str:
    """Mark a string for extraction without translating it yet (it is translated where it is shown)."""
    return message


@cache
def translations(lang: str) -> NullTranslations:
    """The catalogue for ``lang`` (``en`` and unknown languages get the identity)."""
    po = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if lang == "en" or not po.is_file():
        return NullTranslations()
    with po.open("rb") as f:
        catalog = read_po(f, locale=lang, domain=DOMAIN)
    buf = io.BytesIO()
    write_mo(buf, catalog)  # fuzzy entries are left out, as msgfmt does
    buf.seek(0)
    return Translations(buf, domain=DOMAIN)


def gettext_for(lang: str) -> Gettext:
    """``_`` for templates and code rendering in ``lang``.

    Keyword arguments fill ``%(name)s`` placeholders (``_("Overlap on %(names)s", names=...)``), so a name
    from the graph is never part of a msgid. As Jinja2's own i18n extension does under autoescaping, the
    message is markup (a msgid may hold ``<em>``; catalogues are reviewed files in this repository) and
    every placeholder value is escaped, so a label or a user's words can never become markup. A translation
    whose placeholders do not fit falls back to the English string rather than breaking the page.
    """
    gettext = translations(lang).gettext

    def _(message: str, **variables: Any) -> str:
        # a translation is trusted as markup only where the English already is markup (<em>, <code>): a
        # stray quote or tag in a catalogue can then never reach an attribute or the page unescaped
        trusted = "<" in message
        translated = gettext(message)
        text = Markup(translated) if trusted else escape(translated)
        if not variables:
            return text
        try:
            return text % variables
        except (KeyError, ValueError, TypeError):
            return (Markup(message) if trusted else escape(message)) % variables

    return _


def extract_python_and_templates(fileobj: IO[bytes], keywords: Mapping[str, Any], comment_tags: Collection[str],
                                 options: Any) -> Iterator[tuple[int, Any, Any, Any]]:
    """Babel extraction method for our Python modules: their ``_()``/``N_()`` calls, and the ``_()`` calls of
    every Jinja2 template written inline as ``<env>.from_string("...")``."""
    source = fileobj.read()
    yield from extract_python(io.BytesIO(source), keywords, comment_tags, options)
    for node in ast.walk(ast.parse(source)):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "from_string"
                and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            template = node.args[0].value.encode("utf-8")
            for lineno, func, message, comments in babel_extract(io.BytesIO(template), list(keywords),
                                                                 list(comment_tags), TEMPLATE_OPTIONS):
                yield node.args[0].lineno + lineno - 1, func, message, comments
