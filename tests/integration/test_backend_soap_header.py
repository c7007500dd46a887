"""A SOAP backend behind the provider's gateway gets its SOAP header as its protocol has it:
an X-Road producer (ee.ariregister) the X-Road header fields a security server would hand it,
MAGDA's native envelope (be.magda) none (issue 4, item 1, at the provider's edge)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import orjson
import pytest
from aiohttp import web
from lxml import etree

from gateway.identifiers import ClientId, ServiceId
from gateway.xroad_soap import parse_request
from tests.connectors.be.magda_support import element_paths
from tests.connectors.ee.samples import ARIREGISTER, schema_valid_detailandmed
from tests.integration.federation import EE, Answer, Harness, call, serve_app
from tests.integration.partner_support import (
    ARIREGISTER_CODEC,
    CANONICAL,
    MAGDA_CODEC,
    MAGDA_EXAMPLES,
    MAGDA_TEMPLATES,
    audit_records,
    canonical,
    soap_envelope,
)

XRD = "http://x-road.eu/xsd/xroad.xsd"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
COMPANY_QUERY = {"identifiers": [{"notation": "99000001", "scheme": "ee.registrikood"}]}
ENTERPRISE_QUERY = {
    "identifiers": [{"notation": "0202.239.951", "scheme": "be.enterprise"}],
    "period": {"start": "2025-01-01", "end": "2026"},
    "language": "nl",
    "purpose": "Gewerbeanzeige",
}
MAGDA_ADDRESS = "/GeefOnderneming-02.00/soap/WebService"


@dataclass
class SoapBackend:
    """What a SOAP backend behind EE's gateway received: (headers, body) per request."""

    answer: bytes
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)

    def app(self, path: str) -> web.Application:
        async def handle(request: web.Request) -> web.Response:
            self.received.append((dict(request.headers), await request.read()))
            return web.Response(body=self.answer, content_type="text/xml", charset="utf-8")

        app = web.Application()
        app.router.add_post(path, handle)
        return app


def _soap_service(fed: Harness, code: str, fmt: str, version: str | None) -> str:
    """EE's one service becomes the SOAP service ``code`` of format ``fmt``; DE may call it."""
    service: dict[str, Any] = {"subsystem": "arireg", "code": code, "type": "SOAP", "format": fmt}
    if version is not None:
        service["version"] = version
    fed.members["EE"].services = [service]
    fed.members["EE"].settings_overrides["translation"] = {"lenient_identifiers": True}
    service_id = f"{EE}/arireg/{code}"
    fed.access = [{"client": fed.client_id("DE"), "service": service_id}]
    return service_id


@pytest.fixture
async def ariregister() -> AsyncIterator[tuple[SoapBackend, str]]:
    sample = (ARIREGISTER / "examples" / "detailandmed_v2_response.xml").read_bytes()
    backend = SoapBackend(soap_envelope(schema_valid_detailandmed(sample)))
    async with serve_app(backend.app("/arireg")) as url:
        yield backend, url + "/arireg"


@pytest.fixture
async def magda() -> AsyncIterator[tuple[SoapBackend, str]]:
    backend = SoapBackend(soap_envelope(MAGDA_EXAMPLES["GeefOnderneming"].read_bytes()))
    async with serve_app(backend.app(MAGDA_ADDRESS)) as url:
        yield backend, url + MAGDA_ADDRESS


async def _ask(
    fed: Harness, service: str, kind: str, document: dict[str, Any], *headers: tuple[str, str]
) -> Answer:
    async with fed.start() as (de, _ee), fed.client("DE") as http:
        return await call(
            http,
            "POST",
            f"{de.client_url}/r1/{service}",
            headers=[
                ("X-Road-Client", fed.client_id("DE")),
                ("Content-Type", CANONICAL),
                *headers,
            ],
            data=canonical(kind, document),
        )


def _canonical_answer(answer: Answer, kind: str) -> dict[str, Any]:
    assert answer.status == 200, (answer.status, answer.body[:600])
    assert answer.headers["Content-Type"].startswith(CANONICAL)
    message: dict[str, Any] = orjson.loads(answer.body)
    assert message["kind"] == kind
    return message


async def test_an_x_road_producer_gets_the_x_road_header_fields(fed: Harness, ariregister):
    backend, url = ariregister
    fed.backend_url = url
    service = _soap_service(fed, "detailandmed_v2", "ee.ariregister", "v1")
    answer = await _ask(
        fed,
        service,
        "LegalEntityQuery",
        COMPANY_QUERY,
        ("X-Road-Id", "de-exchange-4711"),
        ("X-Road-UserId", "DE-sachbearbeiterin-17"),
        ("X-Road-Issue", "Gewerbeanmeldung 2026/0815"),
    )
    _canonical_answer(answer, "LegalEntity")
    [(headers, body)] = backend.received
    # The producer reads it as a security server hands it over: PR-MESS's checks pass.
    message = parse_request(body, headers["Content-Type"])
    fields = message.headers
    assert fields.client == ClientId.parse(fed.client_id("DE"))
    assert fields.service == ServiceId.parse(service)
    assert fields.service_version == "v1"  # the directory's version of the service
    assert (fields.id, fields.user_id, fields.issue) == (
        "de-exchange-4711",
        "DE-sachbearbeiterin-17",
        "Gewerbeanmeldung 2026/0815",
    )
    assert fields.protocol_version == "4.0"
    header = etree.fromstring(message.envelope).find(f"{{{SOAP_ENV}}}Header")
    assert header is not None
    assert [etree.QName(e).localname for e in header] == [
        "client", "service", "id", "userId", "issue", "protocolVersion"]  # fmt: skip
    assert headers["SOAPAction"] == '""'  # SOAP 1.1 asks for one
    assert not any(name.lower() == "x-xgw-signature" for name in headers)
    # The body is the register's own question, valid against its official XSD.
    query = await ARIREGISTER_CODEC.decode(message.envelope, "text/xml")
    assert query.kind == "LegalEntityQuery"
    assert query.document is not None
    assert query.document["identifiers"] == COMPANY_QUERY["identifiers"]


async def test_without_a_user_id_the_header_has_none(fed: Harness, ariregister):
    backend, url = ariregister
    fed.backend_url = url
    service = _soap_service(fed, "detailandmed_v2", "ee.ariregister", "v1")
    answer = await _ask(fed, service, "LegalEntityQuery", COMPANY_QUERY)
    _canonical_answer(answer, "LegalEntity")
    [(headers, body)] = backend.received
    fields = parse_request(body, headers["Content-Type"]).headers
    assert fields.user_id is None and fields.issue is None
    assert fields.id == answer.headers["X-Road-Id"]  # the exchange's own id


async def test_magdas_native_envelope_gets_no_x_road_header_fields(fed: Harness, magda):
    backend, url = magda
    fed.backend_url = url
    service = _soap_service(fed, "GeefOnderneming", "be.magda", None)
    answer = await _ask(
        fed,
        service,
        "LegalEntityQuery",
        ENTERPRISE_QUERY,
        ("X-Road-UserId", "DE-sachbearbeiterin-17"),
    )
    message = _canonical_answer(answer, "LegalEntity")
    assert message["document"]["identifiers"][0]["scheme"] == "be.enterprise"
    [(headers, body)] = backend.received
    sent = etree.fromstring(body)
    assert not [e for e in sent.iter(etree.Element) if etree.QName(e).namespace == XRD]
    header = sent.find(f"{{{SOAP_ENV}}}Header")
    assert header is not None and len(header) == 0  # the connector's empty Header, as it was
    # MAGDA's own request, in the shape of its published template.
    template = etree.parse(str(MAGDA_TEMPLATES["GeefOnderneming"])).getroot()
    assert element_paths(sent) == element_paths(template)
    assert (await MAGDA_CODEC.decode(body, "text/xml")).kind == "LegalEntityQuery"
    assert headers["SOAPAction"] == '""'
    assert records_name_the_exchange(fed, answer.headers["X-Road-Id"])


def records_name_the_exchange(fed: Harness, exchange_id: str) -> bool:
    return all(r["exchange_id"] == exchange_id for r in audit_records(fed, "EE"))
