"""HTTP details a gateway must carry or refuse cleanly: HEAD, content-encoded bodies.

Bad input never crashes a worker and never gets an answer other than an X-Road error
(DESIGN.md, "Errors").
"""

from __future__ import annotations

import gzip

import pytest

from tests.integration.federation import (
    SERVICE,
    Harness,
    assert_xroad_error,
    backend_seen,
    call,
)


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
async def test_every_granted_method_is_carried(fed: Harness, backend_url: str, method: str):
    async with fed.start() as (de, _ee), fed.client("DE") as http:
        answer = await call(
            http,
            method,
            f"{de.client_url}/r1/{SERVICE}/echo/m",
            headers={"X-Road-Client": fed.client_id("DE")},
        )
    assert answer.status == 200, answer.body
    assert answer.json()["method"] == method
    assert await backend_seen(backend_url) == [f"{method} /echo/m"]


async def test_head_is_carried(fed: Harness, backend_url: str):
    async with fed.start() as (de, _ee), fed.client("DE") as http:
        answer = await call(
            http,
            "HEAD",
            f"{de.client_url}/r1/{SERVICE}/echo/h",
            headers={"X-Road-Client": fed.client_id("DE")},
        )
    assert answer.status == 200, dict(answer.headers)
    assert "X-Road-Error" not in answer.headers
    assert await backend_seen(backend_url) == ["HEAD /echo/h"]


async def test_gzip_encoded_body_arrives_intact(fed: Harness, backend_url: str):
    payload = b'{"nimi": "P\xc3\xb5hjaranniku Puit O\xc3\x9c"}'
    async with fed.start() as (de, _ee), fed.client("DE") as http:
        answer = await call(
            http,
            "POST",
            f"{de.client_url}/r1/{SERVICE}/echo/gz",
            data=gzip.compress(payload),
            headers={
                "X-Road-Client": fed.client_id("DE"),
                "Content-Encoding": "gzip",
                "Content-Type": "application/json",
            },
        )
    assert answer.status == 200, answer.body
    assert answer.json()["body"].encode() == payload
    assert await backend_seen(backend_url) == ["POST /echo/gz"]


async def test_gzip_bomb_is_measured_after_decoding(fed: Harness, backend_url: str):
    """A small compressed body that inflates past the limit is refused like a big one."""
    bomb = gzip.compress(b"0" * 1_000_000)
    assert len(bomb) < 65536
    async with fed.start() as (de, _ee), fed.client("DE") as http:
        answer = await call(
            http,
            "POST",
            f"{de.client_url}/r1/{SERVICE}/echo/gz",
            data=bomb,
            headers={"X-Road-Client": fed.client_id("DE"), "Content-Encoding": "gzip"},
        )
    assert_xroad_error(answer, "Client.InvalidBody")
    assert await backend_seen(backend_url) == []


async def test_body_that_does_not_decode_is_a_client_error(fed: Harness, backend_url: str):
    async with fed.start() as (de, _ee), fed.client("DE") as http:
        answer = await call(
            http,
            "POST",
            f"{de.client_url}/r1/{SERVICE}/echo/gz",
            data=b"this is not gzip",
            headers={"X-Road-Client": fed.client_id("DE"), "Content-Encoding": "gzip"},
        )
        after = await call(
            http,
            "GET",
            f"{de.client_url}/r1/{SERVICE}/ettevotted/1",
            headers={"X-Road-Client": fed.client_id("DE")},
        )
    assert_xroad_error(answer, "Client.InvalidBody")
    assert after.status == 200
    assert await backend_seen(backend_url) == ["GET /ettevotted/1"]
