"""Map parsed records to RDF: pure functions from records to triples.

Each ``*_triples`` function takes records and yields triples; :func:`to_graph`
collects them for a whole document. Nothing here reads files or the clock:
the same document gives the same triples (golden-file tests rely on it).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable, Iterator

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, ORG, PROV, RDF, RDFS, SKOS, XSD

from ruhrkg.mappings import iris
from ruhrkg.mappings.gazetteer import Gazetteer
from ruhrkg.mappings.gazetteer import load as load_gazetteer
from ruhrkg.mappings.records import Document, Event, Forum, Moderator, Span
from ruhrkg.mappings.vocab import GEO, PREFIXES, RK, SCHEMA

Triple = tuple[URIRef, URIRef, URIRef | Literal]

#: The Dublin Core terms whose range is a resource get resources: the EU authority tables for language and file
#: type (the vocabularies DCAT-AP asks for), IANA for the media type, an agent for the publisher.
LANGUAGE_DE = URIRef("http://publications.europa.eu/resource/authority/language/DEU")
FILE_TYPE_TXT = URIRef("http://publications.europa.eu/resource/authority/file-type/TXT")
MEDIA_TYPE_TEXT = URIRef("https://www.iana.org/assignments/media-types/text/plain")
GOVERNMENT = "landesregierung-nrw"


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
    yield from agent_triples()
    yield from conference_triples()
    used = _Used()
    for forum in doc.forums:
        yield from forum_triples(forum, doc, used, gazetteer)
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
        self.changes: set[tuple[str, str]] = set()  # (change, ministry code)


# -- source and provenance ------------------------------------------------
def source_triples(doc: Document) -> Iterator[Triple]:
    s = iris.source()
    yield s, RDF.type, RK.SourceDocument
    yield s, RDFS.label, de(doc.title or "Quelldokument")
    yield s, DCTERMS.title, de(doc.title)
    if doc.date:
        yield s, DCTERMS.issued, Literal(doc.date, datatype=XSD.date)
    yield s, DCTERMS.language, LANGUAGE_DE
    yield s, DCTERMS.format, FILE_TYPE_TXT
    yield s, DCAT.mediaType, MEDIA_TYPE_TEXT
    yield s, DCTERMS.publisher, iris.agent(GOVERNMENT)
    yield s, RK.lineCount, integer(len(doc.lines))
    yield s, RK.sha256, Literal(doc.sha256)


def agent_triples() -> Iterator[Triple]:
    """The publisher of the source document, an agent (Dublin Core's range of ``dct:publisher``)."""
    a = iris.agent(GOVERNMENT)
    yield a, RDF.type, FOAF.Organization
    yield a, RDFS.label, de("Landesregierung Nordrhein-Westfalen")
    yield a, RDFS.label, en("Government of North Rhine-Westphalia")
    yield a, FOAF.name, de("Landesregierung Nordrhein-Westfalen")


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
def forum_triples(forum: Forum, doc: Document, used: _Used, gz: Gazetteer) -> Iterator[Triple]:
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
        yield from event_triples(forum, e, doc, used, gz)


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


def event_triples(forum: Forum, e: Event, doc: Document, used: _Used, gz: Gazetteer) -> Iterator[Triple]:
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
    yield from schema_dates(ev, e, gz.time_zone(e.city))
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


def schema_dates(ev: URIRef, e: Event, zone: str) -> Iterator[Triple]:
    """``schema:startDate``/``schema:endDate``: ``xsd:dateTime`` with the offset of ``zone`` on that day where a time
    is printed, ``xsd:date`` otherwise. The printed date and time stay in ``rk:startDate``, ``rk:startTime`` ...

    >>> import datetime as dt
    >>> from ruhrkg.mappings.records import Event
    >>> e = Event(ordinal=1, heading="", span=None, start_date=dt.date(2019, 3, 29), start_time=dt.time(10))
    >>> [str(o) for _s, _p, o in schema_dates(URIRef("x"), e, "Europe/Berlin")]
    ['2019-03-29T10:00:00+01:00']
    """
    for prop, day, time in ((SCHEMA.startDate, e.start_date, e.start_time), (SCHEMA.endDate, e.end_date, e.end_time)):
        if day is None:
            continue
        if time is None:
            yield ev, prop, Literal(day.isoformat(), datatype=XSD.date)
        else:
            moment = dt.datetime.combine(day, time, tzinfo=zoneinfo.ZoneInfo(zone))
            yield ev, prop, Literal(moment.isoformat(), datatype=XSD.dateTime)


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
        yield from lifetime_triples(m, entry, gz, used)
    yield from change_triples(used, gz)
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


def partial_date(text: str) -> Literal | None:
    """A date of the precision the gazetteer knows: ``"2017"`` (xsd:gYear), ``"2022-06"`` (xsd:gYearMonth),
    ``"2022-06-29"`` (xsd:date); None for ``"unknown"``.

    >>> partial_date("2022-06").datatype == XSD.gYearMonth, partial_date("unknown")
    (True, None)
    """
    if text == "unknown":
        return None
    datatype = {4: XSD.gYear, 7: XSD.gYearMonth, 10: XSD.date}[len(text)]
    return Literal(text, datatype=datatype)


def lifetime_triples(m: URIRef, entry, gz: Gazetteer, used: _Used) -> Iterator[Triple]:
    """A ministry's period of existence, the reorganisation that ended it and its sources (curated)."""
    existed = entry.extra.get("existed", {})
    for prop, key in ((SCHEMA.foundingDate, "from"), (SCHEMA.dissolutionDate, "until")):
        if (value := partial_date(str(existed.get(key, "unknown")))) is not None:
            yield m, prop, value
    if change := entry.extra.get("changed_by"):
        used.changes.add((change, entry.key))
        yield m, ORG.changedBy, iris.change_event(f"{change}-{entry.key}")
    for key in entry.extra.get("sources", ()):
        yield m, DCTERMS.source, URIRef(gz.sources[key]["url"])


def change_triples(used: _Used, gz: Gazetteer) -> Iterator[Triple]:
    """The reorganisations that ended ministries of the document (one ``org:ChangeEvent`` per ministry, so that
    each names exactly the ministries that took over its remit), and those successors."""
    for key, code in sorted(used.changes):
        c, change, entry = iris.change_event(f"{key}-{code}"), gz.changes[key], gz.ministries[code]
        yield c, RDF.type, ORG.ChangeEvent
        yield c, RDFS.label, de(f"{change['de']}: {code}")
        yield c, RDFS.label, en(f"{change['en']}: {code}")
        yield c, DCTERMS.date, partial_date(change["date"])
        for src in change.get("sources", ()):
            yield c, DCTERMS.source, URIRef(gz.sources[src]["url"])
        yield c, ORG.originalOrganization, iris.ministry(code)
        for successor in entry.extra.get("successors", ()):
            s, succ = iris.ministry(successor), gz.successors[successor]
            yield c, ORG.resultingOrganization, s
            yield s, RDF.type, ORG.FormalOrganization
            yield s, RK.code, Literal(successor)
            yield s, RDFS.label, de(succ.name)
            yield s, RDFS.label, en(succ.en)
            yield s, ORG.resultedFrom, c


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
