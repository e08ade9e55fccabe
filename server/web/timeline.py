"""The timeline: ``/timeline`` (HTML with server-rendered SVG), ``/timeline.json`` and ``/timeline.ics``.

All three take the same filters, so a filtered view is a link that can be shared: ``ministry=`` (a ministry
code: the forums it leads or takes part in) and ``city=`` (a city key, as in ``/id/city/essen``). The layout,
SVG, JSON and iCalendar are made by :mod:`ruhrkg.graph.timeline`; this module only runs its queries and speaks
HTTP.
"""

from __future__ import annotations

import datetime as dt
import json

from flask import Blueprint, abort, current_app, render_template, request, url_for

from ruhrkg.graph import timeline
from ruhrkg.server.entities import href, select
from ruhrkg.server.i18n import current_lang
from ruhrkg.server.web.twins import cached

bp = Blueprint("timeline", __name__)


def _filtered():
    """(all events, the selected ones, ministries, cities, the filters) for the request's ``ministry``/``city``."""
    events = timeline.events_from_rows(select(timeline.query("timeline-events")))
    ministries, forums = timeline.ministries_from_rows(select(timeline.query("timeline-ministries")))
    cities = timeline.cities(events)
    ministry, city = request.args.get("ministry") or None, request.args.get("city") or None
    if ministry and ministry not in {m.code for m in ministries}:
        abort(404, description=f"no ministry with the code {ministry!r}")
    if city and city not in {c.key for c in cities}:
        abort(404, description=f"no city with the key {city!r}")
    chosen = timeline.select(events, ministry=ministry, city=city, forums=forums)
    return events, chosen, ministries, cities, {"ministry": ministry, "city": city}


def _filters(filters: dict) -> dict:
    return {k: v for k, v in filters.items() if v}


def _alternates(filters: dict) -> list[dict]:
    return [
        {"type": "application/json", "href": url_for("timeline.as_json", **_filters(filters)), "name": "JSON"},
        {"type": "text/calendar", "href": url_for("timeline.as_ical", **_filters(filters)), "name": "iCalendar"},
    ]


@bp.route("/timeline")
def page():
    """Every event on a time axis, by forum; events without a date beside it; the same as a table."""
    events, chosen, ministries, cities, filters = _filtered()
    lang = current_lang()
    alts = _alternates(filters)

    def make() -> bytes:
        lay = timeline.layout(chosen)
        svg = timeline.to_svg(lay, lang=lang, href=href)
        dated = sorted((e for e in chosen if e.start), key=lambda e: (e.start, e.start_time, e.number, e.ordinal))

        def link(**change) -> str:
            return url_for("timeline.page", **_filters({**filters, **change}))

        return render_template(
            "timeline.html", svg=svg, layout=lay, events=dated, undated=lay.undated, total=len(events),
            ministries=ministries, cities=cities, filters=filters, link=link, href=href, alternates=alts,
        ).encode("utf-8")  # fmt: skip

    return cached(
        ("timeline", lang, filters["ministry"], filters["city"]), "text/html; charset=utf-8", make, links=alts
    )


@bp.route("/timeline.json")
def as_json():
    """The (filtered) events as JSON: dated ones by date, then the undated."""
    _, chosen, _, _, filters = _filtered()

    def make() -> bytes:
        ordered = sorted(
            chosen, key=lambda e: (e.start is None, e.start or dt.date.min, e.start_time, e.number, e.ordinal)
        )
        body = {"filters": _filters(filters), "events": timeline.to_json(ordered)}
        return json.dumps(body, ensure_ascii=False, indent=1).encode("utf-8")

    return cached(("timeline.json", filters["ministry"], filters["city"]), "application/json", make)


@bp.route("/timeline.ics")
def as_ical():
    """The (filtered) dated events as iCalendar."""
    _, chosen, _, _, filters = _filtered()
    lang = current_lang()
    built = dt.datetime.fromisoformat(current_app.extensions["ruhrkg"].build.manifest["built_at"])
    stamp = built.astimezone(dt.UTC) if built.tzinfo else built

    def make() -> bytes:
        ordered = sorted((e for e in chosen if e.start), key=lambda e: (e.start, e.start_time, e.number, e.ordinal))
        return timeline.to_ical(ordered, stamp=stamp, lang=lang).encode("utf-8")

    return cached(
        ("timeline.ics", lang, filters["ministry"], filters["city"]), "text/calendar; charset=utf-8", make,
        filename="ruhr-konferenz.ics",
    )  # fmt: skip
