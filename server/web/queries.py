"""Saved queries as pages (``/queries/NAME``) and as an API (``/api/queries/NAME``, ``/api/openapi.json``).

Every ``queries/*.rq`` file (see :mod:`ruhrkg.graph.saved`) becomes

- ``/queries/NAME``: its text in German or English, a parameter form (GET) whose dropdowns come from the
  header's ``values`` or ``values_query``, the results as a server-rendered table (labels next to IRIs,
  IRIs of the dataset linked to their ``/id/...`` pages, at most ``max_html_rows`` rows), a permalink that
  holds every parameter and the language, and download links for every format;
- ``/queries/NAME.rq``: the file itself;
- ``/api/queries/NAME``: the results in every SPARQL results format (``Accept`` or ``format=``, as at
  ``/sparql``; cached and ETagged the same way), plus CSV for Excel (``format=excel-csv`` or
  ``Accept: text/csv; variant=excel``: UTF-8 BOM, ``;``, CRLF, as an attachment). Downloads are not capped;
- ``/api/queries``: the list of saved queries as JSON; ``/api/openapi.json``: an OpenAPI 3.1 document of
  the whole API, generated from the headers; ``/api/docs``: that document rendered as HTML.

**Parameters** are bound with pyoxigraph ``substitutions`` (kind ``literal``, ``integer`` or ``iri``),
never pasted into the query text, so a ``"`` or ``}`` in a value is just a character of a literal. An
absent parameter takes its default; a parameter given twice is an error unless it is ``multiple``.
Closed parameters (``values`` or ``values_query``) accept only their values (ministry codes also in
another case: ``mkffi`` is ``MKFFI``). Substitutions bind one value per variable, so a ``multiple``
parameter with several values runs the query once per value and appends the rows in the order given
(each run as TSV, merged, re-serialised by pyoxigraph), which is exact for queries that project the
parameter. Errors: HTML pages show the reason with status 400; the API answers
``application/problem+json`` (400 bad parameter, 404 unknown query, 406 unsatisfiable ``Accept``).
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
import time
from dataclasses import dataclass

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, render_template, request, url_for

from ruhrkg.graph import saved
from ruhrkg.graph.formats import RESULT_FORMATS
from ruhrkg.graph.query import qname
from ruhrkg.server.backend import CachedResult
from ruhrkg.server.query.errors import QueryServiceError
from ruhrkg.server.query.lexer import query_form
from ruhrkg.server.query.result import Result
from ruhrkg.server.sparql import formats
from ruhrkg.server.web.i18n import current_lang

bp = Blueprint("queries", __name__)

BASE = "https://w3id.org/ruhrkg"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
RESERVED = ("format", "lang")  # request parameters that are not saved-query parameters
KINDS = {"string": "literal", "integer": "integer", "iri": "iri"}  # parameter type -> substitution kind
MAX_VALUE_CHARS = 1000
MAX_RUNS = 50  # a request with several values runs the query at most this often
EXCEL_NAME = "excel-csv"
EXCEL_ACCEPT = "text/csv; variant=excel"
EXCEL = formats.MediaType(EXCEL_NAME, "text/csv; charset=utf-8; header=present; variant=excel", (), "csv")
PROBLEM = "application/problem+json"
FILE_EXTENSIONS = {"json": "json", "xml": "xml", "csv": "csv", "tsv": "tsv", EXCEL_NAME: "csv"}
NUMERIC = {
    f"http://www.w3.org/2001/XMLSchema#{t}"
    for t in ("integer", "decimal", "double", "float", "int", "long", "nonNegativeInteger", "positiveInteger")
}
# IRIs that may be written between < > in the label query (the result's IRIs are checked again, to be safe)
_SAFE_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\x00-\x20<>\"{}|^`\\]*")
_INTEGER = re.compile(r"[+-]?\d{1,18}")
_FORMULA = re.compile(r"[=+\-@\t\r]")
LABEL_BATCH = 400  # IRIs per label query (well below the query length limit)

TAGS = {  # tag -> (German, English); unknown tags are shown as they are
    "forums": ("Themenforen", "Forums"),
    "ministries": ("Ressorts", "Ministries"),
    "persons": ("Personen", "Persons"),
    "organisations": ("Organisationen", "Organisations"),
    "events": ("Veranstaltungen", "Events"),
    "calendar": ("Kalender", "Calendar"),
    "venues": ("Orte", "Venues"),
    "participants": ("Teilnehmende", "Participants"),
    "network": ("Netzwerk", "Network"),
    "search": ("Suche", "Search"),
    "wikidata": ("Wikidata", "Wikidata"),
}
TYPE_NAMES = {"string": ("Text", "text"), "integer": ("ganze Zahl", "integer"), "iri": ("IRI", "IRI")}


# --------------------------------------------------------------------------- errors


class ParameterError(Exception):
    """A request parameter that does not fit the saved query (400)."""

    def __init__(self, message: str, parameter: str | None = None, allowed: list[str] | None = None) -> None:
        super().__init__(message)
        self.message, self.parameter, self.allowed = message, parameter, allowed


class UnknownQuery(Exception):
    def __init__(self, name: str) -> None:
        super().__init__(f"no saved query named {name!r}")
        self.name = name


def problem(status: int, title: str, detail: str, **extra) -> Response:
    """An RFC 9457 problem details response."""
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, "instance": request.path}
    body.update({k: v for k, v in extra.items() if v is not None})
    return Response(json.dumps(body, ensure_ascii=False) + "\n", status=status, mimetype=PROBLEM)


def _load(name: str) -> saved.SavedQuery:
    try:
        return saved.load(name)
    except saved.SavedQueryError:
        raise UnknownQuery(name) from None


def _backend():
    return current_app.extensions["ruhrkg"]


# --------------------------------------------------------------------------- running queries


def _read(result: Result) -> bytes:
    try:
        return b"".join(result.chunks)
    finally:
        close = getattr(result.chunks, "close", None)
        if close:
            close()


def _cached(key: str, run) -> bytes:
    """The body of ``run()`` (bytes), kept in the backend's result cache (per build)."""
    backend = _backend()
    hit = backend.cache.get(key)
    if hit is not None:
        return hit.body
    body = run()
    backend.cache.put(key, CachedResult("select", "application/sparql-results+json", body))
    return body


def select_json(text: str, substitutions: dict | None = None) -> dict:
    """A SELECT's SPARQL JSON result, parsed (cached per build)."""
    backend = _backend()
    subs = substitutions or {}
    key = backend.cache_key("saved-json", text, sorted(subs.items()))
    body = _cached(key, lambda: _read(backend.execute(text, result_format="json", substitutions=subs)))
    return json.loads(body)


def _merged(query: saved.SavedQuery, runs: list[dict], result_format: str) -> bytes:
    """Run ``query`` once per substitution set; its rows appended, in ``result_format``."""
    backend = _backend()
    parts = []
    for i, subs in enumerate(runs):
        tsv = _read(backend.execute(query.text, result_format="tsv", substitutions=subs))
        parts.append(tsv if i == 0 else tsv.split(b"\n", 1)[1] if b"\n" in tsv else b"")
    merged = ox.parse_query_results(b"".join(parts), ox.QueryResultsFormat.TSV)
    return merged.serialize(format=RESULT_FORMATS[result_format])


def run_saved(query: saved.SavedQuery, binding: Binding, result_format: str) -> Result:
    """Run a saved query with bound parameters; the result in ``result_format`` (a SPARQL results format)."""
    runs = binding.substitutions()
    if len(runs) == 1:
        return _backend().execute(query.text, result_format=result_format, substitutions=runs[0])
    body = _merged(query, runs, result_format)
    return Result("select", RESULT_FORMATS[result_format].media_type, iter((body,)))


def results_json(query: saved.SavedQuery, binding: Binding) -> dict:
    """The parsed SPARQL JSON result of a saved query (cached per build and binding)."""
    key = _backend().cache_key("saved-page", query.name, binding.key())
    return json.loads(_cached(key, lambda: _read(run_saved(query, binding, "json"))))


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
    data = select_json(param.values_query)
    out: dict[str, dict] = {}
    for row in data["results"]["bindings"]:
        if "value" not in row:
            continue
        value = _canonical(param, row["value"]["value"])
        labels = out.setdefault(value, {})
        if "label" in row:
            labels.setdefault(row["label"].get("xml:lang", ""), row["label"]["value"])
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


def _excel_requested(accept: str | None) -> tuple[bool, str | None]:
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


# --------------------------------------------------------------------------- URLs and cells


def local_href(iri: str) -> str | None:
    """The path of an IRI of our data or ontology on this server (``/id/...``, ``/def#...``), else None."""
    if iri.startswith(BASE + "/"):
        return iri[len(BASE) :]
    return None


def external(path: str) -> str:
    """An absolute URL for a path of this server (``public_url`` if set, else the request's host)."""
    base = current_app.config["RUHRKG"].public_url.rstrip("/") or request.host_url.rstrip("/")
    return base + path


def query_url(endpoint: str, query: saved.SavedQuery, binding: Binding | None, **extra) -> str:
    args = binding.args() if binding else {}
    return url_for(endpoint, name=query.name, **args, **extra)


def labels_for(iris: list[str], lang: str) -> dict[str, str]:
    """``rdfs:label`` of each IRI in ``lang`` (else without language, else any), in one query per batch."""
    wanted = [i for i in dict.fromkeys(iris) if _SAFE_IRI.fullmatch(i)]
    found: dict[str, dict[str, str]] = {}
    for start in range(0, len(wanted), LABEL_BATCH):
        batch = wanted[start : start + LABEL_BATCH]
        values = " ".join(str(ox.NamedNode(i)) for i in batch)
        text = f"SELECT ?iri ?label WHERE {{ VALUES ?iri {{ {values} }} ?iri <{RDFS_LABEL}> ?label }}"
        for row in select_json(text)["results"]["bindings"]:
            label = row["label"]
            found.setdefault(row["iri"]["value"], {}).setdefault(label.get("xml:lang", ""), label["value"])
    out = {}
    for iri, by_lang in found.items():
        out[iri] = by_lang.get(lang) or by_lang.get("") or by_lang[sorted(by_lang)[0]]
    return out


def cell(term: dict | None, labels: dict[str, str]) -> dict | None:
    """What the results table shows for one RDF term of a SPARQL JSON result."""
    if term is None:
        return None
    kind = term["type"]
    if kind == "uri":
        iri = term["value"]
        href = local_href(iri)
        return {
            "kind": "iri",
            "value": iri,
            "href": href or iri,
            "local": href is not None,
            "label": labels.get(iri),
            "short": qname(iri),
        }
    if kind == "bnode":
        return {"kind": "bnode", "value": "_:" + term["value"]}
    datatype = term.get("datatype")
    return {
        "kind": "literal",
        "value": term["value"],
        "lang": term.get("xml:lang"),
        "datatype": qname(datatype) if datatype else None,
        "numeric": datatype in NUMERIC,
        "nowrap": len(term["value"]) <= 12 and " " not in term["value"],
    }


def tag_name(tag: str) -> str:
    de, en = TAGS.get(tag, (tag, tag))
    return de if current_lang() == "de" else en


# --------------------------------------------------------------------------- pages


@bp.route("/queries")
def index():
    lang = current_lang()
    queries = saved.load_all()
    order = list(TAGS)
    tags = sorted({t for q in queries for t in q.tags}, key=lambda t: (order.index(t) if t in order else 99, t))
    groups = [(t, tag_name(t), [q for q in queries if t in q.tags]) for t in tags]
    untagged = [q for q in queries if not q.tags]
    if untagged:
        groups.append(("other", "Weitere" if lang == "de" else "Other", untagged))
    return render_template("queries.html", groups=groups, queries=queries, lang_text=lang)


@bp.route("/queries/<name>.rq")
def raw(name: str):
    try:
        query = _load(name)
    except UnknownQuery:
        return _not_found_page(name)
    return Response(
        query.text,
        mimetype="application/sparql-query",
        headers={"Content-Disposition": f'inline; filename="{name}.rq"', "Cache-Control": "public, max-age=300"},
    )


@bp.route("/queries/<name>")
def page(name: str):
    try:
        query = _load(name)
    except UnknownQuery:
        return _not_found_page(name)
    lang = current_lang()
    settings = current_app.config["RUHRKG"]
    status, error, binding, table = 200, None, None, None
    try:
        binding = bind(query, request.args)
    except ParameterError as e:
        status, error = 400, e.message
    except QueryServiceError as e:  # a values_query that failed
        status, error = e.status, e.message
    if binding is not None:
        started = time.perf_counter()
        try:
            data = results_json(query, binding)
        except QueryServiceError as e:
            status, error = e.status, e.message
        else:
            table = _table(data, settings.max_html_rows, lang)
            table["ms"] = round((time.perf_counter() - started) * 1000, 1)
    form = _form(query, binding, request.args)
    downloads = []
    if binding is not None:
        for mt in offered(query):
            downloads.append(
                {
                    "name": mt.name,
                    "label": _format_label(mt),
                    "mime": mt.mime.split(";")[0],
                    "href": query_url("api.api", query, binding, format=mt.name),
                    "filename": f"{query.name}.{FILE_EXTENSIONS.get(mt.name, mt.extension)}",
                }
            )
    permalink = external(query_url("queries.page", query, binding, lang=lang)) if binding else None
    alternates = [{"type": d["mime"], "href": d["href"]} for d in downloads if d["name"] != EXCEL_NAME]
    html = render_template(
        "queries_page.html",
        query=query,
        summary=query.summary[lang],
        description=query.description[lang],
        tags=[(t, tag_name(t)) for t in query.tags],
        form=form,
        binding=binding,
        table=table,
        error=error,
        downloads=downloads,
        permalink=permalink,
        alternates=alternates,
        max_rows=settings.max_html_rows,
        body=query.body,
    )
    resp = Response(html, status=status, mimetype="text/html")
    if alternates:
        resp.headers["Link"] = ", ".join(f'<{a["href"]}>; rel="alternate"; type="{a["type"]}"' for a in alternates)
    resp.headers["Vary"] = "Accept-Language, Cookie"
    return resp


def _format_label(mt: formats.MediaType) -> str:
    names = {"json": "JSON", "xml": "XML", "csv": "CSV", "tsv": "TSV", EXCEL_NAME: "CSV (Excel)"}
    return names.get(mt.name, mt.name)


def _not_found_page(name: str):
    html = render_template("queries_not_found.html", name=name, queries=saved.load_all())
    return Response(html, status=404, mimetype="text/html")


def _form(query: saved.SavedQuery, binding: Binding | None, args) -> list[dict]:
    """The parameter form: one field per parameter, with the current values selected."""
    lang = current_lang()
    fields = []
    for p in query.parameters:
        if binding is not None:
            current = list(binding.get(p.name))
        else:
            current = args.getlist(p.name) or ([] if p.default is None else [str(p.default)])
        try:
            allowed = choices(p)
        except QueryServiceError:
            allowed = None
        texts = p.description if isinstance(p.description, dict) else {"en": str(p.description or "")}
        desc = texts.get(lang) or texts.get("en") or ""
        fields.append(
            {
                "name": p.name,
                "type": p.type,
                "type_name": TYPE_NAMES.get(p.type, (p.type, p.type))[0 if lang == "de" else 1],
                "multiple": p.multiple,
                "default": p.default,
                "description": desc,
                "current": current,
                "options": [{"value": c.value, "label": c.label(lang)} for c in allowed] if allowed else None,
            }
        )
    return fields


def _table(data: dict, cap: int, lang: str) -> dict:
    names = data["head"]["vars"]
    rows = data["results"]["bindings"]
    shown = rows[:cap]
    iris = [t["value"] for r in shown for t in r.values() if t.get("type") == "uri"]
    labels = labels_for(iris, lang) if iris else {}
    return {
        "vars": names,
        "rows": [[cell(r.get(n), labels) for n in names] for r in shown],
        "total": len(rows),
        "shown": len(shown),
        "capped": len(rows) > len(shown),
    }


# --------------------------------------------------------------------------- the API
