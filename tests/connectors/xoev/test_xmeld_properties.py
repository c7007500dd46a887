"""Property tests: canonical PersonQuery / Person -> XMeld -> schema-valid -> canonical again.

The generated documents come from tests.unit.canonical.strategies. Queries are first given
what XMeld requires and the canonical model leaves optional (a purpose, the requesting
authority's name, a search area: encode refuses without them, see test_xmeld_query); the
comparison then applies the documented notes (docs/connectors/xoev-xmeld.md) to the input.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from connectors.base import Envelope
from connectors.xoev.xmeld.values import canonical_fields
from tests.connectors.xoev.test_xmeld_support import connector
from tests.unit.canonical.strategies import person_queries, persons

XMELD = connector()
_SETTINGS = settings(max_examples=150, deadline=None,
                     suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
_DIGITS = re.compile(r"[0-9]+")
_CHANNELS = {"email", "telephone", "mobile", "fax", "web"}


def _round_trip(kind: str, document: dict[str, Any]) -> dict[str, Any]:
    body, _, _ = XMELD.encode_with_notes(Envelope("application/json", document=document, kind=kind))
    XMELD.schema.check(etree.fromstring(body))
    back = XMELD.decode_message(body)
    assert back.kind == kind
    return back.document  # type: ignore[return-value]


def _given(names: list[str]) -> list[str]:
    return " ".join(names).split(" ")


# --- queries ----------------------------------------------------------------------------------


# The canonical fields that have an XMeld Anforderungselement (connectors.xoev.xmeld.values).
_MAPPABLE = {
    "name",
    "name.familyName",
    "name.birthName",
    "name.givenNames",
    "name.title",
    "birthDate",
    "birthPlace",
    "gender",
    "nationalities",
    "residenceAddress",
}


@st.composite
def xmeld_queries(draw: st.DrawFn) -> dict[str, Any]:
    query = draw(person_queries(schemes=("de.steuer-idnr",)))
    if "identifiers" in query:
        query["identifiers"] = query["identifiers"][:1]
    query.setdefault("purpose", "Personenüberprüfung")
    query.setdefault("requester", {}).setdefault("name", "Gewerbeamt Cottbus")
    municipality = query.get("municipalityCode")
    if municipality is not None and not re.fullmatch(r"[0-9]{8}", municipality["code"]):
        del query["municipalityCode"]
    if "searchArea" not in query and "municipalityCode" not in query:
        query["searchArea"] = [{"code": "12"}]
    address = query.get("address")
    if address is not None and address.get("adminUnitL1", "DE") != "DE":
        del query["address"]
    elif address is not None and not _DIGITS.fullmatch(
        address.get("postCode", "0").replace(" ", "")
    ):
        del address["postCode"]
        if not address:
            del query["address"]
    if "fields" in query and not set(query["fields"]) & _MAPPABLE:
        del query["fields"]  # only fields without an Anforderungselement: refused (tested)
    return query


def _expected_query(query: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(query)
    out.pop("includeDeceased", None)
    if "identifiers" in out:
        out["identifiers"] = [{k: out["identifiers"][0][k] for k in ("notation", "scheme")}]
        for key in ("familyName", "namePrefix", "givenNames", "birthDate", "gender", "address"):
            out.pop(key, None)
    if "namePrefix" in out:
        out["familyName"] = f"{out.pop('namePrefix')} {out['familyName']}"
    if "givenNames" in out:
        out["givenNames"] = _given(out["givenNames"])
    if out.get("gender") == "unknown":
        del out["gender"]
    if "address" in out:
        address = out["address"]
        kept = {k: address[k] for k in ("postCode", "thoroughfare", "postName") if k in address}
        if _DIGITS.fullmatch(address.get("locatorDesignator", "x")):
            kept["locatorDesignator"] = address["locatorDesignator"]
        out["address"] = kept | {"adminUnitL1": "DE"}
    fields = canonical_fields(out.pop("fields", None))
    if fields:
        out["fields"] = fields
    if "municipalityCode" in out:
        out["searchArea"] = [*out.get("searchArea", []), out.pop("municipalityCode")]
    out["requester"] = _expected_requester(out["requester"])
    return out


def _expected_requester(requester: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "code" in requester:
        if "prefix" in requester:
            out["prefix"] = {"code": requester["prefix"]["code"]}
        out["code"] = {"code": requester["code"]["code"]}
    out["name"] = requester["name"]
    address = requester.get("address", {})
    kept = {k: address[k] for k in ("locatorDesignator", "postCode", "thoroughfare", "postName")
            if k in address}  # fmt: skip
    if kept:
        out["address"] = kept
    points = [{"channel": p["channel"], "value": p["value"]}
              for p in requester.get("contactPoints", []) if p["channel"] in _CHANNELS]  # fmt: skip
    if points:
        out["contactPoints"] = points
    return out


@_SETTINGS
@given(xmeld_queries())
def test_person_query_round_trip(query):
    assert _round_trip("PersonQuery", query) == _expected_query(query)


# --- persons ----------------------------------------------------------------------------------


@st.composite
def xmeld_persons(draw: st.DrawFn) -> dict[str, Any]:
    person = draw(persons(schemes=("de.steuer-idnr",), depth=0))
    address = person.get("residenceAddress")
    if (
        address is not None
        and address.get("adminUnitL1", "DE") == "DE"
        and not re.fullmatch(r"[0-9 ]+", address.get("postCode", "0"))
    ):
        del address["postCode"]  # a German register address has a German postcode (tested)
        if not address:
            del person["residenceAddress"]
    return person


def _expected_person(person: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    idnrs = [i for i in person.get("identifiers", []) if i["scheme"] == "de.steuer-idnr"]
    if idnrs:
        out["identifiers"] = [{"notation": idnrs[0]["notation"], "scheme": "de.steuer-idnr"}]
    name = {k: v for k, v in person.get("name", {}).items()
            if k in ("familyName", "namePrefix", "birthName", "birthNamePrefix", "givenNames",
                     "title")}  # fmt: skip
    if "givenNames" in name:
        name["givenNames"] = _given(name["givenNames"])
    if name:
        out["name"] = name
    if person.get("gender", "unknown") != "unknown":
        out["gender"] = person["gender"]
    if "birthDate" in person:
        out["birthDate"] = person["birthDate"]
    place = {k: v for k, v in person.get("birthPlace", {}).items() if k in ("name", "country")}
    if place:
        out["birthPlace"] = place
    if "deceased" in person:
        out["deceased"] = person["deceased"]
    if "nationalities" in person:
        out["nationalities"] = person["nationalities"]
    if "residenceAddress" in person:
        out["residenceAddress"] = _expected_address(person["residenceAddress"])
    return out


def _expected_address(address: dict[str, Any]) -> dict[str, Any]:
    country = address.get("adminUnitL1", "DE")
    if country != "DE":
        return {"adminUnitL1": country}
    out: dict[str, Any] = {}
    code = address.get("municipalityCode")
    if code is not None and re.fullmatch(r"[0-9]{8}", code["code"]):
        out["municipalityCode"] = code
    number = re.fullmatch(r"([0-9]+)(.*)", address.get("locatorDesignator", ""), re.DOTALL)
    if number and all(c.isalpha() or c in "0123456789./ " for c in number.group(2)):
        out["locatorDesignator"] = address["locatorDesignator"]
    for key in ("postCode", "thoroughfare", "postName"):
        if key in address:
            out[key] = address[key]
    return out | {"adminUnitL1": "DE"}


def _order(document: dict[str, Any]) -> dict[str, Any]:
    return {k: document[k] for k in sorted(document)}


@_SETTINGS
@given(xmeld_persons())
def test_person_round_trip(person):
    assert _order(_round_trip("Person", person)) == _order(_expected_person(person))


@_SETTINGS
@given(st.lists(xmeld_persons(), min_size=2, max_size=3))
def test_person_list_round_trip(people):
    back = _round_trip("PersonList", {"persons": people})
    assert [_order(p) for p in back["persons"]] == [_order(_expected_person(p)) for p in people]
