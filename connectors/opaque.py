"""The ``opaque`` connector: the payload crosses unchanged, as X-Road carries it.

Usage::

    envelope = await OpaqueConnector().decode(b"...", "application/json")
"""

from __future__ import annotations

from connectors.base import ConnectorOptions, Envelope

__all__ = ["OpaqueConnector"]


class OpaqueConnector:
    name = "opaque"
    schema_ids: tuple[str, ...] = ()

    def __init__(self, options: ConnectorOptions | None = None) -> None:
        self.options = options

    async def decode(self, body: bytes, media_type: str) -> Envelope:
        return Envelope(media_type=media_type, raw=body)

    async def encode(self, envelope: Envelope) -> tuple[bytes, str]:
        return envelope.raw or b"", envelope.media_type
