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

At the edges, two conventions of ``connectors.base`` are honoured:

- a bodiless request is an HTTP request message (``message/http``): a client's
  bodiless GET is decoded from one its connector reads (``decodes_http_requests``),
  and a connector's ``message/http`` encoding is sent as what it says, once
  :func:`backend_request` has checked that it stays on the backend;
- a SOAP service whose connector is an X-Road producer's (``xroad_soap_header``)
  gets the exchange's X-Road header fields in its empty ``SOAP-ENV:Header``.

The client sees the exchange's translation notes in ``X-Xgw-Translation-Notes``
(:func:`notes_field`): an RFC 9651 List of Display Strings, at most
:data:`NOTES_FIELD_LIMIT` bytes; the audit record keeps them all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol, cast, runtime_checkable
from urllib.parse import unquote

import orjson

from connectors.base import (
    HTTP_REQUEST_MEDIA_TYPE,
    EncodesWithNotes,
    Envelope,
    decodes_http_requests,
    http_request_message,
    is_http_request,
    parse_http_request,
    wants_xroad_soap_header,
)
from connectors.canonical.validate import validate as validate_canonical
from gateway.errors import CLIENT, CLIENT_PROXY, SERVER_PROXY, ConnectorError, GatewayError
from gateway.node import Node
from gateway.pipeline import Exchange, Reply
from gateway.signing import body_digest
from gateway.stages.common import is_metaservice
from gateway.stages.partner_messages import exchange_fields, with_xroad_header
from gateway.xroad_rest import HOP_BY_HOP, last_header

__all__ = [
    "CANONICAL_MEDIA_TYPE",
    "NOTES_FIELD_LIMIT",
    "SAFE_METHODS",
    "TRANSLATION_NOTES_HEADER",
    "AnswersRequests",
    "BackendRequest",
    "DecodeBackendResponse",
    "DecodeClientRequest",
    "EncodeBackendRequest",
    "EncodeClientResponse",
    "backend_request",
    "bodiless_headers",
    "canonical_of",
    "decode_native",
    "encode_native",
    "from_wire",
    "is_canonical",
    "notes_field",
    "parse_notes_field",
    "to_wire",
    "wired",
]

CANONICAL_MEDIA_TYPE = "application/vnd.xgw.canonical+json"
TRANSLATION_NOTES_HEADER = "X-Xgw-Translation-Notes"
_NOTES_HEADER = TRANSLATION_NOTES_HEADER.lower()
NOTES_FIELD_LIMIT = 4096  # bytes of the field value: well below servers' 8 KiB per line
# A translated request only reads: the access rights were granted for the request the
# client sent, and a translation must not turn it into one that changes anything.
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
_PASSED_FIELDS = frozenset({"accept", "accept-language"})  # of a message/http, to a backend
_SOAP_CONTENT_TYPE = "text/xml; charset=utf-8"
_OPAQUE = "opaque"


def to_wire(envelope: Envelope) -> bytes:
    """The canonical document as it travels between gateways."""
    return orjson.dumps(
        {"kind": envelope.kind, "document": envelope.document, "notes": list(envelope.notes)}
    )


def wired(envelope: Envelope) -> tuple[bytes, Envelope]:
    """:func:`to_wire`, and the envelope :func:`from_wire` would read back from it.

    A gateway that keeps the second next to the bytes (``Exchange.canonical_body``,
    ``Reply.canonical``) need not parse and validate its own output again.
    """
    read = Envelope(
        CANONICAL_MEDIA_TYPE,
        document=envelope.document,
        notes=tuple(map(str, envelope.notes)),
        kind=envelope.kind,
    )
    return to_wire(read), read


def canonical_of(body: bytes, made: Envelope | None) -> Envelope:
    """The canonical envelope of ``body``: ``made`` when this gateway wrote ``body`` from it,
    else read from the bytes (:func:`from_wire`: parsed and validated)."""
    return made if made is not None else from_wire(body)


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


def is_canonical(content_type: str | None) -> bool:
    """Whether a Content-Type names a canonical document (media types ignore case)."""
    return (
        content_type is not None
        and content_type.split(";")[0].strip().lower() == CANONICAL_MEDIA_TYPE
    )


def _content_type(headers: list[tuple[str, str]]) -> str:
    return last_header(headers, "Content-Type") or "application/octet-stream"


def _with_content_type(headers: list[tuple[str, str]], media_type: str) -> list[tuple[str, str]]:
    # The length test first: most names are not 12 long, and need not be lowercased.
    kept = [(n, v) for n, v in headers if len(n) != 12 or n.lower() != "content-type"]
    kept.append(("Content-Type", media_type))
    return kept


async def encode_native(
    node: Node, name: str, envelope: Envelope
) -> tuple[bytes, str, Sequence[str]]:
    """Native bytes, their media type, and what the encoding could not carry."""
    connector = node.connectors.get(name)
    # What isinstance(connector, EncodesWithNotes) checks, without a runtime Protocol's cost.
    if hasattr(connector, "encode_with_notes"):
        return cast(EncodesWithNotes, connector).encode_with_notes(envelope)
    body, media_type = await connector.encode(envelope)
    return body, media_type, []


async def decode_native(node: Node, name: str, body: bytes, media_type: str) -> Envelope:
    envelope = await node.connectors.get(name).decode(body, media_type)
    if envelope.kind is None or envelope.document is None:
        raise ConnectorError(f"connector {name} produced no canonical document")
    validate_canonical(envelope.kind, envelope.document)
    return envelope


# ----------------------------------------------------------------- bodiless requests


@dataclass(frozen=True, slots=True)
class BackendRequest:
    """A connector's ``message/http`` encoding, checked to stay on the backend it is for."""

    method: str
    target: str  # path [+ "?" query], relative to the backend's (or partner service's) URL
    headers: tuple[tuple[str, str], ...]  # the message's header fields passed on
    notes: tuple[str, ...]  # the header fields that are not


def backend_request(body: bytes, name: str) -> BackendRequest:
    """Read connector ``name``'s HTTP request message; ConnectorError unless it may be sent.

    Sent: a safe method (:data:`SAFE_METHODS`), no body, a target in origin form
    (``/path?query``) that no dot segment, backslash or control character (also
    percent-encoded) leads off the backend's base path, and of its header fields
    ``Accept`` and ``Accept-Language``. A field that frames the message or names
    another host (``Host``, ``Content-Length``, ``Transfer-Encoding``, ...) is
    refused; any other is left out with a note.
    """
    message = parse_http_request(body, name)
    where = f"{name}: message/http"
    if message.method not in SAFE_METHODS:
        raise ConnectorError(
            f"{where}: method {message.method[:16]!r}: a translated request may only read "
            f"({', '.join(SAFE_METHODS)})"
        )
    if message.body:
        raise ConnectorError(f"{where}: a bodiless request carries a body")
    _check_target(message.target, where)
    passed, notes = [], []
    for field_name, value in message.headers:
        lower = field_name.lower()
        if lower in HOP_BY_HOP:
            raise ConnectorError(f"{where}: header field {field_name}: the gateway's own")
        if lower in _PASSED_FIELDS:
            passed.append((field_name, value))
        else:
            notes.append(f"{where}: header field {field_name}: not passed to the backend")
    return BackendRequest(message.method, message.target, tuple(passed), tuple(notes))


def _check_target(target: str, where: str) -> None:
    shown = target[:80]
    if not target.startswith("/") or target.startswith("//"):
        raise ConnectorError(
            f"{where}: target {shown!r} is not a path on the backend (an absolute URL, "
            "another host or no leading '/')"
        )
    if "#" in target or "\\" in target:
        raise ConnectorError(f"{where}: target {shown!r}: '#' or '\\' in a request target")
    path = target.partition("?")[0]
    for _ in range(3):  # a backend that decodes %252e twice sees '.' too
        path = unquote(path)
    leaves = any(segment in (".", "..") for segment in path.replace("\\", "/").split("/"))
    if leaves or path.startswith("//") or any(ord(c) < 0x20 or ord(c) == 0x7F for c in path):
        raise ConnectorError(f"{where}: target {shown!r} leaves the backend's base path")


def bodiless_headers(
    headers: Iterable[tuple[str, str]], request: BackendRequest
) -> list[tuple[str, str]]:
    """The exchange's header fields for ``request``: no Content-Type, the message's own kept."""
    replaced = {"content-type", *(n.lower() for n, _ in request.headers)}
    return [*((n, v) for n, v in headers if n.lower() not in replaced), *request.headers]


# ----------------------------------------------------------------- notes for the client


def _display_string(text: str) -> str:
    """An RFC 9651 Display String: UTF-8, '%', '"' and non-printable bytes as %xx."""
    encoded = _NOT_DISPLAYED.sub(_percent, text.encode("utf-8"))
    return f'%"{encoded.decode("ascii")}"'


# A Display String carries printable ASCII as it is, except '"' and '%' (RFC 9651 3.3.8).
_NOT_DISPLAYED = re.compile(rb"[^\x20\x21\x23\x24\x26-\x7e]")


def _percent(match: re.Match[bytes]) -> bytes:
    return b"%%%02x" % match[0][0]  # lowercase hex, as RFC 9651 requires


def parse_notes_field(value: str) -> list[str]:
    """The notes of an ``X-Xgw-Translation-Notes`` value (what a client reads back)."""
    return [unquote(member) for member in _DISPLAY_STRING.findall(value)]


_DISPLAY_STRING = re.compile(r'%"([^"]*)"')


def _more(count: int) -> str:
    return _display_string(f"... {count} more note{'s' if count != 1 else ''} in the audit log")


def notes_field(notes: Sequence[str], limit: int = NOTES_FIELD_LIMIT) -> str | None:
    """The notes as an RFC 9651 List of Display Strings, at most ``limit`` bytes; None if none.

    Notes are never cut: those that do not fit are counted in a last member,
    ``... N more notes in the audit log``.
    """
    members = [_display_string(note) for note in notes]
    if not members:
        return None
    if len(", ".join(members)) <= limit:
        return ", ".join(members)
    shown, size = 0, 0
    for member in members:  # as many as fit with the count of the rest after them
        grown = size + (2 if shown else 0) + len(member)
        if grown + 2 + len(_more(len(members) - shown - 1)) > limit:
            break
        shown, size = shown + 1, grown
    return ", ".join([*members[:shown], _more(len(members) - shown)])


def _with_notes(headers: list[tuple[str, str]], notes: Sequence[str]) -> list[tuple[str, str]]:
    """``headers`` with our notes field only: one from upstream is not ours to pass on."""
    kept = [(n, v) for n, v in headers if n.lower() != _NOTES_HEADER]
    value = notes_field(notes)
    return kept if value is None else [*kept, (TRANSLATION_NOTES_HEADER, value)]


# ----------------------------------------------------------------- the stages


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
        if name == _OPAQUE:
            return
        body, media_type = ex.body, _content_type(ex.headers)
        if not body:
            body, media_type = self._bodiless(ex, name), HTTP_REQUEST_MEDIA_TYPE
            if not body:
                return  # nothing its connector could read: it goes as it came
        try:
            envelope = await decode_native(self.node, name, body, media_type)
        except ConnectorError as exc:
            raise _rehome(exc, CLIENT) from None  # the client's payload failed its schema
        envelope = _with_context(envelope, ex, name)
        ex.notes.extend(envelope.notes)
        ex.client_request = body
        ex.body, ex.canonical_body = wired(envelope)
        ex.headers = _with_content_type(ex.headers, CANONICAL_MEDIA_TYPE)
        ex.request_digest = body_digest(ex.body)
        ex.translated = True

    def _bodiless(self, ex: Exchange, name: str) -> bytes:
        """A bodiless request (a REST GET) as the HTTP request message its connector reads.

        Empty when the connector reads none, or for a metaservice (X-Road's own).
        The target is what follows the service id, as the client sent it.
        """
        if ex.service is None or is_metaservice(ex):
            return b""
        try:
            connector = self.node.connectors.get(name)
        except ConnectorError:
            return b""  # an unknown format: a request with a body is refused, this one passes
        if not decodes_http_requests(connector):
            return b""
        try:
            return http_request_message(ex.method, ex.backend_path or "/")
        except ConnectorError as exc:
            raise _rehome(exc, CLIENT) from None


class EncodeClientResponse:
    """A canonical answer becomes the client system's native format (caller's edge)."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self.formats = {c.subsystem: c.format for c in node.settings.clients}

    async def __call__(self, ex: Exchange) -> None:
        reply = ex.response
        name = _client_format(ex, self.formats)
        if reply is not None and name != _OPAQUE and is_canonical(_content_type(reply.headers)):
            await self._encode(ex, reply, name)
        if ex.response is not None:  # every answer, refusals too, shows what was lost
            ex.response.headers = _with_notes(ex.response.headers, ex.notes)

    async def _encode(self, ex: Exchange, reply: Reply, name: str) -> None:
        try:
            envelope = canonical_of(reply.body, reply.canonical)
            connector = self.node.connectors.get(name)
            if hasattr(connector, "encode_answer") and ex.client_request is not None:
                answers = cast(AnswersRequests, connector)  # isinstance, without its cost
                body, media_type, lost = answers.encode_answer(envelope, ex.client_request)
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
        if name == _OPAQUE or not is_canonical(_content_type(ex.headers)):
            return
        try:
            envelope = from_wire(ex.body)
            body, media_type, encoded_lost = await encode_native(self.node, name, envelope)
            lost = list(encoded_lost)
            headers = _with_content_type(ex.headers, media_type)
            if is_http_request(media_type):  # a bodiless request: sent as what it says
                request = backend_request(body, name)
                ex.backend_method, ex.backend_target = request.method, request.target
                body, headers = b"", bodiless_headers(ex.headers, request)
                lost += request.notes
            else:
                body, headers = self._soap(ex, name, body, headers)
        except ConnectorError as exc:
            raise _rehome(exc, CLIENT) from None  # the caller's document does not fit
        ex.notes.extend([*envelope.notes, *lost])
        ex.backend_notes = lost
        ex.backend_body = body
        ex.backend_headers = headers
        ex.translated = True

    def _soap(
        self, ex: Exchange, name: str, body: bytes, headers: list[tuple[str, str]]
    ) -> tuple[bytes, list[tuple[str, str]]]:
        """A SOAP service's message: a SOAPAction, and an X-Road producer's header fields."""
        assert ex.service is not None
        service = ex.directory.service(ex.service) if ex.directory is not None else None
        if service is None or service.type != "SOAP":
            return body, headers
        if last_header(headers, "SOAPAction") is None:
            headers = [*headers, ("SOAPAction", '""')]  # SOAP 1.1 requires one
        if not wants_xroad_soap_header(self.node.connectors.get(name)):
            return body, headers  # not X-Road (MAGDA): the connector's envelope as it is
        # As a security server hands it to a producer: the same fields the partner route fills.
        body = with_xroad_header(body, exchange_fields(ex, service))
        return body, _with_content_type(headers, _SOAP_CONTENT_TYPE)


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
        # What the request lost on the way to the backend goes back too: the client sees it.
        answered = Envelope(
            envelope.media_type,
            document=envelope.document,
            notes=(*ex.backend_notes, *envelope.notes),
            kind=envelope.kind,
        )
        ex.response = Reply(
            reply.status, _with_content_type(reply.headers, CANONICAL_MEDIA_TYPE), to_wire(answered)
        )
