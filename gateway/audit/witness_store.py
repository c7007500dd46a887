"""Where a gateway keeps the tree heads it has seen from its peers, and the evidence
when a peer's heads contradict each other.

Usage::

    store: WitnessStore = SQLiteWitnessStore(data_dir / "witness.sqlite")
    await store.open()
    await store.adopt(SeenHead("EE/GOV/70000310", 42, root, ts, kid, jws, seen_at))
    latest = await store.latest()                   # {peer: SeenHead}: every peer's baseline
    number = await store.add_inconsistency(evidence)
    await store.clear("EE/GOV/70000310", at=now_ms) # evidence kept, baseline forgotten
    await store.close()

    reader = SQLiteWitnessStore(path, readonly=True)  # xgw witness list / show

One small SQLite file of its own (not the audit log's), WAL and ``synchronous=FULL``
like the audit log, marked ``PRAGMA application_id = 0x78677757`` (``xgwW``). The
``WitnessStore`` Protocol is the seam a PostgreSQL engine implements later. The
tables are described in docs/audit-log.md, "Witnessing".
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import aiosqlite
import orjson

from gateway.errors import AuditError
from gateway.storage.sqlite import database_identity, rollback_quietly

__all__ = [
    "APPLICATION_ID",
    "SCHEMA_VERSION",
    "Evidence",
    "SQLiteWitnessStore",
    "SeenHead",
    "Unchecked",
    "WitnessStore",
]

_logger = logging.getLogger(__name__)

APPLICATION_ID = 0x78677757  # b"xgwW": an xgw witness database
SCHEMA_VERSION = 1
_DAY_MS = 86_400_000

_SCHEMA = (
    # The heads of each peer that were consistent with what was held when they arrived:
    # the latest (the baseline) and the first and last of every earlier day.
    """CREATE TABLE witness_heads (
        peer        TEXT NOT NULL,
        tree_size   INTEGER NOT NULL CHECK (tree_size >= 0),
        root_hash   TEXT NOT NULL,
        timestamp   INTEGER NOT NULL,
        kid         TEXT NOT NULL,
        jws         TEXT NOT NULL,
        seen_at     INTEGER NOT NULL,
        day         INTEGER NOT NULL,
        PRIMARY KEY (peer, jws)
    )""",
    "CREATE INDEX witness_heads_day ON witness_heads (peer, day, seen_at)",
    """CREATE TABLE witness_peers (
        peer             TEXT PRIMARY KEY,
        latest_jws       TEXT,
        unchecked_jws    TEXT,
        unchecked_since  INTEGER,
        unchecked_reason TEXT
    )""",
    """CREATE TABLE witness_inconsistencies (
        number       INTEGER PRIMARY KEY,
        peer         TEXT NOT NULL,
        kind         TEXT NOT NULL,
        reason       TEXT NOT NULL,
        detected_at  INTEGER NOT NULL,
        action       TEXT NOT NULL,
        held_jws     TEXT NOT NULL,
        new_jws      TEXT NOT NULL,
        proof        TEXT,
        certificates TEXT NOT NULL,
        directory    TEXT NOT NULL,
        cleared_at   INTEGER
    )""",
    "CREATE INDEX witness_inconsistencies_open ON witness_inconsistencies (peer, cleared_at)",
)
_HEAD_COLUMNS = "h.peer, h.tree_size, h.root_hash, h.timestamp, h.kid, h.jws, h.seen_at"
_EVIDENCE_COLUMNS = (
    "number, peer, kind, reason, detected_at, action, held_jws, new_jws, proof, certificates,"
    " directory, cleared_at"
)


@dataclass(frozen=True, slots=True)
class SeenHead:
    """A peer's signed tree head as this gateway checked and kept it."""

    peer: str
    tree_size: int
    root_hash: bytes
    timestamp: int  # when the peer signed it, ms since the epoch (from its payload)
    kid: str
    jws: str
    seen_at: int  # when this gateway first held it, ms since the epoch


@dataclass(frozen=True, slots=True)
class Unchecked:
    """A head of a peer that could not be checked yet (the peer served no proof)."""

    peer: str
    jws: str
    since: int  # ms since the epoch
    reason: str


@dataclass(frozen=True, slots=True)
class Evidence:
    """Two signed heads of one peer that cannot both be true, and how that was found.

    ``proof`` is the consistency proof as the peer served it (JSON text), or None
    when the heads contradict each other on their own (a fork or a rollback);
    ``certificates`` the PEM certificates that verified the heads; ``directory`` the
    signed directory that listed them when the contradiction was found.
    """

    peer: str
    kind: str  # "fork", "rollback" or "inconsistent"
    reason: str
    detected_at: int  # ms since the epoch
    action: str  # "refuse" or "report": what the configuration said then
    held_jws: str
    new_jws: str
    proof: str | None
    certificates: tuple[str, ...]
    directory: str
    number: int = 0  # assigned by the store
    cleared_at: int | None = None


class WitnessStore(Protocol):
    """What witnessing needs from a database engine."""

    async def open(self) -> None: ...

    async def close(self) -> None: ...

    async def latest(self) -> dict[str, SeenHead]:
        """Every peer's baseline: the newest head that was consistent with the one before."""
        ...

    async def adopt(self, head: SeenHead) -> None:
        """Keep ``head`` as its peer's baseline (durably), and forget that it was unchecked."""
        ...

    async def heads(self, peer: str | None = None) -> list[SeenHead]:
        """The heads kept, of one peer or all, oldest first."""
        ...

    async def set_unchecked(self, unchecked: Unchecked | None, peer: str) -> None:
        """Note (or, with None, forget) a head of ``peer`` that could not be checked yet."""
        ...

    async def unchecked(self) -> list[Unchecked]: ...

    async def add_inconsistency(self, evidence: Evidence) -> int:
        """Keep the evidence durably; its number."""
        ...

    async def inconsistencies(
        self, peer: str | None = None, *, open_only: bool = False
    ) -> list[Evidence]: ...

    async def inconsistency(self, number: int) -> Evidence | None: ...

    async def clear(self, peer: str, *, at: int) -> list[int]:
        """Close ``peer``'s open inconsistencies and forget its baseline; their numbers."""
        ...


@contextlib.contextmanager
def _wrapped(what: str) -> Iterator[None]:
    try:
        yield
    except (sqlite3.Error, ValueError) as exc:  # aiosqlite says ValueError when closed
        raise AuditError(f"witness store: {what} failed: {exc}") from exc


def _head(row: sqlite3.Row | tuple[Any, ...]) -> SeenHead:
    peer, size, root, timestamp, kid, jws, seen_at = row
    return SeenHead(peer, size, bytes.fromhex(root), timestamp, kid, jws, seen_at)


def _evidence(row: sqlite3.Row | tuple[Any, ...]) -> Evidence:
    (number, peer, kind, reason, detected, action, held, new, proof, certs, directory, cleared) = (
        row
    )
    return Evidence(
        peer,
        kind,
        reason,
        detected,
        action,
        held,
        new,
        proof,
        tuple(orjson.loads(certs)),
        directory,
        number,
        cleared,
    )


class SQLiteWitnessStore:
    """A ``WitnessStore`` in one SQLite file (one connection: writes are rare and small)."""

    def __init__(self, path: Path, *, readonly: bool = False, timeout: float = 5.0) -> None:
        self.path = path
        self.readonly = readonly
        self._timeout = timeout
        self._conn: aiosqlite.Connection | None = None

    async def open(self) -> None:
        if self.readonly and not self.path.is_file():
            raise AuditError(f"witness store {self.path}: no such file (no peer seen yet?)")
        target = f"{self.path.resolve().as_uri()}?mode=ro" if self.readonly else str(self.path)
        with _wrapped(f"opening {self.path}"):
            conn = await aiosqlite.connect(
                target, uri=self.readonly, timeout=self._timeout, isolation_level=None
            )
        try:
            with _wrapped(f"preparing {self.path}"):
                if self.readonly:
                    await conn.execute("PRAGMA query_only = ON")
                    self._check_identity(await database_identity(conn))
                else:
                    await self._ensure_schema(conn)
                    async with conn.execute("PRAGMA journal_mode = WAL") as cursor:
                        mode = await cursor.fetchone()
                    await conn.execute("PRAGMA synchronous = FULL")
                    if mode is None or str(mode[0]).lower() != "wal":
                        raise AuditError(f"witness store {self.path}: WAL mode unavailable")
        except BaseException:
            await conn.close()
            raise
        self._conn = conn

    async def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with _wrapped(f"closing {self.path}"):
                await conn.close()

    async def __aenter__(self) -> SQLiteWitnessStore:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # ------------------------------------------------------------------ heads

    async def latest(self) -> dict[str, SeenHead]:
        rows = await self._fetch(
            f"SELECT {_HEAD_COLUMNS} FROM witness_peers p"  # noqa: S608
            " JOIN witness_heads h ON h.peer = p.peer AND h.jws = p.latest_jws",
            (),
        )
        return {row[0]: _head(row) for row in rows}

    async def adopt(self, head: SeenHead) -> None:
        day = head.seen_at // _DAY_MS
        await self._transaction(
            "keeping a tree head",
            [
                (
                    "INSERT OR IGNORE INTO witness_heads (peer, tree_size, root_hash, timestamp,"
                    " kid, jws, seen_at, day) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        head.peer,
                        head.tree_size,
                        head.root_hash.hex(),
                        head.timestamp,
                        head.kid,
                        head.jws,
                        head.seen_at,
                        day,
                    ),
                ),
                # Of today's heads only the first and this one stay: a year of witnessing
                # one peer is a few hundred rows, not one per signing interval.
                (
                    "DELETE FROM witness_heads WHERE peer = ? AND day = ? AND jws != ?"
                    " AND seen_at > (SELECT min(seen_at) FROM witness_heads"
                    " WHERE peer = ? AND day = ?)",
                    (head.peer, day, head.jws, head.peer, day),
                ),
                (
                    "INSERT INTO witness_peers (peer, latest_jws) VALUES (?, ?)"
                    " ON CONFLICT (peer) DO UPDATE SET latest_jws = excluded.latest_jws,"
                    " unchecked_jws = NULL, unchecked_since = NULL, unchecked_reason = NULL",
                    (head.peer, head.jws),
                ),
            ],
        )

    async def heads(self, peer: str | None = None) -> list[SeenHead]:
        where, params = ("WHERE h.peer = ?", (peer,)) if peer is not None else ("", ())
        rows = await self._fetch(
            f"SELECT {_HEAD_COLUMNS} FROM witness_heads h {where}"  # noqa: S608
            " ORDER BY h.peer, h.seen_at",
            params,
        )
        return [_head(row) for row in rows]

    async def set_unchecked(self, unchecked: Unchecked | None, peer: str) -> None:
        values = (
            (None, None, None)
            if unchecked is None
            else (unchecked.jws, unchecked.since, unchecked.reason)
        )
        await self._transaction(
            "noting an unchecked head",
            [
                (
                    "INSERT INTO witness_peers (peer, unchecked_jws, unchecked_since,"
                    " unchecked_reason) VALUES (?, ?, ?, ?) ON CONFLICT (peer) DO UPDATE SET"
                    " unchecked_jws = excluded.unchecked_jws,"
                    " unchecked_since = excluded.unchecked_since,"
                    " unchecked_reason = excluded.unchecked_reason",
                    (peer, *values),
                )
            ],
        )

    async def unchecked(self) -> list[Unchecked]:
        rows = await self._fetch(
            "SELECT peer, unchecked_jws, unchecked_since, unchecked_reason FROM witness_peers"
            " WHERE unchecked_jws IS NOT NULL ORDER BY peer",
            (),
        )
        return [Unchecked(*row) for row in rows]

    # ------------------------------------------------------------------ evidence

    async def add_inconsistency(self, evidence: Evidence) -> int:
        conn = self._writable()
        with _wrapped("keeping evidence"):
            async with conn.execute(
                "INSERT INTO witness_inconsistencies (peer, kind, reason, detected_at, action,"
                " held_jws, new_jws, proof, certificates, directory, cleared_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
                (
                    evidence.peer,
                    evidence.kind,
                    evidence.reason,
                    evidence.detected_at,
                    evidence.action,
                    evidence.held_jws,
                    evidence.new_jws,
                    evidence.proof,
                    orjson.dumps(list(evidence.certificates)).decode(),
                    evidence.directory,
                ),
            ) as cursor:
                number = cursor.lastrowid
        if number is None:  # pragma: no cover - SQLite always gives a rowid
            raise AuditError("witness store: evidence got no number")
        return number

    async def inconsistencies(
        self, peer: str | None = None, *, open_only: bool = False
    ) -> list[Evidence]:
        conditions, params = [], []
        if peer is not None:
            conditions.append("peer = ?")
            params.append(peer)
        if open_only:
            conditions.append("cleared_at IS NULL")
        where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
        rows = await self._fetch(
            f"SELECT {_EVIDENCE_COLUMNS} FROM witness_inconsistencies {where}"  # noqa: S608
            " ORDER BY number",
            tuple(params),
        )
        return [_evidence(row) for row in rows]

    async def inconsistency(self, number: int) -> Evidence | None:
        rows = await self._fetch(
            f"SELECT {_EVIDENCE_COLUMNS} FROM witness_inconsistencies"  # noqa: S608
            " WHERE number = ?",
            (number,),
        )
        return _evidence(rows[0]) if rows else None

    async def clear(self, peer: str, *, at: int) -> list[int]:
        conn = self._writable()
        try:
            await conn.execute("BEGIN IMMEDIATE")
            async with conn.execute(
                "SELECT number FROM witness_inconsistencies WHERE peer = ? AND cleared_at IS NULL"
                " ORDER BY number",
                (peer,),
            ) as cursor:
                numbers = [int(row[0]) async for row in cursor]
            await conn.execute(
                "UPDATE witness_inconsistencies SET cleared_at = ? WHERE peer = ?"
                " AND cleared_at IS NULL",
                (at, peer),
            )
            # The next head the peer shows is trusted as a new baseline (on first use again):
            # checked against the old one it would contradict it again.
            await conn.execute(
                "UPDATE witness_peers SET latest_jws = NULL, unchecked_jws = NULL,"
                " unchecked_since = NULL, unchecked_reason = NULL WHERE peer = ?",
                (peer,),
            )
            await conn.execute("COMMIT")
        except BaseException as exc:
            await rollback_quietly(conn)
            if isinstance(exc, sqlite3.Error | ValueError):
                raise AuditError(f"witness store: clearing {peer} failed: {exc}") from exc
            raise
        return numbers

    # ------------------------------------------------------------------ plumbing

    async def _fetch(self, query: str, params: tuple[Any, ...]) -> list[Any]:
        conn = self._open_connection()
        with _wrapped("reading"):
            return list(await conn.execute_fetchall(query, params))

    async def _transaction(self, what: str, statements: list[tuple[str, tuple[Any, ...]]]) -> None:
        conn = self._writable()
        try:
            await conn.execute("BEGIN IMMEDIATE")
            for statement, params in statements:
                await conn.execute(statement, params)
            await conn.execute("COMMIT")
        except BaseException as exc:
            await rollback_quietly(conn)
            if isinstance(exc, sqlite3.Error | ValueError):
                raise AuditError(f"witness store: {what} failed: {exc}") from exc
            raise

    def _open_connection(self) -> aiosqlite.Connection:
        if self._conn is None:
            raise AuditError(f"witness store {self.path} is not open")
        return self._conn

    def _writable(self) -> aiosqlite.Connection:
        if self.readonly:
            raise AuditError(f"witness store {self.path} is open read-only")
        return self._open_connection()

    async def _ensure_schema(self, conn: aiosqlite.Connection) -> None:
        await conn.execute("BEGIN IMMEDIATE")
        try:
            identity = await database_identity(conn)
            if identity == (0, 0, 0):
                for statement in _SCHEMA:
                    await conn.execute(statement)
                await conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                await conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                _logger.info("created witness database %s", self.path)
            else:
                self._check_identity(identity)
            await conn.execute("COMMIT")
        except BaseException:
            await rollback_quietly(conn)
            raise

    def _check_identity(self, identity: tuple[int, int, int]) -> None:
        app_id, version, objects = identity
        if app_id != APPLICATION_ID:
            what = "an empty database" if objects == 0 else f"application_id {app_id:#x}"
            raise AuditError(f"{self.path} is not an xgw witness database ({what})")
        if version != SCHEMA_VERSION:
            raise AuditError(f"{self.path}: witness schema version {version} is not supported")
