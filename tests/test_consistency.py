"""The build stays consistent when the W3C vocabularies it uses are loaded beside it (issue 14).

The W3C files in ``tests/vocab/w3c/`` are verbatim copies from the w3c/ns repository (see the README
there): PROV-O, ORG and DCAT 3. The build (data, ontology and links graphs) is loaded with them, the OWL 2 RL
closure is computed with owlrl, and we count owlrl's inconsistency reports: owlrl collects them while it
runs (``Closure.add_error``: a member of two disjoint classes, a literal of the wrong datatype, ...) and
adds each to the graph as a resource of type ``agent-ont:ErrorMessage`` with its text in ``agent-ont:error``.
Before issue 14 there were 67, all of one kind: a forum, an event or the conference was a ``prov:Activity``
and, as the subject of ``prov:wasDerivedFrom`` (domain ``prov:Entity``), also a ``prov:Entity``.

An ``owl:sameAs`` between two distinct named resources would mean that OWL RL merged two things (a second
value of a functional property does that): there must be none.
"""

from __future__ import annotations

from pathlib import Path

import owlrl
import pyoxigraph as ox
import pytest
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import OWL, RDF

from ruhrkg.graph.terms import from_ox
from ruhrkg.mappings.vocab import GRAPHS

W3C = Path(__file__).parent / "vocab" / "w3c"
ERR = Namespace("http://www.daml.org/2002/03/agents/agent-ont#")


def build_graph(store: ox.Store, *names: str) -> Graph:
    g = Graph()
    for name in names:
        for q in store.quads_for_pattern(None, None, None, ox.NamedNode(str(GRAPHS[name]))):
            g.add((from_ox(q.subject), from_ox(q.predicate), from_ox(q.object)))
    return g


def inconsistencies(g: Graph) -> list[str]:
    """owlrl's OWL 2 RL closure of ``g`` (in place) and the inconsistencies it reports."""
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, rdfs_closure=False, axiomatic_triples=False,
                           datatype_axioms=False).expand(g)  # fmt: skip
    return sorted(str(m) for err in g.subjects(RDF.type, ERR.ErrorMessage) for m in g.objects(err, ERR.error))


@pytest.fixture(scope="module")
def closure(store):
    g = build_graph(store, "data", "ontology", "links")
    for name in ("prov-o.ttl", "org.ttl", "dcat3.ttl"):
        g.parse(W3C / name, format="turtle")
    found = inconsistencies(g)
    return g, found


def test_the_build_with_prov_org_and_dcat_is_consistent(closure):
    _g, found = closure
    assert found == [], f"{len(found)} inconsistencies, e.g. {found[:3]}"


def test_no_two_named_resources_are_merged(closure):
    g, _found = closure
    merged = sorted((s, o) for s, o in g.subject_objects(OWL.sameAs)
                    if s != o and isinstance(s, URIRef) and isinstance(o, URIRef))  # fmt: skip
    assert merged == []


def test_the_check_finds_a_planted_inconsistency(store):
    """The test can fail: a forum typed as a prov:Activity again is reported."""
    g = build_graph(store, "data", "ontology")
    g.parse(W3C / "prov-o.ttl", format="turtle")
    g.add((URIRef("https://w3id.org/ruhrkg/id/forum/01"), RDF.type, URIRef("http://www.w3.org/ns/prov#Activity")))
    assert inconsistencies(g)
