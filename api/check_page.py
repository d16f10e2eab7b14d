"""The proposal check page (``/check``): a form over ``POST /duplication/check`` that answers "who already
does this?" with the paragraph-36 reading and the evidence, and the paragraph 21 proposals with who covers
each. The page and the REST answer come from the same ``Analyst.check`` and ``Analyst.proposals``."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from api.rest import service
from api.views import ENV, page
from neaspec_kg.errors import NeaspecKgError
from neaspec_kg.models import ProposedWork

_PAGE = ENV.from_string((Path(__file__).resolve().parent / "templates" / "check.html").read_text(encoding="utf-8"))


def _items(text: str | None) -> list[str]:
    return [x for x in re.split(r"[,;\s]+", text or "") if x] if text else []


def check_page_router() -> APIRouter:
    r = APIRouter()

    @r.get("/check", tags=["analysis"], response_class=HTMLResponse,
           summary="Check a proposed piece of work in the browser, and the paragraph 21 proposals with who covers each",
           responses={404: {"description": "an unknown focus, modality, country or proposer: the page says which "
                                           "and lists the closest", "content": {"text/html": {}}}})
    def check(request: Request,
              focus: Annotated[str | None, Query(max_length=500)] = None,
              modalities: Annotated[str | None, Query(max_length=500)] = None,
              countries: Annotated[str | None, Query(max_length=200)] = None,
              proposer: Annotated[str | None, Query(max_length=80)] = None) -> HTMLResponse:
        s = service(request)
        answer, error = None, None
        if focus and focus.strip():
            try:
                work = ProposedWork(focus=focus, modalities=[m.replace("-", " ") for m in _items(modalities)],
                                    countries=[c.upper() for c in _items(countries)], proposer=proposer or None)
                answer = s.analyst.check(work)
            except NeaspecKgError as exc:  # unknown focus, modality, country or proposer: said on the page
                error = str(exc)
        proposals = s.analyst.proposals()
        form = {"focus": focus or "", "modalities": modalities or "", "countries": countries or "",
                "proposer": proposer or ""}
        body = Markup(_PAGE.render(form=form, answer=answer, error=error, proposals=proposals,
                                   modalities=sorted(s.analyst.index.modality_labels)))
        return page("Check a proposal", body, status=200 if not error else 404)

    return r
