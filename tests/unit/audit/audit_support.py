"""Shared by the audit tests: records, a signing certificate, and direct edits of a log file.

The edits use the standard library's sqlite3, as an intruder with file access would.
"""

from __future__ import annotations

import hashlib
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

from gateway.audit import AuditRecord, TreeHeadSigner
from gateway.audit.merkle import Frontier, leaf_hash
from gateway.audit.verify import GENESIS, chain_hash
from gateway.pki import CertificateAuthority, Issued, Usage

MEMBER = "DE/GOV/05974028"


def make_record(i: int, **overrides: Any) -> AuditRecord:
    values: dict[str, Any] = {
        "exchange_id": f"00000000-0000-4000-8000-{i:012d}",
        "kind": "request" if i % 2 == 0 else "response",
        "direction": "inbound",
        "time": f"2026-11-28T02:{i // 60 % 60:02d}:{i % 60:02d}.000000Z",
        "client": "DE/GOV/05974028/gewerbeamt",
        "service": "EE/GOV/70000310/ariregister/detailandmed_v2",
        "method": "POST",
        "path": f"/companies/{i}",
        "digest": "sha-256:47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU",
        "nonce": f"nonce-{i}" if i % 2 == 0 else None,
        "status": None if i % 2 == 0 else 200,
    }
    values.update(overrides)
    return AuditRecord(**values)


def signing(ca: CertificateAuthority, member: str = MEMBER) -> Issued:
    return ca.issue(member, usage=Usage.SIGNING)


def signer_of(issued: Issued, member: str = MEMBER) -> TreeHeadSigner:
    return TreeHeadSigner(issued.key, issued.cert, member)


def connect(path: Path) -> closing[sqlite3.Connection]:
    return closing(sqlite3.connect(path, isolation_level=None))


def records_of(path: Path) -> list[bytes]:
    with connect(path) as db:
        return [bytes(r) for (r,) in db.execute("SELECT record FROM audit_entries ORDER BY seq")]


def rewrite_from(path: Path, records: list[bytes], start: int) -> None:
    """Replace every entry from ``start`` on with ``records[start:]``, all hashes recomputed:
    what an intruder who knows the format does to hide a change."""
    head, frontier = GENESIS, Frontier()
    rows = []
    for seq, data in enumerate(records):
        head = chain_hash(head, data)
        leaf = leaf_hash(data)
        subtrees = b"".join(frontier.append(leaf))
        if seq >= start:
            rows.append((seq, data, head.hex(), leaf, subtrees))
    with connect(path) as db:
        db.execute("BEGIN")
        db.execute("DELETE FROM audit_entries WHERE seq >= ?", (start,))
        for seq, data, chained, leaf, subtrees in rows:
            record = AuditRecord.from_canonical(data)
            db.execute(
                "INSERT INTO audit_entries (seq, record, chain_hash, exchange_id, time, direction,"
                " kind, nonce, leaf_hash, subtrees) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    seq,
                    data,
                    chained,
                    record.exchange_id,
                    record.time,
                    record.direction,
                    record.kind,
                    record.nonce,
                    leaf,
                    subtrees,
                ),
            )
        db.execute("COMMIT")


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()
