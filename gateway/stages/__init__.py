"""The order of the stages on each side of an exchange, declared once (DESIGN.md).

Usage::

    reply = await client_side_pipeline(node).run(exchange)

Client side (the caller's own gateway): parse -> authenticate -> authorize ->
decode to canonical -> route: a partner without xgw is called in its own protocol
(and answers here), a gateway gets the signed hop -> verify the answer -> encode to
the client's format -> audit.
Provider side: identify the peer -> parse -> verify signature, freshness and
nonce -> authorize -> metaservice, or encode to the backend's format and call the
backend -> decode its answer -> sign the answer -> audit.
"""

from __future__ import annotations

from gateway.errors import CLIENT_PROXY, SERVER_PROXY, GatewayError
from gateway.node import Node
from gateway.pipeline import Exchange, Pipeline, Reply
from gateway.stages.client_side import AuthenticateClient, SendSigned, VerifyResponse
from gateway.stages.common import AuditExchange, Authorize, ParseRequest, xroad_error_renderer
from gateway.stages.derive import AskAboutNotification, FoldAnswerIntoNotification
from gateway.stages.partner_route import PartnerRoute
from gateway.stages.provider_side import (
    AnswerMetaservice,
    CallBackend,
    CheckSoapHeader,
    IdentifyPeer,
    SignResponse,
    VerifyRequest,
    sign_reply,
)
from gateway.stages.translate import (
    DecodeBackendResponse,
    DecodeClientRequest,
    EncodeBackendRequest,
    EncodeClientResponse,
)

__all__ = ["client_side_pipeline", "provider_side_pipeline"]


def client_side_pipeline(node: Node) -> Pipeline:
    return Pipeline(
        stages=(
            ParseRequest(node),
            AuthenticateClient(node),
            Authorize(node, origin=CLIENT_PROXY),
            DecodeClientRequest(node),
            AskAboutNotification(node),  # a notification sent to a register: ask about it
            PartnerRoute(node),  # answers itself when the provider is a partner without xgw
            SendSigned(node),
            VerifyResponse(node),
        ),
        finish=(
            FoldAnswerIntoNotification(),
            EncodeClientResponse(node),
            AuditExchange(node),
        ),
        render=xroad_error_renderer(node),
        observe=node.metrics.observe_exchange,
    )


def provider_side_pipeline(node: Node) -> Pipeline:
    render = xroad_error_renderer(node)

    def render_here(ex: Exchange, error: GatewayError) -> Reply:
        # What fails on the provider's gateway is the server proxy's, unless the caller erred.
        if error.origin == CLIENT_PROXY:
            error.with_origin(SERVER_PROXY)
        # Signed here, so that a refusal met in a finish stage (audit) goes out signed too.
        return sign_reply(node, ex, render(ex, error))

    return Pipeline(
        stages=(
            IdentifyPeer(node),
            ParseRequest(node),
            VerifyRequest(node),
            Authorize(node, origin=SERVER_PROXY),
            AnswerMetaservice(node),
            CheckSoapHeader(),
            EncodeBackendRequest(node),
            CallBackend(node),
        ),
        finish=(DecodeBackendResponse(node), SignResponse(node), AuditExchange(node)),
        render=render_here,
        observe=node.metrics.observe_exchange,
    )
