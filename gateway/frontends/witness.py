"""The peer port's witnessing endpoint: consistency proofs of this gateway's audit log.

Usage::

    add_routes(peer_app, node)
    # GET /xgw/v1/consistency?first=M&second=N  ->  {"type": "consistency", "path": [...], ...}

Only other gateways reach it: the peer port's TLS handshake wants a certificate from a
federation CA, and the certificate (or the one a trusted TLS terminator forwarded) must
be listed for a member, as for the signed hop. The answer is not signed: whoever asks
checks the path against the roots of tree heads this gateway signed
(docs/audit-log.md, "Witnessing"). Refusals are X-Road errors, as on ``/r1/``.
"""

from __future__ import annotations

import re

import orjson
from aiohttp import web

from gateway.audit.witness import CONSISTENCY_PATH, consistency_answer
from gateway.errors import (
    CLIENT_PROXY,
    SERVER_PROXY,
    BadRequestError,
    CertValidationError,
    GatewayError,
)
from gateway.node import Node
from gateway.trust import FORWARDED_CERT_HEADER, peer_certificate
from gateway.xroad_rest import JSON_CONTENT_TYPE, error_body, error_headers

__all__ = ["add_routes"]

_SIZE = re.compile("[0-9]{1,18}")


def add_routes(app: web.Application, node: Node) -> None:
    trusted_proxies = frozenset(node.settings.security.trusted_proxies)

    async def consistency(request: web.Request) -> web.Response:
        try:
            directory = node.directory.current()
            forwarded = request.headers.getall(FORWARDED_CERT_HEADER, [])
            if len(forwarded) > 1:
                raise CertValidationError(f"more than one {FORWARDED_CERT_HEADER} header")
            headers = {FORWARDED_CERT_HEADER: forwarded[0]} if forwarded else {}
            der = peer_certificate(request.transport, trusted_proxies, headers)
            node.peers.identify(directory, der)
            first, second = _size(request, "first"), _size(request, "second")
            answer = await consistency_answer(node.audit, first, second)
        except GatewayError as exc:
            if exc.origin == CLIENT_PROXY:  # failures here are the provider's, as on /r1/
                exc.with_origin(SERVER_PROXY)
            snake = node.snake_errors
            body, content_type = error_body(
                exc, accept=request.headers.get("Accept"), snake_case=snake
            )
            return web.Response(
                status=exc.http_status,
                body=body,
                headers={"Content-Type": content_type, **error_headers(exc, snake_case=snake)},
            )
        return web.Response(body=orjson.dumps(answer), headers={"Content-Type": JSON_CONTENT_TYPE})

    app.router.add_get(CONSISTENCY_PATH, consistency)


def _size(request: web.Request, name: str) -> int:
    values = request.query.getall(name, [])
    if len(values) != 1 or not _SIZE.fullmatch(values[0]):
        raise BadRequestError(f"query parameter {name!r} must be given once, as a tree size")
    return int(values[0])
