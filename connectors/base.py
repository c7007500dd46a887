"""The connector interface: native bytes <-> canonical document, never a silent drop.

Usage::

    class MyConnector:
        name = "xoev.xgewerbeanzeige"
        schema_ids = ("xgewerbeanzeige/gewerbemeldung.v2",)
        async def decode(self, body: bytes, media_type: str) -> Envelope: ...
        async def encode(self, envelope: Envelope) -> tuple[bytes, str]: ...

A connector validates its input and its output against the native schema and
reports every field it could not carry across in ``Envelope.notes``; the notes
travel with the exchange into the audit record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

__all__ = ["Connector", "Envelope"]


@dataclass(frozen=True)
class Envelope:
    """A document in transit: canonical content (or opaque bytes) plus what was lost."""

    media_type: str
    document: dict[str, Any] | None = None  # the canonical document, when there is one
    raw: bytes | None = None  # opaque payloads travel as they are
    notes: tuple[str, ...] = field(default=())


class Connector(Protocol):
    name: str
    schema_ids: tuple[str, ...]

    async def decode(self, body: bytes, media_type: str) -> Envelope: ...

    async def encode(self, envelope: Envelope) -> tuple[bytes, str]: ...
