"""BRP ``Persoon`` / ``PersoonBeperkt`` <-> canonical Person (a pure mapping).

Usage::

    person = person_from_brp(persoon, "$.personen[0]", notes, lenient=False)
    persoon = person_to_brp(person, "$", notes)

Carried: burgerservicenummer (nl.bsn), geslacht, naam (voornamen split on
spaces, voorvoegsel, geslachtsnaam, volledigeNaam, adellijkeTitelPredicaat),
geboorte and overlijden (dates stay partial; plaats; the land's name),
verblijfplaats (``Adres``, ``Locatie``, ``VerblijfplaatsBuitenland``; a
briefadres becomes ``postalAddress``). Everything else is a note naming its path.
Derived texts (``langFormaat``, the labels of geslacht and functieAdres) are
written again on encode.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.canonical import Address, Code, Person, PersonName, Place
from connectors.nl._common import Notes, identifier, split_names
from connectors.nl.brp.address import address_from_brp, address_to_brp
from connectors.nl.brp.codes import ADELLIJKE_TITELS, GEMEENTEN
from connectors.nl.brp.dates import date_from_brp, date_to_brp
from connectors.nl.brp.query import GENDER_FROM_BRP, GENDER_TO_BRP

__all__ = ["person_from_brp", "person_to_brp"]

_GENDER_LABELS = {"M": "man", "V": "vrouw", "O": "onbekend"}
_NO_LANDENTABEL = "not carried (xgw has no table from the BRP Landentabel to ISO 3166-1)"
_PERSON_KEYS = {
    "burgerservicenummer",
    "geslacht",
    "naam",
    "geboorte",
    "overlijden",
    "nationaliteiten",
    "verblijfplaats",
}
_NAME_KEYS = {
    "voornamen",
    "voorvoegsel",
    "geslachtsnaam",
    "volledigeNaam",
    "adellijkeTitelPredicaat",
}
_NOT_CARRIED_PERSON = ("maritalStatus", "contactPoints", "relatedPersons", "event")
_NOT_CARRIED_NAME = ("birthName", "birthNamePrefix", "formerNames", "alternativeNames", "title")


# --- decode -----------------------------------------------------------------------------------


def person_from_brp(p: Mapping[str, Any], path: str, notes: Notes, *, lenient: bool) -> Person:
    person: Person = {}
    if "burgerservicenummer" in p:
        where = f"{path}.burgerservicenummer"
        bsn = identifier(
            "nl.bsn", p["burgerservicenummer"], where, notes, lenient=lenient, query=False
        )
        person["identifiers"] = [{"notation": bsn, "scheme": "nl.bsn"}]
    if "geslacht" in p:
        _gender_from(p["geslacht"], f"{path}.geslacht", notes, person)
    if "naam" in p:
        name = _name_from(p["naam"], f"{path}.naam", notes)
        if name:
            person["name"] = name
    if "geboorte" in p:
        date, place = _event_from(p["geboorte"], f"{path}.geboorte", notes)
        if date:
            person["birthDate"] = date
        if place:
            person["birthPlace"] = place
    if "overlijden" in p:
        person["deceased"] = True
        date, place = _event_from(p["overlijden"], f"{path}.overlijden", notes)
        if date:
            person["deathDate"] = date
        if place:
            person["deathPlace"] = place
    for i, _ in enumerate(p.get("nationaliteiten", [])):
        notes.add(
            f"{path}.nationaliteiten[{i}]",
            "not carried (canonical nationalities are ISO 3166-1 codes; xgw has no table "
            "from the BRP Nationaliteitentabel to them)",
        )
    if "verblijfplaats" in p:
        role, address = address_from_brp(p["verblijfplaats"], f"{path}.verblijfplaats", notes)
        if address:
            person[role] = address  # type: ignore[literal-required]
    notes.rest(p, path, _PERSON_KEYS)
    return person


def _gender_from(geslacht: Mapping[str, Any], path: str, notes: Notes, person: Person) -> None:
    code = geslacht.get("code", "")
    gender = GENDER_FROM_BRP.get(code)
    if gender is None:
        notes.add(path, "not carried (not a BRP geslacht code M, V or O)")
        return
    person["gender"] = gender  # type: ignore[typeddict-item]
    if geslacht.get("omschrijving", _GENDER_LABELS[code]) != _GENDER_LABELS[code]:
        notes.add(f"{path}.omschrijving", "not carried (differs from the code's label)")
    notes.rest(geslacht, path, {"code", "omschrijving"})


def _name_from(naam: Mapping[str, Any], path: str, notes: Notes) -> PersonName:
    name: PersonName = {}
    if "voornamen" in naam:
        name["givenNames"] = split_names(naam["voornamen"])
    if "voorvoegsel" in naam:
        name["namePrefix"] = naam["voorvoegsel"]
    if "geslachtsnaam" in naam:
        name["familyName"] = naam["geslachtsnaam"]
    if "volledigeNaam" in naam:
        name["fullName"] = naam["volledigeNaam"]
    title = naam.get("adellijkeTitelPredicaat")
    if title is not None:
        where = f"{path}.adellijkeTitelPredicaat"
        if "code" in title:
            name["nobleTitle"] = _code(title, ADELLIJKE_TITELS)
            notes.rest(title, where, {"code", "omschrijving"})
        else:
            notes.add(where, "not carried (no code)")
    notes.rest(naam, path, _NAME_KEYS)
    return name


def _code(waarde: Mapping[str, Any], list_uri: str) -> Code:
    code: Code = {"code": waarde["code"], "listURI": list_uri}
    if "omschrijving" in waarde:
        code["name"] = waarde["omschrijving"]
    return code


def _event_from(
    event: Mapping[str, Any], path: str, notes: Notes
) -> tuple[str | None, Place | None]:
    date = None
    if "datum" in event:
        date = date_from_brp(event["datum"])
        if date is None:
            notes.add(f"{path}.datum", "unknown date (DatumOnbekend): carried as absent")
    place: Place = {}
    plaats = event.get("plaats")
    if plaats is not None:
        if "omschrijving" in plaats:
            place["name"] = plaats["omschrijving"]
        if "code" in plaats:
            place["code"] = {"code": plaats["code"], "listURI": GEMEENTEN}
        notes.rest(plaats, f"{path}.plaats", {"code", "omschrijving"})
    land = event.get("land")
    if land is not None:
        if "omschrijving" in land:
            place["countryName"] = land["omschrijving"]
        if "code" in land:
            notes.add(f"{path}.land.code", _NO_LANDENTABEL)
        notes.rest(land, f"{path}.land", {"code", "omschrijving"})
    notes.rest(event, path, {"datum", "plaats", "land"})
    return date, (place or None)


# --- encode -----------------------------------------------------------------------------------


def person_to_brp(person: Person, path: str, notes: Notes) -> dict[str, Any]:
    p: dict[str, Any] = {}
    _identifiers_to(person, path, notes, p)
    if "gender" in person:
        code = GENDER_TO_BRP.get(person["gender"])
        if code is None:
            notes.add(f"{path}.gender", "not sent (BRP geslacht knows M, V and O only)")
        else:
            p["geslacht"] = {"code": code, "omschrijving": _GENDER_LABELS[code]}
    if "name" in person:
        naam = _name_to(person["name"], f"{path}.name", notes)
        if naam:
            p["naam"] = naam
    geboorte = _event_to(
        person.get("birthDate"), person.get("birthPlace"), f"{path}.birthPlace", notes
    )
    if geboorte:
        p["geboorte"] = geboorte
    overlijden = _event_to(
        person.get("deathDate"), person.get("deathPlace"), f"{path}.deathPlace", notes
    )
    if overlijden:
        p["overlijden"] = overlijden
        if person.get("deceased") is False:
            notes.add(f"{path}.deceased", "not sent (false, yet a death is given: BRP overlijden)")
    elif "deceased" in person:
        notes.add(f"{path}.deceased", "not sent (BRP states a death as overlijden: date or place)")
    if "nationalities" in person:
        notes.add(
            f"{path}.nationalities",
            "not sent (xgw has no table from ISO 3166-1 to the BRP Nationaliteitentabel)",
        )
    _addresses_to(person, path, notes, p)
    for key in _NOT_CARRIED_PERSON:
        if key in person:
            notes.add(f"{path}.{key}", "not sent (BRP Personen has no field for it)")
    return p


def _identifiers_to(person: Person, path: str, notes: Notes, p: dict[str, Any]) -> None:
    for i, ident in enumerate(person.get("identifiers", [])):
        where = f"{path}.identifiers[{i}]"
        if ident["scheme"] != "nl.bsn" or "burgerservicenummer" in p:
            notes.add(where, "not sent (BRP carries one nl.bsn)")
            continue
        p["burgerservicenummer"] = ident["notation"]
        for key in ident:
            if key not in ("notation", "scheme"):
                notes.add(f"{where}.{key}", "not sent (BRP carries the number only)")


def _name_to(name: PersonName, path: str, notes: Notes) -> dict[str, Any]:
    naam: dict[str, Any] = {}
    if "givenNames" in name:
        naam["voornamen"] = " ".join(name["givenNames"])
    if "namePrefix" in name:
        naam["voorvoegsel"] = name["namePrefix"]
    if "familyName" in name:
        naam["geslachtsnaam"] = name["familyName"]
    if "fullName" in name:
        naam["volledigeNaam"] = name["fullName"]
    if "nobleTitle" in name:
        title = name["nobleTitle"]
        if title.get("listURI", ADELLIJKE_TITELS) == ADELLIJKE_TITELS:
            naam["adellijkeTitelPredicaat"] = _waarde(title, f"{path}.nobleTitle", notes)
        else:
            notes.add(f"{path}.nobleTitle", "not sent (not from the BRP Adellijke titel table)")
    for key in _NOT_CARRIED_NAME:
        if key in name:
            notes.add(f"{path}.{key}", "not sent (BRP naam has no field for it)")
    return naam


def _waarde(code: Code, path: str, notes: Notes) -> dict[str, Any]:
    waarde: dict[str, Any] = {"code": code["code"]}
    if "name" in code:
        waarde["omschrijving"] = code["name"]
    if "listVersionID" in code:
        notes.add(f"{path}.listVersionID", "not sent (BRP codes carry no list version)")
    return waarde


def _event_to(
    date: str | None, place: Place | None, place_path: str, notes: Notes
) -> dict[str, Any]:
    event: dict[str, Any] = {}
    if date is not None:
        event["datum"] = date_to_brp(date)
    if place is None:
        return event
    plaats: dict[str, Any] = {}
    if "name" in place:
        plaats["omschrijving"] = place["name"]
    if "code" in place:
        if place["code"].get("listURI", GEMEENTEN) == GEMEENTEN:
            plaats["code"] = place["code"]["code"]
            for key in ("listVersionID", "name"):
                if key in place["code"]:
                    notes.add(
                        f"{place_path}.code.{key}", "not sent (BRP has the place's name once)"
                    )
        else:
            notes.add(f"{place_path}.code", "not sent (not a BRP gemeentecode)")
    if plaats:
        event["plaats"] = plaats
    if "countryName" in place:
        event["land"] = {"omschrijving": place["countryName"]}
    if "country" in place:
        notes.add(
            f"{place_path}.country",
            "not sent (xgw has no table from ISO 3166-1 to the BRP Landentabel)",
        )
    for key in ("names", "address"):
        if key in place:
            notes.add(f"{place_path}.{key}", "not sent (BRP has no field for it)")
    return event


def _addresses_to(person: Person, path: str, notes: Notes, p: dict[str, Any]) -> None:
    residence: Address | None = person.get("residenceAddress")
    postal: Address | None = person.get("postalAddress")
    if residence is not None:
        p["verblijfplaats"] = address_to_brp(residence, "W", f"{path}.residenceAddress", notes)
        if postal is not None:
            notes.add(f"{path}.postalAddress", "not sent (BRP carries one verblijfplaats)")
    elif postal is not None:
        p["verblijfplaats"] = address_to_brp(postal, "B", f"{path}.postalAddress", notes)
