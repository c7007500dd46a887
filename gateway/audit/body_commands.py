"""``xgw audit body``, ``purge-bodies`` and ``body-key``: message bodies for auditors and operators.

Usage::

    code = print_body(db, keyring, "6f1c…", kind="request", direction=None, seq=None,
                      out=Path("request.bin"), as_json=False)
    code = purge(db, BodyRules.from_settings(settings))
    code = new_key(Path("/etc/xgw/body-2027.key"))
    code = list_keys(db, keyring, as_json=False)

``print_body`` opens the database read-only (it can run beside a gateway), decrypts
the body with the keys given and checks it against its record's digest before it
writes a byte. ``purge`` deletes what the configuration no longer keeps, as the
gateway does every ``[audit] body_purge_interval``.
"""

from __future__ import annotations

import asyncio
import base64
import json
import sys
from pathlib import Path
from typing import Any

from gateway.audit.bodies import describe, open_body
from gateway.audit.body_keys import BodyKeyring, create_body_key, load_body_key
from gateway.audit.body_policy import BodyRules
from gateway.audit.body_purge import purge_bodies
from gateway.audit.record import AuditRecord
from gateway.errors import AuditError
from gateway.signing import body_digest
from gateway.storage.base import StoredEntry
from gateway.storage.factory import AuditSource, audit_store, source_name

__all__ = ["keyring_of", "list_keys", "new_key", "print_body", "purge"]

_EMPTY_DIGEST = body_digest(b"")


def keyring_of(paths: list[Path], default: Path | None, *, key_name: str) -> BodyKeyring | None:
    """The keys named (``paths``), else ``default`` if that file exists, else none."""
    if paths:
        return BodyKeyring.load(paths, key_name=key_name)
    if default is not None and default.exists():
        return BodyKeyring([load_body_key(default, key_name=key_name)])
    return None


def print_body(
    db: AuditSource,
    keyring: BodyKeyring | None,
    exchange_id: str,
    *,
    kind: str,
    direction: str | None,
    seq: int | None,
    out: Path | None,
    as_json: bool,
) -> int:
    """Write one record's body (decrypted, checked) to ``out`` or stdout; 1 if there is none."""
    entry, record, body = asyncio.run(_read(db, keyring, exchange_id, kind, direction, seq))
    said = (
        f"record {entry.seq} (exchange {record.exchange_id}, {record.kind}, {record.direction}):"
        f" {len(body)} bytes, digest {record.digest} checked"
    )
    if as_json:
        document = {
            "seq": entry.seq,
            "exchange_id": record.exchange_id,
            "kind": record.kind,
            "direction": record.direction,
            "digest": record.digest,
            "size": len(body),
            "body_base64": base64.b64encode(body).decode("ascii"),
        }
        _write(out, json.dumps(document).encode() + b"\n")
    else:
        _write(out, body)
    print(said if out is None else f"{said}, written to {out}", file=sys.stderr)
    return 0


def _write(out: Path | None, data: bytes) -> None:
    if out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        out.write_bytes(data)


async def _read(
    db: AuditSource,
    keyring: BodyKeyring | None,
    exchange_id: str,
    kind: str,
    direction: str | None,
    seq: int | None,
) -> tuple[StoredEntry, AuditRecord, bytes]:
    store = audit_store(db, readonly=True)
    await store.open()
    try:
        entry = _one_entry(
            await store.entries_for_exchange(exchange_id), exchange_id, kind, direction, seq
        )
        try:
            record = AuditRecord.from_canonical(entry.record_json)
        except ValueError as exc:
            raise AuditError(f"audit record {entry.seq} is damaged: {exc}") from exc
        stored = (await store.bodies([entry.seq])).get(entry.seq)
        if stored is None:
            raise AuditError(f"no body is stored for record {entry.seq}: {_why_none(record)}")
        if keyring is None:
            raise AuditError(
                f"the body of record {entry.seq} is sealed ({describe(stored)}): give its key"
                " with --key FILE, or --config"
            )
        return entry, record, open_body(keyring, entry.seq, record, stored)
    finally:
        await store.close()


def _one_entry(
    entries: list[StoredEntry],
    exchange_id: str,
    kind: str,
    direction: str | None,
    seq: int | None,
) -> StoredEntry:
    found = [
        e
        for e in entries
        if e.kind == kind
        and (direction is None or e.direction == direction)
        and (seq is None or e.seq == seq)
    ]
    if not found:
        raise AuditError(f"the log has no {kind} record of exchange {exchange_id} like that")
    if len(found) > 1:
        which = ", ".join(f"{e.seq} ({e.direction})" for e in found)
        raise AuditError(
            f"exchange {exchange_id} has {len(found)} {kind} records: {which};"
            " name one with --direction or --seq"
        )
    return found[0]


def _why_none(record: AuditRecord) -> str:
    if record.digest == _EMPTY_DIGEST:
        return "the message had an empty body"
    return (
        "its service is metadata-only, the body was purged at the end of its retention,"
        " or it was logged before bodies were kept"
    )


def purge(db: AuditSource, rules: BodyRules, *, as_json: bool) -> int:
    """Delete every body the configuration no longer keeps; print how many."""
    deleted = asyncio.run(_purge(db, rules))
    if as_json:
        print(json.dumps({"database": source_name(db), "purged": deleted}))
    else:
        print(f"{source_name(db)}: purged {deleted} message bodies")
    return 0


async def _purge(db: AuditSource, rules: BodyRules) -> int:
    if isinstance(db, Path) and not db.is_file():
        raise AuditError(f"audit store {db}: no such file")
    store = audit_store(db)
    await store.open()
    try:
        return await purge_bodies(store, rules)
    finally:
        await store.close()


def new_key(path: Path, *, as_json: bool) -> int:
    """Create a key file (32 random bytes, mode 0600); print its id, never the key."""
    key = create_body_key(path)
    if as_json:
        print(json.dumps({"file": str(path), "key_id": key.id}))
    else:
        print(f"{path}: new audit body key {key.id} (mode 0600); keep a copy somewhere safe")
    return 0


def list_keys(db: AuditSource, keyring: BodyKeyring | None, *, as_json: bool) -> int:
    """The keys given and how many stored bodies each sealed; 1 if some cannot be opened."""
    counts = asyncio.run(_key_counts(db))
    markers = counts.pop(None, 0)
    known = [] if keyring is None else list(keyring.keys)
    keys: list[dict[str, Any]] = [
        {
            "key_id": key.id,
            "file": str(key.path),
            "role": "seals and opens" if index == 0 else "opens",
            "bodies": counts.pop(key.id, 0),
        }
        for index, key in enumerate(known)
    ]
    unknown = {str(key_id): count for key_id, count in counts.items()}
    if as_json:
        print(json.dumps({"keys": keys, "unknown_keys": unknown, "markers": markers}))
    else:
        for key in keys:
            print(f"{key['key_id']}  {key['bodies']:>9} bodies  {key['role']:<15} {key['file']}")
        for key_id, count in unknown.items():
            print(f"{key_id}  {count:>9} bodies  NOT GIVEN: these cannot be opened")
        print(f"{markers} records kept as digest only (over the size limit, or not at hand)")
    return 1 if unknown else 0


async def _key_counts(db: AuditSource) -> dict[str | None, int]:
    store = audit_store(db, readonly=True)
    await store.open()
    try:
        return await store.body_key_counts()
    finally:
        await store.close()
