"""AuthenticateClient takes the certificate binding its frontend already looked up."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any, cast

import pytest

from gateway.errors import AccessDeniedError, InvalidClientIdentifierError
from gateway.identifiers import ClientId
from gateway.node import Node
from gateway.pipeline import Exchange
from gateway.stages.client_side import AuthenticateClient

CLIENT = ClientId.parse("DE/GOV/05974028/gewerbeamt")
OTHER = ClientId.parse("DE/GOV/05974028/other")


def _tls_node() -> Node:
    settings: Any = SimpleNamespace(clients=[], listen=SimpleNamespace(client_tls=True))
    return cast(Node, SimpleNamespace(settings=settings, client_bindings={}))


def _exchange(bound: ClientId | None) -> Exchange:
    ex = Exchange("outbound", "GET", "/r1/x", [], b"", None, certificate_client=bound)
    ex.client = CLIENT
    return ex


def test_the_frontends_binding_authenticates_its_subsystem() -> None:
    asyncio.run(AuthenticateClient(_tls_node())(_exchange(CLIENT)))


def test_the_frontends_binding_for_another_subsystem_is_refused() -> None:
    with pytest.raises(InvalidClientIdentifierError, match="certificate is bound to"):
        asyncio.run(AuthenticateClient(_tls_node())(_exchange(OTHER)))


def test_without_the_frontends_binding_the_certificate_is_read() -> None:
    with pytest.raises(AccessDeniedError, match="no client certificate presented"):
        asyncio.run(AuthenticateClient(_tls_node())(_exchange(None)))
