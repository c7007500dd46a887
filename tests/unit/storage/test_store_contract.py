"""The ``AuditStore`` contract, the same tests on both engines (SQLite and PostgreSQL).

Whatever the audit log, the verifier, the proofs and the purge rely on, each engine
must do alike: rows verbatim and in order, a batch all or nothing, a taken sequence
number refused, subtree hashes by ``(level, index)``, heads, certificates, bodies.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib

import pytest

from gateway.audit import AuditLog, StoredTree
from gateway.audit.merkle import Frontier, leaf_hash, tree_root
from gateway.audit.verify import verify_store
from gateway.errors import AuditError
from gateway.storage.base import BODY_KEPT, BODY_OVER_LIMIT, StoredBody, StoredEntry, StoredTreeHead
from tests.unit.audit.audit_support import make_record

SERVICE = "EE/GOV/70000310/ariregister/ettevotted"


def entries(count: int, start: int = 0) -> list[StoredEntry]:
    """``count`` rows with real leaf and subtree hashes (PostgreSQL requires them)."""
    frontier = Frontier()
    rows = []
    for seq in range(start + count):
        data = b'{"seq":%d}' % seq
        leaf = leaf_hash(data)
        subtrees = b"".join(frontier.append(leaf))
        if seq >= start:
            rows.append(
                StoredEntry(
                    seq=seq,
                    record_json=data,
                    chain_hash=hashlib.sha256(b"%d" % seq).digest(),
                    exchange_id=f"x-{seq % 7}",
                    time=f"2026-11-28T02:05:{seq % 60:02d}.000000Z",
                    direction="inbound" if seq % 3 else "outbound",
                    kind="request" if seq % 2 == 0 else "response",
                    nonce=f"n{seq}" if seq % 2 == 0 else None,
                    leaf_hash=leaf,
                    subtrees=subtrees,
                )
            )
    return rows


def body(seq: int, status: str = BODY_KEPT, day: int = 1, service: str = SERVICE) -> StoredBody:
    if status != BODY_KEPT:
        return StoredBody(seq, service, f"2026-11-{day:02d}T00:00:00.000000Z", status, size=9)
    return StoredBody(
        seq,
        service,
        f"2026-11-{day:02d}T00:00:00.000000Z",
        status,
        size=3,
        key_id="k1",
        nonce=bytes(12),
        ciphertext=b"sealed",
    )


async def all_entries(store) -> list[StoredEntry]:
    return [e async for e in store.iter_entries()]


async def test_rows_come_back_verbatim_and_in_order(store):
    rows = entries(5)
    await store.append_batch(rows[:2])
    await store.append_batch(rows[2:])
    assert await all_entries(store) == rows
    assert [e async for e in store.iter_entries(3)] == rows[3:]
    assert await store.head() == (4, rows[4].chain_hash)
    assert await store.entry(2) == rows[2] and await store.entry(9) is None
    assert await store.entries_for_exchange("x-1") == [rows[1]]
    assert await store.first_without_tree() is None


async def test_an_empty_store_has_no_head(store):
    assert await store.head() is None
    assert await all_entries(store) == []
    assert await store.latest_tree_head() is None


async def test_a_taken_sequence_number_fails_the_batch_and_overwrites_nothing(store):
    rows = entries(3)
    await store.append_batch(rows[:1])
    clash = dataclasses.replace(rows[0], exchange_id="evil", record_json=b"{}")
    with pytest.raises(AuditError):
        await store.append_batch([rows[1], clash])
    assert await all_entries(store) == rows[:1]  # entry 1 rolled back with it
    await store.append_batch(rows[1:])  # and the store is usable afterwards
    assert await all_entries(store) == rows


async def test_a_large_batch_is_one_transaction_too(store):
    rows = entries(7001)
    await store.append_batch(rows[:7000])
    assert (await store.head())[0] == 6999
    with pytest.raises(AuditError):
        await store.append_batch([*rows[7000:], rows[5]])
    assert (await store.head())[0] == 6999
    assert len([e async for e in store.iter_entries(6000)]) == 1000  # streamed in pages


async def test_subtree_hashes_come_from_the_entry_that_completes_them(store):
    rows = entries(6)
    await store.append_batch(rows)
    keys = [(0, 5), (1, 0), (1, 2), (2, 0), (2, 1), (3, 0)]
    found = await store.tree_hashes(keys)
    leaves = [r.leaf_hash or b"" for r in rows]
    subtrees = [r.subtrees or b"" for r in rows]
    assert found == {
        (0, 5): leaves[5],
        (1, 0): subtrees[1][:32],
        (1, 2): subtrees[5][:32],
        (2, 0): subtrees[3][32:64],
    }  # (2, 1) and (3, 0) are not complete in a tree of six
    assert await StoredTree(store).root(6) == tree_root(leaves)
    with pytest.raises(AuditError, match="no subtree"):
        await store.tree_hashes([(-1, 0)])


async def test_nonces_of_inbound_requests_since_a_time(store):
    await store.append_batch(entries(12))
    # inbound (seq % 3 != 0) requests (even) with a nonce, time >= :05:04
    assert await store.recent_nonces("2026-11-28T02:05:04.000000Z") == [
        ("n4", "2026-11-28T02:05:04.000000Z"),
        ("n8", "2026-11-28T02:05:08.000000Z"),
        ("n10", "2026-11-28T02:05:10.000000Z"),
    ]


async def test_bodies_commit_with_their_entries_and_purge_alone(store):
    days = {0: 1, 1: 1, 2: 1, 3: 20}  # a body's time is its record's
    rows = [dataclasses.replace(r, time=body(r.seq, day=days[r.seq]).time) for r in entries(4)]
    await store.append_batch(rows, [body(0), body(2, BODY_OVER_LIMIT), body(3, day=20)])
    found = await store.bodies([0, 1, 2, 3])
    assert sorted(found) == [0, 2, 3] and found[0] == body(0)
    assert found[2].status == BODY_OVER_LIMIT and found[2].ciphertext is None
    assert await store.body_services() == [SERVICE]
    assert await store.body_key_counts() == {"k1": 2, None: 1}
    assert await store.delete_bodies(SERVICE, "2026-11-10T00:00:00.000000Z") == 2
    assert sorted(await store.bodies([0, 1, 2, 3])) == [3]
    assert await store.delete_bodies(SERVICE, None) == 1
    assert await all_entries(store) == rows  # the log itself is untouched


async def test_a_batch_whose_body_fails_stores_neither(store):
    rows = entries(2)
    with pytest.raises(AuditError, match="exactly one entry"):
        await store.append_batch(rows[:1], [body(1)])  # a body of another batch
    assert await store.head() is None
    await store.append_batch(rows[:1], [body(0)])
    with pytest.raises(AuditError):
        await store.append_batch(rows[1:], [body(1), body(1)])
    assert await store.head() == (0, rows[0].chain_hash)


async def test_tree_heads_and_certificates(store):
    def head(size: int, timestamp: int) -> StoredTreeHead:
        return StoredTreeHead(size, bytes([size]) * 32, timestamp, "kid-1", f"jws-{size}")

    numbers = [await store.add_tree_head(head(n, 1000 + n)) for n in (1, 3, 3, 7)]
    assert numbers == sorted(numbers) and len(set(numbers)) == 4
    heads = [h async for h in store.iter_tree_heads()]
    assert [(h.number, h.tree_size, h.jws) for h in heads] == [
        (numbers[0], 1, "jws-1"),
        (numbers[1], 3, "jws-3"),
        (numbers[2], 3, "jws-3"),
        (numbers[3], 7, "jws-7"),
    ]
    assert await store.latest_tree_head() == dataclasses.replace(head(7, 1007), number=numbers[3])
    assert (await store.tree_head_of_size(3)).number == numbers[2]
    assert await store.tree_head_of_size(4) is None
    await store.add_certificate("kid-1", "PEM 1")
    await store.add_certificate("kid-1", "PEM 1")  # idempotent
    await store.add_certificate("kid-2", "PEM 2")
    assert await store.certificates() == {"kid-1": "PEM 1", "kid-2": "PEM 2"}


async def test_a_readonly_store_reads_and_refuses_writes(store, open_store):
    rows = entries(2)
    await store.append_batch(rows[:1])
    reader = open_store(readonly=True)
    await reader.open()
    try:
        assert await reader.head() == (0, rows[0].chain_hash)
        with pytest.raises(AuditError):
            await reader.append_batch(rows[1:])
    finally:
        await reader.close()
    assert await store.head() == (0, rows[0].chain_hash)


async def test_a_closed_store_is_an_audit_error(open_store):
    engine = open_store()
    await engine.open()
    await engine.close()
    await engine.close()  # harmless twice
    with pytest.raises(AuditError, match="not open"):
        await engine.head()
    with pytest.raises(AuditError, match="not open"):
        await engine.append_batch(entries(1))


async def test_the_audit_log_groups_commits_and_verifies_on_either_engine(open_store):
    async with AuditLog(open_store()) as log:
        seqs = await asyncio.gather(*(log.append(make_record(i)) for i in range(300)))
        assert seqs == list(range(300)) and log.commits < 300
        size, root = log.tree_head()
        assert await StoredTree(log.store).root(size) == root
        assert await log.inclusion_proof(17)
    async with AuditLog(open_store()) as again:  # reopened: the chain goes on
        assert await again.append(make_record(300)) == 300
    result = await verify_store(open_store(readonly=True))
    assert (result.ok, result.count) == (True, 301), result.reason
