"""Evidence bundles: one exchange proven from one gateway's audit log, checked offline.

Usage::

    data = encode_bundle(document)                    # the file's exact bytes
    report = check_bundle(data, [operator_cert])      # BundleReport, or BundleError
    print(report.summary())

A bundle (``xgw-evidence/1``, docs/audit-log.md, "Evidence bundles") is one JSON file:
the exchange's records as their canonical bytes, each with its inclusion proof in one
signed tree head, that head, the certificates that signed the head and the hop
messages, and the federation directory, as the operator signed it, that listed those
certificates when the exchange took place. Checking needs the operator's certificate
and nothing else: no database, no network. The file must be exactly the canonical
serialisation of its content, and every value in it is covered by a signature, a hash
or an equality check, so a changed byte anywhere fails a check.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from cryptography import x509

from gateway._crypto import (
    b64url,
    b64url_decode,
    certificate_public_key,
    issued_by,
    jws_algorithm,
    kid,
    load_certificates,
)
from gateway.audit.hop_payload import check_payload, rebuild_payload
from gateway.audit.merkle import leaf_hash, verify_inclusion
from gateway.audit.record import AuditRecord
from gateway.audit.tree_head import TreeHead, TreeHeadError, verify_tree_head
from gateway.directory import Directory, format_timestamp, verify_directory
from gateway.errors import CertValidationError, DirectoryError, GatewayError
from gateway.identifiers import ClientId, ServiceId
from gateway.signing import unverified_header, verify

__all__ = [
    "CHECKS",
    "FORMAT",
    "MAX_BUNDLE_BYTES",
    "BundleError",
    "BundleReport",
    "MessageResult",
    "check_bundle",
    "encode_bundle",
    "record_time",
]

FORMAT = "xgw-evidence/1"
MAX_BUNDLE_BYTES = 64 * 1024 * 1024
# The checks, in the order they run; a failure names the first that fails.
CHECKS = (
    "file",
    "format",
    "records",
    "directory",
    "certificates",
    "tree head",
    "inclusion",
    "signatures",
)

_KEYS = frozenset({"certificates", "directory", "exchange_id", "format", "records", "tree_head"})
_ENTRY_KEYS = frozenset({"inclusion_path", "leaf_index", "record", "signed_payload"})
_HEX_HASH = re.compile("[0-9a-f]{64}")
_B64URL = re.compile("[A-Za-z0-9_-]*")

VERIFIED = "verified"
UNSIGNED = "unsigned"
NOT_VERIFIED = "certificate checked, signature value not verified"


class BundleError(ValueError):
    """A check that failed: ``check`` is one of CHECKS, ``reason`` says what is wrong."""

    def __init__(self, check: str, reason: str) -> None:
        super().__init__(f"{check}: {reason}")
        self.check = check
        self.reason = reason


def encode_bundle(document: dict[str, Any]) -> bytes:
    """The only accepted bytes of a bundle: sorted keys, two-space indent, one final LF.

    Python's ``json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\\n"``
    (UTF-8) gives the same bytes for every bundle (only strings, integers, null, lists
    and objects occur in one).
    """
    return orjson.dumps(
        document, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE
    )


def record_time(record: AuditRecord) -> datetime:
    """When the gateway saw the message (the record's ``time``), as an aware datetime."""
    return datetime.strptime(record.time, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


@dataclass(frozen=True)
class MessageResult:
    """One record of the bundle and what its hop signature showed."""

    leaf_index: int
    record: AuditRecord
    signer: str | None  # the member whose gateway signed the message
    kid: str | None
    signature: str  # VERIFIED, NOT_VERIFIED or UNSIGNED

    def to_json(self) -> dict[str, Any]:
        r = self.record
        return {
            "leaf_index": self.leaf_index,
            "kind": r.kind,
            "direction": r.direction,
            "time": r.time,
            "method": r.method,
            "path": r.path,
            "status": r.status,
            "digest": r.digest,
            "signer": self.signer,
            "kid": self.kid,
            "signature": self.signature,
        }


@dataclass(frozen=True)
class BundleReport:
    """What a bundle that checks out proves."""

    exchange_id: str
    member: str  # whose audit log the records are in
    tree_head: TreeHead
    tree_head_kid: str
    directory: Directory
    anchor: x509.Certificate
    messages: tuple[MessageResult, ...]

    def summary(self) -> str:
        head, directory = self.tree_head, self.directory
        first = self.messages[0].record
        lines = [
            f"exchange   {self.exchange_id}: {first.client or '?'} -> {first.service or '?'},"
            f" {first.method} {first.path or '/'}",
            f"log        {self.member}: tree head of {head.tree_size} records, root"
            f" {head.root_hash.hex()}, signed {head.time} (kid {self.tree_head_kid})",
            f"directory  {directory.instance} sequence {directory.sequence}, issued"
            f" {format_timestamp(directory.issued)}, expires"
            f" {format_timestamp(directory.expires)}, signed by the trust anchor"
            f" {self.anchor.subject.rfc4514_string()}",
        ]
        for message in self.messages:
            r = message.record
            status = f" status {r.status}" if r.status is not None else ""
            lines.append(
                f"record {message.leaf_index:<4} {r.kind} ({r.direction}) at {r.time}{status},"
                f" body {r.digest}: in the tree head"
            )
            if message.signature == UNSIGNED:
                lines.append("           no hop signature recorded")
            elif message.signature == VERIFIED:
                lines.append(
                    f"           signed by {message.signer} (kid {message.kid}): signature verified"
                )
            else:
                lines.append(
                    f"           signed by {message.signer} (kid {message.kid}): certificate"
                    " checked; the signature value is NOT verified: the record keeps no"
                    " signed_headers (it was written before records kept the header values"
                    " the signature covers)"
                )
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        directory = self.directory
        return {
            "ok": True,
            "exchange_id": self.exchange_id,
            "member": self.member,
            "tree_head": {**self.tree_head.to_json(), "kid": self.tree_head_kid},
            "directory": {
                "instance": directory.instance,
                "sequence": directory.sequence,
                "issued": format_timestamp(directory.issued),
                "expires": format_timestamp(directory.expires),
                "trust_anchor": self.anchor.subject.rfc4514_string(),
            },
            "records": [m.to_json() for m in self.messages],
        }


@dataclass(frozen=True)
class _Entry:
    leaf_index: int
    data: bytes  # the canonical record
    path: list[bytes]
    signed_payload: str | None
    record: AuditRecord
    time: datetime  # the record's time


# ---------------------------------------------------------------------------- checks


def check_bundle(data: bytes, trust_anchors: Sequence[x509.Certificate]) -> BundleReport:
    """Run every check over the bundle's bytes; BundleError naming the first that fails."""
    document = _parse(data)
    entries, exchange_id = _structure(document)
    _records(entries, exchange_id)
    directory, anchor = _directory(document["directory"], entries, trust_anchors)
    certificates = _certificates(document, entries, directory)
    head, head_kid = _tree_head(document["tree_head"], entries, directory, certificates)
    _inclusion(entries, head)
    messages = tuple(_signature(entry, directory, certificates) for entry in entries)
    return BundleReport(exchange_id, head.member, head, head_kid, directory, anchor, messages)


def _parse(data: bytes) -> dict[str, Any]:
    if len(data) > MAX_BUNDLE_BYTES:
        raise BundleError("file", f"larger than {MAX_BUNDLE_BYTES} bytes")
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise BundleError("file", f"not JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise BundleError("file", "not a JSON object")
    canonical = encode_bundle(document)
    if canonical != data:
        at = next(
            (i for i, (a, b) in enumerate(zip(canonical, data, strict=False)) if a != b),
            min(len(canonical), len(data)),
        )
        raise BundleError(
            "file",
            "not in canonical form (sorted keys, two-space indentation, one final newline):"
            f" first difference at byte {at}",
        )
    return document


def _structure(document: dict[str, Any]) -> tuple[list[_Entry], str]:
    if document.keys() != _KEYS:
        raise BundleError("format", f"the bundle must have exactly the keys {sorted(_KEYS)}")
    if document["format"] != FORMAT:
        raise BundleError("format", f"format {document['format']!r} is not {FORMAT!r}")
    for key in ("exchange_id", "tree_head", "directory"):
        if not isinstance(document[key], str):
            raise BundleError("format", f"{key} must be a string")
    certificates = document["certificates"]
    if not isinstance(certificates, dict) or not all(
        isinstance(v, str) for v in certificates.values()
    ):
        raise BundleError("format", "certificates must map kids to PEM strings")
    records = document["records"]
    if not isinstance(records, list) or not records:
        raise BundleError("format", "records must be a non-empty list")
    return [_entry(i, item) for i, item in enumerate(records)], document["exchange_id"]


def _entry(position: int, item: Any) -> _Entry:
    where = f"records[{position}]"
    if not isinstance(item, dict) or item.keys() != _ENTRY_KEYS:
        raise BundleError("format", f"{where} must have exactly the keys {sorted(_ENTRY_KEYS)}")
    index, text, path, payload = (
        item["leaf_index"],
        item["record"],
        item["inclusion_path"],
        item["signed_payload"],
    )
    if type(index) is not int or index < 0:
        raise BundleError("format", f"{where}.leaf_index must be a non-negative integer")
    if not isinstance(text, str):
        raise BundleError("format", f"{where}.record must be a string")
    if not isinstance(path, list) or not all(
        isinstance(h, str) and _HEX_HASH.fullmatch(h) for h in path
    ):
        raise BundleError("format", f"{where}.inclusion_path must list 64-digit lowercase hex")
    if payload is not None and not isinstance(payload, str):
        raise BundleError("format", f"{where}.signed_payload must be a string or null")
    data = text.encode("utf-8")  # JSON text never holds lone surrogates (orjson refuses them)
    try:
        record = AuditRecord.from_canonical(data)
    except ValueError as exc:
        raise BundleError("records", f"{where}.record is not an audit record: {exc}") from exc
    if record.canonical() != data:
        raise BundleError("records", f"{where}.record is not in canonical form")
    try:
        moment = record_time(record)
    except ValueError as exc:
        raise BundleError("records", f"{where}.record has no real time: {exc}") from exc
    return _Entry(index, data, [bytes.fromhex(h) for h in path], payload, record, moment)


def _records(entries: list[_Entry], exchange_id: str) -> None:
    previous = -1
    for entry in entries:
        record = entry.record
        if record.exchange_id != exchange_id:
            raise BundleError(
                "records",
                f"record {entry.leaf_index} is of exchange {record.exchange_id!r},"
                f" not {exchange_id!r}",
            )
        if entry.leaf_index <= previous:
            raise BundleError("records", "records must be in increasing leaf_index order")
        previous = entry.leaf_index
        if record.direction != entries[0].record.direction:
            raise BundleError("records", "the records mix directions: not one gateway's log")


def _canonical_jws(token: str, what: str, check: str) -> list[str]:
    """The segments of a compact JWS, each canonical base64url (no padding, no spare bits).

    A segment whose last character differs only in bits the decoder drops would decode
    to the same bytes: without this, such a byte change would go unnoticed.
    """
    parts = token.split(".")
    if len(parts) != 3:
        raise BundleError(check, f"{what} is not a compact JWS")
    for part in parts:
        try:
            canonical = _B64URL.fullmatch(part) and b64url(b64url_decode(part)) == part
        except (ValueError, binascii.Error):
            canonical = False
        if not canonical:
            raise BundleError(check, f"{what} is not canonical base64url")
    return parts


def _directory(
    token: str, entries: list[_Entry], anchors: Sequence[x509.Certificate]
) -> tuple[Directory, x509.Certificate]:
    _canonical_jws(token, "the directory", "directory")
    times = sorted(e.time for e in entries)
    try:
        directory = verify_directory(token, anchors, now=times[0])
    except DirectoryError as exc:
        raise BundleError("directory", f"at {_time(times[0])}: {exc.message}") from exc
    signed_by = _header(token, "the directory", "directory").get("kid")
    anchor = next(a for a in anchors if kid(a) == signed_by)
    last = times[-1]
    try:
        directory.check_fresh(last)
    except DirectoryError as exc:
        raise BundleError("directory", f"at {_time(last)}: {exc.message}") from exc
    if not anchor.not_valid_before_utc <= last < anchor.not_valid_after_utc:
        raise BundleError("directory", f"the trust anchor is not valid at {_time(last)}")
    return directory, anchor


def _time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _listed_signing_certificates(directory: Directory) -> dict[str, str]:
    """PEM string, exactly as the operator signed it -> the member that lists it."""
    return {
        pem: member["id"]
        for member in directory.raw["members"]
        for pem in member.get("signing_certificates", [])
    }


def _header(token: str, what: str, check: str) -> dict[str, Any]:
    """A JWS's protected header, unverified (only its first segment is decoded)."""
    try:
        header = orjson.loads(b64url_decode(token.partition(".")[0]))
    except (ValueError, binascii.Error) as exc:  # JSONDecodeError is a ValueError
        raise BundleError(check, f"{what} is not a JWS: {exc}") from exc
    if not isinstance(header, dict):
        raise BundleError(check, f"{what} is not a JWS: its header is no JSON object")
    return header


def _kid_of(token: str, what: str, check: str) -> str:
    value = _header(token, what, check).get("kid")
    if not isinstance(value, str):
        raise BundleError(check, f"{what} names no kid")
    return value


def _certificates(
    document: dict[str, Any], entries: list[_Entry], directory: Directory
) -> dict[str, x509.Certificate]:
    """The bundle's certificates: exactly those signatures name, each listed and chained."""
    needed = {_kid_of(document["tree_head"], "the tree head", "tree head"): "the tree head"}
    for entry in entries:
        signature = entry.record.signature
        if signature is not None:
            what = f"the {entry.record.kind} of record {entry.leaf_index}"
            needed.setdefault(_kid_of(signature, f"the signature of {what}", "signatures"), what)
    given: dict[str, str] = document["certificates"]
    for key, what in needed.items():
        if key not in given:
            raise BundleError("certificates", f"no certificate with kid {key} ({what})")
    listed = _listed_signing_certificates(directory)
    certificates = {}
    for key, pem in given.items():
        if key not in needed:
            raise BundleError("certificates", f"certificate {key} signed nothing in the bundle")
        try:
            (cert,) = load_certificates(pem)
        except (CertValidationError, ValueError) as exc:
            raise BundleError("certificates", f"certificate {key} does not parse: {exc}") from exc
        if kid(cert) != key:
            raise BundleError("certificates", f"certificate {key} has the kid {kid(cert)}")
        if pem not in listed:
            raise BundleError(
                "certificates",
                f"certificate {key} ({cert.subject.rfc4514_string()}, {needed[key]}) is not a"
                f" signing certificate listed in directory sequence {directory.sequence}",
            )
        if not any(issued_by(cert, ca) for ca in directory.ca_certificates):
            raise BundleError(
                "certificates",
                f"certificate {key} is not issued by a CA of directory sequence"
                f" {directory.sequence}",
            )
        certificates[key] = cert
    return certificates


def _check_certificate(
    directory: Directory, cert: x509.Certificate, moment: datetime, check: str, what: str
) -> None:
    """Not revoked in the directory, and within its validity (and its CA's) at ``moment``."""
    try:
        directory.check_certificate(cert, moment)
    except CertValidationError as exc:
        raise BundleError(check, f"{what}, at {_time(moment)}: {exc.message}") from exc
    for ca in directory.ca_certificates:
        if issued_by(cert, ca) and ca.not_valid_before_utc <= moment < ca.not_valid_after_utc:
            return
    raise BundleError(check, f"{what}: its CA is not valid at {_time(moment)}")


def _log_member(record: AuditRecord) -> str | None:
    """Whose log holds the record: the client's gateway (outbound) or the provider's."""
    try:
        if record.direction == "outbound":
            return str(ClientId.parse(record.client).member)
        return str(ServiceId.parse(record.service).provider.member)
    except GatewayError:
        return None  # a request refused before it named its client or service


def _tree_head(
    token: str,
    entries: list[_Entry],
    directory: Directory,
    certificates: dict[str, x509.Certificate],
) -> tuple[TreeHead, str]:
    _canonical_jws(token, "the tree head", "tree head")
    head_kid = _kid_of(token, "the tree head", "tree head")
    cert = certificates[head_kid]
    try:
        head = verify_tree_head(token, {head_kid: cert})
    except TreeHeadError as exc:
        raise BundleError("tree head", str(exc)) from exc
    found = directory.signing_key(head_kid)
    if found is None or str(found[0].id) != head.member:
        raise BundleError(
            "tree head",
            f"signed for {head.member} with a signing certificate the directory lists for"
            f" {found[0].id if found else 'nobody'}",
        )
    moment = datetime.fromtimestamp(head.timestamp / 1000, UTC)
    _check_certificate(directory, cert, moment, "tree head", "its signing certificate")
    for entry in entries:
        member = _log_member(entry.record)
        if member is not None and member != head.member:
            raise BundleError(
                "tree head",
                f"signed for the log of {head.member}, but record {entry.leaf_index}"
                f" ({entry.record.direction}) is from the log of {member}",
            )
        if entry.leaf_index >= head.tree_size:
            raise BundleError(
                "tree head",
                f"covers {head.tree_size} records, not record {entry.leaf_index}",
            )
    return head, head_kid


def _inclusion(entries: list[_Entry], head: TreeHead) -> None:
    for entry in entries:
        leaf = leaf_hash(entry.data)
        if not verify_inclusion(leaf, entry.leaf_index, head.tree_size, entry.path, head.root_hash):
            raise BundleError(
                "inclusion",
                f"record {entry.leaf_index} ({entry.record.kind}) with this proof does not"
                f" give the root signed for {head.tree_size} records: the record or its proof"
                " is not the one the gateway logged",
            )


def _expected_signer(record: AuditRecord) -> str:
    """The member whose gateway signs this message: the caller's (requests), the provider's."""
    try:
        if record.kind == "request":
            return str(ClientId.parse(record.client).member)
        return str(ServiceId.parse(record.service).provider.member)
    except GatewayError as exc:
        raise BundleError(
            "signatures", f"a signed record names no {record.kind}er: {exc.message}"
        ) from exc


def _signature(
    entry: _Entry, directory: Directory, certificates: dict[str, x509.Certificate]
) -> MessageResult:
    record = entry.record
    what = f"the {record.kind} (record {entry.leaf_index})"
    if record.signature is None:
        if entry.signed_payload is not None or record.signed_headers is not None:
            raise BundleError(
                "signatures", f"{what} has a signed_payload or signed_headers but no signature"
            )
        return MessageResult(entry.leaf_index, record, None, None, UNSIGNED)
    token = record.signature
    _, payload_part, _ = _canonical_jws(token, f"the signature of {what}", "signatures")
    if payload_part:
        raise BundleError("signatures", f"the signature of {what} is not detached")
    try:
        header = unverified_header(token)
    except GatewayError as exc:
        raise BundleError("signatures", f"{what}: {exc.message}") from exc
    signer = _expected_signer(record)
    member, _ = directory.signing_key(header["kid"]) or (None, None)
    if member is None or str(member.id) != signer:
        raise BundleError(
            "signatures",
            f"{what} is signed with a certificate of {member.id if member else 'nobody'},"
            f" not of {signer}",
        )
    cert = certificates[header["kid"]]
    try:
        algorithm = jws_algorithm(certificate_public_key(cert))
    except CertValidationError as exc:
        raise BundleError("signatures", f"{what}: {exc.message}") from exc
    if header["alg"] != algorithm:
        raise BundleError("signatures", f"{what}: alg {header['alg']} does not fit the key")
    _check_certificate(directory, cert, entry.time, "signatures", f"{what}'s signer")
    if record.kind == "request" and header["nonce"] != record.nonce:
        raise BundleError("signatures", f"{what}: the signature's nonce is not the record's")
    payload = _payload(entry, what)
    if payload is None:
        return MessageResult(entry.leaf_index, record, signer, header["kid"], NOT_VERIFIED)
    try:
        check_payload(record, payload)
        verify(token, payload, cert)
    except ValueError as exc:
        raise BundleError("signatures", f"{what}: {exc}") from exc
    except GatewayError as exc:
        raise BundleError("signatures", f"{what}: {exc.message}") from exc
    return MessageResult(entry.leaf_index, record, signer, header["kid"], VERIFIED)


def _payload(entry: _Entry, what: str) -> bytes | None:
    """The signed payload: rebuilt from a record with ``signed_headers``, else as given.

    A record written before ``signed_headers`` existed may come with its payload in
    ``signed_payload`` (checked against the record by ``check_payload``), or without.
    """
    given = entry.signed_payload.encode("utf-8") if entry.signed_payload is not None else None
    if entry.record.signed_headers is None:
        return given
    rebuilt = rebuild_payload(entry.record)
    if rebuilt is None:
        raise BundleError("signatures", f"{what}: its signed_headers rebuild no payload")
    if given is not None and given != rebuilt:
        raise BundleError(
            "signatures", f"{what}: signed_payload is not the payload its record rebuilds"
        )
    return rebuilt
