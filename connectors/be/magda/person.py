"""GeefPersoon 02.02 ``Persoon`` <-> canonical Person: the pure mapping.

Usage::

    person = read_person(persoon_element, tr)        # tr.notes: what was not carried
    write_person(inhoud_element, person, tr)         # appends <Persoon> in schema order

Carried: INSZ (``be.ssin``), Naam (given names in order, family names), AdellijkeTitel,
Geslacht, Nationaliteiten (NIS -> ISO alpha-2), Geboorte and Overlijden (partial dates, place
with NIS municipality and country), the last BurgerlijkeStaat, Hoofdverblijfplaats and
ContactAdres, and the parents of each Afstamming. Everything else is a note;
docs/connectors/be-magda.md has the full list.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from lxml import etree

from connectors.be.magda.addresses import person_address, write_person_address
from connectors.be.magda.values import (
    LIST,
    Translation,
    add,
    attributes,
    code,
    country,
    identifier,
    iso3,
    magda_date,
    nis_country,
    nis_name,
    partial_date,
    sub,
    text,
)
from connectors.canonical import Code, Person, PersonName, Place, RelatedPerson
from gateway.errors import ConnectorError

__all__ = ["read_person", "write_person"]

_GENDERS = {"1": ("male", "Mannelijk"), "2": ("female", "Vrouwelijk")}
_GENDER_CODES = {gender: (code_, label) for code_, (gender, label) in _GENDERS.items()}
_PARENT_ROLES = ("parent", "mother", "father")

# -- decoding --------------------------------------------------------------------------------


def read_person(element: etree._Element, tr: Translation) -> Person:
    person: Person = {}
    _attributes(element, "Persoon", tr)
    for child in element:
        reader = _READERS.get(child.tag)
        if reader is None:
            tr.notes.not_carried(f"Persoon/{child.tag}")
        else:
            reader(child, person, f"Persoon/{child.tag}", tr)
    return person


def _attributes(element: etree._Element, where: str, tr: Translation) -> None:
    for name, _ in attributes(element):
        tr.notes.not_carried(f"{where}/@{name}")


def _insz(element: etree._Element, person: Any, where: str, tr: Translation) -> None:
    _attributes(element, where, tr)
    person["identifiers"] = [identifier("be.ssin", text(element), where, tr)]


def _naam(element: etree._Element, person: Any, where: str, tr: Translation) -> None:
    name = _name(element, where, tr)
    if name:
        person.setdefault("name", {}).update(name)


def _name(element: etree._Element, where: str, tr: Translation) -> PersonName:
    _attributes(element, where, tr)
    family: list[str] = []
    given: list[str] = []
    for names in element:
        for part in names:
            if part.tag == "Voornaam":
                _attributes(part, f"{where}/Voornamen/Voornaam", tr)
                add_to = given
            else:
                add_to = family
            if part.text:
                add_to.append(part.text)
    if len(family) > 1:
        tr.notes.add(f"{where}/Achternamen", "several Achternaam joined with a space, in order")
    name: PersonName = {}
    add(name, "givenNames", given)
    add(name, "familyName", " ".join(family))
    return name


def _adellijke_titel(element: etree._Element, person: Any, where: str, tr: Translation) -> None:
    _attributes(element, where, tr)
    person.setdefault("name", {})["nobleTitle"] = _coded(
        element[0], f"{where}/AdellijkeTitel", "noble", tr
    )


def _coded(element: etree._Element, where: str, list_name: str, tr: Translation) -> Code:
    """A CodeOmschrijving of a MAGDA list; its extra children and attributes are noted."""
    for child in element:
        if child.tag not in ("Code", "Omschrijving"):
            tr.notes.not_carried(f"{where}/{child.tag}")
        _attributes(child, f"{where}/{child.tag}", tr)
    _attributes(element, where, tr)
    return code(element, LIST[list_name])


def _geslacht(element: etree._Element, person: Any, where: str, tr: Translation) -> None:
    gender = _gender(element, where, tr)
    if gender:
        person["gender"] = gender


def _gender(element: etree._Element, where: str, tr: Translation) -> str | None:
    _attributes(element, where, tr)
    value = code(element)
    known = _GENDERS.get(value["code"])
    if known is None:
        tr.notes.not_carried(f"{where}/Code", "not a gender code the canonical list has")
        return None
    if value.get("name", known[1]) != known[1]:
        tr.notes.not_carried(f"{where}/Omschrijving", "a label other than the code's own")
    return known[0]


def _nationaliteiten(element: etree._Element, person: Any, where: str, tr: Translation) -> None:
    nationalities: list[str] = []
    for nationality in element:
        path = f"{where}/Nationaliteit"
        _attributes(nationality, path, tr)
        for child in nationality:
            if child.tag == "Code":
                found = country(text(child), None)
                if found is None:
                    tr.notes.not_carried(f"{path}/Code", "a NIS nationality without ISO country")
                elif found not in nationalities:
                    nationalities.append(found)
            elif child.tag == "Omschrijving":
                tr.notes.not_carried(f"{path}/Omschrijving", "label; the country is carried")
            else:
                tr.notes.not_carried(f"{path}/{child.tag}")
    add(person, "nationalities", nationalities)


def _geboorte(element: etree._Element, person: Any, where: str, tr: Translation) -> None:
    _event(element, person, "birthDate", "birthPlace", where, tr)


def _overlijden(element: etree._Element, person: Any, where: str, tr: Translation) -> None:
    person["deceased"] = True
    _event(element, person, "deathDate", "deathPlace", where, tr)


def _event(
    element: etree._Element, person: Any, date_key: str, place_key: str, where: str, tr: Translation
) -> None:
    _attributes(element, where, tr)
    for child in element:
        path = f"{where}/{child.tag}"
        if child.tag == "Datum":
            add(person, date_key, partial_date(text(child), path, tr.notes))
        elif child.tag == "Plaats":
            add(person, place_key, _place(child, path, tr))
        else:
            tr.notes.not_carried(path)


def _place(element: etree._Element, where: str, tr: Translation) -> Place:
    place: Place = {}
    for part in element:
        values = {child.tag: text(child) for child in part}
        if part.tag == "Gemeente":
            if values.get("NISCode"):
                place["code"] = {"code": values["NISCode"], "listURI": LIST["municipality"]}
            add(place, "name", values.get("Naam"))
            if "GemeenteBeStAddId" in values:
                tr.notes.not_carried(f"{where}/Gemeente/GemeenteBeStAddId")
        elif part.tag == "Land":
            add(place, "country", country(values.get("NISCode"), values.get("ISOCode")))
            add(place, "countryName", values.get("Naam"))
        else:
            tr.notes.not_carried(f"{where}/{part.tag}")
    return place


def _burgerlijke_staten(element: etree._Element, person: Any, where: str, tr: Translation) -> None:
    if len(element) > 1:
        tr.notes.not_carried(f"{where}/BurgerlijkeStaat", "earlier states: the last one is carried")
    person["maritalStatus"] = _coded(element[-1], f"{where}/BurgerlijkeStaat", "marital", tr)


def _adressen(element: etree._Element, person: Any, where: str, tr: Translation) -> None:
    for child in element:
        path = f"{where}/{child.tag}"
        key = {"Hoofdverblijfplaats": "residenceAddress", "ContactAdres": "postalAddress"}.get(
            child.tag
        )
        if key is None:
            tr.notes.not_carried(path)
            continue
        _attributes(child, path, tr)
        add(person, key, person_address(child, path, tr))


def _afstammingen(element: etree._Element, person: Any, where: str, tr: Translation) -> None:
    related: list[RelatedPerson] = person.get("relatedPersons", [])
    for filiation in element:
        path = f"{where}/Afstamming"
        period = _period(filiation, path, tr)
        role: Code = {"code": ""}
        for child in filiation:
            if child.tag == "Type":
                role = _coded(child, f"{path}/Type", "filiation", tr)
            elif child.tag == "Ouders":
                for parent in child:
                    entry: RelatedPerson = {
                        "role": "parent",
                        "roleCode": role,
                        "person": _parent(parent, f"{path}/Ouders/Ouder", tr),
                    }
                    add(entry, "period", period)
                    related.append(entry)
            else:
                tr.notes.not_carried(f"{path}/{child.tag}")
    add(person, "relatedPersons", related)


def _period(element: etree._Element, where: str, tr: Translation) -> dict[str, str]:
    period: dict[str, str] = {}
    for attribute, key in (("DatumBegin", "start"), ("DatumEinde", "end")):
        value = element.get(attribute)
        if value is not None:
            add(period, key, partial_date(value, f"{where}/@{attribute}", tr.notes))
    return period


def _parent(element: etree._Element, where: str, tr: Translation) -> Person:
    parent: Person = {}
    for child in element:
        path = f"{where}/{child.tag}"
        if child.tag == "INSZ":
            _attributes(child, path, tr)
            parent["identifiers"] = [identifier("be.ssin", text(child), path, tr)]
        elif child.tag == "Naam":
            add(parent, "name", _name(child, path, tr))
        elif child.tag == "Geslacht":
            add(parent, "gender", _gender(child, path, tr))
        elif child.tag == "Geboortedatum":
            add(parent, "birthDate", partial_date(text(child), path, tr.notes))
        else:  # IsOverleden
            parent["deceased"] = text(child) == "1"
    return parent


_Reader = Callable[[etree._Element, Any, str, Translation], None]
_READERS: dict[str, _Reader] = {
    "INSZ": _insz,
    "Naam": _naam,
    "AdellijkeTitel": _adellijke_titel,
    "Geslacht": _geslacht,
    "Nationaliteiten": _nationaliteiten,
    "Geboorte": _geboorte,
    "Overlijden": _overlijden,
    "BurgerlijkeStaten": _burgerlijke_staten,
    "Adressen": _adressen,
    "Afstammingen": _afstammingen,
}

# -- encoding --------------------------------------------------------------------------------

_WRITTEN = {
    "identifiers", "name", "gender", "birthDate", "birthPlace", "deceased", "deathDate",
    "deathPlace", "nationalities", "maritalStatus", "residenceAddress", "relatedPersons",
}  # fmt: skip
_NAME_WRITTEN = {"givenNames", "familyName", "namePrefix", "nobleTitle"}


def write_person(parent: etree._Element, person: Person, tr: Translation) -> None:
    where = "Person"
    for key in person:
        if key == "postalAddress":
            tr.notes.not_sent(f"{where}.{key}", "a MAGDA ContactAdres needs a type it lacks")
        elif key not in _WRITTEN:
            tr.notes.not_sent(f"{where}.{key}", "GeefPersoon has no such field")
    element = sub(parent, "Persoon")
    sub(element, "INSZ", _ssin(person, where, tr))
    name = person.get("name", {})
    _write_name(element, name, f"{where}.name", tr)
    if "nobleTitle" in name:
        title = _own(name["nobleTitle"], "noble", f"{where}.name.nobleTitle", tr)
        if title:
            _write_code(sub(sub(element, "AdellijkeTitel"), "AdellijkeTitel"), title)
    _write_gender(element, person.get("gender"), f"{where}.gender", tr)
    _write_nationalities(element, person.get("nationalities", []), f"{where}.nationalities", tr)
    _write_event(
        element, "Geboorte", person.get("birthDate"), person.get("birthPlace"), "birth", tr
    )
    if person.get("deceased") is False:
        tr.notes.not_sent(f"{where}.deceased", "MAGDA tells only a death")
    if "deceased" not in person and ("deathDate" in person or "deathPlace" in person):
        tr.notes.add(f"{where}.deceased", "a MAGDA Overlijden says the person is deceased")
    if person.get("deceased") or "deathDate" in person or "deathPlace" in person:
        _write_event(
            element, "Overlijden", person.get("deathDate"), person.get("deathPlace"), "death", tr
        )
    if "maritalStatus" in person:
        status = _own(person["maritalStatus"], "marital", f"{where}.maritalStatus", tr)
        if status:
            _write_code(sub(sub(element, "BurgerlijkeStaten"), "BurgerlijkeStaat"), status)
    if "residenceAddress" in person:
        addresses = sub(element, "Adressen")
        address = sub(addresses, "Hoofdverblijfplaats")
        write_person_address(address, person["residenceAddress"], f"{where}.residenceAddress", tr)
        if len(address) == 0:
            element.remove(addresses)
            tr.notes.not_sent(f"{where}.residenceAddress", "nothing in it MAGDA carries")
    _write_parents(element, person.get("relatedPersons", []), f"{where}.relatedPersons", tr)


def _ssin(person: Person, where: str, tr: Translation) -> str:
    ssins = [i for i in person.get("identifiers", []) if i["scheme"] == "be.ssin"]
    if not ssins:
        raise ConnectorError(f"{where}.identifiers: GeefPersoon needs a be.ssin identifier (INSZ)")
    if (
        len(ssins) < len(person.get("identifiers", []))
        or len(ssins) > 1
        or set(ssins[0]) - {"notation", "scheme"}
    ):
        tr.notes.not_sent(f"{where}.identifiers", "GeefPersoon carries one INSZ")
    return identifier("be.ssin", ssins[0]["notation"], f"{where}.identifiers", tr)["notation"]


def _write_name(element: etree._Element, name: PersonName, where: str, tr: Translation) -> None:
    for key in name:
        if key not in _NAME_WRITTEN:
            tr.notes.not_sent(f"{where}.{key}", "GeefPersoon has no such name field")
    if "familyName" not in name:
        if set(name) - {"nobleTitle"}:
            tr.notes.not_sent(where, "a MAGDA Naam needs a family name")
        return
    family = name["familyName"]
    if "namePrefix" in name:
        tr.notes.add(f"{where}.namePrefix", "sent as part of the family name (Achternaam)")
        tr.notes.add(f"{where}.familyName", "sent with the name prefix before it")
        family = f"{name['namePrefix']} {family}"
    naam = sub(element, "Naam")
    sub(sub(naam, "Achternamen"), "Achternaam", family)
    if "givenNames" in name:
        voornamen = sub(naam, "Voornamen")
        for given in name["givenNames"]:
            sub(voornamen, "Voornaam", given)


def _write_gender(element: etree._Element, gender: str | None, where: str, tr: Translation) -> None:
    if gender is None:
        return
    if gender not in _GENDER_CODES:
        tr.notes.not_sent(where, "MAGDA's gender codes are male and female")
        return
    code_, label = _GENDER_CODES[gender]
    _write_code(sub(element, "Geslacht"), {"code": code_, "name": label})


def _write_code(element: etree._Element, value: Code) -> None:
    sub(element, "Code", value["code"])
    if "name" in value:
        sub(element, "Omschrijving", value["name"])


def _own(value: Code, list_name: str, where: str, tr: Translation) -> Code | None:
    """``value`` if it is a code of the MAGDA list (or names no list), else None with a note."""
    if value.get("listURI", LIST[list_name]) != LIST[list_name]:
        tr.notes.not_sent(where, "not a code of the MAGDA list")
        return None
    if "listVersionID" in value:
        tr.notes.not_sent(f"{where}.listVersionID", "MAGDA codes carry no list version")
    return value


def _write_nationalities(
    element: etree._Element, countries: list[str], where: str, tr: Translation
) -> None:
    codes = [nis_country(alpha2) for alpha2 in countries]
    if None in codes:
        tr.notes.not_sent(where, "a country without a known NIS code")
    if any(codes):
        nationalities = sub(element, "Nationaliteiten")
        for nis in filter(None, codes):
            sub(sub(nationalities, "Nationaliteit"), "Code", nis)


def _write_event(
    element: etree._Element,
    tag: str,
    date: str | None,
    place: Place | None,
    event: str,
    tr: Translation,
) -> None:
    if date is None and place is None and tag == "Geboorte":
        return  # an Overlijden is written for a death of unknown date and place too
    written = sub(element, tag)
    sub(written, "Datum", magda_date(date) if date else "0000-00-00")
    if place is not None:
        _write_place(written, place, f"Person.{event}Place", tr)


def _write_place(element: etree._Element, place: Place, where: str, tr: Translation) -> None:
    for key in place:
        if key not in ("name", "code", "country", "countryName"):
            tr.notes.not_sent(f"{where}.{key}", "a MAGDA place has no such field")
    alpha2 = place.get("country")
    nis = nis_country(alpha2) if alpha2 else None
    if nis is None or alpha2 is None:
        tr.notes.not_sent(where, "a MAGDA place needs a country with a known NIS code")
        return
    plaats = sub(element, "Plaats")
    municipality = _municipality_code(place.get("code"), f"{where}.code", tr)
    if municipality or "name" in place:
        gemeente = sub(plaats, "Gemeente")
        if municipality:
            sub(gemeente, "NISCode", municipality)
        if "name" in place:
            sub(gemeente, "Naam", place["name"])
    land = sub(plaats, "Land")
    sub(land, "NISCode", nis)
    alpha3 = iso3(alpha2)
    if alpha3:
        sub(land, "ISOCode", alpha3)
    if "countryName" not in place:
        tr.notes.add(f"{where}.countryName", "MAGDA needs a country name: the NIS table's sent")
    sub(land, "Naam", place.get("countryName") or nis_name(alpha2) or alpha2)


def _municipality_code(value: Code | None, where: str, tr: Translation) -> str | None:
    if value is None:
        return None
    own = value.get("listURI", LIST["municipality"]) == LIST["municipality"]
    if not own or not re.fullmatch(r"[0-9]{1,5}", value["code"]):
        tr.notes.not_sent(where, "not a NIS municipality code")
        return None
    if {"name", "listVersionID"} & set(value):
        tr.notes.not_sent(where, "MAGDA carries the municipality code only")
    return value["code"]


def _write_parents(
    element: etree._Element, related: list[RelatedPerson], where: str, tr: Translation
) -> None:
    groups: dict[tuple[str, str, str, str], list[Person]] = {}
    for entry in related:
        role_code = entry.get("roleCode")
        if (
            entry["role"] not in _PARENT_ROLES
            or role_code is None
            or _own(role_code, "filiation", f"{where}.roleCode", tr) is None
        ):
            tr.notes.not_sent(where, "only parents with a MAGDA Afstamming type")
            continue
        if entry["role"] != "parent":
            tr.notes.add(f"{where}.role", "mother and father sent as Ouder (parent)")
        period = entry.get("period", {})
        key = (
            role_code["code"],
            role_code.get("name", ""),
            period.get("start", ""),
            period.get("end", ""),
        )
        groups.setdefault(key, []).append(entry["person"])
    if not groups:
        return
    filiations = sub(element, "Afstammingen")
    for (type_code, label, start, end), parents in groups.items():
        filiation = sub(filiations, "Afstamming")
        if start:
            filiation.set("DatumBegin", magda_date(start))
        if end:
            filiation.set("DatumEinde", magda_date(end))
        role: Code = {"code": type_code}
        add(role, "name", label)
        _write_code(sub(filiation, "Type"), role)
        ouders = sub(filiation, "Ouders")
        for person in parents:
            _write_parent(sub(ouders, "Ouder"), person, f"{where}.person", tr)


def _write_parent(element: etree._Element, person: Person, where: str, tr: Translation) -> None:
    for key in person:
        if key not in ("identifiers", "name", "gender", "birthDate", "deceased"):
            tr.notes.not_sent(f"{where}.{key}", "a MAGDA Ouder has no such field")
    if any(i["scheme"] == "be.ssin" for i in person.get("identifiers", [])):
        sub(element, "INSZ", _ssin(person, where, tr))
    elif "identifiers" in person:
        tr.notes.not_sent(f"{where}.identifiers", "an Ouder has only an INSZ")
    _write_name(element, person.get("name", {}), f"{where}.name", tr)
    if "nobleTitle" in person.get("name", {}):
        tr.notes.not_sent(f"{where}.name.nobleTitle", "a MAGDA Ouder has no such field")
    _write_gender(element, person.get("gender"), f"{where}.gender", tr)
    if "birthDate" in person:
        sub(element, "Geboortedatum", magda_date(person["birthDate"]))
    if "deceased" in person:
        sub(element, "IsOverleden", "1" if person["deceased"] else "0")
