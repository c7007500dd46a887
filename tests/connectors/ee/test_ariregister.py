"""ee.ariregister over the reference data: samples, refusals, schema modes, SOAP, faithfulness."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from lxml import etree

from connectors.base import ConnectorOptions, Envelope
from connectors.canonical import validate
from connectors.ee.ariregister import MEDIA_TYPE, AriregisterConnector
from connectors.ee.ariregister.fields import ROLE_LIST
from connectors.ee.ariregister.schema import OFFICIAL_PATH
from connectors.identifiers import InvalidIdentifierError
from gateway.errors import CLIENT, ConnectorError, PartnerError
from tests.connectors.ee.conftest import covered, note_paths, xml_leaves
from tests.connectors.ee.samples import (
    ARIREGISTER,
    NS,
    OFFICIAL_XSD,
    SHARED,
    official_sequences,
    schema_valid_detailandmed,
)

SAMPLE = ARIREGISTER / "examples" / "detailandmed_v2_response.xml"
SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
NAME = "ee.ariregister"
KEHA = "/ar:detailandmed_v2/ar:keha"


def sample() -> bytes:
    return schema_valid_detailandmed(SAMPLE.read_bytes())


def soap(body: str) -> bytes:
    return (
        f'<S:Envelope xmlns:S="{SOAP}" xmlns:ar="{NS}"><S:Header/><S:Body>{body}</S:Body>'
        "</S:Envelope>"
    ).encode()


def request_body(keha: str) -> str:
    flags = "".join(f"<ar:{f}>false</ar:{f}>" for f in ("kandmed", "dandmed", "maarused"))
    return (
        f"<ar:detailandmed_v2><ar:keha>{keha}<ar:yandmed>true</ar:yandmed>"
        f"<ar:iandmed>true</ar:iandmed>{flags}</ar:keha></ar:detailandmed_v2>"
    )


def operation(body: bytes) -> etree._Element:
    root = etree.fromstring(body)
    return root[1][0] if root.tag == f"{{{SOAP}}}Envelope" else root


# --- the samples ----------------------------------------------------------------------------


def test_the_published_sample_breaks_the_official_xsd_and_is_refused_naming_the_element(
    ariregister: AriregisterConnector,
) -> None:
    with pytest.raises(ConnectorError) as caught:
        ariregister.decode_message(SAMPLE.read_bytes())
    assert "ettevotjad/ns1:item/ns1:nimi" in caught.value.message
    assert "Expected is ( {http://arireg.x-road.eu/producer/}ettevotja_id )" in caught.value.message


def test_the_schema_valid_sample_is_valid_against_the_official_xsd() -> None:
    official = etree.XMLSchema(etree.parse(str(OFFICIAL_XSD)))
    assert official.validate(etree.fromstring(sample())), official.error_log


async def test_sample_decodes_to_a_valid_legal_entity(ariregister: AriregisterConnector) -> None:
    envelope = await ariregister.decode(sample(), "text/xml")
    assert envelope.kind == "LegalEntity"
    validate("LegalEntity", envelope.document)
    entity = envelope.document
    assert entity is not None
    assert entity["identifiers"][0] == {"notation": "99000001", "scheme": "ee.registrikood"}
    assert entity["legalNames"] == [{"lang": "et", "text": "Test Firma OÜ"}]
    assert entity["registrationDate"] == "2024-09-01"
    assert entity["status"]["code"] == "R"
    seat, former = entity["addresses"]
    assert seat["address"]["thoroughfare"] == "Pärnu mnt"
    assert seat["address"]["locatorDesignator"] == "123"
    assert seat["address"]["adminUnitL1"] == "EE"
    assert "adminUnitL1" not in former["address"]  # the sample has no riik there: nothing invented
    assert former["period"] == {"start": "2020-01-01", "end": "2024-08-31"}
    main = entity["activities"][0]
    assert main["primary"] is True
    assert [c["code"] for c in main["codes"]] == ["66301", "6630"]
    rule = entity["representationRules"][0]
    assert rule["text"] == "Tehingute tegemiseks on nõutav nõukogu nõusolek"


def test_sample_round_trip_keeps_every_field_or_notes_it(ariregister: AriregisterConnector) -> None:
    """native -> canonical -> native: each leaf comes back, or a note names it."""
    original = sample()
    envelope = ariregister.decode_message(original)
    body, media_type, _ = ariregister.encode_with_notes(envelope)
    assert media_type == MEDIA_TYPE
    noted = note_paths(envelope.notes, NAME)
    before, after = xml_leaves(operation(original)), xml_leaves(operation(body))
    lost = [path for path, _ in before - after if not covered(path, noted, "/")]
    added = [path for path, _ in after - before if not covered(path, noted, "/")]
    assert lost == []
    assert added == []
    again = ariregister.decode_message(body)
    assert again.document == envelope.document
    assert again.kind == "LegalEntity"


def test_sample_notes_name_what_is_not_carried(ariregister: AriregisterConnector) -> None:
    notes = ariregister.decode_message(sample()).notes
    item = "detailandmed_v2Response/keha/ettevotjad/item"
    assert (
        f"{NAME}: {item}/isikuandmed/esindusoiguse_eritingimused/item/kirje_id: not carried"
        in notes
    )
    assert f"{NAME}: detailandmed_v2Response/paring: not carried (the echoed request)" in notes
    lenient = f"{NAME}: {item}/ariregistri_kood: ee.registrikood: lenient mode accepted"
    assert any(note.startswith(lenient) for note in notes)


# --- identifiers ----------------------------------------------------------------------------


def test_a_wrong_check_digit_is_a_client_error_naming_identifier_and_rule(
    strict_ariregister: AriregisterConnector,
) -> None:
    with pytest.raises(InvalidIdentifierError) as caught:
        strict_ariregister.decode_message(sample())
    error = caught.value
    assert error.origin == CLIENT
    assert error.scheme == "ee.registrikood"
    assert "keha/ettevotjad/item/ariregistri_kood: ee.registrikood" in error.message
    assert "check digit fails (expected 5)" in error.message
    assert "99000001" not in error.message  # masked: identifiers are personal data


def test_a_valid_registry_code_passes_in_strict_mode(
    strict_ariregister: AriregisterConnector,
) -> None:
    body = soap(request_body("<ar:ariregistri_kood>10137319</ar:ariregistri_kood>"))
    envelope = strict_ariregister.decode_message(body)
    assert envelope.document == {
        "identifiers": [{"notation": "10137319", "scheme": "ee.registrikood"}],
        "fields": [
            "identifiers", "legalNames", "registrationDate", "dissolutionDate", "status",
            "legalForm", "addresses", "contactPoints", "activities", "representatives",
            "representationRules",
        ],
    }  # fmt: skip
    assert envelope.notes == ()


def test_encoding_a_query_with_a_wrong_check_digit_is_refused(
    strict_ariregister: AriregisterConnector,
) -> None:
    query = {"identifiers": [{"notation": "10137318", "scheme": "ee.registrikood"}]}
    with pytest.raises(
        InvalidIdentifierError, match=r"identifiers: ee\.registrikood .*check digit"
    ):
        strict_ariregister.encode_with_notes(Envelope(MEDIA_TYPE, query, kind="LegalEntityQuery"))


# --- requests -------------------------------------------------------------------------------


def test_query_encodes_to_a_soap_request_that_decodes_back(
    strict_ariregister: AriregisterConnector,
) -> None:
    query = {
        "identifiers": [{"notation": "10137319", "scheme": "ee.registrikood"}],
        "name": "Põhjaranniku Puit OÜ",
        "fields": ["legalNames", "representatives"],
        "includeInactive": False,
        "language": "et",
    }
    body, _, notes = strict_ariregister.encode_with_notes(
        Envelope(MEDIA_TYPE, query, kind="LegalEntityQuery")
    )
    root = etree.fromstring(body)
    assert root.tag == f"{{{SOAP}}}Envelope"
    header, soap_body = root
    assert header.tag == f"{{{SOAP}}}Header" and len(header) == 0  # the transport fills it
    keha = {etree.QName(e).localname: e.text for e in soap_body[0][0]}
    assert keha["ariregistri_kood"] == "10137319"
    assert keha["arinimi"] == "Põhjaranniku Puit OÜ"
    assert (keha["yandmed"], keha["iandmed"], keha["keel"]) == ("false", "true", "est")
    assert notes == (f"{NAME}: fields: the register answers whole groups (yandmed, iandmed)",)
    decoded = strict_ariregister.decode_message(body)
    assert decoded.kind == "LegalEntityQuery"
    assert decoded.document == {
        **query,
        "fields": ["identifiers", "legalNames", "representatives", "representationRules"],
    }


def test_request_flags_for_groups_the_model_lacks_are_noted(
    ariregister: AriregisterConnector,
) -> None:
    body = soap(
        "<ar:detailandmed_v2><ar:keha><ar:ariregister_parool>secret</ar:ariregister_parool>"
        "<ar:ariregistri_kood>10137319</ar:ariregistri_kood><ar:yandmed>false</ar:yandmed>"
        "<ar:iandmed>false</ar:iandmed><ar:kandmed>true</ar:kandmed><ar:dandmed>false</ar:dandmed>"
        "<ar:maarused>false</ar:maarused><ar:staatused>R</ar:staatused></ar:keha>"
        "</ar:detailandmed_v2>"
    )
    envelope = ariregister.decode_message(body)
    assert envelope.document is not None
    assert envelope.document["fields"] == ["identifiers", "legalNames"]
    assert set(envelope.notes) == {
        f"{NAME}: detailandmed_v2/keha/ariregister_parool: not carried",
        f"{NAME}: detailandmed_v2/keha/kandmed: not carried "
        "(a group the canonical LegalEntity lacks)",
        f"{NAME}: detailandmed_v2/keha/staatused: not carried "
        "(a status filter other than all or all but deleted (K))",
    }
    assert all("secret" not in note for note in envelope.notes)


def test_a_request_without_code_or_name_cannot_be_a_legal_entity_query(
    ariregister: AriregisterConnector,
) -> None:
    body = soap(request_body("<ar:fyysilise_isiku_kood>48503150000</ar:fyysilise_isiku_kood>"))
    with pytest.raises(ConnectorError, match="detailandmed_v2/keha: neither ariregistri_kood"):
        ariregister.decode_message(body)


def test_a_query_the_register_cannot_be_asked_is_refused(ariregister: AriregisterConnector) -> None:
    query = {"identifiers": [{"notation": "12345678", "scheme": "nl.kvk"}]}
    with pytest.raises(ConnectorError, match=r"ee\.registrikood, ee\.ettevotja-id or name"):
        ariregister.encode_with_notes(Envelope(MEDIA_TYPE, query, kind="LegalEntityQuery"))


# --- schema violations ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("keha", "where"),
    [
        ("<ar:ariregistri_kood>ABC</ar:ariregistri_kood>", f"{KEHA}/ar:ariregistri_kood"),
        ("<ar:tundmatu>1</ar:tundmatu>", f"{KEHA}/ar:tundmatu"),
    ],
)  # fmt: skip
def test_schema_violations_are_refused_naming_the_element(
    ariregister: AriregisterConnector, keha: str, where: str
) -> None:
    with pytest.raises(ConnectorError) as caught:
        ariregister.decode_message(soap(request_body(keha)))
    assert caught.value.message.startswith(f"{where}: ")
    assert "ABC" not in caught.value.message  # the value is not repeated


def test_a_missing_required_element_is_named(ariregister: AriregisterConnector) -> None:
    body = soap(
        "<ar:detailandmed_v2><ar:keha><ar:yandmed>true</ar:yandmed></ar:keha></ar:detailandmed_v2>"
    )
    with pytest.raises(
        ConnectorError, match=r"/ar:detailandmed_v2/ar:keha: .*Missing child .*iandmed"
    ):
        ariregister.decode_message(body)


def test_an_entity_without_its_required_identifiers_cannot_be_encoded(
    ariregister: AriregisterConnector,
) -> None:
    entity = {"identifiers": [{"notation": "10137319", "scheme": "ee.registrikood"}],
              "legalNames": [{"lang": "et", "text": "Puit OÜ"}]}  # fmt: skip
    with pytest.raises(
        ConnectorError, match=r"needs ettevotja_id, and the entity has no ee\.ettevotja-id"
    ):
        ariregister.encode_with_notes(Envelope(MEDIA_TYPE, entity, kind="LegalEntity"))


def test_other_messages_and_kinds_are_refused(ariregister: AriregisterConnector) -> None:
    for service in ("tegelikudKasusaajad_v2", "ettevottegaSeotudIsikud_v1"):
        other = (ARIREGISTER / "examples" / f"{service}_response.xml").read_bytes()
        with pytest.raises(ConnectorError, match=f"{service}Response: not a detailandmed_v2"):
            ariregister.decode_message(other)
    with pytest.raises(ConnectorError, match="not Person"):
        ariregister.encode_with_notes(Envelope(MEDIA_TYPE, {}, kind="Person"))


# --- SOAP and XML safety --------------------------------------------------------------------


def test_soap_wrapped_and_bare_answers_decode_alike(ariregister: AriregisterConnector) -> None:
    bare = sample()
    inner = bare.split(b"?>", 1)[-1].decode()
    wrapped = soap(inner)
    assert ariregister.decode_message(wrapped).document == ariregister.decode_message(bare).document


def test_a_soap_fault_is_the_partners_error(ariregister: AriregisterConnector) -> None:
    fault = soap(
        "<S:Fault><faultcode>S:Server</faultcode>"
        "<faultstring>Päring ebaõnnestus</faultstring></S:Fault>"
    )
    with pytest.raises(PartnerError, match="S:Server: Päring ebaõnnestus"):
        ariregister.decode_message(fault)


@pytest.mark.parametrize(
    "body",
    [
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
        b'<!DOCTYPE x SYSTEM "http://127.0.0.1:9/x.dtd"><x/>',
        b"<unclosed>",
    ],
)
def test_dtds_entities_and_broken_xml_are_refused(
    ariregister: AriregisterConnector, body: bytes
) -> None:
    with pytest.raises(ConnectorError):
        ariregister.decode_message(body)


# --- schema directory -----------------------------------------------------------------------


def test_schema_source_follows_the_schema_directory(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    assert (
        AriregisterConnector().schema.source == "xgw_schemas/ee/ariregister/detailandmed_v2.v1.xsd"
    )
    official = AriregisterConnector(ConnectorOptions(schema_dir=SHARED)).schema.source
    assert official == str(SHARED / OFFICIAL_PATH)
    with caplog.at_level(logging.WARNING):
        fallback = AriregisterConnector(ConnectorOptions(schema_dir=tmp_path)).schema.source
    assert fallback.startswith("xgw_schemas/")
    assert str(tmp_path / OFFICIAL_PATH) in caplog.text


def test_an_official_xsd_that_imports_from_the_network_is_refused(tmp_path: Path) -> None:
    target = tmp_path / OFFICIAL_PATH
    target.parent.mkdir(parents=True)
    target.write_text(
        '<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema">'
        '<xsd:import namespace="urn:x" schemaLocation="http://x-road.eu/xsd/xroad.xsd"/></xsd:schema>'
    )
    from gateway.errors import ConfigError

    with pytest.raises(ConfigError, match="imports from the network"):
        AriregisterConnector(ConnectorOptions(schema_dir=tmp_path))


def _sequences(root: etree._Element) -> dict[str, list[dict[str, str]]]:
    xs = "{http://www.w3.org/2001/XMLSchema}"
    keep = ("name", "type", "minOccurs", "maxOccurs", "nillable")
    return {
        str(t.get("name")): [
            {key: str(e.get(key)) for key in keep if e.get(key) is not None}
            for e in t.iter(f"{xs}element")
        ]
        for t in root.iter(f"{xs}complexType")
    }


def test_shipped_xsd_keeps_the_official_sequences_of_the_types_it_declares() -> None:
    """The compact XSD is the official one minus annotations, with unread subtrees as anyType."""
    from gateway import shipped

    compact = _sequences(
        etree.fromstring(shipped.load_bytes("ee/ariregister/detailandmed_v2.v1.xsd"))
    )
    official = _sequences(etree.parse(str(OFFICIAL_XSD)).getroot())
    assert len(compact) == 18
    for name, children in compact.items():
        assert len(children) == len(official[name]), name
        for mine, theirs in zip(children, official[name], strict=True):
            if "type" not in mine:  # anyType: only for a complex type the compact XSD leaves out
                assert theirs["type"].startswith("ar:"), (name, mine)
                assert theirs["type"][3:] not in compact, (name, mine)
                theirs = {k: v for k, v in theirs.items() if k != "type"}
            assert mine == theirs, name
    assert official_sequences()["detailandmed_v2Response"][0] == ("paring", "detailandmed_v6_Query")


# --- faithfulness and notes on encode -------------------------------------------------------


def entity(**extra: object) -> dict[str, object]:
    return {
        "identifiers": [
            {"notation": "10137319", "scheme": "ee.registrikood"},
            {"notation": "42", "scheme": "ee.ettevotja-id"},
        ],
        "legalNames": [{"lang": "et", "text": "Põhjaranniku Puit OÜ"}],
        **extra,
    }


def test_diacritics_and_case_survive_both_ways(strict_ariregister: AriregisterConnector) -> None:
    address = {"thoroughfare": "Õie tn", "locatorDesignator": "5", "postName": "Võru",
               "adminUnitL1": "EE"}  # fmt: skip
    role = {"code": "JUHL", "listURI": ROLE_LIST, "name": "Juhatuse liige"}
    person = {
        "name": {"givenNames": ["TÕNU", "Šarlota"], "familyName": "ŽUKOVSKI-Ülle"},
        "identifiers": [{"notation": "39901010005", "scheme": "ee.isikukood"}],
        "birthDate": "1999-01-01",
    }
    doc = entity(
        addresses=[{"role": "registered", "address": address}],
        representatives=[{"role": role, "person": person}],
    )
    body, _, notes = strict_ariregister.encode_with_notes(
        Envelope(MEDIA_TYPE, doc, kind="LegalEntity")
    )
    text = body.decode("utf-8")
    assert "Põhjaranniku Puit OÜ" in text and "Õie tn 5" in text and "Võru" in text
    assert "<ar:eesnimi>TÕNU Šarlota</ar:eesnimi>" in text
    assert "<ar:nimi_arinimi>ŽUKOVSKI-Ülle</ar:nimi_arinimi>" in text
    assert notes == ()
    back = strict_ariregister.decode_message(body).document
    assert back is not None
    assert back["representatives"] == doc["representatives"]
    assert back["addresses"] == doc["addresses"]
    assert back["legalNames"] == doc["legalNames"]


def test_what_the_register_cannot_hold_is_noted_on_encode(
    strict_ariregister: AriregisterConnector,
) -> None:
    doc = entity(
        alternativeNames=[{"lang": "et", "text": "Puit"}],
        registrationDate="2019-05",
        legalForm={"code": "114", "listURI": "urn:be:magda:rechtsvorm"},
        addresses=[{"role": "postal", "address": {"postName": "Tartu"}}],
    )
    _, _, notes = strict_ariregister.encode_with_notes(
        Envelope(MEDIA_TYPE, doc, kind="LegalEntity")
    )
    assert set(note_paths(notes, NAME)) == {
        "alternativeNames",
        "registrationDate",
        "legalForm",
        "addresses",
    }


async def test_encode_logs_its_notes(
    strict_ariregister: AriregisterConnector, caplog: pytest.LogCaptureFixture
) -> None:
    doc = entity(statusDate="2020")
    with caplog.at_level(logging.INFO, logger="gateway.connector.ee.ariregister"):
        body, media_type = await strict_ariregister.encode(
            Envelope(MEDIA_TYPE, doc, kind="LegalEntity")
        )
    assert media_type == MEDIA_TYPE and body.startswith(b"<?xml")
    assert f"translation note: {NAME}: statusDate: not carried" in caplog.text


def test_a_character_xml_cannot_carry_is_refused(strict_ariregister: AriregisterConnector) -> None:
    doc = {**entity(), "legalNames": [{"lang": "et", "text": "Puit\x0bOÜ"}]}
    with pytest.raises(ConnectorError, match=r"nimi: a character XML 1\.0 cannot carry"):
        strict_ariregister.encode_with_notes(Envelope(MEDIA_TYPE, doc, kind="LegalEntity"))
