"""The REST API against a live server on 127.0.0.1, through httpx, answers checked against the
published response models (what /docs promises is what clients get)."""
from __future__ import annotations

import csv as csvlib
import io
import re
import threading
import time
import urllib.parse
from collections.abc import Iterator

import httpx
import pytest
import rdflib

from api import models
from api.app import create_app
from api.settings import Settings
from neaspec_kg import catalogue
from neaspec_kg import models_profiles as profile_models
from neaspec_kg.build import ValidatedGraph
from neaspec_kg.graph import run
from neaspec_kg.models import CheckAnswer, DuplicationAnswer, OverlapAnswer, PairAnswer, ProposalsAnswer
from neaspec_kg.namespaces import ID
from neaspec_kg.store import OxigraphStore
from tests.live_server import live_server

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def base(validated: ValidatedGraph) -> Iterator[str]:
    app = create_app(Settings(query_timeout_s=3.0, workers=1), validated)
    with live_server(app) as url:
        yield url


@pytest.fixture(scope="module")
def client(base: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base, timeout=30) as c:
        yield c


def test_mechanisms(client: httpx.Client) -> None:
    r = client.get("/mechanisms")
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    body = profile_models.MechanismList.model_validate(r.json())
    assert sum(m.subregional for m in body.mechanisms) == 8
    assert {m.id for m in body.mechanisms if m.subregional} == {
        "neaspec", "temm", "nowpap", "yslme", "eanet", "ltp", "eabrn", "dldd-nean"}


def test_mechanism_detail_with_sources(client: httpx.Client) -> None:
    body = profile_models.MechanismDetail.model_validate(client.get("/mechanisms/eanet").json())
    assert body.id == "eanet" and body.label == "Acid Deposition Monitoring Network in East Asia"
    assert len({m.id for m in body.members if m.role == "member"}) == 13
    assert all(m.sources for m in body.members)
    assert body.secretariat and body.secretariat[0].sources
    assert {f.id for f in body.focus_areas} == {"acid-deposition"}
    ltp = profile_models.MechanismDetail.model_validate(client.get("/mechanisms/LTP").json())
    assert ltp.secretariat[0].hosted_by is not None and ltp.secretariat[0].hosted_by.id == "nier"


def test_members_as_of_the_note(client: httpx.Client) -> None:
    now = {m["id"] for m in client.get("/mechanisms/dldd-nean").json()["members"] if m["role"] == "member"}
    then = {m["id"] for m in client.get("/mechanisms/dldd-nean?as_of=2020-07-10").json()["members"]
            if m["role"] == "member"}
    assert then == {"CHN", "MNG", "KOR"} and now == then | {"RUS"}


def test_unknown_ids_are_404_problems_with_suggestions(client: httpx.Client) -> None:
    r = client.get("/mechanisms/eant")
    assert r.status_code == 404 and r.headers["content-type"] == PROBLEM
    assert "eanet" in [s["id"] for s in r.json()["suggestions"]]
    r = client.get("/countries/MGL")
    assert r.status_code == 404 and r.json()["suggestions"][0]["id"] == "MNG"
    r = client.get("/focus-areas/air-qualty")
    assert r.status_code == 404 and r.json()["suggestions"][0]["id"] == "air-quality"
    # typed (api.service.Suggestion) but the same JSON: an id and its label, no label written as null
    assert client.get("/mechanisms/eanat").json()["suggestions"][0] == {"id": "eanet", "label": "EANET"}
    unit = client.get("/duplication", params={"mechanism": "eanat"}).json()["suggestions"]
    assert unit and all(set(s) == {"id"} for s in unit)
    focus = client.get("/overlap", params={"focus": "air qualty"}).json()["suggestions"][0]
    assert focus == {"id": "air-quality", "iri": ID + "focus/air-quality", "label": "Air quality",
                     "kind": "thematic area"}


def test_countries(client: httpx.Client) -> None:
    body = profile_models.CountryList.model_validate(client.get("/countries").json())
    assert {c.id for c in body.countries if c.neaspec_member_state} == {"CHN", "PRK", "JPN", "MNG", "KOR", "RUS"}
    mng = profile_models.CountryDetail.model_validate(client.get("/countries/mng").json())
    assert {"neaspec", "eanet", "eabrn", "dldd-nean"} <= {m.id for m in mng.mechanisms}


def test_focus_tree_and_detail(client: httpx.Client) -> None:
    tree = profile_models.FocusTree.model_validate(client.get("/focus-areas").json())
    air = next(t for t in tree.themes if t.id == "air-quality")
    assert [n.id for n in air.narrower] == ["air-pollution"]
    detail = profile_models.FocusDetail.model_validate(client.get("/focus-areas/acid-deposition").json())
    assert [b.id for b in detail.broader] == ["transboundary-air-pollution"]


def test_overlap_on_air_quality(client: httpx.Client) -> None:
    r = client.get("/overlap", params={"focus": "air quality"})
    body = OverlapAnswer.model_validate(r.json())
    assert {m.mechanism.id for m in body.mechanisms} == {"neaspec", "temm", "eanet", "ltp"}
    assert "neacap" in {p.id for p in next(m for m in body.mechanisms if m.mechanism.id == "neaspec").platforms}
    assert {"CHN", "JPN", "KOR"} <= {s.country.id for s in body.shared_members}
    assert all(ev.sources for m in body.mechanisms for ev in m.evidence)
    assert all(not ev.delivered for m in body.planned_or_proposed for ev in m.evidence)
    mongolia = client.get("/overlap", params={"focus": "air quality", "country": "MNG"}).json()
    assert {m["mechanism"]["id"] for m in mongolia["mechanisms"]} == {"neaspec", "eanet"}
    table_2 = client.get("/overlap", params={"focus": "low carbon city", "min_evidence": "stated-focus"}).json()
    assert {m["mechanism"]["id"] for m in table_2["mechanisms"]} == {"neaspec"}


@pytest.mark.parametrize("focus", ["air qualty", 'air" } UNION { ?s ?p ?o } #', "{}{}{}" * 50])
def test_overlap_unknown_or_hostile_focus_is_404_with_suggestions(client: httpx.Client, focus: str) -> None:
    r = client.get("/overlap", params={"focus": focus})
    assert r.status_code == 404 and r.headers["content-type"] == PROBLEM
    body = r.json()
    assert body["parameter"] == "focus" and body["value"] == focus.strip()
    assert isinstance(body["suggestions"], list)
    assert client.get("/overlap", params={"focus": "air quality"}).status_code == 200


@pytest.mark.parametrize("query", ["", "?country=KOR", "?focus=air&country=K0R", "?focus=air&as_of=yesterday",
                                   "?focus=" + "x" * 600, "?focus=air&as_of=2020-13-45",
                                   "?focus=air&as_of=%D9%A2%D9%A0%D9%A2%D9%A0-07-10",
                                   "?focus=air&min_evidence=proposal"])
def test_bad_overlap_parameters_are_4xx_problems(client: httpx.Client, query: str) -> None:
    r = client.get("/overlap" + query)
    assert 400 <= r.status_code < 500 and r.headers["content-type"] == PROBLEM
    assert "Traceback" not in r.text


def test_duplication(client: httpx.Client) -> None:
    body = DuplicationAnswer.model_validate(client.get("/duplication").json())
    assert body.count == 10 and body.total is None  # the top 10 by the bounded search; the rest not computed
    top = body.pairs[0]
    assert {top.a.id, top.b.id} == {"neaspec", "dldd-nean"} and top.level == "flagged" and top.judgements
    assert all(c.label in top.explanation for c in top.shared_countries)
    air = client.get("/duplication", params={"theme": "air quality", "min_score": 0.1}).json()
    assert all(p["score"] >= 0.1 or p["level"] == "flagged" for p in air["pairs"]) and air["count"] >= 1
    assert client.get("/duplication", params={"min_score": 2}).status_code == 422
    assert client.get("/duplication", params={"min_score": "NaN"}).status_code == 422
    assert client.get("/duplication", params={"theme": "nonsense theme"}).status_code == 404
    assert client.get("/duplication", params={"limit": 2}).json()["count"] == 2
    unknown = client.get("/duplication", params={"mechanism": "eanat"})
    assert unknown.status_code == 404 and "eanet" in str(unknown.json()["suggestions"])


def test_pair_check_and_proposals(client: httpx.Client) -> None:
    pair = PairAnswer.model_validate(client.get("/duplication/pairs/neampan/nowpap").json())
    assert (pair.level, pair.judged_by) == ("complementary", "note")
    body = {"focus": "sand and dust storms", "modalities": ["capacity building"], "countries": ["MNG", "CHN"],
            "proposer": "neaspec"}
    check = CheckAnswer.model_validate(client.post("/duplication/check", json=body).json())
    assert check.matches[0].unit.id == "dldd-nean" and check.verdict
    bad = client.post("/duplication/check", json={**body, "modalities": ["juggling"]})
    assert bad.status_code == 400 and bad.headers["content-type"] == PROBLEM and "research" in bad.text
    proposals = ProposalsAnswer.model_validate(client.get("/proposals").json())
    assert proposals.count == 31 and [p.order for p in proposals.proposals] == list(range(1, 32))


def test_query_catalogue_and_every_example_runs(client: httpx.Client) -> None:
    body = models.QueryCatalogue.model_validate(client.get("/queries").json())
    assert body.count == len(catalogue.names())
    for q in body.queries:
        r = client.get(q.run)
        assert r.status_code == 200, (q.name, r.text[:300])


def test_run_named_query_with_typed_parameters(client: httpx.Client) -> None:
    r = client.get("/queries/mechanism-members", params={"mechanism": "temm"})
    assert r.headers["content-type"].startswith("application/sparql-results+json")
    assert {b["iso3"]["value"] for b in r.json()["results"]["bindings"]} == {"CHN", "JPN", "KOR"}
    csv = client.get("/queries/mechanism-members", params={"mechanism": "temm", "format": "csv"})
    assert csv.text.splitlines()[0].startswith("country,iso3,label")
    several = client.get("/queries/shared-members?mechanism=temm&mechanism=eanet").json()
    assert {b["iso3"]["value"] for b in several["results"]["bindings"] if b["count"]["value"] == "2"} == {
        "CHN", "JPN", "KOR"}
    missing = client.get("/queries/mechanism-members")
    assert missing.status_code == 400 and missing.json()["parameter"] == "mechanism"
    bad = client.get("/queries/mechanism-members", params={"mechanism": "ea net"})
    assert bad.status_code == 400 and bad.json()["parameter"] == "mechanism"
    assert client.get("/queries/no-such-query").status_code == 404


def test_every_named_query_is_its_own_documented_operation(client: httpx.Client, store: OxigraphStore) -> None:
    """grlc's one operation per query: /docs and client generators see each query with its typed parameters."""
    paths = client.get("/openapi.json").json()["paths"]
    queries = catalogue.catalogue()
    ops = {p.removeprefix("/queries/"): v["get"] for p, v in paths.items()
           if p.startswith("/queries/") and p != "/queries/{name}"}
    assert set(ops) == set(queries)
    assert len({op["operationId"] for op in ops.values()}) == len(ops)
    for name, q in queries.items():
        documented = {p["name"]: p for p in ops[name]["parameters"]}
        assert set(documented) == {p.name for p in q.params} | {"format"}, name
        for p in q.params:
            assert documented[p.name]["required"] == p.required, (name, p.name)
            assert (documented[p.name]["schema"].get("type") == "array") == p.multiple, (name, p.name)
        assert ops[name]["summary"] == q.title
    # the documented operation answers what the library answers, errors included
    own = client.get("/queries/shared-members?mechanism=temm&mechanism=eanet")
    rows = run(store, "shared-members", {"mechanism": ["temm", "eanet"]})
    assert isinstance(rows, list)
    assert own.status_code == 200 and sorted((b["iso3"]["value"], b["count"]["value"])
                                             for b in own.json()["results"]["bindings"]) == sorted(
        (str(r["iso3"]), str(r["count"])) for r in rows)
    bad = client.get("/queries/mechanism-members", params={"mechanism": "ea net"})
    assert bad.status_code == 400 and bad.headers["content-type"].startswith("application/problem+json")


def test_export_downloads(client: httpx.Client, validated: ValidatedGraph) -> None:
    r = client.get("/export", params={"format": "trig"})
    assert r.headers["content-type"].startswith("application/trig")
    assert "attachment" in r.headers["content-disposition"]
    ds = rdflib.Dataset()
    ds.parse(data=r.content, format="trig")
    assert len({q[:3] for q in ds.quads()}) == len({(q.subject, q.predicate, q.object) for q in validated.quads})
    assert client.get("/export", params={"format": "rdf/xml"}).status_code == 422
    table = client.get("/export", params={"format": "duplication.csv"})
    assert table.headers["content-type"].startswith("text/csv")
    rows = list(csvlib.DictReader(io.StringIO(table.text)))
    assert len(rows) >= 8 and {rows[0]["mechanism_a"], rows[0]["mechanism_b"]} == {"dldd-nean", "neaspec"}
    assert client.get("/export", params={"format": "graphml"}).text.startswith("<?xml")


PROFILE_ROUTES = {"/mechanisms": "MechanismList", "/mechanisms/{mechanism_id}": "MechanismDetail",
                  "/countries": "CountryList", "/countries/{code}": "CountryDetail", "/focus-areas": "FocusTree",
                  "/focus-areas/{focus_id}": "FocusDetail"}


def _untyped(schema: dict[str, object], schemas: dict[str, dict[str, object]], seen: set[str], where: str) -> list[str]:
    """Where a schema leaves a value undescribed: an object without declared properties that also allows any
    other (what ``list[Open]`` gave), or a value with no type at all."""
    if "$ref" in schema:
        name = str(schema["$ref"]).rsplit("/", 1)[-1]
        if name in seen:
            return []
        seen.add(name)
        return _untyped(schemas[name], schemas, seen, name)
    out: list[str] = []
    for alt in schema.get("anyOf", []):  # type: ignore[attr-defined]
        out += _untyped(alt, schemas, seen, where)
    kind = schema.get("type")
    if kind is None and "anyOf" not in schema:
        out.append(where)
    if kind == "array":
        out += _untyped(schema["items"], schemas, seen, where + "[]")  # type: ignore[arg-type]
    if kind == "object":
        properties: dict[str, dict[str, object]] = schema.get("properties", {})  # type: ignore[assignment]
        extra = schema.get("additionalProperties", True)
        if not properties and not isinstance(extra, dict):
            out.append(where)
        if properties and extra is not False:
            out.append(where + " (extra fields)")
        for name, sub in properties.items():
            out += _untyped(sub, schemas, seen, f"{where}.{name}")
        if isinstance(extra, dict):
            out += _untyped(extra, schemas, seen, where + "{}")
    return out


def test_openapi_describes_the_profiles_fully(client: httpx.Client) -> None:
    """The profile routes declare the library's models (neaspec_kg.models_profiles) as their response models, and
    every value in them down to the sources is described with its type: no ``list[Open]`` left."""
    spec = client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    for path, model in PROFILE_ROUTES.items():
        ok = spec["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        assert ok == {"$ref": f"#/components/schemas/{model}"}, path
        assert _untyped(ok, schemas, set(), path) == [], path
    detail = schemas["MechanismDetail"]
    assert {"id", "iri", "acronym", "label", "kind", "subregional", "established", "member_count", "labels",
            "established_claims", "website", "stated_in_table_2", "stated_sources", "members", "secretariat",
            "governing_bodies", "focus_areas", "components", "engagements"} == set(detail["properties"])
    members = detail["properties"]["members"]
    assert members["type"] == "array" and members["items"] == {"$ref": "#/components/schemas/MemberOfMechanism"}
    member = schemas["MemberOfMechanism"]["properties"]
    assert member["role"]["type"] == "string" and member["sources"]["items"]["$ref"].endswith("/SourceCitation")
    assert {t.get("type") for t in member["since"]["anyOf"]} == {"string", "null"}
    assert schemas["Component"]["properties"]["type"]["enum"] == ["platform", "strategic plan", "plan"]
    assert set(schemas["MechanismDetail"]["properties"]["stated_in_table_2"]["propertyNames"]["enum"]) == {
        "statedMembers", "statedGovernance", "statedSecretariat", "statedFocusAreas"}
    # fields left out of the JSON when absent are not required; fields always written are
    assert "hosted_by" not in schemas["StructureUnit"].get("required", [])
    assert {"id", "label", "sources"} <= set(schemas["StructureUnit"]["required"])
    assert schemas["FocusDetail"]["properties"]["broader"]["items"] == {"$ref": "#/components/schemas/FocusBrief"}
    assert schemas["CountryDetail"]["properties"]["mechanisms"]["items"] == {
        "$ref": "#/components/schemas/MechanismOfCountry"}


def test_profile_answers_validate_against_their_models(client: httpx.Client) -> None:
    """What the server sends for every mechanism, country and focus area is its model, extra fields forbidden."""
    for m in profile_models.MechanismList.model_validate(client.get("/mechanisms").json()).mechanisms:
        detail = profile_models.MechanismDetail.model_validate(client.get(f"/mechanisms/{m.id}").json())
        assert detail.id == m.id and detail.member_count == m.member_count
    for c in profile_models.CountryList.model_validate(client.get("/countries").json()).countries:
        assert profile_models.CountryDetail.model_validate(client.get(f"/countries/{c.id}").json()).id == c.id
    for t in profile_models.FocusTree.model_validate(client.get("/focus-areas").json()).themes:
        for n in [t, *t.narrower]:
            assert profile_models.FocusDetail.model_validate(client.get(f"/focus-areas/{n.id}").json()).id == n.id


def test_openapi_documents_every_route(client: httpx.Client) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for p in ["/mechanisms", "/mechanisms/{mechanism_id}", "/countries", "/countries/{code}", "/focus-areas",
              "/focus-areas/{focus_id}", "/overlap", "/duplication", "/queries", "/queries/{name}", "/export"]:
        assert p in paths, p
    assert "MechanismDetail" in str(paths["/mechanisms/{mechanism_id}"])
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert not re.findall(r'(?:src|href)=["\']https?://', docs.text), "the API docs page must not load from outside"
    for asset in re.findall(r'(?:src|href)=["\'](/static/[^"\']+)', docs.text):
        assert client.get(asset).status_code == 200, asset


def test_repeated_answers_are_identical(client: httpx.Client) -> None:
    url = "/overlap?focus=" + urllib.parse.quote("marine")
    assert client.get(url).content == client.get(url).content


def test_rest_stays_responsive_while_sparql_is_busy(client: httpx.Client, base: str) -> None:
    """One expensive SPARQL query (stopped at the 3 s timeout) does not hold up REST answers."""
    slow = ("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }")
    outcome: dict[str, int] = {}

    def run_slow() -> None:
        outcome["status"] = httpx.get(base + "/sparql", params={"query": slow}, timeout=30).status_code

    t = threading.Thread(target=run_slow)
    t.start()
    time.sleep(0.3)
    t0 = time.perf_counter()
    r = client.get("/mechanisms/yslme", params={"as_of": "2019-01-01"})  # not memoised: computed now
    elapsed = time.perf_counter() - t0
    t.join(timeout=30)
    assert r.status_code == 200
    assert elapsed < 1.5, f"REST answer took {elapsed:.2f} s while a SPARQL query ran"
    assert outcome["status"] in {503, 504, 408}  # the slow query was stopped, with an error


def test_thesaurus_page_shows_the_whole_tree_with_labels(client: httpx.Client) -> None:
    r = client.get("/thesaurus")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    tree = client.get("/focus-areas").json()["themes"]

    def walk(nodes):
        for n in nodes:
            yield n
            yield from walk(n["narrower"])

    for node in walk(tree):
        assert f'href="/id/focus/{node["id"]}"' in r.text, node["id"]
        for alt in node["alt_labels"]:
            assert alt["label"].replace("&", "&amp;") in r.text
    assert not re.findall(r'(?:src|href)=["\']https?://', r.text)


def test_security_headers_on_every_answer(client: httpx.Client) -> None:
    for path in ["/", "/graph", "/docs", "/mechanisms", "/overlap?focus=nothing-at-all", "/thesaurus", "/healthz"]:
        r = client.get(path)
        assert r.headers["x-content-type-options"] == "nosniff", path
        assert r.headers["x-frame-options"] == "DENY" and r.headers["referrer-policy"] == "no-referrer", path
        if r.headers["content-type"].startswith("text/html"):
            csp = r.headers["content-security-policy"]
            assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp, path
    editor = client.get("/sparql", headers={"Accept": "text/html"})
    assert "script-src 'self';" in editor.headers["content-security-policy"]  # the editor keeps its stricter one


def test_the_memo_is_bounded_in_bytes(validated: ValidatedGraph) -> None:
    from api.service import RestService
    from neaspec_kg.store import OxigraphStore

    service = RestService(OxigraphStore(validated), memo_size=1000, memo_bytes=10_000)
    for i in range(50):
        service.memo(("k", i), lambda: b"x" * 900)
    assert service._memo_total <= 10_000 and len(service._memo) == 11
    assert service.memo(("big",), lambda: b"y" * 5_000) == b"y" * 5_000
    assert not any(k[1:] == ("big",) for k in service._memo) and any(k[1:] == ("k", 49) for k in service._memo)


def test_head_works_wherever_get_does(client: httpx.Client) -> None:
    for path in ["/", "/mechanisms", "/mechanisms/eanet", "/overlap?focus=air%20quality", "/healthz", "/docs",
                 "/id/mechanism/eanet", "/graph", "/thesaurus"]:
        get, head = client.get(path), client.head(path)
        assert head.status_code == get.status_code == 200, path
        assert head.content == b"" and head.headers["content-type"] == get.headers["content-type"], path
    assert client.head("/mechanisms/nothing-like-this").status_code == 404


def test_openapi_documents_errors_as_problem_documents(client: httpx.Client) -> None:
    schema = client.get("/openapi.json").json()
    assert "Problem" in schema["components"]["schemas"]
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            page = "text/html" in operation["responses"].get("200", {}).get("content", {})
            for status, response in operation.get("responses", {}).items():
                if status.startswith(("4", "5")):
                    if page and status in ("400", "404"):  # a browser page answers a friendly page (and, for
                        # its JSON/CSV/SVG formats, a problem document); never anything else
                        assert response["content"] and set(response["content"]) <= {
                            "text/html", "application/problem+json"}, (method, path, status)
                    else:
                        assert list(response["content"]) == ["application/problem+json"], (method, path, status)
    r = client.get("/overlap", params={"focus": "air", "min_evidence": "nonsense"})
    assert r.status_code == 422 and r.headers["content-type"] == PROBLEM
    # every answer the analyses compute may be a 503 (a full queue, a restarted analysis process, the time
    # limit), and says so; the health check never waits, and SPARQL documents its own 503
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if path != "/healthz":
                assert "503" in operation["responses"], (method, path)
    assert "503" not in schema["paths"]["/healthz"]["get"]["responses"]
    assert "time limit" in schema["paths"]["/sparql"]["get"]["responses"]["503"]["description"]
    assert "504" not in schema["paths"]["/sparql"]["get"]["responses"]


def test_the_host_header_is_never_reflected(client: httpx.Client, base: str) -> None:
    evil = {"Host": "evil.example"}
    description = client.get("/sparql", headers={**evil, "Accept": "text/turtle"})
    assert description.status_code == 200 and "evil.example" not in description.text
    assert base + "/sparql" in description.text
    redirect = client.get("/mechanisms/", headers=evil, follow_redirects=False)
    if redirect.status_code in (301, 302, 307, 308):
        assert "evil.example" not in redirect.headers["location"]
        assert redirect.headers["location"].startswith("/")


def test_unknown_countries_are_404_with_suggestions(client: httpx.Client) -> None:
    for path, params in [("/overlap", {"focus": "air quality", "country": "MNX"}),
                         ("/duplication", {"country": "KOX"}), ("/matrix", {"country": "RUX"}),
                         ("/countries/XYZ/participation", {})]:
        r = client.get(path, params=params)
        assert r.status_code == 404 and r.headers["content-type"] == PROBLEM, (path, r.text[:200])
        assert isinstance(r.json()["suggestions"], list) and r.json()["value"], path
    assert {"id": "MNG"} in client.get("/overlap", params={"focus": "air", "country": "MNX"}).json()["suggestions"]
    body = {"focus": "air quality", "countries": ["KOX"]}
    assert client.post("/duplication/check", json=body).status_code == 404
