"""``xoev.xpersonenstand``: XPersonenstand 26.11 birth and death notifications <-> Person.

Usage::

    from connectors.xoev.xpersonenstand import XPersonenstandConnector

    connector = XPersonenstandConnector(ConnectorOptions(schema_dir=Path("/etc/xgw/schemas")))
    envelope = await connector.decode(body, "application/xml")   # a Person with its event
    body, media_type, notes = connector.encode_with_notes(envelope)

The modules: :mod:`.codec` (the connector), :mod:`.mapping` (message -> Person, one pass),
:mod:`.encoding` and :mod:`.writer` (Person -> message), :mod:`.models` (names, code lists,
the header), :mod:`.notes`, :mod:`.validation` and :mod:`.resolver` (the XSD, resolved
offline), :mod:`connectors.xoev.din91379` (the characters a text may carry).
docs/connectors/xoev-xpersonenstand.md says what is carried and what becomes a note.
"""

from __future__ import annotations

from connectors.xoev.xpersonenstand.codec import XPersonenstandConnector
from connectors.xoev.xpersonenstand.models import Party, PortalHeader, PostalAddress

__all__ = ["Party", "PortalHeader", "PostalAddress", "XPersonenstandConnector"]
