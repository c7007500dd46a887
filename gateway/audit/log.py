"""The audit log: hash-chained records, committed in groups, answered when durable.

Usage::

    async with AuditLog.sqlite(Path("data/audit.db")) as log:
        seq = await log.append(record)         # returns once the record is committed
        futures = [log.submit(r) for r in records]
        seqs = await asyncio.gather(*futures)  # one transaction for the lot

One writer task owns the chain. ``submit`` only checks and serialises the record
and queues it; the writer takes everything queued (up to ``max_batch``), chains it,
commits it in one transaction and then resolves the futures in order. While one
commit waits for the disk the next batch piles up, so the cost of an fsync is
shared by every exchange that arrived meanwhile. When a commit fails, every future
of that batch fails with ``AuditError`` and the writer re-reads the chain head from
the store before the next batch, so the chain in memory never runs ahead of disk.
"""

from __future__ import annotations

import asyncio
import enum
import hashlib
import logging
from collections import deque
from pathlib import Path
from types import TracebackType

from gateway.audit.record import AuditRecord
from gateway.audit.verify import GENESIS
from gateway.errors import AuditError
from gateway.storage.base import AuditStore, StoredEntry
from gateway.storage.sqlite import SQLiteAuditStore

__all__ = ["AuditLog"]

_logger = logging.getLogger(__name__)

_Pending = tuple[AuditRecord, bytes, asyncio.Future[int]]


class _State(enum.Enum):
    NEW = "new"
    OPEN = "open"
    CLOSING = "closing"
    CLOSED = "closed"


class AuditLog:
    """Appends records in grouped durable commits; hash-chains them."""

    def __init__(self, store: AuditStore, *, max_batch: int = 256) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self.store = store
        self.max_batch = max_batch
        self.commits = 0  # committed batches; fewer than records means grouping works
        self._state = _State.NEW
        self._pending: deque[_Pending] = deque()
        self._wakeup = asyncio.Event()
        self._writer: asyncio.Task[None] | None = None
        self._seq = -1  # last committed sequence number
        self._head = GENESIS  # its chain hash
        self._stale = False  # a commit failed: re-read the head before the next one
        self._writer_failed = False

    @classmethod
    def sqlite(cls, path: Path, *, max_batch: int = 256) -> AuditLog:
        """An audit log in the SQLite file ``path``."""
        return cls(SQLiteAuditStore(path), max_batch=max_batch)

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
        """Open the store, load the chain head and start the writer."""
        if self._state not in (_State.NEW, _State.CLOSED):
            raise AuditError("audit log is already open")
        await self.store.open()
        try:
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

    def submit(self, record: AuditRecord) -> asyncio.Future[int]:
        """Queue ``record``; the future gives its sequence number once it is durable."""
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
        self._pending.append((record, data, future))
        self._wakeup.set()
        return future

    async def append(self, record: AuditRecord) -> int:
        """Append ``record`` and return its sequence number once it is durable."""
        return await self.submit(record)

    async def recent_nonces(self, since: str) -> list[tuple[str, str]]:
        """``(nonce, time)`` of committed inbound requests at or after ``since``.

        ``since`` has the record time format; the replay cache is rebuilt from this.
        """
        return await self.store.recent_nonces(since)

    async def records(self, exchange_id: str) -> list[AuditRecord]:
        """The committed records of one exchange, in the order they were logged."""
        entries = await self.store.entries_for_exchange(exchange_id)
        try:
            return [AuditRecord.from_canonical(entry.record_json) for entry in entries]
        except ValueError as exc:
            raise AuditError(f"audit entry of exchange {exchange_id} is damaged: {exc}") from exc

    async def _load_head(self) -> None:
        head = await self.store.head()
        seq, chain_hash = (-1, GENESIS) if head is None else head
        if len(chain_hash) != len(GENESIS):
            raise AuditError(f"audit chain head at sequence {seq} is damaged")
        self._seq, self._head = seq, chain_hash

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
            if self._stale:
                await self._load_head()
                self._stale = False
            rows = self._chain(batch)
            await self.store.append_batch(rows)
        except asyncio.CancelledError as exc:
            self._stale = True  # the commit may or may not have happened
            _fail(batch, "audit writer stopped during a commit", exc)
            raise
        except Exception as exc:  # the writer must survive any failure of one batch
            self._stale = True
            _logger.error("audit commit of %d records failed: %s", len(batch), exc)
            _fail(batch, f"audit record not committed: {exc}", exc)
            return
        self._seq, self._head = rows[-1].seq, rows[-1].chain_hash
        self.commits += 1
        for (_, _, future), row in zip(batch, rows, strict=True):
            if not future.done():  # the caller may have given up waiting
                future.set_result(row.seq)

    def _chain(self, batch: list[_Pending]) -> list[StoredEntry]:
        """Number and chain the batch onto the committed head (the hot loop).

        ``verify.chain_hash`` inlined: a call per record costs more than the hashing.
        """
        sha256 = hashlib.sha256
        seq, head = self._seq, self._head
        rows: list[StoredEntry] = []
        append = rows.append
        for record, data, _ in batch:
            seq += 1
            head = sha256(head + sha256(data).digest()).digest()
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
                )
            )
        return rows

    def _writer_stopped(self, task: asyncio.Task[None]) -> None:
        if self._state is _State.OPEN:  # it died while it should still be running
            _logger.error("audit writer stopped unexpectedly; refusing new records")
            self._writer_failed = True
        batch = list(self._pending)
        self._pending.clear()
        cause = None if task.cancelled() else task.exception()
        _fail(batch, "audit writer stopped", cause)


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
    for _, _, future in batch:
        if not future.done():
            error = AuditError(message)
            error.__cause__ = cause
            future.set_exception(error)
