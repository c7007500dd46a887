"""The identifier schemes: how each one is normalised and which rules it must pass.

Usage::

    spec = SCHEMES["nl.bsn"]
    notation = spec.clean(" 99999 3653 ")     # -> "999993653"
    spec.rules(notation)                        # -> [] (every rule passes)
    spec.rules("999993654")                     # -> [Failure(Kind.CHECKSUM, "11-check fails ...")]

A rule function gets the normalised notation and returns the rules it fails,
each with its :class:`Kind`, which decides whether lenient mode may let it
pass. Sources for every rule are in docs/identifiers.md.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable
from dataclasses import dataclass
from types import MappingProxyType

from connectors.identifiers._checksums import (
    ee_mod11,
    elfproef_sum,
    iso7064_mod11_10,
    luhn_check_digit,
    mod97_check,
    verhoeff_check_digit,
)

__all__ = ["SCHEMES", "Failure", "Kind", "Scheme"]


class Kind(enum.Enum):
    """How bad a failing rule is."""

    FORMAT = "format"  # length, characters, shape: always an error
    STRUCTURE = "structure"  # dates, ranges, digit rules: an error; a warning in lenient mode
    CHECKSUM = "checksum"  # check digits: an error; a warning in lenient mode
    ADVISORY = "advisory"  # never more than a warning (Luxembourg's 13th digit)


@dataclass(frozen=True, slots=True)
class Failure:
    kind: Kind
    rule: str


@dataclass(frozen=True, slots=True)
class Scheme:
    code: str
    description: str
    clean: Callable[[str], str]
    rules: Callable[[str], list[Failure]]


# -- normalisation -------------------------------------------------------------------------

# Separators people and systems put into numbers; no scheme with a fixed digit
# length uses any of them.
_SEPARATORS = str.maketrans(dict.fromkeys(" .-/\t\r\n\u00a0\u202f"))
_BE_PREFIX = re.compile(r"^\s*BE\s*", re.IGNORECASE)
_WHITESPACE = re.compile(r"\s+")
_HANDELSREGISTER = re.compile(
    r"(?:(?P<court>[A-Z]\d{4}[A-Z]?)[ .]?)?(?P<kind>HRA|HRB|GNR|PR|VR|GSR) ?(?P<number>\d{1,7})"
    r"(?: ?(?P<suffix>[A-Z]{1,3}))?"
)
_REGISTER_KINDS = {"HRA": "HRA", "HRB": "HRB", "GNR": "GnR", "PR": "PR", "VR": "VR", "GSR": "GsR"}


def _digits_only(raw: str) -> str:
    if raw.isascii() and raw.isdigit():  # the usual case, with nothing to remove
        return raw
    return raw.strip().translate(_SEPARATORS)


def _padded(length: int, lost: int) -> Callable[[str], str]:
    """Remove separators; restore up to ``lost`` leading zeros of a fixed ``length``."""

    def clean(raw: str) -> str:
        value = _digits_only(raw)
        if length - lost <= len(value) < length and value.isascii() and value.isdigit():
            return value.zfill(length)
        return value

    return clean


_restore_one_zero_of_10 = _padded(10, 1)


def _clean_enterprise(raw: str) -> str:
    """``BE 0403.170.701`` -> ``0403170701``; the old 9-digit form gets its 0 back."""
    return _restore_one_zero_of_10(_BE_PREFIX.sub("", raw, count=1))


def _clean_euid(raw: str) -> str:
    return _WHITESPACE.sub("", raw).upper()


def _clean_handelsregister(raw: str) -> str:
    """``HRB116737`` / ``K1101R.HRB 116737`` -> ``HRB 116737`` / ``K1101R HRB 116737``."""
    collapsed = _WHITESPACE.sub(" ", raw.strip()).upper()
    match = _HANDELSREGISTER.fullmatch(collapsed)
    if match is None:
        return _WHITESPACE.sub(" ", raw.strip())
    parts = [match["court"], _REGISTER_KINDS[match["kind"]], match["number"], match["suffix"]]
    return " ".join(part for part in parts if part)


# -- shared rules --------------------------------------------------------------------------


def _digits(value: str, length: int) -> Failure | None:
    if not (value.isascii() and value.isdigit()):
        position = next((i for i, c in enumerate(value, 1) if not "0" <= c <= "9"), 0)
        if position:
            return Failure(Kind.FORMAT, f"character {position} is not a digit")
    if len(value) != length:
        return Failure(Kind.FORMAT, f"has {len(value)} digits, expected {length}")
    return None


def _is_date(year: int, month: int, day: int) -> bool:
    if not (1 <= month <= 12 and day >= 1):
        return False
    if month == 2:
        leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        return day <= (29 if leap else 28)
    return day <= (30 if month in (4, 6, 9, 11) else 31)


def _digits_only_rule(length: int) -> Callable[[str], list[Failure]]:
    def rules(value: str) -> list[Failure]:
        failure = _digits(value, length)
        return [failure] if failure else []

    return rules


# -- Germany -------------------------------------------------------------------------------


def _steuer_idnr(value: str) -> list[Failure]:
    if failure := _digits(value, 11):
        return [failure]
    failures = []
    if value[0] == "0":
        failures.append(Failure(Kind.STRUCTURE, "first digit is 0: the BZSt's range of test IdNrs"))
    if rule := _idnr_repetition(value[:10]):
        failures.append(Failure(Kind.STRUCTURE, rule))
    expected = iso7064_mod11_10(value[:10])
    if int(value[10]) != expected:
        failures.append(
            Failure(Kind.CHECKSUM, f"ISO 7064 MOD 11,10 check digit fails (expected {expected})")
        )
    return failures


def _idnr_repetition(first_ten: str) -> str | None:
    """Exactly one digit occurs more than once: twice, or three times but not all in a row."""
    repeated = [digit for digit in set(first_ten) if first_ten.count(digit) > 1]
    if len(repeated) != 1:
        return "digit rule fails: exactly one digit must occur more than once in digits 1-10"
    digit = repeated[0]
    count = first_ten.count(digit)
    if count > 3:
        return "digit rule fails: no digit may occur more than three times in digits 1-10"
    if count == 3 and digit * 3 in first_ten:
        return "digit rule fails: a digit occurring three times must not stand three in a row"
    return None


def _handelsregister(value: str) -> list[Failure]:
    if _HANDELSREGISTER.fullmatch(value.upper()) is None:
        return [
            Failure(
                Kind.FORMAT,
                "is no register entry: [court code] HRA|HRB|GnR|PR|VR|GsR number [suffix]",
            )
        ]
    return []


# -- Netherlands ---------------------------------------------------------------------------


def _elfproef(value: str) -> list[Failure]:
    if failure := _digits(value, 9):
        return [failure]
    if value == "000000000":
        return [Failure(Kind.STRUCTURE, "is all zeros")]
    total = elfproef_sum(value)
    if total % 11:
        return [Failure(Kind.CHECKSUM, f"11-check fails (sum {total} is not divisible by 11)")]
    return []


# -- Belgium -------------------------------------------------------------------------------


def _ssin(value: str) -> list[Failure]:
    if failure := _digits(value, 11):
        return [failure]
    failures = []
    body, check = int(value[:9]), int(value[9:])
    before, since = mod97_check(body), mod97_check(2_000_000_000 + body)
    if check == since:
        centuries: tuple[int, ...] = (2000,)
    elif check == before:
        centuries = (1900,)
    else:
        centuries = (1900, 2000)
        failures.append(
            Failure(
                Kind.CHECKSUM,
                f"mod-97 check fails for a birth before 2000 (expected {before:02d})"
                f" and from 2000 (expected {since:02d})",
            )
        )
    return _ssin_structure(value, centuries) + failures


def _ssin_structure(value: str, centuries: tuple[int, ...]) -> list[Failure]:
    register, month = divmod(int(value[2:4]), 20)  # 0: national register, 1 and 2: BIS
    day, year = int(value[4:6]), int(value[:2])
    if register > 2 or month > 12:
        rule = "digits 3-4 are no birth month: 00-12 (national register), 20-32 or 40-52 (BIS)"
        return [Failure(Kind.STRUCTURE, rule)]
    failures = []
    if day > 31 or (month and day and not any(_is_date(c + year, month, day) for c in centuries)):
        failures.append(Failure(Kind.STRUCTURE, "digits 1-6 are no date of birth"))
    if register == 0 and value[6:9] == "000":
        failures.append(Failure(Kind.STRUCTURE, "digits 7-9 (the day's serial) are 000"))
    return failures


def _cbe_number(first_digits: str, wrong_start: str) -> Callable[[str], list[Failure]]:
    def rules(value: str) -> list[Failure]:
        if failure := _digits(value, 10):
            return [failure]
        failures = []
        if value[0] not in first_digits:
            failures.append(Failure(Kind.STRUCTURE, wrong_start))
        expected = mod97_check(int(value[:8]))
        if int(value[8:]) != expected:
            failures.append(Failure(Kind.CHECKSUM, f"mod-97 check fails (expected {expected:02d})"))
        return failures

    return rules


# -- Estonia -------------------------------------------------------------------------------


def _isikukood(value: str) -> list[Failure]:
    if failure := _digits(value, 11):
        return [failure]
    failures = []
    first = int(value[0])
    if not 1 <= first <= 8:
        failures.append(Failure(Kind.STRUCTURE, "first digit (sex and century) must be 1-8"))
    elif not _is_date(1700 + 100 * ((first + 1) // 2) + int(value[1:3]), *_md(value, 3)):
        failures.append(Failure(Kind.STRUCTURE, "digits 2-7 are no date of birth"))
    expected = ee_mod11(value[:10])
    if int(value[10]) != expected:
        failures.append(Failure(Kind.CHECKSUM, f"check digit fails (expected {expected})"))
    return failures


def _md(value: str, start: int) -> tuple[int, int]:
    return int(value[start : start + 2]), int(value[start + 2 : start + 4])


def _registrikood(value: str) -> list[Failure]:
    if failure := _digits(value, 8):
        return [failure]
    failures = []
    if value[0] not in "1789":
        rule = "first digit must be 1 (companies), 7 (state and local bodies), 8 or 9 (non-profits)"
        failures.append(Failure(Kind.STRUCTURE, rule))
    expected = ee_mod11(value[:7])
    if int(value[7]) != expected:
        failures.append(Failure(Kind.CHECKSUM, f"check digit fails (expected {expected})"))
    return failures


# -- Luxembourg ----------------------------------------------------------------------------


def _matricule(value: str) -> list[Failure]:
    if len(value) == 11 and value.isascii() and value.isdigit():
        rule = "has 11 digits: the matricule before 2014; it has had 13 since (ask for that one)"
        return [Failure(Kind.FORMAT, rule)]
    if failure := _digits(value, 13):
        return [failure]
    failures = []
    month, day = _md(value, 4)
    if month > 12 or day > 31 or (month and day and not _is_date(int(value[:4]), month, day)):
        rule = "digits 1-8 are no date of birth (YYYYMMDD, month and day 00 when unknown)"
        failures.append(Failure(Kind.STRUCTURE, rule))
    if int(value[11]) != (luhn := luhn_check_digit(value[:11])):
        rule = f"12th digit (Luhn over digits 1-11) fails (expected {luhn})"
        failures.append(Failure(Kind.CHECKSUM, rule))
    if int(value[12]) != (verhoeff := verhoeff_check_digit(value[:11])):
        rule = f"13th digit (Verhoeff over digits 1-11) fails (expected {verhoeff})"
        failures.append(Failure(Kind.ADVISORY, rule + ": accepted, as for older matricules"))
    return failures


# -- European Union ------------------------------------------------------------------------

# EU and EEA states; Greece is EL in EU registers (as in VAT numbers), not GR.
_EUID_COUNTRIES = frozenset(
    "AT BE BG CY CZ DE DK EE EL ES FI FR HR HU IE IS IT LI LT LU LV MT NL NO PL PT RO SE SI"
    " SK".split()
)
_EUID = re.compile(r"(?P<country>[A-Z]{2})[A-Z0-9]{1,20}\.[A-Z0-9][A-Z0-9/-]{0,39}")


def _euid(value: str) -> list[Failure]:
    match = _EUID.fullmatch(value)
    if match is None:
        rule = "is no EUID: country, register code, '.', registration number (NLNHR.12345678)"
        return [Failure(Kind.FORMAT, rule)]
    if match["country"] not in _EUID_COUNTRIES:
        return [Failure(Kind.FORMAT, "starts with no EU or EEA country code")]
    return []


# -- the table -----------------------------------------------------------------------------

_TABLE: tuple[tuple[str, str, Callable[[str], str], Callable[[str], list[Failure]]], ...] = (
    (
        "de.steuer-idnr",
        "German tax identification number (steuerliche Identifikationsnummer, IdNr)",
        _digits_only,
        _steuer_idnr,
    ),
    (
        "de.handelsregister",
        "German register entry (Handels-, Genossenschafts-, Partnerschafts-, Vereins-,"
        " Gesellschaftsregister): format only",
        _clean_handelsregister,
        _handelsregister,
    ),
    ("nl.bsn", "Dutch citizen service number (burgerservicenummer, BSN)", _padded(9, 1), _elfproef),
    ("nl.rsin", "Dutch legal entity and partnership number (RSIN)", _padded(9, 1), _elfproef),
    (
        "nl.kvk",
        "Dutch Chamber of Commerce number (KvK-nummer): no check digit",
        _digits_only,
        _digits_only_rule(8),
    ),
    (
        "nl.kvk-vestiging",
        "Dutch KvK establishment number (vestigingsnummer): no check digit",
        _digits_only,
        _digits_only_rule(12),
    ),
    (
        "be.ssin",
        "Belgian social security identification number (INSZ/NISS: national register or BIS)",
        _padded(11, 3),
        _ssin,
    ),
    (
        "be.enterprise",
        "Belgian enterprise number (KBO/BCE ondernemingsnummer, numéro d'entreprise)",
        _clean_enterprise,
        _cbe_number("01", "first digit must be 0 or 1 (2-8 start establishment units)"),
    ),
    (
        "be.establishment",
        "Belgian establishment unit number (KBO/BCE vestigingseenheidsnummer)",
        _digits_only,
        _cbe_number("2345678", "first digit must be 2-8 (0 and 1 start enterprises)"),
    ),
    ("ee.isikukood", "Estonian personal identification code (isikukood)", _digits_only, _isikukood),
    ("ee.registrikood", "Estonian legal entity registry code", _digits_only, _registrikood),
    (
        "lu.matricule",
        "Luxembourg national identification number (matricule)",
        _digits_only,
        _matricule,
    ),
    (
        "eu.euid",
        "European Unique Identifier of a company register entry (EUID): format only",
        _clean_euid,
        _euid,
    ),
)

SCHEMES = MappingProxyType({row[0]: Scheme(*row) for row in _TABLE})
