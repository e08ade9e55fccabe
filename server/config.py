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
    workers: int = 2  # query worker processes
    threads: int = 4  # request threads of the web process
    query_timeout: float = 10.0  # seconds
    memory_limit_mb: int = 1024  # per query worker process
    service_allowlist: tuple[str, ...] = (WIKIDATA_SPARQL,)
    # Where SERVICE <https://query.wikidata.org/sparql> is sent: Wikidata itself, or a mirror / stand-in.
    wikidata_sparql: str = WIKIDATA_SPARQL
    max_query_length: int = 100_000  # characters
    max_nesting: int = 200  # depth of ( [ { in a query
    in_memory_max_quads: int = 500_000  # query workers copy a store this small into memory (0: never)
    query_engine: str = "auto"  # auto | oxigraph | python: see ruhrkg.server.executor.ENGINES
    max_request_bytes: int = 4_000_000  # larger bodies get 413 before they are read
    max_html_rows: int = 2_000
    cache_entries: int = 512
    cache_max_bytes: int = 2_000_000  # larger results are streamed, not cached
    public_url: str = ""  # e.g. https://ruhrkg.example.org ; default: the request's host
    access_log: bool = True
    warm_up: bool = False  # start the query workers when the app is created, not on the first query
    # Remote mode (ruhrkg.server.remote): answer queries from this SPARQL store instead of the query workers.
    store: str = ""  # [FLAVOUR+]URL, e.g. http://127.0.0.1:7878 (an Oxigraph server); see ruhrkg.graph.remote
    store_query: str = ""  # explicit endpoint URLs, overriding what `store` implies
    store_update: str = ""
    store_gsp: str = ""
    store_user: str = ""  # HTTP Basic credentials (or user-info in the URL)
    store_password: str = field(default="", repr=False)
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
        """The remote store to query (a :class:`ruhrkg.graph.remote.StoreSpec`), or None for the embedded store.

        Raises :class:`SettingsError` if the store settings are malformed.
        """
        from ruhrkg.graph.remote import RemoteStoreError, StoreSpec

        try:
            return StoreSpec.parse(self.store or None, query=self.store_query or None,
                                   update=self.store_update or None, gsp=self.store_gsp or None,
                                   user=self.store_user or None, password=self.store_password or None, env={})  # fmt: skip
        except RemoteStoreError as e:
            raise SettingsError(str(e)) from None


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
