"""Connectors are registered explicitly; outside ones through the ``xgw.connectors`` entry points.

Usage::

    registry = default_registry()
    registry.get("opaque")            # UnknownConnectorError names the known ones
    registry.names()
"""

from __future__ import annotations

import logging
from functools import cache
from importlib.metadata import entry_points

from connectors.base import Connector
from connectors.opaque import OpaqueConnector
from gateway.errors import ConnectorError

__all__ = ["ENTRY_POINT_GROUP", "ConnectorRegistry", "default_registry"]

ENTRY_POINT_GROUP = "xgw.connectors"
_logger = logging.getLogger(__name__)


class ConnectorRegistry:
    def __init__(self) -> None:
        self._connectors: dict[str, Connector] = {}

    def register(self, connector: Connector) -> None:
        if connector.name in self._connectors:
            raise ValueError(f"connector {connector.name!r} is registered twice")
        self._connectors[connector.name] = connector

    def get(self, name: str) -> Connector:
        try:
            return self._connectors[name]
        except KeyError:
            raise ConnectorError(
                f"no connector for format {name!r}; known: {', '.join(self.names())}"
            ) from None

    def names(self) -> list[str]:
        return sorted(self._connectors)


@cache
def default_registry() -> ConnectorRegistry:
    registry = ConnectorRegistry()
    registry.register(OpaqueConnector())
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        try:
            registry.register(entry.load()())
        except Exception:  # a broken add-on must not stop the gateway; it is named in the log
            _logger.exception("connector entry point %s could not be loaded", entry.name)
    return registry
