"""The shared table of Destatis state / nationality keys (schemas/codes/de-destatis-staaten)."""

from __future__ import annotations

from lxml import etree

from connectors.codes import code_table
from tests.connectors.xoev.test_xpersonenstand_support import SHARED_XOEV

XS = "{http://www.w3.org/2001/XMLSchema}"


def _keys_of(type_name: str) -> dict[str, str]:
    """Keys and labels of a code type in the XPersonenstand 1.7.5 codes (the 2015-01-16 lists)."""
    codes = etree.parse(str(SHARED_XOEV / "xpersonenstand/xsd-1.7.5/xpersonenstand-codes.xsd"))
    found = codes.getroot().find(f"{XS}complexType[@name='{type_name}']")
    assert found is not None
    return {
        e.get("value", ""): e.findtext(".//wertErsteBeschreibungsspalte") or ""
        for e in found.iter(f"{XS}enumeration")
    }


def test_the_table_maps_destatis_keys_to_iso_alpha_2_and_back():
    table = code_table("de-destatis-staaten")
    assert table.map("destatis", "alpha2", "000") == "DE"
    assert table.map("destatis", "alpha2", "127") == "EE"
    assert table.map("destatis", "alpha2", "124") == "BE"
    assert table.map("destatis", "alpha2", "148") == "NL"
    assert table.map("destatis", "alpha2", "143") == "LU"
    assert table.map("alpha2", "destatis", "TR") == "163"
    assert table.map("destatis", "alpha2", "997") == ""  # staatenlos: no country
    assert table.map("destatis", "name", "151") == "Österreich"
    assert table.list_uri == "urn:de:bund:destatis:bevoelkerungsstatistik:schluessel:staat"
    assert table.list_version == "2024-08-01"
    assert "X.Justiz.Core" in table.source and "1.7.5" in table.source


def test_keys_are_unique_three_digit_and_iso_codes_agree_with_iso_3166():
    table, iso = code_table("de-destatis-staaten"), code_table("iso3166-1")
    keys = [row["destatis"] for row in table.rows]
    assert len(keys) == len(set(keys)) == 211
    assert all(len(k) == 3 and k.isdigit() for k in keys)
    coded = [row for row in table.rows if row["alpha2"]]
    assert len({row["alpha2"] for row in coded}) == len(coded)
    for row in coded:
        if row["alpha2"] == "XK":  # Kosovo: a user-assigned code, not in ISO 3166-1
            assert row["alpha3"] == "XXK"
            continue
        assert iso.map("alpha2", "alpha3", row["alpha2"]) == row["alpha3"], row
    assert {row["kind"] for row in table.rows} == {"staat", "staatsangehoerigkeit"}
    assert sum(row["kind"] == "staat" for row in table.rows) == 197


def test_every_key_of_the_2015_staatsangehoerigkeit_list_is_in_the_table():
    table = code_table("de-destatis-staaten")
    for key in _keys_of("Code.Staatsangehoerigkeit.Code"):
        assert table.row("destatis", key) is not None, key
