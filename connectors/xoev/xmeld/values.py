"""Value conversions for XMeld: dates, gender, countries, channels, requested fields, texts.

Usage::

    write_date(parent, "geburtsdatum", "1964-08")     # <teilbekanntesDatum><jahrMonat>1964-08
    destatis("nationalities[0]", "TR")               # "163"
    fields_to_codes(["name", "birthDate"], notes)    # ["1", "4", "187", "11", "14"]

Countries use the shared Destatis table (``schemas/codes/de-destatis-staaten.v1.json``,
kept by the xpersonenstand connector); contact channels the XÖV Erreichbarkeit list
(``de-xgewerbeanzeige-erreichbarkeit``). Requested fields map to the XMeld code list
Behördenauskunft.Anforderungselement (list version 9 in XMeld 2.4.3).
"""

from __future__ import annotations

from collections.abc import Sequence

from lxml import etree

from connectors.codes import code_table
from connectors.xoev.din91379 import carry
from connectors.xoev.xmeld.tree import Node, unqualified
from gateway.errors import ConnectorError

__all__ = [
    "ALL_FIELDS",
    "CHANNEL_LIST_VERSION",
    "GENDER_CODES",
    "GENDER_LIST_VERSION",
    "Notes",
    "canonical_fields",
    "channel_code",
    "channel_of",
    "codes_to_fields",
    "country_of",
    "destatis",
    "fields_to_codes",
    "read_date",
    "text",
    "write_date",
]

GENDER_CODES = {"male": "m", "female": "w", "diverse": "d", "unspecified": "x"}
_GENDERS = {code: gender for gender, code in GENDER_CODES.items()}
GENDER_LIST_VERSION = "1"  # XInneres geschlecht/1, as the 25.11a sample writes it
CHANNEL_LIST_VERSION = "3"  # XÖV Erreichbarkeit, version 3 (as the sample)
DESTATIS_STAAT = "urn:de:bund:destatis:bevoelkerungsstatistik:schluessel:staat"
DESTATIS_NATIONALITY = "urn:de:bund:destatis:bevoelkerungsstatistik:schluessel:staatsangehoerigkeit"
_RESIDENCE_CODES = ("46", "47", "48", "50", "51", "52")

# canonical Person field -> Anforderungselement codes (coarse entries first)
_FIELD_CODES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("name", ("1", "4", "187", "11")),
    ("name.familyName", ("1",)),
    ("name.birthName", ("4",)),
    ("name.givenNames", ("187",)),
    ("name.title", ("11",)),
    ("birthDate", ("14",)),
    ("birthPlace", ("15", "16")),
    ("gender", ("18",)),
    ("nationalities", ("40",)),
    ("residenceAddress", _RESIDENCE_CODES),
)
_CODES_OF = dict(_FIELD_CODES)
ALL_FIELDS: tuple[str, ...] = ("name", "birthDate", "birthPlace", "gender", "nationalities",
                               "residenceAddress")  # fmt: skip
_ALL_CODES = frozenset(code for _, codes in _FIELD_CODES for code in codes)
_ORDER = {code: i for i, code in enumerate(c for _, codes in _FIELD_CODES for c in codes)}


class Notes:
    """The translation notes of one message, in the order they arose."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, text: str) -> None:
        if text not in self.items:
            self.items.append(text)

    def not_carried(self, field: str, why: str = "") -> None:
        self.add(f"{field}: not carried{' (' + why + ')' if why else ''}")


def text(field: str, value: str) -> str:
    """``value`` as XMeld can carry it (DIN 91379 datatype C, NFC); ConnectorError names field."""
    return carry(field, value, "XMeld 25.11a")


# --- dates ------------------------------------------------------------------------------------

_DATE_ELEMENT = {4: "jahr", 7: "jahrMonat", 10: "jahrMonatTag"}


def write_date(parent: etree._Element, value: str) -> None:
    """A partial date into a TeilbekanntesDatumMitUnbekannt ``parent``: never a guessed day."""
    partial = unqualified(parent, "teilbekanntesDatum")
    unqualified(partial, _DATE_ELEMENT[len(value)], value)


def read_date(node: Node, field: str, notes: Notes) -> str | None:
    partial = node.get("teilbekanntesDatum")
    if partial is None:  # <unbekannt>true</unbekannt>: absent means unknown
        return None
    for name in ("jahrMonatTag", "jahrMonat", "jahr"):
        value = partial.text_of(name)
        if value:
            return value
    notes.not_carried(field)
    return None


# --- countries --------------------------------------------------------------------------------


def destatis(field: str, alpha2: str) -> str:
    key = code_table("de-destatis-staaten").map("alpha2", "destatis", alpha2)
    if key is None:
        raise ConnectorError(f"{field}: country {alpha2!r} has no Destatis key")
    return key


def country_of(key: str, field: str, notes: Notes) -> tuple[str | None, str | None]:
    """(ISO alpha-2, None) for a Destatis key; (None, its name) and a note if not a country."""
    row = code_table("de-destatis-staaten").row("destatis", key)
    if row is None:
        notes.add(f"{field}: Destatis key {key} is not in xgw's table; not carried")
        return None, None
    if row["alpha2"]:
        return row["alpha2"], None
    notes.add(f"{field}: Destatis key {key} ({row['name']}) has no ISO 3166-1 code")
    return None, row["name"]


# --- contact channels, gender -----------------------------------------------------------------


def channel_code(channel: str) -> str | None:
    return code_table("de-xgewerbeanzeige-erreichbarkeit").map("channel", "code", channel)


def channel_of(code: str) -> str:
    channel = code_table("de-xgewerbeanzeige-erreichbarkeit").map("code", "channel", code)
    return channel or "other"


def gender_of(code: str, field: str, notes: Notes) -> str | None:
    gender = _GENDERS.get(code)
    if gender is None:
        notes.add(f"{field}: code {code!r} is not a gender xgw knows; not carried")
    return gender


# --- requested fields (Anforderungselement) ---------------------------------------------------


def fields_to_codes(fields: Sequence[str] | None, notes: Notes) -> list[str]:
    """The Anforderungselement codes for canonical ``fields`` (all carried fields if None)."""
    if fields is None:
        notes.add("fields: absent; the query asks for every field xgw carries back")
        return sorted(_ALL_CODES, key=_ORDER.__getitem__)
    codes: set[str] = set()
    for i, field in enumerate(fields):
        found = _CODES_OF.get(field)
        if found is None:
            notes.not_carried(f"fields[{i}] {field!r}", "no XMeld Anforderungselement for it")
        else:
            codes.update(found)
    if not codes:
        raise ConnectorError("fields: none of them has an XMeld Anforderungselement")
    return sorted(codes, key=_ORDER.__getitem__)


def codes_to_fields(codes: Sequence[str], notes: Notes) -> list[str] | None:
    """Canonical fields for the codes (None when they are exactly the default set)."""
    present = set(codes)
    if present == _ALL_CODES:
        return None
    fields: list[str] = []
    for field, wanted in _FIELD_CODES:
        if set(wanted) <= present and not any(f == field.split(".")[0] for f in fields):
            fields.append(field)
    used = {code for field in fields for code in _CODES_OF[field]}
    for code in codes:
        if code not in used:
            notes.add(f"steuerungsinformationen/anforderungselement {code}: no canonical field")
    return fields or None


def canonical_fields(fields: Sequence[str] | None) -> list[str] | None:
    """What ``fields`` come back as after XMeld (for tests and docs)."""
    return codes_to_fields(fields_to_codes(fields, Notes()), Notes())
