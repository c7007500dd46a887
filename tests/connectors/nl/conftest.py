"""Connectors built both ways: with the shipped schemas, and the official ones from ../shared."""

from __future__ import annotations

import pytest

from connectors.base import ConnectorOptions
from connectors.nl.brp import BrpConnector
from connectors.nl.kvk import KvkConnector
from tests.connectors.nl.reference import SHARED

MODES = {"shipped": None, "official": SHARED}


@pytest.fixture(scope="session", params=sorted(MODES))
def brp(request: pytest.FixtureRequest) -> BrpConnector:
    return BrpConnector(ConnectorOptions(schema_dir=MODES[request.param]))


@pytest.fixture(scope="session", params=sorted(MODES))
def kvk(request: pytest.FixtureRequest) -> KvkConnector:
    return KvkConnector(ConnectorOptions(schema_dir=MODES[request.param]))


@pytest.fixture(scope="session")
def brp_lenient() -> BrpConnector:
    return BrpConnector(ConnectorOptions(lenient_identifiers=True))
