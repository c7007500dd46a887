"""Admin API: the federation operator's directory draft, edited and published over HTTP.

Usage (on a node whose configuration has ``[operator] draft = ...``)::

    GET  /admin/v1/federation/draft      the draft, summarised
    POST /admin/v1/federation/changes    {"action": "access.grant", "client": ..., "service": ...}
    POST /admin/v1/federation/publish    {"valid_hours": 24}: sign and write the next publication

The same service layer as ``xgw directory member|service|access|cert|ca ...`` and
``xgw certs revoke`` (gateway/federation/): one change per call, checked as a gateway
would check the result, saved atomically. Gateways pick a publication up at their next
refresh, or at once when it is pushed to their admin API (``xgw directory publish --push``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any

from aiohttp import web

from gateway._crypto import load_certificate, load_private_key, read_passphrase
from gateway.admin.routes import OFFICERS, Reply, Route, json_body
from gateway.admin.tokens import TokenActor
from gateway.errors import AdminError
from gateway.federation.changes import Change
from gateway.federation.draft import Draft, edit_draft
from gateway.federation.publish import publish_draft
from gateway.node import Node
from gateway.settings import OperatorSettings

__all__ = ["CHANGES", "routes"]

# action -> (the Draft method, required fields, optional fields); values are JSON strings
# (certificates as PEM) or, for endpoints, lists of "METHOD /path" strings.
CHANGES: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "member.add": (
        "add_member",
        ("member", "name"),
        ("gateway_url", "tls_certificates", "signing_certificates", "partner"),
    ),
    "member.remove": ("remove_member", ("member",), ()),
    "subsystem.add": ("add_subsystem", ("member", "code", "name"), ()),
    "subsystem.remove": ("remove_subsystem", ("member", "code"), ()),
    "service.add": (
        "add_service",
        ("member", "subsystem", "code", "type"),
        ("format", "endpoints", "version", "address", "openapi"),
    ),
    "service.remove": ("remove_service", ("service",), ()),
    "access.grant": ("grant", ("client", "service"), ("endpoints",)),
    "access.withdraw": ("withdraw", ("client", "service"), ("endpoints",)),
    "certificate.add": ("add_certificate", ("member", "usage", "certificate"), ()),
    "certificate.remove": ("remove_certificate", ("member", "fingerprint"), ()),
    "certificate.revoke": ("revoke", ("certificate",), ("reason",)),
    "ca.add": ("add_ca", ("certificate",), ()),
    "ca.remove": ("remove_ca", ("fingerprint",), ()),
}
_KEYWORDS = {"fingerprint": "fingerprint_hex"}  # JSON field -> the Draft method's parameter


def routes(node: Node) -> list[Route]:
    operator = node.settings.operator
    if operator.draft is None:
        return []
    draft_path = operator.draft

    async def show(request: web.Request, actor: TokenActor) -> Reply:
        draft = await asyncio.to_thread(Draft.load, draft_path)
        return Reply(draft.public_json())

    async def change(request: web.Request, actor: TokenActor) -> Reply:
        body = await json_body(request)
        action = body.pop("action", None)
        if action not in CHANGES:
            raise AdminError(f"action must be one of {', '.join(CHANGES)}, not {action!r}")
        method, required, optional = CHANGES[action]
        arguments = _arguments(action, body, required, optional)

        def apply() -> Change:
            with edit_draft(draft_path) as draft:  # one editor at a time, CLI included
                edit: Callable[..., Change] = getattr(draft, method)
                return edit(**arguments)

        done = await asyncio.to_thread(apply)
        return Reply(
            done.to_json(),
            target=f"federation/{done.target}",
            details={"action": action, "summary": done.summary},
        )

    async def publish_now(request: web.Request, actor: TokenActor) -> Reply:
        body = await json_body(request) if request.can_read_body else {}
        hours = body.get("valid_hours", operator.valid_hours)
        if type(hours) not in (int, float):
            raise AdminError("valid_hours must be a number")
        publication = await asyncio.to_thread(_publish, operator, float(hours))
        return Reply(
            publication,
            target=f"directory/{publication['sequence']}",
            details={"sequence": publication["sequence"], "expires": publication["expires"]},
        )

    return [
        Route("GET", "/federation/draft", show, OFFICERS),
        Route("POST", "/federation/changes", change, OFFICERS, act="federation.change"),
        Route("POST", "/federation/publish", publish_now, OFFICERS, act="federation.publish"),
    ]


def _arguments(
    action: str, body: Mapping[str, Any], required: tuple[str, ...], optional: tuple[str, ...]
) -> dict[str, Any]:
    unknown = sorted(set(body) - set(required) - set(optional))
    if unknown:
        raise AdminError(f"{action} takes no {', '.join(unknown)}")
    missing = [name for name in required if name not in body]
    if missing:
        raise AdminError(f"{action} needs {', '.join(missing)}")
    for name, value in body.items():
        if name in ("tls_certificates", "signing_certificates", "endpoints"):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise AdminError(f"{name} must be a list of strings")
        elif name == "partner":
            if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
                raise AdminError("partner must be an object of strings: protocol, url, ...")
        elif not isinstance(value, str):
            raise AdminError(f"{name} must be a string")
    return {_KEYWORDS.get(name, name): value for name, value in body.items()}


def _publish(operator: OperatorSettings, hours: float) -> dict[str, Any]:
    assert operator.draft and operator.key and operator.certificate and operator.publish
    passphrase = (
        None
        if operator.passphrase_file is None
        else read_passphrase(operator.passphrase_file, key_name="operator.passphrase_file")
    )
    key = load_private_key(operator.key, passphrase, key_name="operator.key")
    cert = load_certificate(operator.certificate, key_name="operator.certificate")
    publication = publish_draft(operator.draft, key, cert, operator.publish, valid_hours=hours)
    return publication.to_json()
