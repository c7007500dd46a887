"""Admin API: the node itself — who am I, what runs here, witnessing of the peers.

Usage::

    GET  /admin/v1/status           member, version, directory, audit log, caller (every role)
    GET  /admin/v1/witness          the peers' tree heads seen, inconsistencies found
    POST /admin/v1/witness/clear    {"member": "EE/GOV/70000310"}: trust its next head again
    POST /admin/v1/reload           adopt staged key pairs now (what SIGHUP does), say why not
    POST /admin/v1/tokens/revoke    {"token_id": "..."} or {"subject": "alice"} (admin only)
"""

from __future__ import annotations

import asyncio
import dataclasses
import time

from aiohttp import web

from gateway import __version__
from gateway.admin.revocations import revocations_path, revoke
from gateway.admin.routes import ADMINS, EVERYONE, OFFICERS, Reply, Route, json_body
from gateway.admin.tokens import TokenActor
from gateway.audit.witness import WITNESS_DB
from gateway.audit.witness_commands import listing_json
from gateway.directory import format_timestamp
from gateway.errors import AdminError, DirectoryError, NotFoundError
from gateway.identifiers import ClientId
from gateway.node import Node

__all__ = ["routes"]


def routes(node: Node) -> list[Route]:
    async def status(request: web.Request, actor: TokenActor) -> Reply:
        try:
            current = node.directory.current()
            directory: dict[str, object] = {
                "sequence": current.sequence,
                "expires": format_timestamp(current.expires),
            }
        except DirectoryError as exc:
            directory = {"problem": exc.message}
        size, root = node.audit.tree_head()
        return Reply(
            {
                "member": node.settings.member.id,
                "version": __version__,
                "actor": {"subject": actor.subject, "role": actor.role},
                "directory": directory,
                "audit": {"tree_size": size, "root_hash": root.hex()},
            }
        )

    async def witness(request: web.Request, actor: TokenActor) -> Reply:
        listing = await listing_json(node.settings.data_dir / WITNESS_DB)
        listing.pop("database", None)  # a server path is nobody's business over the API
        return Reply(listing)

    async def clear(request: web.Request, actor: TokenActor) -> Reply:
        body = await json_body(request)
        peer = body.get("member")
        if not isinstance(peer, str):
            raise AdminError('expected {"member": "INSTANCE/CLASS/CODE"}')
        member = ClientId.parse(peer)  # InvalidClientIdentifier (400) when it is none
        if member.subsystem is not None:
            raise AdminError(f"{peer} is a subsystem; witnessing is per member")
        cleared = await node.witness.store.clear(str(member), at=time.time_ns() // 1_000_000)
        if not cleared:
            raise NotFoundError(f"{member}: no open inconsistency to clear")
        await node.witness.refresh()  # in force now, not at the next refresh
        return Reply(
            {"member": str(member), "cleared": cleared},
            target=f"witness/{member}",
            details={"member": str(member), "cleared": cleared},
        )

    async def reload(request: web.Request, actor: TokenActor) -> Reply:
        outcomes = await node.keys.reload()
        answer = [dataclasses.asdict(outcome) for outcome in outcomes]
        return Reply(
            {"credentials": answer},
            target="credentials",
            details={o.usage: o.state for o in outcomes},
        )

    async def revoke_tokens(request: web.Request, actor: TokenActor) -> Reply:
        body = await json_body(request, limit=4096)
        token_id, subject = body.get("token_id"), body.get("subject")
        if set(body) not in ({"token_id"}, {"subject"}) or not isinstance(token_id or subject, str):
            raise AdminError('expected {"token_id": "<jti>"} or {"subject": "<who>"}')
        settings = node.settings
        entry = await asyncio.to_thread(
            revoke,
            revocations_path(settings),
            max_ttl=settings.admin.max_token_ttl,
            token_id=token_id,
            subject=subject,
        )
        answer = entry.as_json()
        target = f"token/{token_id}" if token_id else f"subject/{subject}"
        return Reply(answer, target=target, details=answer)

    return [
        Route("GET", "/status", status, EVERYONE),
        Route("POST", "/reload", reload, OFFICERS, act="credentials.reload"),
        Route("GET", "/witness", witness, EVERYONE),
        Route("POST", "/witness/clear", clear, OFFICERS, act="witness.clear"),
        Route("POST", "/tokens/revoke", revoke_tokens, ADMINS, act="admin.tokens.revoke"),
    ]
