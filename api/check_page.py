"""The proposal check page (``/check``): a form over ``POST /duplication/check`` that answers "who already
does this?" with the paragraph-36 reading and the evidence, and the paragraph 21 proposals with who covers
each. The page and the REST answer come from the same ``Analyst.check`` and ``Analyst.proposals``."""
from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from api.deps import Service
from api.i18n import gettext_for
from api.views import ENV, language, page
from neaspec_kg.errors import NeaspecKgError
from neaspec_kg.models import ProposedWork

_PAGE = ENV.get_template("check.html")


def _items(text: str | None) -> list[str]:
    return [x for x in re.split(r"[,;\s]+", text or "") if x] if text else []


router = APIRouter()


@router.get("/check", tags=["analysis"], response_class=HTMLResponse,
            summary="Check a proposed piece of work in the browser, and the paragraph 21 proposals with who covers "
                    "each",
            responses={404: {"description": "an unknown focus, modality, country or proposer: the page says which "
                                            "and lists the closest", "content": {"text/html": {}}}})
def check(request: Request, s: Service,
          focus: Annotated[str | None, Query(max_length=500)] = None,
          modalities: Annotated[str | None, Query(max_length=500)] = None,
          countries: Annotated[str | None, Query(max_length=200)] = None,
          proposer: Annotated[str | None, Query(max_length=80)] = None,
          lang: Annotated[str, Query(max_length=10)] = "en") -> HTMLResponse:
    lang = language(lang)
    _ = gettext_for(lang)
    answer, error = None, None
    if focus and focus.strip():
        try:
            work = ProposedWork(focus=focus, modalities=[m.replace("-", " ") for m in _items(modalities)],
                                countries=[c.upper() for c in _items(countries)], proposer=proposer or None)
            with s.gate.slot():
                answer = s.analyst.check(work)
        except NeaspecKgError as exc:  # unknown focus, modality, country or proposer: said on the page
            error = str(exc)
    proposals = s.analyst.proposals()
    form = {"focus": focus or "", "modalities": modalities or "", "countries": countries or "",
            "proposer": proposer or ""}
    body = Markup(_PAGE.render(form=form, answer=answer, error=error, proposals=proposals,
                               modalities=sorted(s.analyst.index.modality_labels), _=_, lang=lang,
                               lang_amp="" if lang == "en" else f"&lang={lang}"))
    return page(_("Check a proposal"), body, status=200 if not error else 404, lang=lang, url=request.url)


