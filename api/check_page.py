"""The proposal check page (``/check``): a form over ``POST /duplication/check`` that answers "who already
does this?" with the paragraph-36 reading and the evidence, and the paragraph 21 proposals with who covers
each. The page and the REST answer come from the same ``Analyst.check`` and ``Analyst.proposals``."""
from __future__ import annotations

import csv
import io
import re
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup
from starlette.responses import Response

from api.deps import Service
from api.i18n import gettext_for
from api.problems import ProblemError
from api.views import ENV, language, page
from neaspec_kg.errors import NeaspecKgError
from neaspec_kg.models import CheckAnswer, ProposalsAnswer, ProposedWork

_PAGE = ENV.get_template("check.html")


def _matches_csv(answer: CheckAnswer) -> bytes:
    """The check's table: who already works there, most likely duplication first, with the sources."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["rank", "mechanism_or_platform", "part_of", "reading", "score", "meets_on", "countries_in_both",
                "proposers_own_work"])
    for i, m in enumerate(answer.matches, 1):
        w.writerow([i, m.unit.acronym or m.unit.label, m.unit.part_of or "", m.level_label, f"{m.score:.3f}",
                    "; ".join(x.focus_b.label for x in m.meetings), " ".join(c.id for c in m.shared_countries),
                    "yes" if m.own else ""])
    return out.getvalue().encode("utf-8")


def _proposals_csv(proposals: ProposalsAnswer) -> bytes:
    """The proposals of paragraph 21 and who already covers each (planned work is not coverage)."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["order", "heading", "proposal", "covered_by", "reading"])
    for p in proposals.proposals:
        w.writerow([p.order, p.heading, p.text, "; ".join(f"{m.unit.acronym or m.unit.label} ({m.level})"
                                                          for m in p.covered_by), p.verdict])
    return out.getvalue().encode("utf-8")


def _items(text: str | None) -> list[str]:
    return [x for x in re.split(r"[,;\s]+", text or "") if x] if text else []


router = APIRouter()


@router.get("/check", tags=["analysis"], response_class=HTMLResponse,
            summary="Check a proposed piece of work in the browser, and the paragraph 21 proposals with who covers "
                    "each",
            responses={200: {"content": {"text/html": {}, "text/csv": {}}},
                       400: {"description": "matches.csv asked without a focus or with one the graph does not know",
                             "content": {"application/problem+json": {}}},
                       404: {"description": "an unknown focus, modality, country or proposer: the page says which "
                                            "and lists the closest", "content": {"text/html": {}}}})
def check(request: Request, s: Service,
          focus: Annotated[str | None, Query(max_length=500)] = None,
          modalities: Annotated[str | None, Query(max_length=500)] = None,
          countries: Annotated[str | None, Query(max_length=200)] = None,
          proposer: Annotated[str | None, Query(max_length=80)] = None,
          lang: Annotated[str, Query(max_length=10)] = "en",
          format: Annotated[str, Query(pattern=r"^(html|matches\.csv|proposals\.csv)$",
                                       description="the page, or one of its two tables as CSV")] = "html",
          ) -> Response:
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
    # the same memoised answer as GET /proposals: computed once a day, not on every page
    proposals = ProposalsAnswer.model_validate_json(s.memo(("proposals",), lambda: s.analyst.proposals()
                                                           .model_dump_json().encode("utf-8")))
    if format != "html":
        if format == "matches.csv" and answer is None:
            raise ProblemError(400, "No proposal to check", error or "matches.csv needs a focus: the work to check",
                               parameter="focus")
        data = _matches_csv(answer) if answer is not None and format == "matches.csv" else _proposals_csv(proposals)
        return Response(data, media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="neaspec-kg-check-{format}"'})
    form = {"focus": focus or "", "modalities": modalities or "", "countries": countries or "",
            "proposer": proposer or ""}
    body = Markup(_PAGE.render(form=form, answer=answer, error=error, proposals=proposals,
                               modalities=sorted(s.analyst.index.modality_labels), _=_, lang=lang,
                               lang_amp="" if lang == "en" else f"&lang={lang}"))
    return page(_("Check a proposal"), body, status=200 if not error else 404, lang=lang, url=request.url)


