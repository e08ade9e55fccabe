"""Home (``/``), about (``/about``) and the ontology documentation (``/def``, ``/def/shapes``).

Every page is rendered on the server (no JavaScript needed), in German or English, and cached per
(dataset version, base URL, page, language) in the backend's result cache. ``/def`` documents every term of the
packaged ontology (``ontology/ruhrkg.ttl``) under an anchor named by its local name, so that the terms'
IRIs (``https://w3id.org/ruhrkg/def#Forum``) land on their documentation; its RDF twin is the ontology
itself in Turtle (the file as written), JSON-LD, N-Triples or RDF/XML.
"""

from __future__ import annotations

import functools
from importlib import metadata, resources

import pyoxigraph as ox
from flask import Blueprint, Response, render_template, url_for
from rdflib import OWL, RDF, RDFS, Literal, URIRef
from rdflib.namespace import DCTERMS

from ruhrkg.graph.history import history
from ruhrkg.graph.query import qname, values
from ruhrkg.graph.shared import ontology_graph
from ruhrkg.mappings import iris
from ruhrkg.mappings.vocab import DEF, GRAPHS
from ruhrkg.server.web.entities import href, serialize
from ruhrkg.server.web.i18n import current_lang
from ruhrkg.server.web.render import (
    RDF_TWINS,
    alternates,
    backend,
    negotiate,
    not_acceptable,
    respond,
    select,
    select_saved,
)

bp = Blueprint("pages", __name__)

TOP_PAIRS = 5  # ministry pairs on the home page


def _page(name: str, make_context) -> Response:
    """An HTML page, rendered once per dataset version and language from ``make_context()``."""
    if negotiate(("html",)) is None:
        return not_acceptable(("html",))

    def make() -> bytes:
        return render_template(f"{name}.html", **make_context()).encode("utf-8")

    return respond((name, current_lang()), "html", make)


@bp.route("/")
def home():
    """What the dataset is, its counts, the forums, the most frequent ministry pairs, and links to everything."""

    def context() -> dict:
        pairs = values(select_saved("ministry-co-participation"))[:TOP_PAIRS]
        for p in pairs:
            p["a_href"], p["b_href"] = (href(str(iris.ministry(p[k]))) for k in ("ministryA", "ministryB"))
        manifest = backend().build.manifest
        return {"forums": values(select("home-forums")), "pairs": pairs, "manifest": manifest, "href": href}

    return _page("home", context)


@bp.route("/about")
def about():
    """Method, licences, how to cite, the named graphs, where the code lives."""

    def context() -> dict:
        manifest = backend().build.manifest
        graphs = [(name, str(iri), manifest.get("triples", {}).get(name)) for name, iri in GRAPHS.items()]
        return {"graphs": graphs, "manifest": manifest, "project_urls": _project_urls()}

    return _page("about", context)


def _project_urls() -> list[tuple[str, str]]:
    """``Project-URL`` entries of the installed package (e.g. the repository), as (label, url)."""
    try:
        entries = metadata.metadata("ruhrkg").get_all("Project-URL") or []
    except metadata.PackageNotFoundError:  # pragma: no cover - bare checkout
        return []
    return [tuple(part.strip() for part in e.split(",", 1)) for e in entries if "," in e]


# -- the ontology -------------------------------------------------------------------------------------

ONTOLOGY_IRI = URIRef(DEF.rstrip("#"))
KINDS = (  # section id, owl type, German and English heading
    ("classes", OWL.Class, "Klassen", "Classes"),
    ("object-properties", OWL.ObjectProperty, "Objekteigenschaften", "Object properties"),
    ("datatype-properties", OWL.DatatypeProperty, "Datentypeigenschaften", "Datatype properties"),
    ("individuals", OWL.NamedIndividual, "Individuen", "Individuals"),
)
CHARACTERISTICS = {
    OWL.FunctionalProperty: ("funktional", "functional"),
    OWL.InverseFunctionalProperty: ("invers funktional", "inverse functional"),
}


VANN = "http://purl.org/vocab/vann/"  # the ontology header uses it; the data's prefix map does not


def _qname(iri: str) -> str:
    return "vann:" + iri[len(VANN) :] if iri.startswith(VANN) else qname(iri)


def _ref(node) -> dict:
    """A link to a term: ours to its anchor, others to their IRI."""
    iri = str(node)
    if iri.startswith(DEF):
        return {"text": _qname(iri), "href": "#" + iri[len(DEF) :], "iri": iri}
    return {"text": _qname(iri).strip("<>"), "href": iri, "iri": iri}


def _by_lang(g, s, p) -> dict[str, str]:
    return {(o.language or ""): str(o) for o in g.objects(s, p) if isinstance(o, Literal)}


def _term(g, s) -> dict:
    iri = str(s)
    return {
        "id": iri[len(DEF) :] if iri.startswith(DEF) else _qname(iri),
        "iri": iri,
        "qname": _qname(iri),
        "label": _by_lang(g, s, RDFS.label),
        "comment": _by_lang(g, s, RDFS.comment),
        "characteristics": [CHARACTERISTICS[t] for t in g.objects(s, RDF.type) if t in CHARACTERISTICS],
        "super": sorted((_ref(o) for o in g.objects(s, RDFS.subClassOf)), key=lambda r: r["text"])
        + sorted((_ref(o) for o in g.objects(s, RDFS.subPropertyOf)), key=lambda r: r["text"]),
        "sub": sorted(
            (_ref(o) for p in (RDFS.subClassOf, RDFS.subPropertyOf) for o in g.subjects(p, s)), key=lambda r: r["text"]
        ),
        "domain": [_ref(o) for o in g.objects(s, RDFS.domain)],
        "range": [_ref(o) for o in g.objects(s, RDFS.range)],
        "inverse": [_ref(o) for o in g.objects(s, OWL.inverseOf)] + [_ref(o) for o in g.subjects(OWL.inverseOf, s)],
    }


@functools.cache
def ontology_model() -> dict:
    """The packaged ontology as the documentation page shows it (language-neutral, built once)."""
    g = ontology_graph()
    o = ONTOLOGY_IRI
    sections = []
    for section, kind, de, en in KINDS:
        terms = sorted((s for s in g.subjects(RDF.type, kind) if str(s).startswith(DEF)), key=lambda s: str(s).lower())
        sections.append({"id": section, "de": de, "en": en, "terms": [_term(g, s) for s in terms]})
    external = sorted(
        {s for s in g.subjects(RDFS.label, None) if isinstance(s, URIRef) and not str(s).startswith(DEF) and s != o},
        key=str,
    )
    sections.append(
        {
            "id": "external",
            "de": "Nachgenutzte Begriffe anderer Vokabulare",
            "en": "Terms reused from other vocabularies",
            "terms": [_term(g, s) for s in external],
        }
    )
    return {
        "iri": str(o),
        "title": _by_lang(g, o, DCTERMS.title),
        "description": _by_lang(g, o, DCTERMS.description),
        "version": str(g.value(o, OWL.versionInfo) or ""),
        "version_iri": str(g.value(o, OWL.versionIRI) or ""),
        "license": str(g.value(o, DCTERMS.license) or ""),
        "created": str(g.value(o, DCTERMS.created) or ""),
        "history": history(g, o),
        "creator": str(g.value(o, DCTERMS.creator) or ""),
        "sections": sections,
    }


def _ontology_file(name: str) -> bytes:
    return resources.files("ruhrkg.ontology").joinpath(name).read_bytes()


@functools.cache
def _ontology_as(fmt: str) -> bytes:
    """The ontology in one of the RDF twin formats (Turtle: the packaged file, comments and all)."""
    text = _ontology_file("ruhrkg.ttl")
    if fmt == "turtle":
        return text
    return serialize(ox.parse(text, ox.RdfFormat.TURTLE), fmt)


@bp.route("/def/")
@bp.route("/def")
def ontology():
    """The ontology: documentation page for browsers, the ontology itself for RDF clients."""
    offered = ("html", "turtle", "jsonld", "rdfxml", "ntriples")
    fmt = negotiate(offered)
    if fmt is None:
        return not_acceptable(offered)
    alts = alternates(offered, fmt, lambda n: url_for("pages.ontology", format=n))
    if fmt in RDF_TWINS:
        return respond(("def", fmt), fmt, lambda: _ontology_as(fmt), links=alts)
    partitions = backend().build.manifest.get("partitions", {})
    usage = {**partitions.get("classes", {}), **partitions.get("properties", {})}

    def make() -> bytes:
        return render_template("ontology.html", o=ontology_model(), usage=usage, alternates=alts).encode("utf-8")

    return respond(("def", fmt, current_lang()), fmt, make, links=alts)


@bp.route("/def/shapes")
def shapes():
    """The SHACL shapes the build validates the data against (Turtle)."""
    return respond(("shapes",), "turtle", lambda: _ontology_file("shapes.ttl"))
