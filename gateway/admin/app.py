"""The admin API's aiohttp application: ``/admin/v1/...`` behind admin tokens with roles.

Usage::

    app = create_admin_app(node)      # served on [admin] listen by gateway.app
    # GET  /admin/v1/openapi.json     the OpenAPI 3.1 document (no token needed)
    # GET  /healthz /readyz /metrics  operations (no token: probes and Prometheus)
    # anything else under /admin/v1/  Authorization: Bearer <xgw admin token>

Every call is authenticated with a token from ``xgw admin token`` (gateway/admin/tokens.py)
and checked against the route's roles; every act (a route with ``act``) becomes an audit
record naming the actor, whether it was done or refused, and the first call with a
token is recorded as the actor's login. Refusals are problem+json (RFC 9457).
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from importlib import resources

import orjson
from aiohttp import web

from gateway.admin import (
    audit_routes,
    cert_routes,
    directory_routes,
    federation_routes,
    node_routes,
)
from gateway.admin.problems import problem_response
from gateway.admin.revocations import check_not_revoked, revocations_path
from gateway.admin.routes import BodyTooLargeError, Reply, Route
from gateway.admin.tokens import Role, TokenActor, token_key, verify_token
from gateway.audit.admin_events import admin_record
from gateway.errors import (
    AdminError,
    ForbiddenError,
    GatewayError,
    NotFoundError,
    UnauthorizedError,
)
from gateway.frontends import operations
from gateway.node import Node

__all__ = ["PREFIX", "create_admin_app", "openapi_document"]

_logger = logging.getLogger("gateway.admin")

PREFIX = "/admin/v1"
MAX_BODY_BYTES = 16 * 1024 * 1024  # a directory publication is the largest body
_MAX_LOGINS_REMEMBERED = 4096


def openapi_document() -> bytes:
    """The admin API's OpenAPI 3.1 document, as shipped in the package ``xgw_schemas``."""
    return resources.files("xgw_schemas").joinpath("admin-api.v1.json").read_bytes()


def create_admin_app(node: Node) -> web.Application:
    token_key(node.settings, create=True)  # `xgw admin token` signs with the same file
    app = web.Application(client_max_size=MAX_BODY_BYTES, middlewares=[_problems])
    guard = _Guard(node)
    document = openapi_document()

    async def openapi(request: web.Request) -> web.Response:
        return web.Response(body=document, content_type="application/json")

    app.router.add_get(f"{PREFIX}/openapi.json", openapi)
    routes: Iterable[Route] = (
        *node_routes.routes(node),
        *directory_routes.routes(node),
        *audit_routes.routes(node),
        *cert_routes.routes(node),
        *federation_routes.routes(node),  # only on the operator's node
    )
    for route in routes:
        app.router.add_route(route.method, PREFIX + route.path, guard.serve(route))
    operations.add_routes(app, node, metrics=True)
    return app


@web.middleware
async def _problems(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """aiohttp's own refusals (no such path, method not allowed) as problem+json too."""
    try:
        return await handler(request)
    except web.HTTPMethodNotAllowed as exc:
        allowed = ", ".join(sorted(exc.allowed_methods))
        return problem_response(
            _MethodNotAllowedError(f"{request.method} is not allowed here; allowed: {allowed}")
        )
    except web.HTTPNotFound:
        return problem_response(NotFoundError(f"no admin endpoint {request.path}"))
    except web.HTTPRequestEntityTooLarge:
        return problem_response(
            BodyTooLargeError(f"the body is larger than {MAX_BODY_BYTES} bytes")
        )


class _MethodNotAllowedError(AdminError):
    code = "MethodNotAllowed"
    status = 405


class _Guard:
    """Authenticates, authorizes, runs a route, and records its act in the audit log."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self._logins: OrderedDict[str, None] = OrderedDict()

    def serve(self, route: Route) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def handle(request: web.Request) -> web.StreamResponse:
            return await self._handle(route, request)

        return handle

    async def _handle(self, route: Route, request: web.Request) -> web.StreamResponse:
        started = time.monotonic()
        try:
            actor = self._authenticate(request)
        except UnauthorizedError as exc:
            # Not recorded: anyone can knock, and the audit log must not be flooded.
            _logger.warning("admin API %s %s refused: %s", request.method, request.path, exc)
            return problem_response(exc)
        except GatewayError as exc:  # the node cannot decide (its revocation list)
            return problem_response(exc)
        try:
            await self._login(actor, request)
            if Role(actor.role) not in route.roles:
                raise ForbiddenError(
                    f"role {actor.role} may not {request.method} {request.path}; allowed: "
                    + ", ".join(sorted(r.value for r in route.roles))
                )
            reply = await route.handler(request, actor)
        except web.HTTPRequestEntityTooLarge:
            # Raised while reading a body over client_max_size: a refusal like any other.
            too_large = BodyTooLargeError(f"the body is larger than {MAX_BODY_BYTES} bytes")
            if route.act is not None:
                await self._record(route, request, actor, None, too_large, started)
            return problem_response(too_large)
        except GatewayError as exc:
            if route.act is not None:
                await self._record(route, request, actor, None, exc, started)
            return problem_response(exc)
        except Exception as exc:
            error = GatewayError("internal error; the gateway's log names the cause by this id")
            _logger.error(
                "admin API internal error %s in %s %s",
                error.detail,
                request.method,
                request.path,
                exc_info=(type(exc), exc, exc.__traceback__),
            )
            if route.act is not None:
                await self._record(route, request, actor, None, error, started)
            return problem_response(error)
        if route.act is not None:
            failed = await self._record(route, request, actor, reply, None, started)
            if failed is not None:
                return problem_response(failed)
        return _response(reply)

    def _authenticate(self, request: web.Request) -> TokenActor:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise UnauthorizedError("an admin token is required: Authorization: Bearer <token>")
        settings = self.node.settings
        actor = verify_token(
            token_key(settings),
            token.strip(),
            issuer=settings.member.id,
            max_ttl=settings.admin.max_token_ttl,
        )
        check_not_revoked(revocations_path(settings), actor)
        return actor

    async def _login(self, actor: TokenActor, request: web.Request) -> None:
        """The first call with a token (since this node started) is the actor's login."""
        if actor.token_id in self._logins:
            self._logins.move_to_end(actor.token_id)
            return
        await self.node.audit.append(
            admin_record(
                actor,
                "admin.login",
                f"token/{actor.token_id}",
                {"expires": int(actor.expires), "peer": request.remote or ""},
                path=request.path,
            )
        )
        self._logins[actor.token_id] = None
        if len(self._logins) > _MAX_LOGINS_REMEMBERED:
            self._logins.popitem(last=False)

    async def _record(
        self,
        route: Route,
        request: web.Request,
        actor: TokenActor,
        reply: Reply | None,
        error: GatewayError | None,
        started: float,
    ) -> GatewayError | None:
        """Make the act's record durable; the error to answer with when that failed."""
        assert route.act is not None
        details = dict(reply.details) if reply is not None else {}
        if error is not None:
            details["refused"] = error.message
        record = admin_record(
            actor,
            route.act,
            reply.target if reply is not None and reply.target else request.path,
            details,
            path=f"{request.method} {request.path}",
            status=error.http_status if error is not None else reply.status if reply else 200,
            error_type=error.type if error is not None else None,
            duration_ms=(time.monotonic() - started) * 1000.0,
        )
        try:
            await self.node.audit.append(record)
        except GatewayError as exc:
            _logger.error("admin act %s by %s not recorded: %s", route.act, actor, exc.message)
            if error is None:
                return GatewayError(
                    f"{route.act} was done, but its audit record could not be written: "
                    f"{exc.message}"
                )
        return None


def _response(reply: Reply) -> web.Response:
    if isinstance(reply.body, bytes):
        return web.Response(body=reply.body, status=reply.status, content_type=reply.content_type)
    return web.Response(
        body=orjson.dumps(reply.body), status=reply.status, content_type=reply.content_type
    )
