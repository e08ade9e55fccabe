"""The one description of the dataset (VoID, DCAT, DCAT-AP.de 3.0), with no HTTP in it.

The build writes it into the data graph (URLs under the permanent base ``https://w3id.org/ruhrkg``, no byte
sizes: the dumps are written after it), and ``/.well-known/void`` serves it again with the server's public
base, the byte sizes of the dumps and the property partitions. Both call :func:`description`; the IRIs of the
dataset, its distributions, the data service, the publisher and the contact point are the same in both, only
the URLs (``dcat:downloadURL``, ``dcat:endpointURL``) follow ``base``.

The profile is DCAT-AP.de 3.0 (GovData's shapes on top of SEMIC's DCAT-AP 3.0.0 shapes; tests/test_dcat_ap_de.py
runs them): the licence from the DCAT-AP.de licence vocabulary, formats from the EU file-type table, the
SPARQL endpoint as a ``dcat:DataService`` reached through a distribution's ``dcat:accessService``, NRW's
political geocoding (``dct:spatial``, ``dcatde:politicalGeocodingLevelURI`` ``state``), access rights from the EU table.

>>> facts = Facts(version="0.1.0+abc", built_at=dt.datetime(2026, 12, 5, tzinfo=dt.UTC), triples=10, entities=2)
>>> g = description(facts, publisher=Publisher())
>>> (iris.dataset(), DCAT_VERSION, Literal("0.1.0+abc")) in g
True
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, PROV, RDF, RDFS, VOID, XSD

from ruhrkg.graph.export import downloads
from ruhrkg.mappings import iris
from ruhrkg.mappings.vocab import BASE, DCATDE, PREFIXES, VCARD

EU = "http://publications.europa.eu/resource/authority/"
IANA = "https://www.iana.org/assignments/media-types/"

#: CC BY 4.0 as the DCAT-AP.de licence vocabulary names it (http://dcat-ap.de/def/licenses/).
#: DCAT 3's version (rdflib's DCAT namespace is DCAT 2 and lacks it); owl:versionInfo is deprecated in DCAT-AP.de 3.0.
DCAT_VERSION = URIRef(str(DCAT) + "version")
LICENSE = URIRef("http://dcat-ap.de/def/licenses/cc-by/4.0")
ACCESS_PUBLIC = URIRef(EU + "access-right/PUBLIC")
LANGUAGE_DE = URIRef(EU + "language/DEU")
THEME_GOVERNMENT = URIRef(EU + "data-theme/GOVE")
#: NRW in the political geocoding of DCAT-AP.de: state key 05, level "state" (Bundesland).
GEOCODING_NRW = URIRef("http://dcat-ap.de/def/politicalGeocoding/stateKey/05")
GEOCODING_LEVEL_STATE = URIRef("http://dcat-ap.de/def/politicalGeocoding/Level/state")
#: The EU file-type table's entry for each dump format (by the format's name in graph.export).
FILE_TYPES = {
    "turtle": "RDF_TURTLE",
    "ntriples": "RDF_N_TRIPLES",
    "nquads": "RDF_N_QUADS",
    "trig": "RDF_TRIG",
    "jsonld": "JSON_LD",
    "rdfxml": "RDF_XML",
}
#: The first publication of the dataset (the first release of ruhrkg).
ISSUED = dt.date(2026, 11, 26)


@dataclass(frozen=True)
class Publisher:
    """Who publishes the dataset and whom to contact: settings, not facts of the source.

    Each field has a ``RUHRKG_<FIELD>`` variable: ``RUHRKG_PUBLISHER_NAME``, ``RUHRKG_PUBLISHER_URL``,
    ``RUHRKG_CONTACT_NAME``, ``RUHRKG_CONTACT_EMAIL``, ``RUHRKG_CONTACT_URL``. ``ruhrkg build`` reads them with
    :meth:`from_env`; the web app through its settings (:meth:`ruhrkg.server.config.Settings.publisher`). An empty
    value keeps the default.

    >>> Publisher.from_env({"RUHRKG_PUBLISHER_NAME": "Land NRW", "RUHRKG_CONTACT_URL": ""}).publisher_name
    'Land NRW'
    """

    publisher_name: str = "ruhrkg"
    publisher_url: str = BASE
    contact_name: str = "ruhrkg"
    contact_email: str | None = None
    contact_url: str = "https://w3id.org/ruhrkg/about"

    @classmethod
    def of(cls, **values: str | None) -> Publisher:
        """The publisher with these values, the default for each that is empty or None."""
        return cls(**{k: v for k, v in values.items() if v})

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Publisher:
        env = os.environ if env is None else env
        return cls.of(**{f.name: env.get(f"RUHRKG_{f.name.upper()}") for f in fields(cls)})


@dataclass(frozen=True)
class Facts:
    """What a build knows about its data graph (the counts describe the facts, not this description)."""

    version: str
    built_at: dt.datetime
    triples: int
    entities: int
    class_counts: Mapping[str, int] = field(default_factory=dict)
    property_counts: Mapping[str, int] = field(default_factory=dict)
    #: the first and the last date of the events (``dct:temporal``), None for a document without dates
    temporal: tuple[dt.date, dt.date] | None = None

    def to_manifest(self) -> dict:
        return {"version": self.version, "built_at": self.built_at.isoformat(), "triples": self.triples,
                "entities": self.entities, "classes": dict(self.class_counts),
                "temporal": [d.isoformat() for d in self.temporal] if self.temporal else None}  # fmt: skip

    @classmethod
    def from_manifest(cls, manifest: Mapping) -> Facts:
        """The facts a build's manifest (``build.json``) records; property partitions from its ``partitions``."""
        d = manifest.get("dataset", {})
        parts = manifest.get("partitions", {})
        temporal = d.get("temporal")
        return cls(
            version=manifest["version"],
            built_at=dt.datetime.fromisoformat(manifest["built_at"]),
            triples=d.get("triples", manifest.get("triples", {}).get("data", 0)),
            entities=d.get("entities", 0),
            class_counts=parts.get("classes") or d.get("classes", {}),
            property_counts=parts.get("properties", {}),
            temporal=tuple(dt.date.fromisoformat(x) for x in temporal) if temporal else None,
        )


def description(
    facts: Facts, *, publisher: Publisher, base: str = BASE.rstrip("/"), sizes: Mapping[str, int] | None = None
) -> Graph:
    """The dataset, its distributions, the SPARQL endpoint as a data service, publisher and contact point.

    ``publisher``: who publishes it and the contact point. ``base``: where the service answers
    (``https://w3id.org/ruhrkg`` in the data graph, the public URL at ``/.well-known/void``). ``sizes``: the byte size of each file present in the downloads directory (default: every file
    of :func:`ruhrkg.graph.export.downloads`, sizes unknown).
    """
    g = Graph()
    for prefix, ns in PREFIXES.items():
        g.bind(prefix, ns, replace=True)
    g.bind("dcatde", DCATDE)
    g.bind("vcard", VCARD)
    base = base.rstrip("/")
    d, svc = iris.dataset(), iris.data_service()
    agent, contact = iris.agent("ruhrkg"), URIRef(f"{iris.agent('ruhrkg')}#contact")
    modified = Literal(facts.built_at.isoformat(), datatype=XSD.dateTime)
    add = g.add

    def common(node: URIRef) -> None:
        add((node, DCTERMS.license, LICENSE))
        add((node, DCTERMS.accessRights, ACCESS_PUBLIC))

    add((d, RDF.type, DCAT.Dataset))
    add((d, RDF.type, VOID.Dataset))
    for lang, title in (("de", "Ruhr-Konferenz: Wissensgraph der 20 Themenforen"),
                        ("en", "Ruhr-Konferenz: knowledge graph of the 20 thematic forums")):  # fmt: skip
        add((d, RDFS.label, Literal(title, lang=lang)))
        add((d, DCTERMS.title, Literal(title, lang=lang)))
    add((d, DCTERMS.description, Literal(
        "Jedes Themenforum, Ressort, jede Person, Rolle, Veranstaltung, jeder Ort und jedes Datum der Steckbriefe der "
        "20 Themenforen (1. Juni 2019) als Linked Data, jede Aussage bis zu ihren Zeilen in der Quelle nachvollziehbar.",
        lang="de")))  # fmt: skip
    add((d, DCTERMS.description, Literal(
        "Every forum, ministry, person, role, event, venue and date printed in the Steckbriefe der 20 Themenforen "
        "(1 June 2019), as linked data, each fact traceable to its lines in the source.", lang="en")))  # fmt: skip
    common(d)
    add((d, DCATDE.licenseAttributionByText, Literal(
        "ruhrkg, nach: Landesregierung Nordrhein-Westfalen, Steckbriefe der 20 Themenforen (2019)", lang="de")))  # fmt: skip
    add((d, PROV.wasDerivedFrom, iris.source()))
    add((d, DCTERMS.language, LANGUAGE_DE))
    add((d, DCAT.theme, THEME_GOVERNMENT))
    for kw in ("Ruhr-Konferenz", "Themenforen", "Ruhrgebiet", "Landesregierung Nordrhein-Westfalen"):
        add((d, DCAT.keyword, Literal(kw, lang="de")))
    # DCAT-AP.de 3.0: dct:spatial with the political geocoding IRI (dcatde:politicalGeocodingURI is deprecated), which
    # is a dct:Location, and its level
    add((d, DCTERMS.spatial, GEOCODING_NRW))
    add((GEOCODING_NRW, RDF.type, DCTERMS.Location))
    add((d, DCATDE.politicalGeocodingLevelURI, GEOCODING_LEVEL_STATE))
    add((d, DCTERMS.issued, Literal(ISSUED.isoformat(), datatype=XSD.date)))
    add((d, DCTERMS.modified, modified))
    add((d, PROV.generatedAtTime, modified))
    add((d, DCAT_VERSION, Literal(facts.version)))
    if facts.temporal:
        period = URIRef(f"{d}#temporal")
        add((d, DCTERMS.temporal, period))
        add((period, RDF.type, DCTERMS.PeriodOfTime))
        add((period, DCAT.startDate, Literal(facts.temporal[0].isoformat(), datatype=XSD.date)))
        add((period, DCAT.endDate, Literal(facts.temporal[1].isoformat(), datatype=XSD.date)))
    add((d, DCTERMS.publisher, agent))
    add((d, DCAT.contactPoint, contact))
    add((agent, RDF.type, FOAF.Agent))
    add((agent, FOAF.name, Literal(publisher.publisher_name)))
    add((agent, FOAF.homepage, URIRef(publisher.publisher_url)))
    add((contact, RDF.type, VCARD.Kind))
    add((contact, RDF.type, VCARD.Organization))
    add((contact, VCARD.fn, Literal(publisher.contact_name)))
    if publisher.contact_email:
        add((contact, VCARD.hasEmail, URIRef(f"mailto:{publisher.contact_email}")))
    add((contact, VCARD.hasURL, URIRef(publisher.contact_url)))

    # VoID
    add((d, VOID.sparqlEndpoint, URIRef(base + "/sparql")))
    add((d, VOID.uriSpace, Literal(BASE + "id/")))
    add((d, VOID.vocabulary, URIRef(BASE + "def#")))
    add((d, VOID.triples, Literal(facts.triples, datatype=XSD.integer)))
    add((d, VOID.entities, Literal(facts.entities, datatype=XSD.integer)))
    add((d, VOID.dataDump, URIRef(f"{base}/downloads/ruhrkg.nt.gz")))
    for cls, n in sorted(facts.class_counts.items()):
        part = iris.class_partition(_partition_key(cls))
        add((d, VOID.classPartition, part))
        add((part, VOID["class"], URIRef(cls)))
        add((part, VOID.entities, Literal(n, datatype=XSD.integer)))
    for prop, n in sorted(facts.property_counts.items()):
        part = iris.property_partition(_partition_key(prop))
        add((d, VOID.propertyPartition, part))
        add((part, VOID.property, URIRef(prop)))
        add((part, VOID.triples, Literal(n, datatype=XSD.integer)))

    # distributions: the dumps, and the SPARQL endpoint through its data service
    for dl in downloads():
        if sizes is not None and dl.name not in sizes:
            continue
        dist, url = iris.distribution(dl.name), URIRef(f"{base}/downloads/{dl.name}")
        add((d, DCAT.distribution, dist))
        add((dist, RDF.type, DCAT.Distribution))
        if dl.format == "sssom":  # the links to Wikidata (mappings/sssom.py)
            title, file_type = "Links to Wikidata (SSSOM TSV)", "TSV"
        else:
            title, file_type = f"{dl.format}{' (gzip)' if dl.gzip else ''}", FILE_TYPES[dl.format]
        media_type = dl.media_type
        add((dist, DCTERMS.title, Literal(title, lang="en")))
        add((dist, DCAT.downloadURL, url))
        add((dist, DCAT.accessURL, url))
        add((dist, DCTERMS.format, URIRef(EU + "file-type/" + file_type)))
        add((dist, DCAT.mediaType, URIRef(IANA + media_type)))
        if dl.gzip:
            add((dist, DCAT.compressFormat, URIRef(IANA + "application/gzip")))
        if sizes is not None:
            add((dist, DCAT.byteSize, Literal(sizes[dl.name], datatype=XSD.nonNegativeInteger)))
        common(dist)
        add((dist, DCTERMS.modified, modified))
    endpoint = iris.distribution("sparql")
    add((d, DCAT.distribution, endpoint))
    add((endpoint, RDF.type, DCAT.Distribution))
    add((endpoint, DCTERMS.title, Literal("SPARQL-Endpunkt", lang="de")))
    add((endpoint, DCTERMS.title, Literal("SPARQL endpoint", lang="en")))
    add((endpoint, DCAT.accessURL, URIRef(base + "/sparql")))
    add((endpoint, DCAT.accessService, svc))
    common(endpoint)
    add((endpoint, DCTERMS.modified, modified))
    add((svc, RDF.type, DCAT.DataService))
    add((svc, DCTERMS.title, Literal("ruhrkg SPARQL-Endpunkt (nur lesend)", lang="de")))
    add((svc, DCTERMS.title, Literal("ruhrkg SPARQL endpoint (read-only)", lang="en")))
    add((svc, DCAT.endpointURL, URIRef(base + "/sparql")))
    add((svc, DCAT.endpointDescription, URIRef(base + "/sparql")))
    add((svc, DCAT.servesDataset, d))
    add((svc, DCTERMS.publisher, agent))
    add((svc, DCAT.contactPoint, contact))
    common(svc)
    return g


def _partition_key(iri: str) -> str:
    """``rk:Forum`` -> ``forum`` (the partition IRIs in use), any other ``prefix:Local`` -> ``prefix-local``."""
    for prefix, ns in PREFIXES.items():
        if iri.startswith(str(ns)):
            local = iri[len(str(ns)) :]
            return local if prefix == "rk" else f"{prefix}-{local}"
    return iri.rsplit("/", 1)[-1].rsplit("#", 1)[-1]
