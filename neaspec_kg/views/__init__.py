"""Interactive graph pages (pyvis / vis-network) that never reach outside the server, or open offline.

Four views (``kinds.VIEWS``), each a ``View`` (a networkx graph plus the facts shown when a node is clicked):
``graph`` (mechanisms, countries, focus areas, secretariat hosts), ``overlap`` (the mechanisms on one focus
and their members, shared members highlighted), ``duplication`` (mechanism to mechanism, edge width by
score) and ``mechanism`` (one mechanism with its members, platforms, secretariat and engagements).

One module per job: ``words`` (languages and interface words), ``style`` (how kinds are drawn), ``links``
(the link policy a caller passes in: the library knows no server URLs), ``model`` (``View``), ``builder`` and
``kinds`` (building views from the analysis answers), ``search`` (a mechanism by name), ``render`` (HTML,
served or standalone, from the templates in ``templates/``), ``offline`` (the no-CDN guarantee). Page
assets (CSS, scripts) live in ``assets/`` and the web layer serves them from there.
"""
from __future__ import annotations

from neaspec_kg.views.kinds import (
                                    VIEW_KINDS,
                                    VIEWS,
                                    build_view,
                                    duplication_view,
                                    mechanism_view,
                                    overlap_view,
                                    score_tooltip,
                                    whole_view,
)
from neaspec_kg.views.links import FileLinks, LinkPolicy, safe_url
from neaspec_kg.views.model import View
from neaspec_kg.views.offline import VizError, assert_offline
from neaspec_kg.views.render import (
                                    ASSETS_DIR,
                                    CSS_FILE,
                                    JS_FILE,
                                    VIEWS_URL,
                                    VIS_DIR,
                                    VIS_LIB_DIR,
                                    VIS_URL,
                                    inline_assets,
                                    localise,
                                    render,
                                    write_standalone,
)
from neaspec_kg.views.search import find_mechanism, suggest_mechanisms
from neaspec_kg.views.style import EDGE_COLOUR, ENGAGEMENT_COLOUR, LEVEL_COLOURS, STYLES, Style, kind_of
from neaspec_kg.views.words import LANG_NAMES, LANGS, LEVEL_WORDS, N_, PANEL_WORDS, Translate, english

__all__ = [
    "ASSETS_DIR", "CSS_FILE", "EDGE_COLOUR", "ENGAGEMENT_COLOUR", "JS_FILE", "LANGS", "LANG_NAMES", "LEVEL_COLOURS",
    "LEVEL_WORDS", "N_", "PANEL_WORDS", "STYLES", "VIEWS", "VIEWS_URL", "VIEW_KINDS", "VIS_DIR", "VIS_LIB_DIR",
    "VIS_URL", "FileLinks", "LinkPolicy", "Style", "Translate", "View", "VizError", "assert_offline",
    "build_view", "duplication_view", "english", "find_mechanism", "inline_assets", "kind_of", "localise",
    "mechanism_view", "overlap_view", "render", "safe_url", "score_tooltip", "suggest_mechanisms", "whole_view",
    "write_standalone",
]
