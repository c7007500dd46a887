"""Property: any canonical TradeNotification the format can take encodes to a schema-valid message
and decodes back to what ``carried`` says: the documented notes, as executable rules."""

from __future__ import annotations

import re
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.base import ConnectorOptions, Envelope
from connectors.canonical import validate
from connectors.identifiers import validate as check_identifier
from connectors.xoev.xgewerbeanzeige import XGewerbeanzeigeConnector, latin, tables
from gateway.errors import ConnectorError
from tests.unit.canonical import strategies as cs

Doc = dict[str, Any]
CONNECTORS = {
    v: XGewerbeanzeigeConnector(ConnectorOptions(), version=v) for v in ("2.0", "2.1", "2.2")
}
_WZ = {"code": "96021", "listURI": tables.WZ_LIST_URI, "name": "Friseurgewerbe"}


# --- generation: the canonical strategies, adjusted to what XGewerbeanzeige requires ------------


@st.composite
def notifications(draw: st.DrawFn) -> Doc:
    doc: Doc = draw(cs.trade_notifications())
    required: dict[str, st.SearchStrategy[Any]] = {
        "created": cs.date_times(), "isCorrection": st.booleans(),
        "municipalityCode": cs.codes(["12052000"]), "municipalityReference": st.just("2015 1023"),
        "tradeId": st.uuids().map(str), "id": st.uuids().map(str),
        "fullTimeEmployees": st.integers(0, 50), "partTimeEmployees": st.integers(0, 50),
        "establishmentType": cs.codes(["1", "2"]), "itinerant": st.booleans(),
        "sideline": st.booleans(), "effectiveDate": cs.full_dates(2000, 2030),
        "notificationDate": cs.full_dates(2000, 2030), "reasons": st.lists(cs.codes(["01", "02"]),
                                                                          min_size=1, max_size=2),
    }  # fmt: skip
    for key, strategy in required.items():
        if key not in doc:
            doc[key] = draw(strategy)
    authority = {"prefix": {"code": "MELDID"}, "code": {"code": "12052000"}, "name": "Gewerbeamt"}
    for key in ("author", "recipient"):
        doc[key] = {**authority, **doc.get(key, {})}
    business = doc.setdefault("business", {})
    business.setdefault("legalForm", draw(cs.codes(["170", "350", "590", "180"])))
    stripped = ({k: v for k, v in a.items() if k != "primary"} for a in doc.get("activities", []))
    activities = [a for a in stripped if a]
    main = {"codes": [_WZ], "description": "Friseur", "primary": True}
    activities.insert(draw(st.integers(0, len(activities))), main)
    doc["activities"] = activities
    if any("description" not in a for a in activities):
        doc.setdefault("activitiesSummary", "Verkauf|Beratung")
    for participant in doc.get("persons", []):
        participant.setdefault("role", {"code": "1"})
        person = participant["person"]
        person["gender"] = draw(st.sampled_from(["male", "female"]))
        name = person.setdefault("name", {})
        name.setdefault("familyName", "Müller")
        name.setdefault("givenNames", ["Anna"])
    return doc


# --- expectation: what the documented notes leave ---------------------------------------------


def _address(doc: Doc, *, authority: bool = False) -> Doc | None:
    if "postName" not in doc or "postCode" not in doc:
        return None
    out: Doc = {k: doc[k] for k in ("thoroughfare", "postCode", "postName") if k in doc}
    if authority:
        if "locatorDesignator" in doc:
            out["locatorDesignator"] = doc["locatorDesignator"]
        return out
    for key in ("locatorName", "addressArea", "adminUnitL1"):
        if key in doc:
            out[key] = doc[key]
    if "thoroughfareCode" in doc:
        out["thoroughfareCode"] = {"code": doc["thoroughfareCode"]["code"]}
    parts = doc.get("locatorDesignators", [])
    to = [p["designator"] for p in parts if p["type"] == "addressNumberTo"]
    if not to:
        single = doc.get("locatorDesignator") or "".join(p["designator"] for p in parts)
        if single:
            out["locatorDesignator"] = single
    else:
        start = "".join(p["designator"] for p in parts if p["type"] != "addressNumberTo")
        out["locatorDesignators"] = [{"designator": to[0], "type": "addressNumberTo"}]
        if start:
            out["locatorDesignator"] = f"{start}-{to[0]}"
            out["locatorDesignators"].insert(0, {"designator": start, "type": "addressNumber"})
    return out


def _contacts(contacts: list[Doc]) -> list[Doc]:
    out = []
    for contact in contacts:
        code = contact.get("code")
        if code is None:
            number = tables.ERREICHBARKEIT.map("channel", "code", contact["channel"])
            if number is None:
                continue
            code = {"code": number, "listURI": tables.ERREICHBARKEIT.list_uri,
                    "listVersionID": tables.ERREICHBARKEIT.list_version}  # fmt: skip
        channel = tables.ERREICHBARKEIT.map("code", "channel", code["code"]) or "other"
        out.append({"channel": channel, "value": contact["value"], "code": code})
    return out


def _authority(doc: Doc) -> Doc:
    out = {k: doc[k] for k in ("prefix", "code", "name")}
    if contacts := _contacts(doc.get("contactPoints", [])):
        out["contactPoints"] = contacts
    if "address" in doc and (address := _address(doc["address"], authority=True)):
        out["address"] = address
    return out


def _permit(doc: Doc) -> Doc | None:
    if "status" not in doc:
        return None
    keys = ("status", "issuerName", "issuerPostCode", "issuerPostName", "issuerCode")
    out = {k: doc[k] for k in keys if k in doc}
    if re.fullmatch(r"\d{4}-\d\d-\d\d", doc.get("issued", "")):
        out["issued"] = doc["issued"]
    return out


def _register(identifiers: list[Doc], record: Doc) -> Doc | None:
    office = record.get("headOfficeAddress", {}).get("adminUnitL1")
    for identifier in identifiers:
        scheme, notation = identifier["scheme"], identifier["notation"]
        if scheme == "de.handelsregister":
            match = re.fullmatch(r"(?:\S+ )?(HRA|HRB|GnR|PR|VR|GsR) (.+)", notation)
            if match is None or match[1] not in ("HRA", "HRB", "VR"):
                continue
            out = {"notation": check_identifier(scheme, f"{match[1]} {match[2]}").notation,
                   "scheme": scheme, "issuer": "DE"}  # fmt: skip
            for key in ("schemeAgency", "schemeAgencyCode"):
                if key in identifier:
                    out[key] = identifier[key]
            return out
        if scheme in tables.FOREIGN_REGISTERS.values():
            if "headOfficeAddress" in record and tables.FOREIGN_REGISTERS.get(office) == scheme:
                out = {"notation": notation, "scheme": scheme, "issuer": office}
                if "schemeAgency" in identifier:
                    out["schemeAgency"] = identifier["schemeAgency"]
                return out
            return None  # written as a bare number, which is not read back
    return None


def _business(doc: Doc, record: Doc, office_written: bool) -> Doc:
    out: Doc = {}
    if register := _register(doc.get("identifiers", []), record):
        out["identifiers"] = [register]
    if person_type := tables.RECHTSFORM.map("code", "personType", doc["legalForm"]["code"]):
        out["personType"] = person_type
    if names := doc.get("legalNames"):
        chosen = next((n for n in names if n["lang"] == "de"), names[0])
        out["legalNames"] = [{"lang": "de", "text": chosen["text"]}]
    if names := doc.get("alternativeNames"):
        out["alternativeNames"] = [{"lang": "de", "text": names[0]["text"]}]
    out["legalForm"] = doc["legalForm"]
    if office_written and (contacts := _contacts(doc.get("contactPoints", []))):
        out["contactPoints"] = contacts
    return out


def _person(doc: Doc) -> Doc:
    name = doc["name"]
    out_name: Doc = {"givenNames": [" ".join(name["givenNames"])]}
    family = name["familyName"]
    out_name["familyName"] = f"{name['namePrefix']} {family}" if "namePrefix" in name else family
    if "birthName" in name:
        prefix = name.get("birthNamePrefix")
        out_name["birthName"] = f"{prefix} {name['birthName']}" if prefix else name["birthName"]
    if "title" in name:
        out_name["title"] = name["title"]
    out: Doc = {"name": out_name, "gender": doc["gender"]}
    if "birthDate" in doc:
        out["birthDate"] = doc["birthDate"]
    place = doc.get("birthPlace", {})
    birth: Doc = {"name": place["name"]} if "name" in place else {}
    country = place.get("countryName")
    if country is None and "country" in place:
        row = tables.DESTATIS.row("alpha2", place["country"])
        country = row["name"] if row else None
    if country is not None:
        alpha2 = tables.DESTATIS.map("name", "alpha2", country)
        birth.update({"country": alpha2} if alpha2 else {"countryName": country})
    if birth:
        out["birthPlace"] = birth
    nationalities = [
        c for c in doc.get("nationalities", []) if tables.DESTATIS.map("alpha2", "destatis", c)
    ]
    if nationalities:
        out["nationalities"] = list(dict.fromkeys(nationalities))
    if "residenceAddress" in doc and (address := _address(doc["residenceAddress"])):
        out["residenceAddress"] = address
    if contacts := _contacts(doc.get("contactPoints", [])):
        out["contactPoints"] = contacts
    return out


def _activities(doc: Doc) -> tuple[list[Doc], str | None]:
    activities = doc["activities"]
    index = next(i for i, a in enumerate(activities) if a.get("primary"))
    main = activities[index]
    wz = next(c for c in main["codes"] if c.get("listURI") == tables.WZ_LIST_URI)
    first: Doc = {"codes": [wz], "description": main["description"], "primary": True}
    if "newlyPerformed" in main:
        first["newlyPerformed"] = main["newlyPerformed"]
    out = [first]
    others = [a for i, a in enumerate(activities) if i != index]
    summary = doc.get("activitiesSummary")
    if summary is None and others:
        summary = "|".join(a["description"] for a in others)
    for activity in others:
        codes = [c for c in activity.get("codes", []) if c.get("listURI") == tables.WZ_LIST_URI]
        if codes:
            item: Doc = {"codes": codes[:1]}
            if "description" in activity:
                item["description"] = activity["description"]
            out.append({**item, "primary": False})
    return out, summary


def _reasons(doc: Doc) -> list[Doc]:
    reasons: list[Doc] = doc["reasons"]
    if doc["notificationType"] == "change":
        return reasons
    if doc["notificationType"] == "registration":
        return reasons[:1]
    cause_list = tables.REASON_LISTS["ursacheAbmeldungSchluessel"]
    cause = next((r for r in reasons if r.get("listURI") == cause_list), None)
    if cause is None and len(reasons) > 1 and "listURI" not in reasons[1]:
        cause = reasons[1]
    rest = [r for r in reasons if r is not cause]
    return rest[:1] + ([cause] if cause is not None else [])


def carried(doc: Doc) -> Doc:
    """The document as it comes back: the connector's documented notes, applied."""
    out: Doc = {k: doc[k] for k in (
        "notificationType", "id", "isCorrection", "notificationDate", "effectiveDate",
        "municipalityCode", "municipalityReference", "tradeId", "fullTimeEmployees",
        "partTimeEmployees", "establishmentType", "itinerant", "sideline", "publicSectorShare",
    ) if k in doc}  # fmt: skip
    for key in ("created", "eventTime"):
        if key in doc:
            out[key] = re.sub(r"(T\d\d:\d\d)(?=$|Z|[+-])", r"\1:00", doc[key])
    out["author"] = _authority(doc["author"])
    out["recipient"] = _authority(doc["recipient"])
    office = _address(doc["headOfficeAddress"]) if "headOfficeAddress" in doc else None
    if office:
        out["headOfficeAddress"] = office
    out["business"] = _business(doc["business"], out, office is not None)
    if "sectors" in doc:
        out["sectors"] = [s for s in ("industry", "craft", "trade", "other") if s in doc["sectors"]]
    if "craftCard" in doc and (card := _permit(doc["craftCard"])):
        out["craftCard"] = card
    if "establishmentAddress" in doc and (address := _address(doc["establishmentAddress"])):
        out["establishmentAddress"] = address
    if contacts := _contacts(doc.get("contactPoints", [])):
        out["contactPoints"] = contacts
    persons = []
    for participant in doc.get("persons", []):
        item: Doc = {"role": participant["role"], "person": _person(participant["person"])}
        if "residencePermit" in participant and (permit := _permit(participant["residencePermit"])):
            item["residencePermit"] = permit
        persons.append(item)
    if persons:
        out["persons"] = persons
    out["activities"], summary = _activities(doc)
    if summary is not None:
        out["activitiesSummary"] = summary
    out["reasons"] = _reasons(doc)
    if doc["notificationType"] == "deregistration" and "successor" in doc:
        successor, out["successor"] = doc["successor"], {}
        if names := successor.get("legalNames"):
            out["successor"]["legalNames"] = [{"lang": "de", "text": names[0]["text"]}]
        addresses = successor.get("addresses", [])
        if addresses and (address := _address(addresses[0]["address"])):
            out["successor"]["addresses"] = [{"role": "establishment", "address": address}]
    return out


def _texts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _texts(v)]
    if isinstance(value, list):
        return [t for v in value for t in _texts(v)]
    return []


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=notifications(), version=st.sampled_from(["2.0", "2.1", "2.2"]))
def test_encode_validate_decode_is_carried(doc: Doc, version: str):
    validate("TradeNotification", doc)
    connector = CONNECTORS[version]
    envelope = Envelope("application/json", document=doc, kind="TradeNotification")
    if any(latin.first_offence(t) for t in _texts(doc)):
        try:
            connector.encode_with_notes(envelope)
        except ConnectorError as exc:
            assert "String.Latin" in str(exc)  # it may also be a text that is not written
        return
    body, _, notes = connector.encode_with_notes(envelope)  # validated against our XSD inside
    back = connector.decode_now(body)
    assert back.document is not None
    validate("TradeNotification", back.document)
    expected = carried(doc)
    assert back.document == expected
    if expected == doc:
        assert notes == ()
