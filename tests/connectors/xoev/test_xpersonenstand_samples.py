"""The Vertama XPersonenstand 26.11 samples, both ways: official set and shipped subset."""

from __future__ import annotations

import pytest

from connectors.base import ConnectorOptions, Envelope
from connectors.canonical import validate
from connectors.xoev.xpersonenstand import (
    Party,
    PortalHeader,
    PostalAddress,
    XPersonenstandConnector,
)
from gateway.errors import ConnectorError
from tests.connectors.xoev.test_xpersonenstand_support import (
    INVALID_SAMPLE,
    SHARED_XOEV,
    VALID_SAMPLE,
    birth,
    connector,
    death,
    decode,
    element_text,
    encode,
    valid_under_both,
)

WAYS = ("official", "shipped")
EXPECTED = {
    "name": {"givenNames": ["Vorname"], "familyName": "Familienname"},
    "gender": "female",
    "deceased": True,
    "deathDate": "2024-11-01",
    "deathPlace": {
        "name": "Sterbeort Ort",
        "address": {"thoroughfare": "Sterbeort Strasse", "locatorDesignator": "2"},
    },
    "event": {
        "type": "death",
        "date": "2024-11-01",
        "time": "05:21",
        "timeExact": True,
        "place": {
            "name": "Sterbeort Ort",
            "address": {"thoroughfare": "Sterbeort Strasse", "locatorDesignator": "2"},
        },
        "informant": {
            "organisationName": "Organisationsname",
            "contactPoints": [
                {
                    "channel": "mobile",
                    "value": "555-0100",
                    "code": {
                        "code": "03",
                        "listURI": "urn:de:xoev:codeliste:erreichbarkeit",
                        "listVersionID": "1",
                    },
                }
            ],
        },
    },
}


@pytest.mark.parametrize("way", WAYS)
def test_the_valid_sample_decodes_to_a_valid_person_with_its_death(way):
    envelope = decode(way, VALID_SAMPLE.read_bytes())
    assert envelope.kind == "Person"
    assert envelope.document == EXPECTED
    validate("Person", envelope.document)


@pytest.mark.parametrize("way", WAYS)
def test_what_the_sample_carries_beyond_the_person_is_noted(way):
    notes = "\n".join(decode(way, VALID_SAMPLE.read_bytes()).notes)
    assert "nachrichtenkopf.g2g: header not carried" in notes
    assert "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFF0" in notes  # the message id, for the audit
    assert "psw:11007007 (Test Standesamt)" in notes
    assert "@test: the message is marked as a test message" in notes
    assert "anschrift.autor: not carried" in notes
    assert "ansprechpartner: not carried" in notes
    assert "Ansprechpartner" not in notes.replace("ansprechpartner", "")  # no personal values


@pytest.mark.parametrize("way", WAYS)
def test_the_sample_re_encodes_to_a_message_both_schemas_accept_and_decodes_back_equal(way):
    person = decode(way, VALID_SAMPLE.read_bytes()).document
    assert person is not None
    body, notes = encode(way, person)
    valid_under_both(body)
    assert decode(way, body).document == person
    assert notes == (
        "nachrichtenkopf.g2g: reader and author are xgw placeholders: no XPersonenstand header "
        "is configured",
    )


@pytest.mark.parametrize("way", WAYS)
def test_the_invalid_sample_is_refused_with_the_validators_reason(way):
    with pytest.raises(ConnectorError) as refused:
        decode(way, INVALID_SAMPLE.read_bytes())
    message = refused.value.message
    assert refused.value.code == "InvalidMessage"
    assert "line 3" in message
    assert "nachrichtenkopf" in message  # the element
    assert "This element is not expected. Expected is ( nachrichtenkopf.g2g )" in message
    assert ("official schema" if way == "official" else "xgw schema") in message


@pytest.mark.parametrize("way", WAYS)
def test_a_birth_notification_round_trips(way):
    person = birth(
        name={"givenNames": ["Zoë", "Anna-Lena"], "familyName": "Müller", "birthName": "Groß"},
        birthPlace={"name": "Cottbus", "country": "DE"},
    )
    person["event"]["place"] = {"name": "Cottbus", "country": "DE"}
    body, notes = encode(way, person)
    valid_under_both(body)
    assert element_text(body, "nameEinrichtung") == ["Carl-Thiem-Klinikum Cottbus"]
    assert element_text(body, "code")[-2:] == ["000", "w"]  # Destatis 000, gender w
    back = decode(way, body).document
    assert back == person
    assert notes[1:] == (
        "relatedPersons[0].person.residenceAddress: absent: 081020 gets an empty anschrift",
    )


def test_another_portal_message_is_refused_by_name():
    body = VALID_SAMPLE.read_bytes().replace(b"Sterbefall.084020", b"Sterbefall.084021")
    with pytest.raises(ConnectorError, match=r"portal2StA\.Sterbefall\.084021: not a message"):
        decode("official", body)


@pytest.mark.parametrize(
    "body",
    [
        b"<not xml",
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
    ],
)
def test_malformed_input_and_document_types_are_refused(body):
    with pytest.raises(ConnectorError):
        decode("shipped", body)


def test_encoding_needs_a_person_with_a_birth_or_death_event():
    with pytest.raises(ConnectorError, match="encodes a Person"):
        connector("shipped").encode_with_notes(Envelope("x", document={}, kind="PersonQuery"))
    with pytest.raises(ConnectorError, match=r"^event: "):
        encode("shipped", {"name": {"familyName": "Tamm"}})


@pytest.mark.parametrize(
    ("person", "field"),
    [
        (death(gender="unknown"), "gender"),
        ({**death(), "name": {"givenNames": ["Mari"]}}, "name.familyName"),
        ({**death(), "event": {**death()["event"], "time": None}}, "event.time"),
        ({**death(), "event": {**death()["event"], "informant": {"organisationName": "X"}}},
         "event.informant.contactPoints"),
        ({**birth(), "event": {**birth()["event"], "facility": None}}, "event.facility"),
        ({**birth(), "relatedPersons": []}, "relatedPersons"),
    ],
)  # fmt: skip
def test_a_field_the_message_requires_is_a_connector_error_naming_it(person, field):
    person = {k: v for k, v in person.items() if v != []}
    person["event"] = {k: v for k, v in person["event"].items() if v is not None}
    with pytest.raises(ConnectorError) as refused:
        encode("shipped", person)
    assert refused.value.message.startswith(f"{field}:")


async def test_the_connector_protocol_methods_and_a_configured_header():
    header = PortalHeader(
        reader=Party("psw:12052000", "Standesamt Cottbus"),
        author=Party("sap:000000013", "Standesamtportal"),
        author_contact=("02", "0355 612-0"),
        author_address=PostalAddress("Neumarkt", "03046", "Cottbus", "5"),
        test=True,
    )
    configured = XPersonenstandConnector(ConnectorOptions(schema_dir=SHARED_XOEV), header=header)
    assert configured.name == "xoev.xpersonenstand"
    assert configured.schema_ids == (
        "urn:xoev-de:kosit:standard:xinneres.xpersonenstand_26.11:portale",
    )
    envelope = await configured.decode(VALID_SAMPLE.read_bytes(), "application/xml")
    body, media_type = await configured.encode(envelope)
    assert media_type.startswith("application/xml")
    assert element_text(body, "kennung")[:2] == ["psw:12052000", "sap:000000013"]
    assert b'test="test"' in body
    assert configured.decode_message(body).document == envelope.document
    _, _, notes = configured.encode_with_notes(envelope)
    assert notes == ()  # nothing lost, no placeholder


_HEADER = """
  <nachrichtenkopf.g2g>
    <identifikation.nachricht>
      <nachrichtenUUID>0b9b3c1e-58a5-4a54-9a2e-6a9e5d0d7d11</nachrichtenUUID>
      <nachrichtentyp listURI="urn:xoev-de:xpersonenstand:codelist:nachrichtentyp"
                      listVersionID="26.11"><code>081020</code></nachrichtentyp>
      <erstellungszeitpunkt>2025-03-01T09:30:00+01:00</erstellungszeitpunkt>
    </identifikation.nachricht>
    <leser>
      <verzeichnisdienst listVersionID="3"><code>DVDV</code></verzeichnisdienst>
      <kennung>psw:12052000</kennung><name>Standesamt Cottbus</name>
    </leser>
    <autor>
      <verzeichnisdienst listVersionID="3"><code>DVDV</code></verzeichnisdienst>
      <kennung>dbs:000000042</kennung><name>Geburtsportal</name>
      <erreichbarkeit><kanal listVersionID="1"><code>01</code></kanal>
        <kennung>portal@example.de</kennung></erreichbarkeit>
    </autor>
  </nachrichtenkopf.g2g>
  <anschrift.leser><postfach><postfach>10 02 34</postfach><wohnort>Cottbus</wohnort>
    <postleitzahl>03002</postleitzahl></postfach></anschrift.leser>
  <anschrift.autor><gebaeude><hausnummer>5</hausnummer><postleitzahl>03046</postleitzahl>
    <strasse>Neumarkt</strasse><wohnort>Cottbus</wohnort>
    <hausnummern.bis><hausnummer.bis>7</hausnummer.bis></hausnummern.bis></gebaeude></anschrift.autor>
  <x:ansprechpartner>Schwester Agnes</x:ansprechpartner>
  <x:vorgangsidentifikation><ereignis.zeitpunkt>2025-03-01T08:00:00Z</ereignis.zeitpunkt>
    <ereignis.zeichen>GA-2025-0042</ereignis.zeichen></x:vorgangsidentifikation>
"""

FULL_BIRTH = f"""<?xml version="1.0" encoding="UTF-8"?>
<x:portal2StA.Geburt.081020 xmlns:x="http://xpsw.domap.de/xpsw2611" produkt="Portal"
    produkthersteller="Hersteller" produktversion="1.2" standard="XPersonenstand" test="ja"
    version="26.11">{_HEADER}
  <x:nameEinrichtung>Carl-Thiem-Klinikum Cottbus</x:nameEinrichtung>
  <x:geburtsangaben>
    <x:ort><x:strasse>Thiemstraße</x:strasse><x:hausnummer>111</x:hausnummer><x:ort>Cottbus</x:ort>
      <x:ortsteil>Sandow</x:ortsteil><x:kreisbezeichnung>kreisfreie Stadt</x:kreisbezeichnung>
      <x:staat><x:code listVersionID="2024-08-01"><code>000</code><name>Deutschland</name></x:code>
      </x:staat></x:ort>
    <x:tag>2025-02-28</x:tag><x:uhrzeit>23:59</x:uhrzeit>
  </x:geburtsangaben>
  <x:totgeburt>true</x:totgeburt>
  <x:totgeburtAngaben><x:schwangerschaftswoche>30</x:schwangerschaftswoche>
    <x:geburtsgewicht>1200</x:geburtsgewicht></x:totgeburtAngaben>
  <x:kind>
    <x:geschlecht listVersionID="1"><code>d</code><name>divers</name></x:geschlecht>
    <x:namen>
      <x:familienname><nichtVorhanden>true</nichtVorhanden></x:familienname>
      <x:vornamen><name>Zoë Marie</name><x:namensart><x:code><code>vm</code></x:code></x:namensart>
      </x:vornamen>
    </x:namen>
  </x:kind>
  <x:mutter><x:standard>
    <x:namen><x:familienname><name>Šťastná</name></x:familienname>
      <x:geburtsname><name>Põder</name></x:geburtsname><x:vornamen><name>Õie</name></x:vornamen></x:namen>
    <x:geburtsdatum>1990-02-28</x:geburtsdatum>
    <x:anschrift><gemeindeschluessel listVersionID="2024-01-31"><code>12052000</code>
      <name>Cottbus, Stadt</name></gemeindeschluessel><hausnummer>12</hausnummer>
      <hausnummerBuchstabeZusatzziffer>b</hausnummerBuchstabeZusatzziffer>
      <postleitzahl>03046</postleitzahl><strasse>Straße der Jugend</strasse>
      <teilnummerDerHausnummer>1/2</teilnummerDerHausnummer><wohnort>Cottbus</wohnort>
      <wohnortFruehererGemeindename>Sielow</wohnortFruehererGemeindename></x:anschrift>
    <x:kontakt><kanal listVersionID="1"><code>03</code></kanal><kennung>0151 1234567</kennung>
      <zusatz>nur abends</zusatz></x:kontakt>
    <x:kontakt><kanal listVersionID="1"><code>07</code></kanal><kennung>@oie</kennung></x:kontakt>
  </x:standard></x:mutter>
  <x:elternteil2><x:namen><x:familienname><name>van der Berg</name></x:familienname>
    <x:vornamen><name>Jan  Peter</name></x:vornamen></x:namen></x:elternteil2>
  <x:mehrlingsgeburt><x:anzahlKnaben>1</x:anzahlKnaben><x:anzahlMaedchen>0</x:anzahlMaedchen>
    <x:anzahlUnbestimmt>1</x:anzahlUnbestimmt></x:mehrlingsgeburt>
  <x:zuordnungGeburtsanzeige>GA-42</x:zuordnungGeburtsanzeige>
  <x:anhang filesize="1024" hashValue="abc"><x:dokumentid>d1</x:dokumentid>
    <x:dokumentart>Geburtsbescheinigung</x:dokumentart></x:anhang>
</x:portal2StA.Geburt.081020>""".encode()


@pytest.mark.parametrize("way", WAYS)
def test_a_birth_message_with_every_element_decodes_and_notes_the_rest(way):
    valid_under_both(FULL_BIRTH)
    envelope = decode(way, FULL_BIRTH)
    person = envelope.document
    validate("Person", person)
    place = {
        "name": "Cottbus",
        "country": "DE",
        "address": {
            "thoroughfare": "Thiemstraße",
            "locatorDesignator": "111",
            "addressArea": "Sandow",
            "adminUnitL2": "kreisfreie Stadt",
        },
    }
    assert person["event"] == {
        "type": "birth",
        "facility": "Carl-Thiem-Klinikum Cottbus",
        "place": place,
        "date": "2025-02-28",
        "time": "23:59",
    }
    assert person["birthPlace"] == place
    assert person["gender"] == "diverse"
    assert person["name"] == {"givenNames": ["Zoë", "Marie"]}
    mother, parent = person["relatedPersons"]
    assert mother["role"] == "mother"
    assert mother["person"]["name"] == {
        "familyName": "Šťastná",
        "birthName": "Põder",
        "givenNames": ["Õie"],
    }
    assert mother["person"]["residenceAddress"] == {
        "municipalityCode": {
            "code": "12052000",
            "name": "Cottbus, Stadt",
            "listURI": "urn:de:bund:destatis:bevoelkerungsstatistik:schluessel:ags",
            "listVersionID": "2024-01-31",
        },
        "postCode": "03046",
        "thoroughfare": "Straße der Jugend",
        "postName": "Cottbus",
        "locatorDesignator": "12b 1/2",
        "locatorDesignators": [
            {"designator": "12", "type": "addressNumber"},
            {"designator": "b", "type": "addressNumberExtension"},
            {"designator": "1/2", "type": "addressNumber2ndExtension"},
        ],
    }
    assert [c["channel"] for c in mother["person"]["contactPoints"]] == ["mobile", "other"]
    assert parent == {
        "role": "parent",
        "person": {"name": {"familyName": "van der Berg", "givenNames": ["Jan  Peter"]}},
    }
    notes = "\n".join(envelope.notes)
    for element in (
        "totgeburt: not carried",
        "totgeburtAngaben: not carried",
        "mehrlingsgeburt: not carried",
        "zuordnungGeburtsanzeige: not carried",
        "anhang: not carried",
        "vorgangsidentifikation: not carried",
        "anschrift.leser: not carried",
        "kind/namen/familienname: 'nichtVorhanden'",
        "kind/namen/vornamen/namensart: kind of name not carried",
        "wohnortFruehererGemeindename: former municipality name not carried",
        "kontakt/zusatz: remark on a contact channel not carried",
        "@test: the message is marked as a test message",
    ):
        assert element in notes, element
    assert "Schwester Agnes" not in notes and "nur abends" not in notes
    body, _ = encode(way, person)  # and back: what the canonical document holds is written
    valid_under_both(body)
    assert decode(way, body).document == person
