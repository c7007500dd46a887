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

``CompiledSchemas`` compiles each entry once with ``jsonschema-rs`` (a 1.7 KiB BRP
response validates in about 9 µs, where the pure-Python ``jsonschema`` took about
1.6 ms; docs/performance.md). A refused document is named by its first violation,
the one the pure-Python validator used to report first: the walk of the schema in
its own key order (``_schema_order``), so messages did not change with the
switch. The message gives the JSON path and the rule, never the value. One thing
did change: ``pattern`` follows ECMA-262, where ``$`` is the end of the string;
Python's ``re`` also let ``$`` match before a final newline, so ``"0518\n"``
used to pass ``^[0-9]{4}$``.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NoReturn

import jsonschema_rs

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
    """Validators for named ``$defs`` of one derived schema, compiled once (jsonschema-rs).

    ``format: date`` is asserted; every other format stays an annotation, as OpenAPI
    3.1 reads it (a copy of the schema without those keywords is compiled). The
    only references are the schema's own ``#/$defs/...``; any other one is refused
    when compiling, so validation never touches the network.
    """

    def __init__(self, derived: Mapping[str, Any], entries: Iterable[str], *, prefix: str) -> None:
        self.prefix = prefix
        self._schema = _asserted_formats_only(derived)
        self._compiled = {entry: {**self._schema, "$ref": _DEFS + entry} for entry in entries}
        self._validators = {
            entry: jsonschema_rs.Draft202012Validator(
                schema, validate_formats=True, retriever=_refuse
            )
            for entry, schema in self._compiled.items()
        }

    def check(self, entry: str, document: object, *, root: str = "$") -> None:
        """Raise ConnectorError naming the first violation's JSON path and rule."""
        validator = self._validators[entry]
        try:
            if validator.is_valid(document):
                return
            errors = list(validator.iter_errors(document))
        except ValueError as exc:  # a value JSON cannot carry (a date object, a non-string key)
            raise ConnectorError(f"{self.prefix}: {root}: not JSON data ({exc})") from None
        error = _first(self._compiled[entry], document, errors)
        where = json_path(error.instance_path, root)
        raise ConnectorError(f"{self.prefix}: {where}: {self._reason(error)}")

    def is_valid(self, entry: str, document: object) -> bool:
        return self._validators[entry].is_valid(document)

    def _reason(self, error: jsonschema_rs.ValidationError) -> str:
        """The broken rule, worded without the instance's value (it may be personal data)."""
        kind: Any = error.kind
        keyword: str = kind.name
        rule = _rule(self._schema, error.schema_path, keyword, kind)
        if keyword == "required":
            instance: Any = error.instance
            missing = [k for k in rule if isinstance(instance, dict) and k not in instance]
            return f"missing required property {', '.join(map(repr, missing))}"
        if keyword == "format":
            return f"is not a valid {rule}"
        return _REASONS.get(keyword, "fails {keyword}: {rule}").format(keyword=keyword, rule=rule)


def json_path(parts: Iterable[str | int], root: str = "$") -> str:
    """``["personen", 0, "naam"]`` -> ``$.personen[0].naam``."""
    path = root
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def _first(
    schema: Mapping[str, Any], document: object, errors: list[jsonschema_rs.ValidationError]
) -> jsonschema_rs.ValidationError:
    """The violation the pure-Python ``jsonschema`` would report first (see the module doc)."""
    if len(errors) == 1:
        return errors[0]
    ranked = [(_schema_order(schema, document, e), i, e) for i, e in enumerate(errors)]
    return min(ranked, key=lambda item: (item[0], item[1]))[2]


def _schema_order(
    schema: Mapping[str, Any], document: object, error: jsonschema_rs.ValidationError
) -> tuple[int, ...]:
    """Where ``error`` comes in a walk of the schema in its own key order.

    That is the order in which ``jsonschema.Draft202012Validator.iter_errors``
    yields: a schema's keywords as written (``then`` and ``else`` where ``if``
    stands), ``properties`` as listed, ``allOf`` in turn, array items and extra
    properties in the document's order, ``$ref`` where it stands. jsonschema-rs
    reports the same violations in an order of its own.
    """
    order: list[int] = []
    node: Any = schema
    instance: Any = document
    path = error.instance_path
    depth = 0
    # The keywords passed, every $ref taken included; where a jsonschema-rs lacks the
    # attribute, all ranks are equal and its own order stands.
    segments: list[str | int] = getattr(error, "evaluation_path", None) or []
    i = 0
    try:
        while i < len(segments) and isinstance(node, dict):
            keyword = segments[i]
            i += 1
            anchor = "if" if keyword in ("then", "else") and "if" in node else keyword
            keys = list(node)
            order.append(keys.index(anchor) if anchor in node else len(keys))
            if keyword == "$ref":
                node = _resolve(schema, node["$ref"])
            elif keyword in ("properties", "patternProperties", "dependentSchemas"):
                name = segments[i]
                i += 1
                members = node[keyword]
                order.append(list(members).index(name))
                node = members[name]
                if keyword != "dependentSchemas":  # applies to the whole object: no step down
                    if keyword == "patternProperties":
                        order.append(list(instance).index(path[depth]))
                    instance = instance[path[depth]]
                    depth += 1
            elif keyword in ("allOf", "anyOf", "oneOf", "prefixItems"):
                index = segments[i]
                i += 1
                order.append(int(index))
                node = node[keyword][index]
                if keyword == "prefixItems":
                    instance = instance[path[depth]]
                    depth += 1
            elif keyword in ("items", "additionalProperties", "unevaluatedItems",
                             "unevaluatedProperties", "contains"):  # fmt: skip
                member = path[depth]
                order.append(member if isinstance(member, int) else list(instance).index(member))
                node, instance = node[keyword], instance[member]
                depth += 1
            elif keyword in ("if", "then", "else", "not", "propertyNames"):
                node = node[keyword]
            else:  # the broken keyword itself
                break
    except (KeyError, IndexError, TypeError, ValueError):
        pass  # a path this walk does not know: what it found so far decides
    return tuple(order)


def _resolve(schema: Mapping[str, Any], ref: str) -> Any:
    """A local ``$ref`` (``#/$defs/X``): the only kind a derived schema holds."""
    if not ref.startswith("#"):
        raise KeyError(ref)
    node: Any = schema
    for part in ref[1:].split("/")[1:]:
        part = part.replace("~1", "/").replace("~0", "~")
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def _rule(schema: Mapping[str, Any], location: Sequence[str | int], keyword: str, kind: Any) -> Any:
    """The broken keyword's value as the schema states it (``location`` leads to it)."""
    node: Any = schema
    try:
        for part in location:
            node = node[part]
    except (KeyError, IndexError, TypeError):
        node = _MISSING
    if node is _MISSING or not location or location[-1] != keyword:
        value = getattr(kind, "value", None)
        return [value] if keyword == "required" else value
    return node


_MISSING = object()


def _asserted_formats_only(node: Any) -> Any:
    """A copy of a schema without the ``format`` keywords that are annotations only."""
    if isinstance(node, dict):
        return {
            key: value if key in _VALUES else _asserted_formats_only(value)
            for key, value in node.items()
            if not (key == "format" and isinstance(value, str) and value not in _FORMATS)
        }
    if isinstance(node, list):
        return [_asserted_formats_only(item) for item in node]
    return node


def _refuse(uri: str) -> NoReturn:
    raise ValueError(f"a derived OpenAPI schema refers only to its own $defs, not to {uri}")


_FORMATS = frozenset({"date"})  # asserted; every other format is an annotation
# Keywords whose values are data, not schemas: never rewritten.
_VALUES = frozenset({"const", "enum", "default", "example", "examples"})

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
