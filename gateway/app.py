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
import gc
import logging
import signal
import socket
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass

from aiohttp import web

from gateway.admin.app import create_admin_app
from gateway.frontends import haalcentraal, operations, xroad_rest, xroad_soap
from gateway.node import Node
from gateway.settings import Settings
from gateway.stages import client_side_pipeline, provider_side_pipeline
from gateway.trust import client_port_context

__all__ = [
    "NODE",
    "Gateway",
    "bind",
    "create_client_app",
    "create_peer_app",
    "serve",
    "settle_collector",
]

_logger = logging.getLogger(__name__)

NODE = web.AppKey("node", Node)


def create_client_app(node: Node) -> web.Application:
    """The client port: X-Road REST and SOAP, and the configured partner-native front doors."""
    app = web.Application(client_max_size=node.settings.security.max_body_bytes + 1)
    app[NODE] = node
    pipeline = client_side_pipeline(node)
    xroad_rest.add_routes(app, node, pipeline, direction="outbound", list_clients=True)
    xroad_soap.add_routes(app, node, pipeline)
    if node.settings.haalcentraal.enabled:  # Haal Centraal BRP Personen (Dutch clients)
        haalcentraal.add_routes(app, node, pipeline)
    operations.add_routes(app, node)
    return app


def create_peer_app(node: Node) -> web.Application:
    """The peer port: the signed hop, from other gateways only."""
    app = web.Application(client_max_size=node.settings.security.max_body_bytes + 1)
    app[NODE] = node
    xroad_rest.add_routes(app, node, provider_side_pipeline(node), direction="inbound")
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
    admin_port: int | None = None  # the admin API's listener, when [admin] listen is set

    @property
    def admin_url(self) -> str | None:
        if self.admin_port is None or self.node.settings.admin.listen is None:
            return None
        scheme = "https" if self.node.settings.admin.tls else "http"
        return f"{scheme}://{self.node.settings.admin.listen[0]}:{self.admin_port}"

    @property
    def client_url(self) -> str:
        scheme = "https" if self.node.settings.listen.client_tls else "http"
        return f"{scheme}://{self.node.settings.listen.client[0]}:{self.client_port}"

    @property
    def peer_url(self) -> str:
        return f"https://{self.node.settings.listen.peer[0]}:{self.peer_port}"

    @classmethod
    @contextlib.asynccontextmanager
    async def running(
        cls,
        settings: Settings,
        *,
        peer_sock: socket.socket | None = None,
        client_sock: socket.socket | None = None,
    ) -> AsyncIterator[Gateway]:
        """Serve ``settings`` on both listeners; sockets passed in stay the caller's to close."""
        async with contextlib.AsyncExitStack() as stack:
            if peer_sock is None:
                peer_sock = stack.enter_context(contextlib.closing(bind(*settings.listen.peer)))
            if client_sock is None:
                client_sock = stack.enter_context(contextlib.closing(bind(*settings.listen.client)))
            node = await stack.enter_async_context(Node.open(settings))
            listeners = [
                (create_peer_app(node), peer_sock, node.peer_server_ssl),
                (create_client_app(node), client_sock, _client_ssl(settings, node)),
            ]
            admin_sock = None
            if settings.admin.listen is not None:
                admin_sock = stack.enter_context(contextlib.closing(bind(*settings.admin.listen)))
                listeners.append((create_admin_app(node), admin_sock, _admin_ssl(settings, node)))
            for app, sock, ssl_context in listeners:
                # On shutdown, exchanges in flight may finish (and be audited) first.
                grace = max(settings.timeouts.backend, settings.timeouts.peer) + 5.0
                runner = web.AppRunner(
                    app, access_log=None, handle_signals=False, shutdown_timeout=grace
                )
                await runner.setup()
                stack.push_async_callback(runner.cleanup)
                await web.SockSite(runner, sock, ssl_context=ssl_context).start()
            gateway = cls(
                node,
                client_sock.getsockname()[1],
                peer_sock.getsockname()[1],
                None if admin_sock is None else admin_sock.getsockname()[1],
            )
            _logger.info(
                "gateway %s serving clients on %s and peers on %s",
                node.member,
                gateway.client_url,
                gateway.peer_url,
            )
            if gateway.admin_url is not None:
                _logger.info("admin API of %s on %s/admin/v1/", node.member, gateway.admin_url)
            yield gateway


def _admin_ssl(settings: Settings, node: Node) -> ssl.SSLContext | None:
    """The admin API over TLS with the node's certificate (admin.tls); plain on loopback."""
    if not settings.admin.tls:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(
        settings.tls.certificate, settings.tls.key, password=node.keys.tls_password
    )
    return node.keys.track(context)


def _client_ssl(settings: Settings, node: Node) -> ssl.SSLContext | None:
    if not settings.listen.client_tls or settings.security.client_ca is None:
        return None
    context = client_port_context(
        settings.tls.certificate,
        settings.tls.key,
        settings.security.client_ca,
        # Haal Centraal clients have a token, no certificate; the X-Road routes refuse them.
        certificate_optional=haalcentraal.takes_token_only_callers(settings),
        password=node.keys.tls_password,
    )
    return node.keys.track(context)  # presents the new certificate after a TLS rotation


# Net allocations between collections of the youngest generation (CPython's default: 700).
YOUNG_GENERATION_THRESHOLD = 5000


def settle_collector() -> None:
    """Once a node runs: tune the garbage collector for serving.

    What start-up allocated lives as long as the process: frozen, it is kept out of every
    later collection (full collections of it showed as 25-75 ms pauses under load). At the
    default threshold the collector (mostly the older generations it sets off) cost about
    100 us per exchange in bench.inprocess; an exchange's objects are freed by reference
    counting, so at 5000 a collection is rare and cycles are still collected.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, *gc.get_threshold()[1:])


async def serve(settings: Settings) -> None:
    """Run one node until SIGINT or SIGTERM; SIGHUP adopts a staged key pair that is due."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with Gateway.running(settings) as gateway:
        loop.add_signal_handler(signal.SIGHUP, gateway.node.keys.reload_soon)
        settle_collector()
        await stop.wait()
    _logger.info("gateway stopped")
