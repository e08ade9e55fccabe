"""Remote mode: queries answered by a SPARQL 1.1 store over HTTP (:class:`RemoteEngine`).

:class:`RemoteEngine` is one of the engines behind
:class:`ruhrkg.server.query.service.QueryService` (built by
:func:`~ruhrkg.server.query.service.remote_service`), beside the embedded
worker pool, so the endpoint, the pages and the cache do not know which one
they use. What differs:

- **Before anything is sent**, the query service runs the one pre-check
  (:func:`~ruhrkg.server.query.lexer.check_query`) in this process: length,
  NUL bytes, nesting, Update refused (403), every SERVICE IRI checked against
  the allow-list and vendor extensions that can call out of a SPARQL engine
  (Virtuoso's ``bif:``/``sql:`` functions, Jena's ``java:`` function IRIs)
  refused (403), on the text with its ``\\u`` escapes decoded; graphs under
  ``urn:ruhrkg:staging:`` and ``urn:ruhrkg:previous:`` refused in FROM, FROM
  NAMED and the protocol's graph parameters (403). A refused query never
  reaches the store.
- **Credentials.** Queries carry the store's *reading* credentials, if any
  (:meth:`~ruhrkg.graph.remote.StoreSpec.reading_headers`), never the
  publishing ones: the spec a server gets
  (:meth:`~ruhrkg.graph.remote.StoreSpec.reader`) does not even hold them.
- **The dataset** travels as the protocol's ``default-graph-uri`` /
  ``named-graph-uri`` parameters: ``default`` names data and ontology,
  ``inferred`` adds the inferred graph, ``union`` names every ruhrkg graph;
  the named graphs are always the ruhrkg graphs (as in the local store), so
  other graphs of a shared store, and the staging graphs of a build, stay out
  of ``GRAPH ?g`` / ``GRAPH <iri>`` unless a query names them with its own
  FROM / FROM NAMED (and staging graphs it cannot name).
- **Bindings** of saved-query parameters go as a ``VALUES`` block
  (:func:`~ruhrkg.server.query.lexer.bind_values`); relative IRIs are resolved
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
  status or an unexpected content type, gives 502, its 503 gives 503. The
  client's message of a 502/503 names neither the store's URL nor its answer
  (an internal address, an error page of a proxy); the detail, with the URL,
  goes to this module's logger (``ruhrkg.server.query.remote``, WARNING).
- **Results stream** through in 64 KB chunks as the store sends them; the
  memory limit and the in-memory copy of the embedded store do not apply.
"""

from __future__ import annotations

import http.client
import logging
import os
import re
import threading
import time
from urllib.parse import quote, urlencode

from ruhrkg.graph.remote import StoreSpec, connection
from ruhrkg.mappings.vocab import GRAPHS
from ruhrkg.server.query.errors import (
    QueryFailed,
    QueryServiceError,
    QuerySyntaxError,
    QueryTimeout,
    StoreUnavailable,
    one_line,
)
from ruhrkg.server.query.lexer import bind_values, has_relative_iris
from ruhrkg.server.query.result import Job, Result
from ruhrkg.server.query.worker import CHUNK

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
log = logging.getLogger(__name__)
_PLAIN_IRI = re.compile(r'[^\x00-\x20<>"{}|^`\\]+')
IDLE_CONNECTIONS = 8


class RemoteEngine:
    """Runs checked queries on a remote SPARQL store, with the limits and errors of the embedded engine."""

    def __init__(self, spec: StoreSpec, *, timeout: float = 10.0):
        if timeout <= 0:
            raise ValueError("need a positive timeout")
        self.spec = spec
        self.timeout = timeout
        self._lock = threading.Lock()
        self._idle: list[http.client.HTTPConnection] = []
        self._pid = os.getpid()
        self._closed = False

    def run(self, job: Job) -> Result:
        """Send a checked query to the store, and stream the store's answer."""
        text = bind_values(job.text, job.substitutions)
        if job.base_iri and _PLAIN_IRI.fullmatch(job.base_iri) and has_relative_iris(text):
            text = f"BASE <{job.base_iri}> {text}"  # one line: the store's messages keep our line numbers
        params = [("query", text), *self._dataset_params(job.dataset)]
        if self.spec.timeout_param:
            params.append((self.spec.timeout_param, str(max(1, round(self.timeout)))))
        accept, accepted = ACCEPT[job.result_format]
        exchange = _Exchange(self, urlencode(params, quote_via=quote).encode("utf-8"), accept)
        exchange.start()
        if exchange.content_type not in accepted:
            exchange.abandon()
            raise _unavailable(502, f"answered with {exchange.content_type or 'no content type'} instead of {accept}",
                               self.spec.query)  # fmt: skip
        first = exchange.read()
        if exchange.resp is None:  # the whole answer was in the first chunk
            return Result(job.form, job.media_type, (first,) if first else ())
        return Result(job.form, job.media_type, _Stream(exchange, first))

    def reload(self, store_path=None) -> None:
        """A new build: the store is the same (the build published into it), so only idle connections go."""
        self._drop_idle()

    def close(self) -> None:
        with self._lock:
            self._closed = True
        self._drop_idle()

    def __del__(self):
        try:
            self._drop_idle()
        except Exception:  # noqa: BLE001 - never raise from a finaliser
            pass

    # -- internals ---------------------------------------------------------------

    def _dataset_params(self, ds: dict) -> list[tuple[str, str]]:
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

    def __init__(self, service: RemoteEngine, body: bytes, accept: str):
        self.service, self.body, self.accept = service, body, accept
        self.deadline = time.monotonic() + service.timeout
        self.conn: http.client.HTTPConnection | None = None
        self.resp: http.client.HTTPResponse | None = None
        self.content_type = ""

    def start(self) -> None:
        """Send the query and read the status line and headers; raise the matching error unless it is 200."""
        spec = self.service.spec
        _, target = connection(spec.query, 1)
        headers = {**spec.reading_headers(), "Accept": self.accept,
                   "Content-Type": "application/x-www-form-urlencoded"}  # fmt: skip
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
                raise _unavailable(502, f"cannot be reached: {_reason(e)}", spec.query) from None
        self.content_type = (self.resp.getheader("Content-Type") or "").split(";")[0].strip().lower()
        if self.resp.status == 200:
            return
        status, message = self.resp.status, self._error_text()
        self.abandon()
        if status == 400:
            raise QuerySyntaxError(400, f"malformed query: {message}")
        if status == 500:
            raise QueryFailed(500, f"query failed: {message}")
        if status in (503, 504):
            raise _unavailable(503, f"is unavailable or timed out (HTTP {status})", spec.query, message)
        raise _unavailable(502, f"answered HTTP {status}", spec.query, message)

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
            raise _unavailable(502, f"broke off its answer: {_reason(e)}", self.service.spec.query) from None
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
        return one_line(raw.decode("utf-8", "replace")) or "(no message)"


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


def _reason(e: BaseException) -> str:
    if isinstance(e, OSError) and e.strerror:
        return e.strerror.lower()
    return str(e) or type(e).__name__


def _unavailable(status: int, what: str, url: str, answer: str = "") -> StoreUnavailable:
    """A 502/503 for the client that names neither the store's URL nor its answer; both are logged here."""
    log.warning("the SPARQL store at %s %s%s", url, what, f": {answer}" if answer else "")
    return StoreUnavailable(status, f"the SPARQL store {what}")
