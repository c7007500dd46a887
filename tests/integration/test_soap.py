"""X-Road SOAP 4.0 through two gateways (issue 4, first part): an X-Road client system POSTs a
SOAP message to its own gateway; the answer comes back with the request's headers echoed."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from lxml import etree

from gateway.app import bind
from gateway.xroad_soap import request_hash
from tests.integration.federation import DE, EE, Harness, backend_seen, call

XRD = "http://x-road.eu/xsd/xroad.xsd"
SOAP_SERVICE = f"{EE}/ariregister/exampleService"


def soap_request(client: str, service_code: str = "exampleService") -> bytes:
    instance, member_class, member, subsystem = client.split("/")
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"
    xmlns:ns1="http://producer.x-road.eu" xmlns:xrd="{XRD}"
    xmlns:id="http://x-road.eu/xsd/identifiers">
  <SOAP-ENV:Header>
    <xrd:client id:objectType="SUBSYSTEM">
      <id:xRoadInstance>{instance}</id:xRoadInstance><id:memberClass>{member_class}</id:memberClass>
      <id:memberCode>{member}</id:memberCode><id:subsystemCode>{subsystem}</id:subsystemCode>
    </xrd:client>
    <xrd:service id:objectType="SERVICE">
      <id:xRoadInstance>EE</id:xRoadInstance><id:memberClass>GOV</id:memberClass>
      <id:memberCode>70000310</id:memberCode><id:subsystemCode>ariregister</id:subsystemCode>
      <id:serviceCode>{service_code}</id:serviceCode>
    </xrd:service>
    <xrd:id>4894e35d-bf0f-44a6-867a-8e51f1daa7e0</xrd:id>
    <xrd:userId>EE12345678901</xrd:userId>
    <xrd:protocolVersion>4.0</xrd:protocolVersion>
  </SOAP-ENV:Header>
  <SOAP-ENV:Body><ns1:{service_code}><exampleInput>Põhjaranniku</exampleInput></ns1:{service_code}></SOAP-ENV:Body>
</SOAP-ENV:Envelope>""".encode()


ANSWER = b"""<?xml version="1.0" encoding="UTF-8"?>
<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"
    xmlns:ns1="http://producer.x-road.eu">
  <SOAP-ENV:Header/>
  <SOAP-ENV:Body><ns1:exampleServiceResponse><exampleOutput>bar</exampleOutput></ns1:exampleServiceResponse></SOAP-ENV:Body>
</SOAP-ENV:Envelope>"""


@pytest.fixture
async def soap_backend() -> AsyncIterator[tuple[str, list[bytes]]]:
    seen: list[bytes] = []

    async def service(request: web.Request) -> web.Response:
        seen.append(await request.read())
        return web.Response(body=ANSWER, headers={"Content-Type": "text/xml; charset=utf-8"})

    app = web.Application()
    app.router.add_post("/", service)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
    await runner.setup()
    sock = bind("127.0.0.1", 0)
    await web.SockSite(runner, sock).start()
    yield f"http://127.0.0.1:{sock.getsockname()[1]}", seen
    await runner.cleanup()


def _with_soap_service(fed: Harness, backend: str, granted: bool = True) -> None:
    fed.backend_url = backend
    fed.members["EE"].services.append(
        {"subsystem": "ariregister", "code": "exampleService", "type": "SOAP", "format": "opaque"}
    )
    if granted:
        fed.access.append({"client": f"{DE}/gewerbeamt", "service": SOAP_SERVICE})


async def test_a_soap_call_crosses_and_the_answer_echoes_the_request_headers(
    fed: Harness, soap_backend
):
    backend, seen = soap_backend
    _with_soap_service(fed, backend)
    request = soap_request(fed.client_id("DE"))
    async with fed.start() as (de, _ee), fed.client("DE") as http:
        answer = await call(
            http,
            "POST",
            f"{de.client_url}/",
            data=request,
            headers={"Content-Type": "text/xml; charset=utf-8"},
        )
    assert answer.status == 200, answer.body
    assert seen == [request]  # the message itself, unchanged
    root = etree.fromstring(answer.body)
    header = root.find("{http://schemas.xmlsoap.org/soap/envelope/}Header")
    assert header is not None
    names = [etree.QName(e).localname for e in header]
    assert names[:4] == ["client", "service", "id", "userId"]  # the request's order
    echoed_hash = header.findtext(f"{{{XRD}}}requestHash")
    assert echoed_hash is not None and echoed_hash.strip() == request_hash(request)
    assert b"<exampleOutput>bar</exampleOutput>" in answer.body


async def test_a_malformed_soap_message_is_a_fault_and_never_reaches_the_backend(
    fed: Harness, soap_backend
):
    backend, seen = soap_backend
    _with_soap_service(fed, backend)
    broken = soap_request(fed.client_id("DE")).replace(
        b"<xrd:protocolVersion>4.0", b"<xrd:protocolVersion>3.1"
    )
    async with fed.start() as (de, _ee), fed.client("DE") as http:
        answer = await call(
            http, "POST", f"{de.client_url}/", data=broken, headers={"Content-Type": "text/xml"}
        )
    assert answer.status == 500
    assert b"<faultcode>Client.InvalidProtocolVersion</faultcode>" in answer.body
    assert seen == []


async def test_a_refusal_by_access_rights_is_a_soap_fault(fed: Harness, soap_backend):
    backend, seen = soap_backend
    _with_soap_service(fed, backend, granted=False)
    async with fed.start() as (de, _ee), fed.client("DE") as http:
        answer = await call(
            http,
            "POST",
            f"{de.client_url}/",
            data=soap_request(fed.client_id("DE")),
            headers={"Content-Type": "text/xml"},
        )
    assert answer.status == 500
    assert b"<faultcode>Server.ClientProxy.AccessDenied</faultcode>" in answer.body
    assert seen == []


async def test_a_client_may_not_claim_another_subsystem_in_the_soap_header(
    fed: Harness, soap_backend, backend_url: str
):
    backend, seen = soap_backend
    _with_soap_service(fed, backend)
    async with fed.start() as (de, _ee), fed.client("DE") as http:
        answer = await call(
            http,
            "POST",
            f"{de.client_url}/",
            data=soap_request(f"{DE}/someone-else"),
            headers={"Content-Type": "text/xml"},
        )
    assert answer.status == 500
    assert b"<faultcode>Client.InvalidClientIdentifier</faultcode>" in answer.body
    assert seen == []
    assert await backend_seen(backend_url) == []


@pytest.mark.parametrize("impersonated", [False, True])
async def test_an_envelope_posted_through_x_road_rest_must_name_its_own_client(
    fed: Harness, soap_backend, impersonated: bool
):
    """X-Road REST to a SOAP service carries the envelope as it is: a producer trusts its header,
    so the provider's gateway refuses one that names another client than the signed hop."""
    backend, seen = soap_backend
    _with_soap_service(fed, backend)
    named = f"{DE}/someone-else" if impersonated else fed.client_id("DE")
    async with fed.start() as (de, _ee), fed.client("DE") as http:
        answer = await call(
            http,
            "POST",
            f"{de.client_url}/r1/{SOAP_SERVICE}",
            headers={"X-Road-Client": fed.client_id("DE"), "Content-Type": "text/xml"},
            data=soap_request(named),
        )
    if impersonated:
        assert answer.headers.get("X-Road-Error") == "Client.InconsistentHeaders", answer.body
        assert seen == []
    else:
        assert answer.status == 200, answer.body
        assert len(seen) == 1
