"""Person <-> one ``person`` of the XMeld answer ``datenabruf.freieSuche.antwort.1333``.

Usage::

    persons = answer_from_xmeld(read(root), notes, lenient=False)
    root = answer_to_xmeld([person, ...], notes, lenient=False)

Carried: family name with its Namensbestandteil (namePrefix), birth name, given names (one
XMeld string, split on single spaces), Doktorgrad (title), birth date (partial dates stay
partial), place and country of birth, the current residence (Meldeanschrift inland, or the
country abroad), deceased, gender, up to four nationalities (Destatis keys <-> ISO alpha-2)
and the IdNr. Everything else is a note (docs/connectors/xoev-xmeld.md lists them).
"""

from __future__ import annotations

import re

from lxml import etree

from connectors.canonical import Address, Identifier, Person, PersonName, Place
from connectors.identifiers import InvalidIdentifierError, validate
from connectors.xoev.xmeld.header import new_message, read_header
from connectors.xoev.xmeld.tree import Node, code_node, code_value, qualified, unqualified
from connectors.xoev.xmeld.values import (
    DESTATIS_NATIONALITY,
    DESTATIS_STAAT,
    GENDER_CODES,
    GENDER_LIST_VERSION,
    Notes,
    country_of,
    destatis,
    gender_of,
    read_date,
    text,
    write_date,
)
from gateway.errors import ConnectorError

__all__ = ["ANSWER", "ANSWER_TYPE", "answer_from_xmeld", "answer_to_xmeld"]

ANSWER = "datenabruf.freieSuche.antwort.1333"
ANSWER_TYPE = "1333"
_IDNR = "de.steuer-idnr"
_STATUS_LIST = "urn:de:xmeld:schluesseltabelle:behoerdenauskunft.ergebnisstatus"
_NUMBER = re.compile(r"([0-9]+)(.*)", re.DOTALL)
_POST_CODE = re.compile(r"[0-9 ]+")
_PERSON_NOT_CARRIED = ("deathDate", "deathPlace", "maritalStatus", "postalAddress",
                       "contactPoints", "relatedPersons", "event")  # fmt: skip
_NAME_NOT_CARRIED = ("fullName", "formerNames", "alternativeNames", "nobleTitle")
_PLACE_NOT_CARRIED = ("names", "code", "countryName", "address")
_ADDRESS_NOT_CARRIED = ("fullAddress", "thoroughfareNames", "thoroughfareCode",
                        "locatorDesignators", "locatorName", "addressArea", "postNames",
                        "adminUnitL2", "poBox", "addressId")  # fmt: skip


# --- decode -----------------------------------------------------------------------------------


def answer_from_xmeld(root: Node, notes: Notes, *, lenient: bool) -> list[Person]:
    read_header(root, notes)
    answer = root.get("antwortSuchanfrage")
    assert answer is not None  # the schema requires it
    refusal = answer.get("rueckweisung")
    if refusal is not None:
        reason = refusal.path("grundDerRueckweisung", "code")
        free = refusal.text_of("freitext")
        notes.add(
            "antwortSuchanfrage/rueckweisung: the register refused the query (grund "
            f"{reason.text if reason is not None else ''}{': ' + free if free else ''}); no persons"
        )
        return []
    result = answer.get("auskunft")
    assert result is not None
    people = result.all("person")
    status = result.path("ergebnisstatus", "code")
    if status is not None and status.text != _status(len(people)):
        notes.add(f"auskunft/ergebnisstatus {status.text}: not carried (derived from the number "
                  "of persons)")  # fmt: skip
    if root.get("ursprungsnachricht") is not None:
        notes.not_carried("ursprungsnachricht", "the query's message id")
    return [_person(p, f"person[{i}]", notes, lenient) for i, p in enumerate(people)]


def _status(count: int) -> str:
    return "01" if count == 1 else "02" if count else "03"


def _person(node: Node, where: str, notes: Notes, lenient: bool) -> Person:
    person: Person = {}
    idnr = node.text_of("identifikationsmerkmal")
    if idnr is not None:
        try:
            checked = validate(_IDNR, idnr, lenient=lenient)
            person["identifiers"] = [{"notation": checked.notation, "scheme": checked.scheme}]
        except InvalidIdentifierError as exc:
            raise ConnectorError(f"XMeld: {where}/identifikationsmerkmal: {exc}") from exc
    names = node.get("name")
    if names is not None:
        name = _name(names, where, notes)
        if name:
            person["name"] = name
    gender = node.path("geschlecht", "code")
    if gender is not None and gender.text:
        value = gender_of(gender.text, f"{where}/geschlecht", notes)
        if value:
            person["gender"] = value  # type: ignore[typeddict-item]
    birth = node.get("geburtsangaben")
    if birth is not None:
        _birth(birth, person, where, notes)
    if node.get("verstorben") is not None:
        person["deceased"] = node.text_of("verstorben") in ("true", "1")
    nationalities = []
    for i, item in enumerate(node.all("staatsangehoerigkeit")):
        key = item.path("staatsangehoerigkeit", "code")
        field = f"{where}/staatsangehoerigkeit[{i}]"
        country, _ = country_of(key.text or "" if key else "", field, notes)
        if country and country not in nationalities:
            nationalities.append(country)
    if nationalities:
        person["nationalities"] = nationalities
    _residence(node.all("wohnung"), person, where, notes)
    return person


def _surname(node: Node | None) -> tuple[str | None, str | None]:
    if node is None:
        return None, None
    return node.text_of("nachname"), node.text_of("namensbestandteil")


def _name(node: Node, where: str, notes: Notes) -> PersonName:
    name: PersonName = {}
    for key, prefix_key, tag in (("familyName", "namePrefix", "familienname"),
                                 ("birthName", "birthNamePrefix", "geburtsname")):  # fmt: skip
        family, prefix = _surname(node.get(tag))
        if family:
            name[key] = family  # type: ignore[literal-required]
        if prefix:
            name[prefix_key] = prefix  # type: ignore[literal-required]
    given = node.path("vornamen", "name")
    if given is not None and given.text:
        name["givenNames"] = given.text.split(" ")
    elif node.get("vornamen") is not None:
        notes.add(f"{where}/name/vornamen: 'nichtVorhanden' (rightly none) has no canonical form")
    title = node.text_of("doktorgrad")
    if title:
        name["title"] = title
    return name


def _birth(node: Node, person: Person, where: str, notes: Notes) -> None:
    date = node.get("geburtsdatum")
    if date is not None:
        value = read_date(date, f"{where}/geburtsangaben/geburtsdatum", notes)
        if value:
            person["birthDate"] = value
    place: Place = {}
    if node.text_of("geburtsort"):
        place["name"] = node.text_of("geburtsort") or ""
    key = node.path("geburtsortStaat", "code")
    if key is not None and key.text:
        country, name = country_of(key.text, f"{where}/geburtsangaben/geburtsortStaat", notes)
        if country:
            place["country"] = country
        elif name:
            place["countryName"] = name
    if place:
        person["birthPlace"] = place


def _residence(homes: list[Node], person: Person, where: str, notes: Notes) -> None:
    for i, home in enumerate(homes):
        current = home.text_of("wohnung.aktuell") in ("true", "1")
        address = home.get("anschrift")
        if current and address is not None and "residenceAddress" not in person:
            value = _address(address, f"{where}/wohnung[{i}]", notes)
            if value:
                person["residenceAddress"] = value
        else:
            notes.not_carried(f"{where}/wohnung[{i}]", "only the current residence is carried")


def _address(node: Node, where: str, notes: Notes) -> Address | None:
    abroad = node.path("anschrift.ausland", "staat", "code")
    if abroad is not None:
        country, _ = country_of(abroad.text or "", f"{where}/anschrift.ausland/staat", notes)
        return {"adminUnitL1": country} if country else None
    inland = node.get("anschrift.inland")
    assert inland is not None
    address: Address = {}
    municipality = inland.get("gemeindeschluessel")
    if municipality is not None:
        address["municipalityCode"] = code_value(municipality)
    number = inland.text_of("hausnummer")
    if number:
        address["locatorDesignator"] = number + (
            inland.text_of("hausnummerBuchstabeZusatzziffer") or ""
        )
    for key, tag in (
        ("postCode", "postleitzahl"),
        ("thoroughfare", "strasse"),
        ("postName", "wohnort"),
    ):
        value = inland.text_of(tag)
        if value:
            address[key] = value  # type: ignore[literal-required]
    address["adminUnitL1"] = "DE"
    return address


# --- encode -----------------------------------------------------------------------------------


def answer_to_xmeld(persons: list[Person], notes: Notes, *, lenient: bool) -> etree._Element:
    root = new_message(ANSWER, ANSWER_TYPE, None, notes)
    result = qualified(qualified(root, "antwortSuchanfrage"), "auskunft")
    code_node(result, "ergebnisstatus", {"code": _status(len(persons)), "listURI": _STATUS_LIST},
              is_qualified=True)  # fmt: skip
    for i, person in enumerate(persons):
        field = "" if len(persons) == 1 else f"persons[{i}]."
        _write_person(qualified(result, "person"), person, field, notes, lenient)
    return root


def _write_person(node: etree._Element, person: Person, field: str, notes: Notes,
                  lenient: bool) -> None:  # fmt: skip
    for key in _PERSON_NOT_CARRIED:
        if key in person:
            notes.not_carried(f"{field}{key}")
    if "name" in person:
        _write_name(qualified(node, "name"), person["name"], f"{field}name", notes)
    if "birthDate" in person or "birthPlace" in person:
        _write_birth(qualified(node, "geburtsangaben"), person, field, notes)
    if "residenceAddress" in person:
        home = qualified(node, "wohnung")
        _write_address(home, person["residenceAddress"], f"{field}residenceAddress", notes)
        qualified(home, "wohnung.aktuell", "true")
    if "deceased" in person:
        qualified(node, "verstorben", "true" if person["deceased"] else "false")
    if "gender" in person:
        code = GENDER_CODES.get(person["gender"])
        if code is None:
            notes.not_carried(f"{field}gender", f"{person['gender']!r} has no XMeld code")
        else:
            code_node(node, "geschlecht", {"code": code, "listVersionID": GENDER_LIST_VERSION},
                      is_qualified=True)  # fmt: skip
    nationalities = person.get("nationalities", [])
    if len(nationalities) > 4:
        raise ConnectorError(f"{field}nationalities: XMeld carries at most 4 nationalities")
    for i, country in enumerate(nationalities):
        key = destatis(f"{field}nationalities[{i}]", country)
        code_node(qualified(node, "staatsangehoerigkeit"), "staatsangehoerigkeit",
                  {"code": key, "listURI": DESTATIS_NATIONALITY}, is_qualified=True)  # fmt: skip
    _write_idnr(node, person.get("identifiers", []), field, notes, lenient)


def _write_name(node: etree._Element, name: PersonName, field: str, notes: Notes) -> None:
    for key, prefix_key, tag in (("familyName", "namePrefix", "familienname"),
                                 ("birthName", "birthNamePrefix", "geburtsname")):  # fmt: skip
        if key in name or prefix_key in name:
            surname = qualified(node, tag)
            if key in name:
                qualified(surname, "nachname", text(f"{field}.{key}", name[key]))  # type: ignore[literal-required]
            if prefix_key in name:
                qualified(surname, "namensbestandteil",
                          text(f"{field}.{prefix_key}", name[prefix_key]))  # type: ignore[literal-required]  # fmt: skip
    if "givenNames" in name:
        given = text(f"{field}.givenNames", " ".join(name["givenNames"]))
        unqualified(qualified(node, "vornamen"), "name", given)
    if "title" in name:
        qualified(node, "doktorgrad", text(f"{field}.title", name["title"]))
    for key in _NAME_NOT_CARRIED:
        if key in name:
            notes.not_carried(f"{field}.{key}")


def _write_birth(node: etree._Element, person: Person, field: str, notes: Notes) -> None:
    place = person.get("birthPlace", {})
    if "name" in place:
        qualified(node, "geburtsort", text(f"{field}birthPlace.name", place["name"]))
    if "country" in place:
        key = destatis(f"{field}birthPlace.country", place["country"])
        code_node(node, "geburtsortStaat", {"code": key, "listURI": DESTATIS_STAAT},
                  is_qualified=True)  # fmt: skip
    for key in _PLACE_NOT_CARRIED:
        if key in place:
            notes.not_carried(f"{field}birthPlace.{key}")
    if "birthDate" in person:
        write_date(qualified(node, "geburtsdatum"), person["birthDate"])


def _write_address(home: etree._Element, address: Address, field: str, notes: Notes) -> None:
    wrapper = qualified(home, "anschrift")
    country = address.get("adminUnitL1")
    if country is not None and country != "DE":
        staat = qualified(wrapper, "anschrift.ausland")
        code_node(staat, "staat", {"code": destatis(f"{field}.adminUnitL1", country),
                                   "listURI": DESTATIS_STAAT}, is_qualified=True)  # fmt: skip
        for key in sorted(set(address) - {"adminUnitL1"}):
            notes.not_carried(f"{field}.{key}", "XMeld gives only the country of an address abroad")
        return
    if country is None:
        notes.add(f"{field}: no country; written as a German (inland) address")
    inland = qualified(wrapper, "anschrift.inland")
    _write_inland(inland, address, field, notes)


def _write_inland(inland: etree._Element, address: Address, field: str, notes: Notes) -> None:
    municipality = address.get("municipalityCode")
    if (
        municipality is not None
        and len(municipality["code"]) == 8
        and municipality["code"].isdigit()
    ):
        code_node(inland, "gemeindeschluessel", municipality, is_qualified=False)
    elif municipality is not None:
        notes.not_carried(f"{field}.municipalityCode", "not an 8-digit AGS")
    number = address.get("locatorDesignator")
    match = _NUMBER.fullmatch(number) if number else None
    if match and all(c.isalpha() or c in "0123456789./ " for c in match.group(2)):
        unqualified(inland, "hausnummer", match.group(1))
        if match.group(2):
            unqualified(inland, "hausnummerBuchstabeZusatzziffer", match.group(2))
    elif number is not None:
        notes.not_carried(f"{field}.locatorDesignator", "not a house number with a suffix")
    post_code = address.get("postCode")
    if post_code is not None:
        if not _POST_CODE.fullmatch(post_code):
            raise ConnectorError(f"{field}.postCode: not a German postleitzahl (digits only)")
        unqualified(inland, "postleitzahl", post_code)
    for key, tag in (("thoroughfare", "strasse"), ("postName", "wohnort")):
        if key in address:
            unqualified(inland, tag, text(f"{field}.{key}", address[key]))  # type: ignore[literal-required]
    for key in _ADDRESS_NOT_CARRIED:
        if key in address:
            notes.not_carried(f"{field}.{key}")


def _write_idnr(node: etree._Element, identifiers: list[Identifier], field: str, notes: Notes,
                lenient: bool) -> None:  # fmt: skip
    written = False
    for i, identifier in enumerate(identifiers):
        where = f"{field}identifiers[{i}]"
        if identifier["scheme"] != _IDNR or written:
            notes.not_carried(where, "XMeld carries one IdNr (de.steuer-idnr)")
            continue
        try:
            notation = validate(_IDNR, identifier["notation"], lenient=lenient).notation
        except InvalidIdentifierError as exc:
            raise ConnectorError(f"{where}: {exc}") from exc
        for key in sorted(set(identifier) - {"notation", "scheme"}):
            notes.not_carried(f"{where}.{key}", "implied by the scheme")
        qualified(node, "identifikationsmerkmal", notation)
        written = True
