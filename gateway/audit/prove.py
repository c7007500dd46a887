"""Build an evidence bundle of one exchange from a gateway's audit log and kept directories.

Usage::

    candidates = directory_candidates(data_dir / "directories", data_dir / "directory.jws")
    proven = await prove_exchange(
        data_dir / "audit.sqlite", "4a575b58-...", candidates, [operator_cert], signer=signer
    )
    path.write_bytes(proven.data)       # checks out: prove_exchange ran check_bundle on it

The bundle (gateway.audit.bundle, docs/audit-log.md "Evidence bundles") takes the
exchange's records, the latest signed tree head (signing one first when none covers
the records yet and a signer is given), each record's inclusion proof in it, the
certificates the signatures name, and the highest-sequence kept directory, valid when
the exchange took place, that lists them all. Nothing is written unless the result
checks out against the trust anchors: a log changed after its head was signed, or
records whose signers no kept directory lists, are refused with the reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography import x509

from gateway._crypto import kid, load_certificates
from gateway.audit.bundle import (
    FORMAT,
    BundleError,
    BundleReport,
    check_bundle,
    encode_bundle,
    record_time,
)
from gateway.audit.hop_payload import rebuild_payload
from gateway.audit.log import sign_stored_tree_head
from gateway.audit.record import AuditRecord
from gateway.audit.tree import StoredTree, build_missing_tree
from gateway.audit.tree_head import TreeHeadSigner
from gateway.directory import Directory, verify_directory
from gateway.directory_manager import load_directory_history, load_directory_token
from gateway.errors import AuditError, DirectoryError, InvalidSignatureError
from gateway.signing import verify
from gateway.storage.base import StoredEntry, StoredTreeHead
from gateway.storage.factory import AuditSource, audit_store

__all__ = ["Proven", "directory_candidates", "prove_exchange"]


@dataclass(frozen=True)
class Proven:
    data: bytes  # the bundle file's exact bytes
    report: BundleReport
    notes: tuple[str, ...]  # what prove did on the way (a tree head it signed)


def directory_candidates(
    history: Path, cache: Path | None = None, extra: Sequence[Path] = ()
) -> list[tuple[str, str]]:
    """``(where, token)`` of every directory that may serve: kept history, cache, given files.

    Unreadable files in the history are skipped (the manager logs them); a given file
    that cannot be read is an error (DirectoryError), since it was asked for.
    """
    found = [(str(path), token) for path, token in load_directory_history(history)]
    if cache is not None and cache.exists():
        try:
            found.append((str(cache), load_directory_token(str(cache))))
        except DirectoryError:
            pass  # the history holds what the cache held, if it was readable
    found += [(str(path), load_directory_token(str(path))) for path in extra]
    return found


async def prove_exchange(
    db: AuditSource,
    exchange_id: str,
    directories: Sequence[tuple[str, str]],
    trust_anchors: Sequence[x509.Certificate],
    *,
    signer: TreeHeadSigner | None = None,
) -> Proven:
    """The checked bundle of ``exchange_id``; AuditError saying why there can be none."""
    store = audit_store(db, readonly=True)
    await store.open()
    try:
        if store.schema_version < 2:
            raise AuditError(f"{store} has no Merkle tree yet: start the gateway once to build it")
        entries = await store.entries_for_exchange(exchange_id)
        if not entries:
            raise AuditError(f"no records of exchange {exchange_id!r} in {store}")
        last = entries[-1].seq
        notes: list[str] = []
        head = await store.latest_tree_head()
        if head is None or head.tree_size <= last:
            head = await _new_head(db, signer, last, head)
            notes.append(f"signed tree head #{head.number} of {head.tree_size} records")
        tree = StoredTree(store)
        paths = [await tree.inclusion_proof(e.seq, head.tree_size) for e in entries]
    finally:
        await store.close()
    records = [_record(e) for e in entries]
    directory = _choose_directory(directories, trust_anchors, records, _kids(head, records))
    document = _document(exchange_id, entries, records, paths, head, directory)
    data = encode_bundle(document)
    try:
        report = check_bundle(data, trust_anchors)
    except BundleError as exc:
        raise AuditError(_refusal(exc, head)) from exc
    return Proven(data, report, tuple(notes))


def _record(entry: StoredEntry) -> AuditRecord:
    try:
        record = AuditRecord.from_canonical(entry.record_json)
        record_time(record)  # a time the format allows but the calendar does not
    except ValueError as exc:
        raise AuditError(
            f"audit record {entry.seq} is not a valid record ({exc}): run xgw audit verify"
        ) from exc
    return record


async def _new_head(
    db: AuditSource, signer: TreeHeadSigner | None, last: int, head: StoredTreeHead | None
) -> StoredTreeHead:
    """Sign a head of the log as it is now: the exchange's records are not covered yet."""
    covered = (
        "no tree head is signed yet"
        if head is None
        else (f"the latest tree head covers {head.tree_size} records")
    )
    if signer is None:
        raise AuditError(
            f"record {last} is not covered by a signed tree head ({covered}): run prove"
            " with --config (it signs one), or xgw audit tree-head --sign --config FILE, or"
            " wait for the gateway's next head ([audit] tree_head_interval)"
        )
    store = audit_store(db)
    await store.open()
    try:
        await build_missing_tree(store)
        await sign_stored_tree_head(store, signer)  # under the lock of a shared log
        signed = await store.latest_tree_head()
    finally:
        await store.close()
    assert signed is not None and signed.tree_size > last
    return signed


def _kids(head: StoredTreeHead, records: list[AuditRecord]) -> set[str]:
    kids = {head.kid}
    for record in records:
        if record.signature is not None:
            try:
                kids.add(jwt.get_unverified_header(record.signature)["kid"])
            except (jwt.PyJWTError, KeyError) as exc:
                raise AuditError(
                    f"the {record.kind} record's signature is malformed: {exc}"
                ) from exc
    return kids


def _choose_directory(
    candidates: Sequence[tuple[str, str]],
    anchors: Sequence[x509.Certificate],
    records: list[AuditRecord],
    kids: set[str],
) -> Directory:
    """The highest sequence valid at every record's time that lists every needed kid."""
    times = [record_time(r) for r in records]
    usable: dict[int, Directory] = {}
    reasons: list[str] = []
    for where, token in candidates:
        try:
            directory = verify_directory(token, anchors, now=min(times))
            directory.check_fresh(max(times))
        except DirectoryError as exc:
            reasons.append(f"{where}: {exc.message}")
            continue
        missing = sorted(k for k in kids if directory.signing_key(k) is None)
        if missing:
            reasons.append(f"{where} (sequence {directory.sequence}) does not list {missing}")
            continue
        usable.setdefault(directory.sequence, directory)
    if not usable:
        tried = "; ".join(reasons) or "none kept"
        raise AuditError(
            "no kept directory was valid at the exchange's time and lists the certificates"
            f" of its signatures (kids {sorted(kids)}); tried: {tried}. Give the one in force"
            " then with --directory FILE"
        )
    return usable[max(usable)]


def _signed_payload(record: AuditRecord, directory: Directory) -> str | None:
    """The record's hop payload if the record alone rebuilds it and the signature agrees.

    A record with ``signed_headers`` always rebuilds its payload; the check that runs
    on the bundle before it is written verifies the signature over it.
    """
    payload = rebuild_payload(record)
    if payload is None or record.signature is None:
        return None
    if record.signed_headers is not None:
        return payload.decode("utf-8")
    found = directory.signing_key(jwt.get_unverified_header(record.signature)["kid"])
    if found is None:
        return None
    try:
        verify(record.signature, payload, found[1])
    except InvalidSignatureError:
        return None  # the request carried header values the record does not keep
    return payload.decode("utf-8")


def _document(
    exchange_id: str,
    entries: list[StoredEntry],
    records: list[AuditRecord],
    paths: list[list[bytes]],
    head: StoredTreeHead,
    directory: Directory,
) -> dict[str, Any]:
    # The PEM strings exactly as the operator signed them: the checker compares them so.
    pems = {
        kid(load_certificates(pem)[0]): pem
        for member in directory.raw["members"]
        for pem in member.get("signing_certificates", [])
    }
    kids = _kids(head, records)
    return {
        "format": FORMAT,
        "exchange_id": exchange_id,
        "records": [
            {
                "leaf_index": entry.seq,
                "record": entry.record_json.decode("utf-8"),
                "inclusion_path": [h.hex() for h in path],
                "signed_payload": _signed_payload(record, directory),
            }
            for entry, record, path in zip(entries, records, paths, strict=True)
        ],
        "tree_head": head.jws,
        "certificates": {k: pems[k] for k in sorted(kids)},
        "directory": directory.token,
    }


def _refusal(exc: BundleError, head: StoredTreeHead) -> str:
    if exc.check == "inclusion":
        return (
            f"the log does not prove this exchange: {exc.reason}. The log was changed after"
            f" tree head #{head.number} was signed, or its tree is damaged: run xgw audit"
            " verify"
        )
    return f"the bundle would not check out ({exc}); nothing written"
