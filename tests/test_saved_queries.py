"""Saved queries: documented headers and the exact result variables users rely on."""

from __future__ import annotations

import re

import pyoxigraph as ox
import pytest

from ruhrkg.graph import query, reconcile, saved

CONTRACT = {
    "forums": ["forum", "number", "title", "question", "leadMinistry"],
    "forum-ministries": ["number", "ministry", "role"],
    "moderators": ["number", "name", "position", "organization"],
    "events": ["number", "ordinal", "format", "startDate", "endDate", "startTime", "endTime", "allDay", "venue",
               "city", "participantsMin", "participantsMax"],
    "ministry-co-participation": ["ministryA", "ministryB", "forums"],
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(CONTRACT))
def test_contracted_variables(store, name):
    result = query.execute(store, saved.load(name).text)
    assert [v.value for v in result.variables] == CONTRACT[name]
    assert list(saved.load(name).variables) == CONTRACT[name]


@pytest.mark.parametrize("name", saved.names())
def test_every_saved_query_is_documented_in_both_languages(name):
    q = saved.load(name)
    for text in (q.summary, q.description):
        assert len(text["en"]) > 20 and len(text["de"]) > 20
    assert q.tags


@pytest.mark.parametrize("name", [n for n in saved.names() if not saved.load(n).federated])
def test_every_saved_query_runs_and_returns_rows(store, name):
    """Federated queries need their SERVICE endpoint: test_wikidata_links.py runs them against a stand-in."""
    assert list(query.execute(store, saved.load(name).text))


def test_federated_queries_are_recognised():
    assert saved.load("wikidata-city-coordinates").federated
    assert not saved.load("wikidata-gaps").federated


def test_malformed_header_is_reported():
    with pytest.raises(saved.SavedQueryError, match="not valid YAML"):
        saved.parse("x", "#+ summary: [unclosed\nSELECT * WHERE { ?s ?p ?o }")
    with pytest.raises(saved.SavedQueryError, match="'en' and 'de'"):
        saved.parse("x", "#+ summary: just english\nSELECT * WHERE { ?s ?p ?o }")


def test_parameter_must_be_projected():
    text = "#+ summary: {en: aaaaaaaaaaaaaaaaaaaaa, de: bbbbbbbbbbbbbbbbbbbbbbb}\n#+ description: {en: a, de: b}\n" \
           "#+ parameters:\n#+   m: {type: string}\nSELECT ?x WHERE { ?x ?p ?m }"  # fmt: skip
    with pytest.raises(saved.SavedQueryError, match="projected"):
        saved.parse("x", text)


def test_projection_parser():
    assert saved._projected("SELECT ?a (COUNT(DISTINCT ?b) AS ?n) ?c WHERE {}") == ["a", "n", "c"]
    assert saved._projected("SELECT DISTINCT ?a WHERE {}") == ["a"]


def test_unknown_saved_query_name_is_rejected_without_touching_files():
    with pytest.raises(saved.SavedQueryError):
        saved.load("../pyproject")


def test_every_city_and_venue_has_a_point_that_cites_its_source(store):
    rows = list(query.execute(store, saved.load("place-coordinates").text))
    kinds = [r["kind"].value for r in rows]
    assert (kinds.count("city"), kinds.count("venue")) == (14, 36)
    for r in rows:
        assert r["source"].value.startswith(("https://www.wikidata.org/wiki/Q", "https://www.geonames.org/"))
        lon, lat = r["wkt"].value.split("POINT(")[1].rstrip(")").split()
        assert (float(lon), float(lat)) == (float(r["longitude"].value), float(r["latitude"].value))
    by_place = {r["place"].value.rsplit("/", 1)[1]: r for r in rows}
    assert by_place["oktogon-zollverein"]["pointOf"].value.endswith("/venue/zollverein")  # part of Zollverein
    assert by_place["signal-iduna-park"]["pointOf"].value.endswith("/city/dortmund")  # only its city's point


# --------------------------------------------------------------------------- the queries the code runs (graph/rq)


@pytest.mark.parametrize("name", saved.names(saved.INTERNAL))
def test_every_internal_query_parses_and_has_a_summary(store, name):
    q = saved.internal(name)
    assert len(q.summary["en"]) > 20 and len(q.summary["de"]) > 20
    forum = {ox.Variable("e"): ox.NamedNode("https://w3id.org/ruhrkg/id/forum/14")}
    result = query.execute(store, q.text, substitutions=None if q.variables else forum)  # QueryError if malformed
    assert list(result), "every internal query finds something in the built graph"


def test_internal_queries_are_not_public_saved_queries():
    assert not set(saved.names()) & set(saved.names(saved.INTERNAL))
    with pytest.raises(saved.SavedQueryError):
        saved.load("labels")


def test_the_facts_query_gives_every_property_of_the_reconciliation_service(store):
    text = saved.internal("reconcile-facts").text
    pids = set(re.findall(r'BIND\("(\w+)" AS \?pid\)', text))
    assert pids == {p.key for p in reconcile.PROPERTIES} - {"label"}  # the label is computed from the labels
    found = {s["pid"].value for s in query.execute(store, text, dataset="union")}
    assert found == pids
