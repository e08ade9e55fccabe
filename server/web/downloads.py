"""The downloads page: ``/downloads/`` lists the files of the current build (the RDF dumps and the links as SSSOM).

Browsers get an HTML page: every file with its format, size, SHA-256, licence and the dataset version, and
snippets to load the dumps (``oxigraph load``, rdflib, pandas with SPARQLWrapper against our endpoint, curl).
Other clients get the same list as JSON (``Accept: application/json``, ``*/*``, no ``Accept``, or
``?format=json``). The files themselves are served by :func:`ruhrkg.server.web.meta.download`;
:func:`ruhrkg.graph.export.describe_dumps` describes them.
"""

from __future__ import annotations

from flask import Blueprint, render_template, url_for

from ruhrkg.graph.export import describe_dumps
from ruhrkg.mappings.vocab import CC_BY_4
from ruhrkg.server.sparql.description import base_url
from ruhrkg.server.web.i18n import current_lang
from ruhrkg.server.web.render import alternates, backend, json_bytes, negotiate, not_acceptable, respond

bp = Blueprint("downloads", __name__)

#: JSON first: clients that say nothing (or ``*/*``) get the list, as before there was a page.
OFFERED = ("json", "html")


def listing(base: str) -> dict:
    """The dumps as the JSON twin lists them; URLs under ``base`` (part of every cache key)."""
    build = backend().build
    files = []
    for d in describe_dumps(build.downloads):
        f = d.file
        files.append({
            "name": f.name, "url": f"{base}/downloads/{f.name}", "bytes": d.bytes, "sha256": d.sha256,
            "format": f.format, "mediaType": f.served_type, "compression": "gzip" if f.gzip else None,
            "graphs": f.graphs, "license": CC_BY_4,
        })  # fmt: skip
    return {"version": build.version, "built": build.manifest["built_at"], "license": CC_BY_4, "files": files}


@bp.route("/downloads/")
def index():
    """The dumps: an HTML page for browsers, JSON for everyone else."""
    fmt = negotiate(OFFERED)
    if fmt is None:
        return not_acceptable(OFFERED)
    base = base_url()
    alts = alternates(OFFERED, fmt, lambda n: url_for("downloads.index", format=n))
    if fmt == "json":
        return respond(("downloads", fmt), fmt, lambda: json_bytes(listing(base)), links=alts)

    def make() -> bytes:
        return render_template("downloads.html", listing=listing(base), base=base, alternates=alts).encode("utf-8")

    return respond(("downloads", fmt, current_lang()), fmt, make, links=alts)

