"""The provider's gateway checks every hop itself: signature, freshness, nonce, access.

These tests play DE's gateway by hand: they connect to EE's peer port with DE's TLS
identity and sign (or mis-sign) the hop request with DE's signing key. Every refusal
must itself be signed by EE and bound to the request as it arrived, and must not
reach the backend.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from gateway.pki import Usage
from tests.integration.federation import (
    DE,
    EE,
    SERVICE,
    Answer,
    Harness,
    Hop,
    assert_signed_answer,
    assert_xroad_error,
    backend_seen,
    send_hop,
    signed_hop,
)

PATH = f"/r1/{SERVICE}/echo/hop?q=1"


def good_hop(fed: Harness, **kwargs: Any) -> Hop:
    kwargs.setdefault("client", fed.client_id("DE"))
    kwargs.setdefault("signing", fed.members["DE"].signing)
    return signed_hop(kwargs.pop("method", "GET"), kwargs.pop("path", PATH), **kwargs)


async def send_as_de(fed: Harness, ee_peer_url: str, *hops: Hop) -> list[Answer]:
    async with fed.peer_session(fed.members["DE"].tls, "de-peer") as http:
        return [await send_hop(http, ee_peer_url, hop) for hop in hops]


def assert_signed_refusal(fed: Harness, answer: Answer, hop: Hop, expected_type: str) -> None:
    assert_xroad_error(answer, expected_type)
    assert_signed_answer(answer, hop, fed.members["EE"].signing)


async def test_correctly_signed_hop_reaches_the_backend(fed: Harness, backend_url: str):
    hop = good_hop(fed, extra_headers=[("X-Road-UserId", "EE1234")])
    async with fed.start() as (_de, ee):
        (answer,) = await send_as_de(fed, ee.peer_url, hop)
    assert answer.status == 200, answer.body
    seen = answer.json()
    assert seen["path"] == "/echo/hop?q=1"
    assert seen["headers"]["x-road-client"] == fed.client_id("DE")
    assert seen["headers"]["x-road-userid"] == "EE1234"
    assert_signed_answer(answer, hop, fed.members["EE"].signing)
    assert await backend_seen(backend_url) == ["GET /echo/hop?q=1"]


async def test_correctly_signed_post_with_a_body_reaches_the_backend(
    fed: Harness, backend_url: str
):
    hop = good_hop(fed, method="POST", body=b'{"kood": 1}')
    async with fed.start() as (_de, ee):
        (answer,) = await send_as_de(fed, ee.peer_url, hop)
    assert answer.status == 200, answer.body
    assert answer.json()["body"] == '{"kood": 1}'
    assert await backend_seen(backend_url) == ["POST /echo/hop?q=1"]


async def test_unsigned_hop_is_refused(fed: Harness, backend_url: str):
    hop = good_hop(fed, signing=None)
    async with fed.start() as (_de, ee):
        (answer,) = await send_as_de(fed, ee.peer_url, hop)
    assert_signed_refusal(fed, answer, hop, "Server.ServerProxy.InvalidSignatureValue")
    assert await backend_seen(backend_url) == []


@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        "a.b.c",
        "eyJhbGciOiJub25lIn0..",  # alg none, no signature
        "",
    ],
)
async def test_garbage_signature_is_refused(fed: Harness, backend_url: str, token: str):
    hop = good_hop(fed, signing=None, extra_headers=[("X-Xgw-Signature", token)])
    async with fed.start() as (_de, ee):
        (answer,) = await send_as_de(fed, ee.peer_url, hop)
    assert_signed_refusal(fed, answer, hop, "Server.ServerProxy.InvalidSignatureValue")
    assert await backend_seen(backend_url) == []


@pytest.mark.parametrize(
    "change",
    [
        {"method": "POST", "body": b"changed in transit", "signed_body": b"what was signed"},
        {"method": "POST", "body": b"", "signed_body": b"a body that was dropped"},
        {"path": f"/r1/{SERVICE}/echo/other", "signed_path": PATH},
        {"path": PATH + "&admin=1", "signed_path": PATH},
        {"method": "DELETE", "signed_method": "GET"},
    ],
)
async def test_hop_changed_after_signing_is_refused(
    fed: Harness, backend_url: str, change: dict[str, Any]
):
    hop = good_hop(fed, **change)
    async with fed.start() as (_de, ee):
        (answer,) = await send_as_de(fed, ee.peer_url, hop)
    assert_signed_refusal(fed, answer, hop, "Server.ServerProxy.InvalidSignatureValue")
    assert await backend_seen(backend_url) == []


async def test_xroad_header_changed_after_signing_is_refused(fed: Harness, backend_url: str):
    signed = [
        ("X-Road-Client", fed.client_id("DE")),
        ("X-Road-Id", "fixed-id"),
        ("X-Road-UserId", "EE30001010000"),
    ]
    hop = good_hop(
        fed,
        xroad_id="fixed-id",
        extra_headers=[("X-Road-UserId", "EE49912310000")],
        signed_headers=signed,
    )
    async with fed.start() as (_de, ee):
        (answer,) = await send_as_de(fed, ee.peer_url, hop)
    assert_signed_refusal(fed, answer, hop, "Server.ServerProxy.InvalidSignatureValue")
    assert await backend_seen(backend_url) == []


async def test_added_xroad_header_breaks_the_signature(fed: Harness, backend_url: str):
    hop = good_hop(fed)
    hop.headers.insert(0, ("X-Road-Represented-Party", "GOV/0815"))
    async with fed.start() as (_de, ee):
        (answer,) = await send_as_de(fed, ee.peer_url, hop)
    assert_signed_refusal(fed, answer, hop, "Server.ServerProxy.InvalidSignatureValue")
    assert await backend_seen(backend_url) == []


async def test_replayed_hop_is_refused_and_reaches_the_backend_once(fed: Harness, backend_url: str):
    hop = good_hop(fed)
    async with fed.start() as (_de, ee):
        first, second = await send_as_de(fed, ee.peer_url, hop, hop)
    assert first.status == 200, first.body
    assert_signed_refusal(fed, second, hop, "Server.ServerProxy.InvalidMessage")
    assert await backend_seen(backend_url) == ["GET /echo/hop?q=1"]


async def test_same_nonce_in_a_new_signature_is_still_a_replay(fed: Harness, backend_url: str):
    first = good_hop(fed, nonce="the-same-nonce-0123456789")
    again = good_hop(fed, nonce="the-same-nonce-0123456789", path=f"/r1/{SERVICE}/echo/2")
    async with fed.start() as (_de, ee):
        answers = await send_as_de(fed, ee.peer_url, first, again)
    assert answers[0].status == 200
    assert_signed_refusal(fed, answers[1], again, "Server.ServerProxy.InvalidMessage")
    assert await backend_seen(backend_url) == ["GET /echo/hop?q=1"]


async def test_forged_message_does_not_spend_the_nonce_of_the_real_one(
    fed: Harness, backend_url: str
):
    nonce = "nonce-of-the-genuine-message"
    forged = good_hop(fed, nonce=nonce, method="POST", body=b"forged", signed_body=b"genuine")
    genuine = good_hop(fed, nonce=nonce, method="POST", body=b"genuine")
    async with fed.start() as (_de, ee):
        refused, accepted = await send_as_de(fed, ee.peer_url, forged, genuine)
    assert_signed_refusal(fed, refused, forged, "Server.ServerProxy.InvalidSignatureValue")
    assert accepted.status == 200, accepted.body
    assert await backend_seen(backend_url) == ["POST /echo/hop?q=1"]


@pytest.mark.parametrize("offset", [-10_000, -301, 10_000])
async def test_signing_time_outside_the_window_is_refused(
    fed: Harness, backend_url: str, offset: int
):
    hop = good_hop(fed, iat=int(time.time()) + offset)
    async with fed.start() as (_de, ee):
        (answer,) = await send_as_de(fed, ee.peer_url, hop)
    assert_signed_refusal(fed, answer, hop, "Server.ServerProxy.InvalidMessage")
    assert await backend_seen(backend_url) == []


async def test_signing_time_inside_the_window_is_accepted(fed: Harness, backend_url: str):
    hop = good_hop(fed, iat=int(time.time()) - 200)  # the harness window is 300 s
    async with fed.start() as (_de, ee):
        (answer,) = await send_as_de(fed, ee.peer_url, hop)
    assert answer.status == 200, answer.body
    assert await backend_seen(backend_url) == ["GET /echo/hop?q=1"]


async def test_signed_with_a_ca_issued_key_the_directory_does_not_list_is_refused(
    fed: Harness, backend_url: str
):
    unlisted = fed.ca.issue(DE, usage=Usage.SIGNING)
    hop = good_hop(fed, signing=unlisted)
    async with fed.start() as (_de, ee):
        (answer,) = await send_as_de(fed, ee.peer_url, hop)
    assert_signed_refusal(fed, answer, hop, "Server.ServerProxy.InvalidSignatureValue")
    assert await backend_seen(backend_url) == []


async def test_signed_with_another_members_listed_key_is_refused(fed: Harness, backend_url: str):
    hop = good_hop(fed, signing=fed.members["EE"].signing)
    async with fed.start() as (_de, ee):
        (answer,) = await send_as_de(fed, ee.peer_url, hop)
    assert_signed_refusal(fed, answer, hop, "Server.ServerProxy.InvalidSignatureValue")
    assert await backend_seen(backend_url) == []


@pytest.mark.parametrize(
    "client",
    [
        f"{EE}/klient",  # the provider's own subsystem
        "FI/GOV/0245437-2/vrk",  # a member the directory does not know
    ],
)
async def test_tls_peer_sending_as_another_member_is_refused(
    fed: Harness, backend_url: str, client: str
):
    hop = good_hop(fed, client=client)
    async with fed.start() as (_de, ee):
        (answer,) = await send_as_de(fed, ee.peer_url, hop)
    assert_signed_refusal(fed, answer, hop, "Server.ServerProxy.InvalidClientIdentifier")
    assert await backend_seen(backend_url) == []


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", f"/r1/{SERVICE}/secret"),
        ("POST", f"/r1/{SERVICE}/slow"),
        ("GET", f"/r1/{SERVICE}/echo/%2e%2e/secret"),
    ],
)
async def test_provider_enforces_access_rights_itself(
    fed: Harness, backend_url: str, method: str, path: str
):
    hop = good_hop(fed, method=method, path=path)
    async with fed.start() as (_de, ee):
        (answer,) = await send_as_de(fed, ee.peer_url, hop)
    assert_signed_refusal(fed, answer, hop, "Server.ServerProxy.AccessDenied")
    assert await backend_seen(backend_url) == []


async def test_provider_denies_a_member_level_client(fed: Harness, backend_url: str):
    """Only subsystems hold grants: the member itself may call nothing."""
    hop = good_hop(fed, client=DE)
    async with fed.start() as (_de, ee):
        (answer,) = await send_as_de(fed, ee.peer_url, hop)
    assert_signed_refusal(fed, answer, hop, "Server.ServerProxy.AccessDenied")
    assert await backend_seen(backend_url) == []


async def test_provider_refuses_a_body_over_the_limit_before_the_backend(
    fed: Harness, backend_url: str
):
    body = b"x" * 65537
    hop = good_hop(fed, method="POST", body=body)
    async with fed.start() as (_de, ee):
        (answer,) = await send_as_de(fed, ee.peer_url, hop)
    assert_xroad_error(answer, "Client.InvalidBody")
    assert answer.headers.get("X-Xgw-Signature")
    assert await backend_seen(backend_url) == []


async def test_replay_is_refused_after_the_provider_restarts(fed: Harness, backend_url: str):
    """The replay cache is rebuilt from the audit log: a restart forgets no nonce."""
    hop = good_hop(fed)
    async with fed.start() as (_de, ee):
        (first,) = await send_as_de(fed, ee.peer_url, hop)
    async with fed.start() as (_de, ee):
        (again,) = await send_as_de(fed, ee.peer_url, hop)
    assert first.status == 200, first.body
    assert_signed_refusal(fed, again, hop, "Server.ServerProxy.InvalidMessage")
    assert await backend_seen(backend_url) == ["GET /echo/hop?q=1"]


@pytest.mark.parametrize(
    "path",
    [
        "/r1/EE/GOV/70000310/ariregister",
        "/r1/EE/GOV/70000310%2Fariregister/x/ettevotted/echo/x",
        "/r1/EE/GOV/70000310/ariregister/ette%C3%28/echo/x",
    ],
)
async def test_malformed_path_on_the_peer_port_is_a_signed_bad_request(
    fed: Harness, backend_url: str, path: str
):
    hop = good_hop(fed, path=path)
    async with fed.start() as (_de, ee):
        (answer,) = await send_as_de(fed, ee.peer_url, hop)
    assert_signed_refusal(fed, answer, hop, "Client.BadRequest")
    assert await backend_seen(backend_url) == []
