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
may send the path as it calls the API. The message syntax is the connectors'
shared one (:func:`connectors.base.parse_http_request`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote, urlsplit

from connectors.base import (
    HTTP_REQUEST_MEDIA_TYPE,
    http_request_message,
    is_http_request,
    parse_http_request,
)
from gateway.errors import ConnectorError

__all__ = ["MEDIA_TYPE", "Request", "build_request", "is_http_message", "parse_request"]

MEDIA_TYPE = HTTP_REQUEST_MEDIA_TYPE
_PATH = re.compile(r"(?:/[^?#]*)?/basisprofielen/([^/?#]*)")


@dataclass(frozen=True)
class Request:
    kvk_nummer: str
    query: dict[str, str] = field(default_factory=dict)


def build_request(kvk_nummer: str) -> bytes:
    return http_request_message(
        "GET", f"/basisprofielen/{kvk_nummer}", [("Accept", "application/json")]
    )


def is_http_message(media_type: str) -> bool:
    return is_http_request(media_type)


def parse_request(body: bytes) -> Request:
    """The kvkNummer and query of a request; ConnectorError if it is not a Basisprofiel GET."""
    message = parse_http_request(body, "nl.kvk")
    if message.method != "GET":
        raise ConnectorError(f"nl.kvk: request line: method {message.method[:10]!r} is not GET")
    if message.body:
        raise ConnectorError("nl.kvk: a Basisprofiel GET has no body")
    parts = urlsplit(message.target)
    match = _PATH.fullmatch(parts.path)
    if match is None:
        raise ConnectorError("nl.kvk: request line: path is not .../basisprofielen/{kvkNummer}")
    return Request(unquote(match[1]), dict(parse_qsl(parts.query, keep_blank_values=True)))
