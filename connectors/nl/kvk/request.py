"""A KvK Basisprofiel request, ``GET /basisprofielen/{kvkNummer}``, as an HTTP message.

Usage::

    build_request("69599084")
    # -> b"GET /basisprofielen/69599084 HTTP/1.1\\r\\nAccept: application/json\\r\\n\\r\\n"
    parse_request(body)  # -> Request(kvk_nummer="69599084", query={})

A REST GET has no body: what identifies the request is the method and the path.
nl.kvk represents it as an HTTP request message, media type ``message/http;
msgtype=request`` (RFC 9112, section 10.1): request line plus an Accept header.
The path is relative to the API's base URL (``https://api.kvk.nl/api/v1`` or the
test API's ``.../test/api/v1``: the OpenAPI document's ``servers``), which the
operator configures as the service's backend URL. On decode, any prefix before
``/basisprofielen/`` is accepted (``/api/v1/basisprofielen/...``), so a client
may send the path as it calls the API.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote, urlsplit

from gateway.errors import ConnectorError

__all__ = ["MEDIA_TYPE", "Request", "build_request", "is_http_message", "parse_request"]

MEDIA_TYPE = "message/http; msgtype=request"
_PATH = re.compile(r"(?:/[^?#]*)?/basisprofielen/([^/?#]*)")
_MAX_LINE = 2048


@dataclass(frozen=True)
class Request:
    kvk_nummer: str
    query: dict[str, str] = field(default_factory=dict)


def build_request(kvk_nummer: str) -> bytes:
    return f"GET /basisprofielen/{kvk_nummer} HTTP/1.1\r\nAccept: application/json\r\n\r\n".encode(
        "ascii"
    )


def is_http_message(media_type: str) -> bool:
    return media_type.split(";", 1)[0].strip().lower() == "message/http"


def parse_request(body: bytes) -> Request:
    """The kvkNummer and query of a request line; ConnectorError if it is not a Basisprofiel GET."""
    line = body.split(b"\n", 1)[0].rstrip(b"\r")
    if len(line) > _MAX_LINE:
        raise ConnectorError("nl.kvk: request line: too long")
    try:
        method, target, version = line.decode("ascii").split(" ")
    except (UnicodeDecodeError, ValueError):
        raise ConnectorError("nl.kvk: request line: not 'METHOD TARGET HTTP/1.1'") from None
    if method != "GET" or not version.startswith("HTTP/"):
        raise ConnectorError(f"nl.kvk: request line: method {method[:10]!r} is not GET")
    parts = urlsplit(target)
    match = _PATH.fullmatch(parts.path)
    if match is None:
        raise ConnectorError("nl.kvk: request line: path is not .../basisprofielen/{kvkNummer}")
    return Request(unquote(match[1]), dict(parse_qsl(parts.query, keep_blank_values=True)))
