"""Values shared by every MAGDA message: dates, countries, codes, identifiers, XML building.

Usage::

    partial_date("2000-00-00", "Persoon/Geboorte/Datum", notes)  # "2000"
    magda_date("1984-03")                                       # "1984-03-00"
    country("150", "BEL")                                       # "BE"
    nis_country("NL")                                           # "129"

MAGDA dates (``OnvolledigeDatumType``, ``Datum2_0Type``) write an unknown month or day as
``00``; the canonical model leaves it out (``2000-00-00`` is ``2000``). Countries are NIS
(INS) numbers and ISO alpha-3 or alpha-2 codes; the canonical model has ISO alpha-2,
converted with ``schemas/codes/iso3166-1.v1.json`` and ``be-nis-country.v1.json``.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from connectors import identifiers
from connectors.be.magda.notes import Notes
from connectors.canonical import Code, Identifier
from connectors.codes import code_table
from gateway.errors import ConnectorError

__all__ = [
    "LIST",
    "Translation",
    "add",
    "attributes",
    "code",
    "country",
    "identifier",
    "iso3",
    "magda_date",
    "nis_country",
    "nis_name",
    "partial_date",
    "sub",
    "text",
]

# The code lists MAGDA codes come from, as the canonical Code.listURI names them.
LIST = {
    "municipality": "urn:xgw:codelist:be-refnis",  # Statbel NIS municipality codes
    "street": "urn:xgw:codelist:be-rr-straatcode",  # National Register street codes
    "marital": "urn:xgw:codelist:be-rr-burgerlijke-staat",
    "noble": "urn:xgw:codelist:be-rr-adellijke-titel",
    "filiation": "urn:xgw:codelist:be-rr-afstamming",
    "legal_form": "urn:xgw:codelist:be-kbo-rechtsvorm",
    "status": "urn:xgw:codelist:be-kbo-status",
    "address_type": "urn:xgw:codelist:be-kbo-adrestype",
    "nace": "urn:xgw:codelist:nace-bel",  # + "-<Versie>" when MAGDA gives the version
}
_PARTIAL = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")


@dataclass
class Translation:
    """What one decode or encode carries along: its notes and the identifier mode."""

    lenient: bool = False
    notes: Notes = field(default_factory=Notes)


def text(element: etree._Element) -> str:
    return element.text or ""


def attributes(element: etree._Element) -> list[tuple[str, str]]:
    """The element's attributes as (name, value) strings (MAGDA's are unqualified)."""
    return [(str(name), str(value)) for name, value in element.items()]


def sub(
    parent: etree._Element, tag: str, value: str | None = None, **attrib: str
) -> etree._Element:
    """Append the child ``tag`` (unqualified, as MAGDA's local elements are)."""
    child = etree.SubElement(parent, tag, attrib)
    if value is not None:
        try:
            child.text = value
        except ValueError:  # control characters, lone surrogates: XML 1.0 has no way to write them
            raise ConnectorError(f"{tag}: a character XML cannot carry") from None
    return child


def add(target: Any, key: str, value: Any) -> None:
    """Set ``key`` unless ``value`` is empty: absent means unknown."""
    if value:
        target[key] = value


def partial_date(value: str, where: str, notes: Notes) -> str | None:
    """``1984-03-00`` -> ``1984-03``; ``0000-00-00`` -> None; a day without a month is dropped."""
    match = _PARTIAL.fullmatch(value)
    if match is None:
        notes.not_carried(where, "not a date")
        return None
    year, month, day = match.groups()
    if year == "0000":
        return None  # unknown: absent
    if year == "9999":
        notes.not_carried(where, "9999 stands for no date")
        return None
    if month == "00" or int(month) > 12:
        if day != "00":
            notes.add(where, "day without a month not carried: kept to the year")
        return year
    if day == "00":
        return f"{year}-{month}"
    try:
        datetime.date(int(year), int(month), int(day))
    except ValueError:
        notes.add(where, "no such day: kept to the month")
        return f"{year}-{month}"
    return value


def magda_date(value: str) -> str:
    """``1984`` -> ``1984-00-00``, ``1984-03`` -> ``1984-03-00``: MAGDA's unknown parts are 00."""
    return (value + "-00-00")[:10]


def code(element: etree._Element, list_uri: str | None = None) -> Code:
    """A MAGDA ``Code`` / ``Omschrijving`` pair (its children) as a canonical Code."""
    result: Code = {"code": ""}
    for child in element:
        if child.tag == "Code":
            result["code"] = text(child)
        elif child.tag == "Omschrijving" and child.text:
            result["name"] = child.text
    if list_uri:
        result["listURI"] = list_uri
    return result


def identifier(scheme: str, raw: str, where: str, translation: Translation) -> Identifier:
    """Normalised and checked (connectors.identifiers); lenient-mode warnings become notes."""
    try:
        checked = identifiers.validate(scheme, raw, lenient=translation.lenient)
    except identifiers.InvalidIdentifierError as exc:
        raise identifiers.InvalidIdentifierError(
            f"{where}: {exc}", scheme=exc.scheme, failures=exc.failures
        ) from None
    for warning in checked.warnings:
        translation.notes.add(where, f"{scheme} {warning}")
    return {"notation": checked.notation, "scheme": checked.scheme}


def country(nis: str | None, iso: str | None) -> str | None:
    """ISO alpha-2 from a MAGDA ISO code (alpha-3 or alpha-2, preferred) or a NIS country code."""
    if iso:
        iso = iso.upper()
        column = "alpha3" if len(iso) == 3 else "alpha2"
        if (row := code_table("iso3166-1").row(column, iso)) is not None:
            return row["alpha2"]
    if nis:
        return code_table("be-nis-country").map("nis", "alpha2", nis) or None
    return None


def nis_country(alpha2: str) -> str | None:
    """The NIS code of an ISO alpha-2 country, if the shipped table knows it."""
    return code_table("be-nis-country").map("alpha2", "nis", alpha2)


def nis_name(alpha2: str) -> str | None:
    """The country's Dutch name in the NIS table."""
    return code_table("be-nis-country").map("alpha2", "name_nl", alpha2)


def iso3(alpha2: str) -> str | None:
    return code_table("iso3166-1").map("alpha2", "alpha3", alpha2)
