"""Dutch connectors: ``nl.brp`` (Haal Centraal BRP Personen) and ``nl.kvk`` (KvK Basisprofiel).

Usage::

    from connectors.nl.brp import BrpConnector
    from connectors.nl.kvk import KvkConnector

Both formats are JSON described by an OpenAPI document; ``connectors.nl._openapi``
turns the schemas they use into one Draft 2020-12 JSON Schema (discriminators
included) that is compiled once per connector.
"""

from __future__ import annotations

__all__: list[str] = []
