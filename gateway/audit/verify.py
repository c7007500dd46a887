"""Check an audit log, its Merkle tree and its signed tree heads: usable without a gateway.

Usage::

    result = verify_entries([(0, record_bytes, chain_hash), ...])
    result = await verify_sqlite(Path("data/audit.db"), certificates=[signing_cert])
    if not result.ok:
        print(f"entry {result.first_bad}: {result.reason}")

Entry ``i`` must, in this order: carry sequence number ``i``; have
``chain_hash_i = SHA-256(chain_hash_{i-1} || SHA-256(record_i))`` with
``chain_hash_{-1}`` = 32 zero bytes; (in a database) hold the leaf hash
SHA-256(0x00 || record_i) and the hashes of the perfect subtrees it completes, as the
tree rebuilt from the records gives them; hold a canonical audit record; and have
indexed columns that agree with it. The tree rebuilt from the records must have the
root every signed tree head states for its size, and no head may cover more records
than the log has. The check stops at the first entry that breaks a rule and names it.

A log rewritten from some point on, with every hash after it recomputed, passes the
entry checks; the first signed tree head after that point does not, and the entries
from the last head that matched are then the first that cannot be shown intact.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from cryptography import x509

from gateway._crypto import kid, load_certificates
from gateway.audit.merkle import EMPTY_ROOT, HASH_SIZE, Frontier, leaf_hash
from gateway.audit.record import check_fields
from gateway.audit.tree_head import TreeHead, TreeHeadError, verify_tree_head
from gateway.errors import AuditError, CertValidationError
from gateway.storage.base import AuditStore, StoredEntry, StoredTreeHead
from gateway.storage.sqlite import SQLiteAuditStore

__all__ = [
    "GENESIS",
    "VerifyResult",
    "chain_hash",
    "verify_entries",
    "verify_sqlite",
    "verify_store",
]

_logger = logging.getLogger(__name__)

GENESIS = bytes(32)  # chain_hash_{-1}

_INDEXED = ("exchange_id", "time", "direction", "kind", "nonce")

_SELF_TRUST = (
    "tree head signatures were checked with the certificates stored in the log itself:"
    " that shows the log was not changed after signing, not who signed it; give the"
    " gateway's signing certificate (--config or --signing-cert) to check that too"
)


@dataclass(frozen=True)
class VerifyResult:
    """What a verification found.

    ``count`` is the number of entries found good, in order (all of them when
    ``ok``); ``first_bad`` is the position of the first bad entry, which is the
    sequence number it should have; ``head`` is the hex chain hash and ``root`` the
    hex Merkle root (RFC 9162) after the last good entry. ``tree_heads`` counts the
    signed tree heads whose root was matched; ``bad_tree_head`` is the number of the
    first stored tree head that is itself invalid (bad signature, unknown key,
    malformed). A log that cannot be read at all has ``first_bad`` ``None``.
    """

    ok: bool
    count: int
    first_bad: int | None
    reason: str | None
    head: str | None = None
    root: str | None = None
    tree_heads: int = 0
    bad_tree_head: int | None = None
    notes: tuple[str, ...] = field(default=())


def chain_hash(previous: bytes, canonical: bytes) -> bytes:
    """The chain hash of a record whose predecessor has chain hash ``previous``."""
    return hashlib.sha256(previous + hashlib.sha256(canonical).digest()).digest()


class _BadEntryError(Exception):
    """An entry broke a rule; internal to this module.

    ``first_bad`` is set when the failure reaches back before the entry being read
    (a signed root that does not match): the first entry not shown intact.
    """

    def __init__(self, reason: str, first_bad: int | None = None) -> None:
        super().__init__(reason)
        self.first_bad = first_bad


@dataclass(frozen=True)
class _SignedRoot:
    number: int
    size: int
    root: bytes
    time: str


class _Checker:
    """Follows the chain and rebuilds the tree one entry at a time, so a log can be streamed.

    ``signed`` maps tree sizes to the signed heads of that size; ``stored_tree`` says
    the entries carry tree hashes to compare (schema 2).
    """

    def __init__(
        self, signed: Mapping[int, Sequence[_SignedRoot]] | None = None, stored_tree: bool = False
    ) -> None:
        self.count = 0
        self.head = GENESIS
        self.frontier = Frontier()
        self.signed = signed or {}
        self.stored_tree = stored_tree
        self.matched_heads = 0
        # The state at the largest signed size found intact: where a later mismatch points.
        self.proven: tuple[int, bytes, bytes] = (0, GENESIS, EMPTY_ROOT)
        if self.signed.get(0):
            self._check_signed(self.signed[0])

    def check(
        self, seq: int, canonical: bytes, stored_hash: bytes, entry: StoredEntry | None = None
    ) -> None:
        if seq != self.count:
            gap = "is missing" if seq > self.count else "is out of order or repeated"
            raise _BadEntryError(f"expected sequence {self.count}, found {seq}: an entry {gap}")
        if stored_hash != chain_hash(self.head, canonical):
            raise _BadEntryError(_mismatch(self.count, stored_hash))
        leaf = leaf_hash(canonical)
        if entry is not None and self.stored_tree:
            self._check_tree(entry, leaf)
        parsed = _parse(canonical)
        if entry is not None:
            _check_columns(entry, parsed)
        self.head = stored_hash
        self.frontier.append(leaf)
        self.count += 1
        heads = self.signed.get(self.count)
        if heads:
            self._check_signed(heads)

    def finish(self) -> None:
        """After the last entry: no signed head may cover records that are not there."""
        beyond = [size for size in self.signed if size > self.count]
        if beyond:
            head = self.signed[min(beyond)][0]
            raise _BadEntryError(
                f"the log ends after {self.count} records, but tree head #{head.number}"
                f" ({head.time}) was signed for {head.size}: records {self.count} to"
                f" {head.size - 1} were removed"
            )

    def _check_tree(self, entry: StoredEntry, leaf: bytes) -> None:
        if entry.leaf_hash is None or entry.subtrees is None:
            raise _BadEntryError(
                "its Merkle tree hashes are missing: the tree was never built for it,"
                " or they were removed"
            )
        if entry.leaf_hash != leaf:
            raise _BadEntryError("leaf hash does not match the record")
        completed = self.frontier.completed_by(leaf)
        expected = b"".join(completed)
        if entry.subtrees == expected:
            return
        if len(entry.subtrees) != len(expected):
            raise _BadEntryError(
                f"subtree hashes are malformed: this entry completes {len(completed)}"
                f" subtrees, it holds {len(entry.subtrees)} bytes"
            )
        level = next(
            n
            for n in range(1, len(completed) + 1)
            if entry.subtrees[(n - 1) * HASH_SIZE : n * HASH_SIZE] != completed[n - 1]
        )
        first = self.count + 1 - (1 << level)
        raise _BadEntryError(
            f"the tree hash of records {first} to {self.count} stored with this entry does not"
            " match them: one of them was changed, inserted, removed or moved"
        )

    def _check_signed(self, heads: Sequence[_SignedRoot]) -> None:
        root = self.frontier.root()
        for head in heads:
            if head.root != root:
                start = self.proven[0]
                raise _BadEntryError(
                    f"records {start} to {self.count - 1} do not give the root signed in tree"
                    f" head #{head.number} ({head.time}) for {head.size} records: one of them"
                    " was changed, inserted, removed or moved, and the hashes stored after it"
                    " recomputed",
                    first_bad=start,
                )
            self.matched_heads += 1
        self.proven = (self.count, self.head, root)

    def result(self, bad: _BadEntryError | None = None) -> VerifyResult:
        count, head, root = self.count, self.head, self.frontier.root()
        if bad is not None and bad.first_bad is not None:
            count, head, root = self.proven
        return VerifyResult(
            ok=bad is None,
            count=count,
            first_bad=None if bad is None else count,
            reason=None if bad is None else str(bad),
            head=head.hex() if count else None,
            root=root.hex(),
            tree_heads=self.matched_heads,
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
    checker = _Checker()
    try:
        for seq, canonical, stored_hash in entries:
            checker.check(seq, canonical, stored_hash)
    except _BadEntryError as bad:
        return checker.result(bad)
    return checker.result()


async def verify_sqlite(
    path: Path,
    *,
    certificates: Sequence[x509.Certificate] | None = None,
    member: str | None = None,
) -> VerifyResult:
    """Check an xgw SQLite audit database, opened read-only and streamed.

    ``certificates`` are trusted to sign tree heads (the gateway's signing
    certificate, and earlier ones after a rotation); without them the certificates
    stored in the log are used, and a note says so. ``member`` is the member whose
    log it must be, when known.
    """
    return await verify_store(
        SQLiteAuditStore(path, readonly=True), certificates=certificates, member=member
    )


async def verify_store(
    store: AuditStore,
    *,
    certificates: Sequence[x509.Certificate] | None = None,
    member: str | None = None,
) -> VerifyResult:
    """``verify_sqlite`` on any engine: ``store`` (read-only, not yet open) is opened,
    streamed and closed."""
    try:
        await store.open()
    except AuditError as exc:
        return VerifyResult(ok=False, count=0, first_bad=None, reason=exc.message)
    notes: list[str] = []
    checker = _Checker()
    invalid: list[tuple[int, str]] = []
    try:
        if store.schema_version < 2:
            notes.append(
                f"schema version {store.schema_version}: no Merkle tree or tree heads stored"
                " yet (the gateway builds them when it next opens the log)"
            )
        trusted = await _trusted(store, certificates, notes)
        signed, invalid = await _signed_roots(store, trusted, member)
        checker = _Checker(signed, stored_tree=store.schema_version >= 2)
        async with contextlib.aclosing(store.iter_entries()) as entries:
            async for entry in entries:
                checker.check(entry.seq, entry.record_json, entry.chain_hash, entry)
        checker.finish()
        result = checker.result()
    except _BadEntryError as bad:
        result = checker.result(bad)
    except AuditError as exc:
        reason = f"reading stopped after {checker.count} good entries: {exc.message}"
        result = VerifyResult(ok=False, count=checker.count, first_bad=None, reason=reason)
    finally:
        await _close(store)
    return _with_heads(result, invalid, notes)


def _with_heads(
    result: VerifyResult, invalid: list[tuple[int, str]], notes: list[str]
) -> VerifyResult:
    if not invalid:
        return dataclasses.replace(result, notes=tuple(notes))
    number, why = invalid[0]
    problem = f"tree head #{number} is not valid: {why}"
    more = f" (and {len(invalid) - 1} more)" if len(invalid) > 1 else ""
    if result.ok:
        return dataclasses.replace(
            result, ok=False, reason=problem + more, bad_tree_head=number, notes=tuple(notes)
        )
    return dataclasses.replace(result, bad_tree_head=number, notes=(*notes, problem + more))


async def _trusted(
    store: AuditStore, certificates: Sequence[x509.Certificate] | None, notes: list[str]
) -> dict[str, x509.Certificate]:
    if certificates is not None:
        return {kid(cert): cert for cert in certificates}
    trusted: dict[str, x509.Certificate] = {}
    for key_id, pem in (await store.certificates()).items():
        try:
            cert = load_certificates(pem)[0]
        except CertValidationError:
            continue  # the heads it signed are reported as signed by an unknown key
        if kid(cert) == key_id:
            trusted[key_id] = cert
    if trusted:
        notes.append(_SELF_TRUST)
    return trusted


async def _signed_roots(
    store: AuditStore, trusted: Mapping[str, x509.Certificate], member: str | None
) -> tuple[dict[int, list[_SignedRoot]], list[tuple[int, str]]]:
    """The valid signed heads by size, and ``(number, why)`` of the invalid ones."""
    signed: dict[int, list[_SignedRoot]] = {}
    invalid: list[tuple[int, str]] = []
    async for stored in store.iter_tree_heads():
        number = stored.number or 0
        try:
            head = _check_head(stored, trusted, member)
        except TreeHeadError as exc:
            invalid.append((number, str(exc)))
            continue
        signed.setdefault(head.tree_size, []).append(
            _SignedRoot(number, head.tree_size, head.root_hash, head.time)
        )
    return signed, invalid


def _check_head(
    stored: StoredTreeHead, trusted: Mapping[str, x509.Certificate], member: str | None
) -> TreeHead:
    head = verify_tree_head(stored.jws, trusted)
    if (stored.tree_size, stored.root_hash, stored.timestamp) != (
        head.tree_size,
        head.root_hash,
        head.timestamp,
    ):
        raise TreeHeadError("its stored size, root or time disagree with what was signed")
    if member is not None and head.member != member:
        raise TreeHeadError(f"signed for member {head.member}, not {member}")
    return head


def _check_columns(entry: StoredEntry, parsed: dict[str, Any]) -> None:
    # The chain covers the record only; lookups (and the replay cache) use the copies.
    for name in _INDEXED:
        if getattr(entry, name) != parsed[name]:
            raise _BadEntryError(f"indexed column {name!r} disagrees with the record")


async def _close(store: AuditStore) -> None:
    try:
        await store.close()
    except AuditError as exc:  # the verdict is made; a failing close cannot change it
        _logger.debug("closing %s after verification: %s", store, exc)
