"""Map parsed records to RDF: pure functions from records to triples.

Each ``*_triples`` function takes records and yields triples; :func:`to_graph`
collects them for a whole document. Nothing here reads files or the clock:
the same document gives the same triples (golden-file tests rely on it).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, SKOS, XSD

from ruhrkg.mappings import iris
from ruhrkg.mappings.gazetteer import Gazetteer
from ruhrkg.mappings.gazetteer import load as load_gazetteer
from ruhrkg.mappings.records import Document, Event, Forum, Moderator, Span
from ruhrkg.mappings.vocab import GEO, PREFIXES, RK, SCHEMA

Triple = tuple[URIRef, URIRef, URIRef | Literal]


def de(text: str) -> Literal:
    return Literal(text, lang="de")


def en(text: str) -> Literal:
    return Literal(text, lang="en")


def integer(n: int) -> Literal:
    return Literal(n, datatype=XSD.integer)


def boolean(b: bool) -> Literal:
    return Literal(b, datatype=XSD.boolean)


def to_graph(doc: Document, *, gazetteer: Gazetteer | None = None) -> Graph:
    """All triples of a document in one rdflib graph, with the project's prefixes."""
    g = Graph()
    for prefix, ns in PREFIXES.items():
        g.bind(prefix, ns, replace=True)
    for t in document_triples(doc, gazetteer=gazetteer or load_gazetteer()):
        g.add(t)
    return g


def document_triples(doc: Document, *, gazetteer: Gazetteer) -> Iterator[Triple]:
    yield from source_triples(doc)
    yield from conference_triples()
    used = _Used()
    for forum in doc.forums:
        yield from forum_triples(forum, doc, used)
    yield from reference_triples(used, gazetteer)


class _Used:
    """The reference entities (ministries, venues, ...) the forums point to."""

    def __init__(self) -> None:
        self.ministries: set[str] = set()
        self.units: set[str] = set()
        self.organizations: set[str] = set()
        self.venues: set[str] = set()
        self.cities: set[str] = set()
        self.spellings: dict[str, set[str]] = {}


# -- source and provenance ------------------------------------------------
def source_triples(doc: Document) -> Iterator[Triple]:
    s = iris.source()
    yield s, RDF.type, RK.SourceDocument
    yield s, RDFS.label, de(doc.title or "Quelldokument")
    yield s, DCTERMS.title, de(doc.title)
    if doc.date:
        yield s, DCTERMS.issued, Literal(doc.date, datatype=XSD.date)
    yield s, DCTERMS.language, Literal("de")
    yield s, DCTERMS.format, Literal("text/plain; charset=utf-8")
    yield s, DCTERMS.publisher, de("Landesregierung Nordrhein-Westfalen")
    yield s, RK.lineCount, integer(len(doc.lines))
    yield s, RK.sha256, Literal(doc.sha256)


def excerpt_triples(doc: Document, span: Span) -> Iterator[Triple]:
    x = iris.excerpt(span.start, span.end)
    yield x, RDF.type, RK.SourceExcerpt
    yield x, RDFS.label, de(f"Zeilen {span}") if span.start != span.end else de(f"Zeile {span}")
    yield x, DCTERMS.isPartOf, iris.source()
    yield x, RK.startLine, integer(span.start)
    yield x, RK.endLine, integer(span.end)
    yield x, RK.text, Literal(doc.excerpt(span))


def _derived(subject: URIRef, doc: Document, span: Span) -> Iterator[Triple]:
    yield subject, PROV.wasDerivedFrom, iris.excerpt(span.start, span.end)
    yield from excerpt_triples(doc, span)


def conference_triples() -> Iterator[Triple]:
    c = iris.conference()
    yield c, RDF.type, RK.Conference
    yield c, RDFS.label, de("Ruhr-Konferenz")
    yield c, RDFS.label, en("Ruhr Conference")
    yield (
        c,
        DCTERMS.description,
        de(
            "Prozess der Landesregierung Nordrhein-Westfalen (2018–2019) mit 20 Themenforen zur Zukunft des Ruhrgebiets."
        ),
    )


# -- forums ---------------------------------------------------------------
def forum_triples(forum: Forum, doc: Document, used: _Used) -> Iterator[Triple]:
    f = iris.forum(forum.number)
    num = f"{forum.number:02d}"
    yield f, RDF.type, RK.Forum
    yield f, RK.number, integer(forum.number)
    yield f, SKOS.notation, Literal(num)
    yield f, RK.conference, iris.conference()
    yield f, RDFS.label, de(f"Themenforum {num}: {forum.title}" if forum.title else f"Themenforum {num}")
    yield f, RDFS.label, en(f"Thematic forum {num}: {forum.title}" if forum.title else f"Thematic forum {num}")
    if forum.title:
        yield f, DCTERMS.title, de(forum.title)
    for kw in forum.keywords:
        yield f, RK.keyword, de(kw)
    for prop, value in (
        (RK.question, forum.question),
        (RK.concept, forum.concept),
        (DCTERMS.description, forum.description),
        (RK.participantGroup, forum.participant_group),
    ):
        if value:
            yield f, prop, de(value)
    for frag in forum.unparsed:
        yield f, RK.unparsedText, de(frag)
    yield from _derived(f, doc, forum.span)
    if forum.ressort:
        r = forum.ressort
        yield f, RK.ressortText, de(r.text)
        for prop, refs in (
            (RK.leadMinistry, (r.lead,) if r.lead else ()),
            (RK.participatingMinistry, r.participating),
            (RK.interestedMinistry, r.interested),
        ):
            for ref in refs:
                used.ministries.add(ref.code)
                yield f, prop, iris.ministry(ref.code)
                if ref.unit:
                    used.units.add(ref.unit)
                    yield f, RK.involvedUnit, iris.unit(ref.unit)
    for m in forum.moderators:
        yield from moderator_triples(forum, m, doc, used)
    for e in forum.events:
        yield from event_triples(forum, e, doc, used)


def moderator_triples(forum: Forum, m: Moderator, doc: Document, used: _Used) -> Iterator[Triple]:
    p = iris.person(m.name)
    ms = iris.membership(forum.number, m.name)
    num = f"{forum.number:02d}"
    yield p, RDF.type, RK.Person
    yield p, RDFS.label, Literal(m.name)
    yield p, RK.givenName, Literal(m.given_name)
    yield p, RK.familyName, Literal(m.family_name)
    if m.academic_title:
        yield p, RK.academicTitle, Literal(m.academic_title)
    yield from _derived(p, doc, m.span)
    yield ms, RDF.type, RK.ForumMembership
    yield ms, RDFS.label, de(f"{m.name} – Moderation Themenforum {num}")
    yield ms, RDFS.label, en(f"{m.name} – moderator of thematic forum {num}")
    yield ms, RK.member, p
    yield ms, RK.membershipIn, iris.forum(forum.number)
    yield ms, RK.role, iris.role("moderator")
    yield ms, RK.listPosition, integer(m.list_position)
    yield ms, RK.printedText, de(m.printed)
    if m.position:
        yield ms, RK.position, de(m.position)
    if m.organization:
        used.organizations.add(m.organization)
        yield ms, RK.representing, iris.organization(m.organization)
    yield ms, PROV.wasDerivedFrom, iris.excerpt(m.span.start, m.span.end)


def event_triples(forum: Forum, e: Event, doc: Document, used: _Used) -> Iterator[Triple]:
    ev = iris.event(forum.number, e.ordinal)
    num = f"{forum.number:02d}"
    when = f" am {e.start_date:%d.%m.%Y}" if e.start_date else ""
    yield ev, RDF.type, RK.Event
    yield ev, RK.forum, iris.forum(forum.number)
    yield ev, RK.ordinal, integer(e.ordinal)
    yield ev, RDFS.label, de(f"Themenforum {num}, Veranstaltung {e.ordinal}: {e.format or 'Veranstaltung'}{when}")
    when_en = f" ({e.start_date.isoformat()})" if e.start_date else ""
    yield ev, RDFS.label, en(f"Thematic forum {num}, event {e.ordinal}{when_en}")
    yield ev, RK.headingText, de(e.heading)
    for prop, value in (
        (RK.format, e.format),
        (RK.formatDetail, e.format_detail),
        (RK.title, e.title),
        (RK.topic, e.topic),
        (RK.scheduleNote, e.schedule_note),
        (RK.goal, e.goal),
        (RK.targetGroup, e.target_group),
    ):
        if value:
            yield ev, prop, de(value)
    if e.start_date:
        yield ev, RK.startDate, Literal(e.start_date, datatype=XSD.date)
    if e.end_date:
        yield ev, RK.endDate, Literal(e.end_date, datatype=XSD.date)
    if e.start_time:
        yield ev, RK.startTime, Literal(e.start_time, datatype=XSD.time)
        if e.start_time_approximate:
            yield ev, RK.startTimeApproximate, boolean(True)
    if e.end_time:
        yield ev, RK.endTime, Literal(e.end_time, datatype=XSD.time)
        if e.end_time_approximate:
            yield ev, RK.endTimeApproximate, boolean(True)
    if e.all_day is not None:
        yield ev, RK.allDay, boolean(e.all_day)
    for v in e.venues:
        used.venues.add(v)
        yield ev, RK.venue, iris.venue(v)
    if e.city:
        used.cities.add(e.city)
        yield ev, RK.city, iris.city(e.city)
    if e.participants:
        pt = e.participants
        yield ev, RK.participantsText, de(pt.text)
        if pt.minimum is not None:
            yield ev, RK.participantsMin, integer(pt.minimum)
            yield ev, RK.participantsMax, integer(pt.maximum)
            yield ev, RK.participantsApproximate, boolean(pt.approximate)
    for frag in e.unparsed:
        yield ev, RK.unparsedText, de(frag)
    yield from _derived(ev, doc, e.span)


# -- reference entities ---------------------------------------------------
def reference_triples(used: _Used, gz: Gazetteer) -> Iterator[Triple]:
    """Ministries, units, organisations, venues, cities and areas the forums point to."""
    yield from role_triples()
    for code in sorted(used.units):
        u, entry = iris.unit(code), gz.units[code]
        used.ministries.add(entry.extra["of"])
        yield u, RDF.type, RK.OrganizationalUnit
        yield u, RK.code, Literal(code)
        yield u, RDFS.label, de(entry.name)
        yield u, RDFS.label, en(entry.en)
        yield u, RK.unitOf, iris.ministry(entry.extra["of"])
    for code in sorted(used.ministries):
        m, entry = iris.ministry(code), gz.ministries[code]
        yield m, RDF.type, RK.Ministry
        yield m, RK.code, Literal(code)
        yield m, RDFS.label, de(entry.name)
        yield m, RDFS.label, en(entry.en)
        for alias in entry.aliases:
            yield m, SKOS.altLabel, Literal(alias)
        yield m, RK.jurisdiction, iris.area("nordrhein-westfalen")
    areas = {"nordrhein-westfalen"}
    for key in sorted(used.organizations):
        o, entry = iris.organization(key), gz.organizations[key]
        yield o, RDF.type, RK.Organization
        yield o, RDFS.label, Literal(entry.name)
        for alias in entry.aliases:
            yield o, SKOS.altLabel, Literal(alias)
    venues = set(used.venues)
    for key in list(venues):  # venues that contain a used venue are used too
        while parent := gz.venues[key].extra.get("in"):
            venues.add(parent)
            key = parent
    for key in sorted(venues):
        v, entry = iris.venue(key), gz.venues[key]
        yield v, RDF.type, RK.Venue
        yield v, RDFS.label, Literal(entry.name)
        for alias in entry.aliases:
            if alias != entry.name:
                yield v, SKOS.altLabel, Literal(alias)
        if c := entry.extra.get("city"):
            used.cities.add(c)
            yield v, RK.city, iris.city(c)
        if parent := entry.extra.get("in"):
            yield v, RK.containedIn, iris.venue(parent)
        yield from geometry_triples(v, gz, "venues", key)
    for key in sorted(used.cities):
        c, entry = iris.city(key), gz.cities[key]
        area = entry.extra["area"]
        areas.add(area)
        yield c, RDF.type, RK.City
        yield c, RDFS.label, Literal(entry.name)
        for alias in entry.aliases:
            yield c, SKOS.altLabel, Literal(alias)
        yield c, RK.containedIn, iris.area(area)
        yield from geometry_triples(c, gz, "cities", key)
    for key in sorted(areas):
        a, entry = iris.area(key), gz.areas[key]
        yield a, RDF.type, RK.AdministrativeArea
        yield a, RDFS.label, de(entry.name)
        yield a, RDFS.label, en(entry.en)


WKT_CRS84 = "<http://www.opengis.net/def/crs/OGC/1.3/CRS84> "


def geometry_triples(place: URIRef, gz: Gazetteer, section: str, key: str) -> Iterator[Triple]:
    """A city's or venue's point, as GeoSPARQL (``geo:hasGeometry``/``geo:asWKT``) and schema.org (``schema:geo``).

    The point node is the one of the entry whose coordinates it is (:meth:`Gazetteer.point`): a venue that has
    none of its own links to its city's (or enclosing venue's) node, so the graph says whose point it is. The
    owner describes the node: WKT in CRS84 order (longitude, latitude), latitude and longitude, and its source.
    """
    point = gz.point(section, key)
    if point is None:
        return
    g = iris.geometry(*point.owner)
    yield place, GEO.hasGeometry, g
    yield place, SCHEMA.geo, g
    if point.owner != (section, key):
        return
    yield g, RDF.type, GEO.Geometry
    yield g, RDF.type, SCHEMA.GeoCoordinates
    yield g, GEO.asWKT, Literal(f"{WKT_CRS84}POINT({point.lon} {point.lat})", datatype=GEO.wktLiteral)
    yield g, SCHEMA.latitude, Literal(f"{point.lat}", datatype=XSD.decimal)
    yield g, SCHEMA.longitude, Literal(f"{point.lon}", datatype=XSD.decimal)
    yield g, DCTERMS.source, source_of(point.source)
    yield g, RDFS.label, Literal(f"{point.lat}° N, {point.lon}° E")


WIKIDATA_PAGE = "https://www.wikidata.org/wiki/"


def source_of(cited: str) -> URIRef:
    """The record a point comes from, as an IRI: for ``wikidata:Q…`` the item's page (a document, not the item
    itself: links to Wikidata's entities live in the links graph alone), anything else the URL as cited.

    >>> source_of("wikidata:Q2066")
    rdflib.term.URIRef('https://www.wikidata.org/wiki/Q2066')
    """
    if cited.startswith("wikidata:"):
        return URIRef(WIKIDATA_PAGE + cited.split(":", 1)[1])
    return URIRef(cited)


def role_triples() -> Iterator[Triple]:
    r = iris.role("moderator")
    yield r, RDF.type, RK.Role
    yield r, RDFS.label, de("Moderation")
    yield r, RDFS.label, en("moderator")
    yield r, RDFS.comment, en("The role of a member of the moderation team (Moderationsteam) of a forum.")
    yield r, RDFS.comment, de("Die Rolle eines Mitglieds des Moderationsteams eines Themenforums.")


def triples_sorted(triples: Iterable[Triple]) -> list[Triple]:
    """Triples in a canonical order (by N-Triples text), for stable output."""
    return sorted(triples, key=lambda t: tuple(x.n3() for x in t))


# -- dataset description --------------------------------------------------
LICENSE = URIRef("https://creativecommons.org/licenses/by/4.0/")


def dataset_triples(
    *,
    version: str,
    build_time,
    triples: int,
    class_counts: dict[URIRef, int],
    entities: int,
) -> Iterator[Triple]:
    """The description of a build's dataset (VoID and DCAT), part of the data graph.

    Counts describe the facts of the data graph, not this description itself.
    """
    from rdflib.namespace import DCAT, OWL, VOID

    d = iris.dataset()
    yield d, RDF.type, VOID.Dataset
    yield d, RDF.type, DCAT.Dataset
    yield d, RDFS.label, de("Ruhr-Konferenz: Wissensgraph der 20 Themenforen")
    yield d, RDFS.label, en("Ruhr-Konferenz: knowledge graph of the 20 thematic forums")
    yield d, DCTERMS.title, de("Ruhr-Konferenz: Wissensgraph der 20 Themenforen")
    yield d, DCTERMS.title, en("Ruhr-Konferenz: knowledge graph of the 20 thematic forums")
    yield (
        d,
        DCTERMS.description,
        en(
            "Every forum, ministry, person, role, event, venue and date printed in the Steckbriefe der 20 Themenforen "
            "(1 June 2019), as linked data, each fact traceable to its lines in the source."
        ),
    )
    yield d, DCTERMS.source, iris.source()
    yield d, DCTERMS.license, LICENSE
    yield d, DCTERMS.language, Literal("de")
    yield d, PROV.generatedAtTime, Literal(build_time, datatype=XSD.dateTime)
    yield d, OWL.versionInfo, Literal(version)
    yield d, VOID.triples, integer(triples)
    yield d, VOID.entities, integer(entities)
    for cls, n in sorted(class_counts.items()):
        part = iris.class_partition(cls.split("#")[-1])
        yield d, VOID.classPartition, part
        yield part, VOID["class"], cls
        yield part, VOID.entities, integer(n)
