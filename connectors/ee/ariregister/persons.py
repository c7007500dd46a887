"""Persons in ``detailandmed_v2``: the register card's people and the special representation rules.

Usage::

    representative = representative_from_native(card_item, path, ctx)   # or None, noted
    persons = persons_to_native(entity, ctx)                            # the ``isikuandmed``
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.canonical import (
    ContactPoint,
    Identifier,
    LegalEntity,
    Person,
    RepresentationRule,
    Representative,
)
from connectors.ee._common import (
    LANGUAGE,
    Context,
    Notes,
    checked_identifier,
    code,
    code_parts,
    full_date,
    identifier_extras,
    join_given_names,
    period,
    split_given_names,
    xsd_date,
)
from connectors.ee.ariregister.addresses import (
    PERSON_ADDRESS,
    address_from_native,
    address_to_native,
)
from connectors.ee.ariregister.fields import (
    ROLE_LIST,
    RULE_LIST,
    Native,
    id_options,
    legal_name,
    period_to_native,
    put,
    put_items,
)

__all__ = ["persons_to_native", "representative_from_native", "rule_from_native"]


def representative_from_native(native: Native, path: str, ctx: Context) -> Representative | None:
    role = code(
        native.get("isiku_roll"),
        native.get("isiku_roll_tekstina"),
        ROLE_LIST,
        f"{path}/isiku_roll_tekstina",
        ctx.notes,
    )
    if role is None:
        ctx.notes.not_carried(path, "a person on the card without a role (isiku_roll)")
        return None
    kind = native.get("isiku_tyyp")
    if kind not in ("F", "J"):
        ctx.notes.not_carried(f"{path}/isiku_tyyp", "neither F (natural) nor J (legal person)")
    result: Representative = {"role": role}
    if kind == "J":
        result["organisation"] = _organisation(native, path, ctx)
    else:
        result["person"] = _person(native, path, ctx)
    when = period(native.get("algus_kpv"), native.get("lopp_kpv"), path, ctx.notes)
    if when:
        result["period"] = when
    return result


def _person(native: Native, path: str, ctx: Context) -> Person:
    person: Person = {}
    if native.get("isikukood_registrikood"):
        where = f"{path}/isikukood_registrikood"
        raw = native["isikukood_registrikood"]
        person["identifiers"] = [checked_identifier("ee.isikukood", raw, where, **id_options(ctx))]
    name: dict[str, Any] = {}
    if native.get("eesnimi"):
        name["givenNames"] = split_given_names(native["eesnimi"])
    if native.get("nimi_arinimi"):
        name["familyName"] = native["nimi_arinimi"]
    if name:
        person["name"] = name  # type: ignore[typeddict-item]
    if native.get("synniaeg"):
        person["birthDate"] = full_date(native["synniaeg"], f"{path}/synniaeg", ctx.notes)
    address = address_from_native(native, PERSON_ADDRESS, path, ctx.notes)
    if address:
        person["residenceAddress"] = address
    if native.get("email"):
        person["contactPoints"] = [{"channel": "email", "value": native["email"]}]
    return person


def _organisation(native: Native, path: str, ctx: Context) -> LegalEntity:
    organisation: LegalEntity = {}
    if native.get("isikukood_registrikood"):
        where = f"{path}/isikukood_registrikood"
        raw = native["isikukood_registrikood"]
        organisation["identifiers"] = [
            checked_identifier("ee.registrikood", raw, where, **id_options(ctx))
        ]
    if native.get("eesnimi"):
        ctx.notes.not_carried(f"{path}/eesnimi", "a first name of a legal person")
    if native.get("nimi_arinimi"):
        organisation["legalNames"] = [{"lang": LANGUAGE, "text": native["nimi_arinimi"]}]
    if native.get("synniaeg"):
        ctx.notes.not_carried(f"{path}/synniaeg", "a birth date of a legal person")
    address = address_from_native(native, PERSON_ADDRESS, path, ctx.notes)
    if address:
        organisation["addresses"] = [{"role": "registered", "address": address}]
    if native.get("email"):
        organisation["contactPoints"] = [{"channel": "email", "value": native["email"]}]
    return organisation


def rule_from_native(native: Native, path: str, notes: Notes) -> RepresentationRule | None:
    rule: RepresentationRule = {}
    kind = code(
        native.get("esinduse_tyyp"),
        native.get("esinduse_tyyp_tekstina"),
        RULE_LIST,
        f"{path}/esinduse_tyyp_tekstina",
        notes,
    )
    if kind:
        rule["code"] = kind
    if native.get("esinduse_sisu"):
        rule["text"] = native["esinduse_sisu"]
    when = period(native.get("algus_kpv"), native.get("lopp_kpv"), path, notes)
    if when:
        if not rule:
            notes.not_carried(f"{path}/algus_kpv", "the dates of an empty rule")
            return None
        rule["period"] = when
    return rule or None


def persons_to_native(entity: LegalEntity, ctx: Context) -> Native:
    cards = [_representative_to_native(r, ctx) for r in entity.get("representatives", [])]
    rules = [
        native
        for rule in entity.get("representationRules", [])
        if (native := _rule_to_native(rule, ctx.notes))
    ]
    if not cards and not rules:
        return {}
    persons: Native = {"kaardile_kantud_isikud": {"item": cards} if cards else {}}
    put_items(persons, "esindusoiguse_eritingimused", rules)
    return persons


def _representative_to_native(rep: Representative, ctx: Context) -> Native:
    notes = ctx.notes
    native: Native = {}
    role, role_name = code_parts(rep["role"], ROLE_LIST, "representatives.role", notes)
    if "person" in rep:
        native["isiku_tyyp"] = "F"
        if "organisation" in rep:
            notes.not_carried("representatives.organisation", "both a person and an organisation")
    else:
        native["isiku_tyyp"] = "J"
    put(native, "isiku_roll", role)
    put(native, "isiku_roll_tekstina", role_name)
    if "person" in rep:
        _person_to_native(native, rep["person"], ctx)
    else:
        _organisation_to_native(native, rep["organisation"], ctx)
    period_to_native(native, rep.get("period"), "representatives.period", notes)
    return native


_PERSON_NOT_CARRIED = (
    "gender", "birthPlace", "deceased", "deathDate", "deathPlace", "nationalities",
    "maritalStatus", "postalAddress", "relatedPersons", "event",
)  # fmt: skip


_NAME_NOT_CARRIED = (
    "birthName", "birthNamePrefix", "formerNames", "alternativeNames", "title", "nobleTitle",
)  # fmt: skip


def _person_to_native(native: Native, person: Person, ctx: Context) -> None:
    path = "representatives.person"
    notes = ctx.notes
    code_value = _first_identifier(person.get("identifiers", []), "ee.isikukood", path, ctx)
    name = person.get("name", {})
    if "givenNames" in name:
        native["eesnimi"] = join_given_names(name["givenNames"], f"{path}.name.givenNames", notes)
    put(native, "nimi_arinimi", _family_name(name, f"{path}.name", notes))
    put(native, "isikukood_registrikood", code_value)
    put(native, "synniaeg", xsd_date(person.get("birthDate"), f"{path}.birthDate", notes))
    if "residenceAddress" in person:
        address = person["residenceAddress"]
        native.update(address_to_native(address, PERSON_ADDRESS, f"{path}.residenceAddress", notes))
    put(native, "email", _email(person.get("contactPoints", []), f"{path}.contactPoints", notes))
    for key in _PERSON_NOT_CARRIED:
        if key in person:
            notes.not_carried(f"{path}.{key}")
    for key in _NAME_NOT_CARRIED:
        if key in name:
            notes.not_carried(f"{path}.name.{key}")


def _family_name(name: Mapping[str, Any], path: str, notes: Notes) -> str | None:
    family = name.get("familyName")
    if family is None:
        if "fullName" in name:
            notes.not_carried(f"{path}.fullName", "a name not split into given and family names")
        return None
    if "namePrefix" in name:
        notes.add(f"{path}.namePrefix", "written before the family name in nimi_arinimi")
        return f"{name['namePrefix']} {family}"
    if "fullName" in name:
        notes.not_carried(f"{path}.fullName")
    return str(family)


def _organisation_to_native(native: Native, organisation: LegalEntity, ctx: Context) -> None:
    path = "representatives.organisation"
    notes = ctx.notes
    ids = organisation.get("identifiers", [])
    code_value = _first_identifier(ids, "ee.registrikood", path, ctx)
    put(
        native,
        "nimi_arinimi",
        legal_name(organisation.get("legalNames", []), f"{path}.legalNames", notes, required=False),
    )
    put(native, "isikukood_registrikood", code_value)
    addresses = organisation.get("addresses", [])
    if addresses:
        if len(addresses) > 1 or addresses[0]["role"] != "registered":
            notes.not_carried(f"{path}.addresses", "more than the registered address")
        address = addresses[0]["address"]
        native.update(
            address_to_native(address, PERSON_ADDRESS, f"{path}.addresses.address", notes)
        )
    put(
        native,
        "email",
        _email(organisation.get("contactPoints", []), f"{path}.contactPoints", notes),
    )
    for key in organisation:
        if key not in ("identifiers", "legalNames", "addresses", "contactPoints"):
            notes.not_carried(f"{path}.{key}")


def _first_identifier(ids: list[Identifier], scheme: str, path: str, ctx: Context) -> str | None:
    found: str | None = None
    for ident in ids:
        if ident["scheme"] != scheme or found is not None:
            ctx.notes.not_carried(f"{path}.identifiers.{ident['scheme']}")
            continue
        where = f"{path}.identifiers"
        found = checked_identifier(scheme, ident["notation"], where, **id_options(ctx))["notation"]
        identifier_extras(ident, where, ctx.notes)
    return found


def _email(contacts: list[ContactPoint], path: str, notes: Notes) -> str | None:
    found: str | None = None
    for contact in contacts:
        if contact["channel"] != "email" or found is not None or "code" in contact:
            notes.not_carried(path, "only one e-mail address, without a code")
            continue
        found = contact["value"]
    return found


def _rule_to_native(rule: RepresentationRule, notes: Notes) -> Native | None:
    native: Native = {}
    kind, name = code_parts(rule.get("code"), RULE_LIST, "representationRules.code", notes)
    put(native, "esinduse_tyyp", kind)
    put(native, "esinduse_tyyp_tekstina", name)
    put(native, "esinduse_sisu", rule.get("text"))
    if not native:
        notes.not_carried("representationRules", "a rule with nothing the register carries")
        return None
    period_to_native(native, rule.get("period"), "representationRules.period", notes)
    return native
