"""The API connectors call: Identifier, SCHEMES, normalise, validate, check, and the error."""

from __future__ import annotations

import dataclasses
import re

import pytest

import connectors.identifiers as identifiers
from connectors.identifiers import (
    SCHEMES,
    Identifier,
    InvalidIdentifierError,
    check,
    normalise,
    validate,
)
from gateway.errors import ClientError

BULLETS = "\u2022" * 6


def test_schemes_are_the_ones_connectors_use():
    assert set(SCHEMES) == {
        "de.steuer-idnr",
        "de.handelsregister",
        "nl.bsn",
        "nl.rsin",
        "nl.kvk",
        "nl.kvk-vestiging",
        "be.ssin",
        "be.enterprise",
        "be.establishment",
        "ee.isikukood",
        "ee.registrikood",
        "lu.matricule",
        "eu.euid",
    }
    assert all(description for description in SCHEMES.values())
    with pytest.raises(TypeError):
        SCHEMES["xx.new"] = "not allowed"  # type: ignore[index]


def test_identifier_is_a_frozen_value_with_the_canonical_json():
    identifier = validate("be.enterprise", "BE 0403.170.701")
    assert identifier == Identifier("0403170701", "be.enterprise")
    assert identifier.as_json() == {"notation": "0403170701", "scheme": "be.enterprise"}
    with pytest.raises(dataclasses.FrozenInstanceError):
        identifier.notation = "0"  # type: ignore[misc]
    assert not hasattr(identifier, "__dict__")  # slots


def test_public_names():
    assert identifiers.__all__ == [
        "SCHEMES",
        "Identifier",
        "InvalidIdentifierError",
        "check",
        "normalise",
        "validate",
    ]


def test_invalid_identifier_is_a_client_bad_request():
    with pytest.raises(InvalidIdentifierError) as info:
        validate("nl.bsn", "999993654")
    error = info.value
    assert isinstance(error, ClientError)
    assert (error.code, error.origin, error.type) == ("BadRequest", "Client", "Client.BadRequest")
    assert error.http_status == 400
    assert error.snake_type == "client.bad_request"
    assert error.scheme == "nl.bsn"
    assert error.failures == ("11-check fails (sum 351 is not divisible by 11)",)
    assert str(error) == f"nl.bsn 99{BULLETS}54: 11-check fails (sum 351 is not divisible by 11)"


def test_the_message_names_every_failing_rule():
    with pytest.raises(InvalidIdentifierError) as info:
        validate("de.steuer-idnr", "02476291359")  # test range and a wrong check digit
    assert len(info.value.failures) == 2
    assert str(info.value).endswith("; ".join(info.value.failures))


def test_unknown_scheme_is_a_client_error_too():
    for call in (
        lambda: validate("nl.bsm", "999993653"),
        lambda: normalise("nl.bsm", "999993653"),
        lambda: check("nl.bsm", "999993653"),
    ):
        with pytest.raises(InvalidIdentifierError) as info:
            call()
        assert str(info.value) == "unknown identifier scheme 'nl.bsm'"
        assert info.value.type == "Client.BadRequest"


FAILING = [
    ("nl.bsn", "999993654"),
    ("nl.bsn", "99999366"),  # restored to 099999366, which fails
    ("nl.bsn", "9999 9365 4"),
    ("be.ssin", "85.07.30-033.29"),
    ("be.ssin", "48610999771"),
    ("be.enterprise", "BE 0403.170.702"),
    ("ee.isikukood", "39901010000"),
    ("de.steuer-idnr", "02476291358"),
    ("lu.matricule", "1893120105722"),
    ("lu.matricule", "18931201057"),
    ("ee.registrikood", "99000001"),
    ("de.steuer-idnr", "860957427190"),
    ("eu.euid", "NLNHR59581883"),
]


@pytest.mark.parametrize(("scheme", "raw"), FAILING)
def test_the_identifier_never_appears_in_full(scheme, raw):
    with pytest.raises(InvalidIdentifierError) as info:
        validate(scheme, raw)
    error = info.value
    notation = normalise(scheme, raw)
    for text in (str(error), error.diagnostics(), *error.failures, *map(str, error.args)):
        assert notation not in text
        assert raw not in text
    assert re.search(rf"^{re.escape(scheme)} (\S\S{BULLETS}\S\S|{BULLETS}): ", str(error))
    assert f"{notation[:2]}{BULLETS}{notation[-2:]}" in str(error)


@pytest.mark.parametrize("raw", ["12", "1234567", "", "\u2022\u2022"])
def test_short_values_are_masked_entirely(raw):
    with pytest.raises(InvalidIdentifierError) as info:
        validate("nl.bsn", raw)
    assert str(info.value).startswith(f"nl.bsn {BULLETS}: ")


def test_control_characters_do_not_reach_the_message():
    with pytest.raises(InvalidIdentifierError) as info:
        validate("eu.euid", "\x1b[2J" + "A" * 10 + "\x07")
    assert "\x1b" not in str(info.value)
    assert "\x07" not in str(info.value)


def test_huge_input_is_refused_before_any_rule_runs():
    assert check("de.handelsregister", "HRB " + "1" * 10_000) == [
        "has 10004 characters, far too many"
    ]


def test_check_lists_every_failing_rule_and_nothing_for_a_valid_one():
    assert check("nl.bsn", "999993653") == []
    assert check("be.ssin", "48610999772") == [
        "digits 3-4 are no birth month: 00-12 (national register), 20-32 or 40-52 (BIS)",
        "mod-97 check fails for a birth before 2000 (expected 71) and from 2000 (expected 03)",
    ]


def test_normalise_does_not_validate():
    assert normalise("nl.bsn", "not a number") == "notanumber"
    assert normalise("be.enterprise", "BE 9.9") == "99"


def test_validate_compiles_no_regular_expression(monkeypatch):
    # All patterns are compiled at import; a call goes through precompiled objects only.
    def refuse(*args, **kwargs):
        raise AssertionError("a regular expression was compiled during validate()")

    monkeypatch.setattr(re, "_compile", refuse)
    monkeypatch.setattr(re, "compile", refuse)
    samples = {
        "de.handelsregister": "K1101R.HRB116737",
        "eu.euid": "nlnhr.59581883",
        "be.enterprise": "BE 0403.170.701",
        "be.ssin": "85.07.30-033.28",
        "lu.matricule": "1893120105733",
        "ee.isikukood": "39901010000",
    }
    for scheme in SCHEMES:
        check(scheme, " 1-2 ")
    for scheme, raw in samples.items():
        validate(scheme, raw, lenient=True)
