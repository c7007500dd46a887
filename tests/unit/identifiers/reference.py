"""Check digits computed independently of ``connectors.identifiers``, to build test identifiers.

Usage::

    from tests.unit.identifiers import reference

    reference.steuer_idnr("8609574271")     # -> "86095742719"
    reference.ssin("000125567", born_2000=True)  # -> "00012556777"

Each function follows its published description (docs/identifiers.md) in a
form different from the product code where one exists: Luhn by trial of the
validity sum, Verhoeff from the dihedral group D5 rather than its tables.
"""

from __future__ import annotations

import itertools

ELFPROEF_WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2)
EE_STAGE_1 = (1, 2, 3, 4, 5, 6, 7, 8, 9, 1)
EE_STAGE_2 = (3, 4, 5, 6, 7, 8, 9, 1, 2, 3)


def steuer_idnr(body: str) -> str:
    """The pseudo-code of XInneres idnr/2 (xinneres-idnr.xsd), step by step."""
    m11 = 10
    for c in body:
        m10 = (int(c) + m11) % 10
        if m10 == 0:
            m10 = 10
        m11 = (2 * m10) % 11
    pz = 11 - m11
    if pz == 10:
        pz = 0
    return body + str(pz)


def elfproef(body: str) -> str | None:
    """9 digits passing the 11-check, or None: no last digit makes ``body`` valid."""
    last = sum(int(c) * w for c, w in zip(body, ELFPROEF_WEIGHTS, strict=True)) % 11
    return None if last == 10 else body + str(last)


def cbe(body: str) -> str:
    """A KBO/BCE number: 8 digits and 97 - (their value mod 97)."""
    return body + f"{97 - int(body) % 97:02d}"


def ssin(body: str, *, born_2000: bool) -> str:
    """An INSZ/NISS: 9 digits, then 97 - mod 97 of them (with a 2 in front from 2000)."""
    number = int(("2" if born_2000 else "") + body)
    return body + f"{97 - number % 97:02d}"


def estonian(body: str) -> str:
    """EVS 585: stage I weights, stage II on a remainder of 10, then 0."""
    for weights in (EE_STAGE_1, EE_STAGE_2):
        remainder = sum(int(c) * w for c, w in zip(body, weights, strict=False)) % 11
        if remainder != 10:
            return body + str(remainder)
    return body + "0"


def estonian_stage_1(body: str) -> int:
    return sum(int(c) * w for c, w in zip(body, EE_STAGE_1, strict=False)) % 11


def matricule(body: str) -> str:
    """YYYYMMDDXXX, a Luhn digit over it, a Verhoeff digit over it."""
    return body + luhn_digit(body) + verhoeff_digit(body)


def luhn_valid(number: str) -> bool:
    total = 0
    for index, c in enumerate(reversed(number)):
        doubled = int(c) * (2 if index % 2 else 1)
        total += doubled // 10 + doubled % 10
    return total % 10 == 0


def luhn_digit(body: str) -> str:
    return next(d for d in "0123456789" if luhn_valid(body + d))


def _d5(j: int, k: int) -> int:
    """Multiplication in D5: 0-4 are rotations, 5-9 reflections."""
    if j < 5 and k < 5:
        return (j + k) % 5
    if j < 5:
        return 5 + (j + k) % 5
    if k < 5:
        return 5 + (j - k) % 5
    return (j - k) % 5


_P1 = (1, 5, 7, 6, 2, 8, 3, 0, 9, 4)  # Verhoeff's permutation (1 5 8 9 4 2 7 0)(3 6)


def _permute(times: int, digit: int) -> int:
    for _ in range(times % 8):
        digit = _P1[digit]
    return digit


def verhoeff_valid(number: str) -> bool:
    state = 0
    for index, c in enumerate(reversed(number)):
        state = _d5(state, _permute(index, int(c)))
    return state == 0


def verhoeff_digit(body: str) -> str:
    return next(d for d in "0123456789" if verhoeff_valid(body + d))


def substitutions(value: str) -> list[tuple[int, str]]:
    """Every single-digit change of ``value``: (position, changed value)."""
    return [
        (i, value[:i] + d + value[i + 1 :])
        for i, d in itertools.product(range(len(value)), "0123456789")
        if value[i] != d
    ]


def transpositions(value: str) -> list[tuple[int, str]]:
    """Every swap of two different adjacent digits: (position, changed value)."""
    return [
        (i, value[:i] + value[i + 1] + value[i] + value[i + 2 :])
        for i in range(len(value) - 1)
        if value[i] != value[i + 1]
    ]
