"""What the views of :mod:`ruhrkg.server.web` share: cached answers in any media type, and their alternates.

:func:`cached` is :func:`ruhrkg.server.entities.respond` for bodies that are not one of the entity formats
(JSON, iCalendar, GeoJSON, SVG): rendered once per dataset version and key, with an ``ETag`` and conditional GET.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Response, current_app, request

from ruhrkg.server.backend import CachedResult


def cached(
    key: tuple, media: str, make: Callable[[], bytes], *, links: list[dict] = (), filename: str = ""
) -> Response:
    """A cached, conditional response of type ``media``; ``links`` become ``Link: rel="alternate"`` headers."""
    backend = current_app.extensions["ruhrkg"]
    tag = backend.cache_key(*key)
    headers = {"ETag": f'"{tag}"', "Vary": "Accept, Accept-Language, Cookie", "Cache-Control": "public, max-age=300"}
    if links:
        headers["Link"] = ", ".join(f'<{a["href"]}>; rel="alternate"; type="{a["type"]}"' for a in links)
    if filename:
        headers["Content-Disposition"] = f'inline; filename="{filename}"'
    hit = backend.cache.get(tag)
    if hit and request.if_none_match.contains_weak(tag):
        return Response(status=304, headers=headers)
    body = hit.body if hit else make()
    if not hit:
        backend.cache.put(tag, CachedResult("page", media, body))
    return Response(body, content_type=media, headers=headers)


def wants_html() -> bool:
    """Whether the client prefers HTML to JSON (browsers do; clients without ``Accept`` do not)."""
    accept = request.accept_mimetypes
    if not request.headers.get("Accept", "").strip():
        return False
    return accept.quality("text/html") > accept.quality("application/json")
