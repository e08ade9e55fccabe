"""SHACL as SPARQL (ruhrkg.graph.shacl_sparql) against pyshacl (ruhrkg.graph.validate): the same reports.

On the real document (data + links graph) both conform; every mutation of it below (derived from the
data by SPARQL, one or more per constraint component the shapes use) gives the same (focus node, path,
message) results from both, with the same multiplicities; a synthetic corpus x2 conforms for both; toy
shapes cover the constructs in combinations ``shapes.ttl`` does not use; anything else is refused.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, XSD

from ruhrkg.graph import dataset, shacl_sparql, terms, validate
from ruhrkg.graph.build import links_graph, packaged_source, shapes_graph
from ruhrkg.mappings.mapper import to_graph
from ruhrkg.mappings.parser import parse_text
from ruhrkg.mappings.vocab import DEF, RK

DATA = "urn:ruhrkg:test:shacl-data"
EX = "https://example.org/"
PREFIXES = f"""PREFIX rk: <{DEF}> PREFIX rdfs: <{RDFS}> PREFIX rdf: <{RDF}> PREFIX xsd: <{XSD}>
PREFIX dct: <http://purl.org/dc/terms/> PREFIX prov: <http://www.w3.org/ns/prov#>
"""
MODERATOR = URIRef("https://w3id.org/ruhrkg/id/role/moderator")


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return shapes_graph()


@pytest.fixture(scope="module")
def real() -> Graph:
    """The real document's data graph, its links graph and a dataset description, in one graph (so the link and
    dataset shapes are covered)."""
    data = to_graph(parse_text(packaged_source()))
    g = Graph()
    for t in data:
        g.add(t)
    for t in links_graph(data):
        g.add(t)
    facts = dataset.Facts(version="1.0.0+test", built_at=dt.datetime(2026, 12, 5, tzinfo=dt.UTC), triples=len(data),
                          entities=1, temporal=(dt.date(2018, 12, 18), dt.date(2019, 10, 1)))  # fmt: skip
    for t in dataset.description(facts, publisher=dataset.Publisher()):  # the dataset shape's target
        g.add(t)
    return g


def both(g: Graph, shapes: Graph) -> tuple[validate.Report, validate.Report]:
    store = ox.Store()
    store.bulk_extend(terms.quads(g, URIRef(DATA)))
    return validate.validate(g, shapes), shacl_sparql.validate_store(store, DATA, shapes)


def triples(report: validate.Report) -> Counter:
    return Counter((v.focus, v.path, v.message) for v in report.violations)


def assert_same(g: Graph, shapes: Graph) -> validate.Report:
    ref, ours = both(g, shapes)
    assert triples(ours) == triples(ref), f"pyshacl:\n{ref.text()}\nSPARQL:\n{ours.text()}"
    assert ours.conforms == ref.conforms
    assert ours.text() == ref.text()
    return ref


# -- the real document --------------------------------------------------------------------------------------
def test_the_real_document_conforms_for_both(real, shapes):
    assert len(real) > 2500
    ref, ours = both(real, shapes)
    assert ref.conforms, ref.text()
    assert ours.conforms, ours.text()
    assert ours.violations == ()


def test_every_shape_with_a_target_is_compiled(shapes):
    checks = shacl_sparql.compile_shapes(shapes)
    components = Counter(c.component.removeprefix("sh:").removesuffix("ConstraintComponent") for c in checks)
    assert set(components) == {
        "MinCount",
        "MaxCount",
        "Datatype",
        "Class",
        "NodeKind",
        "MinInclusive",
        "MinLength",
        "Pattern",
        "In",
        "LessThanOrEquals",
        "Disjoint",
        "UniqueLang",
        "LanguageIn",
        "QualifiedMinCount",
        "Or",
        "Closed",
        "SPARQL",
    }
    # one check per constraint: 64 sh:minCount, 75 sh:maxCount, 58 sh:datatype (more inside sh:or), 33 sh:class, ...
    assert components["MinCount"] == 64 and components["MaxCount"] == 75 and components["Datatype"] == 58
    assert components["Class"] == 33 and components["Disjoint"] == 3 and components["LessThanOrEquals"] == 3
    # 15 closed shapes, 2 SPARQL-based constraints (unique (forum, ordinal), units of the forum's ministries)
    assert components["Closed"] == 15 and components["SPARQL"] == 2
    assert {c.severity for c in checks} == {"Violation", "Warning"}
    assert {c.path for c in checks} >= {"rk:number", "^rk:forum", "^rk:membershipIn", "^rk:member"}
    assert all(c.message for c in checks)


# -- mutations of the real data -----------------------------------------------------------------------------
def one(g: Graph, query: str) -> tuple:
    """The first solution (in a stable order) of ``query`` on ``g``."""
    rows = sorted((tuple(r) for r in g.query(PREFIXES + query)), key=lambda r: tuple(str(x) for x in r))
    assert rows, query
    return rows[0]


def replace(g: Graph, s, p, new) -> None:
    g.remove((s, p, None))
    g.add((s, p, new))


def drop_lead_ministry(g):
    (f,) = one(g, "SELECT ?f { ?f a rk:Forum ; rk:leadMinistry [] }")
    g.remove((f, RK.leadMinistry, None))
    return f


def two_numbers(g):
    f, n = one(g, "SELECT ?f ?n { ?f a rk:Forum ; rk:number ?n }")
    g.add((f, RK.number, Literal(int(n) + 100)))
    return f


def number_as_string(g):
    f, n = one(g, "SELECT ?f ?n { ?f a rk:Forum ; rk:number ?n }")
    replace(g, f, RK.number, Literal(str(n)))  # datatype, and minInclusive cannot compare it
    return f


def ill_typed_ordinal(g):
    (e,) = one(g, "SELECT ?e { ?e a rk:Event ; rk:ordinal [] }")
    replace(g, e, RK.ordinal, Literal("first", datatype=XSD.integer))
    return e


def dates_as_datetimes(g):
    e, start, end = one(g, "SELECT ?e ?s ?t { ?e a rk:Event ; rk:startDate ?s ; rk:endDate ?t }")
    replace(g, e, RK.startDate, Literal(f"{start}T10:00:00", datatype=XSD.dateTime))
    replace(g, e, RK.endDate, Literal(f"{end}T18:00:00", datatype=XSD.dateTime))
    return e


def boolean_as_string(g):
    e, b = one(g, "SELECT ?e ?b { ?e a rk:Event ; rk:allDay ?b }")
    replace(g, e, RK.allDay, Literal(str(b)))
    return e


def title_as_iri(g):
    (f,) = one(g, "SELECT ?f { ?f a rk:Forum ; dct:title [] }")
    replace(g, f, URIRef("http://purl.org/dc/terms/title"), URIRef(EX + "title"))
    return f


def empty_title(g):
    (f,) = one(g, "SELECT ?f { ?f a rk:Forum ; dct:title [] }")
    replace(g, f, URIRef("http://purl.org/dc/terms/title"), Literal(""))
    return f


def link_target_as_literal(g):
    link, target = one(g, "SELECT ?l ?t { ?l a rk:EntityLink ; rk:linkTarget ?t }")
    replace(g, link, RK.linkTarget, Literal(str(target)))  # a literal where an IRI is required
    return link


def lead_ministry_as_literal(g):
    f, code = one(g, "SELECT ?f ?c { ?f a rk:Forum ; rk:leadMinistry [ rk:code ?c ] }")
    replace(g, f, RK.leadMinistry, Literal(str(code)))
    return f


def lead_ministry_is_a_city(g):
    f, city = one(g, "SELECT ?f ?c { ?f a rk:Forum ; rk:leadMinistry [] . ?c a rk:City }")
    replace(g, f, RK.leadMinistry, city)
    return f


def untyped_venue(g):
    e, v = one(g, "SELECT ?e ?v { ?e a rk:Event ; rk:venue ?v }")
    g.remove((v, RDF.type, RK.Venue))
    return e


def ministry_of_a_subclass(g):
    """A ministry typed only with a subclass of rk:Ministry (in the data graph) still is one: conforms."""
    (m,) = one(g, "SELECT ?m { ?f rk:leadMinistry ?m }")
    sub = URIRef(EX + "SpecialMinistry")
    g.add((sub, RDFS.subClassOf, RK.Ministry))
    g.remove((m, RDF.type, RK.Ministry))
    g.add((m, RDF.type, sub))
    return None


def forum_of_a_subclass(g):
    """An instance of a subclass of rk:Forum is a target of the forum shape."""
    sub, x = URIRef(EX + "SpecialForum"), URIRef("https://w3id.org/ruhrkg/id/forum/99")
    g.add((sub, RDFS.subClassOf, RK.Forum))
    g.add((x, RDF.type, sub))
    g.add((x, RK.number, Literal(99)))
    return x


def ordinal_zero(g):
    (e,) = one(g, "SELECT ?e { ?e a rk:Event ; rk:ordinal [] }")
    replace(g, e, RK.ordinal, Literal(0))
    return e


def negative_participants(g):
    (e,) = one(g, "SELECT ?e { ?e a rk:Event ; rk:participantsMin [] }")
    replace(g, e, RK.participantsMin, Literal(-5))
    return e


def link_target_not_an_item(g):
    (link,) = one(g, "SELECT ?l { ?l a rk:EntityLink ; rk:linkTarget [] }")
    replace(g, link, RK.linkTarget, URIRef("http://www.wikidata.org/entity/P31"))
    return link


def linked_entity_elsewhere(g):
    (link,) = one(g, "SELECT ?l { ?l a rk:EntityLink ; rk:linkedEntity [] }")
    replace(g, link, RK.linkedEntity, URIRef(EX + "entity"))
    return link


def relation_not_in_list(g):
    (link,) = one(g, "SELECT ?l { ?l a rk:EntityLink ; rk:matchRelation [] }")
    replace(g, link, RK.matchRelation, OWL.sameAs)
    return link


def status_not_in_list(g):
    (link,) = one(g, "SELECT ?l { ?l a rk:EntityLink ; rk:linkStatus [] }")
    replace(g, link, RK.linkStatus, URIRef(DEF + "proposed"))
    return link


def evidence_empty(g):
    (link,) = one(g, "SELECT ?l { ?l a rk:EntityLink ; rk:evidence [] }")
    replace(g, link, RK.evidence, Literal(""))
    return link


def no_moderator(g):
    (f,) = one(g, "SELECT ?f { ?m rk:membershipIn ?f ; rk:role ?r }")
    observer = URIRef("https://w3id.org/ruhrkg/id/role/observer")
    g.add((observer, RDF.type, RK.Role))
    g.add((observer, RDFS.label, Literal("observer", lang="en")))
    for m in list(g.subjects(RK.membershipIn, f)):
        replace(g, m, RK.role, observer)
    return f


def start_line_after_end_line(g):
    x, end = one(g, "SELECT ?x ?end { ?x a rk:SourceExcerpt ; rk:endLine ?end }")
    replace(g, x, RK.startLine, Literal(int(end) + 1))
    return x


def fewer_participants_at_most(g):
    e, lo, hi = one(g, "SELECT ?e ?lo ?hi { ?e rk:participantsMin ?lo ; rk:participantsMax ?hi FILTER(?lo < ?hi) }")
    replace(g, e, RK.participantsMin, hi)
    replace(g, e, RK.participantsMax, lo)
    return e


def start_after_end(g):
    (e,) = one(g, "SELECT ?e { ?e a rk:Event ; rk:startDate [] ; rk:endDate [] }")
    replace(g, e, RK.endDate, Literal("2018-01-01", datatype=XSD.date))
    return e


def lead_also_participating(g):
    f, m = one(g, "SELECT ?f ?m { ?f a rk:Forum ; rk:leadMinistry ?m }")
    g.add((f, RK.participatingMinistry, m))
    return f


def participating_also_interested(g):
    f, m = one(g, "SELECT ?f ?m { ?f a rk:Forum ; rk:participatingMinistry ?m }")
    g.add((f, RK.interestedMinistry, m))
    return f


def label_in_french(g):
    (m,) = one(g, "SELECT ?m { ?m a rk:Ministry }")
    g.add((m, RDFS.label, Literal("Ministère", lang="fr")))
    return m


def two_german_labels(g):
    (m,) = one(g, "SELECT ?m { ?m a rk:Ministry }")
    g.add((m, RDFS.label, Literal("Noch ein Name", lang="de")))
    return m


def one_label_only(g):
    (m,) = one(g, "SELECT ?m { ?m a rk:Ministry }")
    for label in list(g.objects(m, RDFS.label)):
        if label.language == "en":
            g.remove((m, RDFS.label, label))
    return m


def label_as_number(g):
    (c,) = one(g, "SELECT ?c { ?c a rk:City }")
    g.add((c, RDFS.label, Literal(5)))
    return c


def label_as_iri_on_untyped_node(g):
    x = URIRef(EX + "thing")
    g.add((x, RDFS.label, URIRef(EX + "label")))  # a target of the label shape by sh:targetSubjectsOf alone
    return x


def forum_without_events(g):
    (f,) = one(g, "SELECT ?f { ?e rk:forum ?f }")
    g.remove((None, RK.forum, f))
    return f


def membership_without_person(g):
    (p,) = one(g, "SELECT ?p { ?m rk:member ?p }")
    g.remove((None, RK.member, p))
    return p


def event_without_date(g):
    """The shapes do not require a date: both conform."""
    (e,) = one(g, "SELECT ?e { ?e a rk:Event ; rk:startDate [] }")
    g.remove((e, RK.startDate, None))
    g.remove((e, RK.endDate, None))
    return None


def not_derived(g):
    (p,) = one(g, "SELECT ?p { ?p a rk:Person }")
    g.remove((p, URIRef("http://www.w3.org/ns/prov#wasDerivedFrom"), None))
    return p


def two_units_of(g):
    u, m = one(
        g, "SELECT ?u ?m { ?u a rk:OrganizationalUnit . ?m a rk:Ministry FILTER NOT EXISTS { ?u rk:unitOf ?m } }"
    )
    g.add((u, RK.unitOf, m))
    return u


# -- the faults the shapes of issue 14 catch ----------------------------------------------------------------
def duplicate_ordinal(g):
    """Two events of one forum with one ordinal: the (forum, ordinal) pair is not unique (reported on the forum)."""
    f, a, b = one(g, "SELECT ?f ?a ?b { ?a rk:forum ?f ; rk:ordinal 1 . ?b rk:forum ?f ; rk:ordinal 2 }")
    replace(g, b, RK.ordinal, Literal(1))
    return f


def times_on_an_all_day_event(g):
    (e,) = one(g, "SELECT ?e { ?e rk:allDay true }")
    g.add((e, RK.startTime, Literal("10:00:00", datatype=XSD.time)))
    return e


def end_time_before_start_time(g):
    e, start, end = one(g, "SELECT ?e ?s ?t { ?e rk:startDate ?d ; rk:endDate ?d ; rk:startTime ?s ; rk:endTime ?t }")
    replace(g, e, RK.startTime, end)
    replace(g, e, RK.endTime, start)
    return e


def unit_of_a_ministry_the_forum_does_not_name(g):
    f, u = one(g, "SELECT ?f ?u { ?f a rk:Forum . ?u rk:unitOf ?m FILTER NOT EXISTS { ?f ?p ?m } }")
    g.add((f, RK.involvedUnit, u))
    return f


def membership_without_provenance(g):
    (m,) = one(g, "SELECT ?m { ?m a rk:ForumMembership }")
    g.remove((m, URIRef("http://www.w3.org/ns/prov#wasDerivedFrom"), None))
    return m


def unknown_predicate(g):
    (e,) = one(g, "SELECT ?e { ?e a rk:Event }")
    g.add((e, URIRef(EX + "colour"), Literal("blue")))
    return e


def venue_without_city(g):
    """A warning: the data still conforms, the event is reported."""
    (e,) = one(g, "SELECT ?e { ?e rk:venue [] ; rk:city [] }")
    g.remove((e, RK.city, None))
    return e


def conference_without_english_label(g):
    (c,) = one(g, "SELECT ?c { ?c a rk:Conference }")
    for label in list(g.objects(c, RDFS.label)):
        if label.language == "en":
            g.remove((c, RDFS.label, label))
    return c


def role_with_a_note(g):
    (r,) = one(g, "SELECT ?r { ?r a rk:Role }")
    g.add((r, URIRef("http://www.w3.org/2004/02/skos/core#note"), Literal("closed shape")))
    return r


def source_document_with_a_bad_hash(g):
    (d,) = one(g, "SELECT ?d { ?d a rk:SourceDocument }")
    replace(g, d, RK.sha256, Literal("not a hash"))
    return d


def publisher_as_literal(g):
    (d,) = one(g, "SELECT ?d { ?d a rk:SourceDocument }")
    replace(g, d, URIRef("http://purl.org/dc/terms/publisher"), Literal("Landesregierung"))
    return d


def dissolution_as_text(g):
    (m,) = one(g, "SELECT ?m { ?m <https://schema.org/dissolutionDate> [] }")
    replace(g, m, URIRef("https://schema.org/dissolutionDate"), Literal("June 2022"))
    return m


def change_without_source(g):
    (c,) = one(g, "SELECT ?c { ?c a <http://www.w3.org/ns/org#ChangeEvent> }")
    g.remove((c, URIRef("http://purl.org/dc/terms/source"), None))
    return c


def dataset_licence_outside_the_vocabulary(g):
    (d,) = one(g, "SELECT ?d { ?d a <http://www.w3.org/ns/dcat#Dataset> }")
    replace(g, d, URIRef("http://purl.org/dc/terms/license"), URIRef("https://creativecommons.org/licenses/by/4.0/"))
    return d


def family_name_with_a_language(g):
    """The ontology says xsd:string: a language-tagged name is not one."""
    p, name = one(g, "SELECT ?p ?n { ?p a rk:Person ; rk:familyName ?n }")
    replace(g, p, RK.familyName, Literal(str(name), lang="de"))
    return p


def point_without_source(g):
    (p,) = one(g, "SELECT ?p { ?p a <http://www.opengis.net/ont/geosparql#Geometry> ; dct:source [] }")
    g.remove((p, URIRef("http://purl.org/dc/terms/source"), None))
    return p


def wkt_as_string(g):
    p, wkt = one(g, "SELECT ?p ?w { ?p <http://www.opengis.net/ont/geosparql#asWKT> ?w }")
    replace(g, p, URIRef("http://www.opengis.net/ont/geosparql#asWKT"), Literal(str(wkt)))
    return p


MUTATIONS: list[Callable[[Graph], URIRef | None]] = [
    duplicate_ordinal,
    times_on_an_all_day_event,
    end_time_before_start_time,
    unit_of_a_ministry_the_forum_does_not_name,
    membership_without_provenance,
    unknown_predicate,
    venue_without_city,
    conference_without_english_label,
    role_with_a_note,
    source_document_with_a_bad_hash,
    publisher_as_literal,
    dissolution_as_text,
    change_without_source,
    dataset_licence_outside_the_vocabulary,
    family_name_with_a_language,
    drop_lead_ministry,
    two_numbers,
    number_as_string,
    ill_typed_ordinal,
    dates_as_datetimes,
    boolean_as_string,
    title_as_iri,
    empty_title,
    link_target_as_literal,
    lead_ministry_as_literal,
    lead_ministry_is_a_city,
    untyped_venue,
    ministry_of_a_subclass,
    forum_of_a_subclass,
    ordinal_zero,
    negative_participants,
    link_target_not_an_item,
    linked_entity_elsewhere,
    relation_not_in_list,
    status_not_in_list,
    evidence_empty,
    no_moderator,
    start_line_after_end_line,
    fewer_participants_at_most,
    start_after_end,
    lead_also_participating,
    participating_also_interested,
    label_in_french,
    two_german_labels,
    one_label_only,
    label_as_number,
    label_as_iri_on_untyped_node,
    forum_without_events,
    membership_without_person,
    event_without_date,
    not_derived,
    two_units_of,
    point_without_source,
    wkt_as_string,
]


@pytest.mark.parametrize("mutate", MUTATIONS, ids=[m.__name__ for m in MUTATIONS])
def test_a_mutation_gives_the_same_results(real, shapes, mutate):
    g = Graph()
    for t in real:
        g.add(t)
    focus = mutate(g)
    ref = assert_same(g, shapes)
    if focus is None:
        assert ref.conforms, ref.text()
    else:
        assert validate.short(focus) in {v.focus for v in ref.violations}, ref.text()


def test_every_constraint_component_is_violated_by_some_mutation(real, shapes):
    """The mutations exercise every check kind: each component reports somewhere."""
    seen = set()
    checks = shacl_sparql.compile_shapes(shapes)
    for mutate in MUTATIONS:
        g = Graph()
        for t in real:
            g.add(t)
        mutate(g)
        store = ox.Store()
        store.bulk_extend(terms.quads(g, URIRef(DATA)))
        seen |= {r.check.component for r in shacl_sparql.results(store, DATA, checks)}
    assert seen == {c.component for c in checks}


# -- a synthetic corpus -------------------------------------------------------------------------------------
def load_synth():
    spec = importlib.util.spec_from_file_location(
        "ruhrkg_bench_synth", Path(__file__).parent.parent / "bench" / "synth.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_a_synthetic_corpus_conforms_for_both(shapes):
    c = load_synth().generate(2)
    gz = c.gazetteer_with_extension()
    data = to_graph(parse_text(c.text, gazetteer=gz), gazetteer=gz)
    ref, ours = both(data, shapes)
    assert ref.conforms, ref.text()
    assert ours.conforms, ours.text()


# -- toy shapes: the supported constructs in other combinations ---------------------------------------------
TOY_PREFIXES = f"""@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <{EX}> .
@prefix xsd: <{XSD}> . @prefix rdfs: <{RDFS}> . @prefix rdf: <{RDF}> .
"""

TOY_DATA = """
ex:a a ex:C ; ex:p "Abc", "abd" ; ex:q ex:b ; ex:n 1, 2, 3 ; ex:m "x"@de, "y"@de-AT ; ex:lo 5 ; ex:hi 3 .
ex:b a ex:D ; ex:p "xyz" ; ex:n 7 ; ex:lo "1" ; ex:hi 2 ; ex:r ex:a , ex:b ; ex:q ex:a ; ex:m "w"@de, "v"@de .
ex:c a ex:C ; ex:q "lit" ; ex:m "z"@en ; ex:r ex:c .
ex:D rdfs:subClassOf ex:C .
_:x a ex:C ; ex:p _:y .
"""

TOYS = {
    "pattern with flags, minLength, maxCount 1": """
        ex:S a sh:NodeShape ; sh:targetClass ex:C ;
            sh:property [ sh:path ex:p ; sh:pattern "^ab" ; sh:flags "i" ; sh:minLength 3 ; sh:maxCount 1 ] .""",
    "node shape's own constraints": """
        ex:S a sh:NodeShape ; sh:targetSubjectsOf ex:n ; sh:nodeKind sh:IRI ; sh:pattern "/[ab]$" ;
            sh:in ( ex:a ex:c ) ; sh:class ex:D .""",
    "minCount and maxCount above 1, inverse path": """
        ex:S a sh:NodeShape ; sh:targetClass ex:C ;
            sh:property [ sh:path ex:n ; sh:minCount 2 ; sh:maxCount 2 ; sh:datatype xsd:integer ] ,
                        [ sh:path [ sh:inversePath ex:r ] ; sh:minCount 2 ; sh:message "two r"@en ] .""",
    "sh:or of property shapes and node constraints": """
        ex:S a sh:NodeShape ; sh:targetClass ex:C ;
            sh:or ( [ sh:property [ sh:path ex:q ; sh:minCount 1 ; sh:nodeKind sh:IRI ] ]
                    [ sh:path ex:n ; sh:minCount 3 ] [ sh:class ex:D ] ) .""",
    "qualified value shape with node constraints, count 2": """
        ex:S a sh:NodeShape ; sh:targetClass ex:C ;
            sh:property [ sh:path ex:r ; sh:qualifiedValueShape [ sh:class ex:C ; sh:nodeKind sh:IRI ] ;
                          sh:qualifiedMinCount 2 ] .""",
    "qualified property shape with counts, uniqueLang, languageIn, disjoint, lessThanOrEquals": """
        ex:S a sh:NodeShape ; sh:targetClass ex:C ;
            sh:property [ sh:path ex:r ; sh:qualifiedMinCount 1 ;
                          sh:qualifiedValueShape [ sh:path ex:n ; sh:minCount 2 ; sh:maxCount 3 ] ] ,
                        [ sh:path ex:m ; sh:uniqueLang true ; sh:languageIn ( "de" ) ] ,
                        [ sh:path ex:q ; sh:disjoint ex:r ] ,
                        [ sh:path ex:lo ; sh:lessThanOrEquals ex:hi ; sh:minInclusive 2 ] .""",
    "severity, closed with ignored properties, SPARQL-based constraints": """
        ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:closed true ; sh:ignoredProperties ( rdf:type ex:m ) ;
            sh:message "geschlossen"@de , "closed"@en ;
            sh:property [ sh:path ex:p ; sh:maxCount 1 ; sh:severity sh:Warning ; sh:message "ein p"@de , "one p"@en ] ,
                        [ sh:path ex:q ] , [ sh:path ex:n ; sh:severity sh:Info ; sh:maxCount 2 ] .
        ex:T a sh:NodeShape ; sh:targetClass ex:C ; sh:severity sh:Warning ;
            sh:sparql [ sh:message "n groß"@de , "n large"@en ;
                        sh:select "SELECT $this ?value WHERE { $this <https://example.org/n> ?value FILTER(?value > 2) }" ] ,
                      [ sh:message "r sich selbst"@de , "r itself"@en ;
                        sh:select "SELECT DISTINCT $this WHERE { $this <https://example.org/r> $this }" ] .""",
}


@pytest.mark.parametrize("name", list(TOYS))
def test_toy_shapes_give_the_same_results(name):
    shapes = Graph().parse(data=TOY_PREFIXES + TOYS[name], format="turtle")
    # a message for every shape (pyshacl's default messages are its own wording, not ours)
    sh = URIRef("http://www.w3.org/ns/shacl#")
    for i, shape in enumerate(sorted({s for s, p, _ in shapes if str(p).startswith(sh)}, key=str)):
        if (shape, URIRef(sh + "message"), None) not in shapes and (None, URIRef(sh + "path"), shape) not in shapes:
            shapes.add((shape, URIRef(sh + "message"), Literal(f"message {i}")))
    data = Graph().parse(data=TOY_PREFIXES + TOY_DATA, format="turtle")
    ref = assert_same(data, shapes)
    assert not ref.conforms


def test_without_sh_message_the_message_names_shape_and_component():
    shapes = Graph().parse(
        data=TOY_PREFIXES
        + "ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:property [ sh:path ex:zz ; sh:minCount 1 ] .",
        format="turtle",
    )
    store = ox.Store()
    store.bulk_extend(terms.quads(Graph().parse(data=TOY_PREFIXES + TOY_DATA, format="turtle"), URIRef(DATA)))
    report = shacl_sparql.validate_store(store, DATA, shapes)
    assert {v.focus for v in report.violations} >= {EX + "a", EX + "b", EX + "c"}
    assert {v.message for v in report.violations} == {f"ex:S [{EX}zz]: sh:MinCountConstraintComponent is violated"}


# -- what is not supported is refused -----------------------------------------------------------------------
REFUSED = {
    "sh:targetNode": "ex:S a sh:NodeShape ; sh:targetNode ex:a ; sh:class ex:C .",
    "sh:node": "ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:node ex:T .",
    "sh:severity must be one of": "ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:severity ex:Fatal ; sh:class ex:C .",
    "sh:ignoredProperties without sh:closed": "ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:ignoredProperties ( ex:p ) .",
    "sh:select must project": """ex:S a sh:NodeShape ; sh:targetClass ex:C ;
        sh:sparql [ sh:select "PREFIX ex: <https://example.org/> SELECT $this WHERE { $this ex:p ?x }" ] .""",
    "sh:prefixes": """ex:S a sh:NodeShape ; sh:targetClass ex:C ;
        sh:sparql [ sh:prefixes ex: ; sh:select "SELECT $this WHERE { $this ?p ?x }" ] .""",
    "sh:deactivated": "ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:deactivated true .",
    "sh:closed must be one boolean": 'ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:closed "yes" .',
    "sh:maxInclusive": "ex:S sh:targetClass ex:C ; sh:property [ sh:path ex:n ; sh:maxInclusive 5 ] .",
    "sh:qualifiedMaxCount": """ex:S sh:targetClass ex:C ; sh:property [ sh:path ex:n ;
        sh:qualifiedValueShape [ sh:datatype xsd:integer ] ; sh:qualifiedMaxCount 1 ] .""",
    "sh:zeroOrMorePath": "ex:S sh:targetClass ex:C ; sh:property [ sh:path [ sh:zeroOrMorePath ex:r ] ; sh:minCount 1 ] .",
    "sequence paths": "ex:S sh:targetClass ex:C ; sh:property [ sh:path ( ex:r ex:n ) ; sh:minCount 1 ] .",
    "sh:minCount in a node shape": "ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:minCount 1 .",
    "sh:hasValue in a node shape": "ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:hasValue ex:a .",
    "sh:flags needs": 'ex:S sh:targetClass ex:C ; sh:property [ sh:path ex:p ; sh:flags "i" ] .',
    "not a regex Oxigraph accepts": 'ex:S sh:targetClass ex:C ; sh:property [ sh:path ex:p ; sh:pattern "a(?=b)" ] .',
    "implicit class targets": "ex:S a sh:NodeShape, rdfs:Class ; sh:property [ sh:path ex:p ; sh:minCount 1 ] .",
    "sh:property in a property shape": """ex:S sh:targetClass ex:C ; sh:property [ sh:path ex:r ;
        sh:property [ sh:path ex:n ; sh:minCount 1 ] ] .""",
}


@pytest.mark.parametrize("construct", list(REFUSED))
def test_an_unsupported_construct_is_refused_by_name(construct):
    shapes = Graph().parse(data=TOY_PREFIXES + REFUSED[construct], format="turtle")
    with pytest.raises(shacl_sparql.UnsupportedShape, match=construct):
        shacl_sparql.compile_shapes(shapes)


# -- each fault of issue 14 is reported by its own shape, with its severity -----------------------------------
FAULTS = [
    (duplicate_ordinal, "the pair (forum, ordinal) must be unique", "Violation"),
    (times_on_an_all_day_event, "An all-day event (rk:allDay true) has no times", "Violation"),
    (end_time_before_start_time, "ends on its only day before it starts", "Violation"),
    (unit_of_a_ministry_the_forum_does_not_name, "belongs (rk:unitOf) to none of the ministries", "Violation"),
    (membership_without_provenance, "no membership without provenance", "Violation"),
    (unknown_predicate, "An event has a property its shape does not provide for", "Violation"),
    (venue_without_city, "the venue is missing from the gazetteer", "Warning"),
    (conference_without_english_label, "The conference needs one rdfs:label in German and one in English", "Violation"),
    (role_with_a_note, "A role has a property its shape does not provide for", "Violation"),
    (source_document_with_a_bad_hash, "64 hexadecimal digits", "Violation"),
    (publisher_as_literal, "a foaf:Organization", "Violation"),
    (dissolution_as_text, "schema:dissolutionDate", "Violation"),
    (change_without_source, "cites at least one source", "Violation"),
    (dataset_licence_outside_the_vocabulary, "DCAT-AP.de licence vocabulary", "Violation"),
    (family_name_with_a_language, "rk:familyName, a non-empty xsd:string", "Violation"),
]


@pytest.mark.parametrize(("mutate", "message", "severity"), FAULTS, ids=[f[0].__name__ for f in FAULTS])
def test_each_shape_fires_on_its_fault(real, shapes, mutate, message, severity):
    g = Graph()
    for t in real:
        g.add(t)
    focus = validate.short(mutate(g))
    ref, ours = both(g, shapes)
    for report in (ref, ours):
        hits = [v for v in report.violations if v.focus == focus and message in v.message]
        assert hits and {v.severity for v in hits} == {severity}, report.text()
        assert report.conforms == (severity != "Violation")


def test_every_message_is_given_in_german_and_english(shapes):
    from rdflib.namespace import SH

    for node in set(shapes.subjects(SH.message, None)):
        assert {m.language for m in shapes.objects(node, SH.message)} == {"de", "en"}, node
