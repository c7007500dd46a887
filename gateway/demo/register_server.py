"""``xgw demo register``: one of the demo's registers on its own, e.g. in a container.

Usage::

    xgw demo register DE --listen 0.0.0.0:9001     # Musterstadt's resident register (XMeld)
    xgw demo register EE --listen 0.0.0.0:9002     # Estonia's Business Register (X-Road SOAP)
    xgw demo register BE --listen 0.0.0.0:9443 --tls-cert be/tls.pem --tls-key be/tls.key

    await serve_register("DE", ("0.0.0.0", 9001))  # until SIGTERM or SIGINT
    async with running_register("EE", ("127.0.0.1", 0)) as (register, url): ...

The registers are the ones ``xgw demo`` runs in its own process (gateway.demo.backends),
plus ``GET /healthz`` for a container's health check. MAGDA (BE) is a partner without
xgw and serves its own TLS, with the certificate the directory pins
(``xgw demo init`` writes it); the others speak plain HTTP to the gateway in front.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import ssl
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from gateway.demo.backends import (
    Register,
    estonian_business_register,
    flemish_magda,
    german_resident_register,
    serve_app,
)
from gateway.errors import ConfigError

__all__ = ["REGISTERS", "running_register", "serve_register"]

REGISTERS: dict[str, Callable[[], Register]] = {
    "DE": german_resident_register,
    "EE": estonian_business_register,
    "BE": flemish_magda,
}
_KEEP_SEEN = 10  # what crossed the last exchanges; a register in a container runs for days


async def serve_register(
    key: str,
    listen: tuple[str, int],
    *,
    tls_cert: Path | None = None,
    tls_key: Path | None = None,
    started: Callable[[str], None] | None = None,
) -> int:
    """Serve register ``key`` (DE, EE, BE) at ``listen`` until SIGTERM or SIGINT;
    ``started`` is told its URL once it listens. See ``running_register``."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)
    for sig in signals:
        loop.add_signal_handler(sig, stop.set)
    try:
        async with running_register(key, listen, tls_cert=tls_cert, tls_key=tls_key) as (_, url):
            if started is not None:
                started(url)
            await stop.wait()
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)
    return 0


@contextlib.asynccontextmanager
async def running_register(
    key: str,
    listen: tuple[str, int],
    *,
    tls_cert: Path | None = None,
    tls_key: Path | None = None,
) -> AsyncIterator[tuple[Register, str]]:
    """Register ``key`` (DE, EE, BE) listening at ``listen`` (port 0: any), and its URL.

    With ``tls_cert`` and ``tls_key`` it serves HTTPS. ConfigError for an unknown register,
    unreadable TLS files or an address that cannot be bound.
    """
    if key not in REGISTERS:
        raise ConfigError("register", f"is one of {', '.join(REGISTERS)}, not {key!r}")
    register = REGISTERS[key]()
    register.app.middlewares.append(_forgetting(register))
    register.app.router.add_get("/healthz", _healthz)
    context = _server_tls(tls_cert, tls_key)
    host, port = listen
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:  # not gateway.app.bind: importing the gateway would double this process's start
        sock = socket.create_server((host, port), family=family, backlog=128)
    except OSError as exc:
        raise ConfigError("--listen", f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    with contextlib.closing(sock):
        async with serve_app(register.app, sock, context):
            scheme = "https" if context is not None else "http"
            shown = f"[{host}]" if family == socket.AF_INET6 else host
            yield register, f"{scheme}://{shown}:{sock.getsockname()[1]}"


def _server_tls(cert: Path | None, key: Path | None) -> ssl.SSLContext | None:
    if cert is None and key is None:
        return None
    if cert is None or key is None:
        raise ConfigError("--tls-cert", "goes with --tls-key: a TLS server needs both")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(cert, key)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError("--tls-cert", f"cannot load {cert} with {key}: {exc}") from exc
    return context


def _forgetting(register: Register) -> Middleware:
    @web.middleware
    async def forget_old(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        finally:
            del register.seen[:-_KEEP_SEEN]

    return forget_old


async def _healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})
