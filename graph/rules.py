"""OWL 2 RL entailments as SPARQL updates that Oxigraph runs, to a fixpoint.

owlrl (:mod:`ruhrkg.graph.reason`) is pure Python and walks every triple in
every pass: fine for the real document, hours for a graph of millions of
triples. Here the same rules are SPARQL ``INSERT ... WHERE`` updates evaluated
by Oxigraph on a :class:`pyoxigraph.Store`, and the result is the same set of
triples as :func:`ruhrkg.graph.reason.inferred_triples` (tested on the real
document and on synthetic corpora).

>>> from ruhrkg.graph.build import ontology_graph
>>> from ruhrkg.graph.build import packaged_source
>>> from ruhrkg.mappings.mapper import to_graph
>>> from ruhrkg.mappings.parser import parse_text
>>> len(inferred_triples(to_graph(parse_text(packaged_source())), ontology_graph())) > 2000
True

The rules themselves, which ones there are and how the result differs from owlrl's: :mod:`ruhrkg.graph.ruleset`.

**How.** First the schema: the ``scm-*`` rules to their fixpoint (a few
hundred triples). Then the data, in one of two strategies:

* ``compiled`` (default): the closed schema is read back and compiled. Every
  triple pattern the single-premise rules can derive (``?x a schema:Event``,
  ``?s schema:subEvent ?o``, ...) gets one update that unites all the premises
  deriving it (``?x a rk:Event``, ``?x rk:startDate ?o_``, ``?o rk:forum ?s``
  through the inverse ``rk:hasEvent``, ...) with the super-classes,
  super-properties, inverses, domains and ranges already followed to the end,
  and inserts what is not yet known straight into the inferred graph. One
  such pass derives everything the single-premise rules can. The rules with
  several premises in the data then run on everything: ``prp-fp`` and
  ``prp-ifp`` by first counting values per subject (object), ``prp-trp`` and,
  once an ``owl:sameAs`` exists, ``eq-*`` semi-naively; whatever they derive
  goes through the compiled rules again (as one update per class and per
  property, on what is new) until nothing is.
* ``generic``: every rule is one fixed update that joins the data with the
  schema in the store, run semi-naively (each round joins only what the
  previous round derived with everything) until a round derives nothing.

Both give the same triples; ``compiled`` is several times faster (see
bench/scale_bench.py). A semi-naive round inserts into a scratch graph,
drops what is already known, and adds the rest to the inferred graph.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import pyoxigraph as ox
from owlrl.AxiomaticTriples import OWLRL_Datatypes_Disjointness
from owlrl.OWLRL import OWLRL_Annotation_properties
from owlrl.XsdDatatypes import OWL_Datatype_Subsumptions, OWL_RL_Datatypes
from rdflib import Graph

from ruhrkg.graph import terms
from ruhrkg.graph.ruleset import (
    JOIN_RULES,
    NOTHING,
    OWL,
    PREFIXES,
    RDF,
    RDFS,
    RULES,
    SAME_AS,
    SCHEMA_PREDICATES,
    SCHEMA_RULES,
    SCHEMA_TYPES,
    STRATEGIES,
    THING,
    TYPE,
    UNSUPPORTED,
    WORK,
    XSD,
    Rule,
    UnsupportedAxiom,
)
from ruhrkg.mappings.vocab import GRAPHS


# -- a run -------------------------------------------------------------------------------------------
def _node(g) -> ox.NamedNode:
    return g if isinstance(g, ox.NamedNode) else ox.NamedNode(str(g))


def _iri(g: ox.NamedNode) -> str:
    return f"<{g.value}>"


def _term(t) -> str:
    """A pyoxigraph term (or an IRI string) in SPARQL syntax."""
    return f"<{t}>" if isinstance(t, str) else str(t)


@dataclass
class Stats:
    """What a run did: its rounds (triples added, seconds) and the seconds per phase."""

    rounds: list[dict] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)


class _Run:
    def __init__(self, store: ox.Store, data, ontology, inferred, strategy: str, log: Callable[[str], None]) -> None:
        if strategy not in STRATEGIES:
            raise ValueError(f"unknown strategy {strategy!r} (one of {', '.join(STRATEGIES)})")
        self.store = store
        self.data, self.ontology, self.inferred = _node(data), _node(ontology), _node(inferred)
        self.strategy = strategy
        self.log = log
        self.known = ", ".join(_iri(g) for g in (self.data, self.ontology, self.inferred))
        # Scratch graphs, two per part, swapping roles each round: "new" collects what this round
        # derives, "delta" holds what the last round derived. "closed" is what the compiled
        # updates derived (closed under them), "open" what any other rule derived.
        self.scratch = {part: [ox.NamedNode(f"{WORK}{part}-{i}") for i in (0, 1)] for part in ("closed", "open")}
        self.flip = 0
        self.literal_classes: dict[ox.Literal, frozenset[ox.Literal]] = {}
        self.stats = Stats()
        self.delta_size = 0

    @property
    def new(self) -> dict[str, ox.NamedNode]:
        return {part: graphs[self.flip] for part, graphs in self.scratch.items()}

    @property
    def delta(self) -> dict[str, ox.NamedNode]:
        return {part: graphs[1 - self.flip] for part, graphs in self.scratch.items()}

    # -- SPARQL helpers --------------------------------------------------------------------------
    def update(self, sparql: str) -> None:
        self.store.update(PREFIXES + sparql)

    def query(self, sparql: str):
        return self.store.query(PREFIXES + sparql)

    def ask(self, sparql: str) -> bool:
        return bool(self.query(sparql))

    def full(self, pattern: str, n: int) -> str:
        """``pattern`` in any of the data, ontology and inferred graphs."""
        return f"GRAPH ?g{n} {{ {pattern} }} FILTER(?g{n} IN ({self.known}))"

    def in_delta(self, pattern: str, n: int = 9, *, parts=("closed", "open")) -> str:
        """``pattern`` in what the last round derived."""
        graphs = ", ".join(_iri(self.delta[k]) for k in parts)
        return f"GRAPH ?d{n} {{ {pattern} }} FILTER(?d{n} IN ({graphs}))"

    def count(self, graph: ox.NamedNode) -> int:
        (row,) = self.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {_iri(graph)} {{ ?s ?p ?o }} }}")
        return int(row["n"].value)

    def delta_has(self, predicate: str | None) -> bool:
        if predicate is None:
            return self.delta_size > 0
        return self.ask(f"ASK {{ {self.in_delta(f'?s <{predicate}> ?o')} }}")

    def drop_scratch(self) -> None:
        for graphs in self.scratch.values():
            for g in graphs:
                if self.store.contains_named_graph(g):
                    self.store.remove_graph(g)

    def lap(self, name: str, since: float) -> float:
        now = time.perf_counter()
        self.stats.seconds[name] = self.stats.seconds.get(name, 0.0) + now - since
        return now

    # -- the run ---------------------------------------------------------------------------------
    def run(self) -> int:
        t0 = time.perf_counter()
        self.drop_scratch()
        self.store.clear_graph(self.inferred)
        try:
            self.check_supported()
            self.one_time()
            t = self.lap("one-time", t0)
            if self.strategy == "generic":
                self.fixpoint(RULES, "all rules")
                self.lap("rules", t)
            else:
                self.compiled()
            self.check_unsupported_consequences(_Schema.read(self))
        finally:
            self.drop_scratch()
        self.stats.seconds["total"] = time.perf_counter() - t0
        return self.count(self.inferred)

    def check_supported(self) -> None:
        used = [p for p in UNSUPPORTED if self.ask(f"ASK {{ {self.full(f'?s <{p}> ?o', 0)} }}")]
        if used:
            raise UnsupportedAxiom(f"not implemented by ruhrkg.graph.rules: {', '.join(used)}")

    def check_unsupported_consequences(self, schema: _Schema) -> None:
        for c in schema.supers.get(THING, ()):
            raise UnsupportedAxiom(f"owl:Thing has a super-class or an equivalent class, {c}")
        # literal values of properties with an inverse (or symmetric ones): owlrl derives through them
        flipping = sorted(p for p, reach in schema.reach.items() if any(not fwd for _, fwd in reach))
        if flipping:
            values = " ".join(f"<{p}>" for p in flipping)
            if self.ask(f"ASK {{ VALUES ?p {{ {values} }} {self.full('?s ?p ?o', 0)} FILTER(isLiteral(?o)) }}"):
                raise UnsupportedAxiom("a property with an inverse (or a symmetric one) has a literal value")

    # -- owlrl's one-time rules --------------------------------------------------------------------
    def one_time(self) -> None:
        quads = []

        def add(s, p: str, o) -> None:
            s = ox.NamedNode(s) if isinstance(s, str) else s
            o = ox.NamedNode(o) if isinstance(o, str) else o
            quads.append(ox.Quad(s, ox.NamedNode(p), o, self.new["open"]))

        add(THING, TYPE, OWL + "Class")
        add(NOTHING, TYPE, OWL + "Class")
        for p in OWLRL_Annotation_properties:
            add(str(p), TYPE, OWL + "AnnotationProperty")
        datatypes = {str(d) for d in OWL_RL_Datatypes}
        for d in sorted(datatypes):
            add(d, TYPE, RDFS + "Datatype")
        subsumptions = {str(k): [str(v) for v in vs] for k, vs in OWL_Datatype_Subsumptions.items()}
        # the datatypes in use: those of literals (rdflib, hence owlrl, sees no datatype on plain
        # and language-tagged literals, which RDF 1.1 types xsd:string and rdf:langString) ...
        used = set()
        graphs = f"{_iri(self.data)}, {_iri(self.ontology)}"
        for row in self.query(
            f"SELECT DISTINCT (DATATYPE(?o) AS ?dt) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} "
            f"FILTER(?g IN ({graphs}) && isLiteral(?o)) }}"
        ):
            dt = row["dt"].value
            if dt in datatypes and dt not in (XSD + "string", RDF + "langString"):
                used |= {dt, *subsumptions.get(dt, ())}
        # ... and those of resources typed with a datatype, which also get its super-datatypes
        values = " ".join(f"<{d}>" for d in sorted(datatypes))
        for row in self.query(
            f"SELECT DISTINCT ?s ?dt WHERE {{ VALUES ?dt {{ {values} }} GRAPH ?g {{ ?s a ?dt }} FILTER(?g IN ({graphs})) }}"
        ):
            dt = row["dt"].value
            used.add(dt)
            for sup in subsumptions.get(dt, ()):
                used.add(sup)
                add(row["s"], TYPE, sup)
        for a, p, b in OWLRL_Datatypes_Disjointness:
            if str(a) in used and str(b) in used:
                add(str(a), str(p), str(b))
        self.store.extend(quads)
        self.commit()

    # -- semi-naive evaluation -----------------------------------------------------------------------
    def fixpoint(
        self, rules: list[Rule], label: str, compiled: list[tuple[str, str]] = (), *, first: bool = True
    ) -> None:
        """Run ``rules`` (and ``compiled`` updates: heads, premise) until a round derives nothing.

        With ``first``, the first round reads everything; every later round joins what the round
        before derived with everything. Compiled updates skip what compiled updates derived
        (it is closed under them) and, with ``first``, do not run in the first round (the
        direct pass did their work).
        """
        while True:
            t = time.perf_counter()
            if not first:
                self.delta_size = sum(self.count(g) for g in self.delta.values())
                if self.delta_size == 0:
                    return
                for heads, premise in compiled:
                    source = self.in_delta(premise, parts=("open",))
                    self.update(f"INSERT {{ GRAPH {_iri(self.new['closed'])} {{ {heads} }} }} WHERE {{ {source} }}")
            same_as = self.ask(f"ASK {{ {self.full('?s owl:sameAs ?o', 0)} }}")
            for rule in rules:
                if rule.kind == "equality" and not same_as:
                    continue
                for variant in self.variants(rule, first):
                    self.update(variant)
            if rules is not SCHEMA_RULES:
                self.functional_conflicts(first)
            added = self.commit()
            seconds = time.perf_counter() - t
            self.stats.rounds.append({"rules": label, "added": added, "seconds": seconds})
            self.log(f"{label}, round {len(self.stats.rounds)}: {added} new triples ({seconds:.2f} s)")
            first = False

    def variants(self, rule: Rule, first: bool) -> Iterable[str]:
        """The rule's updates for one round: premises from everything (first round), else one from the delta."""
        head = f"INSERT {{ GRAPH {_iri(self.new['open'])} {{ {rule.head} }} }}"
        if first:
            body = " ".join(self.full(p, i) for i, p in enumerate(rule.body))
            yield f"{head} WHERE {{ {body} {rule.where} }}"
            return
        for i, pattern in enumerate(rule.body):
            if not self.delta_has(rule.predicate(i)):
                continue
            parts = [self.in_delta(pattern)] + [self.full(p, j) for j, p in enumerate(rule.body) if j != i]
            yield f"{head} WHERE {{ {' '.join(parts)} {rule.where} }}"

    def commit(self) -> int:
        """Keep what is new in the scratch graphs: it becomes the delta and is added to the inferred graph.

        The closed part goes first, so a triple that another rule derived too is dropped from the
        open part (it is known by then) and the compiled updates do not read it again.
        """
        added = 0
        for part in ("closed", "open"):
            new = _iri(self.new[part])
            self.update(f"DELETE WHERE {{ GRAPH {new} {{ ?x owl:sameAs ?x }} }}")
            self.update(
                f"DELETE {{ GRAPH {new} {{ ?s ?p ?o }} }} "
                f"WHERE {{ GRAPH {new} {{ ?s ?p ?o }} {self.full('?s ?p ?o', 0)} }}"
            )
            self.update(
                f"INSERT {{ GRAPH {_iri(self.inferred)} {{ ?s ?p ?o }} }} WHERE {{ GRAPH {new} {{ ?s ?p ?o }} }}"
            )
            added += self.count(self.new[part])
            if self.store.contains_named_graph(self.delta[part]):
                self.store.remove_graph(self.delta[part])
        self.flip = 1 - self.flip
        return added

    # -- prp-fp and prp-ifp: two values (subjects) of a (inverse-)functional property are the same --------
    def functional_conflicts(self, first: bool) -> None:
        """``owl:sameAs`` between resources; between literals, copies of the triples with one as object."""
        pairs: set[tuple] = set()
        for kind, key, value in (("FunctionalProperty", "?x", "?y"), ("InverseFunctionalProperty", "?y", "?x")):
            props = " ".join(_term(r["p"]) for r in self.query(
                f"SELECT DISTINCT ?p WHERE {{ {self.full(f'?p a owl:{kind}', 0)} FILTER(isIRI(?p)) }}"))  # fmt: skip
            if not props:
                continue
            if first:  # counting first is much cheaper than joining every value with every other
                groups = self.query(
                    f"SELECT {key} ?p WHERE {{ VALUES ?p {{ {props} }} {self.full('?x ?p ?y', 0)} }} "
                    f"GROUP BY {key} ?p HAVING (COUNT(*) > 1)"
                )
                for g in groups:
                    fixed = {key: _term(g[key[1:]]), value: value}
                    pattern = f"{fixed['?x']} {_term(g['p'])} {fixed['?y']}"
                    values = [
                        r[value[1:]] for r in self.query(f"SELECT DISTINCT {value} WHERE {{ {self.full(pattern, 0)} }}")
                    ]
                    pairs |= {(a, b) for a in values for b in values if a != b}
            else:
                one, two = f"{value}1", f"{value}2"
                for mine, other in ((one, two), (two, one)):
                    first_pattern = f"?x ?p {mine}" if key == "?x" else f"{mine} ?p ?y"
                    other_pattern = f"?x ?p {other}" if key == "?x" else f"{other} ?p ?y"
                    for r in self.query(
                        f"SELECT DISTINCT {one} {two} WHERE {{ VALUES ?p {{ {props} }} {self.in_delta(first_pattern)} "
                        f"{self.full(other_pattern, 2)} FILTER(!sameTerm({one}, {two})) }}"
                    ):
                        pairs.add((r[one[1:]], r[two[1:]]))
        same_as, changed = [], False
        for y1, y2 in sorted(pairs, key=str):
            literals = isinstance(y1, ox.Literal) + isinstance(y2, ox.Literal)
            if literals == 0:
                same_as.append(ox.Quad(y1, ox.NamedNode(SAME_AS), y2, self.new["open"]))
            elif literals == 1:
                raise UnsupportedAxiom(f"a functional property has a literal and a resource value: {y1}, {y2}")
            else:
                c1, c2 = self.literal_classes.get(y1, frozenset({y1})), self.literal_classes.get(y2, frozenset({y2}))
                if c1 != c2:
                    for lit in c1 | c2:
                        self.literal_classes[lit] = c1 | c2
                    changed = True
        self.store.extend(same_as)
        if self.literal_classes:
            pairs_text = " ".join(
                f"({_term(a)} {_term(b)})" for c in set(self.literal_classes.values()) for a in c for b in c if a != b
            )
            source = self.full("?s ?p ?from", 1) if first or changed else self.in_delta("?s ?p ?from")
            self.update(
                f"INSERT {{ GRAPH {_iri(self.new['open'])} {{ ?s ?p ?to }} }} "
                f"WHERE {{ VALUES (?from ?to) {{ {pairs_text} }} {source} }}"
            )

    # -- the compiled strategy -----------------------------------------------------------------------
    def compiled(self) -> None:
        while True:
            t = time.perf_counter()
            self.fixpoint(SCHEMA_RULES, "schema")
            t = self.lap("schema", t)
            schema = _Schema.read(self)
            before = self.schema_size()
            t = self.lap("compile", t)
            self.direct_pass(schema)
            t = self.lap("data: compiled pass", t)
            self.fixpoint(JOIN_RULES, "data: other rules", schema.updates())
            self.lap("data: other rules", t)
            if self.schema_size() == before:
                return
            self.log("the data derived schema triples: closing and compiling the schema again")

    def direct_pass(self, schema: _Schema) -> None:
        """Everything the single-premise rules derive, straight into the inferred graph: one update per head."""
        t = time.perf_counter()
        before = self.count(self.inferred)
        for head, selected, premises, literal_filter in schema.head_groups():
            union = " UNION ".join(f"{{ {self.full(p, 0)} }}" for p in sorted(premises))
            known = self.full(head.rstrip(" ."), 99)
            where = f"{{ SELECT DISTINCT {selected} WHERE {{ {union} }} }} {literal_filter} MINUS {{ {known} }}"
            self.update(f"INSERT {{ GRAPH {_iri(self.inferred)} {{ {head} }} }} WHERE {{ {where} }}")
        added = self.count(self.inferred) - before
        seconds = time.perf_counter() - t
        self.stats.rounds.append({"rules": "data: compiled pass", "added": added, "seconds": seconds})
        self.log(f"data: compiled pass: {added} new triples ({seconds:.2f} s)")

    def schema_size(self) -> int:
        """How many schema triples there are (to notice when the data derived more)."""
        preds = " ".join(f"<{p}>" for p in sorted(SCHEMA_PREDICATES))
        types = " ".join(f"<{t}>" for t in sorted(SCHEMA_TYPES))
        (row,) = self.query(
            f"SELECT (COUNT(*) AS ?n) WHERE {{ {{ VALUES ?p {{ {preds} }} {self.full('?s ?p ?o', 0)} }} "
            f"UNION {{ VALUES ?o {{ {types} }} {self.full('?s a ?o', 1)} }} }}"
        )
        return int(row["n"].value)


@dataclass
class _Schema:
    """The closed schema, read back from the store, and the updates it compiles to."""

    supers: dict[str, set[str]]  # class -> its super-classes and equivalent classes, transitively
    reach: dict[str, set[tuple[str, bool]]]  # property -> the (property, same direction?) it entails
    domain: dict[str, set[str]]
    range: dict[str, set[str]]

    @classmethod
    def read(cls, run: _Run) -> _Schema:
        def pairs(predicate: str) -> list[tuple[str, str]]:
            rows = run.query(
                f"SELECT DISTINCT ?a ?b WHERE {{ {run.full(f'?a <{predicate}> ?b', 0)} FILTER(isIRI(?a) && isIRI(?b)) }}"
            )
            return [(r["a"].value, r["b"].value) for r in rows]

        class_edges: dict[str, set[str]] = {}
        for a, b in pairs(RDFS + "subClassOf"):
            class_edges.setdefault(a, set()).add(b)
        for a, b in pairs(OWL + "equivalentClass"):
            class_edges.setdefault(a, set()).add(b)
            class_edges.setdefault(b, set()).add(a)
        supers = {c: _closure(c, lambda x: class_edges.get(x, ())) - {c} for c in class_edges}
        supers = {c: s for c, s in supers.items() if s}

        prop_edges: dict[tuple[str, bool], set[tuple[str, bool]]] = {}

        def edge(a: str, b: str, flip: bool) -> None:
            for fwd in (True, False):
                prop_edges.setdefault((a, fwd), set()).add((b, fwd != flip))

        for a, b in pairs(RDFS + "subPropertyOf"):
            edge(a, b, False)
        for a, b in pairs(OWL + "equivalentProperty"):
            edge(a, b, False)
            edge(b, a, False)
        for a, b in pairs(OWL + "inverseOf"):
            edge(a, b, True)
            edge(b, a, True)
        for (p,) in _members(run, OWL + "SymmetricProperty"):
            edge(p, p, True)
        domain: dict[str, set[str]] = {}
        for p, c in pairs(RDFS + "domain"):
            domain.setdefault(p, set()).add(c)
        rng: dict[str, set[str]] = {}
        for p, c in pairs(RDFS + "range"):
            rng.setdefault(p, set()).add(c)
        props = {p for p, _ in prop_edges} | set(domain) | set(rng)
        reach = {p: _closure((p, True), lambda x: prop_edges.get(x, ())) for p in props}
        return cls(supers, reach, domain, rng)

    def types(self, classes: Iterable[str]) -> set[str]:
        """The classes and their super-classes, without owl:Thing."""
        out = set()
        for c in classes:
            out |= {c, *self.supers.get(c, ())}
        return out - {THING}

    def head_groups(self) -> list[tuple[str, str, set[str], str]]:
        """Every triple the single-premise rules derive, with all the premises that derive it.

        (head, selected variables, premises, filter): ``?x a <D>`` from ``?x a <C>`` for every
        sub-class C, and from ``?x <p> ?o_`` (or ``?s_ <p> ?x``) for every property whose
        consequences give ?x a domain (or range) under D; ``?s <q> ?o`` from ``?s <p> ?o`` (or
        ``?o <p> ?s``) for every property p that entails q (or its inverse).
        """
        types: dict[str, set[str]] = {}
        flipped_types: set[str] = set()
        props: dict[str, set[str]] = {}
        flipped_props: set[str] = set()
        for c, sups in self.supers.items():
            for d in self.types(sups) - {c}:
                types.setdefault(d, set()).add(f"?x a <{c}>")
        for p, reach in self.reach.items():
            for q, fwd in reach:
                # the q triple's subject is the p triple's subject if fwd, else its object
                subj, obj = (f"?x <{p}> ?o_", f"?s_ <{p}> ?x") if fwd else (f"?s_ <{p}> ?x", f"?x <{p}> ?o_")
                for d in self.types(self.domain.get(q, ())):
                    types.setdefault(d, set()).add(subj)
                    flipped_types |= {d} if not fwd else set()
                for d in self.types(self.range.get(q, ())):
                    types.setdefault(d, set()).add(obj)
                    flipped_types |= {d} if fwd else set()
                if (q, fwd) != (p, True):
                    props.setdefault(q, set()).add(f"?s <{p}> ?o" if fwd else f"?o <{p}> ?s")
                    flipped_props |= {q} if not fwd else set()
        out = []
        for d in sorted(types):
            out.append((f"?x a <{d}> .", "?x", types[d], "FILTER(!isLiteral(?x))" if d in flipped_types else ""))
        for q in sorted(props):
            out.append((f"?s <{q}> ?o .", "?s ?o", props[q], "FILTER(!isLiteral(?s))" if q in flipped_props else ""))
        return out

    def updates(self) -> list[tuple[str, str]]:
        """(heads, premise): one per class and per property, each with all its consequences."""
        out = []
        for c in sorted(self.supers):
            heads = " ".join(f"?x a <{d}> ." for d in sorted(self.types(self.supers[c]) - {c}))
            if heads:
                out.append((heads, f"?x a <{c}>"))
        for p in sorted(self.reach):
            heads = set()
            for q, fwd in self.reach[p]:
                s, o = ("?x", "?y") if fwd else ("?y", "?x")
                if (q, fwd) != (p, True):
                    heads.add(f"{s} <{q}> {o} .")  # a literal ?y as subject: Oxigraph skips that triple
                heads |= {f"{s} a <{d}> ." for d in self.types(self.domain.get(q, ()))}
                heads |= {f"{o} a <{d}> ." for d in self.types(self.range.get(q, ()))}
            if heads:
                out.append((" ".join(sorted(heads)), f"?x <{p}> ?y"))
        return out


def _members(run: _Run, cls_iri: str) -> list[tuple[str]]:
    rows = run.query(f"SELECT DISTINCT ?p WHERE {{ {run.full(f'?p a <{cls_iri}>', 0)} FILTER(isIRI(?p)) }}")
    return [(r["p"].value,) for r in rows]


def _closure(start, step) -> set:
    seen, todo = {start}, [start]
    while todo:
        for nxt in step(todo.pop()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


# -- API ---------------------------------------------------------------------------------------------
def inferred_quads(
    store: ox.Store,
    data_graph,
    ontology_graph,
    inferred_graph,
    *,
    strategy: str = "compiled",
    log: Callable[[str], None] | None = None,
    stats: Stats | None = None,
) -> int:
    """Write the OWL 2 RL entailments of data + ontology into ``inferred_graph``; return its size.

    The graphs are named graphs of ``store`` (IRIs as ``str``, rdflib ``URIRef`` or
    ``pyoxigraph.NamedNode``). ``inferred_graph`` is cleared first; afterwards it holds
    exactly what follows from the data and ontology graphs and is not asserted in them.
    Nothing else in the store is touched (scratch graphs under ``urn:ruhrkg:rules:``
    are removed again).
    """
    run = _Run(store, data_graph, ontology_graph, inferred_graph, strategy, log or (lambda _m: None))
    n = run.run()
    if stats is not None:
        stats.rounds, stats.seconds = run.stats.rounds, run.stats.seconds
    return n


def inferred_triples(data: Graph, ontology: Graph, *, strategy: str = "compiled") -> Graph:
    """The entailments of an rdflib data + ontology pair, as an rdflib graph (an in-memory store in between)."""
    store = ox.Store()
    store.bulk_extend(terms.quads(data, GRAPHS["data"]))
    store.bulk_extend(terms.quads(ontology, GRAPHS["ontology"]))
    inferred_quads(store, GRAPHS["data"], GRAPHS["ontology"], GRAPHS["inferred"], strategy=strategy)
    out = Graph()
    for q in store.quads_for_pattern(None, None, None, ox.NamedNode(str(GRAPHS["inferred"]))):
        out.add((terms.from_ox(q.subject), terms.from_ox(q.predicate), terms.from_ox(q.object)))
    return out


__all__ = ["inferred_quads", "inferred_triples", "UnsupportedAxiom", "RULES", "Stats", "STRATEGIES"]
