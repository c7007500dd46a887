"""The Dutch reference data in ../shared, read in place (never copied), and official validators.

``official_brp(name)`` / ``official_kvk(name)`` validate against the partners' own
OpenAPI documents in two ways, and both must pass:

- *plain*: the OpenAPI document as it is, its component schemas read as JSON
  Schema Draft 2020-12 (OpenAPI 3.1's dialect; the discriminator keyword is an
  annotation there, so a mapped subtype is checked only where a schema names it);
- *discriminated*: the same components with every discriminator's mapping
  enforced (``connectors.nl._openapi.derive`` without any restriction).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import orjson
import yaml
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from connectors.nl._openapi import derive

ROOT = Path(__file__).resolve().parents[3]
SHARED = ROOT.parent / "shared"
NETHERLANDS = SHARED / "partners" / "netherlands"
BRP_DIR = NETHERLANDS / "haal-centraal-brp-bevragen"
BRP_OPENAPI = BRP_DIR / "openapi-resolved.json"
BRP_EXAMPLES = sorted((BRP_DIR / "examples").glob("*.json"))
KVK_OPENAPI = NETHERLANDS / "kvk" / "basisprofiel-openapi-v1.5.0.yaml"

Check = Callable[[object], list[str]]


@functools.cache
def brp_openapi() -> dict[str, Any]:
    return orjson.loads(BRP_OPENAPI.read_bytes())  # type: ignore[no-any-return]


@functools.cache
def kvk_openapi() -> dict[str, Any]:
    return yaml.safe_load(KVK_OPENAPI.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _plain(document: dict[str, Any], uri: str, name: str) -> Draft202012Validator:
    resource = Resource.from_contents(document, default_specification=DRAFT202012)
    registry: Registry[Any] = Registry().with_resource(uri, resource)
    schema = {"$ref": f"{uri}#/components/schemas/{name}"}
    return Draft202012Validator(schema, registry=registry, format_checker=FormatChecker(["date"]))


def _discriminated(
    document: dict[str, Any], name: str, extra: dict[str, Any] | None = None
) -> Draft202012Validator:
    derived = derive(
        document, (name,), schema_id="urn:test:official", description="test", extra=extra
    )
    return Draft202012Validator(
        {**derived, "$ref": f"#/$defs/{name}"}, format_checker=FormatChecker(["date"])
    )


def _errors(validators: Iterable[Draft202012Validator], document: object) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for v in validators
        for e in v.iter_errors(document)
    ]


@functools.cache
def brp_validators(name: str) -> tuple[Draft202012Validator, ...]:
    return (_plain(brp_openapi(), "urn:test:brp", name), _discriminated(brp_openapi(), name))


@functools.cache
def _kvk_validators(name: str) -> tuple[Draft202012Validator, ...]:
    return (_plain(kvk_openapi(), "urn:test:kvk", name), _discriminated(kvk_openapi(), name))


def official_brp(name: str, document: object) -> list[str]:
    """Violations of the official BRP component schema ``name`` (empty: valid)."""
    return _errors(brp_validators(name), document)


def brp_response_errors(document: dict[str, Any]) -> list[str]:
    """A response against its mapped schema (``<type>Response``) and the dispatching one."""
    return official_brp(f"{document['type']}Response", document) + official_brp(
        "PersonenQueryResponse", document
    )


def brp_request_errors(document: dict[str, Any]) -> list[str]:
    return official_brp(str(document["type"]), document) + official_brp("PersonenQuery", document)


def official_kvk(name: str, document: object) -> list[str]:
    return _errors(_kvk_validators(name), document)


def notes_paths(notes: Iterable[str]) -> list[str]:
    """The JSON paths the notes name (``"nl.brp: $.a.b: why"`` -> ``"$.a.b"``)."""
    return [note.split(": ", 2)[1] for note in notes]


def prune(node: Any, paths: set[str], here: str = "$") -> Any:
    """``node`` without the subtrees at ``paths``; containers left empty are removed too."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            where = f"{here}.{key}"
            if where in paths:
                continue
            kept = prune(value, paths, where)
            if kept not in ({}, []):
                out[key] = kept
        return out
    if isinstance(node, list):
        items = [
            prune(v, paths, f"{here}[{i}]")
            for i, v in enumerate(node)
            if f"{here}[{i}]" not in paths
        ]
        return [v for v in items if v not in ({}, [])]
    return node
