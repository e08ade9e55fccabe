"""The networks (/network/ministries, /network/persons), their downloads, the query editor and the vendored libraries.

Server-side, with Flask's test client on a real build. The weights are checked against the saved queries, the
downloads are loaded with networkx (GraphML, GEXF 1.3) and the csv module; the vendored files against their
manifest and frontend/package-lock.json.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections import Counter, defaultdict
from pathlib import Path

import networkx as nx
import pytest
from markupsafe import escape

from ruhrkg.graph import network, query, saved
from ruhrkg.mappings.vocab import PREFIXES
from ruhrkg.server.app import create_app

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "server" / "static" / "vendor"
MINISTRY = re.compile(r"^[A-Z][A-Za-z]+$")
# Endpoints base.html links to that other blueprints define; stubbed only while they do not exist yet.
NAV = {"pages.home": "/", "pages.about": "/about", "pages.ontology": "/def", "queries_web.index": "/queries"}


@pytest.fixture(scope="module")
def app(data_dir):
    app = create_app({"data_dir": str(data_dir), "access_log": False})
    for endpoint, path in NAV.items():
        if endpoint not in app.view_functions:
            app.add_url_rule(f"/_stub{path}", endpoint=endpoint, view_func=lambda: "")
    yield app
    app.extensions["ruhrkg"].close()


@pytest.fixture
def client(app):
    return app.test_client()


def rows(app, name: str) -> list[dict[str, str]]:
    """The rows of a saved query, run through the app's query workers."""
    result = app.extensions["ruhrkg"].execute(saved.load(name).text, result_format="json")
    data = json.loads(b"".join(result.chunks))
    return [{k: v["value"] for k, v in row.items()} for row in data["results"]["bindings"]]


def get_json(client, path: str) -> dict:
    resp = client.get(path)
    assert resp.status_code == 200, resp.data[:300]
    assert resp.mimetype == "application/json"
    return resp.get_json()


def weights(data: dict) -> dict[frozenset, int]:
    return {frozenset((e["source"], e["target"])): e["weight"] for e in data["edges"]}


def forum_roles(app) -> dict[int, dict[str, set[str]]]:
    """forum number -> {"lead": {...}, "participating": {...}} from the saved query forum-ministries."""
    out: dict[int, dict[str, set[str]]] = defaultdict(lambda: {"lead": set(), "participating": set()})
    for row in rows(app, "forum-ministries"):
        if row["role"] in ("lead", "participating"):
            out[int(row["number"])][row["role"]].add(row["ministry"])
    return dict(out)


# --------------------------------------------------------------------------- the ministry network


def test_all_mode_weights_equal_the_saved_query(app, client):
    expected = {
        frozenset((r["ministryA"], r["ministryB"])): int(r["forums"]) for r in rows(app, "ministry-co-participation")
    }
    data = get_json(client, "/network/ministries.json")
    assert data["network"] == "ministries" and data["mode"] == "all"
    assert weights(data) == expected
    assert get_json(client, "/network/ministries.json?mode=all") == data


def test_edges_carry_their_forums(app, client):
    roles = forum_roles(app)
    data = get_json(client, "/network/ministries.json")
    for edge in data["edges"]:
        assert edge["source"] < edge["target"] and edge["id"] == f"{edge['source']}~{edge['target']}"
        assert edge["weight"] == len(edge["forums"]) == len(set(edge["forums"]))
        for n in edge["forums"]:
            taking_part = roles[n]["lead"] | roles[n]["participating"]
            assert {edge["source"], edge["target"]} <= taking_part
    assert [e["weight"] for e in data["edges"]] == sorted((e["weight"] for e in data["edges"]), reverse=True)


def test_lead_mode_joins_each_lead_ministry_with_the_participants(app, client):
    expected: Counter = Counter()
    for roles in forum_roles(app).values():
        for lead in roles["lead"]:
            for other in roles["participating"] - {lead}:
                expected[frozenset((lead, other))] += 1
    data = get_json(client, "/network/ministries.json?mode=lead")
    assert data["mode"] == "lead"
    assert weights(data) == dict(expected)
    everything = weights(get_json(client, "/network/ministries.json"))
    assert set(weights(data)) < set(everything)  # two participants alone are not joined
    assert all(w <= everything[pair] for pair, w in weights(data).items())
    for edge in data["edges"]:  # each forum of an edge was led by one of its two ministries
        for n in edge["forums"]:
            assert set(data["forums"][str(n)]["lead"]) & {edge["source"], edge["target"]}


def test_nodes_are_the_ministries_with_names_and_entity_links(app, client):
    roles = forum_roles(app)
    data = get_json(client, "/network/ministries.json")
    codes = {m for r in roles.values() for m in r["lead"] | r["participating"]}
    assert [n["id"] for n in data["nodes"]] == sorted(codes)
    assert len(codes) >= 10
    for node in data["nodes"]:
        assert MINISTRY.match(node["id"]) and node["label"] == node["id"]
        assert node["url"] == f"/id/ministry/{node['id'].lower()}"
        assert node["iri"] == f"https://w3id.org/ruhrkg/id/ministry/{node['id'].lower()}"
        assert node["names"]["de"].startswith(("Ministerium", "Staatskanzlei"))
        assert node["names"]["en"] and node["names"]["en"] != node["names"]["de"]
        assert node["lead"] == sorted(n for n, r in roles.items() if node["id"] in r["lead"])
        assert node["participating"] == sorted(n for n, r in roles.items() if node["id"] in r["participating"])
    assert len(data["forums"]) == 20
    assert data["forums"]["4"]["url"] == "/id/forum/04" and data["forums"]["4"]["title"]
    assert set(data["modes"]) == {"all", "lead"}
    for mode in data["modes"].values():
        assert mode["definition"]["de"] and mode["definition"]["en"]


def test_unknown_mode_is_a_400(client):
    resp = client.get("/network/ministries?mode=everything")
    assert resp.status_code == 400 and b"all, lead" in resp.data
    assert client.get("/network/ministries.gexf?mode=x").status_code == 400
    assert client.get("/network/nothing.json").status_code == 404


def test_page_renders_tables_without_javascript(app, client):
    resp = client.get("/network/ministries", headers={"Accept-Language": "en"})
    assert resp.status_code == 200 and resp.mimetype == "text/html"
    html = resp.get_data(as_text=True)
    assert "Network of the ministries" in html and "All participation" in html
    for r in rows(app, "ministry-co-participation"):
        pair = f"{r['ministryA']}~{r['ministryB']}"
        row = re.search(rf'<tr data-edge="{re.escape(pair)}">(.*?)</tr>', html, re.S)
        assert row, pair
        assert f'focus={pair}">{r["forums"]}</a>' in row.group(1)
    assert 'href="/id/ministry/mwide"' in html and 'href="/id/forum/04"' in html
    for fmt in ("graphml", "gexf", "csv", "json"):
        assert f'href="/network/ministries.{fmt}?mode=all"' in html
    data = json.loads(
        re.search(r'<script type="application/json" id="network-data">(.*?)</script>', html, re.S).group(1)
    )
    assert len(data["nodes"]) >= 10 and data["focus"] is None
    # every script and stylesheet comes from this server, none from a CDN
    for url in re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html):
        assert url.startswith("/"), url
    assert '/static/vendor/cytoscape/cytoscape.min.js"' in html


def test_lead_page_and_german(client):
    html = client.get("/network/ministries?mode=lead", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert "Nur Federführung" in html and "federführende Ressort" in html
    assert 'href="/network/ministries.gexf?mode=lead"' in html
    assert 'data-edge="MSB~Stk"' not in html  # MSB and Stk only took part together (forums 1 and 3)
    summary = re.search(r'<p class="summary">(.*?)</p>', html, re.S).group(1)
    assert re.findall(r"focus=([^\"]+)", summary) == ["MHKBG~MWIDE", "MWIDE~Stk"]  # the heaviest edges (3 forums)


def test_focus_on_a_node_shows_its_forums(app, client):
    html = client.get("/network/ministries?focus=MWIDE").get_data(as_text=True)
    details = re.search(r'<aside id="network-details".*?</aside>', html, re.S).group(0)
    assert 'data-focus="MWIDE"' in details and 'data-focus-kind="node"' in details
    roles = forum_roles(app)
    mine = sorted(n for n, r in roles.items() if "MWIDE" in r["lead"] | r["participating"])
    assert re.findall(r'href="/id/forum/(\d\d)"', details) == [f"{n:02d}" for n in mine]
    assert 'href="/id/ministry/mwide"' in details
    assert '<tr data-node="MWIDE" class="selected">' in html
    assert 'id="permalink" href="/network/ministries?mode=all&amp;focus=MWIDE"' in html


def test_focus_on_an_edge_shows_the_shared_forums(client):
    for focus in ("MKW~MWIDE", "MWIDE~MKW"):  # either order
        html = client.get(f"/network/ministries?focus={focus}").get_data(as_text=True)
        details = re.search(r'<aside id="network-details".*?</aside>', html, re.S).group(0)
        assert 'data-focus="MKW~MWIDE"' in details
        assert re.findall(r'href="/id/forum/(\d\d)"', details) == ["05", "06", "17"]
    lead = client.get("/network/ministries/details?mode=lead&focus=MKW~MWIDE").get_data(as_text=True)
    assert re.findall(r'href="/id/forum/(\d\d)"', lead) == ["05", "06"]  # forum 17 was led by Stk


def test_unknown_focus_is_reported_not_an_error(client):
    resp = client.get("/network/ministries?mode=lead&focus=MSB~Stk")
    assert resp.status_code == 200
    assert "MSB~Stk" in resp.get_data(as_text=True) and 'class="notice"' in resp.get_data(as_text=True)


def test_details_fragment(client):
    resp = client.get("/network/ministries/details?focus=IM&lang=en")
    assert resp.status_code == 200 and resp.mimetype == "text/html"
    html = resp.get_data(as_text=True)
    assert html.lstrip().startswith('<div class="details"') and "<html" not in html
    assert "Ministry of the Interior" in html and 'href="/id/forum/03"' in html
    hint = client.get("/network/ministries/details").get_data(as_text=True)
    assert 'class="hint"' in hint


def test_conditional_get(client):
    first = client.get("/network/ministries.gexf")
    assert first.headers["ETag"]
    again = client.get("/network/ministries.gexf", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    other = client.get("/network/ministries.gexf?mode=lead")
    assert other.headers["ETag"] != first.headers["ETag"]


# --------------------------------------------------------------------------- downloads


@pytest.mark.parametrize("mode", ["all", "lead"])
def test_graphml_loads_in_networkx(client, mode):
    resp = client.get(f"/network/ministries.graphml?mode={mode}")
    assert resp.status_code == 200 and resp.mimetype == "application/graphml+xml"
    assert resp.headers["Content-Disposition"] == f'attachment; filename="ruhrkg-ministries-{mode}.graphml"'
    g = nx.read_graphml(io.BytesIO(resp.data))
    data = get_json(client, f"/network/ministries.json?mode={mode}")
    assert not g.is_directed()
    assert sorted(g.nodes) == [n["id"] for n in data["nodes"]]
    assert {frozenset(e): w for *e, w in g.edges(data="weight")} == weights(data)
    assert g.nodes["MWIDE"]["name_de"].startswith("Ministerium für Wirtschaft")
    assert g.nodes["MWIDE"]["forum_count"] == len(next(n for n in data["nodes"] if n["id"] == "MWIDE")["forums"])
    assert g.edges["MKW", "MWIDE"]["forums"] == ("5;6;17" if mode == "all" else "5;6")


@pytest.mark.parametrize("mode", ["all", "lead"])
def test_gexf_1_3_loads_in_networkx(client, mode):
    resp = client.get(f"/network/ministries.gexf?mode={mode}")
    assert resp.status_code == 200 and resp.mimetype == "application/gexf+xml"
    assert resp.headers["Content-Disposition"] == f'attachment; filename="ruhrkg-ministries-{mode}.gexf"'
    assert b'<gexf xmlns="http://gexf.net/1.3"' in resp.data and b'version="1.3"' in resp.data
    g = nx.read_gexf(io.BytesIO(resp.data), version="1.3")
    data = get_json(client, f"/network/ministries.json?mode={mode}")
    assert not g.is_directed()
    assert sorted(g.nodes) == [n["id"] for n in data["nodes"]]
    assert {frozenset(e): w for *e, w in g.edges(data="weight")} == weights(data)
    assert g.nodes["Stk"]["label"] == "Stk" and g.nodes["Stk"]["name_en"].startswith("State Chancellery")
    stk = next(n for n in data["nodes"] if n["id"] == "Stk")
    assert g.nodes["Stk"]["forum_count"] == len(stk["forums"]) == len(stk["lead"]) + len(stk["participating"])


@pytest.mark.parametrize("mode", ["all", "lead"])
def test_csv_edge_list(client, mode):
    resp = client.get(f"/network/ministries.csv?mode={mode}")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert resp.headers["Content-Type"] == "text/csv; charset=utf-8; header=present"
    reader = csv.DictReader(io.StringIO(resp.get_data(as_text=True), newline=""))
    assert reader.fieldnames == ["Source", "Target", "Weight", "Forums"]
    table = list(reader)
    data = get_json(client, f"/network/ministries.json?mode={mode}")
    assert {frozenset((r["Source"], r["Target"])): int(r["Weight"]) for r in table} == weights(data)
    for r, edge in zip(table, data["edges"], strict=True):
        assert [int(n) for n in r["Forums"].split(";")] == edge["forums"]


# --------------------------------------------------------------------------- persons and forums


def test_person_network_is_bipartite_and_matches_the_moderators(app, client):
    moderators = rows(app, "moderators")
    data = get_json(client, "/network/persons.json")
    assert data["network"] == "persons" and list(data["modes"]) == ["moderation"]
    kinds = Counter(n["kind"] for n in data["nodes"])
    assert kinds["forum"] == 20 and kinds["person"] == len({r["name"] for r in moderators})
    assert len(data["edges"]) == len(moderators)
    nodes = {n["id"]: n for n in data["nodes"]}
    for edge in data["edges"]:
        assert {nodes[edge["source"]]["kind"], nodes[edge["target"]]["kind"]} == {"person", "forum"}
        assert edge["weight"] == 1
    assert Counter((nodes[e["source"]]["label"], e["forums"][0]) for e in data["edges"]) == Counter(
        (r["name"], int(r["number"])) for r in moderators
    )
    pinkwart = nodes["person:andreas-pinkwart"]
    assert pinkwart["forums"] == [4, 5] and pinkwart["url"] == "/id/person/andreas-pinkwart"
    assert nodes["forum:04"]["url"] == "/id/forum/04" and nodes["forum:04"]["lead_ministry"] == "MWIDE"


def test_person_network_downloads(client):
    data = get_json(client, "/network/persons.json")
    g = nx.read_graphml(io.BytesIO(client.get("/network/persons.graphml").data))
    assert (
        nx.is_bipartite(g) and g.number_of_edges() == len(data["edges"]) and g.number_of_nodes() == len(data["nodes"])
    )
    assert g.nodes["forum:14"]["kind"] == "forum" and g.nodes["person:ulrich-paetzel"]["label"] == "Ulrich Paetzel"
    resp = client.get("/network/persons.gexf")
    assert resp.headers["Content-Disposition"] == 'attachment; filename="ruhrkg-persons.gexf"'
    gx = nx.read_gexf(io.BytesIO(resp.data), version="1.3")
    assert sorted(gx.edges) == sorted(g.edges)
    table = list(csv.DictReader(io.StringIO(client.get("/network/persons.csv").get_data(as_text=True), newline="")))
    assert list(table[0]) == ["Source", "Target", "Weight", "Forums", "Position", "Organization"]
    assert len(table) == len(data["edges"])
    teysen = next(r for r in table if r["Source"] == "person:johannes-teysen")
    assert teysen == {"Source": "person:johannes-teysen", "Target": "forum:04", "Weight": "1", "Forums": "4",
                      "Position": "Vorstandsvorsitzender", "Organization": "E.ON"}  # fmt: skip


def test_person_page_and_focus(client):
    html = client.get("/network/persons?focus=person:andreas-pinkwart&lang=en").get_data(as_text=True)
    details = re.search(r'<aside id="network-details".*?</aside>', html, re.S).group(0)
    assert "Andreas Pinkwart" in details and re.findall(r'href="/id/forum/(\d\d)"', details) == ["04", "05"]
    assert 'href="/id/person/andreas-pinkwart"' in details
    forum = client.get("/network/persons/details?focus=forum:04").get_data(as_text=True)
    assert "Johannes Teysen" in forum and "E.ON" in forum
    assert 'href="/network/persons.gexf"' in html


# --------------------------------------------------------------------------- the query editor


def test_editor_page(client):
    resp = client.get("/editor", headers={"Accept-Language": "en"}, base_url="http://example.org")
    assert resp.status_code == 200 and resp.mimetype == "text/html"
    html = resp.get_data(as_text=True)
    assert "http://example.org/sparql" in html  # the endpoint, absolute
    for prefix, ns in PREFIXES.items():
        assert f"PREFIX {prefix}: &lt;{ns}&gt;" in html
    data = json.loads(
        re.search(r'<script type="application/json" id="editor-data">(.*?)</script>', html, re.S).group(1)
    )
    assert data["endpoint"] == "/sparql" and data["prefixes"] == PREFIXES
    assert data["persistenceId"] == "ruhrkg_editor"
    assert data["defaultQuery"].startswith("PREFIX rk: <https://w3id.org/ruhrkg/def#>")
    queries = saved.load_all()
    assert [q["name"] for q in data["queries"]] == [q.name for q in queries]
    for q, shown in zip(queries, data["queries"], strict=True):
        assert shown["summary"] == q.summary["en"] and shown["query"] == q.body
        assert f'data-name="{q.name}"' in html
    # the plain form, for browsers without JavaScript
    form = re.search(r'<form id="plain-form"[^>]*>(.*?)</form>', html, re.S)
    assert 'method="get" action="/sparql"' in form.group(0)
    assert '<textarea id="plain-query" name="query"' in form.group(1) and '<select name="format">' in form.group(1)
    for url in re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html):
        assert url.startswith("/"), url
    assert "/static/vendor/yasgui/yasgui.min.js" in html and "/static/vendor/yasgui/yasgui.min.css" in html


def test_editor_summaries_follow_the_language(client):
    html = client.get("/editor?lang=de").get_data(as_text=True)
    assert "Gespeicherte Abfragen" in html
    for q in saved.load_all():
        assert str(escape(q.summary["de"])) in html


def test_editor_prefills_the_plain_form(client):
    html = client.get("/editor?query=ASK%20%7B%20%3Cx%3E%20%3Fp%20%3Fo%20%7D").get_data(as_text=True)
    assert "ASK { &lt;x&gt; ?p ?o }</textarea>" in html


def test_editor_prefixes(client):
    assert get_json(client, "/editor/prefixes.json") == PREFIXES


# --------------------------------------------------------------------------- vendored libraries


def manifest() -> dict:
    return json.loads((VENDOR / "manifest.json").read_text(encoding="utf-8"))


def test_vendored_files_match_their_manifest_and_lock_file():
    lock = json.loads((ROOT / "frontend" / "package-lock.json").read_text(encoding="utf-8"))["packages"]
    package = json.loads((ROOT / "frontend" / "package.json").read_text(encoding="utf-8"))
    libraries = manifest()["libraries"]
    assert set(libraries) == set(package["dependencies"]) == {"cytoscape", "@zazuko/yasgui"}
    for name, lib in libraries.items():
        assert lib["version"] == package["dependencies"][name] == lock[f"node_modules/{name}"]["version"]
        assert lib["integrity"] == lock[f"node_modules/{name}"]["integrity"]
        folder = ROOT / "server" / "static" / lib["folder"]
        assert sorted(p.name for p in folder.iterdir()) == sorted(lib["files"])
        for file, digest in lib["files"].items():
            assert hashlib.sha256((folder / file).read_bytes()).hexdigest() == digest, file
        assert "Permission is hereby granted" in (folder / "LICENSE.txt").read_text(encoding="utf-8")
    notices = (VENDOR / "yasgui" / "THIRD-PARTY-LICENSES.txt").read_text(encoding="utf-8")
    for dep in libraries["@zazuko/yasgui"]["bundled"]:
        assert f"\n{dep['name']} {dep['version']} " in notices
    assert {"codemirror", "@zazuko/yasqe", "@zazuko/yasr"} <= {
        d["name"] for d in libraries["@zazuko/yasgui"]["bundled"]
    }


@pytest.mark.parametrize(
    "path, mimetype, needle",
    [
        ("/static/vendor/cytoscape/cytoscape.min.js", "text/javascript", b"cytoscape"),
        ("/static/vendor/cytoscape/LICENSE.txt", "text/plain", b"The Cytoscape Consortium"),
        ("/static/vendor/yasgui/yasgui.min.js", "text/javascript", b"Yasgui"),
        ("/static/vendor/yasgui/yasgui.min.css", "text/css", b".yasgui"),
        ("/static/vendor/yasgui/LICENSE.txt", "text/plain", b"MIT License"),
        ("/static/vendor/yasgui/THIRD-PARTY-LICENSES.txt", "text/plain", b"codemirror"),
        ("/static/network.js", "text/javascript", b"cytoscape"),
        ("/static/editor.js", "text/javascript", b"Yasgui"),
        ("/static/network.css", "text/css", b".network-graph"),
        ("/static/editor.css", "text/css", b".yasgui-host"),
    ],
)
def test_static_files_are_served_with_their_types(client, path, mimetype, needle):
    resp = client.get(path)
    assert resp.status_code == 200 and resp.mimetype == mimetype
    assert needle in resp.data
    resp.close()


def test_network_index_redirects(client):
    resp = client.get("/network/")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/network/ministries")


def test_the_networks_are_built_without_http(store):
    """graph/network.py needs rows, not a web app: here they come straight from the built store."""
    def select(name: str) -> list[dict[str, str]]:
        return query.values(query.rows(query.run(store, saved.internal(name).text, output="json")))

    ministries = network.ministry_network("lead", select, lambda iri: iri)
    assert {"MKW", "MWIDE"} <= set(ministries.nodes) and ministries.edges
    assert all(f["url"] == f["iri"] for f in ministries.forums.values())
    persons = network.person_network(select, lambda iri: iri)
    assert len([n for n in persons.nodes.values() if n["kind"] == "forum"]) == 20
    assert network.as_csv(persons).startswith(b"Source,Target,Weight,Forums,Position,Organization")
