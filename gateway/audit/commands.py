"""``xgw audit ...``: verify the log, print and sign tree heads, print proofs.

Usage::

    code = verify(Path("data/audit.sqlite"), certificates=[cert], member=None, as_json=False)
    code = print_tree_head(Path("data/audit.sqlite"), signer=None)      # or a TreeHeadSigner
    code = print_inclusion(Path("data/audit.sqlite"), index=17, size=None)
    code = print_consistency(Path("data/audit.sqlite"), 10, 20)

Proofs and tree heads are printed as JSON an outside verifier can check with the
algorithms of RFC 9162 (docs/audit-log.md, "Proofs"): hashes in lowercase hex,
the record as its canonical JSON text, the signed tree head as its compact JWS.
Everything but signing opens the database read-only and can run beside a gateway.
``db`` is an SQLite file or a PostgreSQL DSN (``gateway.storage.factory.AuditSource``).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import Any

from cryptography import x509

from gateway.audit.log import sign_stored_tree_head
from gateway.audit.merkle import leaf_hash
from gateway.audit.tree import StoredTree, build_missing_tree
from gateway.audit.tree_head import (
    TreeHeadError,
    TreeHeadSigner,
    unverified_tree_head,
)
from gateway.audit.verify import VerifyResult, verify_store
from gateway.errors import AuditError
from gateway.storage.base import AuditStore, StoredTreeHead
from gateway.storage.factory import AuditSource, audit_store, source_name

__all__ = [
    "consistency_json",
    "inclusion_json",
    "print_consistency",
    "print_inclusion",
    "print_tree_head",
    "tree_head_json",
    "verify",
]


def verify(
    db: AuditSource,
    *,
    certificates: Sequence[x509.Certificate] | None,
    member: str | None,
    as_json: bool,
) -> int:
    """Check the whole log; 0 when it is intact, 1 naming the first bad record."""
    store = audit_store(db, readonly=True)
    result = asyncio.run(verify_store(store, certificates=certificates, member=member))
    if as_json:
        print(json.dumps(_result_json(db, result)))
    else:
        print(_result_text(db, result))
        for note in result.notes:
            print(f"  note: {note}")
    return 0 if result.ok else 1


def _result_json(db: AuditSource, result: VerifyResult) -> dict[str, Any]:
    return {
        "database": source_name(db),
        "ok": result.ok,
        "records": result.count,
        "head": result.head,
        "root": result.root,
        "tree_heads": result.tree_heads,
        "first_bad": result.first_bad,
        "bad_tree_head": result.bad_tree_head,
        "reason": result.reason,
        "notes": list(result.notes),
    }


def _result_text(db: AuditSource, result: VerifyResult) -> str:
    where = source_name(db)
    if result.ok:
        return (
            f"{where}: OK, {result.count} records, chain intact, head {result.head},"
            f" tree root {result.root}, {result.tree_heads} signed tree heads match"
        )
    if result.first_bad is None:
        return f"{where}: FAILED: {result.reason}"
    return f"{where}: FAILED at record {result.first_bad}: {result.reason}"


def print_tree_head(db: AuditSource, *, signer: TreeHeadSigner | None) -> int:
    """Print the current tree and the latest signed head; sign a new one first if asked."""
    print(json.dumps(asyncio.run(tree_head_json(db, signer)), indent=2))
    return 0


async def tree_head_json(db: AuditSource, signer: TreeHeadSigner | None) -> dict[str, Any]:
    store = audit_store(db, readonly=signer is None)
    await store.open()
    try:
        if signer is not None:
            await build_missing_tree(store)
            await sign_stored_tree_head(store, signer)  # under the lock of a shared log
        tree = _tree(store)
        size = await tree.size()
        root = await tree.root(size)
        latest = await store.latest_tree_head()
        return {
            "database": source_name(db),
            "current": {"tree_size": size, "root_hash": root.hex()},
            "signed": None if latest is None else _head_json(latest),
        }
    finally:
        await store.close()


def print_inclusion(db: AuditSource, *, index: int, size: int | None) -> int:
    """Print the inclusion proof of record ``index`` (in the latest signed head by default)."""
    print(json.dumps(asyncio.run(inclusion_json(db, index, size)), indent=2))
    return 0


async def inclusion_json(db: AuditSource, index: int, size: int | None) -> dict[str, Any]:
    store = audit_store(db, readonly=True)
    await store.open()
    try:
        tree = _tree(store)
        head: StoredTreeHead | None
        if size is None:
            head = await store.latest_tree_head()
            if head is None or head.tree_size <= index:
                head, size = None, await tree.size()  # not signed yet: the log as it is
            else:
                size = head.tree_size
        else:
            head = await store.tree_head_of_size(size)
        path = await tree.inclusion_proof(index, size)
        root = await _root(tree, size, head)
        entry = await store.entry(index)
        if entry is None:  # pragma: no cover - the proof above found its subtrees
            raise AuditError(f"audit record {index} is missing")
        leaf = leaf_hash(entry.record_json)
        if entry.leaf_hash != leaf:
            raise AuditError(
                f"audit record {index} does not match its leaf hash; run xgw audit verify"
            )
        return {
            "type": "inclusion",
            "leaf_index": index,
            "tree_size": size,
            "record": entry.record_json.decode("utf-8"),
            "leaf_hash": leaf.hex(),
            "path": [h.hex() for h in path],
            "root_hash": root.hex(),
            "tree_head": None if head is None else head.jws,
        }
    finally:
        await store.close()


def print_consistency(db: AuditSource, first: int, second: int) -> int:
    """Print the proof that the tree of ``second`` records extends that of ``first``."""
    print(json.dumps(asyncio.run(consistency_json(db, first, second)), indent=2))
    return 0


async def consistency_json(db: AuditSource, first: int, second: int) -> dict[str, Any]:
    store = audit_store(db, readonly=True)
    await store.open()
    try:
        tree = _tree(store)
        proof = await tree.consistency_proof(first, second)
        heads = [await store.tree_head_of_size(first), await store.tree_head_of_size(second)]
        roots = [await _root(tree, n, h) for n, h in zip((first, second), heads, strict=True)]
        return {
            "type": "consistency",
            "first_size": first,
            "second_size": second,
            "first_root": roots[0].hex(),
            "second_root": roots[1].hex(),
            "path": [h.hex() for h in proof],
            "first_tree_head": None if heads[0] is None else heads[0].jws,
            "second_tree_head": None if heads[1] is None else heads[1].jws,
        }
    finally:
        await store.close()


def _tree(store: AuditStore) -> StoredTree:
    if store.schema_version < 2:
        raise AuditError(
            f"{store} has no Merkle tree yet (schema version {store.schema_version}):"
            " start the gateway once, or run xgw audit tree-head --sign, to build it"
        )
    return StoredTree(store)


async def _root(tree: StoredTree, size: int, head: StoredTreeHead | None) -> bytes:
    """The stored tree's root, which must be the one signed for that size, if any."""
    root = await tree.root(size)
    if head is not None and head.root_hash != root:
        raise AuditError(
            f"the stored tree of {size} records does not have the root signed in tree head"
            f" #{head.number}: run xgw audit verify"
        )
    return root


def _head_json(stored: StoredTreeHead) -> dict[str, Any]:
    """A stored head as it is kept; ``xgw audit verify`` is what checks its signature."""
    try:
        said: dict[str, Any] = unverified_tree_head(stored.jws).to_json()
    except TreeHeadError as exc:
        said = {"unreadable": str(exc)}
    return {
        "number": stored.number,
        "tree_size": stored.tree_size,
        "root_hash": stored.root_hash.hex(),
        "timestamp": stored.timestamp,
        "time": said.get("time"),
        "member": said.get("member"),
        "kid": stored.kid,
        "jws": stored.jws,
    }
