"""Verification of the chain, pure and over SQLite files, and what tampering it catches."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import uuid
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from gateway.audit import GENESIS, AuditLog, AuditRecord, chain_hash, verify_entries, verify_sqlite

Entry = tuple[int, bytes, bytes]


def make_record(i: int, **overrides: Any) -> AuditRecord:
    values: dict[str, Any] = {
        "exchange_id": str(uuid.uuid4()),
        "kind": "request",
        "direction": "inbound",
        "time": f"2026-11-28T02:05:{i % 60:02d}.000000Z",
        "client": "DE/GOV/05974028/gewerbeamt",
        "service": "EE/GOV/70000310/ariregister/detailandmed_v2",
        "method": "GET",
        "path": f"/companies/{i}",
        "digest": "sha-256:47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU",
        "nonce": f"nonce-{i}",
    }
    values.update(overrides)
    return AuditRecord(**values)


def chained(records: list[bytes], start: bytes = GENESIS) -> list[Entry]:
    entries, head = [], start
    for seq, data in enumerate(records):
        head = chain_hash(head, data)
        entries.append((seq, data, head))
    return entries


def make_entries(n: int = 10) -> list[Entry]:
    return chained([make_record(i).canonical() for i in range(n)])


# ---- pure verification ----------------------------------------------------------------


def test_an_intact_chain_verifies():
    entries = make_entries()
    result = verify_entries(entries)
    assert (result.ok, result.count, result.first_bad, result.reason) == (True, 10, None, None)
    assert result.head == entries[-1][2].hex()


def test_an_empty_chain_verifies():
    assert verify_entries([]) == verify_entries(iter(()))
    assert verify_entries([]).ok


def test_the_chain_rule():
    data = make_record(0).canonical()
    expected = hashlib.sha256(bytes(32) + hashlib.sha256(data).digest()).digest()
    assert chain_hash(GENESIS, data) == expected


def test_an_edited_record_is_named():
    entries = make_entries()
    seq, data, head = entries[4]
    entries[4] = (seq, data.replace(b"/companies/4", b"/companies/5"), head)
    result = verify_entries(entries)
    assert (result.ok, result.first_bad, result.count) == (False, 4, 4)
    assert result.reason is not None and "chain hash does not match" in result.reason


def test_a_removed_entry_is_named():
    entries = make_entries()
    del entries[6]
    result = verify_entries(entries)
    assert result.first_bad == 6
    assert result.reason == "expected sequence 6, found 7: an entry is missing"


def test_swapped_contents_are_caught_at_the_first_swapped_entry():
    entries = make_entries()
    (s2, d2, h2), (s7, d7, h7) = entries[2], entries[7]
    entries[2], entries[7] = (s2, d7, h7), (s7, d2, h2)
    assert verify_entries(entries).first_bad == 2


def test_reordered_entries_are_caught():
    entries = make_entries()
    entries[3], entries[4] = entries[4], entries[3]
    result = verify_entries(entries)
    assert result.first_bad == 3
    assert result.reason is not None and "found 4" in result.reason


def test_a_repeated_entry_is_caught():
    entries = make_entries()
    entries.insert(5, entries[4])
    result = verify_entries(entries)
    assert result.first_bad == 5
    assert result.reason is not None and "out of order or repeated" in result.reason


def test_a_forged_entry_chained_correctly_is_caught_at_its_successor():
    entries = make_entries()
    forged = make_record(99).canonical()
    records = [data for _, data, _ in entries]
    hashes = [head for _, _, head in entries]
    forged_head = chain_hash(hashes[4], forged)
    # Insert after entry 4 and renumber; the later hashes are left as they were.
    tampered = [*entries[:5], (5, forged, forged_head)]
    tampered += [(seq + 1, records[seq], hashes[seq]) for seq in range(5, 10)]
    result = verify_entries(tampered)
    assert result.first_bad == 6
    assert result.reason is not None and "entry 5" in result.reason


def test_a_truncated_tail_is_not_detected_by_the_chain_alone():
    # The documented limit: only a head kept elsewhere (later: signed tree heads) shows it.
    entries = make_entries()
    full, cut = verify_entries(entries), verify_entries(entries[:-1])
    assert cut.ok and cut.count == 9
    assert cut.head != full.head


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"not json", "not a valid audit record: not JSON"),
        (b"[1]", "not a JSON object"),
        (b'{"client":"x"}', "missing"),
    ],
)
def test_a_record_that_is_no_audit_record_is_caught(data, reason):
    entries = chained([make_record(0).canonical(), data])
    result = verify_entries(entries)
    assert result.first_bad == 1
    assert result.reason is not None and reason in result.reason


def test_a_record_with_a_wrong_type_is_caught():
    parsed = json.loads(make_record(0).canonical())
    parsed["status"] = "200"
    data = json.dumps(parsed, sort_keys=True, separators=(",", ":")).encode()
    result = verify_entries(chained([data]))
    assert result.reason is not None and "'status' has type str" in result.reason


def test_a_record_not_in_canonical_form_is_caught():
    data = json.dumps(json.loads(make_record(0).canonical()), sort_keys=True).encode()  # spaces
    result = verify_entries(chained([data]))
    assert result.reason == "record is not in canonical form"


def test_a_malformed_chain_hash_is_named():
    entries = make_entries(3)
    entries[1] = (1, entries[1][1], b"short")
    assert verify_entries(entries).reason == "chain hash is malformed (not 32 bytes)"


# ---- SQLite files -------------------------------------------------------------------


@pytest.fixture
async def db_path(tmp_path: Path) -> Path:
    path = tmp_path / "audit.db"
    async with AuditLog.sqlite(path) as log:
        for i in range(10):
            await log.append(make_record(i))
    return path


def tamper(path: Path, *statements: str | tuple[str, tuple[Any, ...]]) -> None:
    with closing(sqlite3.connect(path)) as db:
        for statement in statements:
            sql, params = statement if isinstance(statement, tuple) else (statement, ())
            db.execute(sql, params)
        db.commit()


def row(path: Path, seq: int) -> tuple[bytes, str]:
    with closing(sqlite3.connect(path)) as db:
        data, head = db.execute(
            "SELECT record, chain_hash FROM audit_entries WHERE seq = ?", (seq,)
        ).fetchone()
    return bytes(data), head


async def test_an_intact_database_verifies(db_path):
    result = await verify_sqlite(db_path)
    assert (result.ok, result.count, result.first_bad) == (True, 10, None)
    assert result.head == row(db_path, 9)[1]


async def test_a_database_in_use_verifies(tmp_path):
    path = tmp_path / "live.db"
    async with AuditLog.sqlite(path) as log:
        await log.append(make_record(0))
        assert (await verify_sqlite(path)).count == 1
        assert await log.append(make_record(1)) == 1


async def test_an_edited_row_is_named(db_path):
    data, _ = row(db_path, 3)
    edited = data.replace(b'"method":"GET"', b'"method":"PUT"')
    tamper(db_path, ("UPDATE audit_entries SET record = ? WHERE seq = 3", (edited,)))
    result = await verify_sqlite(db_path)
    assert (result.ok, result.first_bad, result.count) == (False, 3, 3)


async def test_a_deleted_middle_row_is_named(db_path):
    tamper(db_path, "DELETE FROM audit_entries WHERE seq = 5")
    result = await verify_sqlite(db_path)
    assert (result.first_bad, result.reason) == (
        5,
        "expected sequence 5, found 6: an entry is missing",
    )


async def test_swapped_rows_are_named(db_path):
    (d2, h2), (d6, h6) = row(db_path, 2), row(db_path, 6)
    tamper(
        db_path,
        ("UPDATE audit_entries SET record = ?, chain_hash = ? WHERE seq = 2", (d6, h6)),
        ("UPDATE audit_entries SET record = ?, chain_hash = ? WHERE seq = 6", (d2, h2)),
    )
    assert (await verify_sqlite(db_path)).first_bad == 2


async def test_a_forged_row_is_named(db_path):
    forged = make_record(42)
    _, head9 = row(db_path, 9)
    good_head = chain_hash(bytes.fromhex(head9), forged.canonical()).hex()
    values = (forged.canonical(), forged.exchange_id, forged.time, forged.nonce)
    insert = (
        "INSERT INTO audit_entries (seq, record, chain_hash, exchange_id, time, direction, kind,"
        " nonce) VALUES (10, ?, ?, ?, ?, 'inbound', 'request', ?)"
    )
    tamper(db_path, (insert, (values[0], "00" * 32, *values[1:])))
    assert (await verify_sqlite(db_path)).first_bad == 10
    tamper(db_path, ("UPDATE audit_entries SET chain_hash = ? WHERE seq = 10", (good_head,)))
    result = await verify_sqlite(db_path)  # chained, but without its tree hashes
    assert result.first_bad == 10
    assert result.reason is not None and "Merkle tree hashes are missing" in result.reason
    # With its leaf hash too (entry 10 completes no subtree) it is indistinguishable
    # from a real append: nobody signed a tree head that covers it (see test_audit_tree_log).
    leaf = hashlib.sha256(b"\x00" + forged.canonical()).digest()
    tamper(
        db_path, ("UPDATE audit_entries SET leaf_hash = ?, subtrees = X'' WHERE seq = 10", (leaf,))
    )
    assert (await verify_sqlite(db_path)).ok


async def test_a_row_forged_into_the_middle_is_named(db_path):
    forged = make_record(42)
    _, head4 = row(db_path, 4)
    forged_head = chain_hash(bytes.fromhex(head4), forged.canonical()).hex()
    tamper(
        db_path,
        "UPDATE audit_entries SET seq = seq + 1000 WHERE seq >= 5",
        "UPDATE audit_entries SET seq = seq - 999 WHERE seq >= 1000",
        (
            "INSERT INTO audit_entries (seq, record, chain_hash, exchange_id, time, direction,"
            " kind, nonce) VALUES (5, ?, ?, ?, ?, 'inbound', 'request', ?)",
            (forged.canonical(), forged_head, forged.exchange_id, forged.time, forged.nonce),
        ),
    )
    # The chain alone would name its successor (6); the missing tree hashes name the row.
    result = await verify_sqlite(db_path)
    assert (result.first_bad, result.count) == (5, 5)


async def test_a_truncated_tail_verifies_but_changes_the_head(db_path):
    before = await verify_sqlite(db_path)
    tamper(db_path, "DELETE FROM audit_entries WHERE seq = 9")
    after = await verify_sqlite(db_path)
    assert after.ok and after.count == 9  # the documented limit of a plain chain
    assert after.head != before.head


async def test_an_edited_index_column_is_named(db_path):
    tamper(db_path, "UPDATE audit_entries SET nonce = 'replayable' WHERE seq = 7")
    result = await verify_sqlite(db_path)
    assert (result.first_bad, result.reason) == (
        7,
        "indexed column 'nonce' disagrees with the record",
    )


async def test_a_chain_hash_that_is_not_hex_is_named(db_path):
    tamper(db_path, "UPDATE audit_entries SET chain_hash = 'xyz' WHERE seq = 1")
    result = await verify_sqlite(db_path)
    assert (result.first_bad, result.reason) == (1, "chain hash is malformed (not 32 bytes)")


async def test_a_missing_file_is_a_failure_and_is_not_created(tmp_path):
    path = tmp_path / "nothing.db"
    result = await verify_sqlite(path)
    assert (result.ok, result.count, result.first_bad) == (False, 0, None)
    assert result.reason is not None and "no such file" in result.reason
    assert not path.exists()


async def test_a_foreign_sqlite_database_is_a_failure_and_is_left_alone(tmp_path):
    path = tmp_path / "other.db"
    with closing(sqlite3.connect(path)) as db:
        db.execute("CREATE TABLE customers (name TEXT)")
        db.commit()
    result = await verify_sqlite(path)
    assert not result.ok
    assert result.reason is not None and "not an xgw audit database" in result.reason
    with closing(sqlite3.connect(path)) as db:
        tables = [name for (name,) in db.execute("SELECT name FROM sqlite_master")]
    assert tables == ["customers"]


async def test_an_empty_file_is_a_failure(tmp_path):
    path = tmp_path / "empty.db"
    path.touch()
    result = await verify_sqlite(path)
    assert result.reason is not None and "(an empty database)" in result.reason
    assert path.stat().st_size == 0


async def test_a_file_that_is_no_database_is_a_failure(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("certainly not sqlite\n" * 100)
    result = await verify_sqlite(path)
    assert not result.ok
    assert result.reason is not None and "not a database" in result.reason
