"""The SQLite engine of the storage seam: schema, identity, refusals."""

from __future__ import annotations

import dataclasses
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

import gateway.audit
import gateway.storage
from gateway.errors import AuditError
from gateway.storage import SQLiteAuditStore, StoredEntry
from gateway.storage.sqlite import APPLICATION_ID, SCHEMA_VERSION


def entry(seq: int, nonce: str | None = None) -> StoredEntry:
    return StoredEntry(
        seq=seq,
        record_json=b'{"seq":%d}' % seq,
        chain_hash=bytes([seq % 256]) * 32,
        exchange_id=f"x-{seq}",
        time=f"2026-11-28T02:05:{seq % 60:02d}.000000Z",
        direction="inbound",
        kind="request",
        nonce=nonce,
    )


@pytest.fixture
async def store(tmp_path: Path):
    engine = SQLiteAuditStore(tmp_path / "audit.db")
    await engine.open()
    yield engine
    await engine.close()


def pragma(path: Path, name: str) -> object:
    with closing(sqlite3.connect(path)) as db:
        return db.execute(f"PRAGMA {name}").fetchone()[0]


async def test_a_new_database_is_marked_versioned_and_in_wal_mode(store):
    assert pragma(store.path, "journal_mode") == "wal"
    assert pragma(store.path, "application_id") == APPLICATION_ID
    assert pragma(store.path, "user_version") == SCHEMA_VERSION
    with closing(sqlite3.connect(store.path)) as db:
        indexes = {
            name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type='index'")
        }
    assert {"audit_entries_exchange", "audit_entries_nonces"} <= indexes


async def test_rows_come_back_verbatim_in_order(store):
    await store.append_batch([entry(0, "n0"), entry(1)])
    await store.append_batch([entry(2, "n2")])
    assert [e async for e in store.iter_entries()] == [entry(0, "n0"), entry(1), entry(2, "n2")]
    assert await store.head() == (2, bytes([2]) * 32)
    assert await store.entries_for_exchange("x-1") == [entry(1)]


async def test_an_empty_store_has_no_head(store):
    assert await store.head() is None


async def test_a_taken_sequence_number_fails_and_nothing_is_overwritten(store):
    await store.append_batch([entry(0)])
    clash = StoredEntry(0, b"{}", bytes(32), "evil", "t", "inbound", "request", None)
    with pytest.raises(AuditError, match="UNIQUE"):
        await store.append_batch([entry(1), clash])
    assert [e async for e in store.iter_entries()] == [entry(0)]  # entry 1 rolled back too
    await store.append_batch([entry(1)])  # and the connection is usable afterwards


async def test_a_bulk_batch_is_one_transaction_too(store):
    rows = [entry(seq) for seq in range(7000)]  # three INSERTs of at most 3000 rows
    await store.append_batch(rows)
    assert await store.head() == (6999, bytes([6999 % 256]) * 32)
    clash = [entry(seq) for seq in range(7000, 10_000)] + [entry(9999)]
    with pytest.raises(AuditError, match="UNIQUE"):
        await store.append_batch(clash)  # fails in the second INSERT: the first is undone
    assert await store.head() == (6999, bytes([6999 % 256]) * 32)


async def test_tree_hashes_come_from_the_row_that_completes_each_subtree(store):
    def with_tree(seq: int, subtrees: bytes) -> StoredEntry:
        return dataclasses.replace(entry(seq), leaf_hash=bytes([seq]) * 32, subtrees=subtrees)

    level1, level2 = b"\x01" * 32, b"\x02" * 32
    await store.append_batch(
        [with_tree(0, b""), with_tree(1, level1), with_tree(2, b""), with_tree(3, level1 + level2)]
    )
    found = await store.tree_hashes([(0, 2), (1, 0), (1, 1), (2, 0), (2, 1), (3, 0)])
    assert found == {(0, 2): bytes([2]) * 32, (1, 0): level1, (1, 1): level1, (2, 0): level2}
    with pytest.raises(AuditError, match="no subtree"):
        await store.tree_hashes([(-1, 0)])
    assert await store.first_without_tree() is None
    await store.append_batch([entry(4)])  # no tree hashes: as if written before the tree
    assert await store.first_without_tree() == 4


async def test_a_foreign_database_is_refused_and_not_converted(tmp_path):
    path = tmp_path / "other.db"
    with closing(sqlite3.connect(path)) as db:
        db.execute("CREATE TABLE customers (name TEXT)")
        db.commit()
    with pytest.raises(AuditError, match="not an xgw audit database"):
        await SQLiteAuditStore(path).open()
    assert pragma(path, "journal_mode") == "delete"


async def test_a_newer_schema_version_is_refused(tmp_path):
    path = tmp_path / "audit.db"
    engine = SQLiteAuditStore(path)
    await engine.open()
    await engine.close()
    with closing(sqlite3.connect(path)) as db:
        db.execute("PRAGMA user_version = 99")
    with pytest.raises(AuditError, match="schema version 99 is not supported"):
        await SQLiteAuditStore(path).open()


async def test_a_readonly_store_refuses_writes(store):
    await store.append_batch([entry(0)])
    reader = SQLiteAuditStore(store.path, readonly=True)
    await reader.open()
    try:
        assert await reader.head() == (0, bytes(32))
        with pytest.raises(AuditError, match="not open"):
            await reader.append_batch([entry(1)])
    finally:
        await reader.close()


async def test_using_a_closed_store_is_an_audit_error(tmp_path):
    engine = SQLiteAuditStore(tmp_path / "audit.db")
    await engine.open()
    await engine.close()
    await engine.close()  # harmless twice
    with pytest.raises(AuditError, match="not open"):
        await engine.head()
    with pytest.raises(AuditError, match="not open"):
        await engine.recent_nonces("2026")


def _isort_key(name: str) -> tuple[int, str]:
    # ruff's RUF022 order: CONSTANTS, then Classes, then functions.
    return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)


@pytest.mark.parametrize("module", [gateway.audit, gateway.storage])
def test_public_names_are_exported_sorted(module):
    assert module.__all__ == sorted(module.__all__, key=_isort_key)
    assert all(hasattr(module, name) for name in module.__all__)
