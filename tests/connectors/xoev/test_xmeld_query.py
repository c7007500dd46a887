"""xoev.xmeld queries: the 25.11a sample, invalid input, DIN 91379, the BRP cross-format case."""

from __future__ import annotations

import json

import pytest
from lxml import etree

from connectors.base import Envelope
from connectors.canonical import validate
from connectors.nl.brp import BrpConnector
from connectors.xoev.xmeld.schema import NAMESPACE
from gateway.errors import ConnectorError
from tests.connectors.xoev.test_xmeld_support import SAMPLE, connector


@pytest.fixture(scope="module")
def xmeld():
    return connector()


def test_sample_decodes_to_a_valid_person_query(xmeld):
    envelope = xmeld.decode_message(SAMPLE.read_bytes())
    assert envelope.kind == "PersonQuery"
    validate("PersonQuery", envelope.document)
    doc = envelope.document
    assert doc["familyName"] == "Mustermann" and doc["givenNames"] == ["Erika"]
    assert doc["birthDate"] == "1964-08-12" and doc["gender"] == "female"
    assert doc["address"] == {
        "postCode": "60000",
        "thoroughfare": "Rathausstraße",
        "postName": "S Stadt",
        "locatorDesignator": "1",
        "adminUnitL1": "DE",
    }
    assert doc["purpose"] == "Personenüberprüfung" and doc["reference"] == "34952939"
    assert doc["searchArea"][0]["code"] == "09"
    assert doc["requester"]["name"] == "Amtsgericht S Stadt"
    assert doc["requester"]["code"] == {"code": "060030010000"}
    assert any("sicherheitsbehoerde" in note for note in envelope.notes)
    assert any("anforderungselement 2" in note for note in envelope.notes)


def test_sample_round_trips(xmeld):
    first = xmeld.decode_message(SAMPLE.read_bytes())
    body, media_type, _ = xmeld.encode_with_notes(first)
    assert media_type == "application/xml"
    xmeld.schema.check(etree.fromstring(body))  # our XSD: valid
    again = xmeld.decode_message(body)
    assert again.document == first.document
    assert "Rathausstraße".encode() in body


async def test_async_protocol(xmeld):
    envelope = await xmeld.decode(SAMPLE.read_bytes(), "application/xml")
    body, _ = await xmeld.encode(envelope)
    assert (await xmeld.decode(body, "text/xml")).document == envelope.document


def _sample_without(tag: str) -> bytes:
    root = etree.fromstring(SAMPLE.read_bytes())
    element = root.find(f".//{{{NAMESPACE}}}{tag}")
    assert element is not None
    parent = element.getparent()
    assert parent is not None
    parent.remove(element)
    return etree.tostring(root)


@pytest.mark.parametrize("tag", ["anlassDesAbrufs", "suchprofil", "behoerdenname"])
def test_missing_element_is_refused_naming_it(xmeld, tag):
    with pytest.raises(ConnectorError) as caught:
        xmeld.decode_message(_sample_without(tag))
    assert caught.value.code == "InvalidMessage"
    assert "xmeld:" in str(caught.value) and "line" in str(caught.value)


def test_bad_value_is_refused_naming_the_element(xmeld):
    body = SAMPLE.read_bytes().replace(b"<jahrMonatTag>1964-08-12", b"<jahrMonatTag>1964-08-32")
    with pytest.raises(ConnectorError, match="jahrMonatTag"):
        xmeld.decode_message(body)


def test_cyrillic_in_a_message_is_refused(xmeld):
    body = SAMPLE.read_bytes().replace(b"Mustermann", "Жуков".encode())
    with pytest.raises(ConnectorError, match="name"):
        xmeld.decode_message(body)


@pytest.mark.parametrize(
    "body",
    [b"<not-xml", b'<!DOCTYPE x [<!ENTITY e "x">]><x>&e;</x>', b"<other xmlns='urn:x'/>"],
)
def test_hostile_or_foreign_input_is_refused(xmeld, body):
    with pytest.raises(ConnectorError):
        xmeld.decode_message(body)


def test_unknown_root_in_our_namespace_is_refused(xmeld):
    with pytest.raises(ConnectorError, match=r"datenabruf\.unbekannt"):
        xmeld.decode_message(f'<datenabruf.unbekannt xmlns="{NAMESPACE}"/>'.encode())


def _query(**extra):
    query = {
        "familyName": "Müller",
        "purpose": "Gewerbeanmeldung",
        "requester": {"name": "Gewerbeamt Cottbus"},
        "searchArea": [{"code": "12"}],
    }
    query.update(extra)
    return Envelope("application/json", document=query, kind="PersonQuery")


@pytest.mark.parametrize(
    ("field", "extra"),
    [
        ("familyName", {"familyName": "Жуков"}),
        ("givenNames", {"givenNames": ["Ηλίας"]}),
        ("purpose", {"purpose": "Prüfung ✓"}),
        ("requester.name", {"requester": {"name": "Amt ∑"}}),
    ],
)
def test_din_91379_violation_names_the_field(xmeld, field, extra):
    with pytest.raises(ConnectorError, match=rf"^{field}: character U\+"):
        xmeld.encode_with_notes(_query(**extra))


@pytest.mark.parametrize(
    ("field", "drop"),
    [
        ("purpose", "purpose"),
        ("requester.name", "requester"),
        ("searchArea", "searchArea"),
        ("familyName", "familyName"),
    ],
)
def test_what_xmeld_requires_is_named(xmeld, field, drop):
    envelope = _query()
    document = dict(envelope.document)
    del document[drop]
    if drop == "familyName":
        document["identifiers"] = [{"notation": "999993653", "scheme": "nl.bsn"}]
    with pytest.raises(ConnectorError, match=rf"^{field}:"):
        xmeld.encode_with_notes(Envelope("application/json", document=document, kind="PersonQuery"))


def test_diacritics_and_partial_birth_date_survive(xmeld):
    envelope = _query(givenNames=["Käthe", "Anna-Lena"], birthDate="1971-04", gender="diverse")
    body, _, _ = xmeld.encode_with_notes(envelope)
    assert b"<jahrMonat>1971-04</jahrMonat>" in body
    back = xmeld.decode_message(body).document
    assert back["givenNames"] == ["Käthe", "Anna-Lena"] and back["familyName"] == "Müller"
    assert back["birthDate"] == "1971-04" and back["gender"] == "diverse"


def test_query_by_idnr(xmeld):
    envelope = _query(identifiers=[{"notation": "65929970489", "scheme": "de.steuer-idnr"}])
    body, _, notes = xmeld.encode_with_notes(envelope)
    assert b"<xmeld:identifikationsmerkmal>65929970489<" in body
    assert any(note.startswith("familyName: not carried") for note in notes)
    back = xmeld.decode_message(body).document
    assert back["identifiers"] == [{"notation": "65929970489", "scheme": "de.steuer-idnr"}]


def test_a_wrong_idnr_check_digit_is_refused_unless_lenient(xmeld):
    envelope = _query(identifiers=[{"notation": "65929970480", "scheme": "de.steuer-idnr"}])
    with pytest.raises(ConnectorError, match=r"identifiers\[0\]"):
        xmeld.encode_with_notes(envelope)
    body, _, _ = connector(lenient_identifiers=True).encode_with_notes(envelope)
    assert b"65929970480" in body


# --- the cross-format case: Haal Centraal BRP query -> canonical -> XMeld query -------------

BRP_REQUEST = {
    "type": "ZoekMetGeslachtsnaamEnGeboortedatum",
    "geslachtsnaam": "Groß",
    "geboortedatum": "1964-08-12",
    "voornamen": "Jürgen Käthe",
    "voorvoegsel": "van der",
    "fields": ["naam", "geboorte"],
}


def test_brp_query_to_xmeld(xmeld):
    brp = BrpConnector()
    canonical = brp.decode_message(json.dumps(BRP_REQUEST).encode())
    assert canonical.kind == "PersonQuery"
    assert canonical.document is not None
    validate("PersonQuery", canonical.document)
    # A BRP query does not say why, for whom and where in Germany: XMeld needs all three.
    with pytest.raises(ConnectorError, match=r"^requester\.name:"):
        xmeld.encode_with_notes(canonical)
    # The caller's gateway adds what its directory entry says about the German service.
    document = dict(
        canonical.document,
        purpose="Personenüberprüfung",
        requester={"name": "Gemeente Utrecht, Burgerzaken"},
        searchArea=[
            {
                "code": "12",
                "listURI": "urn:de:bund:destatis:bevoelkerungsstatistik:schluessel:bundesland",
            }
        ],
    )
    body, _, notes = xmeld.encode_with_notes(
        Envelope("application/json", document=document, kind="PersonQuery")
    )
    root = etree.fromstring(body)
    xmeld.schema.check(root)
    names = root.find(f".//{{{NAMESPACE}}}nachnameUndVornamen")
    assert names is not None
    assert [e.text for e in names.iter("name")] == ["Jürgen Käthe", "van der Groß"]
    assert any(note.startswith("namePrefix") for note in notes)
    back = xmeld.decode_message(body).document
    assert back["familyName"] == "van der Groß" and back["givenNames"] == ["Jürgen", "Käthe"]
    assert back["birthDate"] == "1964-08-12"
