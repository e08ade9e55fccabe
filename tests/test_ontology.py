"""The ontology declares, labels and documents every term; the data uses only declared terms."""

from __future__ import annotations

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from ruhrkg.graph.build import ontology_graph, shapes_graph
from ruhrkg.mappings import links
from ruhrkg.mappings.mapper import to_graph
from ruhrkg.mappings.vocab import DEF, RK

ONTOLOGY_IRI = URIRef("https://w3id.org/ruhrkg/def")
DECLARATIONS = {OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty, OWL.NamedIndividual}


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return ontology_graph()


@pytest.fixture(scope="module")
def data(doc) -> Graph:
    """The data graph plus the links graph (both are instance data the ontology must describe)."""
    g = to_graph(doc)
    for t in links.triples(links.load()):
        g.add(t)
    return g


def labels(g: Graph, term) -> dict[str, str]:
    return {lit.language: str(lit) for lit in g.objects(term, RDFS.label) if isinstance(lit, Literal)}


def test_header(ontology):
    assert (ONTOLOGY_IRI, RDF.type, OWL.Ontology) in ontology
    assert ontology.value(ONTOLOGY_IRI, OWL.versionIRI) is not None
    assert ontology.value(ONTOLOGY_IRI, OWL.versionInfo) is not None
    assert ontology.value(ONTOLOGY_IRI, URIRef("http://purl.org/dc/terms/license")) is not None


@pytest.mark.parametrize("name", sorted(RK.__annotations__))
def test_every_vocab_term_is_declared_labelled_and_documented(ontology, name):
    term = RK[name]
    assert set(ontology.objects(term, RDF.type)) & DECLARATIONS, f"rk:{name} is not declared"
    assert {"de", "en"} <= set(labels(ontology, term)), f"rk:{name} lacks a German or English label"
    assert ontology.value(term, RDFS.comment) is not None, f"rk:{name} has no rdfs:comment"
    assert ontology.value(term, RDFS.isDefinedBy) == ONTOLOGY_IRI


def test_no_undeclared_rk_term_in_the_ontology(ontology):
    used = {t for triple in ontology for t in triple if isinstance(t, URIRef) and str(t).startswith(DEF)}
    assert {str(t)[len(DEF) :] for t in used} <= set(RK.__annotations__)


def test_closed_namespace_rejects_typos():
    with pytest.raises(AttributeError):
        RK.Forumm  # noqa: B018


def test_every_term_the_data_uses_is_declared_with_both_labels(ontology, data):
    predicates = set(data.predicates())
    classes = set(data.objects(None, RDF.type))
    assert RK.EntityLink in classes
    undeclared = []
    for term in predicates | classes:
        if term == RDF.type:
            continue
        if not (set(ontology.objects(term, RDF.type)) & DECLARATIONS) or {"de", "en"} - set(labels(ontology, term)):
            undeclared.append(str(term))
    assert undeclared == []


def test_reused_terms_keep_their_meaning(ontology):
    """External terms are declared for labels only: no domain, range or super-property is added."""
    for term in set(ontology.subjects(RDF.type, None)):
        if str(term).startswith(DEF) or not isinstance(term, URIRef) or term == ONTOLOGY_IRI:
            continue
        for p in (RDFS.domain, RDFS.range, RDFS.subPropertyOf, RDFS.subClassOf):
            assert ontology.value(term, p) is None, f"{term} gets {p}"


def test_three_distinct_ministry_relations(ontology):
    assert (RK.leadMinistry, RDFS.subPropertyOf, RK.ministryTakingPart) in ontology
    assert (RK.participatingMinistry, RDFS.subPropertyOf, RK.ministryTakingPart) in ontology
    assert (RK.interestedMinistry, RDFS.subPropertyOf, RK.ministryTakingPart) not in ontology
    assert (RK.interestedMinistry, RDFS.subPropertyOf, RK.ministryInvolved) in ontology


def test_membership_follows_w3c_org(ontology):
    org = "http://www.w3.org/ns/org#"
    assert (RK.ForumMembership, RDFS.subClassOf, URIRef(org + "Membership")) in ontology
    assert (RK.Role, RDFS.subClassOf, URIRef(org + "Role")) in ontology
    assert (RK.member, RDFS.subPropertyOf, URIRef(org + "member")) in ontology


def test_shapes_parse_and_target_the_main_classes():
    shapes = shapes_graph()
    sh = "http://www.w3.org/ns/shacl#"
    targets = set(shapes.objects(None, URIRef(sh + "targetClass")))
    assert {RK.Forum, RK.Event, RK.Person, RK.ForumMembership, RK.Ministry} <= targets


# -- issue 14: a model that specialists accept -----------------------------------------------------------------
SKOS_EDITORIAL = URIRef("http://www.w3.org/2004/02/skos/core#editorialNote")
BUILTIN = ("http://www.w3.org/2001/XMLSchema#", str(OWL), str(RDF), str(RDFS))


@pytest.fixture(scope="module")
def described(data) -> Graph:
    """The data plus a dataset description (it is part of the data graph)."""
    import datetime as dt

    from ruhrkg.graph import dataset

    facts = dataset.Facts(version="1", built_at=dt.datetime(2026, 12, 5, tzinfo=dt.UTC), triples=1, entities=1,
                          class_counts={str(RK.Forum): 20}, property_counts={str(RK.number): 20},
                          temporal=(dt.date(2019, 1, 1), dt.date(2019, 12, 1)))  # fmt: skip
    g = Graph()
    for t in data:
        g.add(t)
    for t in dataset.description(facts, publisher=dataset.Publisher(contact_email="x@example.org")):
        g.add(t)
    return g


def test_every_term_of_the_dataset_description_is_declared(ontology, described):
    """OOPS P34/P35 (untyped class, untyped property) for the whole data graph, description included."""
    used = (set(described.predicates()) | set(described.objects(None, RDF.type))) - {RDF.type}
    undeclared = sorted(str(t) for t in used if not set(ontology.objects(t, RDF.type)) & DECLARATIONS)
    assert undeclared == []


def test_every_term_the_ontology_refers_to_is_declared(ontology):
    """OOPS P34/P35 for the ontology itself: super-classes, super-properties, domains and ranges."""
    referred = {
        o for p in (RDFS.subClassOf, RDFS.subPropertyOf, RDFS.domain, RDFS.range) for o in ontology.objects(None, p)
    }
    referred |= set(ontology.predicates()) - {RDF.type, RDF.first, RDF.rest}
    referred = {t for t in referred if isinstance(t, URIRef) and not str(t).startswith(BUILTIN)}
    undeclared = sorted(str(t) for t in referred if not set(ontology.objects(t, RDF.type)) & DECLARATIONS
                        and t not in (RDFS.Literal, RDFS.seeAlso))  # fmt: skip
    assert undeclared == []


def test_no_functional_properties(ontology):
    """OWL RL turns a second value of a functional property into owl:sameAs; the SHACL shapes guard cardinality."""
    assert not set(ontology.subjects(RDF.type, OWL.FunctionalProperty))
    assert not set(ontology.subjects(RDF.type, OWL.InverseFunctionalProperty))


def test_every_property_has_domain_and_range_or_a_written_reason(ontology):
    """OOPS P11: a missing domain or range needs a skos:editorialNote that says why."""
    missing = []
    for prop in set(ontology.subjects(RDF.type, OWL.ObjectProperty)) | set(
        ontology.subjects(RDF.type, OWL.DatatypeProperty)
    ):
        if not str(prop).startswith(DEF):
            continue
        for axiom, name in ((RDFS.domain, "domain"), (RDFS.range, "range")):
            note = " ".join(str(n) for n in ontology.objects(prop, SKOS_EDITORIAL))
            if ontology.value(prop, axiom) is None and f"No rdfs:{name} on purpose (OOPS P11)" not in note:
                missing.append(f"{prop} {name}")
    assert missing == []


def test_no_property_is_both_annotation_and_data_or_object(ontology):
    """OWL 2 DL: the three kinds of property are disjoint; no datatype property under an annotation property."""
    annotations = set(ontology.subjects(RDF.type, OWL.AnnotationProperty))
    others = set(ontology.subjects(RDF.type, OWL.ObjectProperty)) | set(
        ontology.subjects(RDF.type, OWL.DatatypeProperty)
    )
    assert annotations & others == set()
    assert (
        set(ontology.subjects(RDF.type, OWL.ObjectProperty)) & set(ontology.subjects(RDF.type, OWL.DatatypeProperty))
        == set()
    )
    assert [
        (s, o) for s, o in ontology.subject_objects(RDFS.subPropertyOf) if s not in annotations and o in annotations
    ] == []


def test_disjoint_classes(ontology):
    """OOPS P10: classes whose members cannot coincide are declared disjoint (pairwise)."""
    main = [RK.Conference, RK.Forum, RK.Event, RK.Ministry, RK.OrganizationalUnit, RK.Organization, RK.Person,
            RK.ForumMembership, RK.Role, RK.Place, RK.SourceDocument, RK.SourceExcerpt]  # fmt: skip
    for group in (main, [RK.Venue, RK.City, RK.AdministrativeArea]):
        for i, a in enumerate(group):
            for b in group[i + 1 :]:
                assert (a, OWL.disjointWith, b) in ontology or (b, OWL.disjointWith, a) in ontology, (a, b)


def test_dublin_core_agents_and_languages_are_resources(ontology, data):
    """dct:creator, dct:publisher and dct:language take resources (agents, language IRIs), not literals."""
    for p in ("creator", "publisher", "language", "format"):
        prop = URIRef("http://purl.org/dc/terms/" + p)
        for g in (ontology, data):
            assert not [o for o in g.objects(None, prop) if isinstance(o, Literal)], f"dct:{p} with a literal"


def test_version_history(ontology):
    """The header names the version, the prior version and what changed (shown on /def)."""
    assert str(ontology.value(ONTOLOGY_IRI, OWL.versionInfo)) == "1.1.0"
    assert ontology.value(ONTOLOGY_IRI, OWL.priorVersion) == URIRef("https://w3id.org/ruhrkg/def/1.0.0")
    notes = [str(n) for n in ontology.objects(ONTOLOGY_IRI, URIRef("http://www.w3.org/2004/02/skos/core#changeNote"))]
    assert any(n.startswith("1.1.0") for n in notes) and any(n.startswith("1.0.0") for n in notes)
