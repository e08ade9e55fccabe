"""What every engine hands back: a checked query's job, and its result as chunks of bytes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Job:
    """One checked query, ready for an engine (built by :meth:`ruhrkg.server.query.service.QueryService.execute`).

    ``dataset`` is ``{"default_graph": [...], "named_graphs": [...]}`` (named graphs absent: all of them),
    ``{"union": True}`` (every graph) or ``{}`` (the query's own FROM / FROM NAMED). ``substitutions`` are
    checked bindings ``{name: (kind, value)}``.
    """

    form: str
    text: str
    dataset: dict
    substitutions: dict
    base_iri: str | None
    result_format: str
    media_type: str


@dataclass
class Result:
    """A query result: its form, its media type, and its bytes in chunks.

    ``chunks`` is a tuple when the answer is complete (most are); otherwise an iterator that holds a worker
    or a connection until it is exhausted: close it (``chunks.close()``, which WSGI servers do) if you stop
    early. Errors can still be raised while iterating when the result is larger than one chunk.
    """

    form: str
    media_type: str
    chunks: Iterable[bytes]
