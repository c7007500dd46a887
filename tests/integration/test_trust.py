"""Trust between gateways: the directory decides which certificates count.

A certificate that does not chain to a federation CA fails the TLS handshake; one that
chains but is unknown, expired or revoked is refused after it with
``CertValidation``, so operators can see why (DESIGN.md, "Trust").
"""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from gateway.pki import CertificateAuthority, Issued, Usage
from tests.integration.federation import (
    DE,
    EE,
    HOST,
    SEEN,
    SERVICE,
    Answer,
    DirectoryEdit,
    Harness,
    assert_signed_answer,
    assert_xroad_error,
    backend_seen,
    call,
    expired_issue,
    make_backend,
    send_hop,
    serve_app,
    server_context,
    signed_hop,
    tls_listener,
)

PATH = f"/r1/{SERVICE}/echo/trust"
NO_CHECK_TIME = 0x200000  # OpenSSL's X509_V_FLAG_NO_CHECK_TIME


def revoke(fed: Harness, issued: Issued, reason: str = "keyCompromise") -> None:
    fed.revoked.append({"serial": format(issued.cert.serial_number, "x"), "reason": reason})


async def de_client_call(fed: Harness, de_client_url: str, *, check_time: bool = True) -> Answer:
    context = fed.client_ssl("DE")
    if not check_time:  # the client port serves the member's TLS certificate too
        context.verify_flags = ssl.VerifyFlags(context.verify_flags | NO_CHECK_TIME)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=context)) as http:
        return await call(
            http, "GET", f"{de_client_url}{PATH}", headers={"X-Road-Client": fed.client_id("DE")}
        )


def assert_refused_server(answer: Answer) -> None:
    """DE refused the server it reached: a failed handshake, or the certificate check.

    Today a refused handshake is a NetworkError; a gateway that pins the provider's listed
    certificates may well type it CertValidation. Either is a refusal by DE's own gateway.
    """
    error_type = answer.headers.get("X-Road-Error", "")
    assert error_type in ("Server.ClientProxy.NetworkError", "Server.ClientProxy.CertValidation")
    assert_xroad_error(answer, error_type)


def point_ee_at(url: str) -> DirectoryEdit:
    """A directory edit: EE's gateway is at ``url``."""

    def edit(document: dict[str, Any]) -> dict[str, Any]:
        for member in document["members"]:
            if member["id"] == EE:
                member["gateway_url"] = url
        return document

    return edit


async def test_tls_certificate_from_the_ca_but_not_in_the_directory_is_refused(
    fed: Harness, backend_url: str
):
    stranger = fed.ca.issue(DE, usage=Usage.TLS, hosts=[HOST])
    hop = signed_hop("GET", PATH, client=fed.client_id("DE"), signing=fed.members["DE"].signing)
    async with fed.start() as (_de, ee), fed.peer_session(stranger, "stranger") as http:
        answer = await send_hop(http, ee.peer_url, hop)
    assert_xroad_error(answer, "Server.ServerProxy.CertValidation")
    assert_signed_answer(answer, hop, fed.members["EE"].signing)
    assert await backend_seen(backend_url) == []


async def test_expired_tls_certificate_of_the_client_gateway_is_refused_by_the_provider(
    fed: Harness, backend_url: str
):
    fed.members["DE"].tls = expired_issue(fed.ca, DE, Usage.TLS)
    async with fed.start() as (de, _ee):
        answer = await de_client_call(fed, de.client_url, check_time=False)
    # EE's authentic, signed refusal is passed through DE's gateway to the client.
    assert_xroad_error(answer, "Server.ServerProxy.CertValidation")
    assert "expired" in answer.json()["message"]
    assert await backend_seen(backend_url) == []


async def test_revoked_tls_certificate_of_the_client_gateway_is_refused_by_the_provider(
    fed: Harness, backend_url: str
):
    revoke(fed, fed.members["DE"].tls)
    async with fed.start() as (de, _ee):
        answer = await de_client_call(fed, de.client_url)
    assert_xroad_error(answer, "Server.ServerProxy.CertValidation")
    assert "revoked" in answer.json()["message"]
    assert await backend_seen(backend_url) == []


async def test_revoked_tls_certificate_is_refused_on_a_crafted_hop_too(
    fed: Harness, backend_url: str
):
    revoke(fed, fed.members["DE"].tls)
    hop = signed_hop("GET", PATH, client=fed.client_id("DE"), signing=fed.members["DE"].signing)
    async with fed.start() as (_de, ee), fed.peer_session(fed.members["DE"].tls) as http:
        answer = await send_hop(http, ee.peer_url, hop)
    assert_xroad_error(answer, "Server.ServerProxy.CertValidation")
    assert_signed_answer(answer, hop, fed.members["EE"].signing)
    assert await backend_seen(backend_url) == []


async def test_tls_certificate_from_another_ca_fails_the_handshake(fed: Harness, backend_url: str):
    rogue_ca = CertificateAuthority.create("rogue CA")
    rogue = rogue_ca.issue(DE, usage=Usage.TLS, hosts=[HOST])
    hop = signed_hop("GET", PATH, client=fed.client_id("DE"), signing=fed.members["DE"].signing)
    async with fed.start() as (_de, ee), fed.peer_session(rogue, "rogue") as http:
        with pytest.raises((aiohttp.ClientError, ssl.SSLError)):
            await send_hop(http, ee.peer_url, hop)
    assert await backend_seen(backend_url) == []


async def test_peer_port_refuses_a_client_without_a_certificate(fed: Harness, backend_url: str):
    context = ssl.create_default_context(cafile=str(fed.ca_cert))
    context.check_hostname = False
    hop = signed_hop("GET", PATH, client=fed.client_id("DE"), signing=fed.members["DE"].signing)
    async with (
        fed.start() as (_de, ee),
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=context)) as http,
    ):
        with pytest.raises((aiohttp.ClientError, ssl.SSLError)):
            await send_hop(http, ee.peer_url, hop)
    assert await backend_seen(backend_url) == []


async def test_revoked_signing_certificate_is_refused(fed: Harness, backend_url: str):
    revoke(fed, fed.members["DE"].signing)
    async with fed.start() as (de, _ee):
        answer = await de_client_call(fed, de.client_url)
    assert_xroad_error(answer, "Server.ServerProxy.CertValidation")
    assert "revoked" in answer.json()["message"]
    assert await backend_seen(backend_url) == []


async def test_expired_signing_certificate_is_refused(fed: Harness, backend_url: str):
    fed.members["DE"].signing = expired_issue(fed.ca, DE, Usage.SIGNING)
    async with fed.start() as (de, _ee):
        answer = await de_client_call(fed, de.client_url)
    assert_xroad_error(answer, "Server.ServerProxy.CertValidation")
    assert "expired" in answer.json()["message"]
    assert await backend_seen(backend_url) == []


async def test_answer_signed_with_a_revoked_provider_key_is_refused_by_the_client_side(
    fed: Harness,
):
    revoke(fed, fed.members["EE"].signing)
    async with fed.start() as (de, _ee):
        answer = await de_client_call(fed, de.client_url)
    assert_xroad_error(answer, "Server.ClientProxy.CertValidation")


async def test_revoked_provider_tls_certificate_is_refused_before_the_request_is_sent(
    fed: Harness, backend_url: str
):
    revoke(fed, fed.members["EE"].tls)
    async with fed.start() as (de, _ee):
        answer = await de_client_call(fed, de.client_url)
    assert_xroad_error(answer, "Server.ClientProxy.CertValidation")
    assert await backend_seen(backend_url) == []


async def test_request_is_not_sent_to_a_server_whose_certificate_is_not_the_providers(
    fed: Harness, backend_url: str, tmp_path: Path
):
    impostor = fed.ca.issue(EE, usage=Usage.TLS, hosts=[HOST])  # chains, but is not listed
    rogue_app = make_backend()
    async with serve_app(rogue_app, server_context(impostor, tmp_path / "impostor")) as rogue:
        async with fed.start(edit=point_ee_at(rogue)) as (de, _ee):
            answer = await de_client_call(fed, de.client_url)
    assert_refused_server(answer)
    assert rogue_app[SEEN] == []
    assert await backend_seen(backend_url) == []


def outsider_in_system_store(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, subject: str
) -> Issued:
    """A certificate of a CA the federation does not list, but the system store trusts.

    ``SSL_CERT_FILE`` stands in for the system trust store (OpenSSL reads it when a
    context loads the default paths); the caller removes it once the gateways are up.
    """
    outsider_ca = CertificateAuthority.create("a public CA")
    store, _ = outsider_ca.write(tmp_path / "system-store")
    monkeypatch.setenv("SSL_CERT_FILE", str(store))
    return outsider_ca.issue(subject, usage=Usage.TLS, hosts=[HOST])


async def test_peer_port_trusts_only_directory_cas_after_a_late_first_directory(
    fed: Harness, backend_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    outsider = outsider_in_system_store(monkeypatch, tmp_path, DE)
    not_operator = fed.ca.issue("not the operator", usage=Usage.SIGNING)
    async with fed.start(signer=not_operator) as (de, ee):  # no valid first directory
        monkeypatch.delenv("SSL_CERT_FILE")
        fed.publish()
        assert await de.node.directory.refresh()
        assert await ee.node.directory.refresh()
        hop = signed_hop("GET", PATH, client=fed.client_id("DE"), signing=fed.members["DE"].signing)
        async with fed.peer_session(outsider, "outsider") as http:
            with pytest.raises((aiohttp.ClientError, ssl.SSLError)):
                await send_hop(http, ee.peer_url, hop)
    assert await backend_seen(backend_url) == []


async def test_outbound_handshake_refuses_a_server_from_a_non_federation_ca(
    fed: Harness, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    outsider = outsider_in_system_store(monkeypatch, tmp_path, EE)
    async with tls_listener(server_context(outsider, tmp_path / "rogue")) as (rogue, shakes):
        async with fed.start(edit=point_ee_at(rogue)) as (de, _ee):
            monkeypatch.delenv("SSL_CERT_FILE")
            answer = await de_client_call(fed, de.client_url)
    assert_refused_server(answer)
    assert shakes == []


async def test_outbound_handshake_trusts_only_directory_cas_after_a_late_first_directory(
    fed: Harness, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    outsider = outsider_in_system_store(monkeypatch, tmp_path, EE)
    not_operator = fed.ca.issue("not the operator", usage=Usage.SIGNING)
    async with (
        tls_listener(server_context(outsider, tmp_path / "rogue")) as (rogue, shakes),
        fed.start(signer=not_operator) as (de, ee),
    ):
        monkeypatch.delenv("SSL_CERT_FILE")
        fed.publish(point_ee_at(rogue)(fed.directory_document()))
        assert await de.node.directory.refresh()
        assert await ee.node.directory.refresh()
        answer = await de_client_call(fed, de.client_url)
    assert answer.status == 500
    assert answer.headers["X-Road-Error"].startswith("Server.ClientProxy."), answer.body
    assert shakes == [], "DE's gateway completed a TLS handshake with a non-federation CA"
