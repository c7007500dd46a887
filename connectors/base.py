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

Two conventions between connectors and the gateway (docs/adding-a-connector.md):

- a request that has no body (a REST ``GET``) is an HTTP request message,
  ``message/http; msgtype=request``, its target relative to the service's base URL::

      http_request_message("GET", "/basisprofielen/68750110", [("Accept", "application/json")])
      parse_http_request(body, "nl.kvk")  # -> HttpRequestMessage(method, target, headers, body)

  A connector that decodes such messages says so (``decodes_http_requests = True``);
  the caller's gateway then builds one from a client's bodiless request.
- a SOAP connector whose messages travel the X-Road way sets ``xroad_soap_header =
  True``: the gateway fills its empty ``SOAP-ENV:Header`` with the exchange's X-Road
  header fields. A SOAP format that is not X-Road (MAGDA) leaves it unset.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from gateway.errors import ConnectorError

__all__ = [
    "HTTP_REQUEST_MEDIA_TYPE",
    "Connector",
    "ConnectorOptions",
    "EncodeWithNotes",
    "EncodesWithNotes",
    "Envelope",
    "HttpRequestMessage",
    "decodes_http_requests",
    "http_request_message",
    "is_http_request",
    "parse_http_request",
    "wants_xroad_soap_header",
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


def decodes_http_requests(connector: object) -> bool:
    """The connector decodes a bodiless request given as an HTTP request message."""
    return getattr(connector, "decodes_http_requests", False) is True


def wants_xroad_soap_header(connector: object) -> bool:
    """The connector's SOAP messages get the exchange's X-Road header fields from the gateway."""
    return getattr(connector, "xroad_soap_header", False) is True


# --------------------------------------------------------------- HTTP request messages

HTTP_REQUEST_MEDIA_TYPE = "message/http; msgtype=request"  # RFC 9112, section 10.1
_MAX_MESSAGE = 8192
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_TARGET = re.compile(r"[\x21-\x7e]+")  # visible ASCII: no space, no control character
_VERSION = re.compile(r"HTTP/[0-9]\.[0-9]")
_FIELD_VALUE = re.compile(r"[\x20-\x7e\t]*")
_EMPTY_LINE = re.compile(rb"\r?\n\r?\n")
_LINE_END = re.compile(r"\r?\n")


@dataclass(frozen=True)
class HttpRequestMessage:
    """An HTTP request as a message: method, request target, header fields, body."""

    method: str
    target: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""


def is_http_request(media_type: str) -> bool:
    return media_type.split(";", 1)[0].strip().lower() == "message/http"


def http_request_message(
    method: str, target: str, headers: Iterable[tuple[str, str]] = ()
) -> bytes:
    """A bodiless request as ``message/http`` bytes; ConnectorError for what HTTP cannot carry."""
    lines = [f"{method} {target} HTTP/1.1", *(f"{name}: {value}" for name, value in headers)]
    message = "\r\n".join(lines) + "\r\n\r\n"
    if not message.isascii():
        raise ConnectorError("message/http: a request message is ASCII")
    body = message.encode("ascii")
    parse_http_request(body, "message/http")  # what is built must read back the same
    return body


def parse_http_request(body: bytes, name: str) -> HttpRequestMessage:
    """The parts of an HTTP/1.x request message (RFC 9112 syntax, ASCII, no obsolete folding).

    Only the syntax is checked here; what a gateway may send is its own decision
    (gateway.stages.translate). CRLF or a bare LF ends a line; the header section ends
    at the first empty line (or with the message). ``name`` prefixes the errors.
    """
    if len(body) > _MAX_MESSAGE:
        raise ConnectorError(f"{name}: request message: longer than {_MAX_MESSAGE} bytes")
    end = _EMPTY_LINE.search(body)
    head, rest = (body[: end.start()], body[end.end() :]) if end else (body, b"")
    try:
        text = head.decode("ascii")
    except UnicodeDecodeError:
        raise ConnectorError(f"{name}: request message: not ASCII") from None
    line, *fields = _LINE_END.split(text.removesuffix("\n").removesuffix("\r"))
    parts = line.split(" ")
    if len(parts) != 3 or not _TOKEN.fullmatch(parts[0]) or not _VERSION.fullmatch(parts[2]):
        raise ConnectorError(f"{name}: request line: not 'METHOD TARGET HTTP/1.1'")
    if not _TARGET.fullmatch(parts[1]):
        raise ConnectorError(f"{name}: request line: the target is not visible ASCII")
    headers = []
    for field_line in fields:
        field_name, colon, value = field_line.partition(":")
        if not colon or not _TOKEN.fullmatch(field_name) or not _FIELD_VALUE.fullmatch(value):
            raise ConnectorError(
                f"{name}: request message: malformed header line {field_line[:80]!r}"
            )
        headers.append((field_name, value.strip(" \t")))
    return HttpRequestMessage(parts[0], parts[1], tuple(headers), rest)
