"""Partners without xgw (issue 4, item 1 "Outbound" and item 3): a German gateway calls an
Estonian X-Road security server in REST and SOAP 4.0 and the Flemish MAGDA services natively,
verifies what comes back, and answers its client in canonical terms."""

from __future__ import annotations

import base64
import hashlib
import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
import pytest
from aiohttp import web
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree

from connectors.be.magda.messages import parse as parse_magda
from connectors.be.magda.schemas import MagdaSchemas
from gateway._crypto import certificate_to_pem
from gateway.demo.xroad_partner import RECEIVED, RestCall, ServiceAnswer, xroad_partner_app
from gateway.errors import SERVER_PROXY, AccessDeniedError
from gateway.pki import Usage
from gateway.xroad_soap import request_hash as soap_request_hash
from tests.connectors.be.magda_support import element_paths
from tests.connectors.ee.samples import SHARED
from tests.integration.federation import (
    HOST,
    Answer,
    DirectoryEdit,
    Harness,
    assert_xroad_error,
    backend_seen,
    call,
    closed_port_url,
    send_hop,
    signed_hop,
)
from tests.integration.partner_support import (
    CANONICAL,
    CLIENT,
    DETAILANDMED,
    GEEF_ONDERNEMING,
    GEEF_PERSOON,
    ISIKUD,
    MAGDA,
    MAGDA_ADDRESSES,
    MAGDA_ANSWERED,
    MAGDA_SEEN,
    MAGDA_TEMPLATES,
    RIK,
    RR,
    Partners,
    ask,
    audit_records,
    estonian_security_server,
    lenient_de,
    magda_service,
    soap_fault,
)

XRD = "http://x-road.eu/xsd/xroad.xsd"
ID = "http://x-road.eu/xsd/identifiers"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
COMPANY_QUERY = {"identifiers": [{"notation": "99000001", "scheme": "ee.registrikood"}]}
PERSON_QUERY = {"identifiers": [{"notation": "48503150000", "scheme": "ee.isikukood"}]}

Tamper = Callable[[web.Request, Callable[[web.Request], Awaitable[web.StreamResponse]]], Any]


@pytest.fixture
def partners(fed: Harness) -> Partners:
    lenient_de(fed)
    return Partners(fed)


def _canonical(answer: Answer) -> dict[str, Any]:
    assert answer.status == 200, (answer.status, answer.body[:600])
    assert answer.headers["Content-Type"].startswith(CANONICAL)
    message: dict[str, Any] = orjson.loads(answer.body)
    return message


# ---------------------------------------------------------------------------- (a) X-Road REST


async def test_rest_service_behind_an_estonian_security_server(fed: Harness, partners: Partners):
    ss = estonian_security_server()
    async with partners.serve_xroad(ss):
        async with fed.start(edit=partners.directory_edit()) as (de, _ee), fed.client("DE") as http:
            answer = await ask(
                http,
                de.client_url,
                ISIKUD,
                "PersonQuery",
                PERSON_QUERY,
                path="/v1/isikud",
                headers=[("X-Road-UserId", "EE37702211234"), ("X-Road-Id", "rr-query-1")],
            )
    message = _canonical(answer)
    assert message["kind"] == "Person"
    assert message["document"]["identifiers"][0]["notation"] == "48503150000"
    assert message["document"]["name"]["familyName"] == "MAASIKAS"
    # What left DE's gateway: the register's own JSON, X-Road headers from the exchange.
    [received] = ss[RECEIVED]
    assert (received.method, received.path) == ("POST", f"/r1/{ISIKUD}/v1/isikud")
    headers = {n.lower(): v for n, v in received.headers}
    assert headers["x-road-client"] == CLIENT
    assert headers["x-road-id"] == "rr-query-1"
    assert headers["x-road-userid"] == "EE37702211234"
    assert "x-xgw-signature" not in headers
    assert orjson.loads(received.body)["isikukoodid"] == ["48503150000"]
    # Our gateway's TLS certificate is the client certificate the partner saw.
    assert received.client_certificate == fed.members["DE"].tls.cert.public_bytes(Encoding.DER)
    # Both messages are in DE's audit log, the partner named as the peer.
    records = [r for r in audit_records(fed, "DE") if r["exchange_id"] == "rr-query-1"]
    assert [r["kind"] for r in records] == ["request", "response"]
    assert {r["peer"] for r in records} == {RR}
    assert records[1]["status"] == 200


async def test_an_x_road_error_of_the_security_server_keeps_its_code(
    fed: Harness, partners: Partners
):
    async def refuse(call: RestCall) -> ServiceAnswer:
        raise AccessDeniedError(f"{call.client} may not call {call.service}", origin=SERVER_PROXY)

    ss = xroad_partner_app(rest={ISIKUD: refuse})
    async with partners.serve_xroad(ss):
        async with fed.start(edit=partners.directory_edit()) as (de, _ee), fed.client("DE") as http:
            answer = await ask(
                http, de.client_url, ISIKUD, "PersonQuery", PERSON_QUERY, path="/v1/isikud"
            )
    document = assert_xroad_error(answer, "Server.ServerProxy.AccessDenied")
    assert RR in document["message"]


# ---------------------------------------------------------------------------- (b) X-Road SOAP


def _header_fields(soap: bytes) -> dict[str, str]:
    """The X-Road header fields of a SOAP message, each as its text (identifiers joined)."""
    header = etree.fromstring(soap).find(f"{{{SOAP_ENV}}}Header")
    assert header is not None
    fields = {}
    for element in header:
        name = etree.QName(element).localname
        parts = [(child.text or "").strip() for child in element]
        fields[name] = "/".join(parts) if parts else (element.text or "").strip()
    return fields


async def test_a_canonical_query_becomes_detailandmed_v2_with_the_x_road_header(
    fed: Harness, partners: Partners
):
    ss = estonian_security_server()
    async with partners.serve_xroad(ss):
        async with fed.start(edit=partners.directory_edit()) as (de, _ee), fed.client("DE") as http:
            answer = await ask(
                http,
                de.client_url,
                DETAILANDMED,
                "LegalEntityQuery",
                COMPANY_QUERY,
                headers=[("X-Road-UserId", "DE-Sachbearbeiter-7"), ("X-Road-Issue", "GA-2026-113")],
            )
    message = _canonical(answer)
    assert message["kind"] == "LegalEntity"
    assert message["document"]["legalNames"][0]["text"] == "Test Firma OÜ"
    [received] = ss[RECEIVED]
    assert (received.method, received.path) == ("POST", "/")
    # SOAP carries its X-Road fields in the envelope, not in HTTP headers.
    assert not any(n.lower().startswith("x-road-") for n, _ in received.headers)
    fields = _header_fields(received.body)
    assert list(fields) == ["client", "service", "id", "userId", "issue", "protocolVersion"]
    assert fields["client"] == CLIENT
    assert fields["service"] == "ee-dev/GOV/70000310/arireg/detailandmed_v2/v1"
    assert fields["userId"] == "DE-Sachbearbeiter-7" and fields["issue"] == "GA-2026-113"
    assert fields["protocolVersion"] == "4.0"
    uuid.UUID(fields["id"])  # the exchange id DE's gateway gave the call
    # The body is the register's own question, read back by the register's codec.
    body = etree.fromstring(received.body).find(f"{{{SOAP_ENV}}}Body")
    assert body is not None and etree.QName(body[0]).localname == "detailandmed_v2"
    records = [r for r in audit_records(fed, "DE") if r["exchange_id"] == fields["id"]]
    assert [(r["kind"], r["peer"]) for r in records] == [("request", RIK), ("response", RIK)]


def x_road_soap_request(exchange_id: str) -> bytes:
    """What an Estonian-style X-Road client system sends, addressed to the Business Register."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<SOAP-ENV:Envelope xmlns:SOAP-ENV="{SOAP_ENV}" xmlns:xrd="{XRD}" xmlns:id="{ID}"
    xmlns:ar="http://arireg.x-road.eu/producer/">
  <SOAP-ENV:Header>
    <xrd:client id:objectType="SUBSYSTEM"><id:xRoadInstance>DE</id:xRoadInstance>
      <id:memberClass>GOV</id:memberClass><id:memberCode>05974028</id:memberCode>
      <id:subsystemCode>gewerbeamt</id:subsystemCode></xrd:client>
    <xrd:service id:objectType="SERVICE"><id:xRoadInstance>ee-dev</id:xRoadInstance>
      <id:memberClass>GOV</id:memberClass><id:memberCode>70000310</id:memberCode>
      <id:subsystemCode>arireg</id:subsystemCode><id:serviceCode>detailandmed_v2</id:serviceCode>
      <id:serviceVersion>v1</id:serviceVersion></xrd:service>
    <xrd:id>{exchange_id}</xrd:id>
    <xrd:userId>EE37702211234</xrd:userId>
    <xrd:protocolVersion>4.0</xrd:protocolVersion>
  </SOAP-ENV:Header>
  <SOAP-ENV:Body>
    <ar:detailandmed_v2><ar:keha>
      <ar:ariregistri_kood>99000001</ar:ariregistri_kood>
      <ar:yandmed>true</ar:yandmed><ar:iandmed>false</ar:iandmed><ar:kandmed>false</ar:kandmed>
      <ar:dandmed>false</ar:dandmed><ar:maarused>false</ar:maarused>
    </ar:keha></ar:detailandmed_v2>
  </SOAP-ENV:Body>
</SOAP-ENV:Envelope>""".encode()


async def test_an_x_road_soap_client_reaches_the_register_through_the_soap_front_door(
    fed: Harness, partners: Partners
):
    ss = estonian_security_server()
    request = x_road_soap_request("ar-soap-1")
    async with partners.serve_xroad(ss):
        async with fed.start(edit=partners.directory_edit()) as (de, _ee), fed.client("DE") as http:
            answer = await call(
                http,
                "POST",
                f"{de.client_url}/",
                data=request,
                headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'},
            )
    assert answer.status == 200, answer.body[:800]
    [received] = ss[RECEIVED]
    assert received.body == request  # a message that came with its headers goes as it is
    fields = _header_fields(answer.body)
    assert fields["id"] == "ar-soap-1" and fields["client"] == CLIENT
    assert fields["requestHash"] == soap_request_hash(request)  # over what the client sent
    assert b"Test Firma O\xc3\x9c" in answer.body


# ---------------------------------------------------------------------------- (c) MAGDA, natively


MAGDA_QUERIES = {
    "GeefPersoon": (
        "PersonQuery",
        {
            "identifiers": [{"notation": "00600099536", "scheme": "be.ssin"}],
            "purpose": "a1300",
            "reference": "gewerbeamt-vraag-1",
            "requester": {"code": {"code": "xgw.musterstadt.de/gewerbeamt"}},
        },
        "Person",
    ),
    "GeefOnderneming": (
        "LegalEntityQuery",
        {
            "identifiers": [{"notation": "0202.239.951", "scheme": "be.enterprise"}],
            "period": {"start": "2025-01-01", "end": "2026"},
            "language": "nl",
            "purpose": "Gewerbeanzeige",
        },
        "LegalEntity",
    ),
}


@pytest.mark.parametrize("name", sorted(MAGDA_QUERIES))
async def test_magda_is_called_in_its_own_envelope_and_answers_in_canonical_terms(
    fed: Harness, partners: Partners, name: str
):
    kind, query, answer_kind = MAGDA_QUERIES[name]
    magda = magda_service()
    service = {"GeefPersoon": GEEF_PERSOON, "GeefOnderneming": GEEF_ONDERNEMING}[name]
    async with partners.serve_magda(magda):
        async with fed.start(edit=partners.directory_edit()) as (de, _ee), fed.client("DE") as http:
            answer = await ask(http, de.client_url, service, kind, query)
    message = _canonical(answer)
    assert message["kind"] == answer_kind
    scheme = {"Person": "be.ssin", "LegalEntity": "be.enterprise"}[answer_kind]
    assert message["document"]["identifiers"][0]["scheme"] == scheme
    # What left xgw: MAGDA's own SOAP envelope, in the shape of MAGDA's request template,
    # at the service's own endpoint; no X-Road in sight.
    [received] = magda[MAGDA_SEEN]
    assert received.path == MAGDA_ADDRESSES[name]
    assert dict(received.headers)["Content-Type"].startswith("text/xml")
    assert not any(n.lower().startswith("x-road-") for n, _ in received.headers)
    sent = etree.fromstring(received.body)
    template = etree.parse(str(MAGDA_TEMPLATES[name])).getroot()
    assert element_paths(sent) == element_paths(template)
    # The answer MAGDA gave validates against MAGDA's official response XSD.
    [answered] = magda[MAGDA_ANSWERED]
    MagdaSchemas.load(SHARED).validate(f"{name}Response", parse_magda(answered))
    records = audit_records(fed, "DE")
    assert [(r["kind"], r["peer"]) for r in records[-2:]] == [
        ("request", MAGDA),
        ("response", MAGDA),
    ]
    assert records[-1]["notes"]  # what the translation could not carry is on record


# ---------------------------------------------------------------------------- refusals


def tamper(change: Callable[[web.Response], None]) -> Any:
    """A middleware inside the security server: alters each answer on its way back."""

    @web.middleware
    async def middleware(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        response = await handler(request)
        assert isinstance(response, web.Response)
        change(response)
        return response

    return middleware


def _set_header(name: str, value: str) -> Callable[[web.Response], None]:
    def change(response: web.Response) -> None:
        response.headers[name] = value

    return change


def _replace(pattern: bytes, replacement: bytes) -> Callable[[web.Response], None]:
    def change(response: web.Response) -> None:
        assert isinstance(response.body, bytes)
        changed = re.sub(pattern, replacement, response.body, count=1)
        assert changed != response.body, "the tampering found nothing to change"
        response.body = changed

    return change


OTHER_HASH = base64.b64encode(hashlib.sha512(b"another request").digest()).decode()


async def _rest_call(fed: Harness, partners: Partners, ss: web.Application) -> Answer:
    async with partners.serve_xroad(ss):
        async with fed.start(edit=partners.directory_edit()) as (de, _ee), fed.client("DE") as http:
            return await ask(
                http, de.client_url, ISIKUD, "PersonQuery", PERSON_QUERY, path="/v1/isikud"
            )


async def _soap_call(fed: Harness, partners: Partners, ss: web.Application) -> Answer:
    async with partners.serve_xroad(ss):
        async with fed.start(edit=partners.directory_edit()) as (de, _ee), fed.client("DE") as http:
            return await ask(http, de.client_url, DETAILANDMED, "LegalEntityQuery", COMPANY_QUERY)


@pytest.mark.parametrize(
    ("change", "what"),
    [
        (_set_header("X-Road-Request-Hash", OTHER_HASH), "X-Road-Request-Hash differs"),
        (_set_header("X-Road-Id", "someone-elses-exchange"), "X-Road-Id"),
        (_set_header("X-Road-Client", "DE/GOV/05974028/meldeamt"), "X-Road-Client"),
    ],
    ids=["request-hash", "echoed-id", "echoed-client"],
)
async def test_a_rest_answer_not_bound_to_our_request_is_refused(
    fed: Harness, partners: Partners, change: Callable[[web.Response], None], what: str
):
    answer = await _rest_call(fed, partners, estonian_security_server([tamper(change)]))
    document = assert_xroad_error(answer, "Server.ClientProxy.InconsistentResponse")
    assert what in document["message"]


def _opaque_hashes(edit: DirectoryEdit) -> DirectoryEdit:
    """The X-Road partners as real security servers: their request hash cannot be recomputed."""

    def opaque(document: dict[str, Any]) -> dict[str, Any]:
        document = edit(document)
        for member in document["members"]:
            if member.get("partner", {}).get("protocol") == "x-road":
                member["partner"]["request_hash"] = "opaque"
        return document

    return opaque


@pytest.mark.parametrize(
    ("change", "refused"),
    [
        (_set_header("X-Road-Request-Hash", OTHER_HASH), None),  # a real server's own hash
        (_set_header("X-Road-Request-Hash", "not base64!"), "well-formed X-Road-Request-Hash"),
        (_set_header("X-Road-Id", "someone-elses-exchange"), "X-Road-Id"),
    ],
    ids=["other-hash-accepted", "malformed-hash", "echoed-id"],
)
async def test_an_opaque_request_hash_must_be_present_and_the_echoes_ours(
    fed: Harness,
    partners: Partners,
    change: Callable[[web.Response], None],
    refused: str | None,
):
    async with partners.serve_xroad(estonian_security_server([tamper(change)])):
        edit = _opaque_hashes(partners.directory_edit())
        async with fed.start(edit=edit) as (de, _ee), fed.client("DE") as http:
            answer = await ask(
                http, de.client_url, ISIKUD, "PersonQuery", PERSON_QUERY, path="/v1/isikud"
            )
    if refused is None:
        assert answer.status == 200, answer.body
    else:
        document = assert_xroad_error(answer, "Server.ClientProxy.InconsistentResponse")
        assert refused in document["message"]


async def test_a_rest_answer_without_a_request_hash_is_refused(fed: Harness, partners: Partners):
    def drop(response: web.Response) -> None:
        del response.headers["X-Road-Request-Hash"]

    answer = await _rest_call(fed, partners, estonian_security_server([tamper(drop)]))
    assert_xroad_error(answer, "Server.ClientProxy.InconsistentResponse")


@pytest.mark.parametrize(
    ("change", "what"),
    [
        (_replace(rb"(requestHash[^>]*>)[^<]+", rb"\g<1>" + OTHER_HASH.encode()), "requestHash"),
        (_replace(rb"(<xrd:id[^>]*>)[^<]+", rb"\g<1>someone-elses-exchange"), "id"),
        (_replace(rb"(<id:subsystemCode>)gewerbeamt", rb"\g<1>meldeamt"), "client"),
        (_replace(rb"(<id:serviceVersion>)v1", rb"\g<1>v2"), "service_version"),
    ],
    ids=["request-hash", "echoed-id", "echoed-client", "echoed-service-version"],
)
async def test_a_soap_answer_not_bound_to_our_request_is_refused(
    fed: Harness, partners: Partners, change: Callable[[web.Response], None], what: str
):
    answer = await _soap_call(fed, partners, estonian_security_server([tamper(change)]))
    document = assert_xroad_error(answer, "Server.ClientProxy.InconsistentResponse")
    assert what in document["message"]


async def test_a_soap_answer_that_echoes_nothing_is_refused(fed: Harness, partners: Partners):
    def without_header(response: web.Response) -> None:  # a proxy that is no security server
        assert isinstance(response.body, bytes)
        response.body = re.sub(
            rb"<SOAP-ENV:Header>.*</SOAP-ENV:Header>", b"", response.body, flags=re.S
        )

    answer = await _soap_call(fed, partners, estonian_security_server([tamper(without_header)]))
    document = assert_xroad_error(answer, "Server.ClientProxy.InconsistentResponse")
    assert "echoes no X-Road header fields" in document["message"]


async def test_a_partner_whose_certificate_is_not_pinned_gets_nothing(
    fed: Harness, partners: Partners
):
    impostor = partners.ca.issue("ss1.ee-dev.example", usage=Usage.TLS, hosts=[HOST])
    ss = estonian_security_server()
    async with partners.serve_xroad(ss, presenting=impostor):
        async with fed.start(edit=partners.directory_edit()) as (de, _ee), fed.client("DE") as http:
            answer = await ask(http, de.client_url, DETAILANDMED, "LegalEntityQuery", COMPANY_QUERY)
    document = assert_xroad_error(answer, "Server.ClientProxy.CertValidation")
    assert RIK in document["message"]
    assert ss[RECEIVED] == []


async def test_a_partner_that_is_down_is_a_network_error(fed: Harness, partners: Partners):
    partners.xroad_url = closed_port_url().replace("http://", "https://")
    async with fed.start(edit=partners.directory_edit()) as (de, _ee), fed.client("DE") as http:
        answer = await ask(http, de.client_url, DETAILANDMED, "LegalEntityQuery", COMPANY_QUERY)
    document = assert_xroad_error(answer, "Server.ClientProxy.NetworkError")
    assert "cannot reach" in document["message"] and RIK in document["message"]


@pytest.mark.parametrize(
    ("faultcode", "expected"),
    [
        # The partner's security server's own X-Road errors keep their code, either spelling.
        (
            "Server.ServerProxy.ServiceFailed.NetworkError",
            "Server.ServerProxy.ServiceFailed.NetworkError",
        ),
        ("server.serverproxy.access_denied", "Server.ServerProxy.AccessDenied"),
        # The service's own fault: ServiceFailed, its code and text quoted.
        ("SOAP-ENV:Server", "Server.ServerProxy.ServiceFailed"),
    ],
)
async def test_a_partner_soap_fault_is_a_typed_error(
    fed: Harness, partners: Partners, faultcode: str, expected: str
):
    async def failing(request: Any) -> ServiceAnswer:
        return ServiceAnswer(500, soap_fault(faultcode, "Äriregister ei vasta"), "text/xml")

    ss = xroad_partner_app(soap={DETAILANDMED: failing})
    answer = await _soap_call(fed, partners, ss)
    document = assert_xroad_error(answer, expected)
    assert "Äriregister ei vasta" in document["message"] and RIK in document["message"]


async def test_a_magda_soap_fault_is_a_typed_error(fed: Harness, partners: Partners):
    magda = magda_service(fault=soap_fault("soapenv:Server", "MAGDA: interne fout"))
    kind, query, _ = MAGDA_QUERIES["GeefPersoon"]
    async with partners.serve_magda(magda):
        async with fed.start(edit=partners.directory_edit()) as (de, _ee), fed.client("DE") as http:
            answer = await ask(http, de.client_url, GEEF_PERSOON, kind, query)
    document = assert_xroad_error(answer, "Server.ServerProxy.ServiceFailed")
    assert "MAGDA: interne fout" in document["message"]
    assert len(magda[MAGDA_SEEN]) == 1


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        (
            b"<html>502 Bad Gateway</html>",
            "text/html",
            "Server.ServerProxy.ServiceFailed.InvalidContentType",
        ),
        (b"<SOAP-ENV:Envelope", "text/xml", "Server.ServerProxy.ServiceFailed.InvalidXml"),
    ],
    ids=["not-soap", "not-xml"],
)
async def test_an_answer_that_is_no_soap_message_is_refused(
    fed: Harness, partners: Partners, body: bytes, content_type: str, expected: str
):
    def garbage(response: web.Response) -> None:
        response.body = body
        response.content_type = content_type

    answer = await _soap_call(fed, partners, estonian_security_server([tamper(garbage)]))
    assert_xroad_error(answer, expected)


async def test_an_answer_the_register_codec_refuses_is_a_server_side_error(
    fed: Harness, partners: Partners
):
    def wrong_message(response: web.Response) -> None:
        assert isinstance(response.body, bytes)
        response.body = response.body.replace(b"detailandmed_v2Response", b"lihtandmed_v2Response")

    answer = await _soap_call(fed, partners, estonian_security_server([tamper(wrong_message)]))
    assert_xroad_error(answer, "Server.ServerProxy.InvalidMessage")


async def test_without_an_access_right_the_partner_is_not_called(fed: Harness, partners: Partners):
    partners.grants.remove(DETAILANDMED)
    ss = estonian_security_server()
    answer = await _soap_call(fed, partners, ss)
    assert_xroad_error(answer, "Server.ClientProxy.AccessDenied")
    assert ss[RECEIVED] == []


async def test_a_soap_header_naming_another_client_is_refused_before_the_partner(
    fed: Harness, partners: Partners
):
    """A client may post a SOAP message with its own X-Road header to /r1/, but the header
    must name the client its certificate is bound to."""
    forged = x_road_soap_request("forged-1").replace(b"gewerbeamt", b"meldeamt")
    ss = estonian_security_server()
    async with partners.serve_xroad(ss):
        async with fed.start(edit=partners.directory_edit()) as (de, _ee), fed.client("DE") as http:
            answer = await call(
                http,
                "POST",
                f"{de.client_url}/r1/{DETAILANDMED}",
                headers={"X-Road-Client": CLIENT, "Content-Type": "text/xml; charset=utf-8"},
                data=forged,
            )
    assert_xroad_error(answer, "Client.InconsistentHeaders")
    assert ss[RECEIVED] == []


async def test_a_partner_members_certificate_is_refused_on_the_peer_port(
    fed: Harness, partners: Partners, backend_url: str
):
    """Even a partner certificate from a federation CA never authenticates a peer gateway."""
    partner_cert = fed.ca.issue(RIK, usage=Usage.TLS, hosts=[HOST])
    ss = estonian_security_server()
    path = "/r1/EE/GOV/70000310/ariregister/ettevotted/echo/partner"
    hop = signed_hop("GET", path, client=f"{RIK}/arireg", signing=None)
    async with partners.serve_xroad(ss):
        edit = partners.directory_edit(xroad_certificates=[partner_cert.cert])
        async with fed.start(edit=edit) as (_de, ee), fed.peer_session(partner_cert, "rik") as http:
            answer = await send_hop(http, ee.peer_url, hop)
    document = assert_xroad_error(answer, "Server.ServerProxy.CertValidation")
    assert "partner without xgw" in document["message"] and RIK in document["message"]
    assert await backend_seen(backend_url) == []


# ---------------------------------------------------------------------------- more routes


async def test_x_road_metaservices_of_a_partner_go_to_its_security_server(
    fed: Harness, partners: Partners
):
    async def list_methods(call: RestCall) -> ServiceAnswer:
        return ServiceAnswer(200, orjson.dumps({"service": [{"service_code": "isikud"}]}))

    ss = xroad_partner_app(rest={f"{RR}/rr/listMethods": list_methods})
    async with partners.serve_xroad(ss):
        async with fed.start(edit=partners.directory_edit()) as (de, _ee), fed.client("DE") as http:
            answer = await call(
                http,
                "GET",
                f"{de.client_url}/r1/{RR}/rr/listMethods",
                headers={"X-Road-Client": CLIENT},
            )
    assert answer.status == 200, answer.body
    assert answer.json() == {"service": [{"service_code": "isikud"}]}
    assert [r.path for r in ss[RECEIVED]] == [f"/r1/{RR}/rr/listMethods"]


KVK = "NL/COM/68750110"


async def test_a_native_rest_partner_gets_its_own_path_and_no_x_road_headers(
    fed: Harness, partners: Partners
):
    seen: list[tuple[str, dict[str, str]]] = []

    async def basisprofiel(request: web.Request) -> web.Response:
        seen.append((request.raw_path, dict(request.headers)))
        return web.json_response({"kvkNummer": request.match_info["number"]})

    app = web.Application()
    app.router.add_get("/api/v1/basisprofielen/{number}", basisprofiel)

    def with_kvk(document: dict[str, Any]) -> dict[str, Any]:
        document["members"].append(
            {
                "id": KVK,
                "name": "Kamer van Koophandel",
                "partner": {"protocol": "native", "url": partners.magda_url + "/api"},
                "tls_certificates": [certificate_to_pem(partners.magda_tls.cert)],
                "subsystems": [{"code": "kvk", "name": "KvK API"}],
                "services": [
                    {
                        "subsystem": "kvk",
                        "code": "basisprofielen",
                        "type": "REST",
                        "address": "/v1/basisprofielen",
                    }
                ],
            }
        )
        document["access"].append({"client": CLIENT, "service": f"{KVK}/kvk/basisprofielen"})
        return document

    async with partners.serve_magda(app):
        async with fed.start(edit=with_kvk) as (de, _ee), fed.client("DE") as http:
            answer = await call(
                http,
                "GET",
                f"{de.client_url}/r1/{KVK}/kvk/basisprofielen/69599084?geoData=false",
                headers={"X-Road-Client": CLIENT},
            )
    assert answer.status == 200, answer.body
    assert answer.json() == {"kvkNummer": "69599084"}
    [(path, headers)] = seen
    assert path == "/api/v1/basisprofielen/69599084?geoData=false"
    assert not any(name.lower().startswith("x-road-") for name in headers)


async def test_a_partner_fault_reaches_an_x_road_soap_client_as_a_soap_fault(
    fed: Harness, partners: Partners
):
    async def refusing(request: Any) -> ServiceAnswer:
        fault = soap_fault("Server.ServerProxy.AccessDenied", "Access denied for DE client")
        return ServiceAnswer(500, fault, "text/xml")

    ss = xroad_partner_app(soap={DETAILANDMED: refusing})
    async with partners.serve_xroad(ss):
        async with fed.start(edit=partners.directory_edit()) as (de, _ee), fed.client("DE") as http:
            answer = await call(
                http,
                "POST",
                f"{de.client_url}/",
                data=x_road_soap_request("ar-soap-2"),
                headers={"Content-Type": "text/xml; charset=utf-8"},
            )
    assert answer.status == 500
    fault = etree.fromstring(answer.body).find(f"{{{SOAP_ENV}}}Body/{{{SOAP_ENV}}}Fault")
    assert fault is not None
    assert fault.findtext("faultcode") == "Server.ServerProxy.AccessDenied"
    assert "Access denied for DE client" in (fault.findtext("faultstring") or "")


async def test_an_answer_larger_than_the_limit_is_refused(fed: Harness, partners: Partners):
    fed.members["DE"].settings_overrides["security"] = {"max_response_bytes": 4096}

    async def huge(call: RestCall) -> ServiceAnswer:
        return ServiceAnswer(200, b"[" + b" " * 10_000 + b"]")

    answer = await _rest_call(fed, partners, xroad_partner_app(rest={ISIKUD: huge}))
    assert_xroad_error(answer, "Server.ServerProxy.ServiceFailed")
