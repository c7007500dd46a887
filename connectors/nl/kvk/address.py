"""KvK ``Adres`` <-> canonical RoleAddress (a pure mapping).

Usage::

    role_address = address_from_kvk(adres, "$._embedded.hoofdvestiging.adressen[0]", notes)
    adres = address_to_kvk(role_address, "$.addresses[0]", notes)

type bezoekadres <-> role ``headOffice`` (the main establishment's visiting
address), correspondentieadres <-> ``postal``; another type is role ``other``
with the type as ``roleCode``, no type is role ``other`` without one.
volledigAdres -> fullAddress, straatnaam -> thoroughfare, huisnummer /
huisletter / huisnummerToevoeging -> locatorDesignators and locatorDesignator,
toevoegingAdres -> locatorName, postcode -> postCode, postbusnummer -> poBox,
plaats -> postName, regio -> adminUnitL2, land "Nederland" -> adminUnitL1 "NL"
(KvK names the country in Dutch; other names are noted),
geoData.nummerAanduidingId -> addressId.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.canonical import Address, LocatorDesignator, RoleAddress
from connectors.nl._common import Notes

__all__ = ["ADRESTYPE", "address_from_kvk", "address_to_kvk"]

ADRESTYPE = "urn:xgw:codelist:nl-kvk-adrestype"
_ROLES = {"bezoekadres": "headOffice", "correspondentieadres": "postal"}
_TYPES = {v: k for k, v in _ROLES.items()}
_HOUSE = (
    ("huisnummer", "addressNumber"),
    ("huisletter", "addressNumberExtension"),
    ("huisnummerToevoeging", "addressNumber2ndExtension"),
)
_TEXTS = (
    ("volledigAdres", "fullAddress"),
    ("straatnaam", "thoroughfare"),
    ("toevoegingAdres", "locatorName"),
    ("postcode", "postCode"),
    ("plaats", "postName"),
    ("regio", "adminUnitL2"),
)
_COUNTRIES = {"Nederland": "NL"}
_HANDLED = {"type", "land", "postbusnummer", "geoData"} | {k for k, _ in _HOUSE + _TEXTS}


def address_from_kvk(adres: Mapping[str, Any], path: str, notes: Notes) -> RoleAddress | None:
    address: Address = {}
    for native, canonical in _TEXTS:
        if native in adres:
            address[canonical] = adres[native]  # type: ignore[literal-required]
    parts: list[LocatorDesignator] = [
        {"designator": str(adres[key]), "type": kind}  # type: ignore[typeddict-item]
        for key, kind in _HOUSE
        if key in adres
    ]
    if parts:
        address["locatorDesignators"] = parts
        address["locatorDesignator"] = _house_text(adres)
    if "postbusnummer" in adres:
        address["poBox"] = str(adres["postbusnummer"])
    if "land" in adres:
        country = _COUNTRIES.get(adres["land"])
        if country is None:
            notes.add(f"{path}.land", "not carried (a country name xgw has no ISO 3166-1 code for)")
        else:
            address["adminUnitL1"] = country
    if "geoData" in adres:
        _geo_from(adres["geoData"], f"{path}.geoData", notes, address)
    notes.rest(adres, path, _HANDLED)
    if not address:
        notes.add(path, "not carried (an address type without an address)")
        return None
    role_address: RoleAddress = {"role": "other", "address": address}
    kind = adres.get("type")
    if kind in _ROLES:
        role_address["role"] = _ROLES[kind]  # type: ignore[typeddict-item]
    elif kind is not None:
        role_address["roleCode"] = {"code": kind, "listURI": ADRESTYPE}
    return role_address


def _house_text(adres: Mapping[str, Any]) -> str:
    text = f"{adres.get('huisnummer', '')}{adres.get('huisletter', '')}"
    addition = adres.get("huisnummerToevoeging")
    return f"{text}-{addition}" if text and addition else text or str(addition)


def _geo_from(geo: Mapping[str, Any], path: str, notes: Notes, address: Address) -> None:
    if "nummerAanduidingId" in geo:
        address["addressId"] = geo["nummerAanduidingId"]
    notes.rest(geo, path, {"nummerAanduidingId"})


def address_to_kvk(role_address: RoleAddress, path: str, notes: Notes) -> dict[str, Any] | None:
    kind = _kind(role_address, path, notes)
    if kind is None:
        return None
    address = role_address["address"]
    adres: dict[str, Any] = {"type": kind} if kind else {}
    where = f"{path}.address"
    for native, canonical in _TEXTS:
        if canonical in address:
            adres[native] = address[canonical]  # type: ignore[literal-required]
    adres.update(_house_to(address, where, notes))
    if "poBox" in address:
        if address["poBox"].isdigit():
            adres["postbusnummer"] = int(address["poBox"])
        else:
            notes.add(f"{where}.poBox", "not sent (KvK postbusnummer is a number)")
    country = address.get("adminUnitL1")
    if country is not None:
        names = {code: name for name, code in _COUNTRIES.items()}
        if country in names:
            adres["land"] = names[country]
        else:
            notes.add(f"{where}.adminUnitL1", "not sent (xgw knows KvK's Dutch name only for NL)")
    if "addressId" in address:
        adres["geoData"] = {"nummerAanduidingId": address["addressId"]}
    used = {c for _, c in _TEXTS} | {"locatorDesignator", "locatorDesignators", "poBox"}
    for key in address:
        if key not in used | {"adminUnitL1", "addressId"}:
            notes.add(f"{where}.{key}", "not sent (KvK Adres has no field for it)")
    for key in ("period",):
        if key in role_address:
            notes.add(f"{path}.{key}", "not sent (KvK Adres has no validity period)")
    return adres


def _kind(role_address: RoleAddress, path: str, notes: Notes) -> str | None:
    role = role_address["role"]
    code = role_address.get("roleCode")
    if role in _TYPES:
        if code is not None:
            notes.add(f"{path}.roleCode", "not sent (the role gives the KvK address type)")
        return _TYPES[role]
    if role == "other" and code is None:
        return ""  # an address of no particular kind: a KvK Adres without type
    if role == "other" and code.get("listURI") == ADRESTYPE:  # type: ignore[union-attr]
        return code["code"]  # type: ignore[index]
    notes.add(path, f"not sent (KvK Basisprofiel has no {role} address)")
    return None


def _house_to(address: Address, path: str, notes: Notes) -> dict[str, Any]:
    house: dict[str, Any] = {}
    keys = {kind: key for key, kind in _HOUSE}
    for i, part in enumerate(address.get("locatorDesignators", [])):
        key = keys.get(part["type"])
        where = f"{path}.locatorDesignators[{i}]"
        if key is None or key in house:
            notes.add(where, "not sent (no KvK house number part)")
        elif key == "huisnummer" and not part["designator"].isdigit():
            notes.add(where, "not sent (KvK huisnummer is a number)")
        else:
            house[key] = int(part["designator"]) if key == "huisnummer" else part["designator"]
    if not house and "locatorDesignator" in address:
        notes.add(f"{path}.locatorDesignator", "not sent (KvK takes the house number in parts)")
    return house
