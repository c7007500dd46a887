"""The TypedDicts in connectors.canonical.types mirror the schemas exactly."""

from __future__ import annotations

import typing
from typing import Any

import pytest

from connectors.canonical import types as t
from gateway import shipped


def _schema(file: str, *pointer: str) -> dict[str, Any]:
    node: Any = shipped.load_json(f"canonical/{file}.v1.json")
    for part in pointer:
        node = node[part]
    return node  # type: ignore[no-any-return]


def _items(file: str, *pointer: str) -> dict[str, Any]:
    return _schema(file, *pointer)["items"]  # type: ignore[no-any-return]


MIRRORS: list[tuple[type, dict[str, Any]]] = [
    (t.Code, _schema("common", "$defs", "Code")),
    (t.Identifier, _schema("common", "$defs", "Identifier")),
    (t.LangText, _schema("common", "$defs", "LangText")),
    (t.Period, _schema("common", "$defs", "Period")),
    (t.ContactPoint, _schema("common", "$defs", "ContactPoint")),
    (t.Place, _schema("common", "$defs", "Place")),
    (t.Authority, _schema("common", "$defs", "Authority")),
    (t.Activity, _schema("common", "$defs", "Activity")),
    (t.Address, _schema("address")),
    (t.LocatorDesignator, _schema("address", "$defs", "LocatorDesignator")),
    (t.Person, _schema("person")),
    (t.PersonName, _schema("person", "$defs", "PersonName")),
    (t.FormerName, _items("person", "$defs", "PersonName", "properties", "formerNames")),
    (t.RelatedPerson, _schema("person", "$defs", "RelatedPerson")),
    (t.CivilStatusEvent, _schema("person", "$defs", "CivilStatusEvent")),
    (t.Informant, _schema("person", "$defs", "CivilStatusEvent", "properties", "informant")),
    (t.LegalEntity, _schema("legal-entity")),
    (t.RoleAddress, _schema("legal-entity", "$defs", "RoleAddress")),
    (t.Representative, _schema("legal-entity", "$defs", "Representative")),
    (t.RepresentationRule, _items("legal-entity", "properties", "representationRules")),
    (t.TradeNotification, _schema("trade-notification")),
    (t.Participant, _schema("trade-notification", "$defs", "Participant")),
    (t.Permit, _schema("trade-notification", "properties", "craftCard")),
    (t.PersonQuery, _schema("person-query")),
    (t.LegalEntityQuery, _schema("legal-entity-query")),
]


@pytest.mark.parametrize(("typed", "node"), MIRRORS, ids=[m[0].__name__ for m in MIRRORS])
def test_typeddict_has_the_schemas_properties_in_order(typed: Any, node: dict[str, Any]):
    assert list(typing.get_type_hints(typed)) == list(node["properties"])
    assert set(typed.__required_keys__) == set(node.get("required", ()))


def test_every_object_schema_has_a_typeddict():
    mirrored = {id(node) for _, node in MIRRORS}
    for file in ("common", "address", "person", "legal-entity", "trade-notification"):
        document = _schema(file)
        for name, sub in document.get("$defs", {}).items():
            if sub.get("type") == "object":
                assert id(sub) in mirrored, f"{file} $defs/{name} has no TypedDict"


def test_enums_match_literals():
    person = _schema("person")
    assert typing.get_args(t.Gender) == tuple(person["properties"]["gender"]["enum"])
    role = _schema("person", "$defs", "RelatedPerson", "properties", "role")
    assert typing.get_args(t.RelatedRole) == tuple(role["enum"])
    designator = _schema("address", "$defs", "LocatorDesignator", "properties", "type")
    assert typing.get_args(t.LocatorDesignatorType) == tuple(designator["enum"])
    contact = _schema("common", "$defs", "ContactPoint", "properties", "channel")
    assert typing.get_args(t.ContactChannel) == tuple(contact["enum"])
    notification = _schema("trade-notification", "properties", "notificationType")
    assert typing.get_args(t.NotificationType) == tuple(notification["enum"])
