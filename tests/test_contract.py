"""The five contract saved queries give the same rows as before issue 14 (names, variables, values, datatypes).

The golden files in ``tests/golden/contract/`` are the SPARQL JSON results of the build of main at 518a9bc
(``ruhrkg build --data-dir D && ruhrkg query --data-dir D -n NAME -f json``, re-indented). A change to the
model must keep these rows; regenerate them only for a deliberate, announced change of the contract.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ruhrkg.graph import query, saved

GOLDEN = Path(__file__).parent / "golden" / "contract"
CONTRACT = ("forums", "forum-ministries", "moderators", "events", "ministry-co-participation")


@pytest.mark.parametrize("name", CONTRACT)
def test_contract_query_gives_the_pinned_rows(store, name):
    got = json.loads(query.run(store, saved.load(name).text, output="json"))
    expected = json.loads((GOLDEN / f"{name}.json").read_text(encoding="utf-8"))
    assert got["head"] == expected["head"]
    assert len(got["results"]["bindings"]) == len(expected["results"]["bindings"])
    for i, (row, want) in enumerate(zip(got["results"]["bindings"], expected["results"]["bindings"], strict=True)):
        assert row == want, f"{name}: row {i} differs"
