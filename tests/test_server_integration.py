"""The real server process on a free loopback port, queried by real SPARQL clients.

``ruhrkg serve`` is started as a subprocess (production WSGI server, query
worker processes) and driven with SPARQLWrapper, rdflib's SPARQLStore and raw
HTTP. The safety rules are checked here end to end: a runaway query is cut off
while a concurrent query answers, malformed input of every kind gets a 4xx and
the server stays up, a short load at concurrency 32 (RUHRKG_LOAD_SECONDS, default 3;
``bench/soak.py`` runs the long one) gets only correct answers, and nothing the server
starts listens anywhere but on its public port.
"""

from __future__ import annotations

import concurrent.futures
import http.client
import json
import os
import socket
import threading
import time
import urllib.parse
import urllib.request

import pytest
from rdflib import Graph, URIRef
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import CSV, JSON, JSONLD, N3, RDFXML, TSV, TURTLE, XML, SPARQLWrapper

FORUMS = "SELECT ?f ?n WHERE { ?f a <https://w3id.org/ruhrkg/def#Forum> ; <https://w3id.org/ruhrkg/def#number> ?n } ORDER BY ?n"
CONSTRUCT = "CONSTRUCT WHERE { <https://w3id.org/ruhrkg/id/forum/14> ?p ?o }"
RUNAWAY = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n ?o } ORDER BY RAND()"
TIMEOUT = 3.0


@pytest.fixture(scope="module")
def server(data_dir, start_server):
    """A running `ruhrkg serve` with a short query timeout; yields its base URL."""
    env = {"RUHRKG_QUERY_TIMEOUT": str(TIMEOUT)}
    return start_server(data_dir, "--http-workers", "2", "--query-memory", "2048", "--query-memory-total", "16384",
                        env=env)  # fmt: skip


def get(base, path, headers=None, timeout=30):
    req = urllib.request.Request(base + path, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        with e:
            return e.code, e.headers, e.read()


def alive(base) -> bool:
    status, _, body = get(
        base, "/sparql?" + urllib.parse.urlencode({"query": "ASK {}"}), {"Accept": "application/sparql-results+json"}
    )
    return status == 200 and json.loads(body)["boolean"] is True


# -- real clients ---------------------------------------------------------------
@pytest.mark.parametrize("fmt", [JSON, XML, CSV, TSV])
def test_sparqlwrapper_select_in_every_format(server, fmt):
    sw = SPARQLWrapper(server + "/sparql")
    sw.setQuery(FORUMS)
    sw.setReturnFormat(fmt)
    result = sw.query().convert()
    if fmt == JSON:
        assert len(result["results"]["bindings"]) == 20
    elif fmt == XML:
        assert len(result.getElementsByTagName("result")) == 20
    else:
        text = result.decode() if isinstance(result, bytes) else result
        assert len(text.strip().splitlines()) == 21


@pytest.mark.parametrize("fmt", [TURTLE, RDFXML, JSONLD, N3])
def test_sparqlwrapper_construct_in_every_format(server, fmt):
    sw = SPARQLWrapper(server + "/sparql")
    sw.setQuery(CONSTRUCT)
    sw.setReturnFormat(fmt)
    result = sw.query().convert()
    g = result if isinstance(result, Graph) else Graph().parse(data=result, format={TURTLE: "turtle", N3: "n3"}[fmt])
    assert (URIRef("https://w3id.org/ruhrkg/id/forum/14"), None, None) in g
    assert len(g) > 10


def test_sparqlwrapper_post_and_ask(server):
    sw = SPARQLWrapper(server + "/sparql")
    sw.setMethod("POST")
    sw.setQuery("ASK { ?f a <https://w3id.org/ruhrkg/def#Forum> }")
    sw.setReturnFormat(JSON)
    assert sw.query().convert()["boolean"] is True


def test_rdflib_sparqlstore(server):
    g = Graph(store=SPARQLStore(server + "/sparql", returnFormat="xml"))
    rows = list(g.query(FORUMS))
    assert len(rows) == 20 and int(rows[13].n) == 14
    triples = list(g.triples((URIRef("https://w3id.org/ruhrkg/id/forum/14"), None, None)))
    assert len(triples) > 10
    assert Graph(store=SPARQLStore(server + "/sparql", returnFormat="json")).query("ASK {}").askAnswer is True


def test_every_result_format_parses_in_rdflib(server):
    from rdflib.query import Result

    for accept, fmt in [("application/sparql-results+json", "json"), ("application/sparql-results+xml", "xml"),
                        ("text/csv", "csv"), ("text/tab-separated-values", "tsv")]:  # fmt: skip
        _, _, body = get(server, "/sparql?" + urllib.parse.urlencode({"query": FORUMS}), {"Accept": accept})
        assert len(Result.parse(source=__import__("io").BytesIO(body), format=fmt)) == 20
    for accept, fmt in [("text/turtle", "turtle"), ("application/n-triples", "nt"), ("application/ld+json", "json-ld"),
                        ("application/rdf+xml", "xml")]:  # fmt: skip
        _, _, body = get(server, "/sparql?" + urllib.parse.urlencode({"query": CONSTRUCT}), {"Accept": accept})
        assert len(Graph().parse(data=body, format=fmt)) > 10


# -- safety ------------------------------------------------------------------------
def test_runaway_query_is_cut_off_while_others_are_served(server):
    results = {}

    def runaway():
        t0 = time.monotonic()
        status, _, body = get(server, "/sparql?" + urllib.parse.urlencode({"query": RUNAWAY}), timeout=60)
        results["runaway"] = (status, body, time.monotonic() - t0)

    t = threading.Thread(target=runaway)
    t.start()
    time.sleep(0.3)
    latencies = []
    for _ in range(10):
        t0 = time.monotonic()
        assert alive(server)
        latencies.append(time.monotonic() - t0)
        time.sleep(0.1)
    t.join(60)
    status, body, elapsed = results["runaway"]
    assert status == 503
    assert b"limit" in body
    assert elapsed < TIMEOUT + 2
    assert max(latencies) < 1.0
    assert alive(server)


def test_update_is_refused_and_data_unchanged(server):
    count = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    before = get(server, "/sparql?" + urllib.parse.urlencode({"query": count}))[2]
    for path, data, ctype in [
        ("/sparql", b"update=DROP+ALL", "application/x-www-form-urlencoded"),
        ("/sparql", b"CLEAR ALL", "application/sparql-update"),
        ("/sparql", b"DELETE WHERE { ?s ?p ?o }", "application/sparql-query"),
    ]:
        req = urllib.request.Request(server + path, data=data, headers={"Content-Type": ctype}, method="POST")
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(req, timeout=10)
        e.value.close()
        assert e.value.code == 403
    assert get(server, "/sparql?" + urllib.parse.urlencode({"query": count}))[2] == before


def test_service_to_a_local_listener_is_refused_without_contact(server):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    listener.settimeout(0.5)
    port = listener.getsockname()[1]
    q = f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}"
    status, _, body = get(server, "/sparql?" + urllib.parse.urlencode({"query": q}))
    assert status == 403 and b"SERVICE" in body
    with pytest.raises(socket.timeout):
        listener.accept()
    listener.close()


def raw(base, payload: bytes, timeout=10) -> int:
    """Send raw bytes; the HTTP status the server answers (0 if it closed without one)."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as s:
        s.sendall(payload)
        data = b""
        try:
            while b"\r\n" not in data:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
        except TimeoutError:
            return 0
    return int(data.split(b" ")[1]) if data.startswith(b"HTTP/") else 0


@pytest.mark.parametrize(
    "payload",
    [
        b"\x00\x01\x02 garbage \xff\xfe\r\n\r\n",
        b"GET /sparql?query=%FF%FE%00 HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /sparql?query=ASK%20%7B%00%7D HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /sparql?query=" + b"%7B" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /sparql?query=" + b"(" * 3000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /sparql HTTP/1.1\r\nHost: x\r\nX-Huge: " + b"a" * 3_000_000 + b"\r\n\r\n",
        b"GET /sparql HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-H%d: 1\r\n" % i for i in range(500)) + b"\r\n",
        b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\nContent-Length: 6\r\n\r\n\xff\xfe\xfd\x00AB",
        b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\nContent-Length: 99999999999\r\n\r\nASK",
    ],
    ids=[
        "binary",
        "invalid-utf8",
        "nul",
        "nested-braces",
        "nested-parens",
        "huge-header",
        "many-headers",
        "binary-body",
        "absurd-length",
    ],  # fmt: skip
)
def test_malformed_input_gets_4xx_and_the_server_stays_up(server, payload):
    status = raw(server, payload)
    assert 400 <= status < 500 or status == 0 and payload.startswith(b"\x00")
    assert alive(server)


def test_one_megabyte_query_is_refused(server):
    big = "ASK { " + "?s ?p ?o . " * 100_000 + "}"
    req = urllib.request.Request(
        server + "/sparql", data=big.encode(), headers={"Content-Type": "application/sparql-query"}
    )
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, timeout=30)
    e.value.close()
    assert e.value.code in (400, 413)
    assert alive(server)


def test_descriptions_and_downloads_over_http(server):
    status, headers, body = get(server, "/sparql", {"Accept": "text/turtle"})
    assert status == 200 and headers["Content-Type"].startswith("text/turtle")
    assert len(Graph().parse(data=body, format="turtle")) > 10
    status, headers, body = get(server, "/downloads/ruhrkg.nt.gz")
    assert status == 200 and headers["Content-Type"] == "application/gzip"
    import gzip

    assert len(Graph().parse(data=gzip.decompress(body), format="nt")) > 5000


# -- load --------------------------------------------------------------------------
# Queries that cannot hit a cache: each request gets its own {nonce}, which does not change the answer.
ADHOC_LOAD = [
    FORUMS.replace("?n }", '?n FILTER(STR(?n) != "{nonce}") }'),
    'SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } FILTER(STR(?s) != "{nonce}") } GROUP BY ?g ORDER BY ?g',
    "CONSTRUCT { <https://w3id.org/ruhrkg/id/forum/14> ?p ?o } "
    'WHERE { <https://w3id.org/ruhrkg/id/forum/14> ?p ?o FILTER(STR(?o) != "{nonce}") }',
]
LOAD_QUERIES = [FORUMS, CONSTRUCT, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "ASK { ?s ?p ?o }", *ADHOC_LOAD]


def load(base: str, seconds: float, clients: int = 32) -> tuple[int, list[str]]:
    """Cached and uncacheable queries from ``clients`` kept-alive connections for ``seconds``: the number of
    answers, and a description of every wrong one or error (at most 10). Shared with bench/soak.py."""
    host, port = base.removeprefix("http://").split(":")
    accept = {"Accept": "application/sparql-results+json, application/n-triples;q=0.9"}

    def answer(body: bytes, q: str) -> object:  # a CONSTRUCT's triples may come in any order
        return sorted(body.splitlines()) if q.lstrip().startswith("CONSTRUCT") else body

    def path(q: str, nonce: str) -> str:
        return "/sparql?" + urllib.parse.urlencode({"query": q.replace("{nonce}", nonce)})

    expected = {q: answer(get(base, path(q, "expected"), accept)[2], q) for q in LOAD_QUERIES}
    deadline = time.monotonic() + seconds
    errors: list[str] = []
    counts = [0] * clients

    def client(i):
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        n = 0
        while time.monotonic() < deadline and len(errors) < 10:
            q = LOAD_QUERIES[(i + n) % len(LOAD_QUERIES)]
            try:
                conn.request("GET", path(q, f"c{i}n{n}"), headers=accept)
                resp = conn.getresponse()
                body = resp.read()
                if resp.status != 200 or answer(body, q) != expected[q]:
                    errors.append(f"{resp.status} for {q[:40]}: {body[:100]!r}")
                if resp.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = http.client.HTTPConnection(host, int(port), timeout=30)
            except (OSError, http.client.HTTPException) as e:
                errors.append(f"{type(e).__name__}: {e}")
                conn.close()
                conn = http.client.HTTPConnection(host, int(port), timeout=30)
            n += 1
        counts[i] = n
        conn.close()

    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        list(pool.map(client, range(clients)))
    return sum(counts), errors


def test_concurrent_load_gets_only_correct_answers(server):
    """A short load at concurrency 32 (the minute-long soak is bench/soak.py)."""
    assert b'"value":"14"' in get(server, "/sparql?" + urllib.parse.urlencode({"query": ADHOC_LOAD[0].replace(
        "{nonce}", "x")}), {"Accept": "application/sparql-results+json"})[2]  # the nonce filter keeps every row
    seconds = float(os.environ.get("RUHRKG_LOAD_SECONDS", "3"))
    answered, errors = load(server, seconds)
    assert errors == [], "\n".join(errors)
    assert answered > seconds * 20


# -- what the server's processes listen on ----------------------------------------------------------------


def _processes() -> tuple[dict[int, int], dict[int, str]]:
    """Every process: pid -> parent pid, pid -> command line."""
    parents, commands = {}, {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                parents[int(pid)] = int(f.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                commands[int(pid)] = f.read().replace(b"\0", b" ").decode("utf-8", "replace")
        except (OSError, IndexError, ValueError):
            continue
    return parents, commands


def _process_tree(root: int) -> dict[int, str]:
    """The processes under ``root`` (itself included): pid -> command line."""
    parents, commands = _processes()

    def under(pid: int) -> bool:
        while pid > 1:
            if pid == root:
                return True
            pid = parents.get(pid, 0)
        return False

    return {pid: cmd for pid, cmd in commands.items() if under(pid)}


def _server_pid(port: int) -> int:
    for pid, cmd in _processes()[1].items():
        if " serve " in cmd and f"--port {port} " in cmd:
            return pid
    raise AssertionError(f"no process serves port {port}")


def _socket_inodes(pids) -> set[int]:
    inodes = set()
    for pid in pids:
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
                if target.startswith("socket:["):
                    inodes.add(int(target[8:-1]))
        except OSError:
            continue
    return inodes


def listeners(pids) -> list[str]:
    """Every listening socket the processes hold: ``tcp 127.0.0.1:8000``, ``tcp6 <hex>:80``, ``unix /path``,
    ``udp ...`` (from /proc/net: TCP in LISTEN state, every bound UDP socket, Unix sockets in LISTEN state)."""
    inodes = _socket_inodes(pids)
    found = []
    for proto in ("tcp", "tcp6", "udp", "udp6"):
        with open(f"/proc/net/{proto}") as f:
            for line in f.readlines()[1:]:
                fields = line.split()
                local, state, inode = fields[1], fields[3], int(fields[9])
                if inode in inodes and (state == "0A" or proto.startswith("udp")):
                    address, port = local.split(":")
                    if len(address) == 8:
                        address = socket.inet_ntoa(bytes.fromhex(address)[::-1])
                    found.append(f"{proto} {address}:{int(port, 16)}")
    with open("/proc/net/unix") as f:
        for line in f.readlines()[1:]:
            fields = line.split()
            if int(fields[6]) in inodes and fields[5] == "01" and fields[3] == "00010000":  # listening
                found.append(f"unix {fields[7] if len(fields) > 7 else '(unnamed)'}")
    return sorted(found)


def test_nothing_listens_but_the_public_port(server):
    """Query workers talk over pipes: the only listener in the server's process tree is its public port, and
    through it a local client can neither change nor read the data other than as the public endpoint serves it."""
    port = int(server.rsplit(":", 1)[1])
    for i in range(8):  # start query workers in every HTTP worker
        assert get(server, "/sparql?" + urllib.parse.urlencode({"query": f"ASK {{ ?s ?p {i} }}"}))[0] == 200
    tree = _process_tree(_server_pid(port))
    workers = [pid for pid, cmd in tree.items() if "ruhrkg.server.query.worker" in cmd]
    assert workers, tree
    found = listeners(tree)
    assert found and set(found) == {f"tcp 127.0.0.1:{port}"}, found
    insert = b"INSERT DATA { <urn:x:injected> <urn:x:p> <urn:x:o> }"
    for path, ctype in [("/update", "application/sparql-update"), ("/store", "text/turtle"),
                        ("/sparql", "application/sparql-update")]:  # fmt: skip
        req = urllib.request.Request(server + path, data=insert, headers={"Content-Type": ctype}, method="POST")
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(req, timeout=10)
        e.value.close()
        assert e.value.code in (403, 404, 405)
    ask = "ASK { <urn:x:injected> ?p ?o }"
    assert json.loads(get(server, "/sparql?" + urllib.parse.urlencode({"query": ask}))[2])["boolean"] is False


@pytest.fixture(scope="module")
def three_threads(data_dir, start_server):
    return start_server(data_dir, "--http-workers", "1", "--threads", "3")


def test_query_workers_default_to_one_per_thread_within_the_memory_total(three_threads):
    """Without --query-workers, each request thread can have a worker of its own (512 MB each, 3 of 4096 MB)."""
    slow = "SELECT (COUNT(*) AS ?n) WHERE {{ ?a a ?t . ?b a ?u . ?c a ?t FILTER(?u != <urn:x:{}>) }}"
    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(
            lambda i: get(three_threads, "/sparql?" + urllib.parse.urlencode({"query": slow.format(i)}), timeout=60)[0],
            range(6),
        ))  # fmt: skip
    assert answers == [200] * 6
    tree = _process_tree(_server_pid(int(three_threads.rsplit(":", 1)[1])))
    assert sum("ruhrkg.server.query.worker" in cmd for cmd in tree.values()) == 3


def test_a_memory_budget_that_cannot_hold_the_query_workers_is_refused(runner, data_dir):
    from ruhrkg.server.cli import main

    result = runner.invoke(main, ["serve", "--data-dir", str(data_dir), "--http-workers", "4", "--query-memory", "2048",
                                  "--query-memory-total", "4096", "--port", "1"])  # fmt: skip
    assert result.exit_code == 2 and "query memory total of 4096 MB" in result.output, result.output
    result = runner.invoke(main, ["serve", "--data-dir", str(data_dir), "--http-workers", "2", "--query-workers", "4",
                                  "--query-memory-total", "2048", "--port", "1"])  # fmt: skip
    assert result.exit_code == 2 and "at most 2 query workers fit" in result.output, result.output
