"""Malformed requests and bodies over the limit: ``Client.*`` errors, and the gateway goes on.

The harness sets ``security.max_body_bytes`` to 65536. After each bad request the same
client session sends a good one, which must succeed (no worker lost, no connection
left in a bad state).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from xml.etree import ElementTree

import aiohttp
import pytest

from tests.integration.federation import (
    SERVICE,
    Answer,
    Harness,
    assert_xroad_error,
    backend_seen,
    call,
)

LIMIT = 65536


async def good_request_succeeds(fed: Harness, http: aiohttp.ClientSession, client_url: str):
    answer = await call(
        http,
        "GET",
        f"{client_url}/r1/{SERVICE}/ettevotted/12345678",
        headers={"X-Road-Client": fed.client_id("DE")},
    )
    assert answer.status == 200, answer.body
    assert answer.json()["registrikood"] == "12345678"


@pytest.mark.parametrize(
    "path",
    [
        "/r1/",
        "/r1/EE/GOV/70000310",  # too few parts
        "/r1/EE/GOV/70000310/ariregister",
        "/r1/EE/GOV/70000310/ariregister/",  # empty service code
        "/r1/EE//70000310/ariregister/ettevotted/echo/x",  # empty part
        "/r1/EE/GOV/7000*0310/ariregister/ettevotted/echo/x",  # invalid character
        "/r1/EE/GOV/70000310/ari%20register/ettevotted/echo/x",  # encoded space
        "/r1/EE/GOV/70000310/ari<register>/ettevotted/echo/x",
        "/r1/EE/GOV/70000310/ariregister/ette%ZZvotted/echo/x",  # bad percent-encoding
        "/r1/EE/GOV/70000310/ariregister/ette%C3%28/echo/x",  # not UTF-8 once decoded
        "/r1/EE/GOV/70000310/ariregister/ette%/echo/x",  # truncated escape
        "/r1/EE/GOV/70000310%2Fariregister/x/ettevotted/echo/x",  # %2F outside the service code
        "/r1/EE/GOV%2f70000310/ariregister/ettevotted/echo/x",
        "/r1/EE%2FGOV%2F70000310%2Fariregister%2Fettevotted",  # the spec's invalid example
    ],
)
async def test_malformed_service_path_is_a_bad_request(fed: Harness, backend_url: str, path: str):
    async with fed.start() as (de, _ee), fed.client("DE") as http:
        answer = await call(
            http,
            "GET",
            f"{de.client_url}{path}",
            encoded=True,
            headers={"X-Road-Client": fed.client_id("DE")},
        )
        assert_xroad_error(answer, "Client.BadRequest")
        await good_request_succeeds(fed, http, de.client_url)
    assert await backend_seen(backend_url) == ["GET /ettevotted/12345678"]


@pytest.mark.parametrize("version", ["r2", "r0", "R1"])
async def test_unsupported_protocol_version_is_a_bad_request(
    fed: Harness, backend_url: str, version: str
):
    async with fed.start() as (de, _ee), fed.client("DE") as http:
        answer = await call(
            http,
            "GET",
            f"{de.client_url}/{version}/{SERVICE}/echo/x",
            headers={"X-Road-Client": fed.client_id("DE")},
        )
    assert_xroad_error(answer, "Client.BadRequest")
    assert await backend_seen(backend_url) == []


async def test_encoded_slash_inside_the_service_code_is_not_malformed(fed: Harness):
    """The spec's valid example: ``BAR%2FSERVICE`` is the service code ``BAR/SERVICE``."""
    async with fed.start() as (de, _ee), fed.client("DE") as http:
        answer = await call(
            http,
            "GET",
            f"{de.client_url}/r1/{SERVICE}%2Fv2/echo/x",
            encoded=True,
            headers={"X-Road-Client": fed.client_id("DE")},
        )
    # Parsed, not refused as malformed: the service code is "ettevotted/v2", which EE lacks.
    document = assert_xroad_error(answer, "Client.UnknownService")
    assert f"{SERVICE}/v2 " in document["message"]


@pytest.mark.parametrize("xroad_id", ["x" * 129, "with space", "tab\there"])
async def test_malformed_xroad_id_is_a_bad_request(fed: Harness, backend_url: str, xroad_id: str):
    async with fed.start() as (de, _ee), fed.client("DE") as http:
        answer = await call(
            http,
            "GET",
            f"{de.client_url}/r1/{SERVICE}/echo/x",
            headers={"X-Road-Client": fed.client_id("DE"), "X-Road-Id": xroad_id},
        )
        assert_xroad_error(answer, "Client.BadRequest")
        await good_request_succeeds(fed, http, de.client_url)
    assert await backend_seen(backend_url) == ["GET /ettevotted/12345678"]


async def test_body_over_the_limit_with_content_length_is_refused(fed: Harness, backend_url: str):
    async with fed.start() as (de, _ee), fed.client("DE") as http:
        answer = await call(
            http,
            "POST",
            f"{de.client_url}/r1/{SERVICE}/echo/big",
            data=b"x" * (LIMIT + 1),
            headers={"X-Road-Client": fed.client_id("DE")},
        )
        assert_xroad_error(answer, "Client.InvalidBody")
        await good_request_succeeds(fed, http, de.client_url)
    assert await backend_seen(backend_url) == ["GET /ettevotted/12345678"]


async def test_chunked_body_over_the_limit_is_refused(fed: Harness, backend_url: str):
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(10):
            yield b"y" * 7000  # 70000 bytes, no Content-Length

    async with fed.start() as (de, _ee), fed.client("DE") as http:
        answer = await call(
            http,
            "POST",
            f"{de.client_url}/r1/{SERVICE}/echo/big",
            data=chunks(),
            headers={"X-Road-Client": fed.client_id("DE")},
        )
        assert_xroad_error(answer, "Client.InvalidBody")
        await good_request_succeeds(fed, http, de.client_url)
    assert await backend_seen(backend_url) == ["GET /ettevotted/12345678"]


async def test_body_of_exactly_the_limit_is_carried(fed: Harness, backend_url: str):
    body = b"z" * LIMIT
    async with fed.start() as (de, _ee), fed.client("DE") as http:
        answer = await call(
            http,
            "POST",
            f"{de.client_url}/r1/{SERVICE}/echo/edge",
            data=body,
            headers={"X-Road-Client": fed.client_id("DE")},
        )
    assert answer.status == 200, answer.body[:300]
    assert answer.json()["body"].encode() == body
    assert await backend_seen(backend_url) == ["POST /echo/edge"]


async def test_chunked_body_within_the_limit_is_carried(fed: Harness, backend_url: str):
    async def chunks() -> AsyncIterator[bytes]:
        for n in range(4):
            yield str(n).encode() * 1000

    async with fed.start() as (de, _ee), fed.client("DE") as http:
        answer = await call(
            http,
            "POST",
            f"{de.client_url}/r1/{SERVICE}/echo/chunked",
            data=chunks(),
            headers={"X-Road-Client": fed.client_id("DE")},
        )
    assert answer.status == 200, answer.body[:300]
    assert answer.json()["body"] == "0" * 1000 + "1" * 1000 + "2" * 1000 + "3" * 1000


@pytest.mark.parametrize(
    "accept", ["application/xml", "text/xml", "application/json;q=0.5, application/xml"]
)
async def test_error_is_xml_when_the_client_prefers_xml(fed: Harness, accept: str):
    async with fed.start() as (de, _ee), fed.client("DE") as http:
        answer = await call(
            http,
            "GET",
            f"{de.client_url}/r1/EE/GOV/70000310",
            headers={"X-Road-Client": fed.client_id("DE"), "Accept": accept},
        )
    assert answer.status == 400
    assert answer.headers["X-Road-Error"] == "Client.BadRequest"
    assert answer.headers["Content-Type"].split(";")[0] in ("application/xml", "text/xml")
    root = ElementTree.fromstring(answer.body)
    assert root.tag == "error"
    assert root.findtext("type") == "Client.BadRequest"
    assert root.findtext("message")
    assert root.findtext("detail")


async def test_error_is_json_by_default(fed: Harness):
    async with fed.start() as (de, _ee), fed.client("DE") as http:
        answer = await call(
            http,
            "GET",
            f"{de.client_url}/r1/EE/GOV/70000310",
            headers={"X-Road-Client": fed.client_id("DE"), "Accept": "*/*"},
        )
    assert answer.headers["Content-Type"].startswith("application/json")
    assert_xroad_error(answer, "Client.BadRequest")


async def test_body_over_the_limit_is_an_xml_error_when_asked(fed: Harness):
    async with fed.start() as (de, _ee), fed.client("DE") as http:
        answer: Answer = await call(
            http,
            "POST",
            f"{de.client_url}/r1/{SERVICE}/echo/big",
            data=b"x" * (LIMIT + 1),
            headers={"X-Road-Client": fed.client_id("DE"), "Accept": "application/xml"},
        )
    assert answer.status == 400
    assert ElementTree.fromstring(answer.body).findtext("type") == "Client.InvalidBody"


async def test_many_bad_requests_in_a_row_leave_the_gateway_serving(fed: Harness, backend_url: str):
    bad = ["/r1/x", "/r1/EE/GOV/70000310/ariregister/%ZZ", "/r1/EE/GOV/7*/a/b"]
    async with fed.start() as (de, _ee), fed.client("DE") as http:
        for _ in range(5):
            for path in bad:
                answer = await call(
                    http,
                    "GET",
                    f"{de.client_url}{path}",
                    encoded=True,
                    headers={"X-Road-Client": fed.client_id("DE")},
                )
                assert answer.status == 400
        await good_request_succeeds(fed, http, de.client_url)
