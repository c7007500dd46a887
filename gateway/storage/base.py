"""The storage seam: what the audit log needs from a database engine.

Usage::

    store: AuditStore = SQLiteAuditStore(Path("data/audit.db"))
    await store.open()
    await store.append_batch([StoredEntry(0, data, chain_hash, exchange_id, time,
                                          "outbound", "request", None)])
    async for entry in store.iter_entries():
        ...
    await store.close()

The audit log computes sequence numbers and chain hashes itself and hands the
store finished rows, so an engine only has to keep them verbatim, commit a batch
as one durable transaction and answer a few indexed queries. Nothing here is
specific to SQLite; a PostgreSQL engine (asyncpg) implements the same Protocol.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Protocol

__all__ = ["AuditStore", "StoredEntry"]


@dataclass(frozen=True, slots=True)
class StoredEntry:
    """One row of the audit log as the engine keeps it.

    ``record_json`` is the record's canonical bytes and the only thing the chain
    covers; the other columns are copies of record fields kept for indexed
    lookups (``xgw audit verify`` checks that they agree with ``record_json``).
    """

    seq: int
    record_json: bytes
    chain_hash: bytes  # 32 raw bytes; engines may store them as hex
    exchange_id: str
    time: str
    direction: str
    kind: str
    nonce: str | None


class AuditStore(Protocol):
    """An engine that keeps audit entries. Every failure raises ``AuditError``."""

    async def open(self) -> None:
        """Connect and create or check the schema."""

    async def close(self) -> None:
        """Disconnect; closing twice is harmless."""

    async def head(self) -> tuple[int, bytes] | None:
        """``(last sequence, last chain hash)``, or ``None`` when the log is empty."""

    async def append_batch(self, rows: Sequence[StoredEntry]) -> None:
        """Store ``rows`` in one transaction that is durable when this returns.

        Either every row is committed or none is: on failure the engine rolls back
        and raises ``AuditError``. A sequence number that is already taken is a
        failure, never an overwrite.
        """

    def iter_entries(self) -> AsyncIterator[StoredEntry]:
        """Every committed entry, in sequence order, streamed."""

    async def entries_for_exchange(self, exchange_id: str) -> list[StoredEntry]:
        """The committed entries of one exchange, in sequence order."""

    async def recent_nonces(self, since: str) -> list[tuple[str, str]]:
        """``(nonce, time)`` of inbound requests with a nonce and ``time >= since``."""
