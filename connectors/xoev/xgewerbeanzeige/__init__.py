"""The ``xoev.xgewerbeanzeige`` connector: XGewerbeanzeige 2.x Gewerbemeldung <-> TradeNotification.

Usage::

    connector = XGewerbeanzeigeConnector(ConnectorOptions())      # schemas compiled here, once
    envelope = await connector.decode(xml_bytes, "application/xml")
    envelope.kind, envelope.notes          # "TradeNotification", what could not be carried
    body, media_type = await connector.encode(envelope)           # a 2.2 alg.gewerbemeldung.0300

Reads Anmeldung, Ummeldung and Abmeldung of XGewerbeanzeige 2.0, 2.1 and 2.2 (one record
per message), validated with xgw's own subset XSD (``schemas/xoev/xgewerbeanzeige/``) or the
operator's (``<schema_dir>/xgewerbeanzeige/<version>/xgewerbeanzeige.xsd``). Writes one
version and message type, chosen when the connector is built (default 2.2,
``alg.gewerbemeldung.0300``), and validates its output. 1.3 (DatML/RAW) is refused.
docs/connectors/xoev-xgewerbeanzeige.md lists what is carried and what becomes a note.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from importlib import metadata

from connectors.base import ConnectorOptions, EncodeWithNotes, Envelope
from connectors.xoev.xgewerbeanzeige import codec
from connectors.xoev.xgewerbeanzeige.mapping import Header, to_canonical, to_native
from gateway.errors import ConnectorError

__all__ = ["CANONICAL_MEDIA_TYPE", "MESSAGE_TYPES", "XGewerbeanzeigeConnector"]

_logger = logging.getLogger(__name__)

CANONICAL_MEDIA_TYPE = "application/vnd.xgw.canonical+json"
KIND = "TradeNotification"
# The message roots our schema declares (the ones seen in the KoSIT 2.x samples).
MESSAGE_TYPES: tuple[str, ...] = (
    "sta.gewerbemeldung.0100",
    "dgu.gewerbemeldung.0230",
    "lue.gewerbemeldung.0290",
    "alg.gewerbemeldung.0300",
    "abh.gewerbemeldung.0500",
)
_XML_MEDIA_TYPES = ("application/xml", "text/xml", "application/octet-stream")


def _product_version() -> str | None:
    try:
        return metadata.version("xgw")
    except metadata.PackageNotFoundError:
        return None


class XGewerbeanzeigeConnector(EncodeWithNotes):
    """Codec for XGewerbeanzeige 2.x; ``version`` and ``message`` pick what ``encode`` writes."""

    name = "xoev.xgewerbeanzeige"
    # The canonical kinds a request to this format's services may be (gateway.stages.derive).
    request_kinds: tuple[str, ...] = ("TradeNotification",)
    schema_ids: tuple[str, ...] = tuple(f"xoev/xgewerbeanzeige/{v}" for v in codec.VERSIONS)

    def __init__(
        self,
        options: ConnectorOptions | None = None,
        *,
        version: str = "2.2",
        message: str = "alg.gewerbemeldung.0300",
    ) -> None:
        if version not in codec.VERSIONS:
            raise ConnectorError(f"XGewerbeanzeige {version} is not supported: {codec.VERSIONS}")
        if message not in MESSAGE_TYPES:
            raise ConnectorError(f"unknown XGewerbeanzeige message {message!r}: {MESSAGE_TYPES}")
        self.options = options or ConnectorOptions()
        self.version = version
        self.message = message
        self.schemas = codec.SchemaSet(self.options.schema_dir)
        self._product_version = _product_version()

    async def decode(self, body: bytes, media_type: str) -> Envelope:
        return self.decode_now(body, media_type)

    def decode_now(self, body: bytes, media_type: str = "application/xml") -> Envelope:
        """``decode`` without the event loop (CLI, tests, benchmarks)."""
        essence = media_type.split(";")[0].strip().lower()
        if essence not in _XML_MEDIA_TYPES and not essence.endswith("+xml"):
            raise ConnectorError(f"XGewerbeanzeige is XML; got media type {media_type!r}")
        root = codec.parse(body)
        version = codec.version_of(root)
        self.schemas.check(version, root, "input")
        document, notes = to_canonical(root, version, lenient=self.options.lenient_identifiers)
        return Envelope(CANONICAL_MEDIA_TYPE, document=document, notes=notes, kind=KIND)

    def encode_with_notes(self, envelope: Envelope) -> tuple[bytes, str, tuple[str, ...]]:
        """The message, its media type and what the canonical document had that it cannot carry."""
        if envelope.kind != KIND or envelope.document is None:
            raise ConnectorError(
                f"xoev.xgewerbeanzeige encodes a {KIND}, not {envelope.kind or 'raw bytes'}"
            )
        header = Header(
            message_id=str(uuid.uuid4()),
            created=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            product_version=self._product_version,
        )
        body, notes = to_native(envelope.document, self.version, self.message, header)
        self.schemas.check(self.version, codec.parse_written(body), "output")
        return body, "application/xml", notes
