"""A remote SPARQL 1.1 store: where it is, how to talk to it, and how a build is published into it.

**Where.** A :class:`StoreSpec` holds the store's query, update and Graph Store
Protocol (GSP) URLs. ``--store URL`` is a shorthand that fills them from a
known layout, chosen by an optional ``FLAVOUR+`` prefix of the URL; the
explicit ``--store-query``/``--store-update``/``--store-gsp`` URLs override
it (``--store-gsp none`` turns GSP off):

========================================  =============  ==============  ========================
``--store``                               query          update          GSP
========================================  =============  ==============  ========================
``http://host:7878`` (Oxigraph server)    ``/query``     ``/update``     ``/store``
``fuseki+http://host:3030/DATASET``       ``/query``     ``/update``     ``/data``
``virtuoso+http://host:8890``             ``/sparql``    ``/sparql``     ``/sparql-graph-crud``
``graphdb+http://host:7200/repositories/ID`` (RDF4J)     (the URL)       ``/statements``  ``/rdf-graphs/service``
========================================  =============  ==============  ========================

**Credentials** are of two kinds, and neither is ever sent where the other
belongs. *Publishing* credentials (``user``/``password``) go with the requests
of :func:`publish` only (update, GSP, and its size checks); they come from the
explicit ``user``/``password``, else the user-info of a URL
(``http://user:secret@host``: user-info is for publishing only), else
``RUHRKG_STORE_USER``/``RUHRKG_STORE_PASSWORD``. *Reading* credentials
(``read_user``/``read_password``) go with the public queries that
``ruhrkg serve`` sends (:meth:`StoreSpec.reader`); they come from the explicit
``read_user``/``read_password``, else ``RUHRKG_STORE_READ_USER``/
``RUHRKG_STORE_READ_PASSWORD``, and are absent (anonymous queries) unless
given. Both are sent as HTTP Basic authentication (uploads answer a Digest
challenge too, as Virtuoso's ``-auth`` endpoints send); they are never written
to the manifest or to messages.

>>> s = StoreSpec.parse("http://u:p%40ss@127.0.0.1:7878/", env={})
>>> s.query, s.update, s.gsp, s.user, s.password
('http://127.0.0.1:7878/query', 'http://127.0.0.1:7878/update', 'http://127.0.0.1:7878/store', 'u', 'p@ss')
>>> "Authorization" in s.reader().reading_headers(), s.reader().update, s.reader().user
(False, None, None)
>>> StoreSpec.parse("http://127.0.0.1:7878", read_user="r", read_password="x", env={}).reading_headers()["Authorization"]
'Basic cjp4'
>>> StoreSpec.parse("virtuoso+http://127.0.0.1:8890", env={}).public()["gsp"]
'http://127.0.0.1:8890/sparql-graph-crud'
>>> StoreSpec.parse("virtuoso+http://dba:secret@127.0.0.1:8890", env={}).public()["update"]
'http://127.0.0.1:8890/sparql-auth'
>>> StoreSpec.parse(None, env={}) is None
True

**Publishing** (:func:`publish`) never leaves readers of the store half
updated: each graph is uploaded under a staging IRI
(``urn:ruhrkg:staging:<build>:<graph>``) with GSP ``PUT`` (N-Triples) or,
where the store has no GSP or the graphs share blank nodes, with SPARQL Update
``INSERT DATA`` in chunks of about 10,000 triples (a blank node's triples
always travel in one chunk). The staging graphs' sizes are checked, then one
SPARQL Update request moves the live graphs aside and the staging graphs into
their place (``MOVE``); the live sizes are checked again, and only then are
the previous graphs dropped. A failure at any step drops the staging graphs
and leaves the previous live graphs (after the switch: moves them back) and
raises :class:`RemoteStoreError`, so the build fails and ``current`` stays.
Whether readers can observe the switch half done depends on the store running
one Update request as one transaction (Oxigraph, Fuseki/TDB2, GraphDB do).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import http.client
import json
import os
import ssl
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote, urlencode, urlsplit, urlunsplit
from urllib.request import parse_http_list, parse_keqv_list

import pyoxigraph as ox

from ruhrkg.graph.query import rows, values
from ruhrkg.mappings.vocab import GRAPHS

#: ``FLAVOUR+URL`` layouts: query, update and GSP paths relative to the URL, and the query-string
#: parameter that carries a per-request timeout in seconds (None: the store has no such parameter
#: whose expiry is an error; Virtuoso's ``timeout`` returns partial results, so it is not used).
LAYOUTS: dict[str, tuple[str, str, str, str | None]] = {
    "oxigraph": ("/query", "/update", "/store", None),
    "fuseki": ("/query", "/update", "/data", "timeout"),
    "virtuoso": ("/sparql", "/sparql", "/sparql-graph-crud", None),
    "graphdb": ("", "/statements", "/rdf-graphs/service", "timeout"),
    "rdf4j": ("", "/statements", "/rdf-graphs/service", "timeout"),
}
STAGING = "urn:ruhrkg:staging:"
PREVIOUS = "urn:ruhrkg:previous:"
CHUNK_TRIPLES = 10_000
#: Virtuoso compiles INSERT DATA to SQL and refuses more than 10,000 lines of it (10,000 triples are too many).
VIRTUOSO_CHUNK_TRIPLES = 1_000
USER_AGENT = "ruhrkg (remote store client)"
PENDING_FILE = "remote-pending.json"  # in the data directory: staging graphs a killed build may have left


class RemoteStoreError(Exception):
    """A remote store that is misconfigured, unreachable, or refused or failed a request."""


@dataclass(frozen=True)
class StoreSpec:
    """The endpoints of a remote SPARQL store and the credentials to use them: ``user``/``password`` for
    publishing, ``read_user``/``read_password`` for queries."""

    query: str
    update: str | None = None
    gsp: str | None = None
    flavour: str = "generic"
    timeout_param: str | None = None
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    chunk_triples: int = CHUNK_TRIPLES  # triples per INSERT DATA request
    read_user: str | None = None
    read_password: str | None = field(default=None, repr=False)

    @classmethod
    def parse(
        cls,
        store: str | None,
        *,
        query: str | None = None,
        update: str | None = None,
        gsp: str | None = None,
        user: str | None = None,
        password: str | None = None,
        read_user: str | None = None,
        read_password: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> StoreSpec | None:
        """A spec from ``--store`` and the explicit URLs; None if none is given. :class:`RemoteStoreError` if bad.

        The user-info of the URLs is taken as publishing credentials, never as reading ones.
        """
        env = os.environ if env is None else env
        if not (store or query or update or gsp):
            return None
        creds: list[tuple[str, str]] = []
        flavour, timeout_param = "generic", None
        q = u = g = None
        if store:
            flavour, sep, rest = store.partition("+")
            if not sep or "://" in flavour:
                flavour, rest = "oxigraph", store
            if flavour not in LAYOUTS:
                raise RemoteStoreError(
                    f"unknown store flavour {flavour!r} in --store {_redact(store)}; use one of "
                    f"{', '.join(LAYOUTS)} (as FLAVOUR+http://...), or plain http://... for an Oxigraph server"
                )
            base = _url(rest, "--store", creds).rstrip("/")
            qp, up, gp, timeout_param = LAYOUTS[flavour]
            q, u, g = base + qp, base + up, base + gp
        if query:
            q = _url(query, "--store-query", creds)
        if update:
            u = _url(update, "--store-update", creds)
        if gsp:
            g = None if gsp.lower() == "none" else _url(gsp, "--store-gsp", creds)
        if not q:
            raise RemoteStoreError("a remote store needs a query endpoint: give --store URL or --store-query URL")
        if user is None and creds:
            user, password = creds[0]
        user = user if user is not None else env.get("RUHRKG_STORE_USER") or None
        password = password if password is not None else env.get("RUHRKG_STORE_PASSWORD")
        read_user = read_user if read_user is not None else env.get("RUHRKG_STORE_READ_USER") or None
        read_password = read_password if read_password is not None else env.get("RUHRKG_STORE_READ_PASSWORD")
        if flavour == "virtuoso" and user is not None:  # its authenticated endpoints; queries stay anonymous
            u = u if update else u + "-auth"
            g = g if gsp else (g + "-auth" if g else None)
        chunk = VIRTUOSO_CHUNK_TRIPLES if flavour == "virtuoso" else CHUNK_TRIPLES
        return cls(q, u, g, flavour, timeout_param, user, password, chunk, read_user, read_password)

    def public(self) -> dict:
        """What the manifest records: the endpoints, without credentials."""
        return {"flavour": self.flavour, "query": self.query, "update": self.update, "gsp": self.gsp}

    def reader(self) -> StoreSpec:
        """The spec for answering public queries: the query endpoint and the reading credentials only, so
        that a process serving queries never holds the publishing credentials."""
        return StoreSpec(self.query, flavour=self.flavour, timeout_param=self.timeout_param,
                         read_user=self.read_user, read_password=self.read_password)  # fmt: skip

    def publishing_headers(self) -> dict[str, str]:
        """Headers of a publishing request (update, GSP, the checks of :func:`publish`)."""
        return _headers(self.user, self.password)

    def reading_headers(self) -> dict[str, str]:
        """Headers of a public query: the reading credentials, if any; never the publishing ones."""
        return _headers(self.read_user, self.read_password)


def _headers(user: str | None, password: str | None) -> dict[str, str]:
    headers = {"User-Agent": USER_AGENT}
    if user is not None:
        token = base64.b64encode(f"{user}:{password or ''}".encode()).decode("ascii")
        headers["Authorization"] = f"Basic {token}"
    return headers


def _url(raw: str, what: str, creds: list[tuple[str, str]]) -> str:
    """``raw`` checked (http or https, a host) and without its user-info, which goes to ``creds``."""
    try:
        parts = urlsplit(raw.strip())
        port = parts.port
    except ValueError as e:
        raise RemoteStoreError(f"{what} {_redact(raw)} is not a URL: {e}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RemoteStoreError(f"{what} {_redact(raw)} must be an http:// or https:// URL with a host")
    if parts.username is not None:
        creds.append((unquote(parts.username), unquote(parts.password or "")))
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    netloc = host + (f":{port}" if port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))


def without_user_info(url: str) -> str:
    """``url`` (``[FLAVOUR+]URL``) without its user-info: what a process that only queries may know of it.

    >>> without_user_info("virtuoso+http://dba:secret@127.0.0.1:8890/x")
    'virtuoso+http://127.0.0.1:8890/x'
    """
    flavour, sep, rest = url.partition("+")
    if not sep or "://" in flavour:
        flavour, sep, rest = "", "", url
    try:
        parts = urlsplit(rest)
    except ValueError:
        return url
    return flavour + sep + urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def _redact(url: str) -> str:
    """``url`` without a password, for messages."""
    try:
        parts = urlsplit(url.partition("+")[2] if "+" in url.split("://", 1)[0] else url)
    except ValueError:
        return "(unparsable URL)"
    if parts.password is None:
        return url
    return url.replace(f":{parts.password}@", ":***@")


# --------------------------------------------------------------------------- HTTP


def connection(url: str, timeout: float) -> tuple[http.client.HTTPConnection, str]:
    """An unconnected HTTP(S) connection to ``url``'s host and the request target (path and query)."""
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if parts.scheme == "https":
        conn = http.client.HTTPSConnection(parts.hostname, parts.port, timeout=timeout,
                                           context=ssl.create_default_context())  # fmt: skip
    else:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    return conn, target


def with_params(url: str, params: Iterable[tuple[str, str]]) -> str:
    query = urlencode(list(params), quote_via=quote)
    if not query:
        return url
    return url + ("&" if "?" in url else "?") + query


@dataclass
class Reply:
    status: int
    content_type: str
    body: bytes

    def message(self, limit: int = 300) -> str:
        text = " ".join(self.body.decode("utf-8", "replace").split())
        return text if len(text) <= limit else text[: limit - 1] + "…"


def call(
    spec: StoreSpec,
    method: str,
    url: str,
    *,
    body: bytes | Path | None = None,
    content_type: str | None = None,
    accept: str | None = None,
    timeout: float = 300.0,
) -> Reply:
    """One request, its whole answer read; :class:`RemoteStoreError` if the store cannot be reached.

    The publishing credentials go as Basic authentication (this is the publishing side: public queries go
    through :mod:`ruhrkg.server.query.remote`); a store that asks for Digest instead (Virtuoso's ``-auth``
    endpoints) gets the request again with a Digest answer to its challenge.
    """
    headers = spec.publishing_headers()
    if content_type:
        headers["Content-Type"] = content_type
    if accept:
        headers["Accept"] = accept
    origin = _origin(url)
    if origin in _DIGEST:  # known to want Digest: ask for a fresh challenge without credentials first
        headers.pop("Authorization", None)
    reply, challenge = _send(method, url, body, headers, timeout)
    if reply.status == 401 and spec.user is not None and "Authorization" in headers:
        # Virtuoso answers Basic credentials with a bare 401; without credentials it sends its challenge
        headers.pop("Authorization")
        reply, challenge = _send(method, url, body, headers, timeout)
    if reply.status == 401 and spec.user is not None and challenge.lower().startswith("digest "):
        _DIGEST.add(origin)
        headers["Authorization"] = _digest(spec, method, connection(url, 1)[1], challenge)
        reply, _ = _send(method, url, body, headers, timeout)
    return reply


_DIGEST: set[str] = set()  # endpoints that asked for Digest authentication


def _send(method: str, url: str, body, headers: dict, timeout: float) -> tuple[Reply, str]:
    conn, target = connection(url, timeout)
    try:
        with contextlib.ExitStack() as stack:
            payload = body
            if isinstance(body, Path):
                payload = stack.enter_context(open(body, "rb"))
                headers["Content-Length"] = str(body.stat().st_size)
            try:
                conn.request(method, target, body=payload, headers=headers)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the store answered (e.g. 401) and closed before reading the whole body: read its answer
            resp = conn.getresponse()
            data = resp.read()
        ctype = (resp.getheader("Content-Type") or "").split(";")[0].strip().lower()
        return Reply(resp.status, ctype, data), resp.getheader("WWW-Authenticate") or ""
    except TimeoutError:
        raise RemoteStoreError(f"the SPARQL store at {_origin(url)} did not answer within {timeout:g} s") from None
    except (OSError, http.client.HTTPException) as e:
        raise RemoteStoreError(f"cannot reach the SPARQL store at {_origin(url)}: {_reason(e)}") from None
    finally:
        conn.close()


def _digest(spec: StoreSpec, method: str, uri: str, challenge: str) -> str:
    """An ``Authorization: Digest`` answer (RFC 7616, MD5, qop=auth) to a ``WWW-Authenticate`` challenge."""
    fields = parse_keqv_list(parse_http_list(challenge.split(" ", 1)[1]))
    realm, nonce = fields.get("realm", ""), fields.get("nonce", "")

    def md5(text: str) -> str:
        return hashlib.md5(text.encode("utf-8")).hexdigest()  # noqa: S324 - the protocol's hash

    ha1 = md5(f"{spec.user}:{realm}:{spec.password or ''}")
    ha2 = md5(f"{method}:{uri}")
    cnonce, nc = os.urandom(8).hex(), "00000001"
    qop = "auth" if "auth" in fields.get("qop", "").split(",") else None
    response = md5(f"{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}") if qop else md5(f"{ha1}:{nonce}:{ha2}")
    parts = [f'username="{spec.user}"', f'realm="{realm}"', f'nonce="{nonce}"', f'uri="{uri}"',
             f'response="{response}"', "algorithm=MD5"]  # fmt: skip
    if qop:
        parts += ["qop=auth", f"nc={nc}", f'cnonce="{cnonce}"']
    if "opaque" in fields:
        parts.append(f'opaque="{fields["opaque"]}"')
    return "Digest " + ", ".join(parts)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path, "", ""))


def _reason(e: BaseException) -> str:
    if isinstance(e, OSError) and e.strerror:
        return e.strerror.lower()
    return str(e) or type(e).__name__


def update(spec: StoreSpec, text: str, *, timeout: float = 300.0) -> None:
    """Run one SPARQL Update request (form-encoded ``update=``); :class:`RemoteStoreError` unless it succeeds."""
    if not spec.update:
        raise RemoteStoreError("no update endpoint is configured for the store: give --store or --store-update")
    body = urlencode({"update": text}).encode("utf-8")
    reply = call(spec, "POST", spec.update, body=body, content_type="application/x-www-form-urlencoded",
                 timeout=timeout)  # fmt: skip
    if not 200 <= reply.status < 300:
        raise RemoteStoreError(f"the store refused an update (HTTP {reply.status}): {reply.message()}")


def select(spec: StoreSpec, text: str, *, timeout: float = 300.0) -> list[dict]:
    """Run a SELECT; its rows as ``{variable: value}``."""
    body = urlencode({"query": text}).encode("utf-8")
    reply = call(spec, "POST", spec.query, body=body, content_type="application/x-www-form-urlencoded",
                 accept="application/sparql-results+json", timeout=timeout)  # fmt: skip
    if reply.status != 200:
        raise RemoteStoreError(f"the store failed a query (HTTP {reply.status}): {reply.message()}")
    try:
        return values(rows(reply.body))
    except (SyntaxError, ValueError):
        raise RemoteStoreError(f"the store's answer to a query is not SPARQL JSON ({reply.content_type})") from None


# --------------------------------------------------------------------------- publishing


def graph_sizes(spec: StoreSpec, graphs: Iterable[str], *, timeout: float = 300.0) -> dict[str, int]:
    """Triples per graph in the store (0 for a graph it lacks), with one query."""
    graphs = list(graphs)
    listed = " ".join(f"<{g}>" for g in graphs)
    counted = select(spec, f"SELECT ?g (COUNT(*) AS ?n) WHERE {{ VALUES ?g {{ {listed} }} GRAPH ?g {{ ?s ?p ?o }} }} "
                           "GROUP BY ?g", timeout=timeout)  # fmt: skip
    found = {r["g"]: int(r["n"]) for r in counted if "g" in r}
    return {g: found.get(g, 0) for g in graphs}


def publish(
    spec: StoreSpec,
    st: ox.Store,
    build_id: str,
    *,
    data_dir: Path | None = None,
    progress: Callable[[str], None] | None = None,
    timeout: float = 300.0,
) -> dict:
    """Put the graphs of ``st`` (the :data:`GRAPHS`) into the store in place of its previous ones.

    Returns what the manifest records (endpoints, method, sizes, seconds).
    Raises :class:`RemoteStoreError`; the store then still holds its previous graphs.
    """
    say = progress or (lambda _m: None)
    started = time.perf_counter()
    if not spec.update:
        raise RemoteStoreError("publishing needs the store's update endpoint (the switch is one SPARQL Update): "
                               "give --store or --store-update")  # fmt: skip
    live = {name: str(iri) for name, iri in GRAPHS.items()}
    staging = {name: f"{STAGING}{build_id}:{name}" for name in live}
    previous = {name: f"{PREVIOUS}{build_id}:{name}" for name in live}
    by_graph = {name: list(st.quads_for_pattern(None, None, None, ox.NamedNode(iri))) for name, iri in live.items()}
    sizes = {name: len(quads) for name, quads in by_graph.items()}
    pending = Path(data_dir) / PENDING_FILE if data_dir else None
    left = _drop_leftovers(spec, pending, timeout)
    if pending:
        pending.write_text(json.dumps(sorted({*left, *staging.values(), *previous.values()})) + "\n", encoding="utf-8")
    switched = False
    try:
        method = _upload(spec, by_graph, staging, say, timeout)
        _check_sizes(spec, {staging[n]: sizes[n] for n in live}, "after the upload", timeout)
        ops = []
        for name in live:
            ops.append(f"MOVE SILENT GRAPH <{live[name]}> TO GRAPH <{previous[name]}>")
            if sizes[name]:
                ops.append(f"MOVE GRAPH <{staging[name]}> TO GRAPH <{live[name]}>")
        update(spec, " ;\n".join(ops), timeout=timeout)
        switched = True
        _check_sizes(spec, {live[n]: sizes[n] for n in live}, "after the switch", timeout)
    except RemoteStoreError as e:
        if switched and not _roll_back(spec, live, previous, timeout):
            raise RemoteStoreError(
                f"{e}; restoring the previous graphs failed too: they are kept as <{PREVIOUS}{build_id}:...>"
            ) from None
        _drop(spec, [*staging.values(), *previous.values()], timeout)
        raise
    _drop(spec, previous.values(), timeout)
    if pending and left:
        pending.write_text(json.dumps(sorted(left)) + "\n", encoding="utf-8")
    elif pending:
        pending.unlink(missing_ok=True)
    seconds = round(time.perf_counter() - started, 3)
    say(f"remote store: {sum(sizes.values())} triples in {len(live)} graphs at {spec.query} ({method}, {seconds} s)")
    return {**spec.public(), "method": method, "triples": sizes, "seconds": seconds}


def _upload(spec, by_graph: dict, staging: dict, say, timeout: float) -> str:
    """Upload every graph into its staging graph; the method used (``gsp`` or ``update``)."""
    shared = _shared_blank_nodes(by_graph)
    if spec.gsp and not shared:
        first = True
        for name, quads in by_graph.items():
            if not quads:
                continue
            status, message = _gsp_put(spec, staging[name], quads, timeout)
            if 200 <= status < 300:
                first = False
                continue
            if first and status in (404, 405, 415, 501) and spec.update:
                say(f"the store offers no Graph Store Protocol at {spec.gsp} (HTTP {status}); using SPARQL Update")
                break
            raise RemoteStoreError(f"the store refused the upload of the {name} graph (HTTP {status}): {message}")
        else:
            return "gsp"
    elif spec.gsp and shared:
        say(f"{shared} blank node(s) are shared between graphs: uploading with SPARQL Update to keep them shared")
    if not spec.update:
        raise RemoteStoreError("no update endpoint is configured for the store: give --store or --store-update")
    for chunk in _chunks(by_graph, staging, spec.chunk_triples):
        update(spec, chunk, timeout=timeout)
    return "update"


def _gsp_put(spec: StoreSpec, graph: str, quads: list, timeout: float) -> tuple[int, str]:
    with tempfile.NamedTemporaryFile(suffix=".nt") as fh:
        ox.serialize((q.triple for q in quads), fh, ox.RdfFormat.N_TRIPLES)
        fh.flush()
        reply = call(spec, "PUT", with_params(spec.gsp, [("graph", graph)]), body=Path(fh.name),
                     content_type="application/n-triples", timeout=timeout)  # fmt: skip
    return reply.status, reply.message()


def _shared_blank_nodes(by_graph: dict) -> int:
    seen: dict = {}
    for name, quads in by_graph.items():
        for q in quads:
            for t in (q.subject, q.object):
                if isinstance(t, ox.BlankNode):
                    seen.setdefault(t, set()).add(name)
    return sum(1 for graphs in seen.values() if len(graphs) > 1)


def _chunks(by_graph: dict, staging: dict, size: int = CHUNK_TRIPLES) -> Iterable[str]:
    """``INSERT DATA`` requests of about ``size`` triples; the triples of one blank node (across graphs and
    through chains of blank nodes) stay in one request, since a label means one node only within it."""
    parent: dict = {}

    def root(x):
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for quads in by_graph.values():
        for q in quads:
            nodes = [t for t in (q.subject, q.object) if isinstance(t, ox.BlankNode)]
            for other in nodes[1:]:
                parent[root(nodes[0])] = root(other)
    groups: dict = {}
    for name, quads in by_graph.items():
        for q in quads:
            b = next((t for t in (q.subject, q.object) if isinstance(t, ox.BlankNode)), None)
            groups.setdefault(root(b) if b is not None else None, []).append((name, q))
    plain = groups.pop(None, [])
    batch: list = []
    for group in [*groups.values(), *([x] for x in plain)]:
        batch.extend(group)
        if len(batch) >= size:
            yield _insert_data(batch, staging)
            batch = []
    if batch:
        yield _insert_data(batch, staging)


def _insert_data(batch: list, staging: dict) -> str:
    per_graph: dict[str, list[str]] = {}
    for name, q in batch:
        per_graph.setdefault(name, []).append(f"{q.subject} {q.predicate} {q.object} .")
    body = "\n".join(f"GRAPH <{staging[name]}> {{\n" + "\n".join(lines) + "\n}" for name, lines in per_graph.items())
    return f"INSERT DATA {{\n{body}\n}}"


def _check_sizes(spec: StoreSpec, expected: dict[str, int], when: str, timeout: float) -> None:
    found = graph_sizes(spec, expected, timeout=timeout)
    wrong = [f"<{g}> has {found[g]} triples, expected {n}" for g, n in expected.items() if found[g] != n]
    if wrong:
        raise RemoteStoreError(f"the store's graphs have the wrong size {when}: " + "; ".join(wrong))


def _roll_back(spec, live: dict, previous: dict, timeout: float) -> bool:
    """Put the previous graphs back in place (one request); False if that failed."""
    ops = []
    for name in live:
        ops += [f"DROP SILENT GRAPH <{live[name]}>", f"ADD SILENT GRAPH <{previous[name]}> TO GRAPH <{live[name]}>"]
    try:
        update(spec, " ;\n".join(ops), timeout=timeout)
    except RemoteStoreError:
        return False
    return True


def _drop(spec, graphs: Iterable[str], timeout: float) -> bool:
    """Drop graphs, best effort (a store that is down keeps them; the next build retries); True if done."""
    graphs = list(graphs)
    if not graphs:
        return True
    if not spec.update:
        return False
    try:
        update(spec, " ;\n".join(f"DROP SILENT GRAPH <{g}>" for g in graphs), timeout=timeout)
    except RemoteStoreError:
        return False
    return True


def _drop_leftovers(spec, pending: Path | None, timeout: float) -> list[str]:
    """Drop the staging and previous graphs failed or killed builds left in the store (listed in the data
    directory); the ones that could not be dropped now."""
    if pending is None or not pending.exists():
        return []
    try:
        graphs = [g for g in json.loads(pending.read_text(encoding="utf-8")) if g.startswith((STAGING, PREVIOUS))]
    except (OSError, ValueError):
        return []
    return [] if _drop(spec, graphs, timeout) else graphs
