"""Message bodies in the audit log: chosen, sealed with AES-256-GCM, opened and checked.

Usage::

    vault = BodyVault(BodyKeyring.load(paths), BodyRules.from_settings(settings),
                      max_bytes=settings.audit.max_body_bytes)
    pending = vault.take(record, body, fallback)     # at submit: None, a marker or plaintext
    stored = vault.seal(seq, record, pending)        # in the writer, once seq is known
    body = open_body(keyring, seq, record, stored)   # decrypt, and check it is what the
                                                     # record's digest names

A body is the message exactly as signed: the bytes whose SHA-256 is the record's
``digest``, so that whoever opens one can check it against the record, and through
the record against the Merkle tree and a signed tree head. The body is not part of
the record or the tree: deleting it (at the end of its retention) leaves the log
verifiable.

Each body is sealed under the keyring's current key with a fresh 96-bit random nonce
and *associated data* that binds it to its record (:func:`associated_data`): a body
copied to another entry, or a record edited to name another digest, no longer
decrypts.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import orjson
from cryptography.exceptions import InvalidTag

from gateway.audit.body_keys import BodyKeyring
from gateway.audit.body_policy import BodyRules
from gateway.audit.record import AuditRecord
from gateway.errors import AuditError
from gateway.signing import body_digest
from gateway.storage.base import BODY_KEPT, BODY_OVER_LIMIT, BODY_UNAVAILABLE, StoredBody

__all__ = [
    "NONCE_BYTES",
    "BodyVault",
    "PendingBody",
    "associated_data",
    "open_body",
    "seal_body",
]

NONCE_BYTES = 12  # 96 bits, as GCM wants them


@dataclass(frozen=True, slots=True)
class PendingBody:
    """What the writer stores for one record: plaintext to seal, or a marker (no plaintext)."""

    status: str
    plaintext: bytes | None = None
    size: int | None = None


def associated_data(seq: int, record: AuditRecord) -> bytes:
    """The bytes a body's seal binds it to: its entry and what its record says it is.

    Canonical JSON as for records: ``{"digest":…,"direction":…,"exchange_id":…,
    "kind":…,"seq":…}``, keys sorted, no whitespace, UTF-8.
    """
    return orjson.dumps(
        {
            "digest": record.digest,
            "direction": record.direction,
            "exchange_id": record.exchange_id,
            "kind": record.kind,
            "seq": seq,
        },
        option=orjson.OPT_SORT_KEYS,
    )


def seal_body(keyring: BodyKeyring, seq: int, record: AuditRecord, plaintext: bytes) -> StoredBody:
    """Encrypt ``plaintext`` under the current key, bound to entry ``seq`` and ``record``."""
    key = keyring.current
    nonce = os.urandom(NONCE_BYTES)  # random, never reused under one key in practice
    ciphertext = key.cipher.encrypt(nonce, plaintext, associated_data(seq, record))
    return StoredBody(
        seq, record.service, record.time, BODY_KEPT, len(plaintext), key.id, nonce, ciphertext
    )


def open_body(keyring: BodyKeyring, seq: int, record: AuditRecord, stored: StoredBody) -> bytes:
    """Decrypt a kept body and check it is the one the record's digest names.

    ``AuditError`` when it is a marker, its key is not in the keyring, it does not
    decrypt (changed, moved to another entry, or its record changed), or it decrypts to
    other bytes than the record's digest names.
    """
    if stored.status != BODY_KEPT:
        raise AuditError(f"the body of record {seq} was not kept: {describe(stored)}")
    if stored.key_id is None or stored.nonce is None or stored.ciphertext is None:
        raise AuditError(f"the stored body of record {seq} is damaged: fields are missing")
    key = keyring.get(stored.key_id)
    if key is None:
        raise AuditError(
            f"the body of record {seq} is sealed with key {stored.key_id}, which is not"
            f" among the keys given ({', '.join(keyring.ids())})"
        )
    try:
        body = key.cipher.decrypt(stored.nonce, stored.ciphertext, associated_data(seq, record))
    except (InvalidTag, ValueError) as exc:
        raise AuditError(
            f"the body of record {seq} does not decrypt with key {key.id}: it was changed,"
            " moved from another record, or its record was changed"
        ) from exc
    if body_digest(body) != record.digest:  # pragma: no cover - the seal binds the digest
        raise AuditError(f"the body of record {seq} does not match the record's digest")
    return body


def describe(stored: StoredBody) -> str:
    """Why only the digest was kept, in words."""
    if stored.status == BODY_KEPT:
        return f"kept, {stored.size} bytes, sealed with key {stored.key_id}"
    if stored.status == BODY_OVER_LIMIT:
        return (
            f"the body was {stored.size} bytes, over [audit] max_body_bytes when it was"
            " logged: only its digest is in the record"
        )
    if stored.status == BODY_UNAVAILABLE:
        return (
            "the bytes the record's digest names were not at hand when it was logged"
            " (a translated answer): only the digest is in the record"
        )
    return f"unknown status {stored.status!r}"


class BodyVault:
    """Decides which body a record keeps, and seals it."""

    def __init__(self, keyring: BodyKeyring | None, rules: BodyRules, max_bytes: int) -> None:
        if keyring is None and rules.keeps_any():
            raise ValueError("bodies are kept for some services: a keyring is needed")
        self.keyring = keyring
        self.rules = rules
        self.max_bytes = max_bytes

    def take(
        self, record: AuditRecord, body: bytes | None, fallback: bytes | None = None
    ) -> PendingBody | None:
        """What to store beside ``record``: ``None`` (nothing: metadata-only, no body
        handed over, or an empty one), a marker, or the plaintext to seal.

        The body kept is the one of ``body`` and ``fallback`` whose digest is the
        record's (the signed bytes, where the client got a re-rendered answer). A
        candidate over ``max_bytes`` is not hashed: if no smaller one matches, the
        marker says the body was over the limit, with its size (``body``'s if both
        are).
        """
        if body is None and fallback is None:
            return None
        if self.rules.for_service(record.service).metadata_only:
            return None
        too_large: int | None = None
        # The fallback first: where there is one, ``body`` is most often a re-rendered
        # answer. Two candidates that both match are the same bytes, so the order
        # changes nothing stored, only how many bodies are hashed.
        for candidate in (fallback, body):
            if candidate is None:
                continue
            if len(candidate) > self.max_bytes:
                too_large = len(candidate)  # body's size wins, as it comes last
                continue
            if body_digest(candidate) == record.digest:
                if not candidate:
                    return None  # an empty body: its digest says everything
                return PendingBody(BODY_KEPT, candidate, len(candidate))
        if too_large is not None:
            return PendingBody(BODY_OVER_LIMIT, None, too_large)
        return PendingBody(BODY_UNAVAILABLE)

    def seal(self, seq: int, record: AuditRecord, pending: PendingBody) -> StoredBody:
        """The row to store for entry ``seq``: the sealed body, or the marker."""
        if pending.plaintext is None:
            return StoredBody(seq, record.service, record.time, pending.status, pending.size)
        if self.keyring is None:  # pragma: no cover - take() keeps nothing without one
            raise AuditError("no audit body key to seal a body with")
        return seal_body(self.keyring, seq, record, pending.plaintext)
