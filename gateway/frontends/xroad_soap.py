"""The X-Road SOAP frontend: X-Road client systems POST SOAP 4.0 messages to the client port.

Usage::

    add_routes(app, node, client_side_pipeline(node))
    # POST / (or any other path: HTTP-proxy mode) and GET /wsdl?... on the client port

A SOAP request is parsed and checked (``gateway.xroad_soap``), then runs through
the same client-side pipeline as an X-Road REST call to that service: the SOAP
message crosses the signed hop as it is, the provider's gateway posts it to the
backend (or answers a metaservice, ``listMethods``, ``allowedMethods``,
``getWsdl``, itself), and the answer comes back with the request's X-Road headers
echoed and ``requestHash`` added. Every refusal, ours or a peer's, is a SOAP Fault
with X-Road's fault code.

Routing is by the SOAP message's X-Road headers, never by the URL: a client
library that uses xgw as its HTTP proxy sends ``POST http://host/path`` (absolute
form) and any path will do. CONNECT is never answered with a tunnel.

``GET /wsdl?xRoadInstance=..&memberClass=..&memberCode=..&subsystemCode=..&serviceCode=..
[&version=..]`` fetches a service's WSDL from the provider's gateway with the
``getWsdl`` metaservice and returns it with every ``soap:address`` pointing at the
address this request reached xgw under. The caller is the subsystem its
``X-Road-Client`` header names, else the one its client certificate is bound to,
else (plain loopback, development) the only configured client.

On a TLS client port both routes refuse a caller without a client certificate bound
to a subsystem (``Server.ClientProxy.AccessDenied``) before they read its request:
X-Road callers authenticate by certificate, never by token.
"""

from __future__ import annotations

import re
import uuid

from aiohttp import web
from multidict import MultiMapping
from yarl import URL

from gateway.bodies import read_bounded
from gateway.errors import (
    BadRequestError,
    BodyTooLargeError,
    GatewayError,
    InvalidBodyError,
    MissingHeaderError,
    PartnerError,
    UnknownServiceError,
    parse_error_type,
)
from gateway.frontends.xroad_rest import Handler
from gateway.identifiers import ClientId, ServiceId
from gateway.node import Node
from gateway.pipeline import Exchange, Pipeline, Reply
from gateway.stages.client_side import require_certificate_client
from gateway.stages.translate import TRANSLATION_NOTES_HEADER
from gateway.xroad_rest import last_header, parse_error_response
from gateway.xroad_soap import (
    FAULT_CONTENT_TYPE,
    SoapRequest,
    check_soap_action,
    fault,
    parse_request,
    response_with_echoed_headers,
)
from gateway.xroad_soap.metaservices import (
    SOAP_METASERVICES,
    wsdl_from_answer,
    wsdl_request,
)
from gateway.xroad_soap.wsdl import with_endpoint

__all__ = ["WSDL_PATH", "add_routes"]

WSDL_PATH = "/wsdl"
_REQUEST_TYPE = "text/xml; charset=utf-8"
# The query of GET /wsdl, as a security server takes it; subsystemCode is required in
# xgw, whose services all belong to subsystems.
_WSDL_QUERY = ("xRoadInstance", "memberClass", "memberCode", "subsystemCode", "serviceCode")
_VERSION = re.compile(r"[A-Za-z0-9'()+,\-.=?_]+")
_ORIGIN = re.compile(r"https?://(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")


def add_routes(app: web.Application, node: Node, pipeline: Pipeline) -> None:
    soap = _handler(node, pipeline)
    app.router.add_post("/", soap)
    app.router.add_get(WSDL_PATH, _wsdl_handler(node, pipeline))
    # HTTP-proxy mode and clients configured with a path: routes added before this one
    # (X-Road REST's /r1/...) keep theirs; every other POST is a SOAP message.
    app.router.add_post("/{path:.*}", soap)


def _handler(node: Node, pipeline: Pipeline) -> Handler:
    limit = node.settings.security.max_body_bytes
    snake = node.snake_errors
    tls = node.settings.listen.client_tls

    async def soap(request: web.Request) -> web.StreamResponse:
        try:
            if tls:  # a caller without a bound certificate gets nothing parsed
                require_certificate_client(node, request.transport)
            body = await read_bounded(
                request.content, request.content_length, limit, "request body", BodyTooLargeError
            )
            action = request.headers.get("SOAPAction")
            check_soap_action(action)
            message = parse_request(body, request.headers.get("Content-Type", ""))
            _check_provider(message.headers.service)
        except web.RequestPayloadError as exc:
            return _fault(InvalidBodyError(f"request body cannot be read: {exc}"), snake)
        except GatewayError as exc:
            return _fault(exc, snake)
        reply = await pipeline.run(_exchange(message, request, action))
        refusal = _refusal(reply)
        if refusal is not None:
            return _fault(refusal, snake)
        try:
            answer, content_type = response_with_echoed_headers(
                message, reply.body, last_header(reply.headers, "Content-Type") or "text/xml"
            )
        except GatewayError as exc:
            return _fault(exc, snake)
        headers = {"Content-Type": content_type}
        notes = last_header(reply.headers, TRANSLATION_NOTES_HEADER)
        if notes:
            headers[TRANSLATION_NOTES_HEADER] = notes
        return web.Response(status=reply.status, body=answer, headers=headers)

    return soap


def _check_provider(service: ServiceId) -> None:
    if service.provider.subsystem is None:
        raise UnknownServiceError(
            f"{service} names no subsystem; every service xgw reaches belongs to one"
        )


def _exchange(message: SoapRequest, request: web.Request, action: str | None) -> Exchange:
    """The SOAP call as an exchange with that service: the same checks as a REST call."""
    fields = message.headers
    # Only the fields an HTTP header holds exactly (an empty id gets a fresh exchange id,
    # a multi-line issue stays in the message): the SOAP message carries them all, signed.
    headers = [*fields.rest_headers(), ("Content-Type", message.content_type)]
    if action is not None:
        headers.append(("SOAPAction", action))
    metaservice = fields.service.code in SOAP_METASERVICES
    return Exchange(
        direction="outbound",
        method="POST",
        raw_path=f"/r1/{fields.service.wire()}",
        headers=headers,
        body=message.body,
        transport=request.transport,
        # A metaservice message is X-Road's own: no client's connector reads it.
        client_format="opaque" if metaservice else None,
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


# ------------------------------------------------------------------------------ GET /wsdl


def _wsdl_handler(node: Node, pipeline: Pipeline) -> Handler:
    """A service's WSDL, fetched with ``getWsdl``; refusals are SOAP Faults, as upstream's."""
    snake = node.snake_errors

    async def wsdl(request: web.Request) -> web.StreamResponse:
        try:
            bound = _certificate_first(node, request)
            service, version = _wanted_service(request.query)
            client = _asking_client(node, request, bound)
            question = wsdl_request(
                client, service.provider, service.code, version, str(uuid.uuid4())
            )
            message = parse_request(question, _REQUEST_TYPE)
        except GatewayError as exc:
            return _fault(exc, snake)
        reply = await pipeline.run(_exchange(message, request, None))
        refusal = _refusal(reply)
        if refusal is not None:
            return _fault(refusal, snake)
        try:
            document, content_type = wsdl_from_answer(
                reply.body, last_header(reply.headers, "Content-Type") or ""
            )
            served = with_endpoint(document, _own_address(request))
        except ValueError as exc:
            unusable = PartnerError(f"the provider's WSDL is unusable: {exc}", code="ServiceFailed")
            return _fault(unusable, snake)
        except GatewayError as exc:
            return _fault(exc, snake)
        return web.Response(body=served, headers={"Content-Type": content_type})

    return wsdl


def _invalid_request(message: str) -> GatewayError:
    return BadRequestError(message, code="InvalidRequest")


def _wanted_service(query: MultiMapping[str]) -> tuple[ServiceId, str | None]:
    """The service of ``/wsdl``'s query; ``Client.InvalidRequest`` as a security server says."""
    parts = []
    for name in (*_WSDL_QUERY, "version"):
        values = query.getall(name, [])
        if len(values) > 1:
            raise _invalid_request(f"query parameter {name} is given {len(values)} times")
        value = values[0].strip() if values else ""
        if not value and name != "version":
            raise _invalid_request(f"must specify {name}")
        if "/" in value and name != "serviceCode":
            raise _invalid_request(f"invalid {name} {value!r}")
        parts.append(value)
    try:
        service = ServiceId.parse("/".join(parts[:5]))
    except GatewayError as exc:
        raise _invalid_request(exc.message) from None
    version = parts[5] or None
    if version is not None and not _VERSION.fullmatch(version):
        raise _invalid_request(f"invalid version {version!r}")
    return service, version


def _certificate_first(node: Node, request: web.Request) -> ClientId | None:
    """On a TLS client port, the subsystem of the caller's bound certificate; else None.

    ``AccessDenied`` without one, before anything of the request is read.
    """
    if not node.settings.listen.client_tls:
        return None
    return require_certificate_client(node, request.transport)


def _asking_client(node: Node, request: web.Request, bound: ClientId | None) -> ClientId:
    """Who asks: ``X-Road-Client``, else the certificate's subsystem, else the only client.

    AuthenticateClient checks the claim in the pipeline as for any other call.
    """
    claimed = request.headers.get("X-Road-Client")
    if claimed is not None:
        return ClientId.parse(claimed)
    if bound is not None:
        return bound
    clients = node.settings.clients
    if len(clients) != 1:
        raise MissingHeaderError(
            f"this gateway has {len(clients)} clients: name yours in the X-Road-Client header"
        )
    return ClientId.parse(clients[0].subsystem)


def _own_address(request: web.Request) -> str:
    """Where the caller reached xgw: the SOAP address its calls are to go to.

    The request's own origin: our scheme and the ``Host`` the client sent; or, in
    HTTP-proxy mode (an absolute request target), the origin it asked for, which its
    next calls reach through the same proxy. Without a usable host, our socket's.
    """
    try:
        if not request.raw_path.startswith("/"):
            origin = URL(request.raw_path).origin()
        elif "Host" in request.headers:
            origin = URL.build(scheme=request.scheme, authority=request.headers["Host"]).origin()
        else:
            return _socket_address(request)
    except ValueError:
        return _socket_address(request)
    if not _ORIGIN.fullmatch(str(origin)):  # a Host header that names no host
        return _socket_address(request)
    return f"{origin}/"


def _socket_address(request: web.Request) -> str:
    sockname = request.transport.get_extra_info("sockname") if request.transport else None
    host, port = (str(sockname[0]), int(sockname[1])) if sockname else ("127.0.0.1", 0)
    scheme = "https" if request.secure else "http"
    host_text = f"[{host}]" if ":" in host else host
    return f"{scheme}://{host_text}:{port}/"
