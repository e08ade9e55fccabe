"""The one entry point of the query layer: :class:`QueryService` checks a query, then hands it to an engine.

Every route that runs SPARQL (the endpoint, saved queries, pages, reconciliation) calls
:meth:`QueryService.execute`, and every engine (the embedded worker pool, a remote store) receives only a
:class:`~ruhrkg.server.query.result.Job` built here from a query that passed
:func:`~ruhrkg.server.query.lexer.check_query`. So a hostile query is refused the same way whichever route it
takes and whichever engine would run it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

import pyoxigraph as ox

from ruhrkg.graph.formats import MEDIA_TYPES, RDF_FORMATS, RESULT_FORMATS
from ruhrkg.graph.query import QueryError, dataset_kwargs
from ruhrkg.graph.remote import PREVIOUS, STAGING
from ruhrkg.server.query.errors import QueryRejected
from ruhrkg.server.query.lexer import (
    Analysis,
    check_query,
    checked_allowlist,
    checked_redirects,
    redirect_services,
)
from ruhrkg.server.query.result import Job, Result
from ruhrkg.server.query.terms import checked_substitutions

#: Graphs no query may name: where a build is uploaded before it goes live, and where the previous one waits
#: to be dropped (see :mod:`ruhrkg.graph.remote`).
RESERVED_GRAPH_PREFIXES = (STAGING, PREVIOUS)
#: An IRI with a scheme. A relative one in FROM is resolved by the engine against the query's BASE
#: (``BASE <urn:ruhrkg:staging:b:data> … FROM <>``, ``BASE <urn:x> … FROM <./ruhrkg:staging:…>``).
_ABSOLUTE_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")


class Engine(Protocol):
    """What runs a checked query: :class:`~ruhrkg.server.query.pool.WorkerPool` or
    :class:`~ruhrkg.server.query.remote.RemoteEngine`."""

    def run(self, job: Job) -> Result: ...

    def reload(self, store_path) -> None: ...

    def close(self) -> None: ...


class QueryService:
    """Checks queries (:func:`check_query`) and runs them on ``engine``."""

    def __init__(
        self,
        engine: Engine,
        *,
        service_allowlist: Sequence[str] = ("https://query.wikidata.org/sparql",),
        max_query_length: int = 100_000,
        max_nesting: int = 200,
        service_redirects: dict[str, str] | None = None,
    ):
        self.engine = engine
        self.service_allowlist = checked_allowlist(service_allowlist)
        self.service_redirects = checked_redirects(service_redirects)
        self.max_query_length = max_query_length
        self.max_nesting = max_nesting

    def check(self, query: str) -> Analysis:
        """The pre-checks alone; raises :class:`QueryRejected` or a syntax error."""
        return check_query(query, max_query_length=self.max_query_length, max_nesting=self.max_nesting,
                           service_allowlist=self.service_allowlist)  # fmt: skip

    def execute(self, query: str, **options) -> Result:
        """Check and run a query (:meth:`check`, then :meth:`run` with ``options``)."""
        return self.run(self.check(query), **options)

    def run(
        self,
        analysis: Analysis,
        *,
        dataset: str = "default",
        default_graph_uris: Sequence[str] = (),
        named_graph_uris: Sequence[str] = (),
        result_format: str = "json",
        substitutions: dict[str, tuple[str, str]] | None = None,
        base_iri: str | None = None,
    ) -> Result:
        """Run a query that :meth:`check` accepted (its :class:`Analysis` carries the checked text); the result
        streams from the engine in chunks. Callers that look at the query first (the protocol core chooses the
        format by its form) check it once and pass the analysis here.

        ``dataset``: ``default`` (data + ontology), ``inferred`` (+ inferred triples) or ``union`` (every
        graph); a query's own FROM / FROM NAMED takes precedence over it, and explicit ``default_graph_uris``
        / ``named_graph_uris`` (SPARQL protocol) over both. ``result_format``: json, xml, csv or tsv for
        SELECT/ASK; turtle, ntriples, nquads, trig, jsonld or rdfxml for CONSTRUCT/DESCRIBE.
        ``substitutions`` binds variables to values (kind ``iri``, ``literal`` or ``integer``), never pasting
        them into the text. ``base_iri`` resolves relative IRIs in the query. Raises a
        :class:`~ruhrkg.server.query.errors.QueryServiceError`.
        """
        form = analysis.form
        formats = RESULT_FORMATS if form in ("select", "ask") else RDF_FORMATS
        if result_format not in formats:
            raise QueryRejected(400, f"a {form.upper()} query cannot be written as {result_format!r}; "
                                     f"choose one of {', '.join(formats)}")  # fmt: skip
        for iri in analysis.dataset_iris:
            if not _ABSOLUTE_IRI.match(iri):  # a BASE would decide which graph it names, unseen by this check
                raise QueryRejected(400, f"FROM <{iri[:80]}>: a graph of FROM / FROM NAMED must be named by an "
                                         "absolute IRI")  # fmt: skip
        for iri in (*analysis.dataset_iris, *default_graph_uris, *named_graph_uris):
            if iri.lower().startswith(RESERVED_GRAPH_PREFIXES):
                raise QueryRejected(403, f"the graph <{iri[:80]}> is not served")
        text = analysis.text
        if analysis.services and self.service_redirects:
            text = redirect_services(text, analysis, self.service_redirects)
        job = Job(
            form=form,
            text=text,
            dataset=query_dataset(analysis, dataset, default_graph_uris, named_graph_uris),
            substitutions=checked_substitutions(substitutions),
            base_iri=base_iri,
            result_format=result_format,
            media_type=MEDIA_TYPES[result_format],
        )
        return self.engine.run(job)

    def reload(self, store_path) -> None:
        self.engine.reload(store_path)

    def close(self) -> None:
        self.engine.close()

    def __enter__(self) -> QueryService:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def query_dataset(analysis: Analysis, dataset: str, default_graph_uris=(), named_graph_uris=()) -> dict:
    """The dataset of a request as graph IRIs: ``{"default_graph": [...], "named_graphs": [...]}`` (named
    graphs absent: all of them), ``{"union": True}`` (every graph), or ``{}`` (the query's own FROM)."""
    if default_graph_uris or named_graph_uris:
        for iri in (*default_graph_uris, *named_graph_uris):
            try:
                ox.NamedNode(iri)
            except (ValueError, TypeError):
                raise QueryRejected(400, f"invalid graph IRI: {iri!r}") from None
        return {"default_graph": list(default_graph_uris), "named_graphs": list(named_graph_uris)}
    try:
        kwargs = dataset_kwargs(dataset)
    except QueryError as e:
        raise QueryRejected(400, str(e)) from None
    if analysis.has_dataset:
        return {}
    if kwargs.get("use_default_graph_as_union"):
        return {"union": True}
    return {"default_graph": [g.value for g in kwargs["default_graph"]]}


def local_service(store_path, *, workers: int = 2, timeout: float = 10.0, memory_limit_mb: int = 512,
                  in_memory_max_quads: int = 500_000, **checks) -> QueryService:  # fmt: skip
    """A :class:`QueryService` on the embedded engine (a :class:`~ruhrkg.server.query.pool.WorkerPool` on the
    store at ``store_path``); ``checks`` are :class:`QueryService`'s keyword arguments.

    >>> # with local_service(build.store_path) as svc: svc.execute("ASK {}")
    """
    from ruhrkg.mappings.vocab import PREFIXES
    from ruhrkg.server.query.pool import WorkerPool

    pool = WorkerPool(store_path, workers=workers, timeout=timeout, memory_limit_mb=memory_limit_mb,
                      in_memory_max_quads=in_memory_max_quads,
                      default_graphs=tuple(g.value for g in dataset_kwargs("default")["default_graph"]),
                      prefixes=dict(PREFIXES))  # fmt: skip
    return QueryService(pool, **checks)


def remote_service(spec, *, timeout: float = 10.0, **checks) -> QueryService:
    """A :class:`QueryService` on a remote SPARQL store (a :class:`ruhrkg.graph.remote.StoreSpec`)."""
    from ruhrkg.server.query.remote import RemoteEngine

    return QueryService(RemoteEngine(spec, timeout=timeout), **checks)
