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
