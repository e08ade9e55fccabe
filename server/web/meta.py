"""Self-description and downloads: VoID and DCAT, and the dumps.

- ``/.well-known/void``: VoID (class and property partitions with counts) and DCAT (DCAT-AP.de
  compatible: the dataset, one distribution per dump format, the endpoint as a data service).
- ``/downloads/<file>``: the dumps written at build time (their index page is
  :mod:`ruhrkg.server.web.downloads`), with ``Content-Disposition``, an ``ETag``
  (the dataset version), ``Last-Modified`` and conditional GET.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from flask import Blueprint, abort, send_file
from rdflib import Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, VOID, XSD

from ruhrkg.graph.export import DUMP_FORMATS
from ruhrkg.mappings import iris
from ruhrkg.mappings.mapper import LICENSE
from ruhrkg.server.sparql.description import DCATDE, base_url, new_graph, rdf_response
from ruhrkg.server.web import render

bp = Blueprint("meta", __name__)


@bp.route("/.well-known/void")
def void():
    """VoID and DCAT description of the dataset, its dumps and the endpoint."""
    backend = render.backend()
    manifest = backend.build.manifest
    base = base_url()
    g = new_graph()
    d = iris.dataset()
    built = manifest["built_at"]
    g.add((d, RDF.type, VOID.Dataset))
    g.add((d, RDF.type, DCAT.Dataset))
    g.add((d, DCTERMS.title, Literal("Ruhr-Konferenz: Wissensgraph der 20 Themenforen", lang="de")))
    g.add((d, DCTERMS.title, Literal("Ruhr-Konferenz: knowledge graph of the 20 thematic forums", lang="en")))
    g.add((d, DCTERMS.description, Literal(
        "Every forum, ministry, person, role, event, venue and date of the Steckbriefe der 20 Themenforen (1 June 2019) "
        "as linked data, each traceable to its lines in the source.", lang="en")))  # fmt: skip
    g.add((d, DCTERMS.license, LICENSE))
    g.add((d, DCTERMS.source, iris.source()))
    g.add((d, DCTERMS.modified, Literal(built, datatype=XSD.dateTime)))
    g.add((d, DCTERMS.language, URIRef("http://publications.europa.eu/resource/authority/language/DEU")))
    g.add((d, DCTERMS.spatial, URIRef("http://dcat-ap.de/def/politicalGeocoding/stateKey/05")))
    g.add((d, DCAT.theme, URIRef("http://publications.europa.eu/resource/authority/data-theme/GOVE")))
    g.add((d, DCAT.keyword, Literal("Ruhr-Konferenz", lang="de")))
    g.add((d, DCAT.keyword, Literal("Themenforen", lang="de")))
    g.add((d, DCTERMS.publisher, URIRef(base + "/")))
    g.add((URIRef(base + "/"), RDF.type, FOAF.Agent))
    g.add((URIRef(base + "/"), FOAF.name, Literal("ruhrkg")))
    g.add(
        (
            d,
            DCATDE.licenseAttributionByText,
            Literal(
                "ruhrkg, nach: Landesregierung Nordrhein-Westfalen, Steckbriefe der 20 Themenforen (2019)", lang="de"
            ),
        )
    )
    g.add((d, URIRef("http://www.w3.org/2002/07/owl#versionInfo"), Literal(backend.version)))
    g.add((d, VOID.sparqlEndpoint, URIRef(base + "/sparql")))
    g.add((d, VOID.uriSpace, Literal("https://w3id.org/ruhrkg/id/")))
    g.add((d, VOID.vocabulary, URIRef("https://w3id.org/ruhrkg/def#")))
    g.add((d, VOID.triples, Literal(manifest["triples"]["data"], datatype=XSD.integer)))
    g.add((d, VOID.dataDump, URIRef(f"{base}/downloads/ruhrkg.nt.gz")))
    parts = manifest.get("partitions", {})
    for cls, n in parts.get("classes", {}).items():
        cp = URIRef(f"{d}/void/class/{hashlib.sha1(cls.encode()).hexdigest()[:12]}")
        g.add((d, VOID.classPartition, cp))
        g.add((cp, VOID["class"], URIRef(cls)))
        g.add((cp, VOID.entities, Literal(n, datatype=XSD.integer)))
    for prop, n in parts.get("properties", {}).items():
        pp = URIRef(f"{d}/void/property/{hashlib.sha1(prop.encode()).hexdigest()[:12]}")
        g.add((d, VOID.propertyPartition, pp))
        g.add((pp, VOID.property, URIRef(prop)))
        g.add((pp, VOID.triples, Literal(n, datatype=XSD.integer)))
    downloads = backend.build.downloads
    for fmt in DUMP_FORMATS:
        for gz in (False, True):
            name = f"ruhrkg.{fmt.value.extension}" + (".gz" if gz else "")
            path = downloads / name
            if not path.exists():
                continue
            dist = URIRef(f"{base}/downloads/{name}#distribution")
            g.add((d, DCAT.distribution, dist))
            g.add((dist, RDF.type, DCAT.Distribution))
            g.add((dist, DCTERMS.title, Literal(f"{fmt.value.name}{' (gzip)' if gz else ''}", lang="en")))
            g.add((dist, DCAT.downloadURL, URIRef(f"{base}/downloads/{name}")))
            g.add((dist, DCAT.accessURL, URIRef(f"{base}/downloads/{name}")))
            g.add(
                (dist, DCAT.mediaType, URIRef(f"https://www.iana.org/assignments/media-types/{fmt.value.media_type}"))
            )
            if gz:
                g.add(
                    (dist, DCAT.compressFormat, URIRef("https://www.iana.org/assignments/media-types/application/gzip"))
                )
            g.add((dist, DCAT.byteSize, Literal(path.stat().st_size, datatype=XSD.nonNegativeInteger)))
            g.add((dist, DCTERMS.license, LICENSE))
            g.add((dist, DCTERMS.modified, Literal(built, datatype=XSD.dateTime)))
    svc = URIRef(base + "/sparql#service")
    g.add((svc, RDF.type, DCAT.DataService))
    g.add((svc, DCTERMS.title, Literal("ruhrkg SPARQL endpoint", lang="en")))
    g.add((svc, DCAT.endpointURL, URIRef(base + "/sparql")))
    g.add((svc, DCAT.endpointDescription, URIRef(base + "/sparql")))
    g.add((svc, DCAT.servesDataset, d))
    g.add((svc, DCTERMS.license, LICENSE))
    g.add((d, DCAT.distribution, svc))
    return rdf_response(g, etag_parts=("void",))


@bp.route("/downloads/<name>")
def download(name: str):
    backend = render.backend()
    allowed = {p.name for p in backend.build.downloads.iterdir()}
    if name not in allowed:
        abort(404, description=f"no download named {name!r}; see /downloads/")
    path = backend.build.downloads / name
    fmt = next(f for f in DUMP_FORMATS if name.startswith(f"ruhrkg.{f.value.extension}"))
    gz = name.endswith(".gz")
    built = dt.datetime.fromisoformat(backend.build.manifest["built_at"])
    resp = send_file(
        path,
        mimetype="application/gzip" if gz else fmt.value.media_type,
        as_attachment=True,
        download_name=name,
        etag=backend.build.manifest["content_hash"][:32] + ("-gz" if gz else ""),
        last_modified=built,
        conditional=True,
        max_age=3600,
    )
    return resp
