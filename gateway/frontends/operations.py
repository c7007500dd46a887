"""Operations endpoints on the client port: ``/healthz`` (alive) and ``/readyz`` (can serve).

Usage::

    add_routes(app, node)
"""

from __future__ import annotations

from aiohttp import web

from gateway.errors import DirectoryError
from gateway.node import Node

__all__ = ["add_routes"]


def add_routes(app: web.Application, node: Node) -> None:
    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def readyz(request: web.Request) -> web.Response:
        try:
            directory = node.directory.current()
        except DirectoryError as exc:
            return web.json_response({"status": "unready", "reason": exc.message}, status=503)
        return web.json_response(
            {
                "status": "ready",
                "directory_sequence": directory.sequence,
                "directory_expires": directory.expires.isoformat(),
            }
        )

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
