"""The PostgreSQL engine's own promises: versioned migrations, one log for several writers,
nonces claimed once, directories shared. Each test has a schema of its own."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from typing import Any

import asyncpg
import pytest

from gateway.audit import AuditLog, StoredTree
from gateway.audit.log import sign_stored_tree_head
from gateway.audit.merkle import Frontier, leaf_hash
from gateway.audit.tree_head import verify_tree_head
from gateway.audit.verify import verify_store
from gateway.directory_manager import DirectoryManager
from gateway.errors import AuditError, ReplayError
from gateway.pki import CertificateAuthority
from gateway.replay import ReplayCache
from gateway.storage.base import StoredEntry
from gateway.storage.migrations import LATEST, MIGRATIONS, schema_version, upgrade
from gateway.storage.postgres import PostgresAuditStore, PostgresDatabase, redact
from gateway.storage.postgres_shared import PostgresDirectoryStore, PostgresNonceClaims
from tests.unit.audit.audit_support import make_record, signer_of, signing
from tests.unit.directory.conftest import Federation
from tests.unit.storage.postgres_support import needs_postgres

pytestmark = needs_postgres

TABLES = {
    "xgw_schema_migrations",
    "audit_entries",
    "audit_tree_heads",
    "audit_certificates",
    "audit_bodies",
    "replay_nonces",
    "directory_publications",
}


@pytest.fixture(scope="module")
def ca() -> CertificateAuthority:
    return CertificateAuthority.create("xgw storage test CA")


async def tables(pg_schema) -> set[str]:
    rows = await pg_schema.fetch(
        "SELECT tablename FROM pg_tables WHERE schemaname = $1", pg_schema.name
    )
    return {row[0] for row in rows}


async def apply_first(pg_schema) -> None:
    """The schema an xgw of migration 1 left: its tables and its line in the ledger."""
    conn = await asyncpg.connect(pg_schema.dsn)
    try:
        async with conn.transaction():
            await conn.execute(
                "CREATE TABLE xgw_schema_migrations (version integer PRIMARY KEY,"
                " description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            for statement in MIGRATIONS[0].statements:
                await conn.execute(statement)
            await conn.execute(
                "INSERT INTO xgw_schema_migrations (version, description) VALUES (1, 'v1')"
            )
    finally:
        await conn.close()


# -- migrations ----------------------------------------------------------------------


async def test_an_empty_schema_is_migrated_to_the_latest_once(pg_schema):
    conn = await asyncpg.connect(pg_schema.dsn)
    try:
        assert await schema_version(conn) == 0
        applied = await upgrade(conn)
        assert [m.version for m in applied] == list(range(1, LATEST + 1))
        assert await schema_version(conn) == LATEST
        assert await upgrade(conn) == []  # idempotent
    finally:
        await conn.close()
    assert await tables(pg_schema) == TABLES


async def test_two_upgrades_at_once_migrate_once(pg_schema):
    conns = [await asyncpg.connect(pg_schema.dsn) for _ in range(2)]
    try:
        done = await asyncio.gather(*(upgrade(conn) for conn in conns))
    finally:
        for conn in conns:
            await conn.close()
    assert sorted(len(applied) for applied in done) == [0, LATEST]
    rows = await pg_schema.fetch("SELECT version FROM xgw_schema_migrations ORDER BY version")
    assert [row[0] for row in rows] == list(range(1, LATEST + 1))


async def test_an_older_schema_is_upgraded_from_where_it_is(pg_schema):
    await apply_first(pg_schema)
    conn = await asyncpg.connect(pg_schema.dsn)
    try:
        assert [m.version for m in await upgrade(conn)] == list(range(2, LATEST + 1))
    finally:
        await conn.close()
    assert await tables(pg_schema) == TABLES


async def test_a_node_refuses_a_missing_or_older_schema_and_names_the_command(pg_schema):
    with pytest.raises(AuditError, match=r"no xgw schema.*xgw db upgrade --config"):
        await PostgresAuditStore(pg_schema.dsn).open()
    await apply_first(pg_schema)
    with pytest.raises(AuditError, match=r"schema version 1 is older.*xgw db upgrade --config"):
        await PostgresAuditStore(pg_schema.dsn).open()
    reader = PostgresAuditStore(pg_schema.dsn, readonly=True)  # reads need the log only
    await reader.open()
    assert await reader.head() is None
    await reader.close()
    assert await schema_version_of(pg_schema) == 1  # nothing was migrated on the way


async def schema_version_of(pg_schema) -> int:
    rows = await pg_schema.fetch("SELECT max(version) FROM xgw_schema_migrations")
    return int(rows[0][0])


async def test_a_newer_schema_is_refused(pg_schema):
    await pg_schema.upgrade()
    await pg_schema.fetch("INSERT INTO xgw_schema_migrations VALUES (99, 'from the future')")
    for readonly in (False, True):
        with pytest.raises(AuditError, match="schema version 99 is newer"):
            await PostgresAuditStore(pg_schema.dsn, readonly=readonly).open()


def test_a_password_never_shows():
    assert redact("postgresql://xgw:s3cret@db:5432/xgw?search_path=a") == (
        "postgresql://xgw:***@db:5432/xgw?search_path=a"
    )
    assert redact("postgresql://xgw@db/xgw") == "postgresql://xgw@db/xgw"


# -- one log, several nodes ------------------------------------------------------------


async def test_two_nodes_append_to_one_log_in_one_order(pg_schema, ca):
    await pg_schema.upgrade()
    issued = signing(ca)
    async with (
        AuditLog(PostgresAuditStore(pg_schema.dsn)) as a,
        AuditLog(PostgresAuditStore(pg_schema.dsn)) as b,
    ):
        firsts = await asyncio.gather(a.append(make_record(0)), b.append(make_record(1)))
        assert sorted(firsts) == [0, 1]
        seqs = await asyncio.gather(
            *(node.append(make_record(i)) for i in range(2, 402) for node in [(a, b)[i % 2]])
        )
        assert sorted(seqs) == list(range(2, 402))  # no sequence given twice, none skipped
        heads = [await node.sign_tree_head(signer_of(issued)) for node in (a, b, a)]
        assert [h.head.tree_size for h in heads] == [402, 402, 402]
        assert (a.size, await b.refresh()) == (402, 402)
        assert await StoredTree(a.store).root(402) == heads[0].head.root_hash
    result = await verify_store(
        PostgresAuditStore(pg_schema.dsn, readonly=True), certificates=[issued.cert]
    )
    assert (result.ok, result.count, result.tree_heads) == (True, 402, 3), result.reason


async def test_heads_are_never_dated_before_an_earlier_one_of_another_node(pg_schema, ca):
    await pg_schema.upgrade()
    issued = signing(ca)
    signer = signer_of(issued)
    async with AuditLog(PostgresAuditStore(pg_schema.dsn)) as a:
        await a.append(make_record(0))
        ahead = int(time.time() * 1000) + 60_000  # another node whose clock runs a minute ahead
        future = signer.sign(1, a.tree_head()[1], timestamp=ahead)
        await a.store.add_tree_head(future.stored())
        await a.append(make_record(1))
        later = await a.sign_tree_head(signer)
        assert (later.head.tree_size, later.head.timestamp) == (2, ahead)
        store = PostgresAuditStore(pg_schema.dsn)  # the CLI's way, beside the node
        await store.open()
        try:
            by_cli = await sign_stored_tree_head(store, signer)
        finally:
            await store.close()
        assert by_cli.head.tree_size == 2 and by_cli.head.timestamp >= ahead
        assert verify_tree_head(by_cli.jws, {signer.kid: issued.cert}).tree_size == 2


async def test_a_node_that_dies_holding_the_lock_holds_nobody_up(pg_schema):
    await pg_schema.upgrade()
    store = PostgresAuditStore(pg_schema.dsn)
    async with AuditLog(store) as log:
        await log.append(make_record(0))
        dead = await asyncpg.connect(pg_schema.dsn)
        await dead.execute(f"BEGIN; SELECT pg_advisory_xact_lock{store.database.lock_key}")
        waiting = asyncio.ensure_future(log.append(make_record(1)))
        await asyncio.sleep(0.2)
        assert not waiting.done()  # the lock is held
        dead.terminate()  # the node is gone: its server session ends, the lock with it
        assert await asyncio.wait_for(waiting, 5) == 1


async def test_a_commit_that_fails_fails_its_batch_and_the_next_goes_on(pg_schema):
    await pg_schema.upgrade()
    async with AuditLog(PostgresAuditStore(pg_schema.dsn)) as log:
        await log.append(make_record(0))
        await pg_schema.fetch(
            "ALTER TABLE audit_entries ADD CONSTRAINT no_boom CHECK (exchange_id <> 'boom')"
        )
        futures = [log.submit(make_record(1)), log.submit(make_record(2, exchange_id="boom"))]
        results = await asyncio.gather(*futures, return_exceptions=True)
        assert all(isinstance(r, AuditError) for r in results), results
        assert await log.append(make_record(3)) == 1
    result = await verify_store(PostgresAuditStore(pg_schema.dsn, readonly=True))
    assert (result.ok, result.count) == (True, 2)


# -- nonces and directories -----------------------------------------------------------


async def test_a_nonce_is_accepted_by_one_node_only(pg_schema):
    await pg_schema.upgrade()
    database = PostgresDatabase(pg_schema.dsn)
    await database.open()
    claims = PostgresNonceClaims(database)
    try:
        node_a, node_b = ReplayCache(300, claims=claims), ReplayCache(300, claims=claims)
        now = time.time()
        await node_a.admit("n-1", now)
        with pytest.raises(ReplayError, match="accepted by another node") as refused:
            await node_b.admit("n-1", now)
        assert refused.value.type == "Server.ServerProxy.InvalidMessage"
        with pytest.raises(ReplayError, match="seen before"):  # memory first, no query
            await node_a.admit("n-1", now)
        await node_b.admit("n-2", now)
        assert not await claims.claim("n-2", now + 600)
    finally:
        await claims.close()
        await database.close()


async def test_concurrent_claims_go_in_groups_and_each_nonce_is_won_once(pg_schema, monkeypatch):
    await pg_schema.upgrade()
    databases = [PostgresDatabase(pg_schema.dsn), PostgresDatabase(pg_schema.dsn)]
    for database in databases:
        await database.open()
    statements = 0
    real_fetch = asyncpg.pool.Pool.fetch

    async def counted_fetch(pool: asyncpg.pool.Pool, *args: Any, **kwargs: Any) -> Any:
        nonlocal statements
        statements += pool is databases[0].pool
        return await real_fetch(pool, *args, **kwargs)

    monkeypatch.setattr(asyncpg.pool.Pool, "fetch", counted_fetch)
    node_a, node_b = (PostgresNonceClaims(database) for database in databases)
    expires = time.time() + 600
    nonces = [f"n-{i}" for i in range(60)]
    try:
        # Both nodes claim every nonce at once; node A even twice within its own groups.
        won = await asyncio.gather(
            *(node_a.claim(n, expires) for n in nonces + nonces[:10]),
            *(node_b.claim(n, expires) for n in nonces),
        )
    finally:
        await node_a.close()
        await node_b.close()
        for database in databases:
            await database.close()
    a_twice, b = won[: len(nonces) + 10], won[len(nonces) + 10 :]
    a = a_twice[: len(nonces)]
    assert a_twice[len(nonces) :] == [False] * 10  # the second claim of a nonce in a group
    assert [x + y for x, y in zip(a, b, strict=True)] == [1] * len(nonces)  # one winner each
    assert 1 <= statements < 10  # 70 claims of node A in a few statements, not 70
    rows = await pg_schema.fetch("SELECT count(*) FROM replay_nonces")
    assert rows[0][0] == len(nonces)


async def test_expired_nonces_are_deleted(pg_schema):
    await pg_schema.upgrade()
    database = PostgresDatabase(pg_schema.dsn)
    await database.open()
    claims = PostgresNonceClaims(database, purge_interval=0)
    try:
        assert await claims.claim("old", time.time() - 1)
        await claims.close()  # the purge the claim started
        assert await claims.claim("new", time.time() + 600)
        await claims.close()
        rows = await pg_schema.fetch("SELECT nonce FROM replay_nonces")
        assert {row[0] for row in rows} == {"new"}
    finally:
        await database.close()


async def test_a_claim_that_cannot_be_made_refuses_the_message(pg_schema):
    await pg_schema.upgrade()
    database = PostgresDatabase(pg_schema.dsn)
    await database.open()
    cache = ReplayCache(300, claims=PostgresNonceClaims(database))
    await database.close()
    with pytest.raises(AuditError, match="could not be claimed") as refused:
        await cache.admit("n-1", time.time())
    assert refused.value.type == "Server.ServerProxy.DatabaseError"


async def test_a_directory_one_node_adopts_reaches_the_others(pg_schema, tmp_path):
    await pg_schema.upgrade()
    fed = Federation()
    database = PostgresDatabase(pg_schema.dsn)
    await database.open()
    store = PostgresDirectoryStore(database)
    source = tmp_path / "published.jws"
    source.write_text(fed.token(fed.doc(sequence=4)))

    def manager(name: str) -> DirectoryManager:
        cache = tmp_path / name / "directory.jws"
        cache.parent.mkdir()
        return DirectoryManager(
            str(source), [fed.operator.cert], refresh_interval=3600, cache=cache, store=store
        )

    a, b = manager("a"), manager("b")
    try:
        await a.start()
        a.install(fed.token(fed.doc(sequence=9)))  # an admin push to node a only
        await a.close()
        source.unlink()  # the operator's server is down when b starts
        await b.start()
        assert b.current().sequence == 9
        assert [seq for seq, _ in await store.publications()] == [4, 9]
        await b.close()
    finally:
        await database.close()


async def test_the_lock_reads_the_head_and_the_trees_edge_at_every_size(pg_schema):
    await pg_schema.upgrade()
    store = PostgresAuditStore(pg_schema.dsn)
    await store.open()
    try:
        async with store.locked() as batch:
            assert await batch.head() is None
        frontier = Frontier()
        for seq in range(70):
            data = b'{"n":%d}' % seq
            leaf = leaf_hash(data)
            row = StoredEntry(seq, data, bytes(32), "x", "t", "inbound", "request", None, leaf)
            completed = b"".join(frontier.append(leaf))
            async with store.locked() as batch:
                await batch.append([dataclasses.replace(row, subtrees=completed)])
            async with store.locked() as batch:
                assert await batch.head() == (seq, bytes(32), frontier.hashes), seq
    finally:
        await store.close()
