"""Admin API: the audit log for auditors — tree heads, proofs, records, evidence bundles.

Usage::

    GET  /admin/v1/audit/tree-head                          current tree, latest signed head
    POST /admin/v1/audit/tree-head                          sign a tree head now
    GET  /admin/v1/audit/proofs/inclusion?index=I[&size=N]  as ``xgw audit proof --inclusion``
    GET  /admin/v1/audit/proofs/consistency?first=M&second=N
    GET  /admin/v1/audit/exchanges/{exchange_id}            the exchange's records
    GET  /admin/v1/audit/exchanges/{exchange_id}/evidence   its evidence bundle (docs/audit-log.md)

The answers are the CLI's JSON (gateway/audit/commands.py), read from the log through
a read-only connection while the gateway keeps writing.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

import orjson
from aiohttp import web

from gateway._crypto import load_certificate
from gateway.admin.routes import AUDITORS, Reply, Route, query_int
from gateway.admin.tokens import TokenActor
from gateway.audit.commands import consistency_json, inclusion_json, tree_head_json
from gateway.audit.prove import directory_candidates, prove_exchange
from gateway.directory_manager import HISTORY_DIR
from gateway.errors import AuditError, NotFoundError
from gateway.node import DIRECTORY_CACHE, Node
from gateway.storage.base import StoredEntry, StoredTreeHead
from gateway.storage.factory import AuditSource, audit_source, kept_directories, open_audit_store

__all__ = ["BUNDLE_MEDIA_TYPE", "routes"]

BUNDLE_MEDIA_TYPE = "application/json"


def routes(node: Node) -> list[Route]:
    data_dir = node.settings.data_dir
    db = audit_source(node.settings)  # the data directory's file, or the shared database

    async def tree_head(request: web.Request, actor: TokenActor) -> Reply:
        state = await tree_head_json(db, None)
        state.pop("database", None)  # a server path is nobody's business over the API
        return Reply(state)

    async def sign_tree_head(request: web.Request, actor: TokenActor) -> Reply:
        signed = await node.tree_heads.sign_now()
        head = signed.head
        return Reply(
            {"tree_size": head.tree_size, "root_hash": head.root_hash.hex(), "jws": signed.jws},
            target=f"tree-head/{head.tree_size}",
            details={"tree_size": head.tree_size, "root_hash": head.root_hash.hex()},
        )

    async def inclusion(request: web.Request, actor: TokenActor) -> Reply:
        index = query_int(request, "index")
        size = query_int(request, "size", required=False)
        assert index is not None
        return Reply(await _proof(inclusion_json(db, index, size)))

    async def consistency(request: web.Request, actor: TokenActor) -> Reply:
        first, second = query_int(request, "first"), query_int(request, "second")
        assert first is not None and second is not None
        return Reply(await _proof(consistency_json(db, first, second)))

    async def records(request: web.Request, actor: TokenActor) -> Reply:
        exchange_id = request.match_info["exchange_id"]
        entries, _ = await _entries(db, exchange_id)
        return Reply(
            {
                "exchange_id": exchange_id,
                "records": [
                    {"index": e.seq, "record": orjson.loads(e.record_json)} for e in entries
                ],
            }
        )

    async def evidence(request: web.Request, actor: TokenActor) -> Reply:
        exchange_id = request.match_info["exchange_id"]
        entries, latest = await _entries(db, exchange_id)
        if latest is None or latest.tree_size <= entries[-1].seq:
            await node.tree_heads.sign_now()  # the bundle needs a head that covers them
        candidates = directory_candidates(data_dir / HISTORY_DIR, data_dir / DIRECTORY_CACHE)
        candidates += await kept_directories(node.settings)  # the nodes' shared ones
        anchor = load_certificate(
            node.settings.directory.trust_anchor, key_name="directory.trust_anchor"
        )
        proven = await prove_exchange(db, exchange_id, candidates, [anchor])
        return Reply(proven.data, content_type=BUNDLE_MEDIA_TYPE)

    return [
        Route("GET", "/audit/tree-head", tree_head, AUDITORS),
        Route("POST", "/audit/tree-head", sign_tree_head, AUDITORS, act="audit.sign-tree-head"),
        Route("GET", "/audit/proofs/inclusion", inclusion, AUDITORS),
        Route("GET", "/audit/proofs/consistency", consistency, AUDITORS),
        Route("GET", "/audit/exchanges/{exchange_id}", records, AUDITORS),
        Route("GET", "/audit/exchanges/{exchange_id}/evidence", evidence, AUDITORS),
    ]


async def _proof(computing: Awaitable[dict[str, Any]]) -> dict[str, Any]:
    """A proof's JSON; a record or size the log does not have is a 404, not a server error."""
    try:
        return await computing
    except AuditError as exc:
        raise NotFoundError(exc.message) from None


async def _entries(
    db: AuditSource, exchange_id: str
) -> tuple[list[StoredEntry], StoredTreeHead | None]:
    """The exchange's records and the latest signed head; NotFoundError without records."""
    async with open_audit_store(db, readonly=True) as store:
        entries = await store.entries_for_exchange(exchange_id)
        latest = await store.latest_tree_head()
    if not entries:
        raise NotFoundError(f"no audit records of exchange {exchange_id!r}")
    return entries, latest
