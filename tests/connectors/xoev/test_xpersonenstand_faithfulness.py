"""Faithfulness (issue 3, item 4): characters, names, partial dates, countries."""

from __future__ import annotations

import re
import unicodedata

import pytest
from lxml import etree

from connectors.xoev import din91379
from gateway import shipped
from gateway.errors import ConnectorError
from tests.connectors.xoev.test_xpersonenstand_support import (
    SHARED_XOEV,
    VALID_SAMPLE,
    birth,
    death,
    decode,
    element_text,
    encode,
    valid_under_both,
)

WAYS = ("official", "shipped")
XS = "{http://www.w3.org/2001/XMLSchema}"


def _datatype_c(document: etree._ElementTree) -> str:
    for simple in document.getroot().iter(f"{XS}simpleType"):
        if simple.get("name") in ("datatypeC", "Text"):
            return str(simple.find(f".//{XS}pattern").get("value"))  # type: ignore[union-attr]
    raise AssertionError("no datatype C")


def test_the_din_91379_repertoire_is_the_official_datatype_c_code_point_by_code_point():
    official = etree.parse(
        str(SHARED_XOEV / "xoev-framework/from-xbau26/din-norm-91379-datatypes.xsd")
    )
    pattern = re.compile(_datatype_c(official))  # the XSD pattern reads as a Python regex here
    for code_point in range(0x110000):
        if 0xD800 <= code_point <= 0xDFFF:
            continue
        char = chr(code_point)
        assert bool(pattern.fullmatch(char)) == din91379.is_carried(char), hex(code_point)
    for base, marks in din91379._SEQUENCES.items():
        for mark in marks:
            assert pattern.fullmatch(base + mark) and din91379.is_carried(base + mark)


def test_the_shipped_subset_declares_the_same_repertoire():
    subset = etree.ElementTree(
        etree.fromstring(
            shipped.load_bytes("xoev/xpersonenstand/portal2sta-geburt-sterbefall.v1.xsd")
        )
    )
    assert _datatype_c(subset) == etree.fromstring(
        f'<p v="{din91379.xsd_pattern()}"/>'.encode()
    ).get("v")


@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize(
    ("field", "person"),
    [
        ("name.familyName", death(name={"givenNames": ["Ivan"], "familyName": "Жуков"})),
        ("name.givenNames", death(name={"givenNames": ["Σοφία"], "familyName": "Papadopoulou"})),
        (
            "event.informant.organisationName",
            {**death(), "event": {**death()["event"], "informant": {
                "organisationName": "Klinik ☺", "contactPoints": [
                    {"channel": "email", "value": "a@example.de"}]}}},
        ),
        (
            "relatedPersons[0].person.name.familyName",
            birth(relatedPersons=[{"role": "mother", "person": {
                "name": {"givenNames": ["Mei"], "familyName": "王"}, "birthDate": "1990-01-01"}}]),
        ),
    ],
)  # fmt: skip
def test_a_character_datatype_c_cannot_carry_is_a_connector_error_naming_the_field(
    way, field, person
):
    with pytest.raises(ConnectorError) as refused:
        encode(way, person)
    assert refused.value.message.startswith(f"{field}: character U+")
    assert "DIN 91379" in refused.value.message
    assert "xgw does not transliterate" in refused.value.message


@pytest.mark.parametrize("way", WAYS)
def test_diacritics_survive_both_ways(way):
    names = {
        "givenNames": ["Õie", "Zoë", "François"],
        "familyName": "Šťastný-Müßig",
        "birthName": "Žaček",
    }
    person = death(name=names)
    person["event"]["place"] = person["deathPlace"] = {"name": "Pärnu", "country": "EE"}
    body, _ = encode(way, person)
    valid_under_both(body)
    assert "Õie Zoë François".encode() in body  # UTF-8, not character references or '?'
    assert "Šťastný-Müßig".encode() in body
    assert decode(way, body).document == person


@pytest.mark.parametrize("way", WAYS)
def test_text_is_written_in_nfc_with_a_note(way):
    decomposed = unicodedata.normalize("NFD", "Müller")
    person = death(name={"givenNames": ["Jüri"], "familyName": decomposed})
    body, notes = encode(way, person)
    assert element_text(body, "familienname") == ["Müller"]
    assert "name.familyName: written in Unicode NFC, as DIN 91379 requires" in notes
    assert decode(way, body).document["name"]["familyName"] == "Müller"


@pytest.mark.parametrize("way", WAYS)
def test_names_keep_their_case_and_order(way):
    names = {"givenNames": ["MARI", "Anna-Lena", "jüri"], "familyName": "MAASIKAS"}
    body, _ = encode(way, death(name=names))
    assert element_text(body, "vorname") == ["MARI Anna-Lena jüri"]
    assert decode(way, body).document["name"] == names


@pytest.mark.parametrize("way", WAYS)
def test_a_name_prefix_goes_before_the_family_name_with_a_note(way):
    body, notes = encode(way, death(name={"givenNames": ["Jan"], "namePrefix": "van der",
                                          "familyName": "Berg"}))  # fmt: skip
    assert element_text(body, "familienname") == ["van der Berg"]
    assert any(n.startswith("name.namePrefix: written as one family name") for n in notes)


@pytest.mark.parametrize("way", WAYS)
def test_a_partial_birth_date_is_never_padded(way):
    person = death(birthDate="1950-03")
    body, notes = encode(way, person)
    assert element_text(body, "geburtstag") == []
    assert any(
        n.startswith("birthDate: not carried by portal2StA.Sterbefall.084020") for n in notes
    )
    assert "birthDate" not in decode(way, body).document


@pytest.mark.parametrize(
    ("person", "field"),
    [
        (death(deathDate="2024-11", event={**death()["event"], "date": "2024-11"}), "event.date"),
        (birth(event={**birth()["event"], "date": "2024"}, birthDate="2024"), "event.date"),
        (
            birth(relatedPersons=[{"role": "mother", "person": {
                "name": {"givenNames": ["Mari"], "familyName": "Tamm"}, "birthDate": "1990-05"}}]),
            "relatedPersons[0].person.birthDate",
        ),
    ],
)  # fmt: skip
def test_a_partial_date_the_message_requires_in_full_is_an_error(person, field):
    with pytest.raises(ConnectorError, match=rf"^{re.escape(field)}: .*never padded"):
        encode("shipped", person)


_DAY = (
    b"<ns2:todestag>\n                <ns2:todestag>2024-11-01</ns2:todestag>\n"
    b'                <ns2:todeszeit exakt="true">05:21</ns2:todeszeit>\n'
    b"            </ns2:todestag>"
)


def _period(first: str | None, last: str) -> bytes:
    alive = f"<ns2:letzterTagLebend>{first}</ns2:letzterTagLebend>" if first else ""
    period = (
        f"<ns2:sterbezeitraum>{alive}<ns2:mitSicherheitTotTag>{last}</ns2:mitSicherheitTotTag>"
        "<ns2:mitSicherheitTotUhrzeit>08:00</ns2:mitSicherheitTotUhrzeit></ns2:sterbezeitraum>"
    )
    body = VALID_SAMPLE.read_bytes()
    assert _DAY in body
    return body.replace(_DAY, period.encode())


@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize(
    ("first", "last", "date"),
    [
        ("2024-11-01", "2024-11-03", "2024-11"),
        ("2024-10-28", "2024-11-02", "2024"),
        ("2024-11-02", "2024-11-02", "2024-11-02"),
        ("2023-12-30", "2024-01-02", None),
        (None, "2024-11-02", None),
    ],
)
def test_a_death_period_becomes_the_partial_date_both_days_share(way, first, last, date):
    envelope = decode(way, _period(first, last))
    person = envelope.document
    assert person.get("deathDate") == date
    assert person["event"].get("date") == date
    assert "time" not in person["event"]
    assert any("sterbezeitraum: death period" in n for n in envelope.notes)


_CODE = '<ns2:code listVersionID="{}"><code>{}</code></ns2:code>'


def _with_place(staat: str) -> bytes:
    body = VALID_SAMPLE.read_bytes()
    marker = b"<ns2:ort>Sterbeort Ort</ns2:ort>"
    return body.replace(marker, marker + f"<ns2:staat>{staat}</ns2:staat>".encode())


@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize(
    ("staat", "expected", "note"),
    [
        (_CODE.format("2024-08-01", "127"), {"country": "EE"}, None),
        (_CODE.format("2024-08-01", "000"), {"country": "DE"}, None),
        (_CODE.format("2023-02-24", "148"), {"country": "NL"},
         "list version 2023-02-24 read with the table of version 2024-08-01"),
        (_CODE.format("2024-08-01", "998"), {}, "Destatis key 998 has no ISO 3166 country"),
        ("<ns2:nichtGelisteterWert>Westsahara</ns2:nichtGelisteterWert>",
         {"countryName": "Westsahara"}, None),
    ],
)  # fmt: skip
def test_destatis_keys_become_iso_countries(way, staat, expected, note):
    envelope = decode(way, _with_place(staat))
    place = envelope.document["deathPlace"]
    assert {k: v for k, v in place.items() if k in ("country", "countryName")} == expected
    if note:
        assert any(note in n for n in envelope.notes)


@pytest.mark.parametrize("way", WAYS)
def test_iso_countries_become_destatis_keys(way):
    person = death()
    person["event"]["place"] = person["deathPlace"] = {"name": "Tallinn", "country": "EE"}
    person["residenceAddress"] = {"postName": "Tallinn", "adminUnitL1": "EE"}
    body, _ = encode(way, person)
    assert "127" in element_text(body, "code")
    assert element_text(body, "staat")[-1] == "Estland"  # letzterWohnsitz/staat is a text
    assert decode(way, body).document == person
