"""Self-description and downloads: the SPARQL Service Description, VoID and DCAT, and the dumps.

- ``GET /sparql`` without a query: a SPARQL 1.1 Service Description (Turtle, JSON-LD, N-Triples or
  RDF/XML by ``Accept``; browsers asking for HTML get the query page).
- ``/.well-known/void``: VoID (class and property partitions with counts) and DCAT (DCAT-AP.de
  compatible: the dataset, one distribution per dump format, the endpoint as a data service).
- ``/downloads/<file>``: the dumps written at build time, with ``Content-Disposition``, an ``ETag``
  (the dataset version), ``Last-Modified`` and conditional GET.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from flask import Blueprint, Response, abort, current_app, request, send_file, url_for
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, VOID, XSD

from ruhrkg.graph import dataset
from ruhrkg.graph.export import DUMP_FORMATS
from ruhrkg.mappings.vocab import DCATDE, GRAPHS, PREFIXES
from ruhrkg.server import formats

bp = Blueprint("meta", __name__)
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
W3C_FORMATS = Namespace("http://www.w3.org/ns/formats/")

DESCRIPTION_TYPES = (formats.GRAPHS[0], formats.GRAPHS[4], formats.GRAPHS[1], formats.GRAPHS[5])


def base_url() -> str:
    configured = current_app.config["RUHRKG"].public_url
    return (configured or request.host_url).rstrip("/")


def _graph(prefixes: bool = True) -> Graph:
    g = Graph()
    for p, ns in PREFIXES.items():
        g.bind(p, ns, replace=True)
    g.bind("sd", SD)
    g.bind("dcatde", DCATDE)
    return g


def rdf_response(g: Graph, *, etag_parts: tuple = ()) -> Response:
    """Serialise ``g`` in the negotiated RDF format (``format=`` overrides ``Accept``)."""
    fmt = request.args.get("format")
    media = (
        formats.by_format_parameter("construct", fmt)
        if fmt
        else formats.negotiate("construct", request.headers.get("Accept"))
    )
    if media not in DESCRIPTION_TYPES:
        media = formats.GRAPHS[0]
    rdflib_format = {"turtle": "turtle", "jsonld": "json-ld", "ntriples": "nt", "rdfxml": "xml"}[media.name]
    backend = current_app.extensions["ruhrkg"]
    etag = '"' + hashlib.sha256(repr((backend.version, media.name, *etag_parts)).encode()).hexdigest()[:32] + '"'
    if etag in request.headers.get("If-None-Match", ""):
        return Response(status=304, headers={"ETag": etag})
    body = g.serialize(format=rdflib_format, encoding="utf-8")
    resp = Response(body, mimetype=media.mime + ("; charset=utf-8" if media.mime.startswith("text/") else ""))
    resp.headers.update({"ETag": etag, "Vary": "Accept", "Cache-Control": "public, max-age=300"})
    return resp


def service_description() -> Response:
    """The SPARQL 1.1 Service Description of ``/sparql`` (HTML goes to the query page)."""
    accept = request.accept_mimetypes
    if "format" not in request.args and accept.quality("text/html") > max(
        accept.quality("text/turtle"), accept.quality("application/ld+json")
    ):
        from ruhrkg.server.network import editor_response

        return editor_response()
    backend = current_app.extensions["ruhrkg"]
    base = base_url()
    g = _graph()
    svc = URIRef(base + "/sparql")
    g.add((svc, RDF.type, SD.Service))
    g.add((svc, SD.endpoint, svc))
    g.add((svc, SD.supportedLanguage, SD.SPARQL11Query))
    for feature in ("BasicFederatedQuery", "UnionDefaultGraph", "RequiresDataset"):
        if feature != "RequiresDataset":
            g.add((svc, SD.feature, SD[feature]))
    for mt in formats.RESULTS + formats.GRAPHS:
        g.add((svc, SD.resultFormat, W3C_FORMATS[mt.w3c]))
    g.add((svc, RDFS.label, Literal("ruhrkg SPARQL endpoint (read-only)", lang="en")))
    g.add((svc, RDFS.comment, Literal(
        "Default graph: the data and the ontology. Add dataset=inferred for the OWL-RL entailments, dataset=union for every "
        "graph, or name graphs with default-graph-uri / named-graph-uri. SPARQL Update is refused. SERVICE is allowed to: "
        + ", ".join(current_app.config["RUHRKG"].service_allowlist or ["(none)"]), lang="en")))  # fmt: skip
    g.add((svc, RDFS.seeAlso, URIRef(base + "/.well-known/void")))
    ds = BNode("defaultDataset")
    g.add((svc, SD.defaultDataset, ds))
    g.add((ds, RDF.type, SD.Dataset))
    g.add((ds, DCTERMS.title, Literal("ruhrkg", lang="en")))
    g.add((ds, VOID.sparqlEndpoint, svc))
    sizes = backend.graph_sizes()
    default = BNode("defaultGraph")
    g.add((ds, SD.defaultGraph, default))
    g.add((default, RDF.type, SD.Graph))
    g.add((default, VOID.triples, Literal(sizes.get(str(GRAPHS["data"]), 0) + sizes.get(str(GRAPHS["ontology"]), 0))))
    for name, n in sorted(sizes.items()):
        ng = BNode("graph-" + name.rsplit("/", 1)[-1])
        g.add((ds, SD.namedGraph, ng))
        g.add((ng, RDF.type, SD.NamedGraph))
        g.add((ng, SD.name, URIRef(name)))
        gg = BNode("g-" + name.rsplit("/", 1)[-1])
        g.add((ng, SD.graph, gg))
        g.add((gg, RDF.type, SD.Graph))
        g.add((gg, VOID.triples, Literal(n, datatype=XSD.integer)))
    return rdf_response(g, etag_parts=("sd", base))


@bp.route("/.well-known/void")
def void():
    """The dataset description (:func:`ruhrkg.graph.dataset.description`) with this server's URLs and dump sizes."""
    backend = current_app.extensions["ruhrkg"]
    downloads = backend.build.downloads
    files = [dataset.Download(d.name, (downloads / d.name).stat().st_size)
             for d in dataset.dumps() if (downloads / d.name).exists()]  # fmt: skip
    g = dataset.description(dataset.Facts.from_manifest(backend.build.manifest), settings=dataset.Settings.from_env(),
                            base=base_url(), downloads=files)  # fmt: skip
    return rdf_response(g, etag_parts=("void", base_url()))


@bp.route("/downloads/")
def downloads_index():
    """The dumps of the current build, as JSON."""
    backend = current_app.extensions["ruhrkg"]
    files = []
    for path in sorted(backend.build.downloads.iterdir()):
        files.append({"name": path.name, "url": url_for("meta.download", name=path.name, _external=True),
                      "bytes": path.stat().st_size})  # fmt: skip
    return {"version": backend.version, "files": files}


@bp.route("/downloads/<name>")
def download(name: str):
    backend = current_app.extensions["ruhrkg"]
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
