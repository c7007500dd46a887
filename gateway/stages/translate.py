"""Translation at the edges: decode at the caller's gateway, encode at the provider's.

Usage::

    Pipeline(stages=(..., Authorize(node, ...), DecodeClientRequest(node), SendSigned(node),
                     VerifyResponse(node), EncodeClientResponse(node)), ...)

Between two gateways a translated exchange carries one canonical document per
message (``application/vnd.xgw.canonical+json``: kind, document, notes), signed
like any body. Each gateway knows only its own side's format: the caller's
gateway the client system's (``[[clients]] format``, or the one its frontend fixes
in ``Exchange.client_format``), the provider's gateway the backend's
(``[[services]] format``). ``opaque`` on either side means no translation there; a
body that is not canonical passes to the backend as it is.

A frontend may add canonical properties the client's format has no place for
(``Exchange.canonical_context``); a connector that shapes its answers after the
request (:class:`AnswersRequests`, e.g. a BRP answer's ``type`` and ``fields``)
gets the client's native request back when the answer is encoded.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import orjson

from connectors.base import EncodesWithNotes, Envelope
from connectors.canonical.validate import validate as validate_canonical
from gateway.errors import CLIENT, CLIENT_PROXY, SERVER_PROXY, ConnectorError, GatewayError
from gateway.node import Node
from gateway.pipeline import Exchange, Reply
from gateway.signing import body_digest
from gateway.xroad_rest import last_header

__all__ = [
    "CANONICAL_MEDIA_TYPE",
    "AnswersRequests",
    "DecodeBackendResponse",
    "DecodeClientRequest",
    "EncodeBackendRequest",
    "EncodeClientResponse",
    "decode_native",
    "encode_native",
    "from_wire",
    "to_wire",
]

CANONICAL_MEDIA_TYPE = "application/vnd.xgw.canonical+json"
_OPAQUE = "opaque"


def to_wire(envelope: Envelope) -> bytes:
    """The canonical document as it travels between gateways."""
    return orjson.dumps(
        {"kind": envelope.kind, "document": envelope.document, "notes": list(envelope.notes)}
    )


def from_wire(body: bytes) -> Envelope:
    """Parse and validate a canonical message from a peer; ConnectorError if it is not one."""
    try:
        message = orjson.loads(body)
        kind, document, notes = message["kind"], message["document"], message.get("notes", [])
    except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
        raise ConnectorError(f"not a canonical message: {exc}") from exc
    if not isinstance(kind, str) or not isinstance(notes, list):
        raise ConnectorError("not a canonical message: kind or notes of the wrong type")
    validate_canonical(kind, document)
    return Envelope(
        CANONICAL_MEDIA_TYPE, document=document, notes=tuple(map(str, notes)), kind=kind
    )


def _is_canonical(content_type: str | None) -> bool:
    return content_type is not None and content_type.split(";")[0].strip() == CANONICAL_MEDIA_TYPE


def _content_type(headers: list[tuple[str, str]]) -> str:
    return last_header(headers, "Content-Type") or "application/octet-stream"


def _with_content_type(headers: list[tuple[str, str]], media_type: str) -> list[tuple[str, str]]:
    kept = [(n, v) for n, v in headers if n.lower() != "content-type"]
    return [*kept, ("Content-Type", media_type)]


async def encode_native(
    node: Node, name: str, envelope: Envelope
) -> tuple[bytes, str, Sequence[str]]:
    """Native bytes, their media type, and what the encoding could not carry."""
    connector = node.connectors.get(name)
    if isinstance(connector, EncodesWithNotes):
        return connector.encode_with_notes(envelope)
    body, media_type = await connector.encode(envelope)
    return body, media_type, []


async def decode_native(node: Node, name: str, body: bytes, media_type: str) -> Envelope:
    envelope = await node.connectors.get(name).decode(body, media_type)
    if envelope.kind is None or envelope.document is None:
        raise ConnectorError(f"connector {name} produced no canonical document")
    validate_canonical(envelope.kind, envelope.document)
    return envelope


@runtime_checkable
class AnswersRequests(Protocol):
    """A connector whose answer depends on the request it answers (the request's own bytes)."""

    def encode_answer(
        self, envelope: Envelope, request: bytes
    ) -> tuple[bytes, str, Sequence[str]]: ...


def _rehome(error: GatewayError, origin: str) -> GatewayError:
    return error.with_origin(origin)


def _client_format(ex: Exchange, formats: dict[str, str]) -> str:
    """The frontend's fixed format, else the authenticated client's configured one."""
    return ex.client_format or formats.get(str(ex.client), _OPAQUE)


def _with_context(envelope: Envelope, ex: Exchange, name: str) -> Envelope:
    """The decoded request plus what the frontend adds where the request has nothing."""
    document = envelope.document
    assert document is not None and envelope.kind is not None
    added = {k: v for k, v in ex.canonical_context.items() if k not in document}
    if not added:
        return envelope
    merged = {**document, **added}
    try:
        validate_canonical(envelope.kind, merged)
    except ConnectorError as exc:  # the frontend's configuration does not fit
        raise _rehome(exc, CLIENT_PROXY) from None
    notes = [f"{name}: $.{key}: added by the frontend (the format has no field for it)"
             for key in added]  # fmt: skip
    return Envelope(
        envelope.media_type, document=merged, notes=(*envelope.notes, *notes), kind=envelope.kind
    )


class DecodeClientRequest:
    """The client system's native request becomes a canonical document (caller's edge)."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self.formats = {c.subsystem: c.format for c in node.settings.clients}

    async def __call__(self, ex: Exchange) -> None:
        name = _client_format(ex, self.formats)
        if name == _OPAQUE or not ex.body:
            return
        try:
            envelope = await decode_native(self.node, name, ex.body, _content_type(ex.headers))
        except ConnectorError as exc:
            raise _rehome(exc, CLIENT) from None  # the client's payload failed its schema
        envelope = _with_context(envelope, ex, name)
        ex.notes.extend(envelope.notes)
        ex.client_request = ex.body
        ex.body = to_wire(envelope)
        ex.headers = _with_content_type(ex.headers, CANONICAL_MEDIA_TYPE)
        ex.request_digest = body_digest(ex.body)
        ex.translated = True


class EncodeClientResponse:
    """A canonical answer becomes the client system's native format (caller's edge)."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self.formats = {c.subsystem: c.format for c in node.settings.clients}

    async def __call__(self, ex: Exchange) -> None:
        reply = ex.response
        name = _client_format(ex, self.formats)
        if reply is None or name == _OPAQUE or not _is_canonical(_content_type(reply.headers)):
            return
        try:
            envelope = from_wire(reply.body)
            connector = self.node.connectors.get(name)
            if isinstance(connector, AnswersRequests) and ex.client_request is not None:
                body, media_type, lost = connector.encode_answer(envelope, ex.client_request)
            else:
                body, media_type, lost = await encode_native(self.node, name, envelope)
        except ConnectorError as exc:
            raise _rehome(exc, CLIENT_PROXY) from None
        ex.notes.extend([*envelope.notes, *lost])
        ex.response = Reply(
            reply.status,
            _with_content_type(reply.headers, media_type),
            body,
            reply.signature,
            reply.body_digest(),
        )


def _backend_format(node: Node, formats: dict[tuple[str, str], str | None], ex: Exchange) -> str:
    """The backend's format: the node's configuration, else what the directory publishes."""
    assert ex.service is not None
    name = formats.get((ex.service.provider.subsystem or "", ex.service.code))
    if name is None and ex.directory is not None:
        service = ex.directory.service(ex.service)
        name = service.format if service is not None else None
    return name or _OPAQUE


class EncodeBackendRequest:
    """A canonical request becomes the backend's native format (provider's edge)."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self.formats = {(s.subsystem, s.code): s.format for s in node.settings.services}

    async def __call__(self, ex: Exchange) -> None:
        name = _backend_format(self.node, self.formats, ex)
        if name == _OPAQUE or not _is_canonical(_content_type(ex.headers)):
            return
        try:
            envelope = from_wire(ex.body)
            body, media_type, lost = await encode_native(self.node, name, envelope)
        except ConnectorError as exc:
            raise _rehome(exc, CLIENT) from None  # the caller's document does not fit
        ex.notes.extend([*envelope.notes, *lost])
        ex.backend_body = body
        ex.backend_headers = _with_content_type(ex.headers, media_type)
        ex.translated = True


class DecodeBackendResponse:
    """The backend's native answer becomes a canonical document (provider's edge)."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self.formats = {(s.subsystem, s.code): s.format for s in node.settings.services}

    async def __call__(self, ex: Exchange) -> None:
        reply = ex.response
        # The backend's own errors (4xx, 5xx) pass as they are: they are its verdict.
        if reply is None or not ex.translated or ex.error is not None or reply.status >= 300:
            return
        name = _backend_format(self.node, self.formats, ex)
        try:
            envelope = await decode_native(
                self.node, name, reply.body, _content_type(reply.headers)
            )
        except ConnectorError as exc:
            raise _rehome(exc, SERVER_PROXY) from None  # the backend's answer failed
        ex.notes.extend(envelope.notes)
        ex.response = Reply(
            reply.status, _with_content_type(reply.headers, CANONICAL_MEDIA_TYPE), to_wire(envelope)
        )
