"""A KvK-like API Basisprofiel on 127.0.0.1 for the integration tests, and EE's service for it.

Usage::

    api = KvkApi()
    async with serve_app(api.app()) as url:
        kvk_service(fed, url, client_format="nl.kvk")   # EE's backend: url + /api/v1
        ...
    api.seen  # every request that reached the API

The API answers what KvK's official OpenAPI (../shared) describes, and checks each answer
against it before it leaves: the hand-written Basisprofiel of the connector tests for one
company, KvK's ``Error`` document with HTTP 404 for any other.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import web
from multidict import CIMultiDict

from tests.connectors.nl import samples
from tests.connectors.nl.reference import official_kvk
from tests.integration.federation import EE, Harness

KVK_NUMBER = "68750110"  # the hand-written Basisprofiel's (tests/connectors/nl/samples.py)
KVK_SERVICE = f"{EE}/kvk/basisprofiel"


@dataclass
class Seen:
    method: str
    path: str
    headers: CIMultiDict[str]
    body: bytes


@dataclass
class KvkApi:
    """KvK's API Basisprofiel at ``/api/v1`` (its OpenAPI's server path), for one company."""

    seen: list[Seen] = field(default_factory=list)

    def app(self) -> web.Application:
        @web.middleware
        async def record(request: web.Request, handler: Any) -> web.StreamResponse:
            body = await request.read()
            self.seen.append(Seen(request.method, request.raw_path, request.headers.copy(), body))
            response: web.StreamResponse = await handler(request)
            return response

        app = web.Application(middlewares=[record])
        app.router.add_get("/api/v1/basisprofielen/{kvkNummer}", self.basisprofiel)
        return app

    async def basisprofiel(self, request: web.Request) -> web.Response:
        number = request.match_info["kvkNummer"]
        if number != KVK_NUMBER:
            answer: dict[str, Any] = {
                "fout": [{"code": "IPD0004", "omschrijving": f"KvK-nummer {number} onbekend"}]
            }
            assert official_kvk("Error", answer) == []
            return _hal(answer, 404)
        answer = copy.deepcopy(samples.BASISPROFIEL)
        assert official_kvk("Basisprofiel", answer) == []  # the API answers to its OpenAPI
        return _hal(answer, 200)


def _hal(document: dict[str, Any], status: int) -> web.Response:
    return web.Response(status=status, body=orjson.dumps(document),
                        content_type="application/hal+json")  # fmt: skip


def kvk_service(fed: Harness, base_url: str, client_format: str = "opaque") -> None:
    """EE offers the Basisprofiel (format nl.kvk); its backend URL is the API's base URL."""
    fed.backend_url = base_url + "/api/v1"
    fed.members["EE"].services = [
        {"subsystem": "kvk", "code": "basisprofiel", "type": "REST", "format": "nl.kvk"}
    ]
    fed.members["DE"].client_format = client_format
    fed.access = [{"client": fed.client_id("DE"), "service": KVK_SERVICE}]
