"""The X-Road proxy vectors as a conformance suite (table in vectors.py and the docs)."""

from __future__ import annotations

import re

import pytest
from lxml import etree

from gateway.errors import GatewayError
from gateway.xroad_soap import (
    SoapRequest,
    parse_request,
    request_hash,
    response_with_echoed_headers,
)
from gateway.xroad_soap._request import read_envelope, read_headers, soap_part
from gateway.xroad_soap._xml import NS_XROAD, layout, self_describing
from tests.unit.xroad.xroad_shared import project_root
from tests.unit.xroad_soap.vectors import CASES, NOT_MESSAGES, QUERIES_DIR, Case, with_query_id

DOC = project_root() / "docs/xroad-soap-conformance.md"
BOM = b"\xef\xbb\xbf"


def _read(name: str) -> bytes:
    return (QUERIES_DIR / name).read_bytes()


def _fail(code: str, message: str) -> GatewayError:
    raise AssertionError(f"{code}: {message}")


def test_every_vector_is_classified():
    on_disk = {p.name for p in QUERIES_DIR.iterdir() if p.is_file()}
    named = {c.query for c in CASES} | {c.answer for c in CASES if c.answer} | set(NOT_MESSAGES)
    assert on_disk - named == set(), "unclassified vectors: add them to vectors.py and the docs"
    assert named - on_disk == set(), "vectors.py names files the directory does not hold"


def test_every_case_is_in_the_docs_table():
    doc = DOC.read_text(encoding="utf-8")
    rows = {line.split("|")[1].strip(): line for line in doc.splitlines() if line.startswith("| ")}
    for case in CASES:
        assert case.name in rows, case.name
        # The row names the fault through running gateways (integration/test_soap_vectors.py).
        expected = case.gateway_fault or case.error or case.answer_error
        if expected:
            assert f"`{expected}`" in rows[case.name].rsplit("|", 3)[1], case.name
    for name in NOT_MESSAGES:
        assert f"`{name}`" in doc, name


def _ids(cases: tuple[Case, ...]) -> list[str]:
    return [c.name for c in cases]


REQUEST_ERRORS = tuple(c for c in CASES if c.error)
EXCHANGES = tuple(c for c in CASES if not c.error)


@pytest.mark.parametrize("case", REQUEST_ERRORS, ids=_ids(REQUEST_ERRORS))
def test_malformed_request_gets_its_xroad_error(case: Case):
    with pytest.raises(GatewayError) as caught:
        parse_request(_read(case.query), case.content_type)
    assert caught.value.type == case.error, caught.value.message


def _bom_variants(case: Case) -> list[bool]:
    return [False, True] if case.bom_variant else [False]


@pytest.mark.parametrize("case", EXCHANGES, ids=_ids(EXCHANGES))
@pytest.mark.parametrize("with_bom", [False, True], ids=["", "bom"])
def test_well_formed_request_and_its_answer(case: Case, with_bom: bool):
    """Upstream runs every case once more with a UTF-8 BOM in front of the body."""
    body = (BOM if with_bom else b"") + _read(case.query)
    request = parse_request(body, case.content_type)
    assert request.body == body
    assert request.envelope in body
    if not case.answer:
        return
    answer = with_query_id(_read(case.answer), request.headers.id)
    if case.answer_error:
        with pytest.raises(GatewayError) as caught:
            response_with_echoed_headers(request, answer, case.answer_content_type)
        assert caught.value.type == case.answer_error, caught.value.message
        return
    out, content_type = response_with_echoed_headers(request, answer, case.answer_content_type)
    assert content_type == case.answer_content_type
    if case.passthrough:
        assert out == answer
        return
    _check_response(request, answer, out, case.answer_content_type)


def _span(data: bytes, charset: str | None) -> tuple[int, int, int, int]:
    """(header start, header end, body start, body end) byte offsets."""
    spans = layout(data, None if self_describing(data) else charset)
    assert spans.body is not None
    header = spans.header or type(spans.body)(spans.body.start, spans.body.start)
    return header.start, header.end, spans.body.start, spans.body.end


def _check_response(request: SoapRequest, answer: bytes, out: bytes, content_type: str) -> None:
    before = soap_part(answer, content_type, _fail, strict=False)
    after = soap_part(out, content_type, _fail, strict=False)
    # Everything outside the SOAP part (MIME structure, attachments) is untouched.
    if before.part is not None:
        assert after.part is not None
        assert out[: after.part.start] == answer[: before.part.start]
        assert out[after.part.end :] == answer[before.part.end :]
        assert after.attachments == before.attachments
    # Inside it, only the header changed: prolog, body and epilogue are the service's bytes.
    old, new = before.data, after.data
    old_h0, _, old_b0, _ = _span(old, before.charset)
    new_h0, _, new_b0, _ = _span(new, after.charset)
    assert new[:new_h0] == old[:old_h0]
    assert new[new_b0:] == old[old_b0:]
    envelope = read_envelope(new, after.charset, _fail)
    assert envelope.header is not None
    headers, _ = read_headers(envelope.header, _fail)
    assert headers.consistent_with(request.headers) == []
    hashes = envelope.header.findall(f"{{{NS_XROAD}}}requestHash")
    assert len(hashes) == 1
    assert hashes[0].text == request_hash(request.envelope)
    assert hashes[0].get("algorithmId") == "http://www.w3.org/2001/04/xmlenc#sha512"
    assert headers.raw_order[-1] == "requestHash"


def test_answer_without_xroad_headers_gets_the_requests_in_their_order():
    query = _read("split-header.query")
    request = parse_request(query, "text/xml")
    answer = re.sub(
        rb"<SOAP-ENV:Header>.*</SOAP-ENV:Header>", b"", _read("split-header.answer"), flags=re.S
    )
    out, _ = response_with_echoed_headers(request, answer, "text/xml")
    envelope = read_envelope(out, None, _fail)
    assert envelope.header is not None
    headers, _ = read_headers(envelope.header, _fail)
    assert headers.raw_order == (*request.headers.raw_order, "requestHash")
    assert headers.consistent_with(request.headers) == []
    assert out.endswith(answer[answer.index(b"<SOAP-ENV:Body>") :])


def test_echo_into_an_iso_8859_1_answer_keeps_its_encoding():
    request = parse_request(_read("getstate.query"), "text/xml")
    answer = (
        '<?xml version="1.0" encoding="ISO-8859-1"?>\n'
        '<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Header/>'
        "<e:Body><x:getStateResponse xmlns:x='urn:x'>\u00e4\u00f5</x:getStateResponse></e:Body>"
        "</e:Envelope>"
    ).encode("latin-1")
    out, _ = response_with_echoed_headers(request, answer, "text/xml")
    root = etree.fromstring(out)
    assert root.findtext(".//{urn:x}getStateResponse") == "\u00e4\u00f5"
    assert out.endswith(answer[answer.index(b"<e:Body>") :])


def test_mtom_answer_gets_its_hash_and_keeps_its_attachment():
    """xop.answer fits xml.query without ``issue`` and with service code ``testResponse``."""
    query = re.sub(rb"\s*<xroad:issue>issue</xroad:issue>", b"", _read("xml.query"))
    query = query.replace(b">test<", b">testResponse<").replace(
        b"<ns1:test ", b"<ns1:testResponse "
    )
    request = parse_request(query, "text/xml")
    content_type = (
        'multipart/related; type="application/xop+xml"; '
        "boundary=MIMEBoundaryurn_uuid_0FE43E4D025F0BF3DC11582467646812"
    )
    answer = _read("xop.answer")
    out, _ = response_with_echoed_headers(request, answer, content_type)
    _check_response(request, answer, out, content_type)
