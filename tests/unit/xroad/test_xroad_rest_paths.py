"""Service paths on /r1/ (PR-REST 4.1, 4.2) and the metaservice paths (PR-MREST 4, 5)."""

from __future__ import annotations

import re
import string
from urllib.parse import quote

import pytest

from gateway.errors import BadRequestError, InvalidClientIdentifierError
from gateway.identifiers import ClientId, ServiceId, split_service_path
from gateway.xroad_rest import METASERVICES, parse_metaservice_path
from tests.unit.xroad.xroad_shared import read_shared

ALLOWED = set(string.ascii_letters + string.digits + "'()+,-.=?_")
REFUSED = sorted(set(map(chr, range(0x20, 0x7F))) - ALLOWED - {"/"})


def _uri_vectors(name: str) -> list[tuple[str, str]]:
    """``(uri, explanation)`` per line of a 4.2 vector file; the explanation is in (...)."""
    vectors = []
    for line in read_shared(f"rest/pr-rest-examples/{name}").splitlines():
        match = re.fullmatch(r"\s*(\S+)\s*(?:\((.*)\))?\s*", line)
        if match:
            vectors.append((match[1], match[2] or ""))
    assert vectors, f"{name} holds no vectors"
    return vectors


def _request_line(relative: str) -> tuple[str, str, str]:
    """``(method, path after /r1/, query)`` of a request-line vector."""
    method, target = read_shared(relative).split()[:2]
    path, _, query = target.partition("?")
    assert path.startswith("/r1/")
    return method, path[len("/r1/") :], query


def _path(part: str, position: int) -> str:
    parts = ["INSTANCE", "CLASS", "MEMBER", "SUBSYSTEM", "SERVICE"]
    parts[position] = part
    return "/".join(parts)


# --- the spec's own vectors -------------------------------------------------


@pytest.mark.parametrize(("uri", "explanation"), _uri_vectors("4.2-uri-valid.txt"))
def test_valid_uri_vectors_are_accepted(uri: str, explanation: str) -> None:
    service, rest = split_service_path(uri)
    expected_code = re.search(r'service code is "([^"]+)"', explanation)
    assert expected_code is not None
    assert service.code == expected_code[1] == "BAR/SERVICE"
    assert service.provider == ClientId("INSTANCE", "CLASS", "MEMBER", "SUBSYSTEM")
    assert rest == ""


@pytest.mark.parametrize(("uri", "explanation"), _uri_vectors("4.2-uri-invalid.txt"))
def test_invalid_uri_vectors_are_refused(uri: str, explanation: str) -> None:
    with pytest.raises(BadRequestError) as info:
        split_service_path(uri)
    assert info.value.type == "Client.BadRequest"


def test_request_example_4_1() -> None:
    method, path, query = _request_line("rest/pr-rest-examples/4.1-request-example.http")
    service, rest = split_service_path(path)
    assert (method, rest, query) == ("GET", "/v1/bar/zyggy", "quu=1")
    assert service == ServiceId(
        ClientId("INSTANCE", "CLASS2", "MEMBER2", "SUBSYSTEM2"), "BARSERVICE"
    )
    header = read_shared("rest/pr-rest-examples/4.1-request-example-headers.http")
    name, _, value = header.strip().partition(":")
    assert name == "X-Road-Client"
    assert ClientId.parse(value) == ClientId("INSTANCE", "CLASS1", "MEMBER1", "SUBSYSTEM1")


def test_wire_form_round_trips_the_valid_vector() -> None:
    service, _ = split_service_path("INSTANCE/CLASS/MEMBER/SUBSYSTEM/BAR%2FSERVICE")
    assert service.wire() == "INSTANCE/CLASS/MEMBER/SUBSYSTEM/BAR%2FSERVICE"
    assert split_service_path(service.wire())[0] == service


# --- characters --------------------------------------------------------------


@pytest.mark.parametrize("char", REFUSED, ids=lambda c: f"U+{ord(c):04X}")
@pytest.mark.parametrize("position", range(5))
def test_each_invalid_character_is_refused(char: str, position: int) -> None:
    with pytest.raises(BadRequestError):
        split_service_path(_path(f"A{quote(char, safe='')}B", position))


@pytest.mark.parametrize("char", sorted(ALLOWED), ids=lambda c: f"U+{ord(c):04X}")
@pytest.mark.parametrize("position", range(5))
def test_each_allowed_character_is_accepted_raw_or_encoded(char: str, position: int) -> None:
    for encoded in {char, f"%{ord(char):02X}"} - {"?"}:  # a raw ? starts the query
        service, _ = split_service_path(_path(f"A{encoded}B", position))
        assert str(service).split("/")[position] == f"A{char}B"


@pytest.mark.parametrize("encoded", ["%C3%A4", "%E2%82%AC", "%00", "%0A", "%7F"])
def test_non_ascii_and_control_characters_are_refused(encoded: str) -> None:
    with pytest.raises(BadRequestError):
        split_service_path(_path(f"X{encoded}", 2))


def test_underscore_is_allowed_as_real_service_codes_use_it() -> None:
    service, rest = split_service_path("EE/GOV/70000310/ariregister/detailandmed_v2/x_y")
    assert service.code == "detailandmed_v2"
    assert rest == "/x_y"


# --- structure ---------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "INSTANCE",
        "INSTANCE/CLASS/MEMBER",
        "INSTANCE/CLASS/MEMBER/SUBSYSTEM",
        "INSTANCE/CLASS/MEMBER/SUBSYSTEM/",
        "/INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE",
        "INSTANCE//MEMBER/SUBSYSTEM/SERVICE",
        "INSTANCE/CLASS/MEMBER//SERVICE",
        "INSTANCE/CLASS/MEMBER/SUBSYSTEM//v1",
    ],
)
def test_empty_parts_and_too_few_parts_are_refused(raw: str) -> None:
    with pytest.raises(BadRequestError):
        split_service_path(raw)


@pytest.mark.parametrize("position", range(4))
@pytest.mark.parametrize("slash", ["%2F", "%2f"])
def test_encoded_slash_outside_the_service_code_is_refused(position: int, slash: str) -> None:
    with pytest.raises(BadRequestError, match="only allowed in the service code"):
        split_service_path(_path(f"A{slash}B", position))


@pytest.mark.parametrize("bad", ["%FF", "%G1", "%", "%2", "%C3", "%C3%28", "%ED%A0%80"])
@pytest.mark.parametrize("position", range(5))
def test_bad_percent_encodings_are_bad_requests(bad: str, position: int) -> None:
    # %FF and friends used to escape as UnicodeDecodeError (a 500 instead of a 400).
    with pytest.raises(BadRequestError):
        split_service_path(_path(f"A{bad}", position))


def test_the_rest_of_the_path_is_passed_on_untouched() -> None:
    service, rest = split_service_path("I/C/M/S/SVC/v1/a%2Fb/%FF//x;y")
    assert service.code == "SVC"
    assert rest == "/v1/a%2Fb/%FF//x;y"


def test_a_trailing_slash_after_the_service_is_kept() -> None:
    assert split_service_path("I/C/M/S/SVC/")[1] == "/"


@pytest.mark.parametrize("text", ["I/C", "I/C/M/S/X", "I/C/M/S%", "I//M", " / / "])
def test_client_ids_that_are_malformed_raise_invalid_client_identifier(text: str) -> None:
    with pytest.raises(InvalidClientIdentifierError) as info:
        ClientId.parse(text)
    assert info.value.type == "Client.InvalidClientIdentifier"


# --- metaservice paths ---------------------------------------------------------


@pytest.mark.parametrize(
    "relative",
    [
        "rest/pr-mrest-metaservices/4-listMethods-request.http",
        "rest/pr-mrest-metaservices/5-getOpenAPI-request.http",
    ],
)
def test_metaservice_request_vectors(relative: str) -> None:
    _, path, _ = _request_line(relative)
    provider, name = parse_metaservice_path(path) or (None, None)
    assert provider == ClientId("INSTANCE", "CLASS2", "MEMBER2", "SUBSYSTEM2")
    assert name in METASERVICES
    assert path.endswith(name)


@pytest.mark.parametrize("name", sorted(METASERVICES))
def test_every_metaservice_is_recognised(name: str) -> None:
    assert parse_metaservice_path(f"I/C/M/S/{name}") == (ClientId("I", "C", "M", "S"), name)


@pytest.mark.parametrize(
    "raw",
    [
        "I/C/M/S/SERVICE",
        "I/C/M/S/listMethods/",
        "I/C/M/S/listMethods/v1",
        "I/C/M/listMethods",
        "I/C/M/S/listmethods",
        "I/C/M/S/listClients",
        "listMethods",
        "",
    ],
)
def test_other_paths_are_not_metaservices(raw: str) -> None:
    assert parse_metaservice_path(raw) is None


def test_a_metaservice_of_a_malformed_provider_is_a_bad_request() -> None:
    with pytest.raises(BadRequestError):
        parse_metaservice_path("I/C%2FX/M/S/listMethods")
