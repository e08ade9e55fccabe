"""The map: ``/map`` (HTML with a server-rendered SVG map) and ``/map.geojson`` (RFC 7946).

Both read the saved query ``place-coordinates`` (every city and venue with its point, the point's source and
the number of events); :mod:`ruhrkg.graph.geo` draws and writes them. Nothing is loaded from elsewhere.
"""

from __future__ import annotations

import json

from flask import Blueprint, render_template, url_for

from ruhrkg.graph import geo
from ruhrkg.graph.saved import load as load_saved_query
from ruhrkg.server.entities import href, select
from ruhrkg.server.i18n import current_lang
from ruhrkg.server.web.twins import cached

bp = Blueprint("map", __name__)


def _places() -> list[geo.Place]:
    return geo.places_from_rows(select(load_saved_query("place-coordinates").body))


def _alternates() -> list[dict]:
    return [{"type": "application/geo+json", "href": url_for("map.as_geojson"), "name": "GeoJSON"}]


@bp.route("/map")
def page():
    """Cities and venues on a map, sized by events, each linked to its page; the same as a table."""
    lang = current_lang()
    alts = _alternates()

    def make() -> bytes:
        places = _places()
        drawn, outside = geo.marks(places, geo.Projection())
        svg = geo.to_svg(places, lang=lang, href=href)
        names = {p.iri: p.name for p in places}
        return render_template(
            "map.html", svg=svg, places=places, drawn=drawn, outside=outside, names=names, href=href, alternates=alts,
        ).encode("utf-8")  # fmt: skip

    return cached(("map", lang), "text/html; charset=utf-8", make, links=alts)


@bp.route("/map.geojson")
def as_geojson():
    """Every city and venue as a GeoJSON Point feature (longitude, latitude; WGS 84)."""

    def make() -> bytes:
        return json.dumps(geo.to_geojson(_places()), ensure_ascii=False, indent=1).encode("utf-8")

    return cached(("map.geojson",), "application/geo+json", make, filename="ruhr-konferenz-places.geojson")
