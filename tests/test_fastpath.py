"""The WSGI fast path answers plain SPARQL queries exactly as the Flask view does, and leaves the rest to Flask."""

from __future__ import annotations

import json
import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.test import Client

from ruhrkg.server.app import create_app
from ruhrkg.server.executor import _PLAIN_PROLOGUE, QueryServiceError, query_form
from ruhrkg.server.fastpath import _Fallback, _parse

SELECT = (
    "SELECT ?n WHERE { ?f a <https://w3id.org/ruhrkg/def#Forum> ; <https://w3id.org/ruhrkg/def#number> ?n } ORDER BY ?n"
)
CONSTRUCT = "CONSTRUCT { ?f ?p ?o } WHERE { ?f a <https://w3id.org/ruhrkg/def#Forum> ; ?p ?o } LIMIT 5"
ASK = "ASK { <https://w3id.org/ruhrkg/id/forum/01> a <http://www.w3.org/ns/org#OrganizationalCollaboration> }"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}

#: (name, request keyword arguments, answered by the fast path?)
CASES = [
    ("select-json", {"query_string": {"query": SELECT}}, True),
    ("select-csv-accept", {"query_string": {"query": SELECT}, "headers": {"Accept": "text/csv"}}, True),
    ("select-xml-format", {"query_string": {"query": SELECT, "format": "xml"}}, True),
    (
        "select-qvalues",
        {"query_string": {"query": SELECT}, "headers": {"Accept": "text/turtle;q=1, text/tab-separated-values;q=0.5"}},
        True,
    ),  # fmt: skip
    ("construct-turtle", {"query_string": {"query": CONSTRUCT}}, True),
    ("construct-jsonld", {"query_string": {"query": CONSTRUCT}, "headers": {"Accept": "application/ld+json"}}, True),
    ("ask-inferred", {"query_string": {"query": ASK, "dataset": "inferred"}}, True),
    (
        "ask-graph-uri",
        {"query_string": {"query": ASK, "default-graph-uri": "https://w3id.org/ruhrkg/graph/inferred"}},
        True,
    ),  # fmt: skip
    ("post-form", {"method": "POST", "data": {"query": SELECT}, "headers": FORM}, True),
    (
        "post-form-format-in-url",
        {"method": "POST", "data": {"query": SELECT}, "headers": FORM, "query_string": {"format": "tsv"}},
        True,
    ),  # fmt: skip
    (
        "post-query",
        {"method": "POST", "data": SELECT.encode(), "headers": {"Content-Type": "application/sparql-query"}},
        True,
    ),  # fmt: skip
    ("malformed", {"query_string": {"query": "SELECT ?x WHERE { ?x ?y }"}}, True),
    ("service-refused", {"query_string": {"query": "SELECT * { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"}}, False),
    ("not-a-query", {"query_string": {"query": "{ ?s ?p ?o }"}}, False),
    ("update-in-query", {"query_string": {"query": "INSERT DATA { <a:b> <a:c> <a:d> }"}}, False),
    ("update-param", {"query_string": {"update": "CLEAR ALL"}}, False),
    ("two-queries", {"query_string": [("query", ASK), ("query", ASK)]}, False),
    ("bad-dataset", {"query_string": {"query": ASK, "dataset": "everything"}}, False),
    ("not-acceptable", {"query_string": {"query": SELECT}, "headers": {"Accept": "image/png"}}, False),
    ("service-description", {}, False),
    ("html", {"headers": {"Accept": "text/html"}}, False),
    ("wrong-content-type", {"method": "POST", "data": b"x", "headers": {"Content-Type": "text/plain"}}, False),
    (
        "bad-utf8-body",
        {"method": "POST", "data": b"ASK {} \xff", "headers": {"Content-Type": "application/sparql-query"}},
        False,
    ),  # fmt: skip
    (
        "latin1-charset",
        {
            "method": "POST",
            "data": ASK.encode(),
            "headers": {"Content-Type": "application/sparql-query; charset=latin-1"},
        },
        False,
    ),  # fmt: skip
    ("lang", {"query_string": {"query": ASK, "lang": "en"}}, False),
    ("umlaut-and-backslash", {"query_string": {"query": 'ASK { ?s ?p "Müß\\\\x41 %zz \\u00e9" }'}}, True),
    ("raw-query-string", {"query_string": "query=ASK+%7B%7D%20%23+a+%zz+comment&format=csv"}, True),
    ("form-raw-utf8", {"method": "POST", "data": "query=ASK+{+?s+?p+'ü'+}".encode(), "headers": FORM}, True),
    ("invalid-utf8-escape", {"query_string": "query=ASK+%7B%7D%23%FF"}, False),
    ("put", {"method": "PUT", "data": b""}, False),
]
IGNORED = {"Date", "Server"}


@pytest.fixture(scope="module")
def app(data_dir):
    app = create_app({"data_dir": str(data_dir), "access_log": False})
    yield app
    app.extensions["ruhrkg"].close()


def call(wsgi, kwargs: dict):
    kwargs = dict(kwargs)
    method = kwargs.pop("method", "GET")
    resp = Client(wsgi).open("/sparql", method=method, **kwargs)
    body = resp.get_data()
    resp.close()  # the server closes the body: that writes the access log
    headers = sorted((k, v) for k, v in resp.headers.items() if k not in IGNORED)
    return resp.status_code, headers, body


@pytest.mark.parametrize(("name", "kwargs", "fast"), CASES, ids=[c[0] for c in CASES])
def test_same_answer_as_flask(app, name, kwargs, fast):
    fastpath = app.wsgi_app
    flask_only = fastpath.app  # Flask's own wsgi_app, without the fast path
    app.extensions["ruhrkg"].cache.clear()
    before = fastpath.answered
    got = call(fastpath, kwargs)
    assert (fastpath.answered > before) is fast
    app.extensions["ruhrkg"].cache.clear()
    assert got == call(flask_only, kwargs)
    # and again from the cache, with a conditional GET
    again = call(fastpath, kwargs)
    assert again[:2] == got[:2] or name in ("malformed", "service-refused")
    etag = dict(got[1]).get("ETag")
    if etag and kwargs.get("method", "GET") == "GET" and got[0] == 200:
        conditional = {**kwargs, "headers": {**kwargs.get("headers", {}), "If-None-Match": etag}}
        assert call(fastpath, conditional)[0] == call(flask_only, conditional)[0] == 304


def test_the_fast_path_writes_the_same_access_log(data_dir, caplog):
    app = create_app({"data_dir": str(data_dir), "access_log": True})
    logger = logging.getLogger("ruhrkg.access")
    logger.addHandler(caplog.handler)
    try:
        with caplog.at_level(logging.INFO, logger="ruhrkg.access"):
            call(app.wsgi_app, {"query_string": {"query": SELECT}})
            call(app.wsgi_app.app, {"query_string": {"query": SELECT}})
    finally:
        logger.removeHandler(caplog.handler)
        app.extensions["ruhrkg"].close()
    fast, flask = (json.loads(r.getMessage()) for r in caplog.records[-2:])
    assert set(fast) == set(flask) and fast["cache"] == "miss" and flask["cache"] == "hit"
    for k in ("method", "path", "status", "form", "query_sha1", "query_chars"):
        assert fast[k] == flask[k]
    assert fast["ms"] > 0


def test_a_large_result_streams_through_the_fast_path(data_dir):
    app = create_app({"data_dir": str(data_dir), "access_log": False, "cache_max_bytes": 1000})
    try:
        status, headers, body = call(app.wsgi_app, {"query_string": {"query": "SELECT * WHERE { ?s ?p ?o }"}})
        assert status == 200 and "Content-Length" not in dict(headers)
        assert len(json.loads(body)["results"]["bindings"]) > 2000
        assert app.wsgi_app.answered == 1
    finally:
        app.extensions["ruhrkg"].close()


# --------------------------------------------------------------------------- the fast path's own parsers

FIELD_PIECES = ["a", "query", "=", "&", "+", " ", "%", "%41", "%2", "%zz", "%25", "%26", "%3D", "%2B", "%5C", "\\", "\\x41",
                "%C3%A9", "%C3", "%FF", "é", "ß", "€", ";"]  # fmt: skip


@given(st.lists(st.sampled_from(FIELD_PIECES), max_size=16).map("".join))
def test_the_fast_field_parser_agrees_with_the_standard_library(text):
    """``_parse`` (a C decoder for percent-escapes) reads a WSGI string as ``parse_qsl`` reads its UTF-8 text."""
    from urllib.parse import parse_qsl

    wsgi = text.encode("utf-8").decode("latin-1")  # what a WSGI server passes: one character per byte
    try:
        expected: dict | str = {}
        for k, v in parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict"):
            expected.setdefault(k, []).append(v)
    except UnicodeDecodeError:
        expected = "fallback"
    try:
        got: dict | str = _parse(wsgi)
    except _Fallback:
        got = "fallback"
    assert got == expected


PROLOGUE_PIECES = [" ", "\n", "\t", "\r", "\u00a0", "# SELECT c\n", "# x\rSELECT", "#", "PREFIX a: <http://a/#x> ", "prefix:<x>", "PREFIX .: <x> ", "PREFIX a.: <x> ", "PREFIX 1a: <x> ", "PREFIX a-b.c_d: <x> ", "PREFIX _a: <x> ",
                   "PREFIX .: <x> ", "PREFIX a.: <x> ", "PREFIX 1a: <x> ", "PREFIX a-b.c_d: <x> ", "PREFIX _a: <x> ", "BASE <http://b/> ", "base<x>", "VERSION '1.2' ", "<x> ", "INSERT DATA {} ",
                   "SELECT * {}", "select(1 AS ?x){}", "SELECTx {}", "ASK{}", "construct {} {}", "DESCRIBE <a>",
                   "DELETE WHERE {}", "'", "{"]  # fmt: skip


@given(st.lists(st.sampled_from(PROLOGUE_PIECES), max_size=8).map("".join))
def test_the_quick_prologue_pattern_finds_the_form_the_lexer_finds(text):
    m = _PLAIN_PROLOGUE.match(text)
    if m is None:
        return  # the lexer decides
    try:
        form = query_form(text)
    except QueryServiceError:
        form = "error"
    assert m.group(1).lower() == form


def test_the_access_log_handler_writes_one_json_line_per_request(data_dir):
    """With only its own handler, the access log writes the line straight to the stream (no LogRecord)."""
    import io

    from ruhrkg.server.app import AccessLogHandler

    app = create_app({"data_dir": str(data_dir), "access_log": True})
    logger = logging.getLogger("ruhrkg.access")
    handler = next(h for h in logger.handlers if type(h) is AccessLogHandler)
    stream, handler.stream = handler.stream, io.StringIO()
    others, logger.handlers = logger.handlers, [handler]
    try:
        call(app.wsgi_app, {"query_string": {"query": ASK}})
        call(app.wsgi_app, {"query_string": {"query": ASK, "lang": "en"}})  # the Flask view
        lines = handler.stream.getvalue().splitlines()
    finally:
        handler.stream, logger.handlers = stream, others
        app.extensions["ruhrkg"].close()
    fast, flask = (json.loads(line) for line in lines)
    assert fast["status"] == flask["status"] == 200 and fast["path"] == "/sparql" and fast["form"] == "ask"
    assert fast["query_sha1"] == flask["query_sha1"] and fast["time"].endswith("Z") and fast["ms"] > 0


@given(
    method=st.sampled_from(["GET", "POST"]),
    status=st.sampled_from([200, 304, 400, 403, 503]),
    form=st.sampled_from(["select", "ask", "construct", "describe"]),
    cache=st.sampled_from(["hit", "miss"]),
    query=st.text(min_size=1, max_size=40),  # (an empty query never reaches the fast path's log)
)
def test_the_fast_access_line_is_the_json_the_flask_view_logs(method, status, form, cache, query):
    """``sparql_access_line`` formats by hand exactly what ``json.dumps`` of ``access_record`` gives."""
    import time

    from ruhrkg.server.app import access_record, sparql_access_line

    started = time.perf_counter() - 0.0123
    line = sparql_access_line(method, status, form, cache, query, started)
    record = access_record(method, "/sparql", status, form, cache, query)
    parsed = json.loads(line)
    record["ms"] = parsed["ms"]
    assert line == json.dumps(record, ensure_ascii=False)
    assert 12.3 <= parsed["ms"] < 1000


def test_every_part_of_a_sparql_request_changes_its_cache_key(app):
    """The query text goes into the key as it is, last: no other field's value can be forged inside it."""
    backend = app.extensions["ruhrkg"]
    base = ("ASK {}", "default", (), (), "json")
    variants = [
        ("ASK { }", "default", (), (), "json"),
        ("ASK {}", "inferred", (), (), "json"),
        ("ASK {}", "default", ("https://w3id.org/ruhrkg/graph/data",), (), "json"),
        ("ASK {}", "default", (), ("https://w3id.org/ruhrkg/graph/data",), "json"),
        ("ASK {}", "default", (), (), "xml"),
        ("ASK {}\x00json", "default", (), (), ""),
    ]
    keys = {backend.sparql_key(*v) for v in [base, *variants]}
    assert len(keys) == len(variants) + 1
    assert backend.sparql_key(*base) == backend.sparql_key(*base)  # stable: an ETag
    assert all(len(k) == 32 and int(k, 16) >= 0 for k in keys)
