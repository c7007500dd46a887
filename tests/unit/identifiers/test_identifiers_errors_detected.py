"""What each check digit catches: every single-digit change and adjacent swap, where guaranteed.

Where an algorithm does not guarantee it (the Estonian mod 11 with its second
stage, the two Belgian century rules, MOD 11,10 against swaps) the tests pin
down exactly which errors slip through, with a real example of each.
"""

from __future__ import annotations

import pytest

from connectors.identifiers import InvalidIdentifierError, validate
from tests.unit.identifiers import reference
from tests.unit.identifiers.reference import substitutions, transpositions


def accepted(scheme: str, value: str) -> bool:
    try:
        validate(scheme, value)
    except InvalidIdentifierError:
        return False
    return True


# Schemes whose check catches every single-digit change: MOD 11,10 (ISO 7064),
# the 11-check (weights 9..2, -1 are all non-zero mod 11), mod 97 over the
# number (97 is prime and divides no d * 10^k), Luhn (the 12th digit).
EVERY_SUBSTITUTION = [
    ("de.steuer-idnr", "86095742719"),
    ("de.steuer-idnr", "47036892816"),
    ("de.steuer-idnr", "12131456787"),
    ("nl.bsn", "999993653"),
    ("nl.bsn", "012345672"),
    ("nl.rsin", "823807071"),
    ("be.enterprise", "0202239951"),
    ("be.enterprise", "0411696011"),
    ("be.establishment", "2147812701"),
    ("be.ssin", "85073003328"),
    ("be.ssin", "90010100123"),
    ("be.ssin", "53480200724"),
]


@pytest.mark.parametrize(("scheme", "value"), EVERY_SUBSTITUTION)
def test_every_single_digit_change_is_refused(scheme, value):
    assert accepted(scheme, value)
    slipped = [changed for _, changed in substitutions(value) if accepted(scheme, changed)]
    assert slipped == []


# The 11-check and mod 97 also catch every swap of adjacent digits: a swap
# changes the 11-check sum by (a - b) or 3 (a - b), and the number by 9 (a - b) 10^k.
EVERY_TRANSPOSITION = [
    ("nl.bsn", "999993653"),
    ("nl.bsn", "249566758"),
    ("nl.rsin", "823807071"),
    ("be.enterprise", "0202239951"),
    ("be.enterprise", "0412937710"),
    ("be.establishment", "2147812897"),
    ("de.steuer-idnr", "86095742719"),  # MOD 11,10 catches most swaps, and all of these
    ("be.ssin", "85073003328"),
]


@pytest.mark.parametrize(("scheme", "value"), EVERY_TRANSPOSITION)
def test_every_adjacent_swap_is_refused(scheme, value):
    slipped = [changed for _, changed in transpositions(value) if accepted(scheme, changed)]
    assert slipped == []


def test_mod_11_10_does_not_catch_every_swap():
    assert accepted("de.steuer-idnr", "65929970489")
    assert accepted("de.steuer-idnr", "56929970489")  # the first two digits swapped


def test_luxembourg_refuses_every_change_to_digits_1_to_12_and_warns_on_the_13th():
    value = "1893120105732"
    for position, changed in substitutions(value):
        if position < 12:
            assert not accepted("lu.matricule", changed), changed
        else:
            assert validate("lu.matricule", changed).warnings, changed
    # Luhn misses a 09 <-> 90 swap; Verhoeff (the 13th digit) catches every one: a warning.
    for _, changed in transpositions(value):
        assert not accepted("lu.matricule", changed) or validate("lu.matricule", changed).warnings


def test_the_two_belgian_century_rules_let_a_change_of_6_in_the_second_digit_through():
    # 6e7 and 2e9 are both 68 mod 97: adding 6 to the year's second digit adds what
    # the 2 put before a number from 2000 adds, so the number moves to the other rule.
    born_2000 = "00012556777"
    slipped = [c for _, c in substitutions(born_2000) if accepted("be.ssin", c)]
    assert slipped == ["06012556777"]  # read as born in 1906, by the pre-2000 rule
    for value in ("85073003328", "93051822361", born_2000):
        for position, changed in substitutions(value):
            if accepted("be.ssin", changed):
                assert position == 1
                assert abs(int(changed[1]) - int(value[1])) == 6


ESTONIAN = [
    ("ee.isikukood", "36805280109", 10),
    ("ee.registrikood", "11283219", 7),
    ("ee.registrikood", "70000310", 7),
    ("ee.registrikood", "12213008", 7),
]


@pytest.mark.parametrize(("scheme", "value", "body"), ESTONIAN)
def test_estonian_check_digit_misses_a_change_only_through_its_second_stage(scheme, value, body):
    # A stage-I remainder is the check digit itself, and a single change always
    # changes it (no weight is 0 mod 11); a change slips through only when the
    # old or the new number has a stage-I remainder of 10 and so goes to stage II.
    slipped = [
        (p, c) for p, c in substitutions(value) if accepted(scheme, c) and c[:body] != value[:body]
    ]
    assert slipped, "each of these numbers has such a neighbour"
    for position, changed in slipped:
        assert position < body
        stages = (
            reference.estonian_stage_1(value[:body]),
            reference.estonian_stage_1(changed[:body]),
        )
        assert 10 in stages


def test_python_stdnum_example_isikukood_has_a_valid_neighbour():
    assert accepted("ee.isikukood", "36805280109")
    assert accepted("ee.isikukood", "36105280109")  # a typo the check digit cannot see
