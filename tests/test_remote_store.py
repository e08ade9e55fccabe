"""Remote mode against a real Oxigraph server: `ruhrkg build --store` and `ruhrkg serve --store`.

Publishing (sizes equal the manifest, a second build swaps the graphs completely, failures keep the previous
graphs and the local build), and serving (every saved query answers as in local mode, standard clients work,
Update and SERVICE are refused before anything is sent, a store that does not answer in time gives 503
naming the limit, a store that is down gives 502 with a reason).
"""

from __future__ import annotations

import concurrent.futures
import json
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from ruhrkg.graph import build as building
from ruhrkg.graph import remote, saved
from ruhrkg.graph import store as stores
from ruhrkg.mappings.vocab import GRAPHS
from ruhrkg.server.app import create_app
from ruhrkg.server.config import Settings
from ruhrkg.server.query.errors import QueryFailed, QueryRejected, QuerySyntaxError, QueryTimeout, StoreUnavailable
from ruhrkg.server.query.service import remote_service

LIVE = [str(g) for g in GRAPHS.values()]
TITLE = "SELECT ?t WHERE { <https://w3id.org/ruhrkg/id/forum/11> <http://purl.org/dc/terms/title> ?t }"


def _graphs_in(spec) -> set[str]:
    return {r["g"] for r in remote.select(spec, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")}


def _sizes(spec) -> dict[str, int]:
    return remote.graph_sizes(spec, LIVE)


def _expected(build: stores.Build) -> dict[str, int]:
    return {str(GRAPHS[name]): n for name, n in build.manifest["triples"].items()}


@pytest.fixture(scope="module")
def published(tmp_path_factory, oxigraph_server):
    """A data directory built with --store into a fresh Oxigraph server: (server, data_dir, build)."""
    server = oxigraph_server()
    root = tmp_path_factory.mktemp("remote-build")
    result = building.build(data_dir=root, remote_store=server.spec)
    return server, root, result.build


# --------------------------------------------------------------------------- publishing


def test_the_remote_graphs_have_the_sizes_of_the_manifest(published):
    server, _, build = published
    assert _sizes(server.spec) == _expected(build)
    assert _graphs_in(server.spec) == set(LIVE)  # no staging or previous graphs left
    recorded = build.manifest["store"]
    assert recorded["query"] == server.url + "/query" and recorded["update"] == server.url + "/update"
    assert recorded["method"] in ("gsp", "update") and recorded["triples"] == build.manifest["triples"]


def test_the_remote_graphs_hold_the_local_triples(published):
    server, _, build = published
    local = build.open_store()
    for iri in LIVE:
        quads = list(local.quads_for_pattern(None, None, None, _node(iri)))
        rows = remote.select(server.spec, f"SELECT ?s ?p ?o WHERE {{ GRAPH <{iri}> {{ ?s ?p ?o }} }}")
        assert len(rows) == len(quads)
        theirs = {(r["s"], r["p"], r["o"]) for r in rows}
        assert {(q.subject.value, q.predicate.value, q.object.value) for q in quads if not _has_bnode(q)} <= theirs


def test_a_second_build_swaps_the_graphs_completely(published, tmp_path):
    server, root, first = published
    source = tmp_path / "changed.txt"
    source.write_text(building.packaged_source().replace("\nHeimat.Ruhr\n", "\nHeimat.Ruhrgebiet\n"), encoding="utf-8")
    second = building.build(source=source, data_dir=root, remote_store=server.spec).build
    try:
        assert _sizes(server.spec) == _expected(second)
        assert _graphs_in(server.spec) == set(LIVE)
        titles = {r["t"] for r in remote.select(server.spec, TITLE.replace("WHERE {", "WHERE { GRAPH ?g {") + " }")}
        assert titles == {"Heimat.Ruhrgebiet"}  # the old title is gone from every graph
        versions = remote.select(
            server.spec,
            f"SELECT ?v WHERE {{ GRAPH <{LIVE[0]}> {{ ?d <http://www.w3.org/ns/dcat#version> ?v }} }}",
        )
        assert {r["v"] for r in versions} == {second.version}
    finally:
        building.build(data_dir=root, remote_store=server.spec)  # back to the real document for the other tests
    assert first.version != second.version


def test_a_store_restart_leaves_no_query_failing_on_a_stale_connection(published):
    """A restart closes every kept-alive connection in our pool; each query retries once, on a new connection."""
    server, _, _ = published
    svc = remote_service(server.spec, timeout=30)
    slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d <http://purl.org/dc/terms/title> ?f }"  # ~0.1 s: they overlap
    try:
        with concurrent.futures.ThreadPoolExecutor(3) as pool:
            list(pool.map(lambda _: b"".join(svc.execute(slow).chunks), range(3)))
        assert len(svc.engine._idle) >= 2  # several kept-alive connections, all closed by the restart
        server.stop()
        server.start()
        answers = [json.loads(b"".join(svc.execute(TITLE).chunks)) for _ in range(3)]
        assert all(a["results"]["bindings"] for a in answers)
    finally:
        svc.close()


def test_a_stopped_store_fails_the_build_and_changes_nothing(published, tmp_path):
    server, root, _ = published
    before_build, before_sizes = stores.current(root), _sizes(server.spec)
    source = tmp_path / "changed.txt"
    source.write_text(building.packaged_source().replace("\nHeimat.Ruhr\n", "\nHeimat.X\n"), encoding="utf-8")
    server.stop()
    try:
        with pytest.raises(building.BuildError, match="publishing to the SPARQL store failed: cannot reach"):
            building.build(source=source, data_dir=root, remote_store=server.spec)
    finally:
        server.start()
    assert stores.current(root).path == before_build.path
    assert _sizes(server.spec) == before_sizes
    assert "Heimat.X" not in json.dumps(
        remote.select(server.spec, TITLE.replace("WHERE {", "FROM <" + LIVE[0] + "> WHERE {"))
    )


def test_a_refused_switch_keeps_the_previous_graphs(published, tmp_path):
    """GSP uploads work, the update endpoint answers 404: the switch fails, the live graphs stay, and the
    staging graphs it could not drop are dropped by the next build (listed in the data directory)."""
    server, root, _ = published
    before_build, before_sizes = stores.current(root), _sizes(server.spec)
    broken = remote.StoreSpec.parse(None, query=server.url + "/query", update=server.url + "/nothing",
                                    gsp=server.url + "/store", env={})  # fmt: skip
    source = tmp_path / "changed.txt"
    source.write_text(building.packaged_source().replace("\nHeimat.Ruhr\n", "\nHeimat.Y\n"), encoding="utf-8")
    with pytest.raises(building.BuildError, match=r"refused an update \(HTTP 404\)"):
        building.build(source=source, data_dir=root, remote_store=broken)
    assert stores.current(root).path == before_build.path
    assert _sizes(server.spec) == before_sizes
    assert any(g.startswith(remote.STAGING) for g in _graphs_in(server.spec))  # left by the failed build
    assert (root / remote.PENDING_FILE).exists()
    building.build(data_dir=root, remote_store=server.spec)
    assert _graphs_in(server.spec) == set(LIVE)
    assert not (root / remote.PENDING_FILE).exists()


def test_a_wrong_size_after_the_switch_restores_the_previous_graphs(published, monkeypatch, tmp_path):
    server, root, _ = published
    before_build, before_sizes = stores.current(root), _sizes(server.spec)
    real = remote.graph_sizes

    def lying(spec, graphs, **kw):
        found = real(spec, graphs, **kw)
        return {g: n + (1 if g in LIVE else 0) for g, n in found.items()}  # the live graphs look wrong

    monkeypatch.setattr(remote, "graph_sizes", lying)
    source = tmp_path / "changed.txt"
    source.write_text(building.packaged_source().replace("\nHeimat.Ruhr\n", "\nHeimat.Z\n"), encoding="utf-8")
    with pytest.raises(building.BuildError, match="wrong size after the switch"):
        building.build(source=source, data_dir=root, remote_store=server.spec)
    monkeypatch.undo()
    assert stores.current(root).path == before_build.path
    assert _sizes(server.spec) == before_sizes
    assert _graphs_in(server.spec) == set(LIVE)
    assert "Heimat.Z" not in json.dumps(
        remote.select(server.spec, TITLE.replace("WHERE {", "WHERE { GRAPH ?g {") + " }")
    )


def test_update_path_without_gsp_gives_the_same_graphs(oxigraph_server, tmp_path):
    server = oxigraph_server()
    spec = remote.StoreSpec.parse(server.url + "/", gsp="none", env={})
    result = building.build(data_dir=tmp_path / "d", remote_store=spec)
    assert result.build.manifest["store"]["method"] == "update"
    assert _sizes(spec) == _expected(result.build)
    assert _graphs_in(spec) == set(LIVE)


def test_the_oxigraph_engine_publishes_the_same_way(oxigraph_server, tmp_path):
    server = oxigraph_server()
    result = building.build(data_dir=tmp_path / "d", remote_store=server.spec, engine="oxigraph")
    assert result.build.manifest["engine"] == "oxigraph" and "store" in result.build.manifest
    assert _sizes(server.spec) == _expected(result.build)
    assert _graphs_in(server.spec) == set(LIVE)


def test_insert_data_chunks_keep_blank_nodes_together():
    import pyoxigraph as ox

    a, b, c = ox.BlankNode("a"), ox.BlankNode("b"), ox.BlankNode("c")
    p = ox.NamedNode("http://x/p")
    g1, g2 = ox.NamedNode("http://x/g1"), ox.NamedNode("http://x/g2")
    by_graph = {
        "one": [ox.Quad(ox.NamedNode(f"http://x/{i}"), p, ox.Literal(str(i)), g1) for i in range(5)]
        + [ox.Quad(a, p, b, g1)],
        "two": [ox.Quad(b, p, c, g2), ox.Quad(c, p, ox.Literal("z"), g2)],
    }
    chunks = list(remote._chunks(by_graph, {"one": "urn:s:one", "two": "urn:s:two"}, size=2))
    with_bnodes = [ch for ch in chunks if "_:" in ch]
    assert len(with_bnodes) == 1 and all(x in with_bnodes[0] for x in ("_:a", "_:b", "_:c"))
    assert sum(ch.count(" .") for ch in chunks) == 8


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--store", "ftp://host/x"], "must be an http:// or https:// URL"),
        (["--store", "neptune+http://host:8182"], "unknown store flavour 'neptune'"),
        (["--store", "http://[::1"], "is not a URL"),
    ],
)
def test_bad_store_urls_get_a_clear_message(runner, tmp_path, args, message):
    from ruhrkg.server.cli import main

    result = runner.invoke(main, ["build", "--data-dir", str(tmp_path / "d"), *args])
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output


def test_store_spec_layouts_and_credentials(monkeypatch):
    s = remote.StoreSpec.parse(
        "fuseki+https://h:3030/ds", env={"RUHRKG_STORE_USER": "alice", "RUHRKG_STORE_PASSWORD": "s3cr3t"}
    )
    assert (s.query, s.update, s.gsp, s.timeout_param) == ("https://h:3030/ds/query", "https://h:3030/ds/update",
                                                           "https://h:3030/ds/data", "timeout")  # fmt: skip
    assert s.publishing_headers()["Authorization"] == "Basic YWxpY2U6czNjcjN0" and "s3cr3t" not in repr(s)
    assert "Authorization" not in s.reading_headers() and "Authorization" not in s.reader().publishing_headers()
    assert "alice" not in json.dumps(s.public())
    g = remote.StoreSpec.parse("graphdb+http://h:7200/repositories/kg", update="http://other/update", env={})
    assert (g.query, g.update, g.gsp) == ("http://h:7200/repositories/kg", "http://other/update",
                                          "http://h:7200/repositories/kg/rdf-graphs/service")  # fmt: skip
    v = remote.StoreSpec.parse("virtuoso+http://h:8890", env={})
    assert v.query == v.update == "http://h:8890/sparql" and v.gsp == "http://h:8890/sparql-graph-crud"
    v = remote.StoreSpec.parse("virtuoso+http://dba:secret@h:8890", env={})  # credentials: the -auth endpoints
    assert (v.query, v.update, v.gsp) == ("http://h:8890/sparql", "http://h:8890/sparql-auth",
                                          "http://h:8890/sparql-graph-crud-auth")  # fmt: skip
    assert v.user == "dba" and "secret" not in json.dumps(v.public())


# --------------------------------------------------------------------------- serving


class FakeStore:
    """A SPARQL endpoint stand-in that records requests and answers as told (status, content type, body)."""

    def __init__(self):
        self.requests: list[dict] = []
        self.answer = (200, "application/sparql-results+json", b'{"head":{},"boolean":true}')
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                fake.requests.append({"accept": self.headers.get("Accept"), **{
                    k: v for k, v in urllib.parse.parse_qs(body.decode()).items()}})  # fmt: skip
                status, ctype, data = fake.answer
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/sparql"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def service(self, **kw) -> object:
        return remote_service(remote.StoreSpec.parse(None, query=self.url, env={}), **kw)

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


_close_after_the_test: list = []


@pytest.fixture
def fake():
    store = FakeStore()
    yield store
    while _close_after_the_test:
        _close_after_the_test.pop().close()
    store.close()


def test_the_dataset_and_bindings_travel_as_protocol_parameters_and_values(fake):
    svc = fake.service()
    _close_after_the_test.append(svc)
    b"".join(svc.execute("ASK { ?s ?p ?o }").chunks)
    sent = fake.requests[-1]
    assert sent["default-graph-uri"] == LIVE[:2] and sent["named-graph-uri"] == LIVE
    assert sent["accept"] == "application/sparql-results+json"
    b"".join(svc.execute("ASK { ?s ?p ?o }", dataset="inferred").chunks)
    assert fake.requests[-1]["default-graph-uri"] == LIVE[:3]
    b"".join(svc.execute("ASK { ?s ?p ?o }", dataset="union").chunks)
    assert fake.requests[-1]["default-graph-uri"] == LIVE == fake.requests[-1]["named-graph-uri"]
    b"".join(svc.execute("ASK FROM <urn:x> { ?s ?p ?o }", dataset="union").chunks)
    assert "default-graph-uri" not in fake.requests[-1]  # the query's own dataset
    b"".join(svc.execute("ASK { ?s ?p ?o }", default_graph_uris=["urn:a"]).chunks)
    assert fake.requests[-1]["default-graph-uri"] == ["urn:a"] and "named-graph-uri" not in fake.requests[-1]
    evil = 'x" } } ; DROP ALL ; SELECT * { "'
    b"".join(svc.execute("ASK { ?s ?p ?o }", substitutions={"o": ("literal", evil), "s": ("iri", "http://a/b")}).chunks)
    text = fake.requests[-1]["query"][0]
    assert text.startswith('ASK { VALUES (?o ?s) { ("x\\" } } ; DROP ALL ; SELECT * { \\"" <http://a/b>) }')
    b"".join(svc.execute("ASK { <rel> ?p ?o }", base_iri="http://me.example/sparql").chunks)
    assert fake.requests[-1]["query"][0].startswith("BASE <http://me.example/sparql> ASK")


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("INSERT DATA { <a:b> <a:c> <a:d> }", 403),
        ("SELECT * { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }", 403),
        ('SELECT * { BIND(bif:http_get("http://127.0.0.1:9/") AS ?x) }', 403),
        ("PREFIX j: <java:org.example.> SELECT * { BIND(j:Run() AS ?x) }", 403),
        ("SELECT * { <\\u0062if:x> ?p ?o }", 403),
        ("SELECT * WHERE { ?s ?p ?o " + "(" * 300, 400),
    ],
)
def test_refused_queries_never_reach_the_store(fake, query, status):
    with pytest.raises(QueryRejected) as e:
        fake.service().execute(query)
    assert e.value.status == status and fake.requests == []


def test_a_declared_prefix_named_like_an_extension_is_fine(fake):
    with fake.service() as svc:
        b"".join(svc.execute("PREFIX sql: <http://example.org/sql#> ASK { ?s sql:p ?o }").chunks)
    assert len(fake.requests) == 1


@pytest.mark.parametrize(
    ("answer", "error", "status", "text"),
    [
        (
            (400, "text/plain", b"Parser error at line 1"),
            QuerySyntaxError,
            400,
            "malformed query: Parser error at line 1",
        ),
        ((500, "text/plain", b"boom"), QueryFailed, 500, "query failed: boom"),
        ((404, "text/html", b"<h1>Not here</h1>"), StoreUnavailable, 502, "answered HTTP 404"),
        ((503, "text/plain", b"busy"), StoreUnavailable, 503, "unavailable or timed out (HTTP 503)"),
        ((200, "text/html", b"<html>"), StoreUnavailable, 502, "answered with text/html instead of"),
    ],
)
def test_store_answers_become_our_errors(fake, answer, error, status, text):
    fake.answer = answer
    with pytest.raises(error) as e:
        fake.service().execute("SELECT * { ?s ?p ?o }")
    assert e.value.status == status and text in e.value.message
    assert fake.url.split("/")[2] not in e.value.message  # the store's host:port is ours to know


def test_a_store_that_never_answers_gets_503_naming_the_limit():
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)  # connections complete in the kernel's backlog; nothing ever answers
    accepted = []
    threading.Thread(target=lambda: accepted.append(silent.accept()), daemon=True).start()
    svc = remote_service(remote.StoreSpec.parse(f"http://127.0.0.1:{silent.getsockname()[1]}", env={}), timeout=1)
    started = time.monotonic()
    with pytest.raises(QueryTimeout) as e:
        svc.execute("SELECT * { ?s ?p ?o }")
    assert e.value.status == 503 and "1 s time limit" in e.value.message
    assert time.monotonic() - started < 3
    conn = accepted[0][0]
    conn.settimeout(2)
    received = b""
    while chunk := conn.recv(65536):  # ends (b"") because we closed the connection when the time was up
        received += chunk
    assert received.startswith(b"POST /query ") and b"query=SELECT" in received
    conn.close()
    silent.close()


def test_a_store_that_is_down_gets_502_with_the_reason():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # free once closed: nothing listens there
    svc = remote_service(remote.StoreSpec.parse(f"http://127.0.0.1:{port}", env={}))
    with pytest.raises(StoreUnavailable) as e:
        svc.execute("ASK {}")
    assert e.value.status == 502 and "cannot be reached: connection refused" in e.value.message


def test_the_endpoint_answers_store_failures_with_a_message_not_a_traceback(published):
    _, root, _ = published
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = create_app(Settings(data_dir=str(root), store=f"http://127.0.0.1:{port}", access_log=False, warm_up=True))
    try:
        client = app.test_client()
        resp = client.get("/sparql", query_string={"query": "SELECT * { ?s ?p ?o } LIMIT 1"})
        assert resp.status_code == 502 and b"cannot be reached" in resp.data and b"Traceback" not in resp.data
        page = client.get("/queries/forums", headers={"Accept": "text/html"})
        assert page.status_code >= 500 and b"Traceback" not in page.data
    finally:
        app.extensions["ruhrkg"].close()


@pytest.fixture(scope="module")
def remote_app(data_dir, app_in_mode):
    """The session's build served from an Oxigraph server holding it."""
    with app_in_mode(data_dir, "remote", query_timeout=5.0) as app:
        yield app


@pytest.fixture(scope="module")
def local_app(data_dir, app_in_mode):
    """The session's build served by the embedded engine."""
    with app_in_mode(data_dir, "embedded") as app:
        yield app


def test_remote_and_local_give_the_same_answers_and_etags(remote_app, local_app):
    assert remote_app.extensions["ruhrkg"].store is not None
    for params in ({"query": TITLE}, {"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "dataset": "union"},
                   {"query": "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"},
                   {"query": "ASK { <https://w3id.org/ruhrkg/id/forum/01> a <http://www.w3.org/ns/org#OrganizationalCollaboration> }", "dataset": "inferred"}):  # fmt: skip
        a = remote_app.test_client().get("/sparql", query_string=params)
        b = local_app.test_client().get("/sparql", query_string=params)
        assert a.status_code == b.status_code == 200
        assert json.loads(a.data) == json.loads(b.data) and a.headers["ETag"] == b.headers["ETag"]


def test_malformed_queries_get_the_stores_400(remote_app):
    resp = remote_app.test_client().get("/sparql", query_string={"query": "SELECT * WHERE { ?s ?p }"})
    assert resp.status_code == 400 and resp.data.startswith(b"malformed query:")


def test_large_results_stream_through(published):
    server, _, _ = published
    svc = remote_service(server.spec)
    result = svc.execute("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", dataset="union", result_format="ntriples")
    chunks = list(result.chunks)
    assert len(chunks) > 3 and max(len(c) for c in chunks) <= 64 * 1024
    assert b"".join(chunks).count(b" .\n") >= _sizes(server.spec)[LIVE[0]]
    svc.close()


@pytest.mark.parametrize("name", saved.names())
def test_every_saved_query_answers_as_in_local_mode(remote_app, local_app, name):
    if saved.load(name).federated:
        pytest.skip("federated: compared against the Wikidata stand-in in test_federated_saved_queries_over_http")
    a = remote_app.test_client().get(f"/api/queries/{name}?format=json")
    b = local_app.test_client().get(f"/api/queries/{name}?format=json")
    assert a.status_code == b.status_code == 200
    _same_results(saved.load(name).text, json.loads(a.data), json.loads(b.data))


@pytest.mark.parametrize("q", ['x" } UNION { ?entity ?p ?label', "Essen", "\\", "\n"])
def test_parameters_with_any_characters_answer_as_in_local_mode(remote_app, local_app, q):
    url = "/api/queries/entity-search?" + urllib.parse.urlencode({"q": q, "format": "json"})
    a, b = remote_app.test_client().get(url), local_app.test_client().get(url)
    assert a.status_code == b.status_code == 200 and json.loads(a.data) == json.loads(b.data)


def test_entity_pages_answer_as_in_local_mode(remote_app, local_app):
    for path in ("/doc/forum/14", "/doc/city/essen", "/doc/forum/14?format=ntriples"):
        a = remote_app.test_client().get(path, headers={"Accept": "text/html"})
        b = local_app.test_client().get(path, headers={"Accept": "text/html"})
        assert a.status_code == b.status_code == 200 and a.data == b.data, path


# -- over HTTP: `ruhrkg serve --store`, standard clients, the Wikidata stand-in ----------------------------


@pytest.fixture(scope="module")
def served(tmp_path_factory, oxigraph_server, start_server, standin_links, wikidata_standin):
    """`ruhrkg serve --store` and a local-mode server, both on a build with the stand-in's links."""
    server = oxigraph_server()
    root = tmp_path_factory.mktemp("remote-served")
    building.build(data_dir=root, links=standin_links, remote_store=server.spec)
    args = ("--http-workers", "1", "--timeout", "5", "--wikidata-sparql", wikidata_standin["sparql_url"])
    return start_server(root, *args, "--store", server.url), start_server(root, *args), server


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        with e:
            return e.code, e.read()


@pytest.mark.parametrize("name", [n for n in saved.names() if saved.load(n).federated])
def test_federated_saved_queries_over_http(served, name):
    remote_url, local_url, _ = served
    a, b = _get(f"{remote_url}/api/queries/{name}?format=json"), _get(f"{local_url}/api/queries/{name}?format=json")
    assert a[0] == b[0] == 200
    _same_results(saved.load(name).text, json.loads(a[1]), json.loads(b[1]))
    assert json.loads(a[1])["results"]["bindings"]


def test_sparqlwrapper_and_rdflib_against_remote_mode(served):
    from rdflib import Graph
    from rdflib.plugins.stores.sparqlstore import SPARQLStore
    from SPARQLWrapper import JSON, TURTLE, SPARQLWrapper

    remote_url, _, _ = served
    sw = SPARQLWrapper(remote_url + "/sparql")
    sw.setQuery("SELECT ?f WHERE { ?f a <https://w3id.org/ruhrkg/def#Forum> }")
    sw.setReturnFormat(JSON)
    assert len(sw.query().convert()["results"]["bindings"]) == 20
    sw.setQuery("CONSTRUCT WHERE { <https://w3id.org/ruhrkg/id/forum/14> ?p ?o }")
    sw.setReturnFormat(TURTLE)
    assert len(Graph().parse(data=sw.query().convert(), format="turtle")) > 5
    sw.setMethod("POST")
    sw.setQuery("ASK { ?s ?p ?o }")
    sw.setReturnFormat(JSON)
    assert sw.query().convert()["boolean"] is True
    g = Graph(store=SPARQLStore(remote_url + "/sparql", returnFormat="json"))
    rows = list(g.query("SELECT ?n WHERE { ?f <https://w3id.org/ruhrkg/def#number> ?n } ORDER BY ?n"))
    assert [int(r.n) for r in rows] == list(range(1, 21))


def test_update_is_refused_over_http_and_the_store_is_unchanged(served):
    remote_url, _, server = served
    before = _sizes(server.spec)
    for data, ctype in ((b"update=DROP+ALL", "application/x-www-form-urlencoded"), (b"DROP ALL", "application/sparql-update"),
                        (b"query=DROP+ALL", "application/x-www-form-urlencoded")):  # fmt: skip
        req = urllib.request.Request(remote_url + "/sparql", data=data, headers={"Content-Type": ctype}, method="POST")
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(req, timeout=10)
        e.value.close()
        assert e.value.code == 403
    assert _sizes(server.spec) == before


def test_service_to_a_local_listener_is_refused_over_http_without_contact(served):
    remote_url, _, _ = served
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    listener.settimeout(0.5)
    q = f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{listener.getsockname()[1]}/sparql> {{ ?s ?p ?o }} }}"
    status, body = _get(remote_url + "/sparql?" + urllib.parse.urlencode({"query": q}))
    assert status == 403 and b"SERVICE" in body
    with pytest.raises(socket.timeout):
        listener.accept()
    listener.close()


def test_a_slow_store_gives_503_naming_the_limit_through_the_endpoint(published):
    _, root, _ = published
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(64)
    store = f"http://127.0.0.1:{silent.getsockname()[1]}"
    app = create_app(Settings(data_dir=str(root), store=store, query_timeout=1.0, access_log=False))
    try:
        started = time.monotonic()
        resp = app.test_client().get("/sparql", query_string={"query": "SELECT * { ?s ?p ?o }"})
        assert resp.status_code == 503 and b"1 s time limit" in resp.data and time.monotonic() - started < 3
    finally:
        app.extensions["ruhrkg"].close()
        silent.close()


def test_a_runaway_query_is_cut_off_and_the_stores_own_limit_stops_it(oxigraph_server, published):
    """Our limit bounds how long we wait; the Oxigraph server's --timeout-s stops its work, seconds later
    (it checks for cancellation now and then: 1.5-4 s after its limit here)."""
    _, root, _ = published
    server = oxigraph_server(timeout_s=3)
    remote.publish(server.spec, stores.current(root).open_store(), "runaway")
    with remote_service(server.spec, timeout=1.0) as svc:
        endless = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"  # 10^11 rows, constant memory
        started = time.monotonic()
        with pytest.raises(QueryTimeout) as e:
            b"".join(svc.execute(endless).chunks)
        assert "1 s time limit" in e.value.message and time.monotonic() - started < 2.5
        assert b"true" in b"".join(svc.execute("ASK { ?s ?p ?o }").chunks)  # the store still answers others
    busy = _cpu_seconds(server.proc.pid)
    for _ in range(30):  # the store works on after we gave up: half a CPU second within 3 s (tests run in parallel)
        time.sleep(0.1)
        if _cpu_seconds(server.proc.pid) - busy > 0.5:
            break
    else:
        pytest.fail("the Oxigraph server stopped working on the query as soon as we gave up")
    while time.monotonic() - started < 15:
        before = _cpu_seconds(server.proc.pid)
        time.sleep(1)
        if _cpu_seconds(server.proc.pid) - before < 0.2:
            break
    else:
        pytest.fail("the Oxigraph server still works on the query 15 s after it started, despite --timeout-s 3")


def _cpu_seconds(pid: int) -> float:
    import os

    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --------------------------------------------------------------------------- helpers


def _same_results(text: str, a: dict, b: dict) -> None:
    assert a["head"] == b["head"]
    rows_a, rows_b = a["results"]["bindings"], b["results"]["bindings"]
    if "ORDER BY" in text.upper():
        assert rows_a == rows_b
    else:
        key = lambda r: json.dumps(r, sort_keys=True)  # noqa: E731
        assert sorted(rows_a, key=key) == sorted(rows_b, key=key)


def _node(iri: str):
    import pyoxigraph as ox

    return ox.NamedNode(iri)


def _has_bnode(q) -> bool:
    import pyoxigraph as ox

    return isinstance(q.subject, ox.BlankNode) or isinstance(q.object, ox.BlankNode)


def _value(t) -> str:
    return t.value
