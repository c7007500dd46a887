"""Admin events as audit records: certificate and directory changes, reloads, logins.

Usage::

    actor = Actor("alice", role="security-officer", via="api")
    record = admin_record(actor, "directory.install", "directory/8", {"sequence": 8})
    await node.audit.append(record)

An admin event is an ordinary leaf of the Merkle log (``kind`` "admin", ``direction``
"local"), so proofs, tree heads, witnessing and evidence bundles cover it like any
exchange. Its fields are read as: ``client`` the actor (``via:subject``), ``method`` the
action, ``service`` what was acted on, ``path`` the API path or CLI command,
``notes`` the details as canonical JSON and ``digest`` their SHA-256, so an outsider
can recompute the digest from the record alone. Details never hold keys, tokens or
payloads.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from gateway._crypto import b64url
from gateway.audit.record import AuditRecord
from gateway.directory import Directory, format_timestamp

if TYPE_CHECKING:
    from gateway.audit.log import AuditLog

__all__ = [
    "SYSTEM",
    "Actor",
    "admin_record",
    "details_digest",
    "directory_adoption",
    "record_soon",
]

_logger = logging.getLogger("gateway.admin")


@dataclass(frozen=True)
class Actor:
    """Who did it: a token's subject and role (``via`` "api"), a CLI user, or the node."""

    subject: str
    role: str = "admin"
    via: str = "api"

    def __str__(self) -> str:
        return f"{self.via}:{self.subject}"


# What the node does by itself (a directory refresh, a staged key it adopts).
SYSTEM = Actor("xgw", role="system", via="node")


def details_digest(notes: str) -> str:
    return "sha-256:" + b64url(hashlib.sha256(notes.encode("utf-8")).digest())


def admin_record(
    actor: Actor,
    action: str,
    target: str,
    details: Mapping[str, Any] | None = None,
    *,
    path: str = "",
    status: int = 200,
    error_type: str | None = None,
    duration_ms: float | None = None,
) -> AuditRecord:
    """The audit record of one admin act; ``details`` must be JSON-able and secret-free."""
    body = {"role": actor.role, **(details or {})}
    notes = orjson.dumps(body, option=orjson.OPT_SORT_KEYS).decode("utf-8")
    return AuditRecord(
        exchange_id=str(uuid.uuid4()),
        kind="admin",
        direction="local",
        time=AuditRecord.now(),
        client=str(actor),
        service=target,
        method=action,
        path=path or actor.via,
        digest=details_digest(notes),
        status=status,
        error_type=error_type,
        duration_ms=duration_ms,
        notes=notes,
    )


def record_soon(audit: AuditLog, record: AuditRecord) -> None:
    """Append from synchronous code (a callback); a failure is logged, not raised."""

    def done(future: asyncio.Future[int]) -> None:
        if not future.cancelled() and future.exception() is not None:
            _logger.error("admin event %s not recorded: %s", record.method, future.exception())

    audit.submit(record).add_done_callback(done)


def directory_adoption(directory: Directory) -> AuditRecord:
    """The node adopted a new directory publication (from a refresh or a push)."""
    return admin_record(
        SYSTEM,
        "directory.adopted",
        f"directory/{directory.sequence}",
        {
            "sequence": directory.sequence,
            "issued": format_timestamp(directory.issued),
            "expires": format_timestamp(directory.expires),
            "sha256": hashlib.sha256(directory.token.encode("ascii")).hexdigest(),
        },
    )
