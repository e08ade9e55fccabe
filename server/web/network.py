"""The network pages and downloads; the networks themselves are built in :mod:`ruhrkg.graph.network`.

Routes:

- ``/network/ministries`` (``mode=all|lead``) and ``/network/persons``: the pages;
- ``?focus=`` selects a node (``MWIDE``, ``person:ulrich-paetzel``, ``forum:04``) or an edge (two node ids
  joined by ``~``: ``MKW~MWIDE``), so a URL reproduces the exact view; the page renders the selection's forums
  server-side, and ``/network/<kind>/details`` renders the same panel alone for the page's script.
- ``/network/<kind>.json|.graphml|.gexf|.csv``: the data for the chosen mode: JSON, GraphML, GEXF 1.3 and a
  CSV edge list (``Source,Target,Weight,Forums``) for Gephi, networkx, spreadsheets.

The networks are computed from SPARQL results of the current build (through the query service, cached per
build like every result), so they always match the saved queries.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for

from ruhrkg.graph.network import (
    DEFINITIONS,
    DOWNLOADS,
    KINDS,
    MODE_NAMES,
    MODES,
    Network,
    as_csv,
    as_gexf,
    as_graphml,
    as_json,
    ministry_network,
    person_network,
)
from ruhrkg.graph.query import values
from ruhrkg.mappings.vocab import BASE
from ruhrkg.server.query.errors import QueryServiceError
from ruhrkg.server.web import i18n
from ruhrkg.server.web.render import backend, conditional, json_bytes, select

bp = Blueprint("network", __name__)


def _rows(name: str) -> list[dict[str, str]]:
    return values(select(name))


def _local(iri: str) -> str:
    """The path of one of our IRIs on this server (``https://w3id.org/ruhrkg/id/forum/04`` -> ``/id/forum/04``)."""
    if iri.startswith(BASE):
        return request.script_root + "/" + iri[len(BASE) :]
    return iri


def load(kind: str, mode: str | None) -> Network:
    if kind not in KINDS:
        abort(404)
    modes = MODES[kind]
    mode = mode or modes[0]
    if mode not in modes:
        abort(400, description=f"mode={mode!r} is unknown for the {kind} network; use one of {', '.join(modes)}")
    return ministry_network(mode, _rows, _local) if kind == "ministries" else person_network(_rows, _local)


def _json(net: Network) -> dict:
    downloads = {fmt: _download_url(net, fmt) for fmt in DOWNLOADS}
    return as_json(net, version=backend().version, downloads=downloads)


def _download_url(net: Network, fmt: str) -> str:
    mode = net.mode if len(MODES[net.kind]) > 1 else None
    return url_for("network.data", kind=net.kind, fmt=fmt, mode=mode)


# --------------------------------------------------------------------------- views


@bp.errorhandler(QueryServiceError)
def _query_error(e: QueryServiceError):
    return Response(f"{e.status} {e.message}\n", status=e.status, mimetype="text/plain")


@bp.route("/network/")
def index():
    return redirect(url_for("network.ministries"))


@bp.route("/network/ministries")
def ministries():
    return _page("ministries")


@bp.route("/network/persons")
def persons():
    return _page("persons")


def _view_url(net: Network, focus: str | None = None) -> str:
    mode = net.mode if len(MODES[net.kind]) > 1 else None
    return url_for(f"network.{net.kind}", mode=mode, focus=focus or None)


def _context(net: Network, focus: str | None) -> dict:
    lang = i18n.current_lang()
    focus_kind, focus_id = net.resolve(focus)
    return {
        "net": net,
        "lang": lang,
        "focus": focus,
        "focus_kind": focus_kind,
        "focus_id": focus_id,
        "view_url": lambda f=None: _view_url(net, f),
        "name": lambda node: node["names"].get(lang) or node["names"]["de"],
        "mode_names": MODE_NAMES,
        "definition": DEFINITIONS[(net.kind, net.mode)][lang],
        "modes": MODES[net.kind],
    }


def _page(kind: str) -> Response:
    net = load(kind, request.args.get("mode"))
    focus = request.args.get("focus", "").strip() or None
    ctx = _context(net, focus)
    data = _json(net) | {
        "focus": ctx["focus_id"],
        "lang": ctx["lang"],
        "details": url_for("network.details", kind=kind),
        "view": url_for(f"network.{kind}"),
    }
    html = render_template("network.html", data=data, **ctx)
    resp = Response(html, mimetype="text/html")
    resp.headers["Vary"] = "Accept-Language, Cookie"
    return conditional(resp, "page", kind, net.mode, focus, ctx["lang"])


@bp.route("/network/<any(ministries, persons):kind>/details")
def details(kind: str):
    """The details panel for ``focus=`` alone (an HTML fragment), for the page's script."""
    net = load(kind, request.args.get("mode"))
    ctx = _context(net, request.args.get("focus", "").strip() or None)
    resp = Response(render_template("network_details.html", **ctx), mimetype="text/html")
    resp.headers["Vary"] = "Accept-Language, Cookie"
    return conditional(resp, "details", kind, net.mode, ctx["focus"], ctx["lang"])


@bp.route("/network/<any(ministries, persons):kind>.<any(json, graphml, gexf, csv):fmt>")
def data(kind: str, fmt: str):
    net = load(kind, request.args.get("mode"))
    if fmt == "json":
        body = json_bytes(_json(net))
    elif fmt == "gexf":
        body = as_gexf(net, version=backend().version, built=backend().build.manifest["built_at"])
    else:
        body = {"graphml": as_graphml, "csv": as_csv}[fmt](net)
    resp = Response(body, content_type=DOWNLOADS[fmt])
    if fmt != "json":
        name = f"ruhrkg-{kind}" + (f"-{net.mode}" if len(MODES[kind]) > 1 else "") + f".{fmt}"
        resp.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return conditional(resp, "data", kind, net.mode, fmt)
