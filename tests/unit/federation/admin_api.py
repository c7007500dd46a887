"""A stand-in for a gateway's admin API directory endpoint, served on 127.0.0.1.

Usage::

    api = AdminApi()
    async with serving(api.app()) as url:
        await push_directory(token, [url], BEARER)
    api.received          # the tokens it accepted

It checks what ``PUT /admin/v1/directory`` checks (bearer token, content type) and
answers as it does: 200 with the sequence it holds, problem+json otherwise.
"""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import AsyncIterator

from aiohttp import web

from gateway.app import bind
from gateway.directory import inspect_token

BEARER = "test-admin-token"
HOST = "127.0.0.1"


class AdminApi:
    """What the gateway's ``PUT /admin/v1/directory`` does, reduced to its checks."""

    def __init__(self, held: int | None = None, bearer: str = BEARER) -> None:
        self.received: list[str] = []
        self.held = held  # answer this sequence instead of the pushed one
        self.bearer = bearer  # each gateway signs its own admin tokens

    async def put(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {self.bearer}":
            return problem(401, "the bearer token is not valid")
        if request.content_type != "application/jose":
            return problem(400, f"not {request.content_type}")
        token = (await request.read()).decode("ascii")
        self.received.append(token)
        sequence = self.held if self.held is not None else sequence_of(token)
        return web.json_response({"sequence": sequence, "previous_sequence": 10, "adopted": True})

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_put("/admin/v1/directory", self.put)
        return app


def problem(status: int, detail: str) -> web.Response:
    return web.json_response(
        {"type": "about:blank", "title": "refused", "status": status, "detail": detail},
        status=status,
        content_type="application/problem+json",
    )


def sequence_of(token: str) -> int:
    return int(inspect_token(token)[1]["sequence"])


@contextlib.asynccontextmanager
async def serving(
    app: web.Application, context: ssl.SSLContext | None = None
) -> AsyncIterator[str]:
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
    await runner.setup()
    sock = bind(HOST, 0)
    await web.SockSite(runner, sock, ssl_context=context).start()
    try:
        scheme = "https" if context is not None else "http"
        yield f"{scheme}://{HOST}:{sock.getsockname()[1]}"
    finally:
        await runner.cleanup()


def closed_port() -> str:
    sock = bind(HOST, 0)
    port = sock.getsockname()[1]
    sock.close()
    return f"http://{HOST}:{port}"
