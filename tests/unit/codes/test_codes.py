from __future__ import annotations

import pytest

from connectors.codes import code_table


def test_iso3166_maps_between_alpha2_alpha3_and_numeric():
    countries = code_table("iso3166-1")
    assert countries.map("alpha3", "alpha2", "EST") == "EE"
    assert countries.map("alpha2", "alpha3", "NL") == "NLD"
    assert countries.map("numeric", "alpha2", "276") == "DE"
    assert countries.map("alpha3", "alpha2", "XXX") is None
    assert len(countries.rows) == 249
    assert "iso-codes" in countries.source


def test_an_unknown_column_is_a_programming_error():
    with pytest.raises(KeyError):
        code_table("iso3166-1").row("alpha4", "DEU")
