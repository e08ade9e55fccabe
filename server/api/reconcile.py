"""The W3C Reconciliation Service API (versions 0.1 and 0.2) over the graph's entities: the HTTP layer on
:mod:`ruhrkg.graph.reconcile` (the index) and :mod:`ruhrkg.graph.matching` (checking and scoring queries).

OpenRefine users add ``<server>/reconcile`` as a *standard service* and match spreadsheet columns (names of
persons, ministries, organisations, venues, cities, forums, events) against the graph. Routes:

- ``GET /reconcile``: the service manifest.
- ``POST /reconcile`` (form field ``queries``) or ``GET /reconcile?queries=``: a batch of reconciliation queries
  ``{"q0": {"query": "…", "type": "…", "type_strict": "…", "limit": 3, "properties": [{"pid": "…", "v": "…"}]}}``,
  answered ``{"q0": {"result": [candidate, …]}}``. Version 0.1's single ``query=`` (a string or one query
  object) is answered ``{"result": […]}``. ``extend=`` is the data extension service (``{"ids": […],
  "properties": [{"id": "…"}]}`` → ``{"meta": […], "rows": {…}}``); ``/reconcile/properties?type=`` proposes
  the properties for a type.
- ``/reconcile/suggest/entity|type|property?prefix=`` (``type=``, ``limit=``, ``cursor=``): auto-completion.
- ``/reconcile/preview?id=``: an HTML snippet for OpenRefine's preview iframe; ``/reconcile/view?id=``
  redirects to the entity's page.

Every JSON answer is also JSONP with ``callback=`` (a JavaScript identifier, checked); CORS headers, preflight
included, come from the app. Bad input gets 4xx with an ``application/problem+json`` reason, never a traceback.
The work of a batch is bounded (settings ``reconcile_max_comparisons`` and ``reconcile_seconds``): past either
limit the answer is 413 with the reason.

**Identifiers.** A candidate's ``id`` is the entity's full IRI (``https://w3id.org/ruhrkg/id/person/ulrich-
paetzel``), as services over RDF data (VIVO, the RDF extension's SPARQL services) do: it is what users want in
their spreadsheet, what data extension and property values use, and it stays meaningful outside OpenRefine.
``identifierSpace`` is the IRI base ``https://w3id.org/ruhrkg/id/``, ``schemaSpace`` the ontology namespace
``https://w3id.org/ruhrkg/def#``; types and properties are identified by their IRIs. Because the whole IRI goes
into ``{{id}}``, the manifest's view template is ``/reconcile/view?id={{id}}`` (a redirect to ``/id/<kind>/<key>``),
not ``/id/{{id}}``. Everywhere an id is read, ``person:ulrich-paetzel`` and ``person/ulrich-paetzel`` work too.

The index is built once per dataset version through the backend's query service (so it follows a rebuild).
OpenRefine sends ``type_strict: "should"``, so other types stay visible as candidates, below and never matched.
Namesakes (the venue and the organisation "Radio Bochum") are thus never matched automatically unless a type or
a property tells them apart.
"""

from __future__ import annotations

import json
import logging
import re
import threading

from flask import Blueprint, Response, current_app, redirect, request, url_for
from markupsafe import Markup, escape
from werkzeug.exceptions import HTTPException

from ruhrkg.graph.linking import fold
from ruhrkg.graph.matching import (
    MAX_LIMIT,
    MAX_RESULTS,
    Candidate,
    ReconcileError,
    int_value,
    parse_query,
    reconcile_batch,
    text_value,
)
from ruhrkg.graph.query import qname
from ruhrkg.graph.reconcile import (
    DEFAULT_TYPES,
    NOT_PREVIEWED,
    PROPERTIES,
    XSD_INTEGER,
    Entity,
    Index,
    Prop,
    Value,
    build_index,
)
from ruhrkg.mappings.vocab import DEF, ID
from ruhrkg.server.query.errors import QueryServiceError
from ruhrkg.server.sparql.description import base_url
from ruhrkg.server.web.entities import Links
from ruhrkg.server.web.i18n import current_lang
from ruhrkg.server.web.render import PROBLEM, backend, problem, select, settings

bp = Blueprint("reconcile", __name__, url_prefix="/reconcile")

VERSIONS = ["0.1", "0.2"]
MAX_QUERIES = 100  # queries per batch (the manifest's batchSize)
MAX_BATCH_CHARS = 500_000  # characters of the queries= / extend= JSON
MAX_IDS = 500  # ids per data extension request
SUGGEST_LIMIT = 10
PREVIEW_SIZE = (400, 200)  # width, height of OpenRefine's preview iframe
_CALLBACK = re.compile(r"[A-Za-z_$][\w$]{0,63}(?:\.[A-Za-z_$][\w$]{0,63}){0,4}")

_index_lock = threading.Lock()


def current_index() -> Index:
    """The index of the current build: built on first use, rebuilt after a rebuild (a new dataset version)."""
    holder = current_app.extensions.setdefault("ruhrkg_reconcile", {})
    version = backend().version
    index = holder.get("index")
    if index is not None and index.version == version:
        return index
    with _index_lock:
        index = holder.get("index")
        if index is None or index.version != version:
            index = holder["index"] = build_index(version, select)
    return index


# --------------------------------------------------------------------------- errors and answers


@bp.errorhandler(ReconcileError)
def _bad_input(e: ReconcileError):
    return problem(e.status, e.message)


@bp.errorhandler(QueryServiceError)
def _store_error(e: QueryServiceError):
    logging.getLogger(__name__).warning("reconciliation could not read the graph: %s", e.message)
    return problem(503 if e.status >= 500 else e.status, f"the graph could not be read: {e.message}")


@bp.errorhandler(HTTPException)
def _http_error(e: HTTPException):
    resp = problem(e.code or 500, e.description or e.name)
    for k, v in e.get_headers():
        if k.lower() not in ("content-type", "content-length"):
            resp.headers[k] = v
    return resp


@bp.errorhandler(UnicodeDecodeError)
def _not_utf8(e: UnicodeDecodeError):
    return problem(400, "the request is not valid UTF-8")


@bp.errorhandler(RecursionError)
def _too_deep(e: RecursionError):
    return problem(400, "the JSON is nested too deeply")


def callback() -> str | None:
    """The JSONP callback, if any; 400 unless it is a plain (dotted) JavaScript identifier."""
    name = request.values.get("callback")
    if name is None or name == "":
        return None
    if not _CALLBACK.fullmatch(name):
        raise ReconcileError(400, "callback must be a JavaScript identifier (letters, digits, _, $ and dots)")
    return name


def answer(data) -> Response:
    """JSON, or JSONP if there is a ``callback``."""
    cb = callback()
    text = json.dumps(data, ensure_ascii=False)
    if cb:
        # the comment guards against content sniffing of a callback that starts the body
        resp = Response(f"/**/{cb}({text});\n", mimetype="application/javascript")
    else:
        resp = Response(text + "\n", mimetype="application/json")
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp


def param(name: str) -> str | None:
    """A parameter from the form body (POST) or the query string."""
    if request.method == "POST" and name in request.form:
        return request.form[name]
    return request.args.get(name)


def load_json(name: str, text: str):
    if len(text) > MAX_BATCH_CHARS:
        raise ReconcileError(413, f"{name} is longer than {MAX_BATCH_CHARS} characters")
    try:
        return json.loads(text, parse_constant=_no_constant)
    except ValueError as e:
        raise ReconcileError(400, f"{name} is not valid JSON: {e}") from None


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")



def candidate_json(index: Index, c: Candidate, lang: str) -> dict:
    """A candidate as the API shows it."""
    e = c.entity
    item = {
        "id": e.iri,
        "name": e.name(lang),
        "type": [{"id": t, "name": index.type_name(t, lang)} for t in e.types],
        "score": c.score,
        "match": c.match,
    }
    description = index.description(e, lang)
    if description:
        item["description"] = description
    features = [{"id": "type_match", "value": c.typed}]
    if c.name_score is not None:
        features[:0] = [{"id": "name_score", "value": c.name_score}, {"id": "name_exact", "value": c.exact}]
    if c.prop_score is not None:
        features.append({"id": "property_score", "value": c.prop_score})
    item["features"] = features
    return item



# --------------------------------------------------------------------------- the service endpoint


@bp.route("", methods=["GET", "POST"], strict_slashes=False)
def service():
    """The manifest, or answers to ``queries=``, ``query=`` (0.1) or ``extend=``."""
    callback()  # a bad callback is an error before anything else
    queries, single, extend = param("queries"), param("query"), param("extend")
    given = [n for n, v in (("queries", queries), ("query", single), ("extend", extend)) if v is not None]
    if len(given) > 1:
        raise ReconcileError(400, f"send one of queries=, query= and extend=, not {' and '.join(given)}")
    if not given:
        if request.method == "POST":
            raise ReconcileError(400, "missing parameter: a POST needs queries= (or extend=), form-encoded")
        return answer(manifest(current_index()))
    index, lang = current_index(), current_lang()
    if extend is not None:
        return answer(extension(index, load_json("extend", extend), lang))
    if single is not None:
        obj = load_json("query", single) if single.lstrip().startswith("{") else single
        return answer({"result": _results(index, {"query": parse_query("query", obj)}, lang)["query"]})
    return answer({key: {"result": found} for key, found in _results(index, _batch(queries), lang).items()})


def _batch(text: str) -> dict:
    """The checked queries of a ``queries=`` batch, by key."""
    batch = load_json("queries", text)
    if not isinstance(batch, dict):
        raise ReconcileError(400, 'queries must be a JSON object: {"q0": {"query": "..."}, ...}')
    if len(batch) > MAX_QUERIES:
        raise ReconcileError(413, f"at most {MAX_QUERIES} queries per batch, not {len(batch)}")
    if any(len(key) > 100 for key in batch):
        raise ReconcileError(400, "a query key is longer than 100 characters")
    return {key: parse_query(key, obj) for key, obj in batch.items()}


def _results(index: Index, queries: dict, lang: str) -> dict[str, list[dict]]:
    """The candidates of every query as JSON, within the work limits of the settings."""
    limits = settings()
    found = reconcile_batch(index, queries, lang, max_comparisons=limits.reconcile_max_comparisons,
                            seconds=limits.reconcile_seconds)  # fmt: skip
    return {key: [candidate_json(index, c, lang) for c in candidates] for key, candidates in found.items()}


def _external(endpoint: str, **values) -> str:
    return base_url() + url_for(endpoint, **values)


def manifest(index: Index) -> dict:
    lang = current_lang()
    root = _external("reconcile.service")
    return {
        "versions": VERSIONS,
        "name": "Ruhr-Konferenz – Wissensgraph / knowledge graph (ruhrkg)",
        "identifierSpace": ID,
        "schemaSpace": DEF,
        "documentation": _external("api.docs") + "#reconcile",
        "serviceVersion": index.version,
        "batchSize": MAX_QUERIES,
        "defaultTypes": [{"id": t, "name": index.type_name(t, lang)} for t in DEFAULT_TYPES if t in index.classes],
        "view": {"url": _external("reconcile.view") + "?id={{id}}"},
        "preview": {
            "url": _external("reconcile.preview") + "?id={{id}}",
            "width": PREVIEW_SIZE[0],
            "height": PREVIEW_SIZE[1],
        },
        "suggest": {
            kind: {"service_url": root, "service_path": f"/suggest/{kind}"} for kind in ("entity", "type", "property")
        },
        "extend": {
            "propose_properties": {"service_url": root, "service_path": "/properties"},
            "property_settings": [
                {
                    "name": "limit",
                    "label": "Limit",
                    "type": "number",
                    "default": 0,
                    "help_text": "Maximum number of values per cell (0: all) / Höchstzahl der Werte je Zelle (0: alle)",
                },
            ],
        },
    }


# --------------------------------------------------------------------------- data extension


def extension(index: Index, obj, lang: str) -> dict:
    if not isinstance(obj, dict) or not isinstance(obj.get("ids"), list) or not isinstance(obj.get("properties"), list):
        raise ReconcileError(400, 'extend must be a JSON object {"ids": [...], "properties": [{"id": ...}]}')
    ids, props = obj["ids"], obj["properties"]
    if len(ids) > MAX_IDS or len(props) > 50:
        raise ReconcileError(413, f"at most {MAX_IDS} ids and 50 properties per request")
    ids = [text_value("extend.ids[]", i) for i in ids]
    wanted = []
    for i, p in enumerate(props):
        if not isinstance(p, dict) or not isinstance(p.get("id"), str):
            raise ReconcileError(400, f'extend.properties[{i}] must be an object with a string "id"')
        settings = p.get("settings") or {}
        if not isinstance(settings, dict):
            raise ReconcileError(400, f"extend.properties[{i}].settings must be an object")
        limit = int_value(f"extend.properties[{i}].settings.limit", settings.get("limit"), 0, 0, MAX_LIMIT)
        wanted.append((text_value(f"extend.properties[{i}].id", p["id"]), index.prop(p["id"]), limit))
    meta = []
    for pid, prop, _ in wanted:
        m = {"id": pid, "name": prop.name(lang) if prop else pid}
        if prop and prop.value_type:
            m["type"] = {"id": prop.value_type, "name": index.type_name(prop.value_type, lang)}
        meta.append(m)
    rows = {}
    for ident in ids:
        e = index.entity(ident)
        row = {}
        for pid, prop, limit in wanted:
            values = index.values(e, prop, lang) if e and prop else []
            cells = [extension_cell(index, prop, v, lang) for v in values]
            row[pid] = cells[:limit] if limit else cells
        rows[ident] = row
    return {"meta": meta, "rows": rows}


def extension_cell(index: Index, prop: Prop, v: Value, lang: str) -> dict:
    if prop.key == "wikidata":
        return {"str": v.value.rsplit("/", 1)[1]}
    if v.is_iri:
        e = index.entities.get(v.value)
        return {"id": v.value, "name": e.name(lang) if e else qname(v.value)}
    if v.datatype == XSD_INTEGER and re.fullmatch(r"[+-]?\d+", v.value):
        return {"int": int(v.value)}
    return {"str": v.value}


@bp.route("/properties")
def properties():
    """Data extension property proposals for a type (all properties if no type is given)."""
    callback()
    index, lang = current_index(), current_lang()
    raw_type = text_value("type", request.args.get("type", ""))
    limit = int_value("limit", request.args.get("limit"), 0, 0, MAX_LIMIT)
    props = index.props_for(index.type_iri(raw_type) if raw_type else None)
    out = {"type": raw_type, "properties": [{"id": p.iri, "name": p.name(lang)} for p in props]}
    if limit:
        out["properties"], out["limit"] = out["properties"][:limit], limit
    return answer(out)


# --------------------------------------------------------------------------- suggest


def _prefix_rank(prefix: str, keys) -> int | None:
    """0 if a key starts with ``prefix``, 1 if every word of it starts a word of a key, else None."""
    words = prefix.split()
    best = None
    for k in keys:
        if k.startswith(prefix):
            return 0
        if best is None and all(any(t.startswith(w) for t in k.split()) for w in words):
            best = 1
    return best


def _suggest_args() -> tuple[str, int, int]:
    callback()
    raw = request.args.get("prefix")
    if raw is None:
        raise ReconcileError(400, "missing parameter: prefix")
    prefix = fold(text_value("prefix", raw))
    limit = int_value("limit", request.args.get("limit"), SUGGEST_LIMIT, 1, MAX_LIMIT, MAX_RESULTS)
    cursor = int_value("cursor", request.args.get("cursor"), 0, 0, MAX_LIMIT)
    return prefix, limit, cursor


def _ranked(items, prefix: str, cursor: int, limit: int) -> list:
    """``items`` are (keys, sort name, id, payload); those matching ``prefix``, best first, paged.
    Keys None: the item is named by its id, it comes first."""
    found = []
    for keys, name, ident, payload in items:
        rank = -1 if keys is None else 0 if not prefix else _prefix_rank(prefix, keys)
        if rank is not None:
            found.append((rank, name.casefold(), ident, payload))
    found.sort(key=lambda x: x[:3])
    return [x[3] for x in found[cursor : cursor + limit]]


@bp.route("/suggest/entity")
def suggest_entity():
    prefix, limit, cursor = _suggest_args()
    index, lang = current_index(), current_lang()
    raw_type = text_value("type", request.args.get("type", ""))
    wanted = index.type_iri(raw_type) if raw_type else None
    by_id = index.entity(request.args["prefix"]) if len(request.args["prefix"]) > 2 else None
    items = []
    for e in index.entities.values():
        if wanted and wanted not in e.all_types:
            continue
        item = {"id": e.iri, "name": e.name(lang)}
        description = index.description(e, lang)
        if description:
            item["description"] = description
        item["notable"] = [{"id": t, "name": index.type_name(t, lang)} for t in e.types]
        keys = None if e is by_id else e.keys
        items.append((keys, e.name(lang), e.iri, item))
    return answer({"result": _ranked(items, prefix, cursor, limit)})


@bp.route("/suggest/type")
def suggest_type():
    prefix, limit, cursor = _suggest_args()
    index, lang = current_index(), current_lang()
    items = []
    for t in index.types:
        info = index.classes[t]
        names = [*info.labels.values(), qname(t), t.rsplit("#", 1)[-1].rsplit("/", 1)[-1]]
        item = {"id": t, "name": info.name(lang)}
        if info.comment(lang):
            item["description"] = info.comment(lang)
        items.append(({fold(n) for n in names}, info.name(lang), t, item))
    return answer({"result": _ranked(items, prefix, cursor, limit)})


@bp.route("/suggest/property")
def suggest_property():
    prefix, limit, cursor = _suggest_args()
    lang = current_lang()
    items = []
    for p in PROPERTIES:
        names = [p.de, p.en, p.key, qname(p.iri), *p.aliases]
        item = {"id": p.iri, "name": p.name(lang), "description": qname(p.iri)}
        items.append(({fold(n) for n in names}, p.name(lang), p.iri, item))
    return answer({"result": _ranked(items, prefix, cursor, limit)})


# --------------------------------------------------------------------------- preview and view


def _entity_param(index: Index) -> Entity:
    raw = request.args.get("id")
    if raw is None or not raw.strip():
        raise ReconcileError(400, "missing parameter: id (an entity IRI, e.g. https://w3id.org/ruhrkg/id/city/essen)")
    e = index.entity(text_value("id", raw))
    if e is None:
        raise ReconcileError(404, f"{raw} is not an entity of this dataset")
    return e


PREVIEW_STYLE = (
    "body{font:13px/1.35 system-ui,sans-serif;margin:6px 8px;color:#222}h1{font-size:15px;margin:0 0 2px}"
    "a{color:#0b57a4}p{margin:0 0 4px;color:#555}dl{margin:0;display:grid;grid-template-columns:max-content 1fr;"
    "gap:1px 8px}dt{color:#555}dd{margin:0}"
)


@bp.route("/preview")
def preview():
    """A small HTML page about one entity, for OpenRefine's preview iframe."""
    index, lang = current_index(), current_lang()
    e = _entity_param(index)
    links = Links.current()
    page = base_url() + links.href(e.iri)

    def link(v: Value) -> Markup:
        text = escape(index.show(v, lang))
        if v.is_iri and v.value in index.entities:
            return Markup('<a href="{}" target="_blank" rel="noopener">{}</a>').format(
                base_url() + links.href(v.value), text
            )
        return text

    facts = []
    for p in PROPERTIES:
        values = e.facts.get(p.key, []) if p.key not in NOT_PREVIEWED else []
        if values:
            shown = Markup(", ").join(link(v) for v in values[:4]) + (" …" if len(values) > 4 else "")
            name = p.name(lang)
            facts.append(Markup("<dt>{}</dt><dd>{}</dd>").format(name[:1].upper() + name[1:], shown))
        if len(facts) == 6:
            break
    types = ", ".join(index.type_name(t, lang) for t in e.types)
    body = Markup(
        '<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{name}</title>'
        "<style>{style}</style></head><body>"
        '<h1><a href="{page}" target="_blank" rel="noopener">{name}</a></h1>'
        "<p>{types} · <code>{qname}</code></p><dl>{facts}</dl></body></html>\n"
    ).format(
        lang=lang, name=e.name(lang), style=Markup(PREVIEW_STYLE), page=page, types=types, qname=qname(e.iri),
        facts=Markup("").join(facts),
    )  # fmt: skip
    resp = Response(str(body), mimetype="text/html")
    resp.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp


@bp.route("/view")
def view():
    """The manifest's view template: redirects to the entity's page."""
    e = _entity_param(current_index())
    return redirect(Links.current().href(e.iri), code=303)


# --------------------------------------------------------------------------- OpenAPI


def openapi_paths() -> dict:
    """The ``/reconcile`` operation for the app's OpenAPI document (the other routes are in the manifest)."""
    string = {"type": "string"}
    problem_ref = {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    params = [
        {"name": "queries", "in": "query", "required": False, "schema": string,
         "description": 'A batch of reconciliation queries as JSON: `{"q0": {"query": "Ulrich Paetzel", '
                        '"type": "https://w3id.org/ruhrkg/def#Person", "limit": 3}}`'},
        {"name": "query", "in": "query", "required": False, "schema": string,
         "description": "One query (API 0.1): a string or a JSON query object; answered `{\"result\": [...]}`"},
        {"name": "extend", "in": "query", "required": False, "schema": string,
         "description": 'Data extension: `{"ids": [IRI, ...], "properties": [{"id": IRI}]}`'},
        {"name": "callback", "in": "query", "required": False, "schema": string,
         "description": "JSONP: wrap the answer in a call of this JavaScript function"},
    ]  # fmt: skip
    responses = {
        "200": {
            "description": "Without parameters the service manifest; else the answers, keyed like the queries.",
            "content": {"application/json": {"schema": {"type": "object"}}},
        },
        "400": {"description": "Malformed input (the reason is in `detail`)", "content": problem_ref},
        "413": {"description": "Too many queries in one batch, or more work than a batch may take", "content": problem_ref},
    }
    description = (
        "The W3C Reconciliation Service API (versions 0.1 and 0.2) for OpenRefine: add this URL as a standard "
        "service. Without parameters it answers the manifest. `queries=` (form-encoded POST, or GET) is a JSON "
        "batch; candidates are persons, ministries (also by code, e.g. `MKW`), organisations, venues, cities, "
        "forums and events, matched by their labels and scored 0-100, with the entity IRI as `id`; `match` is true "
        "only for an exact (normalised) label match that is at least 10 points ahead of the next candidate. "
        "Also `/reconcile/suggest/entity`, `/reconcile/suggest/type` and `/reconcile/suggest/property` "
        "(`prefix=`), `/reconcile/preview?id=`, `/reconcile/view?id=`, `/reconcile/properties?type=` and "
        "`extend=` (data extension). JSONP with `callback=`."
    )
    return {
        "/reconcile": {
            "get": {
                "operationId": "reconcile",
                "summary": "Reconciliation service (OpenRefine): manifest and queries",
                "x-summary-de": "Abgleichdienst (OpenRefine): Manifest und Abfragen",
                "description": description,
                "tags": ["reconciliation"],
                "parameters": params,
                "responses": responses,
            },
            "post": {
                "operationId": "reconcilePost",
                "summary": "Reconciliation queries or data extension, form-encoded",
                "tags": ["reconciliation"],
                "requestBody": {
                    "content": {
                        "application/x-www-form-urlencoded": {
                            "schema": {"type": "object", "properties": {"queries": string, "extend": string}}
                        }
                    }
                },
                "responses": responses,
            },
        }
    }