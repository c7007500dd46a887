"""``xoev.xmeld``: XMeld 25.11a Datenabruf (query 1332 and its answer) <-> PersonQuery / Person.

Usage::

    from connectors.xoev.xmeld import XMeldConnector
    connector = XMeldConnector(ConnectorOptions())
    envelope = connector.decode_message(body)      # PersonQuery, Person or PersonList

See docs/connectors/xoev-xmeld.md for the schema xgw ships, what is carried and what
becomes a note.
"""

from __future__ import annotations

from connectors.xoev.xmeld.connector import MEDIA_TYPE, PERSON_LIST, XMeldConnector

__all__ = ["MEDIA_TYPE", "PERSON_LIST", "XMeldConnector"]
