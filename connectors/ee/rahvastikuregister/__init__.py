"""``ee.rahvastikuregister``: the Estonian Population Register's REST ``isikud`` service.

Usage::

    from connectors.ee.rahvastikuregister import RahvastikuregisterConnector

    connector = RahvastikuregisterConnector(ConnectorOptions())
    envelope = await connector.decode(json_bytes, "application/json")   # PersonQuery / Person

The codec is :mod:`.connector`, the pure mapping :mod:`.mapping`, the JSON
Schemas (xgw's own, derived from the samples) :mod:`.schema`. See
docs/connectors/ee-rahvastikuregister.md.
"""

from __future__ import annotations

from connectors.ee.rahvastikuregister.connector import MEDIA_TYPE, RahvastikuregisterConnector

__all__ = ["MEDIA_TYPE", "RahvastikuregisterConnector"]
