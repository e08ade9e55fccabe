"""Layers import one way: ruhrkg.server -> ruhrkg.graph -> ruhrkg.mappings."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ORDER = ["ruhrkg.mappings", "ruhrkg.graph", "ruhrkg.server"]


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
    return out


@pytest.mark.parametrize("layer", ORDER)
def test_no_upward_or_bare_imports(layer):
    higher = ORDER[ORDER.index(layer) + 1 :]
    folder = Path(importlib.import_module(layer).__file__).parent
    for path in folder.glob("*.py"):
        for name in imports_of(path):
            assert not any(name == h or name.startswith(h + ".") for h in higher), f"{path.name} imports {name}"
            assert name.split(".")[0] not in {"graph", "server", "mappings"}, f"{path.name} imports bare {name}"
