"""Connectors are registered explicitly; outside ones through the ``xgw.connectors`` entry points.

Usage::

    registry = ConnectorRegistry.default(ConnectorOptions(schema_dir=Path("/etc/xgw/xsd")))
    registry.get("nl.brp")            # ConnectorError names the known ones
    registry.names()

A registration is a factory (usually the connector class) called with the node's
:class:`~connectors.base.ConnectorOptions`; each node builds its connectors once,
at start, so schemas are compiled once.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from importlib.metadata import entry_points

from connectors.base import Connector, ConnectorOptions
from gateway.errors import ConnectorError

__all__ = ["BUILT_IN", "ENTRY_POINT_GROUP", "ConnectorFactory", "ConnectorRegistry"]

ENTRY_POINT_GROUP = "xgw.connectors"
_logger = logging.getLogger(__name__)

ConnectorFactory = Callable[[ConnectorOptions], Connector]

# name -> "module:attribute" of the factory; imported when a registry is built.
BUILT_IN: dict[str, str] = {
    "be.magda": "connectors.be.magda:MagdaConnector",
    "ee.ariregister": "connectors.ee.ariregister:AriregisterConnector",
    "ee.rahvastikuregister": "connectors.ee.rahvastikuregister:RahvastikuregisterConnector",
    "nl.brp": "connectors.nl.brp:BrpConnector",
    "nl.kvk": "connectors.nl.kvk:KvkConnector",
    "opaque": "connectors.opaque:OpaqueConnector",
    "xoev.xgewerbeanzeige": "connectors.xoev.xgewerbeanzeige:XGewerbeanzeigeConnector",
    "xoev.xmeld": "connectors.xoev.xmeld:XMeldConnector",
    "xoev.xpersonenstand": "connectors.xoev.xpersonenstand:XPersonenstandConnector",
}


class ConnectorRegistry:
    def __init__(self, options: ConnectorOptions | None = None) -> None:
        self.options = options or ConnectorOptions()
        self._connectors: dict[str, Connector] = {}

    @classmethod
    def default(cls, options: ConnectorOptions | None = None) -> ConnectorRegistry:
        """The built-in connectors plus every one an installed package announces."""
        registry = cls(options)
        for name, target in BUILT_IN.items():
            registry.register(name, _load(target))
        for entry in entry_points(group=ENTRY_POINT_GROUP):
            try:
                registry.register(entry.name, entry.load())
            except Exception:  # a broken add-on must not stop the gateway; the log names it
                _logger.exception("connector entry point %s could not be loaded", entry.name)
        return registry

    def register(self, name: str, factory: ConnectorFactory) -> None:
        if name in self._connectors:
            raise ValueError(f"connector {name!r} is registered twice")
        connector = factory(self.options)
        if connector.name != name:
            raise ValueError(f"connector registered as {name!r} calls itself {connector.name!r}")
        self._connectors[name] = connector

    def get(self, name: str) -> Connector:
        try:
            return self._connectors[name]
        except KeyError:
            raise ConnectorError(
                f"no connector for format {name!r}; known: {', '.join(self.names())}"
            ) from None

    def names(self) -> list[str]:
        return sorted(self._connectors)


def _load(target: str) -> ConnectorFactory:
    module, _, attribute = target.partition(":")
    factory: ConnectorFactory = getattr(importlib.import_module(module), attribute)
    return factory
