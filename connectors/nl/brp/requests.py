"""Check a ``POST /personen`` body as the Haal Centraal BRP API does, parameter by parameter.

Usage::

    rules = RequestRules.from_schema(derived, paths, lenient=False)   # once, at start
    refusal = rules.check(body)       # None, or what is wrong with which parameter
    refusal.code                      # "paramsValidation" or "paramsCombination"
    refusal.params[0]                 # InvalidParam(name="fields.1", code="fields", reason=...)

The checks and their codes follow the API's own feature files
(features/bevragen/*fout-cases*.feature): ``type`` required and one of the API's
query types; for a type nl.brp handles, every required parameter present
(``required``, which makes the refusal a ``paramsCombination``), no parameter the
type does not define (``unknownParam``), every value valid against its schema
(``array``, ``boolean``, ``string``, ``pattern``, ``date``, ``minItems``,
``maxItems``, ``enum``, ...), every ``fields`` path a field of the answer's person
(``fields``), and each burgerservicenummer through the 11-check (``checksum``,
unless lenient). All errors are reported, one per parameter value.

The wording is the API's where the official OpenAPI lets it be: an
``InvalidParam.name`` may not hold brackets (``^[a-zA-Z0-9\\._]{1,30}$``), so the
item of a list is ``fields.1`` rather than ``fields[1]``, and a ``reason`` may not
hold the pattern it quotes (``^[a-zA-Z0-9\\., ]{1,80}$``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jsonschema_rs

from connectors.identifiers import InvalidIdentifierError, validate
from connectors.nl.brp.paths import (
    PERSOON,
    PERSOON_BEPERKT,
    PersonPaths,
    properties_of,
    required_of,
)
from connectors.nl.brp.query import ALL_TYPES, RAADPLEEG, ZOEK

__all__ = [
    "PARAMS_COMBINATION",
    "PARAMS_VALIDATION",
    "InvalidParam",
    "RequestRefusal",
    "RequestRules",
]

PARAMS_VALIDATION = "paramsValidation"
PARAMS_COMBINATION = "paramsCombination"
_DEFS = "#/$defs/"
# The person kind each handled query type answers with.
ANSWERED_WITH = {RAADPLEEG: PERSOON, ZOEK: PERSOON_BEPERKT}
_TYPE_NAMES = {
    "array": ("array", "Parameter is geen array."),
    "boolean": ("boolean", "Waarde is geen boolean."),
    "string": ("string", "Waarde is geen geldige string."),
    "integer": ("integer", "Waarde is geen geldig getal."),
    "object": ("object", "Waarde is geen object."),
}


@dataclass(frozen=True, slots=True)
class InvalidParam:
    name: str
    code: str
    reason: str


@dataclass(frozen=True, slots=True)
class RequestRefusal:
    """Why a request is refused: the API's problem ``code`` and one entry per wrong value."""

    code: str
    params: tuple[InvalidParam, ...]


class RequestRules:
    """The parameters of each query type nl.brp handles, and a validator per parameter."""

    def __init__(
        self,
        parameters: Mapping[str, Mapping[str, jsonschema_rs.Validator]],
        required: Mapping[str, tuple[str, ...]],
        paths: PersonPaths,
        *,
        lenient: bool,
    ) -> None:
        self._parameters = parameters
        self._required = required
        self._paths = paths
        self._lenient = lenient

    @classmethod
    def from_schema(
        cls, derived: Mapping[str, Any], paths: PersonPaths, *, lenient: bool
    ) -> RequestRules:
        defs = derived["$defs"]
        parameters: dict[str, dict[str, jsonschema_rs.Validator]] = {}
        required: dict[str, tuple[str, ...]] = {}
        for kind in ANSWERED_WITH:
            node = {"$ref": _DEFS + kind}
            parameters[kind] = {
                name: _compiled(derived, schemas)
                for name, schemas in properties_of(defs, node).items()
                if name != "type"
            }
            required[kind] = tuple(n for n in required_of(defs, node) if n != "type")
        return cls(parameters, required, paths, lenient=lenient)

    @property
    def handled_types(self) -> tuple[str, ...]:
        return tuple(self._parameters)

    def check(self, body: Mapping[str, Any]) -> RequestRefusal | None:
        """What is wrong with ``body`` (a JSON object), or None when nothing is."""
        kind = body.get("type")
        if kind is None:
            return _refusal([InvalidParam("type", "required", "Parameter is verplicht.")])
        if not isinstance(kind, str) or kind not in ALL_TYPES:
            return _refusal([InvalidParam("type", "value", "Waarde is geen geldig zoek type.")])
        if kind not in self._parameters:
            reason = "Dit zoek type wordt door deze koppeling niet ondersteund."
            return _refusal([InvalidParam("type", "value", reason)])
        params = [
            InvalidParam(name, "required", "Parameter is verplicht.")
            for name in self._required[kind]
            if name not in body
        ]
        missing = bool(params)
        validators = self._parameters[kind]
        for name, value in body.items():
            if name == "type":
                continue
            validator = validators.get(name)
            if validator is None:
                params.append(
                    InvalidParam(_name(name), "unknownParam", "Parameter is niet verwacht.")
                )
                continue
            params += _value_errors(name, validator, value)
        wrong = {param.name for param in params}
        params += self._fields(kind, _items(body, "fields", wrong))
        params += self._numbers(_items(body, "burgerservicenummer", wrong))
        if not params:
            return None
        return RequestRefusal(PARAMS_COMBINATION if missing else PARAMS_VALIDATION, tuple(params))

    def _fields(self, kind: str, fields: list[tuple[int, str]]) -> list[InvalidParam]:
        """Each path must name a field of the answer's person (the API: 400, not ignored)."""
        known = self._paths.known(ANSWERED_WITH[kind])
        reason = "Parameter bevat een niet bestaande veldnaam."
        return [InvalidParam(f"fields.{i}", "fields", reason) for i, f in fields if f not in known]

    def _numbers(self, numbers: list[tuple[int, str]]) -> list[InvalidParam]:
        wrong = []
        for i, number in numbers:
            try:
                validate("nl.bsn", number, lenient=self._lenient)
            except InvalidIdentifierError:
                reason = "Waarde voldoet niet aan de elfproef."
                wrong.append(InvalidParam(f"burgerservicenummer.{i}", "checksum", reason))
        return wrong


def _items(body: Mapping[str, Any], name: str, wrong: set[str]) -> list[tuple[int, str]]:
    """The list parameter's items that passed their schema, with their index."""
    value = body.get(name)
    if not isinstance(value, list) or name in wrong:
        return []
    return [
        (i, item)
        for i, item in enumerate(value)
        if isinstance(item, str) and f"{name}.{i}" not in wrong
    ]


def _refusal(params: list[InvalidParam]) -> RequestRefusal:
    return RequestRefusal(PARAMS_VALIDATION, tuple(params))


def _compiled(derived: Mapping[str, Any], schemas: list[Any]) -> jsonschema_rs.Validator:
    schema = {"$schema": derived["$schema"], "$defs": derived["$defs"], "allOf": schemas}
    return jsonschema_rs.Draft202012Validator(schema, validate_formats=True)


def _name(name: str) -> str:
    """A parameter's name as an InvalidParam may hold it (the OpenAPI's pattern)."""
    cleaned = "".join(c for c in name if c.isascii() and (c.isalnum() or c in "._"))
    return (cleaned or "onbekend")[:30]


def _value_errors(name: str, validator: jsonschema_rs.Validator, value: Any) -> list[InvalidParam]:
    """One entry per wrong value: the parameter's own, or each wrong item of a list's."""
    found: dict[str, InvalidParam] = {}
    for error in validator.iter_errors(value):
        where = ".".join([_name(name), *map(str, error.instance_path)])[:30]
        if where not in found:
            found[where] = InvalidParam(where, *_reason(error))
    return list(found.values())


def _reason(error: jsonschema_rs.ValidationError) -> tuple[str, str]:
    kind: Any = error.kind
    keyword: str = kind.name
    if keyword == "type":
        expected = getattr(kind, "types", None) or [getattr(kind, "value", "")]
        name = str(expected[0]) if isinstance(expected, list) and expected else str(expected)
        return _TYPE_NAMES.get(name.lower(), ("type", "Waarde heeft een ongeldig type."))
    if keyword == "pattern":
        return "pattern", "Waarde voldoet niet aan patroon."
    if keyword == "format":
        return "date", "Waarde is geen geldige datum."
    if keyword == "minItems":
        return "minItems", f"Array bevat minder dan {_limit(kind)} items."
    if keyword == "maxItems":
        return "maxItems", f"Array bevat meer dan {_limit(kind)} items."
    if keyword == "minLength":
        return "minLength", f"Waarde is korter dan minimale lengte {_limit(kind)}."
    if keyword == "maxLength":
        return "maxLength", f"Waarde is langer dan maximale lengte {_limit(kind)}."
    if keyword == "enum":
        return "enum", "Waarde heeft geen geldige waarde uit de enumeratie."
    return "value", "Waarde is niet correct."


def _limit(kind: Any) -> str:
    value = getattr(kind, "limit", None)
    return str(value) if isinstance(value, int) else ""
