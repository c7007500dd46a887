"""Witnessing between two real gateways: each keeps the other's signed tree heads and
proves that every new one extends the last; a rewritten history is caught.

EE's history is rewritten the way an operator with the key would hide a change: the
gateway is stopped, its log edited or cut off with every hash recomputed, the old heads
deleted and a new one signed with EE's own signing key, so that EE's own
``xgw audit verify`` passes. Only DE's memory of an earlier head shows it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sqlite3
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from gateway._crypto import kid, load_certificates
from gateway.app import Gateway
from gateway.audit.log import AuditLog
from gateway.audit.merkle import leaf_hash, tree_root, verify_consistency
from gateway.audit.tree_head import TreeHeadSigner, verify_tree_head
from gateway.audit.witness import CONSISTENCY_PATH, TREE_HEAD_HEADER
from gateway.directory import verify_directory
from gateway.identifiers import ClientId
from gateway.pki import Usage
from tests.integration.federation import (
    DE,
    EE,
    HOST,
    SERVICE,
    Answer,
    Harness,
    assert_xroad_error,
    backend_seen,
    call,
    send_hop,
    signed_hop,
)
from tests.integration.test_audit_tamper import db_of, records, xgw
from tests.integration.test_audit_tree import write_config
from tests.unit.audit.audit_support import make_record, records_of, rewrite_from


def configure(fed: Harness, action: str = "refuse") -> None:
    """Heads signed every 0.1 s, the witness store re-read every 0.2 s."""
    for member in fed.members.values():
        member.settings_overrides["audit"] = {"tree_head_interval": 0.1}
        member.settings_overrides["witness"] = {
            "refresh_interval": 0.2,
            "on_inconsistency": action,
        }


async def ask(
    fed: Harness, http: aiohttp.ClientSession, de: Gateway, n: int, tag: str = "witness"
) -> Answer:
    return await call(
        http,
        "GET",
        f"{de.client_url}/r1/{SERVICE}/ettevotted/{n}",
        headers={"X-Road-Client": fed.client_id("DE"), "X-Road-Id": f"{tag}-{n}"},
    )


async def until_witnessed(
    fed: Harness, http: aiohttp.ClientSession, de: Gateway, ee: Gateway
) -> int:
    """Exchange until each gateway holds the other's head and has proven it grew; the size
    of EE's head that DE holds then."""
    async with asyncio.timeout(30):
        for n in range(1000):
            answer = await ask(fed, http, de, n, tag="grow")
            assert answer.status == 200 and TREE_HEAD_HEADER not in answer.headers
            held = de.node.witness.latest(EE)
            if (
                held is not None
                and held.tree_size >= 6
                and de.node.witness.proofs_checked >= 1
                and ee.node.witness.latest(DE) is not None
                and ee.node.witness.proofs_checked >= 1
            ):
                break
            await asyncio.sleep(0.1)
    await de.node.witness.settle()
    held = de.node.witness.latest(EE)
    assert held is not None
    return held.tree_size


async def witness_each_other(fed: Harness) -> int:
    async with fed.start() as (de, ee), fed.client("DE") as http:
        return await until_witnessed(fed, http, de, ee)


def ee_signer(fed: Harness) -> TreeHeadSigner:
    signing = fed.members["EE"].signing
    return TreeHeadSigner(signing.key, signing.cert, EE)


def delete_tree_heads(db: Path) -> None:
    with contextlib.closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("DELETE FROM audit_tree_heads")


async def rewrite_ee_history(fed: Harness) -> int:
    """Change EE's first record, recompute everything, carry on and re-sign; the new size."""
    db = db_of(fed, "EE")
    kept = records_of(db)
    changed = json.loads(kept[0])
    changed["path"] = "/ettevotted/someone-else"
    data = json.dumps(changed, sort_keys=True, separators=(",", ":")).encode()
    rewrite_from(db, [data, *kept[1:]], 0)
    delete_tree_heads(db)
    async with AuditLog.sqlite(db) as log:  # the log goes on, and a head is signed for it
        await log.append(make_record(1000))
        await log.append(make_record(1001))
        signed = await log.sign_tree_head(ee_signer(fed))
    await assert_own_verify_passes(fed)
    return signed.head.tree_size


async def assert_own_verify_passes(fed: Harness) -> None:
    assert await xgw("audit", "verify", "--config", str(write_config(fed, "EE"))) == 0


async def detected(gateway: Gateway, peer: str) -> Any:
    async with asyncio.timeout(10):
        while gateway.node.witness.inconsistency(peer) is None:
            await gateway.node.witness.settle()
            await asyncio.sleep(0.05)
    return gateway.node.witness.inconsistency(peer)


async def json_of(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    capsys.readouterr()
    assert await xgw(*argv) == 0
    return json.loads(capsys.readouterr().out)


def data_dir(fed: Harness, key: str) -> str:
    return str(fed.members[key].dir / "data")


# ---------------------------------------------------------------------------- tests


async def test_gateways_witness_each_other_as_their_logs_grow(
    fed: Harness, capsys: pytest.CaptureFixture[str]
):
    configure(fed)
    async with fed.start() as (de, ee), fed.client("DE") as http:
        size = await until_witnessed(fed, http, de, ee)
        held = de.node.witness.latest(EE)
        assert held is not None and de.node.witness.inconsistency(EE) is None

        # The head travels between gateways only: not to the backend, not to the client,
        # and a client cannot slip one in.
        answer = await call(
            http,
            "GET",
            f"{de.client_url}/r1/{SERVICE}/echo/head",
            headers={"X-Road-Client": fed.client_id("DE"), TREE_HEAD_HEADER: "made up"},
        )
        assert answer.status == 200 and TREE_HEAD_HEADER not in answer.headers
        assert "x-xgw-tree-head" not in answer.json()["headers"]

        # The proof DE checked, as EE serves it to any member's gateway.
        async with fed.peer_session(fed.members["DE"].tls) as peer:
            url = f"{ee.peer_url}{CONSISTENCY_PATH}"
            proof = (await call(peer, "GET", f"{url}?first=2&second={size}")).json()
            leaves = [leaf_hash(r) for r in records_of(db_of(fed, "EE"))]
            assert proof["first_root"] == tree_root(leaves[:2]).hex()
            assert verify_consistency(
                2,
                size,
                tree_root(leaves[:2]),
                held.root_hash,
                [bytes.fromhex(h) for h in proof["path"]],
            )
            for query in ("first=5&second=3", f"first=1&second={10**9}", "first=1", "first=x"):
                assert_xroad_error(await call(peer, "GET", f"{url}?{query}"), "Client.BadRequest")
        stranger = fed.ca.issue("stranger", usage=Usage.TLS, hosts=[HOST])
        async with fed.peer_session(stranger, "stranger") as peer:
            answer = await call(peer, "GET", f"{url}?first=1&second=2")
            assert_xroad_error(answer, "Server.ServerProxy.CertValidation")

    listing = await json_of(capsys, "witness", "list", "--json", "--data-dir", data_dir(fed, "DE"))
    (ee_entry,) = listing["peers"]
    assert ee_entry["peer"] == EE and ee_entry["state"] == "consistent"
    assert ee_entry["latest"]["tree_size"] >= size and listing["inconsistencies"] == []
    capsys.readouterr()
    assert await xgw("witness", "list", "--data-dir", data_dir(fed, "EE")) == 0
    assert f"{DE}: consistent, latest head" in capsys.readouterr().out


async def test_a_rewritten_history_is_refused_both_ways_until_cleared(
    fed: Harness, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
):
    configure(fed)
    held_size = await witness_each_other(fed)
    rewritten_size = await rewrite_ee_history(fed)

    async with fed.start() as (de, ee), fed.client("DE") as http:
        with caplog.at_level(logging.ERROR, logger="gateway.witness"):
            assert (await ask(fed, http, de, 1)).status == 200  # brings EE's new head
            evidence = await detected(de, EE)
        assert evidence.kind == "inconsistent" and evidence.action == "refuse"
        (line,) = [r.getMessage() for r in caplog.records if r.name == "gateway.witness"]
        assert f"the audit log of {EE} was rewritten" in line
        assert f"{held_size} records" in line and f"{rewritten_size} records" in line

        # Refused by DE before anything leaves it...
        seen = len(await backend_seen(fed.backend_url))
        refused = await ask(fed, http, de, 2)
        document = assert_xroad_error(refused, "Server.ClientProxy.InconsistentTreeHead")
        assert f"evidence #{evidence.number}" in document["message"]
        assert len(await backend_seen(fed.backend_url)) == seen
        (request, response) = records(db_of(fed, "DE"), "witness-2")
        assert response["error_type"] == "Server.ClientProxy.InconsistentTreeHead"
        assert "witness:" in request["notes"] and "refused" in request["notes"]
        # ... and EE's requests are refused by DE's peer port.
        hop = signed_hop(
            "GET",
            f"/r1/{DE}/gewerbeamt/anything",
            client=fed.client_id("EE"),
            signing=fed.members["EE"].signing,
        )
        async with fed.peer_session(fed.members["EE"].tls, "ee-peer") as peer:
            answer = await send_hop(peer, de.peer_url, hop)
        assert_xroad_error(answer, "Server.ServerProxy.InconsistentTreeHead")
        assert ee.node.witness.inconsistency(DE) is None  # DE's own log is intact

        # The evidence, exported and checked as an outsider would.
        out = fed.root / "evidence.json"
        capsys.readouterr()
        assert (
            await xgw("witness", "show", "1", "--data-dir", data_dir(fed, "DE"), "-o", str(out))
            == 0
        )
        exported = json.loads(out.read_text())
        cert = fed.members["EE"].signing.cert
        old = verify_tree_head(exported["held_tree_head"], {kid(cert): cert})
        new = verify_tree_head(exported["new_tree_head"], {kid(cert): cert})
        assert (old.tree_size, new.tree_size) == (held_size, rewritten_size)
        proof = exported["proof"]
        assert (proof["first_size"], proof["second_size"]) == (held_size, rewritten_size)
        assert not verify_consistency(
            held_size,
            rewritten_size,
            old.root_hash,
            new.root_hash,
            [bytes.fromhex(h) for h in proof["path"]],
        )
        assert proof["first_root"] != old.root_hash.hex()  # what EE's log says now
        listed = verify_directory(exported["directory"], [fed.operator.cert]).member(
            ClientId.parse(EE)
        )
        assert listed is not None and cert in listed.signing_certificates
        assert [load_certificates(pem)[0] for pem in exported["certificates"]] == [cert]

        # An administrator clears EE: exchanges resume and its present history is the baseline.
        capsys.readouterr()
        assert await xgw("witness", "clear", EE, "--data-dir", data_dir(fed, "DE")) == 0
        assert "cleared #1" in capsys.readouterr().out
        async with asyncio.timeout(5):
            while de.node.witness.inconsistency(EE) is not None:
                await asyncio.sleep(0.05)
        assert (await ask(fed, http, de, 3)).status == 200
        await de.node.witness.settle()
        baseline = de.node.witness.latest(EE)
        assert baseline is not None and baseline.tree_size >= rewritten_size
        assert await xgw("witness", "clear", EE, "--data-dir", data_dir(fed, "DE")) == 1
        assert await xgw("witness", "clear", "EE-GOV", "--data-dir", data_dir(fed, "DE")) == 1
        assert await xgw("witness", "show", "2", "--data-dir", data_dir(fed, "DE")) == 1
        assert "no inconsistency #2" in capsys.readouterr().err


async def test_report_mode_only_reports_a_rewritten_history(
    fed: Harness, capsys: pytest.CaptureFixture[str]
):
    configure(fed, action="report")
    await witness_each_other(fed)
    await rewrite_ee_history(fed)
    async with fed.start() as (de, _ee), fed.client("DE") as http:
        assert (await ask(fed, http, de, 1)).status == 200
        evidence = await detected(de, EE)
        assert evidence.action == "report"
        assert (await ask(fed, http, de, 2)).status == 200
        (request, response) = records(db_of(fed, "DE"), "witness-2")
        assert "reported, not refused" in request["notes"] and response["status"] == 200

    listing = await json_of(capsys, "witness", "list", "--json", "--data-dir", data_dir(fed, "DE"))
    assert listing["peers"][0]["state"] == "inconsistent"
    (found,) = listing["inconsistencies"]
    assert (found["peer"], found["action"], found["cleared_at"]) == (EE, "report", None)


async def test_a_rolled_back_log_is_detected(fed: Harness):
    configure(fed)
    held_size = await witness_each_other(fed)
    db = db_of(fed, "EE")
    with contextlib.closing(sqlite3.connect(db)) as conn, conn:
        tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}
        for table in ("audit_entries", "audit_bodies"):  # cut off, with what hangs on it...
            if table in tables:
                conn.execute(f"DELETE FROM {table} WHERE seq >= 2")
    delete_tree_heads(db)
    assert await xgw("audit", "tree-head", "--sign", "--config", str(write_config(fed, "EE"))) == 0
    await assert_own_verify_passes(fed)  # ... and signed anew: EE's own check is content

    async with fed.start() as (de, _ee), fed.client("DE") as http:
        assert (await ask(fed, http, de, 1)).status == 200
        evidence = await detected(de, EE)
        assert evidence.kind == "rollback" and evidence.proof is None
        assert f"{held_size} records" in evidence.reason
        assert_xroad_error(await ask(fed, http, de, 2), "Server.ClientProxy.InconsistentTreeHead")


async def test_forged_heads_are_ignored_and_refuse_no_one(
    fed: Harness, caplog: pytest.LogCaptureFixture
):
    configure(fed)
    de_member = fed.members["DE"]
    stranger = fed.ca.issue(DE, usage=Usage.SIGNING)  # DE's name, a key the directory lacks
    forged = [
        TreeHeadSigner(stranger.key, stranger.cert, DE).sign(3, bytes(32)).jws,
        ee_signer(fed).sign(3, bytes(32)).jws,  # a real head, of another member
    ]
    async with fed.start() as (de, ee), fed.client("DE") as http:
        async with fed.peer_session(de_member.tls, "de-peer") as peer:
            with caplog.at_level(logging.WARNING, logger="gateway.witness"):
                for n, head in enumerate(forged):
                    hop = signed_hop(
                        "GET",
                        f"/r1/{SERVICE}/ettevotted/{n}",
                        client=fed.client_id("DE"),
                        signing=de_member.signing,
                        extra_headers=[(TREE_HEAD_HEADER, head)],
                    )
                    assert (await send_hop(peer, ee.peer_url, hop)).status == 200
                await ee.node.witness.settle()
        ignored = [
            r.getMessage() for r in caplog.records if "ignored a tree head" in r.getMessage()
        ]
        assert len(ignored) == 2 and all(DE in line for line in ignored)
        assert ee.node.witness.latest(DE) is None and ee.node.witness.inconsistency(DE) is None
        await until_witnessed(fed, http, de, ee)  # DE's real heads are taken all the same
        assert ee.node.witness.inconsistency(DE) is None
