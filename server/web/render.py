"""What every page and API view needs, once: the backend (:func:`backend`, like the Flask tutorial's
``get_db()``), the internal queries (:func:`select`, :func:`construct`: ``graph/rq/NAME.rq``, parameters bound
as RDF terms) and the saved queries pages draw on (:func:`select_saved`), cache keys (:func:`page_key`),
cached conditional responses (:func:`respond`) in any of the pages' formats (HTML, text, RDF, and the views'
JSON, iCalendar and GeoJSON), the negotiation of a page's representations (:func:`negotiate`), and RFC 9457
problem details for the JSON APIs (:func:`problem`).

Cache keys and ETags name everything that changes a response's bytes: the build (``Backend.cache_key``), the
base URL (``public_url`` or the request's host: :func:`~ruhrkg.server.sparql.description.base_url`), and the
caller's parts (the language of a bilingual page, the format, the parameters). So a request with a forged
``Host`` header can never fill the cache for anyone else.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pyoxigraph as ox
from flask import Response, abort, current_app, request
from werkzeug.http import HTTP_STATUS_CODES

from ruhrkg.graph import saved
from ruhrkg.graph.query import Row, rows
from ruhrkg.server.backend import Backend, CachedResult
from ruhrkg.server.config import Settings
from ruhrkg.server.query.result import Result
from ruhrkg.server.sparql import formats
from ruhrkg.server.sparql.description import base_url

PROBLEM = "application/problem+json"
#: Paths whose errors are problem details (JSON), also when the front refuses a request before Flask.
JSON_APIS = ("/api/", "/reconcile")
HTML = formats.MediaType("html", "text/html", (), "html")
TEXT = formats.MediaType("txt", "text/plain", (), "txt", keywords=("text", "plain"))
JSON = formats.MediaType("json", "application/json", (), "json")
ICALENDAR = formats.MediaType("ics", "text/calendar", (), "ics", keywords=("ical", "icalendar"))
GEOJSON = formats.MediaType("geojson", "application/geo+json", (), "geojson")
#: The representations pages offer, by ``format=`` name: HTML, text, the RDF formats of the endpoint, and the
#: twins of the views (JSON, iCalendar, GeoJSON).
PAGE_FORMATS = {mt.name: mt for mt in (HTML, TEXT, *formats.GRAPHS, JSON, ICALENDAR, GEOJSON)}
RDF_TWINS = ("turtle", "jsonld", "ntriples", "rdfxml")
#: Accept types that also name a page representation (JSON clients get JSON-LD).
MORE_TYPES = {"jsonld": ("application/json",)}


def backend() -> Backend:
    """The app's backend: the current build, its query service and the result cache."""
    return current_app.extensions["ruhrkg"]


def settings() -> Settings:
    return current_app.config["RUHRKG"]


# -- running queries ----------------------------------------------------------------------------------


def read(result: Result) -> bytes:
    """A result's whole body; the result is closed (its worker or connection freed) whatever happens."""
    try:
        return b"".join(result.chunks)
    finally:
        close = getattr(result.chunks, "close", None)
        if close:
            close()


def cached_body(key: str, run: Callable[[], bytes], media_type: str = "application/sparql-results+json") -> bytes:
    """The bytes ``run()`` makes, kept in the result cache under ``key`` (per build)."""
    cache = backend().cache
    hit = cache.get(key)
    if hit is not None:
        return hit.body
    body = run()
    cache.put(key, CachedResult("select", media_type, body))
    return body


def select_json(text: str, substitutions: dict[str, tuple[str, str]] | None = None) -> bytes:
    """A SELECT's result in SPARQL JSON (cached per build and bindings)."""
    subs = substitutions or {}
    key = backend().cache_key("select", text, sorted(subs.items()))
    return cached_body(key, lambda: read(backend().execute(text, result_format="json", substitutions=subs or None)))


def select(name: str, **bindings: tuple[str, str]) -> list[Row]:
    """The rows of the internal SELECT ``graph/rq/NAME.rq``; ``bindings`` are ``{variable: (kind, value)}``."""
    return rows(select_json(saved.internal(name).text, bindings))


def select_saved(name: str) -> list[Row]:
    """The rows of the public saved query ``queries/NAME.rq`` without parameters (its defaults unbound)."""
    return rows(select_json(saved.load(name).text))


def construct(name: str, graphs: list[str], **iris: str) -> list[ox.Triple]:
    """The triples of the internal CONSTRUCT ``graph/rq/NAME.rq`` over ``graphs``, IRIs bound by substitution."""
    subs = {variable: ("iri", value) for variable, value in iris.items()}
    result = backend().execute(saved.internal(name).text, result_format="ntriples", substitutions=subs,
                               default_graph_uris=graphs)  # fmt: skip
    return list(ox.parse(read(result), ox.RdfFormat.N_TRIPLES))


# -- cache keys and responses --------------------------------------------------------------------------


def page_key(*parts: object) -> str:
    """The cache key and ETag of a page or API answer: the build, the base URL, and ``parts`` (everything else
    that changes the bytes, e.g. the language of a bilingual page)."""
    return backend().cache_key("page", base_url(), *parts)


def conditional(resp: Response, *parts: object, max_age: int = 300) -> Response:
    """``resp`` with an ETag from :func:`page_key` of ``parts``; 304 if the client has it."""
    resp.set_etag(page_key(*parts))
    resp.headers["Cache-Control"] = f"public, max-age={max_age}"
    return resp.make_conditional(request)


def respond(key: tuple, fmt: str, make: Callable[[], bytes | None], *, links: list[dict] = (),
            on_missing: Callable[[], Response] | None = None, filename: str = "") -> Response:  # fmt: skip
    """A cached, conditional response: ``make()`` renders the body once per :func:`page_key` of ``key``.

    ``make`` returns None for a resource that does not exist; ``on_missing`` answers then (default 404).
    ``filename`` names the file a browser saves (``Content-Disposition: inline``).
    """
    tag = page_key(*key)
    media = formats.content_type(PAGE_FORMATS[fmt].mime)
    headers = {"ETag": f'"{tag}"', "Vary": "Accept, Accept-Language, Cookie", "Cache-Control": "public, max-age=300"}
    if links:
        headers["Link"] = link_header(links)
    if filename:
        headers["Content-Disposition"] = f'inline; filename="{filename}"'
    cache = backend().cache
    hit = cache.get(tag)
    if hit and request.if_none_match.contains_weak(tag):
        return Response(status=304, headers=headers)
    body = hit.body if hit else make()
    if body is None:
        return on_missing() if on_missing else abort(404)
    if not hit:
        cache.put(tag, CachedResult("page", media, body))
    return Response(body, content_type=media, headers=headers)


def json_bytes(body: object) -> bytes:
    """A JSON twin's bytes: UTF-8, non-ASCII kept, indented by one space (readable, and still small)."""
    return json.dumps(body, ensure_ascii=False, indent=1).encode("utf-8")


def link_header(links: list[dict]) -> str:
    """``Link`` header of the alternates (``{type, href}``)."""
    return ", ".join(f'<{a["href"]}>; rel="alternate"; type="{a["type"]}"' for a in links)


# -- negotiation ---------------------------------------------------------------------------------------


def negotiate(offered: tuple[str, ...]) -> str | None:
    """The representation to send: ``format=`` if given, else the best ``Accept`` match; None if none fits.

    ``offered`` (names of :data:`PAGE_FORMATS`) is in order of preference: it breaks ties, and a missing
    ``Accept`` gets its first entry.
    """
    fmt = request.args.get("format")
    if fmt is not None:
        value = fmt.strip().lower()
        return next((n for n in offered if value in _spellings(PAGE_FORMATS[n])), None)
    if not request.headers.get("Accept", "").strip():
        return offered[0]
    by_type: dict[str, str] = {}
    for n in offered:
        by_type.setdefault(PAGE_FORMATS[n].mime, n)
    for n in offered:
        for alias in (*PAGE_FORMATS[n].aliases, *MORE_TYPES.get(n, ())):
            by_type.setdefault(alias, n)
    return by_type.get(request.accept_mimetypes.best_match(list(by_type)))


def _spellings(mt: formats.MediaType) -> tuple[str, ...]:
    return (mt.name, mt.extension, mt.mime, *mt.keywords, *mt.aliases)


def alternates(offered: tuple[str, ...], current: str, href: Callable[[str], str]) -> list[dict]:
    """``{type, href, name}`` of the other representations, for ``<link rel=alternate>`` and ``Link``."""
    return [{"type": PAGE_FORMATS[n].mime, "href": href(n), "name": format_name(n)} for n in offered if n != current]


def format_name(name: str) -> str:
    """The link text of a representation: ``HTML``, ``Turtle``, ``JSON-LD`` …"""
    return {"html": "HTML", "txt": "Text", "turtle": "Turtle", "jsonld": "JSON-LD", "ntriples": "N-Triples",
            "rdfxml": "RDF/XML", "json": "JSON", "ics": "iCalendar", "geojson": "GeoJSON"}.get(name, name)  # fmt: skip


def not_acceptable(offered: tuple[str, ...]) -> Response:
    types = ", ".join(PAGE_FORMATS[n].mime for n in offered)
    return Response(f"406 Not Acceptable: this resource is available as {types}\n", 406, mimetype="text/plain")


# -- errors of the JSON APIs -----------------------------------------------------------------------------


def problem(status: int, detail: str, *, title: str | None = None, **extra) -> Response:
    """An RFC 9457 problem details response (``extra`` members that are None are left out)."""
    return Response(problem_body(status, detail, request.path, title=title, **extra), status=status, mimetype=PROBLEM)


def problem_body(status: int, detail: str, instance: str, *, title: str | None = None, **extra) -> bytes:
    """The JSON of a problem details response, also for answers given before Flask (:mod:`ruhrkg.server.wsgi`)."""
    body = {"type": "about:blank", "title": title or HTTP_STATUS_CODES.get(status, "Error"), "status": status,
            "detail": detail, "instance": instance}  # fmt: skip
    body.update({k: v for k, v in extra.items() if v is not None})
    return (json.dumps(body, ensure_ascii=False) + "\n").encode("utf-8")
