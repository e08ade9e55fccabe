"""The package's import structure: layers import one way (ruhrkg.server -> ruhrkg.graph -> ruhrkg.mappings), no
module imports itself through others (function-level imports count), and modules stay small."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ORDER = ["ruhrkg.mappings", "ruhrkg.graph", "ruhrkg.server"]
MAX_LINES = 600
#: Modules allowed to be longer, with the reason.
LONG_MODULES: dict[str, str] = {}


def modules() -> dict[str, Path]:
    """Every module of the three layers (and their subpackages), by dotted name."""
    out = {}
    for layer in ORDER:
        folder = Path(importlib.import_module(layer).__file__).parent
        for path in folder.rglob("*.py"):
            parts = path.relative_to(folder).with_suffix("").parts
            name = ".".join((layer, *parts))
            out[name.removesuffix(".__init__")] = path
    return out


def imports_of(path: Path, name: str) -> set[str]:
    """Everything ``path`` imports, anywhere in it (also inside functions), as absolute dotted names."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            out.add(base)
            out.update(f"{base}.{a.name}" for a in node.names)  # `from pkg import module`
    return out


def graph() -> dict[str, set[str]]:
    """The import graph between our modules."""
    known = modules()
    return {name: {i for i in imports_of(path, name) if i in known and i != name} for name, path in known.items()}


@pytest.mark.parametrize("layer", ORDER)
def test_no_upward_or_bare_imports(layer):
    higher = ORDER[ORDER.index(layer) + 1 :]
    for name, path in modules().items():
        if not name.startswith(layer):
            continue
        for imported in imports_of(path, name):
            assert not any(imported == h or imported.startswith(h + ".") for h in higher), f"{name} imports {imported}"
            assert imported.split(".")[0] not in {"graph", "server", "mappings"}, f"{name} imports bare {imported}"


def find_cycles(edges: dict[str, set[str]]) -> list[str]:
    """Every cycle a depth-first search meets, as ``a -> b -> a``."""
    cycles: list[str] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append(" -> ".join([*path[path.index(nxt) :], nxt]))
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    return cycles


def test_no_import_cycles():
    cycles = find_cycles(graph())
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_the_cycle_finder_finds_a_cycle_through_a_function_level_import(tmp_path):
    a, b, c = tmp_path / "a.py", tmp_path / "b.py", tmp_path / "c.py"
    a.write_text("from ruhrkg.graph import b\n")
    b.write_text("def f():\n    from ruhrkg.graph.c import x\n")
    c.write_text("from . import a\n")
    names = {"ruhrkg.graph.a": a, "ruhrkg.graph.b": b, "ruhrkg.graph.c": c}
    edges = {n: {i for i in imports_of(p, n) if i in names} for n, p in names.items()}
    assert find_cycles(edges) == ["ruhrkg.graph.a -> ruhrkg.graph.b -> ruhrkg.graph.c -> ruhrkg.graph.a"]
    assert find_cycles({"x": {"y"}, "y": set()}) == []


def test_modules_are_small():
    long = {name: n for name, path in modules().items() if (n := len(path.read_text().splitlines())) > MAX_LINES}
    assert set(long) <= set(LONG_MODULES), f"modules over {MAX_LINES} lines: {long}"
    assert set(LONG_MODULES) <= set(long), "an exception that is no longer needed: remove it from LONG_MODULES"
