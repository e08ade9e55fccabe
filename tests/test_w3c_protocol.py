"""The W3C SPARQL 1.1 Protocol tests that apply to a read-only endpoint.

The request/expectation pairs come from the W3C manifest (w3c/rdf-tests,
``sparql/sparql11/protocol/manifest.ttl``), extracted mechanically into
``tests/data/sparql11-protocol-tests.json``. The dataset tests name graphs
``http://kasei.us/2009/09/sparql/data/data{0..3}.rdf``; the fixture store
holds those graphs beside our own, as the suite expects of a tested service.

Update tests expect a writable service; on ours every Update must be
refused with a 4xx instead, which is checked for each of them.
"""

from __future__ import annotations

import json
import urllib.parse
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph

from ruhrkg.graph import build as building
from ruhrkg.graph import remote
from ruhrkg.graph import store as stores

MANIFEST = json.loads((Path(__file__).parent / "data" / "sparql11-protocol-tests.json").read_text())
TESTS = MANIFEST["tests"]
KASEI = "http://kasei.us/2009/09/sparql/data/"
RDF_TYPES = {"application/rdf+xml": "xml", "text/turtle": "turtle", "application/n-triples": "nt"}


@pytest.fixture(scope="module")
def w3c_client(tmp_path_factory, engine_mode, app_in_mode, publish_to):
    """A build with the manifest's graphs beside ours, served in each engine mode (remote: published into an
    Oxigraph server, the manifest's graphs inserted there too)."""
    root = tmp_path_factory.mktemp("w3c")
    building.build(data_dir=root)
    st = ox.Store(str(stores.current(root).store_path))
    for n in range(4):
        doc = ox.NamedNode(f"{KASEI}data{n}.rdf")
        st.add(ox.Quad(doc, ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                       ox.NamedNode("http://xmlns.com/foaf/0.1/Document"), doc))  # fmt: skip
    st.flush()
    del st
    if engine_mode == "remote":
        graphs = " ".join(f"GRAPH <{KASEI}data{n}.rdf> {{ <{KASEI}data{n}.rdf> a <http://xmlns.com/foaf/0.1/Document> }}"
                          for n in range(4))  # fmt: skip
        remote.update(publish_to(root).spec, f"INSERT DATA {{ {graphs} }}")
    with app_in_mode(root, engine_mode) as app:
        yield app.test_client()


def is_update_test(test) -> bool:
    return any(
        "update" in r["headers"].get("content-type", "")
        or r.get("qs", "").startswith("update=")
        or (r.get("body") or "").startswith("update=")
        for r in test["requests"]
    ) or test["id"].startswith(("update", "bad_update"))


def send(client, req):
    body = req.get("body")
    data = body.encode(req.get("encoding") or "utf-8") if body is not None else None
    headers = dict(req["headers"])
    return client.open(
        "/sparql" + (f"?{req['qs']}" if req.get("qs") else ""),
        method=req["method"],
        data=data,
        headers=headers,
        content_type=headers.pop("content-type", None),
    )


def status_ok(status: int, expected: list[str]) -> bool:
    return any(str(status).startswith(e[0]) for e in expected)


def check_body(resp, req):
    mime = resp.mimetype
    fmt = req.get("expect_format")
    if fmt == "boolean":
        assert mime in ("application/sparql-results+json", "application/sparql-results+xml")
        if mime.endswith("json"):
            value = json.loads(resp.data)["boolean"]
        else:
            value = b"<boolean>true</boolean>" in resp.data
        if req.get("expect_boolean") is not None:
            assert value is req["expect_boolean"]
    elif fmt == "tabular":
        assert mime in ("application/sparql-results+json", "application/sparql-results+xml", "text/csv",
                        "text/tab-separated-values")  # fmt: skip
    elif fmt == "RDF":
        assert mime in RDF_TYPES
        Graph().parse(data=resp.data, format=RDF_TYPES[mime])


QUERY_TESTS = [t for t in TESTS if not is_update_test(t)]
UPDATE_TESTS = [t for t in TESTS if is_update_test(t)]


@pytest.mark.parametrize("test", QUERY_TESTS, ids=lambda t: t["id"])
def test_w3c_query(w3c_client, test):
    for req in test["requests"]:
        resp = send(w3c_client, req)
        assert status_ok(resp.status_code, req["expect_status"]), (resp.status_code, resp.data[:300])
        if resp.status_code < 300:
            check_body(resp, req)
        else:
            assert resp.mimetype == "text/plain" and resp.data.strip()


@pytest.mark.parametrize("test", UPDATE_TESTS, ids=lambda t: t["id"])
def test_w3c_update_is_refused(w3c_client, test):
    before = w3c_client.get("/sparql", query_string={"query": "SELECT (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } }"}).data
    for req in test["requests"]:
        resp = send(w3c_client, req)
        is_update = "update" in req["headers"].get("content-type", "") or "update=" in (
            req.get("qs", "") + (req.get("body") or "")
        )
        if is_update:
            assert 400 <= resp.status_code < 500, (resp.status_code, resp.data[:200])
    after = w3c_client.get("/sparql", query_string={"query": "SELECT (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } }"}).data
    assert before == after


def test_the_manifest_is_complete():
    assert len(QUERY_TESTS) >= 19 and len(UPDATE_TESTS) >= 13
    assert urllib.parse.unquote(QUERY_TESTS[0]["requests"][0]["body"]).startswith("query=")
