"""SIGKILL one of two nodes sharing a PostgreSQL log under load: nothing acknowledged is lost.

DE runs as two ``xgw serve`` processes (nodes ``a`` and ``b``, one identity) sharing DE's
schema on the test server; EE runs as one process with its SQLite file. Clients send
exchanges through both DE nodes at once; once enough are answered node ``a`` is
SIGKILLed (no handler, no drain: its open transaction dies with its connection). Then:

- every exchange either node answered with a 2xx has its request and its response in
  the shared log, node ``b`` went on serving, and ``xgw audit verify --config`` passes;
- node ``a`` restarts on the same database and appends after node ``b``'s records, and
  the log still verifies.

The acknowledgement is the client's 2xx, which DE sends only after both records of the
exchange are committed (docs/audit-log.md, "Grouped commits"); the kill cannot undo a
commit, and the server rolls back the dead node's uncommitted batch and frees its lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from gateway.app import bind
from tests.integration.federation import HOST, SERVICE, Harness
from tests.integration.process_support import (
    PROJECT_ROOT,
    GatewayFleet,
    _clean_env,
    _Node,
)
from tests.unit.storage.postgres_support import PgSchema, fresh_schema, needs_postgres

pytestmark = [needs_postgres, pytest.mark.slow]

CONCURRENCY = 12  # clients at once, split over the two DE nodes
KILL_AFTER = 60  # answered exchanges before the kill
MAX_EXCHANGES = 400
LOAD_TIMEOUT = 15.0
REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=10)


def storage_table(schema: PgSchema) -> str:
    return f'\n[storage]\nengine = "postgresql"\ndsn = {json.dumps(schema.dsn)}\n'


def add_node_b(fleet: GatewayFleet, schema: PgSchema, root: Path) -> None:
    """DE's second node: a copy of node a's config on its own ports and data directory,
    the same identity and database. ``fleet.nodes["DE-b"]``."""
    a = fleet.nodes["DE"]
    a.config.write_text(a.config.read_text(encoding="utf-8") + storage_table(schema))
    ports = []
    for _ in range(2):
        with contextlib.closing(bind(HOST, 0)) as sock:
            ports.append(sock.getsockname()[1])
    text = a.config.read_text(encoding="utf-8")
    for url, port in ((a.peer_url, ports[0]), (a.client_url, ports[1])):
        text = text.replace(url.removeprefix("https://"), f"{HOST}:{port}", 1)
    text = text.replace(json.dumps(str(a.data_dir)), json.dumps(str(root / "de-b")), 1)
    config = root / "de-b.toml"
    config.write_text(text, encoding="utf-8")
    fleet.nodes["DE-b"] = _Node(
        "DE",  # its clients and readiness check are DE's
        config,
        root / "de-b",
        f"https://{HOST}:{ports[1]}",
        f"https://{HOST}:{ports[0]}",
        root / "de-b.log",
    )


@contextlib.asynccontextmanager
async def fleet_of(fed: Harness, root: Path, schema: PgSchema) -> AsyncIterator[GatewayFleet]:
    fleet = GatewayFleet(fed, root)
    add_node_b(fleet, schema, root)
    try:
        await fleet.start("EE", "DE", "DE-b")
        yield fleet
    finally:
        fleet.stop_all()


@dataclass
class Load:
    answered: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # refused, cut off or timed out
    answered_by_b_after_kill: int = 0


async def exchange(http: aiohttp.ClientSession, url: str, fed: Harness, xid: str) -> int:
    async with http.get(
        f"{url}/r1/{SERVICE}/ettevotted/{xid}",
        headers={"X-Road-Client": fed.client_id("DE"), "X-Road-Id": xid},
        timeout=REQUEST_TIMEOUT,
    ) as resp:
        body = await resp.json() if resp.status == 200 else await resp.read()
    if resp.status == 200:
        assert isinstance(body, dict) and body["registrikood"] == xid, body
    return resp.status


async def load_then_kill(fleet: GatewayFleet, http: aiohttp.ClientSession) -> Load:
    """Clients alternate between node a and node b; node a dies after KILL_AFTER answers."""
    load, numbers, run = Load(), itertools.count(), uuid.uuid4().hex[:8]
    enough, killed, stop = asyncio.Event(), asyncio.Event(), asyncio.Event()

    async def client(node: str) -> None:
        while not stop.is_set():
            n = next(numbers)
            if n >= MAX_EXCHANGES:
                return
            xid = f"{'a' if node == 'DE' else 'b'}-{run}-{n:04d}"
            try:
                status = await exchange(http, fleet.client_url(node), fleet.fed, xid)
            except (aiohttp.ClientError, OSError, TimeoutError):
                status = 0
            if 200 <= status < 300:
                load.answered.append(xid)
                if node == "DE-b" and killed.is_set():
                    load.answered_by_b_after_kill += 1
                if len(load.answered) >= KILL_AFTER:
                    enough.set()
            else:
                load.failed.append(xid)
                if node == "DE":
                    await asyncio.sleep(0.05)  # a dead node: do not spin

    tasks = [asyncio.create_task(client(("DE", "DE-b")[i % 2])) for i in range(CONCURRENCY)]
    try:
        await asyncio.wait_for(enough.wait(), LOAD_TIMEOUT)
        fleet.kill("DE")
        killed.set()
        await asyncio.sleep(1.0)  # node b carries on alone meanwhile
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks), LOAD_TIMEOUT)
    finally:
        stop.set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return load


async def logged(schema: PgSchema) -> dict[str, list[str]]:
    rows = await schema.fetch("SELECT record FROM audit_entries ORDER BY seq")
    found: dict[str, list[str]] = {}
    for (record,) in rows:
        r = json.loads(record)
        if r["direction"] == "outbound":
            found.setdefault(r["exchange_id"], []).append(f"{r['kind']} {r['status']}")
    return found


async def xgw_audit_verify(config: Path) -> tuple[int, dict[str, Any]]:
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "gateway.cli", "audit", "verify", "--json", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=PROJECT_ROOT,
        env=_clean_env(),
        check=False,
    )
    try:
        return done.returncode, json.loads(done.stdout)
    except json.JSONDecodeError:
        return done.returncode, {"stdout": done.stdout, "stderr": done.stderr}


async def test_a_node_killed_under_load_loses_nothing_of_the_shared_log(
    fed: Harness, tmp_path: Path
):
    async with fresh_schema() as schema:
        await schema.upgrade()
        async with (
            fleet_of(fed, tmp_path / "run", schema) as fleet,
            fed.client("DE") as http,
        ):
            load = await load_then_kill(fleet, http)
            assert load.answered_by_b_after_kill > 0, fleet.log_tail("DE-b")
            assert any(x.startswith("a-") for x in load.failed), "the kill cut nothing off"
            found = await logged(schema)
            missing = [x for x in load.answered if found.get(x) != ["request None", "response 200"]]
            assert not missing, (len(load.answered), missing[:5], fleet.log_tail("DE"))
            config = fleet.nodes["DE"].config
            code, report = await xgw_audit_verify(config)
            assert code == 0 and report["ok"], report
            count = report["records"]
            assert count >= 2 * len(load.answered)

            await fleet.start("DE")  # the same database: it continues the one log
            xid = f"after-restart-{uuid.uuid4()}"
            assert await exchange(http, fleet.client_url("DE"), fed, xid) == 200
            assert (await logged(schema))[xid] == ["request None", "response 200"]
        code, report = await xgw_audit_verify(config)
        assert code == 0 and report["ok"] and report["records"] >= count + 2, report
