"""Serve one aiohttp application on a listening socket inherited from the benchmark.

Usage::

    serve(app, fd=3, ssl_context=None)   # until SIGTERM or SIGINT

The benchmark binds every port of its own processes itself and hands the socket
down (``pass_fds``), so no port can be taken by someone else in between.
"""

from __future__ import annotations

import socket
import ssl
from pathlib import Path

from aiohttp import web

__all__ = ["serve", "server_context"]


def server_context(
    cert: Path, key: Path, client_ca: Path | None, minimum: ssl.TLSVersion
) -> ssl.SSLContext:
    """A TLS server context; with ``client_ca``, a client certificate from it is required."""
    purpose = ssl.Purpose.CLIENT_AUTH
    context = ssl.create_default_context(
        purpose, cafile=str(client_ca) if client_ca is not None else None
    )
    context.minimum_version = minimum
    context.load_cert_chain(cert, key)
    context.verify_mode = ssl.CERT_REQUIRED if client_ca is not None else ssl.CERT_NONE
    return context


def serve(app: web.Application, fd: int, ssl_context: ssl.SSLContext | None = None) -> None:
    sock = socket.socket(fileno=fd)
    web.run_app(
        app,
        sock=sock,
        ssl_context=ssl_context,
        access_log=None,
        print=None,
        handle_signals=True,
        shutdown_timeout=1.0,
    )
