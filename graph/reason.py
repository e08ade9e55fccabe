"""OWL-RL entailments with owlrl, kept apart from the asserted triples.

owlrl evaluates every rule against every triple in every pass, so its cost
grows with the graph times the number of passes. Two measures keep it fast
without changing the result (a test compares against a plain owlrl run on
the whole document):

* The ``eq-ref`` rule adds ``x owl:sameAs x`` for every term of every triple,
  which doubles the graph that each later pass walks. Reflexive ``sameAs``
  says nothing, the other equality rules derive nothing new from it, and we
  drop it from the output anyway, so it is never stored.
* Only triples that a rule can fire on go in: ``rdf:type`` triples, triples
  whose predicate the ontology gives an axiom (domain, range, super-property,
  inverse, characteristic), and the ontology without its labels and comments.
  Annotation-only triples (labels, descriptions, provenance links) cannot
  take part in any OWL-RL rule but ``eq-ref``; one of them is kept for each
  literal datatype they use, since owlrl adds the disjointness axioms of
  the datatypes in use (``xsd:dateTime`` appears only in ``schema:startDate``).

A third measure is about Python, not logic: owlrl looks up ``OWL.sameAs``
and the like hundreds of thousands of times, and rdflib's closed namespaces
answer each lookup slowly. While owlrl runs, its modules see namespaces with
the terms precomputed (:func:`_fast_namespaces`); they are restored after.
"""

from __future__ import annotations

import contextlib
import threading

import owlrl
import owlrl.Closure
import owlrl.OWLRL
from rdflib import Graph, Literal
from rdflib.namespace import OWL, RDF, RDFS, SKOS

AXIOMS = {RDFS.domain, RDFS.range, RDFS.subPropertyOf, OWL.inverseOf, OWL.equivalentProperty, OWL.propertyDisjointWith}
CHARACTERISTICS = {
    OWL.FunctionalProperty,
    OWL.InverseFunctionalProperty,
    OWL.SymmetricProperty,
    OWL.AsymmetricProperty,
    OWL.TransitiveProperty,
    OWL.IrreflexiveProperty,
}
ANNOTATIONS = {RDFS.label, RDFS.comment, RDFS.isDefinedBy, SKOS.definition, SKOS.note}


class _Semantics(owlrl.OWLRL_Semantics):
    """owlrl's OWL-RL rules, minus the storage of reflexive ``owl:sameAs``."""

    def store_triple(self, t) -> None:
        if t[1] == OWL.sameAs and t[0] == t[2]:
            return
        super().store_triple(t)


def rule_input(data: Graph, ontology: Graph) -> Graph:
    """The triples that OWL-RL rules can fire on (see the module docstring)."""
    relevant = set()
    for s, p, o in ontology:
        if p in AXIOMS:
            relevant.add(s)
            if p in (OWL.inverseOf, OWL.equivalentProperty, RDFS.subPropertyOf):
                relevant.add(o)
        elif p == RDF.type and o in CHARACTERISTICS:
            relevant.add(s)
        elif p in (OWL.onProperty, OWL.propertyChainAxiom, OWL.hasKey):
            relevant.add(o)
    if any(p in (OWL.propertyChainAxiom, OWL.hasKey, OWL.sameAs) for p in ontology.predicates()):
        relevant = None  # lists of properties: keep everything rather than chase them
    g = Graph()
    for t in ontology:
        if t[1] not in ANNOTATIONS:
            g.add(t)
    datatypes: dict = {}  # one left-out triple per literal datatype: owlrl's datatype axioms follow the datatypes in use
    for t in data:
        if relevant is None or t[1] == RDF.type or t[1] in relevant or t[1] == OWL.sameAs:
            g.add(t)
        elif isinstance(t[2], Literal) and t[2].datatype is not None:
            datatypes[t[2].datatype] = min(datatypes.get(t[2].datatype, t), t, key=lambda x: tuple(v.n3() for v in x))
    for t in datatypes.values():
        g.add(t)
    return g


class _TermTable:
    """A namespace whose terms are plain attributes (fast), falling back to the original."""

    def __init__(self, ns) -> None:
        self._ns = ns
        for name in set(ns.__annotations__) | set(getattr(ns, "_extras", ())):
            self.__dict__[name] = ns[name]

    def __getattr__(self, name: str):
        return getattr(self._ns, name)

    def __getitem__(self, name: str):
        return self._ns[name]

    def __contains__(self, term) -> bool:
        return term in self._ns

    def __str__(self) -> str:
        return str(self._ns)


_patch_lock = threading.Lock()


@contextlib.contextmanager
def _fast_namespaces():
    with _patch_lock:
        saved = []
        for module in (owlrl.OWLRL, owlrl.Closure):
            for name, ns in (("OWL", OWL), ("RDF", RDF), ("RDFS", RDFS)):
                if getattr(module, name, None) is ns:
                    saved.append((module, name, ns))
                    setattr(module, name, _TermTable(ns))
        try:
            yield
        finally:
            for module, name, ns in saved:
                setattr(module, name, ns)


def closure(graph: Graph) -> Graph:
    """Expand ``graph`` in place to its OWL-RL closure (owlrl, optimised as above)."""
    with _fast_namespaces():
        owlrl.DeductiveClosure(_Semantics, axiomatic_triples=False, datatype_axioms=False).expand(graph)
    return graph


def inferred_triples(data: Graph, ontology: Graph) -> Graph:
    """The OWL-RL closure of data plus ontology, minus what was asserted.

    owlrl runs without axiomatic triples and datatype axioms (they say
    nothing about our data). Reflexive ``owl:sameAs`` and ``rdf:type
    owl:Thing`` hold for every resource and are left out; so are triples
    with a literal subject, which RDF 1.1 cannot serialise.
    """
    g = closure(rule_input(data, ontology))
    return _entailed_only(g, data, ontology)


def _entailed_only(g: Graph, data: Graph, ontology: Graph) -> Graph:
    out = Graph()
    for s, p, o in g:
        if isinstance(s, Literal) or (s, p, o) in data or (s, p, o) in ontology:
            continue
        if (p == OWL.sameAs and s == o) or (p == RDF.type and o == OWL.Thing):
            continue
        out.add((s, p, o))
    return out


def reference_inferred_triples(data: Graph, ontology: Graph) -> Graph:
    """The same entailments from a plain owlrl run over everything (slow; for tests and benchmarks)."""
    g = Graph()
    for t in data:
        g.add(t)
    for t in ontology:
        g.add(t)
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False).expand(g)
    return _entailed_only(g, data, ontology)
