"""The reconciliation service (/reconcile) as OpenRefine uses it: manifest, batches, suggest, preview, extension."""

from __future__ import annotations

import json
import re
import urllib.parse
import urllib.request

import jsonschema
import pytest

from ruhrkg.graph import build as building
from ruhrkg.mappings import links
from ruhrkg.mappings.vocab import DEF, GRAPHS, ID, RK
from ruhrkg.server import reconcile
from ruhrkg.server.app import create_app

PERSON, MINISTRY, VENUE, CITY, ORGANIZATION, PLACE = (
    str(RK.Person), str(RK.Ministry), str(RK.Venue), str(RK.City), str(RK.Organization), str(RK.Place)
)  # fmt: skip
PAETZEL = ID + "person/ulrich-paetzel"
MKW = ID + "ministry/mkw"
DATA = str(GRAPHS["data"])
PREFIX = """PREFIX rk: <https://w3id.org/ruhrkg/def#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
"""

# The shape of a 0.2 manifest, written from the specification's text (required keys and their types).
SERVICE_PATH = {
    "type": "object",
    "required": ["service_url", "service_path"],
    "properties": {"service_url": {"type": "string", "pattern": "^https?://"}, "service_path": {"type": "string"}},
}
MANIFEST_SCHEMA = {
    "type": "object",
    "required": ["versions", "name", "identifierSpace", "schemaSpace"],
    "properties": {
        "versions": {"type": "array", "items": {"type": "string"}, "contains": {"const": "0.2"}},
        "name": {"type": "string", "minLength": 1},
        "identifierSpace": {"type": "string"},
        "schemaSpace": {"type": "string"},
        "documentation": {"type": "string"},
        "serviceVersion": {"type": "string"},
        "batchSize": {"type": "integer", "minimum": 1},
        "defaultTypes": {
            "type": "array",
            "uniqueItems": True,
            "items": {
                "type": "object",
                "required": ["id", "name"],
                "properties": {"id": {"type": "string"}, "name": {"type": "string"}},
            },
        },
        "view": {
            "type": "object",
            "required": ["url"],
            "properties": {"url": {"type": "string", "pattern": r"\{\{id\}\}"}},
        },
        "preview": {
            "type": "object",
            "required": ["url", "width", "height"],
            "properties": {
                "url": {"type": "string", "pattern": r"\{\{id\}\}"},
                "width": {"type": "integer"},
                "height": {"type": "integer"},
            },
        },
        "suggest": {
            "type": "object",
            "properties": {"entity": SERVICE_PATH, "type": SERVICE_PATH, "property": SERVICE_PATH},
        },
        "extend": {
            "type": "object",
            "properties": {
                "propose_properties": SERVICE_PATH,
                "property_settings": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["type", "label", "name"],
                        "properties": {"type": {"enum": ["number", "text", "checkbox", "select"]}},
                    },
                },
            },
        },
    },
}
TYPE_REF = {
    "oneOf": [
        {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}, "name": {"type": "string"}}},
        {"type": "string"},
    ]
}
RESULT_BATCH_SCHEMA = {
    "type": "object",
    "additionalProperties": {
        "type": "object",
        "required": ["result"],
        "properties": {
            "result": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id", "name", "score"],
                    "properties": {
                        "id": {"type": "string"},
                        "name": {"type": "string"},
                        "description": {"type": "string"},
                        "score": {"type": "number", "minimum": 0, "maximum": 100},
                        "match": {"type": "boolean"},
                        "type": {"type": "array", "items": TYPE_REF},
                        "features": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["id", "value"],
                                "properties": {"value": {"type": ["boolean", "number"]}},
                            },
                        },
                    },
                },
            }
        },
    },
}
SUGGEST_SCHEMA = {
    "type": "object",
    "required": ["result"],
    "properties": {
        "result": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "name"],
                "properties": {
                    "id": {"type": "string"},
                    "name": {"type": "string"},
                    "description": {"type": "string"},
                    "notable": {"type": "array", "items": TYPE_REF},
                },
            },
        }
    },
}
CELL = {
    "oneOf": [
        {"type": "object", "required": ["id", "name"], "additionalProperties": False,
         "properties": {"id": {"type": "string"}, "name": {"type": "string"}}},
        {"type": "object", "required": ["str"], "additionalProperties": False, "properties": {"str": {"type": "string"}}},
        {"type": "object", "required": ["int"], "additionalProperties": False, "properties": {"int": {"type": "integer"}}},
    ]
}  # fmt: skip
EXTENSION_SCHEMA = {
    "type": "object",
    "required": ["meta", "rows"],
    "properties": {
        "meta": {"type": "array", "items": {"type": "object", "required": ["id", "name"]}},
        "rows": {"type": "object", "additionalProperties": {"type": "object", "additionalProperties": {
            "type": "array", "items": CELL}}},
    },
}  # fmt: skip


# --------------------------------------------------------------------------- fixtures and helpers


def select(store, query: str) -> list[dict[str, str]]:
    """Distinct rows of a SELECT on the built store (every graph), as ``{variable: value}``."""
    query = PREFIX + query.replace("SELECT ", "SELECT DISTINCT ", 1)
    results = store.query(query, use_default_graph_as_union=True)
    names = [v.value for v in results.variables]
    return [{n: row[n].value for n in names if row[n] is not None} for row in results]


def batch(client, queries: dict, lang: str = "de", **extra) -> dict:
    """POST a batch form-encoded, as OpenRefine does; the checked result batch."""
    resp = client.post("/reconcile", data={"queries": json.dumps(queries), **extra}, headers={"Accept-Language": lang})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.mimetype == "application/json"
    data = resp.get_json()
    jsonschema.validate(data, RESULT_BATCH_SCHEMA)
    assert set(data) == set(queries)
    for answer in data.values():
        check_ranking(answer["result"])
    return data


def one(client, query: dict | str, **extra) -> list[dict]:
    return batch(client, {"q0": query if isinstance(query, dict) else {"query": query}}, **extra)["q0"]["result"]


def check_ranking(result: list[dict]) -> None:
    """Descending scores, ties by name then id; only the first can be a match, and only an exact one."""
    keys = [(-c["score"], c["name"].casefold(), c["id"]) for c in result]
    assert keys == sorted(keys)
    for i, c in enumerate(result):
        features = {f["id"]: f["value"] for f in c["features"]}
        if c["match"]:
            assert i == 0 and features["name_exact"] and c["score"] >= 90
            assert len(result) == 1 or c["score"] - result[1]["score"] >= 10


def problem(resp, status: int, text: str = "") -> dict:
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert resp.is_json, resp.mimetype
    body = resp.get_json()
    assert body["status"] == status and body["detail"], body
    assert text.lower() in body["detail"].lower(), body["detail"]
    assert "Traceback" not in resp.get_data(as_text=True)
    return body


# --------------------------------------------------------------------------- the manifest


def test_manifest_has_the_required_shape(client, store):
    resp = client.get("/reconcile", headers={"Accept-Language": "de"})
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    manifest = resp.get_json()
    jsonschema.validate(manifest, MANIFEST_SCHEMA)
    assert manifest["versions"] == ["0.1", "0.2"]
    assert manifest["identifierSpace"] == ID == "https://w3id.org/ruhrkg/id/"
    assert manifest["schemaSpace"] == DEF
    assert manifest["batchSize"] == reconcile.MAX_QUERIES
    # default types: our classes, named by their German labels in the ontology graph
    labels = {
        r["c"]: r["l"]
        for r in select(store, f"SELECT ?c ?l WHERE {{ GRAPH <{GRAPHS['ontology']}> {{ ?c rdfs:label ?l }} "
                               'FILTER(LANG(?l) = "de") }')
    }  # fmt: skip
    types = {t["id"]: t["name"] for t in manifest["defaultTypes"]}
    assert {PERSON, MINISTRY, ORGANIZATION, VENUE, CITY, str(RK.Forum), str(RK.Event)} <= set(types)
    for iri, name in types.items():
        assert name == labels[iri][:1].upper() + labels[iri][1:]
    assert types[MINISTRY] == "Ressort"
    english = client.get("/reconcile", headers={"Accept-Language": "en"}).get_json()
    assert {t["name"] for t in english["defaultTypes"]} >= {"Person", "Ministry", "Venue", "City"}


def test_manifest_urls_work(client):
    manifest = client.get("/reconcile").get_json()

    def local(url: str) -> str:
        parts = urllib.parse.urlsplit(url)
        assert parts.scheme == "http" and parts.netloc == "localhost"
        return parts.path + ("?" + parts.query if parts.query else "")

    encoded = urllib.parse.quote(PAETZEL, safe="")  # clients encode the id as a URI component
    view = client.get(local(manifest["view"]["url"].replace("{{id}}", encoded)))
    assert view.status_code == 303 and view.headers["Location"].endswith("/id/person/ulrich-paetzel")
    assert client.get(view.headers["Location"]).status_code == 200
    preview = client.get(local(manifest["preview"]["url"].replace("{{id}}", encoded)))
    assert preview.status_code == 200 and "Ulrich Paetzel" in preview.get_data(as_text=True)
    for kind, prefix in (("entity", "paetz"), ("type", "pers"), ("property", "stadt")):
        service = manifest["suggest"][kind]
        resp = client.get(local(service["service_url"] + service["service_path"]) + "?prefix=" + prefix)
        assert resp.status_code == 200 and resp.get_json()["result"], kind
    propose = manifest["extend"]["propose_properties"]
    resp = client.get(local(propose["service_url"] + propose["service_path"]) + "?type=" + urllib.parse.quote(VENUE))
    assert resp.status_code == 200 and resp.get_json()["properties"]
    assert client.get(local(manifest["documentation"])).status_code == 200


def test_the_service_is_linked_from_home_and_the_api_documents(client):
    assert 'href="/reconcile"' in client.get("/", headers={"Accept": "text/html"}).get_data(as_text=True)
    doc = client.get("/api/openapi.json").get_json()
    assert {"get", "post"} <= set(doc["paths"]["/reconcile"])
    docs = client.get("/api/docs?lang=en").get_data(as_text=True)
    assert 'id="reconcile"' in docs and "GET, POST /reconcile" in docs


# --------------------------------------------------------------------------- an OpenRefine batch


OPENREFINE_BATCH = {  # the shape OpenRefine sends: type_strict "should", a limit, properties
    "q0": {"query": "Ulrich Paetzel", "type": PERSON, "type_strict": "should", "limit": 3},
    "q1": {"query": "Prof. Dr. Ulrich Paetzel", "type": PERSON, "type_strict": "should", "limit": 3},
    "q2": {"query": "Ulrich Paezel", "type": PERSON, "type_strict": "should", "limit": 3},
    "q3": {"query": "MKW", "type": MINISTRY, "type_strict": "should", "limit": 3},
    "q4": {"query": "Ministerium für Kultur und Wissenschaft", "type": MINISTRY, "type_strict": "should", "limit": 3},
    "q5": {"query": "Stadthalle", "type": VENUE, "type_strict": "should", "limit": 3,
           "properties": [{"pid": str(RK.city), "v": "Kamen"}]},
    "q6": {"query": "Stadthalle", "type": VENUE, "type_strict": "should", "limit": 3,
           "properties": [{"pid": "schema:location", "v": "Mülheim"}]},
    "q7": {"query": "Erika Mustermann", "type": PERSON, "type_strict": "should", "limit": 3},
    "q8": {"query": "HENDRIK WUEST", "type": PERSON, "type_strict": "should", "limit": 3},
    "q9": {"query": "Radio Bochum", "type_strict": "should", "limit": 3},
}  # fmt: skip


@pytest.fixture(scope="module")
def openrefine_answers(app) -> dict:
    return batch(app.test_client(), OPENREFINE_BATCH)


def top(answers: dict, key: str) -> dict:
    return answers[key]["result"][0]


def test_a_name_without_and_with_academic_title(openrefine_answers, store):
    [row] = select(store, 'SELECT ?p ?t WHERE { ?p a rk:Person ; rdfs:label "Ulrich Paetzel" ; rk:academicTitle ?t }')
    assert row["p"] == PAETZEL and row["t"] == "Prof. Dr."
    for key in ("q0", "q1"):
        best = top(openrefine_answers, key)
        assert best["id"] == PAETZEL and best["name"] == "Ulrich Paetzel"
        assert best["score"] == 100 and best["match"] is True
        assert best["type"] == [{"id": PERSON, "name": "Person"}]
        assert "Emschergenossenschaft" in best["description"]


def test_a_misspelled_name_is_found_but_not_matched(openrefine_answers):
    result = openrefine_answers["q2"]["result"]
    assert result[0]["id"] == PAETZEL and 80 <= result[0]["score"] < 100
    assert not any(c["match"] for c in result)


def test_a_ministry_by_code_and_by_shortened_name(openrefine_answers, store):
    [row] = select(store, 'SELECT ?m WHERE { ?m a rk:Ministry ; rk:code "MKW" }')
    assert row["m"] == MKW
    for key in ("q3", "q4"):
        best = top(openrefine_answers, key)
        assert best["id"] == MKW and best["match"] is True and best["description"] == "MKW"
        assert best["name"] == "Ministerium für Kultur und Wissenschaft des Landes Nordrhein-Westfalen"


def test_a_city_property_tells_venues_apart(openrefine_answers, store):
    halls = select(store, 'SELECT ?v ?c ?cl WHERE { ?v a rk:Venue ; rdfs:label ?l ; rk:city ?c . ?c rdfs:label ?cl '
                          'FILTER(STRSTARTS(?l, "Stadthalle")) }')  # fmt: skip
    by_city = {r["cl"]: r["v"] for r in halls}
    assert set(by_city) == {"Kamen", "Mülheim an der Ruhr"}
    kamen, muelheim = openrefine_answers["q5"]["result"], openrefine_answers["q6"]["result"]
    assert kamen[0]["id"] == by_city["Kamen"] == ID + "venue/stadthalle-kamen"
    assert muelheim[0]["id"] == by_city["Mülheim an der Ruhr"] == ID + "venue/stadthalle-muelheim"
    for result in (kamen, muelheim):
        assert result[1]["id"] in by_city.values() and result[0]["score"] - result[1]["score"] >= 20
        assert not result[0]["match"]  # "Stadthalle" alone is not the name of either
        assert {f["id"] for f in result[0]["features"]} >= {"name_score", "property_score"}


def test_an_unknown_person_gets_no_match(openrefine_answers):
    result = openrefine_answers["q7"]["result"]
    assert not any(c["match"] for c in result)
    assert all(c["score"] < 70 for c in result)


def test_case_and_umlauts_do_not_count(openrefine_answers):
    assert top(openrefine_answers, "q8")["id"] == ID + "person/hendrik-wuest"
    assert top(openrefine_answers, "q8")["name"] == "Hendrik Wüst" and top(openrefine_answers, "q8")["match"]


def test_namesakes_are_not_matched_without_a_type(openrefine_answers, client):
    result = openrefine_answers["q9"]["result"]
    assert {c["id"] for c in result[:2]} == {ID + "venue/radio-bochum", ID + "organization/radio-bochum"}
    assert result[0]["score"] == result[1]["score"] == 100 and not any(c["match"] for c in result)
    typed = one(client, {"query": "Radio Bochum", "type": VENUE})
    assert [c["id"] for c in typed] == [ID + "venue/radio-bochum"] and typed[0]["match"]
    should = one(client, {"query": "Radio Bochum", "type": VENUE, "type_strict": "should"})
    assert should[0]["id"] == ID + "venue/radio-bochum" and should[0]["match"]
    assert should[1]["id"] == ID + "organization/radio-bochum" and should[1]["score"] < 100


def test_limit_default_and_the_batch_keys(openrefine_answers, client):
    assert all(len(a["result"]) <= 3 for a in openrefine_answers.values())
    assert len(one(client, {"query": "Stadt"})) == reconcile.DEFAULT_LIMIT
    assert len(one(client, {"query": "Stadthalle", "limit": 1})) == 1
    assert len(one(client, {"query": "Stadthalle", "limit": "2"})) == 2
    assert len(one(client, {"query": "e", "limit": 5000})) <= reconcile.MAX_RESULTS


# --------------------------------------------------------------------------- matching, derived from the data


def test_every_person_by_name_and_with_title(client, store):
    people = select(
        store, "SELECT ?p ?l ?t WHERE { ?p a rk:Person ; rdfs:label ?l OPTIONAL { ?p rk:academicTitle ?t } }"
    )
    assert len(people) >= 30
    queries = {}
    for i, p in enumerate(people):
        queries[f"n{i}"] = {"query": p["l"], "type": PERSON}
        queries[f"t{i}"] = {"query": f"{p.get('t', 'Dr.')} {p['l']}", "type": PERSON}
    answers = batch(client, queries)
    for i, p in enumerate(people):
        for key in (f"n{i}", f"t{i}"):
            assert top(answers, key)["id"] == p["p"] and top(answers, key)["match"], (key, p)


def test_every_ministry_by_code_and_name(client, store):
    ministries = select(
        store, 'SELECT ?m ?c ?l WHERE { ?m a rk:Ministry ; rk:code ?c ; rdfs:label ?l FILTER(LANG(?l) = "de") }'
    )
    assert len(ministries) == 12
    queries = {}
    for i, m in enumerate(ministries):
        queries[f"c{i}"] = {"query": m["c"], "type": MINISTRY}
        queries[f"l{i}"] = {"query": m["l"].replace(" des Landes Nordrhein-Westfalen", " NRW")}
    answers = batch(client, queries)
    for i, m in enumerate(ministries):
        for key in (f"c{i}", f"l{i}"):
            assert top(answers, key)["id"] == m["m"] and top(answers, key)["match"], (key, m)


def test_every_city_and_venue_by_its_labels(client, store):
    places = select(
        store, "SELECT ?e ?t ?l WHERE { VALUES ?t { rk:City rk:Venue } ?e a ?t ; rdfs:label|skos:altLabel ?l }"
    )
    queries = {f"q{i}": {"query": p["l"], "type": p["t"]} for i, p in enumerate(places)}
    answers = batch(client, queries)
    for i, p in enumerate(places):
        assert top(answers, f"q{i}")["id"] == p["e"], p
        assert top(answers, f"q{i}")["score"] == 100


def test_forums_by_number_and_title(client, store):
    forums = select(
        store, "SELECT ?f ?n ?t WHERE { ?f a rk:Forum ; rk:number ?n ; <http://purl.org/dc/terms/title> ?t }"
    )
    assert len(forums) == 20
    queries = {}
    for f in forums:
        queries[f"n{f['n']}"] = {"query": f"Themenforum {int(f['n'])}", "type": str(RK.Forum)}
        queries[f"t{f['n']}"] = {"query": f["t"]}
    answers = batch(client, queries)
    for f in forums:
        for key in (f"n{f['n']}", f"t{f['n']}"):
            assert top(answers, key)["id"] == f["f"] and top(answers, key)["match"], (key, f)


def test_type_strict(client):
    assert one(client, {"query": "Zollverein", "type": PLACE})[0]["id"] == ID + "venue/zollverein"  # a superclass
    assert one(client, {"query": "Zollverein", "type": [VENUE, PLACE], "type_strict": "all"})[0]["match"]
    assert one(client, {"query": "Zollverein", "type": [VENUE, ORGANIZATION], "type_strict": "all"}) == []
    anyone = one(client, {"query": "Zollverein", "type": [VENUE, ORGANIZATION], "type_strict": "any", "limit": 10})
    assert {t["id"] for c in anyone for t in c["type"]} == {VENUE, ORGANIZATION}
    assert one(client, {"query": "Ulrich Paetzel", "type": "schema:Person"})[0]["id"] == PAETZEL
    assert one(client, {"query": "Ulrich Paetzel", "type": "Person"})[0]["id"] == PAETZEL
    assert one(client, {"query": "Ulrich Paetzel", "type": CITY}) == []


def test_properties_as_context(client, store):
    [row] = select(store, f"SELECT ?o WHERE {{ ?m rk:member <{PAETZEL}> ; rk:representing ?o }}")
    orgs = one(
        client, {"query": "Ulrich", "type": PERSON, "properties": [{"pid": "organisation", "v": {"id": row["o"]}}]}
    )
    assert orgs[0]["id"] == PAETZEL
    by_name = one(client, {"query": "Ulrich", "type": PERSON,
                           "properties": [{"pid": str(RK.representing), "v": "Emschergenossenschaft"}]})  # fmt: skip
    assert by_name[0]["id"] == PAETZEL and by_name[0]["score"] > by_name[1]["score"] + 20
    contradicted = one(client, {"query": "Ulrich Paetzel", "type": PERSON,
                                "properties": [{"pid": "position", "v": "Bürgermeister"}]})  # fmt: skip
    assert contradicted[0]["id"] == PAETZEL and not contradicted[0]["match"]
    only = one(client, {"properties": [{"pid": "rk:code", "v": "MKFFI"}]})
    assert only[0]["id"] == ID + "ministry/mkffi"
    ignored = one(client, {"query": "Ulrich Paetzel", "properties": [{"pid": "no-such-property", "v": "x"}]})
    assert ignored[0]["id"] == PAETZEL and ignored[0]["match"]


def test_query_by_id_and_ranking_ties(client):
    for ident in (PAETZEL, "person:ulrich-paetzel"):
        best = one(client, ident)[0]
        assert best["id"] == PAETZEL and best["match"]
    first = one(client, {"query": "Stadt", "limit": 20})
    assert first == one(client, {"query": "Stadt", "limit": 20})  # deterministic
    tie = one(client, "Radio Bochum")  # equal scores and names: ordered by id
    assert [c["id"] for c in tie[:2]] == [ID + "organization/radio-bochum", ID + "venue/radio-bochum"]


def test_get_and_version_0_1(client):
    resp = client.get("/reconcile", query_string={"queries": json.dumps({"q0": {"query": "Essen"}})})
    assert resp.status_code == 200 and resp.get_json()["q0"]["result"][0]["id"] == ID + "city/essen"
    plain = client.get("/reconcile?query=Essen").get_json()
    assert set(plain) == {"result"} and plain["result"][0]["id"] == ID + "city/essen" and plain["result"][0]["match"]
    obj = client.get("/reconcile", query_string={"query": json.dumps({"query": "Essen", "type": ORGANIZATION})})
    assert obj.get_json()["result"][0]["id"] == ID + "organization/polizeipraesidium-essen"


# --------------------------------------------------------------------------- suggest


def suggest(client, kind: str, **args) -> list[dict]:
    resp = client.get(f"/reconcile/suggest/{kind}", query_string=args, headers={"Accept-Language": "de"})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    data = resp.get_json()
    jsonschema.validate(data, SUGGEST_SCHEMA)
    return data["result"]


def test_suggest_entities(client, store):
    ids = lambda items: [i["id"] for i in items]  # noqa: E731
    assert ids(suggest(client, "entity", prefix="pinkw"))[0] == ID + "person/andreas-pinkwart"
    for prefix in ("Wüs", "wues", "WUS", "hendrik w"):
        assert ID + "person/hendrik-wuest" in ids(suggest(client, "entity", prefix=prefix)), prefix
    assert ids(suggest(client, "entity", prefix="paetz"))[0] == PAETZEL  # a word inside the name
    assert ids(suggest(client, "entity", prefix="mkw"))[0] == MKW
    assert ids(suggest(client, "entity", prefix=PAETZEL)) == [PAETZEL]  # by id
    assert ids(suggest(client, "entity", prefix="person:ulrich-paetzel"))[0] == PAETZEL
    venues = suggest(client, "entity", prefix="Stadthalle", type=VENUE)
    expected = select(store, 'SELECT ?v WHERE { ?v a rk:Venue ; rdfs:label ?l FILTER(STRSTARTS(?l, "Stadthalle")) }')
    assert sorted(ids(venues)) == sorted(r["v"] for r in expected)
    assert all(v["notable"] == [{"id": VENUE, "name": "Veranstaltungsort"}] for v in venues)
    page1 = suggest(client, "entity", prefix="s", limit=5)
    page2 = suggest(client, "entity", prefix="s", limit=5, cursor=5)
    assert len(page1) == len(page2) == 5 and not set(ids(page1)) & set(ids(page2))
    assert suggest(client, "entity", prefix="xyzzy") == []


def test_suggest_types_and_properties(client):
    assert suggest(client, "type", prefix="Ress")[0]["id"] == MINISTRY
    assert suggest(client, "type", prefix="ministry")[0]["id"] == MINISTRY  # English label, any request language
    assert suggest(client, "type", prefix="rk:Ven")[0]["id"] == VENUE
    everything = suggest(client, "type", prefix="", limit=100)
    assert {PERSON, MINISTRY, VENUE, CITY, PLACE} <= {t["id"] for t in everything}
    assert str(RK.SourceExcerpt) not in {t["id"] for t in everything}
    assert suggest(client, "property", prefix="stadt")[0]["id"] == str(RK.city)
    assert suggest(client, "property", prefix="organi")[0]["id"] == str(RK.representing)


# --------------------------------------------------------------------------- preview


def test_preview_is_a_small_escaped_page(client):
    resp = client.get("/reconcile/preview", query_string={"id": PAETZEL}, headers={"Accept-Language": "de"})
    assert resp.status_code == 200 and resp.mimetype == "text/html"
    page = resp.get_data(as_text=True)
    assert '<h1><a href="http://localhost/id/person/ulrich-paetzel"' in page
    assert "Vorstandsvorsitzender" in page and "Emschergenossenschaft" in page and "Person" in page
    assert "default-src 'none'" in resp.headers["Content-Security-Policy"]
    org = client.get("/reconcile/preview", query_string={"id": "organization:dr-ausbuettel"}).get_data(as_text=True)
    assert "Dr. Ausbüttel &amp; Co. GmbH" in org and "Ausbüttel & Co" not in org


def test_preview_escapes_every_value(client, monkeypatch):
    monkeypatch.setattr(reconcile.Entity, "name", lambda self, lang: '<script>alert("x")</script>')
    page = client.get("/reconcile/preview", query_string={"id": PAETZEL}).get_data(as_text=True)
    assert "<script>" not in page and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page


def test_preview_of_an_unknown_or_missing_id(client):
    problem(client.get("/reconcile/preview", query_string={"id": ID + "person/nobody"}), 404, "not an entity")
    problem(client.get("/reconcile/preview"), 400, "missing parameter: id")
    problem(client.get("/reconcile/view", query_string={"id": "<b>"}), 404)


# --------------------------------------------------------------------------- data extension


def test_propose_properties(client):
    def proposed(type_: str) -> list[str]:
        resp = client.get("/reconcile/properties", query_string={"type": type_})
        assert resp.status_code == 200 and resp.get_json()["type"] == type_
        return [p["id"] for p in resp.get_json()["properties"]]

    assert {str(RK.city), "http://www.w3.org/2000/01/rdf-schema#label"} <= set(proposed(VENUE))
    assert str(RK.leadMinistry) in proposed(str(RK.Forum))
    assert {str(RK.representing), str(RK.position)} <= set(proposed(PERSON))
    assert str(RK.city) not in proposed(PERSON)
    limited = client.get("/reconcile/properties", query_string={"type": PERSON, "limit": 2}).get_json()
    assert len(limited["properties"]) == 2 and limited["limit"] == 2


def test_extend_adds_columns_from_the_data(client, store):
    venue, forum = ID + "venue/zollverein", ID + "forum/14"
    props = [str(RK.city), str(RK.leadMinistry), str(RK.representing), "http://www.w3.org/2000/01/rdf-schema#label",
             "http://www.w3.org/2004/02/skos/core#exactMatch", str(RK.number)]  # fmt: skip
    query = {"ids": [venue, forum, PAETZEL, ID + "person/nobody"], "properties": [{"id": p} for p in props]}
    resp = client.post("/reconcile", data={"extend": json.dumps(query)}, headers={"Accept-Language": "de"})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    data = resp.get_json()
    jsonschema.validate(data, EXTENSION_SCHEMA)
    assert [m["id"] for m in data["meta"]] == props
    assert next(m for m in data["meta"] if m["id"] == str(RK.city))["type"]["id"] == CITY
    rows = data["rows"]
    [city] = select(store, f"SELECT ?c ?l WHERE {{ <{venue}> rk:city ?c . ?c rdfs:label ?l }}")
    assert rows[venue][str(RK.city)] == [{"id": city["c"], "name": city["l"]}]
    [lead] = select(
        store, f'SELECT ?m ?l WHERE {{ <{forum}> rk:leadMinistry ?m . ?m rdfs:label ?l FILTER(LANG(?l) = "de") }}'
    )
    assert rows[forum][str(RK.leadMinistry)] == [{"id": lead["m"], "name": lead["l"]}]
    assert rows[forum][str(RK.number)] == [{"int": 14}]
    assert rows[PAETZEL][str(RK.representing)] == [{"id": ID + "organization/emschergenossenschaft",
                                                    "name": "Emschergenossenschaft"}]  # fmt: skip
    assert rows[PAETZEL]["http://www.w3.org/2000/01/rdf-schema#label"] == [{"str": "Ulrich Paetzel"}]
    linked = {f"https://w3id.org/ruhrkg/id/{r.entity}": r.qid for r in links.load() if r.status == "verified"}
    expected = [{"str": linked[venue]}] if venue in linked else []  # the verified Wikidata link, if any
    assert rows[venue]["http://www.w3.org/2004/02/skos/core#exactMatch"] == expected
    assert all(v == [] for v in rows[ID + "person/nobody"].values())
    limited = {"ids": [forum], "properties": [{"id": str(RK.participatingMinistry), "settings": {"limit": 1}}]}
    assert len(client.get("/reconcile", query_string={"extend": json.dumps(limited)}).get_json()["rows"][forum][
        str(RK.participatingMinistry)]) == 1  # fmt: skip


# --------------------------------------------------------------------------- JSONP, CORS, errors


def test_jsonp(client):
    resp = client.get("/reconcile?callback=jQuery123_456")
    assert resp.status_code == 200 and resp.mimetype == "application/javascript"
    body = resp.get_data(as_text=True)
    m = re.fullmatch(r"/\*\*/jQuery123_456\((.*)\);\n", body, re.S)
    assert m and json.loads(m.group(1))["identifierSpace"] == ID
    posted = client.post("/reconcile", data={"queries": json.dumps({"q0": {"query": "MKW"}}), "callback": "cb.done"})
    assert posted.get_data(as_text=True).startswith("/**/cb.done(")
    assert client.get("/reconcile/suggest/entity?prefix=mkw&callback=f").get_data(as_text=True).startswith("/**/f(")
    for bad in ("alert(1)", "a;b", "x" * 400, "1abc", "a b"):
        problem(client.get("/reconcile", query_string={"callback": bad}), 400, "callback")


def test_cors_and_preflight(client):
    preflight = client.options(
        "/reconcile",
        headers={"Origin": "http://127.0.0.1:3333", "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "Content-Type"},
    )  # fmt: skip
    assert preflight.status_code in (200, 204)
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert "Content-Type" in preflight.headers["Access-Control-Allow-Headers"]
    posted = client.post("/reconcile", data={"queries": "{}"}, headers={"Origin": "http://127.0.0.1:3333"})
    assert posted.status_code == 200 and posted.get_json() == {}
    assert posted.headers["Access-Control-Allow-Origin"] == "*"


BAD_BATCHES = [
    ("{not json", 400, "not valid JSON"),
    ("[1, 2]", 400, "must be a JSON object"),
    ('"Essen"', 400, "must be a JSON object"),
    ('{"q0": 5}', 400, "q0 must be a JSON object"),
    ('{"q0": {"query": 5, "limit": "abc"}}', 400, "q0.limit must be an integer"),
    ('{"q0": {"query": "x", "limit": 0}}', 400, "q0.limit must be between 1"),
    ('{"q0": {"query": "x", "limit": -3}}', 400, "q0.limit"),
    ('{"q0": {"query": "x", "limit": 1e12}}', 400, "q0.limit"),
    ('{"q0": {"query": "x", "limit": true}}', 400, "q0.limit must be an integer"),
    ('{"q0": {"query": "x", "limit": NaN}}', 400, "not valid JSON"),
    ('{"q0": {"query": ["x"]}}', 400, "q0.query must be a string"),
    ('{"q0": {"query": "x", "type": 5}}', 400, "q0.type"),
    ('{"q0": {"query": "x", "type_strict": "maybe"}}', 400, "type_strict"),
    ('{"q0": {"query": "x", "properties": {"pid": "city"}}}', 400, "properties must be a list"),
    ('{"q0": {"query": "x", "properties": [{"pid": "city"}]}}', 400, 'with "pid" and "v"'),
    ('{"q0": {"query": "x", "properties": [{"pid": "city", "v": [[1]]}]}}', 400, "q0.properties[0].v"),
    ('{"q0": {"query": "  "}}', 400, "needs a non-empty query or properties"),
    ('{"q0": {}}', 400, "needs a non-empty query or properties"),
    (json.dumps({"q0": {"query": "x" * 501}}), 400, "longer than 500"),
    (json.dumps({"q0": {"query": "x\x00y"}}), 400, "NUL"),
    (json.dumps({f"q{i}": {"query": "x"} for i in range(101)}), 413, "at most 100 queries"),
    ("[" * 100_000 + "]" * 100_000, 400, "nested too deeply"),
    (json.dumps({"q0": {"query": "x", "pad": "y" * 600_000}}), 413, "longer than"),
]


@pytest.mark.parametrize(("queries", "status", "reason"), BAD_BATCHES, ids=[r for _, _, r in BAD_BATCHES])
def test_bad_batches_get_a_4xx_with_a_reason(client, queries, status, reason):
    problem(client.post("/reconcile", data={"queries": queries}), status, reason)


@pytest.mark.parametrize(
    ("method", "url", "data", "status", "reason"),
    [
        ("post", "/reconcile", {}, 400, "missing parameter"),
        ("post", "/reconcile", {"queries": "{}", "extend": "{}"}, 400, "send one of"),
        ("get", "/reconcile?query=%7Bbroken", None, 400, "not valid JSON"),
        ("post", "/reconcile", {"extend": "[]"}, 400, "extend must be"),
        ("post", "/reconcile", {"extend": '{"ids": [1], "properties": []}'}, 400, "extend.ids[] must be a string"),
        ("post", "/reconcile", {"extend": '{"ids": [], "properties": [{"name": "x"}]}'}, 400, 'string "id"'),
        ("get", "/reconcile/suggest/entity", None, 400, "missing parameter: prefix"),
        ("get", "/reconcile/suggest/entity?prefix=a&limit=x", None, 400, "limit must be an integer"),
        ("get", "/reconcile/suggest/type?prefix=a&cursor=-1", None, 400, "cursor must be between"),
        ("get", "/reconcile/suggest/property?prefix=" + "a" * 501, None, 400, "longer than 500"),
        ("get", "/reconcile/properties?type=Venue&limit=many", None, 400, "limit must be an integer"),
        ("get", "/reconcile/view", None, 400, "missing parameter: id"),
    ],
)
def test_other_bad_input_gets_a_4xx_with_a_reason(client, method, url, data, status, reason):
    resp = client.post(url, data=data) if method == "post" else client.get(url)
    problem(resp, status, reason)


def test_an_oversized_body_is_refused_in_json(app, client):
    limit = app.config["MAX_CONTENT_LENGTH"]
    problem(client.post("/reconcile", data={"queries": "x" * (limit + 10)}), 413)


# --------------------------------------------------------------------------- rebuilds and the real server


def test_the_index_follows_a_rebuild(tmp_path):
    root = tmp_path / "data"
    building.build(data_dir=root)
    app = create_app({"data_dir": str(root), "workers": 1, "access_log": False})
    try:
        client = app.test_client()
        query = {"query": "Heimat.Ruhr", "type": str(RK.Forum)}
        before = one(client, query)[0]
        assert before["id"] == ID + "forum/11" and before["match"]
        source = tmp_path / "changed.txt"
        source.write_text(
            building.packaged_source().replace("\nHeimat.Ruhr\n", "\nHeimat.Ruhrgebiet\n"), encoding="utf-8"
        )
        building.build(source=source, data_dir=root)
        after = one(client, query)[0]
        assert after["id"] == ID + "forum/11" and not after["match"] and "Ruhrgebiet" in after["name"]
        assert one(client, {"query": "Heimat.Ruhrgebiet", "type": str(RK.Forum)})[0]["match"]
    finally:
        app.extensions["ruhrkg"].close()


def test_a_batch_against_the_real_server(live_server):
    with urllib.request.urlopen(live_server + "/reconcile", timeout=30) as resp:
        manifest = json.loads(resp.read())
    assert manifest["identifierSpace"] == ID and manifest["suggest"]["entity"]["service_url"].startswith(live_server)
    body = urllib.parse.urlencode({"queries": json.dumps(OPENREFINE_BATCH)}).encode()
    request = urllib.request.Request(live_server + "/reconcile", data=body, headers={"Origin": "http://localhost:3333"})
    with urllib.request.urlopen(request, timeout=60) as resp:
        assert resp.headers["Content-Type"].startswith("application/json")
        assert resp.headers["Access-Control-Allow-Origin"] == "*"
        data = json.loads(resp.read())
    jsonschema.validate(data, RESULT_BATCH_SCHEMA)
    assert data["q0"]["result"][0]["id"] == PAETZEL and data["q0"]["result"][0]["match"]
    assert data["q3"]["result"][0]["id"] == MKW
    assert data["q5"]["result"][0]["id"] == ID + "venue/stadthalle-kamen"
