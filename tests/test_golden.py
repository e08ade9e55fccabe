"""Golden-file tests for the mapping: a source excerpt in, the expected Turtle out.

Each ``tests/golden/<name>.txt`` is an excerpt of the source document (one
forum); ``<name>.ttl`` is the graph the mapping must produce from it,
compared by isomorphism. After a deliberate change to the mapping,
regenerate the expected files and review the diff:

    RUHRKG_REGENERATE_GOLDEN=1 pytest tests/test_golden.py
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.compare import graph_diff, isomorphic, to_isomorphic

from ruhrkg.mappings.mapper import to_graph
from ruhrkg.mappings.parser import parse_text

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(p.stem for p in GOLDEN.glob("*.txt"))


@pytest.mark.parametrize("name", CASES)
def test_mapping_matches_golden_file(name):
    doc = parse_text((GOLDEN / f"{name}.txt").read_text(encoding="utf-8"))
    assert doc.warnings == []
    actual = to_graph(doc)
    expected_path = GOLDEN / f"{name}.ttl"
    if os.environ.get("RUHRKG_REGENERATE_GOLDEN"):
        expected_path.write_text(actual.serialize(format="turtle"), encoding="utf-8")
    expected = Graph().parse(expected_path, format="turtle")
    if not isomorphic(actual, expected):
        _, missing, extra = graph_diff(to_isomorphic(expected), to_isomorphic(actual))
        pytest.fail(
            f"mapping of {name} differs from {expected_path.name}\n"
            f"missing:\n{missing.serialize(format='nt')}\nunexpected:\n{extra.serialize(format='nt')}"
        )


def test_there_are_golden_cases():
    assert len(CASES) >= 3
