"""Settings of the web app: defaults, overridden by ``RUHRKG_*`` environment variables, overridden by flags.

>>> s = Settings.from_env({"RUHRKG_QUERY_TIMEOUT": "2.5", "RUHRKG_SERVICE_ALLOWLIST": "http://a/sparql, http://b/sparql"})
>>> s.query_timeout, s.service_allowlist
(2.5, ('http://a/sparql', 'http://b/sparql'))
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields

WIKIDATA_SPARQL = "https://query.wikidata.org/sparql"


class SettingsError(ValueError):
    """A setting with a value of the wrong type."""


@dataclass(frozen=True)
class Settings:
    """Every setting, with its environment variable ``RUHRKG_<NAME>``."""

    data_dir: str = "ruhrkg-data"
    host: str = "127.0.0.1"
    port: int = 8000
    http_workers: int = 2  # HTTP worker processes of `ruhrkg serve`
    threads: int = 4  # request threads per HTTP worker
    query_workers: int = 0  # query worker processes per HTTP worker (0: as many as the memory budget allows, at most threads)
    query_timeout: float = 10.0  # seconds
    query_memory_mb: int = 512  # address space of one query worker
    query_memory_total_mb: int = 4096  # address space of all query workers of the server together
    service_allowlist: tuple[str, ...] = (WIKIDATA_SPARQL,)
    # Where SERVICE <https://query.wikidata.org/sparql> is sent: Wikidata itself, or a mirror / stand-in.
    wikidata_sparql: str = WIKIDATA_SPARQL
    max_query_length: int = 100_000  # characters
    max_nesting: int = 200  # depth of ( [ { in a query
    in_memory_max_quads: int = 500_000  # query workers copy a store this small into memory (0: never)
    max_request_bytes: int = 4_000_000  # larger bodies get 413 before they are read
    max_header_chars: int = 4096  # a longer Accept or Accept-Language header gets 400
    max_html_rows: int = 2_000
    reconcile_max_comparisons: int = 300_000  # string comparisons one /reconcile batch may need (else 413)
    reconcile_seconds: float = 10.0  # time one /reconcile batch may take (else 413)
    cache_bytes: int = 64_000_000  # result cache of one HTTP worker, all entries together
    cache_entry_bytes: int = 2_000_000  # larger results are streamed, not cached
    public_url: str = ""  # e.g. https://ruhrkg.example.org ; default: the request's host (part of every cache key)
    access_log: bool = True
    # The publisher and contact point of the dataset description (/.well-known/void); empty: the default of
    # ruhrkg.graph.dataset.Publisher. `ruhrkg build` reads the same variables for the data graph's description.
    publisher_name: str = ""
    publisher_url: str = ""
    contact_name: str = ""
    contact_email: str = ""
    contact_url: str = ""
    warm_up: bool = False  # start the query workers when the app is created, not on the first query
    # Remote mode (ruhrkg.server.query.remote): answer queries from this SPARQL store instead of the query workers.
    store: str = ""  # [FLAVOUR+]URL, e.g. http://127.0.0.1:7878 (an Oxigraph server); see ruhrkg.graph.remote
    store_query: str = ""  # explicit endpoint URLs, overriding what `store` implies
    store_update: str = ""
    store_gsp: str = ""
    # Credentials for queries, if the store wants any. The publishing ones (RUHRKG_STORE_USER/_PASSWORD, user-info
    # in `store`) are no setting of the web app: only `ruhrkg build --store` uses them (ruhrkg.graph.remote).
    store_read_user: str = ""
    store_read_password: str = field(default="", repr=False)
    extra: dict = field(default_factory=dict, compare=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides) -> Settings:
        env = os.environ if env is None else env
        values = {}
        for f in fields(cls):
            if f.name == "extra":
                continue
            raw = env.get(f"RUHRKG_{f.name.upper()}")
            if raw is not None:
                values[f.name] = _convert(f.name, f.type, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def replace(self, **changes) -> Settings:
        return dataclasses.replace(self, **changes)

    def remote_store(self):
        """The remote store to query (a :class:`ruhrkg.graph.remote.StoreSpec`, its
        :meth:`~ruhrkg.graph.remote.StoreSpec.reader`: the query endpoint and the reading credentials, never the
        publishing ones, not even those in the user-info of ``store``), or None for the embedded store.

        Raises :class:`SettingsError` if the store settings are malformed.
        """
        from ruhrkg.graph.remote import RemoteStoreError, StoreSpec

        try:
            spec = StoreSpec.parse(self.store or None, query=self.store_query or None,
                                   update=self.store_update or None, gsp=self.store_gsp or None,
                                   read_user=self.store_read_user or None,
                                   read_password=self.store_read_password or None, env={})  # fmt: skip
        except RemoteStoreError as e:
            raise SettingsError(str(e)) from None
        return spec.reader() if spec is not None else None

    def publisher(self):
        """The publisher and contact point of the dataset description (a :class:`ruhrkg.graph.dataset.Publisher`).

        >>> Settings(publisher_name="Land NRW").publisher().publisher_name
        'Land NRW'
        """
        from ruhrkg.graph.dataset import Publisher

        return Publisher.of(**{f.name: getattr(self, f.name) for f in fields(Publisher)})

    def query_workers_per_http_worker(self) -> int:
        """Query workers of one HTTP worker: ``query_workers``, or (0) as many as ``threads`` within the memory
        budget, so that all query workers of the server never exceed ``query_memory_total_mb`` together.

        >>> Settings(http_workers=2, threads=4, query_memory_mb=512, query_memory_total_mb=4096).query_workers_per_http_worker()
        4
        >>> Settings(http_workers=2, threads=8, query_memory_mb=1024, query_memory_total_mb=4096).query_workers_per_http_worker()
        2
        """
        fit = self.query_memory_total_mb // (max(1, self.http_workers) * self.query_memory_mb)
        if fit < 1:
            raise SettingsError(
                f"{self.http_workers} HTTP workers with one query worker of {self.query_memory_mb} MB each need "
                f"{self.http_workers * self.query_memory_mb} MB, more than the query memory total of "
                f"{self.query_memory_total_mb} MB"
            )
        if self.query_workers:
            if self.query_workers > fit:
                raise SettingsError(
                    f"{self.http_workers} HTTP workers x {self.query_workers} query workers x {self.query_memory_mb} MB "
                    f"exceed the query memory total of {self.query_memory_total_mb} MB (at most {fit} query workers fit)"
                )
            return self.query_workers
        return min(max(1, self.threads), fit)


def _convert(name: str, kind: str, raw: str):
    try:
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        if kind == "bool":
            if raw.lower() not in {"1", "0", "true", "false", "yes", "no", "on", "off"}:
                raise ValueError(raw)
            return raw.lower() in {"1", "true", "yes", "on"}
        if kind.startswith("tuple"):
            return tuple(x.strip() for x in raw.split(",") if x.strip())
        return raw
    except ValueError:
        raise SettingsError(f"RUHRKG_{name.upper()}={raw!r} is not a valid {kind}") from None
