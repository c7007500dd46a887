"""BRP ``POST /personen`` request bodies <-> canonical PersonQuery (a pure mapping).

Usage::

    query = query_from_brp(body, notes, lenient=False)    # body: a schema-valid request
    body = query_to_brp(query, notes, lenient=False)       # then validate it

``RaadpleegMetBurgerservicenummer`` carries ``identifiers`` (nl.bsn);
``ZoekMetGeslachtsnaamEnGeboortedatum`` carries ``familyName``, ``birthDate``
(a full date), ``namePrefix``, ``givenNames``, ``gender`` and
``includeDeceased``. Both carry ``municipalityCode`` (gemeenteVanInschrijving)
and ``fields``. A canonical query with nl.bsn identifiers becomes a
Raadpleeg request, one with a family name and a full birth date a Zoek request.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.canonical import PersonQuery
from connectors.nl._common import Notes, identifier, split_names
from connectors.nl.brp.codes import GEMEENTEN
from connectors.nl.brp.fields import DEFAULT_FIELDS, fields_from_brp, fields_to_brp
from gateway.errors import ConnectorError

__all__ = [
    "ALL_TYPES",
    "GENDER_FROM_BRP",
    "GENDER_TO_BRP",
    "RAADPLEEG",
    "ZOEK",
    "query_from_brp",
    "query_to_brp",
]

RAADPLEEG = "RaadpleegMetBurgerservicenummer"
ZOEK = "ZoekMetGeslachtsnaamEnGeboortedatum"
# Every query type of the API (BRP API Personen 2.7.0, PersonenQuery's discriminator);
# nl.brp translates RAADPLEEG and ZOEK.
ALL_TYPES = (
    ZOEK,
    "ZoekMetNaamEnGemeenteVanInschrijving",
    RAADPLEEG,
    "ZoekMetPostcodeEnHuisnummer",
    "ZoekMetStraatHuisnummerEnGemeenteVanInschrijving",
    "ZoekMetNummeraanduidingIdentificatie",
    "ZoekMetAdresseerbaarObjectIdentificatie",
)
GENDER_FROM_BRP = {"M": "male", "V": "female", "O": "unknown"}
GENDER_TO_BRP = {v: k for k, v in GENDER_FROM_BRP.items()}
_COMMON = {"type", "fields", "gemeenteVanInschrijving"}
_HANDLED = {
    RAADPLEEG: _COMMON | {"burgerservicenummer"},
    ZOEK: _COMMON
    | {
        "geslachtsnaam",
        "geboortedatum",
        "geslacht",
        "voorvoegsel",
        "voornamen",
        "inclusiefOverledenPersonen",
    },
}
# PersonQuery properties that no BRP query carries.
_NOT_SENT = ("address", "searchArea", "purpose", "reference", "requester")


def query_from_brp(body: Mapping[str, Any], notes: Notes, *, lenient: bool) -> PersonQuery:
    kind = body["type"]
    query: PersonQuery = {}
    if kind == RAADPLEEG:
        query["identifiers"] = [
            {
                "notation": identifier(
                    "nl.bsn", raw, f"$.burgerservicenummer[{i}]", notes, lenient=lenient, query=True
                ),
                "scheme": "nl.bsn",
            }
            for i, raw in enumerate(body["burgerservicenummer"])
        ]
    else:
        _search_from_brp(body, query)
    if "gemeenteVanInschrijving" in body:
        query["municipalityCode"] = {"code": body["gemeenteVanInschrijving"], "listURI": GEMEENTEN}
    fields = fields_from_brp(body["fields"], notes)
    if not fields:
        raise ConnectorError("nl.brp: $.fields: none of the requested fields can be carried")
    query["fields"] = fields
    notes.rest(body, "$", _HANDLED[kind])
    return query


def _search_from_brp(body: Mapping[str, Any], query: PersonQuery) -> None:
    query["familyName"] = body["geslachtsnaam"]
    query["birthDate"] = body["geboortedatum"]
    if "voorvoegsel" in body:
        query["namePrefix"] = body["voorvoegsel"]
    if "voornamen" in body:
        query["givenNames"] = split_names(body["voornamen"])
    if "geslacht" in body:
        query["gender"] = GENDER_FROM_BRP[body["geslacht"].upper()]  # type: ignore[typeddict-item]
    if "inclusiefOverledenPersonen" in body:
        query["includeDeceased"] = body["inclusiefOverledenPersonen"]


def query_to_brp(query: PersonQuery, notes: Notes, *, lenient: bool) -> dict[str, Any]:
    bsns = [
        (i, ident["notation"])
        for i, ident in enumerate(query.get("identifiers", []))
        if ident["scheme"] == "nl.bsn"
    ]
    for i, ident in enumerate(query.get("identifiers", [])):
        if ident["scheme"] != "nl.bsn":
            notes.add(f"$.identifiers[{i}]", "not sent (BRP asks by nl.bsn only)")
    if bsns:
        body = _raadpleeg(bsns, query, notes, lenient=lenient)
    elif "familyName" in query:
        body = _zoek(query, notes)
    else:
        raise ConnectorError(
            "nl.brp: PersonQuery $: BRP needs nl.bsn identifiers or a familyName with a birthDate"
        )
    if "municipalityCode" in query:
        body["gemeenteVanInschrijving"] = query["municipalityCode"]["code"]
        _note_code_extras(query["municipalityCode"], "$.municipalityCode", notes)
    for key in _NOT_SENT:
        if key in query:
            notes.add(f"$.{key}", "not sent (no BRP query parameter for it)")
    beperkt = body["type"] == ZOEK
    if "fields" in query:
        fields = fields_to_brp(query["fields"], notes, beperkt=beperkt)
        if not fields:
            raise ConnectorError("nl.brp: PersonQuery $.fields: BRP can deliver none of them")
    else:
        fields = [f for f in DEFAULT_FIELDS if not beperkt or f in _BEPERKT_DEFAULT]
    body["fields"] = fields
    return body


_BEPERKT_DEFAULT = {"burgerservicenummer", "geslacht", "naam", "geboorte"}
_SEARCH_KEYS = ("familyName", "birthDate", "namePrefix", "givenNames", "gender", "includeDeceased")


def _raadpleeg(
    bsns: list[tuple[int, str]], query: PersonQuery, notes: Notes, *, lenient: bool
) -> dict[str, Any]:
    numbers = [
        identifier(
            "nl.bsn", raw, f"$.identifiers[{i}].notation", notes, lenient=lenient, query=True
        )
        for i, raw in bsns
    ]
    for i, _ in bsns:
        for key in query["identifiers"][i]:
            if key not in ("notation", "scheme"):
                notes.add(f"$.identifiers[{i}].{key}", "not sent (BRP takes the number only)")
    for key in _SEARCH_KEYS:
        if key in query:
            notes.add(f"$.{key}", f"not sent ({RAADPLEEG} asks by nl.bsn only)")
    return {"type": RAADPLEEG, "burgerservicenummer": numbers}


def _zoek(query: PersonQuery, notes: Notes) -> dict[str, Any]:
    birth = query.get("birthDate", "")
    if len(birth) != len("YYYY-MM-DD"):
        raise ConnectorError(
            f"nl.brp: PersonQuery $.birthDate: {ZOEK} needs a full date YYYY-MM-DD"
        )
    body: dict[str, Any] = {
        "type": ZOEK,
        "geslachtsnaam": query["familyName"],
        "geboortedatum": birth,
    }
    if "namePrefix" in query:
        body["voorvoegsel"] = query["namePrefix"]
    if "givenNames" in query:
        body["voornamen"] = " ".join(query["givenNames"])
    if "gender" in query:
        code = GENDER_TO_BRP.get(query["gender"])
        if code is None:
            notes.add("$.gender", "not sent (BRP geslacht knows M, V and O only)")
        else:
            body["geslacht"] = code
    if "includeDeceased" in query:
        body["inclusiefOverledenPersonen"] = query["includeDeceased"]
    return body


def _note_code_extras(code: Mapping[str, Any], path: str, notes: Notes) -> None:
    if code.get("listURI", GEMEENTEN) != GEMEENTEN:
        raise ConnectorError(f"nl.brp: PersonQuery {path}.listURI: not the BRP Gemeententabel")
    for key in code:
        if key not in ("code", "listURI"):
            notes.add(f"{path}.{key}", "not sent (BRP takes the code only)")
