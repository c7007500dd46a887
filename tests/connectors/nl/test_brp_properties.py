"""Property tests: canonical -> BRP -> official OpenAPI -> canonical, equal up to the notes.

The generated documents come from ``tests.unit.canonical.strategies``. ``_fit`` moves
values the BRP cannot hold into its value space (a Dutch postcode for a Dutch address,
no '/' in a place name); the tests in test_brp_refusals show that such a value is an
error, never a silent change. ``_expected_*`` is what nl.brp documents it carries,
written a second time, independently of the mapping.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.base import Envelope
from connectors.canonical import validate
from connectors.nl.brp import BrpConnector
from tests.connectors.nl.reference import brp_request_errors, brp_response_errors
from tests.unit.canonical.strategies import person_queries, persons

Doc = dict[str, Any]
GEMEENTEN = "urn:xgw:codelist:nl-gemeenten"
TITELS = "urn:xgw:codelist:nl-adellijke-titels"
COUNTRIES = ("NL", "BE", "DE", "TR", "PL", "FR", "CZ")
DUTCH = {"thoroughfare", "locatorDesignator", "locatorDesignators", "postCode", "postName"}
CONNECTOR = BrpConnector()
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _fit_address(address: Doc) -> Doc:
    address = copy.deepcopy(address)
    if "postCode" in address:
        address["postCode"] = "1012 AB"
    if "addressId" in address:
        address["addressId"] = "0363200000218908"
    if "postName" in address:
        address["postName"] = address["postName"].replace("/", "-")
    return address


def _fit_place(place: Doc) -> Doc:
    place = copy.deepcopy(place)
    if "name" in place:
        place["name"] = place["name"].replace("/", "-")
    return place


def _fit(person: Doc) -> Doc:
    person = copy.deepcopy(person)
    for key in ("residenceAddress", "postalAddress"):
        if key in person:
            person[key] = _fit_address(person[key])
    for key in ("birthPlace", "deathPlace"):
        if key in person:
            person[key] = _fit_place(person[key])
    return person


def _expected_place(place: Doc | None) -> Doc | None:
    if place is None:
        return None
    out: Doc = {}
    if "name" in place:
        out["name"] = place["name"]
    code = place.get("code")
    if code is not None and code.get("listURI", GEMEENTEN) == GEMEENTEN:
        out["code"] = {"code": code["code"], "listURI": GEMEENTEN}
    if "countryName" in place:
        out["countryName"] = place["countryName"]
    return out or None


def _expected_house(address: Doc) -> list[Doc]:
    kinds = ("addressNumber", "addressNumberExtension", "addressNumber2ndExtension")
    parts: dict[str, str] = {}
    for part in address.get("locatorDesignators", []):
        kind, value = part["type"], part["designator"]
        if kind in kinds and kind not in parts and (kind != "addressNumber" or value.isdigit()):
            parts[kind] = str(int(value)) if kind == "addressNumber" else value
    if not parts and "locatorDesignator" in address:
        match = re.fullmatch(r"([0-9]{1,5})([A-Za-z])?", address["locatorDesignator"])
        if match:
            parts["addressNumber"] = str(int(match[1]))
            if match[2]:
                parts["addressNumberExtension"] = match[2]
    return [{"designator": parts[k], "type": k} for k in kinds if k in parts]


def _fitting(lines: list[str]) -> list[str]:
    """The lines before the first one longer than BRP's regel1..3 (40, 50, 35) allow."""
    for i, (line, limit) in enumerate(zip(lines, (40, 50, 35), strict=False)):
        if len(line) > limit:
            return lines[:i]
    return lines


def _expected_address(address: Doc, postal: bool) -> tuple[str, Doc | None]:
    role = "postalAddress" if postal else "residenceAddress"
    country = address.get("adminUnitL1")
    if (country is not None and country != "NL") or (
        "fullAddress" in address and not DUTCH & address.keys() and country is None
    ):
        if "fullAddress" in address:
            lines = address["fullAddress"].split("\n")[:3]
        else:  # written as lines of its parts: street and number, postcode and place
            lines = [
                " ".join(address[k] for k in keys if k in address)
                for keys in (("thoroughfare", "locatorDesignator"), ("postCode", "postName"))
            ]
            lines = [line for line in lines if line]
        lines = _fitting(lines)
        return "residenceAddress", ({"fullAddress": "\n".join(lines)} if lines else None)
    if "locatorName" in address and not (DUTCH | {"addressId"}) & address.keys():
        return role, {"locatorName": address["locatorName"], "adminUnitL1": "NL"}
    out: Doc = {"adminUnitL1": "NL"}
    for key in ("thoroughfare", "postCode", "postName", "addressId"):
        if key in address:
            out[key] = address[key]
    parts = _expected_house(address)
    if parts:
        values = {p["type"]: p["designator"] for p in parts}
        text = values.get("addressNumber", "") + values.get("addressNumberExtension", "")
        addition = values.get("addressNumber2ndExtension")
        out["locatorDesignators"] = parts
        out["locatorDesignator"] = f"{text}-{addition}" if text and addition else text or addition
    return role, out


def _expected_person(person: Doc) -> Doc:
    out: Doc = {}
    bsns = [i for i in person.get("identifiers", []) if i["scheme"] == "nl.bsn"]
    if bsns:
        out["identifiers"] = [{"notation": bsns[0]["notation"], "scheme": "nl.bsn"}]
    if person.get("gender") in ("male", "female", "unknown"):
        out["gender"] = person["gender"]
    name: Doc = {}
    source = person.get("name", {})
    if "givenNames" in source:
        name["givenNames"] = " ".join(source["givenNames"]).split(" ")
    for key in ("namePrefix", "familyName", "fullName"):
        if key in source:
            name[key] = source[key]
    title = source.get("nobleTitle")
    if title is not None and title.get("listURI", TITELS) == TITELS:
        name["nobleTitle"] = {"code": title["code"], "listURI": TITELS}
        if "name" in title:
            name["nobleTitle"]["name"] = title["name"]
    if name:
        out["name"] = name
    for date_key, place_key, dead in (("birthDate", "birthPlace", False),
                                      ("deathDate", "deathPlace", True)):  # fmt: skip
        place = _expected_place(person.get(place_key))
        if date_key in person:
            out[date_key] = person[date_key]
        if place:
            out[place_key] = place
        if dead and (date_key in person or place):
            out["deceased"] = True
    for key, postal in (("residenceAddress", False), ("postalAddress", True)):
        if key in person:
            role, address = _expected_address(person[key], postal)
            if address:
                out[role] = address
            break
    return out


@SETTINGS
@given(persons(schemes=("nl.bsn", "be.ssin"), countries=COUNTRIES))
def test_canonical_persons_survive_the_brp(person: Doc):
    person = _fit(person)
    validate("Person", person)
    body, _, notes = CONNECTOR.encode_with_notes(Envelope("x", document=person, kind="Person"))
    native = orjson.loads(body)
    assert brp_response_errors(native) == []
    back = CONNECTOR.decode_message(body)
    assert back.kind == "Person" and back.document is not None
    validate("Person", back.document)
    assert back.document == _expected_person(person)
    if _lost(person, back.document):
        assert notes, "something was lost without a note"


@SETTINGS
@given(person_queries(schemes=("nl.bsn",)), st.sampled_from(["1983-05-26", "2001-12-31"]))
def test_canonical_person_queries_survive_the_brp(query: Doc, full_date: str):
    query = copy.deepcopy(query)
    if "identifiers" not in query:
        query["birthDate"] = full_date  # BRP searches need a full date (test_brp_refusals)
    if "municipalityCode" in query:
        query["municipalityCode"] = {"code": "0363"}
    requested = query.get("fields")
    if requested and "identifiers" not in query:
        requested.append("name")  # a search must ask for something PersoonBeperkt has
    allowed = list(requested or [])
    if {"residenceAddress", "postalAddress"} & set(allowed):
        allowed += ["residenceAddress", "postalAddress"]  # one BRP field: verblijfplaats
    body, _, notes = CONNECTOR.encode_with_notes(Envelope("x", document=query, kind="PersonQuery"))
    native = orjson.loads(body)
    assert brp_request_errors(native) == []
    back = CONNECTOR.decode_message(body).document
    assert back is not None
    validate("PersonQuery", back)
    fields = back.pop("fields")
    if requested:  # never widened: each field is one asked for, or part of one
        assert all(any(f == r or f.startswith(r + ".") for r in allowed) for f in fields)
    assert back == _expected_query(query)
    if _lost({k: v for k, v in query.items() if k != "fields"}, back):
        assert notes, "something was lost without a note"


def _lost(source: Any, back: Any) -> bool:
    """True if a value of ``source`` is missing or different in ``back`` (additions are fine)."""
    if isinstance(source, dict):
        return not isinstance(back, dict) or any(
            key not in back or _lost(value, back[key]) for key, value in source.items()
        )
    return bool(source != back)


def _expected_query(query: Doc) -> Doc:
    out: Doc = {}
    if "identifiers" in query:
        out["identifiers"] = [{"notation": i["notation"], "scheme": "nl.bsn"}
                              for i in query["identifiers"]]  # fmt: skip
    else:
        out["familyName"] = query["familyName"]
        out["birthDate"] = query["birthDate"]
        for key in ("namePrefix", "includeDeceased"):
            if key in query:
                out[key] = query[key]
        if "givenNames" in query:
            out["givenNames"] = " ".join(query["givenNames"]).split(" ")
        if query.get("gender") in ("male", "female", "unknown"):
            out["gender"] = query["gender"]
    if "municipalityCode" in query:
        out["municipalityCode"] = {"code": "0363", "listURI": GEMEENTEN}
    return out
