"""The PostgreSQL schema, in numbered migrations that ``xgw db upgrade`` applies.

Usage::

    version = await schema_version(conn)     # 0: no xgw schema in the connection's search path
    applied = await upgrade(conn)            # the migrations it ran, in order; [] when current
    assert await schema_version(conn) == LATEST

Every migration runs once, in order, and ``xgw_schema_migrations`` records each with
its time. ``upgrade`` runs all that are missing in one transaction under an advisory
lock, so two ``xgw db upgrade`` started at once migrate once, and a failure leaves the
schema as it was. The objects live in the first schema of the connection's
``search_path`` (``?search_path=xgw`` in the DSN puts them in ``xgw``).

A node never migrates: it refuses a schema older than ``LATEST`` and names the command
(``gateway.storage.postgres``). The columns follow the SQLite engine's (docs/audit-log.md,
"Storage"), with the hashes as raw ``bytea`` instead of hex and the subtree hashes
required (a PostgreSQL log was never without its tree).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import asyncpg
from asyncpg.pool import PoolConnectionProxy

__all__ = [
    "LATEST",
    "MIGRATIONS",
    "MIGRATION_LOCK",
    "Connection",
    "Migration",
    "schema_version",
    "upgrade",
]

Connection = asyncpg.Connection | PoolConnectionProxy  # one of its own, or from a pool

_logger = logging.getLogger(__name__)

MIGRATION_LOCK = 0x78677744  # advisory lock key while migrating ("xgwD")


# A grouped commit's first step, in one round trip: wait for the log's lock, then (a new
# statement: a snapshot taken after the lock) the head and the tree's right edge after it,
# the hashes of the perfect subtrees of pieces(0, size) largest first, each stored with
# the entry that completes it (docs/audit-log.md, "The Merkle tree").
_LOCK_FUNCTION = """CREATE FUNCTION xgw_audit_lock(classid integer, objid integer)
RETURNS TABLE (head_seq bigint, head_chain_hash bytea, edge bytea[])
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(classid, objid);
    RETURN QUERY
    WITH head AS (
        SELECT e.seq, e.chain_hash FROM audit_entries AS e ORDER BY e.seq DESC LIMIT 1
    )
    SELECT head.seq, head.chain_hash, ARRAY(
        SELECT CASE WHEN l = 0 THEN x.leaf_hash
                    ELSE substring(x.subtrees FROM (l - 1) * 32 + 1 FOR 32) END
        FROM generate_series(62, 0, -1) AS l
        JOIN audit_entries AS x
          ON x.seq = (((head.seq + 1) >> (l + 1)) << (l + 1)) + (1::bigint << l) - 1
        WHERE ((head.seq + 1) >> l) & 1 = 1
        ORDER BY l DESC
    )
    FROM head;
END
$$"""


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    statements: tuple[str, ...]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "audit log: entries with their tree hashes, signed tree heads, certificates, bodies",
        (
            """CREATE TABLE audit_entries (
                seq         bigint PRIMARY KEY CHECK (seq >= 0),
                record      bytea NOT NULL,
                chain_hash  bytea NOT NULL,
                exchange_id text NOT NULL,
                time        text NOT NULL,
                direction   text NOT NULL,
                kind        text NOT NULL,
                nonce       text,
                leaf_hash   bytea NOT NULL,
                subtrees    bytea NOT NULL
            )""",
            "CREATE INDEX audit_entries_exchange ON audit_entries (exchange_id)",
            "CREATE INDEX audit_entries_nonces ON audit_entries (direction, kind, time)",
            """CREATE TABLE audit_tree_heads (
                number      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                tree_size   bigint NOT NULL CHECK (tree_size >= 0),
                root_hash   bytea NOT NULL,
                timestamp   bigint NOT NULL,
                kid         text NOT NULL,
                jws         text NOT NULL
            )""",
            "CREATE INDEX audit_tree_heads_size ON audit_tree_heads (tree_size)",
            """CREATE TABLE audit_certificates (
                kid         text PRIMARY KEY,
                certificate text NOT NULL
            )""",
            """CREATE TABLE audit_bodies (
                seq         bigint PRIMARY KEY REFERENCES audit_entries (seq),
                service     text NOT NULL,
                time        text NOT NULL,
                status      text NOT NULL,
                size        bigint,
                key_id      text,
                nonce       bytea,
                ciphertext  bytea
            )""",
            "CREATE INDEX audit_bodies_expiry ON audit_bodies (service, time)",
            _LOCK_FUNCTION,
        ),
    ),
    Migration(
        2,
        "replay nonces of the signed hop, claimed once across the nodes",
        (
            """CREATE TABLE replay_nonces (
                nonce       text PRIMARY KEY,
                expires     double precision NOT NULL
            )""",
            "CREATE INDEX replay_nonces_expiry ON replay_nonces (expires)",
        ),
    ),
    Migration(
        3,
        "directory publications the nodes adopted: the shared cache and its history",
        (
            """CREATE TABLE directory_publications (
                sequence    bigint NOT NULL CHECK (sequence >= 0),
                digest      bytea NOT NULL,
                token       text NOT NULL,
                kept_at     timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (sequence, digest)
            )""",
        ),
    ),
)
LATEST = MIGRATIONS[-1].version

_CREATE_LEDGER = """CREATE TABLE IF NOT EXISTS xgw_schema_migrations (
    version     integer PRIMARY KEY,
    description text NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
)"""


async def schema_version(conn: Connection) -> int:
    """The highest migration applied in the connection's schema; 0 when there is none."""
    ledger = await conn.fetchval("SELECT to_regclass('xgw_schema_migrations')")
    if ledger is None:
        return 0
    version = await conn.fetchval("SELECT max(version) FROM xgw_schema_migrations")
    return int(version or 0)


async def upgrade(conn: Connection) -> list[Migration]:
    """Apply every missing migration in one transaction; the ones applied, in order."""
    async with conn.transaction():
        # Two upgrades started at once: the second waits, then finds nothing to do.
        await conn.execute(
            "SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))", MIGRATION_LOCK
        )
        await conn.execute(_CREATE_LEDGER)
        current = await schema_version(conn)
        pending = [m for m in MIGRATIONS if m.version > current]
        for migration in pending:
            for statement in migration.statements:
                await conn.execute(statement)
            await conn.execute(
                "INSERT INTO xgw_schema_migrations (version, description) VALUES ($1, $2)",
                migration.version,
                migration.description,
            )
            _logger.info(
                "applied schema migration %d: %s", migration.version, migration.description
            )
    return pending
