"""Saved queries as pages and as an API: /queries, /queries/NAME, /api/queries/NAME, /api/openapi.json, /api/docs."""

from __future__ import annotations

import csv
import io
import json
import re
from urllib.parse import parse_qs, urlsplit

import pyoxigraph as ox
import pytest
from openapi_spec_validator import validate
from rdflib.query import Result as RdflibResult
from werkzeug.datastructures import MultiDict

from ruhrkg.graph import query as querying
from ruhrkg.graph import saved
from ruhrkg.server.api import saved as api_saved
from ruhrkg.server.app import create_app
from ruhrkg.server.query.lexer import query_form
from ruhrkg.server.web import queries as queries_web
from ruhrkg.server.web import render

NAMES = saved.names()
FORMATS = {  # format= -> media type of the answer
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
}
# Endpoints base.html links to; other blueprints define them. Stubbed only while they do not exist yet.
NAV = {"pages.home": "/", "pages.about": "/about", "pages.ontology": "/def",
       "network.ministries": "/network/ministries", "network.editor": "/editor"}  # fmt: skip


def _with_nav(app):
    for endpoint, path in NAV.items():
        if endpoint not in app.view_functions:
            app.add_url_rule(f"/_stub{path}", endpoint=endpoint, view_func=lambda: "")
    return app


@pytest.fixture(scope="module")
def app(standin_data_dir, wikidata_standin):
    """The app on a build whose links include the stand-in's items, with SERVICE
    <https://query.wikidata.org/sparql> sent to the local Wikidata stand-in: every saved query has rows."""
    settings = {"data_dir": str(standin_data_dir), "access_log": False,
                "wikidata_sparql": wikidata_standin["sparql_url"]}  # fmt: skip
    app = _with_nav(create_app(settings))
    yield app
    app.extensions["ruhrkg"].close()


@pytest.fixture
def client(app):
    return app.test_client()


def get(client, url, **kw):
    resp = client.get(url, **kw)
    resp.get_data()  # finish the stream inside the test
    return resp


def rows_of(client, name, params=None) -> list[dict]:
    resp = get(client, f"/api/queries/{name}", query_string={**(params or {}), "format": "json"})
    assert resp.status_code == 200, resp.data
    return json.loads(resp.data)["results"]["bindings"]


def html_rows(html: str) -> int:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in html else ""
    return body.count("<tr>")


# --------------------------------------------------------------------------- the saved queries themselves


def test_at_least_twelve_documented_saved_queries():
    assert len(NAMES) >= 12
    for required in ("forums-of-ministry", "moderation-team", "persons-in-several-forums", "event-calendar",
                     "events-by-city", "shared-venues", "forums-by-participants", "organisations", "entity-search",
                     "ministry-co-participation", "moderators"):  # fmt: skip
        assert required in NAMES


@pytest.mark.parametrize("name", NAMES)
def test_headers_are_complete(name):
    q = saved.load(name)
    assert q.summary["en"] and q.summary["de"] and q.description["en"] and q.description["de"]
    assert q.tags
    for p in q.parameters:
        assert p.type in api_saved.KINDS
        assert p.name not in api_saved.RESERVED
        assert p.default is not None, "every parameter has a default, so every page shows a result"
        assert p.description.get("en") and p.description.get("de")
        if p.multiple:
            assert query_form(q.text) == "select", "several values are merged as SELECT rows"


@pytest.mark.parametrize("name", [n for n in NAMES if saved.load(n).parameters])
def test_parameterised_queries_also_run_unbound(store, name):
    """The text as it is (in the editor, or any SPARQL tool) gives rows too; bound, it gives the API's rows."""
    q = saved.load(name)
    assert list(querying.execute(store, q.text))
    bound = list(querying.execute(store, q.text, substitutions=querying.substitutions(q, {})))
    assert bound and all(s[p.name] is not None for s in bound for p in q.parameters)


def test_unknown_parameter_type_is_rejected():
    text = (
        "#+ summary: {en: aaaaaaaaaaaaaaaaaaaaa, de: bbbbbbbbbbbbbbbbbbbbbbb}\n#+ description: {en: a, de: b}\n"
        "#+ parameters:\n#+   x: {type: date}\nSELECT ?x WHERE { ?x ?p ?o }"
    )
    with pytest.raises(saved.SavedQueryError, match="type 'date'"):
        saved.parse("x", text)


def test_values_query_header_is_parsed():
    p = saved.load("forums-of-ministry").parameters[0]
    assert (p.name, p.type, p.multiple, p.default) == ("ministry", "string", True, "MKFFI")
    assert "rk:code ?value" in p.values_query
    assert "values_query" not in saved.load("forums-of-ministry").body


# --------------------------------------------------------------------------- pages


def test_index_groups_cards_by_tag_in_both_languages(client):
    de = get(client, "/queries", headers={"Accept-Language": "de"})
    assert de.status_code == 200 and de.mimetype == "text/html"
    html = de.get_data(as_text=True)
    for name in NAMES:
        q = saved.load(name)
        assert f'href="/queries/{name}"' in html
        assert str(q.summary["de"]).replace('"', "&#34;").replace("'", "&#39;")[:40] in html
        for tag in q.tags:
            assert f'id="tag-{tag}"' in html
    assert "Themenforen" in html and 'href="/api/docs"' in html and 'href="/api/openapi.json"' in html
    en = get(client, "/queries?lang=en").get_data(as_text=True)
    assert "Saved queries" in en and saved.load("events").summary["en"][:30] in en


@pytest.mark.parametrize("name", NAMES)
def test_every_query_page_shows_its_results(client, name):
    resp = get(client, f"/queries/{name}?lang=en")
    assert resp.status_code == 200 and resp.mimetype == "text/html"
    html = resp.get_data(as_text=True)
    q = saved.load(name)
    assert "<h1>" + q.summary["en"].replace("'", "&#39;").replace('"', "&#34;") in html
    assert 'id="results"' in html
    n = len(rows_of(client, name))
    assert html_rows(html) == n
    assert f'data-total="{n}"' in html
    for v in q.variables:
        assert f'<th scope="col">{v}</th>' in html
    for fmt in (*FORMATS, "excel-csv"):
        assert f'data-format="{fmt}"' in html
    assert 'id="query-text"' in html and "SELECT" in html
    # the permalink carries every parameter and the language
    link = re.search(r'id="permalink" rel="bookmark" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    args = parse_qs(urlsplit(link).query, keep_blank_values=True)
    assert args.pop("lang") == ["en"]
    assert set(args) == {p.name for p in q.parameters}
    assert 'rel="alternate"' in resp.headers["Link"]


def test_page_language_follows_accept_language(client):
    de = get(client, "/queries/forums", headers={"Accept-Language": "de-DE,de;q=0.9"}).get_data(as_text=True)
    en = get(client, "/queries/forums", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)
    assert saved.load("forums").summary["de"][:30] in de and "Ergebnis" in de
    assert saved.load("forums").summary["en"][:30] in en and "Results" in en


def test_iris_are_linked_to_entity_pages_with_labels(client):
    html = get(client, "/queries/forums?lang=de").get_data(as_text=True)
    assert (
        '<a href="/id/forum/14" title="https://w3id.org/ruhrkg/id/forum/14">Themenforum 14: Grüne Infrastruktur' in html
    )
    assert '<span class="iri">forum:14</span>' in html
    en = get(client, "/queries/moderation-team?lang=en").get_data(as_text=True)
    assert (
        '<a href="/id/person/ulrich-paetzel" title="https://w3id.org/ruhrkg/id/person/ulrich-paetzel">Ulrich Paetzel</a>'
        in en
    )
    assert 'href="/id/organization/emschergenossenschaft"' in en
    assert "Thematic forum 14" in en
    search = get(client, "/queries/entity-search?q=Pinkwart&lang=en").get_data(as_text=True)
    assert 'href="/def#Person"' in search  # ontology terms link to the ontology page


def test_labels_are_fetched_in_one_query(app, monkeypatch):
    seen = []
    real = render.select_json

    def spy(text, substitutions=None):
        seen.append(text)
        return real(text, substitutions)

    monkeypatch.setattr(render, "select_json", spy)
    with app.test_request_context("/queries/events-by-city?lang=en"):
        labels = queries_web.labels_for(
            ["https://w3id.org/ruhrkg/id/city/essen", "https://w3id.org/ruhrkg/id/venue/tectrum", "urn:x:no-label"],
            "en",
        )
    assert labels == {
        "https://w3id.org/ruhrkg/id/city/essen": "Essen",
        "https://w3id.org/ruhrkg/id/venue/tectrum": "Tectrum",
    }
    assert seen == [saved.internal("labels").text]  # the labels of the build: no IRI written into a query


def test_dropdowns_are_filled_from_the_graph(client):
    html = get(client, "/queries/forums-of-ministry?lang=de").get_data(as_text=True)
    codes = re.findall(r'<input type="checkbox" name="ministry" value="([^"]+)"', html)
    assert codes == ["FM", "IM", "JM", "MAGS", "MHKBG", "MKFFI", "MKW", "MSB", "MULNV", "MWIDE", "Stk", "VM"]
    assert 'value="MKFFI" checked' in html and "MKFFI – Ministerium für Kinder, Familie" in html
    assert "> Stk – Staatskanzlei</label>" in html  # labels from the graph, without "des Landes ..."
    html = get(client, "/queries/forum-events?number=5").get_data(as_text=True)
    options = re.findall(r'<option value="(\d+)"', html)
    assert options == [str(i) for i in range(1, 21)]
    assert '<option value="5" selected>' in html
    html = get(client, "/queries/persons-in-several-forums").get_data(as_text=True)
    assert re.findall(r'<option value="(\d+)"', html) == ["1", "2", "3", "4"]  # the header's own values
    html = get(client, "/queries/entity-search?q=Zoll").get_data(as_text=True)
    assert 'name="q" value="Zoll"' in html


def test_permalink_reproduces_the_view(client):
    first = get(client, "/queries/forums-of-ministry?ministry=MAGS&ministry=mkffi&lang=en").get_data(as_text=True)
    link = re.search(r'id="permalink" rel="bookmark" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    assert link.endswith("/queries/forums-of-ministry?ministry=MAGS&ministry=MKFFI&lang=en")
    again = get(client, urlsplit(link).path + "?" + urlsplit(link).query).get_data(as_text=True)

    def table(html):
        return html.split('<table id="results">', 1)[1].split("</table>", 1)[0]

    assert table(first) == table(again)
    assert html_rows(first) == len(rows_of(client, "forums-of-ministry", {"ministry": ["MAGS", "MKFFI"]}))


def test_bad_parameters_on_a_page_give_400_with_the_reason(client):
    resp = get(client, "/queries/forums-of-ministry?ministry=XYZ")
    assert resp.status_code == 400 and resp.mimetype == "text/html"
    html = resp.get_data(as_text=True)
    assert 'role="alert"' in html and "must be one of" in html and 'id="results"' not in html
    assert 'name="ministry"' in html  # the form is still there to correct it
    assert get(client, "/queries/forums?bogus=1").status_code == 400


def test_raw_query_file(client):
    resp = get(client, "/queries/forums-of-ministry.rq")
    assert resp.status_code == 200 and resp.mimetype == "application/sparql-query"
    assert resp.get_data(as_text=True) == saved.load("forums-of-ministry").text
    assert get(client, "/queries/nope.rq").status_code == 404


def test_unknown_query_is_404(client):
    page = get(client, "/queries/no-such-query")
    assert page.status_code == 404 and page.mimetype == "text/html"
    assert 'href="/queries/forums"' in page.get_data(as_text=True)
    api = get(client, "/api/queries/no-such-query")
    assert api.status_code == 404 and api.mimetype == "application/problem+json"
    assert json.loads(api.data)["status"] == 404
    assert get(client, "/api/queries/..%2Fpyproject").status_code == 404


# --------------------------------------------------------------------------- the row cap


def test_html_table_is_capped_and_downloads_are_not(data_dir):
    app = _with_nav(create_app({"data_dir": str(data_dir), "access_log": False, "max_html_rows": 5}))
    try:
        client = app.test_client()
        html = get(client, "/queries/events?lang=en").get_data(as_text=True)
        total = len(rows_of(client, "events"))
        assert total > 5
        assert html_rows(html) == 5
        assert 'id="row-cap"' in html and f"Showing the first 5 of {total} rows" in html
        cap = html.split('id="row-cap"', 1)[1].split("</p>", 1)[0]
        href = re.search(r'href="([^"]+format=csv)"', cap).group(1).replace("&amp;", "&")
        data = get(client, href).get_data(as_text=True)
        assert len(list(csv.reader(io.StringIO(data)))) == total + 1
        small = get(client, "/queries/forums-of-ministry").get_data(as_text=True)
        assert 'id="row-cap"' not in small
    finally:
        app.extensions["ruhrkg"].close()


# --------------------------------------------------------------------------- the API


def _parse(fmt: str, data: bytes) -> list:
    return list(RdflibResult.parse(io.BytesIO(data), format=fmt))


@pytest.mark.parametrize("name", NAMES)
def test_every_query_in_every_format(client, name):
    q = saved.load(name)
    expected = rows_of(client, name)
    assert expected, f"{name} returns no rows with its defaults"
    for fmt, mime in FORMATS.items():
        resp = get(client, f"/api/queries/{name}", query_string={"format": fmt})
        assert resp.status_code == 200, resp.data
        assert resp.mimetype == mime
        assert resp.headers["ETag"] and resp.headers["Content-Disposition"].startswith("inline")
        assert resp.headers["Content-Type"].count("charset") <= 1
        rows = _parse(fmt, resp.data)
        assert len(rows) == len(expected), fmt
        if fmt in ("csv", "tsv"):
            header = resp.get_data(as_text=True).splitlines()[0]
            sep = "," if fmt == "csv" else "\t"
            assert [h.lstrip("?") for h in header.split(sep)] == list(q.variables)
    excel = get(client, f"/api/queries/{name}", query_string={"format": "excel-csv"})
    assert excel.status_code == 200 and excel.mimetype == "text/csv"
    table = list(csv.reader(io.StringIO(excel.data.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert table[0] == list(q.variables) and len(table) == len(expected) + 1


@pytest.mark.parametrize(("accept", "mime"), [
    ("application/sparql-results+json", "application/sparql-results+json"),
    ("application/sparql-results+xml", "application/sparql-results+xml"),
    ("text/csv", "text/csv"),
    ("text/tab-separated-values", "text/tab-separated-values"),
    ("text/csv;q=0.5, application/sparql-results+xml;q=0.9", "application/sparql-results+xml"),
    ("*/*", "application/sparql-results+json"),
    ("application/json", "application/sparql-results+json"),
    ("text/csv; header=present", "text/csv"),
    ("text/csv;variant=excel;q=0, text/tab-separated-values", "text/tab-separated-values"),
])  # fmt: skip
def test_api_negotiates_by_accept(client, accept, mime):
    resp = get(client, "/api/queries/forums", headers={"Accept": accept})
    assert resp.status_code == 200 and resp.mimetype == mime
    assert "Accept" in resp.headers["Vary"]


def test_excel_csv_by_accept_and_by_format(client):
    for kw in ({"headers": {"Accept": "text/csv; variant=excel"}}, {"query_string": {"format": "excel-csv"}},
               {"headers": {"Accept": "text/csv;variant=excel, */*;q=0.1"}}):  # fmt: skip
        resp = get(client, "/api/queries/moderators", **kw)
        assert resp.status_code == 200
        assert resp.mimetype == "text/csv" and "variant=excel" in resp.headers["Content-Type"]
        assert resp.headers["Content-Disposition"] == 'attachment; filename="moderators.csv"'
        data = resp.data
        assert data.startswith(b"\xef\xbb\xbf")
        text = data.decode("utf-8")
        assert "\r\n" in text and "\n" not in text.replace("\r\n", "")
        rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), delimiter=";"))
        assert rows[0] == ["number", "name", "position", "organization"]
        assert ["14", "Ulrich Paetzel", "Vorstandsvorsitzender", "Emschergenossenschaft"] in rows
        assert len(rows) == 44
    # JSON is preferred over Excel when it has the higher q-value
    resp = get(client, "/api/queries/moderators", headers={"Accept": "application/json, text/csv;variant=excel;q=0.5"})
    assert resp.mimetype == "application/sparql-results+json"


def test_excel_csv_quotes_and_formula_guard():
    data = {
        "head": {"vars": ["a", "b", "n"]},
        "results": {"bindings": [
            {"a": {"type": "literal", "value": "x;y \"q\""}, "b": {"type": "literal", "value": "=HYPERLINK(1)"},
             "n": {"type": "literal", "value": "-5", "datatype": "http://www.w3.org/2001/XMLSchema#integer"}},
            {"a": {"type": "uri", "value": "https://w3id.org/ruhrkg/id/forum/01"}},
        ]},
    }  # fmt: skip
    body = api_saved.excel_csv(data)
    assert body.startswith("\ufeff".encode()) and body.endswith(b"\r\n")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert rows == [
        ["a", "b", "n"],
        ['x;y "q"', "'=HYPERLINK(1)", "-5"],
        ["https://w3id.org/ruhrkg/id/forum/01", "", ""],
    ]


def test_unsatisfiable_accept_is_406_problem(client):
    resp = get(client, "/api/queries/forums", headers={"Accept": "image/png"})
    assert resp.status_code == 406 and resp.mimetype == "application/problem+json"
    assert "text/csv; variant=excel" in json.loads(resp.data)["offered"]
    assert get(client, "/api/queries/forums?format=turtle").status_code == 406


def test_etag_and_conditional_get(client):
    first = get(client, "/api/queries/events?format=csv")
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"].startswith("public")
    again = get(client, "/api/queries/events?format=csv", headers={"If-None-Match": etag})
    assert again.status_code == 304
    other = get(client, "/api/queries/events?format=tsv")
    assert other.headers["ETag"] != etag
    bound = get(client, "/api/queries/forum-events?format=csv&number=3")
    assert bound.headers["ETag"] != get(client, "/api/queries/forum-events?format=csv&number=4").headers["ETag"]


def test_api_list(client):
    resp = get(client, "/api/queries")
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    data = json.loads(resp.data)
    assert [q["name"] for q in data["queries"]] == NAMES
    assert data["openapi"].endswith("/api/openapi.json")


# --------------------------------------------------------------------------- parameters


def test_integer_parameter_is_bound(client):
    assert len(rows_of(client, "persons-in-several-forums")) == 4
    everyone = rows_of(client, "persons-in-several-forums", {"minForums": "1"})
    assert len(everyone) == 39 and {r["minForums"]["value"] for r in everyone} == {"1"}
    rows = rows_of(client, "forum-events", {"number": "05"})
    assert rows and {r["number"]["value"] for r in rows} == {"5"}
    assert {r["forum"]["value"] for r in rows} == {"https://w3id.org/ruhrkg/id/forum/05"}


def test_multiple_values_run_once_each_and_append(client):
    mkffi = rows_of(client, "forums-of-ministry", {"ministry": "MKFFI"})
    mags = rows_of(client, "forums-of-ministry", {"ministry": "MAGS"})
    both = rows_of(client, "forums-of-ministry", {"ministry": ["MKFFI", "MAGS"]})
    assert both == mkffi + mags
    assert rows_of(client, "forums-of-ministry", {"ministry": ["MKFFI", "mkffi"]}) == mkffi
    assert {r["ministry"]["value"] for r in mkffi} == {"MKFFI"}
    assert {r["role"]["value"] for r in mkffi} == {"lead", "participating"}
    # every format agrees
    for fmt in FORMATS:
        resp = get(
            client, "/api/queries/forums-of-ministry", query_string={"ministry": ["MKFFI", "MAGS"], "format": fmt}
        )
        assert resp.status_code == 200 and len(_parse(fmt, resp.data)) == len(both)
    excel = get(
        client, "/api/queries/forums-of-ministry", query_string={"ministry": ["MKFFI", "MAGS"], "format": "excel-csv"}
    )
    assert (
        len(list(csv.reader(io.StringIO(excel.data.decode("utf-8-sig"), newline=""), delimiter=";"))) == len(both) + 1
    )


@pytest.mark.parametrize(("params", "reason"), [
    ({"bogus": "1"}, "no parameter 'bogus'"),
    ({"ministry": "XX"}, "must be one of"),
    ({"ministry": ""}, "must be one of"),
])  # fmt: skip
def test_bad_parameter_is_400_problem(client, params, reason):
    resp = get(client, "/api/queries/forums-of-ministry", query_string=params)
    assert resp.status_code == 400 and resp.mimetype == "application/problem+json"
    assert reason in json.loads(resp.data)["detail"]


@pytest.mark.parametrize(("name", "params", "reason"), [
    ("persons-in-several-forums", {"minForums": "2; DROP"}, "must be an integer"),
    ("persons-in-several-forums", {"minForums": "9"}, "must be one of"),
    ("persons-in-several-forums", {"minForums": ["2", "3"]}, "takes one value"),
    ("forum-events", {"number": "21"}, "must be one of"),
    ("entity-search", {"q": "x" * 1001}, "longer than"),
    ("entity-search", {"q": ["a", "b"]}, "takes one value"),
])  # fmt: skip
def test_parameter_errors(client, name, params, reason):
    resp = get(client, f"/api/queries/{name}", query_string=params)
    assert resp.status_code == 400, resp.data
    assert reason in json.loads(resp.data)["detail"]


INJECTIONS = [
    '"',
    "}",
    '"} UNION { ?entity ?p ?label } #',
    "' } } SELECT * WHERE { ?s ?p ?o } #",
    '\\"',
    '\\u0022) || true || ("',
    'Essen"\n}',
    "<https://w3id.org/ruhrkg/id/city/essen>",
    "?label",
    "",
]


@pytest.mark.parametrize("value", INJECTIONS)
def test_search_text_is_bound_never_pasted(client, store, value):
    """A literal with quotes, braces, escapes or SPARQL syntax is a literal: the query is not altered."""
    resp = get(client, "/api/queries/entity-search", query_string={"q": value, "format": "json"})
    assert resp.status_code == 200, resp.data
    rows = json.loads(resp.data)["results"]["bindings"]
    # the same as binding the term directly with pyoxigraph
    direct = querying.execute(
        store, saved.load("entity-search").text, substitutions={ox.Variable("q"): ox.Literal(value)}
    )
    assert len(rows) == len(list(direct))
    for r in rows:
        assert r["q"] == {"type": "literal", "value": value}
        assert value.lower() in r["label"]["value"].lower()
    if value:
        assert len(rows) == 0  # nothing in the data contains these texts
    else:
        assert len(rows) == 200  # an empty text matches every name, up to the LIMIT
    page = get(client, "/queries/entity-search", query_string={"q": value})
    assert page.status_code == 200
    assert html_rows(page.get_data(as_text=True)) == len(rows)


def test_search_finds_case_insensitively(client):
    rows = rows_of(client, "entity-search", {"q": "pinkWART"})
    assert "https://w3id.org/ruhrkg/id/person/andreas-pinkwart" in {r["entity"]["value"] for r in rows}
    assert {r["q"]["value"] for r in rows} == {"pinkWART"}


# --------------------------------------------------------------------------- OpenAPI


def test_openapi_document_is_valid(client):
    resp = get(client, "/api/openapi.json")
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    doc = json.loads(resp.data)
    validate(doc)
    assert doc["openapi"].startswith("3.1")
    for name in NAMES:
        op = doc["paths"][f"/api/queries/{name}"]["get"]
        q = saved.load(name)
        assert op["summary"] == q.summary["en"] and op["x-summary-de"] == q.summary["de"]
        params = {p["name"]: p for p in op["parameters"] if "name" in p}
        assert set(params) == {p.name for p in q.parameters}
        content = op["responses"]["200"]["content"]
        assert {"application/sparql-results+json", "application/sparql-results+xml", "text/csv",
                "text/tab-separated-values", "text/csv; variant=excel"} <= set(content)  # fmt: skip
        props = content["application/sparql-results+json"]["schema"]["properties"]["results"]["properties"]
        assert set(props["bindings"]["items"]["properties"]) == set(q.variables)
    ministry = doc["paths"]["/api/queries/forums-of-ministry"]["get"]["parameters"][0]
    assert ministry["schema"]["type"] == "array" and "MKFFI" in ministry["schema"]["items"]["enum"]
    assert ministry["explode"] is True and ministry["schema"]["default"] == ["MKFFI"]
    number = doc["paths"]["/api/queries/forum-events"]["get"]["parameters"][0]["schema"]
    assert number["type"] == "integer" and number["enum"] == list(range(1, 21)) and number["default"] == 14
    assert doc["components"]["parameters"]["format"]["schema"]["enum"] == ["json", "xml", "csv", "tsv", "excel-csv"]


def test_openapi_examples_work(client):
    """Each operation's defaults, as documented, give 200 (a client generated from the document works)."""
    doc = json.loads(get(client, "/api/openapi.json").data)
    for path, item in doc["paths"].items():
        params = {}
        for p in item["get"].get("parameters", []):
            if "name" in p and "default" in p["schema"]:
                params[p["name"]] = p["schema"]["default"]
        assert get(client, path, query_string=params).status_code == 200, path


def test_api_docs_page(client):
    resp = get(client, "/api/docs?lang=en")
    assert resp.status_code == 200 and resp.mimetype == "text/html"
    html = resp.get_data(as_text=True)
    for name in NAMES:
        assert f'id="{name}"' in html and f"GET /api/queries/{name}" in html
    assert "<code>excel-csv</code>" in html and "<code>MKFFI</code>" in html
    assert "cdn" not in html.lower() and "<script src" not in html
    de = get(client, "/api/docs?lang=de").get_data(as_text=True)
    assert saved.load("forums").summary["de"] in de


def test_several_values_are_bounded():
    text = (
        "#+ summary: {en: aaaaaaaaaaaaaaaaaaaaa, de: bbbbbbbbbbbbbbbbbbbbbbb}\n#+ description: {en: a, de: b}\n"
        "#+ parameters:\n#+   x: {type: string, default: a, multiple: true}\nSELECT ?x WHERE { ?s ?p ?x }"
    )
    q = saved.parse("x", text)
    ok = api_saved.bind(q, MultiDict([("x", "a"), ("x", "b"), ("x", "a")]))
    assert ok.get("x") == ("a", "b") and ok.substitutions() == [{"x": ("literal", "a")}, {"x": ("literal", "b")}]
    with pytest.raises(api_saved.ParameterError, match="at most 50"):
        api_saved.bind(q, MultiDict([("x", str(i)) for i in range(51)]))


def test_a_flood_of_values_is_refused_before_any_is_checked(client, monkeypatch):
    """10,000 values of a multiple parameter: 400 with the reason, and no value is looked at."""
    checked = []
    real = api_saved._check_value
    monkeypatch.setattr(api_saved, "_check_value", lambda *a: checked.append(a) or real(*a))
    query = "&".join(f"ministry=M{i}" for i in range(10_000))
    resp = get(client, f"/api/queries/forums-of-ministry?{query}")
    assert resp.status_code == 400 and resp.mimetype == "application/problem+json"
    body = resp.get_json()
    assert "10000 values, at most 50" in body["detail"] and body["parameter"] == "ministry"
    assert checked == []
    page = get(client, f"/queries/forums-of-ministry?{query}")
    assert page.status_code == 400 and "at most 50" in page.get_data(as_text=True)
