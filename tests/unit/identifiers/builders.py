"""Random valid identifiers per scheme, and what a single-digit change must do to them.

Usage::

    rng = random.Random(7)
    value = BUILDERS["be.ssin"](rng)          # e.g. "57022812301"
    assert_changes_are_caught("be.ssin", value)

The builders take a ``random.Random``: seeded ones in the always-on property
test, hypothesis's ``st.randoms()`` in the hypothesis test. Check digits come
from :mod:`tests.unit.identifiers.reference`, not from the product code.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable

from connectors.identifiers import InvalidIdentifierError, validate
from tests.unit.identifiers import reference
from tests.unit.identifiers.reference import substitutions

DIGITS = "0123456789"


def _digits(rng: random.Random, count: int) -> str:
    return "".join(rng.choice(DIGITS) for _ in range(count))


def _date(rng: random.Random, first: int, last: int) -> datetime.date:
    start = datetime.date(first, 1, 1).toordinal()
    return datetime.date.fromordinal(rng.randint(start, datetime.date(last, 12, 31).toordinal()))


def steuer_idnr(rng: random.Random) -> str:
    while True:
        repeated = rng.choice(DIGITS)
        others = rng.sample(
            [d for d in DIGITS if d != repeated], 10 - (count := rng.choice((2, 3)))
        )
        body = [repeated] * count + others
        rng.shuffle(body)
        text = "".join(body)
        if text[0] != "0" and repeated * 3 not in text:
            return reference.steuer_idnr(text)


def elfproef(rng: random.Random) -> str:
    while True:
        value = reference.elfproef(_digits(rng, 8))
        if value is not None and value != "000000000":
            return value


def ssin(rng: random.Random) -> str:
    born = _date(rng, 1900, 2099)
    register = rng.choice((0, 20, 40))
    month = 0 if rng.random() < 0.1 else born.month
    day = 0 if month == 0 or rng.random() < 0.1 else born.day
    serial = rng.randint(0 if register else 1, 999)
    body = f"{born.year % 100:02d}{month + register:02d}{day:02d}{serial:03d}"
    return reference.ssin(body, born_2000=born.year >= 2000)


def enterprise(rng: random.Random) -> str:
    return reference.cbe(rng.choice("01") + _digits(rng, 7))


def establishment(rng: random.Random) -> str:
    return reference.cbe(rng.choice("2345678") + _digits(rng, 7))


def isikukood(rng: random.Random) -> str:
    born = _date(rng, 1800, 2199)
    first = 2 * (born.year // 100 - 18) + rng.choice((1, 2))
    return reference.estonian(f"{first}{born:%y%m%d}{_digits(rng, 3)}")


def registrikood(rng: random.Random) -> str:
    return reference.estonian(rng.choice("1789") + _digits(rng, 6))


def matricule(rng: random.Random) -> str:
    born = _date(rng, 1900, 2030)
    date = f"{born:%Y%m%d}" if rng.random() < 0.9 else f"{born.year}0000"
    return reference.matricule(date + _digits(rng, 3))


BUILDERS: dict[str, Callable[[random.Random], str]] = {
    "de.steuer-idnr": steuer_idnr,
    "nl.bsn": elfproef,
    "nl.rsin": elfproef,
    "nl.kvk": lambda rng: _digits(rng, 8),
    "nl.kvk-vestiging": lambda rng: _digits(rng, 12),
    "be.ssin": ssin,
    "be.enterprise": enterprise,
    "be.establishment": establishment,
    "ee.isikukood": isikukood,
    "ee.registrikood": registrikood,
    "lu.matricule": matricule,
}


def accepted(scheme: str, value: str) -> bool:
    try:
        validate(scheme, value)
    except InvalidIdentifierError:
        return False
    return True


def assert_changes_are_caught(scheme: str, value: str) -> None:
    """``value`` passes, and each single-digit change fails (where the check guarantees it)."""
    identifier = validate(scheme, value)
    assert (identifier.notation, identifier.warnings) == (value, ()), value
    if scheme in ("nl.kvk", "nl.kvk-vestiging"):
        return  # no check digit: every change is another valid number
    for position, changed in substitutions(value):
        if accepted(scheme, changed):
            assert _may_slip_through(scheme, value, position, changed), (value, changed)


def _may_slip_through(scheme: str, value: str, position: int, changed: str) -> bool:
    if scheme == "lu.matricule":  # the 13th digit only warns
        return position == 12 and bool(validate(scheme, changed).warnings)
    if scheme == "be.ssin":  # the two century rules: 6e7 = 2e9 (mod 97)
        return position == 1 and abs(int(changed[1]) - int(value[1])) == 6
    if scheme.startswith("ee."):  # the second stage of the Estonian mod 11
        body = len(value) - 1
        stages = (
            reference.estonian_stage_1(value[:body]),
            reference.estonian_stage_1(changed[:body]),
        )
        return position < body and 10 in stages
    return False  # MOD 11,10, the 11-check and mod 97 catch every single-digit change
