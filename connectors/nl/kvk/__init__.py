"""``nl.kvk``: KvK API Basisprofiel <-> LegalEntity, and LegalEntityQuery -> the GET request.

Usage::

    from connectors.nl.kvk import KvkConnector
    connector = KvkConnector(ConnectorOptions())

See docs/connectors/nl-kvk.md for what is carried, what becomes a note, and how
the GET request travels (``message/http``).
"""

from __future__ import annotations

from connectors.nl.kvk.connector import MEDIA_TYPE, REQUEST_MEDIA_TYPE, KvkConnector

__all__ = ["MEDIA_TYPE", "REQUEST_MEDIA_TYPE", "KvkConnector"]
