"""Interface text in the reader's language: gettext catalogues (``api/locale/<lang>/LC_MESSAGES/messages.po``).

Templates call ``_("...")`` on every heading, legend and button; each render passes ``_=gettext_for(lang)``.
Catalogues are read from the ``.po`` files once per process (no compiled ``.mo`` is kept in the repository,
so a translator edits one text file); a string a catalogue lacks falls back to English on its own, which is
how gettext works, so a half-translated catalogue never breaks a page.

Only the interface is translated here. Names of mechanisms, countries and focus areas come from the graph's
language-tagged labels, never from these catalogues.
"""
from __future__ import annotations

import io
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "messages"


@lru_cache(maxsize=None)
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


def gettext_for(lang: str) -> Callable[[str], str]:
    """``_`` for templates and code rendering in ``lang``."""
    return translations(lang).gettext
