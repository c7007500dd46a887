"""What the nodes of one member share in PostgreSQL besides the log: replay nonces, directories.

Usage::

    database = PostgresDatabase(dsn)
    await database.open()
    nonces = PostgresNonceClaims(database)
    if not await nonces.claim(nonce, expires=time.time() + 600):
        ...                                   # another node accepted this message first
    directories = PostgresDirectoryStore(database)
    await directories.keep(8, token)          # every node's floor and history
    token = await directories.latest()
    await nonces.close()                      # waits for a purge under way

A nonce is claimed by an ``INSERT ... ON CONFLICT DO NOTHING``: the first node to
insert it wins, atomically, whatever the others do at the same moment. Claims are made
in groups, like the audit log's commits: while one statement waits for the database,
the claims that arrive meanwhile queue, and the next statement inserts them all (one
durable commit, not one per message). Expired claims are deleted at most once a minute
per node, in the background; a claim that has expired is never consulted anyway, since
its message is outside the time window.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time

from gateway.errors import AuditError
from gateway.storage.postgres import PostgresDatabase, audit_errors

__all__ = ["PURGE_INTERVAL", "PostgresDirectoryStore", "PostgresNonceClaims"]

_logger = logging.getLogger(__name__)

PURGE_INTERVAL = 60.0  # seconds between deletions of expired nonces, per node
_CLAIM = (
    "INSERT INTO replay_nonces (nonce, expires)"
    " SELECT * FROM unnest($1::text[], $2::double precision[])"
    " ON CONFLICT (nonce) DO NOTHING RETURNING nonce"
)
_MAX_GROUP = 1024  # claims per statement
_PURGE = "DELETE FROM replay_nonces WHERE expires < $1"


class PostgresNonceClaims:
    """``NonceClaims`` in the table ``replay_nonces``."""

    def __init__(self, database: PostgresDatabase, *, purge_interval: float = PURGE_INTERVAL):
        self.database = database
        self._purge_interval = purge_interval
        self._next_purge = 0.0
        self._purging: asyncio.Task[None] | None = None
        self._queued: list[tuple[str, float, asyncio.Future[bool]]] = []
        self._claiming: asyncio.Task[None] | None = None

    async def claim(self, nonce: str, expires: float) -> bool:
        now = time.time()
        if now >= self._next_purge and self._purging is None:
            self._next_purge = now + self._purge_interval
            self._purging = asyncio.create_task(self._purge(now), name="xgw-nonce-purge")
        claimed: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._queued.append((nonce, expires, claimed))
        if self._claiming is None:
            self._claiming = asyncio.create_task(self._claim_queued(), name="xgw-nonce-claims")
        return await claimed

    async def close(self) -> None:
        for task in (self._claiming, self._purging):
            if task is not None:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._claiming = self._purging = None

    async def _claim_queued(self) -> None:
        """Insert what is queued, group by group, until nothing is; then stop."""
        try:
            while self._queued:
                group, self._queued = self._queued[:_MAX_GROUP], self._queued[_MAX_GROUP:]
                await self._claim_group(group)
        finally:
            self._claiming = None
            # Only when cancelled (the loop shutting down): nothing queued is left waiting.
            queued, self._queued = self._queued, []
            _settle(queued, AuditError("the node stopped before the nonce was claimed"))

    async def _claim_group(self, group: list[tuple[str, float, asyncio.Future[bool]]]) -> None:
        try:
            with audit_errors(self.database.where, "claiming a nonce"):
                rows = await self.database.pool.fetch(
                    _CLAIM, [nonce for nonce, _, _ in group], [e for _, e, _ in group]
                )
        except AuditError as exc:
            _settle(group, exc)  # each claimer refuses its message; the next group may succeed
            return
        except BaseException:
            _settle(group, AuditError("the node stopped before the nonce was claimed"))
            raise
        inserted = {nonce for (nonce,) in rows}
        for nonce, _, claimed in group:
            if not claimed.done():
                claimed.set_result(nonce in inserted)
            inserted.discard(nonce)  # the same nonce twice in one group: the first wins

    async def _purge(self, now: float) -> None:
        try:
            with audit_errors(self.database.where, "deleting expired nonces"):
                status = await self.database.pool.execute(_PURGE, now)
            _logger.debug("deleted expired replay nonces: %s", status)
        except AuditError as exc:  # the next purge tries again; claims do not depend on it
            _logger.warning("%s", exc.message)
        finally:
            self._purging = None


def _settle(group: list[tuple[str, float, asyncio.Future[bool]]], exc: BaseException) -> None:
    for _, _, claimed in group:
        if not claimed.done():
            claimed.set_exception(exc)


class PostgresDirectoryStore:
    """``DirectoryStore`` in the table ``directory_publications``."""

    def __init__(self, database: PostgresDatabase) -> None:
        self.database = database

    async def keep(self, sequence: int, token: str) -> None:
        digest = hashlib.sha256(token.encode("ascii")).digest()
        with audit_errors(self.database.where, f"keeping directory sequence {sequence}"):
            await self.database.pool.execute(
                "INSERT INTO directory_publications (sequence, digest, token) VALUES ($1, $2, $3)"
                " ON CONFLICT DO NOTHING",
                sequence,
                digest,
                token,
            )

    async def latest(self) -> str | None:
        with audit_errors(self.database.where, "reading the latest directory"):
            token = await self.database.pool.fetchval(
                "SELECT token FROM directory_publications"
                " ORDER BY sequence DESC, kept_at DESC LIMIT 1"
            )
        return None if token is None else str(token)

    async def publications(self) -> list[tuple[int, str]]:
        with audit_errors(self.database.where, "reading the kept directories"):
            rows = await self.database.pool.fetch(
                "SELECT sequence, token FROM directory_publications ORDER BY sequence, kept_at"
            )
        return [(int(sequence), str(token)) for sequence, token in rows]
