"""The PostgreSQL engine of the storage seam (asyncpg), for several nodes of one member.

Usage::

    store = PostgresAuditStore("postgresql://xgw@db:5432/xgw")
    await store.open()                 # refuses a schema older than it needs: xgw db upgrade
    async with store.locked() as batch:   # one grouped commit under the log's lock
        head = await batch.head()
        await batch.append(rows, bodies)
    await store.close()

    reader = PostgresAuditStore(dsn, readonly=True)   # xgw audit ..., the admin API's reads

Several nodes append to one log. Each grouped commit is one transaction that takes a
transaction-level advisory lock (keyed by the schema) and reads the head and the tree's
right edge as committed by every node (both in one round trip: the function
``xgw_audit_lock`` of migration 1), inserts its rows and commits: the leaves have one
order, and no two nodes ever compute from the same head. The lock is released by the
commit, or by the server when a node dies mid-transaction.

``PostgresDatabase`` is the pool one node opens once; the audit store, the replay
nonces and the directory cache (``gateway.storage.postgres_shared``) share it. Its
``open`` checks the schema (``gateway.storage.migrations``) and never migrates.
A read-write store keeps one connection of its own for the log's transactions, so
they never wait for a reader's connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Collection, Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from gateway.errors import AuditError
from gateway.storage.base import StoredBody, StoredEntry, StoredTreeHead
from gateway.storage.migrations import LATEST, Connection, schema_version
from gateway.storage.sql import BODY_SELECT, BODY_SERVICES

__all__ = [
    "LOG_LOCK",
    "PostgresAuditStore",
    "PostgresBatch",
    "PostgresDatabase",
    "audit_errors",
    "redact",
]

_logger = logging.getLogger(__name__)

LOG_LOCK = 0x78677741  # advisory lock key of the log's appends ("xgwA"), with the schema's hash
_LOG_FORMAT = 3  # what SQLite calls schema 3: chain, tree, heads, certificates, bodies
_PAGE = 512  # rows per query when streaming
_ERRORS = (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError)

_COLUMNS = "seq, record, chain_hash, exchange_id, time, direction, kind, nonce, leaf_hash, subtrees"
_SELECT_ENTRIES = f"SELECT {_COLUMNS} FROM audit_entries"  # noqa: S608
_UNNEST_ENTRIES = (
    f"INSERT INTO audit_entries ({_COLUMNS}) SELECT * FROM unnest("  # noqa: S608
    "$1::bigint[], $2::bytea[], $3::bytea[], $4::text[], $5::text[], $6::text[], $7::text[],"
    " $8::text[], $9::bytea[], $10::bytea[])"
)
# Entries and bodies in one statement: one round trip, one transaction.
_UNNEST_WITH_BODIES = (
    f"WITH entries AS ({_UNNEST_ENTRIES})"  # noqa: S608
    " INSERT INTO audit_bodies (seq, service, time, status, size, key_id, nonce, ciphertext)"
    " SELECT * FROM unnest($11::bigint[], $12::text[], $13::text[], $14::text[], $15::bigint[],"
    " $16::text[], $17::bytea[], $18::bytea[])"
)
_HEAD = "SELECT seq, chain_hash FROM audit_entries ORDER BY seq DESC LIMIT 1"
_LOCK = "SELECT head_seq, head_chain_hash, edge FROM xgw_audit_lock($1, $2)"
_NONCES = (
    "SELECT nonce, time FROM audit_entries WHERE direction = 'inbound' AND kind = 'request'"
    " AND time >= $1 AND nonce IS NOT NULL ORDER BY time, seq"
)
_HEAD_COLUMNS = "number, tree_size, root_hash, timestamp, kid, jws"
_ADD_HEAD = (
    "INSERT INTO audit_tree_heads (tree_size, root_hash, timestamp, kid, jws)"
    " VALUES ($1, $2, $3, $4, $5) RETURNING number"
)
_LATEST_HEAD = f"SELECT {_HEAD_COLUMNS} FROM audit_tree_heads ORDER BY number DESC LIMIT 1"  # noqa: S608
_ADD_CERTIFICATE = (
    "INSERT INTO audit_certificates (kid, certificate) VALUES ($1, $2) ON CONFLICT DO NOTHING"
)
_DELETE_BODIES = (
    "DELETE FROM audit_bodies WHERE seq IN"
    " (SELECT seq FROM audit_bodies WHERE service = $1 AND time < $2 LIMIT $3)"
)
_DELETE_ALL_BODIES = (
    "DELETE FROM audit_bodies WHERE seq IN"
    " (SELECT seq FROM audit_bodies WHERE service = $1 LIMIT $2)"
)
_DELETE_CHUNK = 500  # rows per transaction: a purge never holds the log up for long
_HASH_SIZE = 32


def redact(dsn: str) -> str:
    """The DSN without its password: what messages and ``xgw db status`` show."""
    parts = urlsplit(dsn)
    if parts.password is None:
        return dsn
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc}"))


@contextlib.contextmanager
def audit_errors(where: str, what: str) -> Iterator[None]:
    """Turn engine failures into ``AuditError``, naming the database (never its password)."""
    try:
        yield
    except _ERRORS as exc:
        raise AuditError(f"audit store {where}: {what} failed: {exc}") from exc


class PostgresDatabase:
    """One node's pool of connections to the member's database, in its schema.

    Opened by each store that uses it and closed by the last: the node opens it once
    for the audit log, the replay nonces and the directory cache.
    """

    def __init__(self, dsn: str, *, readonly: bool = False, max_size: int = 8) -> None:
        self.dsn = dsn
        self.where = redact(dsn)
        self.readonly = readonly
        self.migration = 0  # the schema's migration, once open
        self.lock_key = (LOG_LOCK, 0)  # the second half is the schema's hash, once open
        self._max_size = max_size
        self._pool: asyncpg.Pool | None = None
        self._users = 0

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise AuditError(f"audit store {self.where} is not open")
        return self._pool

    async def open(self) -> None:
        """Connect and check the schema; the second and later calls only count a user."""
        self._users += 1
        if self._pool is not None:
            return
        try:
            with audit_errors(self.where, "connecting"):
                self._pool = await asyncpg.create_pool(
                    self.dsn,
                    min_size=1,
                    max_size=self._max_size,
                    server_settings=self._settings(),
                )
            await self._check_schema()
        except BaseException:
            self._users -= 1
            await self._close_pool()
            raise

    async def close(self) -> None:
        self._users = max(0, self._users - 1)
        if self._users == 0:
            await self._close_pool()

    async def connect(self) -> asyncpg.Connection:
        """A connection of its own (the log's writer), outside the pool."""
        with audit_errors(self.where, "connecting"):
            conn: asyncpg.Connection = await asyncpg.connect(
                self.dsn, server_settings=self._settings()
            )
        return conn

    def _settings(self) -> dict[str, str]:
        settings = {"application_name": "xgw"}
        if self.readonly:
            settings["default_transaction_read_only"] = "on"
        return settings

    async def _check_schema(self) -> None:
        with audit_errors(self.where, "reading the schema version"):
            async with self.pool.acquire() as conn:
                version = await schema_version(conn)
                key = await conn.fetchval("SELECT hashtext(current_schema())")
        if version == 0:
            raise AuditError(
                f"{self.where} has no xgw schema (in its search_path): run"
                " `xgw db upgrade --config FILE` first"
            )
        if version > LATEST:
            raise AuditError(
                f"{self.where}: schema version {version} is newer than this xgw knows"
                f" ({LATEST}): run a newer xgw"
            )
        if version < LATEST and not self.readonly:
            raise AuditError(
                f"{self.where}: schema version {version} is older than this xgw needs"
                f" ({LATEST}): run `xgw db upgrade --config FILE` (a node never migrates"
                " on its own)"
            )
        self.migration, self.lock_key = version, (LOG_LOCK, int(key or 0))

    async def _close_pool(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            try:
                await asyncio.wait_for(pool.close(), 10)
            except _ERRORS as exc:
                _logger.warning("closing %s: %s", self.where, exc)
                pool.terminate()


class PostgresBatch:
    """The reads and writes of one locked transaction (``PostgresAuditStore.locked``)."""

    def __init__(
        self, conn: asyncpg.Connection, where: str, head: tuple[int, bytes, list[bytes]] | None
    ) -> None:
        self._conn = conn
        self._where = where
        self._head = head

    async def head(self) -> tuple[int, bytes, list[bytes]] | None:
        return self._head  # read with the lock, in the same round trip

    async def append(self, rows: Sequence[StoredEntry], bodies: Sequence[StoredBody] = ()) -> None:
        if not rows:
            return
        args = _entry_columns(rows)
        with audit_errors(self._where, f"inserting {len(rows)} entries"):
            if bodies:
                _check_bodies(rows, bodies)
                await self._conn.execute(_UNNEST_WITH_BODIES, *args, *_body_columns(bodies))
            else:
                await self._conn.execute(_UNNEST_ENTRIES, *args)

    async def latest_tree_head(self) -> StoredTreeHead | None:
        with audit_errors(self._where, "reading a tree head"):
            row = await self._conn.fetchrow(_LATEST_HEAD)
        return None if row is None else _tree_head(row)

    async def add_tree_head(self, head: StoredTreeHead) -> int:
        with audit_errors(self._where, "storing a tree head"):
            number = await self._conn.fetchval(
                _ADD_HEAD, head.tree_size, head.root_hash, head.timestamp, head.kid, head.jws
            )
        return int(number)

    async def add_certificate(self, kid: str, pem: str) -> None:
        with audit_errors(self._where, "storing a certificate"):
            await self._conn.execute(_ADD_CERTIFICATE, kid, pem)


class PostgresAuditStore:
    """An ``AuditStore`` (and ``SharedAuditStore``) in a PostgreSQL schema."""

    schema_version = _LOG_FORMAT

    def __init__(self, database: PostgresDatabase | str, *, readonly: bool = False) -> None:
        if isinstance(database, str):
            database = PostgresDatabase(database, readonly=readonly)
        self.database = database
        self.readonly = readonly or database.readonly
        self._writer: asyncpg.Connection | None = None
        self._writing = asyncio.Lock()  # one transaction at a time on the writer
        self._open = False

    def __str__(self) -> str:
        return self.database.where

    async def open(self) -> None:
        await self.database.open()
        try:
            if not self.readonly:
                self._writer = await self.database.connect()
        except BaseException:
            await self.database.close()
            raise
        self._open = True
        _logger.debug("audit store %s open (readonly=%s)", self, self.readonly)

    async def close(self) -> None:
        if not self._open:
            return
        self._open = False
        writer, self._writer = self._writer, None
        try:
            if writer is not None:
                with contextlib.suppress(*_ERRORS):
                    await writer.close(timeout=10)
        finally:
            await self.database.close()

    @contextlib.asynccontextmanager
    async def locked(self) -> AsyncIterator[PostgresBatch]:
        """One transaction holding the log's advisory lock; commits when the block ends."""
        async with self._writing:
            conn = await self._writer_connection()
            try:
                with audit_errors(str(self), "taking the log's lock"):
                    await conn.execute("BEGIN")
                    # Waits for the other nodes' commits, then reads the head and the
                    # tree's edge they left: one round trip (migrations.xgw_audit_lock).
                    row = await conn.fetchrow(_LOCK, *self.database.lock_key)
                head = None if row is None else (int(row[0]), bytes(row[1]), list(row[2]))
                yield PostgresBatch(conn, str(self), head)
                with audit_errors(str(self), "committing"):
                    await conn.execute("COMMIT")
            except BaseException:
                await self._roll_back(conn)
                raise

    async def head(self) -> tuple[int, bytes] | None:
        row = await self._fetchrow(_HEAD, (), "reading the head")
        return None if row is None else (int(row[0]), bytes(row[1]))

    async def append_batch(
        self, rows: Sequence[StoredEntry], bodies: Sequence[StoredBody] = ()
    ) -> None:
        _check_bodies(rows, bodies)
        async with self.locked() as batch:
            await batch.append(rows, bodies)

    async def iter_entries(self, start: int = 0) -> AsyncGenerator[StoredEntry, None]:
        query = f"{_SELECT_ENTRIES} WHERE seq >= $1 ORDER BY seq LIMIT {_PAGE}"
        while True:  # by pages: no transaction stays open while the caller works
            rows = await self._fetch(query, (start,), "reading entries")
            for row in rows:
                yield _entry(row)
            if len(rows) < _PAGE:
                return
            start = int(rows[-1][0]) + 1

    async def entry(self, seq: int) -> StoredEntry | None:
        row = await self._fetchrow(f"{_SELECT_ENTRIES} WHERE seq = $1", (seq,), "reading an entry")
        return None if row is None else _entry(row)

    async def entries_for_exchange(self, exchange_id: str) -> list[StoredEntry]:
        query = f"{_SELECT_ENTRIES} WHERE exchange_id = $1 ORDER BY seq"
        return [_entry(row) for row in await self._fetch(query, (exchange_id,), "reading entries")]

    async def recent_nonces(self, since: str) -> list[tuple[str, str]]:
        rows = await self._fetch(_NONCES, (since,), "reading nonces")
        return [(str(nonce), str(time)) for nonce, time in rows]

    async def tree_hashes(self, keys: Collection[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        with audit_errors(str(self), "reading tree hashes"):
            async with self.database.pool.acquire() as conn:
                return await _tree_hashes(conn, keys, str(self))

    async def first_without_tree(self) -> int | None:
        return None  # every entry is written with its tree hashes (NOT NULL)

    async def set_tree_hashes(self, rows: Sequence[tuple[int, bytes, bytes]]) -> None:
        if rows:
            raise AuditError(f"audit store {self}: every entry already has its tree hashes")

    async def add_tree_head(self, head: StoredTreeHead) -> int:
        args = (head.tree_size, head.root_hash, head.timestamp, head.kid, head.jws)
        number = await self._fetchval(_ADD_HEAD, args, "storing a tree head")
        return int(number)

    async def iter_tree_heads(self) -> AsyncGenerator[StoredTreeHead, None]:
        query = (
            f"SELECT {_HEAD_COLUMNS} FROM audit_tree_heads WHERE number > $1"  # noqa: S608
            f" ORDER BY number LIMIT {_PAGE}"
        )
        after = 0
        while True:
            rows = await self._fetch(query, (after,), "reading tree heads")
            for row in rows:
                yield _tree_head(row)
            if len(rows) < _PAGE:
                return
            after = int(rows[-1][0])

    async def latest_tree_head(self) -> StoredTreeHead | None:
        row = await self._fetchrow(_LATEST_HEAD, (), "reading a tree head")
        return None if row is None else _tree_head(row)

    async def tree_head_of_size(self, size: int) -> StoredTreeHead | None:
        query = (
            f"SELECT {_HEAD_COLUMNS} FROM audit_tree_heads WHERE tree_size = $1"  # noqa: S608
            " ORDER BY number DESC LIMIT 1"
        )
        row = await self._fetchrow(query, (size,), "reading a tree head")
        return None if row is None else _tree_head(row)

    async def bodies(self, seqs: Collection[int]) -> dict[int, StoredBody]:
        if not seqs:
            return {}
        query = f"{BODY_SELECT} WHERE seq = ANY($1::bigint[])"
        rows = await self._fetch(query, (list(seqs),), "reading bodies")
        return {body.seq: body for body in map(_body, rows)}

    async def body_services(self) -> list[str]:
        rows = await self._fetch(BODY_SERVICES, (), "reading the services of stored bodies")
        return [str(service) for (service,) in rows]

    async def delete_bodies(self, service: str, before: str | None) -> int:
        statement, params = (
            (_DELETE_ALL_BODIES, (service, _DELETE_CHUNK))
            if before is None
            else (_DELETE_BODIES, (service, before, _DELETE_CHUNK))
        )
        deleted = 0
        while True:  # in chunks, each its own durable transaction
            status = await self._execute(statement, params, f"purging bodies of {service}")
            count = int(status.rsplit(" ", 1)[-1])
            deleted += count
            if count < _DELETE_CHUNK:
                return deleted

    async def body_key_counts(self) -> dict[str | None, int]:
        rows = await self._fetch(
            "SELECT key_id, count(*) FROM audit_bodies GROUP BY key_id", (), "counting bodies"
        )
        return {key_id: int(count) for key_id, count in rows}

    async def add_certificate(self, kid: str, pem: str) -> None:
        await self._execute(_ADD_CERTIFICATE, (kid, pem), "storing a certificate")

    async def certificates(self) -> dict[str, str]:
        rows = await self._fetch(
            "SELECT kid, certificate FROM audit_certificates", (), "reading certificates"
        )
        return {str(kid): str(pem) for kid, pem in rows}

    async def _writer_connection(self) -> asyncpg.Connection:
        if not self._open or self.readonly:
            state = "read-only" if self._open else "not open"
            raise AuditError(f"audit store {self} is {state}")
        if self._writer is None or self._writer.is_closed():
            self._writer = await self.database.connect()  # after a lost connection
        return self._writer

    async def _roll_back(self, conn: asyncpg.Connection) -> None:
        """Undo the transaction; a connection that cannot is dropped, and the next
        batch opens a new one (its server rolls back what it held)."""
        try:
            if conn.is_in_transaction():
                await asyncio.shield(conn.execute("ROLLBACK"))
        except (*_ERRORS, asyncio.CancelledError) as exc:
            _logger.debug("rollback on %s failed, dropping the connection: %s", self, exc)
            conn.terminate()

    async def _fetch(self, query: str, args: tuple[Any, ...], what: str) -> list[asyncpg.Record]:
        with audit_errors(str(self), what):
            rows: list[asyncpg.Record] = await self.database.pool.fetch(query, *args)
        return rows

    async def _fetchrow(
        self, query: str, args: tuple[Any, ...], what: str
    ) -> asyncpg.Record | None:
        with audit_errors(str(self), what):
            row: asyncpg.Record | None = await self.database.pool.fetchrow(query, *args)
        return row

    async def _fetchval(self, query: str, args: tuple[Any, ...], what: str) -> Any:
        self._check_writable()
        with audit_errors(str(self), what):
            return await self.database.pool.fetchval(query, *args)

    async def _execute(self, query: str, args: tuple[Any, ...], what: str) -> str:
        self._check_writable()
        with audit_errors(str(self), what):
            status: str = await self.database.pool.execute(query, *args)
        return status

    def _check_writable(self) -> None:
        if self.readonly:
            raise AuditError(f"audit store {self} is read-only")


async def _tree_hashes(
    conn: Connection,
    keys: Collection[tuple[int, int]],
    where: str,
) -> dict[tuple[int, int], bytes]:
    """Subtree ``(level, index)`` is stored with the entry that completes it, at
    position ``level - 1`` of its ``subtrees`` (level 0: its leaf hash)."""
    by_seq: dict[int, list[tuple[int, int]]] = {}
    for level, index in keys:
        if level < 0 or index < 0:
            raise AuditError(f"audit store: no subtree ({level}, {index})")
        by_seq.setdefault(((index + 1) << level) - 1, []).append((level, index))
    if not by_seq:
        return {}
    with audit_errors(where, "reading tree hashes"):
        rows = await conn.fetch(
            "SELECT seq, leaf_hash, subtrees FROM audit_entries WHERE seq = ANY($1::bigint[])",
            list(by_seq),
        )
    found: dict[tuple[int, int], bytes] = {}
    for seq, leaf, subtrees in rows:
        for level, index in by_seq[seq]:
            start = (level - 1) * _HASH_SIZE
            value = bytes(leaf) if level == 0 else bytes(subtrees)[start : start + _HASH_SIZE]
            if len(value) == _HASH_SIZE:
                found[(level, index)] = value
    return found


def _check_bodies(rows: Sequence[StoredEntry], bodies: Sequence[StoredBody]) -> None:
    seqs = {body.seq for body in bodies}
    if len(seqs) != len(bodies) or not seqs <= {row.seq for row in rows}:
        raise AuditError("audit store: a body must belong to exactly one entry of its batch")


def _entry_columns(rows: Sequence[StoredEntry]) -> list[list[Any]]:
    return [
        [r.seq for r in rows],
        [r.record_json for r in rows],
        [r.chain_hash for r in rows],
        [r.exchange_id for r in rows],
        [r.time for r in rows],
        [r.direction for r in rows],
        [r.kind for r in rows],
        [r.nonce for r in rows],
        [r.leaf_hash for r in rows],
        [r.subtrees for r in rows],
    ]


def _body_columns(bodies: Sequence[StoredBody]) -> list[list[Any]]:
    return [
        [b.seq for b in bodies],
        [b.service for b in bodies],
        [b.time for b in bodies],
        [b.status for b in bodies],
        [b.size for b in bodies],
        [b.key_id for b in bodies],
        [b.nonce for b in bodies],
        [b.ciphertext for b in bodies],
    ]


def _entry(row: asyncpg.Record) -> StoredEntry:
    seq, record, chain_hash, exchange_id, time, direction, kind, nonce, leaf, subtrees = row
    return StoredEntry(
        int(seq),
        bytes(record),
        bytes(chain_hash),
        exchange_id,
        time,
        direction,
        kind,
        nonce,
        bytes(leaf),
        bytes(subtrees),
    )


def _body(row: asyncpg.Record) -> StoredBody:
    seq, service, time, status, size, key_id, nonce, ciphertext = row
    return StoredBody(
        int(seq),
        service,
        time,
        status,
        None if size is None else int(size),
        key_id,
        None if nonce is None else bytes(nonce),
        None if ciphertext is None else bytes(ciphertext),
    )


def _tree_head(row: asyncpg.Record) -> StoredTreeHead:
    number, size, root, timestamp, kid, jws = row
    return StoredTreeHead(int(size), bytes(root), int(timestamp), kid, jws, int(number))
