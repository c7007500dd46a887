"""Addresses both ways: a person's OSLO address (GeefPersoon), an enterprise's KBO address.

Usage::

    address = person_address(hoofdverblijfplaats, "Persoon/Adressen/Hoofdverblijfplaats", tr)
    write_person_address(element, address, "Person.residenceAddress", tr)
    address, contacts = enterprise_address(adres, "Onderneming/Adressen/Adres", tr)
    write_enterprise_address(element, address, "LegalEntity.addresses.address", tr)

Person (``AdresVoorstellingUitbreidingType``): ``Straatnaam`` / ``Gemeentenaam`` are
language-tagged (thoroughfare + thoroughfareNames, postName + postNames); names that did not come
from the address register (``NietGestandaardiseerde...``) carry no language and fill the plain
fields only. Enterprise (``AdresOndernemingType``): ``Straat/Naam`` and ``Gemeente/Naam`` are
plain; a ``Descriptie`` with a ``Taalcode`` gives the names in that language. Both split the
house number: ``Huisnummer`` (addressNumber) and ``Busnummer`` (unitIdentifier), written
``405 bus 2`` as one text.
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

from connectors.be.magda.values import (
    LIST,
    Translation,
    country,
    iso3,
    nis_country,
    nis_name,
    sub,
    text,
)
from connectors.canonical import Address, Code, ContactPoint, LangText, LocatorDesignator

__all__ = [
    "contact_points",
    "enterprise_address",
    "person_address",
    "write_descriptions",
    "write_enterprise_address",
    "write_person_address",
]

_LANG = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{1,8})*")
_CONTACTS = {
    "Telefoonnummer": "telephone",
    "Faxnummer": "fax",
    "GSM": "mobile",
    "Email": "email",
    "Website": "web",
}
_CONTACT_TAGS = {channel: tag for tag, channel in _CONTACTS.items()}  # in schema order


# -- decoding --------------------------------------------------------------------------------


def person_address(element: etree._Element, where: str, tr: Translation) -> Address:
    address: Address = {}
    parts: dict[str, str] = {}
    for child in element:
        tag, path = child.tag, f"{where}/{child.tag}"
        if tag in ("Straatnaam", "Gemeentenaam"):
            plain, names = ("thoroughfare", "thoroughfareNames") if tag == "Straatnaam" else (
                "postName", "postNames")  # fmt: skip
            _language_tagged(child, address, plain, names, path, tr)
        elif tag in ("NietGestandaardiseerdeStraatnaam", "NietGestandaardiseerdeGemeentenaam"):
            _not_standardised(child, address, tag, path, tr)
        elif tag in _PERSON_PLAIN:
            parts[tag] = text(child)
        elif tag == "Land":
            tr.notes.not_carried(path, "the country's name; the country is carried as its code")
        else:
            tr.notes.not_carried(path)
    _address_codes(address, parts)
    _house_number(address, parts.get("Huisnummer"), parts.get("Busnummer"))
    return address


_PERSON_PLAIN = {
    "Postbus", "Huisnummer", "Busnummer", "Postcode", "NISCodeLand", "ISOCodeLand",
    "NISCodeGemeente", "StraatCode",
}  # fmt: skip


def _language_tagged(
    element: etree._Element, address: Any, plain: str, names: str, where: str, tr: Translation
) -> None:
    string, language = _taalstring(element)
    if not string:
        return
    address.setdefault(plain, string)
    if _LANG.fullmatch(language):
        address.setdefault(names, []).append({"lang": language, "text": string})
    else:
        tr.notes.not_carried(f"{where}/Taal", "not a language tag")


def _not_standardised(
    element: etree._Element, address: Any, tag: str, where: str, tr: Translation
) -> None:
    plain = "thoroughfare" if tag == "NietGestandaardiseerdeStraatnaam" else "postName"
    string, language = _taalstring(element)
    if plain in address:
        tr.notes.not_carried(where, "a second name beside the register's")
    elif string:
        address[plain] = string
    if language:
        tr.notes.not_carried(f"{where}/Taal", "a not-standardised name has no language field")


def _taalstring(element: etree._Element) -> tuple[str, str]:
    string = language = ""
    for child in element:
        if child.tag == "String":
            string = text(child)
        elif child.tag == "Taal":
            language = text(child).lower()
    return string, language


def _address_codes(address: Address, parts: dict[str, str]) -> None:
    if parts.get("Postbus"):
        address["poBox"] = parts["Postbus"]
    if parts.get("Postcode"):
        address["postCode"] = parts["Postcode"]
    if parts.get("StraatCode"):
        address["thoroughfareCode"] = {"code": parts["StraatCode"], "listURI": LIST["street"]}
    if parts.get("NISCodeGemeente"):
        address["municipalityCode"] = _municipality(parts["NISCodeGemeente"])
    found = country(parts.get("NISCodeLand"), parts.get("ISOCodeLand"))
    if found:
        address["adminUnitL1"] = found


def _municipality(code: str) -> Code:
    return {"code": code, "listURI": LIST["municipality"]}


def _house_number(address: Address, number: str | None, box: str | None) -> None:
    """Huisnummer / Busnummer as one text and, split, as locatorDesignators (they round-trip)."""
    if not (number or box):
        return
    address["locatorDesignator"] = (
        f"{number} bus {box}" if number and box else number or f"bus {box}"
    )
    designators: list[LocatorDesignator] = []
    if number:
        designators.append({"designator": number, "type": "addressNumber"})
    if box:
        designators.append({"designator": box, "type": "unitIdentifier"})
    address["locatorDesignators"] = designators


def enterprise_address(
    element: etree._Element, where: str, tr: Translation
) -> tuple[Address, list[ContactPoint]]:
    """A KBO address (with its descriptions) and the contact points they give."""
    address: Address = {}
    parts: dict[str, str] = {}
    contacts: list[ContactPoint] = []
    for child in element:
        tag, path = child.tag, f"{where}/{child.tag}"
        if tag in ("Straat", "Gemeente", "Land"):
            _kbo_part(child, parts, path, tr)
            for key, name in (("thoroughfare", "Straat/Naam"), ("postName", "Gemeente/Naam")):
                if parts.get(name):
                    address[key] = parts[name]  # type: ignore[literal-required]
        elif tag in ("Huisnummer", "Busnummer"):
            parts[tag] = text(child)
        elif tag == "Descripties":
            for descriptie in child:
                _description(descriptie, address, contacts, f"{path}/Descriptie", tr)
        elif tag == "Contact":  # GeefOndernemingVKBO
            contacts.extend(contact_points(child))
        elif tag != "Type":  # the address's role: the caller reads it
            tr.notes.not_carried(path)
    _address_codes(address, {
        "StraatCode": parts.get("Straat/Code", ""),
        "NISCodeGemeente": parts.get("Gemeente/NISCode", ""),
        "Postcode": parts.get("Gemeente/PostCode", ""),
    })  # fmt: skip
    found = country(parts.get("Land/NISCode"), parts.get("Land/ISOCode"))
    if found:
        address["adminUnitL1"] = found
    _house_number(address, parts.get("Huisnummer"), parts.get("Busnummer"))
    return address, contacts


def _kbo_part(element: etree._Element, parts: dict[str, str], where: str, tr: Translation) -> None:
    for child in element:
        key = f"{element.tag}/{child.tag}"
        if key == "Land/Naam":
            tr.notes.not_carried(
                f"{where}/Naam", "the country's name; the country is carried as its code"
            )
        else:
            parts[key] = text(child)


def _description(
    element: etree._Element,
    address: Address,
    contacts: list[ContactPoint],
    where: str,
    tr: Translation,
) -> None:
    names: dict[str, str] = {}
    language = ""
    for child in element:
        if child.tag == "Adres":
            for part in child:
                if part.tag in ("Straat", "Gemeente"):
                    names.update((f"{part.tag}/{n.tag}", text(n)) for n in part if n.tag == "Naam")
                    if any(n.tag != "Naam" for n in part):
                        tr.notes.not_carried(
                            f"{where}/Adres/{part.tag}", "codes repeat the address's"
                        )
                else:
                    tr.notes.not_carried(f"{where}/Adres/{part.tag}", "repeats the address")
        elif child.tag == "Contact":
            contacts.extend(contact_points(child))
            tr.notes.add(f"{where}/Contact", "carried as the entity's contact points")
        elif child.tag == "Taalcode":
            language = text(child).lower()
        else:
            tr.notes.not_carried(f"{where}/{child.tag}")
    _described_names(address, names, language, where, tr)


def _described_names(
    address: Any, names: dict[str, str], language: str, where: str, tr: Translation
) -> None:
    for part, plain, tagged in (
        ("Straat/Naam", "thoroughfare", "thoroughfareNames"),
        ("Gemeente/Naam", "postName", "postNames"),
    ):
        name = names.get(part)
        if not name:
            continue
        if language:
            address.setdefault(tagged, []).append({"lang": language, "text": name})
            address.setdefault(plain, name)
        elif plain not in address:
            address[plain] = name
        else:
            tr.notes.not_carried(f"{where}/Adres/{part}", "a second name without a language")


def contact_points(element: etree._Element) -> list[ContactPoint]:
    return [
        {"channel": _CONTACTS[child.tag], "value": text(child)}  # type: ignore[typeddict-item]
        for child in element
        if child.text
    ]


# -- encoding --------------------------------------------------------------------------------


def write_person_address(
    element: etree._Element, address: Address, where: str, tr: Translation
) -> None:
    """The children of an ``AdresVoorstellingUitbreidingType`` element, in schema order."""
    _unsupported(
        address,
        where,
        tr,
        ("fullAddress", "locatorName", "addressArea", "adminUnitL2", "addressId"),
    )
    if "poBox" in address:
        sub(element, "Postbus", address["poBox"])
    street = _first_name(address, "thoroughfare", "thoroughfareNames", where, tr)
    if street:
        _write_taalstring(sub(element, "Straatnaam"), street)
    number, box = _house_parts(address, where, tr)
    if number:
        sub(element, "Huisnummer", number)
    if box:
        sub(element, "Busnummer", box)
    town = _first_name(address, "postName", "postNames", where, tr)
    if town:
        _write_taalstring(sub(element, "Gemeentenaam"), town)
    if "postCode" in address:
        sub(element, "Postcode", address["postCode"])
    _write_country_codes(element, address.get("adminUnitL1"), where, tr)
    municipality = _own_code(address, "municipalityCode", "municipality", r"[0-9]{1,5}", where, tr)
    if municipality:
        sub(element, "NISCodeGemeente", municipality)
    street_code = _own_code(address, "thoroughfareCode", "street", r"[0-9]{1,4}", where, tr)
    if street_code:
        sub(element, "StraatCode", street_code)
    for plain, tag, tagged in (
        ("thoroughfare", "NietGestandaardiseerdeStraatnaam", street),
        ("postName", "NietGestandaardiseerdeGemeentenaam", town),
    ):
        if plain in address and not tagged:
            sub(sub(element, tag), "String", address[plain])  # type: ignore[literal-required]


def _write_taalstring(element: etree._Element, name: LangText) -> None:
    sub(element, "String", name["text"])
    sub(element, "Taal", name["lang"])


def _first_name(
    address: Address, plain: str, tagged: str, where: str, tr: Translation
) -> LangText | None:
    names: list[LangText] = address.get(tagged, [])  # type: ignore[assignment]
    if not names:
        return None
    if len(names) > 1:
        tr.notes.not_sent(f"{where}.{tagged}", "GeefPersoon carries one language")
    if address.get(plain, names[0]["text"]) != names[0]["text"]:
        tr.notes.not_sent(f"{where}.{plain}", "differs from the first of its language versions")
    return names[0]


def _house_parts(address: Address, where: str, tr: Translation) -> tuple[str | None, str | None]:
    """Huisnummer and Busnummer: from locatorDesignators if given, else the one text."""
    designators = address.get("locatorDesignators")
    text_form = address.get("locatorDesignator")
    if not designators:
        return text_form, None
    parts: dict[str, str] = {}
    for designator in designators:
        if designator["type"] in ("addressNumber", "unitIdentifier"):
            if (
                parts.setdefault(designator["type"], designator["designator"])
                == designator["designator"]
            ):
                continue
        tr.notes.not_sent(f"{where}.locatorDesignators", "only a house number and a box number")
    number, box = parts.get("addressNumber"), parts.get("unitIdentifier")
    if number is None and box is None:
        return text_form, None
    composed = f"{number} bus {box}" if number and box else number or f"bus {box}"
    if text_form and text_form != composed:
        tr.notes.not_sent(f"{where}.locatorDesignator", "differs from its parts")
    return number, box


def _write_country_codes(
    element: etree._Element, alpha2: str | None, where: str, tr: Translation
) -> None:
    if not alpha2:
        return
    nis = nis_country(alpha2)
    if nis:
        sub(element, "NISCodeLand", nis)
    else:
        tr.notes.add(f"{where}.adminUnitL1", "sent as ISO code only: no NIS code known")
    alpha3 = iso3(alpha2)
    if alpha3:
        sub(element, "ISOCodeLand", alpha3)


def _own_code(
    address: Any, key: str, list_name: str, pattern: str, where: str, tr: Translation
) -> str | None:
    """A code of MAGDA's own list (listURI ours or absent), or None with a note."""
    value: Code | None = address.get(key)
    if value is None:
        return None
    if value.get("listURI", LIST[list_name]) != LIST[list_name] or not re.fullmatch(
        pattern, value["code"]
    ):
        tr.notes.not_sent(f"{where}.{key}", "not a code of the MAGDA list")
        return None
    if "name" in value or "listVersionID" in value:
        tr.notes.not_sent(f"{where}.{key}", "MAGDA carries the code only")
    return value["code"]


def _unsupported(address: Any, where: str, tr: Translation, keys: tuple[str, ...]) -> None:
    for key in keys:
        if key in address:
            tr.notes.not_sent(f"{where}.{key}", "no such MAGDA address field")


def write_enterprise_address(
    element: etree._Element, address: Address, where: str, tr: Translation
) -> None:
    """Straat .. Land of an ``AdresOndernemingBasisType``; the caller adds Type and Descripties."""
    _unsupported(address, where, tr, ("fullAddress", "locatorName", "addressArea", "adminUnitL2",
                                      "addressId", "poBox"))  # fmt: skip
    street_code = _own_code(address, "thoroughfareCode", "street", r"[0-9]{1,4}", where, tr)
    if street_code or "thoroughfare" in address:
        street = sub(element, "Straat")
        if street_code:
            sub(street, "Code", street_code)
        if "thoroughfare" in address:
            sub(street, "Naam", address["thoroughfare"])
    number, box = _house_parts(address, where, tr)
    if number:
        sub(element, "Huisnummer", number)
    if box:
        sub(element, "Busnummer", box)
    municipality = _own_code(address, "municipalityCode", "municipality", r"[0-9]{1,5}", where, tr)
    if municipality or "postCode" in address or "postName" in address:
        town = sub(element, "Gemeente")
        if municipality:
            sub(town, "NISCode", municipality)
        if "postCode" in address:
            sub(town, "PostCode", address["postCode"])
        if "postName" in address:
            sub(town, "Naam", address["postName"])
    _write_kbo_country(element, address.get("adminUnitL1"), where, tr)


def _write_kbo_country(
    element: etree._Element, alpha2: str | None, where: str, tr: Translation
) -> None:
    if not alpha2:
        return
    nis = nis_country(alpha2)
    if nis is None:
        tr.notes.not_sent(f"{where}.adminUnitL1", "no NIS code known for the country")
        return
    land = sub(element, "Land")
    sub(land, "NISCode", nis)
    sub(land, "ISOCode", alpha2)
    sub(land, "Naam", nis_name(alpha2) or alpha2)


def write_descriptions(
    element: etree._Element,
    address: Address,
    contacts: list[ContactPoint],
    where: str,
    tr: Translation,
) -> None:
    """``Descripties``: the contact points, then the names per language."""
    languages: dict[str, dict[str, str]] = {}
    for tagged, part in (("thoroughfareNames", "Straat"), ("postNames", "Gemeente")):
        for name in address.get(tagged, []):  # type: ignore[attr-defined]
            if re.fullmatch(r"[a-z]{2}", name["lang"]):
                languages.setdefault(name["lang"], {})[part] = name["text"]
            else:
                tr.notes.not_sent(f"{where}.{tagged}", "KBO language codes have two letters")
    if not contacts and not languages:
        return
    descriptions = sub(element, "Descripties")
    if contacts:
        contact = sub(sub(descriptions, "Descriptie"), "Contact")
        values = {c["channel"]: c["value"] for c in reversed(contacts)}  # the first of each
        for channel, tag in _CONTACT_TAGS.items():
            if channel in values:
                sub(contact, tag, values[channel])
        if len(values) < len(contacts) or any(c.get("code") for c in contacts):
            tr.notes.not_sent("LegalEntity.contactPoints", "one of each channel, without codes")
        order = list(_CONTACT_TAGS)
        channels = [c["channel"] for c in contacts]
        if channels != sorted(channels, key=order.index):
            tr.notes.add("LegalEntity.contactPoints", "sent in KBO's order of channels")
    for language, parts in languages.items():
        description = sub(descriptions, "Descriptie")
        names = sub(description, "Adres")
        for part in ("Straat", "Gemeente"):
            if part in parts:
                sub(sub(names, part), "Naam", parts[part])
        sub(description, "Taalcode", language)
