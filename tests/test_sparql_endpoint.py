"""The SPARQL endpoint through the Flask test client: protocol, negotiation, errors, descriptions, downloads."""

from __future__ import annotations

import csv
import io
import json

import pytest
from rdflib import Graph
from rdflib.plugins.sparql.results.xmlresults import XMLResultParser

FORUMS = "SELECT ?f WHERE { ?f a <https://w3id.org/ruhrkg/def#Forum> } ORDER BY ?f"
CONSTRUCT = "CONSTRUCT WHERE { <https://w3id.org/ruhrkg/id/forum/01> ?p ?o }"
COMBINED_ACCEPT = "application/sparql-results+json, application/sparql-results+xml;q=0.9, text/turtle;q=0.8, application/ld+json;q=0.7"


@pytest.fixture
def client(engine_app):
    return engine_app.test_client()


def test_get_select_json(client):
    resp = client.get("/sparql", query_string={"query": FORUMS})
    assert resp.status_code == 200
    assert resp.mimetype == "application/sparql-results+json"
    rows = json.loads(resp.data)["results"]["bindings"]
    assert len(rows) == 20


@pytest.mark.parametrize(
    ("accept", "mime"),
    [
        ("application/sparql-results+xml", "application/sparql-results+xml"),
        ("text/csv", "text/csv"),
        ("text/tab-separated-values", "text/tab-separated-values"),
        ("application/json", "application/sparql-results+json"),
        ("text/csv;q=0.5, application/sparql-results+xml;q=0.9", "application/sparql-results+xml"),
        ("*/*", "application/sparql-results+json"),
    ],
)
def test_select_negotiation(client, accept, mime):
    resp = client.get("/sparql", query_string={"query": FORUMS}, headers={"Accept": accept})
    assert resp.status_code == 200
    assert resp.mimetype == mime
    if mime == "text/csv":
        assert len(list(csv.reader(io.StringIO(resp.data.decode())))) == 21
    if mime.endswith("xml"):
        assert len(list(XMLResultParser().parse(io.BytesIO(resp.data)))) == 20


@pytest.mark.parametrize(
    ("accept", "mime", "rdflib_format"),
    [
        ("text/turtle", "text/turtle", "turtle"),
        ("application/n-triples", "application/n-triples", "nt"),
        ("application/ld+json", "application/ld+json", "json-ld"),
        ("application/rdf+xml", "application/rdf+xml", "xml"),
        ("application/n-quads", "application/n-quads", "nquads"),
        ("application/trig", "application/trig", "trig"),
    ],
)
def test_construct_negotiation(client, accept, mime, rdflib_format):
    resp = client.post("/sparql", data={"query": CONSTRUCT}, headers={"Accept": accept})
    assert resp.status_code == 200
    assert resp.mimetype == mime
    g = Graph() if rdflib_format not in ("nquads", "trig") else __import__("rdflib").Dataset()
    g.parse(data=resp.data, format=rdflib_format)
    assert len(g) > 10


def test_one_combined_accept_header_for_all_forms(client):
    select = client.get("/sparql", query_string={"query": FORUMS}, headers={"Accept": COMBINED_ACCEPT})
    construct = client.get("/sparql", query_string={"query": CONSTRUCT}, headers={"Accept": COMBINED_ACCEPT})
    assert select.mimetype == "application/sparql-results+json"
    assert construct.mimetype == "text/turtle"


def test_format_parameter_overrides_accept(client):
    resp = client.get(
        "/sparql", query_string={"query": FORUMS, "format": "csv"}, headers={"Accept": "application/sparql-results+xml"}
    )
    assert resp.mimetype == "text/csv"
    resp = client.get("/sparql", query_string={"query": CONSTRUCT, "format": "jsonld"})
    assert resp.mimetype == "application/ld+json"


def test_unsatisfiable_accept_is_406_listing_offers(client):
    resp = client.get("/sparql", query_string={"query": FORUMS}, headers={"Accept": "image/png"})
    assert resp.status_code == 406
    assert b"application/sparql-results+json" in resp.data and b"text/csv" in resp.data


def test_wrong_format_for_the_form_is_406(client):
    resp = client.get("/sparql", query_string={"query": FORUMS, "format": "turtle"})
    assert resp.status_code == 406


def test_post_sparql_query_body(client):
    resp = client.post("/sparql", data=FORUMS.encode(), content_type="application/sparql-query")
    assert resp.status_code == 200 and len(json.loads(resp.data)["results"]["bindings"]) == 20


@pytest.mark.parametrize(
    ("kwargs", "status", "reason"),
    [
        ({"query_string": {"query": "SELECT * WHERE { ?s ?p }"}}, 400, b"error at 1:"),
        ({"query_string": [("query", "ASK {}"), ("query", "ASK {}")]}, 400, b"more than one"),
        ({"method": "POST", "data": "ASK {}", "content_type": "text/plain"}, 415, b"unsupported Content-Type"),
        ({"method": "PUT", "query_string": {"query": "ASK {}"}}, 405, b"Method Not Allowed"),
        (
            {"method": "POST", "data": "ASK {}".encode("utf-16"), "content_type": "application/sparql-query"},
            400,
            b"UTF-8",
        ),
        ({"query_string": {"query": "INSERT DATA { <a:b> <a:c> <a:d> }"}}, 403, b"read-only"),
        ({"query_string": {"update": "CLEAR ALL"}}, 403, b"read-only"),
        ({"method": "POST", "data": "CLEAR ALL", "content_type": "application/sparql-update"}, 403, b"read-only"),
        ({"method": "POST", "data": {"update": "DROP ALL"}}, 403, b"read-only"),
        ({"query_string": {"query": FORUMS, "dataset": "everything"}}, 400, b"dataset"),
        ({"method": "POST", "data": {"nothing": "x"}}, 400, b"'query'"),
    ],
)
def test_protocol_errors(client, kwargs, status, reason):
    kwargs = dict(kwargs)  # the parameters are shared by both engine modes
    method = kwargs.pop("method", "GET")
    resp = client.open("/sparql", method=method, **kwargs)
    assert resp.status_code == status, resp.data
    assert resp.mimetype == "text/plain"
    assert reason in resp.data


def test_datasets_default_inferred_union_and_graph_uris(client):
    ask = "ASK { <https://w3id.org/ruhrkg/id/forum/01> a <http://www.w3.org/ns/org#OrganizationalCollaboration> }"
    get = lambda **p: json.loads(client.get("/sparql", query_string={"query": ask, **p}).data)["boolean"]  # noqa: E731
    assert get() is False
    assert get(dataset="inferred") is True
    assert get(dataset="union") is True
    assert get(**{"default-graph-uri": "https://w3id.org/ruhrkg/graph/inferred"}) is True
    named = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    graphs = {
        b["g"]["value"]
        for b in json.loads(client.get("/sparql", query_string={"query": named}).data)["results"]["bindings"]
    }
    assert graphs == {
        "https://w3id.org/ruhrkg/graph/data",
        "https://w3id.org/ruhrkg/graph/ontology",
        "https://w3id.org/ruhrkg/graph/inferred",
        "https://w3id.org/ruhrkg/graph/links",
    }


def test_etag_and_conditional_get(client):
    first = client.get("/sparql", query_string={"query": FORUMS})
    etag = first.headers["ETag"]
    assert "max-age" in first.headers["Cache-Control"]
    again = client.get("/sparql", query_string={"query": FORUMS}, headers={"If-None-Match": etag})
    assert again.status_code == 304
    other = client.get("/sparql", query_string={"query": FORUMS, "format": "csv"})
    assert other.headers["ETag"] != etag


def test_result_cache_hits(engine_app, client):
    cache = engine_app.extensions["ruhrkg"].cache
    q = FORUMS + " LIMIT 3"
    client.get("/sparql", query_string={"query": q}).get_data()
    hits = cache.hits
    body = client.get("/sparql", query_string={"query": q}).get_data()
    assert cache.hits == hits + 1
    assert len(json.loads(body)["results"]["bindings"]) == 3


def test_cors(client):
    resp = client.get("/sparql", query_string={"query": "ASK {}"}, headers={"Origin": "https://example.org"})
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    pre = client.options("/sparql", headers={"Origin": "https://example.org", "Access-Control-Request-Method": "POST",
                                              "Access-Control-Request-Headers": "Content-Type"})  # fmt: skip
    assert pre.status_code == 200
    assert "POST" in pre.headers["Access-Control-Allow-Methods"]
    assert "Content-Type" in pre.headers["Access-Control-Allow-Headers"].split(", ")


@pytest.mark.parametrize(("accept", "fmt"), [("text/turtle", "turtle"), ("application/ld+json", "json-ld")])
def test_service_description(client, accept, fmt):
    resp = client.get("/sparql", headers={"Accept": accept})
    assert resp.status_code == 200
    g = Graph().parse(data=resp.data, format=fmt)
    sd = "http://www.w3.org/ns/sparql-service-description#"
    q = f"""PREFIX sd: <{sd}> PREFIX void: <http://rdfs.org/ns/void#>
    SELECT ?name ?n WHERE {{ ?s a sd:Service ; sd:defaultDataset ?d . ?d sd:namedGraph ?ng . ?ng sd:name ?name ; sd:graph/void:triples ?n }}"""
    sizes = {str(r.name): int(r.n) for r in g.query(q)}
    assert sizes["https://w3id.org/ruhrkg/graph/data"] > 2000
    assert set(sizes) == {
        "https://w3id.org/ruhrkg/graph/data",
        "https://w3id.org/ruhrkg/graph/ontology",
        "https://w3id.org/ruhrkg/graph/inferred",
        "https://w3id.org/ruhrkg/graph/links",
    }


def test_service_description_html_goes_to_the_query_page(client):
    resp = client.get("/sparql", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert resp.mimetype == "text/html"
    assert b"<form" in resp.data


def test_void_and_dcat(client):
    resp = client.get("/.well-known/void", headers={"Accept": "text/turtle"})
    assert resp.status_code == 200
    g = Graph().parse(data=resp.data, format="turtle")
    q = """PREFIX void: <http://rdfs.org/ns/void#> PREFIX dcat: <http://www.w3.org/ns/dcat#>
    SELECT (COUNT(DISTINCT ?cp) AS ?classes) (COUNT(DISTINCT ?pp) AS ?props) (COUNT(DISTINCT ?dist) AS ?dists) WHERE {
      ?d a void:Dataset, dcat:Dataset ; void:classPartition ?cp ; void:propertyPartition ?pp ; dcat:distribution ?dist . }"""
    (row,) = list(g.query(q))
    assert int(row.classes) >= 10 and int(row.props) >= 30 and int(row.dists) == 12
    svc = list(
        g.query(
            "PREFIX dcat: <http://www.w3.org/ns/dcat#> SELECT ?u WHERE { ?s a dcat:DataService ; dcat:endpointURL ?u }"
        )
    )
    assert str(svc[0].u).endswith("/sparql")


def test_downloads(client, built):
    index = client.get("/downloads/").get_json()
    assert {f["name"] for f in index["files"]} >= {"ruhrkg.ttl", "ruhrkg.nt.gz", "ruhrkg.jsonld"}
    resp = client.get("/downloads/ruhrkg.ttl")
    assert resp.status_code == 200
    assert resp.mimetype == "text/turtle"
    assert resp.headers["Content-Disposition"].startswith("attachment")
    assert resp.headers["ETag"] and resp.headers["Last-Modified"]
    assert len(Graph().parse(data=resp.data, format="turtle")) > 5000
    resp.close()
    with client.get("/downloads/ruhrkg.ttl", headers={"If-None-Match": resp.headers["ETag"]}) as again:
        assert again.status_code == 304
    with client.get("/downloads/ruhrkg.ttl", headers={"If-Modified-Since": resp.headers["Last-Modified"]}) as since:
        assert since.status_code == 304
    assert client.get("/downloads/../pyproject.toml").status_code == 404
    assert client.get("/downloads/nope.ttl").status_code == 404


def test_a_rebuild_is_served_and_empties_the_cache(tmp_path, engine_mode, app_in_mode, publish_to):
    from ruhrkg.graph import build as building

    root = tmp_path / "data"
    building.build(data_dir=root)
    with app_in_mode(root, engine_mode) as app:
        client = app.test_client()
        q = {"query": "SELECT ?t WHERE { <https://w3id.org/ruhrkg/id/forum/11> <http://purl.org/dc/terms/title> ?t }"}
        first = client.get("/sparql", query_string=q)
        assert b"Heimat.Ruhr" in first.data
        assert client.get("/sparql", query_string=q).data == first.data  # cached
        source = tmp_path / "changed.txt"
        source.write_text(
            building.packaged_source().replace("\nHeimat.Ruhr\n", "\nHeimat.Ruhrgebiet\n"), encoding="utf-8"
        )
        building.build(source=source, data_dir=root)
        if engine_mode == "remote":
            publish_to(root)  # as `ruhrkg build --store` does
        second = client.get("/sparql", query_string=q)
        assert b"Heimat.Ruhrgebiet" in second.data
        assert second.headers["ETag"] != first.headers["ETag"]
        stale = client.get("/sparql", query_string=q, headers={"If-None-Match": first.headers["ETag"]})
        assert stale.status_code == 200
