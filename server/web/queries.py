"""Saved queries as pages: ``/queries`` (the list, by tag), ``/queries/NAME`` and ``/queries/NAME.rq``.

Every ``queries/*.rq`` file (see :mod:`ruhrkg.graph.saved`) becomes

- ``/queries/NAME``: its text in German or English, a parameter form (GET) whose dropdowns come from the
  header's ``values`` or ``values_query``, the results as a server-rendered table (labels next to IRIs,
  IRIs of the dataset linked to their ``/id/...`` pages, at most ``max_html_rows`` rows), a permalink that
  holds every parameter and the language, and download links for every format of the API
  (:mod:`ruhrkg.server.api.queries`);
- ``/queries/NAME.rq``: the file itself.

Parameters are bound as in the API (:mod:`ruhrkg.server.api.saved`); a bad one is shown with status 400.
The labels of a table's IRIs come from one query per build (``graph/rq/labels.rq``), looked up by IRI.
"""

from __future__ import annotations

import time

from flask import Blueprint, Response, render_template, request, url_for

from ruhrkg.graph import saved
from ruhrkg.graph.query import qname
from ruhrkg.server.api.saved import (
    EXCEL_NAME,
    FILE_EXTENSIONS,
    NUMERIC,
    Binding,
    ParameterError,
    UnknownQuery,
    bind,
    choices,
    external,
    load_query,
    offered,
    results_json,
)
from ruhrkg.server.query.errors import QueryServiceError
from ruhrkg.server.sparql import formats
from ruhrkg.server.web.i18n import current_lang
from ruhrkg.server.web.render import link_header, select, settings

bp = Blueprint("queries", __name__)

BASE = "https://w3id.org/ruhrkg"
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


# --------------------------------------------------------------------------- URLs and cells


def local_href(iri: str) -> str | None:
    """The path of an IRI of our data or ontology on this server (``/id/...``, ``/def#...``), else None."""
    if iri.startswith(BASE + "/"):
        return iri[len(BASE) :]
    return None



def query_url(endpoint: str, query: saved.SavedQuery, binding: Binding | None, **extra) -> str:
    args = binding.args() if binding else {}
    return url_for(endpoint, name=query.name, **args, **extra)


def labels_for(iris: list[str], lang: str) -> dict[str, str]:
    """``rdfs:label`` of each IRI in ``lang`` (else without language, else any), from the labels of the build."""
    wanted = set(iris)
    found: dict[str, dict[str, str]] = {}
    for row in select("labels"):
        iri = row["iri"].value
        if iri in wanted:
            found.setdefault(iri, {}).setdefault(row["label"].language or "", row["label"].value)
    return {iri: by_lang.get(lang) or by_lang.get("") or by_lang[sorted(by_lang)[0]] for iri, by_lang in found.items()}


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
        query = load_query(name)
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
        query = load_query(name)
    except UnknownQuery:
        return _not_found_page(name)
    lang = current_lang()
    limits = settings()
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
            table = _table(data, limits.max_html_rows, lang)
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
        max_rows=limits.max_html_rows,
        body=query.body,
    )
    resp = Response(html, status=status, mimetype="text/html")
    if alternates:
        resp.headers["Link"] = link_header(alternates)
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
