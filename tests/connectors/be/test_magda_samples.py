"""Every MAGDA answer in ../shared decodes, validates as canonical, re-encodes to an answer that
both the official XSDs and xgw's own schema accept, and decodes back to the same document."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from connectors.base import Envelope
from connectors.be.magda.messages import parse
from connectors.canonical import validate
from connectors.identifiers import InvalidIdentifierError
from gateway.errors import ClientError
from tests.connectors.be.magda_support import EXAMPLES, connector, differences, skipped_paths

KINDS = {"Persoon": "Person", "Onderneming": "LegalEntity"}


def _kind(path: Path) -> str:
    return KINDS[path.name.split("_")[0]]


@pytest.mark.parametrize("official", [True, False], ids=["official-xsd", "xgw-schema"])
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_sample_round_trip(path: Path, official: bool) -> None:
    codec = connector(official=official, lenient=True)
    envelope = codec.decode_now(path.read_bytes())
    assert envelope.kind == _kind(path)
    assert envelope.document
    validate(envelope.kind, envelope.document)
    body, media_type, notes = codec.encode_with_notes(envelope)
    assert media_type.startswith("text/xml")
    payload = parse(body)
    for checker in (
        connector(official=True, lenient=True),
        connector(official=False, lenient=True),
    ):
        checker.schemas.validate(payload.tag.partition("}")[2], payload)  # both schemas accept it
    again = codec.decode_now(body)
    skip = skipped_paths(envelope.kind, notes)
    assert differences(envelope.document, again.document, envelope.kind, skip) == []


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_samples_keep_every_carried_field_without_exceptions(path: Path) -> None:
    """The GeefPersoon and GeefOnderneming answers come back exactly, not merely up to notes."""
    codec = connector(official=True, lenient=True)
    envelope = codec.decode_now(path.read_bytes())
    body, _, notes = codec.encode_with_notes(envelope)
    if "VKBO" in path.name:  # written back as GeefOnderneming: the address type is added
        assert any(n.startswith("LegalEntity.addresses.roleCode") for n in notes)
        return
    assert codec.decode_now(body).document == envelope.document


def test_person_sample_values() -> None:
    person = _decode("Persoon").document
    assert person is not None
    assert person["identifiers"] == [{"notation": "00600099536", "scheme": "be.ssin"}]
    assert person["name"] == {"givenNames": ["Hamid"], "familyName": "Daoud"}
    assert person["gender"] == "male"
    assert person["birthDate"] == "2000"  # 2000-00-00: known to the year only, never 2000-01-01
    assert person["birthPlace"] == {
        "name": "Lashkar Gah",
        "country": "AF",
        "countryName": "Afghanistan",
    }
    assert "nationalities" not in person  # NIS 822, refugee of Afghan origin: not a country
    assert person["maritalStatus"]["code"] == "10"
    address = person["residenceAddress"]
    assert address["thoroughfareNames"] == [{"lang": "nl", "text": "Dorpsstraat"}]
    assert address["thoroughfare"] == "Dorpsstraat"
    assert address["locatorDesignator"] == "405"
    assert address["municipalityCode"]["code"] == "24055"
    assert address["adminUnitL1"] == "BE"  # ISOCodeLand BEL, NISCodeLand 150
    parents = person["relatedPersons"]
    assert [p["person"]["name"]["givenNames"] for p in parents] == [["Aziz"], ["Wahida"]]
    assert {p["role"] for p in parents} == {"parent"}
    assert parents[1]["person"]["gender"] == "female"


def test_person_sample_notes_name_what_is_not_carried() -> None:
    notes = _decode("Persoon").notes
    for place in (
        "Persoon/Begraving",
        "Persoon/LijkbezorgingEnRitueel",
        "Persoon/Identiteitsbewijzen",
        "Persoon/Referentiepersoon",
        "Persoon/Naam/@DatumBegin",
        "Persoon/Nationaliteiten/Nationaliteit/Code",
        "Persoon/Geboorte/Aktenummer",
    ):
        assert any(n.startswith(place + ":") for n in notes), place
    assert any("lenient mode accepted" in n and n.startswith("Persoon/INSZ") for n in notes)
    assert not any("00600099536" in n or "Daoud" in n for n in notes)  # places, never values


def test_enterprise_sample_values() -> None:
    entity = _decode("Onderneming_GeefOnderneming_").document
    assert entity is not None
    assert entity["identifiers"] == [{"notation": "0202239951", "scheme": "be.enterprise"}]
    assert entity["legalNames"] == [
        {"lang": "fr", "text": "PROXIMUS"},
        {"lang": "nl", "text": "PROXIMUS"},
    ]
    assert entity["personType"] == "legal"
    assert entity["status"]["code"] == "AC"
    assert entity["legalForm"]["code"] == "114"
    assert entity["foundingDate"] == "1930-07-19"
    assert entity["registrationDate"] == "2003-01-18"
    seat = entity["addresses"][0]
    assert seat["role"] == "registered"
    assert seat["roleCode"]["code"] == "001"
    assert seat["period"] == {"start": "1999-12-14"}
    assert seat["address"]["thoroughfare"] == "Koning AlbertII laan"
    assert seat["address"]["thoroughfareCode"]["code"] == "2177"
    assert seat["address"]["postName"] == "Schaarbeek"
    assert {c["channel"] for c in entity["contactPoints"]} == {"telephone", "web"}


def test_vkbo_sample_values() -> None:
    envelope = _decode("VKBO")
    entity = envelope.document
    assert entity is not None
    assert entity["legalNames"] == [
        {"lang": "nl", "text": "Partena Onafhankelijk Ziekenfonds Vlaanderen"}
    ]
    assert "dissolutionDate" not in entity  # 9999-02-17: no end
    assert any(n.startswith("Onderneming/DatumAfsluiting") for n in envelope.notes)
    assert entity["addresses"][0]["address"]["postName"] == "Gent"


def test_strict_mode_refuses_magda_test_numbers_naming_identifier_and_rule() -> None:
    body = next(p for p in EXAMPLES if p.name.startswith("Persoon")).read_bytes()
    with pytest.raises(InvalidIdentifierError) as caught:
        connector(official=True, lenient=False).decode_now(body)
    assert isinstance(caught.value, ClientError)
    message = str(caught.value)
    assert "Persoon/INSZ" in message and "be.ssin" in message and "birth month" in message
    assert "00600099536" not in message  # masked


def test_enterprise_samples_pass_strict_mode() -> None:
    for path in EXAMPLES:
        if path.name.startswith("Onderneming"):
            assert connector(official=True).decode_now(path.read_bytes()).kind == "LegalEntity"


async def test_protocol_methods() -> None:
    codec = connector(official=True, lenient=True)
    envelope = await codec.decode(EXAMPLES[-1].read_bytes(), "text/xml")
    body, media_type = await codec.encode(envelope)
    assert media_type == "text/xml; charset=utf-8"
    assert etree.fromstring(body).tag == "{http://schemas.xmlsoap.org/soap/envelope/}Envelope"


def _decode(prefix: str) -> Envelope:
    path = next(p for p in EXAMPLES if p.name.startswith(prefix) or prefix in p.name)
    return connector(official=True, lenient=True).decode_now(path.read_bytes())
