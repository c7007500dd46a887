"""Calling a partner without xgw in its own protocol (DESIGN.md, client side, step 7).

Usage::

    Pipeline(stages=(..., DecodeClientRequest(node), PartnerRoute(node), SendSigned(node),
                     VerifyResponse(node)), finish=(EncodeClientResponse(node), ...), ...)

When the directory names a partner (a member with ``partner``, docs/directory.md) as the
provider, this stage answers the exchange itself, so the signed hop is skipped:

1. a canonical request (``application/vnd.xgw.canonical+json``) is encoded to the
   service's ``format`` (gateway.stages.translate.encode_native); a bodiless encoding
   (``message/http``, e.g. KvK's GET) is sent as its method and target say, once
   ``backend_request`` has checked that it stays on the service's URL;
2. ``x-road``: REST goes to ``url/r1/{serviceId}[/path]`` with the X-Road headers; SOAP
   to ``url`` with the X-Road SOAP 4.0 header fields filled in (a message that arrived
   with its own X-Road header goes as it is). ``native``: to ``url`` + the service's
   ``address`` (+ the path for REST), as the partner's service expects it;
3. the request's audit record is written before the partner is called; TLS is pinned to
   the partner's listed certificates, our TLS certificate is the client certificate;
4. the answer is verified: ``X-Road-Request-Hash`` and the echoed ``X-Road-Id`` (REST),
   the echoed header fields and ``requestHash`` (SOAP); a SOAP Fault or X-Road error
   becomes a typed error that keeps the partner's X-Road code;
5. an answer to a translated request is decoded back to canonical, so that
   ``EncodeClientResponse`` gives it to the client in its own format.

docs/partner-routes.md describes the protocol choices and where they differ from DESIGN.md.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass

from connectors.base import Envelope, is_http_request
from gateway.directory import XROAD, Member, Service
from gateway.errors import (
    CLIENT,
    SERVER_PROXY,
    BadRequestError,
    ConnectorError,
    PartnerError,
    UnknownServiceError,
)
from gateway.node import Node
from gateway.pipeline import Exchange, Reply
from gateway.stages.client_side import hash_headers
from gateway.stages.common import (
    PRIVATE_HEADERS,
    is_metaservice,
    passed_on_headers,
    send_pinned,
    submit_request_record,
    with_explicit_content_type,
)
from gateway.stages.partner_messages import (
    check_rest_binding,
    check_soap_binding,
    exchange_fields,
    has_xroad_header,
    read_soap_answer,
    with_xroad_header,
)
from gateway.stages.translate import (
    CANONICAL_MEDIA_TYPE,
    BackendRequest,
    backend_request,
    bodiless_headers,
    canonical_of,
    decode_native,
    encode_native,
    is_canonical,
    to_wire,
)
from gateway.xroad_rest import forwardable_headers, last_header, request_hash
from gateway.xroad_soap import SoapRequest, parse_request

__all__ = ["PartnerRoute"]

_OPAQUE = "opaque"
_SOAP_CONTENT_TYPE = "text/xml; charset=utf-8"


@dataclass(slots=True)
class _Payload:
    """The request in the partner's format; ``decode_as``: the format, when we translated."""

    headers: list[tuple[str, str]]
    body: bytes
    decode_as: str | None = None
    bodiless: BackendRequest | None = None  # a message/http encoding: its method and target


@dataclass(slots=True)
class _Outgoing:
    """One request to a partner, as it leaves the gateway."""

    method: str
    url: str
    raw_path: str  # what the REST request hash covers: the path and query as sent
    headers: list[tuple[str, str]]
    body: bytes
    is_soap: bool = False
    soap: SoapRequest | None = None  # an X-Road SOAP request: what its answer must echo
    decode_as: str | None = None  # the format to decode a translated answer from


def _media_type(headers: list[tuple[str, str]]) -> str:
    return last_header(headers, "Content-Type") or "application/octet-stream"


def _with_content_type(headers: list[tuple[str, str]], media_type: str) -> list[tuple[str, str]]:
    return [
        *((n, v) for n, v in headers if n.lower() != "content-type"),
        ("Content-Type", media_type),
    ]


class PartnerRoute:
    """Answers an exchange whose provider is a partner without xgw; others pass through."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self.pinned = node.keys.pinned  # shared: a rotation of our TLS key resets it

    async def __call__(self, ex: Exchange) -> None:
        assert ex.service is not None and ex.directory is not None and ex.client is not None
        provider = ex.directory.member(ex.service.provider)
        if provider is None or provider.partner is None:
            return  # a gateway member: the signed hop (SendSigned)
        ex.peer = provider
        service = ex.directory.service(ex.service)  # None for a metaservice
        context = self.pinned.context(ex.directory, provider)  # nothing leaves unpinned
        outgoing = await self._outgoing(ex, provider, service)
        submit_request_record(self.node, ex)  # before the partner acts, as for the signed hop
        ex.upstream = await self._send(provider, outgoing, context)
        ex.response = await self._answer(ex, provider, outgoing, ex.upstream)

    # -- the request ----------------------------------------------------------

    async def _outgoing(self, ex: Exchange, provider: Member, service: Service | None) -> _Outgoing:
        assert provider.partner is not None and ex.service is not None
        if service is None and (provider.partner.protocol != XROAD or not is_metaservice(ex)):
            raise UnknownServiceError(f"{ex.service} is not a service of {provider.id}")
        payload = await self._payload(ex, service)
        if service is None or service.type == "REST":
            return self._rest(ex, provider, service, payload)
        return self._soap(ex, provider, service, payload)

    async def _payload(self, ex: Exchange, service: Service | None) -> _Payload:
        """The request in the partner's format."""
        name = service.format if service is not None else _OPAQUE
        if name == _OPAQUE or not is_canonical(_media_type(ex.headers)):
            return _Payload(ex.headers, ex.body)
        try:
            envelope = canonical_of(ex.body, ex.canonical_body)
            body, media_type, encoded_lost = await encode_native(self.node, name, envelope)
            lost = list(encoded_lost)
            bodiless = None
            if is_http_request(media_type):
                if service is not None and service.type != "REST":
                    raise ConnectorError(
                        f"{name}: message/http: {service.id} is a {service.type} service, "
                        "called with a message, not a bodiless request"
                    )
                bodiless = backend_request(body, name)
                lost += bodiless.notes
        except ConnectorError as exc:
            raise exc.with_origin(CLIENT) from None  # the caller's document does not fit
        if not ex.translated:  # notes of a decode at this edge are in ex.notes already
            ex.notes.extend(envelope.notes)
        ex.notes.extend(lost)
        ex.translated = True
        if bodiless is not None:
            return _Payload(bodiless_headers(ex.headers, bodiless), b"", name, bodiless)
        return _Payload(_with_content_type(ex.headers, media_type), body, name)

    def _rest(
        self, ex: Exchange, provider: Member, service: Service | None, payload: _Payload
    ) -> _Outgoing:
        assert provider.partner is not None and ex.service is not None
        body = payload.body
        sent = with_explicit_content_type(passed_on_headers(payload.headers), body)
        method, target = ex.method, ex.backend_path
        if payload.bodiless is not None:  # the encoding's own method and path, on the service
            method, target = payload.bodiless.method, payload.bodiless.target
        base = provider.partner.url.rstrip("/")
        if provider.partner.protocol == XROAD:
            raw_path = f"/r1/{ex.service.wire()}{target}"
            sent += ex.xroad_headers
        else:  # a native REST service knows nothing of X-Road headers
            address = service.address if service is not None and service.address else ""
            raw_path = f"{address}{target}"
        decode_as = payload.decode_as
        return _Outgoing(method, base + raw_path, raw_path, sent, body, decode_as=decode_as)

    def _soap(
        self, ex: Exchange, provider: Member, service: Service, payload: _Payload
    ) -> _Outgoing:
        assert provider.partner is not None
        headers, body, decode_as = payload.headers, payload.body, payload.decode_as
        if ex.method != "POST" or ex.backend_path.partition("?")[0]:
            raise BadRequestError(
                f"SOAP service {service.id} is called with POST on the service itself, "
                f"not {ex.method} {ex.backend_path or '/'}"
            )
        media_type = _media_type(headers)
        sent = [
            ("Content-Type", media_type),
            ("SOAPAction", last_header(headers, "SOAPAction") or '""'),
        ]
        url = provider.partner.url
        if provider.partner.protocol != XROAD:
            if service.address:
                url = url.rstrip("/") + service.address
            return _Outgoing("POST", url, "", sent, body, True, decode_as=decode_as)
        if decode_as is not None or not has_xroad_header(body, media_type):
            body = with_xroad_header(body, exchange_fields(ex, service))
            media_type = _SOAP_CONTENT_TYPE
            sent[0] = ("Content-Type", media_type)
        soap = parse_request(body, media_type)  # ours checked as a security server would
        self._check_own_header(ex, soap)
        return _Outgoing("POST", url, "", sent, body, True, soap, decode_as)

    @staticmethod
    def _check_own_header(ex: Exchange, soap: SoapRequest) -> None:
        """A message's own X-Road header must name the authenticated client and this exchange."""
        fields = soap.headers
        if (fields.client, fields.service, fields.id) != (ex.client, ex.service, ex.id):
            raise BadRequestError(
                "the SOAP header names another client, service or id than the request "
                f"({fields.client}, {fields.service}, {fields.id})",
                code="InconsistentHeaders",
            )

    # -- the call -------------------------------------------------------------

    async def _send(self, provider: Member, out: _Outgoing, context: ssl.SSLContext) -> Reply:
        assert provider.partner is not None
        where = f"{provider.id} ({provider.partner.protocol})"
        return await send_pinned(
            self.node, out.method, out.url, out.headers, out.body, context, where
        )

    # -- the answer -----------------------------------------------------------

    async def _answer(self, ex: Exchange, provider: Member, out: _Outgoing, reply: Reply) -> Reply:
        media_type = _media_type(reply.headers)
        if out.is_soap:
            # A SOAP Fault is raised as a typed error before anything else is looked at.
            answer = read_soap_answer(reply.body, media_type, provider.id)
            if out.soap is not None:
                check_soap_binding(out.soap, answer, provider.id)
            if reply.status != 200:
                raise PartnerError(
                    f"{provider.id} answered HTTP {reply.status} without a SOAP Fault"
                )
        elif provider.partner is not None and provider.partner.protocol == XROAD:
            self._check_rest(ex, provider, out, reply)
        headers = [
            (n, v)
            for n, v in forwardable_headers(reply.headers)
            if n.lower() not in PRIVATE_HEADERS
        ]
        # The partner's own errors (4xx, 5xx) pass as they are: they are its verdict.
        if out.decode_as is None or reply.status >= 300:
            return Reply(reply.status, headers, reply.body)
        envelope = await self._decode(out.decode_as, reply.body, media_type)
        ex.notes.extend(envelope.notes)
        return Reply(
            reply.status, _with_content_type(headers, CANONICAL_MEDIA_TYPE), to_wire(envelope)
        )

    @staticmethod
    def _check_rest(ex: Exchange, provider: Member, out: _Outgoing, reply: Reply) -> None:
        assert ex.client is not None and ex.service is not None and provider.partner is not None
        refusal = check_rest_binding(
            reply.headers,
            reply.body,
            expected_hash=(
                request_hash(out.method, out.raw_path, hash_headers(out.headers), out.body)
                if provider.partner.request_hash == "xgw"
                else None  # a real security server's: present and well-formed only
            ),
            exchange_id=ex.id,
            client=ex.client,
            service=ex.service,
            partner=provider.id,
        )
        if refusal is not None:
            raise refusal

    async def _decode(self, name: str, body: bytes, media_type: str) -> Envelope:
        try:
            return await decode_native(self.node, name, body, media_type)
        except ConnectorError as exc:
            raise exc.with_origin(SERVER_PROXY) from None  # the partner's answer failed
