"""The map: ``/map`` (HTML with a server-rendered SVG map) and ``/map.geojson`` (RFC 7946).

Both read the saved query ``place-coordinates`` (every city and venue with its point, the point's source and
the number of events); :mod:`ruhrkg.graph.geo` draws and writes them. Nothing is loaded from elsewhere.
"""

from __future__ import annotations

from flask import Blueprint, render_template, url_for

from ruhrkg.graph import geo
from ruhrkg.graph.query import values
from ruhrkg.server.web.entities import href
from ruhrkg.server.web.i18n import current_lang
from ruhrkg.server.web.render import alternates, json_bytes, respond, select_saved

bp = Blueprint("map", __name__)


def _places() -> list[geo.Place]:
    return geo.places_from_rows(values(select_saved("place-coordinates")))


def _alternates() -> list[dict]:
    return alternates(("html", "geojson"), "html", lambda _: url_for("map.as_geojson"))


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

    return respond(("map", lang), "html", make, links=alts)


@bp.route("/map.geojson")
def as_geojson():
    """Every city and venue as a GeoJSON Point feature (longitude, latitude; WGS 84)."""
    return respond(("map", "geojson"), "geojson", lambda: json_bytes(geo.to_geojson(_places())),
                   filename="ruhr-konferenz-places.geojson")  # fmt: skip
