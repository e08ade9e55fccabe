"""Run the ``>>>`` examples in the docstrings of every ruhrkg module (like pyoxigraph's test_doc.py)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

PACKAGES = ["ruhrkg.mappings", "ruhrkg.graph", "ruhrkg.server"]
MODULES = sorted(
    info.name
    for pkg in PACKAGES
    for info in pkgutil.iter_modules(importlib.import_module(pkg).__path__, prefix=pkg + ".")
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


def test_the_examples_are_collected():
    assert "ruhrkg.mappings.parser" in MODULES and "ruhrkg.graph.query" in MODULES
