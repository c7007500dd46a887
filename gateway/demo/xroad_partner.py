"""An imitation of a partner's X-Road security server (provider side), for the demo and tests.

Usage::

    async def detailandmed(request: SoapRequest) -> ServiceAnswer:   # the provider's system
        return ServiceAnswer(200, answer_xml, "text/xml; charset=utf-8")

    app = xroad_partner_app(
        soap={"EE/GOV/70000310/ariregister/detailandmed_v2": detailandmed},
        rest={"EE/GOV/70008440/rr/domesticDataExchange": isikud},
    )
    # serve it over TLS (pinned by the gateways); app[RECEIVED] lists what arrived

What an xgw gateway meets when it calls a partner without xgw through the partner's X-Road
security server (docs/partner-routes.md), condensed into one process:

- REST (``/r1/{serviceId}[/path]``): ``X-Road-Client`` is required; the handler's answer
  gets ``X-Road-Client``, ``X-Road-Service``, ``X-Road-Id`` (the request's, or a new one),
  ``X-Road-Request-Id`` and ``X-Road-Request-Hash``, DESIGN.md's hash over the method, the
  raw path and query, the ``x-road-*`` headers as received (sorted) and the body.
- SOAP 4.0 (``POST /``): the request is checked as a security server checks it
  (``gateway.xroad_soap.parse_request``); the answer gets the request's header fields
  echoed and ``requestHash``, the SHA-512 of the request's SOAP part (PR-MESS). A handler's
  SOAP Fault passes as it is.
- Refusals are X-Road's: error JSON with ``X-Road-Error`` (REST), a SOAP Fault (SOAP). A
  handler may raise a :class:`~gateway.errors.GatewayError` to refuse.

It is not a security server: no signatures, time stamps, OCSP or message log, and no
access rights of its own (the TLS context it is served with decides who may connect).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass

from aiohttp import web
from aiohttp.typedefs import Middleware

from gateway.errors import (
    SERVER_PROXY,
    GatewayError,
    MissingHeaderError,
    UnknownServiceError,
)
from gateway.identifiers import ClientId, ServiceId, split_service_path
from gateway.stages.client_side import hash_headers
from gateway.xroad_rest import error_body, error_headers, request_hash
from gateway.xroad_soap import (
    FAULT_CONTENT_TYPE,
    SoapRequest,
    check_soap_action,
    fault,
    parse_request,
    response_with_echoed_headers,
)

__all__ = [
    "RECEIVED",
    "ReceivedRequest",
    "RestCall",
    "RestHandler",
    "ServiceAnswer",
    "SoapHandler",
    "xroad_partner_app",
]


@dataclass(frozen=True, slots=True)
class ServiceAnswer:
    """What the provider's information system answers."""

    status: int
    body: bytes
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class RestCall:
    """An X-Road REST request as the provider's information system gets it."""

    client: ClientId
    service: ServiceId
    method: str
    path: str  # what follows the service id, raw, with the query
    headers: tuple[tuple[str, str], ...]
    body: bytes
    exchange_id: str


@dataclass(frozen=True, slots=True)
class ReceivedRequest:
    """One request as it reached the security server, byte for byte."""

    method: str
    path: str  # raw, with the query
    headers: tuple[tuple[str, str], ...]
    body: bytes
    client_certificate: bytes | None  # DER of the TLS client certificate, if any


RestHandler = Callable[[RestCall], Awaitable[ServiceAnswer]]
SoapHandler = Callable[[SoapRequest], Awaitable[ServiceAnswer]]

RECEIVED = web.AppKey("received", list[ReceivedRequest])
_R1 = "/r1/"


def _client_certificate(request: web.Request) -> bytes | None:
    ssl_object = request.transport.get_extra_info("ssl_object") if request.transport else None
    if ssl_object is None:
        return None
    der: bytes | None = ssl_object.getpeercert(binary_form=True)
    return der


@web.middleware
async def _record(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    request.app[RECEIVED].append(
        ReceivedRequest(
            request.method,
            request.raw_path,
            tuple(request.headers.items()),
            await request.read(),
            _client_certificate(request),
        )
    )
    return await handler(request)


def _rest_error(request: web.Request, error: GatewayError) -> web.Response:
    body, content_type = error_body(error, accept=request.headers.get("Accept"))
    return web.Response(
        status=error.http_status,
        body=body,
        headers={"Content-Type": content_type, **error_headers(error)},
    )


def _soap_fault(error: GatewayError) -> web.Response:
    return web.Response(status=500, body=fault(error), headers={"Content-Type": FAULT_CONTENT_TYPE})


def _rest_endpoint(
    handlers: Mapping[str, RestHandler],
) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def rest(request: web.Request) -> web.Response:
        body = await request.read()
        try:
            path, sep, query = request.raw_path[len(_R1) :].partition("?")
            service, rest_path = split_service_path(path)
            client_header = request.headers.get("X-Road-Client")
            if client_header is None:
                raise MissingHeaderError("the X-Road-Client header is required")
            client = ClientId.parse(client_header)
            handler = handlers.get(str(service))
            if handler is None:
                raise UnknownServiceError(f"unknown service {service}", origin=SERVER_PROXY)
            exchange_id = request.headers.get("X-Road-Id") or str(uuid.uuid4())
            call = RestCall(
                client,
                service,
                request.method,
                rest_path + sep + query,
                tuple(request.headers.items()),
                body,
                exchange_id,
            )
            answer = await handler(call)
        except GatewayError as exc:
            return _rest_error(request, exc)
        received = hash_headers(request.headers.items())
        headers = [
            *answer.headers,
            ("Content-Type", answer.content_type),
            ("X-Road-Client", str(client)),
            ("X-Road-Service", str(service)),
            ("X-Road-Id", exchange_id),
            ("X-Road-Request-Id", str(uuid.uuid4())),
            (
                "X-Road-Request-Hash",
                request_hash(request.method, request.raw_path, received, body),
            ),
        ]
        return web.Response(status=answer.status, body=answer.body, headers=headers)

    return rest


def _soap_endpoint(
    handlers: Mapping[str, SoapHandler],
) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def soap(request: web.Request) -> web.Response:
        body = await request.read()
        try:
            check_soap_action(request.headers.get("SOAPAction"))
            message = parse_request(body, request.headers.get("Content-Type", ""))
            handler = handlers.get(str(message.headers.service))
            if handler is None:
                raise UnknownServiceError(
                    f"unknown service {message.headers.service}", origin=SERVER_PROXY
                )
            answer = await handler(message)
            echoed, content_type = response_with_echoed_headers(
                message, answer.body, answer.content_type
            )
        except GatewayError as exc:
            return _soap_fault(exc)
        return web.Response(
            status=answer.status,
            body=echoed,
            headers=[*answer.headers, ("Content-Type", content_type)],
        )

    return soap


def xroad_partner_app(
    *,
    rest: Mapping[str, RestHandler] | None = None,
    soap: Mapping[str, SoapHandler] | None = None,
    middlewares: Iterable[Middleware] = (),
) -> web.Application:
    """The security server's client-facing side: ``/r1/...`` (REST) and ``POST /`` (SOAP).

    ``rest`` and ``soap`` map service ids (``INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE``) to
    the provider's handlers. ``middlewares`` run around the security server's own work
    (tests use one to alter answers on the way back). ``app[RECEIVED]`` lists every
    request that arrived, in order.
    """
    app = web.Application(middlewares=[_record, *middlewares])
    app[RECEIVED] = []
    app.router.add_route("*", _R1 + "{tail:.*}", _rest_endpoint(dict(rest or {})))
    app.router.add_post("/", _soap_endpoint(dict(soap or {})))
    return app
