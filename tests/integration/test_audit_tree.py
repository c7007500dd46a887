"""Real gateways sign tree heads; ``xgw audit`` proves records to an outsider and finds rewrites.

The proofs the CLI prints are checked here the way an outside verifier would: with
the RFC 9162 algorithms over the JSON alone, and the tree head's signature with the
member's signing certificate.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from gateway._crypto import kid
from gateway.audit.merkle import leaf_hash, verify_consistency, verify_inclusion
from gateway.audit.tree_head import verify_tree_head
from tests.integration.federation import SERVICE, Harness, call
from tests.integration.test_audit_tamper import db_of, xgw
from tests.unit.audit.audit_support import records_of, rewrite_from

EXCHANGES = 4


def write_config(fed: Harness, key: str) -> Path:
    """The member's TOML, as an operator would keep it (what ``--config`` reads)."""
    m = fed.members[key]
    path = m.dir / "config.toml"
    path.write_text(
        f"""
[member]
id = "{m.id}"
[listen]
peer = "127.0.0.1:0"
client = "127.0.0.1:0"
[tls]
certificate = "{m.dir / "tls.pem"}"
key = "{m.dir / "tls.key"}"
[signing]
certificate = "{m.dir / "sign.pem"}"
key = "{m.dir / "sign.key"}"
[directory]
source = "{fed.directory_path}"
trust_anchor = "{fed.operator_cert}"
[security]
client_ca = "{fed.ca_cert}"
[data]
dir = "{m.dir / "data"}"
""",
        encoding="utf-8",
    )
    return path


def tree_heads(db: Path) -> list[int]:
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        return [size for (size,) in conn.execute("SELECT tree_size FROM audit_tree_heads")]


async def exchanges(fed: Harness) -> None:
    """A few exchanges; DE signs a tree head every 0.1 s meanwhile, and both at shutdown."""
    fed.members["DE"].settings_overrides["audit"] = {"tree_head_interval": 0.1}
    async with fed.start() as (de, _ee), fed.client("DE") as http:
        for n in range(EXCHANGES):
            answer = await call(
                http,
                "GET",
                f"{de.client_url}/r1/{SERVICE}/ettevotted/{n}",
                headers={"X-Road-Client": fed.client_id("DE"), "X-Road-Id": f"tree-{n}"},
            )
            assert answer.status == 200
        async with asyncio.timeout(5):  # the timer, while the gateway runs
            while 2 * EXCHANGES not in tree_heads(db_of(fed, "DE")):
                await asyncio.sleep(0.05)


async def json_of(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    assert await xgw(*argv) == 0
    result: dict[str, Any] = json.loads(capsys.readouterr().out)
    return result


async def test_gateways_sign_tree_heads_and_the_cli_proves_records_to_an_outsider(
    fed: Harness, capsys: pytest.CaptureFixture[str]
):
    await exchanges(fed)
    records = 2 * EXCHANGES
    for key in ("DE", "EE"):  # EE's interval is the default: its head came at shutdown
        assert tree_heads(db_of(fed, key))[-1] == records
    config = write_config(fed, "DE")
    cert = fed.members["DE"].signing.cert

    assert await xgw("audit", "verify", "--config", str(config)) == 0
    out = capsys.readouterr().out
    assert f"OK, {records} records, chain intact" in out
    assert "signed tree heads match" in out and "note:" not in out

    proof = await json_of(capsys, "audit", "proof", "--inclusion", "3", "--config", str(config))
    head = verify_tree_head(proof["tree_head"], {kid(cert): cert})
    assert (proof["leaf_index"], proof["tree_size"], head.tree_size) == (3, records, records)
    assert json.loads(proof["record"])["exchange_id"] == "tree-1"
    leaf = leaf_hash(proof["record"].encode("utf-8"))
    assert leaf.hex() == proof["leaf_hash"]
    path = [bytes.fromhex(h) for h in proof["path"]]
    assert verify_inclusion(leaf, 3, head.tree_size, path, head.root_hash)
    assert head.root_hash.hex() == proof["root_hash"]

    consistency = await json_of(
        capsys, "audit", "proof", "--consistency", "3", str(records), "--db", str(db_of(fed, "DE"))
    )
    # A head of the tree of 3 records is there only if DE's 0.1 s timer struck just then.
    first = consistency["first_tree_head"]
    assert (first is not None) == (3 in tree_heads(db_of(fed, "DE")))
    if first is not None:
        assert verify_tree_head(first, {kid(cert): cert}).tree_size == 3
    second = verify_tree_head(consistency["second_tree_head"], {kid(cert): cert})
    assert verify_consistency(
        3,
        records,
        bytes.fromhex(consistency["first_root"]),
        second.root_hash,
        [bytes.fromhex(h) for h in consistency["path"]],
    )

    signed = await json_of(capsys, "audit", "tree-head", "--sign", "--config", str(config))
    assert signed["signed"]["tree_size"] == signed["current"]["tree_size"] == records
    assert signed["signed"]["member"] == fed.members["DE"].id
    shown = await json_of(capsys, "audit", "tree-head", "--data-dir", str(db_of(fed, "DE").parent))
    assert shown["signed"]["number"] == signed["signed"]["number"]


async def test_bad_requests_to_the_cli_are_named(fed: Harness, capsys: pytest.CaptureFixture[str]):
    await exchanges(fed)
    data_dir = str(db_of(fed, "DE").parent)
    assert await xgw("audit", "tree-head", "--sign", "--data-dir", data_dir) == 2
    assert "needs --config" in capsys.readouterr().err
    assert await xgw("audit", "proof", "--inclusion", "99", "--data-dir", data_dir) == 1
    assert "record 99 is not in a tree of 8 records" in capsys.readouterr().err
    assert await xgw("audit", "proof", "--consistency", "5", "99", "--data-dir", data_dir) == 1
    assert "has 8 records, not 99" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        await xgw("audit", "proof", "--inclusion", "-1", "--data-dir", data_dir)
    assert "is negative" in capsys.readouterr().err


async def test_a_rewritten_history_fails_verify_at_the_last_signed_head(
    fed: Harness, capsys: pytest.CaptureFixture[str]
):
    await exchanges(fed)
    db = db_of(fed, "DE")
    signed_before = sorted(set(tree_heads(db)))
    records = records_of(db)
    changed = json.loads(records[5])
    changed["path"] = "/ettevotted/someone-else"
    data = json.dumps(changed, sort_keys=True, separators=(",", ":")).encode()
    rewrite_from(db, [*records[:5], data, *records[6:]], 5)  # every hash recomputed
    config = write_config(fed, "DE")

    assert await xgw("audit", "verify", "--json", "--config", str(config)) == 1
    result = json.loads(capsys.readouterr().out)
    intact = max([0, *(size for size in signed_before if size <= 5)])
    assert (result["ok"], result["first_bad"]) == (False, intact)
    assert "do not give the root signed" in result["reason"]


async def test_a_cut_off_tail_fails_verify_naming_the_first_missing_record(
    fed: Harness, capsys: pytest.CaptureFixture[str]
):
    await exchanges(fed)
    db = db_of(fed, "EE")
    with contextlib.closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("DELETE FROM audit_entries WHERE seq >= 6")
    assert await xgw("audit", "verify", "--data-dir", str(db.parent)) == 1
    out = capsys.readouterr().out
    assert "FAILED at record 6" in out and "records 6 to 7 were removed" in out
