"""Signed tree heads: the gateway's signature on the size, root hash and time of its audit log.

Usage::

    signer = TreeHeadSigner(key, cert, member="DE/GOV/05974028")
    signed = signer.sign(tree_size=1042, root_hash=root)     # SignedTreeHead
    signed = await sign_and_store(store, signer, 1042, root) # the same, kept in the store
    head = verify_tree_head(signed.jws, {signer.kid: cert})   # TreeHead, or TreeHeadError

A tree head is a compact JWS (RFC 7515) with the payload attached: the protected
header ``{"alg":...,"kid":...,"typ":"xgw-sth+jws"}`` (``kid`` = base64url SHA-256 of
the signing certificate's DER, as on the signed hop) and the payload
``{"member":...,"root_hash":<hex>,"timestamp":<ms>,"tree_size":<n>}`` in the audit
record's canonical JSON form. ``docs/audit-log.md`` spells out every byte, so that
anyone can check one with their own JOSE library.
"""

from __future__ import annotations

import binascii
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import jwt
import orjson
from cryptography import x509
from jwt import api_jws

from gateway._crypto import (
    PrivateKey,
    b64url_decode,
    certificate_public_key,
    certificate_to_pem,
    jws_algorithm,
    kid,
)
from gateway.errors import CertValidationError
from gateway.storage.base import AuditStore, StoredTreeHead

__all__ = [
    "TYP",
    "SignedTreeHead",
    "TreeHead",
    "TreeHeadError",
    "TreeHeadSigner",
    "sign_and_store",
    "unverified_tree_head",
    "verify_tree_head",
]

TYP = "xgw-sth+jws"
_ALGORITHMS = ("ES256", "RS256", "EdDSA")
_FIELDS = frozenset({"member", "root_hash", "timestamp", "tree_size"})
_HEX_HASH = re.compile("[0-9a-f]{64}")


class TreeHeadError(ValueError):
    """A tree head that is malformed, not signed by a known key, or whose signature fails."""


@dataclass(frozen=True)
class TreeHead:
    """What a tree head says: the log of ``member`` had ``tree_size`` records with this root."""

    tree_size: int
    root_hash: bytes
    timestamp: int  # milliseconds since the epoch
    member: str

    def payload(self) -> bytes:
        """The signed bytes: canonical JSON, keys sorted, no whitespace."""
        return orjson.dumps(
            {
                "member": self.member,
                "root_hash": self.root_hash.hex(),
                "timestamp": self.timestamp,
                "tree_size": self.tree_size,
            },
            option=orjson.OPT_SORT_KEYS,
        )

    @property
    def time(self) -> str:
        """The timestamp as RFC 3339 UTC with milliseconds."""
        moment = datetime.fromtimestamp(self.timestamp / 1000, UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{self.timestamp % 1000:03d}Z"

    def to_json(self) -> dict[str, Any]:
        return {
            "member": self.member,
            "tree_size": self.tree_size,
            "root_hash": self.root_hash.hex(),
            "timestamp": self.timestamp,
            "time": self.time,
        }


@dataclass(frozen=True)
class SignedTreeHead:
    head: TreeHead
    jws: str
    kid: str

    def stored(self) -> StoredTreeHead:
        head = self.head
        return StoredTreeHead(head.tree_size, head.root_hash, head.timestamp, self.kid, self.jws)


class TreeHeadSigner:
    """Signs tree heads for one member with its signing key."""

    def __init__(self, key: PrivateKey, cert: x509.Certificate, member: str) -> None:
        self._key = key
        self.certificate = cert
        self.member = member
        self.kid = kid(cert)
        self.algorithm = jws_algorithm(key)

    def sign(
        self, tree_size: int, root_hash: bytes, *, timestamp: int | None = None
    ) -> SignedTreeHead:
        if timestamp is None:
            timestamp = time.time_ns() // 1_000_000
        head = TreeHead(tree_size, root_hash, timestamp, self.member)
        token = api_jws.encode(
            head.payload(),
            self._key,
            algorithm=self.algorithm,
            headers={"kid": self.kid, "typ": TYP},
        )
        return SignedTreeHead(head, token, self.kid)


async def sign_and_store(
    store: AuditStore, signer: TreeHeadSigner, tree_size: int, root_hash: bytes
) -> SignedTreeHead:
    """Sign a tree head and keep it (and the certificate that signed it) durably."""
    signed = signer.sign(tree_size, root_hash)
    await store.add_certificate(signer.kid, certificate_to_pem(signer.certificate))
    await store.add_tree_head(signed.stored())
    return signed


def verify_tree_head(token: str, certificates: Mapping[str, x509.Certificate]) -> TreeHead:
    """Check a tree head's signature with the certificate its ``kid`` names, and its payload.

    ``certificates`` maps kids to the certificates trusted to sign tree heads. The
    timestamp must lie within that certificate's validity.
    """
    try:
        header = api_jws.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise TreeHeadError(f"not a JWS: {exc}") from exc
    if header.get("typ") != TYP:
        raise TreeHeadError(f"not an xgw tree head (typ {header.get('typ')!r})")
    key_id = header.get("kid")
    cert = certificates.get(key_id) if isinstance(key_id, str) else None
    if cert is None:
        raise TreeHeadError(f"signed by an unknown certificate (kid {key_id!r})")
    try:
        public_key = certificate_public_key(cert)
    except CertValidationError as exc:
        raise TreeHeadError(str(exc)) from exc
    algorithm = jws_algorithm(public_key)
    if header.get("alg") != algorithm or algorithm not in _ALGORITHMS:
        raise TreeHeadError(f"algorithm {header.get('alg')!r} does not fit the certificate's key")
    try:
        decoded = api_jws.decode_complete(token, public_key, algorithms=[algorithm])
    except jwt.PyJWTError as exc:
        raise TreeHeadError(f"signature does not verify: {exc}") from exc
    head = _parse_payload(decoded["payload"])
    moment = datetime.fromtimestamp(head.timestamp / 1000, UTC)
    if not cert.not_valid_before_utc <= moment <= cert.not_valid_after_utc:
        raise TreeHeadError(f"signed at {head.time}, outside its certificate's validity")
    return head


def unverified_tree_head(token: str) -> TreeHead:
    """What a tree head says, signature not checked: for display, never for trust."""
    parts = token.split(".")
    if len(parts) != 3:
        raise TreeHeadError("not a compact JWS")
    try:
        payload = b64url_decode(parts[1])
    except (ValueError, binascii.Error) as exc:
        raise TreeHeadError(f"payload is not base64url: {exc}") from exc
    return _parse_payload(payload)


def _parse_payload(payload: bytes) -> TreeHead:
    try:
        fields = orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        raise TreeHeadError(f"payload is not JSON: {exc}") from exc
    if not isinstance(fields, dict) or fields.keys() != _FIELDS:
        raise TreeHeadError(f"payload must have exactly the fields {sorted(_FIELDS)}")
    size, root, stamp, member = (
        fields["tree_size"],
        fields["root_hash"],
        fields["timestamp"],
        fields["member"],
    )
    if type(size) is not int or size < 0 or type(stamp) is not int or stamp < 0:
        raise TreeHeadError("tree_size and timestamp must be non-negative integers")
    if not isinstance(root, str) or not _HEX_HASH.fullmatch(root) or not isinstance(member, str):
        raise TreeHeadError("root_hash must be 64 lowercase hex digits, member a string")
    head = TreeHead(size, bytes.fromhex(root), stamp, member)
    if head.payload() != payload:
        raise TreeHeadError("payload is not in canonical form")
    return head
