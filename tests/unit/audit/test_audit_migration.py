"""A log written by the previous version (schema 1: the chain only) opens, gets its tree once.

The version 1 file is made here with the standard library exactly as that version
laid it out (docs/audit-log.md of that version): the same DDL, the chain hashes in hex.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import closing
from pathlib import Path

import pytest

from gateway.audit import AuditLog, StoredTree, build_missing_tree, verify_sqlite
from gateway.audit.commands import print_tree_head
from gateway.audit.merkle import inclusion_proof, leaf_hash, tree_root, verify_inclusion
from gateway.audit.verify import GENESIS, chain_hash
from gateway.errors import AuditError
from gateway.pki import CertificateAuthority
from gateway.storage import SQLiteAuditStore
from gateway.storage.sqlite import APPLICATION_ID, SCHEMA_VERSION
from tests.unit.audit.audit_support import (
    connect,
    make_record,
    records_of,
    signer_of,
    signing,
)

V1_SCHEMA = """
CREATE TABLE audit_entries (
    seq         INTEGER PRIMARY KEY CHECK (seq >= 0),
    record      BLOB NOT NULL,
    chain_hash  TEXT NOT NULL,
    exchange_id TEXT NOT NULL,
    time        TEXT NOT NULL,
    direction   TEXT NOT NULL,
    kind        TEXT NOT NULL,
    nonce       TEXT
);
CREATE INDEX audit_entries_exchange ON audit_entries (exchange_id);
CREATE INDEX audit_entries_nonces ON audit_entries (direction, kind, time);
"""


def write_v1(path: Path, count: int) -> None:
    with closing(sqlite3.connect(path)) as db:
        db.execute("PRAGMA journal_mode = WAL")
        db.executescript(V1_SCHEMA)
        db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        db.execute("PRAGMA user_version = 1")
        head = GENESIS
        for seq in range(count):
            record = make_record(seq)
            head = chain_hash(head, record.canonical())
            db.execute(
                "INSERT INTO audit_entries VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    seq,
                    record.canonical(),
                    head.hex(),
                    record.exchange_id,
                    record.time,
                    record.direction,
                    record.kind,
                    record.nonce,
                ),
            )
        db.commit()


def user_version(path: Path) -> int:
    with connect(path) as db:
        return int(db.execute("PRAGMA user_version").fetchone()[0])


@pytest.fixture
def v1_path(tmp_path: Path) -> Path:
    path = tmp_path / "audit.sqlite"
    write_v1(path, 37)
    return path


async def test_a_version_1_log_verifies_read_only_and_is_left_as_it_is(v1_path):
    result = await verify_sqlite(v1_path)
    assert (result.ok, result.count) == (True, 37)
    assert result.root == tree_root([leaf_hash(r) for r in records_of(v1_path)]).hex()
    assert any("schema version 1" in note for note in result.notes)
    assert user_version(v1_path) == 1


async def test_opening_a_version_1_log_upgrades_it_and_builds_its_tree_once(v1_path, caplog):
    leaves = [leaf_hash(r) for r in records_of(v1_path)]
    async with AuditLog.sqlite(v1_path) as log:
        assert log.tree_head() == (37, tree_root(leaves))
        assert await log.append(make_record(37)) == 37
        leaves.append(leaf_hash(make_record(37).canonical()))
        assert await log.inclusion_proof(20) == inclusion_proof(leaves, 20)
    assert user_version(v1_path) == SCHEMA_VERSION == 3
    assert "built the Merkle tree of 37 audit entries" in caplog.text
    result = await verify_sqlite(v1_path)
    assert (result.ok, result.count, result.root, result.notes) == (
        True,
        38,
        tree_root(leaves).hex(),
        (),
    )
    caplog.clear()
    async with AuditLog.sqlite(v1_path):  # built once: nothing to do the next time
        pass
    assert "Merkle tree" not in caplog.text


async def test_the_upgraded_file_has_the_same_shape_as_a_new_one(v1_path, tmp_path):
    async with AuditLog.sqlite(v1_path):
        pass
    async with AuditLog.sqlite(tmp_path / "new.sqlite"):
        pass

    def shape(path: Path) -> list[tuple[str, str]]:
        with connect(path) as db:
            tables = [n for (n,) in db.execute("SELECT name FROM sqlite_master ORDER BY name")]
            return [
                (table, str(db.execute(f"PRAGMA table_info({table})").fetchall()))
                for table in tables
                if not table.startswith("sqlite_")
            ]

    assert shape(v1_path) == shape(tmp_path / "new.sqlite")


class FailingAfter:
    """A store whose tree build fails after ``allowed`` chunks: a crash in the middle."""

    def __init__(self, store: SQLiteAuditStore, allowed: int) -> None:
        self.store = store
        self.allowed = allowed

    def __getattr__(self, name: str) -> object:
        return getattr(self.store, name)

    async def set_tree_hashes(self, rows: Sequence[tuple[int, bytes, bytes]]) -> None:
        if self.allowed == 0:
            raise AuditError("disk gone")
        self.allowed -= 1
        await self.store.set_tree_hashes(rows)


@pytest.fixture
async def upgraded_store(v1_path: Path) -> AsyncIterator[SQLiteAuditStore]:
    store = SQLiteAuditStore(v1_path)
    await store.open()  # upgrades the schema; the tree is not built yet
    yield store
    await store.close()


async def test_an_interrupted_build_resumes_where_it_stopped(upgraded_store):
    assert await upgraded_store.first_without_tree() == 0
    with pytest.raises(AuditError, match="disk gone"):
        await build_missing_tree(FailingAfter(upgraded_store, 2), chunk=8)  # type: ignore[arg-type]
    assert await upgraded_store.first_without_tree() == 16
    assert await build_missing_tree(upgraded_store, chunk=8) == 21
    assert await upgraded_store.first_without_tree() is None
    leaves = [leaf_hash(r) for r in records_of(upgraded_store.path)]
    tree = StoredTree(upgraded_store)
    for index in (0, 15, 16, 36):
        path = await tree.inclusion_proof(index, 37)
        assert verify_inclusion(leaves[index], index, 37, path, tree_root(leaves))


async def test_a_broken_version_1_log_is_not_built_over(v1_path):
    with connect(v1_path) as db:
        db.execute("DELETE FROM audit_entries WHERE seq = 9")
    with pytest.raises(AuditError, match="audit entry 9 is missing"):
        await AuditLog.sqlite(v1_path).open()
    result = await verify_sqlite(v1_path)
    assert (result.ok, result.first_bad) == (False, 9)


async def test_the_cli_explains_a_version_1_log_and_signing_builds_its_tree(v1_path, capsys):
    with pytest.raises(AuditError, match="no Merkle tree yet"):
        await asyncio.to_thread(print_tree_head, v1_path, signer=None)
    issued = signing(CertificateAuthority.create("xgw migration CA"))
    assert await asyncio.to_thread(print_tree_head, v1_path, signer=signer_of(issued)) == 0
    shown = json.loads(capsys.readouterr().out)
    leaves = [leaf_hash(r) for r in records_of(v1_path)]
    assert shown["current"] == {"tree_size": 37, "root_hash": tree_root(leaves).hex()}
    assert shown["signed"]["tree_size"] == 37
    result = await verify_sqlite(v1_path, certificates=[issued.cert])
    assert (result.ok, result.tree_heads) == (True, 1)
