"""How the admin API declares an endpoint: method, path, roles, and whether it is an act.

Usage::

    async def show(request: web.Request, actor: TokenActor) -> Reply:
        return Reply({"sequence": 7})

    Route("GET", "/directory", show, READERS)
    Route("PUT", "/directory", install, OFFICERS, act="directory.push")

An endpoint with ``act`` changes something: the admin app writes one audit record
for each call (done or refused), naming the actor, the act, its ``target`` and
``details`` from the reply; reads are not recorded.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

import orjson
from aiohttp import web

from gateway.admin.tokens import Role, TokenActor
from gateway.errors import AdminError

__all__ = [
    "ADMINS",
    "AUDITORS",
    "EVERYONE",
    "OFFICERS",
    "BodyTooLargeError",
    "Handler",
    "Reply",
    "Route",
    "file_names_only",
    "json_body",
    "query_int",
    "read_limited",
]

EVERYONE = frozenset(Role)
ADMINS = frozenset({Role.ADMIN})  # who may take others' access away
OFFICERS = frozenset({Role.ADMIN, Role.SECURITY_OFFICER})  # certificates and the directory
AUDITORS = frozenset({Role.ADMIN, Role.AUDITOR})  # the audit log, proofs, evidence


@dataclass
class Reply:
    body: Any  # JSON-able, or bytes sent as they are with ``content_type``
    status: int = 200
    content_type: str = "application/json"
    target: str = ""  # an act's object, e.g. "directory/8" (the audit record's "service")
    details: Mapping[str, Any] = field(default_factory=dict)  # what the act changed; no secrets


Handler = Callable[[web.Request, TokenActor], Awaitable[Reply]]


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # below /admin/v1
    handler: Handler
    roles: frozenset[Role]
    act: str | None = None  # the audited action's name; None: a read


class BodyTooLargeError(AdminError):
    code = "PayloadTooLarge"
    status = 413


async def read_limited(request: web.Request, limit: int) -> bytes:
    """The body, refused (without reading it all) when it is larger than ``limit``."""
    if request.content_length is not None and request.content_length > limit:
        raise BodyTooLargeError(f"the body is larger than {limit} bytes")
    raw = await request.content.read(limit + 1)
    if len(raw) > limit:
        raise BodyTooLargeError(f"the body is larger than {limit} bytes")
    return raw


async def json_body(request: web.Request, *, limit: int = 1024 * 1024) -> dict[str, Any]:
    """The request's JSON object; AdminError when it is none."""
    if request.content_type != "application/json":
        raise AdminError(f"expected a JSON body (application/json), not {request.content_type!r}")
    raw = await read_limited(request, limit)
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise AdminError(f"the body is not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise AdminError("the body must be a JSON object")
    return value


def query_int(request: web.Request, name: str, *, required: bool = True) -> int | None:
    raw = request.query.get(name)
    if raw is None:
        if required:
            raise AdminError(f"query parameter {name!r} is required")
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        raise AdminError(f"query parameter {name!r} must be a non-negative integer, not {raw!r}")
    return int(raw)


def file_names_only(value: Any) -> Any:
    """``value`` with every ``path`` / ``*_path`` field cut to its file name: where a
    node keeps its files is nobody's business over the API."""
    if isinstance(value, dict):
        return {
            k: (
                PurePath(v).name
                if isinstance(v, str) and (k == "path" or k.endswith("_path"))
                else file_names_only(v)
            )
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [file_names_only(v) for v in value]
    return value
