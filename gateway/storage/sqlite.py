"""The SQLite engine of the storage seam (aiosqlite, WAL, ``synchronous=FULL``).

Usage::

    store = SQLiteAuditStore(Path("data/audit.db"))
    await store.open()                 # creates the schema on a new file, upgrades an old one
    head = await store.head()          # (last seq, last chain hash) or None
    await store.close()

    reader = SQLiteAuditStore(Path("data/audit.db"), readonly=True)
    await reader.open()                # never creates or converts anything; AuditError if not ours

A read-write store holds two connections: one writer that runs the batches and a
query-only reader. In WAL mode the reader sees committed transactions only, so a
lookup never observes a batch that might still roll back, and a long verification
scan does not hold up the writer.

Schema versions (``PRAGMA user_version``): 1 had the chained entries only; 2 adds each
entry's leaf hash and completed subtree hashes, the signed tree heads and the
certificates that signed them; 3 adds the encrypted message bodies beside the entries
(``audit_bodies``, never part of a record or the tree). Opening an older file
read-write upgrades it in one transaction (the tree itself is then built once by
``gateway.audit.tree``); a read-only store reads every version.

A batch with bodies is still one statement: it is inserted into the view
``audit_append``, whose INSTEAD OF trigger writes each row into ``audit_entries`` and,
when it carries one, its body into ``audit_bodies``. In autocommit mode one statement
is one durable transaction, so records and bodies commit together in one trip to
SQLite's thread (an explicit BEGIN ... COMMIT around two INSERTs costs three more).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import sqlite3
from collections.abc import AsyncGenerator, Collection, Iterator, Sequence
from pathlib import Path
from typing import Any

import aiosqlite

from gateway.errors import AuditError
from gateway.storage.base import StoredBody, StoredEntry, StoredTreeHead
from gateway.storage.sql import BODY_SELECT, BODY_SERVICES

__all__ = [
    "APPLICATION_ID",
    "SCHEMA_VERSION",
    "SQLiteAuditStore",
    "database_identity",
    "rollback_quietly",
]

_logger = logging.getLogger(__name__)

APPLICATION_ID = 0x78677741  # b"xgwA" in the file header: marks an xgw audit database
SCHEMA_VERSION = 3  # PRAGMA user_version
_READABLE_VERSIONS = (1, 2, 3)

_SCHEMA_V1 = (
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
)
# Version n -> n + 1. A new file runs version 1 and then every upgrade, so that new and
# upgraded files have exactly the same shape (the added columns come last in both).
_UPGRADES: dict[int, tuple[str, ...]] = {
    1: (
        "ALTER TABLE audit_entries ADD COLUMN leaf_hash BLOB",  # SHA-256(0x00 || record)
        "ALTER TABLE audit_entries ADD COLUMN subtrees BLOB",  # completed subtrees, level 1 up
        """CREATE TABLE audit_tree_heads (
            number      INTEGER PRIMARY KEY,
            tree_size   INTEGER NOT NULL CHECK (tree_size >= 0),
            root_hash   TEXT NOT NULL,
            timestamp   INTEGER NOT NULL,
            kid         TEXT NOT NULL,
            jws         TEXT NOT NULL
        )""",
        "CREATE INDEX audit_tree_heads_size ON audit_tree_heads (tree_size)",
        """CREATE TABLE audit_certificates (
            kid         TEXT PRIMARY KEY,
            certificate TEXT NOT NULL
        )""",
    ),
    2: (
        """CREATE TABLE audit_bodies (
            seq         INTEGER PRIMARY KEY,
            service     TEXT NOT NULL,
            time        TEXT NOT NULL,
            status      TEXT NOT NULL,
            size        INTEGER,
            key_id      TEXT,
            nonce       BLOB,
            ciphertext  BLOB
        )""",
        "CREATE INDEX audit_bodies_expiry ON audit_bodies (service, time)",
        """CREATE VIEW audit_append AS
            SELECT e.seq, e.record, e.chain_hash, e.exchange_id, e.time, e.direction, e.kind,
                   e.nonce, e.leaf_hash, e.subtrees, b.service AS body_service,
                   b.status AS body_status, b.size AS body_size, b.key_id AS body_key_id,
                   b.nonce AS body_nonce, b.ciphertext AS body_ciphertext
            FROM audit_entries AS e LEFT JOIN audit_bodies AS b ON b.seq = e.seq""",
        """CREATE TRIGGER audit_append_insert INSTEAD OF INSERT ON audit_append BEGIN
            INSERT INTO audit_entries (seq, record, chain_hash, exchange_id, time, direction,
                                       kind, nonce, leaf_hash, subtrees)
            VALUES (NEW.seq, NEW.record, NEW.chain_hash, NEW.exchange_id, NEW.time,
                    NEW.direction, NEW.kind, NEW.nonce, NEW.leaf_hash, NEW.subtrees);
            INSERT INTO audit_bodies (seq, service, time, status, size, key_id, nonce, ciphertext)
            SELECT NEW.seq, NEW.body_service, NEW.time, NEW.body_status, NEW.body_size,
                   NEW.body_key_id, NEW.body_nonce, NEW.body_ciphertext
            WHERE NEW.body_status IS NOT NULL;
        END""",
    ),
}
_COLUMNS = "seq, record, chain_hash, exchange_id, time, direction, kind, nonce, leaf_hash, subtrees"
_COLUMNS_V1 = "seq, record, chain_hash, exchange_id, time, direction, kind, nonce, NULL, NULL"
_INSERT = f"INSERT INTO audit_entries ({_COLUMNS}) VALUES "  # noqa: S608
_ROW = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
_MAX_PARAMETERS = 32000  # per statement: under SQLite's limit of 32766
_BODY_COLUMNS = "body_service, body_status, body_size, body_key_id, body_nonce, body_ciphertext"
_INSERT_WITH_BODIES = f"INSERT INTO audit_append ({_COLUMNS}, {_BODY_COLUMNS}) VALUES "  # noqa: S608
_ROW_WITH_BODY = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
_NO_BODY = (None, None, None, None, None, None)


@functools.lru_cache(maxsize=64)
def _insert_rows(count: int) -> str:
    """One INSERT for ``count`` rows: in autocommit mode a single statement is its own
    durable transaction, so a batch costs one trip to SQLite's thread, not three."""
    return _INSERT + ", ".join([_ROW] * count)


@functools.lru_cache(maxsize=64)
def _insert_rows_with_bodies(count: int) -> str:
    """The same through the view ``audit_append``: entries and their bodies, one statement."""
    return _INSERT_WITH_BODIES + ", ".join([_ROW_WITH_BODY] * count)


_HEAD = "SELECT seq, chain_hash FROM audit_entries ORDER BY seq DESC LIMIT 1"
_NONCES = (
    "SELECT nonce, time FROM audit_entries WHERE direction = 'inbound' AND kind = 'request'"
    " AND time >= ? AND nonce IS NOT NULL ORDER BY time, seq"
)
_SET_TREE = (
    "UPDATE audit_entries SET leaf_hash = ?, subtrees = ? WHERE seq = ? AND leaf_hash IS NULL"
)
_HEAD_COLUMNS = "number, tree_size, root_hash, timestamp, kid, jws"
_DELETE_BODIES = (
    "DELETE FROM audit_bodies WHERE seq IN"
    " (SELECT seq FROM audit_bodies WHERE service = ? AND time < ? LIMIT ?)"
)
_DELETE_ALL_BODIES = (
    "DELETE FROM audit_bodies WHERE seq IN (SELECT seq FROM audit_bodies WHERE service = ? LIMIT ?)"
)
_DELETE_CHUNK = 500  # rows per transaction: a purge never holds the writer up for long
_HASH_SIZE = 32
_READ_CHUNK = 512  # rows per thread hop when streaming


@contextlib.contextmanager
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


def _blob(value: Any) -> bytes | None:
    if value is None:
        return None
    return value.encode() if isinstance(value, str) else bytes(value)


def _entry(row: sqlite3.Row | tuple[Any, ...]) -> StoredEntry:
    seq, record, chain_hash, exchange_id, time, direction, kind, nonce, leaf, subtrees = row
    data = record.encode() if isinstance(record, str) else bytes(record)
    return StoredEntry(
        seq,
        data,
        _unhex(chain_hash),
        exchange_id,
        time,
        direction,
        kind,
        nonce,
        _blob(leaf),
        _blob(subtrees),
    )


def _body(row: sqlite3.Row | tuple[Any, ...]) -> StoredBody:
    seq, service, time, status, size, key_id, nonce, ciphertext = row
    return StoredBody(seq, service, time, status, size, key_id, _blob(nonce), _blob(ciphertext))


def _tree_head(row: sqlite3.Row | tuple[Any, ...]) -> StoredTreeHead:
    number, size, root, timestamp, kid, jws = row
    return StoredTreeHead(size, _unhex(root), timestamp, kid, jws, number)


def _body_params(body: StoredBody) -> tuple[Any, ...]:
    return (body.service, body.status, body.size, body.key_id, body.nonce, body.ciphertext)


def _subtree_seq(level: int, index: int) -> int:
    """The entry that completes subtree (level, index): the last leaf it covers."""
    return ((index + 1) << level) - 1


class SQLiteAuditStore:
    """An ``AuditStore`` in one SQLite file."""

    def __init__(self, path: Path, *, readonly: bool = False, timeout: float = 5.0) -> None:
        self.path = path
        self.readonly = readonly
        self.schema_version = 0  # known once open: 1 to 3 read-only, always 3 read-write
        self._timeout = timeout  # busy timeout: how long a batch waits for a lock
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None

    def __str__(self) -> str:
        return str(self.path)

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

    async def append_batch(
        self, rows: Sequence[StoredEntry], bodies: Sequence[StoredBody] = ()
    ) -> None:
        conn = self._connection(self._writer)
        by_seq = {body.seq: body for body in bodies}
        if by_seq and (len(by_seq) != len(bodies) or not by_seq.keys() <= {r.seq for r in rows}):
            raise AuditError("audit store: a body must belong to exactly one entry of its batch")
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
                r.leaf_hash,
                r.subtrees,
            )
            if by_seq:
                b = by_seq.get(r.seq)
                params += _NO_BODY if b is None else _body_params(b)
        statement, width = (_insert_rows_with_bodies, 16) if by_seq else (_insert_rows, 10)
        per_statement = _MAX_PARAMETERS // width
        try:
            if conn.in_transaction:  # left open by a cancelled batch
                await conn.execute("ROLLBACK")
            if len(rows) <= per_statement:
                await conn.execute(statement(len(rows)), params)
            else:  # bulk loads: several statements, still one transaction
                await conn.execute("BEGIN IMMEDIATE")
                for at in range(0, len(params), per_statement * width):
                    chunk = params[at : at + per_statement * width]
                    await conn.execute(statement(len(chunk) // width), chunk)
                await conn.execute("COMMIT")
        except BaseException as exc:
            await rollback_quietly(conn)
            if isinstance(exc, sqlite3.Error | ValueError):
                raise AuditError(
                    f"audit store: commit of {len(rows)} entries failed: {exc}"
                ) from exc
            raise

    async def iter_entries(self, start: int = 0) -> AsyncGenerator[StoredEntry, None]:
        query = f"{self._select_entries()} WHERE seq >= ? ORDER BY seq"
        # Closed with this generator, not later by the loop (the store may be closed by then).
        async with contextlib.aclosing(self._select(query, (start,))) as entries:
            async for entry in entries:
                yield entry

    async def entry(self, seq: int) -> StoredEntry | None:
        query = f"{self._select_entries()} WHERE seq = ?"
        found = [entry async for entry in self._select(query, (seq,))]
        return found[0] if found else None

    async def entries_for_exchange(self, exchange_id: str) -> list[StoredEntry]:
        query = f"{self._select_entries()} WHERE exchange_id = ? ORDER BY seq"
        return [entry async for entry in self._select(query, (exchange_id,))]

    async def recent_nonces(self, since: str) -> list[tuple[str, str]]:
        conn = self._connection(self._reader)
        with _wrapped("reading nonces"):
            rows = await conn.execute_fetchall(_NONCES, (since,))
        return [(nonce, time) for nonce, time in rows]

    async def tree_hashes(self, keys: Collection[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        by_seq: dict[int, list[tuple[int, int]]] = {}
        for level, index in keys:
            if level < 0 or index < 0:
                raise AuditError(f"audit store: no subtree ({level}, {index})")
            by_seq.setdefault(_subtree_seq(level, index), []).append((level, index))
        if not by_seq or self.schema_version < 2:
            return {}
        marks = ", ".join("?" * len(by_seq))
        query = f"SELECT seq, leaf_hash, subtrees FROM audit_entries WHERE seq IN ({marks})"  # noqa: S608
        conn = self._connection(self._reader)
        with _wrapped("reading tree hashes"):
            rows = await conn.execute_fetchall(query, tuple(by_seq))
        found: dict[tuple[int, int], bytes] = {}
        for seq, leaf, subtrees in rows:
            for level, index in by_seq[seq]:
                if level == 0:
                    value = _blob(leaf)
                else:
                    stored = _blob(subtrees) or b""
                    value = stored[(level - 1) * _HASH_SIZE : level * _HASH_SIZE] or None
                if value is not None and len(value) == _HASH_SIZE:
                    found[(level, index)] = value
        return found

    async def first_without_tree(self) -> int | None:
        conn = self._writer or self._connection(self._reader)
        if self.schema_version < 2:
            return None if await self.head() is None else 0
        with _wrapped("looking for entries without a tree"):
            async with conn.execute(
                "SELECT leaf_hash IS NULL FROM audit_entries ORDER BY seq DESC LIMIT 1"
            ) as cursor:
                last = await cursor.fetchone()
            if last is None or not last[0]:
                return None  # built up to the end: the build goes in order, appends have it
            async with conn.execute(
                "SELECT min(seq) FROM audit_entries WHERE leaf_hash IS NULL"
            ) as cursor:
                row = await cursor.fetchone()
        return None if row is None else int(row[0])

    async def set_tree_hashes(self, rows: Sequence[tuple[int, bytes, bytes]]) -> None:
        conn = self._connection(self._writer)
        try:
            if conn.in_transaction:
                await conn.execute("ROLLBACK")
            await conn.execute("BEGIN IMMEDIATE")
            await conn.executemany(_SET_TREE, [(leaf, sub, seq) for seq, leaf, sub in rows])
            await conn.execute("COMMIT")
        except BaseException as exc:
            await rollback_quietly(conn)
            if isinstance(exc, sqlite3.Error | ValueError):
                raise AuditError(f"audit store: building the tree failed: {exc}") from exc
            raise

    async def add_tree_head(self, head: StoredTreeHead) -> int:
        conn = self._connection(self._writer)
        with _wrapped("storing a tree head"):
            async with conn.execute(
                "INSERT INTO audit_tree_heads (tree_size, root_hash, timestamp, kid, jws)"
                " VALUES (?, ?, ?, ?, ?)",
                (head.tree_size, head.root_hash.hex(), head.timestamp, head.kid, head.jws),
            ) as cursor:
                number = cursor.lastrowid
        if number is None:  # pragma: no cover - SQLite always gives a rowid
            raise AuditError("audit store: a stored tree head got no number")
        return number

    async def iter_tree_heads(self) -> AsyncGenerator[StoredTreeHead, None]:
        if self.schema_version < 2:
            return
        conn = self._connection(self._reader)
        query = f"SELECT {_HEAD_COLUMNS} FROM audit_tree_heads ORDER BY number"  # noqa: S608
        with _wrapped("reading tree heads"):
            async with conn.execute(query) as cursor:
                async for row in cursor:
                    yield _tree_head(row)

    async def latest_tree_head(self) -> StoredTreeHead | None:
        return await self._one_head("ORDER BY number DESC LIMIT 1", ())

    async def tree_head_of_size(self, size: int) -> StoredTreeHead | None:
        return await self._one_head("WHERE tree_size = ? ORDER BY number DESC LIMIT 1", (size,))

    async def _one_head(self, where: str, params: tuple[Any, ...]) -> StoredTreeHead | None:
        if self.schema_version < 2:
            return None
        conn = self._writer or self._connection(self._reader)
        query = f"SELECT {_HEAD_COLUMNS} FROM audit_tree_heads {where}"  # noqa: S608
        with _wrapped("reading a tree head"):
            async with conn.execute(query, params) as cursor:
                row = await cursor.fetchone()
        return None if row is None else _tree_head(row)

    async def bodies(self, seqs: Collection[int]) -> dict[int, StoredBody]:
        if not seqs or self.schema_version < 3:
            return {}
        marks = ", ".join("?" * len(seqs))
        conn = self._connection(self._reader)
        with _wrapped("reading bodies"):
            rows = await conn.execute_fetchall(f"{BODY_SELECT} WHERE seq IN ({marks})", tuple(seqs))
        return {body.seq: body for body in map(_body, rows)}

    async def body_services(self) -> list[str]:
        if self.schema_version < 3:
            return []
        conn = self._connection(self._reader)
        with _wrapped("reading the services of stored bodies"):
            rows = await conn.execute_fetchall(BODY_SERVICES)
        return [str(service) for (service,) in rows]

    async def delete_bodies(self, service: str, before: str | None) -> int:
        conn = self._connection(self._writer)
        params: tuple[Any, ...]
        if before is None:
            statement, params = _DELETE_ALL_BODIES, (service, _DELETE_CHUNK)
        else:
            statement, params = _DELETE_BODIES, (service, before, _DELETE_CHUNK)
        deleted = 0
        with _wrapped(f"purging bodies of {service}"):
            while True:  # in chunks, each its own durable transaction
                async with conn.execute(statement, params) as cursor:
                    count = cursor.rowcount
                deleted += count
                if count < _DELETE_CHUNK:
                    return deleted

    async def body_key_counts(self) -> dict[str | None, int]:
        if self.schema_version < 3:
            return {}
        conn = self._connection(self._reader)
        with _wrapped("counting bodies"):
            rows = await conn.execute_fetchall(
                "SELECT key_id, count(*) FROM audit_bodies GROUP BY key_id"
            )
        return {key_id: int(count) for key_id, count in rows}

    async def add_certificate(self, kid: str, pem: str) -> None:
        conn = self._connection(self._writer)
        with _wrapped("storing a certificate"):
            await conn.execute(
                "INSERT OR IGNORE INTO audit_certificates (kid, certificate) VALUES (?, ?)",
                (kid, pem),
            )

    async def certificates(self) -> dict[str, str]:
        if self.schema_version < 2:
            return {}
        conn = self._connection(self._reader)
        with _wrapped("reading certificates"):
            rows = await conn.execute_fetchall("SELECT kid, certificate FROM audit_certificates")
        return {kid: str(pem) for kid, pem in rows}

    def _select_entries(self) -> str:
        columns = _COLUMNS if self.schema_version >= 2 else _COLUMNS_V1
        return f"SELECT {columns} FROM audit_entries"  # noqa: S608

    async def _select(
        self, query: str, params: tuple[Any, ...]
    ) -> AsyncGenerator[StoredEntry, None]:
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
                # A purged body's pages are zeroed, not left readable in the file's free list.
                await conn.execute("PRAGMA secure_delete = ON")
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
                identity = await database_identity(conn)
            self._check_identity(
                identity, _READABLE_VERSIONS if self.readonly else (SCHEMA_VERSION,)
            )
            self.schema_version = identity[1]
        except BaseException:
            await conn.close()
            raise
        return conn

    async def _ensure_schema(self, conn: aiosqlite.Connection) -> None:
        await conn.execute("BEGIN IMMEDIATE")  # two gateways starting at once create it once
        try:
            identity = await database_identity(conn)
            if identity == (0, 0, 0):
                for statement in _SCHEMA_V1:
                    await conn.execute(statement)
                await conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                version = 1
                _logger.info("created audit database %s", self.path)
            else:
                self._check_identity(identity, _READABLE_VERSIONS)
                version = identity[1]
            started = version
            while version < SCHEMA_VERSION:
                for statement in _UPGRADES[version]:
                    await conn.execute(statement)
                version += 1
                await conn.execute(f"PRAGMA user_version = {version}")
            await conn.execute("COMMIT")
            if identity != (0, 0, 0) and started < version:
                _logger.warning(
                    "upgraded audit database %s from schema %d to %d", self.path, started, version
                )
        except BaseException:
            await rollback_quietly(conn)
            raise

    def _check_identity(self, identity: tuple[int, int, int], versions: Sequence[int]) -> None:
        app_id, version, objects = identity
        if app_id != APPLICATION_ID:
            what = "an empty database" if objects == 0 else f"application_id {app_id:#x}"
            raise AuditError(f"{self.path} is not an xgw audit database ({what})")
        if version not in versions:
            raise AuditError(
                f"{self.path}: audit schema version {version} is not supported"
                f" (this xgw reads version {SCHEMA_VERSION})"
            )


async def database_identity(conn: aiosqlite.Connection) -> tuple[int, int, int]:
    """``(application_id, user_version, number of schema objects)`` of an xgw SQLite file."""
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


async def rollback_quietly(conn: aiosqlite.Connection) -> None:
    """Undo an open transaction; nothing to undo (a failure before BEGIN) or a closed
    connection is no new error."""
    try:
        await conn.execute("ROLLBACK")
    except (sqlite3.Error, ValueError) as exc:
        _logger.debug("rollback: %s", exc)
