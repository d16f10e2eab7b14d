"""The pages' interface words: which languages are offered, the marker for extraction, and the words the
library writes itself (legend, side panel, duplication levels). The web layer owns the catalogues and passes
its ``gettext`` in (the library never imports ``api``); without one, pages are in English."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: languages the pages offer (the graph has labels in these; English is the fallback)
LANGS = ("en", "zh", "ja", "ko", "ru", "mn")
LANG_NAMES = {"en": "English", "zh": "中文", "ja": "日本語", "ko": "한국어", "ru": "Русский", "mn": "Монгол"}

#: a page's interface words in the reader's language, ``_(message, **placeholders)``: the web layer owns the
#: catalogues and passes its gettext to ``render`` (this library never imports ``api``); English without one
Translate = Callable[..., str]


def N_(message: str) -> str:
    """Mark an interface string for extraction (``babel.cfg``); it is translated where it is shown."""
    return message


def english(message: str, **variables: Any) -> str:
    """The identity ``Translate``: the msgid itself, placeholders filled."""
    return message % variables if variables else message




#: the side panel's words (a node's kind, its fact headings, its links): written plainly where the cards are
#: built, listed here for extraction, and translated by ``render`` when it is given a ``gettext``
PANEL_WORDS = (
    N_("Mechanism"), N_("Related mechanism"), N_("Country"), N_("Species"), N_("Organisation"), N_("Secretariat"),
    N_("Platform or plan"), N_("Thematic area"), N_("Focus area"), N_("Names"), N_("Name"), N_("Kind"),
    N_("Established"), N_("Members"), N_("Secretariat of"), N_("Governing bodies"), N_("Focus areas"),
    N_("Platforms and plans"), N_("Engagements"), N_("Engagements with the other mechanisms on this focus"),
    N_("As Table 2 of the note states it"), N_("Codes"), N_("Takes part in"), N_("Other labels"), N_("Broader"),
    N_("Narrower"), N_("Worked on by"), N_("Part of"), N_("Score components"), N_("Duplication with the others"),
    N_("Resource page"), N_("REST JSON"), N_("Graph of this mechanism"), N_("Overlap on this focus"),
)
#: the duplication levels' words (``analysis.LEVEL_LABELS``, which the REST answers keep in English), for
#: extraction: the edge legend and the check page show them translated
LEVEL_WORDS = (
    N_("duplication concern recorded in the note"),
    N_("duplication risk: same focus, same kind of activity, same countries, no coordination"),
    N_("same work, coordinated: coordination under way, or one works within the other"),
    N_("same focus; activity or countries not shown to be the same"),
    N_("complementary: same theme, different focus, object of work or scope"), N_("nothing in common"),
)
