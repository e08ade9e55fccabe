"""Saved queries behind HTTP, shared by the pages (:mod:`ruhrkg.server.web.queries`) and the API
(:mod:`ruhrkg.server.api.queries`): binding a request's parameters, running a query (once per value of a
``multiple`` parameter, the rows appended), and CSV for Excel.

**Parameters** are bound with pyoxigraph ``substitutions`` (kind ``literal``, ``integer`` or ``iri``),
never pasted into the query text, so a ``"`` or ``}`` in a value is just a character of a literal. An
absent parameter takes its default; a parameter given twice is an error unless it is ``multiple``.
Closed parameters (``values`` or ``values_query``) accept only their values (ministry codes also in
another case: ``mkffi`` is ``MKFFI``). Substitutions bind one value per variable, so a ``multiple``
parameter with several values runs the query once per value and appends the rows in the order given
(each run as TSV, merged, re-serialised by pyoxigraph), which is exact for queries that project the
parameter. The expansion is bounded: at most :data:`MAX_RUNS` values of a parameter and runs of a request
(:class:`ParameterError`, a 400, past it).
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
from dataclasses import dataclass

import pyoxigraph as ox

from ruhrkg.graph import saved
from ruhrkg.graph.formats import RESULT_FORMATS
from ruhrkg.graph.query import rows
from ruhrkg.server.query.lexer import query_form
from ruhrkg.server.query.result import Result
from ruhrkg.server.sparql import formats
from ruhrkg.server.sparql.description import base_url
from ruhrkg.server.web.render import backend, cached_body, read, select_json

RESERVED = ("format", "lang")  # request parameters that are not saved-query parameters
KINDS = {"string": "literal", "integer": "integer", "iri": "iri"}  # parameter type -> substitution kind
MAX_VALUE_CHARS = 1000
MAX_RUNS = 50  # a request with several values runs the query at most this often
EXCEL_NAME = "excel-csv"
EXCEL_ACCEPT = "text/csv; variant=excel"
EXCEL = formats.MediaType(EXCEL_NAME, "text/csv; charset=utf-8; header=present; variant=excel", (), "csv")
FILE_EXTENSIONS = {"json": "json", "xml": "xml", "csv": "csv", "tsv": "tsv", EXCEL_NAME: "csv"}
NUMERIC = {
    f"http://www.w3.org/2001/XMLSchema#{t}"
    for t in ("integer", "decimal", "double", "float", "int", "long", "nonNegativeInteger", "positiveInteger")
}
# IRIs that may be written between < > in the label query (the result's IRIs are checked again, to be safe)
_INTEGER = re.compile(r"[+-]?\d{1,18}")
_FORMULA = re.compile(r"[=+\-@\t\r]")


class ParameterError(Exception):
    """A request parameter that does not fit the saved query (400)."""

    def __init__(self, message: str, parameter: str | None = None, allowed: list[str] | None = None) -> None:
        super().__init__(message)
        self.message, self.parameter, self.allowed = message, parameter, allowed


class UnknownQuery(Exception):
    def __init__(self, name: str) -> None:
        super().__init__(f"no saved query named {name!r}")
        self.name = name


def load_query(name: str) -> saved.SavedQuery:
    """A saved query by name; :class:`UnknownQuery` if there is none."""
    try:
        return saved.load(name)
    except saved.SavedQueryError:
        raise UnknownQuery(name) from None


def external(path: str) -> str:
    """An absolute URL for a path of this server (``public_url`` if set, else the request's host)."""
    return base_url() + path


# --------------------------------------------------------------------------- running queries


def _merged(query: saved.SavedQuery, runs: list[dict], result_format: str) -> bytes:
    """Run ``query`` once per substitution set; its rows appended, in ``result_format``."""
    parts = []
    for i, subs in enumerate(runs):
        tsv = read(backend().execute(query.text, result_format="tsv", substitutions=subs))
        parts.append(tsv if i == 0 else tsv.split(b"\n", 1)[1] if b"\n" in tsv else b"")
    merged = ox.parse_query_results(b"".join(parts), ox.QueryResultsFormat.TSV)
    return merged.serialize(format=RESULT_FORMATS[result_format])


def run_saved(query: saved.SavedQuery, binding: Binding, result_format: str) -> Result:
    """Run a saved query with bound parameters; the result in ``result_format`` (a SPARQL results format)."""
    runs = binding.substitutions()
    if len(runs) == 1:
        return backend().execute(query.text, result_format=result_format, substitutions=runs[0])
    body = _merged(query, runs, result_format)
    return Result("select", RESULT_FORMATS[result_format].media_type, iter((body,)))


def results_json(query: saved.SavedQuery, binding: Binding) -> dict:
    """The parsed SPARQL JSON result of a saved query (cached per build and binding)."""
    key = backend().cache_key("saved-page", query.name, binding.key())
    return json.loads(cached_body(key, lambda: read(run_saved(query, binding, "json"))))


# --------------------------------------------------------------------------- parameters


@dataclass(frozen=True)
class Choice:
    value: str
    labels: dict  # language ("" for none) -> label

    def label(self, lang: str) -> str:
        text = self.labels.get(lang) or self.labels.get("") or next(iter(self.labels.values()), "")
        return f"{self.value} – {text}" if text and text != self.value else self.value


def _canonical(param: saved.Parameter, raw: str) -> str:
    if param.type == "integer" and _INTEGER.fullmatch(raw.strip()):
        return str(int(raw))
    return raw


def choices(param: saved.Parameter) -> list[Choice] | None:
    """The allowed values of a closed parameter (from ``values`` or ``values_query``), or None if open."""
    if param.values:
        return [Choice(_canonical(param, str(v)), {}) for v in param.values]
    if not param.values_query:
        return None
    out: dict[str, dict] = {}
    for row in rows(select_json(param.values_query)):
        if "value" not in row:
            continue
        value = _canonical(param, row["value"].value)
        labels = out.setdefault(value, {})
        if isinstance(row.get("label"), ox.Literal):
            labels.setdefault(row["label"].language or "", row["label"].value)
    return [Choice(v, labels) for v, labels in out.items()]


@dataclass(frozen=True)
class Binding:
    """The values of every parameter of a saved query for one request (defaults filled in)."""

    query: saved.SavedQuery
    values: tuple[tuple[str, tuple[str, ...]], ...]  # (name, values) in header order

    def get(self, name: str) -> tuple[str, ...]:
        return dict(self.values).get(name, ())

    def args(self) -> dict[str, list[str]]:
        return {name: list(vals) for name, vals in self.values}

    def key(self) -> tuple:
        return self.values

    def substitutions(self) -> list[dict[str, tuple[str, str]]]:
        """One substitution set per run: the product of the values of every parameter."""
        params = {p.name: p for p in self.query.parameters}
        names = [n for n, _ in self.values]
        combos = itertools.product(*(vals for _, vals in self.values)) if names else [()]
        return [
            {n: (KINDS.get(params[n].type, "literal"), v) for n, v in zip(names, combo, strict=True)}
            for combo in combos
        ]


def bind(query: saved.SavedQuery, args) -> Binding:
    """Check the request's parameters against the query's header; :class:`ParameterError` if they do not fit."""
    known = {p.name: p for p in query.parameters}
    for name in args:
        if name not in known and name not in RESERVED:
            offered = ", ".join(known) or "none"
            raise ParameterError(f"{query.name!r} has no parameter {name!r} (its parameters: {offered})", name)
    values = []
    for p in query.parameters:
        given = args.getlist(p.name) if p.name in args else []
        if len(given) > MAX_RUNS:
            raise ParameterError(f"parameter {p.name!r} has {len(given)} values, at most {MAX_RUNS} are allowed", p.name)
        if not given:
            given = [] if p.default is None else [str(p.default)]
        if len(given) > 1 and not p.multiple:
            raise ParameterError(f"parameter {p.name!r} takes one value, not {len(given)}", p.name)
        allowed = choices(p)
        checked = []
        for raw in given:
            value = _check_value(p, raw, allowed)
            if value not in checked:
                checked.append(value)
        if not checked:
            raise ParameterError(f"parameter {p.name!r} needs a value", p.name)
        values.append((p.name, tuple(checked)))
    runs = 1
    for _, vals in values:
        runs *= len(vals)
    if runs > MAX_RUNS:
        raise ParameterError(f"too many values: the query would run {runs} times (at most {MAX_RUNS})")
    return Binding(query, tuple(values))


def _check_value(p: saved.Parameter, raw: str, allowed: list[Choice] | None) -> str:
    if len(raw) > MAX_VALUE_CHARS:
        raise ParameterError(f"parameter {p.name!r} is longer than {MAX_VALUE_CHARS} characters", p.name)
    if p.type == "integer":
        if not _INTEGER.fullmatch(raw.strip()):
            raise ParameterError(f"parameter {p.name!r} must be an integer, not {raw!r}", p.name)
        raw = str(int(raw))
    elif p.type == "iri":
        try:
            if not re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", raw):
                raise ValueError(raw)
            ox.NamedNode(raw)
        except (ValueError, TypeError):
            raise ParameterError(f"parameter {p.name!r} must be an absolute IRI, not {raw!r}", p.name) from None
    if allowed is not None:
        values = [c.value for c in allowed]
        if raw in values:
            return raw
        folded = [v for v in values if v.casefold() == raw.casefold()]
        if len(folded) == 1:
            return folded[0]
        shown = ", ".join(values)
        raise ParameterError(f"parameter {p.name!r} must be one of {shown}, not {raw!r}", p.name, values)
    return raw


# --------------------------------------------------------------------------- formats


def excel_requested(accept: str | None) -> tuple[bool, str | None]:
    """Whether ``Accept`` prefers CSV for Excel; and the header without that entry, for normal negotiation."""
    if not accept:
        return False, accept
    excel_q, best_other, rest = -1.0, 0.0, []
    for entry in accept.split(","):
        parts = [p.strip() for p in entry.split(";")]
        mime, params, q = parts[0].lower(), {}, 1.0
        for p in parts[1:]:
            k, _, v = p.partition("=")
            k, v = k.strip().lower(), v.strip().strip('"').lower()
            if k == "q":
                try:
                    q = float(v)
                except ValueError:
                    q = 0.0
            else:
                params[k] = v
        if mime == "text/csv" and (params.get("variant") == "excel" or "excel" in params):
            excel_q = max(excel_q, q)
        else:
            if mime:  # parameters other than q would stop werkzeug from matching the type: keep only q
                rest.append(mime if q == 1.0 else f"{mime};q={q}")
            if q > 0:
                best_other = max(best_other, q)
    if excel_q > 0 and excel_q >= best_other:
        return True, None
    return False, ", ".join(rest) if rest else None


def excel_csv(data: dict) -> bytes:
    """SPARQL JSON results as CSV for Excel: UTF-8 with BOM, ``;`` separated, CRLF, a header row.

    Values are written like SPARQL CSV (an IRI as itself, a literal as its text). A text that Excel would
    read as a formula (starting with ``= + - @``, a tab or CR) gets a leading ``'``; numbers are left alone.
    """
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    names = data["head"]["vars"]
    writer.writerow(names)
    for row in data["results"]["bindings"]:
        cells = []
        for n in names:
            term = row.get(n)
            if term is None:
                cells.append("")
                continue
            value = term["value"] if term["type"] != "bnode" else "_:" + term["value"]
            if term["type"] == "literal" and term.get("datatype") not in NUMERIC and _FORMULA.match(value):
                value = "'" + value
            cells.append(value)
        writer.writerow(cells)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def offered(query: saved.SavedQuery) -> list[formats.MediaType]:
    """The formats of a saved query's API: the SPARQL ones for its form, plus CSV for Excel for SELECT."""
    form = query_form(query.text)
    out = list(formats.offered_for(form))
    if form == "select":
        out.append(EXCEL)
    return out

