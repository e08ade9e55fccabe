"""The errors of the query layer: each carries the HTTP ``status`` it is answered with and a one-line ``message``.

4xx: the client's query or request is at fault (it does not parse, is refused, or fails on the client's terms:
an unknown function, a type error the engine reports). 5xx: ours or the store's (a limit hit, a crash, a store
that cannot be reached). No message names an internal address.
"""

from __future__ import annotations


class QueryServiceError(Exception):
    """Base of every error a query engine raises: an HTTP ``status`` and a one-line ``message``."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


class QuerySyntaxError(QueryServiceError):
    """The query does not parse (400); the message has the line and column."""


class QueryRejected(QueryServiceError):
    """Refused before execution: malformed, too long, too deeply nested (400); Update, SERVICE, a vendor
    function that reaches outside the store (403)."""


class QueryEvaluationError(QueryServiceError):
    """The engine could not evaluate the client's query (400): an unknown function, an unsupported feature,
    a value the query itself makes invalid."""


class QueryTimeout(QueryServiceError):
    """The query did not finish within the time limit (503); its worker was killed."""


class QueryResourceLimit(QueryServiceError):
    """The query exceeded the memory limit (503); its worker was replaced."""


class WorkerCrashed(QueryServiceError):
    """The worker running the query died for another reason (500); it was replaced."""


class QueryFailed(QueryServiceError):
    """The engine failed for a reason of its own (500), e.g. an allowed SERVICE endpoint that failed."""


class StoreUnavailable(QueryServiceError):
    """The engine cannot be reached or started: the remote store is down or answered unusably (502/503)."""


def one_line(message: str, limit: int = 300) -> str:
    """An engine message on one line, cut to ``limit`` characters (the parser lists every expected token)."""
    message = " ".join(message.split())
    return message if len(message) <= limit else message[: limit - 1] + "…"
