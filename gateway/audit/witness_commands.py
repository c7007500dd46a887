"""``xgw witness ...``: what this gateway has seen of its peers' audit logs, the evidence
when one was rewritten, and clearing a peer again.

Usage::

    code = list_witnessed(Path("data/witness.sqlite"), as_json=False)
    code = show_evidence(Path("data/witness.sqlite"), number=1, out=Path("ee-evidence.json"))
    code = clear_peer(Path("data/witness.sqlite"), "EE/GOV/70000310")

``list`` and ``show`` open the store read-only and can run beside a gateway; ``clear``
writes to it, and a running gateway takes the change within ``[witness]
refresh_interval`` seconds. The evidence format is in docs/audit-log.md, "Witnessing".
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gateway.audit.tree_head import TreeHeadError, unverified_tree_head
from gateway.audit.witness_store import Evidence, SeenHead, SQLiteWitnessStore
from gateway.errors import AuditError, BadRequestError
from gateway.identifiers import ClientId

__all__ = [
    "EVIDENCE_TYPE",
    "clear_peer",
    "evidence_json",
    "list_witnessed",
    "listing_json",
    "show_evidence",
]

EVIDENCE_TYPE = "xgw-witness-evidence"


def list_witnessed(db: Path, *, as_json: bool) -> int:
    """Print every peer's latest head, state and kept heads, and every inconsistency."""
    listing = asyncio.run(listing_json(db))
    if as_json:
        print(json.dumps(listing, indent=2))
        return 0
    for peer in listing["peers"]:
        latest = peer["latest"]
        said = (
            "no baseline (none seen yet, or cleared)"
            if latest is None
            else f"{latest['tree_size']} records, root {latest['root_hash']}, signed"
            f" {latest['time']}"
        )
        print(f"{peer['peer']}: {peer['state']}, latest head {said}; {peer['kept']} heads kept")
        if peer["unchecked"] is not None:
            print(f"  unchecked since {peer['unchecked']['since']}: {peer['unchecked']['reason']}")
    for found in listing["inconsistencies"]:
        status = "open" if found["cleared_at"] is None else f"cleared {found['cleared_at']}"
        print(
            f"inconsistency #{found['number']}: {found['peer']} {found['kind']},"
            f" detected {found['detected_at']} ({found['action']}), {status}: {found['reason']}"
        )
    if not listing["peers"] and not listing["inconsistencies"]:
        print(f"{db}: no peer's tree head seen yet")
    return 0


async def listing_json(db: Path) -> dict[str, Any]:
    async with SQLiteWitnessStore(db, readonly=True) as store:
        latest = await store.latest()
        heads = await store.heads()
        unchecked = {u.peer: u for u in await store.unchecked()}
        found = await store.inconsistencies()
    open_peers = {e.peer for e in found if e.cleared_at is None}
    peers = sorted({*latest, *(h.peer for h in heads), *unchecked, *(e.peer for e in found)})
    return {
        "database": str(db),
        "peers": [
            {
                "peer": peer,
                "state": "inconsistent" if peer in open_peers else "consistent",
                "latest": _head_json(latest[peer]) if peer in latest else None,
                "kept": sum(1 for h in heads if h.peer == peer),
                "unchecked": (
                    None
                    if peer not in unchecked
                    else {
                        "since": _time(unchecked[peer].since),
                        "reason": unchecked[peer].reason,
                        "tree_head": unchecked[peer].jws,
                    }
                ),
            }
            for peer in peers
        ],
        "inconsistencies": [_summary(e) for e in found],
    }


def show_evidence(db: Path, *, number: int, out: Path | None) -> int:
    """Print (or write to ``out``) inconsistency ``number`` as a self-contained evidence file."""
    evidence = asyncio.run(_evidence(db, number))
    text = json.dumps(evidence_json(evidence), indent=2) + "\n"
    if out is None:
        print(text, end="")
    else:
        out.write_text(text, encoding="utf-8")
        print(f"evidence #{number} against {evidence.peer} written to {out}")
    return 0


async def _evidence(db: Path, number: int) -> Evidence:
    async with SQLiteWitnessStore(db, readonly=True) as store:
        evidence = await store.inconsistency(number)
    if evidence is None:
        raise AuditError(f"{db}: no inconsistency #{number} (xgw witness list shows them)")
    return evidence


def evidence_json(evidence: Evidence) -> dict[str, Any]:
    """The evidence as an outsider checks it: both signed heads, the proof as served, the
    certificates that verified the heads and the signed directory that listed them."""
    return {
        "type": EVIDENCE_TYPE,
        **_summary(evidence),
        "held_tree_head": evidence.held_jws,
        "new_tree_head": evidence.new_jws,
        "held": _said(evidence.held_jws),
        "new": _said(evidence.new_jws),
        "proof": None if evidence.proof is None else json.loads(evidence.proof),
        "certificates": list(evidence.certificates),
        "directory": evidence.directory,
    }


def clear_peer(db: Path, peer: str) -> int:
    """Close ``peer``'s open inconsistencies: its next head is the new baseline."""
    member = ClientId.parse(peer)
    if member.subsystem is not None:
        raise BadRequestError(f"{peer} is a subsystem; witnessing is per member: {member.member}")
    numbers = asyncio.run(_clear(db, str(member)))
    if not numbers:
        print(f"{member}: no open inconsistency to clear")
        return 1
    listed = ", ".join(f"#{n}" for n in numbers)
    print(
        f"{member}: cleared {listed}; its next tree head is trusted as a new baseline, and"
        " a running gateway exchanges with it again within [witness] refresh_interval"
    )
    return 0


async def _clear(db: Path, peer: str) -> list[int]:
    if not db.is_file():
        raise AuditError(f"witness store {db}: no such file")
    async with SQLiteWitnessStore(db) as store:
        return await store.clear(peer, at=time.time_ns() // 1_000_000)


def _summary(evidence: Evidence) -> dict[str, Any]:
    return {
        "number": evidence.number,
        "peer": evidence.peer,
        "kind": evidence.kind,
        "reason": evidence.reason,
        "detected_at": _time(evidence.detected_at),
        "action": evidence.action,
        "cleared_at": None if evidence.cleared_at is None else _time(evidence.cleared_at),
    }


def _head_json(head: SeenHead) -> dict[str, Any]:
    return {
        "tree_size": head.tree_size,
        "root_hash": head.root_hash.hex(),
        "timestamp": head.timestamp,
        "time": _time(head.timestamp),
        "seen_at": _time(head.seen_at),
        "kid": head.kid,
        "jws": head.jws,
    }


def _said(jws: str) -> dict[str, Any]:
    """What a head says (its signature is what the evidence's checker verifies)."""
    try:
        return unverified_tree_head(jws).to_json()
    except TreeHeadError as exc:
        return {"unreadable": str(exc)}


def _time(ms: int) -> str:
    moment = datetime.fromtimestamp(ms / 1000, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"
