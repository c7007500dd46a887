"""DIN 91379 datatype C: the characters an XÖV 2025-generation text may carry.

Usage::

    text = carry("name.familyName", "Šťastný")      # the NFC text, or ConnectorError
    first_offence("Жуков")                           # (0, "Ж"): position and character
    xsd_pattern()                                    # the pattern the shipped subset XSD uses

XPersonenstand 26.11 types nearly every text as ``din91379:datatypeC`` (DIN 91379:2022-08,
"all normative characters": Latin letters with their diacritics, digits, punctuation; no
Greek or Cyrillic). The repertoire below is that norm's table, written as code-point
ranges plus the letter + combining-mark sequences the norm lists; a test checks it
against the XÖV framework file ``din-norm-91379-datatypes.xsd`` code point by code point.
DIN 91379 texts are in Unicode NFC: ``carry`` normalises (canonically equivalent, so no
letter changes) and refuses, naming the field, any character outside the repertoire. It
never transliterates.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from gateway.errors import ConnectorError

__all__ = ["carry", "first_offence", "is_carried", "xsd_pattern"]

# Single characters: inclusive code-point ranges (tab, LF, CR, printable ASCII, Latin-1
# without the soft hyphen, Latin Extended-A/B and Additional letters the norm lists,
# modifier letters, U+2019 right single quotation mark, U+2021 double dagger, U+20AC euro).
_RANGES: tuple[tuple[int, int], ...] = (
    (0x0009, 0x000A), (0x000D, 0x000D), (0x0020, 0x007E), (0x00A0, 0x00AC),
    (0x00AE, 0x017E), (0x0187, 0x0188), (0x018F, 0x018F), (0x0197, 0x0197),
    (0x01A0, 0x01A1), (0x01AF, 0x01B0), (0x01B7, 0x01B7), (0x01CD, 0x01DC),
    (0x01DE, 0x01DF), (0x01E2, 0x01F0), (0x01F4, 0x01F5), (0x01F8, 0x01FF),
    (0x0212, 0x0213), (0x0218, 0x021B), (0x021E, 0x021F), (0x0227, 0x0233),
    (0x0259, 0x0259), (0x0268, 0x0268), (0x0292, 0x0292), (0x02B9, 0x02BA),
    (0x02BE, 0x02BF), (0x02C8, 0x02C8), (0x02CC, 0x02CC), (0x1E02, 0x1E03),
    (0x1E06, 0x1E07), (0x1E0A, 0x1E11), (0x1E17, 0x1E17), (0x1E1C, 0x1E2B),
    (0x1E2F, 0x1E37), (0x1E3A, 0x1E3B), (0x1E40, 0x1E49), (0x1E52, 0x1E5B),
    (0x1E5E, 0x1E63), (0x1E6A, 0x1E6F), (0x1E80, 0x1E87), (0x1E8C, 0x1E97),
    (0x1E9E, 0x1E9E), (0x1EA0, 0x1EF9), (0x2019, 0x2019), (0x2021, 0x2021),
    (0x20AC, 0x20AC),
)  # fmt: skip

# Sequences without a precomposed character: base letter -> the combining marks that may
# follow it (each entry one or two marks; K/k + U+035F + H/h is the norm's "K͟H").
_SEQUENCES: dict[str, tuple[str, ...]] = {
    "A": ("\u030b",),
    "C": ("\u0300", "\u0304", "\u0306", "\u0308", "\u0315", "\u0323", "\u0326", "\u0328\u0306"),
    "D": ("\u0302",),
    "F": ("\u0300", "\u0304"),
    "G": ("\u0300",),
    "H": ("\u0304", "\u0326", "\u0331"),
    "J": ("\u0301", "\u030c"),
    "K": (
        "\u0300", "\u0302", "\u0304", "\u0307", "\u0315", "\u031b", "\u0326", "\u035fH", "\u035fh",
    ),
    "L": ("\u0302", "\u0325", "\u0325\u0304", "\u0326"),
    "M": ("\u0300", "\u0302", "\u0306", "\u0310"),
    "N": ("\u0302", "\u0304", "\u0306", "\u0326"),
    "P": ("\u0300", "\u0304", "\u0315", "\u0323"),
    "R": ("\u0306", "\u0325", "\u0325\u0304"),
    "S": ("\u0300", "\u0304", "\u031b\u0304", "\u0331"),
    "T": ("\u0300", "\u0304", "\u0308", "\u0315", "\u031b"),
    "U": ("\u0307",),
    "Z": ("\u0300", "\u0304", "\u0306", "\u0308", "\u0327"),
    "a": ("\u030b",),
    "c": ("\u0300", "\u0304", "\u0306", "\u0308", "\u0315", "\u0323", "\u0326", "\u0328\u0306"),
    "d": ("\u0302",),
    "f": ("\u0300", "\u0304"),
    "g": ("\u0300",),
    "h": ("\u0304", "\u0326"),
    "j": ("\u0301",),
    "k": ("\u0300", "\u0302", "\u0304", "\u0307", "\u0315", "\u031b", "\u0326", "\u035fh"),
    "l": ("\u0302", "\u0325", "\u0325\u0304", "\u0326"),
    "m": ("\u0300", "\u0302", "\u0306", "\u0310"),
    "n": ("\u0302", "\u0304", "\u0306", "\u0326"),
    "p": ("\u0300", "\u0304", "\u0315", "\u0323"),
    "r": ("\u0306", "\u0325", "\u0325\u0304"),
    "s": ("\u0300", "\u0304", "\u031b\u0304", "\u0331"),
    "t": ("\u0300", "\u0304", "\u0315", "\u031b"),
    "u": ("\u0307",),
    "z": ("\u0300", "\u0304", "\u0306", "\u0308", "\u0327"),
    "\u00c7": ("\u0306",),  # Ç
    "\u00db": ("\u0304",),  # Û
    "\u00e7": ("\u0306",),  # ç
    "\u00fb": ("\u0304",),  # û
    "\u00ff": ("\u0301",),  # ÿ
    "\u010c": ("\u0315", "\u0323"),  # Č
    "\u010d": ("\u0315", "\u0323"),  # č
    "\u0113": ("\u030d",),  # ē
    "\u012a": ("\u0301",),  # Ī
    "\u012b": ("\u0301",),  # ī
    "\u014d": ("\u030d",),  # ō
    "\u017d": ("\u0326", "\u0327"),  # Ž
    "\u017e": ("\u0326", "\u0327"),  # ž
    "\u1e32": ("\u0304",),  # Ḳ
    "\u1e33": ("\u0304",),  # ḳ
    "\u1e62": ("\u0304",),  # Ṣ
    "\u1e63": ("\u0304",),  # ṣ
    "\u1e6c": ("\u0304",),  # Ṭ
    "\u1e6d": ("\u0304",),  # ṭ
    "\u1ea0": ("\u0308",),  # Ạ
    "\u1ea1": ("\u0308",),  # ạ
    "\u1ecc": ("\u0308",),  # Ọ
    "\u1ecd": ("\u0308",),  # ọ
    "\u1ee4": ("\u0304", "\u0308"),  # Ụ
    "\u1ee5": ("\u0304", "\u0308"),  # ụ
}  # fmt: skip


def _sequences_longest_first() -> list[str]:
    return sorted(
        (base + marks for base, tails in _SEQUENCES.items() for marks in tails),
        key=len,
        reverse=True,
    )


@functools.cache
def _unit() -> re.Pattern[str]:
    """One DIN 91379 character: a listed sequence (longest first) or a single character."""
    sequences = "|".join(re.escape(s) for s in _sequences_longest_first())
    ranges = "".join(f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi in _RANGES)
    return re.compile(f"(?:{sequences}|[{ranges}])")


@functools.cache
def _text() -> re.Pattern[str]:
    return re.compile(f"{_unit().pattern}*")


def is_carried(text: str) -> bool:
    """True if ``text`` (as it is, not normalised) is a DIN 91379 datatype C string."""
    return _text().fullmatch(text) is not None


def first_offence(text: str) -> tuple[int, str] | None:
    """Position and character of the first character datatype C cannot carry, or None."""
    if _text().fullmatch(text) is not None:
        return None
    unit, position = _unit(), 0
    while position < len(text):
        match = unit.match(text, position)
        if match is None:
            return position, text[position]
        position = match.end()
    return None


def carry(field: str, text: str, standard: str = "the XÖV message") -> str:
    """``text`` in NFC if datatype C can carry it; else ConnectorError naming ``field``.

    Shared by the XÖV connectors whose messages type texts as datatype C
    (XPersonenstand 26.11, XMeld 25.11a); ``standard`` names the target in the error.
    """
    if text.isascii() and text.isprintable():  # the common case: no regex, nothing to normalise
        return text
    normal = text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)
    offence = first_offence(normal)
    if offence is not None:
        position, char = offence
        name = unicodedata.name(char, "unnamed character")
        raise ConnectorError(
            f"{field}: character U+{ord(char):04X} ({name}) at position {position + 1} cannot "
            f"be carried by {standard} (DIN 91379 datatype C); xgw does not "
            "transliterate names"
        )
    return normal


def xsd_pattern() -> str:
    """The repertoire as an XML Schema pattern (the shipped XSDs' datatype C text types)."""
    singles = "|".join(_xsd_range(lo, hi) for lo, hi in _RANGES)
    sequences = "|".join(_xsd_chars(s) for s in _sequences_longest_first())
    return f"({singles}|{sequences})*"


def _xsd_range(lo: int, hi: int) -> str:
    if lo == hi:
        return _xsd_chars(chr(lo))
    return f"[{_xsd_chars(chr(lo))}-{_xsd_chars(chr(hi))}]"


def _xsd_chars(text: str) -> str:
    # character references keep the file ASCII; the schema parser expands them first,
    # so a regex metacharacter must still be escaped
    return "".join(f"\\{c}" if c in "\\[]-^.|?*+(){}" else f"&#x{ord(c):04X};" for c in text)
