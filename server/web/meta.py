"""Self-description and downloads: VoID and DCAT, and the dumps.

- ``/.well-known/void``: the dataset description of :mod:`ruhrkg.graph.dataset` (VoID with class and property
  partitions, DCAT-AP.de 3.0: the dataset, one distribution per dump, the endpoint as a data service), with this
  server's URLs, the dumps' sizes and the publisher and contact point of its settings.
- ``/downloads/<file>``: the dumps written at build time, with ``Content-Disposition``, an ``ETag``
  (the dataset version), ``Last-Modified`` and conditional GET.
"""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, send_file, url_for

from ruhrkg.graph import dataset
from ruhrkg.graph.export import DUMP_FORMATS
from ruhrkg.server.sparql.description import base_url, rdf_response
from ruhrkg.server.web import render

bp = Blueprint("meta", __name__)


@bp.route("/.well-known/void")
def void():
    """The dataset description (:func:`ruhrkg.graph.dataset.description`) with this server's URLs and dump sizes."""
    backend = render.backend()
    downloads = backend.build.downloads
    files = [dataset.Download(d.name, (downloads / d.name).stat().st_size)
             for d in dataset.dumps() if (downloads / d.name).exists()]  # fmt: skip
    g = dataset.description(dataset.Facts.from_manifest(backend.build.manifest), publisher=render.settings().publisher(),
                            base=base_url(), downloads=files)  # fmt: skip
    return rdf_response(g, etag_parts=("void",))


@bp.route("/downloads/")
def downloads_index():
    """The dumps of the current build, as JSON."""
    backend = render.backend()
    files = []
    for path in sorted(backend.build.downloads.iterdir()):
        files.append({"name": path.name, "url": url_for("meta.download", name=path.name, _external=True),
                      "bytes": path.stat().st_size})  # fmt: skip
    return {"version": backend.version, "files": files}


@bp.route("/downloads/<name>")
def download(name: str):
    backend = render.backend()
    allowed = {p.name for p in backend.build.downloads.iterdir()}
    if name not in allowed:
        abort(404, description=f"no download named {name!r}; see /downloads/")
    path = backend.build.downloads / name
    fmt = next((f for f in DUMP_FORMATS if name.startswith(f"ruhrkg.{f.value.extension}")), None)
    gz = name.endswith(".gz")
    media_type = "application/gzip" if gz else fmt.value.media_type if fmt else "text/tab-separated-values"  # SSSOM
    built = dt.datetime.fromisoformat(backend.build.manifest["built_at"])
    resp = send_file(
        path,
        mimetype=media_type,
        as_attachment=True,
        download_name=name,
        etag=backend.build.manifest["content_hash"][:32] + ("-gz" if gz else ""),
        last_modified=built,
        conditional=True,
        max_age=3600,
    )
    return resp
