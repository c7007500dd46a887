"""WSDL served as a security server serves it, and zeep building its calls from it.

``GET /wsdl?...`` on DE's client port makes DE's gateway ask EE's with the SOAP
``getWsdl`` metaservice over the signed hop; EE answers from its configured WSDL
file (PR-MESS annex C, read from ../shared by the test only); DE points every
``soap:address`` at its own client port. zeep then calls ``exampleService``
through both gateways to a real SOAP backend on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from lxml import etree

from gateway.errors import ConfigError
from gateway.node import load_credentials
from gateway.pki import CertificateAuthority
from gateway.xroad_soap.wsdl import HIDDEN_ENDPOINT, published_wsdl, with_endpoint
from tests.integration.federation import DE, HOST, backend_seen, call, closed_port_url
from tests.integration.soap_support import (
    ANNEX_C,
    CLIENT,
    NS_ID,
    NS_SOAP,
    NS_WSDL_SOAP,
    NS_XROAD,
    PROVIDER,
    SoapBackend,
    SoapHarness,
    adapted_vector,
    shared,
    soap_backend,
    wsdl_url,
    xroad_headers,
    zeep_client,
)

SERVICE = f"{PROVIDER}/exampleService"
E1 = "xroad/soap/pr-mess-examples/E1-request.xml"
FAULT_CODE = ".//faultcode"


@pytest.fixture
async def backend() -> AsyncIterator[SoapBackend]:
    async with soap_backend() as running:
        yield running


@pytest.fixture
def soap_fed(tmp_path: Path, ca: CertificateAuthority, backend: SoapBackend) -> SoapHarness:
    harness = SoapHarness(tmp_path, ca, backend.url)
    harness.add_soap_service("exampleService", wsdl=shared(ANNEX_C))
    return harness


def addresses(wsdl: bytes) -> list[str]:
    root = etree.fromstring(wsdl)
    return [a.get("location", "") for a in root.iter(f"{{{NS_WSDL_SOAP}}}address")]


def fault_code(body: bytes) -> str:
    root = etree.fromstring(body)
    assert root.tag == f"{{{NS_SOAP}}}Envelope", body[:300]
    return root.findtext(FAULT_CODE) or ""


async def get_wsdl(fed: SoapHarness, url: str, **headers: str) -> tuple[int, str, bytes]:
    async with fed.client("DE") as http:
        answer = await call(http, "GET", url, headers=headers)
    return answer.status, answer.headers.get("Content-Type", ""), answer.body


# ------------------------------------------------------------------------------ zeep


def _zeep_call(fed: SoapHarness, wsdl: str, message_id: str) -> tuple[Any, list[str]]:
    """Build the client from the served WSDL and call exampleService (in a worker thread)."""
    with fed.requests_session("DE") as session:
        client, transport = zeep_client(wsdl, session)
        result = client.service.exampleService(
            exampleInput="Põhjaranniku Puit OÜ",
            _soapheaders=xroad_headers(SERVICE, message_id=message_id),
        )
    return result, transport.loaded


async def test_zeep_builds_its_client_from_the_served_wsdl_and_calls_through_both_gateways(
    soap_fed: SoapHarness, backend: SoapBackend
):
    message_id = "4894e35d-bf0f-44a6-867a-8e51f1daa7e0"
    async with soap_fed.start() as (de, _ee):
        result, loaded = await asyncio.to_thread(
            _zeep_call, soap_fed, wsdl_url(de.client_url, version="v1"), message_id
        )
    # The answer, parsed by zeep from the backend's reply through EE and DE.
    assert result.body.exampleOutput == "Tere, Põhjaranniku Puit OÜ!"
    assert result.header.id == message_id
    assert result.header.client.subsystemCode == "gewerbeamt"
    assert result.header.service.serviceCode == "exampleService"
    # zeep fetched the WSDL from DE's client port, nothing else but the public schemas.
    assert loaded[0].startswith(f"{de.client_url}/wsdl?")
    # The backend got one SOAP message, with the X-Road headers zeep set from the WSDL.
    (request,) = backend.seen
    header = etree.fromstring(request).find(f"{{{NS_SOAP}}}Header")
    assert header is not None
    assert [etree.QName(e).localname for e in header] == [
        "client",
        "service",
        "id",
        "userId",
        "issue",
        "protocolVersion",
    ]
    assert header.findtext(f"{{{NS_XROAD}}}client/{{{NS_ID}}}memberCode") == DE.split("/")[2]


async def test_served_wsdl_points_every_soap_address_at_the_client_port(soap_fed: SoapHarness):
    original = shared(ANNEX_C).read_bytes()
    async with soap_fed.start() as (de, _ee):
        status, content_type, served = await get_wsdl(soap_fed, wsdl_url(de.client_url))
    assert status == 200, served[:500]
    assert content_type.startswith("text/xml")
    assert addresses(original) == ["http://foo.bar.baz"]
    assert addresses(served) == [f"{de.client_url}/"]
    # Nothing but the addresses changed: the same document, canonically.
    expected = with_endpoint(original, f"{de.client_url}/")
    assert etree.tostring(etree.fromstring(served), method="c14n") == etree.tostring(
        etree.fromstring(expected), method="c14n"
    )


async def test_the_backend_address_never_leaves_the_provider(soap_fed: SoapHarness):
    """EE publishes the WSDL with PR-META's placeholder address; DE puts its own in."""
    async with soap_fed.start() as (de, _ee):
        _status, _type, served = await get_wsdl(soap_fed, wsdl_url(de.client_url))
    assert b"foo.bar.baz" not in served
    assert addresses(published_wsdl(shared(ANNEX_C).read_bytes())) == [HIDDEN_ENDPOINT]


def test_addresses_of_soap_11_and_12_bindings_are_rewritten_and_nothing_else():
    wsdl = b"""<?xml version="1.0" encoding="UTF-8"?>
<!-- a comment stays -->
<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/"
    xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"
    xmlns:soap12="http://schemas.xmlsoap.org/wsdl/soap12/" targetNamespace="urn:t">
  <wsdl:service name="s">
    <wsdl:port name="p11" binding="b11"><soap:address location="http://10.0.0.7/a"/></wsdl:port>
    <wsdl:port name="p12" binding="b12"><soap12:address location="http://10.0.0.7/b"/></wsdl:port>
    <wsdl:documentation>http://10.0.0.7/a</wsdl:documentation>
  </wsdl:service>
</wsdl:definitions>"""
    out = with_endpoint(wsdl, "https://xgw.example:8443/")
    assert out.count(b'location="https://xgw.example:8443/"') == 2
    assert b"<!-- a comment stays -->" in out
    assert b"<wsdl:documentation>http://10.0.0.7/a</wsdl:documentation>" in out


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        (b"<definitions/>", "not a WSDL 1.1 document"),
        (b"<wsdl:definitions xmlns:wsdl='http://schemas.xmlsoap.org/wsdl/'>", "not well-formed"),
        (
            b"<!DOCTYPE d [<!ENTITY e 'x'>]><wsdl:definitions "
            b"xmlns:wsdl='http://schemas.xmlsoap.org/wsdl/'>&e;</wsdl:definitions>",
            "document type declaration",
        ),
    ],
)
def test_a_file_that_is_no_wsdl_is_refused(document: bytes, problem: str):
    with pytest.raises(ValueError, match=problem):
        published_wsdl(document)


# ------------------------------------------------------------------------------ refusals


async def test_wsdl_of_a_service_without_a_configured_wsdl_is_unknown(
    soap_fed: SoapHarness, backend: SoapBackend
):
    soap_fed.add_soap_service("noWsdlService")
    async with soap_fed.start() as (de, _ee):
        status, content_type, body = await get_wsdl(
            soap_fed, wsdl_url(de.client_url, "noWsdlService")
        )
    assert status == 500
    assert content_type.startswith("text/xml")
    assert fault_code(body) == "Client.UnknownService"
    assert b"no WSDL is configured" in body
    assert backend.seen == []


async def test_wsdl_of_a_service_not_in_the_directory_is_unknown(soap_fed: SoapHarness):
    async with soap_fed.start() as (de, _ee):
        status, _type, body = await get_wsdl(soap_fed, wsdl_url(de.client_url, "nonexistent"))
    assert status == 500
    assert fault_code(body) == "Client.UnknownService"


async def test_wsdl_of_a_service_the_client_may_not_call_is_refused(soap_fed: SoapHarness):
    soap_fed.add_soap_service("secretService", wsdl=shared(ANNEX_C), granted=False)
    async with soap_fed.start() as (de, _ee):
        status, _type, body = await get_wsdl(soap_fed, wsdl_url(de.client_url, "secretService"))
    assert status == 500
    assert fault_code(body) == "Server.ServerProxy.AccessDenied"
    assert b"foo.bar.baz" not in body and b"definitions" not in body


async def test_wsdl_of_a_rest_service_is_the_wrong_service_type(soap_fed: SoapHarness):
    async with soap_fed.start() as (de, _ee):
        status, _type, body = await get_wsdl(soap_fed, wsdl_url(de.client_url, "ettevotted"))
    assert status == 500
    assert fault_code(body) == "Client.ServiceType"


@pytest.mark.parametrize(
    ("query", "missing"),
    [
        ("memberClass=GOV&memberCode=70000310&subsystemCode=ariregister&serviceCode=x", "xRoad"),
        ("xRoadInstance=EE&memberClass=GOV&memberCode=70000310&subsystemCode=ariregister", "servi"),
        ("xRoadInstance=EE&memberClass=GOV&memberCode=70000310&serviceCode=x", "subsystemCode"),
        (
            "xRoadInstance=EE&memberClass=G%20V&memberCode=1&subsystemCode=a&serviceCode=x",
            "invalid",
        ),
        (
            "xRoadInstance=EE&xRoadInstance=FI&memberClass=GOV&memberCode=1&subsystemCode=a"
            "&serviceCode=x",
            "2 times",
        ),
    ],
)
async def test_a_wsdl_query_without_a_whole_service_id_is_an_invalid_request(
    soap_fed: SoapHarness, query: str, missing: str
):
    async with soap_fed.start() as (de, _ee):
        status, _type, body = await get_wsdl(soap_fed, f"{de.client_url}/wsdl?{query}")
    assert status == 500
    assert fault_code(body) == "Client.InvalidRequest"
    assert missing.encode() in body


async def test_wsdl_asked_for_as_another_subsystem_is_refused(soap_fed: SoapHarness):
    async with soap_fed.start() as (de, _ee):
        status, _type, body = await get_wsdl(
            soap_fed, wsdl_url(de.client_url), **{"X-Road-Client": f"{DE}/someone-else"}
        )
    assert status == 500
    assert fault_code(body) == "Client.InvalidClientIdentifier"


async def test_wsdl_asked_for_in_the_clients_own_name_is_served(soap_fed: SoapHarness):
    async with soap_fed.start() as (de, _ee):
        status, _type, body = await get_wsdl(
            soap_fed, wsdl_url(de.client_url), **{"X-Road-Client": CLIENT}
        )
    assert status == 200, body[:300]


async def test_a_rest_get_of_get_wsdl_is_no_service(soap_fed: SoapHarness):
    async with soap_fed.start() as (de, _ee), soap_fed.client("DE") as http:
        answer = await call(
            http,
            "GET",
            f"{de.client_url}/r1/{PROVIDER}/getWsdl?serviceCode=exampleService",
            headers={"X-Road-Client": CLIENT},
        )
    assert answer.headers["X-Road-Error"] == "Client.UnknownService", answer.body


# ------------------------------------------------------------------- HTTP-proxy mode


def _zeep_through_proxy(fed: SoapHarness, proxy: str, wsdl: str) -> tuple[Any, list[str]]:
    """zeep with xgw as its HTTP proxy: every request goes to xgw in absolute form."""
    with fed.proxied_session(proxy) as session:
        client, transport = zeep_client(wsdl, session)
        result = client.service.exampleService(
            exampleInput="Läänemere", _soapheaders=xroad_headers(SERVICE)
        )
    return result, transport.loaded


@pytest.mark.parametrize("client_tls", [True, False], ids=["tls-proxy", "plain-loopback"])
async def test_zeep_with_xgw_as_its_http_proxy(
    soap_fed: SoapHarness, backend: SoapBackend, client_tls: bool
):
    if not client_tls:
        soap_fed.plain_loopback("DE")
    # The address the client library believes it talks to: nothing listens there, so
    # only a proxy that routes by the SOAP headers (not the URL) can answer.
    security_server = closed_port_url()
    async with soap_fed.start() as (de, _ee):
        assert de.client_url.startswith("https://" if client_tls else f"http://{HOST}:")
        result, loaded = await asyncio.to_thread(
            _zeep_through_proxy, soap_fed, de.client_url, wsdl_url(security_server, version="v1")
        )
    assert result.body.exampleOutput == "Tere, Läänemere!"
    assert loaded[0].startswith(f"{security_server}/wsdl?")
    assert len(backend.seen) == 1


async def test_served_wsdl_in_proxy_mode_points_at_the_address_asked_for(
    soap_fed: SoapHarness,
):
    soap_fed.plain_loopback("DE")
    security_server = closed_port_url()
    async with soap_fed.start() as (de, _ee), aiohttp.ClientSession() as http:
        async with http.get(wsdl_url(security_server), proxy=de.client_url) as resp:
            served = await resp.read()
    assert resp.status == 200, served[:300]
    assert addresses(served) == [f"{security_server}/"]


async def test_a_soap_message_to_any_path_is_routed_by_its_headers(
    soap_fed: SoapHarness, backend: SoapBackend
):
    request = adapted_vector(E1)  # PR-MESS annex E1, the example request
    async with soap_fed.start() as (de, _ee), soap_fed.client("DE") as http:
        answer = await call(
            http,
            "POST",
            f"{de.client_url}/cgi-bin/consumer_proxy?x=1",
            data=request,
            headers={"Content-Type": "text/xml; charset=utf-8"},
        )
    assert answer.status == 200, answer.body
    assert backend.seen == [request]
    assert b"<exampleOutput>Tere, foo!</exampleOutput>" in answer.body


async def test_connect_never_opens_a_tunnel(soap_fed: SoapHarness, backend_url: str):
    soap_fed.plain_loopback("DE")
    target = backend_url.removeprefix("http://")
    async with soap_fed.start() as (de, _ee):
        host, port = de.client_url.removeprefix("http://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n".encode())
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), 5)
        writer.write(b"GET /_seen HTTP/1.1\r\nHost: x\r\n\r\n")  # as if through a tunnel
        await writer.drain()
        rest = await asyncio.wait_for(reader.read(2000), 5)
        writer.close()
    assert status_line.split()[1] in (b"400", b"404", b"405"), status_line
    assert b"[]" not in rest  # the backend's /_seen never answered
    assert await backend_seen(backend_url) == []


@pytest.mark.parametrize("host", ['evil"><x', "a b", "host:notaport"])
async def test_a_host_header_naming_no_host_gives_the_listening_address(
    soap_fed: SoapHarness, host: str
):
    async with soap_fed.start() as (de, _ee):
        status, _type, served = await get_wsdl(soap_fed, wsdl_url(de.client_url), Host=host)
    assert status == 200, served[:300]
    assert addresses(served) == [f"{de.client_url}/"]


async def test_the_address_is_the_host_the_client_used(soap_fed: SoapHarness):
    async with soap_fed.start() as (de, _ee):
        port = de.client_url.rsplit(":", 1)[1]
        _status, _type, served = await get_wsdl(
            soap_fed, wsdl_url(de.client_url), Host=f"localhost:{port}"
        )
    assert addresses(served) == [f"https://localhost:{port}/"]


@pytest.mark.parametrize(
    ("content", "problem"),
    [(None, "cannot read"), (b"<definitions/>", "is not a usable WSDL: not a WSDL 1.1")],
)
def test_a_configured_wsdl_that_is_unusable_stops_the_start(
    soap_fed: SoapHarness, tmp_path: Path, content: bytes | None, problem: str
):
    bad = tmp_path / "broken.wsdl"
    if content is not None:
        bad.write_bytes(content)
    soap_fed.add_soap_service("brokenService", wsdl=bad)
    with pytest.raises(ConfigError, match=problem) as raised:
        load_credentials(soap_fed.settings("EE"))
    assert raised.value.key == "services[2].wsdl"
