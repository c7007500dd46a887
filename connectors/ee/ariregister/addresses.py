"""Addresses in ``detailandmed_v2``: the entity's (``aadressid/item``) and the card persons' ones.

Usage::

    address = address_from_native(native_item, ENTITY_ADDRESS, path, notes)
    native.update(address_to_native(address, PERSON_ADDRESS, "representatives.person", notes))
"""

from __future__ import annotations

from connectors.canonical import (
    Address,
)
from connectors.ee._common import (
    Notes,
    code_parts,
    country_from_alpha3,
    country_to_alpha3,
)
from connectors.ee.ariregister.fields import (
    EHAK_LIST,
    Native,
    put,
)

__all__ = [
    "ENTITY_ADDRESS",
    "PERSON_ADDRESS",
    "address_from_native",
    "address_to_native",
    "split_street",
]

# The element names of an address: the entity's own, and the card persons' (with a prefix).
ENTITY_ADDRESS = (
    "riik", "ehak", "ehak_nimetus", "tanav_maja_korter", "postiindeks",
    "aadress_ads__adr_id", "aadress_ads__ads_normaliseeritud_taisaadress",
)  # fmt: skip
PERSON_ADDRESS = (
    "aadress_riik", "aadress_ehak", "aadress_ehak_tekstina", "aadress_tanav_maja_korter",
    "aadress_postiindeks", "aadress_ads__adr_id", "aadress_ads__ads_normaliseeritud_taisaadress",
)  # fmt: skip


def address_from_native(
    native: Native, keys: tuple[str, ...], path: str, notes: Notes
) -> Address | None:
    riik, ehak, ehak_name, street, post, ads_id, full = (native.get(key) for key in keys)
    address: Address = {}
    if full:
        address["fullAddress"] = full
    if street:
        address.update(split_street(street))
    if post:
        address["postCode"] = post
    if ehak_name:
        address["postName"] = ehak_name
    if ehak:
        address["municipalityCode"] = {"code": ehak, "listURI": EHAK_LIST}
    if riik and (country := country_from_alpha3(riik, f"{path}/{keys[0]}", notes)):
        address["adminUnitL1"] = country
    if ads_id:
        address["addressId"] = ads_id
    return address or None


def split_street(street: str) -> Address:
    """``Pärnu mnt 123`` -> thoroughfare ``Pärnu mnt``, locatorDesignator ``123``.

    Only when the last word starts with a digit; joining the two with one space
    gives the register's text back exactly. Otherwise all of it is the thoroughfare.
    """
    head, _, tail = street.rpartition(" ")
    if head and tail[:1].isdigit():
        return {"thoroughfare": head, "locatorDesignator": tail}
    return {"thoroughfare": street}


_ADDRESS_NOT_CARRIED = (
    "thoroughfareNames", "thoroughfareCode", "locatorDesignators", "locatorName", "addressArea",
    "postNames", "adminUnitL2", "poBox",
)  # fmt: skip


def address_to_native(address: Address, keys: tuple[str, ...], path: str, notes: Notes) -> Native:
    riik, ehak, ehak_name, street, post, ads_id, full = keys
    native: Native = {}
    if "adminUnitL1" in address:
        alpha3 = country_to_alpha3(address["adminUnitL1"])
        if alpha3 is None:
            notes.not_carried(f"{path}.adminUnitL1", "not an ISO 3166-1 country")
        put(native, riik, alpha3)
    ehak_code, _ = code_parts(
        address.get("municipalityCode"), EHAK_LIST, f"{path}.municipalityCode", notes
    )
    if address.get("municipalityCode", {}).get("name") and ehak_code:
        notes.not_carried(f"{path}.municipalityCode.name")
    put(native, ehak, ehak_code)
    put(native, ehak_name, address.get("postName"))
    put(native, street, _street(address, path, notes))
    put(native, ads_id, address.get("addressId"))
    put(native, full, address.get("fullAddress"))
    put(native, post, address.get("postCode"))
    for key in _ADDRESS_NOT_CARRIED:
        if key in address:
            notes.not_carried(f"{path}.{key}")
    return native


def _street(address: Address, path: str, notes: Notes) -> str | None:
    thoroughfare, locator = address.get("thoroughfare"), address.get("locatorDesignator")
    if thoroughfare is None:
        if locator is not None:
            notes.not_carried(f"{path}.locatorDesignator", "a house number without a street")
        return None
    street = thoroughfare if locator is None else f"{thoroughfare} {locator}"
    expected: Address = {"thoroughfare": thoroughfare}
    if locator is not None:
        expected["locatorDesignator"] = locator
    if split_street(street) != expected:
        notes.add(
            f"{path}.thoroughfare",
            "written as one text (tanav_maja_korter) that splits differently",
        )
    return street
