"""The ``xoev.xpersonenstand`` connector: XPersonenstand 26.11 portal messages <-> Person.

Usage::

    connector = XPersonenstandConnector(ConnectorOptions(schema_dir=Path("/etc/xgw/schemas")))
    envelope = await connector.decode(xml_bytes, "application/xml")   # kind "Person"
    body, media_type = await connector.encode(envelope)                # 084020 or 081020
    body, media_type, notes = connector.encode_with_notes(envelope)

Handles ``portal2StA.Sterbefall.084020`` (death notified by an institution) and
``portal2StA.Geburt.081020`` (birth notified by an institution). Both directions check
the message against the schema chosen at start (:mod:`.validation`): the official set
from the schema directory, else xgw's own subset. Encoding regenerates the header from
the :class:`~.models.PortalHeader` given at construction (placeholders and a note if
none), and notes every canonical field the message does not carry: the specific
reasons from :mod:`.encoding`, plus whatever a decode of the result lacks.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import Any, cast

from lxml import etree

from connectors.base import ConnectorOptions, Envelope
from connectors.canonical import Person
from connectors.xoev.xpersonenstand.encoding import to_native
from connectors.xoev.xpersonenstand.mapping import message_type, to_canonical
from connectors.xoev.xpersonenstand.models import MEDIA_TYPE, PortalHeader
from connectors.xoev.xpersonenstand.notes import Notes
from connectors.xoev.xpersonenstand.resolver import parse_message
from connectors.xoev.xpersonenstand.validation import PortalSchema
from gateway.errors import ConnectorError

__all__ = ["XPersonenstandConnector"]

_logger = logging.getLogger("gateway.connector.xoev.xpersonenstand")


class XPersonenstandConnector:
    name = "xoev.xpersonenstand"

    def __init__(
        self, options: ConnectorOptions | None = None, *, header: PortalHeader | None = None
    ) -> None:
        self.options = options or ConnectorOptions()
        self.schema = PortalSchema.load(self.options.schema_dir)
        self.header = header or PortalHeader.placeholder()
        self.schema_ids: tuple[str, ...] = (self.schema.schema_id,)

    async def decode(self, body: bytes, media_type: str) -> Envelope:
        return self.decode_message(body)

    async def encode(self, envelope: Envelope) -> tuple[bytes, str]:
        body, media_type, notes = self.encode_with_notes(envelope)
        for note in notes:  # encode() has no place for notes: log them at least
            _logger.info("translation note: %s", note)
        return body, media_type

    def decode_message(self, body: bytes) -> Envelope:
        """The Person of a portal message; ConnectorError with the validator's reason."""
        tree = parse_message(body)
        message_type(tree.getroot())  # refuse another message type before validating
        self.schema.check(tree)
        decoded = to_canonical(tree.getroot())
        return Envelope(
            MEDIA_TYPE, document=dict(decoded.person), notes=decoded.notes, kind="Person"
        )

    def encode_with_notes(self, envelope: Envelope) -> tuple[bytes, str, tuple[str, ...]]:
        """The portal message for ``envelope``'s Person and what it could not carry."""
        if envelope.kind != "Person" or envelope.document is None:
            raise ConnectorError(
                f"{self.name} encodes a Person with a birth or death event, not {envelope.kind}"
            )
        person = cast(Person, envelope.document)
        encoded = to_native(
            person, self.header, message_id=str(uuid.uuid4()), created=dt.datetime.now(dt.UTC)
        )
        self.schema.check(encoded.root, "output")
        carried = to_canonical(encoded.root).person
        _note_losses(dict(person), dict(carried), encoded.notes, encoded.message.name)
        body = etree.tostring(encoded.root, xml_declaration=True, encoding="UTF-8")
        return body, MEDIA_TYPE, encoded.notes.as_tuple()


def _note_losses(sent: dict[str, Any], carried: dict[str, Any], notes: Notes, name: str) -> None:
    """A note for every field of ``sent`` that comes back different and has none yet.

    The note names the outermost field that is missing altogether (``identifiers``,
    not each of its parts), else the field whose value differs.
    """
    if sent == carried and not notes.moves:
        return  # the usual case: everything came back
    back = dict(_leaves(carried))
    present = {prefix for path in back for prefix in _prefixes(path)}
    for path, value in _leaves(sent):
        target = notes.moved(path) if notes.moves else path  # an item may change its index
        if back.get(target) == value or notes.covers(path):
            continue
        alias = notes.alias_of(path)
        if alias is not None and notes.covers(alias[2]):
            notes.add(alias[0], f"the same as {alias[1]}: what its notes say applies here too")
            continue
        missing = next((p for p in _prefixes(target) if p not in present), target)
        lost = path[: len(path) - (len(target) - len(missing))]
        if not notes.covers(lost):
            notes.add(lost, f"not carried by {name}")


def _prefixes(path: str) -> list[str]:
    """``a.b[0].c`` -> ``a``, ``a.b``, ``a.b[0]``, ``a.b[0].c``."""
    cuts = [i for i, c in enumerate(path) if c in ".["] + [len(path)]
    return [path[:i] for i in cuts if i]


def _leaves(value: Any, path: str = "") -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        return [
            leaf
            for key, item in value.items()
            for leaf in _leaves(item, f"{path}.{key}" if path else key)
        ]
    if isinstance(value, list):
        return [leaf for i, item in enumerate(value) for leaf in _leaves(item, f"{path}[{i}]")]
    return [(path, value)]
