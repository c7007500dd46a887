"""The X-Road header fields xgw fills in for a partner, and the checks of a partner's answers."""

from __future__ import annotations

import pytest

from connectors.base import ConnectorOptions, Envelope
from connectors.ee.ariregister import AriregisterConnector
from gateway.errors import GatewayError, InconsistentResponseError, PartnerError
from gateway.identifiers import ClientId, ServiceId
from gateway.stages.partner_messages import (
    XRoadFields,
    check_rest_binding,
    check_soap_binding,
    has_xroad_header,
    read_soap_answer,
    with_xroad_header,
)
from gateway.xroad_soap import parse_request
from gateway.xroad_soap import request_hash as soap_request_hash

CLIENT = ClientId.parse("DE/GOV/05974028/gewerbeamt")
SERVICE = ServiceId.parse("ee-dev/GOV/70000310/arireg/detailandmed_v2")
PARTNER = SERVICE.provider.member
QUERY = Envelope(
    "",
    {"identifiers": [{"notation": "10137319", "scheme": "ee.registrikood"}]},
    kind="LegalEntityQuery",
)


def encoded() -> bytes:
    body, _, _ = AriregisterConnector(ConnectorOptions()).encode_with_notes(QUERY)
    return body


def test_the_header_fields_are_filled_into_the_connectors_empty_header():
    fields = XRoadFields(
        CLIENT,
        SERVICE,
        "v1",
        "5f1c0e52",
        user_id="EE37702211234",
        issue="GA-1",
        represented_party="COM/12345678",
    )
    soap = with_xroad_header(encoded(), fields)
    request = parse_request(soap, "text/xml; charset=utf-8")  # as a security server reads it
    headers = request.headers
    assert (headers.client, headers.service, headers.service_version) == (CLIENT, SERVICE, "v1")
    assert (headers.id, headers.user_id, headers.issue) == ("5f1c0e52", "EE37702211234", "GA-1")
    assert headers.protocol_version == "4.0"
    assert headers.represented_party is not None
    assert (headers.represented_party.party_class, headers.represented_party.party_code) == (
        "COM",
        "12345678",
    )
    assert headers.raw_order == (
        "client",
        "service",
        "representedParty",
        "id",
        "userId",
        "issue",
        "protocolVersion",
    )
    assert b"<ar:ariregistri_kood>10137319</ar:ariregistri_kood>" in soap  # body untouched
    assert has_xroad_header(soap, "text/xml") and not has_xroad_header(encoded(), "text/xml")


def test_a_message_without_a_header_gets_one_before_its_body():
    bare = (
        b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
        b'<detailandmed_v2 xmlns="http://arireg.x-road.eu/producer/"/></s:Body></s:Envelope>'
    )
    soap = with_xroad_header(bare, XRoadFields(CLIENT, SERVICE, None, "id-1"))
    request = parse_request(soap, "text/xml")
    assert request.headers.service_version is None and request.headers.user_id is None


def test_a_member_client_has_no_subsystem_code():
    member = ClientId.parse("DE/GOV/05974028")
    request = parse_request(
        with_xroad_header(encoded(), XRoadFields(member, SERVICE, "v1", "x")), "text/xml"
    )
    assert request.headers.client == member


def _answer(header: str) -> bytes:
    return (
        '<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:xrd="http://x-road.eu/xsd/xroad.xsd" xmlns:id="http://x-road.eu/xsd/identifiers">'
        f"<SOAP-ENV:Header>{header}</SOAP-ENV:Header><SOAP-ENV:Body><a/></SOAP-ENV:Body>"
        "</SOAP-ENV:Envelope>"
    ).encode()


def test_the_soap_binding_is_the_echo_and_the_hash_of_what_was_sent():
    soap = with_xroad_header(encoded(), XRoadFields(CLIENT, SERVICE, "v1", "id-1"))
    sent = parse_request(soap, "text/xml")
    echo = "".join(sent.header_xml)
    digest = soap_request_hash(soap)
    # The hash may be wrapped over lines, as PR-MESS's own example has it.
    wrapped = digest[:40] + "\n   " + digest[40:]
    good = _answer(
        echo
        + f'<xrd:requestHash algorithmId="http://www.w3.org/2001/04/xmlenc#sha512">{wrapped}</xrd:requestHash>',
    )
    check_soap_binding(sent, read_soap_answer(good, "text/xml", PARTNER), PARTNER)
    for header, reason in [
        (echo, "carries no requestHash"),
        (echo + "<xrd:requestHash>AAAA</xrd:requestHash>", "requestHash differs"),
        (
            echo
            + f'<xrd:requestHash algorithmId="http://www.w3.org/2001/04/xmlenc#sha256">{digest}</xrd:requestHash>',
            "sha256",
        ),
        (echo.replace("id-1", "id-2") + f"<xrd:requestHash>{digest}</xrd:requestHash>", "id"),
        ("", "echoes no X-Road header fields"),
    ]:
        answer = read_soap_answer(_answer(header), "text/xml", PARTNER)
        with pytest.raises(InconsistentResponseError, match=reason):
            check_soap_binding(sent, answer, PARTNER)


@pytest.mark.parametrize(
    ("faultcode", "expected_type"),
    [
        ("Server.ServerProxy.ServiceFailed", "Server.ServerProxy.ServiceFailed"),
        ("server.clientproxy.network_error", "Server.ClientProxy.NetworkError"),
        ("Client.InvalidXml", "Client.InvalidXml"),
        ("SOAP-ENV:Server", "Server.ServerProxy.ServiceFailed"),
        ("foo:FOOCODE", "Server.ServerProxy.ServiceFailed"),
    ],
)
def test_a_soap_fault_is_a_typed_error(faultcode: str, expected_type: str):
    fault = (
        '<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:foo="urn:foo" xmlns:xrd="http://x-road.eu/xsd/xroad.xsd"><SOAP-ENV:Body>'
        f"<SOAP-ENV:Fault><faultcode>{faultcode}</faultcode><faultstring>STRING</faultstring>"
        "<detail><xrd:faultDetail>d-42</xrd:faultDetail></detail></SOAP-ENV:Fault>"
        "</SOAP-ENV:Body></SOAP-ENV:Envelope>"
    ).encode()
    with pytest.raises(GatewayError) as info:
        read_soap_answer(fault, "text/xml", PARTNER)
    assert info.value.type == expected_type
    assert "STRING" in info.value.message and str(PARTNER) in info.value.message
    if "." in faultcode:  # an X-Road fault keeps the partner's log id, for its operators
        assert info.value.detail == "d-42"


def test_an_answer_that_is_no_soap_is_service_failed():
    with pytest.raises(PartnerError) as info:
        read_soap_answer(b"{}", "application/json", PARTNER)
    assert info.value.type == "Server.ServerProxy.ServiceFailed.InvalidContentType"


def _rest(headers: list[tuple[str, str]], body: bytes = b"{}") -> GatewayError | None:
    return check_rest_binding(
        headers,
        body,
        expected_hash="H",
        exchange_id="x-1",
        client=CLIENT,
        service=SERVICE,
        partner=PARTNER,
    )


def test_rest_binding():
    assert _rest([("X-Road-Request-Hash", "H"), ("X-Road-Id", "x-1")]) is None
    with pytest.raises(InconsistentResponseError, match="no X-Road-Request-Hash"):
        _rest([("X-Road-Id", "x-1")])
    with pytest.raises(InconsistentResponseError, match="X-Road-Request-Hash differs"):
        _rest([("X-Road-Request-Hash", "G"), ("X-Road-Id", "x-1")])
    with pytest.raises(InconsistentResponseError, match="X-Road-Id None"):
        _rest([("X-Road-Request-Hash", "H")])
    with pytest.raises(InconsistentResponseError, match="X-Road-Service"):
        _rest([("X-Road-Request-Hash", "H"), ("X-Road-Id", "x-1"), ("X-Road-Service", "a/b/c/d/e")])


def test_a_security_servers_own_refusal_needs_no_hash_but_a_wrong_one_is_refused():
    body = b'{"type": "Server.ClientProxy.ServiceNotFound", "message": "no such", "detail": "d"}'
    error = _rest(
        [
            ("X-Road-Error", "Server.ClientProxy.ServiceNotFound"),
            ("Content-Type", "application/json"),
        ],
        body,
    )
    assert error is not None and error.type == "Server.ClientProxy.ServiceNotFound"
    assert error.detail == "d" and "no such" in error.message
    with pytest.raises(InconsistentResponseError, match="ServiceNotFound"):
        _rest(
            [("X-Road-Error", "Server.ClientProxy.ServiceNotFound"), ("X-Road-Request-Hash", "G")],
            body,
        )
