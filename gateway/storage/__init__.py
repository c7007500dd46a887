"""Storage engines behind one seam.

Usage::

    from gateway.storage import SQLiteAuditStore

    store = SQLiteAuditStore(Path("data/audit.db"))
    await store.open()

    from gateway.storage.factory import open_audit_store

    async with open_audit_store(settings, readonly=True) as store:   # the engine [storage] names
        head = await store.head()

``AuditStore`` is the Protocol every engine implements; SQLite is the default engine,
PostgreSQL (``gateway.storage.postgres``, asyncpg) serves several nodes of one member
sharing one log, their replay nonces and their directory cache (docs/storage.md).
"""

from gateway.storage.base import AuditStore, StoredEntry, StoredTreeHead
from gateway.storage.sqlite import SQLiteAuditStore

__all__ = ["AuditStore", "SQLiteAuditStore", "StoredEntry", "StoredTreeHead"]
