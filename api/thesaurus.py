"""The focus-area thesaurus as a browsable tree (HTML), like a small Skosmos page.

Rendered from the same ``Profiles.focus_tree()`` that /focus-areas serves as JSON, so the page can
never drift from the graph; every label is shown with its language.
"""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse
from markupsafe import Markup
from starlette.datastructures import URL

from api.deps import Service
from api.i18n import N_, gettext_for
from api.views import ENV, language, page

#: the kinds of concept, as msgids (the JSON keeps the English kind)
KINDS = {"thematic area": N_("thematic area"), "focus area": N_("focus area"), "species": N_("species")}

_TREE = ENV.get_template("thesaurus.html")


router = APIRouter()


@router.get("/thesaurus", tags=["focus areas"], response_class=HTMLResponse,
            summary="The focus-area thesaurus as a browsable tree with every label (HTML)")
def thesaurus(s: Service, lang: Annotated[str, Query(max_length=10)] = "en") -> HTMLResponse:
    lang = language(lang)
    _ = gettext_for(lang)
    url = URL("/thesaurus" + ("" if lang == "en" else f"?lang={lang}"))  # canonical: the page is memoised
    body = s.memo(("thesaurus-html", lang), lambda: bytes(page(
        # the template autoescapes every label; its output is markup for the page shell
        _("Focus-area thesaurus"), Markup(_TREE.render(
            themes=s.profiles.focus_tree(), kinds=KINDS, _=_,
            lang_amp="" if lang == "en" else f"&lang={lang}")), lang=lang, url=url).body))
    return HTMLResponse(body)


