"""What the web app serves from: the current build, the query service on it, and a result cache.

The one accessor views use is :func:`ruhrkg.server.web.render.backend` (``current_app.extensions``).
The data only changes on rebuild. :meth:`Backend.refresh` notices a new build (the ``current`` symlink
points elsewhere), restarts the query workers on it and empties the cache; it is called at the start of
every request and costs one ``readlink``.
"""

from __future__ import annotations

import collections
import hashlib
import os
import threading
from dataclasses import dataclass

from ruhrkg.graph import store as stores
from ruhrkg.mappings.vocab import GRAPHS
from ruhrkg.server.config import WIKIDATA_SPARQL, Settings
from ruhrkg.server.query.remote import RemoteEngine
from ruhrkg.server.query.result import Result
from ruhrkg.server.query.service import QueryService, local_service


@dataclass(frozen=True)
class CachedResult:
    form: str
    media_type: str
    body: bytes


class ResultCache:
    """An LRU of serialised results, bounded in bytes: all entries together, and each one.

    Keys are digests of everything that changes an answer's bytes (the build, the request's parameters,
    the negotiated format, the base IRI); see :meth:`Backend.sparql_key` and :meth:`Backend.cache_key`.
    """

    def __init__(self, max_bytes: int, max_entry_bytes: int) -> None:
        self.max_bytes, self.max_entry_bytes = max_bytes, min(max_entry_bytes, max_bytes)
        self._data: collections.OrderedDict[str, CachedResult] = collections.OrderedDict()
        self._lock = threading.Lock()
        self.size = 0
        self.hits = self.misses = 0

    def get(self, key: str) -> CachedResult | None:
        with self._lock:
            item = self._data.get(key)
            if item is None:
                self.misses += 1
                return None
            self._data.move_to_end(key)
            self.hits += 1
            return item

    def put(self, key: str, item: CachedResult) -> None:
        size = len(item.body) + len(key)
        if size > self.max_entry_bytes:
            return
        with self._lock:
            old = self._data.pop(key, None)
            if old is not None:
                self.size -= len(old.body) + len(key)
            self._data[key] = item
            self.size += size
            while self.size > self.max_bytes:
                k, v = self._data.popitem(last=False)
                self.size -= len(v.body) + len(k)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self.size = 0


class Backend:
    """The current build, a :class:`QueryService` on it (or, with ``settings.store``, a
    :class:`RemoteQueryService` on the store the build was published to), and a :class:`ResultCache`.

    In both modes the dataset version, and so the cache keys and ETags, come from the local build's manifest.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.root = stores.data_dir(settings.data_dir)
        self._lock = threading.Lock()
        self.build = stores.current(self.root)
        self._current = str(self.root / "current")  # a string: pathlib's join would cost more than the readlink
        self._link = os.readlink(self._current)
        self._graph_sizes: dict[str, int] | None = None
        self.cache = ResultCache(settings.cache_bytes, settings.cache_entry_bytes)
        self.store = settings.remote_store()
        checks = dict(service_allowlist=settings.service_allowlist, max_query_length=settings.max_query_length,
                      max_nesting=settings.max_nesting, service_redirects={WIKIDATA_SPARQL: settings.wikidata_sparql})
        if self.store is not None:
            self.service = QueryService(RemoteEngine(self.store, timeout=settings.query_timeout), **checks)
        else:
            self.service = local_service(self.build.store_path, workers=settings.query_workers_per_http_worker(),
                                         timeout=settings.query_timeout, memory_limit_mb=settings.query_memory_mb,
                                         in_memory_max_quads=settings.in_memory_max_quads, **checks)  # fmt: skip

    @property
    def version(self) -> str:
        return self.build.version

    def refresh(self) -> None:
        """Switch to a newer build if ``current`` moved (cheap when it did not)."""
        try:
            link = os.readlink(self._current)
        except OSError:
            return
        if link == self._link:
            return
        with self._lock:
            if link == self._link:
                return
            try:
                build = stores.current(self.root)
            except stores.StoreError:
                return
            self.service.reload(build.store_path)
            self.build, self._link, self._graph_sizes = build, link, None
            self.cache.clear()

    def cache_key(self, *parts: object) -> str:
        """A cache key (and ETag) for an answer made of ``parts`` from the current build: the caller names
        every part that changes the answer's bytes (the web layer's :func:`~ruhrkg.server.web.render.page_key`
        adds the base URL; pages add their language)."""
        return _digest(repr((self.version, *parts)))

    def sparql_key(self, text: str, dataset: str, default_graphs: tuple, named_graphs: tuple, media: str,
                   base: str) -> str:  # fmt: skip
        """The cache key (and ETag) of a ``/sparql`` request: the build, the dataset, the format, the graph
        IRIs, the base IRI of relative IRIs, and the query text."""
        return self.cache_key("sparql", dataset, media, default_graphs, named_graphs, base, text)

    def execute(self, query: str, **kwargs) -> Result:
        return self.service.execute(query, **kwargs)

    def graph_sizes(self) -> dict[str, int]:
        """Triples per named graph of the current build (from its manifest)."""
        if self._graph_sizes is None:
            triples = self.build.manifest.get("triples", {})
            self._graph_sizes = {str(GRAPHS[name]): int(n) for name, n in triples.items() if name in GRAPHS}
        return self._graph_sizes

    def close(self) -> None:
        self.service.close()


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]
