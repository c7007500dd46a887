"""Partners without xgw for the integration tests: an Estonian X-Road security server and the
Flemish MAGDA services, on 127.0.0.1 over TLS, with their directory entries.

Usage::

    partners = Partners(fed)
    async with partners.serve_xroad(estonian_security_server()), partners.serve_magda(magda):
        async with fed.start(edit=partners.directory_edit()) as (de, _ee), fed.client("DE") as http:
            answer = await ask(http, fed, de.client_url, DETAILANDMED, "LegalEntityQuery", query)

The partners' server certificates come from their own CA, not the federation's: the
directory pins them. Their servers ask for a TLS client certificate from the federation CA
(a gateway's own TLS certificate) and record what arrived (``RECEIVED``). The answers are
the partners' published samples in ../shared, made schema-valid where the sample is not.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import ssl
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import orjson
from aiohttp import web
from aiohttp.typedefs import Middleware
from cryptography import x509

from connectors.base import ConnectorOptions
from connectors.be.magda import MagdaConnector
from connectors.ee.ariregister import AriregisterConnector
from connectors.ee.rahvastikuregister import RahvastikuregisterConnector
from gateway._crypto import certificate_to_pem
from gateway.demo.xroad_partner import (
    ReceivedRequest,
    RestCall,
    ServiceAnswer,
    xroad_partner_app,
)
from gateway.pki import CertificateAuthority, Issued, Usage
from gateway.xroad_soap import SoapRequest
from tests.connectors.ee.samples import ARIREGISTER, RR_EXAMPLES, SHARED, schema_valid_detailandmed
from tests.integration.federation import DE, HOST, Answer, DirectoryEdit, Harness, call, serve_app

CANONICAL = "application/vnd.xgw.canonical+json"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
CLIENT = f"{DE}/gewerbeamt"

# Estonia's X-Road development instance, through one security server.
RIK = "ee-dev/GOV/70000310"  # Registrite ja Infosüsteemide Keskus: the Business Register
RR = "ee-dev/GOV/70008440"  # the Population Register
DETAILANDMED = f"{RIK}/arireg/detailandmed_v2"  # SOAP, serviceVersion v1
ISIKUD = f"{RR}/rr/domesticDataExchange"  # REST, POST /v1/isikud
# Flanders: MAGDA, called natively, one endpoint per service.
MAGDA = "BE/GOV/0316380841"  # Digitaal Vlaanderen
GEEF_PERSOON = f"{MAGDA}/magda/GeefPersoon"
GEEF_ONDERNEMING = f"{MAGDA}/magda/GeefOnderneming"
MAGDA_ADDRESSES = {
    "GeefPersoon": "/GeefPersoon-02.02/soap/WebService",
    "GeefOnderneming": "/GeefOnderneming-02.00/soap/WebService",
}

MAGDA_DIR = SHARED / "partners" / "belgium" / "magda"
MAGDA_EXAMPLES = {
    "GeefPersoon": MAGDA_DIR / "examples" / "Persoon_GeefPersoon_02.02.0000_00600099536.xml",
    "GeefOnderneming": MAGDA_DIR
    / "examples"
    / "Onderneming_GeefOnderneming_02.00.0000_0202239951.xml",
}
MAGDA_TEMPLATES = {
    "GeefPersoon": MAGDA_DIR / "request-templates" / "GeefPersoon_02.02.0000-template.xml",
    "GeefOnderneming": MAGDA_DIR / "request-templates" / "GeefOnderneming_02.00.0000-template.xml",
}

# The partners' own systems read what arrives with the connectors (official schemas where
# ../shared has them): a request they could not read would fail the test loudly.
_OPTIONS = ConnectorOptions(schema_dir=SHARED, lenient_identifiers=True)
ARIREGISTER_CODEC = AriregisterConnector(_OPTIONS)
RR_CODEC = RahvastikuregisterConnector(_OPTIONS)
MAGDA_CODEC = MagdaConnector(_OPTIONS)


def soap_envelope(payload: bytes) -> bytes:
    """``payload`` (an XML document) as the one element of a SOAP 1.1 Body, empty Header."""
    element = payload.split(b"?>", 1)[-1] if payload.lstrip().startswith(b"<?xml") else payload
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<SOAP-ENV:Envelope xmlns:SOAP-ENV="' + SOAP_ENV.encode() + b'">'
        b"<SOAP-ENV:Header/><SOAP-ENV:Body>" + element.strip() + b"</SOAP-ENV:Body>"
        b"</SOAP-ENV:Envelope>"
    )


def soap_fault(code: str, text: str) -> bytes:
    return soap_envelope(
        f"<SOAP-ENV:Fault><faultcode>{code}</faultcode><faultstring>{text}</faultstring>"
        "</SOAP-ENV:Fault>".encode()
    )


# ---------------------------------------------------------------------------- the partners' systems


async def detailandmed(request: SoapRequest) -> ServiceAnswer:
    """The Business Register: reads a detailandmed_v2 question, answers the register's sample."""
    query = await ARIREGISTER_CODEC.decode(request.envelope, "text/xml")
    assert query.kind == "LegalEntityQuery", query
    sample = (ARIREGISTER / "examples" / "detailandmed_v2_response.xml").read_bytes()
    return ServiceAnswer(
        200, soap_envelope(schema_valid_detailandmed(sample)), "text/xml; charset=utf-8"
    )


async def isikud(call: RestCall) -> ServiceAnswer:
    """The Population Register: POST /v1/isikud with a person query, the register's sample."""
    if (call.method, call.path) != ("POST", "/v1/isikud"):
        return ServiceAnswer(404, b'{"error": "no such resource"}')
    query = await RR_CODEC.decode(call.body, "application/json")
    assert query.kind == "PersonQuery", query
    return ServiceAnswer(200, (RR_EXAMPLES / "tuleva-mock-person-response.json").read_bytes())


def estonian_security_server(middlewares: Iterable[Middleware] = ()) -> web.Application:
    return xroad_partner_app(
        rest={ISIKUD: isikud}, soap={DETAILANDMED: detailandmed}, middlewares=middlewares
    )


MAGDA_SEEN = web.AppKey("magda_seen", list[ReceivedRequest])
MAGDA_ANSWERED = web.AppKey("magda_answered", list[bytes])


def magda_service(fault: bytes | None = None) -> web.Application:
    """MAGDA's GeefPersoon and GeefOnderneming endpoints, answering their published samples
    (or ``fault``, with HTTP 500); every request is recorded in ``app[MAGDA_SEEN]``, every
    answer in ``app[MAGDA_ANSWERED]``."""

    def endpoint(name: str) -> Any:
        async def answer(request: web.Request) -> web.Response:
            body = await request.read()
            request.app[MAGDA_SEEN].append(
                ReceivedRequest(
                    "POST", request.raw_path, tuple(request.headers.items()), body, None
                )
            )
            answer = (
                fault if fault is not None else soap_envelope(MAGDA_EXAMPLES[name].read_bytes())
            )
            request.app[MAGDA_ANSWERED].append(answer)
            return web.Response(
                status=500 if fault is not None else 200,
                body=answer,
                headers={"Content-Type": "text/xml; charset=utf-8"},
            )

        return answer

    app = web.Application()
    app[MAGDA_SEEN] = []
    app[MAGDA_ANSWERED] = []
    for name, address in MAGDA_ADDRESSES.items():
        app.router.add_post(address, endpoint(name))
    return app


# ---------------------------------------------------------------------------- TLS and directory


@dataclass
class Partners:
    """The partners' certificates and URLs, and the directory entries that name them."""

    fed: Harness
    ca: CertificateAuthority = field(init=False)
    xroad_tls: Issued = field(init=False)
    magda_tls: Issued = field(init=False)
    xroad_url: str = ""
    magda_url: str = ""
    grants: list[str] = field(
        default_factory=lambda: [DETAILANDMED, ISIKUD, GEEF_PERSOON, GEEF_ONDERNEMING]
    )

    def __post_init__(self) -> None:
        self.ca = CertificateAuthority.create("the partners' own CA")
        self.xroad_tls = self.ca.issue("ss1.ee-dev.example", usage=Usage.TLS, hosts=[HOST])
        self.magda_tls = self.ca.issue("magda.vlaanderen.example", usage=Usage.TLS, hosts=[HOST])

    def server_context(self, issued: Issued, name: str) -> ssl.SSLContext:
        """A partner's TLS server: asks every caller for a certificate of the federation CA."""
        cert, key = issued.write(self.fed.root / name)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(cadata=certificate_to_pem(self.fed.ca.cert))
        return context

    @contextlib.asynccontextmanager
    async def serve_xroad(
        self, app: web.Application, presenting: Issued | None = None
    ) -> AsyncIterator[str]:
        """The security server, presenting ``presenting`` (default: its listed certificate)."""
        context = self.server_context(presenting or self.xroad_tls, "xroad-ss")
        async with serve_app(app, context) as url:
            self.xroad_url = url
            yield url

    @contextlib.asynccontextmanager
    async def serve_magda(self, app: web.Application) -> AsyncIterator[str]:
        async with serve_app(app, self.server_context(self.magda_tls, "magda")) as url:
            self.magda_url = url
            yield url

    def directory_edit(self, xroad_certificates: Iterable[x509.Certificate] = ()) -> DirectoryEdit:
        """Adds the partner members and the DE client's grants to the harness's directory."""
        listed = [certificate_to_pem(c) for c in (xroad_certificates or [self.xroad_tls.cert])]

        def edit(document: dict[str, Any]) -> dict[str, Any]:
            estonian = [
                {
                    "id": RIK,
                    "name": "Registrite ja Infosüsteemide Keskus",
                    "partner": {"protocol": "x-road", "url": self.xroad_url},
                    "tls_certificates": listed,
                    "subsystems": [{"code": "arireg", "name": "Äriregister"}],
                    "services": [
                        {
                            "subsystem": "arireg",
                            "code": "detailandmed_v2",
                            "type": "SOAP",
                            "version": "v1",
                            "format": "ee.ariregister",
                        }
                    ],
                },
                {
                    "id": RR,
                    "name": "Siseministeerium (Rahvastikuregister)",
                    "partner": {"protocol": "x-road", "url": self.xroad_url},
                    "tls_certificates": listed,  # the same security server
                    "subsystems": [{"code": "rr", "name": "Rahvastikuregister"}],
                    "services": [
                        {
                            "subsystem": "rr",
                            "code": "domesticDataExchange",
                            "type": "REST",
                            "format": "ee.rahvastikuregister",
                            "endpoints": [{"method": "POST", "path": "/v1/isikud"}],
                        }
                    ],
                },
            ]
            flemish = [
                {
                    "id": MAGDA,
                    "name": "Digitaal Vlaanderen (MAGDA)",
                    "partner": {"protocol": "native", "url": self.magda_url},
                    "tls_certificates": [certificate_to_pem(self.magda_tls.cert)],
                    "subsystems": [{"code": "magda", "name": "MAGDA"}],
                    "services": [
                        {
                            "subsystem": "magda",
                            "code": name,
                            "type": "SOAP",
                            "format": "be.magda",
                            "address": address,
                        }
                        for name, address in MAGDA_ADDRESSES.items()
                    ],
                },
            ]
            # Only the partners that are served this time (a directory URL must be real).
            members = (estonian if self.xroad_url else []) + (flemish if self.magda_url else [])
            document["members"] += members
            ids = {m["id"] for m in members}
            document["access"] += [
                {"client": CLIENT, "service": s} for s in self.grants if s.rsplit("/", 2)[0] in ids
            ]
            return document

        return edit


def lenient_de(fed: Harness) -> None:
    """DE reads the partners' published samples, whose identifiers are test codes."""
    fed.members["DE"].settings_overrides["translation"] = {"lenient_identifiers": True}


# ---------------------------------------------------------------------------- calls and records


def canonical(kind: str, document: dict[str, Any]) -> bytes:
    return orjson.dumps({"kind": kind, "document": document, "notes": []})


async def ask(
    http: aiohttp.ClientSession,
    client_url: str,
    service: str,
    kind: str,
    document: dict[str, Any],
    *,
    path: str = "",
    headers: Iterable[tuple[str, str]] = (),
) -> Answer:
    """DE's client system posts a canonical document to a partner's service via its gateway."""
    return await call(
        http,
        "POST",
        f"{client_url}/r1/{service}{path}",
        headers=[("X-Road-Client", CLIENT), ("Content-Type", CANONICAL), *headers],
        data=canonical(kind, document),
    )


def audit_records(fed: Harness, key: str) -> list[dict[str, Any]]:
    path = fed.members[key].dir / "data" / "audit.sqlite"
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        rows = db.execute("SELECT record FROM audit_entries ORDER BY seq").fetchall()
    return [json.loads(row[0]) for row in rows]
