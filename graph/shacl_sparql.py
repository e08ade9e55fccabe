"""SHACL Core validation compiled to SPARQL and run by Oxigraph.

pyshacl (:mod:`ruhrkg.graph.validate`) is pure Python: a third of a second
for the real document, hours for synthetic corpora of millions of triples.
Here every constraint of the shapes graph becomes one SPARQL ``SELECT`` that
returns the violating focus nodes (``?this``) and, where SHACL reports one,
the value node (``?value``); Oxigraph evaluates them on the data graph of a
store. :func:`validate_store` gives the same :class:`~ruhrkg.graph.validate.Report`
as :func:`ruhrkg.graph.validate.validate` (the tests compare the two on the
real document, on mutations of it for every constraint component the shapes
use, and on a synthetic corpus).

>>> import pyoxigraph as ox
>>> from ruhrkg.graph import terms
>>> from ruhrkg.graph.build import packaged_source, shapes_graph
>>> from ruhrkg.mappings.mapper import to_graph
>>> from ruhrkg.mappings.parser import parse_text
>>> store = ox.Store()
>>> store.bulk_extend(terms.quads(to_graph(parse_text(packaged_source())), "urn:x-data"))
>>> validate_store(store, "urn:x-data", shapes_graph()).text()
'SHACL: the data conforms to the shapes.'

**Supported** are exactly the SHACL Core constructs of ``ontology/shapes.ttl``:

* targets ``sh:targetClass`` (SHACL instances: ``rdf:type/rdfs:subClassOf*``
  in the data graph; the shapes validate the asserted data, without
  inference) and ``sh:targetSubjectsOf``;
* ``sh:property`` of node shapes, ``sh:path`` an IRI or ``[ sh:inversePath IRI ]``;
* ``sh:minCount``, ``sh:maxCount``, ``sh:datatype`` (ill-typed literals of
  the XSD types SPARQL casts to do not match), ``sh:class``, ``sh:nodeKind``,
  ``sh:minInclusive``, ``sh:minLength``, ``sh:pattern`` with ``sh:flags``,
  ``sh:in``, ``sh:hasValue``, ``sh:languageIn``, ``sh:uniqueLang``,
  ``sh:lessThanOrEquals``, ``sh:disjoint``, ``sh:qualifiedValueShape`` with
  ``sh:qualifiedMinCount``, ``sh:or``; the value-type ones also as a node
  shape's own constraints, and inside the shapes of ``sh:or`` and
  ``sh:qualifiedValueShape``;
* ``sh:closed`` with ``sh:ignoredProperties`` on node shapes (the result path
  is the unexpected predicate, as in pyshacl);
* SPARQL-based constraints of node shapes, ``sh:sparql [ sh:select ... ]``: the
  query projects ``$this`` (and optionally ``?value``), uses full IRIs (no
  ``PREFIX``, no ``sh:prefixes``); ``$this`` is pre-bound by joining the query,
  as a sub-select, with the shape's targets;
* ``sh:severity`` (``Violation``, the default, ``Warning`` or ``Info``) of the
  shape that holds the constraint; the data conforms if no result is a ``Violation``;
* ``sh:message`` (the result message: the English one where the shapes give several
  languages, see :func:`ruhrkg.graph.validate.choose_message`), and the
  non-validating ``sh:name``, ``sh:description``, ``sh:order``, ``sh:group``,
  ``sh:defaultValue``.

Any other term of the SHACL namespace used as a predicate in the shapes graph
(``sh:node``, ``sh:targetNode``, ``sh:deactivated``, ``sh:prefixes``, other
paths, ...), a sequence path, or an ill-formed use of a supported one, raises
:class:`UnsupportedShape` naming it: a new shape cannot go unchecked silently.

**Differences from pyshacl** (none shows on our data; the tests compare):

* Oxigraph keeps literals by value: ``"01"^^xsd:integer`` is ``"1"^^xsd:integer``
  (``sh:in``, ``sh:hasValue``, ``sh:disjoint`` therefore compare values, pyshacl terms).
* Comparisons (``sh:minInclusive``, ``sh:lessThanOrEquals``) follow SPARQL's
  operators as SHACL defines them: values that cannot be compared (two IRIs,
  a date and a number) are violations; pyshacl compares IRIs as strings.
* ``sh:pattern`` is evaluated by Oxigraph's regex engine (XPath-like), pyshacl
  uses Python's ``re``; a pattern Oxigraph rejects raises :class:`UnsupportedShape`.
* ``sh:languageIn`` uses SPARQL's ``langMatches`` (``"de"`` also admits ``de-AT-1996``);
  pyshacl compares the whole tag or its first subtag.
* A shape with several ``sh:message`` values and none in English reports the first
  in code-point order; pyshacl reports all of them (we show the same one).
* Without ``sh:message`` the message is this module's own wording, not pyshacl's.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, XSD
from rdflib.term import Node

from ruhrkg.graph import terms
from ruhrkg.graph.validate import Report, Violation, choose_message, path_text, short, sort_key

SH = Namespace("http://www.w3.org/ns/shacl#")

_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
_SUBCLASS = "<http://www.w3.org/2000/01/rdf-schema#subClassOf>"

#: Parameters that do not validate anything.
_INFORMATIVE = frozenset({"name", "description", "message", "order", "group", "defaultValue"})
_TARGETS = frozenset({"targetClass", "targetSubjectsOf"})
#: Constraints on each value node (a node shape's: on the focus node itself).
_VALUE = frozenset(
    {"class", "datatype", "nodeKind", "minInclusive", "minLength", "pattern", "flags", "in", "languageIn", "or"}
)
#: Constraints of property shapes only.
_PROPERTY = frozenset(
    {
        "path",
        "minCount",
        "maxCount",
        "hasValue",
        "lessThanOrEquals",
        "disjoint",
        "uniqueLang",
        "qualifiedValueShape",
        "qualifiedMinCount",
    }
)
_NODE_SHAPE = _INFORMATIVE | _TARGETS | _VALUE | {"property", "severity", "closed", "ignoredProperties", "sparql"}
_PROPERTY_SHAPE = _INFORMATIVE | _TARGETS | _VALUE | _PROPERTY | {"severity"}
#: The parameters of a SPARQL-based constraint (``sh:sparql [ sh:select ... ]``).
_SPARQL_CONSTRAINT = frozenset({"select", "message", "name", "description"})
#: Every predicate of the SHACL namespace this module understands.
_SUPPORTED = _NODE_SHAPE | _PROPERTY_SHAPE | _SPARQL_CONSTRAINT | {"inversePath"}
_SEVERITIES = {SH.Violation: "Violation", SH.Warning: "Warning", SH.Info: "Info"}

#: Datatypes whose ill-typed literals (``"x"^^xsd:integer``) must not match ``sh:datatype``:
#: those SPARQL (Oxigraph) can cast a string to, which fails exactly for ill-typed lexical forms.
_CASTABLE = frozenset(
    str(d) for d in (XSD.integer, XSD.decimal, XSD.double, XSD.float, XSD.boolean, XSD.date, XSD.time, XSD.dateTime)
)

_NODE_KINDS = {
    SH.IRI: "!isIRI({v})",
    SH.Literal: "!isLiteral({v})",
    SH.BlankNode: "!isBlank({v})",
    SH.BlankNodeOrIRI: "isLiteral({v})",
    SH.BlankNodeOrLiteral: "isIRI({v})",
    SH.IRIOrLiteral: "isBlank({v})",
}


class UnsupportedShape(Exception):
    """The shapes graph uses a SHACL construct this validator does not implement (or uses one ill-formed)."""


@dataclass(frozen=True)
class Check:
    """One constraint of one shape as a SPARQL ``SELECT``: its solutions are the validation results."""

    shape: str  #: where the constraint is, for people (``rksh:ForumShape [rk:number]``)
    component: str  #: the constraint component (``sh:MinCountConstraintComponent``)
    path: str  #: the result path as :class:`Violation` shows it ("" for a node shape's own constraints)
    message: str  #: the result message (``sh:message``)
    query: str  #: ``SELECT ?this`` (the focus node) ``?value`` (if ``reports_value``) ``WHERE ...``
    reports_value: bool
    severity: str = "Violation"  #: ``sh:severity`` of the shape (``Violation``, ``Warning``, ``Info``)
    reports_path: bool = False  #: the query binds ``?path``, the result path of each result (``sh:closed``)


@dataclass(frozen=True)
class Result:
    check: Check
    focus: ox.NamedNode | ox.BlankNode | ox.Literal
    value: ox.NamedNode | ox.BlankNode | ox.Literal | None
    path: ox.NamedNode | None = None


def validate_store(store: ox.Store, data_graph: str | ox.NamedNode | URIRef, shapes: Graph) -> Report:
    """Validate the named graph ``data_graph`` of ``store`` against ``shapes`` (asserted data, no inference).

    Same report as :func:`ruhrkg.graph.validate.validate` on the same triples.
    Raises :class:`UnsupportedShape` if ``shapes`` uses a construct this module does not implement.
    """
    violations = [
        Violation(focus=short(terms.from_ox(r.focus)), path=short(r.path.value) if r.path else r.check.path,
                  message=r.check.message, severity=r.check.severity)
        for r in results(store, data_graph, compile_shapes(shapes))
    ]  # fmt: skip
    violations.sort(key=sort_key)
    return Report(all(v.severity != "Violation" for v in violations), tuple(violations))


def results(store: ox.Store, data_graph: str | ox.NamedNode | URIRef, checks: list[Check]) -> Iterator[Result]:
    """The validation results of ``checks`` on the named graph ``data_graph`` of ``store``."""
    graph = data_graph if isinstance(data_graph, ox.NamedNode) else ox.NamedNode(str(data_graph))
    for check in checks:
        for solution in store.query(check.query, default_graph=[graph]):
            yield Result(check, solution["this"], solution["value"] if check.reports_value else None,
                         solution["path"] if check.reports_path else None)  # fmt: skip


def compile_shapes(shapes: Graph) -> list[Check]:
    """The SPARQL checks of every shape with a target in ``shapes``."""
    return _Compiler(shapes).compile()


class _Compiler:
    def __init__(self, shapes: Graph) -> None:
        self.g = shapes
        self._fresh = itertools.count(1)
        self._patterns: set[tuple[str, str]] = set()

    # -- the whole shapes graph -------------------------------------------------------------------
    def compile(self) -> list[Check]:
        self._check_vocabulary()
        checks: list[Check] = []
        targeted = {s for t in _TARGETS for s in self.g.subjects(SH[t], None)}
        for shape in sorted(targeted, key=lambda s: (isinstance(s, BNode), str(s))):
            target = self._target(shape)
            name = self._name(shape)
            if self._one(shape, "path") is not None:
                checks += self._property_checks(shape, target, name)
                continue
            self._allowed(shape, _NODE_SHAPE, name, "a node shape")
            checks += self._node_checks(shape, target, name)
            for prop in self._objects(shape, "property"):
                checks += self._property_checks(prop, target, f"{name} {self._label(prop)}")
            checks += self._closed_checks(shape, target, name)
            checks += self._sparql_checks(shape, target, name)
        self._check_patterns()
        return checks

    def _check_vocabulary(self) -> None:
        for s, p, _ in self.g:
            if isinstance(p, URIRef) and str(p).startswith(str(SH)):
                local = str(p)[len(str(SH)) :]
                if local not in _SUPPORTED:
                    raise UnsupportedShape(
                        f"sh:{local} (on {self._name(s)}) is not supported by ruhrkg.graph.shacl_sparql; "
                        "validate with pyshacl (ruhrkg.graph.validate) or implement it"
                    )
        for cls in (
            URIRef("http://www.w3.org/2000/01/rdf-schema#Class"),
            URIRef("http://www.w3.org/2002/07/owl#Class"),
        ):
            for shape in self.g.subjects(RDF.type, cls):
                if (shape, RDF.type, SH.NodeShape) in self.g or (shape, RDF.type, SH.PropertyShape) in self.g:
                    raise UnsupportedShape(f"implicit class targets (shape {self._name(shape)} is also a class)")

    def _check_patterns(self) -> None:
        """Oxigraph's regex engine must accept every ``sh:pattern`` (else REGEX would fail, and silently pass)."""
        probe = ox.Store()
        for pattern, flags in sorted(self._patterns):
            q = f'SELECT (COALESCE(REGEX("", {_lit(pattern)}, {_lit(flags)}), "invalid") AS ?r) {{}}'
            (r,) = [s["r"] for s in probe.query(q)]
            if r.value == "invalid":
                raise UnsupportedShape(f"sh:pattern {pattern!r} (flags {flags!r}) is not a regex Oxigraph accepts")

    # -- targets ----------------------------------------------------------------------------------
    def _target(self, shape: Node) -> str:
        parts = [
            f"?this {_TYPE}/{_SUBCLASS}* {self._iri(c, 'sh:targetClass')}" for c in self._objects(shape, "targetClass")
        ]
        parts += [f"?this {self._iri(p, 'sh:targetSubjectsOf')} []" for p in self._objects(shape, "targetSubjectsOf")]
        body = " UNION ".join(f"{{ {p} }}" for p in parts)
        return f"{{ SELECT DISTINCT ?this WHERE {{ {body} }} }}"

    # -- top-level checks ------------------------------------------------------------------------
    def _node_checks(self, shape: Node, target: str, name: str) -> list[Check]:
        """A node shape's own constraints: the value node is the focus node."""
        return [
            self._check(
                name, component, "", shape, f"SELECT ?this (?this AS ?value) WHERE {{ {target} FILTER({expr}) }}"
            )
            for component, expr in self._value_violations(shape, "?this", name)
        ]

    def _property_checks(self, prop: Node, target: str, name: str) -> list[Check]:
        self._allowed(prop, _PROPERTY_SHAPE, name, "a property shape")
        path = self._path(prop, name)
        shown = path_text(self.g, self._one(prop, "path"))
        out: list[Check] = []

        def add(component: str, query: str) -> None:
            out.append(self._check(name, component, shown, prop, query))

        # Join order (Oxigraph follows the query): cheap filters run on all the path's values first and
        # only the violations meet the target (1.3-5x faster at x100); sh:class looks up every value's
        # types, so it runs on the target's values only.
        each = f"{target} ?this {path} ?value ."
        for component, expr in self._value_violations(prop, "?value", name):
            if component == "Class":
                add(component, f"SELECT ?this ?value WHERE {{ {each} FILTER({expr}) }}")
            else:
                inner = f"SELECT ?this ?value WHERE {{ ?this {path} ?value . FILTER({expr}) }}"
                add(component, f"SELECT ?this ?value WHERE {{ {{ {inner} }} {target} }}")
        n = self._count(prop, "minCount", name)
        if n == 1:
            add("MinCount", f"SELECT ?this WHERE {{ {target} FILTER NOT EXISTS {{ ?this {path} ?value }} }}")
        elif n:
            add(
                "MinCount",
                f"SELECT ?this WHERE {{ {target} OPTIONAL {{ ?this {path} ?value }} }} "
                f"GROUP BY ?this HAVING (COUNT(DISTINCT ?value) < {n})",
            )
        n = self._count(prop, "maxCount", name)
        if n is not None:
            inner = f"SELECT ?this WHERE {{ ?this {path} ?value }} GROUP BY ?this HAVING (COUNT(DISTINCT ?value) > {n})"
            add("MaxCount", f"SELECT ?this WHERE {{ {{ {inner} }} {target} }}")
        for h in self._objects(prop, "hasValue"):
            add(
                "HasValue",
                f"SELECT ?this WHERE {{ {target} FILTER NOT EXISTS {{ ?this {path} {self._term(h, name)} }} }}",
            )
        for q in self._objects(prop, "disjoint"):
            add("Disjoint", f"SELECT ?this ?value WHERE {{ {each} ?this {self._iri(q, 'sh:disjoint')} ?value }}")
        for q in self._objects(prop, "lessThanOrEquals"):
            add(
                "LessThanOrEquals",
                f"SELECT ?this ?value WHERE {{ {each} ?this {self._iri(q, 'sh:lessThanOrEquals')} ?other . "
                "FILTER(COALESCE(!(?value <= ?other), true)) }",
            )
        if self._unique_lang(prop, name):
            add(
                "UniqueLang",
                f'SELECT ?this WHERE {{ {each} FILTER(isLiteral(?value) && LANG(?value) != "") '
                "BIND(LCASE(LANG(?value)) AS ?lang) } GROUP BY ?this ?lang HAVING (COUNT(?value) > 1)",
            )
        qualified = self._qualified(prop, name)
        if qualified is not None:
            shape, n = qualified
            ok = self._conforms(shape, "?value", f"{name} sh:qualifiedValueShape")
            if n == 1:
                add(
                    "QualifiedMinCount",
                    f"SELECT ?this WHERE {{ {target} FILTER NOT EXISTS {{ ?this {path} ?value . FILTER({ok}) }} }}",
                )
            elif n:
                add(
                    "QualifiedMinCount",
                    f"SELECT ?this WHERE {{ {target} OPTIONAL {{ ?this {path} ?value . FILTER({ok}) }} }} "
                    f"GROUP BY ?this HAVING (COUNT(DISTINCT ?value) < {n})",
                )
        return out

    def _closed_checks(self, shape: Node, target: str, name: str) -> list[Check]:
        """``sh:closed true``: every predicate of a focus node is a property shape's path or ignored."""
        closed = self._one(shape, "closed")
        if closed is None or not (isinstance(closed, Literal) and closed.toPython() is True):
            if closed is not None and not (isinstance(closed, Literal) and closed.toPython() is False):
                raise UnsupportedShape(f"{name}: sh:closed must be one boolean")
            if self._objects(shape, "ignoredProperties"):
                raise UnsupportedShape(f"{name}: sh:ignoredProperties without sh:closed true")
            return []
        allowed = {self._one(p, "path") for p in self._objects(shape, "property")}
        for lst in self._objects(shape, "ignoredProperties"):
            allowed |= set(self._list(lst, "sh:ignoredProperties", name))
        listed = ", ".join(
            self._iri(p, "sh:ignoredProperties") for p in sorted(a for a in allowed if isinstance(a, URIRef))
        )
        query = f"SELECT ?this ?value ?path WHERE {{ {target} ?this ?path ?value . FILTER(?path NOT IN ({listed})) }}"
        check = self._check(name, "Closed", "", shape, query)
        return [Check(check.shape, check.component, "", check.message, query, True, check.severity, reports_path=True)]

    def _sparql_checks(self, shape: Node, target: str, name: str) -> list[Check]:
        """SPARQL-based constraints: ``sh:select`` with ``$this`` pre-bound to each focus node (by a join)."""
        out = []
        for constraint in self._objects(shape, "sparql"):
            self._allowed(constraint, _SPARQL_CONSTRAINT, name, "a SPARQL-based constraint")
            selects = self._objects(constraint, "select")
            if len(selects) != 1 or not isinstance(selects[0], Literal):
                raise UnsupportedShape(f"{name}: a SPARQL-based constraint needs exactly one sh:select")
            text = str(selects[0]).replace("$this", "?this")
            head = re.match(r"\s*SELECT\s+(DISTINCT\s+)?((?:\?\w+\s+)+)WHERE", text, re.IGNORECASE)
            if head is None or "?this" not in head.group(2).split() or re.search(r"\bPREFIX\b|\$\w", text):
                raise UnsupportedShape(
                    f"{name}: sh:select must project $this (and optionally ?value) and use neither PREFIX (give full "
                    "IRIs) nor other pre-bound variables"
                )
            reports_value = "?value" in head.group(2).split()
            query = f"SELECT ?this {'?value ' if reports_value else ''}WHERE {{ {target} {{ {text} }} }}"
            messages = self._objects(constraint, "message") or self._objects(shape, "message")
            check = self._check(name, "SPARQL", "", shape, query, messages=messages)
            out.append(Check(check.shape, check.component, "", check.message, query, reports_value, check.severity))
        return out

    def _check(self, name: str, component: str, path: str, shape: Node, query: str, messages=None) -> Check:
        message = choose_message(self._objects(shape, "message") if messages is None else messages)
        message = message or f"{name}: sh:{component}ConstraintComponent is violated"
        reports_value = query.startswith(("SELECT ?this ?value ", "SELECT ?this (?this AS ?value) "))
        severities = self._objects(shape, "severity")
        if len(severities) > 1 or (severities and severities[0] not in _SEVERITIES):
            raise UnsupportedShape(f"{name}: sh:severity must be one of sh:Violation, sh:Warning, sh:Info")
        severity = _SEVERITIES[severities[0]] if severities else "Violation"
        return Check(name, f"sh:{component}ConstraintComponent", path, message, query, reports_value, severity)

    # -- constraints as SPARQL expressions --------------------------------------------------------
    def _value_violations(self, shape: Node, v: str, name: str) -> list[tuple[str, str]]:
        """(component, expression true iff ``v`` violates it) for the value-type constraints of ``shape``."""
        out = []
        for d in self._objects(shape, "datatype"):
            iri = self._iri(d, "sh:datatype")
            expr = f"isLiteral({v}) && sameTerm(DATATYPE({v}), {iri})"
            if str(d) in _CASTABLE:
                expr += f" && COALESCE(isLiteral({iri}(STR({v}))), false)"
            out.append(("Datatype", f"!({expr})"))
        for k in self._objects(shape, "nodeKind"):
            if k not in _NODE_KINDS:
                raise UnsupportedShape(f"{name}: sh:nodeKind {k} is not a SHACL node kind")
            out.append(("NodeKind", _NODE_KINDS[k].format(v=v)))
        for c in self._objects(shape, "class"):
            out.append(
                ("Class", f"(isLiteral({v}) || NOT EXISTS {{ {v} {_TYPE}/{_SUBCLASS}* {self._iri(c, 'sh:class')} }})")
            )
        for m in self._objects(shape, "minInclusive"):
            if not isinstance(m, Literal):
                raise UnsupportedShape(f"{name}: sh:minInclusive {m} is not a literal")
            out.append(("MinInclusive", f"COALESCE(!({v} >= {self._term(m, name)}), true)"))
        for n in self._objects(shape, "minLength"):
            out.append(("MinLength", f"(isBlank({v}) || STRLEN(STR({v})) < {self._integer(n, 'sh:minLength', name)})"))
        flags = self._objects(shape, "flags")
        if len(flags) > 1 or (flags and not self._objects(shape, "pattern")):
            raise UnsupportedShape(f"{name}: sh:flags needs exactly one value and an sh:pattern")
        for p in self._objects(shape, "pattern"):
            f = str(flags[0]) if flags else ""
            self._patterns.add((str(p), f))
            out.append(("Pattern", f"(isBlank({v}) || !REGEX(STR({v}), {_lit(str(p))}, {_lit(f)}))"))
        for lst in self._objects(shape, "in"):
            members = [self._term(m, name) for m in self._list(lst, "sh:in", name)]
            out.append(("In", "!(" + (" || ".join(f"sameTerm({v}, {m})" for m in members) or "false") + ")"))
        for lst in self._objects(shape, "languageIn"):
            tags = [str(t) for t in self._list(lst, "sh:languageIn", name)]
            any_tag = " || ".join(f"langMatches(LANG({v}), {_lit(t)})" for t in tags) or "false"
            out.append(("LanguageIn", f"!(isLiteral({v}) && ({any_tag}))"))
        for lst in self._objects(shape, "or"):
            members = self._list(lst, "sh:or", name)
            alternatives = [self._conforms(m, v, f"{name} sh:or") for m in members]
            out.append(("Or", "!(" + (" || ".join(f"({a})" for a in alternatives) or "false") + ")"))
        return out

    def _conforms(self, shape: Node, v: str, name: str) -> str:
        """An expression true iff ``v`` conforms to ``shape`` (a shape inside ``sh:or`` or ``sh:qualifiedValueShape``)."""
        if self._one(shape, "path") is None:
            self._allowed(shape, _NODE_SHAPE, name, "a node shape")
            parts = [f"!({expr})" for _, expr in self._value_violations(shape, v, name)]
            parts += [self._property_ok(p, v, f"{name} {self._label(p)}") for p in self._objects(shape, "property")]
        else:
            parts = [self._property_ok(shape, v, name)]
        return " && ".join(f"({p})" for p in parts) or "true"

    def _property_ok(self, prop: Node, f: str, name: str) -> str:
        """An expression true iff the focus node ``f`` conforms to the property shape ``prop``."""
        self._allowed(prop, _PROPERTY_SHAPE, name, "a property shape")
        path = self._path(prop, name)
        x = self._var()
        parts = [
            f"NOT EXISTS {{ {f} {path} {x} . FILTER({expr}) }}" for _, expr in self._value_violations(prop, x, name)
        ]
        n = self._count(prop, "minCount", name)
        if n:
            parts.append(f"EXISTS {{ {self._distinct_values(f, path, n)} }}")
        n = self._count(prop, "maxCount", name)
        if n is not None:
            parts.append(f"NOT EXISTS {{ {self._distinct_values(f, path, n + 1)} }}")
        for h in self._objects(prop, "hasValue"):
            parts.append(f"EXISTS {{ {f} {path} {self._term(h, name)} }}")
        for q in self._objects(prop, "disjoint"):
            parts.append(f"NOT EXISTS {{ {f} {path} {x} . {f} {self._iri(q, 'sh:disjoint')} {x} }}")
        for q in self._objects(prop, "lessThanOrEquals"):
            o = self._var()
            parts.append(
                f"NOT EXISTS {{ {f} {path} {x} . {f} {self._iri(q, 'sh:lessThanOrEquals')} {o} . "
                f"FILTER(COALESCE(!({x} <= {o}), true)) }}"
            )
        if self._unique_lang(prop, name):
            y = self._var()
            parts.append(
                f"NOT EXISTS {{ {f} {path} {x} . {f} {path} {y} . FILTER(!sameTerm({x}, {y}) && isLiteral({x}) "
                f'&& LANG({x}) != "" && LCASE(LANG({x})) = LCASE(LANG({y}))) }}'
            )
        qualified = self._qualified(prop, name)
        if qualified is not None:
            shape, n = qualified
            if n:
                parts.append(
                    f"EXISTS {{ {self._distinct_values(f, path, n, shape=shape, name=f'{name} sh:qualifiedValueShape')} }}"
                )
        return " && ".join(f"({p})" for p in parts) or "true"

    def _distinct_values(self, f: str, path: str, n: int, shape: Node | None = None, name: str = "") -> str:
        """A pattern matching iff ``f`` has ``n`` distinct values (conforming to ``shape``, if given)."""
        xs = [self._var() for _ in range(n)]
        conditions = [f"!sameTerm({a}, {b})" for a, b in itertools.combinations(xs, 2)]
        if shape is not None:
            conditions += [self._conforms(shape, x, name) for x in xs]
        pattern = " ".join(f"{f} {path} {x} ." for x in xs)
        return pattern + (f" FILTER({' && '.join(f'({c})' for c in conditions)})" if conditions else "")

    # -- parameters -------------------------------------------------------------------------------
    def _allowed(self, shape: Node, allowed: frozenset[str], name: str, kind: str) -> None:
        for p in set(self.g.predicates(shape, None)):
            local = str(p)[len(str(SH)) :] if str(p).startswith(str(SH)) else None
            if local is not None and local not in allowed:
                raise UnsupportedShape(f"{name}: sh:{local} in {kind} is not supported")

    def _path(self, prop: Node, name: str) -> str:
        path = self._one(prop, "path")
        if isinstance(path, URIRef):
            return self._iri(path, "sh:path")
        if isinstance(path, BNode):
            inverse = self._one(path, "inversePath")
            if isinstance(inverse, URIRef) and len(set(self.g.predicate_objects(path))) == 1:
                return "^" + self._iri(inverse, "sh:inversePath")
            if self.g.value(path, RDF.first) is not None:
                raise UnsupportedShape(f"{name}: sequence paths are not supported")
        raise UnsupportedShape(f"{name}: the path {path_text(self.g, path)} is not supported (only IRIs and ^IRI)")

    def _count(self, prop: Node, param: str, name: str) -> int | None:
        values = self._objects(prop, param)
        if not values:
            return None
        if len(values) > 1:
            raise UnsupportedShape(f"{name}: several sh:{param}")
        return self._integer(values[0], f"sh:{param}", name)

    def _unique_lang(self, prop: Node, name: str) -> bool:
        values = self._objects(prop, "uniqueLang")
        if not values:
            return False
        if len(values) > 1 or not isinstance(values[0], Literal) or not isinstance(values[0].toPython(), bool):
            raise UnsupportedShape(f"{name}: sh:uniqueLang must be one boolean")
        return bool(values[0].toPython())

    def _qualified(self, prop: Node, name: str) -> tuple[Node, int] | None:
        shapes, counts = self._objects(prop, "qualifiedValueShape"), self._objects(prop, "qualifiedMinCount")
        if not shapes and not counts:
            return None
        if len(shapes) != 1 or len(counts) != 1:
            raise UnsupportedShape(
                f"{name}: sh:qualifiedValueShape needs exactly one shape and one sh:qualifiedMinCount"
            )
        return shapes[0], self._integer(counts[0], "sh:qualifiedMinCount", name)

    def _integer(self, value: Node, param: str, name: str) -> int:
        n = value.toPython() if isinstance(value, Literal) else None
        if not isinstance(n, int) or isinstance(n, bool) or n < 0:
            raise UnsupportedShape(f"{name}: {param} {value} is not a non-negative integer")
        return n

    def _list(self, node: Node, param: str, name: str) -> list[Node]:
        if node != RDF.nil and self.g.value(node, RDF.first) is None:
            raise UnsupportedShape(f"{name}: the value of {param} is not an RDF list")
        return list(self.g.items(node))

    # -- helpers ----------------------------------------------------------------------------------
    def _objects(self, node: Node, param: str) -> list[Node]:
        return sorted(self.g.objects(node, SH[param]), key=lambda o: (type(o).__name__, str(o)))

    def _one(self, node: Node, param: str) -> Node | None:
        values = self._objects(node, param)
        if len(values) > 1:
            raise UnsupportedShape(f"{self._name(node)}: several sh:{param}")
        return values[0] if values else None

    def _iri(self, node: Node, param: str) -> str:
        if not isinstance(node, URIRef):
            raise UnsupportedShape(f"the value of {param} must be an IRI, not {node!r}")
        return str(ox.NamedNode(str(node)))

    def _term(self, node: Node, name: str) -> str:
        if isinstance(node, BNode):
            raise UnsupportedShape(f"{name}: blank nodes as constraint values are not supported")
        return str(terms.to_ox(node))

    def _var(self) -> str:
        return f"?x{next(self._fresh)}"

    def _name(self, node: Node) -> str:
        if isinstance(node, URIRef):
            return node.n3(self.g.namespace_manager)
        return self._label(node) if self._one(node, "path") is not None else "a blank-node shape"

    def _label(self, prop: Node) -> str:
        path = self._one(prop, "path")
        return f"[{path_text(self.g, path)}]" if path is not None else "[]"


def _lit(s: str) -> str:
    return str(ox.Literal(s))
