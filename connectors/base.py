"""The connector interface: native bytes <-> canonical document, never a silent drop.

Usage::

    class MyConnector:
        name = "xoev.xgewerbeanzeige"
        schema_ids = ("xgewerbeanzeige/gewerbemeldung.v2",)

        def __init__(self, options: ConnectorOptions) -> None: ...
        async def decode(self, body: bytes, media_type: str) -> Envelope: ...
        async def encode(self, envelope: Envelope) -> tuple[bytes, str]: ...

A connector validates its input and its output against the native schema and
reports every field it could not carry across in ``Envelope.notes``; the notes
travel with the exchange into the audit record. ``decode`` turns any message of
its format (a query, an answer, a notification) into the canonical document of
the matching ``kind``; ``encode`` turns a canonical document of a kind it
handles into the native message. The canonical model (schemas, types, the
rules for dates, names, identifiers and countries) is docs/canonical-model.md;
``connectors.canonical.validate(kind, document)`` checks a document against it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

__all__ = [
    "Connector",
    "ConnectorOptions",
    "EncodeWithNotes",
    "EncodesWithNotes",
    "Envelope",
]


@dataclass(frozen=True)
class ConnectorOptions:
    """What an operator configures for all connectors of a gateway node."""

    # Official schema sets (XRepository, the partners' own); None: the schemas xgw ships.
    schema_dir: Path | None = None
    # Accept the partners' published test identifiers that fail their own checksums.
    lenient_identifiers: bool = False


@dataclass(frozen=True)
class Envelope:
    """A document in transit: canonical content (or opaque bytes) plus what was lost."""

    media_type: str
    document: dict[str, Any] | None = None  # the canonical document, when there is one
    raw: bytes | None = None  # opaque payloads travel as they are
    notes: tuple[str, ...] = field(default=())
    # The canonical type of ``document``, one of connectors.canonical.KINDS ("Person",
    # "PersonQuery", "TradeNotification", ...); validate(kind, document) checks it.
    kind: str | None = None


class Connector(Protocol):
    name: str
    schema_ids: tuple[str, ...]

    async def decode(self, body: bytes, media_type: str) -> Envelope: ...

    async def encode(self, envelope: Envelope) -> tuple[bytes, str]: ...


@runtime_checkable
class EncodesWithNotes(Protocol):
    """A connector whose encoding can lose fields says which: the notes reach the audit log."""

    def encode_with_notes(self, envelope: Envelope) -> tuple[bytes, str, Sequence[str]]: ...


class EncodeWithNotes:
    """The plain ``encode`` for a connector that implements ``encode_with_notes``.

    The gateway calls ``encode_with_notes`` (the notes go into the audit record);
    callers of the bare protocol still get the notes in the log, places only.
    """

    name: str

    def encode_with_notes(self, envelope: Envelope) -> tuple[bytes, str, Sequence[str]]:
        raise NotImplementedError

    async def encode(self, envelope: Envelope) -> tuple[bytes, str]:
        body, media_type, notes = self.encode_with_notes(envelope)
        logger = logging.getLogger(f"gateway.connector.{self.name}")
        for note in notes:
            logger.info("translation note: %s", note)
        return body, media_type
