"""The WSGI application in front of everything: bounds every request, then routes it.

Before any framework parses a request, :class:`Front` refuses (400, with the reason) what would cost
unbounded work or be decoded into something other than what was sent: an ``Accept`` or ``Accept-Language``
header longer than ``max_header_chars``, and a query string or form body that is not UTF-8 (as problem details
for the JSON APIs, else as one line of text). Then a query to
``/sparql`` goes to the protocol core (:class:`~ruhrkg.server.sparql.protocol.SparqlEndpoint`), everything
else to Flask.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from urllib.parse import unquote_to_bytes

from ruhrkg.server.config import Settings
from ruhrkg.server.sparql.protocol import CORS_HEADERS, FORM_TYPE, ProtocolError, read_body, status_line
from ruhrkg.server.web.render import JSON_APIS, PROBLEM, problem_body

BOUNDED_HEADERS = ("HTTP_ACCEPT", "HTTP_ACCEPT_LANGUAGE")


class Front:
    """WSGI middleware: :func:`check_request`, then ``/sparql`` to ``endpoint`` and the rest to ``app``."""

    def __init__(self, app: Callable, endpoint: Callable, settings: Settings) -> None:
        self.app, self.endpoint, self.settings = app, endpoint, settings

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        try:
            sparql = environ.get("PATH_INFO") == "/sparql" and environ["REQUEST_METHOD"] in ("GET", "HEAD", "POST")
            check_request(environ, self.settings, body=not sparql)
        except ProtocolError as e:
            path = environ.get("PATH_INFO", "")
            if path.startswith(JSON_APIS):  # the JSON APIs answer their errors in JSON, here too
                body, media = problem_body(e.status, e.message, path), PROBLEM
            else:
                body, media = (e.message + "\n").encode("utf-8"), "text/plain; charset=utf-8"
            start_response(status_line(e.status), [("Content-Type", media), ("Content-Length", str(len(body))),
                                                   *CORS_HEADERS])  # fmt: skip
            return [body]
        return (self.endpoint if sparql else self.app)(environ, start_response)


def check_request(environ: dict, settings: Settings, *, body: bool = True) -> None:
    """:class:`ProtocolError` (400) for an over-long negotiation header, a query string that is not UTF-8, or
    (``body``) a form body that is not; a form body read here is put back for the application."""
    for name in BOUNDED_HEADERS:
        value = environ.get(name)
        if value is not None and len(value) > settings.max_header_chars:
            header = name[5:].replace("_", "-").title()
            raise ProtocolError(400, f"the {header} header has {len(value)} characters, "
                                     f"the limit is {settings.max_header_chars}")  # fmt: skip
    _check_utf8(environ.get("QUERY_STRING", ""), "the query string")
    if body and environ.get("CONTENT_TYPE", "").split(";", 1)[0].strip().lower() == FORM_TYPE:
        data = read_body(environ, settings.max_request_bytes)
        environ["wsgi.input"] = io.BytesIO(data)
        environ["CONTENT_LENGTH"] = str(len(data))
        _check_utf8(data.decode("latin-1"), "the form")


def _check_utf8(raw: str, what: str) -> None:
    """400 unless ``raw`` (a WSGI string: one character per byte), its percent-escapes decoded, is UTF-8."""
    if raw.isascii() and "%" not in raw:
        return
    try:
        unquote_to_bytes(raw.encode("latin-1")).decode("utf-8")
    except UnicodeError as e:
        raise ProtocolError(400, f"{what} is not valid UTF-8 (byte {getattr(e, 'start', '?')})") from None
