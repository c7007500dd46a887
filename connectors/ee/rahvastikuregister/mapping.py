"""The pure mapping between ``isikud`` JSON and the canonical PersonQuery / Person.

Usage::

    ctx = Context(Notes("ee.rahvastikuregister"), lenient=False)
    query = query_from_native({"isikukoodid": ["..."], "andmevaljad": {...}}, ctx)
    person = person_from_native(answer[0], "$[0]", ctx)
    native = person_to_native(person, ctx)

Each native object is walked once, key by key; a key the mapping does not
carry becomes a translation note naming its JSON path (without indexes).
Classifier labels (``nimetus``) are carried where the canonical side has a
Code (custody type); for status values (alive / dead) and countries only the
code is carried. What is carried: docs/connectors/ee-rahvastikuregister.md.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from connectors.canonical import Person, PersonQuery, RelatedPerson
from connectors.ee._common import (
    Context,
    Notes,
    checked_identifier,
    code_parts,
    country_from_numeric,
    country_to_numeric,
    identifier_extras,
    join_given_names,
    split_given_names,
)
from gateway.errors import ConnectorError

__all__ = [
    "CUSTODY_FIELDS",
    "CUSTODY_LIST",
    "GROUPS",
    "PERSON_FIELDS",
    "person_from_native",
    "person_to_native",
    "query_from_native",
    "query_to_native",
]

Native = dict[str, Any]

CUSTODY_LIST = "urn:xgw:codelist:ee-rr-hoolduse-liik"
GROUPS = (
    "isikuandmed", "muudPerenimedDetail", "kodakondsused", "isikuAadressid", "isikuKontaktid",
    "dokumendid", "suhted", "hooldusoigused",
)  # fmt: skip
# andmevaljad.isikuandmed names <-> canonical Person field paths, in the order xgw asks for them.
PERSON_FIELDS = {
    "Isikukood": "identifiers",
    "Eesnimi": "name.givenNames",
    "Perekonnanimi": "name.familyName",
    "SynniKuupaev": "birthDate",
    "IsikuStaatus": "deceased",
    "PohiKodakondsus": "nationalities",
}
_FIELD_NAMES = {field: name for name, field in PERSON_FIELDS.items()}
CUSTODY_FIELDS = (
    "Liik", "Staatus", "HooldusoigusAlgus", "TeineIsikIsikukood", "TeineIsikOlek",
    "TeineIsikEesnimi", "TeineIsikPerenimi",
)  # fmt: skip
# ISIKU_STAATUS (rr-v6.wsdl isiku_staatus): E alive, S dead; M undetermined, P no data: not carried.
_STATUS = "ISIKU_STAATUS"
_DECEASED = {"E": False, "S": True}
_COUNTRY = "RIIK"


# --- queries ---------------------------------------------------------------------------------


def query_from_native(native: Native, ctx: Context) -> PersonQuery:
    ids = [
        checked_identifier(
            "ee.isikukood", code, "$.isikukoodid", lenient=ctx.lenient, notes=ctx.notes
        )
        for code in native["isikukoodid"]
    ]
    query: PersonQuery = {"identifiers": ids}
    fields = _fields_from_native(native["andmevaljad"], ctx.notes)
    if fields:
        query["fields"] = fields
    return query


def _fields_from_native(groups: Native, notes: Notes) -> list[str]:
    fields: list[str] = []
    for name in groups.get("isikuandmed", []):
        field = PERSON_FIELDS.get(name)
        if field is None:
            notes.not_carried(f"$.andmevaljad.isikuandmed.{name}", "a field xgw cannot ask for")
        elif field not in fields:
            fields.append(field)
    custody = groups.get("hooldusoigused", [])
    if custody:
        fields.append("relatedPersons")
        if list(custody) != list(CUSTODY_FIELDS):
            notes.add("$.andmevaljad.hooldusoigused", "xgw asks for all custody fields")
    for group in GROUPS[1:-1]:
        if groups.get(group):
            notes.not_carried(
                f"$.andmevaljad.{group}", "a group xgw cannot translate the answer of"
            )
    if not fields:
        notes.not_carried("$.andmevaljad", "a request for no field xgw can ask for")
    return fields


def query_to_native(query: PersonQuery, ctx: Context) -> Native:
    codes = []
    for ident in query.get("identifiers", []):
        if ident["scheme"] != "ee.isikukood":
            ctx.notes.not_carried(
                f"identifiers.{ident['scheme']}", "the register is asked by isikukood"
            )
            continue
        checked = checked_identifier(
            "ee.isikukood", ident["notation"], "identifiers", lenient=ctx.lenient, notes=ctx.notes
        )
        codes.append(checked["notation"])
        identifier_extras(ident, "identifiers", ctx.notes)
    if not codes:
        raise ConnectorError(
            "identifiers: the isikud service is asked by ee.isikukood; the query has none"
        )
    for key in query:
        if key not in ("identifiers", "fields"):
            why = "goes in the RR-Request-Reason header" if key == "purpose" else ""
            ctx.notes.not_carried(key, why)
    return {"isikukoodid": codes, "andmevaljad": _groups_to_native(query.get("fields"), ctx.notes)}


def _groups_to_native(fields: list[str] | None, notes: Notes) -> Native:
    groups: Native = {group: [] for group in GROUPS}
    if fields is None:  # the partner's default: the identity fields
        groups["isikuandmed"] = list(PERSON_FIELDS)
        return groups
    names: set[str] = set()
    matched_fields: set[str] = set()
    for field in fields:
        # A path names the field and everything under it: "name" asks for both name fields.
        matched = [n for n, p in PERSON_FIELDS.items() if p == field or p.startswith(f"{field}.")]
        names.update(matched)
        matched_fields.update([field] if matched else [])
        if field == "relatedPersons":
            groups["hooldusoigused"] = list(CUSTODY_FIELDS)
        elif not matched:
            notes.not_carried(f"fields.{field}", "the isikud service cannot be asked for it")
    groups["isikuandmed"] = [name for name in PERSON_FIELDS if name in names]
    if not names and not groups["hooldusoigused"]:
        groups["isikuandmed"] = ["Isikukood"]
        notes.add("fields", "none the register can be asked for: asked for Isikukood alone")
        return groups
    asked = [PERSON_FIELDS[name] for name in groups["isikuandmed"]]
    if matched_fields != set(asked):
        notes.add("fields", "asked for as the register's field names")
    return groups


# --- persons ---------------------------------------------------------------------------------


def person_from_native(native: Native, path: str, ctx: Context) -> Person:
    person: Person = {}
    name: dict[str, Any] = {}
    for key, value in native.items():
        where = f"{path}.{key}"
        if key == "isikukood":
            ident = checked_identifier(
                "ee.isikukood", value, where, lenient=ctx.lenient, notes=ctx.notes
            )
            person["identifiers"] = [ident]
        elif key == "eesnimi":
            if value:
                name["givenNames"] = split_given_names(value)
        elif key == "perekonnanimi":
            if value:
                name["familyName"] = value
        elif key == "synniKuupaev":
            person["birthDate"] = _partial_date(value, where)
        elif key == "isikuStaatus":
            _deceased(person, value, where, ctx.notes)
        elif key == "pohiKodakondsus":
            _nationality(person, value["riik"], f"{where}.riik", ctx.notes)
        elif key == "hooldusoigused":
            related = [_custody(item, where, ctx) for item in value]
            if related:
                person["relatedPersons"] = related
        else:
            ctx.notes.not_carried(where)
    if name:
        person["name"] = name  # type: ignore[typeddict-item]
    return person


def _partial_date(value: str, path: str) -> str:
    if len(value) == 10:
        try:
            datetime.date.fromisoformat(value)
        except ValueError:
            raise ConnectorError(f"{path}: not a calendar date") from None
    return value


def _deceased(person: Person, status: Native, path: str, notes: Notes) -> None:
    if status.get("kood", _STATUS) != _STATUS:
        notes.not_carried(path, f"a classifier other than {_STATUS}")
        return
    deceased = _DECEASED.get(status["elemendiKood"])
    if deceased is None:
        notes.not_carried(path, "a status other than alive (E) or dead (S)")
        return
    person["deceased"] = deceased
    if "nimetus" in status:
        notes.not_carried(f"{path}.nimetus", "the label; the code is carried")


def _nationality(person: Person, country: Native, path: str, notes: Notes) -> None:
    if country.get("kood", _COUNTRY) != _COUNTRY:
        notes.not_carried(path, f"a classifier other than {_COUNTRY}")
        return
    alpha2 = country_from_numeric(country["elemendiKood"], f"{path}.elemendiKood", notes)
    if alpha2 is not None:
        person["nationalities"] = [alpha2]
    if "nimetus" in country:
        notes.not_carried(f"{path}.nimetus", "the label; the code is carried")


def _custody(native: Native, path: str, ctx: Context) -> RelatedPerson:
    other: Person = {}
    other_name: dict[str, Any] = {}
    related: dict[str, Any] = {"role": "child", "person": other}
    for key, value in native.items():
        where = f"{path}.{key}"
        if key == "liik":
            related["roleCode"] = _custody_type(value, where, ctx.notes)
        elif key == "hooldusoigusAlgus":
            _custody_start(related, value, where, ctx.notes)
        elif key == "teineIsikIsikukood":
            ident = checked_identifier(
                "ee.isikukood", value, where, lenient=ctx.lenient, notes=ctx.notes
            )
            other["identifiers"] = [ident]
        elif key == "teineIsikOlek":
            _deceased(other, value, where, ctx.notes)
        elif key == "teineIsikEesnimi":
            if value:
                other_name["givenNames"] = split_given_names(value)
        elif key == "teineIsikPerenimi":
            if value:
                other_name["familyName"] = value
        else:  # staatus (HOOLDUS_STAATUS) among others: RelatedPerson has no status
            ctx.notes.not_carried(where)
    if other_name:
        other["name"] = other_name  # type: ignore[typeddict-item]
    return related  # type: ignore[return-value]


def _custody_type(value: Native, path: str, notes: Notes) -> dict[str, str]:
    if value.get("kood", "HOOLDUSE_LIIK") != "HOOLDUSE_LIIK":
        notes.not_carried(f"{path}.kood", "a classifier other than HOOLDUSE_LIIK")
    role_code = {"code": value["elemendiKood"], "listURI": CUSTODY_LIST}
    if value.get("nimetus"):
        role_code["name"] = value["nimetus"]
    return role_code


def _custody_start(related: dict[str, Any], value: str, path: str, notes: Notes) -> None:
    day, _, time = value.partition("T")
    try:
        datetime.date.fromisoformat(day)
    except ValueError:
        raise ConnectorError(f"{path}: not a calendar date") from None
    related["period"] = {"start": day}
    if time != "00:00:00":
        notes.not_carried(path, "the time of day")


def person_to_native(person: Person, ctx: Context) -> Native:
    notes = ctx.notes
    native: Native = {}
    code = _isikukood(person.get("identifiers", []), "identifiers", ctx)
    if code is None:
        raise ConnectorError("identifiers: an isikud answer needs the person's ee.isikukood")
    native["isikukood"] = code
    _name_to_native(native, person.get("name", {}), ("eesnimi", "perekonnanimi"), "name", notes)
    if "birthDate" in person:
        native["synniKuupaev"] = person["birthDate"]
    if "deceased" in person:
        native["isikuStaatus"] = _status(person["deceased"])
    nationalities = person.get("nationalities", [])
    if nationalities:
        numeric = country_to_numeric(nationalities[0])
        if numeric is None:
            notes.not_carried("nationalities", "not an ISO 3166-1 country")
        else:
            native["pohiKodakondsus"] = {"riik": {"kood": _COUNTRY, "elemendiKood": numeric}}
        if len(nationalities) > 1:
            notes.not_carried("nationalities", "more than the main citizenship")
    custody = [
        item
        for related in person.get("relatedPersons", [])
        if (item := _custody_to_native(related, ctx))
    ]
    if custody:
        native["hooldusoigused"] = custody
    for key in person:
        if key not in _PERSON_CARRIED:
            notes.not_carried(key)
    return native


_PERSON_CARRIED = (
    "identifiers",
    "name",
    "birthDate",
    "deceased",
    "nationalities",
    "relatedPersons",
)
_NAME_CARRIED = ("givenNames", "familyName", "namePrefix")


def _isikukood(ids: list[Any], path: str, ctx: Context) -> str | None:
    found: str | None = None
    for ident in ids:
        if ident["scheme"] != "ee.isikukood" or found is not None:
            ctx.notes.not_carried(f"{path}.{ident['scheme']}")
            continue
        checked = checked_identifier(
            "ee.isikukood", ident["notation"], path, lenient=ctx.lenient, notes=ctx.notes
        )
        found = checked["notation"]
        identifier_extras(ident, path, ctx.notes)
    return found


def _name_to_native(
    native: Native, name: Mapping[str, Any], keys: tuple[str, str], path: str, notes: Notes
) -> None:
    given, family = keys
    if "givenNames" in name:
        native[given] = join_given_names(name["givenNames"], f"{path}.givenNames", notes)
    if "familyName" in name:
        prefix = name.get("namePrefix")
        native[family] = f"{prefix} {name['familyName']}" if prefix else name["familyName"]
        if prefix:
            notes.add(f"{path}.namePrefix", f"written before the family name in {family}")
    elif "namePrefix" in name:
        notes.not_carried(f"{path}.namePrefix", "a prefix without a family name")
    for key in name:
        if key not in _NAME_CARRIED:
            notes.not_carried(f"{path}.{key}")


def _status(deceased: bool) -> Native:
    return {"kood": _STATUS, "elemendiKood": "S" if deceased else "E"}


def _custody_to_native(related: RelatedPerson, ctx: Context) -> Native | None:
    notes = ctx.notes
    kind, label = code_parts(
        related.get("roleCode"), CUSTODY_LIST, "relatedPersons.roleCode", notes
    )
    if kind is None:
        notes.not_carried("relatedPersons", "a relation other than a custody right")
        return None
    if related["role"] != "child":
        notes.not_carried("relatedPersons.role", "a custody right is held over a child")
    native: Native = {"liik": {"kood": "HOOLDUSE_LIIK", "elemendiKood": kind}}
    if label:
        native["liik"]["nimetus"] = label
    start = related.get("period", {}).get("start")
    if start is not None and len(start) == 10:
        native["hooldusoigusAlgus"] = f"{start}T00:00:00"
    elif start is not None:
        notes.not_carried("relatedPersons.period.start", "a partial date")
    if "end" in related.get("period", {}):
        notes.not_carried("relatedPersons.period.end")
    _other_person(native, related["person"], ctx)
    return native


def _other_person(native: Native, person: Person, ctx: Context) -> None:
    path = "relatedPersons.person"
    code = _isikukood(person.get("identifiers", []), f"{path}.identifiers", ctx)
    if code is not None:
        native["teineIsikIsikukood"] = code
    if "deceased" in person:
        native["teineIsikOlek"] = _status(person["deceased"])
    keys = ("teineIsikEesnimi", "teineIsikPerenimi")
    _name_to_native(native, person.get("name", {}), keys, f"{path}.name", ctx.notes)
    for key in person:
        if key not in ("identifiers", "deceased", "name"):
            ctx.notes.not_carried(f"{path}.{key}")
