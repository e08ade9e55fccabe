"""The Flask application factory, and the one place where routes are registered.

``create_app()`` reads its settings from ``RUHRKG_*`` environment variables (see
:class:`ruhrkg.server.config.Settings`), so any WSGI server can serve ``ruhrkg.server.app:create_app()``;
``ruhrkg serve`` does that with granian. There is no module-level app.

Layout of ``server/`` (the code for a URL is found by its prefix):

- :mod:`.wsgi`: the front every request passes (bounds, UTF-8), routing ``/sparql`` queries to
- :mod:`.sparql`: the SPARQL protocol core, media types and negotiation, the Service Description;
- :mod:`.query`: checking and running queries (the lexer, the engines), below HTTP;
- :mod:`.web`: the pages (``/``, ``/about``, ``/id/…`` (303 to ``/doc/…``), ``/queries/…``, ``/network``, ``/editor``,
  ``/downloads/``, ``/timeline``, ``/map``, ``/favicon.ico``);
- :mod:`.api`: the machine APIs (``/api/…``, ``/reconcile``);
- :mod:`.backend`: the current build, its query service and the result cache; :mod:`.accesslog`; :mod:`.config`.
"""

from __future__ import annotations

import logging
import tempfile
import time
from http import HTTPStatus

from flask import Flask, Response, g, render_template, request
from markupsafe import escape
from werkzeug.exceptions import HTTPException

from ruhrkg.server import accesslog
from ruhrkg.server.backend import Backend
from ruhrkg.server.config import Settings
from ruhrkg.server.query.errors import QueryServiceError
from ruhrkg.server.sparql import formats
from ruhrkg.server.sparql.protocol import CORS_HEADERS, SparqlEndpoint
from ruhrkg.server.web import render
from ruhrkg.server.wsgi import Front

log = logging.getLogger(__name__)

#: Paths whose errors are plain text for machines, never HTML.
API_PREFIXES = ("/sparql", "/api/", "/downloads/", "/.well-known/", "/reconcile")


def create_app(settings: Settings | dict | None = None) -> Flask:
    """Create the app. ``settings`` may be a :class:`Settings`, a dict of overrides, or None (environment)."""
    if isinstance(settings, dict):
        settings = Settings.from_env(**settings)
    settings = settings or Settings.from_env()
    app = Flask("ruhrkg.server", instance_path=tempfile.gettempdir())
    app.config.update(RUHRKG=settings, MAX_CONTENT_LENGTH=settings.max_request_bytes, JSON_SORT_KEYS=False)
    app.extensions["ruhrkg"] = backend = Backend(settings)
    if settings.warm_up:
        try:
            b"".join(backend.execute("ASK {}").chunks)
        except QueryServiceError as e:
            if backend.store is None:
                raise
            log.warning("the SPARQL store does not answer yet: %s", e.message)  # queries get 502 until it does
    _register(app)
    app.before_request(_before)
    app.after_request(_after)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(QueryServiceError, _query_error)  # pages whose query failed: the reason, no traceback
    app.register_error_handler(formats.NotAcceptable, _not_acceptable)  # any view's negotiation: 406, not 500
    if settings.access_log:
        accesslog.setup()
    app.wsgi_app = Front(app.wsgi_app, SparqlEndpoint(backend, app.wsgi_app), settings)
    return app


def _register(app: Flask) -> None:
    """Every blueprint, in one place."""
    from ruhrkg.server.api import queries as api_queries
    from ruhrkg.server.api import reconcile
    from ruhrkg.server.sparql import description
    from ruhrkg.server.web import downloads, editor, entities, favicon, i18n, meta, network, pages, queries, timeline
    from ruhrkg.server.web import map as place_map

    for module in (description, meta, downloads, pages, entities, queries, api_queries, network, editor, reconcile,
                   timeline, place_map, favicon):  # fmt: skip
        app.register_blueprint(module.bp)
    app.context_processor(lambda: {**i18n.template_globals(), "version": render.backend().version})
    app.after_request(i18n.remember_choice)


def _before() -> None:
    g.started = time.perf_counter()
    render.backend().refresh()


def _after(resp: Response) -> Response:
    for name, value in CORS_HEADERS:
        resp.headers[name] = value
    if request.method == "OPTIONS":
        resp.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        resp.headers["Access-Control-Allow-Headers"] = "Accept, Content-Type, If-None-Match"
        resp.headers["Access-Control-Max-Age"] = "86400"
    if render.settings().access_log:
        query = request.args.get("query") or (request.form.get("query") if request.mimetype.endswith("urlencoded") else None)
        record = accesslog.Record(request.method, request.path, resp.status_code, g.get("query_form"), g.get("cache"),
                                  query, g.get("started"))  # fmt: skip
        resp.call_on_close(record.write)
    return resp


def plain(status: int, message: str) -> Response:
    return Response(message.rstrip("\n") + "\n", status=status, mimetype="text/plain")


def _wants_text() -> bool:
    return request.path.startswith(API_PREFIXES) or not request.accept_mimetypes.accept_html


def _http_error(e: HTTPException):
    if _wants_text():
        resp = plain(e.code or 500, f"{e.code} {e.name}: {e.description}")
    elif e.code == 404:
        resp = Response(render_template("404.html", iri=None), status=404, mimetype="text/html")
    else:
        resp = _html_error(e.code or 500, e.description or "")
    for k, v in e.get_headers():
        if k.lower() not in ("content-type", "content-length"):
            resp.headers[k] = v
    return resp


def _query_error(e: QueryServiceError):
    """A query behind a page failed (the store is down, a time limit): its status and one-line reason."""
    return plain(e.status, e.message) if _wants_text() else _html_error(e.status, e.message)


def _not_acceptable(e: formats.NotAcceptable):
    """No representation a view offers satisfies ``Accept`` (or ``format=``): 406 with what is offered."""
    resp = plain(406, f"406 Not Acceptable: {e}; offered: {', '.join(m.mime for m in e.offered)}")
    resp.headers["Vary"] = "Accept"
    return resp


def _html_error(status: int, message: str) -> Response:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    title = f"{status} {escape(phrase)}"
    return Response(f"<!doctype html><title>{title}</title><h1>{title}</h1><p>{escape(message)}</p>",
                    status=status, mimetype="text/html")  # fmt: skip
