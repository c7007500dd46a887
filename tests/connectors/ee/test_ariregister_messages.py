"""The exact bytes of the register's requests, as its backend and X-Road's requestHash see them.

The connector writes each message into a copy of one envelope, and the transport copies
one set of header fields per client and service: a message must get its own copy, and
nothing of one message may show in the next.
"""

from __future__ import annotations

from connectors.base import ConnectorOptions, Envelope
from connectors.ee.ariregister import MEDIA_TYPE, AriregisterConnector
from gateway.identifiers import ClientId, ServiceId
from gateway.stages.partner_messages import XRoadFields, with_xroad_header

CLIENT = ClientId.parse("DE/GOV/05974028/gewerbeamt")
SERVICE = ServiceId.parse("ee-dev/GOV/70000310/arireg/detailandmed_v2")
XRD = 'xmlns:xrd="http://x-road.eu/xsd/xroad.xsd"'
ID = 'xmlns:id="http://x-road.eu/xsd/identifiers"'

ENVELOPE_START = (
    "<?xml version='1.0' encoding='UTF-8'?>\n"
    '<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" '
    'xmlns:ar="http://arireg.x-road.eu/producer/" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
)
BODY = (
    "<SOAP-ENV:Body><ar:detailandmed_v2><ar:keha>"
    "<ar:ariregistri_kood>10137319</ar:ariregistri_kood>"
    "<ar:yandmed>true</ar:yandmed><ar:iandmed>true</ar:iandmed><ar:kandmed>false</ar:kandmed>"
    "<ar:dandmed>false</ar:dandmed><ar:maarused>false</ar:maarused>"
    "<ar:staatused>R</ar:staatused><ar:staatused>L</ar:staatused>"
    "<ar:staatused>N</ar:staatused><ar:keel>eng</ar:keel>"
    "</ar:keha></ar:detailandmed_v2></SOAP-ENV:Body></SOAP-ENV:Envelope>"
)
HEADER_FIELDS = (
    f'<xrd:client {XRD} {ID} id:objectType="SUBSYSTEM"><id:xRoadInstance>DE</id:xRoadInstance>'
    "<id:memberClass>GOV</id:memberClass><id:memberCode>05974028</id:memberCode>"
    "<id:subsystemCode>gewerbeamt</id:subsystemCode></xrd:client>"
    f'<xrd:service {XRD} {ID} id:objectType="SERVICE"><id:xRoadInstance>ee-dev</id:xRoadInstance>'
    "<id:memberClass>GOV</id:memberClass><id:memberCode>70000310</id:memberCode>"
    "<id:subsystemCode>arireg</id:subsystemCode><id:serviceCode>detailandmed_v2</id:serviceCode>"
    "<id:serviceVersion>v1</id:serviceVersion></xrd:service>"
    '<repr:representedParty xmlns:repr="http://x-road.eu/xsd/representation.xsd">'
    "<repr:partyClass>COM</repr:partyClass><repr:partyCode>12345678</repr:partyCode>"
    "</repr:representedParty>"
    f"<xrd:id {XRD}>id-1</xrd:id><xrd:userId {XRD}>EE37702211234</xrd:userId>"
    f"<xrd:protocolVersion {XRD}>4.0</xrd:protocolVersion>"
)


def encode(code: str = "10137319") -> bytes:
    query = {
        "identifiers": [{"notation": code, "scheme": "ee.registrikood"}],
        "includeInactive": False,
        "language": "en",
    }
    connector = AriregisterConnector(ConnectorOptions())
    body, _, notes = connector.encode_with_notes(
        Envelope(MEDIA_TYPE, query, kind="LegalEntityQuery")
    )
    assert notes == ()
    return body


def test_a_query_encodes_to_exactly_these_bytes() -> None:
    assert encode().decode() == f"{ENVELOPE_START}<SOAP-ENV:Header/>{BODY}"


def test_each_message_has_an_envelope_of_its_own() -> None:
    first, other, again = encode(), encode("70000310"), encode()
    assert again == first
    assert b"10137319" not in other and b"<SOAP-ENV:Header/>" in other


def test_the_x_road_header_fields_fill_the_empty_header_exactly() -> None:
    fields = XRoadFields(
        CLIENT, SERVICE, "v1", "id-1", user_id="EE37702211234", represented_party="COM/12345678"
    )
    soap = with_xroad_header(encode(), fields)
    expected = f"{ENVELOPE_START}<SOAP-ENV:Header>{HEADER_FIELDS}</SOAP-ENV:Header>{BODY}"
    assert soap.decode() == expected


def test_one_messages_header_fields_do_not_show_in_the_next() -> None:
    full = XRoadFields(
        CLIENT, SERVICE, "v1", "id-1", user_id="EE1", issue="GA-1", represented_party="COM/1"
    )
    bare = XRoadFields(CLIENT, SERVICE, "v1", "id-2")
    first, plain, again = (with_xroad_header(encode(), f) for f in (full, bare, full))
    assert again == first
    assert b"userId" in first and b"issue" in first and b"representedParty" in first
    for absent in (b"userId", b"issue", b"representedParty", b"id-1"):
        assert absent not in plain
    assert plain.count(b"<xrd:id ") == 1 and b">id-2</xrd:id>" in plain
