"""The structured access log: one JSON object per request on the ``ruhrkg.access`` logger.

No client address is logged, and the query only as a short SHA-1 and its length. Fields: ``time`` (UTC, ISO
8601), ``method``, ``path``, ``status``, ``form`` (the query form, where there is a query), ``cache`` (``hit``
or ``miss``), ``query_sha1``, ``query_chars``, ``ms`` (from the start of the request to the end of its answer).
:func:`setup` sends the logger to stderr, one line per record.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sys
import time
from dataclasses import dataclass

log = logging.getLogger("ruhrkg.access")


class JsonFormatter(logging.Formatter):
    """A record's message is its JSON object: written as it is."""

    def format(self, record: logging.LogRecord) -> str:
        return record.getMessage()


def setup(stream=None) -> None:
    """Log to ``stream`` (stderr), unless the application (or a test) has set up handlers of its own."""
    if log.handlers:
        return
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False


@dataclass
class Record:
    """What one request contributes to its log line; :meth:`write` adds the time and writes it."""

    method: str
    path: str
    status: int
    form: str | None
    cache: str | None
    query: str | None
    started: float | None

    def fields(self) -> dict:
        record = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "form": self.form,
            "cache": self.cache,
        }
        if self.query:
            record["query_sha1"] = hashlib.sha1(self.query.encode("utf-8", "surrogatepass"), usedforsecurity=False).hexdigest()[:12]
            record["query_chars"] = len(self.query)
        record["ms"] = round((time.perf_counter() - self.started) * 1000, 2) if self.started else None
        return record

    def write(self) -> None:
        if log.isEnabledFor(logging.INFO):
            # makeRecord + handle: what log.info does, without its walk up the stack for the caller's file and line
            log.handle(log.makeRecord(log.name, logging.INFO, __file__, 0, json.dumps(self.fields(), ensure_ascii=False),
                                      None, None))  # fmt: skip
