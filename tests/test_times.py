"""Events carry schema:startDate/endDate with the UTC offset of their place and day (issue 14)."""

from __future__ import annotations

import datetime as dt

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import XSD

from ruhrkg.mappings import iris
from ruhrkg.mappings.gazetteer import load
from ruhrkg.mappings.mapper import schema_dates, to_graph
from ruhrkg.mappings.records import Event
from ruhrkg.mappings.vocab import RK, SCHEMA


@pytest.fixture(scope="module")
def data(doc):
    return to_graph(doc)


@pytest.mark.parametrize(
    ("event", "start", "end"),
    [
        # winter time before 31 March 2019, summer time after: the offset follows the day
        ((2, 1), "2019-03-28T10:00:00+01:00", "2019-03-28T16:30:00+01:00"),
        ((1, 1), "2019-04-08T12:00:00+02:00", "2019-04-08T18:00:00+02:00"),
        # all day ("ganztägig"): dates only
        ((14, 1), "2019-01-14", "2019-01-14"),
        # Tel Aviv, 28-30 May 2019, no times printed
        ((17, 3), "2019-05-28", "2019-05-30"),
    ],
)
def test_zoned_start_and_end(data, event, start, end):
    ev = iris.event(*event)
    want_type = XSD.dateTime if "T" in start else XSD.date
    assert data.value(ev, SCHEMA.startDate) == Literal(start, datatype=want_type)
    assert data.value(ev, SCHEMA.endDate) == Literal(end, datatype=want_type)


def test_printed_dates_and_times_stay(data):
    ev = iris.event(2, 1)
    assert data.value(ev, RK.startDate) == Literal("2019-03-28", datatype=XSD.date)
    assert data.value(ev, RK.startTime) == Literal("10:00:00", datatype=XSD.time)


def test_every_timed_event_has_an_offset(data):
    for ev in data.subjects(RK.startTime, None):
        value = data.value(ev, SCHEMA.startDate)
        assert value.datatype == XSD.dateTime and value.toPython().utcoffset() is not None, ev


def test_tel_aviv_is_in_israel_time():
    gz = load()
    assert gz.time_zone("tel-aviv") == "Asia/Jerusalem"
    # Israel moved to summer time on 29 March 2019, two days before Germany
    e = Event(ordinal=1, heading="", span=None, start_date=dt.date(2019, 3, 30), start_time=dt.time(10),
              end_date=dt.date(2019, 3, 30), end_time=dt.time(12))  # fmt: skip
    got = [str(o) for _s, _p, o in schema_dates(URIRef("x"), e, gz.time_zone("tel-aviv"))]
    assert got == ["2019-03-30T10:00:00+03:00", "2019-03-30T12:00:00+03:00"]
    got = [str(o) for _s, _p, o in schema_dates(URIRef("x"), e, gz.time_zone("essen"))]
    assert got == ["2019-03-30T10:00:00+01:00", "2019-03-30T12:00:00+01:00"]
