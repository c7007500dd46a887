"""The encoder writes the message as text: it must be lxml's serialisation of the same tree."""

from __future__ import annotations

from typing import Any

import pytest
from lxml import etree

from connectors.base import ConnectorOptions, Envelope
from connectors.xoev.xgewerbeanzeige import XGewerbeanzeigeConnector
from tests.connectors.xoev.test_xgewerbeanzeige_support import SAMPLES, VALID

# Everything lxml writes as a reference, in text (&, <, >, CR) and in attributes (also ", TAB, LF).
MARKUP = 'A & B <GmbH> "neu"\tim\r\nHof'


@pytest.fixture(scope="module")
def connector() -> XGewerbeanzeigeConnector:
    return XGewerbeanzeigeConnector(ConnectorOptions())


def _document(connector: XGewerbeanzeigeConnector, name: str) -> dict[str, Any]:
    envelope = connector.decode_now((SAMPLES / name).read_bytes())
    assert envelope.document is not None
    return dict(envelope.document)


def _reserialised(body: bytes) -> bytes:
    return etree.tostring(etree.fromstring(body), xml_declaration=True, encoding="UTF-8")


@pytest.mark.parametrize("version", ["2.0", "2.1", "2.2"])
@pytest.mark.parametrize("sample", [path.name for path in VALID])
def test_output_is_what_lxml_writes_for_its_tree(sample, version):
    connector = XGewerbeanzeigeConnector(ConnectorOptions(), version=version)
    document = _document(connector, sample)
    body, _, _ = connector.encode_with_notes(
        Envelope("", document=document, kind="TradeNotification")
    )
    assert body.startswith(b"<?xml version='1.0' encoding='UTF-8'?>\n<xga:")
    assert body == _reserialised(body)


def test_markup_characters_are_escaped_and_come_back(connector):
    document = _document(connector, "xgwa2.2-valid.xml")
    document["business"] = {**document["business"], "legalNames": [{"lang": "de", "text": MARKUP}]}
    code = {**document["municipalityCode"], "listURI": 'urn:x&y"z\tq\nr', "name": MARKUP}
    document["municipalityCode"] = code
    body, _, _ = connector.encode_with_notes(
        Envelope("", document=document, kind="TradeNotification")
    )
    assert b'A &amp; B &lt;GmbH&gt; "neu"\tim&#13;\nHof' in body
    assert b'listURI="urn:x&amp;y&quot;z&#9;q&#10;r"' in body
    assert body == _reserialised(body)
    back = connector.decode_now(body).document
    assert back is not None
    assert back["business"]["legalNames"] == [{"lang": "de", "text": MARKUP}]
    assert back["municipalityCode"] == code


@pytest.mark.parametrize(
    ("text", "error", "message"),
    [("a\x01b", ValueError, "must be XML compatible"), ("a\ud800b", UnicodeError, "surrogates")],
)
def test_a_character_xml_cannot_hold_is_refused_as_lxml_refuses_it(connector, text, error, message):
    document = {**_document(connector, "xgwa2.2-valid.xml"), "tradeId": text}  # no Latin check
    with pytest.raises(error, match=message):
        connector.encode_with_notes(Envelope("", document=document, kind="TradeNotification"))
