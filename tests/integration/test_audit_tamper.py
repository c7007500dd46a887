"""The audit log: every exchange recorded on every gateway it passed; tampering is found.

``xgw audit verify`` runs in-process (``gateway.cli.main``) in a worker thread, since it
runs its own event loop; the SQLite file is edited with the standard library, as an
intruder with file access would.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
from pathlib import Path
from typing import Any

import orjson
import pytest

from gateway.cli import main
from gateway.node import AUDIT_DB
from tests.integration.federation import (
    SERVICE,
    Harness,
    assert_xroad_error,
    call,
    kept_logging,
    send_hop,
    signed_hop,
)


async def xgw(*argv: str) -> int:
    with kept_logging():
        return await asyncio.to_thread(main, list(argv))


def db_of(fed: Harness, key: str) -> Path:
    return fed.members[key].dir / "data" / AUDIT_DB


def records(db: Path, exchange_id: str | None = None) -> list[dict[str, Any]]:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        rows = conn.execute("SELECT record FROM audit_entries ORDER BY seq").fetchall()
    found = [json.loads(row[0]) for row in rows]
    return [r for r in found if exchange_id is None or r["exchange_id"] == exchange_id]


def rewrite(db: Path, statement: str, *params: object) -> None:
    with contextlib.closing(sqlite3.connect(db)) as conn, conn:
        changed = conn.execute(statement, params).rowcount
    assert changed == 1


async def some_exchanges(fed: Harness, count: int = 3) -> None:
    async with fed.start() as (de, _ee), fed.client("DE") as http:
        for n in range(count):
            answer = await call(
                http,
                "GET",
                f"{de.client_url}/r1/{SERVICE}/ettevotted/{n}",
                headers={"X-Road-Client": fed.client_id("DE"), "X-Road-Id": f"audit-{n}"},
            )
            assert answer.status == 200


async def test_untouched_logs_verify_on_both_gateways(
    fed: Harness, capsys: pytest.CaptureFixture[str]
):
    await some_exchanges(fed)
    for key in ("DE", "EE"):
        assert await xgw("audit", "verify", "--data-dir", str(fed.members[key].dir / "data")) == 0
        out = capsys.readouterr().out
        assert "OK, 6 records, chain intact" in out, out  # 3 exchanges x request + response


async def test_edited_record_is_found_and_named(fed: Harness, capsys: pytest.CaptureFixture[str]):
    await some_exchanges(fed)
    db = db_of(fed, "DE")
    with contextlib.closing(sqlite3.connect(db)) as conn:
        (record,) = conn.execute("SELECT record FROM audit_entries WHERE seq = 2").fetchone()
    edited = orjson.loads(record)
    edited["client"] = "DE/GOV/05974028/someone-else"  # still a canonical, valid record
    rewrite(
        db,
        "UPDATE audit_entries SET record = ? WHERE seq = 2",
        orjson.dumps(edited, option=orjson.OPT_SORT_KEYS),
    )

    assert await xgw("audit", "verify", "--data-dir", str(db.parent)) == 1
    out = capsys.readouterr().out
    assert "FAILED at record 2" in out, out
    assert await xgw("audit", "verify", "--json", "--db", str(db)) == 1
    result = json.loads(capsys.readouterr().out)
    assert result["ok"] is False
    assert result["first_bad"] == 2
    assert result["records"] == 2  # the good ones before it


async def test_deleted_middle_record_is_found(fed: Harness, capsys: pytest.CaptureFixture[str]):
    await some_exchanges(fed)
    db = db_of(fed, "EE")
    rewrite(db, "DELETE FROM audit_entries WHERE seq = 3")

    assert await xgw("audit", "verify", "--data-dir", str(db.parent)) == 1
    out = capsys.readouterr().out
    assert "FAILED at record 3" in out, out
    assert "missing" in out


async def test_recomputed_record_with_a_stale_chain_hash_is_found(
    fed: Harness, capsys: pytest.CaptureFixture[str]
):
    """Swapping two records (both genuine) breaks the chain where the first one moved."""
    await some_exchanges(fed)
    db = db_of(fed, "DE")
    with contextlib.closing(sqlite3.connect(db)) as conn, conn:
        first, second = conn.execute(
            "SELECT record FROM audit_entries WHERE seq IN (1, 4) ORDER BY seq"
        ).fetchall()
        conn.execute("UPDATE audit_entries SET record = ? WHERE seq = 1", (second[0],))
        conn.execute("UPDATE audit_entries SET record = ? WHERE seq = 4", (first[0],))

    assert await xgw("audit", "verify", "--data-dir", str(db.parent)) == 1
    assert "FAILED at record 1" in capsys.readouterr().out


async def test_indexed_nonce_column_changed_behind_the_records_back_is_found(
    fed: Harness, capsys: pytest.CaptureFixture[str]
):
    """The replay cache reloads nonces from the column: it must agree with the chained record."""
    await some_exchanges(fed)
    db = db_of(fed, "EE")
    with contextlib.closing(sqlite3.connect(db)) as conn:
        (seq,) = conn.execute(
            "SELECT min(seq) FROM audit_entries WHERE nonce IS NOT NULL"
        ).fetchone()
    rewrite(db, "UPDATE audit_entries SET nonce = 'another-nonce' WHERE seq = ?", seq)

    assert await xgw("audit", "verify", "--data-dir", str(db.parent)) == 1
    out = capsys.readouterr().out
    assert f"FAILED at record {seq}" in out, out
    assert "nonce" in out


async def test_not_an_audit_database_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    other = tmp_path / AUDIT_DB
    with contextlib.closing(sqlite3.connect(other)) as conn, conn:
        conn.execute("CREATE TABLE audit_entries (seq INTEGER)")
    assert await xgw("audit", "verify", "--data-dir", str(tmp_path)) == 1
    assert "FAILED" in capsys.readouterr().out


async def test_every_exchange_refused_or_not_is_recorded_on_each_gateway_it_passed(
    fed: Harness,
):
    async with fed.start() as (de, ee), fed.client("DE") as http:
        ok = await call(
            http,
            "GET",
            f"{de.client_url}/r1/{SERVICE}/echo/ok",
            headers={"X-Road-Client": fed.client_id("DE"), "X-Road-Id": "x-ok"},
        )
        denied = await call(
            http,
            "GET",
            f"{de.client_url}/r1/{SERVICE}/secret",
            headers={"X-Road-Client": fed.client_id("DE"), "X-Road-Id": "x-denied"},
        )
        malformed = await call(
            http,
            "GET",
            f"{de.client_url}/r1/{SERVICE}/echo/x",
            headers={"X-Road-Id": "x-no-client"},
        )
        hop = signed_hop(
            "POST",
            f"/r1/{SERVICE}/echo/forged",
            client=fed.client_id("DE"),
            signing=fed.members["DE"].signing,
            xroad_id="x-forged",
            body=b"changed",
            signed_body=b"signed",
        )
        async with fed.peer_session(fed.members["DE"].tls) as peer:
            forged = await send_hop(peer, ee.peer_url, hop)
    assert ok.status == 200
    assert_xroad_error(denied, "Server.ClientProxy.AccessDenied")
    assert_xroad_error(malformed, "Client.MissingHeaderField")
    assert_xroad_error(forged, "Server.ServerProxy.InvalidSignatureValue")

    de_db, ee_db = db_of(fed, "DE"), db_of(fed, "EE")

    def kinds(db: Path, exchange_id: str) -> list[tuple[str, str, int | None, str | None]]:
        return [
            (r["kind"], r["direction"], r["status"], r["error_type"])
            for r in records(db, exchange_id)
        ]

    assert kinds(de_db, "x-ok") == [
        ("request", "outbound", None, None),
        ("response", "outbound", 200, None),
    ]
    assert kinds(ee_db, "x-ok") == [
        ("request", "inbound", None, None),
        ("response", "inbound", 200, None),
    ]
    assert kinds(de_db, "x-denied") == [
        ("request", "outbound", None, None),
        ("response", "outbound", 500, "Server.ClientProxy.AccessDenied"),
    ]
    assert kinds(ee_db, "x-denied") == []  # it never left DE
    assert kinds(de_db, "x-no-client") == [
        ("request", "outbound", None, None),
        ("response", "outbound", 400, "Client.MissingHeaderField"),
    ]
    assert kinds(ee_db, "x-forged") == [
        ("request", "inbound", None, None),
        ("response", "inbound", 500, "Server.ServerProxy.InvalidSignatureValue"),
    ]

    # What the records hold: who, what, digests, the hop signature and its nonce.
    de_request, de_response = records(de_db, "x-ok")
    ee_request, ee_response = records(ee_db, "x-ok")
    assert de_request["client"] == ee_request["client"] == fed.client_id("DE")
    assert de_request["service"] == ee_request["service"] == SERVICE
    assert de_request["path"] == ee_request["path"] == "/echo/ok"
    assert de_request["signature"] == ee_request["signature"]  # the same signed hop
    assert de_request["nonce"] == ee_request["nonce"] is not None
    assert ee_request["peer"] == "DE/GOV/05974028"
    assert de_response["digest"] == ee_response["digest"]  # the body passed intact
    assert de_response["signature"] == ee_response["signature"] is not None


async def test_provider_refusal_passed_through_is_recorded_with_its_type_on_both_sides(
    fed: Harness,
):
    fed.revoked.append({"serial": format(fed.members["DE"].signing.cert.serial_number, "x")})
    async with fed.start() as (de, _ee), fed.client("DE") as http:
        answer = await call(
            http,
            "GET",
            f"{de.client_url}/r1/{SERVICE}/echo/x",
            headers={"X-Road-Client": fed.client_id("DE"), "X-Road-Id": "x-revoked"},
        )
    assert_xroad_error(answer, "Server.ServerProxy.CertValidation")
    for key in ("DE", "EE"):
        request, response = records(db_of(fed, key), "x-revoked")
        assert request["kind"] == "request"
        assert (response["status"], response["error_type"]) == (
            500,
            "Server.ServerProxy.CertValidation",
        )
