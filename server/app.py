"""The Flask application factory.

``create_app()`` reads its settings from ``RUHRKG_*`` environment variables
(see :class:`ruhrkg.server.config.Settings`), so any WSGI server can serve
``ruhrkg.server.app:create_app()``; ``ruhrkg serve`` does that with a
production server. There is no module-level app.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import tempfile
import time

from flask import Flask, Response, g, render_template, request
from markupsafe import escape
from werkzeug.exceptions import HTTPException

from ruhrkg.server.backend import Backend
from ruhrkg.server.config import Settings
from ruhrkg.server.digests import sha1_hex
from ruhrkg.server.executor import QueryServiceError

log = logging.getLogger("ruhrkg.access")

#: The CORS headers of every answer (the fast path in ruhrkg.server.fastpath adds them too).
CORS_HEADERS = (
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Expose-Headers", "ETag, Content-Disposition, Link"),
)

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

    from ruhrkg.server import entities, i18n, meta, network, pages, queries_web, reconcile, sparql

    for module in (sparql, meta, pages, entities, queries_web, network, reconcile):
        app.register_blueprint(module.bp)
    from ruhrkg.server.web import downloads, favicon, map, timeline

    for module in (downloads, timeline, map, favicon):
        app.register_blueprint(module.bp)
    app.context_processor(lambda: {**i18n.template_globals(), "version": app.extensions["ruhrkg"].version})
    app.after_request(i18n.remember_choice)

    app.before_request(_before)
    app.after_request(_after)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(QueryServiceError, _query_error)  # pages whose query failed: the reason, no traceback
    from ruhrkg.server.fastpath import FastSparql

    app.wsgi_app = FastSparql(
        app.wsgi_app, backend, max_request_bytes=settings.max_request_bytes, access_log=settings.access_log
    )
    app.register_error_handler(UnicodeDecodeError, lambda e: _plain(400, "the request is not valid UTF-8"))
    if settings.access_log and not log.handlers:
        handler = AccessLogHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False
    return app


def _before() -> None:
    g.started = time.perf_counter()
    from flask import current_app

    current_app.extensions["ruhrkg"].refresh()


def _after(resp: Response) -> Response:
    for name, value in CORS_HEADERS:
        resp.headers[name] = value
    if request.method == "OPTIONS":
        resp.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        resp.headers["Access-Control-Allow-Headers"] = request.headers.get(
            "Access-Control-Request-Headers", "Accept, Content-Type, If-None-Match"
        )
        resp.headers["Access-Control-Max-Age"] = "86400"
    from flask import current_app

    if current_app.config["RUHRKG"].access_log:
        query = request.args.get("query") or (
            request.form.get("query") if request.mimetype.endswith("urlencoded") else None
        )
        record = access_record(
            request.method, request.path, resp.status_code, g.get("query_form"), g.get("cache"), query
        )
        started = g.get("started")
        resp.call_on_close(lambda: log_access(record, started))
    return resp


def access_record(method: str, path: str, status: int, form: str | None, cache: str | None, query: str | None) -> dict:
    """One line of the structured access log: no client address, the query only as a short hash and its length."""
    record = {
        "time": _utc_now(),
        "method": method,
        "path": path,
        "status": status,
        "form": form,
        "cache": cache,
    }
    if query:
        record["query_sha1"] = sha1_hex(query)[:12]
        record["query_chars"] = len(query)
    return record


_CLOCK = (0, "")


def _utc_now() -> str:
    """The time in ISO 8601 (UTC), formatted once a second."""
    global _CLOCK
    now = int(time.time())
    if now != _CLOCK[0]:
        _CLOCK = (now, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)))  # one tuple: threads see both or neither
    return _CLOCK[1]


class AccessLogHandler(logging.StreamHandler):
    """The access log's own handler (JSON lines on stderr), set up by :func:`create_app`.

    :meth:`write_line` hands a line to the stream's file descriptor in one ``write``: a line is far shorter
    than ``PIPE_BUF``, so lines from several threads or processes never interleave, and no lock is needed.
    A stream without a descriptor (a test's StringIO) is written under the handler's lock.
    """

    _descriptor: tuple[object, int | None] = (None, None)  # (stream, its file descriptor or None)

    def write_line(self, line: str) -> None:
        stream = self.stream
        known, fd = self._descriptor
        if known is not stream:
            fd = _descriptor_of(stream)
            self._descriptor = (stream, fd)
        if fd is not None:
            try:
                data = (line + "\n").encode(getattr(stream, "encoding", None) or "utf-8", "backslashreplace")
                while data:
                    data = data[os.write(fd, data) :]
                return
            except OSError:
                self._descriptor = (stream, None)  # (a closed or non-blocking descriptor): the stream's way
        with self.lock:
            stream.write(line + "\n")
            self.flush()


def _descriptor_of(stream) -> int | None:
    """The file descriptor behind a text stream, after flushing what it holds (None if it has none)."""
    try:
        stream.flush()
        return stream.fileno()
    except (AttributeError, OSError, ValueError):
        return None


def log_access(record: dict, started: float | None) -> None:
    """Write ``record`` with the milliseconds since ``started`` (called when the answer has been sent)."""
    if not log.isEnabledFor(logging.INFO):
        return
    record["ms"] = round((time.perf_counter() - started) * 1000, 2) if started else None
    _write_line(json.dumps(record, ensure_ascii=False))


def log_sparql_access(method: str, status: int, form: str, cache: str, query: str, started: float) -> None:
    """:func:`log_access` for a ``/sparql`` request of the fast path, with the same line, character for character."""
    if log.isEnabledFor(logging.INFO):
        _write_line(sparql_access_line(method, status, form, cache, query, started))


def sparql_access_line(method: str, status: int, form: str, cache: str, query: str, started: float) -> str:
    """The JSON of :func:`access_record` plus ``ms``, formatted directly: every value is a number, a hex digest or
    one of a few fixed words, so nothing needs escaping (a property test holds it to ``json.dumps``)."""
    ms = round((time.perf_counter() - started) * 1000, 2)
    return (f'{{"time": "{_utc_now()}", "method": "{method}", "path": "/sparql", "status": {status:d}, '
            f'"form": "{form}", "cache": "{cache}", "query_sha1": "{sha1_hex(query)[:12]}", "query_chars": {len(query):d}, '
            f'"ms": {ms!r}}}')  # fmt: skip


def _write_line(line: str) -> None:
    """Hand one access-log line to the log (the caller has checked that the log is enabled)."""
    handlers = log.handlers
    if len(handlers) == 1 and type(handlers[0]) is AccessLogHandler and not handlers[0].filters and not log.filters:
        handlers[0].write_line(line)  # only our own handler: the line as it would write it, without a LogRecord
        return
    # makeRecord + handle: what log.info does, less its search of the stack for the caller's file and line
    log.handle(log.makeRecord(log.name, logging.INFO, __file__, 0, line, None, None))


def _plain(status: int, message: str) -> Response:
    return Response(message + "\n", status=status, mimetype="text/plain")


def _http_error(e: HTTPException):
    if request.path.startswith(API_PREFIXES) or not request.accept_mimetypes.accept_html:
        resp = _plain(e.code or 500, f"{e.code} {e.name}: {e.description}")
    elif e.code == 404:
        resp = Response(render_template("404.html", iri=None), status=404, mimetype="text/html")
    else:
        body = f"<!doctype html><title>{e.code} {escape(e.name)}</title><h1>{e.code} {escape(e.name)}</h1><p>{escape(e.description)}</p>"
        resp = Response(body, status=e.code, mimetype="text/html")
    for k, v in e.get_headers():
        if k.lower() not in ("content-type", "content-length"):
            resp.headers[k] = v
    return resp


def _query_error(e: QueryServiceError):
    """A query behind a page failed (the store is down, a time limit): its status and one-line reason."""
    if request.path.startswith(API_PREFIXES) or not request.accept_mimetypes.accept_html:
        return _plain(e.status, e.message)
    title = f"{e.status} {escape(_reason_phrase(e.status))}"
    body = f"<!doctype html><title>{title}</title><h1>{title}</h1><p>{escape(e.message)}</p>"
    return Response(body, status=e.status, mimetype="text/html")


def _reason_phrase(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
