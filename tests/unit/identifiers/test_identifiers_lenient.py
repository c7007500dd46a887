"""Lenient mode: the partners' own test identifiers, which fail their own rules.

The table lists every such identifier found in the partners' published samples
under ../shared (with the file it is in); strict mode refuses each one, lenient
mode accepts it with a warning naming the rule it fails.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.identifiers import InvalidIdentifierError, validate

SHARED = Path(__file__).resolve().parents[3].parent / "shared"

# (scheme, identifier, file under ../shared, the rule it fails)
PARTNER_TEST_IDENTIFIERS = [
    # Tuleva's Äriregister mocks: synthetic codes ending in 0000 / 000x.
    (
        "ee.isikukood",
        "39901010000",
        "partners/estonia/ariregister/examples/ettevottegaSeotudIsikud_v1_response.xml",
        "check digit fails",
    ),
    (
        "ee.isikukood",
        "48501010000",
        "partners/estonia/ariregister/examples/ettevottegaSeotudIsikud_v1_response.xml",
        "check digit fails",
    ),
    (
        "ee.isikukood",
        "48503150000",
        "partners/estonia/rahvastikuregister/examples/tuleva-mock-person-response.json",
        "check digit fails",
    ),
    (
        "ee.isikukood",
        "61509070000",
        "partners/estonia/rahvastikuregister/examples/tuleva-mock-custody-response.json",
        "check digit fails",
    ),
    (
        "ee.registrikood",
        "99000001",
        "partners/estonia/ariregister/examples/detailandmed_v2_response.xml",
        "check digit fails",
    ),
    (
        "ee.registrikood",
        "99000002",
        "partners/estonia/ariregister/examples/ettevottegaSeotudIsikud_v1_response.xml",
        "check digit fails",
    ),
    # MAGDA's simulator persons carry the birth month + 60 (48610999771: born
    # 1948-01-09, as the same file says); their check digits are right.
    (
        "be.ssin",
        "00600099536",
        "partners/belgium/magda/examples/Persoon_GeefPersoon_02.02.0000_00600099536.xml",
        "no birth month",
    ),
    (
        "be.ssin",
        "48610999771",
        "partners/belgium/magda/examples/Persoon_GeefPersoon_02.02.0000_00600099536.xml",
        "no birth month",
    ),
    (
        "be.ssin",
        "53611699862",
        "partners/belgium/magda/examples/Persoon_GeefPersoon_02.02.0000_00600099536.xml",
        "no birth month",
    ),
]

# Test ranges a partner documents rather than lists.
DOCUMENTED_TEST_IDENTIFIERS = [
    # BZSt test IdNrs start with 0 (XInneres idnr/2 in ../shared/xoev/xinneres; the
    # example is from ELSTER's "Pruefung der Steuer- und Steueridentifikatsnummer").
    ("de.steuer-idnr", "02476291358", "first digit is 0"),
]

ALL = [(s, v, rule) for s, v, _, rule in PARTNER_TEST_IDENTIFIERS] + DOCUMENTED_TEST_IDENTIFIERS


@pytest.mark.parametrize(("scheme", "value", "path", "rule"), PARTNER_TEST_IDENTIFIERS)
def test_the_table_quotes_the_partner_samples(scheme, value, path, rule):
    sample = SHARED / path
    assert sample.is_file(), f"reference file missing: {sample}"
    assert value in sample.read_text(encoding="utf-8")


@pytest.mark.parametrize(("scheme", "value", "rule"), ALL)
def test_strict_mode_refuses_partner_test_identifiers(scheme, value, rule):
    with pytest.raises(InvalidIdentifierError) as info:
        validate(scheme, value)
    assert len(info.value.failures) == 1
    assert rule in info.value.failures[0]


@pytest.mark.parametrize(("scheme", "value", "rule"), ALL)
def test_lenient_mode_accepts_them_with_a_warning(scheme, value, rule):
    identifier = validate(scheme, value, lenient=True)
    assert identifier.notation == value
    assert len(identifier.warnings) == 1
    assert identifier.warnings[0].startswith("lenient mode accepted: ")
    assert rule in identifier.warnings[0]
    assert identifier.as_json() == {"notation": value, "scheme": scheme}


def test_lenient_mode_reports_every_rule_it_let_through():
    # A MAGDA-style month and a wrong check digit: two warnings.
    identifier = validate("be.ssin", "48610999772", lenient=True)
    assert len(identifier.warnings) == 2


def test_valid_identifiers_carry_no_warning_in_lenient_mode():
    assert validate("nl.bsn", "999993653", lenient=True).warnings == ()


def test_the_published_haal_centraal_test_bsn_passes_its_11_check():
    # ../shared/partners/netherlands/INDEX.md: test BSN 999993653 (passes 11-proef).
    assert validate("nl.bsn", "999993653").warnings == ()
