"""problem+json (RFC 9457) for every refusal of the admin API.

Usage::

    return problem_response(NotFoundError("no certificate abcd1234..."))
    # 404 {"type": "about:blank", "title": "Not Found", "status": 404,
    #      "detail": "no certificate abcd1234...", "code": "Client.NotFound", "error_id": "..."}

``code`` is the error's X-Road-style type and ``error_id`` the id the gateway's log
names it by. A 401 carries ``WWW-Authenticate: Bearer`` (RFC 6750), a 403 names the
missing scope.
"""

from __future__ import annotations

from http import HTTPStatus

import orjson
from aiohttp import web

from gateway.errors import ForbiddenError, GatewayError, UnauthorizedError

__all__ = ["MEDIA_TYPE", "problem_response"]

MEDIA_TYPE = "application/problem+json"


def problem_response(error: GatewayError) -> web.Response:
    status = error.http_status
    body = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": error.message,
        "code": error.type,
        "error_id": error.detail,
    }
    headers = {}
    if isinstance(error, UnauthorizedError):
        headers["WWW-Authenticate"] = 'Bearer realm="xgw-admin", error="invalid_token"'
    elif isinstance(error, ForbiddenError):
        headers["WWW-Authenticate"] = 'Bearer realm="xgw-admin", error="insufficient_scope"'
    return web.Response(
        body=orjson.dumps(body), status=status, content_type=MEDIA_TYPE, headers=headers
    )
