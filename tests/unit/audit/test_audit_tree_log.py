"""The Merkle tree of a real SQLite audit log: stored hashes, proofs, restarts, failures."""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from gateway.audit import AuditLog, StoredTree, verify_sqlite
from gateway.audit.merkle import (
    EMPTY_ROOT,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    tree_root,
    verify_consistency,
    verify_inclusion,
)
from gateway.errors import AuditError
from gateway.pki import CertificateAuthority
from gateway.storage import SQLiteAuditStore
from tests.unit.audit.audit_support import connect, make_record, records_of, signer_of, signing

SIZE = 40


@pytest.fixture(scope="module")
def ca() -> CertificateAuthority:
    return CertificateAuthority.create("xgw audit test CA")


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "audit.db"


async def fill(log: AuditLog, start: int, count: int) -> None:
    """Records in batches of 1, 2, 3, ... so that commits end at every kind of boundary."""
    i, batch = start, 1
    while i < start + count:
        n = min(batch, start + count - i)
        await asyncio.gather(*[log.submit(make_record(j)) for j in range(i, i + n)])
        i, batch = i + n, batch % 7 + 1


def leaves_of(path: Path) -> list[bytes]:
    return [leaf_hash(data) for data in records_of(path)]


async def test_the_stored_tree_is_the_rfc_tree_of_the_records(db_path):
    async with AuditLog.sqlite(db_path) as log:
        await fill(log, 0, SIZE)
        leaves = leaves_of(db_path)
        assert log.tree_head() == (SIZE, tree_root(leaves))
        tree = StoredTree(log.store)
        for size in range(SIZE + 1):
            assert await tree.root(size) == tree_root(leaves[:size]), size
        for size in range(1, SIZE + 1):
            root = tree_root(leaves[:size])
            for index in range(size):
                path = await log.inclusion_proof(index, size)
                assert path == inclusion_proof(leaves, index, size), (index, size)
                assert verify_inclusion(leaves[index], index, size, path, root)
            for first in range(size + 1):
                proof = await log.consistency_proof(first, size)
                assert proof == consistency_proof(leaves, first, size), (first, size)
                first_root = tree_root(leaves[:first])
                assert verify_consistency(first, size, first_root, root, proof)
    with connect(db_path) as db:
        stored = [bytes(h) for (h,) in db.execute("SELECT leaf_hash FROM audit_entries")]
    assert stored == leaves


async def test_the_tree_survives_a_restart_and_continues(db_path):
    async with AuditLog.sqlite(db_path) as first:
        await fill(first, 0, 11)
    async with AuditLog.sqlite(db_path) as second:
        assert second.tree_head() == (11, tree_root(leaves_of(db_path)))
        await fill(second, 11, 22)
        assert second.tree_head() == (33, tree_root(leaves_of(db_path)))
    result = await verify_sqlite(db_path)
    assert (result.ok, result.count, result.root) == (True, 33, tree_root(leaves_of(db_path)).hex())


async def test_an_empty_log_has_the_empty_root(db_path):
    async with AuditLog.sqlite(db_path) as log:
        assert log.tree_head() == (0, EMPTY_ROOT)
        assert await StoredTree(log.store).root(0) == EMPTY_ROOT
    assert (await verify_sqlite(db_path)).root == EMPTY_ROOT.hex()


async def test_a_failed_commit_leaves_the_tree_where_the_disk_is(db_path):
    async with AuditLog.sqlite(db_path) as log:
        await fill(log, 0, 3)
        with connect(db_path) as db:
            db.execute(
                "CREATE TRIGGER refuse BEFORE INSERT ON audit_entries"
                " WHEN NEW.exchange_id = 'boom'"
                " BEGIN SELECT RAISE(ABORT, 'refused by test trigger'); END"
            )
        futures = [
            log.submit(make_record(i, exchange_id="boom" if i == 4 else "x")) for i in range(3, 8)
        ]
        assert all(
            isinstance(r, AuditError)
            for r in await asyncio.gather(*futures, return_exceptions=True)
        )
        assert log.tree_head() == (3, tree_root(leaves_of(db_path)))
        await fill(log, 3, 6)
        assert log.tree_head() == (9, tree_root(leaves_of(db_path)))
    assert (await verify_sqlite(db_path)).ok


async def test_impossible_proofs_are_audit_errors(db_path):
    async with AuditLog.sqlite(db_path) as log:
        await fill(log, 0, 5)
        with pytest.raises(AuditError, match="has 5 records, not 6"):
            await log.inclusion_proof(0, 6)
        with pytest.raises(AuditError, match="record 5 is not in a tree of 5"):
            await log.inclusion_proof(5)
        with pytest.raises(AuditError, match="no consistency proof from 4 to 3"):
            await log.consistency_proof(4, 3)
        with connect(db_path) as db:
            db.execute("UPDATE audit_entries SET subtrees = X'' WHERE seq = 3")  # held (2, 0)
        with pytest.raises(AuditError, match=r"lacks the hash of subtree \(2, 0\)"):
            await log.inclusion_proof(4)


async def test_tree_hashes_are_looked_up_by_level_and_index(db_path):
    async with AuditLog.sqlite(db_path) as log:
        await fill(log, 0, 8)
        leaves = leaves_of(db_path)
        found = await log.store.tree_hashes([(0, 5), (1, 3), (3, 0), (2, 1), (3, 1), (0, 8)])
    assert found == {
        (0, 5): leaves[5],
        (1, 3): tree_root(leaves[6:8]),
        (2, 1): tree_root(leaves[4:8]),
        (3, 0): tree_root(leaves),
    }  # (3, 1) and (0, 8) are not complete yet


async def test_a_signed_tree_head_is_stored_with_its_certificate(db_path, ca):
    issued = signing(ca)
    async with AuditLog.sqlite(db_path) as log:
        await fill(log, 0, 6)
        signed = await log.sign_tree_head(signer_of(issued))
        await fill(log, 6, 4)
        later = await log.sign_tree_head(signer_of(issued))
        latest = await log.latest_tree_head()
    assert (signed.head.tree_size, later.head.tree_size) == (6, 10)
    assert signed.head.root_hash == tree_root(leaves_of(db_path)[:6])
    assert latest is not None and (latest.number, latest.jws) == (2, later.jws)
    store = SQLiteAuditStore(db_path, readonly=True)
    await store.open()
    try:
        assert list(await store.certificates()) == [signer_of(issued).kid]
        assert (await store.tree_head_of_size(6)).jws == signed.jws  # type: ignore[union-attr]
        assert await store.tree_head_of_size(7) is None
    finally:
        await store.close()
    result = await verify_sqlite(db_path, certificates=[issued.cert])
    assert (result.ok, result.count, result.tree_heads, result.notes) == (True, 10, 2, ())


async def test_a_log_file_is_never_half_a_tree(db_path):
    """Records and tree hashes are one row each, one INSERT per batch: a crash cannot split them."""
    async with AuditLog.sqlite(db_path) as log:
        await fill(log, 0, 12)
    with closing(sqlite3.connect(db_path)) as db:
        rows = db.execute(
            "SELECT seq, length(leaf_hash), length(subtrees) FROM audit_entries"
        ).fetchall()
    # Entry i completes one subtree per trailing zero bit of i + 1.
    assert rows == [(i, 32, 32 * ((i + 1) & -(i + 1)).bit_length() - 32) for i in range(12)]
