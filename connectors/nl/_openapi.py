"""OpenAPI component schemas as one Draft 2020-12 JSON Schema, compiled once.

Usage::

    derived = derive(openapi, ("PersonenQuery",), schema_id="urn:xgw:nl:brp:personen:1",
                     description="derived from ...")
    schemas = CompiledSchemas(derived, ("PersonenQuery",), prefix="nl.brp")
    schemas.check("PersonenQuery", document)  # ConnectorError "nl.brp: $.type: ..."

``derive`` takes the closure of the named ``components.schemas`` (every schema
they reference), rewrites ``#/components/schemas/X`` to ``#/$defs/X`` and
expresses what JSON Schema alone would ignore:

- ``discriminator`` with a ``mapping`` (OpenAPI 3.0 and 3.1): the property must
  hold one of the mapped values, and the object must then also be valid against
  the mapped schema. The discriminating schema ``X`` keeps its own rules as
  ``X__base``, which the mapped schemas' ``allOf`` refer to (no loop);
- ``nullable: true`` (OpenAPI 3.0): the type also admits ``null``.

Everything else is JSON Schema as OpenAPI 3.1 defines it (Draft 2020-12;
``format: date`` is asserted, other formats are annotations). The same function
builds the schema xgw ships and, with an operator's schema directory, the one
compiled from the official OpenAPI document at start.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError

from gateway.errors import ConnectorError

__all__ = ["CompiledSchemas", "derive", "json_path"]

_COMPONENT = "#/components/schemas/"
_DEFS = "#/$defs/"
_BASE = "__base"
_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def derive(
    openapi: Mapping[str, Any],
    roots: Iterable[str],
    *,
    schema_id: str,
    description: str,
    only: Mapping[str, Iterable[str]] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The Draft 2020-12 schema of ``roots`` and everything they use (see the module doc).

    ``only`` restricts a discriminator to some of its values (``{"PersonenQuery":
    ["RaadpleegMetBurgerservicenummer"]}``): the schemas of the other values are
    left out and their values refused. ``extra`` adds schemas that are not
    components (a path parameter's), under the given names.
    """
    components = _restricted(openapi["components"]["schemas"], only or {})
    defs = {name: _rewrite(copy.deepcopy(components[name])) for name in _closure(components, roots)}
    for name in [n for n in sorted(defs) if "discriminator" in defs[n]]:
        _split_discriminator(defs, name)
    for name, schema in (extra or {}).items():
        defs[name] = _rewrite(copy.deepcopy(schema))
    return {
        "$schema": _DIALECT,
        "$id": schema_id,
        "description": description,
        "$defs": dict(sorted(defs.items())),
    }


def _restricted(
    components: Mapping[str, Any], only: Mapping[str, Iterable[str]]
) -> Mapping[str, Any]:
    if not only:
        return components
    out = dict(components)
    for name, values in only.items():
        schema = copy.deepcopy(components[name])
        mapping = schema["discriminator"]["mapping"]
        schema["discriminator"]["mapping"] = {value: mapping[value] for value in values}
        out[name] = schema
    return out


def _closure(components: Mapping[str, Any], roots: Iterable[str]) -> list[str]:
    seen: list[str] = []
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        if name not in components:
            raise KeyError(f"the OpenAPI document has no components.schemas.{name}")
        seen.append(name)
        todo.extend(_references(components[name]))
    return seen


def _references(node: Any) -> Iterable[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith(_COMPONENT):
                yield value[len(_COMPONENT) :]
            elif key == "mapping" and isinstance(value, dict):
                yield from (v[len(_COMPONENT) :] for v in value.values())
            else:
                yield from _references(value)
    elif isinstance(node, list):
        for item in node:
            yield from _references(item)


def _rewrite(node: Any) -> Any:
    """Component references to ``$defs``; OpenAPI 3.0 ``nullable`` to a JSON Schema type."""
    if isinstance(node, dict):
        out = {key: _rewrite(value) for key, value in node.items()}
        ref = out.get("$ref")
        if isinstance(ref, str) and ref.startswith(_COMPONENT):
            out["$ref"] = _DEFS + ref[len(_COMPONENT) :]
        if out.pop("nullable", False) is True and isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
        return out
    if isinstance(node, list):
        return [_rewrite(item) for item in node]
    return node


def _split_discriminator(defs: dict[str, Any], name: str) -> None:
    base = defs[name]
    discriminator = base.pop("discriminator")
    prop: str = discriminator["propertyName"]
    mapping: dict[str, str] = discriminator.get("mapping", {})
    if not mapping:  # an implicit mapping (schema names) is not used by the partners here
        return
    defs[name + _BASE] = base
    own = {"$ref": _DEFS + name}
    for target in mapping.values():
        for part in defs[target[len(_COMPONENT) :]].get("allOf", []):
            if part == own:
                part["$ref"] = _DEFS + name + _BASE
    dispatch: list[dict[str, Any]] = [
        {"$ref": _DEFS + name + _BASE},
        {"properties": {prop: {"enum": list(mapping)}}},
    ]
    for value, target in mapping.items():
        dispatch.append(
            {
                "if": {"properties": {prop: {"const": value}}, "required": [prop]},
                "then": {"$ref": _DEFS + target[len(_COMPONENT) :]},
            }
        )
    defs[name] = {"description": f"{name}, dispatched on {prop!r}", "allOf": dispatch}


class CompiledSchemas:
    """Validators for named ``$defs`` of one derived schema, compiled once."""

    def __init__(self, derived: Mapping[str, Any], entries: Iterable[str], *, prefix: str) -> None:
        self.prefix = prefix
        checker = FormatChecker(["date"])
        self._validators = {
            entry: Draft202012Validator({**derived, "$ref": _DEFS + entry}, format_checker=checker)
            for entry in entries
        }

    def check(self, entry: str, document: object, *, root: str = "$") -> None:
        """Raise ConnectorError naming the first violation's JSON path and rule."""
        error = next(self._validators[entry].iter_errors(document), None)
        if error is not None:
            where = json_path(error.absolute_path, root)
            raise ConnectorError(f"{self.prefix}: {where}: {_reason(error)}")

    def is_valid(self, entry: str, document: object) -> bool:
        return bool(self._validators[entry].is_valid(document))


def json_path(parts: Iterable[str | int], root: str = "$") -> str:
    """``["personen", 0, "naam"]`` -> ``$.personen[0].naam``."""
    path = root
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def _reason(error: ValidationError) -> str:
    """The broken rule, worded without the instance's value (it may be personal data)."""
    keyword = str(error.validator)
    rule: Any = error.validator_value
    if keyword == "required":
        instance: Any = error.instance
        missing = [k for k in rule if isinstance(instance, dict) and k not in instance]
        return f"missing required property {', '.join(map(repr, missing))}"
    if keyword == "format":
        return f"is not a valid {rule}"
    return _REASONS.get(keyword, "fails {keyword}: {rule}").format(keyword=keyword, rule=rule)


_REASONS = {
    "type": "is not of type {rule!r}",
    "pattern": "does not match pattern {rule}",
    "enum": "is not one of {rule}",
    "const": "is not {rule!r}",
    "minLength": "is shorter than {rule} characters",
    "maxLength": "is longer than {rule} characters",
    "minItems": "has fewer than {rule} items",
    "maxItems": "has more than {rule} items",
    "minimum": "is less than {rule}",
    "maximum": "is greater than {rule}",
    "uniqueItems": "has duplicate items",
}
