"""Revocation propagates: under steady traffic from DE to EE, the operator revokes DE's
signing (or TLS) certificate and publishes. Until then every exchange succeeds; from one
refresh interval (plus a little scheduling slack) after the publication on, EE accepts
none, and each refusal is a typed ``Server.ServerProxy.CertValidation``.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass

import aiohttp
import pytest

from tests.integration.federation import SERVICE, Harness, call

REFRESH = 0.2  # EE's directory refresh interval
SLACK = 0.3  # reading and verifying the file, a busy event loop
PATH = f"/r1/{SERVICE}/echo/revocation"
CLIENTS = 3
MAX_PER_CLIENT = 3000  # a bound on every loop, whatever happens
PHASE_WAIT = 10.0  # at most this long for the calls a phase needs


@dataclass(frozen=True)
class Result:
    started: float
    ended: float
    status: int
    error: str | None


async def calls_until(
    http: aiohttp.ClientSession, url: str, client: str, stop: asyncio.Event, out: list[Result]
) -> None:
    for _ in range(MAX_PER_CLIENT):
        if stop.is_set():
            return
        started = time.monotonic()
        headers = {"X-Road-Client": client, "X-Road-Id": str(uuid.uuid4())}
        try:
            answer = await call(http, "GET", url, headers=headers)
            status, error = answer.status, answer.headers.get("X-Road-Error")
        except (aiohttp.ClientError, OSError) as exc:
            status, error = 0, f"{type(exc).__name__}: {exc}"
        out.append(Result(started, time.monotonic(), status, error))


@pytest.mark.parametrize("usage", ["signing", "tls"])
async def test_a_revoked_certificate_is_refused_within_one_refresh_interval(
    fed: Harness, usage: str
):
    for member in fed.members.values():
        member.settings_overrides["directory"] = {"refresh_interval": REFRESH}
    revoked = fed.members["DE"].signing if usage == "signing" else fed.members["DE"].tls
    results: list[Result] = []
    stop = asyncio.Event()
    async with fed.start() as (de, ee), fed.client("DE") as http:
        loops = [
            asyncio.create_task(
                calls_until(http, de.client_url + PATH, fed.client_id("DE"), stop, results)
            )
            for _ in range(CLIENTS)
        ]
        try:
            # Some answers before the revocation (a first call may be slow on a busy machine).
            give_up = time.monotonic() + PHASE_WAIT
            while len(results) < CLIENTS and time.monotonic() < give_up:
                await asyncio.sleep(0.05)
            document = fed.published_document()
            serial = format(revoked.cert.serial_number, "x")
            document["revoked"].append({"serial": serial, "reason": "keyCompromise"})
            published = fed.publish_atomically(document)
            deadline = published + REFRESH + SLACK
            await asyncio.sleep(deadline - time.monotonic())
            # Traffic goes on until every client has started calls after the deadline (a
            # call under way at the deadline may take a while on a busy machine).
            give_up = deadline + PHASE_WAIT
            while time.monotonic() < give_up and (
                len([r for r in results if r.started > deadline]) < 2 * CLIENTS
            ):
                await asyncio.sleep(0.05)
        finally:
            stop.set()
            await asyncio.gather(*loops)
        ee_sequence = ee.node.directory.current().sequence

    assert ee_sequence == fed.sequence - 1  # EE runs on the publication with the revocation
    before = [r for r in results if r.ended < published]
    assert len(before) >= CLIENTS and all(r.status == 200 for r in before), before[-3:]
    late_accepted = [r for r in results if r.status == 200 and r.ended > deadline]
    assert late_accepted == [], f"accepted {late_accepted[0].ended - published:.3f} s after"
    refused = [r for r in results if r.status != 200]
    assert {r.error for r in refused} == {"Server.ServerProxy.CertValidation"}
    assert all(r.status == 500 and r.ended > published for r in refused)
    after_deadline = [r for r in results if r.started > deadline]
    assert len(after_deadline) >= CLIENTS and all(r in refused for r in after_deadline)
    first_refusal = min(r.ended for r in refused) - published
    assert 0 < first_refusal <= REFRESH + SLACK
