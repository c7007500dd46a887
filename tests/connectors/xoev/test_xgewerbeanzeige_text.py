"""Faithfulness of texts: diacritics survive, String.Latin is enforced, never a silent '?'."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import pytest
from lxml import etree

from connectors.base import ConnectorOptions, Envelope
from connectors.xoev.xgewerbeanzeige import XGewerbeanzeigeConnector, latin
from gateway.errors import ConnectorError
from tests.connectors.xoev.test_xgewerbeanzeige_support import ROOT, SAMPLES

SHIPPED = ROOT / "schemas" / "xoev" / "xgewerbeanzeige" / "xgewerbeanzeige-baukasten.xsd"
DIN_91379 = (
    ROOT
    / ".."
    / "shared"
    / "xoev"
    / "xoev-framework"
    / "from-xbau26"
    / "din-norm-91379-datatypes.xsd"
)


@pytest.fixture(scope="module")
def connector() -> XGewerbeanzeigeConnector:
    return XGewerbeanzeigeConnector(ConnectorOptions())


@pytest.fixture(scope="module")
def sample_document(connector) -> dict[str, Any]:
    envelope = connector.decode_now((SAMPLES / "xgwa2.2-valid.xml").read_bytes())
    assert envelope.document is not None
    return dict(envelope.document)


def _with_name(document: dict[str, Any], family: str, given: str) -> Envelope:
    person = document["persons"][0]["person"]
    named = {**person, "name": {**person["name"], "familyName": family, "givenNames": [given]}}
    persons = [{**document["persons"][0], "person": named}]
    return Envelope("application/json", document={**document, "persons": persons},
                    kind="TradeNotification")  # fmt: skip


@pytest.mark.parametrize(
    ("family", "given"),
    [("Müller", "Jürgen"), ("Größe", "Ärzte-Maß"), ("Šťastný", "Jiří"), ("Põder", "Õie"),
     ("Lefèvre", "François"), ("van der Berg", "Ærøskøbing"), ("MÜLLER-LÜDENSCHEIDT", "ŽAN")],
)  # fmt: skip
async def test_diacritics_case_and_order_survive(connector, sample_document, family, given):
    body, _ = await connector.encode(_with_name(sample_document, family, given))
    assert family.encode() in body and given.encode() in body  # UTF-8, no character references
    back = await connector.decode(body, "application/xml")
    assert back.document is not None
    name = back.document["persons"][0]["person"]["name"]
    assert (name["familyName"], name["givenNames"]) == (family, [given])


async def test_a_character_outside_string_latin_is_an_error_naming_the_field(
    connector, sample_document
):
    with pytest.raises(ConnectorError) as caught:
        await connector.encode(_with_name(sample_document, "Жуков", "Jan"))
    message = str(caught.value)
    assert message.startswith("$.persons[0].person.name.familyName (familienname): character 'Ж'")
    assert "String.Latin" in message and "U+0416" in message


async def test_string_latin_is_stricter_than_din_91379(connector, sample_document):
    # U+0108 Ĉ (Esperanto) is in DIN 91379 datatype A but not in String.Latin 1.1.
    with pytest.raises(ConnectorError, match=r"'Ĉ' \(U\+0108\)"):
        await connector.encode(_with_name(sample_document, "Ĉu", "Jan"))


async def test_decomposed_text_is_written_in_nfc(connector, sample_document):
    decomposed = unicodedata.normalize("NFD", "Šťastný")
    body, _ = await connector.encode(_with_name(sample_document, decomposed, "Jan"))
    assert "Šťastný".encode() in body


async def test_input_outside_string_latin_is_refused_with_element_and_line(connector):
    body = (SAMPLES / "xgwa2.2-valid.xml").read_bytes().replace(b">Tibor<", "> Ωμέγα<".encode())
    with pytest.raises(ConnectorError) as caught:
        await connector.decode(body, "application/xml")
    message = str(caught.value)
    assert re.search(r"line \d+, /abh\.gewerbemeldung\.0500/.*/beteiligtePerson/vorname: ", message)
    assert "Ωμέγα" not in message  # values are not echoed
    assert "String.Latin" in message


def _accepts(pattern: str, text: str) -> bool:
    schema = etree.XMLSchema(etree.XML(
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:element name="t">'
        '<xs:simpleType><xs:restriction base="xs:string">'
        f'<xs:pattern value="{pattern}"/></xs:restriction></xs:simpleType></xs:element></xs:schema>'
    ))  # fmt: skip
    element = etree.Element("t")
    element.text = text
    return schema.validate(element)


def _xsd_pattern(path, type_name: str) -> str:
    text = path.read_text(encoding="utf-8")
    start = text.index(f'name="{type_name}"')
    return re.search(r'<xs:pattern value="([^"]+)"', text[start:])[1]  # type: ignore[index]


def test_the_shipped_xsd_declares_string_latin_as_the_python_check_does():
    assert _xsd_pattern(SHIPPED, "String.Latin") == latin.xsd_pattern()
    shared = ROOT / ".." / "shared" / "xoev" / "xoev-framework" / "latinchars.xsd"
    assert _xsd_pattern(shared, "String.Latin") == latin.xsd_pattern()


def test_python_and_xsd_agree_on_every_code_point_up_to_u2100():
    pattern = latin.xsd_pattern()
    chars = "".join(chr(c) for c in range(0x20, 0x2100) if not 0xD800 <= c <= 0xDFFF)
    accepted = {c for c in chars if latin.first_offence(c) is None}
    # One schema check per character is slow; check the accepted set whole, then samples.
    assert _accepts(pattern, "".join(sorted(accepted)))
    for c in sorted(set(chars) - accepted)[::7]:
        assert not _accepts(pattern, c), hex(ord(c))
    for sequence in ("M\u0302", "J\u030c", "l\u0302"):
        assert latin.first_offence(sequence) is None and _accepts(pattern, sequence)
    assert latin.first_offence("A\u0302") == (1, "\u0302")  # not a listed sequence


@pytest.mark.parametrize(
    ("text", "string_latin", "din_91379_a"),
    [("Müller", True, True), ("Größe", True, True), ("Šťastný", True, True),
     ("Ĉu", False, True), ("Жуков", False, False)],
)  # fmt: skip
def test_which_names_each_character_set_carries(text, string_latin, din_91379_a):
    assert (latin.first_offence(text) is None) is string_latin
    assert _accepts(_xsd_pattern(DIN_91379, "datatypeA"), text) is din_91379_a
