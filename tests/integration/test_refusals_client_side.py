"""Refusals on the caller's own gateway: who the local client is, what it may call.

Every refusal is an X-Road REST error (``X-Road-Error`` header, JSON ``type``, 400 for
``Client.*`` and 500 for ``Server.*``), and nothing reaches the provider's backend.
"""

from __future__ import annotations

import ssl

import aiohttp
import pytest

from gateway.pki import Usage
from tests.integration.federation import (
    DE,
    EE,
    SERVICE,
    Harness,
    assert_xroad_error,
    backend_seen,
    call,
)


async def test_client_claiming_another_subsystem_than_its_certificate_is_refused(
    fed: Harness, backend_url: str
):
    async with fed.start() as (de, _ee), fed.client("DE") as http:
        answer = await call(
            http,
            "GET",
            f"{de.client_url}/r1/{SERVICE}/echo/x",
            headers={"X-Road-Client": f"{DE}/other"},
        )
    assert_xroad_error(answer, "Client.InvalidClientIdentifier")
    assert await backend_seen(backend_url) == []


async def test_client_claiming_a_subsystem_of_another_member_is_refused(
    fed: Harness, backend_url: str
):
    async with fed.start() as (de, _ee), fed.client("DE") as http:
        answer = await call(
            http,
            "GET",
            f"{de.client_url}/r1/{SERVICE}/echo/x",
            headers={"X-Road-Client": fed.client_id("EE")},
        )
    assert_xroad_error(answer, "Client.InvalidClientIdentifier")
    assert await backend_seen(backend_url) == []


async def test_ca_issued_client_certificate_not_bound_in_config_is_refused(
    fed: Harness, backend_url: str
):
    stranger = fed.ca.issue(fed.client_id("DE"), usage=Usage.CLIENT)
    cert, key = stranger.write(fed.root / "stranger")
    context = ssl.create_default_context(cafile=str(fed.ca_cert))
    context.load_cert_chain(cert, key)
    async with (
        fed.start() as (de, _ee),
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=context)) as http,
    ):
        answer = await call(
            http,
            "GET",
            f"{de.client_url}/r1/{SERVICE}/echo/x",
            headers={"X-Road-Client": fed.client_id("DE")},
        )
    assert_xroad_error(answer, "Server.ClientProxy.AccessDenied")
    assert await backend_seen(backend_url) == []


async def test_client_port_refuses_the_tls_handshake_without_a_client_certificate(
    fed: Harness, backend_url: str
):
    context = ssl.create_default_context(cafile=str(fed.ca_cert))  # trusts the server only
    async with (
        fed.start() as (de, _ee),
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=context)) as http,
    ):
        with pytest.raises((aiohttp.ClientError, ssl.SSLError)):
            await call(
                http,
                "GET",
                f"{de.client_url}/r1/{SERVICE}/echo/x",
                headers={"X-Road-Client": fed.client_id("DE")},
            )
        # The same gateway still serves a client that has its certificate.
        async with fed.client("DE") as good:
            answer = await call(
                good,
                "GET",
                f"{de.client_url}/r1/{SERVICE}/echo/x",
                headers={"X-Road-Client": fed.client_id("DE")},
            )
    assert answer.status == 200
    assert await backend_seen(backend_url) == ["GET /echo/x"]


async def test_missing_xroad_client_header_is_a_client_error(fed: Harness, backend_url: str):
    async with fed.start() as (de, _ee), fed.client("DE") as http:
        answer = await call(http, "GET", f"{de.client_url}/r1/{SERVICE}/echo/x")
    assert_xroad_error(answer, "Client.MissingHeaderField")
    assert await backend_seen(backend_url) == []


@pytest.mark.parametrize(
    "client",
    [
        "DE/GOV",  # too few parts
        f"{DE}/gewerbeamt/extra",  # too many parts
        "DE/GOV/0597*4028/gewerbeamt",  # a character identifiers do not allow
        "DE//05974028/gewerbeamt",  # an empty part
        "DE/GOV/05974028/gewerbe%41mt",  # headers are not percent-decoded
    ],
)
async def test_malformed_xroad_client_is_a_client_error(fed: Harness, client: str):
    async with fed.start() as (de, _ee), fed.client("DE") as http:
        answer = await call(
            http, "GET", f"{de.client_url}/r1/{SERVICE}/echo/x", headers={"X-Road-Client": client}
        )
    assert_xroad_error(answer, "Client.InvalidClientIdentifier")


async def test_service_without_a_grant_is_denied_by_the_client_side(fed: Harness, backend_url: str):
    fed.access = []
    async with fed.start() as (de, _ee), fed.client("DE") as http:
        answer = await call(
            http,
            "GET",
            f"{de.client_url}/r1/{SERVICE}/echo/x",
            headers={"X-Road-Client": fed.client_id("DE")},
        )
    assert_xroad_error(answer, "Server.ClientProxy.AccessDenied")
    assert await backend_seen(backend_url) == []


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/secret/x"),  # a path the grant does not cover
        ("GET", "/echox"),  # a prefix of a granted pattern is not a match
        ("POST", "/slow"),  # the granted path, another method (GET only)
        ("DELETE", "/redirect"),
        ("GET", "/echo/../secret"),  # dot segments are refused whatever the grant
        ("GET", "/echo/%2e%2e/secret"),  # ... also percent-encoded
    ],
)
async def test_path_or_method_without_a_grant_is_denied(
    fed: Harness, backend_url: str, method: str, path: str
):
    async with fed.start() as (de, _ee), fed.client("DE") as http:
        answer = await call(
            http,
            method,
            f"{de.client_url}/r1/{SERVICE}{path}",
            headers={"X-Road-Client": fed.client_id("DE")},
            encoded=True,
        )
    assert_xroad_error(answer, "Server.ClientProxy.AccessDenied")
    assert await backend_seen(backend_url) == []


async def test_grant_to_another_subsystem_of_the_same_member_does_not_count(
    fed: Harness, backend_url: str
):
    fed.access[0]["client"] = f"{DE}/meldebehoerde"
    async with fed.start() as (de, _ee), fed.client("DE") as http:
        answer = await call(
            http,
            "GET",
            f"{de.client_url}/r1/{SERVICE}/echo/x",
            headers={"X-Road-Client": fed.client_id("DE")},
        )
    assert_xroad_error(answer, "Server.ClientProxy.AccessDenied")
    assert await backend_seen(backend_url) == []


@pytest.mark.parametrize(
    "service",
    [
        f"{EE}/ariregister/nonexistent",  # a service the provider does not list
        f"{EE}/nosuchsubsystem/ettevotted",  # a subsystem the provider does not have
        "FI/GOV/0245437-2/vrk/ettevotted",  # a member the directory does not know
    ],
)
async def test_service_not_in_the_directory_is_unknown(
    fed: Harness, backend_url: str, service: str
):
    async with fed.start() as (de, _ee), fed.client("DE") as http:
        answer = await call(
            http,
            "GET",
            f"{de.client_url}/r1/{service}/echo/x",
            headers={"X-Road-Client": fed.client_id("DE")},
        )
    assert_xroad_error(answer, "Client.UnknownService")
    assert await backend_seen(backend_url) == []


async def test_granted_call_after_refusals_still_succeeds(fed: Harness, backend_url: str):
    """The refusals above are decisions, not damage: the same gateway keeps serving."""
    async with fed.start() as (de, _ee), fed.client("DE") as http:
        refused = await call(
            http,
            "GET",
            f"{de.client_url}/r1/{SERVICE}/secret",
            headers={"X-Road-Client": fed.client_id("DE")},
        )
        missing = await call(http, "GET", f"{de.client_url}/r1/{SERVICE}/echo/x")
        answer = await call(
            http,
            "GET",
            f"{de.client_url}/r1/{SERVICE}/echo/ok",
            headers={"X-Road-Client": fed.client_id("DE")},
        )
    assert_xroad_error(refused, "Server.ClientProxy.AccessDenied")
    assert_xroad_error(missing, "Client.MissingHeaderField")
    assert answer.status == 200
    assert answer.json()["path"] == "/echo/ok"
    assert await backend_seen(backend_url) == ["GET /echo/ok"]
