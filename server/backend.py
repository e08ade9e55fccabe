"""What the web app serves from: the current build, its query workers and a result cache.

The data only changes on rebuild. :meth:`Backend.refresh` notices a new build
(the ``current`` symlink points elsewhere), restarts the query workers on it
and empties the cache; it is called at the start of every request and costs
one ``readlink``.
"""

from __future__ import annotations

import collections
import os
import threading
from dataclasses import dataclass

from ruhrkg.graph import store as stores
from ruhrkg.mappings.vocab import GRAPHS
from ruhrkg.server.config import WIKIDATA_SPARQL, Settings
from ruhrkg.server.digests import sha256_hex
from ruhrkg.server.executor import QueryService, Result
from ruhrkg.server.remote import RemoteQueryService


@dataclass(frozen=True)
class CachedResult:
    form: str
    media_type: str
    body: bytes


class ResultCache:
    """A small LRU of serialised results, bounded by entries and by the size of one result."""

    def __init__(self, entries: int, max_bytes: int) -> None:
        self.entries, self.max_bytes = entries, max_bytes
        self._data: collections.OrderedDict[str, CachedResult] = collections.OrderedDict()
        self._lock = threading.Lock()
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
        if self.entries <= 0 or len(item.body) > self.max_bytes:
            return
        with self._lock:
            self._data[key] = item
            self._data.move_to_end(key)
            while len(self._data) > self.entries:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


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
        self.cache = ResultCache(settings.cache_entries, settings.cache_max_bytes)
        self.store = settings.remote_store()
        if self.store is not None:
            self.service = RemoteQueryService(
                self.store,
                timeout=settings.query_timeout,
                service_allowlist=settings.service_allowlist,
                max_query_length=settings.max_query_length,
                max_nesting=settings.max_nesting,
                service_redirects={WIKIDATA_SPARQL: settings.wikidata_sparql},
            )
            return
        self.service = QueryService(
            self.build.store_path,
            workers=settings.workers,
            timeout=settings.query_timeout,
            memory_limit_mb=settings.memory_limit_mb,
            service_allowlist=settings.service_allowlist,
            max_query_length=settings.max_query_length,
            max_nesting=settings.max_nesting,
            in_memory_max_quads=settings.in_memory_max_quads,
            service_redirects={WIKIDATA_SPARQL: settings.wikidata_sparql},
            engine=settings.query_engine,
        )

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
        return sha256_hex("\x00".join([self.version, *map(repr, parts)]))[:32]

    def sparql_key(self, text: str, dataset: str, default_graphs: tuple, named_graphs: tuple, media: str) -> str:
        """The cache key (and ETag) of a ``/sparql`` request: :meth:`cache_key`'s kind of digest, with the query
        text as it is (no ``repr``) at the end, after fields that cannot hold a NUL (graph IRIs are repr'd)."""
        parts = f"{self.version}\x00sparql\x00{dataset}\x00{media}\x00{default_graphs!r}\x00{named_graphs!r}\x00"
        return sha256_hex(parts + text)[:32]

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
