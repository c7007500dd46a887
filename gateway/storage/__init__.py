"""Storage engines behind one seam.

Usage::

    from gateway.storage import SQLiteAuditStore

    store = SQLiteAuditStore(Path("data/audit.db"))
    await store.open()

``AuditStore`` is the Protocol every engine implements; SQLite is the default
engine, PostgreSQL (asyncpg) follows for several nodes sharing one member's data.
"""

from gateway.storage.base import AuditStore, StoredEntry, StoredTreeHead
from gateway.storage.sqlite import SQLiteAuditStore

__all__ = ["AuditStore", "SQLiteAuditStore", "StoredEntry", "StoredTreeHead"]
