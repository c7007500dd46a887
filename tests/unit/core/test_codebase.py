"""Rules of the codebase itself (STYLE.md): no vanilla exceptions, sorted __all__."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import connectors
import gateway

ROOT = Path(__file__).resolve().parents[3]
SOURCES = sorted([*(ROOT / "gateway").rglob("*.py"), *(ROOT / "connectors").rglob("*.py")])


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_bare_exception_is_raised(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and node.exc is not None:
            target = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            assert not (isinstance(target, ast.Name) and target.id == "Exception"), (
                f"{path}:{node.lineno} raises a bare Exception; use gateway.errors"
            )


def _modules():
    for package in (gateway, connectors):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if not info.name.endswith("__main__"):
                yield info.name


@pytest.mark.parametrize("name", sorted(_modules()))
def test_public_names_are_declared_sorted_and_exist(name: str):
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    if exported is None:
        return
    assert list(exported) == sorted(
        exported, key=lambda n: (not re.match("[A-Z_]+$", n), n)
    ) or list(exported) == sorted(exported), f"{name}.__all__ is not sorted"
    for public in exported:
        assert hasattr(module, public), f"{name}.__all__ names {public!r}, which is missing"
