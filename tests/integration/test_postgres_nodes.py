"""Two nodes of one member, one PostgreSQL database: one log, one order, replays refused.

DE and EE each run two gateway nodes in this process, on 127.0.0.1, the nodes of a
member sharing its own schema on the test server (``XGW_TEST_POSTGRES_DSN``; skipped
with that reason when unset). The directory names node ``a`` of each member; a load
balancer would stand there, so the clients here pick the node themselves.

- exchanges through both DE nodes interleave into DE's one log, which
  ``xgw audit verify --config`` accepts (with the tree heads every node signed);
- a signed hop that EE's node ``a`` accepted is refused by node ``b``
  (``Server.ServerProxy.InvalidMessage``), and never reaches the backend twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import io
import json
import shutil
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from gateway.admin.tokens import Role
from gateway.app import Gateway, bind
from gateway.cli import main
from gateway.directory_manager import HISTORY_DIR
from gateway.errors import AuditError
from gateway.node import DIRECTORY_CACHE
from tests.integration.admin_support import AdminClient
from tests.integration.federation import (
    HOST,
    SERVICE,
    Harness,
    assert_xroad_error,
    backend_seen,
    kept_logging,
    send_hop,
    signed_hop,
)
from tests.integration.process_support import node_config, to_toml
from tests.unit.storage.postgres_support import PgSchema, fresh_schema, needs_postgres

pytestmark = needs_postgres

EXCHANGES_PER_NODE = 12


def share(fed: Harness, key: str, schema: PgSchema) -> None:
    """Every node of ``key`` built from now on uses the member's schema."""
    fed.members[key].settings_overrides["storage"] = {"engine": "postgresql", "dsn": schema.dsn}


def config_file(fed: Harness, key: str, path: Path) -> Path:
    """A TOML file of the member's node, as an operator's ``--config`` (storage included)."""
    settings = fed.settings(key)
    tables: dict[str, Any] = node_config(settings, peer_port=1, client_port=2)
    tables["storage"] = {"engine": "postgresql", "dsn": settings.storage.dsn}
    path.write_text(to_toml(tables), encoding="utf-8")
    return path


async def xgw_json(*argv: str) -> tuple[int, dict[str, Any]]:
    """``xgw ... --json`` in this process; exit code and the JSON it printed."""
    out = io.StringIO()
    with kept_logging(), contextlib.redirect_stdout(out):
        code = await asyncio.to_thread(main, [*argv, "--json"])
    return code, json.loads(out.getvalue())


@contextlib.asynccontextmanager
async def second_node(fed: Harness, key: str, root: Path) -> AsyncIterator[Gateway]:
    """Another node of member ``key``: the same identity and database, its own data dir."""
    settings = dataclasses.replace(fed.settings(key), data_dir=root / f"{key.lower()}-b")
    with contextlib.closing(bind(HOST, 0)) as peer, contextlib.closing(bind(HOST, 0)) as client:
        async with Gateway.running(settings, peer_sock=peer, client_sock=client) as gateway:
            yield gateway


async def exchange(http: aiohttp.ClientSession, fed: Harness, node: Gateway, xid: str) -> int:
    async with http.get(
        f"{node.client_url}/r1/{SERVICE}/ettevotted/{xid}",
        headers={"X-Road-Client": fed.client_id("DE"), "X-Road-Id": xid},
    ) as resp:
        await resp.read()
        return resp.status


async def test_two_nodes_share_one_log_and_refuse_each_others_replays(
    fed: Harness, tmp_path: Path, backend_url: str
):
    async with fresh_schema() as de_db, fresh_schema() as ee_db:
        await de_db.upgrade()
        await ee_db.upgrade()
        share(fed, "DE", de_db)
        share(fed, "EE", ee_db)
        de = fed.members["DE"]
        replayed = signed_hop(
            "GET", f"/r1/{SERVICE}/echo/replayed", client=fed.client_id("DE"), signing=de.signing
        )
        async with (
            fed.start() as (de_a, ee_a),
            second_node(fed, "DE", tmp_path) as de_b,
            second_node(fed, "EE", tmp_path) as ee_b,
            fed.client("DE") as http,
            fed.peer_session(de.tls) as peer,
        ):
            ids = {
                name: [f"{name}-{uuid.uuid4()}" for _ in range(EXCHANGES_PER_NODE)]
                for name in ("a", "b")
            }
            statuses = await asyncio.gather(
                *(exchange(http, fed, de_a, x) for x in ids["a"]),
                *(exchange(http, fed, de_b, x) for x in ids["b"]),
            )
            assert set(statuses) == {200}, statuses

            first = await send_hop(peer, ee_a.peer_url, replayed)
            assert first.status == 200, first.body
            again = await send_hop(peer, ee_b.peer_url, replayed)
            assert_xroad_error(again, "Server.ServerProxy.InvalidMessage")
            assert b"another node" in again.body
            fresh = signed_hop(
                "GET", f"/r1/{SERVICE}/echo/fresh", client=fed.client_id("DE"), signing=de.signing
            )
            assert (await send_hop(peer, ee_b.peer_url, fresh)).status == 200

            for node in (de_a, de_b, ee_a, ee_b):  # every node signs heads of the shared log
                await node.node.tree_heads.sign_now()

        assert (await backend_seen(backend_url)).count("GET /echo/replayed") == 1
        # DE's one log: both nodes' exchanges, interleaved, each request before its response.
        rows = await de_db.fetch("SELECT seq, record FROM audit_entries ORDER BY seq")
        assert [row[0] for row in rows] == list(range(len(rows)))
        logged = [json.loads(row[1]) for row in rows if json.loads(row[1])["kind"] != "admin"]
        order = [(r["exchange_id"].split("-", 1)[0], r["kind"]) for r in logged]
        assert len(order) == 4 * EXCHANGES_PER_NODE
        names = [name for name, _ in order]
        assert names != sorted(names) and names != sorted(names, reverse=True), names
        for xid in ids["a"] + ids["b"]:
            kinds = [r["kind"] for r in logged if r["exchange_id"] == xid]
            assert kinds == ["request", "response"], (xid, kinds)

        for key, at_least in (("DE", 4 * EXCHANGES_PER_NODE), ("EE", 4 * EXCHANGES_PER_NODE + 4)):
            toml = config_file(fed, key, tmp_path / f"{key.lower()}.toml")
            code, report = await xgw_json("audit", "verify", "--config", str(toml))
            assert code == 0 and report["ok"], report
            assert report["records"] >= at_least and report["tree_heads"] >= 2, report
            assert "***" not in report["database"] and "search_path" in report["database"]


@pytest.mark.parametrize("command", ["tree-head", "proof", "prove"])
async def test_audit_commands_read_the_shared_log(fed: Harness, tmp_path: Path, command: str):
    async with fresh_schema() as de_db:
        await de_db.upgrade()
        share(fed, "DE", de_db)
        xid = f"x-{uuid.uuid4()}"
        async with fed.start() as (de_a, _), fed.client("DE") as http:
            assert await exchange(http, fed, de_a, xid) == 200
            await de_a.node.tree_heads.sign_now()
        toml = str(config_file(fed, "DE", tmp_path / "de.toml"))
        if command == "tree-head":
            code, head = await xgw_json("audit", "tree-head", "--config", toml, "--sign")
            assert code == 0 and head["current"]["tree_size"] >= 2
            assert head["signed"]["tree_size"] == head["current"]["tree_size"]
        elif command == "proof":
            code, proof = await xgw_json("audit", "proof", "--config", toml, "--inclusion", "1")
            assert code == 0 and proof["leaf_index"] == 1 and proof["tree_head"]
        else:  # the node's own files gone: the directory comes from the database
            data_dir = fed.settings("DE").data_dir
            shutil.rmtree(data_dir / HISTORY_DIR)
            (data_dir / DIRECTORY_CACHE).unlink()
            out = tmp_path / "bundle.json"
            code, proven = await xgw_json("audit", "prove", xid, "-o", str(out), "--config", toml)
            assert code == 0 and out.exists(), proven
            anchor = str(fed.operator_cert)
            code, checked = await xgw_json("audit", "check", str(out), "--trust-anchor", anchor)
            assert code == 0, checked


async def test_the_admin_api_reads_the_shared_log(fed: Harness):
    async with fresh_schema() as de_db:
        await de_db.upgrade()
        share(fed, "DE", de_db)
        fed.members["DE"].settings_overrides["admin"] = {"listen": "127.0.0.1:0"}
        xid = f"x-{uuid.uuid4()}"
        async with (
            fed.start() as (de_a, _),
            second_node(fed, "DE", fed.root) as de_b,
            fed.client("DE") as http,
            aiohttp.ClientSession() as admin_http,
        ):
            assert await exchange(http, fed, de_b, xid) == 200  # logged by node b
            api = AdminClient(admin_http, de_a, fed.settings("DE"))  # read through node a
            records = await api.call("GET", f"/admin/v1/audit/exchanges/{xid}", role=Role.AUDITOR)
            assert records.status == 200, records.body
            assert [r["record"]["kind"] for r in records.json()["records"]] == [
                "request",
                "response",
            ]
            bundle = await api.call(
                "GET", f"/admin/v1/audit/exchanges/{xid}/evidence", role=Role.AUDITOR
            )
            assert bundle.status == 200 and bundle.json()["exchange_id"] == xid
            head = await api.call("GET", "/admin/v1/audit/tree-head", role=Role.AUDITOR)
            assert head.json()["signed"]["tree_size"] >= 2  # the evidence signed one


async def test_a_node_refuses_a_database_without_the_schema(fed: Harness):
    async with fresh_schema() as de_db:
        share(fed, "DE", de_db)  # no xgw db upgrade
        with (
            contextlib.closing(bind(HOST, 0)) as peer,
            contextlib.closing(bind(HOST, 0)) as client,
            pytest.raises(AuditError, match="xgw db upgrade --config"),
        ):
            async with Gateway.running(fed.settings("DE"), peer_sock=peer, client_sock=client):
                pass
        assert await de_db.fetch("SELECT 1 FROM pg_tables WHERE schemaname = $1", de_db.name) == []
