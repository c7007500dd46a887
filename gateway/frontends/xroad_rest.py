"""The X-Road REST frontend: ``/r1/{serviceId}[/path][?query]`` and ``listClients``.

Usage::

    add_routes(app, node, client_side_pipeline(node), direction="outbound", list_clients=True)

It reads the request (bounded by ``security.max_body_bytes``), hands it to the
pipeline as an :class:`~gateway.pipeline.Exchange` and writes back the reply.
On a TLS client port a caller without a client certificate bound to a subsystem is
refused (``Server.ClientProxy.AccessDenied``) before its request is read, on
``/r1/`` and ``listClients`` alike: X-Road callers authenticate by certificate only.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from gateway.bodies import read_bounded
from gateway.errors import (
    AccessDeniedError,
    BodyTooLargeError,
    DirectoryError,
    GatewayError,
    InvalidBodyError,
)
from gateway.frontends import witness
from gateway.identifiers import ClientId
from gateway.node import Node
from gateway.pipeline import Direction, Exchange, Pipeline
from gateway.stages.client_side import require_certificate_client
from gateway.xroad_rest import (
    JSON_CONTENT_TYPE,
    XML_CONTENT_TYPE,
    error_body,
    error_headers,
    list_clients_json,
    list_clients_xml,
    wants_xml,
)

__all__ = ["METHODS", "Handler", "add_routes"]

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def add_routes(
    app: web.Application,
    node: Node,
    pipeline: Pipeline,
    *,
    direction: Direction,
    list_clients: bool = False,
) -> None:
    handler = _exchange_handler(node, pipeline, direction)
    for method in METHODS:
        # Any version reaches the pipeline, which answers Client.BadRequest for all but r1.
        app.router.add_route(method, "/{version:[rR][0-9]+}/{tail:.*}", handler)
    if list_clients:
        app.router.add_get("/listClients", _list_clients_handler(node))
    if direction == "inbound":  # the peer port: other gateways also fetch proofs of our log
        witness.add_routes(app, node)


def _exchange_handler(node: Node, pipeline: Pipeline, direction: Direction) -> Handler:
    limit = node.settings.security.max_body_bytes
    # A TLS client port may let callers without a certificate finish the handshake (for a
    # front door that takes bearer tokens): an X-Road call is refused before it is read.
    certificate_first = direction == "outbound" and node.settings.listen.client_tls

    async def exchange(request: web.Request) -> web.StreamResponse:
        refused: GatewayError | None = None
        body = b""
        bound: ClientId | None = None
        try:
            if certificate_first:
                bound = require_certificate_client(node, request.transport)
            body = await read_bounded(
                request.content, request.content_length, limit, "request body", BodyTooLargeError
            )
        except AccessDeniedError as exc:  # audited by the pipeline, as every refusal
            refused = exc
        except BodyTooLargeError as exc:
            refused = exc
        except web.RequestPayloadError as exc:  # e.g. a Content-Encoding that does not decode
            refused = InvalidBodyError(f"request body cannot be read: {exc}")
        reply = await pipeline.run(
            Exchange(
                direction=direction,
                method=request.method,
                raw_path=request.raw_path,
                headers=list(request.headers.items()),
                body=body,
                transport=request.transport,
                certificate_client=bound,
            ),
            refused=refused,
        )
        # Response makes its own CIMultiDict of the pairs: order and duplicates kept.
        return web.Response(status=reply.status, headers=reply.headers, body=reply.body)

    return exchange


def _list_clients_handler(node: Node) -> Handler:
    """``listClients`` at the gateway's root, as a security server offers it (PR-META)."""

    async def list_clients(request: web.Request) -> web.StreamResponse:
        try:
            if node.settings.listen.client_tls:  # members' clients are no one else's business
                require_certificate_client(node, request.transport)
            directory = node.directory.current()
        except (AccessDeniedError, DirectoryError) as exc:
            snake = node.snake_errors
            accept = request.headers.get("Accept")
            body, content_type = error_body(exc, accept=accept, snake_case=snake)
            return web.Response(
                status=exc.http_status,
                body=body,
                headers={"Content-Type": content_type, **error_headers(exc, snake_case=snake)},
            )
        clients = directory.clients()
        instance = request.query.get("xRoadInstance")
        # A security server answers XML unless the client asks for JSON (PR-META).
        if _accepts_json(request.headers.get("Accept")):
            return web.Response(
                body=list_clients_json(clients, xroad_instance=instance),
                headers={"Content-Type": JSON_CONTENT_TYPE},
            )
        return web.Response(
            body=list_clients_xml(clients, xroad_instance=instance),
            headers={"Content-Type": XML_CONTENT_TYPE},
        )

    return list_clients


def _accepts_json(accept: str | None) -> bool:
    return accept is not None and "json" in accept.lower() and not wants_xml(accept)
