"""The Haal Centraal BRP Personen front door: ``POST /haalcentraal/api/brp/personen``.

Usage::

    add_routes(app, node, client_side_pipeline(node))   # when [haalcentraal] enabled = true

A Dutch municipality's BRP client asks as it asks the BRP (docs/haalcentraal-front-door.md).
The front door authenticates it (a client certificate bound to a ``[[clients]]``
subsystem, and/or a bearer token whose SHA-256 a ``[[clients]]`` entry holds; over
TLS a token alone will do, recorded as ``Exchange.token_client`` for AuthenticateClient),
checks what the API checks (Accept, Content-Type, the body parameter by parameter,
``fields`` included: :meth:`BrpConnector.check_request`), and hands the call to the
client-side pipeline as an exchange of that subsystem with the configured service
(``[haalcentraal] service`` and ``path``), in the format ``nl.brp``, with what the
register needs and a BRP client never says (requester, purpose, search area) as
canonical context. The pipeline decodes, authorizes, signs, sends, verifies and
encodes the answer to this request; every refusal, ours, the peer's or the
backend's, leaves as the API's problem+json (``gateway.haalcentraal_problem``).
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson
from aiohttp import web

from connectors.nl.brp import BrpConnector
from connectors.nl.brp.schema import RESPONSE
from gateway.bodies import read_bounded
from gateway.errors import (
    CLIENT,
    CLIENT_PROXY,
    BodyTooLargeError,
    ConfigError,
    GatewayError,
    InvalidBodyError,
    NetworkError,
    PartnerError,
    parse_error_type,
)
from gateway.haalcentraal_problem import MEDIA_TYPE, Problem, ProblemError, problem_for
from gateway.identifiers import ClientId, ServiceId
from gateway.node import Node
from gateway.pipeline import ErrorRenderer, Exchange, Pipeline, Reply
from gateway.settings import Settings
from gateway.stages.client_side import certificate_client
from gateway.stages.translate import TRANSLATION_NOTES_HEADER
from gateway.xroad_rest import last_header, parse_error_response

__all__ = ["FORMAT", "PATH", "add_routes", "takes_token_only_callers"]

PATH = "/haalcentraal/api/brp/personen"  # the API's base path and its one operation
FORMAT = "nl.brp"
_ANSWER_TYPE = "application/json; charset=utf-8"


def takes_token_only_callers(settings: Settings) -> bool:
    """Whether callers without a client certificate may reach this front door over TLS.

    It is enabled and a ``[[clients]]`` entry has a token: the client port's TLS
    context then lets a caller finish the handshake without a certificate
    (``client_port_context(certificate_optional=True)``).
    """
    return settings.haalcentraal.enabled and any(c.token_sha256 for c in settings.clients)


def add_routes(app: web.Application, node: Node, pipeline: Pipeline) -> None:
    door = _FrontDoor(node, pipeline)
    app.router.add_post(PATH, door.personen)
    app.router.add_route("*", PATH, _method_not_allowed)
    # Below the API's one resource (a trailing slash, say) is no SOAP endpoint either.
    app.router.add_route("*", PATH + "/{tail:.*}", _not_found)


class _FrontDoor:
    def __init__(self, node: Node, pipeline: Pipeline) -> None:
        self.node = node
        self.pipeline = pipeline
        settings = node.settings.haalcentraal
        self.settings = settings
        self.service = ServiceId.parse(settings.service)
        self.raw_path = f"/r1/{self.service.wire()}{settings.path}"
        connector = node.connectors.get(FORMAT)
        if not isinstance(connector, BrpConnector):
            raise ConfigError("haalcentraal.enabled", f"connector {FORMAT} is not xgw's BRP one")
        self.brp = connector
        self.tokens = {
            c.token_sha256: ClientId.parse(c.subsystem)
            for c in node.settings.clients
            if c.token_sha256 is not None
        }
        self.limit = node.settings.security.max_body_bytes

    async def personen(self, request: web.Request) -> web.StreamResponse:
        instance = _instance(request)
        pipeline = Pipeline(self.pipeline.stages, self.pipeline.finish, _renderer(instance))
        ex = Exchange(
            direction="outbound",
            method="POST",
            raw_path=self.raw_path,
            headers=[],
            body=b"",
            transport=request.transport,
            client_format=FORMAT,
        )
        ex.new_id()  # every answer names its exchange (X-Road-Id), refusals too
        try:
            client, ex.token_client = self._authenticate(request)
            ex.client, ex.service = client, self.service  # named in the audit even if refused
            ex.headers = [
                ("X-Road-Client", str(client)),
                ("X-Road-Id", ex.id),
                ("Content-Type", "application/json"),
            ]
            _check_accept(request.headers.get("Accept"))
            _check_content_type(request.headers.get("Content-Type"))
            ex.body = await self._body(request)
            ex.canonical_context = self._context(client)
        except GatewayError as exc:
            return _response(await pipeline.run(ex, refused=exc))
        return _response(self._answer(await pipeline.run(ex), instance))

    def _authenticate(self, request: web.Request) -> tuple[ClientId, ClientId | None]:
        """The subsystem calling, and the one its bearer token names if it sent one.

        Its certificate's binding, its token's, or both agreeing. Over TLS a token
        alone will do, as the API's clients authenticate (server-authenticated TLS and
        a token); AuthenticateClient accepts such an exchange by its ``token_client``.
        """
        by_token = self._token_client(request.headers.get("Authorization"))
        if self.settings.require_token and by_token is None:
            raise _unauthenticated("a bearer token is required")
        if not self.node.settings.listen.client_tls:
            if by_token is None:  # plain HTTP (loopback, behind a TLS terminator): the token
                raise _unauthenticated("a bearer token is required on a plain HTTP client port")
            return by_token, by_token
        try:
            by_certificate = certificate_client(self.node, request.transport)
        except GatewayError as exc:  # a certificate bound to no subsystem: no token makes up
            raise _unauthenticated(exc.message) from None
        if by_certificate is None:
            if by_token is None:
                raise _unauthenticated("a bearer token or a client certificate is required")
            return by_token, by_token
        if by_token is not None and by_token != by_certificate:
            raise _unauthenticated(
                "the bearer token belongs to another subsystem than the certificate"
            )
        return by_certificate, by_token

    def _token_client(self, header: str | None) -> ClientId | None:
        if header is None:
            return None
        scheme, _, token = header.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise _unauthenticated("the Authorization header holds no bearer token")
        # Header bytes that are not UTF-8 arrive surrogate-escaped: hashed as they came.
        raw = token.encode("utf-8", "surrogateescape")
        client = self.tokens.get(hashlib.sha256(raw).hexdigest())
        if client is None:  # the token itself is never logged nor echoed
            raise _unauthenticated("the bearer token is not one of this gateway's")
        return client

    async def _body(self, request: web.Request) -> bytes:
        try:
            body = await read_bounded(
                request.content, request.content_length, self.limit, "request body",
                BodyTooLargeError,
            )  # fmt: skip
        except web.RequestPayloadError as exc:
            raise InvalidBodyError(f"request body cannot be read: {exc}") from None
        try:
            document = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise _bad_request("De request body is geen geldige JSON.") from None
        if not isinstance(document, dict):
            raise _bad_request("De request body is geen JSON object.")
        refusal = self.brp.check_request(document)
        if refusal is not None:
            names = ", ".join(p.name for p in refusal.params)
            raise ProblemError(
                Problem.bad_request(refusal), f"invalid BRP request: {names}",
                code="BadRequest", origin=CLIENT,
            )  # fmt: skip
        return body

    def _context(self, client: ClientId) -> dict[str, Any]:
        """What the register needs and a BRP client never says: who asks, why, where to search."""
        requester = self.settings.requester
        if not requester:
            member = self.node.directory.current().member(client)
            requester = member.name if member is not None and member.name else str(client.member)
        context: dict[str, Any] = {
            "requester": {"name": requester},
            "purpose": self.settings.purpose,
        }
        if self.settings.search_area:
            context["searchArea"] = [{"code": key} for key in self.settings.search_area]
        return context

    def _answer(self, reply: Reply, instance: str) -> Reply:
        """The pipeline's answer as the API gives it: a BRP answer, or problem+json."""
        content_type = last_header(reply.headers, "Content-Type") or ""
        if content_type.startswith(MEDIA_TYPE):
            return reply  # our own refusal, rendered already
        parsed = parse_error_response(
            reply.body, content_type, last_header(reply.headers, "X-Road-Error")
        )
        if parsed is not None:  # a peer's refusal, in the X-Road convention
            error_type, message, detail = parsed
            origin, code = parse_error_type(error_type)
            error = GatewayError(message, origin=origin, code=code, detail=detail)
            return _problem_reply(problem_for(error), instance, reply)
        if reply.status == 200 and self._is_answer(reply.body):
            return Reply(200, [("Content-Type", _ANSWER_TYPE), *_passed_on(reply)], reply.body)
        return _problem_reply(problem_for(_upstream_error(reply)), instance, reply)

    def _is_answer(self, body: bytes) -> bool:
        try:
            return self.brp.schemas.is_valid(RESPONSE, orjson.loads(body))
        except orjson.JSONDecodeError:
            return False


def _upstream_error(reply: Reply) -> GatewayError:
    """What the provider's backend answered, when it is neither a BRP answer nor an X-Road error."""
    if reply.status in (502, 503, 504):
        timeout = " (TimeoutError)" if reply.status == 504 else ""
        return NetworkError(f"the register answered HTTP {reply.status}{timeout}")
    return PartnerError(f"the register's answer (HTTP {reply.status}) is not a BRP answer")


def _renderer(instance: str) -> ErrorRenderer:
    def render(ex: Exchange, error: GatewayError) -> Reply:
        return _problem_reply(problem_for(error), instance, None, ex.id)

    return render


def _problem_reply(
    problem: Problem, instance: str, reply: Reply | None, exchange_id: str = ""
) -> Reply:
    headers = [("Content-Type", MEDIA_TYPE)]
    if problem.status == 401:
        headers.append(("WWW-Authenticate", 'Bearer realm="haalcentraal"'))
    if reply is not None:
        headers += _passed_on(reply)
    elif exchange_id:
        headers.append(("X-Road-Id", exchange_id))
    body = problem.render(instance)
    if reply is None:
        return Reply(problem.status, headers, body)
    return Reply(problem.status, headers, body, reply.signature, reply.body_digest())


def _passed_on(reply: Reply) -> list[tuple[str, str]]:
    """The exchange id and the translation notes: what the client may see of the exchange."""
    return [
        (name, value)
        for name in ("X-Road-Id", TRANSLATION_NOTES_HEADER)
        if (value := last_header(reply.headers, name))
    ]


def _instance(request: web.Request) -> str:
    """The URI of the call, as ``instance`` names it (absolute: the OpenAPI's ``format: uri``)."""
    try:
        return str(request.url.with_query(None))
    except ValueError:  # a Host header yarl cannot read
        return f"{request.scheme}://localhost{PATH}"


def _response(reply: Reply) -> web.Response:
    return web.Response(status=reply.status, headers=reply.headers, body=reply.body)


def _unauthenticated(message: str) -> ProblemError:
    problem = Problem(401, "Niet correct geauthenticeerd.", "authentication")
    return ProblemError(problem, message, code="AccessDenied", origin=CLIENT_PROXY)


def _bad_request(detail: str) -> ProblemError:
    problem = Problem(400, "Een of meerdere parameters zijn niet correct.", "paramsValidation",
                      detail)  # fmt: skip
    return ProblemError(problem, detail, code="InvalidBody", origin=CLIENT)


def _media_type(value: str) -> tuple[str, dict[str, str]]:
    essence, *params = value.split(";")
    parsed = {}
    for param in params:
        name, _, raw = param.partition("=")
        parsed[name.strip().lower()] = raw.strip().strip('"').lower()
    return essence.strip().lower(), parsed


def _check_content_type(value: str | None) -> None:
    """``application/json``, in UTF-8 if a charset is named (the API's rule, 415 otherwise)."""
    essence, params = _media_type(value or "")
    if essence != "application/json" or params.get("charset", "utf-8") != "utf-8":
        problem = Problem(415, "Media Type wordt niet ondersteund.", "unsupported")
        raise ProblemError(problem, f"Content-Type {value!r} is not application/json",
                           code="BadRequest", origin=CLIENT)  # fmt: skip


def _check_accept(value: str | None) -> None:
    """No Accept, or one that takes JSON in UTF-8 (the API's rule, 406 otherwise)."""
    if value is None:
        return
    for item in value.split(","):
        essence, params = _media_type(item)
        if params.get("q", "1").strip() in ("0", "0.0", "0.00", "0.000"):
            continue
        if (
            essence in ("*/*", "application/*", "application/json")
            and params.get("charset", "utf-8") == "utf-8"
        ):
            return
    problem = Problem(406, "Gevraagde contenttype wordt niet ondersteund.", "notAcceptable")
    raise ProblemError(problem, f"Accept {value[:80]!r} does not take application/json",
                       code="BadRequest", origin=CLIENT)  # fmt: skip


async def _not_found(request: web.Request) -> web.StreamResponse:
    problem = Problem(404, "Opgevraagde resource bestaat niet.", "notFound",
                      "Alleen POST op de resource personen bestaat.")  # fmt: skip
    return web.Response(
        status=404, body=problem.render(_instance(request)), headers={"Content-Type": MEDIA_TYPE}
    )


async def _method_not_allowed(request: web.Request) -> web.StreamResponse:
    problem = Problem(405, "Deze methode is niet toegestaan.", "methodNotAllowed",
                      "Alleen POST is toegestaan.")  # fmt: skip
    return web.Response(
        status=405,
        body=problem.render(_instance(request)),
        headers={"Content-Type": MEDIA_TYPE, "Allow": "POST"},
    )
