"""A provider's backend that is down or slow: X-Road's NetworkError, and others keep going.

The harness gives EE's gateway a 2-second backend timeout; ``/slow`` takes 5 seconds.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from yarl import URL

from gateway.pki import CertificateAuthority
from tests.integration.federation import (
    SEEN,
    SERVICE,
    Answer,
    Harness,
    assert_xroad_error,
    backend_seen,
    call,
    closed_port_url,
    make_backend,
    serve_app,
)

NETWORK_ERROR = "Server.ServerProxy.NetworkError"


async def exchange(fed: Harness, client_url: str, path: str) -> Answer:
    async with fed.client("DE") as http:
        return await call(
            http,
            "GET",
            f"{client_url}/r1/{SERVICE}{path}",
            headers={"X-Road-Client": fed.client_id("DE")},
        )


async def test_backend_down_is_a_network_error_of_the_provider(
    tmp_path: Path, ca: CertificateAuthority
):
    fed = Harness(tmp_path, ca, closed_port_url())
    async with fed.start() as (de, _ee):
        answer = await exchange(fed, de.client_url, "/echo/x")
    document = assert_xroad_error(answer, NETWORK_ERROR)
    assert SERVICE in document["message"]
    # The provider's refusal passed the client side's checks: it is bound to our request.
    assert answer.headers["X-Road-Request-Hash"]
    assert answer.headers["X-Road-Service"] == SERVICE


async def test_gateway_serves_again_once_the_backend_is_back(
    tmp_path: Path, ca: CertificateAuthority
):
    """A refused connection leaves nothing behind: the backend starts, the same gateways serve."""
    url = closed_port_url()
    fed = Harness(tmp_path, ca, url)
    backend = make_backend()
    async with fed.start() as (de, _ee):
        down = await exchange(fed, de.client_url, "/echo/down")
        async with serve_app(backend, port=URL(url).port or 0):
            up = await exchange(fed, de.client_url, "/echo/up")
    assert_xroad_error(down, NETWORK_ERROR)
    assert up.status == 200, up.body
    assert backend[SEEN] == ["GET /echo/up"]


async def test_slow_backend_times_out_as_a_network_error(fed: Harness, backend_url: str):
    async with fed.start() as (de, _ee):
        started = time.monotonic()
        answer = await exchange(fed, de.client_url, "/slow")
        elapsed = time.monotonic() - started
    assert_xroad_error(answer, NETWORK_ERROR)
    assert 1.9 <= elapsed < 4.5, elapsed  # the 2 s backend timeout, not the 5 s sleep
    assert await backend_seen(backend_url) == ["GET /slow"]


async def test_other_exchanges_are_served_while_a_slow_one_is_pending(
    fed: Harness, backend_url: str
):
    async with fed.start() as (de, _ee):
        started = time.monotonic()
        slow = asyncio.create_task(exchange(fed, de.client_url, "/slow"))
        await asyncio.sleep(0.2)  # the slow one is in flight by now
        assert not slow.done()

        async def timed(path: str) -> tuple[Answer, float]:
            answer = await exchange(fed, de.client_url, path)
            return answer, time.monotonic() - started

        others = await asyncio.gather(*(timed(f"/ettevotted/{n}") for n in range(8)))
        assert not slow.done()  # the others did not wait for it
        slow_answer = await slow
        slow_elapsed = time.monotonic() - started
    for n, (answer, _) in enumerate(others):
        assert answer.status == 200, answer.body
        assert answer.json()["registrikood"] == str(n)
    latest = max(elapsed for _, elapsed in others)
    assert latest < 1.5, latest
    assert_xroad_error(slow_answer, NETWORK_ERROR)
    assert slow_elapsed >= 1.9
