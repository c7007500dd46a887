"""The SQLite engine of the storage seam (aiosqlite, WAL, ``synchronous=FULL``).

Usage::

    store = SQLiteAuditStore(Path("data/audit.db"))
    await store.open()                 # creates the schema on a new file
    head = await store.head()          # (last seq, last chain hash) or None
    await store.close()

    reader = SQLiteAuditStore(Path("data/audit.db"), readonly=True)
    await reader.open()                # never creates anything; AuditError if not ours

A read-write store holds two connections: one writer that runs the batches and a
query-only reader. In WAL mode the reader sees committed transactions only, so a
lookup never observes a batch that might still roll back, and a long verification
scan does not hold up the writer.
"""

from __future__ import annotations

import functools
import logging
import sqlite3
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from gateway.errors import AuditError
from gateway.storage.base import StoredEntry

__all__ = ["APPLICATION_ID", "SCHEMA_VERSION", "SQLiteAuditStore"]

_logger = logging.getLogger(__name__)

APPLICATION_ID = 0x78677741  # b"xgwA" in the file header: marks an xgw audit database
SCHEMA_VERSION = 1  # PRAGMA user_version

_SCHEMA = (
    """CREATE TABLE audit_entries (
        seq         INTEGER PRIMARY KEY CHECK (seq >= 0),
        record      BLOB NOT NULL,
        chain_hash  TEXT NOT NULL,
        exchange_id TEXT NOT NULL,
        time        TEXT NOT NULL,
        direction   TEXT NOT NULL,
        kind        TEXT NOT NULL,
        nonce       TEXT
    )""",
    "CREATE INDEX audit_entries_exchange ON audit_entries (exchange_id)",
    "CREATE INDEX audit_entries_nonces ON audit_entries (direction, kind, time)",
    f"PRAGMA application_id = {APPLICATION_ID}",
    f"PRAGMA user_version = {SCHEMA_VERSION}",
)
_COLUMNS = "seq, record, chain_hash, exchange_id, time, direction, kind, nonce"
_INSERT = f"INSERT INTO audit_entries ({_COLUMNS}) VALUES "  # noqa: S608
_ROW = "(?, ?, ?, ?, ?, ?, ?, ?)"


@functools.lru_cache(maxsize=64)
def _insert_rows(count: int) -> str:
    """One INSERT for ``count`` rows: in autocommit mode a single statement is its own
    durable transaction, so a batch costs one trip to SQLite's thread, not three."""
    return _INSERT + ", ".join([_ROW] * count)


_SELECT = f"SELECT {_COLUMNS} FROM audit_entries"  # noqa: S608
_HEAD = "SELECT seq, chain_hash FROM audit_entries ORDER BY seq DESC LIMIT 1"
_NONCES = (
    "SELECT nonce, time FROM audit_entries WHERE direction = 'inbound' AND kind = 'request'"
    " AND time >= ? AND nonce IS NOT NULL ORDER BY time, seq"
)
_READ_CHUNK = 512  # rows per thread hop when streaming


@contextmanager
def _wrapped(what: str) -> Iterator[None]:
    """Turn engine failures into ``AuditError``; aiosqlite says ValueError when closed."""
    try:
        yield
    except (sqlite3.Error, ValueError) as exc:
        raise AuditError(f"audit store: {what} failed: {exc}") from exc


def _unhex(value: Any) -> bytes:
    # A damaged hash must reach the verifier as a bad entry, not abort the scan.
    if isinstance(value, str):
        try:
            return bytes.fromhex(value)
        except ValueError:
            return value.encode()
    return bytes(value)


def _entry(row: sqlite3.Row | tuple[Any, ...]) -> StoredEntry:
    seq, record, chain_hash, exchange_id, time, direction, kind, nonce = row
    data = record.encode() if isinstance(record, str) else bytes(record)
    return StoredEntry(seq, data, _unhex(chain_hash), exchange_id, time, direction, kind, nonce)


class SQLiteAuditStore:
    """An ``AuditStore`` in one SQLite file."""

    def __init__(self, path: Path, *, readonly: bool = False, timeout: float = 5.0) -> None:
        self.path = path
        self.readonly = readonly
        self._timeout = timeout  # busy timeout: how long a batch waits for a lock
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None

    async def open(self) -> None:
        try:
            if self.readonly:
                self._reader = await self._open_reader()
            else:
                self._writer = await self._open_writer()
                self._reader = await self._open_reader()
        except BaseException:
            await self._close_quietly()
            raise
        _logger.debug("audit store %s open (readonly=%s)", self.path, self.readonly)

    async def close(self) -> None:
        conns = [conn for conn in (self._writer, self._reader) if conn is not None]
        self._writer = self._reader = None
        failure: BaseException | None = None
        for conn in conns:
            try:
                await conn.close()
            except (sqlite3.Error, ValueError) as exc:
                failure = failure or exc  # still close the other connection
        if failure is not None:
            raise AuditError(f"audit store: closing {self.path} failed: {failure}") from failure

    async def _close_quietly(self) -> None:
        try:
            await self.close()
        except AuditError as exc:
            _logger.debug("audit store close after a failed open: %s", exc)

    async def head(self) -> tuple[int, bytes] | None:
        conn = self._writer or self._connection(self._reader)
        with _wrapped("reading the head"):
            async with conn.execute(_HEAD) as cursor:
                row = await cursor.fetchone()
        return None if row is None else (row[0], _unhex(row[1]))

    async def append_batch(self, rows: Sequence[StoredEntry]) -> None:
        conn = self._connection(self._writer)
        params: list[Any] = []
        for r in rows:
            params += (
                r.seq,
                r.record_json,
                r.chain_hash.hex(),
                r.exchange_id,
                r.time,
                r.direction,
                r.kind,
                r.nonce,
            )
        try:
            if conn.in_transaction:  # left open by a cancelled batch
                await conn.execute("ROLLBACK")
            await conn.execute(_insert_rows(len(rows)), params)
        except BaseException as exc:
            await self._rollback(conn)
            if isinstance(exc, sqlite3.Error | ValueError):
                raise AuditError(
                    f"audit store: commit of {len(rows)} entries failed: {exc}"
                ) from exc
            raise

    async def iter_entries(self) -> AsyncIterator[StoredEntry]:
        async for entry in self._select(f"{_SELECT} ORDER BY seq", ()):
            yield entry

    async def entries_for_exchange(self, exchange_id: str) -> list[StoredEntry]:
        query = f"{_SELECT} WHERE exchange_id = ? ORDER BY seq"
        return [entry async for entry in self._select(query, (exchange_id,))]

    async def recent_nonces(self, since: str) -> list[tuple[str, str]]:
        conn = self._connection(self._reader)
        with _wrapped("reading nonces"):
            rows = await conn.execute_fetchall(_NONCES, (since,))
        return [(nonce, time) for nonce, time in rows]

    async def _select(self, query: str, params: tuple[Any, ...]) -> AsyncIterator[StoredEntry]:
        conn = self._connection(self._reader)
        with _wrapped("reading entries"):
            async with conn.execute(query, params) as cursor:
                async for row in cursor:
                    yield _entry(row)

    def _connection(self, conn: aiosqlite.Connection | None) -> aiosqlite.Connection:
        if conn is None:
            raise AuditError(f"audit store {self.path} is not open")
        return conn

    async def _open_writer(self) -> aiosqlite.Connection:
        with _wrapped(f"opening {self.path}"):
            conn = await aiosqlite.connect(self.path, timeout=self._timeout, isolation_level=None)
        try:
            with _wrapped(f"preparing {self.path}"):
                await self._ensure_schema(conn)
                # After the identity check, so a foreign database is never converted.
                async with conn.execute("PRAGMA journal_mode = WAL") as cursor:
                    mode = await cursor.fetchone()
                await conn.execute("PRAGMA synchronous = FULL")
            if mode is None or str(mode[0]).lower() != "wal":
                raise AuditError(f"audit store {self.path}: WAL mode unavailable ({mode})")
        except BaseException:
            await conn.close()
            raise
        return conn

    async def _open_reader(self) -> aiosqlite.Connection:
        if self.readonly and not self.path.is_file():
            raise AuditError(f"audit store {self.path}: no such file")
        target = f"{self.path.resolve().as_uri()}?mode=ro" if self.readonly else str(self.path)
        with _wrapped(f"opening {self.path}"):
            conn = await aiosqlite.connect(
                target,
                uri=self.readonly,
                timeout=self._timeout,
                isolation_level=None,
                iter_chunk_size=_READ_CHUNK,
            )
        try:
            with _wrapped(f"reading {self.path}"):
                await conn.execute("PRAGMA query_only = ON")
                self._check_identity(await self._identity(conn))
        except BaseException:
            await conn.close()
            raise
        return conn

    async def _ensure_schema(self, conn: aiosqlite.Connection) -> None:
        await conn.execute("BEGIN IMMEDIATE")  # two gateways starting at once create it once
        try:
            identity = await self._identity(conn)
            if identity == (0, 0, 0):
                for statement in _SCHEMA:
                    await conn.execute(statement)
                _logger.info("created audit database %s", self.path)
            else:
                self._check_identity(identity)
            await conn.execute("COMMIT")
        except BaseException:
            await self._rollback(conn)
            raise

    @staticmethod
    async def _identity(conn: aiosqlite.Connection) -> tuple[int, int, int]:
        """``(application_id, user_version, number of schema objects)``."""
        values = []
        for query in (
            "PRAGMA application_id",
            "PRAGMA user_version",
            "SELECT count(*) FROM sqlite_master",
        ):
            async with conn.execute(query) as cursor:
                row = await cursor.fetchone()
            values.append(int(row[0]) if row is not None else 0)
        return values[0], values[1], values[2]

    def _check_identity(self, identity: tuple[int, int, int]) -> None:
        app_id, version, objects = identity
        if app_id != APPLICATION_ID:
            what = "an empty database" if objects == 0 else f"application_id {app_id:#x}"
            raise AuditError(f"{self.path} is not an xgw audit database ({what})")
        if version != SCHEMA_VERSION:
            raise AuditError(
                f"{self.path}: audit schema version {version} is not supported"
                f" (this xgw reads version {SCHEMA_VERSION})"
            )

    @staticmethod
    async def _rollback(conn: aiosqlite.Connection) -> None:
        try:
            await conn.execute("ROLLBACK")
        except (sqlite3.Error, ValueError) as exc:
            # Nothing to undo (the failure came before BEGIN) or the connection is gone.
            _logger.debug("audit store rollback: %s", exc)
