"""Stages both sides share: parse the request, authorize, audit, render errors.

Usage::

    stages = (ParseRequest(node), Authorize(node, origin=CLIENT_PROXY), ...)
"""

from __future__ import annotations

import asyncio
import ssl
import uuid
from collections.abc import Iterable

import aiohttp
from yarl import URL

from gateway.audit.hop_payload import read_signing_input
from gateway.audit.record import AuditRecord
from gateway.bodies import read_bounded
from gateway.errors import (
    CLIENT_PROXY,
    AccessDeniedError,
    BadRequestError,
    CertValidationError,
    GatewayError,
    MissingHeaderError,
    NetworkError,
    PartnerError,
    UnknownServiceError,
)
from gateway.identifiers import ClientId, split_service_path
from gateway.node import Node
from gateway.pipeline import ErrorRenderer, Exchange, Reply
from gateway.signing import SIGNATURE_HEADER, body_digest
from gateway.trust import FORWARDED_CERT_HEADER
from gateway.xroad_rest import (
    METASERVICES,
    error_body,
    error_headers,
    forwardable_headers,
    last_header,
)

__all__ = [
    "CARRIED_HEADERS",
    "PRIVATE_HEADERS",
    "AuditExchange",
    "Authorize",
    "ParseRequest",
    "is_metaservice",
    "passed_on_headers",
    "read_limited",
    "send_pinned",
    "submit_request_record",
    "with_explicit_content_type",
    "xroad_error_renderer",
]

# Never passed on: ours, a proxy's statement about the TLS peer, and Content-Encoding
# (aiohttp has already decoded the body we hold).
PRIVATE_HEADERS = frozenset({SIGNATURE_HEADER.lower(), FORWARDED_CERT_HEADER.lower()})
_NOT_PASSED_ON = PRIVATE_HEADERS | {
    "content-encoding",
    # The local client's own credentials stay home; they mean nothing across the border.
    "authorization",
    "cookie",
    # Unsigned headers a backend may act on: another method, another path, another origin.
    "x-http-method-override",
    "x-http-method",
    "x-method-override",
    "x-original-url",
    "x-rewrite-url",
    "forwarded",
    "x-forwarded-for",
    "x-forwarded-host",
    "x-forwarded-proto",
    "x-forwarded-port",
    "x-forwarded-prefix",
    "x-real-ip",
}

# The X-Road headers a client's request carries to the provider (PR-REST 4.3).
CARRIED_HEADERS = (
    "x-road-client",
    "x-road-id",
    "x-road-userid",
    "x-road-issue",
    "x-road-represented-party",
)
_R1 = "/r1/"


class ParseRequest:
    """``/r1/{serviceId}[/path][?query]`` and the X-Road request headers."""

    def __init__(self, node: Node) -> None:
        self.node = node

    async def __call__(self, ex: Exchange) -> None:
        # One pass over the headers, the last of each name kept, for every lookup below.
        last = {name.lower(): value for name, value in ex.headers}
        exchange_id = last.get("x-road-id")
        if exchange_id is None:
            ex.new_id()
        else:
            ex.id = _checked_id(exchange_id)
        if not ex.raw_path.startswith(_R1):
            raise BadRequestError(
                f"unsupported protocol version in {ex.raw_path[:64]!r}; expected /r1/"
            )
        if "#" in ex.raw_path:  # a fragment is never sent; what is signed must be what is sent
            raise BadRequestError("a request target must not contain '#'")
        path, sep, query = ex.raw_path[len(_R1) :].partition("?")
        ex.service, rest = split_service_path(path)
        ex.backend_path = rest + sep + query
        client = last.get("x-road-client")
        if client is None:
            raise MissingHeaderError("the X-Road-Client header is required")
        ex.client = ClientId.parse(client)
        ex.xroad_headers = _carried(last, ex.id, str(ex.client))
        ex.request_digest = body_digest(ex.body)


def passed_on_headers(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """A request's headers as the next hop gets them, before our X-Road headers are added.

    Names with ``_`` are dropped too: CGI-style servers read ``X_Road_Client`` as
    ``X-Road-Client`` (nginx drops them by default for the same reason).
    """
    return [
        (name, value)
        for name, value in forwardable_headers(headers)
        if not name.lower().startswith("x-road-")
        and name.lower() not in _NOT_PASSED_ON
        and "_" not in name
    ]


def with_explicit_content_type(
    headers: list[tuple[str, str]], body: bytes
) -> list[tuple[str, str]]:
    """The content type is signed: name it, rather than let the HTTP library pick one."""
    if body and last_header(headers, "Content-Type") is None:
        headers.append(("Content-Type", "application/octet-stream"))
    return headers


async def read_limited(response: aiohttp.ClientResponse, limit: int, what: str) -> bytes:
    """An answer's body, refused (ServiceFailed) once it passes ``limit`` bytes."""
    return await read_bounded(response.content, response.content_length, limit, what, PartnerError)


def _checked_id(value: str) -> str:
    value = value.strip()
    if not value or len(value) > 128 or any(ord(c) < 0x21 or ord(c) > 0x7E for c in value):
        raise BadRequestError("X-Road-Id must be 1-128 visible ASCII characters")
    return value


def _carried(last: dict[str, str], exchange_id: str, client: str) -> list[tuple[str, str]]:
    """``last``: each header's last value by its name in lower case."""
    carried = [("x-road-client", client), ("x-road-id", exchange_id)]
    for name in CARRIED_HEADERS[2:]:
        value = last.get(name)
        if value is not None:
            carried.append((name, value))
    return carried


class Authorize:
    """Deny by default: the directory's grants for client x service x method + path."""

    def __init__(self, node: Node, *, origin: str) -> None:
        self.node = node
        self.origin = origin

    async def __call__(self, ex: Exchange) -> None:
        directory = ex.directory or self.node.directory.current()
        ex.directory = directory
        assert ex.client is not None and ex.service is not None
        # The raw path, exactly as signed and as the backend will get it (gateway.access).
        path = ex.backend_path.partition("?")[0] or "/"
        if is_metaservice(ex):
            # PR-MREST: every member's client may ask; answers are filtered per client.
            if directory.member(ex.service.provider) is None:
                raise UnknownServiceError(
                    f"no member {ex.service.provider.member} in the directory"
                )
            return
        if directory.service(ex.service) is None:
            raise UnknownServiceError(f"service {ex.service} is not in the directory")
        if not directory.is_allowed(ex.client, ex.service, ex.method, path):
            raise AccessDeniedError(
                f"{ex.client} may not call {ex.method} {path} on {ex.service}",
                origin=self.origin,
            )


def is_metaservice(ex: Exchange) -> bool:
    """``listMethods``, ``allowedMethods``, ``getOpenAPI`` of a provider subsystem (PR-MREST)."""
    assert ex.service is not None
    return ex.service.code in METASERVICES and ex.backend_path.partition("?")[0] == ""


class AuditExchange:
    """Record request and response; answer only once the records are durable.

    Each record takes its message body along (kept, sealed, beside it if the service's
    rule says so): the bytes the record's digest names, which are the signed ones. A
    client that got a re-rendered answer (translated, or an error in its own spelling)
    got other bytes; the signed answer is then the peer's, ``ex.upstream``.
    """

    def __init__(self, node: Node) -> None:
        self.node = node

    async def __call__(self, ex: Exchange) -> None:
        request_record = ex.request_record or submit_request_record(self.node, ex)
        reply = ex.response
        assert reply is not None
        # The record keeps what was signed: a front door may give its client another
        # status (Haal Centraal re-maps refusals), the signed status is the provider's.
        status, signed_headers = reply.status, None
        if ex.response_signed is not None and ex.response_signed[0] == reply.signature:
            read = read_signing_input(ex.response_signed[1])
            if read is not None:
                status = read[0] if read[0] is not None else status
                signed_headers = read[1]
        record = AuditRecord(
            exchange_id=ex.id or "",
            kind="response",
            direction=ex.direction,
            time=AuditRecord.now(),
            client=str(ex.client or ""),
            service=str(ex.service or ""),
            method=ex.method,
            path=ex.backend_path,
            digest=reply.body_digest(),
            signature=reply.signature,
            peer=str(ex.peer.id) if ex.peer else None,
            status=status,
            error_type=ex.error_type,
            duration_ms=round(ex.duration_ms, 3),
            notes="\n".join(ex.notes) or None,
            signed_headers=signed_headers,
        )
        upstream = ex.upstream.body if ex.upstream is not None else None
        response_record = self.node.audit.submit(record, reply.body, fallback=upstream)
        # Commits are in order, so waiting for both costs no more than waiting for the last.
        await asyncio.gather(request_record, response_record)


def submit_request_record(node: Node, ex: Exchange) -> asyncio.Future[int]:
    """Queue the request's record before the backend or peer is called."""
    if not ex.id:
        ex.new_id()
    signed = (
        read_signing_input(ex.request_signed_input)
        if ex.request_signature is not None and ex.request_signed_input is not None
        else None
    )
    ex.request_record = node.audit.submit(
        AuditRecord(
            exchange_id=ex.id,
            kind="request",
            direction=ex.direction,
            time=ex.received,
            client=str(ex.client or ""),
            service=str(ex.service or ""),
            method=ex.method,
            path=ex.backend_path,
            digest=ex.request_digest or body_digest(ex.body),
            signature=ex.request_signature,
            nonce=ex.request_nonce,
            peer=str(ex.peer.id) if ex.peer else None,
            notes="\n".join(ex.notes) or None,
            signed_headers=signed[1] if signed is not None else None,
        ),
        ex.body,  # the bytes the digest names: as signed on the hop
    )
    return ex.request_record


def xroad_error_renderer(node: Node) -> ErrorRenderer:
    """The X-Road REST convention: error JSON (or XML), ``X-Road-Error``, 400/500."""
    snake = node.snake_errors

    def render(ex: Exchange, error: GatewayError) -> Reply:
        accept = last_header(ex.headers, "Accept")
        body, content_type = error_body(error, accept=accept, snake_case=snake)
        headers = [("Content-Type", content_type), *error_headers(error, snake_case=snake).items()]
        if ex.id:
            headers.append(("X-Road-Id", ex.id))
        return Reply(error.http_status, headers, body)

    return render


def new_request_id() -> str:
    return str(uuid.uuid4())


async def send_pinned(
    node: Node,
    method: str,
    url: str,
    headers: list[tuple[str, str]],
    body: bytes,
    context: ssl.SSLContext,
    server: str,
) -> Reply:
    """One request to a gateway or partner over its pinned TLS context, its answer bounded.

    ``server`` names the other side in errors ("the gateway of EE/GOV/70000310").
    """
    try:
        async with node.peer_session.request(
            method,
            URL(url, encoded=True),
            headers=headers,
            data=body or None,
            allow_redirects=False,
            ssl=context,
        ) as response:
            answer = await read_limited(
                response, node.settings.security.max_response_bytes, f"the answer of {server}"
            )
            return Reply(response.status, list(response.headers.items()), answer)
    except aiohttp.ClientConnectorCertificateError as exc:
        raise CertValidationError(
            f"the server at {URL(url).origin()} is not {server}: its TLS "
            f"certificate is not one the directory lists ({exc.certificate_error})",
            origin=CLIENT_PROXY,
        ) from exc
    except (TimeoutError, aiohttp.ClientError, OSError) as exc:
        raise NetworkError(
            f"cannot reach {server} at {URL(url).origin()}: {type(exc).__name__}: {exc}".rstrip(
                ": "
            ),
            origin=CLIENT_PROXY,
        ) from exc
