"""Nothing acknowledged is lost: SIGKILL a gateway under load, restart it, find every answer.

Both gateways run as their own OS processes (``python -m gateway.cli serve``) on
127.0.0.1; the EE one calls a real backend in this process. Twelve clients send
exchanges through DE's client port to EE and note the ``X-Road-Id`` of every exchange
they got a complete 2xx answer for. Once enough are answered, one gateway is
SIGKILLed: no signal handler, no drain, no close of its audit log. Then:

- every answered exchange has its request and its response record in the killed
  gateway's log (and in the other one's);
- ``xgw audit verify`` passes on the file exactly as the crash left it, and again after
  the restarted gateway has appended to it;
- the restarted gateway serves again, and (EE) still refuses a signed hop it had
  accepted before the crash: the replay cache is rebuilt from the durable log.

What "acknowledged" means on each side:

- DE (the client's gateway) acknowledges by answering its client. The answer waits
  for both records of the exchange to be committed (``AuditExchange``).
- EE (the provider's gateway) acknowledges by sending its signed answer to DE. That
  too waits for both records; and the request's record is committed before the backend
  is called, so a request the backend executed is never missing from the log. DE only
  passes on an answer that EE signed, so a client's 2xx is also EE's acknowledgement.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest

from tests.integration.federation import (
    SERVICE,
    Harness,
    assert_xroad_error,
    backend_seen,
    send_hop,
    signed_hop,
)
from tests.integration.process_support import (
    GatewayFleet,
    LoggedMessage,
    logged_messages,
    xgw_audit_verify,
)

pytestmark = pytest.mark.slow

CONCURRENCY = 12  # clients at once
KILL_AFTER = 60  # answered exchanges before the kill: well into the load
MAX_EXCHANGES = 400  # a bound on the load, whatever happens
LOAD_TIMEOUT = 15.0  # seconds for the load to reach the kill, and to wind down after it
REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=10)


def pair(direction: str) -> list[LoggedMessage]:
    """An answered exchange in one gateway's log: its request, then its 200 response."""
    return [LoggedMessage(direction, "request", None), LoggedMessage(direction, "response", 200)]


@dataclass
class Load:
    """What the clients saw."""

    answered: list[str] = field(default_factory=list)  # complete 2xx answers: acknowledged
    refused: list[tuple[str, int]] = field(default_factory=list)  # complete non-2xx answers
    unanswered: list[str] = field(default_factory=list)  # connection broke, or timed out
    in_flight_at_kill: set[str] = field(default_factory=set)
    answered_at_kill: int = 0

    def summary(self) -> str:
        return (
            f"{len(self.answered)} answered ({self.answered_at_kill} before the kill), "
            f"{len(self.in_flight_at_kill)} in flight at the kill, "
            f"{len(self.refused)} refused, {len(self.unanswered)} unanswered"
        )


@contextlib.asynccontextmanager
async def fleet_of(fed: Harness, root: Path) -> AsyncIterator[GatewayFleet]:
    fleet = GatewayFleet(fed, root)
    try:
        await fleet.start("EE", "DE")
        yield fleet
    finally:
        fleet.stop_all()


async def exchange(http: aiohttp.ClientSession, fleet: GatewayFleet, exchange_id: str) -> int:
    """One exchange through DE to EE's backend; its status once the answer is read whole."""
    async with http.get(
        f"{fleet.client_url('DE')}/r1/{SERVICE}/ettevotted/{exchange_id}",
        headers={"X-Road-Client": fleet.fed.client_id("DE"), "X-Road-Id": exchange_id},
        timeout=REQUEST_TIMEOUT,
    ) as resp:
        body = await resp.json() if resp.status == 200 else await resp.read()
    if resp.status == 200:  # the backend's own answer, for this exchange, came back
        assert resp.headers.get("X-Road-Id") == exchange_id
        assert isinstance(body, dict) and body["registrikood"] == exchange_id, body
    return resp.status


async def load_then_kill(fleet: GatewayFleet, http: aiohttp.ClientSession, victim: str) -> Load:
    """Run the clients; SIGKILL ``victim`` once KILL_AFTER exchanges are answered."""
    load = Load()
    numbers = itertools.count()
    outstanding: set[str] = set()
    enough, stop = asyncio.Event(), asyncio.Event()
    run = uuid.uuid4().hex[:8]

    async def client() -> None:
        while not stop.is_set():
            n = next(numbers)
            if n >= MAX_EXCHANGES:
                return
            exchange_id = f"crash-{run}-{n:04d}"
            outstanding.add(exchange_id)
            try:
                status = await exchange(http, fleet, exchange_id)
            except (aiohttp.ClientError, OSError, TimeoutError):
                load.unanswered.append(exchange_id)
            else:
                if 200 <= status < 300:
                    load.answered.append(exchange_id)
                    if len(load.answered) >= KILL_AFTER:
                        enough.set()
                else:
                    load.refused.append((exchange_id, status))
            finally:
                outstanding.discard(exchange_id)

    tasks = [asyncio.create_task(client()) for _ in range(CONCURRENCY)]
    waiter = asyncio.create_task(enough.wait())
    try:
        done, _ = await asyncio.wait(
            [waiter, *tasks], timeout=LOAD_TIMEOUT, return_when=asyncio.FIRST_COMPLETED
        )
        for task in done - {waiter}:
            task.result()  # a client's failed check, raised here rather than waited out
        assert enough.is_set(), f"no kill: too few answers in {LOAD_TIMEOUT}s: {load.summary()}"
        load.in_flight_at_kill = set(outstanding)
        load.answered_at_kill = len(load.answered)
        fleet.kill(victim)
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks), LOAD_TIMEOUT)
        print(f"SIGKILL {victim}: {load.summary()}")  # shown when a test fails
    finally:
        stop.set()
        waiter.cancel()
        for task in tasks:
            task.cancel()
        await asyncio.gather(waiter, *tasks, return_exceptions=True)
    return load


def assert_all_answered_are_logged(
    fleet: GatewayFleet, key: str, direction: str, load: Load
) -> dict[str, list[LoggedMessage]]:
    logged = logged_messages(fleet.audit_db(key))
    missing = {x: logged.get(x, []) for x in load.answered if logged.get(x) != pair(direction)}
    assert not missing, (
        f"{len(missing)} of {len(load.answered)} answered exchanges lack their records in "
        f"{key}'s log (killed after {load.answered_at_kill} answers, "
        f"{len(load.in_flight_at_kill)} in flight): {dict(list(missing.items())[:5])}"
    )
    return logged


async def assert_log_verifies(fleet: GatewayFleet, key: str, at_least: int) -> int:
    code, report = await xgw_audit_verify(fleet.data_dir(key))
    assert code == 0, f"{key}'s log fails verification: {report}\n{fleet.log_tail(key)}"
    assert report["ok"] is True and report["records"] >= at_least, report
    records: int = report["records"]
    return records


async def test_client_gateway_killed_mid_load_loses_no_answered_exchange(
    fed: Harness, tmp_path: Path
):
    async with fleet_of(fed, tmp_path / "run") as fleet, fed.client("DE") as http:
        load = await load_then_kill(fleet, http, "DE")
        assert load.in_flight_at_kill, "the kill came between exchanges, not during one"
        assert load.in_flight_at_kill & set(load.unanswered), load.summary()  # cut off
        assert not load.refused, load.refused[:5]

        # The file exactly as the crash left it (its WAL not checkpointed).
        logged = assert_all_answered_are_logged(fleet, "DE", "outbound", load)
        count = await assert_log_verifies(fleet, "DE", at_least=2 * len(load.answered))
        assert count == sum(len(messages) for messages in logged.values())
        assert_all_answered_are_logged(fleet, "EE", "inbound", load)  # EE answered them too

        await fleet.start("DE")  # same config, ports and data directory
        fresh = f"after-restart-{uuid.uuid4()}"
        assert await exchange(http, fleet, fresh) == 200, fleet.log_tail("DE")

    # The restarted gateway continued the chain the dead one left.
    assert logged_messages(fleet.audit_db("DE"))[fresh] == pair("outbound")
    assert await assert_log_verifies(fleet, "DE", at_least=count + 2) == count + 2
    await assert_log_verifies(fleet, "EE", at_least=2 * len(load.answered))


async def test_provider_gateway_killed_mid_load_loses_no_acknowledged_exchange(
    fed: Harness, tmp_path: Path, backend_url: str
):
    de = fed.members["DE"]
    hop = signed_hop(
        "GET", f"/r1/{SERVICE}/echo/replayed", client=fed.client_id("DE"), signing=de.signing
    )
    async with (
        fleet_of(fed, tmp_path / "run") as fleet,
        fed.client("DE") as http,
        fed.peer_session(de.tls) as peer,
    ):
        # A signed hop EE accepts while the load runs; it must stay spent across the crash.
        load_task = asyncio.create_task(load_then_kill(fleet, http, "EE"))
        first = await send_hop(peer, fleet.peer_url("EE"), hop)
        load = await load_task
        assert first.status == 200, first.body
        assert load.in_flight_at_kill, "the kill came between exchanges, not during one"
        assert load.in_flight_at_kill & {x for x, _ in load.refused}, load.summary()
        # DE answers what EE's death cut off with its own refusal: never a success.
        assert {status for _, status in load.refused} <= {500}, load.refused[:5]

        ee_logged = assert_all_answered_are_logged(fleet, "EE", "inbound", load)
        count = await assert_log_verifies(fleet, "EE", at_least=2 * len(load.answered) + 2)
        assert count == sum(len(messages) for messages in ee_logged.values())
        # The request is durable before the backend acts: all it executed is in the log.
        executed = [
            line.rsplit("/", 1)[1]
            for line in await backend_seen(backend_url)
            if line.startswith("GET /ettevotted/")
        ]
        assert len(executed) >= len(load.answered)
        unlogged = [
            x for x in executed if LoggedMessage("inbound", "request", None) not in ee_logged[x]
        ]
        assert not unlogged, unlogged[:5]
        # DE, alive throughout, logged both messages of every exchange it answered.
        assert_all_answered_are_logged(fleet, "DE", "outbound", load)

        await fleet.start("EE")
        fresh = f"after-restart-{uuid.uuid4()}"
        assert await exchange(http, fleet, fresh) == 200, fleet.log_tail("EE")
        again = await send_hop(peer, fleet.peer_url("EE"), hop)
        assert_xroad_error(again, "Server.ServerProxy.InvalidMessage")

    assert (await backend_seen(backend_url)).count("GET /echo/replayed") == 1
    assert logged_messages(fleet.audit_db("EE"))[fresh] == pair("inbound")
    # The fresh exchange, and the refused replay (request and response): 4 more records.
    assert await assert_log_verifies(fleet, "EE", at_least=count + 4) == count + 4
    await assert_log_verifies(fleet, "DE", at_least=2 * len(load.answered))
