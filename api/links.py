"""The web layer's URL scheme, as the link policy the library's views take (``neaspec_kg.views.LinkPolicy``):
resources at ``/id/...`` and ``/ontology``, their JSON under the REST routes, and the graph pages. Kept here,
beside the routes that answer these URLs, so the library never needs to know them."""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from neaspec_kg.namespaces import ID, ONTOLOGY_IRI, local_id
from neaspec_kg.views import kind_of


@dataclass(frozen=True)
class ServedLinks:
    """Links on a page this server serves: to its own resource pages, REST answers and graph views."""

    lang: str = "en"

    def resource(self, iri: str) -> str:
        if iri.startswith(ID):
            return "/id/" + iri[len(ID):]
        if iri.startswith(ONTOLOGY_IRI):
            return "/ontology" + iri[len(ONTOLOGY_IRI):]
        return iri

    def rest(self, iri: str) -> str | None:
        kind, ident = kind_of(iri), local_id(iri)
        return {"mechanism": f"/mechanisms/{ident}", "country": f"/countries/{ident}",
                "focus": f"/focus-areas/{ident}"}.get(kind)

    def view(self, kind: str, value: str | None = None) -> str | None:
        """A link to another graph page, keeping the language."""
        query = {} if self.lang == "en" else {"lang": self.lang}
        if kind == "mechanism" and value:
            path = f"/graph/mechanism/{value}"
        elif kind == "overlap" and value:
            path, query = "/graph/overlap", {"focus": value, **query}
        elif kind == "duplication":
            path = "/graph/duplication"
        else:
            path = "/graph"
        return path + ("?" + urlencode(query) if query else "")
