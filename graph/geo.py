"""Cities and venues on a map: rows of the saved query ``place-coordinates`` in, GeoJSON and an SVG map out.

Pure functions, no HTTP. :func:`places_from_rows` reads the query's rows; :func:`to_geojson` writes an RFC 7946
FeatureCollection (one Point feature per city and venue, longitude first); :func:`to_svg` draws the places of
North Rhine-Westphalia on an equirectangular projection around their mean latitude (no map tiles, fonts or
scripts from elsewhere): a mark per city and per venue with a point of its own, its area proportional to the
number of events, each a link to the place's page. Places outside the frame (Tel Aviv) are listed beside it.

>>> p = Place("https://w3id.org/ruhrkg/id/city/essen", "Essen", "city", 51.4508, 7.0131, "wd", 10,
...           "https://w3id.org/ruhrkg/id/city/essen", "https://w3id.org/ruhrkg/id/city/essen")
>>> p.own_point, to_geojson([p])["features"][0]["geometry"]
(True, {'type': 'Point', 'coordinates': [7.0131, 51.4508]})
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

#: The frame of the map: the Ruhr area and its neighbours (west, south, east, north; degrees).
FRAME = (6.62, 51.17, 7.78, 51.68)
WIDTH = 900
KM_PER_DEGREE_LAT = 111.2


@dataclass(frozen=True)
class Place:
    iri: str
    name: str
    kind: str  # "city" | "venue"
    lat: float
    lon: float
    source: str  # the IRI of the record the coordinates come from
    events: int
    point_of: str  # the place whose point this is (itself, an enclosing venue, or the city)
    city: str  # the city's IRI (a city's own)

    @property
    def own_point(self) -> bool:
        return self.point_of == self.iri


def places_from_rows(rows: Iterable[dict[str, str]]) -> list[Place]:
    """Places from the rows of the saved query ``place-coordinates``."""
    return [
        Place(
            r["place"],
            r["name"],
            r["kind"],
            float(r["latitude"]),
            float(r["longitude"]),
            r["source"],
            int(r.get("events", 0)),
            r["pointOf"],
            r["city"],
        )  # fmt: skip
        for r in rows
    ]


def to_geojson(places: Iterable[Place], *, href: Callable[[str], str] | None = None) -> dict:
    """An RFC 7946 FeatureCollection: a Point per place, with its name, kind, IRI, events and coordinate source."""
    features = []
    for p in places:
        props = {"name": p.name, "kind": p.kind, "iri": p.iri, "events": p.events, "coordinateSource": p.source,
                 "pointOf": p.point_of, "city": p.city}  # fmt: skip
        if href:
            props["page"] = href(p.iri)
        features.append({"type": "Feature", "id": p.iri, "geometry": {"type": "Point", "coordinates": [p.lon, p.lat]},
                         "properties": props})  # fmt: skip
    return {"type": "FeatureCollection", "features": features}


@dataclass(frozen=True)
class Mark:
    place: Place
    x: float
    y: float
    r: float
    events: int  # events at the place and at the venues that share its point
    sharing: tuple[Place, ...]  # the venues drawn at this mark without a point of their own


class Projection:
    """Equirectangular around the frame's mean latitude: x east, y south, in SVG pixels.

    >>> pr = Projection(); x, y = pr(7.0, 51.5); round(x), round(y)
    (295, 224)
    """

    def __init__(self, frame=FRAME, width: int = WIDTH) -> None:
        self.west, self.south, self.east, self.north = frame
        self.k = math.cos(math.radians((self.south + self.north) / 2))
        self.scale = width / ((self.east - self.west) * self.k)  # pixels per degree of latitude
        self.width = width
        self.height = round((self.north - self.south) * self.scale)

    def __call__(self, lon: float, lat: float) -> tuple[float, float]:
        return (lon - self.west) * self.k * self.scale, (self.north - lat) * self.scale

    def inside(self, lon: float, lat: float) -> bool:
        return self.west <= lon <= self.east and self.south <= lat <= self.north


def marks(places: Iterable[Place], projection: Projection) -> tuple[list[Mark], list[Place]]:
    """The marks to draw (cities first, then venues with a point of their own, each biggest first) and the places
    outside the frame. A venue drawn at its city's or enclosing venue's point is not a mark of its own: it is
    counted at, and named by, the mark of the place whose point it shares."""
    places = list(places)
    by_iri = {p.iri: p for p in places}
    sharing: dict[str, list[Place]] = {}
    for p in places:
        if not p.own_point and p.point_of in by_iri:
            sharing.setdefault(p.point_of, []).append(p)
    out, outside = [], []
    for p in places:
        if not p.own_point:
            continue
        if not projection.inside(p.lon, p.lat):
            outside.append(p)
            continue
        shared = tuple(sorted(sharing.get(p.iri, ()), key=lambda s: s.name))
        # a city's count already holds every event in it; a venue's adds the venues that are part of it
        n = p.events if p.kind == "city" else p.events + sum(s.events for s in shared)
        x, y = projection(p.lon, p.lat)
        radius = (3 + 3 * math.sqrt(n)) if p.kind == "city" else (2.5 + 1.6 * math.sqrt(n))
        out.append(Mark(p, round(x, 1), round(y, 1), round(radius, 1), n, shared))
    out.sort(key=lambda m: (m.place.kind != "city", -m.r))
    return out, outside


def to_svg(places: Iterable[Place], *, lang: str, href: Callable[[str], str]) -> str:
    """The map as inline SVG: cities (blue, sized by events) and venues with a point of their own (red), each a
    link with a text alternative; city labels; a 10 km scale bar. No outline: no open boundary dataset of
    North Rhine-Westphalia could be installed from the package registries, so the points stand alone."""
    e = html.escape
    de = lang == "de"
    pr = Projection()
    drawn, _ = marks(places, pr)
    n_cities = sum(1 for m in drawn if m.place.kind == "city")
    title = (f"Karte: {n_cities} Städte und {len(drawn) - n_cities} Veranstaltungsorte mit eigenen Koordinaten"
             if de else f"Map: {n_cities} cities and {len(drawn) - n_cities} venues with coordinates of their own")  # fmt: skip
    desc = (
        "Punkte in ihrer geographischen Lage (Ruhrgebiet und Düsseldorf, Norden oben); die Fläche eines Punkts "
        "ist proportional zur Zahl der Veranstaltungen. Jeder Punkt führt zur Seite des Ortes. Die Tabelle unter "
        "der Karte nennt dieselben Orte."
        if de
        else "Points in their geographic position (the Ruhr area and Düsseldorf, north up); a point's area is "
        "proportional to the number of events. Each point leads to the place's page. The table below the map "
        "lists the same places."
    )
    out = [
        f'<svg class="map" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {pr.width} {pr.height}" width="{pr.width}" '
        f'height="{pr.height}" role="group" aria-labelledby="map-title" aria-describedby="map-desc">',
        f'<title id="map-title">{e(title)}</title>',
        f'<desc id="map-desc">{e(desc)}</desc>',
    ]
    for m in drawn:
        p = m.place
        word = (
            ("Veranstaltung" if m.events == 1 else "Veranstaltungen")
            if de
            else ("event" if m.events == 1 else "events")
        )
        text = f"{p.name}: {m.events} {word}"
        if m.sharing:
            text += (" (mit " if de else " (with ") + ", ".join(s.name for s in m.sharing) + ")"
        cls = "m-city" if p.kind == "city" else "m-venue"
        out.append(
            f'<a href="{e(href(p.iri))}" class="{cls}" data-place="{e(p.iri.rsplit("/", 1)[-1])}" aria-label="{e(text)}">'
            f'<title>{e(text)}</title><circle cx="{m.x}" cy="{m.y}" r="{m.r}"/></a>'
        )
    for m in drawn:
        if m.place.kind == "city":
            out.append(
                f'<text class="m-label" x="{round(m.x + m.r + 3, 1)}" y="{round(m.y + 4, 1)}" aria-hidden="true">'
                f"{e(m.place.name)}</text>"
            )
    km10 = 10 / (KM_PER_DEGREE_LAT * 1) * pr.scale  # 10 km in pixels (a degree of latitude is ~111.2 km)
    y0 = pr.height - 20
    out.append(
        f'<g class="m-scale" aria-hidden="true"><line x1="20" y1="{y0}" x2="{round(20 + km10, 1)}" y2="{y0}"/>'
        f'<text x="20" y="{y0 - 6}">10 km</text></g>'
    )
    out.append("</svg>")
    return "\n".join(out)
