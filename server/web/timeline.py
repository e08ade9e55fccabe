"""The timeline: ``/timeline`` (HTML with server-rendered SVG), ``/timeline.json`` and ``/timeline.ics``.

All three take the same filters, so a filtered view is a link that can be shared: ``ministry=`` (a ministry
code: the forums it leads or takes part in) and ``city=`` (a city key, as in ``/id/city/essen``). The layout,
SVG, JSON and iCalendar are made by :mod:`ruhrkg.graph.timeline` from the rows of ``graph/rq/timeline-*.rq``;
this module only runs those queries and speaks HTTP.
"""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, render_template, request, url_for

from ruhrkg.graph import timeline
from ruhrkg.graph.query import values
from ruhrkg.server.web.entities import href
from ruhrkg.server.web.i18n import current_lang
from ruhrkg.server.web.render import alternates, backend, json_bytes, respond, select

bp = Blueprint("timeline", __name__)


def _filtered():
    """(all events, the selected ones, ministries, cities, the filters) for the request's ``ministry``/``city``."""
    events = timeline.events_from_rows(values(select("timeline-events")))
    ministries, forums = timeline.ministries_from_rows(values(select("timeline-ministries")))
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


#: The twins of the page, by the format names of :data:`~ruhrkg.server.web.render.PAGE_FORMATS`, and their views.
TWINS = {"json": "timeline.as_json", "ics": "timeline.as_ical"}


def _alternates(filters: dict) -> list[dict]:
    return alternates(("html", *TWINS), "html", lambda n: url_for(TWINS[n], **_filters(filters)))


@bp.route("/timeline")
def page():
    """Every event on a time axis, by forum; events without a date beside it; the same as a table."""
    events, chosen, ministries, cities, filters = _filtered()
    lang = current_lang()
    alts = _alternates(filters)

    def make() -> bytes:
        lay = timeline.layout(chosen)
        svg = timeline.to_svg(lay, lang=lang, href=href)

        def link(**change) -> str:
            return url_for("timeline.page", **_filters({**filters, **change}))

        return render_template(
            "timeline.html", svg=svg, layout=lay, events=timeline.by_date(chosen), undated=lay.undated,
            total=len(events), ministries=ministries, cities=cities, filters=filters, link=link, href=href,
            alternates=alts,
        ).encode("utf-8")  # fmt: skip

    return respond(("timeline", lang, filters["ministry"], filters["city"]), "html", make, links=alts)


@bp.route("/timeline.json")
def as_json():
    """The (filtered) events as JSON: dated ones by date, then the undated."""
    _, chosen, _, _, filters = _filtered()

    def make() -> bytes:
        undated = [e for e in chosen if e.start is None]
        return json_bytes({"filters": _filters(filters), "events": timeline.to_json(timeline.by_date(chosen) + undated)})

    return respond(("timeline", "json", filters["ministry"], filters["city"]), "json", make)


@bp.route("/timeline.ics")
def as_ical():
    """The (filtered) dated events as iCalendar."""
    _, chosen, _, _, filters = _filtered()
    lang = current_lang()
    built = dt.datetime.fromisoformat(backend().build.manifest["built_at"])
    stamp = built.astimezone(dt.UTC) if built.tzinfo else built

    def make() -> bytes:
        return timeline.to_ical(timeline.by_date(chosen), stamp=stamp, lang=lang).encode("utf-8")

    key = ("timeline", "ics", lang, filters["ministry"], filters["city"])
    return respond(key, "ics", make, filename="ruhr-konferenz.ics")
