"""The ``be.magda`` connector: Flemish MAGDA GeefPersoon 02.02 and GeefOnderneming 02.00.

Usage::

    from connectors.be.magda import MagdaConnector
    connector = MagdaConnector(ConnectorOptions(schema_dir=None, lenient_identifiers=False))
    envelope = await connector.decode(body, "text/xml")

docs/connectors/be-magda.md says what is carried, what becomes a note and where the schemas come
from.
"""

from __future__ import annotations

from connectors.be.magda.connector import MagdaConnector

__all__ = ["MagdaConnector"]
