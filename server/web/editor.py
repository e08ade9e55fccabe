"""The query editor: YASGUI (vendored under ``static/vendor/yasgui``) on our endpoint, with our prefixes and
the saved queries, and a plain form that GETs ``/sparql`` without JavaScript.

- ``/editor``: the page (browsers asking ``GET /sparql`` for HTML get it too);
- ``/editor/prefixes.json``: our prefixes for the editor's autocompletion (the format of prefix.cc).
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, render_template, request, url_for

from ruhrkg.graph import saved
from ruhrkg.mappings.vocab import PREFIXES, sparql_prologue
from ruhrkg.server.sparql.description import base_url
from ruhrkg.server.web import i18n
from ruhrkg.server.web.render import conditional

bp = Blueprint("editor", __name__)



def default_query() -> str:
    """Our prefixes, then the query of ``graph/rq/editor-default.rq`` (without its own PREFIX lines)."""
    body = saved.internal("editor-default").body
    return sparql_prologue() + "\n\n" + "".join(line + "\n" for line in body.splitlines() if not line.startswith("PREFIX"))


def editor_response() -> Response:
    """The editor page (also usable for ``GET /sparql`` from a browser)."""
    lang = i18n.current_lang()
    endpoint_path = "/sparql"
    queries = [
        {
            "name": q.name,
            "summary": q.summary[lang],
            "tags": list(q.tags),
            "query": q.body,
            "parameters": [p.name for p in q.parameters],
        }
        for q in saved.load_all()
    ]
    start = default_query()
    data = {
        "endpoint": endpoint_path,
        "prefixes": PREFIXES,
        "prefixesUrl": url_for("editor.editor_prefixes"),
        "defaultQuery": start,
        "queries": queries,
        "persistenceId": "ruhrkg_editor",
        "tabName": "Query" if lang == "en" else "Abfrage",
        "lang": lang,
    }
    text = request.args.get("query")
    html = render_template(
        "editor.html",
        data=data,
        endpoint_url=base_url() + endpoint_path,
        queries=queries,
        prefixes=PREFIXES,
        form_query=text if text is not None else start,
    )
    resp = Response(html, mimetype="text/html")
    resp.headers["Vary"] = "Accept-Language, Cookie"
    return resp


@bp.route("/editor")
def editor():
    return editor_response()


@bp.route("/editor/prefixes.json")
def editor_prefixes():
    """Our prefixes as ``{prefix: namespace}`` (the format of prefix.cc), for the editor's autocompletion."""
    return conditional(Response(json.dumps(PREFIXES, indent=1), mimetype="application/json"), "prefixes")
