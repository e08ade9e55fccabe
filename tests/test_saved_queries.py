"""Saved queries: documented headers and the exact result variables users rely on."""

from __future__ import annotations

import pytest

from ruhrkg.graph import query, saved

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
