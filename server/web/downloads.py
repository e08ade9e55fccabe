"""The downloads page: ``/downloads/`` lists the dumps of the current build.

Browsers get an HTML page: every dump with its format, size, SHA-256, licence and the dataset version, and
snippets to load it (``oxigraph load``, rdflib, pandas with SPARQLWrapper against our endpoint, curl).
Other clients get the same list as JSON, as before (``Accept: application/json``, or no ``Accept``). The files
themselves are served by :func:`ruhrkg.server.meta.download`; :func:`ruhrkg.graph.export.describe_dumps`
describes them.
"""

from __future__ import annotations

import json

from flask import Blueprint, current_app, render_template, request, url_for

from ruhrkg.graph.export import describe_dumps
from ruhrkg.mappings.mapper import LICENSE
from ruhrkg.server.i18n import current_lang
from ruhrkg.server.meta import base_url
from ruhrkg.server.web.twins import cached, wants_html

bp = Blueprint("downloads", __name__)


def _listing() -> dict:
    backend = current_app.extensions["ruhrkg"]
    files = []
    for d in describe_dumps(backend.build.downloads):
        files.append({
            "name": d.name, "url": url_for("meta.download", name=d.name, _external=True), "bytes": d.bytes,
            "sha256": d.sha256, "format": d.format.value.name, "mediaType": d.media_type,
            "compression": "gzip" if d.gzip else None, "graphs": d.graphs, "license": str(LICENSE),
        })  # fmt: skip
    return {"version": backend.version, "built": backend.build.manifest["built_at"], "license": str(LICENSE),
            "files": files}  # fmt: skip


@bp.route("/downloads/")
def index():
    """The dumps: an HTML page for browsers, JSON for everyone else."""
    lang, base = current_lang(), base_url()
    alts = [{"type": "application/json", "href": url_for("downloads.index", format="json"), "name": "JSON"}]
    if request.args.get("format") == "json" or not wants_html():
        return cached(("downloads.json", base), "application/json",
                      lambda: json.dumps(_listing(), ensure_ascii=False, indent=1).encode("utf-8"))  # fmt: skip

    def make() -> bytes:
        listing = _listing()
        return render_template("downloads.html", listing=listing, base=base, alternates=alts).encode("utf-8")

    return cached(("downloads", lang, base), "text/html; charset=utf-8", make, links=alts)
