"""The audit log against real SQLite files: grouping, durability, failures, queries."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from gateway.audit import AuditLog, AuditRecord, verify_sqlite
from gateway.errors import AuditError
from gateway.storage import SQLiteAuditStore


def make_record(**overrides: Any) -> AuditRecord:
    values: dict[str, Any] = {
        "exchange_id": str(uuid.uuid4()),
        "kind": "request",
        "direction": "inbound",
        "time": AuditRecord.now(),
        "client": "DE/GOV/05974028/gewerbeamt",
        "service": "EE/GOV/70000310/ariregister/detailandmed_v2",
        "method": "POST",
        "path": "/companies",
        "digest": "sha-256:47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU",
        "nonce": uuid.uuid4().hex,
    }
    values.update(overrides)
    return AuditRecord(**values)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "audit.db"


@pytest.fixture
async def log(db_path: Path):
    audit_log = AuditLog.sqlite(db_path)
    await audit_log.open()
    yield audit_log
    await audit_log.close()


def stored_seqs(path: Path) -> list[int]:
    with closing(sqlite3.connect(path)) as db:
        return [seq for (seq,) in db.execute("SELECT seq FROM audit_entries ORDER BY seq")]


async def test_concurrent_submits_get_contiguous_sequences_in_few_commits(log, db_path):
    futures = [log.submit(make_record()) for _ in range(500)]
    seqs = await asyncio.gather(*futures)
    assert seqs == list(range(500))
    assert 1 <= log.commits < 500  # grouped: 500 records, max_batch 256 -> 2 commits
    assert stored_seqs(db_path) == list(range(500))
    result = await verify_sqlite(db_path)
    assert (result.ok, result.count) == (True, 500)


async def test_concurrent_appends_from_many_tasks_are_grouped(log, db_path):
    async def client(n: int) -> list[int]:
        return [await log.append(make_record()) for _ in range(n)]

    results = await asyncio.gather(*(client(10) for _ in range(50)))
    assert sorted(seq for seqs in results for seq in seqs) == list(range(500))
    assert log.commits < 100
    assert (await verify_sqlite(db_path)).ok


async def test_max_batch_bounds_a_commit(db_path):
    async with AuditLog.sqlite(db_path, max_batch=10) as small:
        await asyncio.gather(*[small.submit(make_record()) for _ in range(95)])
        assert small.commits == 10


async def test_a_returned_append_is_visible_to_a_fresh_connection(log, db_path):
    record = make_record()
    seq = await log.append(record)
    with closing(sqlite3.connect(db_path)) as db:
        row = db.execute("SELECT record FROM audit_entries WHERE seq = ?", (seq,)).fetchone()
    assert row is not None
    assert bytes(row[0]) == record.canonical()


async def test_reopening_continues_the_chain(db_path):
    async with AuditLog.sqlite(db_path) as first:
        assert [await first.append(make_record()) for _ in range(3)] == [0, 1, 2]
    async with AuditLog.sqlite(db_path) as second:
        assert [await second.append(make_record()) for _ in range(2)] == [3, 4]
    result = await verify_sqlite(db_path)
    assert (result.ok, result.count) == (True, 5)


async def test_the_same_log_object_can_be_reopened(db_path):
    audit_log = AuditLog.sqlite(db_path)
    async with audit_log:
        await audit_log.append(make_record())
    async with audit_log:
        assert await audit_log.append(make_record()) == 1


async def test_close_commits_everything_already_submitted(db_path):
    audit_log = AuditLog.sqlite(db_path)
    await audit_log.open()
    futures = [audit_log.submit(make_record()) for _ in range(50)]
    await audit_log.close()
    assert [future.result() for future in futures] == list(range(50))
    assert stored_seqs(db_path) == list(range(50))


async def test_a_failed_commit_fails_its_whole_batch_and_the_chain_stays_intact(log, db_path):
    assert await log.append(make_record()) == 0
    with closing(sqlite3.connect(db_path)) as db:
        db.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON audit_entries WHEN NEW.exchange_id = 'boom'"
            " BEGIN SELECT RAISE(ABORT, 'refused by test trigger'); END"
        )
        db.commit()
    # Submitted without awaiting in between: the writer takes all five as one batch.
    futures = [log.submit(make_record(exchange_id="boom" if i == 2 else str(i))) for i in range(5)]
    results = await asyncio.gather(*futures, return_exceptions=True)
    assert all(isinstance(r, AuditError) for r in results)
    assert len({r.detail for r in results if isinstance(r, AuditError)}) == 5  # one id each
    assert "refused by test trigger" in str(results[0])
    assert stored_seqs(db_path) == [0]

    assert await log.append(make_record()) == 1  # the head did not run ahead
    result = await verify_sqlite(db_path)
    assert (result.ok, result.count) == (True, 2)


async def test_a_locked_database_fails_the_append_and_the_log_recovers(db_path):
    audit_log = AuditLog(SQLiteAuditStore(db_path, timeout=0.1))
    async with audit_log:
        await audit_log.append(make_record())
        with closing(sqlite3.connect(db_path, isolation_level=None)) as other:
            other.execute("BEGIN IMMEDIATE")  # another writer holds the lock
            with pytest.raises(AuditError, match="locked") as failure:
                await audit_log.append(make_record())
            assert failure.value.type == "Server.ClientProxy.DatabaseError"
            other.execute("ROLLBACK")
        assert await audit_log.append(make_record()) == 1
    assert (await verify_sqlite(db_path)).count == 2


async def test_a_store_closed_underneath_fails_appends_without_hanging(db_path):
    store = SQLiteAuditStore(db_path)
    audit_log = AuditLog(store)
    await audit_log.open()
    await audit_log.append(make_record())
    await store.close()
    for _ in range(2):  # the first fails the commit, the second the head re-read
        with pytest.raises(AuditError, match="not open"):
            await asyncio.wait_for(audit_log.append(make_record()), timeout=5)
    await audit_log.close()
    result = await verify_sqlite(db_path)
    assert (result.ok, result.count) == (True, 1)


async def test_a_bad_record_fails_alone(log):
    good_before = log.submit(make_record())
    bad = log.submit(make_record(time="yesterday"))
    unencodable = log.submit(make_record(path="/\udcff"))  # a lone surrogate
    good_after = log.submit(make_record())
    with pytest.raises(AuditError, match="time 'yesterday'"):
        await bad
    with pytest.raises(AuditError, match="surrogates"):
        await unencodable
    assert (await good_before, await good_after) == (0, 1)


async def test_appending_to_a_log_that_is_not_open_fails(db_path):
    audit_log = AuditLog.sqlite(db_path)
    with pytest.raises(AuditError, match="new, not open"):
        await audit_log.append(make_record())
    async with audit_log:
        pass
    with pytest.raises(AuditError, match="closed, not open"):
        await audit_log.append(make_record())


async def test_opening_twice_is_refused(log):
    with pytest.raises(AuditError, match="already open"):
        await log.open()


async def test_a_caller_that_gives_up_does_not_stop_its_record(log):
    record = make_record()
    waiter = asyncio.ensure_future(log.append(record))
    await asyncio.sleep(0)  # submitted
    waiter.cancel()
    assert await log.append(make_record()) == 1
    assert await log.records(record.exchange_id) == [record]


async def test_records_of_one_exchange_in_order(log):
    exchange = str(uuid.uuid4())
    request = make_record(exchange_id=exchange)
    response = make_record(exchange_id=exchange, kind="response", status=200, duration_ms=4.5)
    await log.append(request)
    await log.append(make_record())
    await log.append(response)
    assert await log.records(exchange) == [request, response]
    assert await log.records(str(uuid.uuid4())) == []


async def test_recent_nonces_are_those_of_inbound_requests_since_a_time(log):
    def at(second: int, **overrides: Any) -> AuditRecord:
        return make_record(time=f"2026-11-28T02:05:{second:02d}.000000Z", **overrides)

    await log.append(at(10, nonce="old"))
    await log.append(at(20, nonce="a"))
    await log.append(at(21, nonce="outbound", direction="outbound"))
    await log.append(at(22, nonce="response", kind="response"))
    await log.append(at(23, nonce=None))
    await log.append(at(24, nonce="b"))
    assert await log.recent_nonces("2026-11-28T02:05:20.000000Z") == [
        ("a", "2026-11-28T02:05:20.000000Z"),
        ("b", "2026-11-28T02:05:24.000000Z"),
    ]


async def test_max_batch_must_be_positive(db_path):
    with pytest.raises(ValueError, match="max_batch"):
        AuditLog.sqlite(db_path, max_batch=0)
