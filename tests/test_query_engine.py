"""The embedded engine behind the query service: pre-checks, worker processes, limits, streaming.

Everything here is real: the store is built once per session, queries run in
worker processes, SERVICE targets are real sockets on 127.0.0.1.
"""

from __future__ import annotations

import io
import json
import os
import re
import signal
import threading
import time
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib.query import Result as RdflibResult

from ruhrkg.graph import query as querying
from ruhrkg.graph import saved as saved_queries
from ruhrkg.mappings.vocab import GRAPHS
from ruhrkg.server.query.errors import (
    QueryRejected,
    QueryResourceLimit,
    QueryServiceError,
    QuerySyntaxError,
    QueryTimeout,
    WorkerCrashed,
)
from ruhrkg.server.query.lexer import analyse, query_form
from ruhrkg.server.query.service import local_service

# A 5-way cartesian product sorted at random: it grows memory fast and never finishes.
RUNAWAY = "SELECT * { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n ?o } ORDER BY RAND()"
COUNT = "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"
#: Busy for minutes in constant memory: a count over a cartesian product (nothing materialised).
SPINNER = "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
MEDIA_TYPES = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
}


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def store_path(built):
    """The store of the session's build (conftest builds it once)."""
    return built.store_path


@pytest.fixture(scope="session")
def reference(store):
    """The same store opened in this process, to compute expected answers."""
    return store


@pytest.fixture(scope="module")
def service(store_path):
    with local_service(store_path, workers=2, timeout=10) as svc:
        yield svc


def text(result) -> str:
    return b"".join(result.chunks).decode("utf-8")


def count(svc, query="", **kw) -> int:
    data = json.loads(text(svc.execute(query or COUNT, **kw)))
    return int(data["results"]["bindings"][0]["n"]["value"])


# --------------------------------------------------------------------------- results and formats


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
def test_select_in_every_result_format_parses(service, fmt):
    q = "SELECT ?s ?p ?o { ?s ?p ?o } ORDER BY ?s ?p ?o LIMIT 25"
    result = service.execute(q, result_format=fmt)
    assert result.form == "select"
    assert result.media_type.split(";")[0] == MEDIA_TYPES[fmt]
    parsed = RdflibResult.parse(io.BytesIO(b"".join(result.chunks)), format=fmt)
    assert len(list(parsed)) == 25


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_ask_parses(service, fmt):
    parsed = RdflibResult.parse(
        io.BytesIO(b"".join(service.execute("ASK { ?s ?p ?o }", result_format=fmt).chunks)), format=fmt
    )
    assert parsed.askAnswer is True


@pytest.mark.parametrize("fmt", ["turtle", "ntriples", "nquads", "trig", "jsonld", "rdfxml"])
def test_construct_in_every_rdf_format_parses(service, fmt):
    q = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o LIMIT 40"
    result = service.execute(q, result_format=fmt)
    assert result.form == "construct"
    rdflib_format = {"ntriples": "nt", "rdfxml": "xml", "jsonld": "json-ld"}.get(fmt, fmt)
    graph = rdflib.Dataset() if fmt in ("nquads", "trig") else rdflib.Graph()
    graph.parse(data=b"".join(result.chunks), format=rdflib_format)
    assert len(graph) == 40


def test_describe(service):
    result = service.execute(
        "DESCRIBE ?f { ?f a <https://w3id.org/ruhrkg/def#Forum> } LIMIT 1", result_format="ntriples"
    )
    assert result.form == "describe"
    assert rdflib.Graph().parse(data=text(result), format="nt")


def test_a_result_larger_than_the_pipe_buffer_streams_in_chunks(service, reference):
    expected = len(list(reference.query("SELECT * { ?s ?p ?o }", use_default_graph_as_union=True)))
    result = service.execute("SELECT * { ?s ?p ?o }", dataset="union")
    chunks = list(result.chunks)
    assert len(chunks) > 5 and max(map(len, chunks)) < 200_000
    assert len(json.loads(b"".join(chunks))["results"]["bindings"]) == expected
    nt = text(service.execute("CONSTRUCT WHERE { ?s ?p ?o }", dataset="union", result_format="ntriples"))
    assert len(nt.splitlines()) == expected


def test_a_result_abandoned_half_way_frees_its_worker(service):
    result = service.execute("SELECT * { ?s ?p ?o }", dataset="union")
    next(result.chunks)
    result.chunks.close()
    for _ in range(5):  # more queries than workers: none may be stuck
        assert count(service) > 0


def test_the_wrong_format_for_the_form_is_refused(service):
    with pytest.raises(QueryRejected) as e:
        service.execute("SELECT * {}", result_format="turtle")
    assert e.value.status == 400 and "json" in e.value.message
    with pytest.raises(QueryRejected):
        service.execute("CONSTRUCT WHERE { ?s ?p ?o }", result_format="csv")


def test_substitutions_bind_typed_values(service):
    q = "SELECT ?i ?l ?n { }"
    subs = {"i": ("iri", "https://example.org/x"), "l": ("literal", "a 'quoted' }"), "n": ("integer", "42")}
    row = json.loads(text(service.execute(q, substitutions=subs)))["results"]["bindings"][0]
    assert row["i"] == {"type": "uri", "value": "https://example.org/x"}
    assert row["l"]["value"] == "a 'quoted' }"
    assert row["n"]["value"] == "42" and row["n"]["datatype"].endswith("#integer")
    for bad in ({"n": ("integer", "4x")}, {"i": ("iri", "not an iri")}, {"x": ("float", "1")}, {"?x": ("literal", "")}):
        with pytest.raises(QueryRejected):
            service.execute(q, substitutions=bad)


# --------------------------------------------------------------------------- datasets


def test_datasets(service, reference):
    def expected(**kw):
        return int(next(iter(reference.query(COUNT, **kw)))["n"].value)

    for name in ("default", "inferred", "union"):
        assert count(service, dataset=name) == expected(**querying.dataset_kwargs(name))
    assert count(service, dataset="inferred") > count(service, dataset="default")
    inferred = str(GRAPHS["inferred"])
    assert count(service, default_graph_uris=[inferred]) == expected(default_graph=[ox.NamedNode(inferred)])
    # A query's FROM wins over the dataset choice; protocol parameters win over both.
    assert count(service, f"SELECT (COUNT(*) AS ?n) FROM <{inferred}> {{ ?s ?p ?o }}") == count(
        service, default_graph_uris=[inferred]
    )
    data = str(GRAPHS["data"])
    assert count(service, f"SELECT (COUNT(*) AS ?n) FROM <{inferred}> {{ ?s ?p ?o }}", default_graph_uris=[data]) == (
        count(service, default_graph_uris=[data])
    )
    graphs = "SELECT ?g (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
    rows = json.loads(text(service.execute(graphs, named_graph_uris=[data])))["results"]["bindings"]
    assert [r["g"]["value"] for r in rows] == [data]
    with pytest.raises(QueryRejected):
        service.execute(COUNT, dataset="everything")
    with pytest.raises(QueryRejected):
        service.execute(COUNT, default_graph_uris=["not an iri"])


# --------------------------------------------------------------------------- read-only, pre-checks


def test_a_syntax_error_reports_its_position(service):
    with pytest.raises(QuerySyntaxError) as e:
        service.execute("SELECT * WHERE {\n  ?s ?p \n}")
    assert e.value.status == 400
    assert re.search(r"\b3:\d+\b", e.value.message), e.value.message
    assert "\n" not in e.value.message and len(e.value.message) <= 320


UPDATES = [
    "INSERT DATA { <https://example.org/a> <https://example.org/b> 1 }",
    "PREFIX ex: <https://example.org/> # comment\n insert data { ex:a ex:b 1 }",
    "DELETE WHERE { ?s ?p ?o }",
    "DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
    "WITH <https://w3id.org/ruhrkg/graph/data> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
    "LOAD <http://127.0.0.1:9/x.ttl>",
    "CLEAR ALL",
    "DROP GRAPH <https://w3id.org/ruhrkg/graph/data>",
    "CREATE GRAPH <https://example.org/g>",
    "ADD DEFAULT TO <https://example.org/g>",
    "MOVE DEFAULT TO <https://example.org/g>",
    "COPY DEFAULT TO <https://example.org/g>",
]


def test_updates_are_refused_and_the_data_is_unchanged(service):
    before = count(service, dataset="union")
    for update in UPDATES:
        assert query_form(update) == "update"
        with pytest.raises(QueryRejected) as e:
            service.execute(update)
        assert e.value.status == 403, update
    assert count(service, dataset="union") == before


def test_query_form_skips_prologue_comments_and_strings():
    assert query_form("BASE <http://a/> PREFIX x: <y> # INSERT\nSELECT * {}") == "select"
    assert query_form("PREFIX:<http://a/> construct { } where { }") == "construct"
    assert query_form("describe <a:b>") == "describe"
    assert query_form("ASK{}") == "ask"
    assert query_form("VERSION '1.2' PREFIX x: <http://x/> SELECT * {}") == "select"
    for bad in ("", "   # only a comment", "FOO {}", "<a:b> <c:d> <e:f>", "'SELECT'"):
        with pytest.raises(QueryRejected):
            query_form(bad)


def test_malformed_input_is_refused_before_execution(service):
    cases = {
        "x" * 100_001: "too long",
        "SELECT * { ?s ?p 'a\x00' }": "NUL",
        "SELECT * { ?s ?p 'unterminated }": "unterminated",
        "SELECT * { ?s ?p ?o ) }": "unbalanced",
        "\x89PNG\r\n\x1a\n\x00\x00": "NUL",
        "%PDF-1.4 garbage": "not a SPARQL query",
    }
    for query, why in cases.items():
        with pytest.raises(QueryServiceError) as e:
            service.execute(query)
        assert e.value.status == 400 and why in e.value.message, (why, e.value.message)


def test_deep_nesting_is_refused_and_the_service_keeps_answering(service):
    for query in (
        "SELECT * " + "{" * 5000 + "}" * 5000,
        "SELECT * { FILTER(" + "(" * 5000 + "1" + ")" * 5000 + ") }",
        "SELECT * { ?s ?p " + "[ ?p " * 300 + "]" * 300 + " }",
    ):
        with pytest.raises(QueryRejected) as e:
            service.execute(query)
        assert e.value.status == 400 and "nested" in e.value.message
    assert count(service) > 0
    # Brackets in strings, IRIs and comments do not count.
    opaque = "SELECT * { ?s ?p ?o FILTER(?o != '" + "{(" * 2000 + "') } # " + "[" * 3000
    assert analyse(opaque).form == "select"
    assert analyse("SELECT * { ?s <http://e/((((((((((((> ?o }", max_nesting=3).form == "select"


LEGITIMATE = [
    "select * where { ?s ?p ?o } limit 1",
    "SELECT * { ?s ?p ?o FILTER(?o < 3 && ?o<4 || ?o>=5) }",
    "SELECT * { ?s ?p ?o FILTER(?p = <http://www.w3.org/1999/02/22-rdf-syntax-ns#type>) }",
    "SELECT * { ?s ?p ?o FILTER(?p IN (<http://a.example/#b>, <http://a.example/#c>)) }",
    'SELECT * { ?s ?p ?o FILTER(?o != "1"^^<http://www.w3.org/2001/XMLSchema#integer>) }',
    "SELECT * { VALUES (?a ?b) { (<http://x.example/#a> <http://x.example/#b>) (UNDEF 1) } }",
    "SELECT * { BIND(<http://a.example/#b> AS ?x) BIND(IF(?x, <http://a.example/#c>, 1) AS ?y) }",
    "SELECT * { ?s <http://a.example/#b>/<http://a.example/#c>* ?o }",
    "PREFIX dcat: <http://www.w3.org/ns/dcat#> SELECT ?service { ?service a dcat:DataService ; dcat:servesDataset ?d }",
    "SELECT * { ?s ?p ?o FILTER(CONTAINS(STR(?o), 'SERVICE')) } # SERVICE <http://evil.example/>",
    "SELECT * { ?s ?p <http://example.org/service> FILTER NOT EXISTS { ?s <http://a.example/#b> ?o } }",
    "SELECT (COUNT(?s) AS ?n) (GROUP_CONCAT(?o; SEPARATOR=', ') AS ?all) { ?s ?p ?o } GROUP BY ?p ORDER BY DESC(?n)",
    "SELECT * FROM <https://w3id.org/ruhrkg/graph/data> FROM NAMED <https://w3id.org/ruhrkg/graph/ontology> { }",
    "SELECT * { ?s ?p ?o . { SELECT ?s { ?s ?q ?r } LIMIT 1 } OPTIONAL { ?o ?x ?y } MINUS { ?s ?p 1 } }",
    'CONSTRUCT { ?s <http://a.example/#p> """multi\nline \' " }""" } WHERE { ?s ?p ?o } LIMIT 1',
]


def test_legitimate_queries_pass_the_pre_checks(service):
    for query in LEGITIMATE:
        assert analyse(query).form in ("select", "construct"), query
        b"".join(service.execute(query, result_format="json" if "CONSTRUCT" not in query else "turtle").chunks)
    for saved in saved_queries.load_all():
        assert analyse(saved.text, service_allowlist=["https://query.wikidata.org/sparql"]).form == "select"


# --------------------------------------------------------------------------- SERVICE


def refused_services(url: str) -> list[str]:
    host = url.rsplit("/", 1)[0] + "/"
    escaped = url.replace("h", "\\u0068", 1)
    return [
        f"SELECT * {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
        f"SELECT * {{ ?s ?p ?o . service silent <{url}> {{ ?s ?p ?o }} }}",
        f"SELECT * {{ SERVICESILENT<{url}>{{ ?s ?p ?o }} }}",
        f"PREFIX e: <{host}> SELECT * {{ SERVICE e:sparql {{ ?s ?p ?o }} }}",
        f"PREFIX : <{host}> SELECT * {{ SERVICE:sparql {{ ?s ?p ?o }} }}",
        f"PREFIX x: <{host}> SELECT * {{ ?s ?p ?o . SERVICEx:sparql {{ ?s ?p ?o }} }}",
        f"PREFIX : <{host}> PREFIX service: <http://ok/> SELECT * {{ ?s ?p ?o . service:sparql {{ ?s ?p ?o }} }}",
        f"SELECT * {{ ?s ?p ?o . SERVICE <{escaped}> {{ ?s ?p ?o }} }}",
        f"SELECT * {{ ?s ?p ?o #x\rSERVICE <{url}> {{ ?s ?p ?o }} }}",
        f"SELECT * {{ VALUES ?u {{ <{url}> }} SERVICE ?u {{ ?s ?p ?o }} }}",
        f"SELECT * {{ FILTER EXISTS {{ SERVICE <{url}> {{ }} }} }}",
        f"PREFIX e: <http://e/> SELECT * {{ ?s ?p ?o FILTER(?o<str('>')) SERVICE <{url}> {{ ?s ?p ?o }} #'\n}}",
        f'PREFIX e: <http://e/> SELECT * {{ ?s ?p ?o FILTER(?o<e:b#>")\n) SERVICE <{url}> {{ }} #"\n}}',
    ]


def test_a_refused_service_makes_no_network_request(service, listener):
    with pytest.raises(QueryRejected) as e:
        service.execute(f"SELECT * {{ SERVICE <{listener.url}> {{ ?s ?p ?o }} }}")
    assert e.value.status == 403 and listener.url in e.value.message
    for query in refused_services(listener.url):
        with pytest.raises(QueryServiceError) as e:
            service.execute(query, dataset="union")
        assert e.value.status in (400, 403), query
    time.sleep(0.2)
    assert listener.accepted == 0
    # The listener does count connections: the same query does reach it from an unchecked store.
    with pytest.raises(Exception):  # noqa: B017 - the listener closes the connection
        list(ox.Store().query(f"SELECT * {{ SERVICE <{listener.url}> {{ ?s ?p ?o }} }}"))
    time.sleep(0.2)
    assert listener.accepted == 1


FROM_AFAR = b'{"head":{"vars":["x"]},"results":{"bindings":[{"x":{"type":"literal","value":"from afar"}}]}}'


def test_an_allowed_service_is_contacted(store_path, fixed_answer):
    server = fixed_answer(FROM_AFAR)
    url = server.url + "/sparql"
    with local_service(store_path, workers=1, service_allowlist=[url]) as svc:
        rows = json.loads(text(svc.execute(f"SELECT ?x {{ SERVICE <{url}> {{ ?x ?p ?o }} }}")))
        assert rows["results"]["bindings"] == [{"x": {"type": "literal", "value": "from afar"}}]
        prefixed = f"PREFIX r: <{server.url}/> SELECT ?x {{ SERVICE SILENT r:sparql {{ ?x ?p ?o }} }}"
        rows = json.loads(text(svc.execute(prefixed)))
        assert len(rows["results"]["bindings"]) == 1
        with pytest.raises(QueryRejected):
            svc.execute(f"SELECT ?x {{ SERVICE <{url}/other> {{ ?x ?p ?o }} }}")
    assert len(server.requests) == 2


# --------------------------------------------------------------------------- limits


def pids(svc) -> set[int]:
    return set(svc.engine.pids())


def warm(svc) -> None:
    """Wait until the pool's workers answer (on a loaded machine their start can take longer than a short limit)."""
    for _ in range(30):
        try:
            assert count(svc) > 0
            return
        except QueryTimeout:
            continue
    raise AssertionError("the query workers did not start")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_runaway_query_is_cut_off_while_others_are_served(store_path):
    with local_service(store_path, workers=2, timeout=1.5, memory_limit_mb=4096) as svc:
        warm(svc)
        before = pids(svc)
        outcome = {}

        def runaway():
            start = time.monotonic()
            try:
                text(svc.execute(RUNAWAY, dataset="union"))
            except QueryServiceError as e:
                outcome["error"] = e
            outcome["seconds"] = time.monotonic() - start

        thread = threading.Thread(target=runaway)
        thread.start()
        time.sleep(0.3)
        start = time.monotonic()
        assert count(svc) > 0
        assert time.monotonic() - start < 1.0
        thread.join()
        assert isinstance(outcome["error"], QueryTimeout) and outcome["error"].status == 503
        assert "1.5 s" in outcome["error"].message
        assert outcome["seconds"] < 1.5 + 1.0
        killed = before - pids(svc)
        assert len(killed) == 1 and not alive(killed.pop())
        assert count(svc) > 0


def test_the_memory_limit_stops_a_query_and_the_service_survives(store_path):
    with local_service(store_path, workers=1, timeout=30, memory_limit_mb=400) as svc:
        start = time.monotonic()
        with pytest.raises(QueryResourceLimit) as e:
            text(svc.execute(RUNAWAY, dataset="union"))
        assert e.value.status == 503 and "400 MB" in e.value.message
        assert time.monotonic() - start < 15
        assert count(svc) > 0


def test_a_crashed_worker_is_replaced(store_path):
    with local_service(store_path, workers=1, timeout=10, memory_limit_mb=4096) as svc:
        assert count(svc, dataset="union") > 0
        before = pids(svc)  # the one worker
        # (SIGILL: Rust takes a first SIGSEGV itself)
        threading.Timer(0.5, lambda: [os.kill(pid, signal.SIGILL) for pid in before]).start()
        with pytest.raises(WorkerCrashed) as e:
            text(svc.execute(SPINNER, dataset="union"))
        assert e.value.status == 500 and "SIGILL" in e.value.message
        assert count(svc, dataset="union") > 0 and pids(svc).isdisjoint(before)


def test_waiting_for_a_busy_pool_times_out(store_path):
    with local_service(store_path, workers=1, timeout=1) as svc:
        held = svc.execute("SELECT * { ?s ?p ?o }", dataset="union")  # unread: it holds the only worker
        with pytest.raises(QueryTimeout) as e:
            svc.execute("ASK {}", dataset="union")
        assert "no query worker became free" in e.value.message
        held.chunks.close()
        assert count(svc) > 0


def test_concurrent_callers_share_the_pool(service, reference):
    expected = int(next(iter(reference.query(COUNT, **querying.dataset_kwargs("default"))))["n"].value)
    results, errors = [], []

    def caller():
        try:
            for _ in range(15):
                results.append(count(service))
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=caller) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and results == [expected] * 120


def test_reload_restarts_the_workers(store_path):
    with local_service(store_path, workers=2) as svc:
        n = count(svc)
        before = pids(svc)
        svc.reload(store_path)
        assert count(svc) == n
        assert pids(svc) and pids(svc).isdisjoint(before)
        svc.reload("/nonexistent/store")
        with pytest.raises(WorkerCrashed) as e:
            svc.execute("ASK {}")
        assert "cannot open the store" in e.value.message
        svc.reload(store_path)
        assert count(svc) == n


def test_bad_configuration_is_refused(store_path):
    with pytest.raises(ValueError):
        local_service(store_path, memory_limit_mb=64)
    with pytest.raises(ValueError):
        local_service(store_path, service_allowlist=["relative/sparql"])


# --------------------------------------------------------------------------- fuzzing the lexer


@settings(max_examples=200, deadline=None, database=None)
@given(st.text(max_size=200) | st.text(alphabet="SERVICEselctx{}()[]<>?$:#'\"\\ \n\r.;,_@^", max_size=200))
def test_the_pre_checks_never_fail_unexpectedly(query):
    try:
        analyse(query, service_allowlist=["http://allowed/sparql"])
    except QueryServiceError as e:
        assert e.status in (400, 403) and "\n" not in e.message


NOISE = [
    "{", "}", "(", ")", "[", "]", " ", "\n", "\r", "#", "'", '"', "'''", "<", ">", "<e:b#>", "<x'>", "?o", "?s ?p ?o",
    ".", ";", ",", "FILTER(", "FILTER(?o<", "BIND(", " AS ?z)", "true", "VALUES ?v {", "VALUES (?v ?w) {", "str('",
    "\\u0053", "\\#", "OPTIONAL {", "MINUS {", "EXISTS {", "1", "'x'", "@en", "^^", "&&", "!", "_:b", "e:", ":",
    "SILENT", "SERVICE",
]  # fmt: skip
SERVICES = [
    "SERVICE <EVIL> { ?s ?p ?o }", "service silent <EVIL> {}", "SERVICESILENT<EVIL>{}", "SERVICE e:sparql {}",
    "SERVICE:sparql{}", "SERVICEe:sparql {}", "service:sparql {}", "SERVICE <ESCAPED> {}", "SERVICE#c\n<EVIL>{}",
]  # fmt: skip


@pytest.fixture(scope="module")
def fuzz_target(new_listener):
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("http://e/s"), ox.NamedNode("http://e/p"), ox.Literal("o")))
    return new_listener(), store


@settings(max_examples=400, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(st.sampled_from(NOISE), max_size=4),
    st.sampled_from(SERVICES),
    st.lists(st.sampled_from(NOISE), max_size=4),
)
def test_queries_the_pre_checks_accept_never_reach_the_network(fuzz_target, before, service, after):
    """Differential fuzzing against the real parser: SERVICE calls in noise meant to desynchronise the lexer
    (strings, comments, IRIs, '<' as less-than, keywords without word boundaries). Whatever the pre-checks
    accept must not open a connection when pyoxigraph runs it unchecked."""
    listener, store = fuzz_target
    host = listener.url.rsplit("/", 1)[0] + "/"
    escaped = listener.url.replace("s", "\\u0073")
    body = ("".join(before) + service + "".join(after)).replace("EVIL", listener.url).replace("ESCAPED", escaped)
    query = f"PREFIX e: <{host}> PREFIX : <{host}> SELECT * {{ ?s ?p ?o {body} }}"
    connections = listener.accepted
    try:
        analyse(query, service_allowlist=[])
    except QueryServiceError:
        return
    try:
        result = store.query(query)
        if not isinstance(result, ox.QueryBoolean):
            list(result)
    except Exception:  # noqa: BLE001 - most generated queries are malformed; only the network matters
        pass
    time.sleep(0.002)
    assert listener.accepted == connections, query


def test_in_memory_copy_answers_like_the_store_on_disk(store_path):
    query = (Path(__file__).parent.parent / "queries" / "events.rq").read_text()
    with local_service(store_path, workers=1, in_memory_max_quads=0) as disk, local_service(store_path, workers=1) as mem:
        assert text(disk.execute(query, result_format="csv")) == text(mem.execute(query, result_format="csv"))
        assert text(mem.execute("SELECT (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } }")) == text(
            disk.execute("SELECT (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } }")
        )


# --------------------------------------------------------------------------- the in-memory copy


DATASET_QUERIES = [
    ("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", {}),
    ("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g", {}),
    ("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o FILTER NOT EXISTS { graph ?g { ?s ?p ?o } } }", {}),
    ("SELECT (COUNT(*) AS ?n) WHERE { ?s a ?c }", {"dataset": "inferred"}),
    ("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", {"dataset": "union"}),
    ("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", {"default_graph_uris": ["https://w3id.org/ruhrkg/graph/links"]}),
    (
        "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }",
        {"named_graph_uris": ["https://w3id.org/ruhrkg/graph/data"]},
    ),  # fmt: skip
    ("SELECT (COUNT(*) AS ?n) FROM <https://w3id.org/ruhrkg/graph/ontology> WHERE { ?s ?p ?o }", {}),
    ("SELECT (COUNT(*) AS ?n) FROM NAMED <https://w3id.org/ruhrkg/graph/data> WHERE { ?s ?p ?o }", {}),
]


def test_the_in_memory_copy_answers_every_dataset_as_the_store_on_disk(store_path, service):
    """The copy merges data + ontology into its default graph for speed; no dataset may notice."""
    with local_service(store_path, workers=1, timeout=10, in_memory_max_quads=0) as disk:
        for query, kw in DATASET_QUERIES:
            assert json.loads(text(service.execute(query, **kw))) == json.loads(text(disk.execute(query, **kw))), query
