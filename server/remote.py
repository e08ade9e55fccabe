"""Remote mode: queries answered by a SPARQL 1.1 store over HTTP, behind the same pre-checks as the workers.

:class:`RemoteQueryService` has the interface of
:class:`ruhrkg.server.executor.QueryService` (``execute``, ``check``,
``reload``, ``close``, the same exceptions), so the endpoint, the pages and
the cache do not know which one they use. What differs:

- **Before anything is sent**, the same pre-checks run in this process
  (:func:`~ruhrkg.server.executor.check_query`): length, NUL bytes, nesting,
  Update refused (403), every SERVICE IRI checked against the allow-list (403).
  A refused query never reaches the store. Vendor extensions that can call
  out of a SPARQL engine (Virtuoso's ``bif:``/``sql:`` functions, Jena's
  ``java:`` function IRIs) are refused too (403).
- **The dataset** travels as the protocol's ``default-graph-uri`` /
  ``named-graph-uri`` parameters: ``default`` names data and ontology,
  ``inferred`` adds the inferred graph, ``union`` names every ruhrkg graph;
  the named graphs are always the ruhrkg graphs (as in the local store), so
  other graphs of a shared store stay out of reach unless a query names them
  with its own FROM / FROM NAMED.
- **Bindings** of saved-query parameters go as a ``VALUES`` block
  (:func:`~ruhrkg.server.executor.bind_values`); relative IRIs are resolved
  against our endpoint by a ``BASE`` we prepend.
- **Time.** The whole exchange with the store (connect, send, every read)
  gets the query timeout; on expiry the connection is closed and the client
  gets 503 naming the limit. Closing the connection does not stop the store's
  work: that needs the store's own limit (Oxigraph server ``--timeout-s``,
  Virtuoso ``MaxQueryExecutionTime``, Fuseki ``arq:queryTimeout``, GraphDB
  ``graphdb.engine.query.timeout``). Where the store takes a per-request limit
  that fails the query (Fuseki, GraphDB: ``timeout=`` seconds), it is sent.
- **Errors.** The store's 400 is our 400 with its message; its 500 our 500
  (``query failed``); a store that cannot be reached, or answers with another
  status or an unexpected content type, gives 502, its 503 gives 503.
- **Results stream** through in 64 KB chunks as the store sends them; the
  memory limit and the in-memory copy of the embedded store do not apply.
"""

from __future__ import annotations

import http.client
import os
import re
import threading
import time
from collections.abc import Sequence
from urllib.parse import quote, urlencode

from ruhrkg.graph.remote import StoreSpec, connection
from ruhrkg.mappings.vocab import GRAPHS
from ruhrkg.server.executor import (
    CHUNK,
    Analysis,
    QueryFailed,
    QueryRejected,
    QueryServiceError,
    QuerySyntaxError,
    QueryTimeout,
    Result,
    StoreUnavailable,
    _check_substitutions,
    _decode_iri,
    _one_line,
    _prologue,
    _shown,
    _tokens,
    bind_values,
    check_query,
    checked_allowlist,
    checked_redirects,
    has_relative_iris,
    query_dataset,
    redirect_services,
    result_formats,
)

#: What to ask the store for, per result format, and the content types accepted back. N-Quads and TriG
#: are asked as N-Triples and Turtle, which are valid N-Quads and TriG (every triple in the default graph).
ACCEPT = {
    "json": ("application/sparql-results+json", {"application/sparql-results+json", "application/json"}),
    "xml": ("application/sparql-results+xml", {"application/sparql-results+xml", "application/xml"}),
    "csv": ("text/csv", {"text/csv"}),
    "tsv": ("text/tab-separated-values", {"text/tab-separated-values", "text/tsv"}),
    "turtle": ("text/turtle", {"text/turtle"}),
    "ntriples": ("application/n-triples", {"application/n-triples", "text/plain"}),
    "nquads": ("application/n-triples", {"application/n-triples", "text/plain", "application/n-quads"}),
    "trig": ("text/turtle", {"text/turtle", "application/trig"}),
    "jsonld": ("application/ld+json", {"application/ld+json", "application/json"}),
    "rdfxml": ("application/rdf+xml", {"application/rdf+xml"}),
}
#: IRI schemes of vendor functions that reach outside the store (Virtuoso's SQL built-ins, Jena's Java classes).
EXTENSION_SCHEMES = ("bif:", "sql:", "java:")
_EXTENSION_HINT = re.compile(r"bif|sql|java|\\u", re.IGNORECASE)
_PLAIN_IRI = re.compile(r'[^\x00-\x20<>"{}|^`\\]+')
IDLE_CONNECTIONS = 8


class RemoteQueryService:
    """Answers queries from a remote SPARQL store, with the pre-checks, limits and errors of :class:`QueryService`."""

    def __init__(
        self,
        spec: StoreSpec,
        *,
        timeout: float = 10.0,
        service_allowlist: Sequence[str] = ("https://query.wikidata.org/sparql",),
        max_query_length: int = 100_000,
        max_nesting: int = 200,
        service_redirects: dict[str, str] | None = None,
    ):
        if timeout <= 0:
            raise ValueError("need a positive timeout")
        self.spec = spec
        self.timeout = timeout
        self.service_allowlist = checked_allowlist(service_allowlist)
        self.service_redirects = checked_redirects(service_redirects)
        self.max_query_length = max_query_length
        self.max_nesting = max_nesting
        self._lock = threading.Lock()
        self._idle: list[http.client.HTTPConnection] = []
        self._pid = os.getpid()
        self._closed = False

    # -- public API (that of QueryService) -----------------------------------

    def execute(
        self,
        query: str,
        *,
        dataset: str = "default",
        default_graph_uris: Sequence[str] = (),
        named_graph_uris: Sequence[str] = (),
        result_format: str = "json",
        substitutions: dict[str, tuple[str, str]] | None = None,
        base_iri: str | None = None,
    ) -> Result:
        """Check a query, send it to the store, and stream the store's answer (see :meth:`QueryService.execute`)."""
        analysis = self.check(query)
        formats = result_formats(analysis.form, result_format)
        if analysis.services and self.service_redirects:
            query = redirect_services(query, analysis, self.service_redirects)
        text = bind_values(query, _check_substitutions(substitutions or {}))
        if base_iri and _PLAIN_IRI.fullmatch(base_iri) and has_relative_iris(text):
            text = f"BASE <{base_iri}> {text}"  # one line: the store's messages keep our line numbers
        params = [("query", text), *self._dataset_params(analysis, dataset, default_graph_uris, named_graph_uris)]
        if self.spec.timeout_param:
            params.append((self.spec.timeout_param, str(max(1, round(self.timeout)))))
        accept, accepted = ACCEPT[result_format]
        exchange = _Exchange(self, urlencode(params, quote_via=quote).encode("utf-8"), accept)
        exchange.start()
        if exchange.content_type not in accepted:
            exchange.abandon()
            raise StoreUnavailable(
                502,
                f"the SPARQL store answered with {exchange.content_type or 'no content type'} instead of {accept}",
            )
        first = exchange.read()
        media_type = formats[result_format].media_type
        if exchange.resp is None:  # the whole answer was in the first chunk
            return Result(analysis.form, media_type, iter((first,) if first else ()))
        return Result(analysis.form, media_type, _Stream(exchange, first))

    def check(self, query: str) -> Analysis:
        """The pre-checks of :class:`QueryService`, and vendor extension functions refused; :class:`QueryRejected`."""
        analysis = check_query(query, max_query_length=self.max_query_length, max_nesting=self.max_nesting,
                               service_allowlist=self.service_allowlist)  # fmt: skip
        if _EXTENSION_HINT.search(query):
            _refuse_extensions(query)
        return analysis

    def reload(self, store_path=None) -> None:
        """A new build: the store is the same (the build published into it), so only idle connections go."""
        self._drop_idle()

    def close(self) -> None:
        with self._lock:
            self._closed = True
        self._drop_idle()

    def __enter__(self) -> RemoteQueryService:
        return self

    def __del__(self):
        try:
            self._drop_idle()
        except Exception:  # noqa: BLE001 - never raise from a finaliser
            pass

    def __exit__(self, *exc) -> None:
        self.close()

    # -- internals ---------------------------------------------------------------

    def _dataset_params(self, analysis, dataset, default_graph_uris, named_graph_uris) -> list[tuple[str, str]]:
        ds = query_dataset(analysis, dataset, default_graph_uris, named_graph_uris)
        if not ds:
            return []  # the query's own FROM / FROM NAMED
        everything = [str(g) for g in GRAPHS.values()]
        default = everything if ds.get("union") else ds["default_graph"]
        named = ds.get("named_graphs", everything)
        return [*(("default-graph-uri", g) for g in default), *(("named-graph-uri", g) for g in named)]

    def _connection(self, deadline: float) -> tuple[http.client.HTTPConnection, bool]:
        """An idle kept-alive connection (True) or a new one (False)."""
        with self._lock:
            if self._closed:
                raise QueryServiceError(503, "the query service is closed")
            if self._pid != os.getpid():  # after a fork: the parent's sockets are not ours
                self._idle, self._pid = [], os.getpid()
            if self._idle:
                return self._idle.pop(), True
        conn, _ = connection(self.spec.query, max(deadline - time.monotonic(), 0.001))
        return conn, False

    def _release(self, conn: http.client.HTTPConnection) -> None:
        with self._lock:
            if not self._closed and self._pid == os.getpid() and len(self._idle) < IDLE_CONNECTIONS:
                self._idle.append(conn)
                return
        conn.close()

    def _drop_idle(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()


class _Exchange:
    """One query sent to the store and its answer read, all within the query's time limit."""

    def __init__(self, service: RemoteQueryService, body: bytes, accept: str):
        self.service, self.body, self.accept = service, body, accept
        self.deadline = time.monotonic() + service.timeout
        self.conn: http.client.HTTPConnection | None = None
        self.resp: http.client.HTTPResponse | None = None
        self.content_type = ""

    def start(self) -> None:
        """Send the query and read the status line and headers; raise the matching error unless it is 200."""
        spec = self.service.spec
        _, target = connection(spec.query, 1)
        headers = {**spec.headers(), "Accept": self.accept, "Content-Type": "application/x-www-form-urlencoded"}
        for attempt in (1, 2):
            self.conn, reused = self.service._connection(self.deadline)
            try:
                self._timeout()
                self.conn.request("POST", target, body=self.body, headers=headers)
                self.resp = self.conn.getresponse()
                break
            except TimeoutError:
                self.abandon()
                raise self._expired() from None
            except (OSError, http.client.HTTPException) as e:
                self.abandon()
                if reused and attempt == 1:
                    # The store closed an idle connection (a restart closes them all): once more, on a new one.
                    self.service._drop_idle()
                    continue
                raise StoreUnavailable(
                    502, f"the SPARQL store at {spec.query} cannot be reached: {_reason(e)}"
                ) from None
        self.content_type = (self.resp.getheader("Content-Type") or "").split(";")[0].strip().lower()
        if self.resp.status == 200:
            return
        status, message = self.resp.status, self._error_text()
        self.abandon()
        where = f"the SPARQL store at {spec.query}"
        if status == 400:
            raise QuerySyntaxError(400, f"malformed query: {message}")
        if status == 500:
            raise QueryFailed(500, f"query failed: {message}")
        if status in (503, 504):
            raise StoreUnavailable(503, f"{where} is unavailable or timed out (HTTP {status}): {message}")
        raise StoreUnavailable(502, f"{where} answered HTTP {status}: {message}")

    def read(self) -> bytes:
        """The next chunk of the answer (b"" at its end); the connection is released at the end."""
        if self.resp is None:
            return b""
        try:
            self._timeout()
            data = self.resp.read1(CHUNK)
        except TimeoutError:
            self.abandon()
            raise self._expired() from None
        except (OSError, http.client.HTTPException) as e:
            self.abandon()
            raise StoreUnavailable(502, f"the SPARQL store broke off its answer: {_reason(e)}") from None
        if not data or self.resp.isclosed():
            self._finish()
        return data

    def _finish(self) -> None:
        resp, conn = self.resp, self.conn
        self.resp = self.conn = None
        if resp is not None and conn is not None and not resp.will_close:
            self.service._release(conn)
        elif conn is not None:
            conn.close()

    def abandon(self) -> None:
        """Close the connection now (a timeout, an error, or a client that stopped reading)."""
        resp, conn = self.resp, self.conn
        self.resp = self.conn = None
        if resp is not None:
            resp.close()
        if conn is not None:
            conn.close()

    def _timeout(self) -> None:
        left = self.deadline - time.monotonic()
        if left <= 0:
            self.abandon()
            raise self._expired()
        if self.conn.sock is not None:
            self.conn.sock.settimeout(left)
        else:
            self.conn.timeout = left

    def _expired(self) -> QueryTimeout:
        return QueryTimeout(503, f"the query did not finish within the {self.service.timeout:g} s time limit")

    def _error_text(self) -> str:
        try:
            self._timeout()
            raw = self.resp.read(8192)
        except (OSError, http.client.HTTPException, QueryServiceError):
            raw = b""
        return _one_line(raw.decode("utf-8", "replace")) or "(no message)"


class _Stream:
    """The chunks of an answer, read from the store as they are consumed; closing it closes the connection."""

    def __init__(self, exchange: _Exchange, first: bytes):
        self._exchange, self._first = exchange, first

    def __iter__(self):
        return self

    def __next__(self) -> bytes:
        if self._first:
            chunk, self._first = self._first, b""
            return chunk
        chunk = self._exchange.read()
        if not chunk:
            raise StopIteration
        return chunk

    def close(self) -> None:
        self._exchange.abandon()

    def __del__(self):
        try:
            self.close()
        except Exception:  # noqa: BLE001 - never raise from a finaliser
            pass


def _refuse_extensions(query: str) -> None:
    """403 for an IRI, or a prefixed name (declared, or predefined by the store), in a vendor scheme that
    reaches outside the store (:data:`EXTENSION_SCHEMES`)."""
    toks = list(_tokens(query))
    end, prefixes = _prologue(toks)
    for k, t in enumerate(toks):
        if t.kind == "iri":
            iri = _decode_iri(t.text[1:-1])
        elif t.kind == "pname" and k >= end:
            prefix = t.text.split(":", 1)[0]
            iri = prefixes.get(prefix, prefix + ":")
        else:
            continue
        if iri.lower().startswith(EXTENSION_SCHEMES):
            raise QueryRejected(
                403,
                f"{_shown(t.text[:60])}: the store's extension functions ({', '.join(EXTENSION_SCHEMES)}) are not allowed",
            )


def _reason(e: BaseException) -> str:
    if isinstance(e, OSError) and e.strerror:
        return e.strerror.lower()
    return str(e) or type(e).__name__
