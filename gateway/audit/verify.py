"""Check an audit chain: pure functions, usable without a running gateway.

Usage::

    result = verify_entries([(0, record_bytes, chain_hash), ...])
    result = await verify_sqlite(Path("data/audit.db"))
    if not result.ok:
        print(f"entry {result.first_bad}: {result.reason}")

Entry ``i`` must carry sequence number ``i`` and
``chain_hash_i = SHA-256(chain_hash_{i-1} || SHA-256(record_i))`` with
``chain_hash_{-1}`` = 32 zero bytes, and its record must be a canonical audit
record. The check stops at the first entry that breaks a rule and names it.

A plain chain cannot show that entries were cut off the end, nor a log that was
rewritten from some point on with every later hash recomputed; comparing ``head``
with a value kept elsewhere can. Signed Merkle tree heads will close both gaps.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from gateway.audit.record import check_fields
from gateway.errors import AuditError
from gateway.storage.base import StoredEntry
from gateway.storage.sqlite import SQLiteAuditStore

__all__ = ["GENESIS", "VerifyResult", "chain_hash", "verify_entries", "verify_sqlite"]

_logger = logging.getLogger(__name__)

GENESIS = bytes(32)  # chain_hash_{-1}

_INDEXED = ("exchange_id", "time", "direction", "kind", "nonce")


@dataclass(frozen=True)
class VerifyResult:
    """What a verification found.

    ``count`` is the number of entries found good, in order (all of them when
    ``ok``); ``first_bad`` is the position of the first bad entry, which is the
    sequence number it should have; ``head`` is the hex chain hash after the last
    good entry. A log that cannot be read at all has ``first_bad`` ``None``.
    """

    ok: bool
    count: int
    first_bad: int | None
    reason: str | None
    head: str | None = None


def chain_hash(previous: bytes, canonical: bytes) -> bytes:
    """The chain hash of a record whose predecessor has chain hash ``previous``."""
    return hashlib.sha256(previous + hashlib.sha256(canonical).digest()).digest()


class _BadEntryError(Exception):
    """An entry broke a rule; internal to this module."""


class _Chain:
    """Follows the chain one entry at a time, so a database can be streamed."""

    def __init__(self) -> None:
        self.count = 0
        self.head = GENESIS

    def check(
        self, seq: int, canonical: bytes, stored_hash: bytes, entry: StoredEntry | None = None
    ) -> None:
        if seq != self.count:
            gap = "is missing" if seq > self.count else "is out of order or repeated"
            raise _BadEntryError(f"expected sequence {self.count}, found {seq}: an entry {gap}")
        if stored_hash != chain_hash(self.head, canonical):
            raise _BadEntryError(_mismatch(self.count, stored_hash))
        parsed = _parse(canonical)
        if entry is not None:
            _check_columns(entry, parsed)
        self.head = stored_hash
        self.count += 1

    def result(self, bad: _BadEntryError | None = None) -> VerifyResult:
        head = self.head.hex() if self.count else None
        if bad is None:
            return VerifyResult(ok=True, count=self.count, first_bad=None, reason=None, head=head)
        return VerifyResult(
            ok=False, count=self.count, first_bad=self.count, reason=str(bad), head=head
        )


def _mismatch(position: int, stored_hash: bytes) -> str:
    if len(stored_hash) != len(GENESIS):
        return "chain hash is malformed (not 32 bytes)"
    where = "entry's record" if position == 0 else f"entry's record or entry {position - 1}"
    return (
        f"chain hash does not match: this {where} was changed,"
        " or an entry was inserted, removed or moved here"
    )


def _parse(canonical: bytes) -> dict[str, Any]:
    try:
        parsed = orjson.loads(canonical)
    except orjson.JSONDecodeError as exc:
        raise _BadEntryError(f"record is not a valid audit record: not JSON: {exc}") from exc
    try:
        check_fields(parsed)
    except ValueError as exc:
        raise _BadEntryError(f"record is not a valid audit record: {exc}") from exc
    if orjson.dumps(parsed, option=orjson.OPT_SORT_KEYS) != canonical:
        raise _BadEntryError("record is not in canonical form")
    return dict(parsed)


def verify_entries(entries: Iterable[tuple[int, bytes, bytes]]) -> VerifyResult:
    """Check ``(seq, canonical record, chain hash)`` triples given in log order."""
    chain = _Chain()
    try:
        for seq, canonical, stored_hash in entries:
            chain.check(seq, canonical, stored_hash)
    except _BadEntryError as bad:
        return chain.result(bad)
    return chain.result()


async def verify_sqlite(path: Path) -> VerifyResult:
    """Check an xgw SQLite audit database, opened read-only and streamed."""
    store = SQLiteAuditStore(path, readonly=True)
    try:
        await store.open()
    except AuditError as exc:
        return VerifyResult(ok=False, count=0, first_bad=None, reason=exc.message)
    chain = _Chain()
    try:
        async for entry in store.iter_entries():
            chain.check(entry.seq, entry.record_json, entry.chain_hash, entry)
    except _BadEntryError as bad:
        return chain.result(bad)
    except AuditError as exc:
        reason = f"reading stopped after {chain.count} good entries: {exc.message}"
        return VerifyResult(ok=False, count=chain.count, first_bad=None, reason=reason)
    finally:
        await _close(store)
    return chain.result()


def _check_columns(entry: StoredEntry, parsed: dict[str, Any]) -> None:
    # The chain covers the record only; lookups (and the replay cache) use the copies.
    for name in _INDEXED:
        if getattr(entry, name) != parsed[name]:
            raise _BadEntryError(f"indexed column {name!r} disagrees with the record")


async def _close(store: SQLiteAuditStore) -> None:
    try:
        await store.close()
    except AuditError as exc:  # the verdict is made; a failing close cannot change it
        _logger.debug("closing %s after verification: %s", store.path, exc)
