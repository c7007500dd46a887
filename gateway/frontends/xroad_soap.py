"""The X-Road SOAP frontend: X-Road client systems POST SOAP 4.0 messages to the client port.

Usage::

    add_routes(app, node, client_side_pipeline(node))   # POST / on the client port

A SOAP request is parsed and checked (``gateway.xroad_soap``), then runs through
the same client-side pipeline as an X-Road REST call to that service: the SOAP
message crosses the signed hop as it is, the provider's gateway posts it to the
backend, and the backend's answer comes back with the request's X-Road headers
echoed and ``requestHash`` added. Every refusal, ours or a peer's, is a SOAP Fault
with X-Road's fault code.
"""

from __future__ import annotations

from aiohttp import web

from gateway.bodies import read_bounded
from gateway.errors import BodyTooLargeError, GatewayError, InvalidBodyError, parse_error_type
from gateway.frontends.xroad_rest import Handler
from gateway.node import Node
from gateway.pipeline import Exchange, Pipeline, Reply
from gateway.xroad_rest import last_header, parse_error_response
from gateway.xroad_soap import (
    FAULT_CONTENT_TYPE,
    SoapRequest,
    check_soap_action,
    fault,
    parse_request,
    response_with_echoed_headers,
)

__all__ = ["add_routes"]


def add_routes(app: web.Application, node: Node, pipeline: Pipeline) -> None:
    app.router.add_post("/", _handler(node, pipeline))


def _handler(node: Node, pipeline: Pipeline) -> Handler:
    limit = node.settings.security.max_body_bytes
    snake = node.snake_errors

    async def soap(request: web.Request) -> web.StreamResponse:
        try:
            body = await read_bounded(
                request.content, request.content_length, limit, "request body", BodyTooLargeError
            )
            check_soap_action(request.headers.get("SOAPAction"))
            message = parse_request(body, request.headers.get("Content-Type", ""))
        except web.RequestPayloadError as exc:
            return _fault(InvalidBodyError(f"request body cannot be read: {exc}"), snake)
        except GatewayError as exc:
            return _fault(exc, snake)
        reply = await pipeline.run(_exchange(message, request))
        refusal = _refusal(reply)
        if refusal is not None:
            return _fault(refusal, snake)
        try:
            answer, content_type = response_with_echoed_headers(
                message, reply.body, last_header(reply.headers, "Content-Type") or "text/xml"
            )
        except GatewayError as exc:
            return _fault(exc, snake)
        return web.Response(
            status=reply.status, body=answer, headers={"Content-Type": content_type}
        )

    return soap


def _exchange(message: SoapRequest, request: web.Request) -> Exchange:
    """The SOAP call as an exchange with that service: the same checks as a REST call."""
    fields = message.headers
    headers = [
        ("X-Road-Client", str(fields.client)),
        ("X-Road-Id", fields.id),
        ("Content-Type", message.content_type),
    ]
    if fields.user_id is not None:
        headers.append(("X-Road-UserId", fields.user_id))
    if fields.issue is not None:
        headers.append(("X-Road-Issue", fields.issue))
    action = request.headers.get("SOAPAction")
    if action is not None:
        headers.append(("SOAPAction", action))
    return Exchange(
        direction="outbound",
        method="POST",
        raw_path=f"/r1/{fields.service.wire()}",
        headers=headers,
        body=message.body,
        transport=request.transport,
    )


def _refusal(reply: Reply) -> GatewayError | None:
    """Our own refusal or a peer's, read back from the REST convention it was rendered in."""
    parsed = parse_error_response(
        reply.body,
        last_header(reply.headers, "Content-Type"),
        last_header(reply.headers, "X-Road-Error"),
    )
    if parsed is None:
        return None
    error_type, message, detail = parsed
    origin, code = parse_error_type(error_type)
    return GatewayError(message, origin=origin, code=code, detail=detail)


def _fault(error: GatewayError, snake: bool) -> web.Response:
    return web.Response(
        status=500,
        body=fault(error, snake_case=snake),
        headers={"Content-Type": FAULT_CONTENT_TYPE},
    )
