"""A token front door on the client port: X-Road callers still need certificates.

With the Haal Centraal front door enabled and a token configured, DE's client port lets
a caller without a client certificate finish the TLS handshake (a BRP client has only a
token). Every X-Road route then refuses that caller itself, with the refusal an unbound
certificate gets (``Server.ClientProxy.AccessDenied``) in the route's own convention,
before it reads the request, and a bearer token never stands in for the certificate.
Each test shows the same request with DE's client certificate getting through, so the
refusal is the missing certificate's. The peer port keeps requiring certificates.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sqlite3
import ssl
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from lxml import etree

from gateway.pki import CertificateAuthority
from gateway.settings import Settings
from tests.integration.federation import (
    DE,
    EE,
    SERVICE,
    Answer,
    Harness,
    assert_xroad_error,
    call,
    send_hop,
    signed_hop,
)
from tests.integration.soap_support import (
    ANNEX_C,
    CLIENT,
    NS_SOAP,
    NS_WSDL_SOAP,
    SoapBackend,
    SoapHarness,
    shared,
    soap_backend,
    wsdl_url,
)
from tests.integration.test_soap import soap_request

TOKEN = "token-gewerbeamt-5b1e07"  # DE's client's Haal Centraal token
DENIED = "Server.ClientProxy.AccessDenied"
XML = {"Content-Type": "text/xml; charset=utf-8"}
WITH_TOKEN = {"Authorization": f"Bearer {TOKEN}"}


class TokenDoorHarness(SoapHarness):
    """DE's client port also serves the Haal Centraal front door, and DE's client has a token."""

    def __init__(self, root: Path, ca: CertificateAuthority, backend_url: str) -> None:
        super().__init__(root, ca, backend_url)
        self.add_soap_service("exampleService")
        self.members["DE"].settings_overrides["haalcentraal"] = {
            "enabled": True,
            "service": f"{EE}/ariregister/personen",
            "purpose": "a front door that takes tokens; not called here",
        }

    def settings(self, key: str) -> Settings:
        settings = super().settings(key)
        if key != "DE":
            return settings
        token_sha256 = hashlib.sha256(TOKEN.encode()).hexdigest()
        client = dataclasses.replace(settings.clients[0], token_sha256=token_sha256)
        return dataclasses.replace(settings, clients=(client,))

    def without_certificate(self) -> aiohttp.ClientSession:
        """A caller that checks the gateway's certificate and presents none."""
        context = ssl.create_default_context(cafile=str(self.ca_cert))
        context.check_hostname = False  # the peer port's certificate names no host
        return aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=context))

    def audit(self, key: str) -> list[dict[str, Any]]:
        path = self.members[key].dir / "data" / "audit.sqlite"
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            rows = db.execute("SELECT record FROM audit_entries ORDER BY seq").fetchall()
        return [json.loads(row[0]) for row in rows]


@pytest.fixture
async def backend() -> AsyncIterator[SoapBackend]:
    async with soap_backend() as running:  # records every POST that reaches it
        yield running


@pytest.fixture
def door(tmp_path: Path, ca: CertificateAuthority, backend: SoapBackend) -> TokenDoorHarness:
    return TokenDoorHarness(tmp_path, ca, backend.url)


def fault_code(answer: Answer) -> str:
    """The faultcode of a SOAP Fault answer (HTTP 500, as X-Road answers faults)."""
    assert answer.status == 500, (answer.status, answer.body[:300])
    envelope = etree.fromstring(answer.body)
    code = envelope.findtext(f"{{{NS_SOAP}}}Body/{{{NS_SOAP}}}Fault/faultcode")
    assert code is not None, answer.body[:300]
    return code


# ------------------------------------------------------------------------------ TLS


async def test_only_a_token_door_lets_a_caller_without_a_certificate_finish_the_handshake(
    door: TokenDoorHarness, tmp_path: Path, ca: CertificateAuthority, backend: SoapBackend
):
    async with door.start() as (de, ee), door.without_certificate() as http:
        healthz = await call(http, "GET", f"{de.client_url}/healthz")
        # The peer port keeps requiring a federation certificate in the handshake.
        hop = signed_hop("GET", f"/r1/{SERVICE}/echo/x", client=CLIENT,
                         signing=door.members["DE"].signing)  # fmt: skip
        with pytest.raises((aiohttp.ClientError, ssl.SSLError)):
            await send_hop(http, ee.peer_url, hop)
    assert healthz.status == 200  # operations endpoints answer anyone who reaches the port
    # Without a front door that takes tokens, the handshake itself still refuses.
    plain = Harness(tmp_path / "plain", ca, backend.url)
    async with plain.start() as (de, _ee), door.without_certificate() as http:
        with pytest.raises((aiohttp.ClientError, ssl.SSLError)):
            await call(http, "GET", f"{de.client_url}/healthz")
    assert backend.seen == []


# ------------------------------------------------------------------------------ /r1/


@pytest.mark.parametrize("credentials", [{}, WITH_TOKEN], ids=["nothing", "bearer-token"])
async def test_an_xroad_rest_call_without_a_certificate_is_refused(
    door: TokenDoorHarness, backend: SoapBackend, credentials: dict[str, str]
):
    url = f"/r1/{SERVICE}/echo/x"
    headers = {"X-Road-Client": CLIENT, **XML, **credentials}
    body = soap_request(CLIENT)
    async with door.start() as (de, _ee):
        async with door.without_certificate() as http:
            refused = await call(http, "POST", de.client_url + url, headers=headers, data=body)
            # Authenticated first: not even a malformed request is looked at.
            malformed = await call(http, "GET", f"{de.client_url}/r1/not-a-service", headers={})
        async with door.client("DE") as http:
            granted = await call(http, "POST", de.client_url + url, headers=headers, data=body)
    for answer in (refused, malformed):
        document = assert_xroad_error(answer, DENIED)
        assert "no client certificate" in document["message"]
    assert granted.status == 200 and len(backend.seen) == 1  # the certified call only
    # The refusals are audited where they were made, and went no further.
    refusals = [r for r in door.audit("DE") if r.get("error_type") == DENIED]
    assert len(refusals) == 2
    assert all(r["client"] == "" for r in refusals)  # the claim was never believed
    assert {r["exchange_id"] for r in door.audit("EE")} == {granted.headers["X-Road-Id"]}


async def test_an_xml_client_gets_the_refusal_in_xml(door: TokenDoorHarness):
    async with door.start() as (de, _ee), door.without_certificate() as http:
        headers = {"X-Road-Client": CLIENT, "Accept": "application/xml"}
        answer = await call(http, "GET", f"{de.client_url}/r1/{SERVICE}/echo/x", headers=headers)
    assert answer.status == 500 and answer.headers["X-Road-Error"] == DENIED
    assert etree.fromstring(answer.body).findtext("type") == DENIED


# ------------------------------------------------------------------------------ SOAP


@pytest.mark.parametrize("credentials", [{}, WITH_TOKEN], ids=["nothing", "bearer-token"])
async def test_a_soap_call_without_a_certificate_is_a_fault(
    door: TokenDoorHarness, backend: SoapBackend, credentials: dict[str, str]
):
    headers = {**XML, **credentials}
    async with door.start() as (de, _ee):
        async with door.without_certificate() as http:
            refused = await call(http, "POST", f"{de.client_url}/",
                                 headers=headers, data=soap_request(CLIENT))  # fmt: skip
            # HTTP-proxy mode's other paths, and a message that would not even parse.
            proxied = await call(http, "POST", f"{de.client_url}/some/path",
                                 headers=headers, data=soap_request(CLIENT))  # fmt: skip
            unparsed = await call(http, "POST", f"{de.client_url}/", headers=headers,
                                  data=b"<not-soap")  # fmt: skip
        async with door.client("DE") as http:
            granted = await call(http, "POST", f"{de.client_url}/",
                                 headers=XML, data=soap_request(CLIENT))  # fmt: skip
    for answer in (refused, proxied, unparsed):
        assert fault_code(answer) == DENIED
        assert b"no client certificate" in answer.body
    assert granted.status == 200, granted.body[:300]
    assert len(backend.seen) == 1  # the certified call only
    assert {r["exchange_id"] for r in door.audit("EE")} == {
        r["exchange_id"] for r in door.audit("DE")
    }  # nothing of the refused calls left DE, or was even made an exchange there


# ------------------------------------------------------------------------------ /wsdl


@pytest.mark.parametrize(
    "claim", [{}, {"X-Road-Client": CLIENT}, WITH_TOKEN], ids=["no-claim", "claim", "token"]
)
async def test_wsdl_without_a_certificate_is_a_fault(
    door: TokenDoorHarness, backend: SoapBackend, claim: dict[str, str]
):
    door.wsdl_files["exampleService"] = shared(ANNEX_C)
    async with door.start() as (de, _ee):
        async with door.without_certificate() as http:
            refused = await call(http, "GET", wsdl_url(de.client_url), headers=claim)
        async with door.client("DE") as http:
            granted = await call(http, "GET", wsdl_url(de.client_url), headers=claim)
    assert fault_code(refused) == DENIED
    assert granted.status == 200, granted.body[:300]
    address = etree.fromstring(granted.body).find(f".//{{{NS_WSDL_SOAP}}}address")
    assert address is not None and address.get("location") == f"{de.client_url}/"
    # Only the certified request asked EE's gateway for the WSDL (getWsdl, audited there).
    assert len({r["exchange_id"] for r in door.audit("EE")}) == 1
    assert backend.seen == []  # getWsdl is answered by EE's gateway, never its backend


# ------------------------------------------------------------------------------ listClients


@pytest.mark.parametrize("credentials", [{}, WITH_TOKEN], ids=["nothing", "bearer-token"])
async def test_list_clients_without_a_certificate_is_refused(
    door: TokenDoorHarness, credentials: dict[str, str]
):
    headers = {"Accept": "application/json", **credentials}
    async with door.start() as (de, _ee):
        async with door.without_certificate() as http:
            refused = await call(http, "GET", f"{de.client_url}/listClients", headers=headers)
        async with door.client("DE") as http:
            granted = await call(http, "GET", f"{de.client_url}/listClients", headers=headers)
    document = assert_xroad_error(refused, DENIED)
    assert "no client certificate" in document["message"]
    member_code = DE.split("/")[2]
    assert member_code not in refused.body.decode()  # nothing of the directory told
    assert granted.status == 200 and member_code in granted.body.decode()
