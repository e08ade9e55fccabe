"""Saved queries: ``queries/*.rq`` files with a ``#+`` YAML header.

A saved query stays valid SPARQL: its header is a block of comment lines
that start with ``#+``. Keys: ``summary`` and ``description`` (each with
``en`` and ``de``), ``tags``, and ``parameters`` (name -> type, default,
description, values or values_query, multiple). Parameters are bound with pyoxigraph
``substitutions`` (never pasted into the text), so a parameter must be a
variable the query projects.

>>> q = load("forums")
>>> q.name, q.summary["en"][:7], "forum" in q.variables
('forums', 'One row', True)
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from importlib import resources

import yaml

NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")
PARAMETER_TYPES = ("string", "integer", "iri")


class SavedQueryError(Exception):
    """A saved query that does not exist or whose header is malformed."""


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str = "string"  # string | integer | iri
    default: object = None
    description: dict = field(default_factory=dict)
    values: tuple = ()  # allowed values, if closed
    multiple: bool = False
    values_query: str | None = None  # a SELECT of ?value (and ?label) giving the allowed values from the graph


@dataclass(frozen=True)
class SavedQuery:
    name: str
    text: str
    summary: dict
    description: dict
    tags: tuple[str, ...]
    parameters: tuple[Parameter, ...]
    variables: tuple[str, ...]

    @property
    def federated(self) -> bool:
        """Whether the query calls another endpoint with SERVICE (it then needs that endpoint to answer)."""
        return re.search(r"\bSERVICE\b", self.body, re.I) is not None

    @property
    def body(self) -> str:
        """The SPARQL text without the ``#+`` header."""
        return "\n".join(line for line in self.text.splitlines() if not line.startswith("#+")).strip() + "\n"


#: The public saved queries (``/queries``, ``/api/queries``), and the queries the code runs (pages, networks,
#: reconciliation), which are not offered as saved queries.
PUBLIC, INTERNAL = "ruhrkg.queries", "ruhrkg.graph.rq"


def names(package: str = PUBLIC) -> list[str]:
    """The names of all saved queries (or, with ``package=INTERNAL``, of the internal ones), sorted."""
    root = resources.files(package)
    return sorted(p.name[:-3] for p in root.iterdir() if p.name.endswith(".rq"))


@functools.cache
def load(name: str, package: str = PUBLIC) -> SavedQuery:
    """Load one saved query by name; :class:`SavedQueryError` if it does not exist."""
    known = names(package)
    if not NAME.match(name) or name not in known:
        raise SavedQueryError(f"no saved query named {name!r}; known: {', '.join(known)}")
    text = resources.files(package).joinpath(f"{name}.rq").read_text(encoding="utf-8")
    return parse(name, text)


def internal(name: str) -> SavedQuery:
    """One of the queries the code runs (``graph/rq/NAME.rq``), e.g. ``internal("network-persons")``.

    >>> internal("home-forums").variables[:3]
    ('forum', 'number', 'title')
    """
    return load(name, INTERNAL)


def load_all() -> list[SavedQuery]:
    return [load(n) for n in names()]


def parse(name: str, text: str) -> SavedQuery:
    header = "\n".join(line[2:].removeprefix(" ") for line in text.splitlines() if line.startswith("#+"))
    try:
        meta = yaml.safe_load(header) or {}
    except yaml.YAMLError as e:
        raise SavedQueryError(f"{name}.rq: the #+ header is not valid YAML: {e}") from e
    if not isinstance(meta, dict):
        raise SavedQueryError(f"{name}.rq: the #+ header must be a YAML mapping")
    summary = _bilingual(meta.get("summary"), name, "summary")
    description = _bilingual(meta.get("description"), name, "description")
    params = tuple(
        Parameter(
            name=p,
            type=spec.get("type", "string"),
            default=spec.get("default"),
            description=spec.get("description", {}),
            values=tuple(spec.get("values", ())),
            multiple=bool(spec.get("multiple", False)),
            values_query=spec.get("values_query"),
        )
        for p, spec in (meta.get("parameters") or {}).items()
    )
    variables = tuple(_projected(text))
    for p in params:
        if p.type not in PARAMETER_TYPES:
            raise SavedQueryError(f"{name}.rq: parameter ?{p.name} has type {p.type!r}, not one of {PARAMETER_TYPES}")
        if p.values_query is not None and not isinstance(p.values_query, str):
            raise SavedQueryError(f"{name}.rq: values_query of ?{p.name} must be a SPARQL SELECT text")
        if variables and p.name not in variables:  # a CONSTRUCT projects none: it is bound where it is used
            raise SavedQueryError(f"{name}.rq: parameter ?{p.name} must be a projected variable")
    return SavedQuery(name, text, summary, description, tuple(meta.get("tags", ())), params, variables)


def _bilingual(value, name: str, key: str) -> dict:
    if not isinstance(value, dict) or not value.get("en") or not value.get("de"):
        raise SavedQueryError(f"{name}.rq: the #+ header needs '{key}' with 'en' and 'de' texts")
    return {"en": str(value["en"]).strip(), "de": str(value["de"]).strip()}


def _projected(text: str) -> list[str]:
    """The variables a SELECT projects, in order (``(expr AS ?v)`` counts as ``?v``)."""
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    m = re.search(r"\bSELECT\s+(?:DISTINCT\s+|REDUCED\s+)?(.*?)\bWHERE\b", body, re.S | re.I)
    if not m:
        return []
    out, depth, group = [], 0, ""
    for token in re.findall(r"[()]|[?$]\w+|[^()?$]+", m.group(1)):
        if token == "(":
            depth += 1
        elif token == ")":
            depth -= 1
            if depth == 0:
                if a := re.search(r"\bAS\s+[?$](\w+)\s*$", group, re.I):
                    out.append(a.group(1))
                group = ""
        elif depth:
            group += token
        elif token[0] in "?$":
            out.append(token[1:])
    return list(dict.fromkeys(out))
