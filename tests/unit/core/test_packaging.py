"""The package list in pyproject.toml is complete, and the shipped data is reachable."""

from __future__ import annotations

import tomllib
from pathlib import Path

from gateway import shipped

ROOT = Path(__file__).resolve().parents[3]


def test_every_python_package_is_listed_in_pyproject():
    listed = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    found = {
        ".".join(p.parent.relative_to(ROOT).parts)
        for top in ("gateway", "connectors")
        for p in (ROOT / top).rglob("__init__.py")
    }
    assert found | {"xgw_schemas"} == listed


def test_every_schema_file_is_shipped_data():
    for path in (ROOT / "schemas").rglob("*.json"):
        name = path.relative_to(ROOT / "schemas").as_posix()
        assert shipped.load_bytes(name) == path.read_bytes()
