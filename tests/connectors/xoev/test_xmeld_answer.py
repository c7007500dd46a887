"""xoev.xmeld answers: hand-written answers round trip native -> canonical -> native."""

from __future__ import annotations

import re

import pytest
from lxml import etree

from connectors.base import Envelope
from connectors.canonical import validate
from connectors.xoev.xmeld import PERSON_LIST
from gateway.errors import ConnectorError
from tests.connectors.xoev.test_xmeld_support import (
    NO_PERSON,
    ONE_PERSON,
    REFUSED,
    TWO_PERSONS,
    connector,
)

AGS = "urn:de:bund:destatis:bevoelkerungsstatistik:schluessel:ags"


@pytest.fixture(scope="module")
def xmeld():
    return connector()


def _carried(body: bytes) -> list[tuple[str, str, tuple[tuple[str, str], ...]]]:
    """Every element of antwortSuchanfrage with its text and attributes, in order."""
    root = etree.fromstring(body)
    answer = root.find("{http://www.osci.de/xmeld2511a}antwortSuchanfrage")
    assert answer is not None
    return [
        (etree.QName(e).localname, (e.text or "").strip(), _attributes(e)) for e in answer.iter()
    ]


def _attributes(element: etree._Element) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((str(k), str(v)) for k, v in element.attrib.items()))


@pytest.mark.parametrize("body", [TWO_PERSONS, ONE_PERSON, NO_PERSON], ids=["two", "one", "none"])
def test_answer_round_trip_keeps_every_carried_field(xmeld, body):
    envelope = xmeld.decode_message(body)
    out, _, _ = xmeld.encode_with_notes(envelope)
    assert _carried(out) == _carried(body)
    assert xmeld.decode_message(out).document == envelope.document


def test_two_persons_decode(xmeld):
    envelope = xmeld.decode_message(TWO_PERSONS)
    assert envelope.kind == PERSON_LIST
    first, second = envelope.document["persons"]
    validate("Person", first)
    assert first["name"] == {"familyName": "Weiß-Müller", "namePrefix": "von",
                             "birthName": "Öztürk", "givenNames": ["Jürgen", "Käthe"],
                             "title": "Dr."}  # fmt: skip
    assert first["birthDate"] == "1971-04"
    assert first["birthPlace"] == {"name": "Eskişehir", "country": "TR"}
    assert first["nationalities"] == ["DE", "TR"]
    assert first["identifiers"] == [{"notation": "65929970489", "scheme": "de.steuer-idnr"}]
    assert first["residenceAddress"] == {
        "municipalityCode": {"code": "09162000", "listURI": AGS},
        "locatorDesignator": "17a", "postCode": "80331", "thoroughfare": "Straße des 17. Juni",
        "postName": "München", "adminUnitL1": "DE",
    }  # fmt: skip
    assert first["deceased"] is False and first["gender"] == "male"
    assert second == {"name": {"familyName": "Großmann", "givenNames": ["Ülkü"]},
                      "birthDate": "1950", "residenceAddress": {"adminUnitL1": "AT"},
                      "gender": "female", "nationalities": ["AT"]}  # fmt: skip


def test_one_person_is_a_person(xmeld):
    envelope = xmeld.decode_message(ONE_PERSON)
    assert envelope.kind == "Person"
    assert envelope.document["birthDate"] == "1984-02-29"
    assert envelope.document["gender"] == "diverse"
    assert envelope.document["birthPlace"] == {"name": "Görlitz", "country": "DE"}


def test_refusal_decodes_to_no_persons_with_a_note(xmeld):
    envelope = xmeld.decode_message(REFUSED)
    assert envelope.kind == PERSON_LIST and envelope.document == {"persons": []}
    assert any("rueckweisung" in note and "grund 05" in note for note in envelope.notes)


def test_stateless_nationality_is_a_note(xmeld):
    body = (
        ONE_PERSON.replace(
            b"<xmeld:geschlecht",
            b"<xmeld:staatsangehoerigkeit_placeholder/><xmeld:geschlecht",
        )
        .replace(
            b"</xmeld:person>",
            b"<xmeld:staatsangehoerigkeit><xmeld:staatsangehoerigkeit><code>997</code>"
            b"</xmeld:staatsangehoerigkeit></xmeld:staatsangehoerigkeit></xmeld:person>",
        )
        .replace(b"<xmeld:staatsangehoerigkeit_placeholder/>", b"")
    )
    envelope = xmeld.decode_message(body)
    assert "nationalities" not in envelope.document
    assert any("997 (staatenlos)" in note for note in envelope.notes)


def _person_envelope(**person):
    return Envelope("application/json", document=person, kind="Person")


def test_encode_notes_what_xmeld_cannot_carry(xmeld):
    envelope = _person_envelope(
        name={"familyName": "Maasikas", "fullName": "Mari Maasikas",
              "formerNames": [{"familyName": "Põder"}]},
        maritalStatus={"code": "VH"}, gender="unknown",
        identifiers=[{"notation": "48503150000", "scheme": "ee.isikukood"}],
        residenceAddress={"thoroughfare": "Pärnu mnt", "postCode": "11313", "postName": "Tallinn",
                          "adminUnitL1": "EE"},
    )  # fmt: skip
    body, _, notes = xmeld.encode_with_notes(envelope)
    for field in (
        "name.fullName",
        "name.formerNames",
        "maritalStatus",
        "gender",
        "identifiers[0]",
        "residenceAddress.thoroughfare",
        "residenceAddress.postName",
    ):
        assert any(note.startswith(field + ":") for note in notes), field
    assert "Põder".encode() not in body  # noted, not sent
    back = xmeld.decode_message(body).document
    assert back == {"name": {"familyName": "Maasikas"}, "residenceAddress": {"adminUnitL1": "EE"}}


@pytest.mark.parametrize(
    ("field", "person"),
    [("name.familyName", {"name": {"familyName": "Жуков"}}),
     ("birthPlace.name", {"birthPlace": {"name": "Αθήνα"}}),
     ("residenceAddress.thoroughfare",
      {"residenceAddress": {"thoroughfare": "ул. Ленина", "adminUnitL1": "DE"}}),
     ("nationalities[0]", {"nationalities": ["XX"]}),
     ("residenceAddress.postCode",
      {"residenceAddress": {"postCode": "1012 AB", "adminUnitL1": "DE"}})],
)  # fmt: skip
def test_what_cannot_be_written_is_refused_naming_the_field(xmeld, field, person):
    with pytest.raises(ConnectorError, match="^" + re.escape(field)):
        xmeld.encode_with_notes(_person_envelope(**person))


def test_person_list_needs_persons(xmeld):
    with pytest.raises(ConnectorError, match="persons"):
        xmeld.encode_with_notes(Envelope("x", document={"people": []}, kind=PERSON_LIST))
    with pytest.raises(ConnectorError, match="LegalEntity"):
        xmeld.encode_with_notes(Envelope("x", document={}, kind="LegalEntity"))
