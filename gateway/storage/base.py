"""The storage seam: what the audit log needs from a database engine.

Usage::

    store: AuditStore = SQLiteAuditStore(Path("data/audit.db"))
    await store.open()
    await store.append_batch([StoredEntry(0, data, chain_hash, exchange_id, time,
                                          "outbound", "request", None, leaf, b"")])
    hashes = await store.tree_hashes([(0, 0), (3, 1)])   # {(level, index): hash}
    async for entry in store.iter_entries():
        ...
    await store.close()

The audit log computes sequence numbers, chain hashes and the Merkle tree's hashes
itself and hands the store finished rows, so an engine only has to keep them
verbatim, commit a batch as one durable transaction and answer a few indexed
queries. Nothing here is specific to SQLite; the PostgreSQL engine (asyncpg)
implements the same Protocol, and ``SharedAuditStore`` besides: several nodes append
to it, so the log computes each batch inside the engine's lock (``LockedBatch``).
``NonceClaims`` and ``DirectoryStore`` are what those nodes share besides the log.

The tree (``gateway.audit.merkle``): every entry carries its leaf hash and the
hashes of the perfect subtrees it completes (``subtrees``), so the tree is written
in the same transaction as the records and can never disagree with them after a
crash. Subtree ``(level, index)`` is completed by entry ``((index + 1) << level) - 1``
and is stored with it, at position ``level - 1``; level 0 is the leaf itself. How an
engine lays that out is its own business, as long as ``tree_hashes`` finds any of
them in O(1) lookups.

Message bodies (``StoredBody``, sealed by ``gateway.audit.bodies``) are kept beside
the entries, keyed by the entry's sequence number, never inside a record or the tree:
``append_batch`` commits a batch's bodies with its entries, and ``delete_bodies`` purges
them without touching an entry.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Collection, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

__all__ = [
    "BODY_KEPT",
    "BODY_OVER_LIMIT",
    "BODY_UNAVAILABLE",
    "AuditStore",
    "DirectoryStore",
    "LockedBatch",
    "NonceClaims",
    "SharedAuditStore",
    "StoredBody",
    "StoredEntry",
    "StoredTreeHead",
]


@dataclass(frozen=True, slots=True)
class StoredEntry:
    """One row of the audit log as the engine keeps it.

    ``record_json`` is the record's canonical bytes, which the chain hash and the
    leaf hash cover; the next five columns are copies of record fields kept for
    indexed lookups (``xgw audit verify`` checks that they agree with ``record_json``).
    ``leaf_hash`` and ``subtrees`` are ``None`` only for entries written before the
    tree existed (schema version 1), until the tree is built for them.
    """

    seq: int
    record_json: bytes
    chain_hash: bytes  # 32 raw bytes; engines may store them as hex
    exchange_id: str
    time: str
    direction: str
    kind: str
    nonce: str | None
    leaf_hash: bytes | None = None  # SHA-256(0x00 || record_json)
    subtrees: bytes | None = None  # the hashes of the subtrees this entry completes, level 1 up


@dataclass(frozen=True, slots=True)
class StoredTreeHead:
    """A signed tree head as kept: the JWS, and copies of its payload for lookups.

    ``number`` is given by the engine when the head is stored (1, 2, ...: the order
    in which the heads were signed); ``xgw audit verify`` checks the copies against
    the signed payload.
    """

    tree_size: int
    root_hash: bytes
    timestamp: int  # milliseconds since the epoch, as signed
    kid: str  # the signing certificate (base64url SHA-256 of its DER)
    jws: str
    number: int | None = None


BODY_KEPT = "kept"  # sealed with AES-256-GCM
BODY_OVER_LIMIT = "over_limit"  # larger than [audit] max_body_bytes: the record's digest only
BODY_UNAVAILABLE = "unavailable"  # the bytes the record's digest names were not at hand


@dataclass(frozen=True, slots=True)
class StoredBody:
    """A message body kept beside its entry (``seq``), never part of the record or the tree.

    ``status`` ``kept``: ``ciphertext`` is AES-256-GCM (ciphertext and 16-byte tag) of
    the body under the key ``key_id`` with ``nonce``; the other statuses are markers that
    say why only the record's digest was kept, with no ciphertext. ``service`` and
    ``time`` are copies of the record's, for the purge.
    """

    seq: int
    service: str
    time: str
    status: str
    size: int | None = None  # of the plaintext
    key_id: str | None = None
    nonce: bytes | None = None
    ciphertext: bytes | None = None


class AuditStore(Protocol):
    """An engine that keeps audit entries. Every failure raises ``AuditError``."""

    # The log's format, numbered as SQLite's user_version: 1 the chain only, 2 adds the
    # tree and signed heads, 3 the bodies. A PostgreSQL database always has format 3 (its
    # own migrations are numbered apart, gateway.storage.migrations).
    schema_version: int

    async def open(self) -> None:
        """Connect and create, upgrade or check the schema."""

    async def close(self) -> None:
        """Disconnect; closing twice is harmless."""

    async def head(self) -> tuple[int, bytes] | None:
        """``(last sequence, last chain hash)``, or ``None`` when the log is empty."""

    async def append_batch(
        self, rows: Sequence[StoredEntry], bodies: Sequence[StoredBody] = ()
    ) -> None:
        """Store ``rows``, and the ``bodies`` of some of them, in one durable transaction.

        Either every row and body is committed or none is: on failure the engine rolls
        back and raises ``AuditError``. A sequence number that is already taken is a
        failure, never an overwrite. A body's ``seq`` is one of ``rows``.
        """

    def iter_entries(self, start: int = 0) -> AsyncGenerator[StoredEntry, None]:
        """Every committed entry from sequence ``start`` on, in sequence order, streamed."""

    async def entry(self, seq: int) -> StoredEntry | None:
        """The committed entry ``seq``, or ``None``."""

    async def entries_for_exchange(self, exchange_id: str) -> list[StoredEntry]:
        """The committed entries of one exchange, in sequence order."""

    async def recent_nonces(self, since: str) -> list[tuple[str, str]]:
        """``(nonce, time)`` of inbound requests with a nonce and ``time >= since``."""

    async def tree_hashes(self, keys: Collection[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        """The stored hashes of the perfect subtrees ``(level, index)`` (level 0: leaves).

        Subtrees the store does not have (not complete, or not built yet) are left out.
        """

    async def first_without_tree(self) -> int | None:
        """The first entry without a leaf hash (written before the tree existed), or ``None``."""

    async def set_tree_hashes(self, rows: Sequence[tuple[int, bytes, bytes]]) -> None:
        """Give entries written before the tree existed ``(seq, leaf hash, subtrees)``.

        One durable transaction; entries that already have a leaf hash are left alone.
        """

    async def add_tree_head(self, head: StoredTreeHead) -> int:
        """Store a signed tree head durably; its ``number``."""

    def iter_tree_heads(self) -> AsyncGenerator[StoredTreeHead, None]:
        """Every stored tree head, in the order they were stored, streamed."""

    async def latest_tree_head(self) -> StoredTreeHead | None:
        """The tree head stored last, or ``None``."""

    async def tree_head_of_size(self, size: int) -> StoredTreeHead | None:
        """The last stored tree head of exactly ``size`` records, or ``None``."""

    async def bodies(self, seqs: Collection[int]) -> dict[int, StoredBody]:
        """The stored bodies (and markers) of entries ``seqs``; entries without one left out."""

    async def body_services(self) -> list[str]:
        """Every service that has stored bodies or markers (what a purge goes through)."""

    async def delete_bodies(self, service: str, before: str | None) -> int:
        """Delete the bodies of ``service`` with ``time < before`` (all of them: ``None``).

        Durable when it returns; the entries, the chain and the tree are not touched.
        Returns how many were deleted.
        """

    async def body_key_counts(self) -> dict[str | None, int]:
        """How many bodies each key id sealed (``None``: the markers)."""

    async def add_certificate(self, kid: str, pem: str) -> None:
        """Keep the certificate that signs tree heads (idempotent; keyed by its kid)."""

    async def certificates(self) -> dict[str, str]:
        """The kept signing certificates: kid -> PEM."""


class LockedBatch(Protocol):
    """One transaction holding a shared log's write lock (``SharedAuditStore.locked``).

    Everything read through it is the log as committed by every node; everything
    written through it commits together when the ``async with`` block ends, or not at all.
    """

    async def head(self) -> tuple[int, bytes, list[bytes]] | None:
        """The log as committed when the lock was taken, or ``None`` when it is empty:
        ``(last sequence, its chain hash, the tree's right edge)``, the edge being the
        hashes of the perfect subtrees ``Frontier.keys(last sequence + 1)``, largest first."""

    async def append(self, rows: Sequence[StoredEntry], bodies: Sequence[StoredBody] = ()) -> None:
        """Insert ``rows`` and their ``bodies``; durable once the block ends."""

    async def latest_tree_head(self) -> StoredTreeHead | None:
        """The tree head stored last, under the lock."""

    async def add_tree_head(self, head: StoredTreeHead) -> int:
        """Store a signed tree head with the batch; its ``number``."""

    async def add_certificate(self, kid: str, pem: str) -> None:
        """Keep the certificate that signs tree heads (idempotent)."""


@runtime_checkable
class SharedAuditStore(Protocol):
    """An engine that several nodes write at once (PostgreSQL).

    The log cannot keep its head in memory then: each grouped commit takes the lock,
    reads the head and the tree's edge, and writes, in one transaction.
    """

    def locked(self) -> AbstractAsyncContextManager[LockedBatch]:
        """A transaction that holds the log's write lock until it commits or rolls back."""


class NonceClaims(Protocol):
    """Nonces of the signed hop, claimed once across every node that shares a database."""

    async def claim(self, nonce: str, expires: float) -> bool:
        """Claim ``nonce`` until ``expires`` (epoch seconds); False if some node holds it."""


class DirectoryStore(Protocol):
    """The directory publications the nodes of one member adopted, shared between them."""

    async def keep(self, sequence: int, token: str) -> None:
        """Keep an adopted publication durably (idempotent)."""

    async def latest(self) -> str | None:
        """The kept publication of the highest sequence (kept last among equals), or None."""

    async def publications(self) -> list[tuple[int, str]]:
        """Every kept publication as ``(sequence, token)``, by sequence."""
