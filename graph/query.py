"""Running SPARQL queries against a build's store, and printing their results.

>>> import pyoxigraph as ox
>>> st = ox.Store()
>>> print(run(st, "SELECT ?x WHERE { BIND(1 AS ?x) }", output="table").decode())
x
-
1
<BLANKLINE>
(1 row)
<BLANKLINE>
"""

from __future__ import annotations

import re

import pyoxigraph as ox

from ruhrkg.graph import formats
from ruhrkg.graph.formats import RDF_FORMATS, RESULT_FORMATS
from ruhrkg.graph.saved import SavedQuery
from ruhrkg.mappings.vocab import GRAPHS, PREFIXES

OUTPUT_FORMATS = ["table", "csv", "tsv", "json", "xml", "turtle", "ntriples", "nquads", "trig", "jsonld", "rdfxml"]
DATASETS = ["default", "inferred", "union"]
XSD_INTEGER = ox.NamedNode(formats.XSD_INTEGER)
_PREFIXES_LONGEST_FIRST = sorted(PREFIXES.items(), key=lambda kv: -len(kv[1]))
_LOCAL = re.compile(r"[\w.-]*")


class QueryError(Exception):
    """A query that cannot be parsed or run, or a bad parameter."""


def dataset_kwargs(dataset: str) -> dict:
    """``Store.query`` keyword arguments for a named dataset choice.

    ``default``: data + ontology; ``inferred``: data + ontology + inferred
    triples; ``union``: every graph of the store.
    """
    if dataset == "default":
        return {"default_graph": [ox.NamedNode(GRAPHS["data"]), ox.NamedNode(GRAPHS["ontology"])]}
    if dataset == "inferred":
        return {"default_graph": [ox.NamedNode(GRAPHS[g]) for g in ("data", "ontology", "inferred")]}
    if dataset == "union":
        return {"use_default_graph_as_union": True}
    raise QueryError(f"unknown dataset {dataset!r}; choose one of {', '.join(DATASETS)}")


def parse_params(pairs) -> dict[str, list[str]]:
    """``["a=1", "a=2", "b=x"]`` -> ``{"a": ["1", "2"], "b": ["x"]}``."""
    out: dict[str, list[str]] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise QueryError(f"bad parameter {pair!r}: write NAME=VALUE")
        out.setdefault(name.strip(), []).append(value)
    return out


def substitutions(query: SavedQuery, values: dict[str, list[str]]) -> dict:
    """Typed pyoxigraph terms for a saved query's parameters (defaults filled in).

    A value is never pasted into the query text; it is bound as a term.
    """
    known = {p.name: p for p in query.parameters}
    for name in values:
        if name not in known:
            allowed = ", ".join(known) or "none"
            raise QueryError(f"saved query {query.name!r} has no parameter {name!r} (parameters: {allowed})")
    out = {}
    for p in query.parameters:
        given = values.get(p.name)
        if not given:
            if p.default is None:
                continue
            given = [str(p.default)]
        if len(given) > 1:
            raise QueryError(f"parameter {p.name!r} takes one value")
        raw = given[0]
        if p.values and raw not in [str(v) for v in p.values]:
            raise QueryError(f"parameter {p.name!r} must be one of {', '.join(map(str, p.values))}, not {raw!r}")
        out[ox.Variable(p.name)] = term(p.type, raw, p.name)
    return out


def term(kind: str, raw: str, name: str = "value"):
    """A typed term for a parameter value; :class:`QueryError` if it does not fit the type."""
    if kind == "integer":
        if not re.fullmatch(r"[+-]?\d{1,18}", raw.strip()):
            raise QueryError(f"parameter {name!r} must be an integer, not {raw!r}")
        return ox.Literal(str(int(raw)), datatype=XSD_INTEGER)
    if kind == "iri":
        try:
            if not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", raw):
                raise ValueError
            return ox.NamedNode(raw)
        except ValueError:
            raise QueryError(f"parameter {name!r} must be an absolute IRI, not {raw!r}") from None
    return ox.Literal(raw)


def execute(store: ox.Store, text: str, *, substitutions: dict | None = None, dataset: str = "default"):
    """Run a query; :class:`QueryError` with the parser's message if it is malformed."""
    try:
        return store.query(text, substitutions=substitutions or None, **dataset_kwargs(dataset))
    except SyntaxError as e:
        raise QueryError(f"malformed query: {e}") from None
    except (OSError, ValueError, TypeError, RuntimeError) as e:
        raise QueryError(f"query failed: {e}") from None


def run(
    store: ox.Store, text: str, *, substitutions: dict | None = None, dataset: str = "default", output: str = "table"
) -> bytes:
    """Run a query and serialise its result in ``output`` (see :data:`OUTPUT_FORMATS`)."""
    result = execute(store, text, substitutions=substitutions, dataset=dataset)
    if isinstance(result, ox.QueryTriples):
        fmt = RDF_FORMATS.get(output, ox.RdfFormat.TURTLE)
        prefixes = PREFIXES if fmt in formats.WITH_PREFIXES else None
        triples = list(result)
        if fmt in (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG):
            triples = [ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in triples]
        return ox.serialize(triples, None, fmt, prefixes=prefixes)
    if output in RESULT_FORMATS:
        return result.serialize(format=RESULT_FORMATS[output])
    if output != "table":
        raise QueryError(
            f"a {'ASK' if isinstance(result, ox.QueryBoolean) else 'SELECT'} query cannot be written as {output}"
        )
    if isinstance(result, ox.QueryBoolean):
        return (("true" if bool(result) else "false") + "\n").encode()
    return table(result).encode("utf-8")


def table(solutions: ox.QuerySolutions, *, width: int = 60) -> str:
    """A plain-text table, IRIs shortened with the project's prefixes."""
    names = [v.value for v in solutions.variables]
    rows = [[_cell(s[n], width) for n in names] for s in solutions]
    widths = [max([len(n)] + [len(r[i]) for r in rows]) for i, n in enumerate(names)]
    lines = ["  ".join(n.ljust(w) for n, w in zip(names, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.append(f"\n({len(rows)} row{'s' if len(rows) != 1 else ''})\n")
    return "\n".join(lines)


def _cell(term, width: int) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        text = qname(term.value)
    elif isinstance(term, ox.Literal):
        text = term.value
    else:
        text = str(term)
    text = text.replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


def qname(iri: str) -> str:
    """A prefixed name for ``iri`` if one of our prefixes fits, else ``<iri>``: the one way IRIs are shortened.

    >>> qname("https://w3id.org/ruhrkg/def#Forum"), qname("https://w3id.org/ruhrkg/id/forum/14")
    ('rk:Forum', 'forum:14')
    >>> qname("https://example.org/a b")
    '<https://example.org/a b>'
    """
    for prefix, ns in _PREFIXES_LONGEST_FIRST:
        if iri.startswith(ns) and _LOCAL.fullmatch(iri[len(ns) :]):
            return f"{prefix}:{iri[len(ns) :]}"
    return f"<{iri}>"


Row = dict[str, ox.NamedNode | ox.BlankNode | ox.Literal]


def rows(body: bytes) -> list[Row]:
    """A SELECT result in SPARQL JSON as rows ``{variable: term}`` (unbound variables left out): the one reader
    of SELECT results the code uses.

    >>> rows(b'{"head": {"vars": ["x", "y"]}, "results": {"bindings": [{"x": {"type": "uri", "value": "urn:a"}}]}}')
    [{'x': <NamedNode value=urn:a>}]
    """
    results = ox.parse_query_results(body, ox.QueryResultsFormat.JSON)
    names = [v.value for v in results.variables]
    return [{n: s[n] for n in names if s[n] is not None} for s in results]


def values(found: list[Row]) -> list[dict[str, str]]:
    """Rows of :func:`rows` with each term as its lexical value.

    >>> values([{"x": ox.NamedNode("urn:a"), "n": ox.Literal("1")}])
    [{'x': 'urn:a', 'n': '1'}]
    """
    return [{k: t.value for k, t in row.items()} for row in found]
