"""X-Road REST errors (PR-REST 4.3, 4.6) and both spellings of their types."""

from __future__ import annotations

import json

import orjson
import pytest
from lxml import etree

from gateway import errors
from gateway.errors import (
    CLIENT,
    CLIENT_PROXY,
    SERVER_PROXY,
    AuditError,
    BadRequestError,
    GatewayError,
    NetworkError,
    parse_error_type,
    snake_case,
)
from gateway.xroad_rest import (
    JSON_CONTENT_TYPE,
    XML_CONTENT_TYPE,
    error_body,
    error_headers,
    parse_error_response,
    wants_xml,
)
from tests.unit.xroad.xroad_shared import project_root, read_headers, read_shared

EXAMPLES = {
    "ex2-cat2-service-timeout": NetworkError,
    "ex3-cat3-bad-request": BadRequestError,
    "ex4-cat4-ss-internal": AuditError,
}
LEGACY_PREFIXES = [CLIENT, CLIENT_PROXY, SERVER_PROXY, "Server.ServerProxy.OpMonitor", "Signer"]


def _example(name: str) -> tuple[bytes, dict[str, str], int]:
    base = f"rest/pr-rest-examples/{name}"
    body = read_shared(f"{base}.body.json").encode()
    headers = dict(read_headers(f"{base}.headers.http"))
    return body, headers, int(read_shared(f"{base}.status"))


def _error_like(name: str) -> GatewayError:
    """Our error with the example's type, message and detail."""
    body = json.loads(_example(name)[0])
    origin, code = parse_error_type(body["type"])
    error = EXAMPLES[name](body["message"], origin=origin, detail=body["detail"])
    assert error.code == code, "the example's type is this class's code"
    return error


def _codes() -> list[dict[str, str | None]]:
    codes: list[dict[str, str | None]] = json.loads(read_shared("derived/xroad-error-codes.json"))[
        "codes"
    ]
    return codes


def _both_spellings() -> list[tuple[str, str]]:
    pairs = []
    for code in _codes():
        camel, snake = code["legacy_camelcase_until_7_7"], code["snake_case_from_7_8"]
        if camel and snake:
            pairs.append((camel, snake))
    assert len(pairs) > 80
    return pairs


def _gateway_error_classes() -> list[type[GatewayError]]:
    classes = [getattr(errors, name) for name in errors.__all__]
    return [c for c in classes if isinstance(c, type) and issubclass(c, GatewayError)]


# --- the spec's examples ------------------------------------------------------


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_rendering_equals_the_spec_example(name: str) -> None:
    body, headers, status = _example(name)
    error = _error_like(name)
    ours, content_type = error_body(error, accept=None)
    assert orjson.loads(ours) == json.loads(body)
    assert list(orjson.loads(ours)) == list(json.loads(body)) == ["type", "message", "detail"]
    assert content_type == headers["Content-Type"] == JSON_CONTENT_TYPE
    assert error_headers(error) == {"X-Road-Error": headers["X-Road-Error"]}
    assert error.http_status == status


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_the_spec_examples_parse_back(name: str) -> None:
    body, headers, _ = _example(name)
    expected = json.loads(body)
    parsed = parse_error_response(body, headers["Content-Type"], headers["X-Road-Error"])
    assert parsed == (expected["type"], expected["message"], expected["detail"])


def test_x_road_error_header_vector_names_a_server_error() -> None:
    value = read_shared("rest/pr-rest-examples/4.3-x-road-error-header.txt").strip()
    assert parse_error_type(value) == (SERVER_PROXY, "DatabaseError")
    assert AuditError("x", origin=SERVER_PROXY).type == value


def test_a_provider_error_without_x_road_error_is_passed_through() -> None:
    body = read_shared("rest/pr-rest-examples/ex1-cat1-provider-error.body.json").encode()
    headers = dict(read_headers("rest/pr-rest-examples/ex1-cat1-provider-error.headers.http"))
    assert "X-Road-Error" not in headers
    assert parse_error_response(body, headers["Content-Type"], None) is None
    assert parse_error_response(body, headers["Content-Type"], "  ") is None


@pytest.mark.parametrize(
    ("origin", "status"), [(CLIENT, 400), (CLIENT_PROXY, 500), (SERVER_PROXY, 500)]
)
def test_status_is_400_for_client_and_500_for_server(origin: str, status: int) -> None:
    for cls in _gateway_error_classes():
        if cls is not errors.ConfigError:
            assert cls("m", origin=origin).http_status == status


# --- snake_case ---------------------------------------------------------------------


@pytest.mark.parametrize(("camel", "snake"), _both_spellings())
def test_snake_case_matches_x_road_7_8(camel: str, snake: str) -> None:
    assert snake_case(camel) == snake


@pytest.mark.parametrize(("camel", "snake"), _both_spellings())
@pytest.mark.parametrize("prefix", LEGACY_PREFIXES)
def test_both_spellings_parse_to_the_same_type(camel: str, snake: str, prefix: str) -> None:
    snake_prefix = prefix.lower()
    camel_type, snake_type = f"{prefix}.{camel}", f"{snake_prefix}.{snake}"
    assert parse_error_type(snake_type) == parse_error_type(camel_type)
    assert parse_error_response(b"{}", JSON_CONTENT_TYPE, snake_type) == (camel_type, "", "")
    assert parse_error_response(b"{}", JSON_CONTENT_TYPE, camel_type) == (camel_type, "", "")


def test_nested_codes_keep_their_tail_in_both_spellings() -> None:
    camel = "Server.ServerProxy.ServiceFailed.SslAuthenticationFailed"
    snake = "server.serverproxy.service_failed.ssl_authentication_failed"
    assert parse_error_type(snake) == parse_error_type(camel) == (SERVER_PROXY, camel[19:])
    error = GatewayError("m", origin=SERVER_PROXY, code="ServiceFailed.SslAuthenticationFailed")
    assert (error.type, error.snake_type) == (camel, snake)


@pytest.mark.parametrize("cls", _gateway_error_classes(), ids=lambda c: c.__name__)
@pytest.mark.parametrize("spelling", ["camel", "snake"])
def test_every_error_survives_render_and_parse(cls: type[GatewayError], spelling: str) -> None:
    error = GatewayError("m", code=cls.code) if cls is errors.ConfigError else cls("a <b> & c")
    snake = spelling == "snake"
    headers = error_headers(error, snake_case=snake)
    assert headers["X-Road-Error"] == (error.snake_type if snake else error.type)
    for accept in (None, "application/xml"):
        body, content_type = error_body(error, accept=accept, snake_case=snake)
        parsed = parse_error_response(body, content_type, headers["X-Road-Error"])
        assert parsed == (error.type, error.message, error.detail)


def test_snake_case_emission_uses_the_snake_type_in_the_body() -> None:
    error = NetworkError("down", detail="id-1")
    body, _ = error_body(error, accept=None, snake_case=True)
    assert orjson.loads(body)["type"] == "server.serverproxy.network_error"


# --- XML rendering ---------------------------------------------------------------


def test_xml_error_has_x_roads_shape() -> None:
    error = _error_like("ex3-cat3-bad-request")
    body, content_type = error_body(error, accept="application/xml")
    assert content_type == XML_CONTENT_TYPE
    root = etree.fromstring(body)
    assert root.tag == "error"
    assert [(child.tag, child.text) for child in root] == [
        ("type", "Client.BadRequest"),
        ("message", error.message),
        ("detail", "018cbcae-537e-421b-b6f6-2608dc97bd90"),
    ]


@pytest.mark.parametrize(
    ("accept", "content_type"),
    [("text/xml", "text/xml;charset=utf-8"), ("text/*", "text/xml;charset=utf-8")],
)
def test_xml_error_is_served_as_the_xml_type_asked_for(accept: str, content_type: str) -> None:
    assert error_body(BadRequestError("m"), accept=accept)[1] == content_type


@pytest.mark.parametrize(
    "message",
    ["<script>&amp;</script>", "]]><x/>", "tab\tand\nnewline", "bell\x07 nul\x00", "lone \udcff"],
)
def test_hostile_messages_are_escaped_not_injected(message: str) -> None:
    error = BadRequestError(message, detail="d")
    xml_body, _ = error_body(error, accept="application/xml")
    root = etree.fromstring(xml_body)
    assert [child.tag for child in root] == ["type", "message", "detail"]
    json_body, _ = error_body(error, accept=None)
    assert list(orjson.loads(json_body)) == ["type", "message", "detail"]
    if message.isprintable() or "\t" in message:
        assert root.findtext("message") == message == orjson.loads(json_body)["message"]


# --- parsing what peers send ---------------------------------------------------------


def test_xml_error_bodies_are_read() -> None:
    body = b"<error><type>client.bad_request</type><message>m</message><detail>d</detail></error>"
    parsed = parse_error_response(body, "text/xml; charset=UTF-8", "client.bad_request")
    assert parsed == ("Client.BadRequest", "m", "d")


def test_xml_error_bodies_do_not_expand_entities() -> None:
    body = (
        b'<!DOCTYPE e [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b"<error><message>&x;</message><detail>d</detail></error>"
    )
    parsed = parse_error_response(body, "application/xml", "Client.BadRequest")
    assert parsed is not None
    assert "root:" not in parsed[1]
    assert parsed[2] == "d"


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b"not json", "application/json", "not json"),
        (b"<unclosed", "application/xml", "<unclosed"),
        (b"[1, 2]", None, "[1, 2]"),
        (b'{"message": 7, "detail": null}', "application/json", ""),
        (b"\xff\xfe", "text/plain", "\ufffd\ufffd"),
        (b"", None, ""),
    ],
)
def test_unreadable_error_bodies_still_give_the_type(
    body: bytes, content_type: str | None, message: str
) -> None:
    parsed = parse_error_response(body, content_type, "Server.ServerProxy.ServiceFailed")
    assert parsed == ("Server.ServerProxy.ServiceFailed", message, "")


def test_the_header_decides_the_type_over_the_body() -> None:
    body = orjson.dumps({"type": "Client.BadRequest", "message": "m", "detail": "d"})
    parsed = parse_error_response(body, JSON_CONTENT_TYPE, "Server.ServerProxy.AccessDenied")
    assert parsed == ("Server.ServerProxy.AccessDenied", "m", "d")


# --- Accept ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "xml"),
    [
        (None, False),
        ("", False),
        ("*/*", False),
        ("application/*", False),
        ("application/json", False),
        ("application/xml", True),
        ("APPLICATION/XML", True),
        ("text/xml", True),
        ("text/*", True),
        ("text/html", False),
        ("application/xml;q=0.5, application/json", False),
        ("application/json;q=0.5, application/xml", True),
        ("application/json;q=0.5, application/xml;q=0.5", False),
        ("application/xml;q=0", False),
        ("application/xml;q=0, */*", False),
        ("application/json;q=0, */*", True),
        ("application/xml, */*;q=0.1", True),
        ("text/xml;charset=utf-8;q=0.9, application/json;q=0.8", True),
        ("application/xml;q=bogus", False),
        ("application/xml;q=2", False),
        ("application/xml;q=nan", False),
        ("garbage, ,;q=1, /", False),
        ("application/json , text/xml ; q = 0.9 ", False),
        ("application/json;q=0.1, text/*;q=0.2", True),
    ],
)
def test_wants_xml(accept: str | None, xml: bool) -> None:
    assert wants_xml(accept) is xml
    body, content_type = error_body(BadRequestError("m"), accept=accept)
    assert content_type.startswith(("application/xml", "text/xml") if xml else "application/json")
    assert body.startswith(b"<?xml" if xml else b"{")


# --- docs/errors.md ------------------------------------------------------------------


@pytest.mark.parametrize("cls", _gateway_error_classes(), ids=lambda c: c.__name__)
def test_docs_list_every_error_in_both_spellings(cls: type[GatewayError]) -> None:
    doc = (project_root() / "docs" / "errors.md").read_text(encoding="utf-8")
    rows = [line for line in doc.splitlines() if line.startswith(f"| `{cls.__name__}`")]
    if cls is errors.ClientError:  # documented in BadRequestError's row
        rows = [line for line in doc.splitlines() if f"`{cls.__name__}`" in line]
    assert len(rows) == 1, f"{cls.__name__} needs exactly one row in docs/errors.md"
    assert f".{cls.code}`" in rows[0]
    assert f".{snake_case(cls.code)}`" in rows[0]
