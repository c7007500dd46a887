"""Header handling and X-Road-Request-Hash."""

from __future__ import annotations

import base64
import hashlib

import pytest

from gateway import xroad_rest
from gateway.errors import BadRequestError
from gateway.xroad_rest import (
    HOP_BY_HOP,
    XROAD_CLIENT_HEADERS,
    forwardable_headers,
    last_header,
    request_hash,
)
from tests.unit.xroad.xroad_shared import read_headers

METHOD = "POST"
TARGET = "/r1/DE/GOV/05974028/gewerbeamt/anzeige/v1/a%2Fb?x=1&y=%C3%A4"
HEADERS = [("x-road-client", "EE/GOV/70000310/sub"), ("x-road-id", "fa2e18a5"), ("x-road-id", "2")]
BODY = b'{"a": 1}'


def _b64_sha512(data: bytes) -> str:
    return base64.b64encode(hashlib.sha512(data).digest()).decode()


def _header_part() -> bytes:
    lines = [f"{METHOD} {TARGET}\r\n"] + [f"{n}:{v}\r\n" for n, v in HEADERS]
    return "".join(lines).encode()


def _changed(text: str, index: int) -> str:
    """``text`` with one character swapped for a different, hash-safe one."""
    new = "b" if text[index].lower() == "a" else "a"
    return text[:index] + new + text[index + 1 :]


# --- request_hash --------------------------------------------------------------------


def test_hash_with_body_is_sha512_of_both_digests() -> None:
    inner = hashlib.sha512(_header_part()).digest() + hashlib.sha512(BODY).digest()
    assert request_hash(METHOD, TARGET, HEADERS, BODY) == _b64_sha512(inner)


@pytest.mark.parametrize("body", [None, b""])
def test_hash_without_body_is_sha512_of_the_header_part(body: bytes | None) -> None:
    assert request_hash(METHOD, TARGET, HEADERS, body) == _b64_sha512(_header_part())


def test_hash_of_a_bare_request_line() -> None:
    assert request_hash("GET", "/r1/I/C/M/S/X", [], None) == _b64_sha512(b"GET /r1/I/C/M/S/X\r\n")


def test_hash_is_deterministic_standard_padded_base64_of_64_bytes() -> None:
    first = request_hash(METHOD, TARGET, HEADERS, BODY)
    assert first == request_hash(METHOD, TARGET, list(HEADERS), bytes(BODY))
    assert len(base64.b64decode(first, validate=True)) == 64
    assert first.endswith("==")


def test_hash_changes_with_any_character_of_method_or_path() -> None:
    reference = request_hash(METHOD, TARGET, HEADERS, BODY)
    for i in range(len(METHOD)):
        assert request_hash(_changed(METHOD, i), TARGET, HEADERS, BODY) != reference
    for i in range(len(TARGET)):
        assert request_hash(METHOD, _changed(TARGET, i), HEADERS, BODY) != reference


def test_hash_changes_with_any_character_of_a_header() -> None:
    reference = request_hash(METHOD, TARGET, HEADERS, BODY)
    for h, (name, value) in enumerate(HEADERS):
        for i in range(len(name)):
            changed = [*HEADERS[:h], (_changed(name, i), value), *HEADERS[h + 1 :]]
            assert request_hash(METHOD, TARGET, changed, BODY) != reference
        for i in range(len(value)):
            changed = [*HEADERS[:h], (name, _changed(value, i)), *HEADERS[h + 1 :]]
            assert request_hash(METHOD, TARGET, changed, BODY) != reference


def test_hash_changes_with_any_bit_of_the_body() -> None:
    reference = request_hash(METHOD, TARGET, HEADERS, BODY)
    for i in range(len(BODY)):
        for bit in range(8):
            body = bytearray(BODY)
            body[i] ^= 1 << bit
            assert request_hash(METHOD, TARGET, HEADERS, bytes(body)) != reference


def test_hash_depends_on_header_order_presence_and_body_presence() -> None:
    reference = request_hash(METHOD, TARGET, HEADERS, BODY)
    assert request_hash(METHOD, TARGET, HEADERS[::-1], BODY) != reference
    assert request_hash(METHOD, TARGET, HEADERS[:-1], BODY) != reference
    assert request_hash(METHOD, TARGET, [*HEADERS, ("x-road-issue", "")], BODY) != reference
    assert request_hash(METHOD, TARGET, HEADERS, None) != reference
    assert request_hash(METHOD, TARGET, HEADERS, b" ") != request_hash(
        METHOD, TARGET, HEADERS, None
    )


def test_header_names_are_lowercased_values_are_not() -> None:
    upper = [(name.upper(), value) for name, value in HEADERS]
    assert request_hash(METHOD, TARGET, upper, BODY) == request_hash(METHOD, TARGET, HEADERS, BODY)
    upper_values = [(name, value.upper()) for name, value in HEADERS]
    assert request_hash(METHOD, TARGET, upper_values, BODY) != request_hash(
        METHOD, TARGET, HEADERS, BODY
    )


def test_surrogate_escaped_values_hash_as_their_wire_bytes() -> None:
    raw = b"caf\xe9"  # latin-1 bytes on the wire, decoded by aiohttp with surrogateescape
    value = raw.decode("utf-8", "surrogateescape")
    part = b"GET /r1/I/C/M/S/X\r\nx-road-userid:" + raw + b"\r\n"
    assert request_hash("GET", "/r1/I/C/M/S/X", [("x-road-userid", value)], None) == _b64_sha512(
        part
    )


@pytest.mark.parametrize(
    ("method", "target", "headers"),
    [
        ("GET /x", "/r1/a", []),
        ("GET", "/r1/a b", []),
        ("GET", "/r1/a\r\nx-road-id:1", []),
        ("GET", "/r1/a", [("x-road-id", "1\r\nx-road-client:EE/GOV/1/a")]),
        ("GET", "/r1/a", [("x-road-id:1\r\nx", "y")]),
        ("GET", "/r1/a", [("x-road-id:1", "")]),
        ("GET", "/r1/a", [("x-road-id", "1\x00")]),
    ],
)
def test_input_that_would_hash_ambiguously_is_refused(
    method: str, target: str, headers: list[tuple[str, str]]
) -> None:
    with pytest.raises(BadRequestError):
        request_hash(method, target, headers, None)


# --- hop-by-hop ---------------------------------------------------------------------


def test_hop_by_hop_headers_are_dropped_in_any_case() -> None:
    headers = [(name.title(), "v") for name in sorted(HOP_BY_HOP)] + [("Accept", "*/*")]
    assert forwardable_headers(headers) == [("Accept", "*/*")]


def test_hop_by_hop_set_is_lowercase_and_complete() -> None:
    expected = {
        "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
        "trailer", "transfer-encoding", "upgrade", "host", "content-length",
    }  # fmt: skip
    assert expected <= HOP_BY_HOP
    assert all(name == name.lower() for name in HOP_BY_HOP)


def test_headers_named_in_connection_are_dropped() -> None:
    headers = [
        ("Connection", "keep-alive, X-Secret ,x-other"),
        ("X-Secret", "1"),
        ("Accept", "a"),
        ("x-OTHER", "2"),
        ("connection", "X-Third"),
        ("X-Third", "3"),
        ("X-Kept", "4"),
    ]
    assert forwardable_headers(headers) == [("Accept", "a"), ("X-Kept", "4")]


def test_order_duplicates_and_x_road_headers_are_kept() -> None:
    headers = [
        ("X-Road-Client", "EE/GOV/1/a"),
        ("Host", "gw"),
        ("Accept", "a"),
        ("X-Road-Client", "EE/GOV/1/b"),
        ("Transfer-Encoding", "chunked"),
        ("Accept", "b"),
        ("Content-Type", "application/json"),
    ]
    assert forwardable_headers(iter(headers)) == [
        ("X-Road-Client", "EE/GOV/1/a"),
        ("Accept", "a"),
        ("X-Road-Client", "EE/GOV/1/b"),
        ("Accept", "b"),
        ("Content-Type", "application/json"),
    ]


def test_an_empty_connection_header_drops_nothing_else() -> None:
    assert forwardable_headers([("Connection", " , "), ("A", "1")]) == [("A", "1")]


# --- last_header and the X-Road header names ------------------------------------------------


def test_last_x_road_client_wins_case_insensitively() -> None:
    headers = [("X-Road-Client", "EE/GOV/1/a"), ("Accept", "x"), ("x-road-client", "EE/GOV/1/b")]
    assert last_header(headers, "X-Road-Client") == "EE/GOV/1/b"
    assert last_header(headers, "x-road-CLIENT") == "EE/GOV/1/b"
    assert last_header(headers, "X-Road-Id") is None
    assert last_header([("X-Road-Id", "")], "x-road-id") == ""


def test_client_headers_are_the_canonical_spelling_of_the_spec_vectors() -> None:
    spec = {
        name
        for relative in (
            "rest/pr-rest-examples/4.1-request-example-headers.http",
            "rest/pr-rest-examples/4.3-optional-headers.http",
            "rest/pr-rest-examples/4.3-security-server-represented-party-headers.http",
        )
        for name, _ in read_headers(relative)
    }
    assert set(XROAD_CLIENT_HEADERS) <= spec
    assert XROAD_CLIENT_HEADERS == (
        "X-Road-Client",
        "X-Road-Id",
        "X-Road-UserId",
        "X-Road-Issue",
        "X-Road-Represented-Party",
    )


def test_all_is_sorted_and_names_every_public_definition() -> None:
    assert xroad_rest.__all__ == sorted(xroad_rest.__all__)
    defined = {
        name
        for name, value in vars(xroad_rest).items()
        if not name.startswith("_")
        and (name.isupper() or getattr(value, "__module__", None) == xroad_rest.__name__)
    }
    assert defined == set(xroad_rest.__all__)
