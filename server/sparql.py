"""The SPARQL 1.1 Protocol endpoint at ``/sparql`` (read-only).

- query via GET, POST ``application/x-www-form-urlencoded`` and POST ``application/sparql-query``;
  ``default-graph-uri`` and ``named-graph-uri`` as the protocol says;
- ``dataset=default|inferred|union`` chooses a documented dataset when no graph IRIs are given:
  ``default`` is the data plus the ontology, ``inferred`` adds the OWL-RL entailments, ``union`` is every graph;
- the result format is negotiated after looking at the query form (``Accept`` with q-values), and a
  ``format=`` parameter overrides it;
- Updates are refused (403) on every route; errors are ``text/plain`` with a one-line reason;
- results are streamed from the query worker; small ones are cached per build, with an ``ETag``.
"""

from __future__ import annotations

import time

from flask import Blueprint, Response, current_app, g, request, stream_with_context

from ruhrkg.server import formats
from ruhrkg.server.backend import CachedResult
from ruhrkg.server.executor import QueryRejected, QueryServiceError, query_form

bp = Blueprint("sparql", __name__)

FORM_TYPE = "application/x-www-form-urlencoded"
QUERY_TYPE = "application/sparql-query"
UPDATE_TYPE = "application/sparql-update"
DATASETS = ("default", "inferred", "union")


class ProtocolError(Exception):
    def __init__(self, status: int, message: str, headers: dict | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


def text_error(status: int, message: str, headers: dict | None = None) -> Response:
    resp = Response(message.rstrip("\n") + "\n", status=status, mimetype="text/plain")
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


@bp.errorhandler(ProtocolError)
def _protocol_error(e: ProtocolError):
    return text_error(e.status, e.message, e.headers)


@bp.errorhandler(QueryServiceError)
def _query_error(e: QueryServiceError):
    return text_error(e.status, e.message)


@bp.errorhandler(formats.NotAcceptable)
def _not_acceptable(e: formats.NotAcceptable):
    return text_error(406, str(e), {"Vary": "Accept"})


@bp.route("/sparql", methods=["GET", "POST"])
def endpoint():
    backend = current_app.extensions["ruhrkg"]
    params = _protocol_parameters()
    if params is None:
        from ruhrkg.server.meta import service_description

        return service_description()
    queries = params.getlist("query")
    if len(queries) > 1:
        raise ProtocolError(400, "the request has more than one 'query' parameter")
    text = queries[0]
    form = query_form(text)
    if form == "update":
        raise QueryRejected(403, "SPARQL Update is not allowed: this endpoint is read-only")
    media = formats.choose(form, params.getlist("format"), request.headers.get("Accept"))
    default_graphs = tuple(params.getlist("default-graph-uri"))
    named_graphs = tuple(params.getlist("named-graph-uri"))
    dataset = params.get("dataset", "default")
    if dataset not in DATASETS:
        raise ProtocolError(400, f"dataset={dataset!r} is unknown; use one of {', '.join(DATASETS)}")
    g.query_form = form
    key = backend.sparql_key(text, dataset, default_graphs, named_graphs, media.name)
    return answer(
        key,
        lambda: backend.execute(
            text,
            dataset=dataset,
            default_graph_uris=default_graphs,
            named_graph_uris=named_graphs,
            result_format=media.name,
            base_iri=request.base_url,
        ),
        media,
    )


def answer(key: str, run, media: formats.MediaType, *, filename: str | None = None) -> Response:
    """A result response: 304 on a matching ``If-None-Match``, the cached body, or a stream from a worker."""
    backend = current_app.extensions["ruhrkg"]
    etag = f'"{key}"'
    headers = {"ETag": etag, "Cache-Control": "public, max-age=300", "Vary": "Accept, Accept-Encoding"}
    if filename:
        headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    if request.method == "GET" and etag in request.headers.get("If-None-Match", ""):
        return Response(status=304, headers=headers)
    cached = backend.cache.get(key)
    if cached is not None:
        g.cache = "hit"
        return Response(cached.body, content_type=formats.content_type(cached.media_type), headers=headers)
    g.cache = "miss"
    started = time.perf_counter()
    result = run()
    chunks = iter(result.chunks)
    # Read ahead up to the cache's size: errors before the first byte keep their own status code,
    # and a small result goes out whole with a Content-Length (a chunked reply of a few hundred
    # bytes costs a client on a keep-alive connection a delayed-ACK round trip).
    head: list[bytes] = []
    size = 0
    for chunk in chunks:
        head.append(chunk)
        size += len(chunk)
        if size > backend.cache.max_bytes:
            break
    else:
        body = b"".join(head)
        backend.cache.put(key, CachedResult(result.form, result.media_type, body))
        g.query_ms = round((time.perf_counter() - started) * 1000, 2)
        return Response(body, content_type=formats.content_type(result.media_type), headers=headers)

    def stream():
        try:
            yield from head
            yield from chunks
        finally:
            close = getattr(result.chunks, "close", None)
            if close:
                close()  # an abandoned download frees its worker now, not at garbage collection

    return Response(
        stream_with_context(stream()), content_type=formats.content_type(result.media_type), headers=headers
    )


def _protocol_parameters():
    """The protocol parameters of a request, or None for a GET without a query (the service description)."""
    if request.method == "GET":
        args = request.args
        if "update" in args:
            raise QueryRejected(403, "SPARQL Update is not allowed: this endpoint is read-only")
        if "query" not in args:
            return None
        return args
    mimetype = request.mimetype
    if mimetype == FORM_TYPE:
        form = request.form
        if "update" in form:
            raise QueryRejected(403, "SPARQL Update is not allowed: this endpoint is read-only")
        if "query" not in form:
            raise ProtocolError(400, "a form POST needs a 'query' parameter")
        merged = form.copy()
        for k in ("format", "dataset"):
            if k in request.args and k not in merged:
                merged[k] = request.args[k]
        return merged
    if mimetype == QUERY_TYPE:
        charset = request.mimetype_params.get("charset", "utf-8").lower()
        if charset not in ("utf-8", "utf8"):
            raise ProtocolError(415, f"charset={charset} is not supported: send the query as UTF-8")
        try:
            text = request.get_data(cache=False).decode("utf-8")
        except UnicodeDecodeError as e:
            raise ProtocolError(400, f"the query is not valid UTF-8 (byte {e.start})") from None
        params = request.args.copy()
        if "query" in params:
            raise ProtocolError(400, "a POST of application/sparql-query must not also carry a 'query' parameter")
        params["query"] = text
        return params
    if mimetype == UPDATE_TYPE:
        raise QueryRejected(403, "SPARQL Update is not allowed: this endpoint is read-only")
    raise ProtocolError(
        415,
        f"unsupported Content-Type {mimetype or '(none)'!r}: POST a query as {FORM_TYPE} or {QUERY_TYPE}",
        {"Accept-Post": f"{FORM_TYPE}, {QUERY_TYPE}"},
    )
