"""Both connectors follow the Connector protocol and register like the built-in ones."""

from __future__ import annotations

import logging

import orjson
import pytest

from connectors.base import ConnectorOptions, Envelope
from connectors.nl.brp import BrpConnector
from connectors.nl.kvk import KvkConnector
from connectors.registry import ConnectorRegistry
from tests.connectors.nl import samples


def test_they_register_under_their_names():
    registry = ConnectorRegistry(ConnectorOptions(lenient_identifiers=True))
    registry.register("nl.brp", BrpConnector)
    registry.register("nl.kvk", KvkConnector)
    assert registry.names() == ["nl.brp", "nl.kvk"]
    assert registry.get("nl.brp").schema_ids == ("urn:xgw:nl:brp:personen:1",)
    assert registry.get("nl.kvk").schema_ids == ("urn:xgw:nl:kvk:basisprofiel:1",)


async def test_async_decode_and_encode(caplog: pytest.LogCaptureFixture):
    brp, kvk = BrpConnector(), KvkConnector()
    envelope = await brp.decode(orjson.dumps(samples.RAADPLEEG_REQUEST), "application/json")
    assert envelope.kind == "PersonQuery"
    body, media_type = await brp.encode(envelope)
    assert media_type == "application/json" and orjson.loads(body) == samples.RAADPLEEG_REQUEST
    entity = await kvk.decode(orjson.dumps(samples.BASISPROFIEL), "application/json")
    with caplog.at_level(logging.INFO, logger="gateway.connector.nl.kvk"):
        await kvk.encode(Envelope("x", document={**entity.document, "status": {"code": "R"}},  # type: ignore[dict-item]
                                  kind="LegalEntity"))  # fmt: skip
    assert "nl.kvk: $.status: not sent" in caplog.text  # encode notes are logged, for now
