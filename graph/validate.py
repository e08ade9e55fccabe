"""SHACL validation of the asserted data graph (pyshacl)."""

from __future__ import annotations

from dataclasses import dataclass

import pyshacl
from rdflib import Graph
from rdflib.namespace import SH


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

    def text(self) -> str:
        if self.conforms:
            return "SHACL: the data conforms to the shapes."
        lines = [f"SHACL: {len(self.violations)} violation(s):"]
        lines += [f"  - {v}" for v in self.violations]
        return "\n".join(lines)


def validate(data: Graph, shapes: Graph) -> Report:
    """Validate ``data`` against ``shapes`` without inference (the shapes describe asserted data)."""
    conforms, results, _ = pyshacl.validate(
        data, shacl_graph=shapes, inference="none", abort_on_first=False, allow_warnings=True, advanced=True
    )
    violations = []
    for r in results.subjects(SH.resultSeverity, None):
        violations.append(
            Violation(
                focus=_short(results.value(r, SH.focusNode)),
                path=_short(results.value(r, SH.resultPath)),
                message=str(results.value(r, SH.resultMessage) or ""),
                severity=_short(results.value(r, SH.resultSeverity)).removeprefix("sh:"),
            )
        )
    violations.sort(key=lambda v: (v.focus, v.path, v.message))
    return Report(bool(conforms), tuple(violations))


def _short(term) -> str:
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
