"""Which engine the settings choose, and the stores a node or a command opens on it.

Usage::

    source = audit_source(settings)          # data_dir/audit.sqlite, or the postgresql:// DSN
    async with open_audit_store(settings, readonly=True) as store:
        head = await store.head()            # either engine, through the AuditStore seam

    async with NodeStorage.open(settings) as storage:     # what ``Node.open`` uses
        log = AuditLog(storage.audit)        # opened by the log
        cache = ReplayCache(300, claims=storage.nonces)   # None with SQLite: one node only
        manager = DirectoryManager(..., store=storage.directories)

    kept = await kept_directories(settings)  # [(where, token)]: shared publications (PostgreSQL)

An audit source is an SQLite file (``Path``) or a PostgreSQL DSN (``str``), so the
``xgw audit`` commands take ``--db FILE`` and ``--config FILE`` alike. SQLite keeps the
replay cache in memory and the directory cache in files (one node per data directory);
PostgreSQL shares all of it between the nodes of a member (docs/storage.md).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from gateway.settings import Settings
from gateway.storage.base import AuditStore, DirectoryStore, NonceClaims
from gateway.storage.postgres import PostgresAuditStore, PostgresDatabase, redact
from gateway.storage.postgres_shared import PostgresDirectoryStore, PostgresNonceClaims
from gateway.storage.sqlite import SQLiteAuditStore

__all__ = [
    "AUDIT_FILE",
    "AuditSource",
    "NodeStorage",
    "audit_source",
    "audit_store",
    "kept_directories",
    "open_audit_store",
    "source_name",
]

AUDIT_FILE = "audit.sqlite"  # in the data directory (gateway.node.AUDIT_DB)

AuditSource = Path | str  # an SQLite file, or a postgresql:// DSN


def audit_source(settings: Settings) -> AuditSource:
    """Where the settings keep the audit log."""
    if settings.storage.engine == "postgresql":
        return settings.storage.dsn
    return settings.data_dir / AUDIT_FILE


def audit_store(source: AuditSource, *, readonly: bool = False) -> AuditStore:
    """The store of ``source``, not yet open."""
    if isinstance(source, Path):
        return SQLiteAuditStore(source, readonly=readonly)
    return PostgresAuditStore(source, readonly=readonly)


def source_name(source: AuditSource) -> str:
    """``source`` for messages and reports: the file, or the DSN without its password."""
    return str(source) if isinstance(source, Path) else redact(source)


@contextlib.asynccontextmanager
async def open_audit_store(
    where: Settings | AuditSource, *, readonly: bool = False
) -> AsyncIterator[AuditStore]:
    """The audit store the settings (or a source) name, open for the block."""
    source = audit_source(where) if isinstance(where, Settings) else where
    store = audit_store(source, readonly=readonly)
    await store.open()
    try:
        yield store
    finally:
        await store.close()


async def kept_directories(settings: Settings) -> list[tuple[str, str]]:
    """``(where, token)`` of the publications the nodes kept in the database; [] with SQLite
    (whose history is files in the data directory)."""
    if settings.storage.engine != "postgresql":
        return []
    database = PostgresDatabase(settings.storage.dsn, readonly=True, max_size=1)
    await database.open()
    try:
        kept = await PostgresDirectoryStore(database).publications()
    finally:
        await database.close()
    return [(f"{database.where} directory sequence {seq}", token) for seq, token in kept]


@dataclass
class NodeStorage:
    """The stores one node uses: the audit log's, and with PostgreSQL the shared nonces
    and directory cache (None with SQLite)."""

    audit: AuditStore
    nonces: NonceClaims | None = None
    directories: DirectoryStore | None = None

    @classmethod
    @contextlib.asynccontextmanager
    async def open(cls, settings: Settings) -> AsyncIterator[NodeStorage]:
        """The node's stores; with PostgreSQL one pool, its schema checked before anything."""
        if settings.storage.engine != "postgresql":
            yield cls(SQLiteAuditStore(settings.data_dir / AUDIT_FILE))
            return
        database = PostgresDatabase(settings.storage.dsn)
        await database.open()
        nonces = PostgresNonceClaims(database)
        try:
            yield cls(PostgresAuditStore(database), nonces, PostgresDirectoryStore(database))
        finally:
            try:
                await nonces.close()
            finally:
                await database.close()
