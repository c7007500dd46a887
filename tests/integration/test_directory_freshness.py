"""No valid directory, no exchange: expired or badly signed directories (DESIGN.md, "Trust").

A gateway refuses to work on an expired directory (``OutdatedGlobalConf``), never takes
a directory the operator did not sign, and keeps the one it holds when a refresh brings
a bad one.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import jwt
import orjson
import pytest

from gateway._crypto import kid
from gateway.app import Gateway
from gateway.directory import JWS_TYPE, format_timestamp, sign_directory
from gateway.pki import Usage
from tests.integration.federation import (
    SERVICE,
    Answer,
    DirectoryEdit,
    Harness,
    assert_signed_answer,
    assert_xroad_error,
    backend_seen,
    call,
    send_hop,
    signed_hop,
)

OUTDATED = "Server.ClientProxy.OutdatedGlobalConf"


def valid_between(issued: datetime, expires: datetime) -> DirectoryEdit:
    def edit(document: dict[str, Any]) -> dict[str, Any]:
        document["issued"] = format_timestamp(issued)
        document["expires"] = format_timestamp(expires)
        return document

    return edit


def expired(document: dict[str, Any]) -> dict[str, Any]:
    now = datetime.now(UTC).replace(microsecond=0)
    return valid_between(now - timedelta(hours=2), now - timedelta(hours=1))(document)


async def exchange(fed: Harness, de: Gateway, path: str = "/echo/x") -> Answer:
    async with fed.client("DE") as http:
        return await call(
            http,
            "GET",
            f"{de.client_url}/r1/{SERVICE}{path}",
            headers={"X-Road-Client": fed.client_id("DE")},
        )


async def get(url: str, fed: Harness) -> Answer:
    async with fed.client("DE") as http:
        return await call(http, "GET", url)


def forged_operator_token(fed: Harness, document: dict[str, Any]) -> str:
    """Claims the operator's kid, but another key signed it."""
    impostor = fed.ca.issue("impostor", usage=Usage.SIGNING)
    payload = orjson.dumps(document, option=orjson.OPT_SORT_KEYS)
    return jwt.PyJWS().encode(
        payload,
        impostor.key,
        algorithm="ES256",
        headers={"kid": kid(fed.operator.cert), "typ": JWS_TYPE},
    )


def tampered_token(fed: Harness, document: dict[str, Any]) -> str:
    """The operator's genuine signature, over what the document said before it was changed."""
    original = dict(document, access=fed.access)
    assert original != document
    header, _, signature = sign_directory(original, fed.operator.key, fed.operator.cert).split(".")
    payload = jwt.utils.base64url_encode(orjson.dumps(document, option=orjson.OPT_SORT_KEYS))
    return ".".join((header, payload.decode(), signature))


async def test_expired_directory_refuses_every_exchange(fed: Harness, backend_url: str):
    async with fed.start(edit=expired) as (de, _ee):
        answers = [await exchange(fed, de, path) for path in ("/echo/x", "/ettevotted/1")]
    for answer in answers:
        assert_xroad_error(answer, OUTDATED)
    assert await backend_seen(backend_url) == []


async def test_expired_directory_makes_the_client_port_unready(fed: Harness):
    async with fed.start(edit=expired) as (de, ee):
        ready = [await get(f"{gw.client_url}/readyz", fed) for gw in (de, ee)]
        healthy = await get(f"{de.client_url}/healthz", fed)
        clients = await get(f"{de.client_url}/listClients", fed)
    assert [r.status for r in ready] == [503, 503]
    assert all(r.json()["status"] == "unready" for r in ready)
    assert healthy.status == 200  # alive, just not ready
    assert_xroad_error(clients, OUTDATED)


async def test_valid_directory_makes_the_client_port_ready(fed: Harness):
    async with fed.start() as (de, _ee):
        ready = await get(f"{de.client_url}/readyz", fed)
    assert ready.status == 200
    assert ready.json()["status"] == "ready"


async def test_directory_that_expires_while_running_stops_exchanges(fed: Harness, backend_url: str):
    now = datetime.now(UTC)
    expires = now + timedelta(seconds=1.5)  # room for the start and the first exchange
    async with fed.start(edit=valid_between(now - timedelta(minutes=1), expires)) as (de, ee):
        before = await exchange(fed, de, "/echo/before")
        await asyncio.sleep(max(0.0, (expires - datetime.now(UTC)).total_seconds()) + 0.05)
        after = await exchange(fed, de, "/echo/after")
        ready = await get(f"{de.client_url}/readyz", fed)
        # A crafted hop straight to EE: the provider refuses on its own account too.
        hop = signed_hop(
            "GET",
            f"/r1/{SERVICE}/echo/hop",
            client=fed.client_id("DE"),
            signing=fed.members["DE"].signing,
        )
        async with fed.peer_session(fed.members["DE"].tls) as http:
            direct = await send_hop(http, ee.peer_url, hop)
    assert before.status == 200, before.body
    assert_xroad_error(after, OUTDATED)
    assert ready.status == 503
    assert_xroad_error(direct, "Server.ServerProxy.OutdatedGlobalConf")
    assert_signed_answer(direct, hop, fed.members["EE"].signing)
    assert await backend_seen(backend_url) == ["GET /echo/before"]


@pytest.mark.parametrize("bad_token", [forged_operator_token, tampered_token])
async def test_badly_signed_directory_is_refused_and_the_current_one_stays(
    fed: Harness, backend_url: str, bad_token
):
    async with fed.start() as (de, ee):
        sequence = de.node.directory.current().sequence
        # The bad publication takes away every grant: if it were taken, exchanges would stop.
        document = dict(fed.directory_document(), access=[])
        document["sequence"] = sequence + 10
        fed.directory_path.write_text(bad_token(fed, document))
        refreshed = [await gw.node.directory.refresh() for gw in (de, ee)]
        answer = await exchange(fed, de)
        current = [gw.node.directory.current().sequence for gw in (de, ee)]
    assert refreshed == [False, False]
    assert current == [sequence, sequence]
    assert answer.status == 200, answer.body
    assert await backend_seen(backend_url) == ["GET /echo/x"]


async def test_directory_signed_by_a_ca_issued_key_that_is_not_the_operator_is_refused(
    fed: Harness, backend_url: str
):
    async with fed.start() as (de, ee):
        sequence = de.node.directory.current().sequence
        fed.access = []
        fed.publish(signer=fed.ca.issue("member acting as operator", usage=Usage.SIGNING))
        refreshed = [await gw.node.directory.refresh() for gw in (de, ee)]
        answer = await exchange(fed, de)
        current = [gw.node.directory.current().sequence for gw in (de, ee)]
    assert refreshed == [False, False]
    assert current == [sequence, sequence]
    assert answer.status == 200, answer.body


async def test_lower_sequence_is_refused_as_a_rollback(fed: Harness, backend_url: str):
    async with fed.start() as (de, _ee):
        sequence = de.node.directory.current().sequence
        fed.sequence = sequence - 1
        fed.access = []
        fed.publish()
        refreshed = await de.node.directory.refresh()
        answer = await exchange(fed, de)
    assert refreshed is False
    assert answer.status == 200, answer.body


async def test_badly_signed_first_directory_refuses_exchanges_until_a_good_one_arrives(
    fed: Harness, backend_url: str
):
    not_operator = fed.ca.issue("not the operator", usage=Usage.SIGNING)
    async with fed.start(signer=not_operator) as (de, ee):
        refused = await exchange(fed, de, "/echo/refused")
        unready = await get(f"{de.client_url}/readyz", fed)
        fed.publish()
        refreshed = [await gw.node.directory.refresh() for gw in (de, ee)]
        recovered = await exchange(fed, de, "/echo/recovered")
        ready = await get(f"{de.client_url}/readyz", fed)
    assert_xroad_error(refused, OUTDATED)
    assert unready.status == 503
    assert refreshed == [True, True]
    assert recovered.status == 200, recovered.body
    assert ready.status == 200
    assert await backend_seen(backend_url) == ["GET /echo/recovered"]


async def test_missing_directory_file_refuses_exchanges(fed: Harness, backend_url: str):
    async with fed.start(publish=False) as (de, _ee):
        answer = await exchange(fed, de)
    assert_xroad_error(answer, OUTDATED)
    assert "never loaded" in answer.json()["message"]
    assert await backend_seen(backend_url) == []


async def test_expired_directory_refusal_is_readable_in_snake_case(fed: Harness):
    fed.members["DE"].settings_overrides["xroad"] = {"error_spelling": "snake_case"}
    async with fed.start(edit=expired) as (de, _ee):
        answer = await exchange(fed, de)
    assert answer.status == 500
    assert answer.headers["X-Road-Error"] == "server.clientproxy.global_conf_outdated"
    assert answer.json()["type"] == "server.clientproxy.global_conf_outdated"


async def test_healthz_needs_no_directory(fed: Harness):
    async with fed.start(publish=False) as (de, _ee), fed.client("DE") as http:
        async with http.get(f"{de.client_url}/healthz") as resp:
            assert resp.status == 200
        with pytest.raises(aiohttp.ClientResponseError):
            async with http.get(f"{de.client_url}/readyz", raise_for_status=True):
                pass
