"""PR-META's SOAP metaservices through both gateways: listMethods, allowedMethods, getWsdl.

The requests are the spec's own (annex C examples C2, C4, C6 and the metaservice
vectors of the X-Road test data), with the federation's identifiers put into their
headers; the answers are compared with C3, C5, C7 and C8 (shape, namespaces, the
echoed headers) and their bodies validated against the schema of annex B. EE's
gateway answers them; none reaches a backend.
"""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from gateway.pki import CertificateAuthority
from gateway.xroad_soap import request_hash
from gateway.xroad_soap.wsdl import HIDDEN_ENDPOINT, published_wsdl
from tests.integration.federation import (
    DE,
    Answer,
    call,
    send_hop,
    signed_hop,
)
from tests.integration.soap_support import (
    ANNEX_C,
    CLIENT,
    META,
    META_QUERIES,
    NS_ID,
    NS_SOAP,
    NS_WSDL_SOAP,
    NS_XROAD,
    OBJECT_TYPE,
    PROVIDER,
    SoapBackend,
    SoapHarness,
    adapted_vector,
    metaservice_schema,
    shared,
    soap_backend,
)

XML = {"Content-Type": "text/xml; charset=utf-8"}
C6_SERVICE = {b">getRandom</xro:serviceCode>": b">exampleService</xro:serviceCode>"}


@pytest.fixture
async def backend() -> AsyncIterator[SoapBackend]:
    async with soap_backend() as running:
        yield running


@pytest.fixture
def soap_fed(tmp_path: Path, ca: CertificateAuthority, backend: SoapBackend) -> SoapHarness:
    harness = SoapHarness(tmp_path, ca, backend.url)
    harness.add_soap_service("exampleService", wsdl=shared(ANNEX_C))
    harness.add_soap_service("otherService", granted=False)
    return harness


async def post(fed: SoapHarness, client_url: str, message: bytes) -> Answer:
    async with fed.client("DE") as http:
        return await call(http, "POST", f"{client_url}/", data=message, headers=XML)


def header_fields(envelope: etree._Element) -> list[tuple[str, Any]]:
    """Each X-Road header field: its name, object type and parts (or its text)."""
    header = envelope.find(f"{{{NS_SOAP}}}Header")
    assert header is not None
    out: list[tuple[str, Any]] = []
    for element in header.iterchildren(tag=etree.Element):
        parts = [
            (etree.QName(c).localname, c.text) for c in element.iterchildren(tag=etree.Element)
        ]
        value = (element.get(OBJECT_TYPE), parts) if parts else (element.text or "").strip()
        out.append((etree.QName(element).localname, value))
    return out


def body_element(envelope: etree._Element) -> etree._Element:
    body = envelope.find(f"{{{NS_SOAP}}}Body")
    assert body is not None
    (element,) = [c for c in body if isinstance(c.tag, str)]
    return element


def assert_echoes(answer: etree._Element, request: bytes) -> None:
    """The request's header fields in the request's order, then requestHash (PR-MESS)."""
    asked = header_fields(etree.fromstring(request))
    got = header_fields(answer)
    assert got[:-1] == asked
    assert got[-1] == ("requestHash", request_hash(request))


def service_identifiers(listing: etree._Element) -> list[list[str]]:
    return [
        [etree.QName(part).localname for part in service]
        for service in listing.iter(f"{{{NS_XROAD}}}service")
    ]


def service_codes(listing: etree._Element) -> list[str | None]:
    return [s.findtext(f"{{{NS_ID}}}serviceCode") for s in listing]


def fault_code(body: bytes) -> str:
    return etree.fromstring(body).findtext(".//faultcode") or ""


# -------------------------------------------------------------------- listMethods


@pytest.mark.parametrize(
    ("vector", "example", "codes"),
    [
        (
            "C2-listMethods-request.xml",
            "C3-listMethods-response.xml",
            ["exampleService", "otherService"],
        ),
        ("C4-allowedMethods-request.xml", "C5-allowedMethods-response.xml", ["exampleService"]),
    ],
)
async def test_service_lists_have_the_shape_of_the_spec_examples(
    soap_fed: SoapHarness, backend: SoapBackend, vector: str, example: str, codes: list[str]
):
    request = adapted_vector(f"{META}/{vector}", provider=PROVIDER)
    name = vector.split("-")[1]
    async with soap_fed.start() as (de, _ee):
        answer = await post(soap_fed, de.client_url, request)
    assert answer.status == 200, answer.body
    assert answer.headers["Content-Type"].startswith("text/xml")
    envelope = etree.fromstring(answer.body)
    assert envelope.tag == f"{{{NS_SOAP}}}Envelope"
    assert_echoes(envelope, request)
    listing = body_element(envelope)
    spec = body_element(etree.fromstring(shared(f"{META}/{example}").read_bytes()))
    assert listing.tag == spec.tag == f"{{{NS_XROAD}}}{name}Response"
    # SOAP services only (not the REST ettevotted), each identified as in the example.
    assert service_codes(listing) == codes
    assert all(s.get(OBJECT_TYPE) == "SERVICE" for s in listing)
    without_version = [[p for p in s if p != "serviceVersion"] for s in service_identifiers(spec)]
    assert service_identifiers(listing) == without_version[:1] * len(codes)
    metaservice_schema().assertValid(listing)
    assert backend.seen == []


async def test_allowed_methods_is_empty_without_a_grant(soap_fed: SoapHarness):
    soap_fed.access = [a for a in soap_fed.access if not a["service"].endswith("Service")]
    request = adapted_vector(f"{META}/C4-allowedMethods-request.xml")
    async with soap_fed.start() as (de, _ee):
        answer = await post(soap_fed, de.client_url, request)
    assert answer.status == 200, answer.body
    assert list(body_element(etree.fromstring(answer.body))) == []


@pytest.mark.parametrize(
    ("vector", "answered"),
    [
        ("listMethods.query", "listMethodsResponse"),
        ("allowedMethods.query", "allowedMethodsResponse"),
        ("getWsdl.query", "getWsdlResponse"),
    ],
)
async def test_the_metaservice_vectors_are_answered(
    soap_fed: SoapHarness, vector: str, answered: str
):
    request = adapted_vector(
        f"{META_QUERIES}/{vector}",
        replace={b"<xroad:serviceCode>getRandom<": b"<xroad:serviceCode>exampleService<"},
    )
    async with soap_fed.start() as (de, _ee):
        answer = await post(soap_fed, de.client_url, request)
    assert answer.status == 200, answer.body
    part = answer.body
    if answered == "getWsdlResponse":
        part = mime_parts(answer)[0].get_payload(decode=True)
    envelope = etree.fromstring(part)
    assert_echoes(envelope, request)
    assert etree.QName(body_element(envelope)).localname == answered


# -------------------------------------------------------------------------- getWsdl


def mime_parts(answer: Answer) -> list[Any]:
    """The parts of a multipart answer, read by the standard library's MIME parser."""
    head = f"Content-Type: {answer.headers['Content-Type']}\r\n\r\n".encode()
    message = email.message_from_bytes(head + answer.body, policy=email.policy.HTTP)
    assert message.get_content_type() == "multipart/related"
    return list(message.iter_parts())


async def test_get_wsdl_returns_the_wsdl_as_an_attachment(soap_fed: SoapHarness):
    request = adapted_vector(f"{META}/C6-getWsdl-request.xml", replace=C6_SERVICE)
    async with soap_fed.start() as (de, _ee):
        answer = await post(soap_fed, de.client_url, request)
    assert answer.status == 200, answer.body
    assert answer.headers["Content-Type"].startswith("multipart/related")
    soap, attachment = mime_parts(answer)
    # C7: the header echoed in C6's own order (protocolVersion first), and the body.
    assert soap.get_content_type() == "text/xml"
    envelope = etree.fromstring(soap.get_payload(decode=True))
    assert_echoes(envelope, request)
    response = body_element(envelope)
    metaservice_schema().assertValid(response)
    spec = body_element(etree.fromstring(shared(f"{META}/C7-getWsdl-response.xml").read_bytes()))
    assert [(etree.QName(c).localname) for c in response] == [
        etree.QName(c).localname for c in spec
    ]
    assert response.findtext(f"{{{NS_XROAD}}}serviceCode") == "exampleService"
    assert response.findtext(f"{{{NS_XROAD}}}serviceVersion") == "v1"
    # C8: the WSDL, its endpoint replaced as PR-META 4 requires, otherwise as configured.
    assert attachment.get_content_type() == "text/xml"
    assert re.fullmatch(r"<wsdl=[0-9a-f-]{36}@x-road\.eu>", attachment["Content-ID"])
    assert attachment["Content-Transfer-Encoding"] == "binary"
    wsdl = attachment.get_payload(decode=True)
    locations = [
        a.get("location") for a in etree.fromstring(wsdl).iter(f"{{{NS_WSDL_SOAP}}}address")
    ]
    assert locations == [HIDDEN_ENDPOINT]
    expected = published_wsdl(shared(ANNEX_C).read_bytes())
    assert etree.tostring(etree.fromstring(wsdl), method="c14n") == etree.tostring(
        etree.fromstring(expected), method="c14n"
    )


@pytest.mark.parametrize(
    ("service_code", "fault"),
    [
        ("otherService", "Server.ServerProxy.AccessDenied"),  # not granted (and no WSDL)
        ("nonexistent", "Client.UnknownService"),
        ("ettevotted", "Client.ServiceType"),  # a REST service
        ("noWsdlService", "Client.UnknownService"),  # granted, but no WSDL configured
        ("", "Client.InvalidRequest"),
    ],
)
async def test_get_wsdl_refusals_are_x_road_faults(
    soap_fed: SoapHarness, backend: SoapBackend, service_code: str, fault: str
):
    soap_fed.add_soap_service("noWsdlService")
    request = adapted_vector(
        f"{META}/C6-getWsdl-request.xml",
        replace={b">getRandom<": f">{service_code}<".encode()},
    )
    async with soap_fed.start() as (de, _ee):
        answer = await post(soap_fed, de.client_url, request)
    assert answer.status == 500
    assert answer.headers["Content-Type"].startswith("text/xml")
    assert fault_code(answer.body) == fault, answer.body
    assert backend.seen == []


async def test_get_open_api_is_no_soap_metaservice(soap_fed: SoapHarness):
    request = adapted_vector(
        f"{META}/C2-listMethods-request.xml",
        replace={b"listMethods": b"getOpenAPI"},
    )
    async with soap_fed.start() as (de, _ee):
        answer = await post(soap_fed, de.client_url, request)
    assert answer.status == 500
    assert fault_code(answer.body) == "Client.UnknownService"


async def test_a_service_without_a_subsystem_is_unknown(soap_fed: SoapHarness):
    """getWsdl.query asks a member itself; every service xgw knows lives in a subsystem."""
    request = adapted_vector(f"{META_QUERIES}/getWsdl.query", provider=None)
    async with soap_fed.start() as (de, _ee):
        answer = await post(soap_fed, de.client_url, request)
    assert answer.status == 500
    assert fault_code(answer.body) == "Client.UnknownService"
    assert b"names no subsystem" in answer.body


async def test_the_provider_refuses_a_soap_header_other_than_the_signed_request(
    soap_fed: SoapHarness,
):
    """A gateway that signs one client and sends another in the SOAP header is refused."""
    message = adapted_vector(f"{META}/C2-listMethods-request.xml", client=f"{DE}/someone-else")
    de_member = soap_fed.members["DE"]
    hop = signed_hop(
        "POST",
        f"/r1/{PROVIDER}/listMethods",
        client=CLIENT,
        signing=de_member.signing,
        body=message,
        extra_headers=[("Content-Type", "text/xml; charset=utf-8")],
    )
    async with soap_fed.start() as (_de, ee), soap_fed.peer_session(de_member.tls) as http:
        answer = await send_hop(http, ee.peer_url, hop)
    assert answer.headers.get("X-Road-Error") == "Client.InconsistentHeaders", answer.body
