"""A full exchange across two gateways, as the X-Road REST protocol describes it."""

from __future__ import annotations

import json

import aiohttp
from lxml import etree

from gateway.app import bind
from tests.integration.federation import SERVICE, Harness


async def test_get_through_two_gateways_carries_xroad_headers(fed: Harness):
    async with fed.start() as (de, _ee), fed.client("DE") as http:
        resp = await http.get(
            f"{de.client_url}/r1/{SERVICE}/echo/a/b?quu=1&x=%20y",
            headers={
                "X-Road-Client": "DE/GOV/05974028/other",
                "x-road-client": fed.client_id("DE"),  # the last one wins
                "X-Road-UserId": "DE12345",
                "X-Road-Issue": "AZ-4711",
                "X-Road-Represented-Party": "GOV/0815",
                "Accept": "application/json",
            },
        )
        body = await resp.json()
    assert resp.status == 200, body
    assert body["path"] == "/echo/a/b?quu=1&x=%20y"
    seen = body["headers"]
    assert seen["x-road-client"] == fed.client_id("DE")
    assert seen["x-road-userid"] == "DE12345"
    assert seen["x-road-issue"] == "AZ-4711"
    assert seen["x-road-represented-party"] == "GOV/0815"
    assert "x-xgw-signature" not in seen
    assert resp.headers["X-Road-Client"] == fed.client_id("DE")
    assert resp.headers["X-Road-Service"] == SERVICE
    assert resp.headers["X-Road-Id"] == seen["x-road-id"]
    assert resp.headers["X-Road-Request-Id"]
    assert len(resp.headers["X-Road-Request-Hash"]) == 88  # base64 of SHA-512
    assert resp.headers["X-Backend"] == "yes"
    assert "X-Xgw-Signature" not in resp.headers


async def test_post_body_arrives_intact_and_client_id_is_echoed(fed: Harness):
    payload = json.dumps({"nimi": "Põhjaranniku Puit OÜ", "kood": 12345678}).encode()
    async with fed.start() as (de, _ee), fed.client("DE") as http:
        resp = await http.post(
            f"{de.client_url}/r1/{SERVICE}/echo/otsing",
            data=payload,
            headers={
                "X-Road-Client": fed.client_id("DE"),
                "X-Road-Id": "my-correlation-id",
                "Content-Type": "application/json",
            },
        )
        body = await resp.json()
    assert resp.status == 200
    assert body["body"].encode() == payload
    assert body["headers"]["x-road-id"] == "my-correlation-id"
    assert resp.headers["X-Road-Id"] == "my-correlation-id"


async def test_repeated_client_xroad_id_is_not_a_replay(fed: Harness):
    async with fed.start() as (de, _ee), fed.client("DE") as http:
        statuses = []
        for _ in range(3):
            resp = await http.get(
                f"{de.client_url}/r1/{SERVICE}/ettevotted/1",
                headers={"X-Road-Client": fed.client_id("DE"), "X-Road-Id": "same-id-every-time"},
            )
            statuses.append(resp.status)
    assert statuses == [200, 200, 200]


async def test_redirects_are_passed_back_not_followed(fed: Harness):
    async with fed.start() as (de, _ee), fed.client("DE") as http:
        resp = await http.get(
            f"{de.client_url}/r1/{SERVICE}/redirect",
            allow_redirects=False,
            headers={"X-Road-Client": fed.client_id("DE")},
        )
    assert resp.status == 302
    assert resp.headers["Location"] == "/ettevotted/elsewhere"


async def test_hop_by_hop_headers_are_dropped(fed: Harness):
    async with fed.start() as (de, _ee), fed.client("DE") as http:
        resp = await http.get(
            f"{de.client_url}/r1/{SERVICE}/echo/x",
            headers={
                "X-Road-Client": fed.client_id("DE"),
                "Connection": "keep-alive, X-Secret-Hop",
                "X-Secret-Hop": "1",
                "Proxy-Authorization": "Basic x",
                "X-Custom": "passed",
            },
        )
        seen = (await resp.json())["headers"]
    assert seen["x-custom"] == "passed"
    assert "x-secret-hop" not in seen
    assert "proxy-authorization" not in seen


async def test_a_peers_snake_case_error_reaches_the_client_in_our_spelling_and_format(
    fed: Harness,
):
    """Both spellings are read; the caller's gateway emits its own (CamelCase by default)."""
    closed = bind("127.0.0.1", 0)
    fed.backend_url = f"http://127.0.0.1:{closed.getsockname()[1]}"
    closed.close()  # nothing listens there: the backend is down
    fed.members["EE"].settings_overrides = {"xroad": {"error_spelling": "snake_case"}}
    async with fed.start() as (de, ee), fed.client("DE") as http:
        direct = ee.node.snake_errors
        resp = await http.get(
            f"{de.client_url}/r1/{SERVICE}/ettevotted/1",
            headers={"X-Road-Client": fed.client_id("DE"), "Accept": "application/xml"},
        )
        body = await resp.read()
    assert direct
    assert resp.status == 500
    assert resp.headers["X-Road-Error"] == "Server.ServerProxy.NetworkError"
    assert resp.headers["Content-Type"].startswith("application/xml")
    root = etree.fromstring(body)
    assert root.findtext("type") == "Server.ServerProxy.NetworkError"
    assert root.findtext("detail")
    assert resp.headers["X-Road-Service"] == SERVICE  # the provider's X-Road headers stay


async def test_plain_http_client_port_on_loopback_for_development(fed: Harness):
    fed.members["DE"].settings_overrides = {
        "listen": {"client_tls": False},
        "security": {"allow_plain_loopback": True},
    }
    async with fed.start() as (de, _ee), aiohttp.ClientSession() as http:
        assert de.client_url.startswith("http://127.0.0.1:")
        url = f"{de.client_url}/r1/{SERVICE}/ettevotted/7"
        async with http.get(url, headers={"X-Road-Client": fed.client_id("DE")}) as ok:
            assert ok.status == 200
            assert (await ok.json())["registrikood"] == "7"
        other = "DE/GOV/05974028/someone-else"
        async with http.get(url, headers={"X-Road-Client": other}) as refused:
            assert refused.status == 400
            assert refused.headers["X-Road-Error"] == "Client.InvalidClientIdentifier"
