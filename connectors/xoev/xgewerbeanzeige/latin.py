"""XÖV String.Latin 1.1: the characters an XGewerbeanzeige 2.x text may carry.

Usage::

    carry("persons[0].person.name.familyName", "Šťastný")   # the NFC text, or ConnectorError
    first_offence("Жуков")                                   # (0, "Ж")
    xsd_pattern()                                            # the pattern our XSD declares

XGewerbeanzeige 2.x (2017-2019) types its texts with the XÖV datatype String.Latin 1.1.1
(``latinchars.xsd``): Latin letters with their diacritics (ä ö ü ß õ š ž é ç ...), the
printable ASCII and Latin-1 characters, the euro sign and nine letter + combining-mark
sequences. Greek, Cyrillic and some Latin letters that DIN 91379 later added (e.g. U+0108
"Ĉ") are outside it. ``carry`` normalises to NFC (canonically equivalent: no letter changes)
and refuses any other character, naming the field: it never transliterates and never
writes '?'. A test checks these ranges against the shipped XSD code point by code point.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from gateway.errors import ConnectorError

__all__ = ["carry", "first_offence", "xsd_pattern"]

# Inclusive code-point ranges of single characters (latinchars.xsd 1.1.1, in its order).
_RANGES: tuple[tuple[int, int], ...] = (
    (0x0009, 0x000A), (0x000D, 0x000D), (0x0020, 0x007E), (0x00A1, 0x00AC),
    (0x00AE, 0x0107), (0x010A, 0x011B), (0x011E, 0x0123), (0x0126, 0x0131),
    (0x0134, 0x015B), (0x015E, 0x016B), (0x016E, 0x017E), (0x018F, 0x018F),
    (0x01A0, 0x01A1), (0x01AF, 0x01B0), (0x01B7, 0x01B7), (0x01CD, 0x01D4),
    (0x01DE, 0x01DF), (0x01E4, 0x01F0), (0x01F4, 0x01F5), (0x01FA, 0x01FF),
    (0x0218, 0x021B), (0x021E, 0x021F), (0x022A, 0x022B), (0x022E, 0x0233),
    (0x0259, 0x0259), (0x0292, 0x0292), (0x1E02, 0x1E03), (0x1E0A, 0x1E0B),
    (0x1E10, 0x1E11), (0x1E1E, 0x1E21), (0x1E24, 0x1E27), (0x1E30, 0x1E31),
    (0x1E40, 0x1E41), (0x1E44, 0x1E45), (0x1E56, 0x1E57), (0x1E60, 0x1E63),
    (0x1E6A, 0x1E6B), (0x1E80, 0x1E85), (0x1E8C, 0x1E93), (0x1E9E, 0x1E9E),
    (0x1EA0, 0x1EA7), (0x1EAA, 0x1EAC), (0x1EAE, 0x1EC1), (0x1EC4, 0x1ED3),
    (0x1ED6, 0x1EDD), (0x1EE4, 0x1EF9), (0x20AC, 0x20AC),
)  # fmt: skip

# Letter + combining mark sequences without a precomposed character.
_SEQUENCES: tuple[str, ...] = (
    "M\u0302", "N\u0302", "m\u0302", "n\u0302", "D\u0302", "d\u0302", "J\u030c", "L\u0302",
    "l\u0302",
)  # fmt: skip


def _char_class() -> str:
    return "".join(
        re.escape(chr(low)) if low == high else f"{re.escape(chr(low))}-{re.escape(chr(high))}"
        for low, high in _RANGES
    )


# One unit: a sequence first (longest match), else a single character of the ranges.
_UNIT = re.compile("|".join(map(re.escape, _SEQUENCES)) + f"|[{_char_class()}]")
_ALL = re.compile(f"(?:{'|'.join(map(re.escape, _SEQUENCES))}|[{_char_class()}])*")


def first_offence(text: str) -> tuple[int, str] | None:
    """Position and character of the first thing String.Latin cannot carry, or None."""
    if _ALL.fullmatch(text):
        return None
    position = 0
    while position < len(text):
        match = _UNIT.match(text, position)
        if match is None:
            return position, text[position]
        position = match.end()
    return None  # pragma: no cover - fullmatch failed, so some unit does not match


def carry(field: str, text: str) -> str:
    """``text`` in NFC if String.Latin can carry it; otherwise a ConnectorError naming ``field``."""
    if text.isascii() and text.isprintable():  # the common case: no regex, nothing to normalise
        return text
    normalised = unicodedata.normalize("NFC", text)
    offence = first_offence(normalised)
    if offence is not None:
        position, char = offence
        raise ConnectorError(
            f"{field}: character {char!r} (U+{ord(char):04X}) at position {position + 1} is "
            "outside XÖV String.Latin 1.1, which XGewerbeanzeige 2.x texts are restricted to; "
            "it is neither dropped nor replaced"
        )
    return normalised


@functools.cache
def xsd_pattern() -> str:
    """The XSD pattern of String.Latin as our schema writes it (for the consistency test)."""
    ranges = "".join(
        f"&#x{low:x};" if low == high else f"&#x{low:x};-&#x{high:x};" for low, high in _RANGES
    )
    sequences = "|".join("".join(f"&#x{ord(c):x};" for c in seq) for seq in _SEQUENCES)
    return f"(([{ranges}])|({sequences}))*"
