"""Calling a gateway's admin API in tests, every answer checked against the OpenAPI document.

Usage::

    api = AdminClient(http, gateway, fed.settings("DE"))
    answer = await api.call("GET", "/admin/v1/status", role=Role.AUDITOR)
    answer.status, answer.json()          # validated against schemas/admin-api.v1.json
"""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from openapi_core import Config, OpenAPI
from openapi_core.testing import MockRequest, MockResponse

from gateway.admin.app import openapi_document
from gateway.admin.tokens import Role, issue_token, token_key
from gateway.app import Gateway
from gateway.node import AUDIT_DB
from gateway.settings import Settings
from tests.integration.federation import SERVICE, Harness, call
from tests.unit.audit.audit_support import records_of

OPENAPI = OpenAPI.from_dict(
    json.loads(openapi_document()),
    config=Config(
        extra_media_type_deserializers={
            "application/problem+json": json.loads,
            "application/jose": bytes.decode,
        }
    ),
)
_HOST = "http://xgw.test"


@dataclass
class AdminAnswer:
    status: int
    content_type: str
    body: bytes
    headers: dict[str, str]

    def json(self) -> Any:
        return json.loads(self.body)


def token_for(
    settings: Settings,
    role: Role,
    subject: str = "alice",
    ttl: float = 600,
    issued: float | None = None,
) -> str:
    key = token_key(settings, create=True)
    return issue_token(key, settings.member.id, subject=subject, role=role, ttl=ttl, now=issued)


class AdminClient:
    def __init__(self, http: aiohttp.ClientSession, gateway: Gateway, settings: Settings) -> None:
        assert gateway.admin_url is not None, "the gateway has no [admin] listen"
        self.http = http
        self.url = gateway.admin_url
        self.settings = settings

    async def call(
        self,
        method: str,
        path: str,
        *,
        role: Role | None = Role.ADMIN,
        token: str | None = None,
        params: dict[str, str] | None = None,
        json_body: Any = None,
        data: bytes | io.BytesIO | None = None,
        content_type: str | None = None,
        check: bool = True,
    ) -> AdminAnswer:
        """Call the API; unless ``check`` is off, validate request and answer against the
        OpenAPI document (an undocumented status, field or media type fails the test)."""
        headers: dict[str, str] = {}
        if token is None and role is not None:
            token = token_for(self.settings, role)
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        if json_body is not None:
            data = json.dumps(json_body).encode()
            content_type = "application/json"
        if content_type is not None:
            headers["Content-Type"] = content_type
        async with self.http.request(
            method, self.url + path, params=params, data=data, headers=headers
        ) as response:
            answer = AdminAnswer(
                response.status,
                response.content_type,
                await response.read(),
                dict(response.headers),
            )
        if check:
            request = MockRequest(
                _HOST,
                method.lower(),
                path,
                args=params or {},
                headers=headers,
                data=data if isinstance(data, bytes) else None,
                content_type=content_type or "application/json",
            )
            OPENAPI.validate_response(
                request,
                MockResponse(answer.body, answer.status, content_type=answer.content_type),
            )
        return answer


EXCHANGE_ID = "admin-api-exchange"


@dataclass
class Running:
    fed: Harness
    de: Gateway
    ee: Gateway
    api: AdminClient


@pytest.fixture
async def running(fed: Harness) -> AsyncIterator[Running]:
    fed.members["DE"].settings_overrides["admin"] = {"listen": "127.0.0.1:0"}
    async with (
        fed.start() as (de, ee),
        fed.client("DE") as http,
        aiohttp.ClientSession() as admin_http,
    ):
        answer = await call(
            http,
            "GET",
            f"{de.client_url}/r1/{SERVICE}/ettevotted/12345678",
            headers={"X-Road-Client": fed.client_id("DE"), "X-Road-Id": EXCHANGE_ID},
        )
        assert answer.status == 200
        yield Running(fed, de, ee, AdminClient(admin_http, de, fed.settings("DE")))


def admin_records(gateway: Gateway) -> list[dict[str, Any]]:
    rows = records_of(gateway.node.settings.data_dir / AUDIT_DB)
    return [r for r in map(json.loads, rows) if r["kind"] == "admin"]


# (METHOD, path) of every operation the OpenAPI document describes
OPENAPI_PATHS = {
    (method.upper(), path)
    for path, item in json.loads(openapi_document())["paths"].items()
    for method in item
}


def served_routes(gateway: Gateway) -> set[tuple[str, str]]:
    """(METHOD, path) of every route the gateway's admin app serves."""
    from gateway.admin.app import create_admin_app

    return {
        (route.method, route.resource.canonical)
        for route in create_admin_app(gateway.node).router.routes()
        if route.method != "HEAD" and route.resource is not None
    }
