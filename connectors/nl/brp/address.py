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
  code is noted (no Landentabel -> ISO 3166-1 table). A foreign address without
  fullAddress (a German one from XMeld, say) is written as lines of its parts:
  street and number, then postcode and place.
- ``VerblijfplaatsOnbekend``: no address (a note).

Encoding picks the type from the canonical fields: a foreign country, or only
``fullAddress``, gives ``VerblijfplaatsBuitenland``; only ``locatorName`` gives
``Locatie``; anything else ``Adres``. :func:`adressering` writes the address lines
a BRP answer derives from the same address (``adressering``: adresregel1..3).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from connectors.canonical import Address, LocatorDesignator
from connectors.nl._common import Notes

__all__ = ["address_from_brp", "address_to_brp", "adressering", "is_domestic"]

_FUNCTIE = {"W": "woonadres", "B": "briefadres"}
_HOUSE = (
    ("huisnummer", "addressNumber"),
    ("huisletter", "addressNumberExtension"),
    ("huisnummertoevoeging", "addressNumber2ndExtension"),
)
_ADRES_KEYS = {"officieleStraatnaam", "huisnummer", "huisletter", "huisnummertoevoeging"}
_ADRES_KEYS |= {"postcode", "woonplaats"}
_LINES = ("regel1", "regel2", "regel3")
_LINE_LENGTHS = (40, 50, 35)  # regel1..3 and adresregel1..3: the OpenAPI's maxLength
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


_DUTCH = {"thoroughfare", "locatorDesignator", "locatorDesignators", "postCode", "postName"}


def is_domestic(address: Address) -> bool:
    """Whether BRP writes ``address`` as one in the Netherlands (Adres, Locatie)."""
    country = address.get("adminUnitL1")
    if country is not None:
        return country == "NL"
    return not ("fullAddress" in address and not _DUTCH & address.keys())


def address_to_brp(address: Address, functie: str, path: str, notes: Notes) -> dict[str, Any]:
    country = address.get("adminUnitL1")
    dutch = _DUTCH
    if not is_domestic(address):
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
    va = dict(zip(_LINES, _foreign_lines(address, path, notes), strict=False))
    if "adminUnitL1" in address:
        notes.add(
            f"{path}.adminUnitL1",
            "not sent (xgw has no table from ISO 3166-1 to the BRP Landentabel)",
        )
    return {"type": "VerblijfplaatsBuitenland", "verblijfadres": va}


def _foreign_lines(address: Address, path: str, notes: Notes) -> list[str]:
    """Up to three lines: fullAddress's, else street and number, then postcode and place."""
    if "fullAddress" in address:
        lines = address["fullAddress"].split("\n")
        if len(lines) > len(_LINES):
            notes.add(f"{path}.fullAddress", "lines after the third not sent (BRP has regel1..3)")
        _note_unused(address, {"fullAddress", "adminUnitL1"}, path, notes)
        return _fitting(lines[: len(_LINES)], f"{path}.fullAddress", notes)
    street = _joined(address.get("thoroughfare"), address.get("locatorDesignator"))
    place = _joined(address.get("postCode"), address.get("postName"))
    used = {"thoroughfare", "locatorDesignator", "postCode", "postName", "adminUnitL1"}
    if "locatorDesignators" in address and "locatorDesignator" in address:
        used.add("locatorDesignators")  # the same number, in parts
    _note_unused(address, used, path, notes)
    return _fitting([line for line in (street, place) if line], path, notes)


def _joined(*parts: str | None) -> str:
    return " ".join(part for part in parts if part)


def _fitting(lines: list[str], path: str, notes: Notes) -> list[str]:
    """The lines up to the first that is longer than BRP allows (that one and later: notes)."""
    for i, (line, limit) in enumerate(zip(lines, _LINE_LENGTHS, strict=False)):
        if len(line) > limit:
            notes.add(path, f"line {i + 1} and later not sent (longer than {limit} characters)")
            return lines[:i]
    return lines


def adressering(address: Address, path: str, notes: Notes) -> dict[str, Any]:
    """The address lines a BRP answer derives from ``address`` (adressering)."""
    if is_domestic(address) and "locatorName" in address and not _DUTCH & address.keys():
        lines = [address["locatorName"]]
    elif is_domestic(address):
        house = address.get("locatorDesignator")
        if house is None and "locatorDesignators" in address:
            house = " ".join(p["designator"] for p in address["locatorDesignators"])
        post_code = address.get("postCode", "").replace(" ", "")
        if len(post_code) == 6:  # "2497BV" -> "2497 BV", as on an envelope
            post_code = f"{post_code[:4]} {post_code[4:]}"
        post_name = address.get("postName", "").upper()
        lines = [_joined(address.get("thoroughfare"), house)]
        lines.append(f"{post_code}  {post_name}".strip() if post_code else post_name)
    else:
        lines = _foreign_lines(address, path, Notes(notes.connector))
        if "adminUnitL1" in address:
            notes.add(f"{path}.adminUnitL1", "adressering.land not sent (no BRP Landentabel code)")
    lines = _fitting([line for line in lines if line], path, notes)
    return {f"adresregel{i + 1}": line for i, line in enumerate(lines)}


def _note_unused(address: Address, used: set[str], path: str, notes: Notes) -> None:
    for key in address:
        if key not in used:
            notes.add(f"{path}.{key}", "not sent (no BRP field for it in this verblijfplaats)")
