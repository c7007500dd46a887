"""The order of the stages on each side of an exchange, declared once (DESIGN.md).

Usage::

    reply = await client_side_pipeline(node).run(exchange)

Client side (the caller's own gateway): parse -> authenticate -> authorize ->
route, sign and send -> verify the answer -> audit.
Provider side: identify the peer -> parse -> verify signature, freshness and
nonce -> authorize -> metaservice or backend -> sign the answer -> audit.
"""

from __future__ import annotations

from gateway.errors import CLIENT_PROXY, SERVER_PROXY, GatewayError
from gateway.node import Node
from gateway.pipeline import Exchange, Pipeline, Reply
from gateway.stages.client_side import AuthenticateClient, SendSigned, VerifyResponse
from gateway.stages.common import AuditExchange, Authorize, ParseRequest, xroad_error_renderer
from gateway.stages.provider_side import (
    AnswerMetaservice,
    CallBackend,
    IdentifyPeer,
    SignResponse,
    VerifyRequest,
)

__all__ = ["client_side_pipeline", "provider_side_pipeline"]


def client_side_pipeline(node: Node) -> Pipeline:
    return Pipeline(
        stages=(
            ParseRequest(node),
            AuthenticateClient(node),
            Authorize(node, origin=CLIENT_PROXY),
            SendSigned(node),
            VerifyResponse(node),
        ),
        finish=(AuditExchange(node),),
        render=xroad_error_renderer(node),
    )


def provider_side_pipeline(node: Node) -> Pipeline:
    render = xroad_error_renderer(node)

    def render_here(ex: Exchange, error: GatewayError) -> Reply:
        # What fails on the provider's gateway is the server proxy's, unless the caller erred.
        if error.origin == CLIENT_PROXY:
            error.with_origin(SERVER_PROXY)
        reply: Reply = render(ex, error)
        return reply

    return Pipeline(
        stages=(
            IdentifyPeer(node),
            ParseRequest(node),
            VerifyRequest(node),
            Authorize(node, origin=SERVER_PROXY),
            AnswerMetaservice(node),
            CallBackend(node),
        ),
        finish=(SignResponse(node), AuditExchange(node)),
        render=render_here,
    )
