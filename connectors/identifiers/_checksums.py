"""Check-digit algorithms, as pure functions over strings of ASCII digits.

Usage::

    iso7064_mod11_10("1234567899")   # -> 5 (German Steuer-IdNr 12345678995)
    elfproef_sum("999993653")        # -> 352 = 32 * 11: a valid BSN
    mod97_check(4031707)             # -> 1 (Belgian enterprise number 0403170701)

Each function computes; the callers in ``_schemes`` compare and word the
failure. Sources for every algorithm are in docs/identifiers.md.
"""

from __future__ import annotations

from operator import mul

__all__ = [
    "ee_mod11",
    "elfproef_sum",
    "iso7064_mod11_10",
    "luhn_check_digit",
    "mod97_check",
    "verhoeff_check_digit",
]

_ELFPROEF_WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2, -1)
_EE_WEIGHTS_1 = (1, 2, 3, 4, 5, 6, 7, 8, 9, 1)
_EE_WEIGHTS_2 = (3, 4, 5, 6, 7, 8, 9, 1, 2, 3)

# Verhoeff's tables: multiplication in the dihedral group D5, the position
# permutation, and the inverse (J. Verhoeff, "Error detecting decimal codes", 1969).
_VERHOEFF_D = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 2, 3, 4, 0, 6, 7, 8, 9, 5),
    (2, 3, 4, 0, 1, 7, 8, 9, 5, 6),
    (3, 4, 0, 1, 2, 8, 9, 5, 6, 7),
    (4, 0, 1, 2, 3, 9, 5, 6, 7, 8),
    (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
    (6, 5, 9, 8, 7, 1, 0, 4, 3, 2),
    (7, 6, 5, 9, 8, 2, 1, 0, 4, 3),
    (8, 7, 6, 5, 9, 3, 2, 1, 0, 4),
    (9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
)
_VERHOEFF_P = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 5, 7, 6, 2, 8, 3, 0, 9, 4),
    (5, 8, 0, 3, 7, 9, 6, 1, 4, 2),
    (8, 9, 1, 6, 0, 4, 3, 5, 2, 7),
    (9, 4, 5, 3, 1, 2, 6, 8, 7, 0),
    (4, 2, 8, 6, 5, 7, 3, 9, 0, 1),
    (2, 7, 9, 3, 8, 0, 6, 4, 1, 5),
    (7, 0, 4, 6, 9, 1, 3, 2, 5, 8),
)
_VERHOEFF_INV = (0, 4, 3, 2, 1, 5, 6, 7, 8, 9)


def iso7064_mod11_10(digits: str) -> int:
    """The ISO 7064 MOD 11,10 check digit of ``digits`` (the IdNr's pseudo-code)."""
    product = 10
    for char in digits:
        total = (int(char) + product) % 10 or 10
        product = (2 * total) % 11
    check = 11 - product
    return 0 if check == 10 else check


def elfproef_sum(digits: str) -> int:
    """The weighted sum of the Dutch 11-check: weights 9..2 and -1 for the last digit."""
    return sum(int(char) * weight for char, weight in zip(digits, _ELFPROEF_WEIGHTS, strict=True))


def mod97_check(number: int) -> int:
    """``97 - number mod 97``: the Belgian check digits (1..97) of a body number."""
    return 97 - number % 97


def ee_mod11(digits: str) -> int:
    """The Estonian check digit (isikukood, registrikood) over ``digits``.

    Weights 1,2,...,9,1 (stage I), mod 11; a remainder of 10 retries with
    weights 3,4,...,9,1,2,3 (stage II); 10 again gives 0.
    """
    remainder: int = sum(map(mul, map(int, digits), _EE_WEIGHTS_1)) % 11
    if remainder < 10:
        return remainder
    remainder = sum(map(mul, map(int, digits), _EE_WEIGHTS_2)) % 11
    return 0 if remainder == 10 else remainder


def luhn_check_digit(digits: str) -> int:
    """The Luhn (mod 10) check digit to append to ``digits``."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 0:  # doubled: these sit at odd positions once the check digit follows
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return (10 - total % 10) % 10


def verhoeff_check_digit(digits: str) -> int:
    """The Verhoeff check digit to append to ``digits``."""
    state = 0
    for index, char in enumerate(reversed(digits)):
        state = _VERHOEFF_D[state][_VERHOEFF_P[(index + 1) % 8][int(char)]]
    return _VERHOEFF_INV[state]
