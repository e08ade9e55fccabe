"""The SPARQL 1.1 Protocol at ``/sparql`` (read-only): the one implementation of a query request.

:class:`SparqlEndpoint` is a WSGI application that :mod:`ruhrkg.server.wsgi` calls for every ``GET``,
``HEAD`` or ``POST`` to ``/sparql`` that carries a query; Flask answers the rest (the Service Description, the
query page for browsers, ``OPTIONS``). Saved-query answers share :func:`cached_answer` with it, so the cache,
``ETag`` and streaming rules exist once.

- query via GET, POST ``application/x-www-form-urlencoded`` and POST ``application/sparql-query``;
  ``default-graph-uri`` and ``named-graph-uri`` as the protocol says; text that is not UTF-8 is a 400;
- ``dataset=default|inferred|union`` chooses a documented dataset when no graph IRIs are given;
- the result format is negotiated after looking at the query form (``Accept`` with q-values), and a
  ``format=`` parameter overrides it;
- Updates are refused (403); errors are ``text/plain`` with a one-line reason;
- relative IRIs resolve against the endpoint's public URL (``public_url``, else the request's host), which is
  part of the cache key; results stream from the engine; small ones are cached per build, with an ``ETag``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http import HTTPStatus
from urllib.parse import parse_qsl

from werkzeug.http import parse_options_header

from ruhrkg.server import accesslog
from ruhrkg.server.backend import Backend, CachedResult
from ruhrkg.server.query.errors import QueryServiceError
from ruhrkg.server.sparql import formats

FORM_TYPE = "application/x-www-form-urlencoded"
QUERY_TYPE = "application/sparql-query"
UPDATE_TYPE = "application/sparql-update"
DATASETS = ("default", "inferred", "union")
MAX_FIELDS = 100
READ_ONLY = "SPARQL Update is not allowed: this endpoint is read-only"
#: The CORS headers of every answer.
CORS_HEADERS = (
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Expose-Headers", "ETag, Content-Disposition, Link"),
)


class ProtocolError(Exception):
    """A request the protocol refuses: its status, a one-line reason and extra headers."""

    def __init__(self, status: int, message: str, headers: Iterable[tuple[str, str]] = ()) -> None:
        super().__init__(message)
        self.status, self.message, self.headers = status, message, list(headers)


@dataclass
class Answer:
    """A response before it is sent: status, headers, body chunks, and whether the cache answered."""

    status: int
    headers: list[tuple[str, str]]
    body: Iterable[bytes]
    cache: str = "miss"


def form_fields(text: str) -> dict[str, list[str]]:
    """``application/x-www-form-urlencoded`` fields, decoded as strict UTF-8 (:class:`ProtocolError` 400 if not).

    >>> form_fields("query=ASK%7B%7D&format=json")
    {'query': ['ASK{}'], 'format': ['json']}
    """
    try:
        pairs = parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict", max_num_fields=MAX_FIELDS)
    except UnicodeDecodeError as e:
        raise ProtocolError(400, f"a parameter is not valid UTF-8 (byte {e.start} of its value)") from None
    except ValueError:
        raise ProtocolError(400, f"too many parameters: the limit is {MAX_FIELDS}") from None
    out: dict[str, list[str]] = {}
    for k, v in pairs:
        out.setdefault(k, []).append(v)
    return out


def wsgi_text(raw: str) -> str:
    """A WSGI string (one character per byte) as UTF-8 text; :class:`ProtocolError` 400 if it is not."""
    try:
        return raw.encode("latin-1").decode("utf-8")
    except UnicodeError:
        raise ProtocolError(400, "the request is not valid UTF-8") from None


def read_body(environ: dict, limit: int) -> bytes:
    """The request body, at most ``limit`` bytes (:class:`ProtocolError` 413 past it)."""
    length = environ.get("CONTENT_LENGTH") or ""
    stream = environ["wsgi.input"]
    if length:
        try:
            n = int(length)
        except ValueError:
            raise ProtocolError(400, f"Content-Length {length[:20]!r} is not a number") from None
        if n > limit:
            raise ProtocolError(413, f"the request body has {n} bytes, the limit is {limit}")
        return stream.read(n) if n > 0 else b""
    body = stream.read(limit + 1)  # no length given (chunked): read to the limit
    if len(body) > limit:
        raise ProtocolError(413, f"the request body is larger than the limit of {limit} bytes")
    return body


def parameters(environ: dict, max_request_bytes: int) -> dict[str, list[str]] | None:
    """The protocol parameters of a request, or None for a GET without a query (the Service Description)."""
    args = form_fields(wsgi_text(environ.get("QUERY_STRING", "")))
    if "update" in args:
        raise ProtocolError(403, READ_ONLY)
    if environ["REQUEST_METHOD"] in ("GET", "HEAD"):
        return args if "query" in args else None
    mimetype, options = parse_options_header(environ.get("CONTENT_TYPE", ""))
    if mimetype == FORM_TYPE:
        body = read_body(environ, max_request_bytes)
        try:
            params = form_fields(body.decode("ascii"))
        except UnicodeDecodeError:
            raise ProtocolError(400, "a form body must be percent-encoded ASCII") from None
        if "update" in params:
            raise ProtocolError(403, READ_ONLY)
        if "query" not in params:
            raise ProtocolError(400, "a form POST needs a 'query' parameter")
        for k in ("format", "dataset"):
            if k in args and k not in params:
                params[k] = args[k]
        return params
    if mimetype == QUERY_TYPE:
        charset = options.get("charset", "utf-8").lower()
        if charset not in ("utf-8", "utf8"):
            raise ProtocolError(415, f"charset={charset} is not supported: send the query as UTF-8")
        if "query" in args:
            raise ProtocolError(400, "a POST of application/sparql-query must not also carry a 'query' parameter")
        body = read_body(environ, max_request_bytes)
        try:
            return {**args, "query": [body.decode("utf-8")]}
        except UnicodeDecodeError as e:
            raise ProtocolError(400, f"the query is not valid UTF-8 (byte {e.start})") from None
    if mimetype == UPDATE_TYPE:
        raise ProtocolError(403, READ_ONLY)
    raise ProtocolError(
        415,
        f"unsupported Content-Type {mimetype or '(none)'!r}: POST a query as {FORM_TYPE} or {QUERY_TYPE}",
        [("Accept-Post", f"{FORM_TYPE}, {QUERY_TYPE}")],
    )


def endpoint_url(environ: dict, public_url: str) -> str:
    """The endpoint's own URL, the base of relative IRIs: ``public_url`` if configured, else the request's."""
    if public_url:
        return public_url.rstrip("/") + "/sparql"
    scheme = environ.get("wsgi.url_scheme", "http")
    host = environ.get("HTTP_HOST")
    if not host:
        host = environ.get("SERVER_NAME", "localhost")
        port = environ.get("SERVER_PORT")
        if port and port != ("443" if scheme == "https" else "80"):
            host = f"{host}:{port}"
    return f"{scheme}://{host}/sparql"


def cached_answer(backend: Backend, key: str, run: Callable, media: formats.MediaType, *, conditional: bool,
                  if_none_match: str = "", filename: str | None = None) -> Answer:  # fmt: skip
    """A result answer: 304 on a matching ``If-None-Match`` (``conditional``: a GET), the cached body, or the
    result of ``run()`` (read ahead up to the cache's entry size, then streamed)."""
    etag = f'"{key}"'
    headers = [("ETag", etag), ("Cache-Control", "public, max-age=300"), ("Vary", "Accept, Accept-Encoding")]
    if filename:
        headers.append(("Content-Disposition", f'attachment; filename="{filename}"'))
    if conditional and etag in if_none_match:
        return Answer(304, headers, [], "hit")
    cached = backend.cache.get(key)
    if cached is not None:
        headers.append(("Content-Type", formats.content_type(cached.media_type)))
        return Answer(200, headers, [cached.body], "hit")
    result = run()
    headers.append(("Content-Type", formats.content_type(result.media_type)))
    limit = backend.cache.max_entry_bytes
    chunks = result.chunks
    rest = iter(chunks)
    head, size = [], 0
    for chunk in rest:
        head.append(chunk)
        size += len(chunk)
        if size > limit:
            return Answer(200, headers, _Stream(head, rest, chunks))
    body = b"".join(head)
    backend.cache.put(key, CachedResult(result.form, result.media_type, body))
    return Answer(200, headers, [body])


class SparqlEndpoint:
    """WSGI application: the SPARQL protocol for requests that carry a query. ``fallback`` (Flask) answers a
    GET without one (the Service Description)."""

    def __init__(self, backend: Backend, fallback: Callable) -> None:
        self.backend = backend
        self.settings = backend.settings
        self.fallback = fallback

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        started = time.perf_counter()
        method = environ["REQUEST_METHOD"]
        text = form = None
        try:
            params = parameters(environ, self.settings.max_request_bytes)
            if params is None:
                return self.fallback(environ, start_response)
            text, form, answer = self._answer(environ, params)
        except ProtocolError as e:
            answer = _error(e.status, e.message, e.headers)
        except QueryServiceError as e:
            answer = _error(e.status, e.message)
        except formats.NotAcceptable as e:
            answer = _error(406, str(e), [("Vary", "Accept")])
        record = accesslog.Record(method, "/sparql", answer.status, form, answer.cache, text, started)
        return _send(start_response, answer, method == "HEAD", record if self.settings.access_log else None)

    def _answer(self, environ: dict, params: dict[str, list[str]]) -> tuple[str, str, Answer]:
        queries = params["query"]
        if len(queries) > 1:
            raise ProtocolError(400, "the request has more than one 'query' parameter")
        datasets = params.get("dataset", ["default"])
        if len(datasets) > 1 or datasets[0] not in DATASETS:
            raise ProtocolError(400, f"dataset={datasets[-1]!r} is unknown; use one of {', '.join(DATASETS)}")
        backend = self.backend
        backend.refresh()
        text, dataset = queries[0], datasets[0]
        analysis = backend.service.check(text)
        form = analysis.form
        media = formats.choose(form, params.get("format", []), environ.get("HTTP_ACCEPT"))
        default_graphs = tuple(params.get("default-graph-uri", ()))
        named_graphs = tuple(params.get("named-graph-uri", ()))
        base = endpoint_url(environ, self.settings.public_url)
        key = backend.sparql_key(text, dataset, default_graphs, named_graphs, media.name, base)
        answer = cached_answer(
            backend, key,
            lambda: backend.service.run(analysis, dataset=dataset, default_graph_uris=default_graphs,
                                    named_graph_uris=named_graphs, result_format=media.name, base_iri=base),
            media, conditional=environ["REQUEST_METHOD"] in ("GET", "HEAD"),
            if_none_match=environ.get("HTTP_IF_NONE_MATCH", ""),
        )  # fmt: skip
        return text, form, answer


def _error(status: int, message: str, headers: Iterable[tuple[str, str]] = ()) -> Answer:
    body = (message.rstrip("\n") + "\n").encode("utf-8")
    return Answer(status, [("Content-Type", "text/plain; charset=utf-8"), *headers], [body])


def status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Error"


def _send(start_response: Callable, answer: Answer, head: bool, record: accesslog.Record | None):
    headers = [*answer.headers, *CORS_HEADERS]
    body = answer.body
    if type(body) is list and answer.status != 304:
        headers.append(("Content-Length", str(sum(map(len, body)))))
    start_response(status_line(answer.status), headers)
    if head:
        close = getattr(body, "close", None)
        if close:
            close()
        body = []
    if record is None:
        return body
    if type(body) is list:
        record.write()
        return body
    return _Logged(body, record)


class _Stream:
    """The rest of a large result after the read-ahead; closing it frees the query worker or connection."""

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
    """A streamed body that writes its access-log record when the server closes it."""

    def __init__(self, body, record: accesslog.Record) -> None:
        self._body, self._record = body, record

    def __iter__(self):
        return iter(self._body)

    def close(self) -> None:
        try:
            close = getattr(self._body, "close", None)
            if close:
                close()
        finally:
            self._record.write()


def flask_answer(key: str, run: Callable, media: formats.MediaType, *, filename: str | None = None):
    """:func:`cached_answer` as a Flask response, for views that answer with a query result (saved queries)."""
    from flask import Response, current_app, g, request, stream_with_context

    answer = cached_answer(current_app.extensions["ruhrkg"], key, run, media,
                           conditional=request.method in ("GET", "HEAD"),
                           if_none_match=request.headers.get("If-None-Match", ""), filename=filename)  # fmt: skip
    g.cache = answer.cache
    body = answer.body if type(answer.body) is list else stream_with_context(iter(answer.body))
    resp = Response(body, status=answer.status)
    for name, value in answer.headers:
        resp.headers[name] = value
    if type(answer.body) is not list:
        resp.call_on_close(getattr(answer.body, "close", lambda: None))
    return resp
