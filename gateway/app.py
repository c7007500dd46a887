"""Compose the gateway's two aiohttp applications and serve them.

Usage::

    async with Gateway.running(settings) as gw:       # binds both listeners
        print(gw.client_url, gw.peer_url)

    xgw serve --config de.toml                         # the same, until SIGTERM

The client port faces the member's own client systems (``/r1/...``,
``/listClients``, ``/healthz``, ``/readyz``); the peer port faces other gateways
over mutual TLS and only speaks the signed hop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass

from aiohttp import web
from multidict import CIMultiDict

from gateway.errors import BodyTooLargeError, DirectoryError, GatewayError
from gateway.node import Node
from gateway.pipeline import Exchange, Pipeline
from gateway.settings import Settings
from gateway.stages import client_side_pipeline, provider_side_pipeline
from gateway.trust import client_port_context
from gateway.xroad_rest import (
    JSON_CONTENT_TYPE,
    XML_CONTENT_TYPE,
    error_body,
    error_headers,
    list_clients_json,
    list_clients_xml,
    wants_xml,
)

__all__ = ["NODE", "Gateway", "bind", "create_client_app", "create_peer_app", "serve"]

_logger = logging.getLogger(__name__)

NODE = web.AppKey("node", Node)
PIPELINE = web.AppKey("pipeline", Pipeline)
DIRECTION = web.AppKey("direction", str)
_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")


async def _exchange(request: web.Request) -> web.StreamResponse:
    app = request.app
    node, pipeline = app[NODE], app[PIPELINE]
    refused: GatewayError | None = None
    body = b""
    try:
        body = await _read_body(request, node.settings.security.max_body_bytes)
    except BodyTooLargeError as exc:
        refused = exc
    exchange = Exchange(
        direction=app[DIRECTION],
        method=request.method, raw_path=request.raw_path,
        headers=[(k, v) for k, v in request.headers.items()], body=body,
        transport=request.transport)
    reply = await pipeline.run(exchange, refused=refused)
    return web.Response(status=reply.status, headers=CIMultiDict(reply.headers), body=reply.body)


async def _read_body(request: web.Request, limit: int) -> bytes:
    if request.content_length is not None and request.content_length > limit:
        raise BodyTooLargeError(f"request body of {request.content_length} bytes is over the "
                                f"{limit}-byte limit")
    chunks, size = [], 0
    async for chunk in request.content.iter_any():
        size += len(chunk)
        if size > limit:
            raise BodyTooLargeError(f"request body is over the {limit}-byte limit")
        chunks.append(chunk)
    return b"".join(chunks)


async def _list_clients(request: web.Request) -> web.Response:
    node = request.app[NODE]
    try:
        directory = node.directory.current()
    except DirectoryError as exc:
        return _plain_error(exc)
    clients = directory.clients()
    instance = request.query.get("xRoadInstance")
    if wants_xml(request.headers.get("Accept")):
        return web.Response(body=list_clients_xml(clients, xroad_instance=instance),
                            headers={"Content-Type": XML_CONTENT_TYPE})
    return web.Response(body=list_clients_json(clients, xroad_instance=instance),
                        headers={"Content-Type": JSON_CONTENT_TYPE})


def _plain_error(exc: GatewayError) -> web.Response:
    body, content_type = error_body(exc, accept=None)
    return web.Response(status=exc.http_status, body=body,
                        headers={"Content-Type": content_type, **error_headers(exc)})


async def _healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def _readyz(request: web.Request) -> web.Response:
    try:
        directory = request.app[NODE].directory.current()
    except DirectoryError as exc:
        return web.json_response({"status": "unready", "reason": exc.message}, status=503)
    return web.json_response({"status": "ready", "directory_sequence": directory.sequence,
                              "directory_expires": directory.expires.isoformat()})


def create_client_app(node: Node) -> web.Application:
    """The client port: X-Road REST for the member's own client systems."""
    app = web.Application(client_max_size=node.settings.security.max_body_bytes + 1)
    pipeline = client_side_pipeline(node)
    app[NODE], app[PIPELINE], app[DIRECTION] = node, pipeline, "outbound"
    app.router.add_get("/listClients", _list_clients)
    app.router.add_get("/healthz", _healthz)
    app.router.add_get("/readyz", _readyz)
    for method in _METHODS:
        app.router.add_route(method, "/r1/{tail:.*}", _exchange)
    return app


def create_peer_app(node: Node) -> web.Application:
    """The peer port: the signed hop, from other gateways only."""
    app = web.Application(client_max_size=node.settings.security.max_body_bytes + 1)
    app[NODE], app[PIPELINE], app[DIRECTION] = node, provider_side_pipeline(node), "inbound"
    for method in _METHODS:
        app.router.add_route(method, "/r1/{tail:.*}", _exchange)
    return app


def bind(host: str, port: int) -> socket.socket:
    """A listening socket: bound before the gateway starts, so its port can go in a directory."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(512)
    sock.setblocking(False)
    return sock


@dataclass
class Gateway:
    node: Node
    client_port: int
    peer_port: int

    @property
    def client_url(self) -> str:
        scheme = "https" if self.node.settings.listen.client_tls else "http"
        return f"{scheme}://{self.node.settings.listen.client[0]}:{self.client_port}"

    @property
    def peer_url(self) -> str:
        return f"https://{self.node.settings.listen.peer[0]}:{self.peer_port}"

    @classmethod
    @contextlib.asynccontextmanager
    async def running(cls, settings: Settings, *, peer_sock: socket.socket | None = None,
                      client_sock: socket.socket | None = None) -> AsyncIterator[Gateway]:
        peer_sock = peer_sock or bind(*settings.listen.peer)
        client_sock = client_sock or bind(*settings.listen.client)
        async with Node.open(settings) as node, contextlib.AsyncExitStack() as stack:
            client_ssl = (client_port_context(settings.tls.certificate, settings.tls.key,
                                              settings.security.client_ca)
                          if settings.listen.client_tls and settings.security.client_ca
                          else None)
            for app, sock, ssl_context in (
                    (create_peer_app(node), peer_sock, node.peer_server_ssl),
                    (create_client_app(node), client_sock, client_ssl)):
                runner = web.AppRunner(app, access_log=None, handle_signals=False,
                                       shutdown_timeout=5.0)
                await runner.setup()
                stack.push_async_callback(runner.cleanup)
                await web.SockSite(runner, sock, ssl_context=ssl_context).start()
            gateway = cls(node, client_sock.getsockname()[1], peer_sock.getsockname()[1])
            _logger.info("gateway %s serving clients on %s and peers on %s",
                         node.member, gateway.client_url, gateway.peer_url)
            yield gateway


async def serve(settings: Settings) -> None:
    """Run one node until SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with Gateway.running(settings):
        await stop.wait()
    _logger.info("gateway stopped")
