"""The SPARQL 1.1 Service Description of ``/sparql`` (``GET /sparql`` without a query), and the negotiation of
the small RDF documents the server describes itself with (Turtle, JSON-LD, N-Triples or RDF/XML by ``Accept``
or ``format=``). Browsers asking for HTML get the query editor.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, VOID, XSD

from ruhrkg.mappings.vocab import DCATDE, GRAPHS, PREFIXES
from ruhrkg.server.sparql import formats

bp = Blueprint("sparql", __name__)
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
W3C_FORMATS = Namespace("http://www.w3.org/ns/formats/")
DESCRIPTION_TYPES = (formats.GRAPHS[0], formats.GRAPHS[4], formats.GRAPHS[1], formats.GRAPHS[5])


def base_url() -> str:
    """The server's public URL: ``public_url`` if configured, else the request's host."""
    configured = current_app.config["RUHRKG"].public_url
    return (configured or request.host_url).rstrip("/")


@bp.route("/sparql", methods=["GET"])
def endpoint():
    """``GET /sparql`` without a query (queries never reach Flask: :mod:`ruhrkg.server.wsgi` sends them to the
    protocol core)."""
    return service_description()


def new_graph(prefixes: bool = True) -> Graph:
    g = Graph()
    for p, ns in PREFIXES.items():
        g.bind(p, ns, replace=True)
    g.bind("sd", SD)
    g.bind("dcatde", DCATDE)
    return g


def rdf_response(g: Graph, *, etag_parts: tuple = ()) -> Response:
    """Serialise ``g`` in the negotiated RDF format (``format=`` overrides ``Accept``); its ETag names the build,
    the base URL, the format and ``etag_parts``."""
    fmt = request.args.get("format")
    media = (
        formats.by_format_parameter("construct", fmt)
        if fmt
        else formats.negotiate("construct", request.headers.get("Accept"))
    )
    if media not in DESCRIPTION_TYPES:
        media = formats.GRAPHS[0]
    rdflib_format = {"turtle": "turtle", "jsonld": "json-ld", "ntriples": "nt", "rdfxml": "xml"}[media.name]
    etag = '"' + current_app.extensions["ruhrkg"].cache_key("rdf", base_url(), media.name, *etag_parts) + '"'
    if etag in request.headers.get("If-None-Match", ""):
        return Response(status=304, headers={"ETag": etag})
    body = g.serialize(format=rdflib_format, encoding="utf-8")
    resp = Response(body, content_type=formats.content_type(media.mime))
    resp.headers.update({"ETag": etag, "Vary": "Accept", "Cache-Control": "public, max-age=300"})
    return resp


def service_description() -> Response:
    """The SPARQL 1.1 Service Description of ``/sparql`` (HTML goes to the query page)."""
    accept = request.accept_mimetypes
    if "format" not in request.args and accept.quality("text/html") > max(
        accept.quality("text/turtle"), accept.quality("application/ld+json")
    ):
        return current_app.view_functions["editor.editor"]()  # the editor's view, without importing the web layer
    backend = current_app.extensions["ruhrkg"]
    base = base_url()
    g = new_graph()
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
    return rdf_response(g, etag_parts=("sd",))


