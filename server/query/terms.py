"""Parameter bindings as RDF terms (pyoxigraph only, so the query workers import nothing more).

A binding is ``{variable name: (kind, value)}`` with kind ``iri``, ``literal`` or ``integer``. It is checked
in the web process (:func:`checked_substitutions`: a bad value is the client's 400, never a worker error) and
turned into a term (:func:`term`) where it is used: by pyoxigraph's ``substitutions`` in a worker, or
written as a term in a ``VALUES`` block for a remote store. Values are never pasted into query text.

>>> str(term("literal", 'a "quoted" } value'))
'"a \\\\"quoted\\\\" } value"'
"""

from __future__ import annotations

import re

import pyoxigraph as ox

from ruhrkg.server.query.errors import QueryRejected

KINDS = ("iri", "literal", "integer")
XSD_INTEGER = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")
_VARIABLE = re.compile(r"[A-Za-z_0-9\u00b7\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u037d\u037f-\u1fff\u200c-\u200d"
                       r"\u203f-\u2040\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd]+")  # fmt: skip
_INTEGER = re.compile(r"[+-]?\d{1,18}")


def term(kind: str, value: str) -> ox.NamedNode | ox.Literal:
    """The RDF term of a checked binding."""
    if kind == "iri":
        return ox.NamedNode(value)
    if kind == "integer":
        return ox.Literal(str(int(value)), datatype=XSD_INTEGER)
    return ox.Literal(value)


def checked_substitutions(subs: dict | None) -> dict[str, tuple[str, str]]:
    """The bindings, each checked (variable name, kind, value): :class:`QueryRejected` (400) if one is bad."""
    out = {}
    for name, pair in (subs or {}).items():
        kind, value = pair
        if not isinstance(name, str) or not _VARIABLE.fullmatch(name) or not isinstance(value, str):
            raise QueryRejected(400, f"invalid substitution {name!r}: variable names and values are text")
        if kind not in KINDS:
            raise QueryRejected(400, f"substitution for {name!r}: kind must be one of {', '.join(KINDS)}")
        if kind == "iri":
            try:
                ox.NamedNode(value)
            except (ValueError, TypeError):
                raise QueryRejected(400, f"invalid IRI for {name!r}: {value!r}") from None
        elif kind == "integer" and not _INTEGER.fullmatch(value.strip()):
            raise QueryRejected(400, f"substitution for {name!r} must be an integer, not {value!r}")
        out[name] = (kind, value)
    return out
