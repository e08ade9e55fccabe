"""The saved-query API: ``/api/queries`` (the list as JSON), ``/api/queries/NAME`` (results in every SPARQL
results format by ``Accept`` or ``format=``, as at ``/sparql``, cached and ETagged the same way, plus CSV for
Excel: ``format=excel-csv`` or ``Accept: text/csv; variant=excel``, UTF-8 BOM, ``;``, CRLF, as an attachment;
downloads are not capped), ``/api/openapi.json`` (OpenAPI 3.1 of the whole API, generated from the ``.rq``
headers) and ``/api/docs`` (that document as HTML). Parameters are bound by :mod:`ruhrkg.server.api.saved`.
Errors are ``application/problem+json``: 400 bad parameter, 404 unknown query, 406 unsatisfiable ``Accept``.
"""

from __future__ import annotations

import json
import re

from flask import Blueprint, Response, g, render_template, request, url_for
from markupsafe import Markup, escape

from ruhrkg.graph import saved
from ruhrkg.server.api import reconcile
from ruhrkg.server.api.saved import (
    EXCEL,
    EXCEL_ACCEPT,
    EXCEL_NAME,
    FILE_EXTENSIONS,
    Binding,
    ParameterError,
    UnknownQuery,
    bind,
    choices,
    excel_csv,
    excel_requested,
    external,
    load_query,
    results_json,
    run_saved,
)
from ruhrkg.server.query.errors import QueryServiceError
from ruhrkg.server.query.lexer import query_form
from ruhrkg.server.query.result import Result
from ruhrkg.server.sparql import formats
from ruhrkg.server.sparql.protocol import flask_answer as answer
from ruhrkg.server.web.i18n import current_lang
from ruhrkg.server.web.queries import TAGS
from ruhrkg.server.web.render import PROBLEM, backend, page_key, problem

bp = Blueprint("api", __name__)

@bp.route("/api/queries")
def api_index():
    out = []
    for q in saved.load_all():
        out.append(
            {
                "name": q.name,
                "summary": q.summary,
                "tags": list(q.tags),
                "variables": list(q.variables),
                "parameters": [_param_summary(p) for p in q.parameters],
                "api": external(url_for("api.api", name=q.name)),
                "page": external(url_for("queries.page", name=q.name)),
            }
        )
    return Response(
        json.dumps({"queries": out, "openapi": external(url_for("api.openapi"))}, ensure_ascii=False, indent=1),
        mimetype="application/json",
    )


def _param_summary(p: saved.Parameter) -> dict:
    return {"name": p.name, "type": p.type, "default": p.default, "multiple": p.multiple, "description": p.description}


@bp.route("/api/queries/<name>")
def api(name: str):
    try:
        query = load_query(name)
    except UnknownQuery as e:
        return problem(404, str(e), known=saved.names())
    form = g.query_form = query_form(query.text)
    try:
        binding = bind(query, request.args)
        media = _media(form)
        key = page_key("saved-api", name, binding.key(), media.name)
        if media is EXCEL:
            return answer(key, lambda: _excel(query, binding, form), EXCEL, filename=f"{name}.csv")
        resp = answer(key, lambda: run_saved(query, binding, media.name), media)
        extension = FILE_EXTENSIONS.get(media.name, media.extension)
        resp.headers["Content-Disposition"] = f'inline; filename="{name}.{extension}"'
        return resp
    except ParameterError as e:
        return problem(400, e.message, parameter=e.parameter, allowed=e.allowed)
    except formats.NotAcceptable as e:
        offered_types = [mt.mime for mt in e.offered] + ([EXCEL_ACCEPT] if form == "select" else [])
        resp = problem(406, str(e), offered=offered_types)
        resp.headers["Vary"] = "Accept"
        return resp
    except QueryServiceError as e:
        return problem(e.status, e.message, title="Query failed")


def _excel(query: saved.SavedQuery, binding: Binding, form: str) -> Result:
    return Result(form, EXCEL.mime, (excel_csv(results_json(query, binding)),))


def _media(form: str) -> formats.MediaType:
    """The format of an answer: CSV for Excel if ``format=`` or ``Accept`` asks for it (SELECT only), else the
    SPARQL results format they choose."""
    requested = request.args.getlist("format")
    if requested:
        excel, accept = requested[0].strip().lower() in (EXCEL_NAME, "excel"), None
    else:
        excel, accept = excel_requested(request.headers.get("Accept"))
    if not excel:
        return formats.choose(form, requested, accept)
    if form != "select":
        raise formats.NotAcceptable(f"{EXCEL_NAME} is only offered for SELECT queries", formats.offered_for(form))
    return EXCEL


# --------------------------------------------------------------------------- OpenAPI


def openapi_document() -> dict:
    """An OpenAPI 3.1 document of the saved-query API, generated from the query headers."""
    paths: dict = {}
    tags: dict[str, str] = {}
    for q in saved.load_all():
        for t in q.tags:
            tags.setdefault(t, f"{TAGS.get(t, (t, t))[1]} / {TAGS.get(t, (t, t))[0]}")
        paths[f"/api/queries/{q.name}"] = {"get": _operation(q)}
    paths["/api/queries"] = {
        "get": {
            "operationId": "listSavedQueries",
            "summary": "The saved queries, with their parameters and links",
            "x-summary-de": "Die gespeicherten Abfragen, mit Parametern und Links",
            "tags": ["meta"],
            "responses": {
                "200": {"description": "the list", "content": {"application/json": {"schema": {"type": "object"}}}}
            },
        }
    }
    paths.update(reconcile.openapi_paths())
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "ruhrkg saved-query API",
            "version": backend().version,
            "summary": "The saved SPARQL queries of the Ruhr-Konferenz knowledge graph as an HTTP API.",
            "description": (
                "Each saved query of the ruhrkg knowledge graph (the 20 thematic forums of the NRW Ruhr-Konferenz "
                "2018-2019) answers at `/api/queries/NAME` in every SPARQL 1.1 results format, chosen by `Accept` "
                "or by `format=` (json, xml, csv, tsv), and as CSV for Excel (`format=excel-csv` or "
                f"`Accept: {EXCEL_ACCEPT}`: UTF-8 with BOM, `;` separated, CRLF lines, as an attachment). "
                "Parameters are bound as RDF terms, never pasted into the query text. An absent parameter takes "
                "its default; a `multiple` parameter may be repeated (`ministry=MKFFI&ministry=MAGS`): the query "
                "runs once per value and the rows are appended in the order given. Results are not capped; they "
                "carry an `ETag` (conditional GET gives 304). Errors are `application/problem+json`.\n\n"
                "Jede gespeicherte Abfrage antwortet unter `/api/queries/NAME` in jedem SPARQL-Ergebnisformat "
                "(`Accept` oder `format=`) und als CSV für Excel (`format=excel-csv`).\n\n"
                "The reconciliation service for OpenRefine (W3C Reconciliation Service API 0.1/0.2) answers at "
                "`/reconcile`; its manifest names the suggest, preview and data extension services. / Der "
                "Abgleichdienst für OpenRefine antwortet unter `/reconcile`."
            ),
            "license": {"name": "CC BY 4.0 (data)", "url": "https://creativecommons.org/licenses/by/4.0/"},
        },
        "servers": [{"url": external("")}],
        "tags": [{"name": t, "description": d} for t, d in tags.items()]
        + [{"name": "meta", "description": "About the API"}]
        + [{"name": "reconciliation", "description": "Abgleichdienst / Reconciliation service (OpenRefine)"}],
        "paths": paths,
        "components": {
            "parameters": {
                "format": {
                    "name": "format",
                    "in": "query",
                    "required": False,
                    "description": "The result format; overrides `Accept`. `excel-csv` is CSV for Excel.",
                    "schema": {"type": "string", "enum": [*(mt.name for mt in formats.RESULTS), EXCEL_NAME]},
                }
            },
            "headers": {
                "ETag": {
                    "description": "Derived from the dataset version and the request",
                    "schema": {"type": "string"},
                }
            },
            "schemas": {
                "RdfTerm": {
                    "type": "object",
                    "required": ["type", "value"],
                    "properties": {
                        "type": {"type": "string", "enum": ["uri", "literal", "bnode"]},
                        "value": {"type": "string"},
                        "xml:lang": {"type": "string"},
                        "datatype": {"type": "string"},
                    },
                },
                "Problem": {
                    "type": "object",
                    "required": ["title", "status", "detail"],
                    "properties": {
                        "type": {"type": "string"},
                        "title": {"type": "string"},
                        "status": {"type": "integer"},
                        "detail": {"type": "string"},
                        "instance": {"type": "string"},
                        "parameter": {"type": "string"},
                        "allowed": {"type": "array", "items": {"type": "string"}},
                    },
                },
            },
            "responses": {
                "BadParameter": _problem_response("A parameter is unknown, repeated, of the wrong type or not allowed"),
                "NotFound": _problem_response("No saved query of that name"),
                "NotAcceptable": _problem_response("No offered format satisfies `Accept`"),
                "Unavailable": _problem_response("The query exceeded the time or memory limit"),
            },
        },
    }


def _problem_response(description: str) -> dict:
    return {"description": description, "content": {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}}


def _schema(p: saved.Parameter) -> dict:
    base: dict = {"type": "integer"} if p.type == "integer" else {"type": "string"}
    if p.type == "iri":
        base["format"] = "iri"
    allowed = choices(p)
    if allowed is not None:
        base["enum"] = [int(c.value) if p.type == "integer" else c.value for c in allowed]
    default = None if p.default is None else (int(p.default) if p.type == "integer" else str(p.default))
    if p.multiple:
        schema = {"type": "array", "items": base}
        if default is not None:
            schema["default"] = [default]
        return schema
    if default is not None:
        base["default"] = default
    return base


def _operation(q: saved.SavedQuery) -> dict:
    params = []
    for p in q.parameters:
        desc = p.description if isinstance(p.description, dict) else {}
        spec = {
            "name": p.name,
            "in": "query",
            "required": False,
            "description": (desc.get("en") or p.name) + (f"\n\n{desc['de']}" if desc.get("de") else ""),
            "schema": _schema(p),
        }
        if p.multiple:
            spec.update(style="form", explode=True)
        if desc.get("de"):
            spec["x-description-de"] = desc["de"]
        params.append(spec)
    params.append({"$ref": "#/components/parameters/format"})
    term = {"$ref": "#/components/schemas/RdfTerm"}
    results_schema = {
        "type": "object",
        "required": ["head", "results"],
        "properties": {
            "head": {
                "type": "object",
                "properties": {"vars": {"type": "array", "items": {"type": "string", "enum": list(q.variables)}}},
            },
            "results": {
                "type": "object",
                "properties": {
                    "bindings": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {v: term for v in q.variables},
                            "additionalProperties": False,
                        },
                    }
                },
            },
        },
    }
    text = {"schema": {"type": "string"}}
    variables = ", ".join(f"`?{v}`" for v in q.variables)
    return {
        "operationId": re.sub(r"-(.)", lambda m: m.group(1).upper(), q.name),
        "summary": q.summary["en"],
        "description": f"{q.description['en']}\n\nResult variables: {variables}.\n\nHTML page: `/queries/{q.name}`.",
        "x-summary-de": q.summary["de"],
        "x-description-de": q.description["de"],
        "tags": list(q.tags),
        "parameters": params,
        "responses": {
            "200": {
                "description": f"The result rows (variables {variables}).",
                "headers": {"ETag": {"$ref": "#/components/headers/ETag"}},
                "content": {
                    "application/sparql-results+json": {"schema": results_schema},
                    "application/sparql-results+xml": text,
                    "text/csv": text,
                    "text/tab-separated-values": text,
                    EXCEL_ACCEPT: text,
                },
            },
            "304": {"description": "Not modified (the `ETag` matches `If-None-Match`)"},
            "400": {"$ref": "#/components/responses/BadParameter"},
            "404": {"$ref": "#/components/responses/NotFound"},
            "406": {"$ref": "#/components/responses/NotAcceptable"},
            "503": {"$ref": "#/components/responses/Unavailable"},
        },
    }


@bp.route("/api/openapi.json")
def openapi():
    try:
        doc = openapi_document()
    except QueryServiceError as e:
        return problem(e.status, e.message, title="Query failed")
    return Response(
        json.dumps(doc, ensure_ascii=False, indent=1) + "\n",
        mimetype="application/json",  # also application/vnd.oai.openapi+json; plain JSON is what tools expect
        headers={"Cache-Control": "public, max-age=300"},
    )


@bp.route("/api/docs")
def docs():
    """The OpenAPI document as an HTML page, in the page's language."""
    doc = openapi_document()
    lang = current_lang()
    operations = [_operation_view(doc, path, item, lang) for path, item in doc["paths"].items()]
    intro = [_inline_code(p) for p in doc["info"]["description"].split("\n\n")]
    return render_template(
        "api_docs.html", doc=doc, intro=intro, operations=operations, server=doc["servers"][0]["url"]
    )


def _localised(obj: dict, key: str, lang: str) -> str:
    """``x-KEY-de`` in German if there is one, else the first paragraph of ``KEY``."""
    german = obj.get(f"x-{key}-de") if lang == "de" else None
    return german or obj.get(key, "").split("\n\n")[0]


def _resolved(doc: dict, obj: dict, kind: str) -> dict:
    """``obj``, or the component its ``$ref`` names."""
    return doc["components"][kind][obj["$ref"].rsplit("/", 1)[1]] if "$ref" in obj else obj


def _operation_view(doc: dict, path: str, item: dict, lang: str) -> dict:
    """What the docs page shows of one operation."""
    op = item["get"]
    name = path.rsplit("/", 1)[1]
    responses = [_resolved(doc, r, "responses") | {"status": status} for status, r in op["responses"].items()]
    return {
        "path": path,
        "methods": ", ".join(m.upper() for m in ("get", "post") if m in item),
        "id": op["operationId"],
        "name": name,
        "summary": op.get("x-summary-de") if lang == "de" and op.get("x-summary-de") else op["summary"],
        "description": _inline_code(_localised(op, "description", lang)),
        "tags": op.get("tags", []),
        "params": [_param_view(_resolved(doc, p, "parameters"), lang) for p in op.get("parameters", [])],
        "responses": [{"status": r["status"], "description": _inline_code(r["description"]),
                       "types": list(r.get("content", {}))} for r in responses],  # fmt: skip
        "example": external(path),
        "page": url_for("queries.page", name=name) if path.startswith("/api/queries/") else None,
    }


def _param_view(p: dict, lang: str) -> dict:
    schema = p["schema"]
    items = schema.get("items", schema)
    kind = f"array of {items['type']}" if schema.get("type") == "array" else schema["type"]
    return {
        "name": p["name"],
        "type": kind + (f" ({items['format']})" if "format" in items else ""),
        "enum": items.get("enum"),
        "default": schema.get("default"),
        "description": _inline_code(_localised(p, "description", lang)),
        "multiple": schema.get("type") == "array",
    }


def _inline_code(text: str) -> Markup:
    """Plain text with ``code`` spans (as in the OpenAPI descriptions) as HTML."""
    parts = str(text).split("`")
    return Markup("").join(Markup("<code>{}</code>").format(p) if i % 2 else escape(p) for i, p in enumerate(parts))
