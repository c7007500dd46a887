"""Pure mapping between an XGewerbeanzeige 2.x tree and the canonical TradeNotification.

Usage::

    doc, notes = to_canonical(root, "2.2")                  # one pass over the tree
    body, notes = to_native(doc, "2.2", "alg.gewerbemeldung.0300",
                            Header(message_id=str(uuid4()), created="2025-01-01T12:00:00+00:00"))

No I/O and no clock: the header values of an encoded message come in as ``Header``. What is
carried and what becomes a note is listed in docs/connectors/xoev-xgewerbeanzeige.md.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from connectors.xoev.xgewerbeanzeige._read import read_message
from connectors.xoev.xgewerbeanzeige._write import Header, write_message

__all__ = ["Header", "to_canonical", "to_native"]


def to_canonical(
    root: etree._Element, version: str, *, lenient: bool = False
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The TradeNotification of a validated message, and its translation notes."""
    doc, notes = read_message(root, version, lenient=lenient)
    return doc, notes.result()


def to_native(
    doc: dict[str, Any], version: str, root_name: str, header: Header
) -> tuple[bytes, tuple[str, ...]]:
    """The message's bytes, not yet validated, and what the document had that it cannot carry."""
    body, notes = write_message(doc, version, root_name, header)
    return body, notes.result()
