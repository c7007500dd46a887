"""What the Dutch connectors share: translation notes, JSON, identifiers, dates.

Usage::

    notes = Notes("nl.brp")
    notes.rest(persoon, "$.personen[0]", handled={"naam", "geboorte"})
    bsn = identifier("nl.bsn", raw, "$.burgerservicenummer[0]", notes, lenient=False, query=True)

A note names the connector, the JSON path of the field and why it was not
carried, never the value: notes go into the audit record, values may be
personal data.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import Any

import orjson

from connectors.identifiers import InvalidIdentifierError, validate
from gateway.errors import ConnectorError

__all__ = [
    "NOT_CARRIED",
    "Notes",
    "drop_empty",
    "dump_json",
    "identifier",
    "json_media_type",
    "parse_json",
    "split_names",
]

NOT_CARRIED = "not carried (the canonical model has no field for it)"
_NAME_SPLIT = re.compile(r"[^ ]+")


class Notes:
    """Translation notes of one message, in the order they arose."""

    def __init__(self, connector: str) -> None:
        self.connector = connector
        self.items: list[str] = []

    def add(self, path: str, why: str = NOT_CARRIED) -> None:
        self.items.append(f"{self.connector}: {path}: {why}")

    def rest(self, node: Mapping[str, Any], path: str, handled: Collection[str]) -> None:
        """Note every property of ``node`` the mapping did not handle."""
        for key in node:
            if key not in handled:
                self.add(f"{path}.{key}")

    def as_tuple(self) -> tuple[str, ...]:
        return tuple(self.items)


def drop_empty(node: Any, path: str, notes: Notes) -> Any:
    """``node`` without empty strings, and without properties left empty (each one noted).

    Absent means unknown in the canonical model. An empty object inside an array
    (a person whose requested fields are all empty) stays: it is still one item.
    """
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            kept = drop_empty(value, f"{path}.{key}", notes)
            if kept is _EMPTY or kept in ({}, []):
                notes.add(f"{path}.{key}", "empty: carried as absent")
            else:
                out[key] = kept
        return out
    if isinstance(node, list):
        items = []
        for i, value in enumerate(node):
            kept = drop_empty(value, f"{path}[{i}]", notes)
            if kept is _EMPTY:
                notes.add(f"{path}[{i}]", "empty: carried as absent")
            else:
                items.append(kept)
        return items
    return _EMPTY if node == "" else node


_EMPTY = object()


def parse_json(body: bytes, connector: str) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ConnectorError(f"{connector}: $: not JSON ({exc.msg})") from None


def dump_json(document: object) -> bytes:
    return orjson.dumps(document)


def json_media_type(media_type: str) -> bool:
    essence = media_type.split(";", 1)[0].strip().lower()
    return essence == "application/json" or essence.endswith("+json")


def identifier(
    scheme: str, raw: str, path: str, notes: Notes, *, lenient: bool, query: bool
) -> str:
    """The normalised notation of ``raw``; an error naming the path, the scheme and the rule.

    In a query the wrong number is the caller's: ``InvalidIdentifierError``
    (``Client.BadRequest``). In a document it makes the message invalid:
    ``ConnectorError``, which the gateway places on the side it came from.
    Lenient mode's accepted failures become notes.
    """
    try:
        checked = validate(scheme, raw, lenient=lenient)
    except InvalidIdentifierError as exc:
        message = f"{notes.connector}: {path}: {exc.message}"
        if query:
            raise InvalidIdentifierError(message, scheme=exc.scheme, failures=exc.failures) from exc
        raise ConnectorError(message) from exc
    for warning in checked.warnings:
        notes.add(path, f"{scheme} {warning}")
    return checked.notation


def split_names(names: str) -> list[str]:
    """``"Jan Peter"`` -> ``["Jan", "Peter"]``; a string that would not join back stays whole."""
    parts = _NAME_SPLIT.findall(names)
    return parts if parts and " ".join(parts) == names else [names]
