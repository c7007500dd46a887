"""``nl.brp``: Haal Centraal BRP Personen (``POST /personen``) <-> PersonQuery / Person.

Usage::

    from connectors.nl.brp import BrpConnector
    connector = BrpConnector(ConnectorOptions(lenient_identifiers=True))

See docs/connectors/nl-brp.md for what is carried and what becomes a note.
"""

from __future__ import annotations

from connectors.nl.brp.connector import MEDIA_TYPE, PERSON_LIST, BrpConnector

__all__ = ["MEDIA_TYPE", "PERSON_LIST", "BrpConnector"]
