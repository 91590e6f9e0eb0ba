"""The domain's values are the ground floor: they import no other part of autopkg.

And the layers that share them with the processors (the database, packaging, the
summary) reach them there, never through the processor kit.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import autopkg

PACKAGE = Path(autopkg.__file__).parent


def _imported(module: Path) -> set[str]:
    """Every autopkg module ``module`` imports, at any depth of its code."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(module.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name == "autopkg" or name.startswith("autopkg.")}


def test_domain_modules_import_only_each_other() -> None:
    modules = sorted((PACKAGE / "domain").glob("*.py"))
    assert len(modules) > 5
    outside = {
        (module.name, name)
        for module in modules
        for name in _imported(module)
        if not name.startswith("autopkg.domain.")
    }
    assert outside == set()


@pytest.mark.parametrize("layer", ["db", "packaging", "summary", "storage", "clip"])
def test_a_layer_below_the_processors_imports_no_processor_code(layer: str) -> None:
    modules = sorted((PACKAGE / layer).rglob("*.py"))
    assert modules
    upward = {
        (str(module.relative_to(PACKAGE)), name)
        for module in modules
        for name in _imported(module)
        if name.startswith("autopkg.processors")
    }
    assert upward == set()
