"""Admin API: the directory this gateway works with; the operator pushes new ones here.

Usage::

    GET  /admin/v1/directory          the current directory, summarised (every role)
    PUT  /admin/v1/directory          a signed publication (application/jose): adopt it now
    POST /admin/v1/directory/refresh  fetch from the configured source now
"""

from __future__ import annotations

from aiohttp import web

from gateway._crypto import now_utc
from gateway.admin.routes import EVERYONE, OFFICERS, Reply, Route, read_limited
from gateway.admin.tokens import TokenActor
from gateway.directory import format_timestamp
from gateway.directory_cli import directory_summary
from gateway.directory_manager import MAX_DOCUMENT_BYTES
from gateway.errors import AdminError, ConflictError, DirectoryError
from gateway.node import Node

__all__ = ["routes"]

_JWS_TYPES = ("application/jose", "application/jwt", "text/plain")


def routes(node: Node) -> list[Route]:
    manager = node.directory

    async def show(request: web.Request, actor: TokenActor) -> Reply:
        try:
            directory = manager.current()
        except DirectoryError as exc:
            raise ConflictError(exc.message) from None
        return Reply(directory_summary(directory, now_utc()))

    async def install(request: web.Request, actor: TokenActor) -> Reply:
        if request.content_type not in _JWS_TYPES:
            raise AdminError(
                "a directory is pushed as its compact JWS (Content-Type: application/jose), "
                f"not {request.content_type!r}"
            )
        raw = await read_limited(request, MAX_DOCUMENT_BYTES)
        try:
            token = raw.decode("ascii").strip()
        except UnicodeDecodeError:
            raise AdminError("a compact JWS is ASCII") from None
        previous = _sequence(node)
        try:
            directory = manager.install(token)
        except DirectoryError as exc:
            raise ConflictError(f"directory refused: {exc.message}") from None
        return Reply(
            {
                "sequence": directory.sequence,
                "previous_sequence": previous,
                "adopted": directory.sequence != previous,
                "issued": format_timestamp(directory.issued),
                "expires": format_timestamp(directory.expires),
            },
            target=f"directory/{directory.sequence}",
            details={"sequence": directory.sequence, "previous_sequence": previous},
        )

    async def refresh(request: web.Request, actor: TokenActor) -> Reply:
        previous = _sequence(node)
        adopted = await manager.refresh()
        current = _sequence(node)
        if not adopted:
            raise ConflictError(
                f"refresh from {manager.source} refused: {manager.problem or 'see the log'}"
            )
        return Reply(
            {"sequence": current, "previous_sequence": previous, "adopted": current != previous},
            target=f"directory/{current}",
            details={"source": manager.source, "sequence": current, "previous_sequence": previous},
        )

    return [
        Route("GET", "/directory", show, EVERYONE),
        Route("PUT", "/directory", install, OFFICERS, act="directory.push"),
        Route("POST", "/directory/refresh", refresh, OFFICERS, act="directory.refresh"),
    ]


def _sequence(node: Node) -> int | None:
    try:
        return node.directory.current().sequence
    except DirectoryError:
        return None
