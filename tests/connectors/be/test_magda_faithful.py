"""Faithfulness: diacritics, case, order and languages of names survive; identifiers are
normalised and checked; partial dates stay partial; the connector registers under its name."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.base import ConnectorOptions, Envelope
from connectors.be.magda import MagdaConnector
from connectors.registry import ConnectorRegistry
from gateway.errors import ConnectorError
from tests.connectors.be.magda_support import EXAMPLES, connector

CANONICAL = "application/vnd.xgw.canonical+json"
PERSON_SAMPLE = next(p for p in EXAMPLES if p.name.startswith("Persoon"))


def _round_trip(
    kind: str, document: dict[str, Any]
) -> tuple[bytes, dict[str, Any], tuple[str, ...]]:
    codec = connector(official=True)
    body, _, notes = codec.encode_with_notes(Envelope(CANONICAL, document=document, kind=kind))
    decoded = codec.decode_now(body).document
    assert decoded is not None
    return body, decoded, notes


def test_diacritics_case_and_order_of_names_survive() -> None:
    person = {
        "identifiers": [{"notation": "85273003371", "scheme": "be.ssin"}],  # a BIS number
        "name": {
            "givenNames": ["Zoë", "Françoise", "Hélène", "Jürgen"],
            "familyName": "VAN DEN BERGHE-Lefèvre",
        },
        "gender": "female",
        "birthDate": "1985-07",
        "birthPlace": {
            "name": "Liège",
            "country": "BE",
            "countryName": "België",
            "code": {"code": "62063", "listURI": "urn:xgw:codelist:be-refnis"},
        },
        "residenceAddress": {
            "thoroughfare": "Rue de l'Évêché",
            "thoroughfareNames": [{"lang": "fr", "text": "Rue de l'Évêché"}],
            "locatorDesignator": "12 bus 3",
            "locatorDesignators": [
                {"designator": "12", "type": "addressNumber"},
                {"designator": "3", "type": "unitIdentifier"},
            ],
            "postCode": "4000",
            "postName": "Liège",
            "postNames": [{"lang": "fr", "text": "Liège"}],
            "adminUnitL1": "BE",
        },
        "nationalities": ["BE", "FR"],
    }
    body, decoded, notes = _round_trip("Person", person)
    assert (
        "Françoise".encode() in body and "Évêché".encode() in body
    )  # UTF-8, no character references
    assert decoded["name"] == person["name"]
    assert decoded == person
    assert notes == ()


def test_multilingual_enterprise_names_keep_their_languages_and_order() -> None:
    entity = {
        "identifiers": [
            {"notation": "0403170701", "scheme": "be.enterprise"},
            {"notation": "2123456791", "scheme": "be.establishment"},
        ],
        "legalNames": [
            {"lang": "fr", "text": "Boulangerie Lefèvre SRL"},
            {"lang": "nl", "text": "Bakkerij Lefèvre BV"},
            {"lang": "de", "text": "Bäckerei Lefèvre GmbH"},
        ],
        "alternativeNames": [{"lang": "fr", "text": "Pâtisserie Noël"}],
        "addresses": [
            {
                "role": "registered",
                "address": {
                    "thoroughfare": "Boulevard du Roi Albert II",
                    "thoroughfareNames": [
                        {"lang": "fr", "text": "Boulevard du Roi Albert II"},
                        {"lang": "nl", "text": "Koning Albert II-laan"},
                    ],
                    "postName": "Bruxelles",
                    "postNames": [
                        {"lang": "fr", "text": "Bruxelles"},
                        {"lang": "nl", "text": "Brussel"},
                        {"lang": "de", "text": "Brüssel"},
                    ],
                    "adminUnitL1": "BE",
                },
            }
        ],
        "activities": [
            {
                "codes": [
                    {
                        "code": "10711",
                        "listURI": "urn:xgw:codelist:nace-bel-2008",
                        "name": "Ambachtelijke broodbakkerijen",
                    }
                ],
                "period": {"start": "2019-03"},
            }
        ],
    }
    _, decoded, notes = _round_trip("LegalEntity", entity)
    decoded_address = decoded["addresses"][0]
    assert decoded_address.pop("roleCode")["code"] == "001"
    assert decoded == entity
    assert [n.split(":")[0] for n in notes] == ["LegalEntity.addresses.roleCode"]


@pytest.mark.parametrize(
    ("raw", "notation"),
    [
        ("0403.170.701", "0403170701"),
        ("403170701", "0403170701"),
        ("BE 0403 170 701", "0403170701"),
    ],
)
def test_enterprise_numbers_are_normalised(raw: str, notation: str) -> None:
    query = {"identifiers": [{"notation": raw, "scheme": "be.enterprise"}]}
    codec = connector()
    body, _, _ = codec.encode_with_notes(
        Envelope(CANONICAL, document=query, kind="LegalEntityQuery")
    )
    assert f"<Ondernemingsnummer>{notation}</Ondernemingsnummer>".encode() in body


@pytest.mark.parametrize(
    "ssin", ["85273003371", "85473003317", "05031512367", "05231512313", "85.07.30-033.28"]
)
def test_ssins_of_bis_numbers_and_births_from_2000_pass_strict_mode(ssin: str) -> None:
    _, decoded, _ = _round_trip(
        "Person", {"identifiers": [{"notation": ssin, "scheme": "be.ssin"}]}
    )
    assert decoded["identifiers"][0]["notation"] == ssin.replace(".", "").replace("-", "")


@pytest.mark.parametrize(
    ("magda", "canonical", "noted"),
    [
        ("1970-00-15", "1970", True),
        ("1984-03-00", "1984-03", False),
        ("1984-03-15", "1984-03-15", False),
        ("2023-02-30", "2023-02", True),
        ("0000-00-00", None, False),
    ],
)
def test_partial_dates_stay_partial(magda: str, canonical: str | None, noted: bool) -> None:
    body = PERSON_SAMPLE.read_text(encoding="utf-8").replace(
        "<Datum>2000-00-00</Datum>", f"<Datum>{magda}</Datum>"
    )
    envelope = connector(lenient=True).decode_now(body.encode())
    assert envelope.document is not None
    assert envelope.document.get("birthDate") == canonical
    assert any(n.startswith("Persoon/Geboorte/Datum:") for n in envelope.notes) is noted


def test_partial_dates_are_written_with_zeros() -> None:
    body, decoded, _ = _round_trip(
        "Person",
        {"identifiers": [{"notation": "85273003371", "scheme": "be.ssin"}], "birthDate": "1985"},
    )
    assert b"<Datum>1985-00-00</Datum>" in body
    assert decoded["birthDate"] == "1985"


def test_a_character_xml_cannot_carry_is_refused_naming_the_element() -> None:
    person = {
        "identifiers": [{"notation": "85273003371", "scheme": "be.ssin"}],
        "name": {"familyName": "Peeters\x01"},
    }
    with pytest.raises(ConnectorError, match="Achternaam: a character XML cannot carry"):
        _round_trip("Person", person)


def test_too_long_a_value_is_refused_naming_the_element() -> None:
    person = {
        "identifiers": [{"notation": "85273003371", "scheme": "be.ssin"}],
        "name": {"familyName": "Peeters", "givenNames": ["J" * 49]},
    }
    with pytest.raises(ConnectorError, match=r"GeefPersoonResponse fails its schema: .*Voornaam"):
        _round_trip("Person", person)


def test_registers_under_its_name() -> None:
    registry = ConnectorRegistry(ConnectorOptions())
    registry.register("be.magda", MagdaConnector)
    assert registry.get("be.magda").name == "be.magda"
    assert "magda/GeefPersoonResponse" in registry.get("be.magda").schema_ids
