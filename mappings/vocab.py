"""Namespaces of ruhrkg and the closed vocabulary of its ontology.

``RK`` is a closed namespace: ``RK.Forum`` works, ``RK.Forumm`` raises
``AttributeError``. A test checks that every term listed here is declared in
``ontology/ruhrkg.ttl`` with German and English labels, and that every term
the data uses is declared there.

>>> RK.Forum
rdflib.term.URIRef('https://w3id.org/ruhrkg/def#Forum')
>>> RK.Forumm
Traceback (most recent call last):
...
AttributeError: term 'Forumm' not in namespace 'https://w3id.org/ruhrkg/def#'
"""

from __future__ import annotations

from rdflib import Namespace
from rdflib.namespace import (
    DCAT,
    DCTERMS,
    FOAF,
    ORG,
    OWL,
    PROV,
    RDF,
    RDFS,
    SDO,
    SH,
    SKOS,
    VOID,
    XSD,
    DefinedNamespace,
)
from rdflib.term import URIRef

BASE = "https://w3id.org/ruhrkg/"
DEF = BASE + "def#"
#: The licence of the data (CC BY 4.0) as people and SSSOM know it; DCAT-AP.de names it by its own vocabulary
#: (:data:`ruhrkg.graph.dataset.LICENSE`).
CC_BY_4 = "https://creativecommons.org/licenses/by/4.0/"
ID = BASE + "id/"
#: Documents about the things of ``ID`` (``/id/...`` answers 303 See Other with ``/doc/...``).
DOC = BASE + "doc/"
GRAPH = BASE + "graph/"

#: Open namespace for instance data (IRIs are minted in :mod:`ruhrkg.mappings.iris`).
RKID = Namespace(ID)

#: schema.org, in its https form.
SCHEMA = SDO

#: OGC GeoSPARQL 1.1 (points as WKT, CRS84: longitude before latitude).
GEO = Namespace("http://www.opengis.net/ont/geosparql#")


class RK(DefinedNamespace):
    """The ruhrkg ontology (``https://w3id.org/ruhrkg/def#``)."""

    _NS = Namespace(DEF)
    _fail = True

    # --- classes -------------------------------------------------------
    Conference: URIRef  # the Ruhr-Konferenz as a whole
    Forum: URIRef  # a Themenforum
    Event: URIRef  # an event (Veranstaltung) of a forum
    Ministry: URIRef  # a Ressort: ministry or the Staatskanzlei
    OrganizationalUnit: URIRef  # a unit of a ministry, e.g. Stk/Sport
    Organization: URIRef  # an organisation a person represents
    Person: URIRef
    ForumMembership: URIRef  # n-ary: person x forum x role x position x organisation
    Role: URIRef  # e.g. Moderation
    Place: URIRef
    AdministrativeArea: URIRef  # a state or country
    City: URIRef
    Venue: URIRef
    SourceDocument: URIRef
    SourceExcerpt: URIRef  # a line range of the source document

    # --- forum -----------------------------------------------------------
    number: URIRef  # xsd:integer
    question: URIRef  # the "Thema:" line
    concept: URIRef  # the "Konzept-" line
    keyword: URIRef  # hashtags of forum 01
    participantGroup: URIRef  # Teilnehmerkreis
    ressortText: URIRef  # the printed Ressort line
    conference: URIRef  # forum -> conference
    ministryInvolved: URIRef  # top property: any of the three below
    ministryTakingPart: URIRef  # lead or participating
    leadMinistry: URIRef  # federfuehrend
    participatingMinistry: URIRef  # beteiligt
    interestedMinistry: URIRef  # "MWIDE ist interessiert"
    involvedUnit: URIRef  # forum -> organisational unit named in the Ressort line
    hasEvent: URIRef  # forum -> event (inverse of forum)
    hasMembership: URIRef  # forum -> membership (inverse of membershipIn) -- inferred

    # --- event -----------------------------------------------------------
    forum: URIRef  # event -> forum
    ordinal: URIRef
    format: URIRef  # "Workshop", "Barcamp", ...
    formatDetail: URIRef  # "mit Keynote-Speaker, Talkrunde und Workshops"
    title: URIRef  # the quoted title of an event
    topic: URIRef  # "zum Thema Qualifizierung, ..."
    startDate: URIRef
    endDate: URIRef
    startTime: URIRef
    endTime: URIRef
    startTimeApproximate: URIRef
    endTimeApproximate: URIRef
    allDay: URIRef
    scheduleNote: URIRef  # "zuvor ab 16.00 Uhr presseoeffentlicher Termin"
    venue: URIRef  # event -> venue
    city: URIRef  # event/venue -> city
    goal: URIRef  # Ziel
    targetGroup: URIRef  # Zielgruppe
    participantsMin: URIRef
    participantsMax: URIRef
    participantsApproximate: URIRef
    participantsText: URIRef
    headingText: URIRef  # the printed heading of an event
    unparsedText: URIRef  # a fragment the parser could not interpret

    # --- persons and memberships -----------------------------------------
    membershipIn: URIRef  # membership -> forum (sub-property of org:organization)
    member: URIRef  # membership -> person (sub-property of org:member)
    role: URIRef  # membership -> role (sub-property of org:role)
    position: URIRef  # the printed position, e.g. "Vorstandsvorsitzender"
    representing: URIRef  # membership -> organisation represented
    listPosition: URIRef  # order in the printed moderation team
    printedText: URIRef  # the printed bullet text
    academicTitle: URIRef  # "Prof. Dr."
    givenName: URIRef
    familyName: URIRef

    # --- organisations and places --------------------------------------
    code: URIRef  # ministry or unit code, e.g. "MKFFI", "Stk/Sport"
    unitOf: URIRef  # unit -> ministry
    jurisdiction: URIRef  # ministry -> state
    containedIn: URIRef  # place -> place

    # --- provenance ------------------------------------------------------
    startLine: URIRef
    endLine: URIRef
    text: URIRef
    lineCount: URIRef
    sha256: URIRef

    # --- links to other datasets (the links graph) ---------------------------
    EntityLink: URIRef  # a curated link of an entity to a Wikidata item
    LinkStatus: URIRef
    verified: URIRef
    candidate: URIRef
    rejected: URIRef
    linkedEntity: URIRef
    linkTarget: URIRef
    matchRelation: URIRef
    linkStatus: URIRef
    evidence: URIRef
    linkBasis: URIRef
    curator: URIRef


#: The named graphs of a build.
GRAPHS = {
    "data": URIRef(GRAPH + "data"),
    "ontology": URIRef(GRAPH + "ontology"),
    "inferred": URIRef(GRAPH + "inferred"),
    "links": URIRef(GRAPH + "links"),
}

#: The kinds of instance IRIs (``id/<kind>/<key>``), each with a prefix of its own.
ID_KINDS = (
    "forum", "event", "person", "membership", "ministry", "unit", "organization",
    "venue", "city", "area", "role", "conference", "source", "dataset", "partition", "link",
    "agent", "change", "service", "distribution",
)  # fmt: skip

#: vCard (contact points) and DCAT-AP.de, for the dataset description.
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
DCATDE = Namespace("http://dcat-ap.de/def/dcatde/")

#: One prefix map for every export and every query.
PREFIXES: dict[str, str] = {
    "rk": DEF,
    **{kind: f"{ID}{kind}/" for kind in ID_KINDS},
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "owl": str(OWL),
    "xsd": str(XSD),
    "skos": str(SKOS),
    "dct": str(DCTERMS),
    "dcat": str(DCAT),
    "void": str(VOID),
    "prov": str(PROV),
    "org": str(ORG),
    "foaf": str(FOAF),
    "schema": str(SCHEMA),
    "geo": str(GEO),
    "sh": str(SH),
    "wd": "http://www.wikidata.org/entity/",
}


def sparql_prologue() -> str:
    """The ``PREFIX`` lines for :data:`PREFIXES`, for humans writing queries.

    >>> sparql_prologue().splitlines()[0]
    'PREFIX rk: <https://w3id.org/ruhrkg/def#>'
    """
    return "\n".join(f"PREFIX {p}: <{iri}>" for p, iri in PREFIXES.items())


__all__ = [
    "RK",
    "RKID",
    "SCHEMA",
    "VCARD",
    "DCATDE",
    "GEO",
    "GRAPHS",
    "PREFIXES",
    "DEF",
    "ID",
    "DOC",
    "BASE",
    "sparql_prologue",
]
