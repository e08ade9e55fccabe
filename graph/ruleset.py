"""The OWL 2 RL rules :mod:`ruhrkg.graph.rules` runs, as a table of SPARQL rules, and the vocabulary they use.

**Which rules.** The OWL 2 RL rules (the names of the W3C profile's tables)
for the axioms our ontology uses, plus the generic ones that come with them:

* class axioms: ``cax-sco``, ``cax-eqc1/2``;
* property axioms: ``prp-dom``, ``prp-rng``, ``prp-spo1``, ``prp-eqp1/2``,
  ``prp-inv1/2``, ``prp-symp``, ``prp-trp``, ``prp-fp``, ``prp-ifp`` (our
  ontology has no functional or inverse-functional properties since 1.1.0,
  the SHACL shapes guard cardinality; the rules stay, and are tested, for
  ontologies that do);
* equality: ``eq-sym``, ``eq-trans``, ``eq-rep-s/p/o`` (run only once an
  ``owl:sameAs`` exists);
* schema: ``scm-cls``, ``scm-sco``, ``scm-eqc``, ``scm-eqc2``, ``scm-op``/``scm-dp``
  (also for ``rdf:Property``, as owlrl does), ``scm-spo``, ``scm-eqp``,
  ``scm-eqp2``, ``scm-dom1/2``, ``scm-rng1/2``;
* owlrl's one-time rules: ``cls-thing``, ``cls-nothing1``, ``prp-ap`` and its
  datatype rules (every OWL 2 RL datatype is an ``rdfs:Datatype``; a resource
  typed with a datatype gets its super-datatypes; the disjointness axioms of
  the datatypes in use), from owlrl's own tables.

Class expressions (restrictions, ``intersectionOf``, ``unionOf``, ``oneOf``),
property chains and keys are not implemented: :class:`UnsupportedAxiom` is
raised if the ontology or data use them. Rules that only detect
inconsistencies (``cax-dw``, ``prp-irp``, ``eq-diff1``, ...) are not run:
owlrl turns them into error-message triples, our data has none.

**Differences from owlrl** (none shows on our data; the tests compare):

* ``x rdf:type owl:Thing`` (holds for every resource) and reflexive
  ``owl:sameAs`` are never materialised; ``reason.inferred_triples`` drops
  them from owlrl's output too. Consequences of ``owl:Thing`` memberships would
  need an axiom about ``owl:Thing`` itself; :class:`UnsupportedAxiom` if there is one.
* Triples with a literal subject cannot be stored (nor serialised in RDF 1.1);
  owlrl derives them internally (``"5" rdf:type xsd:integer``) and
  ``reason.inferred_triples`` drops them. Consequences that would go through
  them (a literal value of a property with an inverse or a symmetric property)
  raise :class:`UnsupportedAxiom`. Two different literal values of a
  functional property do make the literals equal, as in owlrl: every triple
  with one of them as object is copied with the other.
* Oxigraph keeps literals by value and RDF 1.1 semantics: ``"01"^^xsd:integer``
  is ``"1"^^xsd:integer``, ``"x"^^xsd:string`` is ``"x"``. owlrl (rdflib) tells
  them apart, so for non-canonical literals the two may differ; the mapper
  writes canonical ones. A literal typed ``xsd:string`` therefore does not put
  ``xsd:string`` among the datatypes in use (owlrl's disjointness axioms).
* owlrl's datatype typing through ``owl:sameAs`` of the input, and its
  error-message triples, are not reproduced.

Where ``owl:sameAs`` arises, the result equals a plain owlrl run over data and
ontology (``reason.reference_inferred_triples``), which copies *every* triple
of the equal resources; ``reason.inferred_triples`` gives owlrl only the
triples its rules can fire on, so it lacks the copies of labels and the like.
"""

from __future__ import annotations

from dataclasses import dataclass

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
PREFIXES = f"PREFIX rdf: <{RDF}>\nPREFIX rdfs: <{RDFS}>\nPREFIX owl: <{OWL}>\n"
_PREFIX_IRI = {"rdf": RDF, "rdfs": RDFS, "owl": OWL}

TYPE, SAME_AS, THING, NOTHING = RDF + "type", OWL + "sameAs", OWL + "Thing", OWL + "Nothing"

#: Scratch graphs of a run (dropped at the end).
WORK = "urn:ruhrkg:rules:"

STRATEGIES = ("compiled", "generic")

#: Predicates and types that make a triple part of the schema the rules read.
SCHEMA_PREDICATES = {
    RDFS + "subClassOf",
    RDFS + "subPropertyOf",
    RDFS + "domain",
    RDFS + "range",
    OWL + "equivalentClass",
    OWL + "equivalentProperty",
    OWL + "inverseOf",
}
SCHEMA_TYPES = {
    OWL + "Class",
    OWL + "ObjectProperty",
    OWL + "DatatypeProperty",
    RDF + "Property",
    OWL + "FunctionalProperty",
    OWL + "InverseFunctionalProperty",
    OWL + "SymmetricProperty",
    OWL + "TransitiveProperty",
}
UNSUPPORTED = [
    OWL + p
    for p in (
        "intersectionOf",
        "unionOf",
        "someValuesFrom",
        "allValuesFrom",
        "hasValue",
        "maxCardinality",
        "maxQualifiedCardinality",
        "oneOf",
        "propertyChainAxiom",
        "hasKey",
    )
]


class UnsupportedAxiom(Exception):
    """The ontology or data use an OWL 2 RL feature these rules do not implement."""


# -- rules -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Rule:
    """One rule: ``head`` (SPARQL triple templates) holds wherever all ``body`` patterns match.

    ``body`` holds one triple pattern per premise; ``where`` adds filters.
    """

    name: str
    head: str
    body: tuple[str, ...]
    where: str = ""
    kind: str = "single"  # "schema": premises all schema; "single": one in the data; "join", "equality": several

    def predicate(self, i: int) -> str | None:
        """The predicate IRI of premise ``i``, or None if it is a variable."""
        p = self.body[i].split()[1]
        if p == "a":
            return TYPE
        if p.startswith("?"):
            return None
        prefix, _, local = p.partition(":")
        return _PREFIX_IRI[prefix] + local


def _rules() -> list[Rule]:
    sco, spo, eqc, eqp = "rdfs:subClassOf", "rdfs:subPropertyOf", "owl:equivalentClass", "owl:equivalentProperty"
    not_thing = "FILTER(?{v} != owl:Thing)"
    return [
        # -- schema (Table 9) -------------------------------------------------------------------------
        Rule(
            "scm-cls",
            f"?c {sco} ?c . ?c {eqc} ?c . ?c {sco} owl:Thing . owl:Nothing {sco} ?c .",
            ("?c a owl:Class",),
            kind="schema",
        ),
        Rule(
            "scm-sco",
            f"?c1 {sco} ?c3 .",
            (f"?c1 {sco} ?c2", f"?c2 {sco} ?c3"),
            "FILTER(?c1 != ?c2 && ?c1 != ?c3)",
            kind="schema",
        ),
        Rule("scm-eqc2", f"?c1 {eqc} ?c2 .", (f"?c1 {sco} ?c2", f"?c2 {sco} ?c1"), kind="schema"),
        Rule("scm-eqc", f"?c1 {sco} ?c2 . ?c2 {sco} ?c1 .", (f"?c1 {eqc} ?c2",), "FILTER(?c1 != ?c2)", "schema"),
        Rule(
            "scm-op",
            f"?p {spo} ?p . ?p {eqp} ?p .",
            ("?p a ?t",),
            "VALUES ?t { owl:ObjectProperty owl:DatatypeProperty rdf:Property }",
            kind="schema",
        ),
        Rule(
            "scm-spo",
            f"?p1 {spo} ?p3 .",
            (f"?p1 {spo} ?p2", f"?p2 {spo} ?p3"),
            "FILTER(?p1 != ?p2 && ?p1 != ?p3)",
            kind="schema",
        ),
        Rule("scm-eqp2", f"?p1 {eqp} ?p2 .", (f"?p1 {spo} ?p2", f"?p2 {spo} ?p1"), "FILTER(?p1 != ?p2)", "schema"),
        Rule("scm-eqp", f"?p1 {spo} ?p2 . ?p2 {spo} ?p1 .", (f"?p1 {eqp} ?p2",), "FILTER(?p1 != ?p2)", "schema"),
        Rule(
            "scm-dom1", "?p rdfs:domain ?c2 .", ("?p rdfs:domain ?c1", f"?c1 {sco} ?c2"), "FILTER(?c1 != ?c2)", "schema"
        ),
        Rule(
            "scm-dom2", "?p1 rdfs:domain ?c .", ("?p2 rdfs:domain ?c", f"?p1 {spo} ?p2"), "FILTER(?p1 != ?p2)", "schema"
        ),
        Rule(
            "scm-rng1", "?p rdfs:range ?c2 .", ("?p rdfs:range ?c1", f"?c1 {sco} ?c2"), "FILTER(?c1 != ?c2)", "schema"
        ),
        Rule(
            "scm-rng2", "?p1 rdfs:range ?c .", ("?p2 rdfs:range ?c", f"?p1 {spo} ?p2"), "FILTER(?p1 != ?p2)", "schema"
        ),
        # -- classes and properties with one premise in the data (Tables 5 and 7) ----------------------
        Rule(
            "cax-sco",
            "?x a ?c2 .",
            (f"?c1 {sco} ?c2", "?x a ?c1"),
            "FILTER(?c1 != ?c2) " + not_thing.format(v="c2"),
            "single",
        ),
        Rule(
            "cax-eqc1",
            "?x a ?c2 .",
            (f"?c1 {eqc} ?c2", "?x a ?c1"),
            "FILTER(?c1 != ?c2) " + not_thing.format(v="c2"),
            "single",
        ),
        Rule(
            "cax-eqc2",
            "?x a ?c1 .",
            (f"?c1 {eqc} ?c2", "?x a ?c2"),
            "FILTER(?c1 != ?c2) " + not_thing.format(v="c1"),
            "single",
        ),
        Rule("prp-dom", "?x a ?c .", ("?p rdfs:domain ?c", "?x ?p ?y"), not_thing.format(v="c"), "single"),
        Rule("prp-rng", "?y a ?c .", ("?p rdfs:range ?c", "?x ?p ?y"), not_thing.format(v="c"), "single"),
        Rule("prp-spo1", "?x ?p2 ?y .", (f"?p1 {spo} ?p2", "?x ?p1 ?y"), "FILTER(?p1 != ?p2)", "single"),
        Rule("prp-eqp1", "?x ?p2 ?y .", (f"?p1 {eqp} ?p2", "?x ?p1 ?y"), "FILTER(?p1 != ?p2)", "single"),
        Rule("prp-eqp2", "?x ?p1 ?y .", (f"?p1 {eqp} ?p2", "?x ?p2 ?y"), "FILTER(?p1 != ?p2)", "single"),
        Rule("prp-inv1", "?y ?p2 ?x .", ("?p1 owl:inverseOf ?p2", "?x ?p1 ?y"), kind="single"),
        Rule("prp-inv2", "?y ?p1 ?x .", ("?p1 owl:inverseOf ?p2", "?x ?p2 ?y"), kind="single"),
        Rule("prp-symp", "?y ?p ?x .", ("?p a owl:SymmetricProperty", "?x ?p ?y"), kind="single"),
        # -- several premises in the data (Tables 4 and 5) ---------------------------------------------
        Rule("prp-trp", "?x ?p ?z .", ("?p a owl:TransitiveProperty", "?x ?p ?y", "?y ?p ?z"), kind="join"),
        Rule("eq-sym", "?y owl:sameAs ?x .", ("?x owl:sameAs ?y",), kind="equality"),
        Rule("eq-trans", "?x owl:sameAs ?z .", ("?x owl:sameAs ?y", "?y owl:sameAs ?z"), kind="equality"),
        Rule("eq-rep-s", "?s2 ?p ?o .", ("?s owl:sameAs ?s2", "?s ?p ?o"), kind="equality"),
        Rule("eq-rep-p", "?s ?p2 ?o .", ("?p owl:sameAs ?p2", "?s ?p ?o"), kind="equality"),
        Rule("eq-rep-o", "?s ?p ?o2 .", ("?o owl:sameAs ?o2", "?s ?p ?o"), kind="equality"),
    ]


RULES = _rules()

SCHEMA_RULES = [r for r in RULES if r.kind == "schema"]
JOIN_RULES = [r for r in RULES if r.kind in ("join", "equality")]
