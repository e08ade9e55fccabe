"""Self-description and downloads: VoID and DCAT, and the dumps.

- ``/.well-known/void``: the dataset description of :mod:`ruhrkg.graph.dataset` (VoID with class and property
  partitions, DCAT-AP.de 3.0: the dataset, one distribution per dump, the endpoint as a data service), with this
  server's URLs, the dumps' sizes and the publisher and contact point of its settings.
- ``/downloads/<file>``: the dumps written at build time (their index page is
  :mod:`ruhrkg.server.web.downloads`), with ``Content-Disposition``, an ``ETag``
  (the dataset version), ``Last-Modified`` and conditional GET.
"""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, send_file

from ruhrkg.graph import dataset
from ruhrkg.graph.export import downloads
from ruhrkg.server.sparql.description import base_url, rdf_response
from ruhrkg.server.web import render

bp = Blueprint("meta", __name__)


@bp.route("/.well-known/void")
def void():
    """The dataset description (:func:`ruhrkg.graph.dataset.description`) with this server's URLs and dump sizes."""
    backend = render.backend()
    directory = backend.build.downloads
    sizes = {d.name: (directory / d.name).stat().st_size for d in downloads() if (directory / d.name).is_file()}
    g = dataset.description(dataset.Facts.from_manifest(backend.build.manifest), publisher=render.settings().publisher(),
                            base=base_url(), sizes=sizes)  # fmt: skip
    return rdf_response(g, etag_parts=("void",))


@bp.route("/downloads/<name>")
def download(name: str):
    backend = render.backend()
    file = next((d for d in downloads() if d.name == name), None)
    path = backend.build.downloads / name
    if file is None or not path.is_file():
        abort(404, description=f"no download named {name!r}; see /downloads/")
    built = dt.datetime.fromisoformat(backend.build.manifest["built_at"])
    resp = send_file(
        path,
        mimetype=file.served_type,
        as_attachment=True,
        download_name=name,
        etag=backend.build.manifest["content_hash"][:32] + ("-gz" if file.gzip else ""),
        last_modified=built,
        conditional=True,
        max_age=3600,
    )
    return resp
