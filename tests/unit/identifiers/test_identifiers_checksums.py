"""The check-digit algorithms against published vectors and an independent implementation."""

from __future__ import annotations

import random

import pytest

from connectors.identifiers._checksums import (
    ee_mod11,
    elfproef_sum,
    iso7064_mod11_10,
    luhn_check_digit,
    mod97_check,
    verhoeff_check_digit,
)
from tests.unit.identifiers import reference


@pytest.mark.parametrize(
    ("body", "digit"),
    [("236", 3), ("12345", 1), ("142857", 0), ("18931201057", 2)],  # Verhoeff 1969; lux-utils
)
def test_verhoeff_vectors(body, digit):
    assert verhoeff_check_digit(body) == digit


@pytest.mark.parametrize(("body", "digit"), [("7992739871", 3), ("18931201057", 3)])
def test_luhn_vectors(body, digit):
    assert luhn_check_digit(body) == digit


def test_iso7064_mod11_10_vectors():
    # ELSTER's examples of valid IdNrs: the 11th digit is the check digit.
    for idnr in ("02476291358", "86095742719", "47036892816", "65929970489", "25768131411"):
        assert iso7064_mod11_10(idnr[:10]) == int(idnr[10])


def test_elfproef_and_mod97_vectors():
    assert elfproef_sum("999993653") == 352  # 32 * 11
    assert elfproef_sum("249566758") == 220  # the worked example's sum
    assert mod97_check(5669882) == 59  # MAGDA: 0566.988.259
    assert mod97_check(2_000_125_567) == 77  # MAGDA: a birth from 2000
    assert mod97_check(97) == 97  # never 00


def test_estonian_vectors():
    assert ee_mod11("3680528010") == 9  # 36805280109
    assert ee_mod11("7000031") == 0  # 70000310: stage I gives 10, stage II gives 0


def test_every_algorithm_matches_the_reference_implementation():
    rng = random.Random("xgw checksums")
    for _ in range(5000):
        body = "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 16)))
        assert verhoeff_check_digit(body) == int(reference.verhoeff_digit(body)), body
        assert luhn_check_digit(body) == int(reference.luhn_digit(body)), body
        assert ee_mod11(body[:10]) == int(reference.estonian(body[:10])[-1]), body
        assert iso7064_mod11_10(body[:10]) == int(reference.steuer_idnr(body[:10])[-1]), body
        if len(body) >= 8:
            assert f"{mod97_check(int(body[:8])):02d}" == reference.cbe(body[:8])[-2:], body
