"""The benchmark's translated exchange: its documents fit together, its backends check them."""

from __future__ import annotations

import re

from aiohttp.test_utils import TestClient, TestServer

from bench.backend import backend_app
from bench.workload import WORKLOADS
from bench.xoev import compact_request, masked, xoev_documents
from connectors.ee.ariregister import AriregisterConnector
from connectors.xoev.xgewerbeanzeige import XGewerbeanzeigeConnector


def test_the_xoev_request_is_a_valid_anmeldung_of_about_3_kib() -> None:
    docs = xoev_documents()
    assert 3000 <= len(docs.request) <= 3300
    envelope = XGewerbeanzeigeConnector().decode_now(docs.request)
    assert envelope.document is not None
    assert envelope.document["business"]["identifiers"][0]["notation"] == "12345678"
    padded = xoev_documents(4096).request
    assert len(padded) == 4096 and padded.replace(b" ", b"").replace(b"\n", b"") == (
        compact_request().replace(b" ", b"").replace(b"\n", b"")
    )


def test_the_expected_answer_carries_the_registers_name_and_masks_what_changes() -> None:
    docs = xoev_documents()
    answer = XGewerbeanzeigeConnector().decode_now(docs.client_answer).document
    assert answer is not None
    assert answer["business"]["legalNames"][0]["text"] == "Põhjaranniku Puit OÜ"  # corrected
    # Another message id and creation time: the same answer.
    other = re.sub(
        rb"(<xga:nachrichtenUUID>)[^<]*", rb"\g<1>00000000-0000-4000-8000-0", docs.client_answer
    )
    other = re.sub(rb"(<xga:erstellungszeitpunkt>)[^<]*", rb"\g<1>1999-01-01T00:00:00Z", other)
    assert other != docs.client_answer and masked(other) == docs.masked_answer
    assert WORKLOADS["xoev"](None).answer_ok(docs.client_answer)
    assert not WORKLOADS["xoev"](None).answer_ok(docs.client_answer.replace(b"Puit", b"Pui7"))


async def test_the_register_echoes_the_header_and_refuses_another_question() -> None:
    docs = xoev_documents()
    header = b'<SOAP-ENV:Header><xrd:id xmlns:xrd="http://x-road.eu/xsd/xroad.xsd">abc</xrd:id>'
    header += b"</SOAP-ENV:Header>"
    head = b"<?xml version='1.0' encoding='UTF-8'?><SOAP-ENV:Envelope>"
    async with TestClient(TestServer(backend_app("register", None))) as client:
        good = await client.post("/", data=head + header + docs.register_request)
        assert good.status == 200
        body = await good.read()
        assert header in body
        AriregisterConnector().decode_message(body)  # the answer is a valid detailandmed_v2
        other = docs.register_request.replace(b"12345678", b"87654321")
        bad = await client.post("/", data=head + header + other)
        assert bad.status == 400
    async with TestClient(TestServer(backend_app("xoev", None))) as client:
        plain = await client.post("/", data=docs.request)
        assert plain.status == 200 and masked(await plain.read()) == docs.masked_answer
