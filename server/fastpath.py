"""A WSGI fast path for SPARQL protocol queries, in front of Flask.

Most requests to ``/sparql`` are plain queries: a GET with ``query=``, or a
POST of a form or of ``application/sparql-query``. For those, Flask's
per-request machinery (request and app contexts, routing, hooks, the
response object) cost more than the lexer, the cache and the pipe to a
query worker together: about 1 ms of a 2.5 ms request. This middleware
answers them directly, with the same functions the Flask view uses
(:mod:`ruhrkg.server.formats` for content negotiation,
:meth:`Backend.cache_key` and the result cache, :meth:`Backend.execute`),
the same headers (ETag, Cache-Control, Vary, CORS) and the same access-log
record.

Anything else goes to Flask untouched: other paths and methods, the service
description, HTML, ``lang=``, and every request that is not clearly valid
(a repeated ``query``, an ``update``, a bad dataset or format, undecodable
text, a body without a length or over the limit): Flask's view produces the
protocol's error for it. A POST body read here is handed on to Flask intact.
Errors of the query service itself (400 for a malformed query, 403, 503 on
a timeout) are answered here as the view answers them, so a query that timed
out is never run twice.
"""

from __future__ import annotations

import codecs
import io
import time
from collections.abc import Callable, Iterable
from urllib.parse import unquote_to_bytes

from ruhrkg.server import formats
from ruhrkg.server.app import CORS_HEADERS, log_sparql_access
from ruhrkg.server.backend import Backend, CachedResult
from ruhrkg.server.executor import QueryServiceError

FORM_TYPE = "application/x-www-form-urlencoded"
QUERY_TYPE = "application/sparql-query"
DATASETS = ("default", "inferred", "union")
KNOWN = {"query", "default-graph-uri", "named-graph-uri", "dataset", "format"}
STATUS = {200: "200 OK", 304: "304 Not Modified"}


class _Fallback(Exception):
    """Let Flask answer this request."""


class FastSparql:
    """WSGI middleware: answers plain SPARQL queries, hands everything else to ``app``."""

    def __init__(self, app: Callable, backend: Backend, *, max_request_bytes: int, access_log: bool) -> None:
        self.app = app
        self.backend = backend
        self.max_request_bytes = max_request_bytes
        self.access_log = access_log
        self.answered = 0  # requests answered here (for tests and diagnostics)

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != "/sparql" or environ.get("SCRIPT_NAME"):
            return self.app(environ, start_response)
        method = environ.get("REQUEST_METHOD")
        if method not in ("GET", "POST"):
            return self.app(environ, start_response)
        started = time.perf_counter()
        try:
            params = self._parameters(environ, method)
            return self._answer(environ, start_response, method, params, started)
        except _Fallback:
            return self.app(environ, start_response)

    # -- the request ------------------------------------------------------
    def _parameters(self, environ: dict, method: str) -> dict[str, list[str]]:
        args = _parse(environ.get("QUERY_STRING", ""))
        if method == "GET":
            if "query" not in args:
                raise _Fallback  # the service description
            params = args
        else:
            mimetype = environ.get("CONTENT_TYPE", "").split(";", 1)[0].strip().lower()
            if mimetype not in (FORM_TYPE, QUERY_TYPE):
                raise _Fallback
            body = self._body(environ)
            if mimetype == FORM_TYPE:
                params = _parse(body.decode("latin-1"))
                for k in ("format", "dataset"):
                    if k in args and k not in params:
                        params[k] = args[k]
            else:
                charset = _charset(environ.get("CONTENT_TYPE", ""))
                if charset not in ("utf-8", "utf8") or "query" in args:
                    raise _Fallback
                params = {**args, "query": [_utf8_or_fallback(body)]}
        if set(params) - KNOWN or len(params.get("query", ())) != 1 or len(params.get("dataset", ())) > 1:
            raise _Fallback  # lang=, update=, a repeated query ...: Flask decides
        if params.get("dataset", ["default"])[0] not in DATASETS:
            raise _Fallback
        return params

    def _body(self, environ: dict) -> bytes:
        try:
            length = int(environ.get("CONTENT_LENGTH") or "")
        except ValueError:
            raise _Fallback from None
        if not 0 <= length <= self.max_request_bytes:
            raise _Fallback
        body = environ["wsgi.input"].read(length)
        environ["wsgi.input"] = io.BytesIO(body)  # Flask can still read it if it answers after all
        environ["CONTENT_LENGTH"] = str(len(body))
        return body

    # -- the response -----------------------------------------------------
    def _answer(self, environ, start_response, method, params, started):
        backend = self.backend
        backend.refresh()
        service = backend.service
        text = params["query"][0]
        try:
            form = service.check(text).form  # remembered: execute() checks it again for free
        except QueryServiceError:
            raise _Fallback from None  # refused: the view answers with its error
        try:
            requested = params.get("format")
            accept = environ.get("HTTP_ACCEPT")
            media = formats.choose(form, requested, accept) if requested else formats.negotiate(form, accept)
        except formats.NotAcceptable:
            raise _Fallback from None
        dataset = params["dataset"][0] if "dataset" in params else "default"
        default_graphs = tuple(params.get("default-graph-uri", ()))
        named_graphs = tuple(params.get("named-graph-uri", ()))
        key = backend.sparql_key(text, dataset, default_graphs, named_graphs, media.name)
        etag = f'"{key}"'
        headers = [("ETag", etag), ("Cache-Control", "public, max-age=300"), ("Vary", "Accept, Accept-Encoding"),
                   *CORS_HEADERS]  # fmt: skip
        log = (method, form, text, started) if self.access_log else None
        if method == "GET" and etag in environ.get("HTTP_IF_NONE_MATCH", ""):
            return self._respond(start_response, 304, headers, [], log, "hit")
        cache = backend.cache
        cached = cache.get(key)
        if cached is not None:
            headers.append(("Content-Type", formats.content_type(cached.media_type)))
            return self._respond(start_response, 200, headers, [cached.body], log, "hit")
        try:
            result = service.execute(
                text,
                dataset=dataset,
                default_graph_uris=default_graphs,
                named_graph_uris=named_graphs,
                result_format=media.name,
                base_iri=_base_url(environ),
            )
            chunks = result.chunks
            if type(chunks) is tuple:  # complete (most answers): no read-ahead needed
                head, rest = list(chunks), iter(())
                complete = sum(map(len, head)) <= cache.max_bytes
            else:
                rest = iter(chunks)
                head, size, complete = [], 0, True
                for chunk in rest:
                    head.append(chunk)
                    size += len(chunk)
                    if size > cache.max_bytes:
                        complete = False
                        break
        except QueryServiceError as e:
            body = (e.message.rstrip("\n") + "\n").encode("utf-8")
            error_headers = [("Content-Type", "text/plain; charset=utf-8"), *CORS_HEADERS]
            return self._respond(start_response, e.status, error_headers, [body], log, "miss")
        headers.append(("Content-Type", formats.content_type(result.media_type)))
        if complete:
            body = b"".join(head)
            cache.put(key, CachedResult(result.form, result.media_type, body))
            return self._respond(start_response, 200, headers, [body], log, "miss", len(body))
        return self._respond(start_response, 200, headers, _Stream(head, rest, result.chunks), log, "miss")

    def _respond(self, start_response, status, headers, body, log, cache, length=None):
        self.answered += 1
        if type(body) is list and status != 304:
            headers.append(("Content-Length", str(sum(map(len, body)) if length is None else length)))
        start_response(STATUS.get(status) or _status_line(status), headers)
        if log is None:
            return body
        if type(body) is list:
            # Complete: log now and hand the server a list, which it sends in one piece (an iterator would
            # cost a call back into Python per chunk and one to close it, ~0.05 ms a request under load).
            log_sparql_access(log[0], status, log[1], cache, log[2], log[3])
            return body
        return _Logged(body, lambda: log_sparql_access(log[0], status, log[1], cache, log[2], log[3]))


class _Stream:
    """The rest of a large result after the read-ahead; closing it frees the query worker."""

    def __init__(self, head: list[bytes], rest: Iterable[bytes], source) -> None:
        self._head, self._rest, self._source = head, rest, source

    def __iter__(self):
        yield from self._head
        yield from self._rest

    def close(self) -> None:
        close = getattr(self._source, "close", None)
        if close:
            close()


class _Logged:
    """A response body that writes the access-log record when the server closes it."""

    def __init__(self, body, emit: Callable[[], None]) -> None:
        self._body, self._emit = body, emit

    def __iter__(self):
        return iter(self._body)

    def close(self) -> None:
        try:
            close = getattr(self._body, "close", None)
            if close:
                close()
        finally:
            self._emit()


def _parse(qs: str) -> dict[str, list[str]]:
    """``application/x-www-form-urlencoded`` fields of ``qs`` (a WSGI string: one character per byte), the
    percent-escapes decoded as UTF-8; :class:`_Fallback` for invalid UTF-8 or more than 100 fields."""
    out: dict[str, list[str]] = {}
    if not qs:
        return out
    fields = qs.split("&")
    if len(fields) > 100:
        raise _Fallback
    for field in fields:
        if field:
            k, _, v = field.partition("=")
            out.setdefault(_unquote(k), []).append(_unquote(v))
    return out


def _unquote(value: str) -> str:
    """``unquote_plus`` for a WSGI string, decoded as UTF-8 (as werkzeug decodes it).

    Percent-escapes become ``\\xHH`` escapes for the C decoder behind ``codecs.escape_decode``
    (backslashes doubled first, so nothing else is an escape): 2 us instead of 20 us for a typical
    query. A malformed escape (``%zz``) is left as it stands, as ``unquote_plus`` leaves it.
    """
    if value.isascii() and "%" not in value and "+" not in value:
        return value
    try:
        raw = value.replace("+", " ").encode("latin-1")
        if b"%" in raw:
            try:
                raw = codecs.escape_decode(raw.replace(b"\\", b"\\\\").replace(b"%", b"\\x"))[0]
            except ValueError:  # a % not followed by two hex digits
                raw = unquote_to_bytes(raw)
        return raw.decode("utf-8")
    except UnicodeError:  # not UTF-8 (or not a WSGI string): Flask answers
        raise _Fallback from None


def _utf8_or_fallback(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise _Fallback from None


def _charset(content_type: str) -> str:
    for part in content_type.split(";")[1:]:
        name, _, value = part.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip('"').lower()
    return "utf-8"


def _base_url(environ: dict) -> str:
    """``scheme://host/sparql`` as werkzeug's ``request.base_url`` gives it."""
    scheme = environ.get("wsgi.url_scheme", "http")
    host = environ.get("HTTP_HOST")
    if not host:
        host = environ.get("SERVER_NAME", "localhost")
        port = environ.get("SERVER_PORT")
        if port and port != ("443" if scheme == "https" else "80"):
            host = f"{host}:{port}"
    return f"{scheme}://{host}/sparql"


def _status_line(status: int) -> str:
    from http import HTTPStatus

    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Error"
