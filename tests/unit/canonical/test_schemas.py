"""The canonical schemas: valid Draft 2020-12, closed, documented, offline, in the docs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012

from connectors.canonical import KINDS, SCHEMA_FILES, schema
from connectors.canonical.validate import COMMON_FILE
from gateway import shipped

ROOT = Path(__file__).resolve().parents[3]
FILES = sorted(p.name for p in (ROOT / "schemas" / "canonical").glob("*.json"))
DOC = (ROOT / "docs" / "canonical-model.md").read_text(encoding="utf-8")


def _load(name: str) -> dict[str, Any]:
    return shipped.load_json(f"canonical/{name}")  # type: ignore[no-any-return]


def _subschemas(node: Any, where: str = "#") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        yield where, node
        for key, value in node.items():
            yield from _subschemas(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _subschemas(value, f"{where}/{i}")


def test_one_file_per_kind_plus_common():
    expected = {Path(f).name for f in SCHEMA_FILES.values()} | {Path(COMMON_FILE).name}
    assert set(FILES) == expected
    assert set(KINDS) == set(SCHEMA_FILES)


@pytest.mark.parametrize("name", FILES)
def test_is_valid_draft_2020_12_with_urn_id(name: str):
    document = _load(name)
    Draft202012Validator.check_schema(document)
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert document["$id"] == f"urn:xgw:canonical:{name.removesuffix('.v1.json')}:1"


@pytest.mark.parametrize("name", FILES)
def test_every_ref_resolves_offline(name: str):
    registry: Registry = Registry().with_resources(
        (d["$id"], Resource.from_contents(d, DRAFT202012)) for d in map(_load, FILES)
    )
    document = _load(name)
    resolver = registry.resolver(base_uri=document["$id"])
    refs = [(w, s["$ref"]) for w, s in _subschemas(document) if isinstance(s.get("$ref"), str)]
    assert refs
    for where, ref in refs:
        assert ref.startswith(("#", "urn:xgw:canonical:")), f"{where}: {ref} leaves the model"
        try:
            resolver.lookup(ref)
        except Unresolvable as exc:  # pragma: no cover - the assertion message is the point
            pytest.fail(f"{name} {where}: {ref} does not resolve: {exc}")


def _object_schemas(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for where, node in _subschemas(document):
        if "properties" in node and not where.endswith("/properties"):
            yield where, node


@pytest.mark.parametrize("name", FILES)
def test_every_object_is_closed_and_every_property_documented(name: str):
    objects = list(_object_schemas(_load(name)))
    for where, node in objects:
        assert node.get("type") == "object", where
        assert node.get("additionalProperties") is False, f"{name} {where} is open"
        for prop, sub in node["properties"].items():
            assert sub.get("description") or _is_documented_ref(sub), f"{where}/{prop}"
            assert re.fullmatch(r"[a-z][A-Za-z0-9]*", prop), f"{where}/{prop} is not camelCase"
        for required in node.get("required", []):
            assert required in node["properties"], f"{where} requires unknown {required}"


def _is_documented_ref(sub: dict[str, Any]) -> bool:
    return "$ref" in sub and bool(sub.get("description"))


@pytest.mark.parametrize("kind", KINDS)
def test_docs_describe_every_property(kind: str):
    document = schema(kind)
    for _, node in _object_schemas(document):
        for prop in node["properties"]:
            assert f"| `{prop}`" in DOC, f"docs/canonical-model.md misses {kind} field {prop}"
    assert f"`{kind}`" in DOC


def test_common_defs_are_all_documented():
    for name in _load("common.v1.json")["$defs"]:
        assert name in DOC, f"docs/canonical-model.md misses common {name}"


def test_known_identifier_schemes_are_documented_and_checkable():
    scheme_def = _load("common.v1.json")["$defs"]["Scheme"]
    for scheme in scheme_def["examples"]:
        assert re.fullmatch(scheme_def["pattern"], scheme)
        assert f"`{scheme}`" in DOC
    identifiers = pytest.importorskip("connectors.identifiers")
    assert set(scheme_def["examples"]) <= set(identifiers.SCHEMES)
