"""SHACL validation of the asserted data graph (pyshacl)."""

from __future__ import annotations

from dataclasses import dataclass

import pyshacl
from rdflib import Graph, URIRef
from rdflib.namespace import RDF, SH


@dataclass(frozen=True)
class Violation:
    focus: str
    path: str
    message: str
    severity: str

    def __str__(self) -> str:
        return f"{self.severity}: {self.focus} {self.path}: {self.message}"


@dataclass(frozen=True)
class Report:
    conforms: bool
    violations: tuple[Violation, ...]

    @property
    def warnings(self) -> tuple[Violation, ...]:
        """The results of severity ``Warning`` or ``Info``: reported, but the data conforms."""
        return tuple(v for v in self.violations if v.severity != "Violation")

    def text(self) -> str:
        if self.conforms and not self.violations:
            return "SHACL: the data conforms to the shapes."
        if self.conforms:
            lines = [f"SHACL: the data conforms to the shapes, with {len(self.violations)} warning(s):"]
        else:
            n = len(self.violations) - len(self.warnings)
            lines = [f"SHACL: {n} violation(s)" + (f" and {len(self.warnings)} warning(s):" if self.warnings else ":")]
        lines += [f"  - {v}" for v in self.violations]
        return "\n".join(lines)


def validate(data: Graph, shapes: Graph) -> Report:
    """Validate ``data`` against ``shapes`` without inference (the shapes describe asserted data)."""
    _conforms, results, _ = pyshacl.validate(
        data, shacl_graph=shapes, inference="none", abort_on_first=False, allow_warnings=True, advanced=True
    )
    violations = []
    for r in results.subjects(SH.resultSeverity, None):
        violations.append(
            Violation(
                focus=short(results.value(r, SH.focusNode)),
                path=path_text(results, results.value(r, SH.resultPath)),
                message=choose_message(_messages(results, r, shapes)),
                severity=short(results.value(r, SH.resultSeverity)).removeprefix("sh:"),
            )
        )
    violations.sort(key=sort_key)
    return Report(all(v.severity != "Violation" for v in violations), tuple(violations))


def _messages(results: Graph, r, shapes: Graph) -> list:
    """The messages of a result. pyshacl drops the language tags of a SPARQL-based constraint's messages: those
    are taken from the constraint itself (``sh:sourceConstraint``, a node of ``shapes``)."""
    messages = list(results.objects(r, SH.resultMessage))
    constraint = results.value(r, SH.sourceConstraint)
    if constraint is not None and not any(getattr(m, "language", None) for m in messages):
        messages = list(shapes.objects(constraint, SH.message)) or messages
    return messages


def choose_message(messages) -> str:
    """The message a report shows: the English ``sh:message`` (the shapes give German and English ones), else the
    first in code-point order, else ""."""
    english = sorted(str(m) for m in messages if getattr(m, "language", None) == "en")
    return (english or sorted(str(m) for m in messages) or [""])[0]


def sort_key(v: Violation) -> tuple[str, str, str]:
    """The order of a report's violations (shared with :mod:`ruhrkg.graph.shacl_sparql`)."""
    return (v.focus, v.path, v.message)


def path_text(graph: Graph, path) -> str:
    """A SHACL property path (a node of ``graph``) as text in SPARQL's path syntax.

    IRIs are shortened like focus nodes; ``[ sh:inversePath rk:forum ]`` is
    ``^rk:forum`` (pyshacl copies such path nodes into its results graph as blank
    nodes, whose labels would change from run to run).
    """
    if path is None:
        return ""
    if isinstance(path, URIRef):
        return short(path)
    if graph.value(path, RDF.first) is not None:
        return "(" + "/".join(path_text(graph, p) for p in graph.items(path)) + ")"
    for predicate, fmt in (
        (SH.inversePath, "^{}"),
        (SH.zeroOrMorePath, "{}*"),
        (SH.oneOrMorePath, "{}+"),
        (SH.zeroOrOnePath, "{}?"),
    ):
        inner = graph.value(path, predicate)
        if inner is not None:
            return fmt.format(path_text(graph, inner))
    alternatives = graph.value(path, SH.alternativePath)
    if alternatives is not None:
        return "(" + "|".join(path_text(graph, p) for p in graph.items(alternatives)) + ")"
    return str(path)


def short(term) -> str:
    """A term of a report as text: ruhrkg IRIs shortened (``forum/03``, ``rk:number``, ``sh:Violation``)."""
    if term is None:
        return ""
    s = str(term)
    for prefix, ns in (
        ("", "https://w3id.org/ruhrkg/id/"),
        ("rk:", "https://w3id.org/ruhrkg/def#"),
        ("sh:", "http://www.w3.org/ns/shacl#"),
    ):
        if s.startswith(ns):
            return prefix + s[len(ns) :]
    return s
