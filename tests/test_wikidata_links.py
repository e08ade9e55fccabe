"""Links to Wikidata: the curated table, the links graph, reconciliation against a local stand-in,
applying a review, federated queries, and the QuickStatements export."""

from __future__ import annotations

import csv
import http.server
import threading
import urllib.parse
import urllib.request
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib.namespace import OWL

from ruhrkg.graph import build as building
from ruhrkg.graph import export, linking, quickstatements, reason, remote
from ruhrkg.graph import store as stores
from ruhrkg.graph.wikidata import WikidataClient, WikidataConfig, WikidataError
from ruhrkg.mappings import links
from ruhrkg.mappings.mapper import to_graph
from ruhrkg.mappings.vocab import GRAPHS
from ruhrkg.server.cli import main

REFERENCE = Path(__file__).parent / "data" / "reference-wikidata-links.csv"
LINKS = ox.NamedNode(GRAPHS["links"])
LINKS_IRI = f"<{GRAPHS['links']}>"
PREFIXES = """PREFIX rk: <https://w3id.org/ruhrkg/def#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dct: <http://purl.org/dc/terms/>
"""


def select(st: ox.Store, query: str) -> list[dict]:
    result = st.query(PREFIXES + query, use_default_graph_as_union=True)
    names = [v.value for v in result.variables]
    return [{n: (s[n].value if s[n] is not None else None) for n in names} for s in result]


# --------------------------------------------------------------------------- the curated table


def test_every_reference_row_is_carried_with_its_evidence():
    table = {(r.qid): r for r in links.load()}
    with open(REFERENCE, encoding="utf-8") as f:
        reference = list(csv.DictReader(f))
    assert len(table) == len(reference)
    grade = {"two-or-more-sources-or-registry": "verified", "single-source": "candidate", "ambiguous": "candidate"}
    for ref in reference:
        row = table[ref["qid"]]
        assert row.evidence == ref["evidence"] and row.basis == ref["status"]
        assert row.status == grade[ref["status"]], ref["entity_label"]


def test_no_qid_is_invented():
    """The shipped table holds exactly the reference's Q-IDs: ministries and persons need reconciliation."""
    with open(REFERENCE, encoding="utf-8") as f:
        assert {r.qid for r in links.load()} == {row["qid"] for row in csv.DictReader(f)}
    assert not [r for r in links.load() if r.kind in ("ministry", "person")]


def test_nabu_nrw_is_a_broad_match_not_an_exact_one():
    (nabu,) = [r for r in links.load() if r.entity == "organization/nabu-nrw"]
    assert nabu.relation == "broadMatch" and "state association" in nabu.note


BAD_ROWS = {
    "qid": ("city/essen,Essen,2066,exactMatch,verified,x,ev,,2026-01-01,me", "not a Wikidata item ID"),
    "status": ("city/essen,Essen,Q2066,exactMatch,sure,x,ev,,2026-01-01,me", "status 'sure'"),
    "evidence": ("city/essen,Essen,Q2066,exactMatch,verified,x,,,2026-01-01,me", "needs its evidence"),
    "relation": ("city/essen,Essen,Q2066,sameAs,verified,x,ev,,2026-01-01,me", "relation 'sameAs'"),
    "entity": ("Essen,Essen,Q2066,exactMatch,verified,x,ev,,2026-01-01,me", "not an IRI path"),
    "date": ("city/essen,Essen,Q2066,exactMatch,verified,x,ev,,26.11.2026,me", "not an ISO date"),
}


@pytest.mark.parametrize("case", sorted(BAD_ROWS))
def test_bad_rows_are_reported_with_their_line(case):
    row, message = BAD_ROWS[case]
    with pytest.raises(links.LinkTableError, match=message) as e:
        links.parse(",".join(links.COLUMNS) + "\n" + row + "\n", "t.csv")
    assert "t.csv, line 2" in str(e.value)


def test_two_verified_exact_matches_for_one_entity_are_refused():
    head = ",".join(links.COLUMNS) + "\n"
    rows = "city/essen,Essen,Q2066,exactMatch,verified,x,ev,,,\ncity/essen,Essen,Q2067,exactMatch,verified,x,ev,,,\n"
    with pytest.raises(links.LinkTableError, match="two verified exact matches"):
        links.parse(head + rows)


def test_save_round_trips_and_never_writes_a_bad_table(tmp_path):
    path = tmp_path / "t.csv"
    links.save(links.load(), path)
    assert links.load(path) == sorted(links.load(), key=lambda r: (r.entity, int(r.qid[1:])))
    before = path.read_bytes()
    bad = links.Link("city/essen", "Essen", "Q2066", status="verified", evidence="")
    with pytest.raises(links.LinkTableError):
        links.save([bad], path)
    assert path.read_bytes() == before and not list(tmp_path.glob(".t.csv.*"))


# --------------------------------------------------------------------------- the links graph


def test_every_link_in_the_graph_has_status_and_evidence(store):
    rows = select(
        store,
        "SELECT ?link ?status ?evidence ?target WHERE { GRAPH " + LINKS_IRI + " { ?link a rk:EntityLink ; "
        "rk:linkTarget ?target . OPTIONAL { ?link rk:linkStatus ?status } OPTIONAL { ?link rk:evidence ?evidence } } }",
    )
    assert len(rows) == len(links.load())
    assert all(r["status"] and r["evidence"] for r in rows)


def test_only_verified_links_are_asserted(store):
    asserted = {
        (r["e"], r["item"])
        for r in select(
            store, "SELECT ?e ?item WHERE { GRAPH " + LINKS_IRI + " { ?e skos:exactMatch|skos:broadMatch ?item } }"
        )
    }
    verified = {(str(r.entity_iri), str(r.item)) for r in links.load() if r.status == "verified"}
    assert asserted == verified
    candidate = next(r for r in links.load() if r.status == "candidate")
    assert (str(candidate.entity_iri), str(candidate.item)) not in asserted


def test_links_live_only_in_their_named_graph(store):
    for graph in ("data", "ontology", "inferred"):
        g = ox.NamedNode(GRAPHS[graph])
        hits = list(store.quads_for_pattern(None, None, None, g))
        assert not [q for q in hits if q.object.value.startswith("http://www.wikidata.org/entity/")], graph


def test_the_built_inferred_graph_ignores_the_links(store):
    inferred = list(store.quads_for_pattern(None, None, None, ox.NamedNode(GRAPHS["inferred"])))
    assert inferred
    for q in inferred:
        for term in (q.subject, q.object):
            assert not term.value.startswith(("http://www.wikidata.org/", "https://w3id.org/ruhrkg/id/link/")), q


def test_skos_links_would_not_merge_anything_even_under_owl_rl(doc):
    """Were the links reasoned over, SKOS relations would entail no owl:sameAs and nothing new about our
    entities: that is why they are SKOS and not owl:sameAs."""
    data, ontology = to_graph(doc), building.ontology_graph()
    with_links = to_graph(doc)
    for t in links.triples(links.load()):
        with_links.add(t)
    plain = reason.inferred_triples(data, ontology)
    polluted = reason.inferred_triples(with_links, ontology)
    assert not [t for t in polluted if t[1] == OWL.sameAs]

    def about_our_entities(triples):
        return {t for t in triples if str(t[0]).startswith("https://w3id.org/ruhrkg/id/")
                and not str(t[0]).startswith("https://w3id.org/ruhrkg/id/link/")}  # fmt: skip

    assert about_our_entities(polluted) == about_our_entities(plain)


def test_links_are_exported_with_the_rest(store):
    quads = export.sorted_quads(store, export.Selection.ALL)
    assert any(q.graph_name == LINKS for q in quads)
    nq = export.serialize(store, export.ExportFormat.named("nquads"), export.Selection.ALL).decode()
    assert f"<{GRAPHS['links']}> ." in nq


def test_a_link_to_an_unknown_entity_fails_the_build(tmp_path):
    table = tmp_path / "t.csv"
    table.write_text(",".join(links.COLUMNS) + "\ncity/atlantis,Atlantis,Q1,exactMatch,verified,x,ev,,,\n")
    with pytest.raises(building.BuildError, match="city/atlantis"):
        building.build(data_dir=tmp_path / "d", links=table)
    assert not stores.has_build(tmp_path / "d")


def test_build_cli_reports_a_bad_table(runner, tmp_path):
    table = tmp_path / "t.csv"
    table.write_text("entity,qid\nx,y\n")
    result = runner.invoke(main, ["build", "--data-dir", str(tmp_path / "d"), "--links", str(table), "-q"])
    assert result.exit_code == 1 and "lacks the column" in result.output and "Traceback" not in result.output


# --------------------------------------------------------------------------- reconciliation


@pytest.fixture(scope="module")
def review(runner_module, data_dir, wikidata_standin, tmp_path_factory):
    out = tmp_path_factory.mktemp("review") / "review.csv"
    result = runner_module.invoke(main, [
        "link", "wikidata", "--data-dir", str(data_dir), "--sparql-url", wikidata_standin["sparql_url"],
        "--api-url", wikidata_standin["api_url"], "--interval", "0", "-q", "-o", str(out),
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    with open(out, encoding="utf-8") as f:
        return list(csv.DictReader(f)), out, result.output


@pytest.fixture(scope="module")
def runner_module():
    from click.testing import CliRunner

    return CliRunner()


def candidates(rows, entity):
    return [r for r in rows if r["entity"] == entity and r["qid"]]


EXPECTED_FIRST = {  # entity -> (the stand-in item that is right, accepted without review?)
    "person/hendrik-wuest": ("Q990000001", True),  # the only human of that name, and an NRW office
    "person/hildegard-mueller": ("Q990000021", False),  # found by an alias; no context to confirm
    "ministry/mkw": ("Q990000101", True),
    "city/muelheim-an-der-ruhr": ("Q990000301", True),
    "city/hattingen": ("Q990000303", True),
    "venue/signal-iduna-park": ("Q990000401", True),  # located in Dortmund, the venue's linked city
    "organization/emschergenossenschaft": ("Q990000501", True),
}


@pytest.mark.parametrize("entity", sorted(EXPECTED_FIRST))
def test_the_right_candidate_comes_first(review, entity):
    rows = candidates(review[0], entity)
    qid, auto = EXPECTED_FIRST[entity]
    assert rows and rows[0]["qid"] == qid and rows[0]["rank"] == "1"
    assert (rows[0]["decision"] == "accept") is auto
    assert all(r["decision"] == "" for r in rows[1:])


def test_two_people_of_the_same_name_are_left_for_review(review):
    rows = candidates(review[0], "person/herbert-reul")
    assert {r["qid"] for r in rows} == {"Q990000011", "Q990000012"}
    assert rows[0]["score"] == rows[1]["score"] and not [r for r in rows if r["decision"]]


def test_items_of_the_wrong_type_are_filtered(review):
    qids = {r["qid"] for r in review[0]}
    assert "Q990000002" not in qids  # a street named after Hendrik Wüst
    assert "Q990000102" not in qids  # a ship called "Kultur und Wissenschaft"


def test_linked_entities_are_not_searched_and_absent_ones_get_a_row(review):
    entities = {r["entity"] for r in review[0]}
    assert "city/essen" not in entities  # verified in the table
    assert "city/recklinghausen" in entities  # only a candidate in the table
    gap = [r for r in review[0] if r["entity"] == "ministry/fm"]
    assert len(gap) == 1 and gap[0]["qid"] == "" and "no candidate" in gap[0]["note"]


def test_review_rows_carry_scores_reasons_and_where_they_came_from(review, wikidata_standin):
    (row,) = [r for r in candidates(review[0], "person/hendrik-wuest")]
    assert row["score"] == "100" and "instance of Q5" in row["reasons"] and "North Rhine-Westphalia" in row["reasons"]
    assert row["service"] == wikidata_standin["sparql_url"] and row["wikidata_description"]
    assert "6 accepted automatically" in review[2]


def test_apply_takes_a_reviewed_file_into_the_table(review, runner, tmp_path):
    rows, path, _ = review
    table = tmp_path / "links.csv"
    links.save(links.load(), table)
    edited = tmp_path / "reviewed.csv"
    with open(path, encoding="utf-8") as f, open(edited, "w", encoding="utf-8", newline="") as out:
        reader = csv.DictReader(f)
        writer = csv.DictWriter(out, reader.fieldnames)
        writer.writeheader()
        for r in reader:
            if r["qid"] == "Q990000011":
                r["decision"] = "accept"
            if r["qid"] == "Q990000012":
                r["decision"] = "reject"
            writer.writerow(r)
    result = runner.invoke(main, ["link", "apply", str(edited), "--table", str(table), "--reviewer", "A. Tester"])
    assert result.exit_code == 0, result.output
    after = {(r.entity, r.qid): r for r in links.load(table)}
    reul = after[("person/herbert-reul", "Q990000011")]
    assert reul.status == "verified" and reul.curator == "A. Tester" and reul.basis == "reconciled"
    assert "score 85" in reul.evidence and "accepted by A. Tester" in reul.evidence
    assert after[("person/herbert-reul", "Q990000012")].status == "rejected"
    assert after[("person/hendrik-wuest", "Q990000001")].status == "verified"  # the automatic acceptance
    assert ("city/essen", "Q2066") in after  # nothing else is lost


def test_a_rejected_item_is_not_proposed_again(data_dir, wikidata_standin, runner, tmp_path):
    table = tmp_path / "links.csv"
    rejected = links.Link("person/herbert-reul", "Herbert Reul", "Q990000012", status="rejected", evidence="test")
    links.save([*links.load(), rejected], table)
    out = tmp_path / "r.csv"
    result = runner.invoke(main, [
        "link", "wikidata", "--data-dir", str(data_dir), "--sparql-url", wikidata_standin["sparql_url"],
        "--api-url", wikidata_standin["api_url"], "--interval", "0", "-q", "--kind", "person",
        "--table", str(table), "-o", str(out),
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    with open(out, encoding="utf-8") as f:
        everything = list(csv.DictReader(f))
    rows = [r for r in everything if r["entity"] == "person/herbert-reul"]
    assert [r["qid"] for r in rows] == ["Q990000011"]
    assert {r["kind"] for r in everything} == {"person"}


def test_a_conflicting_review_leaves_the_table_unchanged(runner, tmp_path):
    table = tmp_path / "links.csv"
    links.save(links.load(), table)
    before = table.read_bytes()
    review = tmp_path / "r.csv"
    review.write_text(
        ",".join(linking.REVIEW_COLUMNS) + "\n"
        "city/essen,Essen,city,1,Q999,,,90,,accept,,,\n"  # Essen is verified as Q2066 already
    )
    result = runner.invoke(main, ["link", "apply", str(review), "--table", str(table), "--reviewer", "x"])
    assert result.exit_code == 1 and "already has a verified link to Q2066" in result.output
    assert "unchanged" in result.output and table.read_bytes() == before


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("city/essen,Essen,city,1,Q999,,,90,,maybe,,,", "decision 'maybe'"),
        ("city/essen,Essen,city,,,,,,,accept,,,", "needs a qid"),
    ],
)
def test_bad_review_decisions_are_reported(runner, tmp_path, line, message):
    table = tmp_path / "links.csv"
    links.save(links.load(), table)
    review = tmp_path / "r.csv"
    review.write_text(",".join(linking.REVIEW_COLUMNS) + "\n" + line + "\n")
    result = runner.invoke(main, ["link", "apply", str(review), "--table", str(table), "--reviewer", "x"])
    assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output


def test_scoring_parts():
    assert linking.normalise("Prof. Dr. Hans-Jürgen Müller") == "hans jurgen muller"
    assert linking.similarity(["Hendrik Wüst"], ["hendrik wust"]) == 1.0
    assert linking.similarity(["Hendrik Wüst"], ["Hendrik Wüst-Straße"]) < 1.0
    a = linking.Candidate("Q1", "", "", 100, [])
    b = linking.Candidate("Q2", "", "", 85, [])
    c = linking.Candidate("Q3", "", "", 89, [])
    assert linking.decide([a, b]) and not linking.decide([a, c]) and not linking.decide([c])


# --------------------------------------------------------------------------- politeness and failures


class _Flaky(http.server.BaseHTTPRequestHandler):
    """Answers 503 (Retry-After: 0) to the first requests, then an empty search; records User-Agents."""

    fail = 2
    agents: list[str] = []

    def do_GET(self):  # noqa: N802
        type(self).agents.append(self.headers.get("User-Agent", ""))
        if type(self).fail > 0:
            type(self).fail -= 1
            self.send_response(503)
            self.send_header("Retry-After", "0")
            self.end_headers()
            return
        body = b'{"search": [], "success": 1}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def flaky():
    _Flaky.fail, _Flaky.agents = 2, []
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Flaky)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_port}/w/api.php"
    srv.shutdown()
    srv.server_close()


def test_failures_are_retried_politely_with_a_descriptive_user_agent(flaky):
    reports = []
    client = WikidataClient(WikidataConfig(api_url=flaky, min_interval=0, retries=3), report=reports.append)
    assert client.search("Essen") == []
    assert client.retried == 2 and len(reports) == 2 and "HTTP 503" in reports[0]
    assert len(_Flaky.agents) == 3
    assert all(a.startswith("ruhrkg/") and "w3id.org/ruhrkg" in a for a in _Flaky.agents)


def test_giving_up_is_reported_not_raised_as_a_traceback(flaky, data_dir, runner, tmp_path, wikidata_standin):
    _Flaky.fail = 10**6
    out = tmp_path / "r.csv"
    result = runner.invoke(main, [
        "link", "wikidata", "--data-dir", str(data_dir), "--api-url", flaky, "--sparql-url",
        wikidata_standin["sparql_url"], "--interval", "0", "--retries", "1", "--kind", "ministry", "-q", "-o", str(out),
    ])  # fmt: skip
    assert result.exit_code == 2 and "failed: ministry/fm" in result.output and "Traceback" not in result.output
    with open(out, encoding="utf-8") as f:
        assert all("search failed: " in r["note"] for r in csv.DictReader(f))


def test_an_unreachable_service_is_a_clear_error():
    client = WikidataClient(WikidataConfig(api_url="http://127.0.0.1:9/w/api.php", min_interval=0, retries=0))
    with pytest.raises(WikidataError, match="cannot reach http://127.0.0.1:9/w/api.php"):
        client.search("Essen")


def test_requests_are_spaced_by_the_minimum_interval(flaky):
    _Flaky.fail = 0
    slept = []
    client = WikidataClient(WikidataConfig(api_url=flaky, min_interval=5), sleep=slept.append)
    client.search("a")
    client.search("b")
    assert len(slept) == 1 and 4 < slept[0] <= 5


# --------------------------------------------------------------------------- federated queries


@pytest.fixture(scope="module")
def standin_server(start_server, standin_data_dir, wikidata_standin):
    """`ruhrkg serve` with SERVICE <https://query.wikidata.org/sparql> sent to the stand-in."""
    return start_server(standin_data_dir, "--http-workers", "1", "--wikidata-sparql", wikidata_standin["sparql_url"])


def get_json(url: str) -> dict:
    req = urllib.request.Request(url, headers={"Accept": "application/sparql-results+json"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        import json

        return json.load(resp)


def test_federated_city_query_joins_wikidata_coordinates(standin_server):
    rows = get_json(standin_server + "/api/queries/wikidata-city-coordinates?format=json")["results"]["bindings"]
    got = {r["name"]["value"]: (r["coordinates"]["value"], r["municipalityKey"]["value"]) for r in rows}
    assert got == {"Dortmund": ("Point(7.4652 51.5136)", "05913000"), "Essen": ("Point(7.0117 51.4508)", "05113000")}


def test_federated_person_query_through_a_reviewed_link(standin_server):
    rows = get_json(standin_server + "/api/queries/wikidata-office-holders?format=json")["results"]["bindings"]
    assert [(r["name"]["value"], r["position"]["value"]) for r in rows] == [
        ("Hendrik Wüst", "Verkehrsminister des Landes Nordrhein-Westfalen")
    ]
    assert rows[0]["image"]["value"].startswith("http://commons.wikimedia.org/")


def test_ad_hoc_federated_query_through_the_sparql_endpoint(standin_server):
    query = (
        "PREFIX wdt: <http://www.wikidata.org/prop/direct/> SELECT ?key WHERE { "
        "SERVICE <https://query.wikidata.org/sparql> { <http://www.wikidata.org/entity/Q2066> wdt:P439 ?key } }"
    )
    rows = get_json(standin_server + "/sparql?" + urllib.parse.urlencode({"query": query}))["results"]["bindings"]
    assert [r["key"]["value"] for r in rows] == ["05113000"]


def test_other_service_endpoints_stay_refused(standin_server, wikidata_standin):
    query = f"SELECT * WHERE {{ SERVICE <{wikidata_standin['sparql_url']}> {{ ?s ?p ?o }} }}"
    with pytest.raises(urllib.error.HTTPError) as e:
        get_json(standin_server + "/sparql?" + urllib.parse.urlencode({"query": query}))
    e.value.close()
    assert e.value.code == 403


def test_gaps_and_coverage(store):
    from ruhrkg.graph import query as querying
    from ruhrkg.graph import saved

    coverage = {
        s["kind"].value: (int(s["entities"].value), int(s["linked"].value), int(s["candidates"].value))
        for s in querying.execute(store, saved.load("wikidata-coverage").text)
    }
    verified = [r for r in links.load() if r.status == "verified" and r.relation == "exactMatch"]
    assert coverage["city"] == (14, sum(r.kind == "city" for r in verified), 5)
    assert coverage["person"] == (39, 0, 0)
    gaps = {s["entity"].value for s in querying.execute(store, saved.load("wikidata-gaps").text)}
    assert "https://w3id.org/ruhrkg/id/city/essen" not in gaps
    assert "https://w3id.org/ruhrkg/id/city/hattingen" in gaps
    assert "https://w3id.org/ruhrkg/id/organization/nabu-nrw" in gaps  # a broad match is not an exact one


# --------------------------------------------------------------------------- QuickStatements


@pytest.fixture(scope="module")
def qs_store(standin_data_dir):
    return stores.current(standin_data_dir).open_store()


def test_quickstatements_batch(qs_store):
    out = quickstatements.batch(qs_store, retrieved="2026-11-26")
    lines = out.text.splitlines()
    assert lines.count("CREATE") == 21  # the conference and 20 forums
    assert 'LAST\tLde\t"Bekämpfung der Clankriminalität"' in lines
    assert all(len(line.split("\t")) == 3 or "\tS854\t" in line for line in lines if line.startswith("LAST\tP"))
    ref = '\tS1476\tde:"Steckbriefe der 20 Themenforen"\tS577\t+2019-06-01T00:00:00Z/11'
    assert all(ref in line for line in lines if line.startswith("LAST\tP"))
    assert "LAST\tP585\t+2019-05-10T00:00:00Z/11" in out.text or "LAST\tP580" in out.text
    assert any("P361 part of" in o for o in out.omitted) and not [x for x in lines if "\tP361\t" in x]
    assert any("forum 03: P664 organizer (ministry:im" in o for o in out.omitted)


def test_quickstatements_with_a_linked_conference(qs_store):
    out = quickstatements.batch(qs_store, conference_qid="Q990000999", retrieved="2026-11-26")
    assert out.text.count("CREATE") == 20
    assert out.text.count("\tP361\tQ990000999\t") == 20


def test_quickstatements_check_refuses_a_wrong_constant(qs_store, wikidata_standin):
    """The stand-in labels Q1656682 nothing, so the check must refuse; with the right labels it passes."""
    client = WikidataClient(WikidataConfig(sparql_url=wikidata_standin["sparql_url"], min_interval=0))
    out = quickstatements.batch(qs_store, retrieved="2026-11-26")
    with pytest.raises(quickstatements.ExportError, match="Q1656682 \\(instance_of\\) has no English label"):
        quickstatements.check(out, client)
    out.qids = {"Q183": "country", "Q1198": "state"}
    quickstatements.check(out, client)
    out.qids = {"Q183": "state"}
    with pytest.raises(
        quickstatements.ExportError, match="labelled 'Germany' on Wikidata, not 'North Rhine-Westphalia'"
    ):
        quickstatements.check(out, client)


def test_quickstatements_cli(runner, standin_data_dir, tmp_path):
    out = tmp_path / "batch.txt"
    result = runner.invoke(main, ["link", "quickstatements", "--data-dir", str(standin_data_dir), "--no-check",
                                  "-o", str(out)])  # fmt: skip
    assert result.exit_code == 0 and "omitted: " in result.output and out.read_text().startswith("CREATE\n")
    bad = runner.invoke(main, ["link", "quickstatements", "--data-dir", str(standin_data_dir), "--conference", "X1"])
    assert bad.exit_code == 2 and "not a Wikidata item ID" in bad.output


def test_links_graph_round_trips_through_rdflib(store, built):
    from rdflib import Dataset

    ds = Dataset()
    ds.parse(data=export.serialize(store, export.ExportFormat.named("trig"), export.Selection.ALL), format="trig")
    assert len(ds.graph(GRAPHS["links"])) == built.manifest["triples"]["links"] > 0


def test_entity_pages_show_verified_links_only(data_dir):
    from ruhrkg.server.app import create_app

    app = create_app({"data_dir": str(data_dir), "access_log": False})
    try:
        client = app.test_client()
        essen = client.get("/doc/city/essen", headers={"Accept": "text/html"}).get_data(as_text=True)
        assert 'href="https://www.wikidata.org/wiki/Q2066"' in essen
        kamen = client.get("/doc/city/kamen", headers={"Accept": "text/html"}).get_data(as_text=True)
        assert 'id="wikidata"' not in kamen  # a single-source candidate is not shown as a match ...
        assert "link:city-kamen-Q7028" in kamen  # ... but its link record is, among the incoming links
        turtle = client.get("/doc/city/essen", headers={"Accept": "text/turtle"}).get_data(as_text=True)
        assert "skos:exactMatch wd:Q2066" in turtle
    finally:
        app.extensions["ruhrkg"].close()


@pytest.mark.parametrize("body", [b'{"search": []}', b"<html>busy</html>", b'{"head": {"vars": ["x"]}}'])
def test_an_answer_that_is_not_sparql_results_is_a_clear_error(fixed_answer, body):
    """Both SPARQL clients (Wikidata and the remote store) read SELECT results with graph.query.rows."""
    server = fixed_answer(body)
    client = WikidataClient(WikidataConfig(sparql_url=server.url + "/sparql", min_interval=0, retries=0))
    with pytest.raises(WikidataError, match="not SPARQL JSON"):
        client.select("SELECT ?x {}")
    with pytest.raises(remote.RemoteStoreError, match="not SPARQL JSON"):
        remote.select(remote.StoreSpec.parse(server.url, env={}), "SELECT ?x {}")
    assert server.requests == ["GET", "POST"]
