"""Regression tests for the faults issue 13 found in the endpoint, each through the app's real WSGI stack.

Each test fails on the code before the rebuild (commit 518a9bc): the cache keyed without the base IRI, header
parsing without a bound, the lexer reading ``\\u0053ERVICE`` as a word, vendor functions checked on the prefix
only (and only in remote mode), undecodable text decoded lossily, an unknown function answered with 500, and a
result cache bounded by entries instead of bytes.
"""

from __future__ import annotations

import json
import logging
import socket
import time

import pytest

from ruhrkg.server import accesslog
from ruhrkg.server.backend import CachedResult, ResultCache

RELATIVE = "SELECT ?x WHERE { BIND(<rel> AS ?x) }"


def value(resp) -> str:
    return json.loads(resp.data)["results"]["bindings"][0]["x"]["value"]


def test_the_host_header_cannot_poison_the_result_cache(client):
    for _ in range(4):
        resp = client.get("/sparql", query_string={"query": RELATIVE}, headers={"Host": "evil.example"})
        assert resp.status_code == 200 and value(resp) == "http://evil.example/rel"
        evil_etag = resp.headers["ETag"]
    for _ in range(6):
        resp = client.get("/sparql", query_string={"query": RELATIVE})
        assert value(resp) == "http://localhost/rel"
        assert resp.headers["ETag"] != evil_etag


def test_a_configured_public_url_is_the_base_whatever_the_host(make_app):
    client = make_app(public_url="https://ruhrkg.example.org").test_client()
    resp = client.get("/sparql", query_string={"query": RELATIVE}, headers={"Host": "evil.example"})
    assert value(resp) == "https://ruhrkg.example.org/rel"


@pytest.mark.parametrize("header", ["Accept", "Accept-Language"])
@pytest.mark.parametrize("path", ["/sparql?query=ASK%7B%7D", "/queries/forums", "/"])
def test_an_oversized_negotiation_header_is_refused_at_once(client, header, path):
    value_ = ", ".join(f"text/x-{i};q=0.{i % 9 + 1}" for i in range(60_000))  # about 1 MB
    started = time.process_time()
    resp = client.get(path, headers={header: value_})
    assert resp.status_code == 400 and header.encode() in resp.data
    assert time.process_time() - started < 0.2


def test_a_long_but_allowed_accept_header_still_negotiates(client):
    accept = ", ".join([f"text/x-{i};q=0.1" for i in range(150)] + ["text/csv"])
    assert len(accept) < 4096
    resp = client.get("/sparql", query_string={"query": "SELECT * {}"}, headers={"Accept": accept})
    assert resp.status_code == 200 and resp.mimetype == "text/csv"


@pytest.mark.parametrize("query", [
    r"SELECT * { \u0053ERVICE <http://127.0.0.1:{port}/> { ?s ?p ?o } }",
    r"SELECT * { SERVIC\u0045 <http://127.0.0.1:{port}/> { ?s ?p ?o } }",
    r"SELECT * { \U00000053ERVICE <http://127.0.0.1:{port}/> { ?s ?p ?o } }",
    # one string literal to a lexer that decodes escapes only inside strings (Oxigraph), a SERVICE to Jena:
    r"SELECT * { BIND('\u0027 AS ?a) SERVICE <http://127.0.0.1:{port}/> { ?s ?p ?o } BIND(\u0027' AS ?b) }",
])  # fmt: skip
def test_an_escaped_service_keyword_is_refused_without_contact(client, query):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(5)
        listener.settimeout(0.3)
        resp = client.get("/sparql", query_string={"query": query.replace("{port}", str(listener.getsockname()[1]))})
        assert resp.status_code == 403 and b"SERVICE <http://127.0.0.1:" in resp.data, resp.data
        with pytest.raises(TimeoutError):
            listener.accept()


def test_an_escaped_backslash_cannot_form_a_second_escape(client):
    resp = client.get("/sparql", query_string={"query": r"SELECT * { \u005Cu0053ERVICE <http://a/> {} }"})
    assert resp.status_code == 400 and b"not allowed" in resp.data


@pytest.mark.parametrize("query", [
    "PREFIX b: <bi> SELECT (b:f:http_get(<http://169.254.169.254/>) AS ?x) {}",
    "SELECT (<bif:http_get>(<http://169.254.169.254/>) AS ?x) {}",
    "PREFIX j: <java:org.example.> SELECT (j:Evil(1) AS ?x) {}",
    "BASE <sql:> SELECT (<x>(1) AS ?x) {}",
    r"SELECT (<\u0062if:http_get>(1) AS ?x) {}",
])  # fmt: skip
def test_vendor_functions_are_refused_on_their_expanded_iri(client, query):
    resp = client.get("/sparql", query_string={"query": query})
    assert resp.status_code == 403 and b"extension" in resp.data, resp.data


@pytest.mark.parametrize("request_", [
    ("GET", "/sparql?query=ASK%7B%7D%FF%FE", None, None),
    ("GET", "/sparql?query=%FF%FE", None, None),
    ("POST", "/sparql", b"query=ASK%7B%7D%FF", "application/x-www-form-urlencoded"),
    ("POST", "/sparql", b"ASK {} # \xff\xfe", "application/sparql-query"),
    ("GET", "/queries/forums?lang=%FF", None, None),
    ("POST", "/reconcile", b"queries=%7B%7D%FF", "application/x-www-form-urlencoded"),
])  # fmt: skip
def test_text_that_is_not_utf8_is_a_400_never_a_different_query(client, request_):
    method, path, body, ctype = request_
    resp = client.open(path, method=method, data=body, content_type=ctype)
    assert resp.status_code == 400 and b"UTF-8" in resp.data, resp.data


def test_an_unknown_function_is_the_clients_error(client):
    resp = client.get("/sparql", query_string={"query": "SELECT (<urn:x-no-such-function>(1) AS ?x) {}"})
    assert resp.status_code == 400 and b"urn:x-no-such-function" in resp.data


@pytest.mark.parametrize(("path", "accept"), [
    ("/.well-known/void", "text/html"),  # found by the README's main command: this answered 500
    ("/.well-known/void?format=no-such-format", "*/*"),
    ("/doc/forum/14?format=no-such-format", "*/*"),
    ("/sparql?query=ASK%7B%7D&format=no-such-format", "*/*"),
])  # fmt: skip
def test_an_unoffered_representation_is_a_406_with_what_is_offered(client, path, accept):
    resp = client.get(path, headers={"Accept": accept})
    assert resp.status_code == 406, resp.data[:300]
    assert b"Traceback" not in resp.data and resp.mimetype == "text/plain"


def test_the_result_cache_is_bounded_in_bytes():
    cache = ResultCache(max_bytes=100_000, max_entry_bytes=20_000)
    for i in range(512):  # the same 10 KB answer for queries that differ only in a comment
        cache.put(f"key-{i}", CachedResult("select", "text/csv", b"x" * 10_000))
    assert cache.size <= 100_000 and len(cache._data) == 9
    assert cache.get("key-511") is not None and cache.get("key-0") is None
    cache.put("big", CachedResult("select", "text/csv", b"x" * 20_001))
    assert cache.get("big") is None


class _Lines(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(self.format(record))


def test_the_access_log_keeps_its_fields(make_app):
    client = make_app(access_log=True).test_client()
    handler = _Lines()
    handler.setFormatter(accesslog.JsonFormatter())
    accesslog.log.addHandler(handler)
    try:
        client.get("/sparql", query_string={"query": "ASK { ?s ?p ?o }"}).close()
        client.get("/queries/forums").close()  # (Flask writes the line when the server closes the response)
    finally:
        accesslog.log.removeHandler(handler)
    sparql, page = (json.loads(line) for line in handler.lines[-2:])
    assert set(sparql) == {"time", "method", "path", "status", "form", "cache", "query_sha1", "query_chars", "ms"}
    assert (sparql["path"], sparql["status"], sparql["form"], sparql["query_chars"]) == ("/sparql", 200, "ask", 16)
    assert page["path"] == "/queries/forums" and page["status"] == 200 and "query_sha1" not in page
