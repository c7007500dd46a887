"""The audit log: records in a hash chain and an RFC 9162 Merkle tree, committed in
groups, answered when durable.

Usage::

    async with AuditLog.sqlite(Path("data/audit.db")) as log:
        seq = await log.append(record)         # returns once the record is committed
        seq = await log.append(record, body)   # and the message body beside it (sealed)
        futures = [log.submit(r) for r in records]
        seqs = await asyncio.gather(*futures)  # one transaction for the lot
        size, root = log.tree_head()           # the committed tree
        signed = await log.sign_tree_head(signer)
        path = await log.inclusion_proof(seq, size)

One writer task owns the chain and the tree. ``submit`` only checks and serialises
the record and queues it; the writer takes everything queued (up to ``max_batch``),
chains it, hashes it into the tree (the leaf and every perfect subtree it completes:
O(log n), from the tree's right edge kept in memory), commits records and tree
hashes in one transaction and then resolves the futures in order. While one commit
waits for the disk the next batch piles up, so the cost of an fsync is shared by
every exchange that arrived meanwhile. When a commit fails, every future of that
batch fails with ``AuditError`` and the writer re-reads the chain head and the
tree's edge from the store before the next batch, so neither runs ahead of disk.

On a store that several nodes write (``SharedAuditStore``: PostgreSQL) the head in
memory is only a hint: each grouped commit takes the store's lock, reads the head
inside the transaction (and the tree's edge, when another node moved it), computes and
inserts its rows, and commits; tree heads are signed under the same lock, so they come
in order of size and time. On SQLite (one writer) the head stays in memory.

With a ``BodyVault`` the log also keeps message bodies: ``submit`` decides (by the
service's rule and the size limit) what to keep beside the record, the writer seals
it with AES-256-GCM once the record's sequence number is known, and the store commits
records and bodies in the same transaction (``gateway.audit.bodies``).
"""

from __future__ import annotations

import asyncio
import enum
import hashlib
import logging
import time
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType

from gateway._crypto import certificate_to_pem
from gateway.audit.bodies import BodyVault, PendingBody, open_body
from gateway.audit.merkle import Frontier
from gateway.audit.record import AuditRecord
from gateway.audit.tree import StoredTree, build_missing_tree
from gateway.audit.tree_head import SignedTreeHead, TreeHeadSigner, sign_and_store
from gateway.audit.verify import GENESIS
from gateway.errors import AuditError
from gateway.storage.base import (
    AuditStore,
    LockedBatch,
    SharedAuditStore,
    StoredBody,
    StoredEntry,
    StoredTreeHead,
)
from gateway.storage.sqlite import SQLiteAuditStore

__all__ = ["AuditLog", "chain_entries", "sign_stored_tree_head"]

_logger = logging.getLogger(__name__)

_Pending = tuple[AuditRecord, bytes, asyncio.Future[int], PendingBody | None]


class _State(enum.Enum):
    NEW = "new"
    OPEN = "open"
    CLOSING = "closing"
    CLOSED = "closed"


class AuditLog:
    """Appends records in grouped durable commits; chains them and grows the Merkle tree."""

    def __init__(
        self, store: AuditStore, *, max_batch: int = 256, bodies: BodyVault | None = None
    ) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self.store = store
        # Other nodes append too: read the head under the store's lock in every commit.
        self.shared = store if isinstance(store, SharedAuditStore) else None
        self.max_batch = max_batch
        self.bodies = bodies  # None: no message bodies are kept
        self.commits = 0  # committed batches; fewer than records means grouping works
        # Told (seconds, records) after each durable commit: the node's metrics.
        self.on_commit: Callable[[float, int], None] | None = None
        self._state = _State.NEW
        self._pending: deque[_Pending] = deque()
        self._wakeup = asyncio.Event()
        self._writer: asyncio.Task[None] | None = None
        self._seq = -1  # last committed sequence number
        self._head = GENESIS  # its chain hash
        self._frontier = Frontier()  # the committed tree's right edge
        self._stale = False  # a commit failed: re-read the head before the next one
        self._writer_failed = False

    @classmethod
    def sqlite(
        cls, path: Path, *, max_batch: int = 256, bodies: BodyVault | None = None
    ) -> AuditLog:
        """An audit log in the SQLite file ``path``."""
        return cls(SQLiteAuditStore(path), max_batch=max_batch, bodies=bodies)

    async def __aenter__(self) -> AuditLog:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def open(self) -> None:
        """Open the store (building the tree of an upgraded log once), load the chain head
        and the tree's edge, and start the writer."""
        if self._state not in (_State.NEW, _State.CLOSED):
            raise AuditError("audit log is already open")
        await self.store.open()
        try:
            await build_missing_tree(self.store)  # a log from before the tree: once
            await self._load_head()
        except BaseException:
            await self.store.close()
            raise
        self.commits = 0
        self._stale = self._writer_failed = False
        self._state = _State.OPEN
        self._writer = asyncio.create_task(self._run(), name="xgw-audit-writer")
        self._writer.add_done_callback(self._writer_stopped)
        _logger.info("audit log open at sequence %d", self._seq)

    async def close(self) -> None:
        """Commit everything already submitted, stop the writer, close the store."""
        if self._state is not _State.OPEN:
            return
        self._state = _State.CLOSING
        self._wakeup.set()
        try:
            if self._writer is not None:
                # wait, not await: a writer cancelled by loop shutdown must not fail close()
                await asyncio.wait([self._writer])
        finally:
            self._writer = None
            self._state = _State.CLOSED
            await self.store.close()
        _logger.info("audit log closed at sequence %d", self._seq)

    def submit(
        self, record: AuditRecord, body: bytes | None = None, *, fallback: bytes | None = None
    ) -> asyncio.Future[int]:
        """Queue ``record``; the future gives its sequence number once it is durable.

        ``body`` is the message the record describes; it is kept beside the record (in
        the same commit) when the log keeps bodies and the service's rule says so, and
        only if its digest is the record's. ``fallback`` is another candidate for those
        bytes: the signed answer, when the client got a re-rendered one.
        """
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        if self._state is not _State.OPEN or self._writer_failed:
            state = "failed" if self._writer_failed else self._state.value
            future.set_exception(AuditError(f"audit log is {state}, not open"))
            return future
        try:
            data = _encode(record)
        except AuditError as exc:
            future.set_exception(exc)
            return future
        vault = self.bodies
        pending = None if vault is None else vault.take(record, body, fallback)
        self._pending.append((record, data, future, pending))
        self._wakeup.set()
        return future

    async def append(
        self, record: AuditRecord, body: bytes | None = None, *, fallback: bytes | None = None
    ) -> int:
        """Append ``record`` (and its ``body``) and return its sequence number once durable."""
        return await self.submit(record, body, fallback=fallback)

    async def recent_nonces(self, since: str) -> list[tuple[str, str]]:
        """``(nonce, time)`` of committed inbound requests at or after ``since``.

        ``since`` has the record time format; the replay cache is rebuilt from this.
        """
        return await self.store.recent_nonces(since)

    @property
    def size(self) -> int:
        """The number of committed records: the size of the committed tree.

        On a shared store: as of this node's last commit or look (``refresh``).
        """
        return self._seq + 1

    async def refresh(self) -> int:
        """Catch up with what other nodes committed to a shared store; the size."""
        if self.shared is not None:
            head = await self.store.head()
            seq, chain_hash = (-1, GENESIS) if head is None else head
            if seq > self._seq:
                frontier = await StoredTree(self.store).frontier(seq + 1)
                self._adopt(seq, chain_hash, frontier)
        return self.size

    def tree_head(self) -> tuple[int, bytes]:
        """``(size, root hash)`` of the committed tree."""
        return self._frontier.size, self._frontier.root()

    async def sign_tree_head(self, signer: TreeHeadSigner) -> SignedTreeHead:
        """Sign the committed tree's head now and store it (durably) before returning it."""
        if self.shared is None:
            size, root = self.tree_head()
            return await sign_and_store(self.store, signer, size, root)
        async with self.shared.locked() as batch:
            seq, chain_hash, frontier = await _locked_head(batch)
            self._adopt(seq, chain_hash, frontier)
            return await _sign_in_batch(batch, signer, frontier)

    async def latest_tree_head(self) -> StoredTreeHead | None:
        """The signed tree head stored last (on a shared store, this node then knows a log
        at least that large, so it can prove what it hands out)."""
        latest = await self.store.latest_tree_head()
        if latest is not None and latest.tree_size > self.size:
            await self.refresh()
        return latest

    async def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """PATH(index, D[size]) of the committed tree (default: all of it)."""
        return await StoredTree(self.store).inclusion_proof(index, self._size(size))

    async def consistency_proof(self, first: int, second: int | None = None) -> list[bytes]:
        """PROOF(first, D[second]) of the committed tree (default: all of it)."""
        return await StoredTree(self.store).consistency_proof(first, self._size(second))

    def _size(self, size: int | None) -> int:
        return self.size if size is None else size

    async def records(self, exchange_id: str) -> list[AuditRecord]:
        """The committed records of one exchange, in the order they were logged."""
        entries = await self.store.entries_for_exchange(exchange_id)
        try:
            return [AuditRecord.from_canonical(entry.record_json) for entry in entries]
        except ValueError as exc:
            raise AuditError(f"audit entry of exchange {exchange_id} is damaged: {exc}") from exc

    async def stored_body(self, seq: int) -> StoredBody | None:
        """The body (or the marker) stored beside entry ``seq``, still sealed."""
        return (await self.store.bodies([seq])).get(seq)

    async def open_body(self, seq: int) -> bytes:
        """Entry ``seq``'s body, decrypted and checked against its record's digest.

        ``AuditError`` when there is none (metadata-only, empty, purged), only a marker,
        or it does not open with this log's keys.
        """
        entry = await self.store.entry(seq)
        if entry is None:
            raise AuditError(f"there is no audit record {seq}")
        stored = await self.stored_body(seq)
        if stored is None:
            raise AuditError(f"no body is stored for record {seq}")
        if self.bodies is None or self.bodies.keyring is None:
            raise AuditError("this audit log has no body keys")
        try:
            record = AuditRecord.from_canonical(entry.record_json)
        except ValueError as exc:
            raise AuditError(f"audit record {seq} is damaged: {exc}") from exc
        return open_body(self.bodies.keyring, seq, record, stored)

    async def _load_head(self) -> None:
        head = await self.store.head()
        seq, chain_hash = (-1, GENESIS) if head is None else head
        if len(chain_hash) != len(GENESIS):
            raise AuditError(f"audit chain head at sequence {seq} is damaged")
        frontier = await StoredTree(self.store).frontier(seq + 1)
        self._seq, self._head, self._frontier = seq, chain_hash, frontier

    def _adopt(self, seq: int, chain_hash: bytes, frontier: Frontier) -> None:
        """Take a committed head as ours; never step back (other nodes' commits and our
        own are adopted in whatever order they are seen)."""
        if seq > self._seq:
            self._seq, self._head, self._frontier = seq, chain_hash, frontier

    async def _run(self) -> None:
        pending = self._pending
        while True:
            if not pending:
                if self._state is not _State.OPEN:
                    return  # closing and drained
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            if len(pending) <= self.max_batch:
                batch = list(pending)
                pending.clear()
            else:
                batch = [pending.popleft() for _ in range(self.max_batch)]
            await self._commit(batch)

    async def _commit(self, batch: list[_Pending]) -> None:
        try:
            if self.shared is not None:
                started = time.perf_counter()
                rows, frontier = await self._commit_shared(self.shared, batch)
                seconds = time.perf_counter() - started
            else:
                if self._stale:
                    await self._load_head()
                    self._stale = False
                rows, frontier = chain_entries(batch, self._seq, self._head, self._frontier)
                started = time.perf_counter()
                await self.store.append_batch(rows, self._seal(batch, rows))
                seconds = time.perf_counter() - started
        except asyncio.CancelledError as exc:
            self._stale = True  # the commit may or may not have happened
            _fail(batch, "audit writer stopped during a commit", exc)
            raise
        except Exception as exc:  # the writer must survive any failure of one batch
            self._stale = True
            _logger.error("audit commit of %d records failed: %s", len(batch), exc)
            _fail(batch, f"audit record not committed: {exc}", exc)
            return
        self._adopt(rows[-1].seq, rows[-1].chain_hash, frontier)
        self.commits += 1
        for (_, _, future, _), row in zip(batch, rows, strict=True):
            if not future.done():  # the caller may have given up waiting
                future.set_result(row.seq)
        if self.on_commit is not None:
            try:
                self.on_commit(seconds, len(rows))
            except Exception:  # an observer must never stop the writer
                _logger.exception("audit commit observer failed")

    async def _commit_shared(
        self, shared: SharedAuditStore, batch: list[_Pending]
    ) -> tuple[list[StoredEntry], Frontier]:
        """One transaction: lock, the head as committed by every node, the rows after it."""
        async with shared.locked() as locked:
            seq, chain_hash, frontier = await _locked_head(locked)
            rows, frontier = chain_entries(batch, seq, chain_hash, frontier)
            await locked.append(rows, self._seal(batch, rows))
        return rows, frontier

    def _seal(self, batch: list[_Pending], rows: list[StoredEntry]) -> list[StoredBody]:
        """Each pending body sealed to its entry, now that its sequence number is known."""
        vault = self.bodies
        if vault is None:
            return []
        return [
            vault.seal(row.seq, record, pending)
            for (record, _, _, pending), row in zip(batch, rows, strict=True)
            if pending is not None
        ]

    def _writer_stopped(self, task: asyncio.Task[None]) -> None:
        if self._state is _State.OPEN:  # it died while it should still be running
            _logger.error("audit writer stopped unexpectedly; refusing new records")
            self._writer_failed = True
        batch = list(self._pending)
        self._pending.clear()
        cause = None if task.cancelled() else task.exception()
        _fail(batch, "audit writer stopped", cause)


def chain_entries(
    batch: Sequence[tuple[AuditRecord, bytes, *tuple[object, ...]]],
    seq: int,
    head: bytes,
    frontier: Frontier,
) -> tuple[list[StoredEntry], Frontier]:
    """Number, chain and tree-hash ``(record, canonical bytes, ...)`` after entry ``seq``.

    ``head`` is entry ``seq``'s chain hash and ``frontier`` the tree's right edge after
    it (left untouched: the caller adopts the returned one once the rows are durable).
    Per record: the chain hash, the leaf hash and the subtrees it completes (one on
    average, at most log2 n). The hot loop of the exchange path, hence inlined.
    """
    sha256 = hashlib.sha256
    edge = list(frontier.hashes)
    pop, push = edge.pop, edge.append
    size = frontier.size
    rows: list[StoredEntry] = []
    append = rows.append
    for item in batch:
        record, data = item[0], item[1]
        seq += 1
        head = sha256(head + sha256(data).digest()).digest()
        node = leaf = sha256(b"\x00" + data).digest()
        subtrees = b""
        bits = size
        while bits & 1:  # one merge per trailing 1 bit of the old size
            node = sha256(b"\x01" + pop() + node).digest()
            subtrees += node
            bits >>= 1
        push(node)
        size += 1
        append(
            StoredEntry(
                seq,
                data,
                head,
                record.exchange_id,
                record.time,
                record.direction,
                record.kind,
                record.nonce,
                leaf,
                subtrees,
            )
        )
    return rows, Frontier(size, edge)


async def sign_stored_tree_head(store: AuditStore, signer: TreeHeadSigner) -> SignedTreeHead:
    """Sign the head of the log in ``store`` as it is now, and store it (the commands' way;
    a running log signs with ``AuditLog.sign_tree_head``). On a shared store under the
    log's lock, like a node."""
    if isinstance(store, SharedAuditStore):
        async with store.locked() as batch:
            _, _, frontier = await _locked_head(batch)
            return await _sign_in_batch(batch, signer, frontier)
    tree = StoredTree(store)
    size = await tree.size()
    return await sign_and_store(store, signer, size, await tree.root(size))


async def _locked_head(batch: LockedBatch) -> tuple[int, bytes, Frontier]:
    """The head and the tree's edge every node has committed, as read with the lock."""
    head = await batch.head()
    if head is None:
        return -1, GENESIS, Frontier()
    seq, chain_hash, edge = head
    if len(chain_hash) != len(GENESIS) or any(len(h) != len(GENESIS) for h in edge):
        raise AuditError(f"audit chain head at sequence {seq} is damaged")
    try:
        return seq, chain_hash, Frontier(seq + 1, edge)
    except ValueError as exc:  # fewer hashes than the size has 1 bits: an entry is missing
        raise AuditError(f"the audit tree lacks hashes of its edge at {seq + 1} records") from exc


async def _sign_in_batch(
    batch: LockedBatch, signer: TreeHeadSigner, frontier: Frontier
) -> SignedTreeHead:
    """Under the lock: the head of the log as it is, never smaller than the latest stored
    one and never dated before it (a witness would take that for a rollback), even when
    another node with a clock a little ahead signed that one."""
    latest = await batch.latest_tree_head()
    timestamp = time.time_ns() // 1_000_000
    if latest is not None:
        timestamp = max(timestamp, latest.timestamp)
    signed = signer.sign(frontier.size, frontier.root(), timestamp=timestamp)
    await batch.add_certificate(signer.kid, certificate_to_pem(signer.certificate))
    await batch.add_tree_head(signed.stored())
    return signed


def _encode(record: AuditRecord) -> bytes:
    """The record's canonical bytes, or ``AuditError`` if it cannot be stored as given."""
    problem = record.problem()
    if problem is None:
        try:
            return record.canonical()
        except TypeError as exc:  # orjson: lone surrogates, integers beyond 64 bits
            problem = str(exc)
    raise AuditError(f"audit record rejected: {problem}")


def _fail(batch: list[_Pending], message: str, cause: BaseException | None) -> None:
    # One error per caller: each gets its own id for the operator to grep.
    for _, _, future, _ in batch:
        if not future.done():
            error = AuditError(message)
            error.__cause__ = cause
            future.set_exception(error)
