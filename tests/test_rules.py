"""The SPARQL-rule reasoner (ruhrkg.graph.rules) gives exactly owlrl's entailments."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from ruhrkg.graph import reason, rules, terms
from ruhrkg.graph.build import ontology_graph
from ruhrkg.mappings import iris
from ruhrkg.mappings.mapper import to_graph
from ruhrkg.mappings.parser import parse_text
from ruhrkg.mappings.vocab import GRAPHS, RK

SYNTH = Path(__file__).parent.parent / "bench" / "synth.py"
EX = "http://example.org/"


def load_synth():
    spec = importlib.util.spec_from_file_location("ruhrkg_bench_synth", SYNTH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def ontology():
    return ontology_graph()


@pytest.fixture(scope="module")
def real(doc):
    return to_graph(doc)


@pytest.fixture(scope="module")
def synthetic_x2():
    corpus = load_synth().generate(2, 1)
    gz = corpus.gazetteer_with_extension()
    return to_graph(parse_text(corpus.text, gazetteer=gz), gazetteer=gz)


@pytest.mark.parametrize("strategy", rules.STRATEGIES)
def test_equals_the_owlrl_inferred_graph_on_the_real_document(real, ontology, strategy):
    expected = reason.inferred_triples(real, ontology)
    got = rules.inferred_triples(real, ontology, strategy=strategy)
    assert set(got) == set(expected)
    assert len(got) == len(expected) > 2000
    assert (iris.forum(15), RK.ministryInvolved, iris.ministry("MWIDE")) in got
    assert (iris.forum(15), RK.ministryTakingPart, iris.ministry("MWIDE")) not in got


@pytest.mark.parametrize("strategy", rules.STRATEGIES)
def test_equals_the_owlrl_inferred_graph_on_a_synthetic_corpus(synthetic_x2, ontology, strategy):
    expected = reason.inferred_triples(synthetic_x2, ontology)
    assert set(rules.inferred_triples(synthetic_x2, ontology, strategy=strategy)) == set(expected)


def test_what_is_in_the_inferred_graph_and_what_is_not(real, ontology):
    got = rules.inferred_triples(real, ontology)
    assert not any(p == RDF.type and o == OWL.Thing for _, p, o in got)
    assert not any(p == OWL.sameAs for _, p, o in got)
    assert not any(t in real or t in ontology for t in got)
    # owlrl's one-time triples: about the ontology terms and the datatypes, not the data
    assert (URIRef("http://www.w3.org/2001/XMLSchema#boolean"), OWL.disjointWith,
            URIRef("http://www.w3.org/2001/XMLSchema#decimal")) in got  # fmt: skip
    assert (OWL.Thing, RDF.type, OWL.Class) in got
    assert (RK.Forum, RDFS.subClassOf, OWL.Thing) in got
    assert (RK.hasEvent, RDFS.domain, OWL.Thing) in got
    assert (iris.forum(1), RK.hasEvent, iris.event(1, 1)) in got


def test_works_in_a_given_store_and_leaves_other_graphs_alone(real, ontology):
    store = ox.Store()
    store.bulk_extend(terms.quads(real, GRAPHS["data"]))
    store.bulk_extend(terms.quads(ontology, GRAPHS["ontology"]))
    other = ox.NamedNode("http://example.org/other")
    store.add(ox.Quad(ox.NamedNode(EX + "a"), ox.NamedNode(str(RK.forum)), ox.NamedNode(EX + "b"), other))
    store.add(
        ox.Quad(
            ox.NamedNode(EX + "stale"), ox.NamedNode(EX + "p"), ox.Literal("x"), ox.NamedNode(str(GRAPHS["inferred"]))
        )
    )
    stats = rules.Stats()
    n = rules.inferred_quads(store, GRAPHS["data"], GRAPHS["ontology"], str(GRAPHS["inferred"]), stats=stats)
    assert (
        n
        == len(reason.inferred_triples(real, ontology))
        == len(list(store.quads_for_pattern(None, None, None, ox.NamedNode(str(GRAPHS["inferred"])))))
    )
    assert {g.value for g in store.named_graphs()} == {str(GRAPHS[g]) for g in ("data", "ontology", "inferred")} | {
        other.value
    }
    assert len(list(store.quads_for_pattern(None, None, None, other))) == 1  # not reasoned over, not changed
    assert stats.rounds and stats.seconds["total"] > 0


# -- the rules beyond what our data needs: compared with a plain owlrl run ------------------------------
def small(turtle: str) -> Graph:
    g = Graph()
    g.parse(data="@prefix ex: <http://example.org/> . @prefix rk: <https://w3id.org/ruhrkg/def#> .\n"
            "@prefix owl: <http://www.w3.org/2002/07/owl#> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
            + turtle, format="turtle")  # fmt: skip
    return g


EXTRA_AXIOMS = """
rk:forum a owl:FunctionalProperty . rk:familyName a owl:FunctionalProperty .
rk:hasEvent a owl:InverseFunctionalProperty .
ex:knows a owl:ObjectProperty , owl:SymmetricProperty .
ex:partOf a owl:ObjectProperty , owl:TransitiveProperty ; rdfs:domain ex:Part .
ex:A a owl:Class ; owl:equivalentClass ex:B .
ex:B a owl:Class ; rdfs:subClassOf ex:C .
ex:p a owl:ObjectProperty ; owl:equivalentProperty ex:q .
ex:q rdfs:range ex:A .
"""


@pytest.mark.parametrize("strategy", rules.STRATEGIES)
@pytest.mark.parametrize(
    "data",
    [
        # symmetric, transitive, equivalent classes and properties
        "ex:x ex:knows ex:y . ex:a ex:partOf ex:b . ex:b ex:partOf ex:c . ex:c ex:partOf ex:d . "
        "ex:i a ex:B . ex:s ex:p ex:o .",
        # two forums of one event: a functional property makes them the same (and the labels follow)
        "ex:e rk:forum ex:f1 , ex:f2 . ex:f1 a rk:Forum ; rdfs:label 'one' . ex:f2 rk:number 2 .",
        # two forums with one event: an inverse-functional property does the same
        "ex:f1 rk:hasEvent ex:e . ex:f2 rk:hasEvent ex:e . ex:f2 rdfs:label 'two' .",
        # two family names of one person: the literals are equal, so are other persons' names
        "ex:p1 rk:familyName 'Meier' , 'Meyer' . ex:p2 rk:familyName 'Meyer' . ex:p3 rk:givenName 'Meier' .",
        # an equality that chains through a transitive property and back into the schema of the data
        "ex:e rk:forum ex:f1 , ex:f2 . ex:f2 ex:partOf ex:g . ex:g ex:partOf ex:h . ex:f1 ex:knows ex:k .",
    ],
)
def test_equals_a_plain_owlrl_run_on_small_graphs(ontology, data, strategy):
    onto = ontology + small(EXTRA_AXIOMS)
    g = small(data)
    expected = reason.reference_inferred_triples(g, onto)
    got = rules.inferred_triples(g, onto, strategy=strategy)
    assert set(got) == set(expected), (set(got) - set(expected), set(expected) - set(got))


def test_literal_equality_copies_the_other_literal():
    g = small("ex:p1 rk:familyName 'Meier' , 'Meyer' . ex:p2 rk:familyName 'Meyer' .")
    got = rules.inferred_triples(g, ontology_graph() + small(EXTRA_AXIOMS))
    assert (URIRef(EX + "p2"), RK.familyName, Literal("Meier")) in got


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("ex:D owl:intersectionOf ( ex:A ex:B ) .", "intersectionOf"),
        ("ex:R owl:onProperty ex:p ; owl:someValuesFrom ex:A .", "someValuesFrom"),
        ("ex:x rk:hasEvent 'a literal' .", "inverse"),
        ("ex:e rk:forum ex:f1 , 'f2' .", "a literal and a resource"),
        ("owl:Thing rdfs:subClassOf ex:Top .", "owl:Thing"),
    ],
)
def test_what_it_does_not_implement_is_refused(ontology, extra, message):
    with pytest.raises(rules.UnsupportedAxiom, match=message):
        rules.inferred_triples(small(extra), ontology + small(EXTRA_AXIOMS))


def test_unknown_strategy():
    with pytest.raises(ValueError, match="strategy"):
        rules.inferred_triples(Graph(), Graph(), strategy="magic")
