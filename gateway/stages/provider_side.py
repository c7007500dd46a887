"""The provider's gateway: identify the peer, verify, refuse replays, call the backend, sign.

Usage::

    Pipeline(stages=(IdentifyPeer(node), ParseRequest(node), VerifyRequest(node),
                     Authorize(node, ...), AnswerMetaservice(node), CallBackend(node)),
             finish=(SignResponse(node), AuditExchange(node)), ...)

Nothing reaches a backend before the peer's certificate, the message signature,
its freshness and its nonce have been checked, and access has been granted.
"""

from __future__ import annotations

import uuid
from urllib.parse import parse_qsl

import aiohttp
from yarl import URL

from gateway._crypto import now_utc
from gateway.audit.witness import TREE_HEAD_HEADER
from gateway.directory import Directory, Member
from gateway.errors import (
    SERVER_PROXY,
    AccessDeniedError,
    BadRequestError,
    CertValidationError,
    InvalidClientIdentifierError,
    InvalidSignatureError,
    NetworkError,
    UnknownServiceError,
)
from gateway.identifiers import ServiceId
from gateway.node import Node
from gateway.pipeline import Exchange, Reply
from gateway.signing import (
    SIGNATURE_HEADER,
    request_signing_input,
    response_signing_input,
    unverified_header,
    verify,
)
from gateway.stages.client_side import hash_headers
from gateway.stages.common import (
    is_metaservice,
    passed_on_headers,
    read_limited,
    submit_request_record,
    with_explicit_content_type,
)
from gateway.stages.translate import is_canonical
from gateway.trust import FORWARDED_CERT_HEADER, peer_certificate
from gateway.xroad_rest import (
    forwardable_headers,
    last_header,
    request_hash,
    rest_service_list_json,
)
from gateway.xroad_soap import SoapRequest, parse_request
from gateway.xroad_soap.metaservices import (
    ANSWER_CONTENT_TYPE,
    SERVICE_LISTS,
    is_soap_media_type,
    service_list_answer,
    wsdl_answer,
    wsdl_request_fields,
)

__all__ = [
    "AnswerMetaservice",
    "CallBackend",
    "IdentifyPeer",
    "SignResponse",
    "VerifyRequest",
    "sign_reply",
]


class IdentifyPeer:
    """The TLS peer (or what a trusted TLS terminator forwarded) must be a listed member."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self.trusted_proxies = frozenset(node.settings.security.trusted_proxies)

    async def __call__(self, ex: Exchange) -> None:
        ex.directory = self.node.directory.current()
        der = peer_certificate(ex.transport, self.trusted_proxies, _headers(ex))
        ex.peer = self.node.peers.identify(ex.directory, der)


_FORWARDED_CERT = FORWARDED_CERT_HEADER.lower()


def _headers(ex: Exchange) -> dict[str, str]:
    values = [v for n, v in ex.headers if n.lower() == _FORWARDED_CERT]
    if len(values) > 1:  # which one would the proxy have meant? Neither.
        raise CertValidationError(
            f"more than one {FORWARDED_CERT_HEADER} header", origin=SERVER_PROXY
        )
    return {FORWARDED_CERT_HEADER: values[0]} if values else {}


class VerifyRequest:
    """Signature by the peer's own signing key, fresh signing time, unseen nonce."""

    def __init__(self, node: Node) -> None:
        self.node = node

    async def __call__(self, ex: Exchange) -> None:
        directory, peer, client = ex.directory, ex.peer, ex.client
        assert directory is not None and peer is not None and client is not None
        if client.member != peer.id:
            raise InvalidClientIdentifierError(
                f"{peer.id}'s gateway may not send as {client}", origin=SERVER_PROXY
            )
        token = last_header(ex.headers, SIGNATURE_HEADER)
        if token is None:
            raise InvalidSignatureError(
                f"request carries no {SIGNATURE_HEADER} header", origin=SERVER_PROXY
            )
        header = unverified_header(token)
        found = directory.signing_key(header["kid"])
        if found is None or found[0].id != peer.id:
            raise InvalidSignatureError(
                f"the request is not signed by a signing key of {peer.id}", origin=SERVER_PROXY
            )
        directory.check_certificate(found[1], now_utc())
        payload = request_signing_input(ex.method, ex.raw_path, ex.headers, ex.request_digest)
        verify(token, payload, found[1])
        # Only a verified message may spend a nonce: a forged one must not block the real one.
        await self.node.replay.admit(header["nonce"], header["iat"])
        ex.request_signature, ex.request_nonce = token, header["nonce"]
        ex.request_signed_input = payload
        self._witness(ex, directory, peer)

    def _witness(self, ex: Exchange, directory: Directory, peer: Member) -> None:
        """Refuse a peer whose audit log was rewritten; take its tree head to be checked.

        The head is no backend's business: it is taken off the request here.
        """
        self.node.witness.guard(str(peer.id), SERVER_PROXY, ex.notes)
        heads = [v for n, v in ex.headers if n.lower() == _TREE_HEAD]
        if heads:
            ex.headers = [(n, v) for n, v in ex.headers if n.lower() != _TREE_HEAD]
            self.node.witness.observe(directory, peer, heads[-1])


_TREE_HEAD = TREE_HEAD_HEADER.lower()


class AnswerMetaservice:
    """The metaservices of a provider subsystem, answered here from the directory.

    PR-MREST's ``listMethods``, ``allowedMethods`` and ``getOpenAPI`` for a REST call;
    PR-META's ``listMethods``, ``allowedMethods`` and ``getWsdl`` for an X-Road SOAP
    message (a POST with a SOAP content type), answered in SOAP.
    """

    def __init__(self, node: Node) -> None:
        self.node = node
        self.openapi = {
            (s.subsystem, s.code): s.openapi
            for s in node.settings.services
            if s.openapi is not None
        }

    async def __call__(self, ex: Exchange) -> None:
        assert ex.service is not None and ex.client is not None and ex.directory is not None
        name = ex.service.code
        if not is_metaservice(ex):
            return
        if ex.method == "POST" and is_soap_media_type(last_header(ex.headers, "Content-Type")):
            ex.response = self._soap(ex)
            return
        if name == "getWsdl":
            raise UnknownServiceError("getWsdl is a SOAP metaservice: send it as X-Road SOAP")
        provider = ex.service.provider
        services = ex.directory.services_of(provider)
        if name == "getOpenAPI":
            ex.response = self._openapi(ex, provider.subsystem or "")
            return
        listed = []
        for service in services:
            endpoints = (
                service.endpoints
                if name == "listMethods"
                else ex.directory.allowed_endpoints(ex.client, service.id)
            )
            if name == "allowedMethods" and not endpoints:
                continue
            listed.append((service.id, service.type, [(e.method, e.path) for e in endpoints]))
        ex.response = Reply(
            200,
            [("Content-Type", "application/json;charset=utf-8")],
            rest_service_list_json(listed),
        )

    def _openapi(self, ex: Exchange, subsystem: str) -> Reply:
        code = dict(_query(ex.backend_path)).get("serviceCode")
        assert ex.directory is not None and ex.service is not None
        if code is None:
            raise UnknownServiceError("getOpenAPI needs the serviceCode query parameter")
        path = self.openapi.get((subsystem, code))
        if path is not None:
            document = path.read_bytes()
        else:
            service = next(
                (s for s in ex.directory.services_of(ex.service.provider) if s.id.code == code),
                None,
            )
            if service is None or not service.openapi:
                raise UnknownServiceError(f"no OpenAPI description for service {code!r}")
            document = service.openapi.encode("utf-8")
        kind = "application/json" if document.lstrip()[:1] in (b"{", b"[") else "text/yaml"
        return Reply(200, [("Content-Type", f"{kind};charset=utf-8")], document)

    def _soap(self, ex: Exchange) -> Reply:
        """PR-META's SOAP metaservices; the answer echoes the request's header fields."""
        assert ex.service is not None and ex.client is not None and ex.directory is not None
        request = parse_request(ex.body, last_header(ex.headers, "Content-Type") or "")
        # The SOAP header is what the client's gateway signed the hop from: they must agree.
        if request.headers.client != ex.client or request.headers.service != ex.service:
            raise BadRequestError(
                f"the SOAP header names {request.headers.client} calling "
                f"{request.headers.service}, the request {ex.client} calling {ex.service}",
                code="InconsistentHeaders",
            )
        name = ex.service.code
        if name in SERVICE_LISTS:
            services = [
                s.id
                for s in ex.directory.services_of(ex.service.provider)
                if s.type == "SOAP"
                and (name == "listMethods" or ex.directory.is_allowed(ex.client, s.id, "POST", "/"))
            ]
            body = service_list_answer(request, name, services)
            return Reply(200, [("Content-Type", ANSWER_CONTENT_TYPE)], body)
        if name == "getWsdl":
            body, content_type = self._wsdl(ex, request)
            return Reply(200, [("Content-Type", content_type)], body)
        raise UnknownServiceError(f"{name} is a REST metaservice: call it as X-Road REST")

    def _wsdl(self, ex: Exchange, request: SoapRequest) -> tuple[bytes, str]:
        """``getWsdl``: only for a SOAP service the caller may call, with a WSDL configured."""
        assert ex.service is not None and ex.client is not None and ex.directory is not None
        code, version = wsdl_request_fields(request)
        provider = ex.service.provider
        wanted = ServiceId(provider, code)
        service = ex.directory.service(wanted)
        if service is None:
            raise UnknownServiceError(f"service {wanted} is not in the directory")
        if service.type != "SOAP":
            raise BadRequestError(
                f"{wanted} is a {service.type} service and has no WSDL", code="ServiceType"
            )
        # Stricter than a security server (which hands out any WSDL it knows): deny by default.
        if not ex.directory.is_allowed(ex.client, wanted, "POST", "/"):
            raise AccessDeniedError(
                f"{ex.client} may not call {wanted}, nor read its WSDL", origin=SERVER_PROXY
            )
        wsdl = None
        if provider.member == self.node.member:
            wsdl = self.node.wsdls.get((provider.subsystem or "", code))
        if wsdl is None:
            raise UnknownServiceError(f"no WSDL is configured for {wanted}")
        return wsdl_answer(request, code, version, wsdl)


def _query(path_and_query: str) -> list[tuple[str, str]]:
    return parse_qsl(path_and_query.partition("?")[2])


class CheckSoapHeader:
    """A SOAP message for a SOAP service must name, in its own X-Road header, the client and
    the service the signed hop names: a producer trusts those header fields, and a client
    could otherwise post, through X-Road REST, an envelope that speaks for another client."""

    async def __call__(self, ex: Exchange) -> None:
        assert ex.service is not None and ex.directory is not None
        service = ex.directory.service(ex.service)
        media_type = last_header(ex.headers, "Content-Type") or ""
        if service is None or service.type != "SOAP" or is_canonical(media_type):
            return  # a canonical document gets its header from this gateway's encoder
        fields = parse_request(ex.body, media_type).headers
        if (fields.client, fields.service) != (ex.client, ex.service):
            raise BadRequestError(
                f"the SOAP header names {fields.client} calling {fields.service}, "
                f"the request {ex.client} calling {ex.service}",
                code="InconsistentHeaders",
            )


class CallBackend:
    """Pass the request to the local backend; no redirects followed, a timeout is a NetworkError.

    A translated request goes as its encoding says: its body and headers, and for a
    bodiless one (``message/http``) its method and its target below the backend's URL.
    """

    def __init__(self, node: Node) -> None:
        self.node = node

    async def __call__(self, ex: Exchange) -> None:
        assert ex.service is not None
        backend = None
        if ex.service.provider.member == self.node.member:
            backend = self.node.backends.get((ex.service.provider.subsystem or "", ex.service.code))
        if backend is None:
            raise UnknownServiceError(
                f"{ex.service} is not provided by this gateway", origin=SERVER_PROXY
            )
        # Durable before the backend acts: a request it executed is never missing from the log.
        await submit_request_record(self.node, ex)
        sent = ex.backend_headers if ex.backend_headers is not None else ex.headers
        headers = [*passed_on_headers(sent), *ex.xroad_headers]
        body = ex.backend_body if ex.backend_body is not None else ex.body
        method = ex.backend_method or ex.method
        target = ex.backend_target if ex.backend_target is not None else ex.backend_path
        url = URL(backend.rstrip("/") + target, encoded=True)
        limit = self.node.settings.security.max_response_bytes
        try:
            async with self.node.backend_session.request(
                method, url, headers=headers, data=body or None, allow_redirects=False
            ) as response:
                body = await read_limited(response, limit, f"the answer of {ex.service}'s backend")
                ex.response = Reply(
                    response.status, forwardable_headers(response.headers.items()), body
                )
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise NetworkError(
                f"the backend of {ex.service} failed: {type(exc).__name__}: {exc}".rstrip(": "),
                origin=SERVER_PROXY,
            ) from exc


class SignResponse:
    """Every answer, refusals included, carries the X-Road headers and our signature."""

    def __init__(self, node: Node) -> None:
        self.node = node

    async def __call__(self, ex: Exchange) -> None:
        assert ex.response is not None
        if ex.response.signature is None:  # refusals were signed when they were rendered
            sign_reply(self.node, ex, ex.response)


def sign_reply(node: Node, ex: Exchange, reply: Reply) -> Reply:
    """Add the X-Road response headers and sign status, X-Road headers and body digest."""
    reply.headers = [
        (n, v)
        for n, v in reply.headers
        if not (lower := n.lower()).startswith("x-road-") or lower == "x-road-error"
    ]
    if ex.client is not None:
        reply.headers.append(("X-Road-Client", str(ex.client)))
    if ex.service is not None:
        reply.headers.append(("X-Road-Service", str(ex.service)))
    reply.headers += [("X-Road-Id", ex.id or ""), ("X-Road-Request-Id", str(uuid.uuid4()))]
    # Refusals too are bound to the request as it arrived, so the caller can trust them.
    if ex.request_hash is None:
        ex.request_hash = request_hash(ex.method, ex.raw_path, hash_headers(ex.headers), ex.body)
    reply.headers.append(("X-Road-Request-Hash", ex.request_hash))
    with_explicit_content_type(reply.headers, reply.body)
    payload = response_signing_input(reply.status, reply.headers, reply.body_digest())
    reply.signature = node.signer.sign(payload)
    ex.response_signed = (reply.signature, payload)
    reply.headers.append((SIGNATURE_HEADER, reply.signature))
    own_head = node.witness.own_head()
    if own_head is not None and ex.peer is not None:  # for members' gateways only
        reply.headers.append((TREE_HEAD_HEADER, own_head))
    return reply
