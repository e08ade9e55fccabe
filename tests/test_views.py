"""The timeline, the map, the downloads page and the favicon, with their twins, through the Flask test client.

The iCalendar twin is read back with a real iCalendar library (``icalendar``), the GeoJSON with ``json`` and
checked against RFC 7946's shape, the dumps' checksums against the files.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import zoneinfo

import icalendar
import pytest
from rdflib import Graph
from rdflib.namespace import DCAT

from ruhrkg.graph import timeline
from ruhrkg.mappings.vocab import ID

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def page(client, path: str, lang: str = "de") -> str:
    resp = client.get(path, headers={"Accept": BROWSER_ACCEPT, "Accept-Language": lang})
    assert resp.status_code == 200, resp.data[:500]
    assert resp.mimetype == "text/html"
    return resp.get_data(as_text=True)


@pytest.fixture(scope="module")
def calendar(app) -> icalendar.Calendar:
    resp = app.test_client().get("/timeline.ics")
    assert resp.status_code == 200 and resp.mimetype == "text/calendar"
    assert b"\r\n" in resp.data and not re.search(rb"[^\r]\n", resp.data)  # CRLF line ends only
    assert all(len(line) <= 75 for line in resp.data.split(b"\r\n"))  # folded at 75 octets
    return icalendar.Calendar.from_ical(resp.data)


# -- /timeline.ics ---------------------------------------------------------------------------------


def test_ics_has_one_vevent_per_dated_event_with_stable_uids(calendar, store):
    events = calendar.walk("VEVENT")
    assert len(events) == 46  # 47 events, one without a printed date
    uids = [str(e["UID"]) for e in events]
    assert len(set(uids)) == 46 and all(u.startswith(ID + "event/") for u in uids)
    dated = {
        str(r["e"].value)
        for r in store.query("SELECT DISTINCT ?e WHERE { GRAPH ?g { ?e <https://w3id.org/ruhrkg/def#startDate> ?d } }")
    }
    assert set(uids) == dated
    assert all(str(e["URL"]) == str(e["UID"]) for e in events)


def test_ics_times_are_zoned_where_printed_and_dates_otherwise(calendar):
    by_uid = {str(e["UID"]).rsplit("/", 1)[1]: e for e in calendar.walk("VEVENT")}
    first = by_uid["02-1"]  # 28.03.2019, 10.00 - 16.30 Uhr, Umspannwerk Recklinghausen
    start, end = first.decoded("DTSTART"), first.decoded("DTEND")
    assert start == dt.datetime(2019, 3, 28, 10, 0, tzinfo=BERLIN)
    assert end == dt.datetime(2019, 3, 28, 16, 30, tzinfo=BERLIN)
    assert start.utcoffset() == dt.timedelta(hours=1) and end.utcoffset() == dt.timedelta(hours=1)  # still CET
    assert by_uid["02-2"].decoded("DTSTART").utcoffset() == dt.timedelta(hours=2)  # 4 July: CEST
    assert str(first["LOCATION"]) == "Umspannwerk Recklinghausen, Recklinghausen"
    allday = by_uid["14-1"]  # "ganztägig"
    assert allday.decoded("DTSTART") == dt.date(2019, 1, 14) and allday.decoded("DTEND") == dt.date(2019, 1, 15)
    telaviv = by_uid["17-3"]  # 28.-30.05.2019, Tel Aviv, no time printed
    assert (telaviv.decoded("DTSTART"), telaviv.decoded("DTEND")) == (dt.date(2019, 5, 28), dt.date(2019, 5, 31))
    assert str(telaviv["LOCATION"]) == "Tel Aviv"
    zoned = [e for e in calendar.walk("VEVENT") if isinstance(e.decoded("DTSTART"), dt.datetime)]
    assert len(zoned) == 23 and all(e.decoded("DTSTART").tzinfo is not None for e in zoned)
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/Berlin"]


def test_ics_writes_asia_jerusalem_for_a_timed_event_in_tel_aviv():
    """No event in Tel Aviv has a printed time; the zone and its VTIMEZONE are there for one that would."""
    city = timeline.Place(ID + "city/tel-aviv", "Tel Aviv")
    e = timeline.Event(ID + "event/17-9", ID + "forum/17", 17, 9, "Forum", start=dt.date(2019, 5, 28),
                       start_time="10:00", end_time="12:00", city=city)  # fmt: skip
    cal = icalendar.Calendar.from_ical(timeline.to_ical([e], stamp=dt.datetime(2019, 6, 1)))
    start = cal.walk("VEVENT")[0].decoded("DTSTART")
    assert start == dt.datetime(2019, 5, 28, 10, tzinfo=zoneinfo.ZoneInfo("Asia/Jerusalem"))
    assert start.utcoffset() == dt.timedelta(hours=3)
    assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == ["Asia/Jerusalem"]


def test_ics_and_json_take_the_filters(client):
    cal = icalendar.Calendar.from_ical(client.get("/timeline.ics?city=essen").data)
    assert len(cal.walk("VEVENT")) == 10 and all("Essen" in str(e["LOCATION"]) for e in cal.walk("VEVENT"))
    data = client.get("/timeline.json?ministry=MKW").get_json()
    assert data["filters"] == {"ministry": "MKW"}
    forums = {e["forumNumber"] for e in data["events"]}
    assert forums and 16 in forums and 1 not in forums  # MKW leads 16 (Künstler-Metropole), not 01 (MWIDE)


# -- /timeline and /timeline.json ----------------------------------------------------------------------


def test_timeline_json_lists_every_event(client):
    resp = client.get("/timeline.json")
    assert resp.mimetype == "application/json"
    events = resp.get_json()["events"]
    assert len(events) == 47
    assert events[-1]["startDate"] is None and events[-1]["event"] == ID + "event/05-2"  # undated last
    tel_aviv = next(e for e in events if e["event"].endswith("/17-3"))
    assert (tel_aviv["startDate"], tel_aviv["endDate"], tel_aviv["timezone"]) == (
        "2019-05-28",
        "2019-05-30",
        "Asia/Jerusalem",
    )
    assert [v["name"] for v in next(e for e in events if e["event"].endswith("/05-3"))["venues"]] == [
        "Museum Küppersmühle", "Startport"]  # fmt: skip


def test_timeline_page_draws_every_dated_event_as_a_link_and_lists_the_undated(client):
    html = page(client, "/timeline")
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert 'role="group"' in svg and '<title id="tl-title">' in svg and '<desc id="tl-desc">' in svg
    marks = re.findall(r'<a href="(/id/event/[\d-]+)" class="tl-event"[^>]*aria-label="([^"]+)"', svg)
    assert len(marks) == 46
    assert svg.count("<rect ") == 1  # the one event over several days (17-3, Tel Aviv) is a span
    assert svg.count('class="tl-row"') == 20
    undated = html[html.index('class="undated"') : html.index("</aside>")]
    assert 'href="/id/event/05-2"' in undated
    assert "<script" not in html  # nothing here needs JavaScript
    assert '<link rel="alternate" type="text/calendar" href="/timeline.ics">' in html


def test_timeline_filters_are_links_that_combine(client):
    html = page(client, "/timeline?ministry=MWIDE&city=gelsenkirchen")
    svg = html[html.index("<svg") : html.index("</svg>")]
    keys = re.findall(r'data-event="([\d-]+)"', svg)
    twin = client.get("/timeline.json?ministry=MWIDE&city=gelsenkirchen").get_json()["events"]
    assert set(keys) == {e["event"].rsplit("/", 1)[1] for e in twin}
    in_gelsenkirchen = {"01-2", "03-2", "09-2", "10-1", "12-1", "13-2", "15-2", "18-4"}
    assert keys and set(keys) < in_gelsenkirchen  # MWIDE takes part in some of these forums, not all
    assert 'href="/timeline?ministry=MWIDE&amp;city=essen"' in html  # another city, the ministry kept
    assert 'href="/timeline?city=gelsenkirchen"' in html  # all ministries, the city kept
    assert 'aria-current="page" title=' in html
    assert client.get("/timeline?city=atlantis", headers={"Accept": BROWSER_ACCEPT}).status_code == 404
    assert client.get("/timeline.json?ministry=XYZ").status_code == 404


def test_timeline_page_in_english(client):
    html = page(client, "/timeline", lang="en")
    assert "Timeline of the events" in html and "Forum 01" in html and ">Without a printed date<" in html


# -- /map and /map.geojson -----------------------------------------------------------------------------


def test_geojson_is_a_feature_collection_of_every_place_citing_its_source(client):
    resp = client.get("/map.geojson")
    assert resp.mimetype == "application/geo+json"
    data = json.loads(resp.data)
    assert data["type"] == "FeatureCollection"
    features = data["features"]
    kinds = [f["properties"]["kind"] for f in features]
    assert (kinds.count("city"), kinds.count("venue")) == (14, 36)
    for f in features:
        lon, lat = f["geometry"]["coordinates"]
        assert f["type"] == "Feature" and f["geometry"]["type"] == "Point"
        assert -180 <= lon <= 180 and -90 <= lat <= 90
        props = f["properties"]
        assert props["name"] and props["iri"].startswith(ID) and isinstance(props["events"], int)
        assert props["coordinateSource"].startswith(("https://www.wikidata.org/wiki/Q", "https://www.geonames.org/"))
    essen = next(f for f in features if f["properties"]["iri"] == ID + "city/essen")
    assert essen["geometry"]["coordinates"] == pytest.approx([7.01, 51.45], abs=0.05)  # longitude first
    assert essen["properties"]["events"] == 10
    assert (
        sum(f["properties"]["events"] for f in features if f["properties"]["kind"] == "city") == 45
    )  # two events name no city


def test_map_page_links_every_mark_to_its_place(client):
    html = page(client, "/map")
    svg = html[html.index("<svg") : html.index("</svg>")]
    cities = re.findall(r'<a href="(/id/city/[\w-]+)" class="m-city"', svg)
    assert len(cities) == 13 and "/id/city/tel-aviv" not in cities  # Tel Aviv is named beside the map
    assert set(re.findall(r'<a href="(/id/venue/[\w-]+)" class="m-venue"', svg)) == {
        "/id/venue/zollverein", "/id/venue/henrichshuette", "/id/venue/museum-kueppersmuehle"}  # fmt: skip
    assert 'aria-label="Zeche Zollverein: 6 Veranstaltungen (mit Erich Brost-Pavillon, Oktogon' in svg
    radii = {m[0]: float(m[1]) for m in re.findall(r'href="/id/city/([\w-]+)" class="m-city".*?r="([\d.]+)"', svg)}
    assert radii["essen"] > radii["gelsenkirchen"] > radii["bochum"] > radii["kamen"]  # sized by events
    assert 'href="/id/city/tel-aviv"' in html
    assert html.count("<tr>") == 51  # the table: a header and one row per place
    assert "<script" not in html and "https://" not in svg


# -- /downloads/ -----------------------------------------------------------------------------------------


def test_downloads_page_for_browsers_json_for_clients(client, built):
    listing = client.get("/downloads/").get_json()
    assert listing["version"] == built.version
    files = {f["name"]: f for f in listing["files"]}
    assert len(files) == 11  # five RDF formats, plain and gzip, and the links as SSSOM
    assert files["ruhrkg-links.sssom.tsv"]["format"] == "sssom" and files["ruhrkg-links.sssom.tsv"]["graphs"] is None
    for name, f in files.items():
        data = (built.downloads / name).read_bytes()
        assert f["bytes"] == len(data) and f["sha256"] == hashlib.sha256(data).hexdigest()
        assert f["license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert files["ruhrkg.nq.gz"]["compression"] == "gzip" and files["ruhrkg.nq"]["graphs"] == "named"
    html = page(client, "/downloads/")
    for f in files.values():
        assert f["sha256"] in html and f'href="/downloads/{f["name"]}"' in html
    assert built.version in html and "CC BY 4.0" in html
    for snippet in ("oxigraph load --location ruhrkg-db --file ruhrkg.nq.gz", "from rdflib import Dataset",
                    "SPARQLWrapper(\"http://localhost/sparql\")", "curl -fLO http://localhost/downloads/ruhrkg.nq.gz"):  # fmt: skip
        assert snippet in html, snippet
    assert client.get("/downloads/?format=json", headers={"Accept": BROWSER_ACCEPT}).get_json() == listing
    void = Graph().parse(data=client.get("/.well-known/void", headers={"Accept": "text/turtle"}).data, format="turtle")
    assert {str(u) for u in void.objects(None, DCAT.downloadURL)} == {f["url"] for f in files.values()}
    assert "Downloads: the whole knowledge graph" in page(client, "/downloads/", lang="en")


# -- favicon and discoverability ------------------------------------------------------------------------


def test_favicon(client):
    resp = client.get("/favicon.ico")
    assert resp.status_code == 200 and resp.mimetype == "image/vnd.microsoft.icon"
    assert resp.data[:4] == b"\x00\x00\x01\x00" and resp.data[22:26] == b"\x89PNG"  # an ICO holding a PNG
    resp.close()
    for path in ("/", "/timeline", "/about"):
        assert '<link rel="icon" href="/favicon.ico"' in page(client, path)


def test_home_links_to_the_timeline_and_the_map(client):
    html = page(client, "/")
    main = html[html.index("<main>") :]
    assert 'href="/timeline"' in main and 'href="/map"' in main
