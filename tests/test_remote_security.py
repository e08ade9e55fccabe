"""Remote mode's boundaries, against real Oxigraph servers: which credentials go where, what a failing store
tells the client, the staging graphs of a build, SERVICE and vendor functions.

The credentials are checked by a store front built from real parts (:class:`CheckingProxy`: ``http.server``
forwarding to an Oxigraph server) that records the ``Authorization`` header of every request.
"""

from __future__ import annotations

import base64
import http.client
import json
import logging
import socket
import threading
import time
import urllib.parse
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ruhrkg.graph import remote
from ruhrkg.graph import store as stores
from ruhrkg.server.app import create_app
from ruhrkg.server.cli import main
from ruhrkg.server.config import Settings

PUBLISHER = ("publisher", "pub-secret")
READER = ("reader", "read-secret")
FORUMS = "SELECT ?f WHERE { ?f a <https://w3id.org/ruhrkg/def#Forum> }"


def basic(creds: tuple[str, str]) -> str:
    return "Basic " + base64.b64encode(":".join(creds).encode()).decode("ascii")


@dataclass
class Seen:
    method: str
    path: str
    auth: str | None


class CheckingProxy:
    """A store that checks credentials: every request is recorded and forwarded to a real Oxigraph server.

    Publishing (``/update``, ``/store``) needs ``publish``; ``/query`` takes ``publish`` (a build checks the
    sizes of its graphs) and ``read``, and, if ``read`` is None, no credentials. Anything else gets 401.
    """

    def __init__(self, upstream: str, *, publish: tuple[str, str], read: tuple[str, str] | None = None):
        self.seen: list[Seen] = []
        self.allowed_publishing = {basic(publish)}
        self.allowed_reading = {basic(publish), basic(read) if read else None}
        target = urllib.parse.urlsplit(upstream)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def forward(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                path, auth = urllib.parse.urlsplit(self.path).path, self.headers.get("Authorization")
                proxy.seen.append(Seen(self.command, path, auth))
                allowed = proxy.allowed_reading if path == "/query" else proxy.allowed_publishing
                if auth not in allowed:
                    self.send_response(401)
                    self.send_header("WWW-Authenticate", 'Basic realm="store"')
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                conn = http.client.HTTPConnection(target.hostname, target.port, timeout=60)
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in ("authorization", "host", "connection", "content-length")}  # fmt: skip
                conn.request(self.command, self.path, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                conn.close()
                self.send_response(resp.status)
                for k, v in resp.getheaders():
                    if k.lower() not in ("connection", "content-length", "transfer-encoding"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = forward

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.host = f"127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def proxy_to(oxigraph_server):
    """A factory: ``proxy_to(read=...)`` is a :class:`CheckingProxy` in front of a fresh Oxigraph server."""
    proxies: list[CheckingProxy] = []

    def start(**kwargs) -> CheckingProxy:
        proxies.append(CheckingProxy(oxigraph_server().url, publish=PUBLISHER, **kwargs))
        return proxies[-1]

    yield start
    for p in proxies:
        p.close()


def _publishing(proxy: CheckingProxy) -> list[Seen]:
    return [s for s in proxy.seen if s.path in ("/update", "/store")]


# --------------------------------------------------------------------------- credentials


def test_the_publishing_credentials_of_the_store_url_never_go_with_a_query(proxy_to, runner, tmp_path):
    """`ruhrkg build --store http://user:secret@…` publishes with those credentials; an app given the same URL
    queries without them (the old code sent them as Basic authentication with every public query)."""
    proxy = proxy_to()
    root, store = tmp_path / "d", f"http://{PUBLISHER[0]}:{PUBLISHER[1]}@{proxy.host}"
    result = runner.invoke(main, ["build", "--data-dir", str(root), "--store", store, "-q"], env={})
    assert result.exit_code == 0, result.output
    assert _publishing(proxy) and {s.auth for s in _publishing(proxy)} == {basic(PUBLISHER)}
    proxy.seen.clear()
    app = create_app(Settings(data_dir=str(root), store=store, access_log=False))
    try:
        client = app.test_client()
        assert client.get("/sparql", query_string={"query": FORUMS}).status_code == 200
        assert client.get("/api/queries/forums?format=json").status_code == 200
        assert client.get("/doc/forum/14", headers={"Accept": "text/html"}).status_code == 200
    finally:
        app.extensions["ruhrkg"].close()
    assert proxy.seen and all(s.path == "/query" for s in proxy.seen)
    assert {s.auth for s in proxy.seen} == {None}


def test_serve_publishes_with_the_publishing_and_queries_with_the_reading_credentials(proxy_to, start_server,
                                                                                      tmp_path):  # fmt: skip
    """`ruhrkg serve --store URL --store-read-user` on an empty data directory: the first build publishes with
    RUHRKG_STORE_USER/PASSWORD, every query over HTTP carries the reading credentials (the store wants them)."""
    proxy = proxy_to(read=READER)
    env = {"RUHRKG_STORE_USER": PUBLISHER[0], "RUHRKG_STORE_PASSWORD": PUBLISHER[1],
           "RUHRKG_STORE_READ_PASSWORD": READER[1]}  # fmt: skip
    base = start_server(tmp_path / "d", "--http-workers", "1", "--store", f"http://{proxy.host}",
                        "--store-read-user", READER[0], env=env)  # fmt: skip
    assert _publishing(proxy) and {s.auth for s in _publishing(proxy)} == {basic(PUBLISHER)}
    proxy.seen.clear()
    for path in ("/sparql?" + urllib.parse.urlencode({"query": FORUMS}), "/api/queries/forums?format=json"):
        conn = http.client.HTTPConnection(base.removeprefix("http://"), timeout=30)
        conn.request("GET", path)
        resp = conn.getresponse()
        assert resp.status == 200 and len(json.loads(resp.read())["results"]["bindings"]) == 20
        conn.close()
    assert proxy.seen and {(s.path, s.auth) for s in proxy.seen} == {("/query", basic(READER))}


def test_store_spec_credentials_come_from_their_own_sources():
    env = {"RUHRKG_STORE_USER": "envpub", "RUHRKG_STORE_PASSWORD": "p", "RUHRKG_STORE_READ_USER": "envread",
           "RUHRKG_STORE_READ_PASSWORD": "r"}  # fmt: skip
    s = remote.StoreSpec.parse("http://u:secret@h:7878", env=env)
    assert (s.user, s.password, s.read_user, s.read_password) == ("u", "secret", "envread", "r")
    assert s.reading_headers()["Authorization"] == basic(("envread", "r"))
    reader = s.reader()
    assert (reader.user, reader.password, reader.update, reader.gsp) == (None, None, None, None)
    assert "secret" not in repr(reader) and reader.query == "http://h:7878/query"
    s = remote.StoreSpec.parse("http://h:7878", read_user="x", env={"RUHRKG_STORE_USER": "envpub"})
    assert (s.user, s.read_user) == ("envpub", "x")
    assert remote.without_user_info("fuseki+https://u:p@h:3030/ds") == "fuseki+https://h:3030/ds"
    settings = Settings(store="http://u:secret@h:7878", store_read_user="r", store_read_password="rp")
    assert settings.remote_store().reading_headers()["Authorization"] == basic(("r", "rp"))
    assert settings.remote_store().user is None


# --------------------------------------------------------------------------- errors


def _dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # free once closed: nothing listens there


@pytest.mark.parametrize("where", ["a dead port", "a wrong path"])
def test_a_failing_store_is_not_named_to_the_client_but_in_the_log(data_dir, published_store, caplog, where):
    if where == "a dead port":
        host = f"127.0.0.1:{_dead_port()}"
        settings = Settings(data_dir=str(data_dir), store=f"http://{host}", access_log=False)
    else:  # the Oxigraph server answers 404 there
        host = published_store.url.removeprefix("http://")
        settings = Settings(data_dir=str(data_dir), store_query=f"http://{host}/nowhere", access_log=False)
    app = create_app(settings)
    try:
        client = app.test_client()
        with caplog.at_level(logging.WARNING, logger="ruhrkg.server.query.remote"):
            answers = [client.get("/sparql", query_string={"query": FORUMS}),
                       client.post("/sparql", data={"query": "ASK { ?s ?p ?o }"}),
                       client.get("/api/queries/forums?format=json"),
                       client.get("/queries/forums", headers={"Accept": "text/html"})]  # fmt: skip
    finally:
        app.extensions["ruhrkg"].close()
    assert answers[0].status_code == 502 and answers[0].data.startswith(b"the SPARQL store ")
    for resp in answers:
        assert resp.status_code == 502, resp.data
        assert host.encode() not in resp.data and host.split(":")[1].encode() not in resp.data, resp.data
    assert host in caplog.text  # the operator still learns where


# --------------------------------------------------------------------------- staging graphs

STAGED = "urn:ruhrkg:staging:b1:data"
PREVIOUS = "urn:ruhrkg:previous:b0:data"
COUNT = "SELECT (COUNT(*) AS ?n) "


@pytest.fixture(scope="module")
def staged(data_dir, oxigraph_server):
    """An app on an Oxigraph server holding the session's build, and the staging graphs of a publication whose
    switch failed (its update endpoint was wrong), and a previous graph that was never dropped."""
    server = oxigraph_server()
    build = stores.current(data_dir)
    remote.publish(server.spec, build.open_store(), build.path.name)
    broken = remote.StoreSpec.parse(None, query=server.url + "/query", update=server.url + "/nothing",
                                    gsp=server.url + "/store", env={})  # fmt: skip
    with pytest.raises(remote.RemoteStoreError):
        remote.publish(broken, build.open_store(), "b1")
    remote.update(server.spec, f'INSERT DATA {{ GRAPH <{PREVIOUS}> {{ <urn:x:s> <urn:x:p> "previous" }} }}')
    assert int(remote.select(server.spec, f"{COUNT} FROM <{STAGED}> {{ ?s ?p ?o }}")[0]["n"]) > 1000  # left there
    app = create_app(Settings(data_dir=str(data_dir), store=server.url, access_log=False))
    yield app.test_client()
    app.extensions["ruhrkg"].close()


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"query": f"{COUNT} FROM <{STAGED}> {{ ?s ?p ?o }}"}, 403),
        ({"query": f"{COUNT} FROM NAMED <{STAGED}> {{ GRAPH ?g {{ ?s ?p ?o }} }}"}, 403),
        ({"query": COUNT + "FROM <urn:ruhrkg:\\u0073taging:b1:data> { ?s ?p ?o }"}, 403),
        ({"query": "PREFIX st: <urn:ruhrkg:staging:b1:> " + COUNT + "FROM st:data { ?s ?p ?o }"}, 403),
        ({"query": f"{COUNT} FROM <{PREVIOUS}> {{ ?s ?p ?o }}"}, 403),
        ({"query": f"{COUNT} {{ ?s ?p ?o }}", "default-graph-uri": STAGED}, 403),
        ({"query": f"{COUNT} {{ GRAPH ?g {{ ?s ?p ?o }} }}", "named-graph-uri": STAGED}, 403),
        ({"query": f"BASE <{STAGED}> {COUNT} FROM <> {{ ?s ?p ?o }}"}, 400),
        ({"query": f"BASE <urn:x> {COUNT} FROM <./ruhrkg:staging:b1:data> {{ ?s ?p ?o }}"}, 400),
        ({"query": f"BASE <{STAGED}> {COUNT} FROM NAMED <> {{ GRAPH ?g {{ ?s ?p ?o }} }}"}, 400),
    ],
)
def test_a_query_cannot_name_a_staging_or_previous_graph(staged, params, status):
    resp = staged.get("/sparql", query_string=params)
    assert resp.status_code == status and resp.mimetype == "text/plain", resp.data
    assert b'"n"' not in resp.data


@pytest.mark.parametrize(
    "params",
    [
        {"query": f"{COUNT} {{ GRAPH <{STAGED}> {{ ?s ?p ?o }} }}"},
        {"query": f"{COUNT} {{ GRAPH <{STAGED}> {{ ?s ?p ?o }} }}", "dataset": "union"},
        {"query": f"{COUNT} {{ GRAPH <{PREVIOUS}> {{ ?s ?p ?o }} }}", "dataset": "inferred"},
        {"query": f"{COUNT} FROM <https://w3id.org/ruhrkg/graph/data> {{ GRAPH <{STAGED}> {{ ?s ?p ?o }} }}"},
        {"query": f"{COUNT} FROM NAMED <https://w3id.org/ruhrkg/graph/data> {{ GRAPH <{STAGED}> {{ ?s ?p ?o }} }}"},
        {"query": f"{COUNT} {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(STRSTARTS(STR(?g), 'urn:ruhrkg:')) }}"},
    ],
)
def test_graph_patterns_see_only_the_ruhrkg_graphs(staged, params):
    resp = staged.get("/sparql", query_string=params)
    assert resp.status_code == 200, resp.data
    assert json.loads(resp.data)["results"]["bindings"][0]["n"]["value"] == "0"


def test_the_named_graphs_are_the_live_ones(staged):
    resp = staged.get("/sparql", query_string={"query": "SELECT DISTINCT ?g { GRAPH ?g { ?s ?p ?o } }"})
    graphs = {row["g"]["value"] for row in json.loads(resp.data)["results"]["bindings"]}
    assert graphs == {f"https://w3id.org/ruhrkg/graph/{g}" for g in ("data", "ontology", "inferred", "links")}


# --------------------------------------------------------------------------- SERVICE and vendor functions


def test_an_escaped_service_keyword_is_refused_and_nothing_is_contacted(engine_app, listener):
    query = "SELECT * { \\u0053ERVICE <" + listener.url + "> { ?s ?p ?o } }"
    client = engine_app.test_client()
    for resp in (client.get("/sparql", query_string={"query": query}),
                 client.post("/sparql", data=query.encode(), content_type="application/sparql-query")):  # fmt: skip
        assert resp.status_code == 403 and b"SERVICE" in resp.data, resp.data
    time.sleep(0.3)
    assert listener.accepted == 0


@pytest.mark.parametrize(
    "query",
    [
        "PREFIX b: <bi> SELECT (b:f:http_get(1) AS ?x) {}",
        "SELECT (<bif:http_get>(1) AS ?x) {}",
        "SELECT (<\\u0062if:http_get>(1) AS ?x) {}",
    ],
)
def test_vendor_functions_are_refused(engine_app, query):
    resp = engine_app.test_client().get("/sparql", query_string={"query": query})
    assert resp.status_code == 403, resp.data
