"""BRP ``verblijfplaats`` <-> canonical Address (a pure mapping).

Usage::

    role, address = address_from_brp(verblijfplaats, "$.personen[0].verblijfplaats", notes)
    # role: "residenceAddress", or "postalAddress" for a briefadres (functieAdres B)
    verblijfplaats = address_to_brp(address, "W", "$.residenceAddress", notes)

- ``Adres`` (in the Netherlands): officieleStraatnaam -> thoroughfare, huisnummer /
  huisletter / huisnummertoevoeging -> locatorDesignators (addressNumber,
  addressNumberExtension, addressNumber2ndExtension) and locatorDesignator
  ("12a-2"), postcode -> postCode, woonplaats -> postName,
  nummeraanduidingIdentificatie -> addressId, adminUnitL1 "NL".
- ``Locatie``: locatiebeschrijving -> locatorName, adminUnitL1 "NL".
- ``VerblijfplaatsBuitenland``: regel1..3 -> fullAddress (one line each); the land
  code is noted (no Landentabel -> ISO 3166-1 table).
- ``VerblijfplaatsOnbekend``: no address (a note).

Encoding picks the type from the canonical fields: a foreign country, or only
``fullAddress``, gives ``VerblijfplaatsBuitenland``; only ``locatorName`` gives
``Locatie``; anything else ``Adres``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from connectors.canonical import Address, LocatorDesignator
from connectors.nl._common import Notes

__all__ = ["address_from_brp", "address_to_brp"]

_FUNCTIE = {"W": "woonadres", "B": "briefadres"}
_HOUSE = (
    ("huisnummer", "addressNumber"),
    ("huisletter", "addressNumberExtension"),
    ("huisnummertoevoeging", "addressNumber2ndExtension"),
)
_ADRES_KEYS = {"officieleStraatnaam", "huisnummer", "huisletter", "huisnummertoevoeging"}
_ADRES_KEYS |= {"postcode", "woonplaats"}
_LINES = ("regel1", "regel2", "regel3")
_NUMBER = re.compile(r"([0-9]{1,5})([A-Za-z])?")


def address_from_brp(v: Mapping[str, Any], path: str, notes: Notes) -> tuple[str, Address | None]:
    kind = v["type"]
    handled = {"type", "verblijfadres", "functieAdres"}
    verblijfadres = v.get("verblijfadres", {})
    address: Address = {}
    if kind == "Adres":
        address = _adres_from(verblijfadres, f"{path}.verblijfadres", notes)
        if "nummeraanduidingIdentificatie" in v:
            address["addressId"] = v["nummeraanduidingIdentificatie"]
        handled.add("nummeraanduidingIdentificatie")
    elif kind == "Locatie":
        if "locatiebeschrijving" in verblijfadres:
            address["locatorName"] = verblijfadres["locatiebeschrijving"]
        address["adminUnitL1"] = "NL"
        notes.rest(verblijfadres, f"{path}.verblijfadres", {"locatiebeschrijving"})
    elif kind == "VerblijfplaatsBuitenland":
        address = _buitenland_from(verblijfadres, f"{path}.verblijfadres", notes)
    else:
        notes.add(path, "no address carried (VerblijfplaatsOnbekend: the residence is unknown)")
    role = _role(v.get("functieAdres"), f"{path}.functieAdres", notes)
    notes.rest(v, path, handled)
    return role, (address or None)


def _role(functie: Mapping[str, Any] | None, path: str, notes: Notes) -> str:
    if functie is None:
        return "residenceAddress"
    code = functie.get("code")
    if code not in _FUNCTIE:
        notes.add(path, "not carried (not a functieAdres code W or B): taken as a residence")
        return "residenceAddress"
    if functie.get("omschrijving", _FUNCTIE[code]) != _FUNCTIE[code]:
        notes.add(f"{path}.omschrijving", "not carried (differs from the code's label)")
    notes.rest(functie, path, {"code", "omschrijving"})
    return "postalAddress" if code == "B" else "residenceAddress"


def _adres_from(va: Mapping[str, Any], path: str, notes: Notes) -> Address:
    address: Address = {}
    if "officieleStraatnaam" in va:
        address["thoroughfare"] = va["officieleStraatnaam"]
    parts: list[LocatorDesignator] = [
        {"designator": str(va[key]), "type": kind}  # type: ignore[typeddict-item]
        for key, kind in _HOUSE
        if key in va
    ]
    if parts:
        address["locatorDesignators"] = parts
        address["locatorDesignator"] = _house_text(va)
    if "postcode" in va:
        address["postCode"] = va["postcode"]
    if "woonplaats" in va:
        address["postName"] = va["woonplaats"]
    address["adminUnitL1"] = "NL"
    notes.rest(va, path, _ADRES_KEYS)
    return address


def _house_text(va: Mapping[str, Any]) -> str:
    text = f"{va.get('huisnummer', '')}{va.get('huisletter', '')}"
    addition = va.get("huisnummertoevoeging")
    return f"{text}-{addition}" if text and addition else text or str(addition)


def _buitenland_from(va: Mapping[str, Any], path: str, notes: Notes) -> Address:
    address: Address = {}
    lines = [va[key] for key in _LINES if key in va]
    if lines:
        address["fullAddress"] = "\n".join(lines)
        if [k for k in _LINES if k in va] != list(_LINES[: len(lines)]):
            notes.add(path, "line positions not carried (an empty line before a filled one)")
    if "land" in va:
        notes.add(
            f"{path}.land", "not carried (xgw has no table from the BRP Landentabel to ISO 3166-1)"
        )
    notes.rest(va, path, {*_LINES, "land"})
    return address


def address_to_brp(address: Address, functie: str, path: str, notes: Notes) -> dict[str, Any]:
    country = address.get("adminUnitL1")
    dutch = {"thoroughfare", "locatorDesignator", "locatorDesignators", "postCode", "postName"}
    if (country is not None and country != "NL") or (
        "fullAddress" in address and not dutch & address.keys() and country is None
    ):
        if functie == "B":
            notes.add(path, "sent as a plain verblijfplaats (BRP marks no foreign briefadres)")
        return _buitenland_to(address, path, notes)
    if "locatorName" in address and not (dutch | {"addressId"}) & address.keys():
        v: dict[str, Any] = {
            "type": "Locatie",
            "verblijfadres": {"locatiebeschrijving": address["locatorName"]},
        }
        used = {"locatorName", "adminUnitL1"}
    else:
        v = {"type": "Adres", "verblijfadres": _adres_to(address, path, notes)}
        if "addressId" in address:
            v["nummeraanduidingIdentificatie"] = address["addressId"]
        used = dutch | {"addressId", "adminUnitL1"}
    if country is None:
        notes.add(path, "no country given: sent as an address in the Netherlands (BRP Adres)")
    v["functieAdres"] = {"code": functie, "omschrijving": _FUNCTIE[functie]}
    _note_unused(address, used, path, notes)
    return v


def _adres_to(address: Address, path: str, notes: Notes) -> dict[str, Any]:
    va: dict[str, Any] = {}
    if "thoroughfare" in address:
        va["officieleStraatnaam"] = address["thoroughfare"]
    va.update(_house_to(address, path, notes))
    if "postCode" in address:
        va["postcode"] = address["postCode"]
    if "postName" in address:
        va["woonplaats"] = address["postName"]
    return va


def _house_to(address: Address, path: str, notes: Notes) -> dict[str, Any]:
    house: dict[str, Any] = {}
    keys = dict((kind, key) for key, kind in _HOUSE)
    for i, part in enumerate(address.get("locatorDesignators", [])):
        key = keys.get(part["type"])
        if key is None or key in house:
            notes.add(f"{path}.locatorDesignators[{i}]", "not sent (no BRP house number part)")
        elif key == "huisnummer" and not part["designator"].isdigit():
            notes.add(f"{path}.locatorDesignators[{i}]", "not sent (BRP huisnummer is a number)")
        elif key == "huisnummer":
            house[key] = int(part["designator"])
        else:
            house[key] = part["designator"]
    if not house and "locatorDesignator" in address:
        match = _NUMBER.fullmatch(address["locatorDesignator"])
        if match is None:
            notes.add(f"{path}.locatorDesignator", "not sent (not a BRP huisnummer[huisletter])")
        else:
            house["huisnummer"] = int(match[1])
            if match[2]:
                house["huisletter"] = match[2]
    return house


def _buitenland_to(address: Address, path: str, notes: Notes) -> dict[str, Any]:
    va: dict[str, Any] = {}
    lines = address.get("fullAddress", "").split("\n") if "fullAddress" in address else []
    if len(lines) > len(_LINES):
        notes.add(f"{path}.fullAddress", "lines after the third not sent (BRP has regel1..3)")
    for key, line in zip(_LINES, lines, strict=False):
        va[key] = line
    if "adminUnitL1" in address:
        notes.add(
            f"{path}.adminUnitL1",
            "not sent (xgw has no table from ISO 3166-1 to the BRP Landentabel)",
        )
    _note_unused(address, {"fullAddress", "adminUnitL1"}, path, notes)
    return {"type": "VerblijfplaatsBuitenland", "verblijfadres": va}


def _note_unused(address: Address, used: set[str], path: str, notes: Notes) -> None:
    for key in address:
        if key not in used:
            notes.add(f"{path}.{key}", "not sent (no BRP field for it in this verblijfplaats)")
