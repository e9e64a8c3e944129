"""The layering the design promises, read from the source's import statements.

``backend -> schemas, media``; ``field_sync -> schemas, media``; ``media -> schemas``;
``schemas -> msgspec``. Inside the backend the database package imports no domain, and the
domain packages import each other without a cycle (only the composition root, ``wiring``,
``app`` and ``cli``, sees them all).
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
OURS = ("backend", "field_sync", "media", "schemas")
COMPOSITION_ROOT = {"backend.app", "backend.wiring", "backend.cli", "backend.demo"}
"""Modules (or packages) that may import every domain: they build the app."""


def modules(package: str) -> Iterator[tuple[str, Path]]:
    for path in sorted((ROOT / package).rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        yield ".".join(parts), path


def imports(path: Path) -> set[str]:
    """Every module ``path`` imports, at the top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def top(name: str) -> str:
    return name.split(".")[0]


def unit(name: str) -> str:
    """The backend package a module belongs to (``backend.dossiers``), or the module itself."""
    parts = name.split(".")
    return ".".join(parts[:2])


ALL = {name: imports(path) for package in OURS for name, path in modules(package)}


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("backend", {"field_sync"}),
        ("field_sync", {"backend"}),
        ("media", {"backend", "field_sync"}),
        ("schemas", {"backend", "field_sync", "media"}),
    ],
)
def test_layers__packages_import_only_downwards(package: str, forbidden: set[str]) -> None:
    wrong = {
        (name, target)
        for name, targets in ALL.items()
        if top(name) == package
        for target in targets
        if top(target) in forbidden
    }
    assert not wrong


def test_layers__schemas_import_nothing_but_msgspec_and_the_standard_library() -> None:
    allowed = {"msgspec", "schemas", *sys.stdlib_module_names}
    wrong = {
        (name, target)
        for name, targets in ALL.items()
        if top(name) == "schemas"
        for target in targets
        if top(target) not in allowed
    }
    assert not wrong


def test_layers__the_database_package_imports_no_domain() -> None:
    foundations = {"backend.db", "backend.settings", "backend.clock", "backend.errors"}
    wrong = {
        (name, target)
        for name, targets in ALL.items()
        if name.startswith("backend.db")
        for target in targets
        if top(target) == "backend" and unit(target) not in foundations and target != "backend"
    }
    assert not wrong


def test_layers__backend_packages_form_no_import_cycle() -> None:
    graph: dict[str, set[str]] = {}
    for name, targets in ALL.items():
        if top(name) != "backend" or unit(name) in COMPOSITION_ROOT:
            continue
        graph.setdefault(unit(name), set()).update(
            unit(t)
            for t in targets
            if top(t) == "backend" and t != "backend" and unit(t) != unit(name)
        )
    cycle = _find_cycle(graph)
    assert cycle is None, " -> ".join(cycle or [])


def test_layers__only_the_composition_root_imports_it() -> None:
    wrong = {
        (name, target)
        for name, targets in ALL.items()
        if unit(name) not in COMPOSITION_ROOT
        for target in targets
        if unit(target) in {"backend.wiring", "backend.app", "backend.cli"}
    }
    assert not wrong


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)) is not None:
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)) is not None:
            return found
    return None
