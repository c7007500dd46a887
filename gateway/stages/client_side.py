"""The caller's own gateway: authenticate the local client, sign, send, verify the answer.

Usage::

    Pipeline(stages=(ParseRequest(node), AuthenticateClient(node), Authorize(node, ...),
                     SendSigned(node), VerifyResponse(node)), ...)
"""

from __future__ import annotations

import hashlib
import logging
import ssl
import time
from asyncio import BaseTransport
from collections.abc import Iterable

from gateway._crypto import now_utc
from gateway.audit.witness import TREE_HEAD_HEADER
from gateway.directory import Directory, Member
from gateway.errors import (
    CLIENT_PROXY,
    AccessDeniedError,
    GatewayError,
    InconsistentResponseError,
    InvalidClientIdentifierError,
    InvalidSignatureError,
    StaleMessageError,
    UnknownServiceError,
    parse_error_type,
)
from gateway.identifiers import ClientId
from gateway.node import Node
from gateway.pipeline import Exchange, Reply
from gateway.signing import (
    SIGNATURE_HEADER,
    new_nonce,
    request_signing_input,
    response_signing_input,
    unverified_header,
    verify,
)
from gateway.stages.common import (
    PRIVATE_HEADERS,
    passed_on_headers,
    send_pinned,
    submit_request_record,
    with_explicit_content_type,
    xroad_error_renderer,
)
from gateway.xroad_rest import (
    forwardable_headers,
    last_header,
    parse_error_response,
    request_hash,
)

__all__ = [
    "AuthenticateClient",
    "SendSigned",
    "VerifyResponse",
    "certificate_client",
    "hash_headers",
    "require_certificate_client",
]

_logger = logging.getLogger("gateway.exchange")

_LOOPBACK = ("127.0.0.1", "::1")


class AuthenticateClient:
    """A local client system may only send as the subsystem its credential is bound to.

    On a TLS client port the credential is the client certificate. A caller without
    one passes only when its frontend authenticated it by bearer token
    (``Exchange.token_client``, set by the Haal Centraal front door alone: X-Road REST
    and SOAP calls are never token-authenticated). A token next to a certificate must
    name the same subsystem. On a plain loopback port the claim must be a configured client.
    """

    def __init__(self, node: Node) -> None:
        self.node = node
        self.plain = {c.subsystem for c in node.settings.clients}
        self.tls = node.settings.listen.client_tls

    async def __call__(self, ex: Exchange) -> None:
        claimed = str(ex.client)
        token = ex.token_client
        if token is not None and str(token) != claimed:
            raise InvalidClientIdentifierError(
                f"the bearer token is bound to {token}, but X-Road-Client says {claimed}"
            )
        if self.tls:
            bound = ex.certificate_client or certificate_client(self.node, ex.transport)
            if bound is None:
                if token is None:
                    raise _no_certificate()
                return  # its frontend authenticated it by token, and it claims the token's
            if str(bound) != claimed:
                raise InvalidClientIdentifierError(
                    f"certificate is bound to {bound}, but X-Road-Client says {claimed}"
                )
            return
        peer = ex.transport.get_extra_info("peername") if ex.transport else None
        if not peer or peer[0] not in _LOOPBACK:
            raise AccessDeniedError(
                "plain HTTP clients are accepted from loopback only", origin=CLIENT_PROXY
            )
        if claimed not in self.plain:
            raise InvalidClientIdentifierError(f"{claimed} is not a client of this gateway")


def certificate_client(node: Node, transport: BaseTransport | None) -> ClientId | None:
    """The subsystem the TLS client certificate is bound to; None when none was presented.

    A certificate bound to no subsystem is ``AccessDenied``: it authenticates nobody.
    """
    ssl_object = transport.get_extra_info("ssl_object") if transport is not None else None
    der: bytes | None = ssl_object.getpeercert(binary_form=True) if ssl_object else None
    if der is None:
        return None
    bound = node.client_bindings.get(hashlib.sha256(der).hexdigest())
    if bound is None:
        raise AccessDeniedError(
            "client certificate is not bound to any subsystem", origin=CLIENT_PROXY
        )
    return bound


def require_certificate_client(node: Node, transport: BaseTransport | None) -> ClientId:
    """As :func:`certificate_client`, and ``AccessDenied`` without a certificate.

    For the X-Road routes of a TLS client port, which authenticate a caller before
    they read its request: their callers have certificates, never tokens.
    """
    bound = certificate_client(node, transport)
    if bound is None:
        raise _no_certificate()
    return bound


def _no_certificate() -> AccessDeniedError:
    return AccessDeniedError(
        "no client certificate presented: this client port requires one bound to a "
        "client subsystem",
        origin=CLIENT_PROXY,
    )


def hash_headers(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """The headers the request hash covers: X-Road headers and the hop signature, sorted."""
    return sorted(
        (lower, value)
        for name, value in headers
        if (lower := name.lower()).startswith("x-road-") or lower == "x-xgw-signature"
    )


class SendSigned:
    """Route by the directory, sign the hop request and send it over mutual TLS."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self.pinned = node.keys.pinned  # shared: a rotation of our TLS key resets it

    async def __call__(self, ex: Exchange) -> None:
        assert ex.service is not None and ex.directory is not None
        provider = ex.directory.member(ex.service.provider)
        if provider is None:  # Authorize has checked the service; a metaservice only the member
            raise UnknownServiceError(f"no member {ex.service.provider.member} in the directory")
        if provider.gateway_url is None:
            # A partner without xgw is called in its own protocol (partner_route), never
            # sent a signed hop: it could neither check nor sign one.
            raise UnknownServiceError(
                f"{provider.id} is a partner without xgw, not a gateway", origin=CLIENT_PROXY
            )
        ex.peer = provider
        # A provider whose audit log was rewritten gets nothing (or, in report mode, a note).
        self.node.witness.guard(str(provider.id), CLIENT_PROXY, ex.notes)
        context = self.pinned.context(ex.directory, provider)
        raw_path = f"/r1/{ex.service.wire()}{ex.backend_path}"
        headers = [
            *with_explicit_content_type(_without_tree_head(passed_on_headers(ex.headers)), ex.body),
            *ex.xroad_headers,
        ]
        payload = request_signing_input(ex.method, raw_path, headers, ex.request_digest)
        ex.request_nonce = new_nonce()
        token = self.node.signer.sign(payload, nonce=ex.request_nonce)
        ex.request_signature, ex.request_signed_input = token, payload
        headers.append((SIGNATURE_HEADER, token))
        ex.request_hash = request_hash(ex.method, raw_path, hash_headers(headers), ex.body)
        own_head = self.node.witness.own_head()
        if own_head is not None:  # signed by the schedule, not per exchange: not hop-signed
            headers.append((TREE_HEAD_HEADER, own_head))
        submit_request_record(self.node, ex)
        ex.upstream = await self._send(ex, provider, raw_path, headers, context)

    async def _send(
        self,
        ex: Exchange,
        provider: Member,
        raw_path: str,
        headers: list[tuple[str, str]],
        context: ssl.SSLContext,
    ) -> Reply:
        assert provider.gateway_url is not None
        url = provider.gateway_url.rstrip("/") + raw_path
        where = f"the gateway of {provider.id}"
        return await send_pinned(self.node, ex.method, url, headers, ex.body, context, where)


_TREE_HEAD = TREE_HEAD_HEADER.lower()
_NOT_PASSED_BACK = PRIVATE_HEADERS | {_TREE_HEAD}  # of a peer's answer, to the client


def _without_tree_head(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Only this gateway sends a tree head to its peers, never one its client made up."""
    return [(n, v) for n, v in headers if n.lower() != _TREE_HEAD]


class VerifyResponse:
    """The answer must be signed by the provider and bound to our request's hash."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self.render = xroad_error_renderer(node)

    async def __call__(self, ex: Exchange) -> None:
        reply, directory, provider = ex.upstream, ex.directory, ex.peer
        assert reply is not None and directory is not None and provider is not None
        reply.signature = self._verify_signature(ex, reply, directory, provider)
        self._check_binding(ex, reply, provider)
        # The provider's tree head: checked against the last one in the background.
        self.node.witness.observe(directory, provider, last_header(reply.headers, TREE_HEAD_HEADER))
        forwarded = forwardable_headers(reply.headers)
        reply.headers = [(n, v) for n, v in forwarded if n.lower() not in _NOT_PASSED_BACK]
        ex.response = self._in_our_spelling(ex, reply)

    def _verify_signature(
        self, ex: Exchange, reply: Reply, directory: Directory, provider: Member
    ) -> str:
        token = last_header(reply.headers, SIGNATURE_HEADER)
        if token is None:
            raise InvalidSignatureError(
                "the provider's answer carries no signature", origin=CLIENT_PROXY
            )
        header = unverified_header(token)
        found = directory.signing_key(header["kid"])
        if found is None or found[0].id != provider.id:
            raise InvalidSignatureError(
                f"the answer is not signed by a signing key of {provider.id}", origin=CLIENT_PROXY
            )
        directory.check_certificate(found[1], now_utc())
        if abs(time.time() - header["iat"]) > self.node.replay.window:
            raise StaleMessageError(
                "the answer's signing time is outside the window", origin=CLIENT_PROXY
            )
        payload = response_signing_input(reply.status, reply.headers, reply.body_digest())
        try:
            verify(token, payload, found[1])
        except InvalidSignatureError as exc:
            raise exc.with_origin(CLIENT_PROXY) from None
        ex.response_signed = (token, payload)
        return token

    def _check_binding(self, ex: Exchange, reply: Reply, provider: Member) -> None:
        if last_header(reply.headers, "X-Road-Request-Hash") == ex.request_hash:
            return
        # Even an authentic refusal is not passed on: an old one could stand in for the
        # real answer of a request the provider did execute. Its verdict goes in the message.
        refusal = last_header(reply.headers, "X-Road-Error")
        verdict = f"; {provider.id} answered {refusal}" if refusal else ""
        raise InconsistentResponseError(
            "the answer is bound to another request (X-Road-Request-Hash differs): the request "
            f"or the answer was altered on the way{verdict}",
            origin=CLIENT_PROXY,
        )

    def _in_our_spelling(self, ex: Exchange, reply: Reply) -> Reply:
        """A peer's X-Road error (either spelling), rendered in ours and the client's format."""
        x_road_error = last_header(reply.headers, "X-Road-Error")
        if x_road_error is None:  # not an X-Road error: no need to look for its content type
            return reply
        parsed = parse_error_response(
            reply.body, last_header(reply.headers, "Content-Type"), x_road_error
        )
        if parsed is None:
            return reply
        error_type, message, detail = parsed
        origin, code = parse_error_type(error_type)
        rendered = self.render(ex, GatewayError(message, origin=origin, code=code, detail=detail))
        replaced = {name.lower() for name, _ in rendered.headers}
        kept = [(n, v) for n, v in reply.headers if n.lower() not in replaced]
        return Reply(
            reply.status, rendered.headers + kept, rendered.body, reply.signature, reply.digest
        )
