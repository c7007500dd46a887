"""nl.brp golden round trips: the examples in ../shared and responses built to the OpenAPI.

native -> canonical -> native keeps every field the connector carries (everything
else is named by a note), the canonical documents are valid, and everything the
connector produces validates against the official OpenAPI document.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from connectors.base import Envelope
from connectors.canonical import validate
from connectors.nl.brp import PERSON_LIST, BrpConnector
from tests.connectors.nl import samples
from tests.connectors.nl.reference import (
    BRP_EXAMPLES,
    brp_request_errors,
    brp_response_errors,
    notes_paths,
    prune,
)


def _round_trip(brp: BrpConnector, native: dict[str, Any]) -> tuple[Envelope, dict[str, Any]]:
    envelope = brp.decode_message(orjson.dumps(native))
    assert envelope.kind is not None and envelope.document is not None
    if envelope.kind != PERSON_LIST:
        validate(envelope.kind, envelope.document)
    body, media_type, _ = brp.encode_with_notes(envelope)
    assert media_type == "application/json"
    again = orjson.loads(body)
    assert brp.decode_message(body).document == envelope.document  # a fixed point
    return envelope, again


def test_there_are_examples():
    assert BRP_EXAMPLES


@pytest.mark.parametrize("path", BRP_EXAMPLES, ids=lambda p: p.name)
def test_every_example_decodes_and_round_trips(brp: BrpConnector, path: Path):
    native = orjson.loads(path.read_bytes())
    envelope, again = _round_trip(brp, native)
    assert envelope.kind == "PersonQuery"
    assert envelope.document == {
        "identifiers": [{"notation": "999993653", "scheme": "nl.bsn"}],
        "fields": ["identifiers", "name", "birthDate", "birthPlace", "residenceAddress",
                   "postalAddress", "nationalities"],
    }  # fmt: skip
    assert envelope.notes == ()
    assert again == native
    assert brp_request_errors(again) == []


@pytest.mark.parametrize("request_body", [samples.ZOEK_REQUEST, samples.RAADPLEEG_REQUEST],
                         ids=["zoek", "raadpleeg"])  # fmt: skip
def test_hand_written_requests_round_trip(brp: BrpConnector, request_body: dict[str, Any]):
    assert brp_request_errors(request_body) == []
    envelope, again = _round_trip(brp, request_body)
    assert brp_request_errors(again) == []
    expected = dict(request_body)
    if "geslacht" in expected:
        expected["geslacht"] = expected["geslacht"].upper()  # a code; BRP compares it case-blind
    assert again == expected
    assert envelope.notes == ()


def test_zoek_request_carries_every_search_parameter(brp: BrpConnector):
    query = brp.decode_message(orjson.dumps(samples.ZOEK_REQUEST)).document
    assert query == {
        "familyName": "Çelik*",
        "birthDate": "1983-05-26",
        "gender": "female",
        "namePrefix": "van der",
        "givenNames": ["Zoë", "Anaïs"],
        "includeDeceased": True,
        "municipalityCode": {"code": "0363", "listURI": "urn:xgw:codelist:nl-gemeenten"},
        "fields": ["identifiers", "name", "birthDate", "gender"],
    }


RESPONSES = {
    "full": samples.raadpleeg_response(samples.PERSOON),
    "deceased-abroad": samples.raadpleeg_response(samples.OVERLEDEN),
    "briefadres": samples.raadpleeg_response(samples.BRIEFADRES),
    "locatie": samples.raadpleeg_response(samples.LOCATIE),
    "onbekend": samples.raadpleeg_response(samples.ONBEKEND),
    "several": samples.raadpleeg_response(samples.PERSOON, samples.OVERLEDEN, samples.LOCATIE),
    "none": samples.raadpleeg_response(),
    "zoek": samples.zoek_response(samples.BEPERKT),
}


@pytest.mark.parametrize("name", sorted(RESPONSES))
def test_responses_built_to_the_openapi_round_trip(brp: BrpConnector, name: str):
    native = RESPONSES[name]
    assert brp_response_errors(native) == []
    envelope, again = _round_trip(brp, native)
    assert brp_response_errors(again) == []
    kept = prune(native, set(notes_paths(envelope.notes)))
    # nl.brp answers as RaadpleegMetBurgerservicenummer: the canonical Person does not say
    # which query it answers (see docs/connectors/nl-brp.md).
    assert again["personen"] == kept.get("personen", [])


def test_one_person_is_a_person_and_several_are_a_list(brp: BrpConnector):
    one = brp.decode_message(orjson.dumps(RESPONSES["full"]))
    several = brp.decode_message(orjson.dumps(RESPONSES["several"]))
    none = brp.decode_message(orjson.dumps(RESPONSES["none"]))
    assert one.kind == "Person"
    assert several.kind == PERSON_LIST and len(several.document["persons"]) == 3  # type: ignore[index]
    for person in several.document["persons"]:  # type: ignore[index]
        validate("Person", person)
    assert none.kind == PERSON_LIST and none.document == {"persons": []}


def test_the_full_person_is_carried_faithfully(brp: BrpConnector):
    envelope = brp.decode_message(orjson.dumps(RESPONSES["full"]))
    assert envelope.document == {
        "identifiers": [{"notation": "999993653", "scheme": "nl.bsn"}],
        "gender": "female",
        "name": {
            "givenNames": ["Zoë", "Ĳsbrand", "Anaïs", "JOËLLE"],
            "namePrefix": "van der",
            "familyName": "Çelik-Hoëvenaars",
            "fullName": "Zoë Ĳsbrand Anaïs JOËLLE van der Çelik-Hoëvenaars",
            "nobleTitle": {"code": "JV", "listURI": "urn:xgw:codelist:nl-adellijke-titels",
                           "name": "jonkvrouw"},
        },
        "birthDate": "1985-03",
        "birthPlace": {"name": "'s-Gravenhage", "countryName": "Nederland",
                       "code": {"code": "0518", "listURI": "urn:xgw:codelist:nl-gemeenten"}},
        "residenceAddress": {
            "thoroughfare": "Laan van Nieuw Oost-Indië",
            "locatorDesignator": "12a-bis",
            "locatorDesignators": [
                {"designator": "12", "type": "addressNumber"},
                {"designator": "a", "type": "addressNumberExtension"},
                {"designator": "bis", "type": "addressNumber2ndExtension"},
            ],
            "postCode": "2593 BT",
            "postName": "'s-Gravenhage",
            "addressId": "0518200000573015",
            "adminUnitL1": "NL",
        },
    }  # fmt: skip
    assert set(notes_paths(envelope.notes)) == {
        "$.personen[0].aNummer",
        "$.personen[0].naam.voorletters",
        "$.personen[0].naam.aanduidingNaamgebruik",
        "$.personen[0].naam.adellijkeTitelPredicaat.soort",
        "$.personen[0].geboorte.land.code",
        "$.personen[0].leeftijd",
        "$.personen[0].nationaliteiten[0]",
        "$.personen[0].verblijfplaats.verblijfadres.korteStraatnaam",
        "$.personen[0].verblijfplaats.adresseerbaarObjectIdentificatie",
        "$.personen[0].verblijfplaats.datumVan",
        "$.personen[0].gemeenteVanInschrijving",
        "$.personen[0].datumInschrijvingInGemeente",
        "$.personen[0].inOnderzoek",
    }
    for note in envelope.notes:
        assert "999993653" not in note  # notes name paths, never values


def test_unknown_dates_stay_unknown_and_partial_dates_partial(brp: BrpConnector):
    person = brp.decode_message(orjson.dumps(RESPONSES["deceased-abroad"])).document
    assert person is not None
    assert "birthDate" not in person  # DatumOnbekend
    assert person["deathDate"] == "2021-11-05" and person["deceased"] is True
    assert person["residenceAddress"] == {"fullAddress": "Rue de l'Église 12\n4000 Liège"}
    year_only = brp.decode_message(orjson.dumps(RESPONSES["briefadres"])).document
    assert year_only is not None and year_only["birthDate"] == "1931"
    body, _, _ = brp.encode_with_notes(Envelope("x", document=year_only, kind="Person"))
    datum = orjson.loads(body)["personen"][0]["geboorte"]["datum"]
    assert datum == {"type": "JaarDatum", "jaar": 1931, "langFormaat": "1931"}  # no month, no day


def test_a_briefadres_is_the_postal_address(brp: BrpConnector):
    person = brp.decode_message(orjson.dumps(RESPONSES["briefadres"])).document
    assert person is not None and "residenceAddress" not in person
    assert person["postalAddress"]["postName"] == "Amsterdam"


def test_a_bad_bsn_in_a_response_is_an_invalid_message_unless_lenient(
    brp: BrpConnector, brp_lenient: BrpConnector
):
    from gateway.errors import ConnectorError

    native = samples.raadpleeg_response({"burgerservicenummer": samples.BSN_FAILING})
    with pytest.raises(ConnectorError, match=r"\$\.personen\[0\]\.burgerservicenummer: nl\.bsn"):
        brp.decode_message(orjson.dumps(native))
    envelope = brp_lenient.decode_message(orjson.dumps(native))
    assert envelope.document == {"identifiers": [{"notation": "999993654", "scheme": "nl.bsn"}]}
    assert any("lenient mode accepted" in n for n in envelope.notes)
