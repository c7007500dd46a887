"""gateway.xroad_soap beyond the vectors: the spec's examples, faults, hashes, SOAPAction."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest
from lxml import etree

from gateway.errors import AccessDeniedError, GatewayError, NetworkError
from gateway.xroad_soap import (
    FAULT_CONTENT_TYPE,
    REQUEST_HASH_ALGORITHM,
    RepresentedParty,
    check_soap_action,
    fault,
    parse_request,
    request_hash,
    response_with_echoed_headers,
)
from tests.unit.xroad.xroad_shared import shared_path
from tests.unit.xroad_soap.vectors import QUERIES_DIR

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"


def _mime_example(name: str) -> tuple[bytes, str]:
    """A PR-MESS MIME example: (body, Content-Type), lines as CRLF like on the wire."""
    text = shared_path(f"soap/pr-mess-examples/{name}").read_bytes().replace(b"\n", b"\r\n")
    head, body = text.split(b"\r\n\r\n", 1)
    unfolded = head.replace(b"\r\n    ", b" ").decode()
    content_type = next(
        line.split(":", 1)[1].strip() for line in unfolded.splitlines() if "Content-Type" in line
    )
    return body, content_type


def test_spec_example_e1_request():
    body = shared_path("soap/pr-mess-examples/E1-request.xml").read_bytes()
    request = parse_request(body, "text/xml; charset=utf-8")
    assert str(request.headers.client) == "EE/GOV/MEMBER1/SUBSYSTEM1"
    assert str(request.headers.service) == "EE/GOV/MEMBER2/SUBSYSTEM2/exampleService"
    assert request.headers.service_version == "v1"
    assert request.headers.protocol_version == "4.0"


@pytest.mark.parametrize(
    "name", ["F-request-with-swaref-attachment.mime.txt", "G-request-with-mtom-attachment.mime.txt"]
)
def test_spec_examples_swa_and_mtom(name: str):
    body, content_type = _mime_example(name)
    request = parse_request(body, content_type)
    assert request.mtom == name.startswith("G")
    assert [a.content_id for a in request.attachments] == ["data.bin"]
    assert request.attachments[0].content == b"VGhpcyBpcyBhdHRhY2htZW50Lg0K"
    answer = (
        b'<?xml version="1.0"?><s:Envelope xmlns:s="' + SOAP.encode() + b'"><s:Body>'
        b"<p:exampleServiceResponse xmlns:p='urn:p'/></s:Body></s:Envelope>"
    )
    out, _ = response_with_echoed_headers(request, answer, "text/xml")
    root = etree.fromstring(out)
    assert root.findtext(".//{http://x-road.eu/xsd/xroad.xsd}requestHash") == request_hash(
        request.envelope
    )


def test_request_hash_is_sha512_of_the_soap_part_as_received():
    data = b"\xef\xbb\xbf<x/>"
    expected = base64.b64encode(hashlib.sha512(data).digest()).decode()
    assert request_hash(data) == expected
    assert REQUEST_HASH_ALGORITHM == "http://www.w3.org/2001/04/xmlenc#sha512"


def test_represented_party_is_read():
    request = parse_request(
        (QUERIES_DIR / "simple-representedparty.query").read_bytes(), "text/xml"
    )
    assert request.headers.represented_party == RepresentedParty("COM", "MEMBER3")
    assert request.headers.issue == "issue-1"


def test_fault_is_shaped_like_annex_d1():
    error = NetworkError("Connect to backend timed out", detail="f31e7451")
    root = etree.fromstring(fault(error))
    assert root.tag == f"{{{SOAP}}}Envelope"
    node = root.find(f"{{{SOAP}}}Body/{{{SOAP}}}Fault")
    assert node is not None
    assert [child.tag for child in node] == ["faultcode", "faultstring", "faultactor", "detail"]
    assert node.findtext("faultcode") == "Server.ServerProxy.NetworkError"
    assert node.findtext("faultstring") == "Connect to backend timed out"
    assert node.findtext("detail/faultDetail") == "f31e7451"
    assert FAULT_CONTENT_TYPE.startswith("text/xml")


def test_fault_in_snake_case_and_with_unsafe_text():
    error = AccessDeniedError("no \x00 way \ud800", detail="id-1")
    root = etree.fromstring(fault(error, snake_case=True))
    assert root.findtext(".//faultcode") == "server.clientproxy.access_denied"
    assert "\x00" not in (root.findtext(".//faultstring") or "")


@pytest.mark.parametrize("value", [None, "", '""', '"http://example.org/action"'])
def test_soap_action_allowed(value: str | None):
    check_soap_action(value)


def test_soap_action_unquoted_is_refused():
    with pytest.raises(GatewayError) as caught:
        check_soap_action("http://example.org/action")
    assert caught.value.type == "Client.InvalidSoapAction"


def test_dtd_is_refused():
    body = (
        (QUERIES_DIR / "simple.query")
        .read_bytes()
        .replace(b"?>", b'?><!DOCTYPE x [<!ENTITY e "boom">]>', 1)
    )
    with pytest.raises(GatewayError) as caught:
        parse_request(body, "text/xml")
    assert caught.value.type == "Client.InvalidXml"


def test_multipart_start_names_the_soap_part():
    soap = (QUERIES_DIR / "simple.query").read_bytes()
    body = (
        b"--b\r\nContent-Type: text/plain\r\nContent-ID: <a>\r\n\r\nfirst\r\n"
        b"--b\r\nContent-Type: text/xml\r\nContent-ID: <root>\r\n\r\n" + soap + b"\r\n--b--\r\n"
    )
    request = parse_request(body, 'multipart/related; start="<root>"; boundary=b')
    assert request.envelope == soap
    assert request.attachments[0].content == b"first"
    with pytest.raises(GatewayError) as caught:
        parse_request(body, 'multipart/related; start="<nope>"; boundary=b')
    assert caught.value.type == "Client.InvalidContentType"


def test_inconsistent_answer_is_refused():
    request = parse_request((QUERIES_DIR / "simple.query").read_bytes(), "text/xml")
    answer = (QUERIES_DIR / "simple.answer").read_bytes().replace(b"1234567890", b"other")
    with pytest.raises(GatewayError) as caught:
        response_with_echoed_headers(request, answer, "text/xml")
    assert caught.value.type == "Server.ServerProxy.ServiceFailed.InconsistentResponse"


def test_rest_headers_mirror_the_fields_an_http_header_holds_exactly():
    request = parse_request((QUERIES_DIR / "xml.query").read_bytes(), "text/xml")
    assert request.headers.rest_headers() == [
        ("X-Road-Client", "EE/BUSINESS/consumer"),
        ("X-Road-Id", "1234567890"),
        ("X-Road-UserId", "EE37702211234"),
        ("X-Road-Issue", "issue"),
    ]
    # split-header.query: the issue spans three lines; it stays in the SOAP message only.
    split = parse_request((QUERIES_DIR / "split-header.query").read_bytes(), "text/xml")
    assert [name for name, _ in split.headers.rest_headers()] == [
        "X-Road-Client",
        "X-Road-Id",
        "X-Road-UserId",
    ]


@pytest.mark.parametrize(
    ("field", "value", "kept"),
    [
        ("id", "", False),  # attachm2-utf8bom-inside.query: a fresh exchange id instead
        ("id", "x" * 129, False),
        ("id", "two words", False),
        ("id", "ä", False),
        ("userId", " padded", False),
        ("userId", "tab\tinside", True),
        ("issue", "", True),
        ("issue", "two\nlines", False),
    ],
)
def test_rest_headers_leave_out_what_a_header_cannot_carry(field: str, value: str, kept: bool):
    body = (QUERIES_DIR / "xml.query").read_bytes()
    body = re.sub(
        rb"(<xroad:" + field.encode() + rb">)[^<]*(<)",
        lambda m: m.group(1) + value.encode() + m.group(2),
        body,
        count=1,
    )
    request = parse_request(body, "text/xml")
    name = {"id": "X-Road-Id", "userId": "X-Road-UserId", "issue": "X-Road-Issue"}[field]
    assert (dict(request.headers.rest_headers()).get(name) == value) is kept


def test_a_self_closing_answer_header_keeps_its_start_tag():
    request = parse_request((QUERIES_DIR / "simple.query").read_bytes(), "text/xml")
    answer = (
        b'<s:Envelope xmlns:s="' + SOAP.encode() + b'"><s:Header xmlns:a="urn:a" a:b="c" />'
        b"<s:Body><a:testQueryResponse xmlns:a='urn:a'/></s:Body></s:Envelope>"
    )
    out, _ = response_with_echoed_headers(request, answer, "text/xml")
    start = b'<s:Envelope xmlns:s="' + SOAP.encode() + b'"><s:Header xmlns:a="urn:a" a:b="c" >'
    assert out.startswith(start)
    assert out.endswith(b"</s:Header>" + answer[answer.index(b"<s:Body>") :])
    header = etree.fromstring(out).find(f"{{{SOAP}}}Header")
    assert header is not None and header.get("{urn:a}b") == "c"
    assert header[-1].tag == "{http://x-road.eu/xsd/xroad.xsd}requestHash"
