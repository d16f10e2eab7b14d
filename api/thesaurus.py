"""The focus-area thesaurus as a browsable tree (HTML), like a small Skosmos page.

Rendered from the same ``Profiles.focus_tree()`` that /focus-areas serves as JSON, so the page can
never drift from the graph; every label is shown with its language.
"""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from api.rest import service
from api.views import ENV, page

_TREE = ENV.from_string("""
<p>The thesaurus of focus areas: thematic areas (top concepts) and the focus areas beneath them
(SKOS <code>broader</code>/<code>narrower</code>). A concept with two broader concepts appears under
both. Paragraph 36 of the note: mechanisms under the same thematic area share a theme; they share a
focus only where their focus areas meet below it. JSON: <a href="/focus-areas">/focus-areas</a>.</p>
{% macro node(c) %}
<li id="{{ c.id }}"><a href="/id/focus/{{ c.id }}"><strong>{{ c.label }}</strong></a>
  <span class="nk-tag">{{ c.kind }}{% if c.mechanism_count %}, {{ c.mechanism_count }} mechanism
  {%- if c.mechanism_count != 1 %}s{% endif %} directly{% endif %} ·
  <a href="/graph/overlap?focus={{ c.id }}">overlap view</a></span>
  {% if c.alt_labels %}<br><span class="nk-alt">also:
  {% for a in c.alt_labels %}{{ a.label }}{% if a.lang and a.lang != "en" %} ({{ a.lang }}){% endif %}
  {%- if not loop.last %}; {% endif %}{% endfor %}</span>{% endif %}
  {% if c.narrower %}<ul>{% for n in c.narrower %}{{ node(n) }}{% endfor %}</ul>{% endif %}
</li>
{% endmacro %}
<ul class="nk-list nk-tree">{% for t in themes %}{{ node(t) }}{% endfor %}</ul>
""")


def thesaurus_router() -> APIRouter:
    r = APIRouter()

    @r.get("/thesaurus", tags=["focus areas"], response_class=HTMLResponse,
           summary="The focus-area thesaurus as a browsable tree with every label (HTML)")
    def thesaurus(request: Request) -> HTMLResponse:
        s = service(request)
        body = s.memo(("thesaurus-html",), lambda: page(
            # the template autoescapes every label; its output is markup for the page shell
            "Focus-area thesaurus", Markup(_TREE.render(themes=s.profiles.focus_tree()))).body)
        return HTMLResponse(body)

    return r
