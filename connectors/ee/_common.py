"""What both Estonian connectors share: identifiers, countries, dates and notes.

Usage::

    notes = Notes("ee.ariregister")
    ident = checked_identifier("ee.registrikood", "10137319", "keha/ariregistri_kood",
                               lenient=False, notes=notes)
    country_from_alpha3("EST", "aadress/riik", notes)      # "EE"
    full_date("2024-09-01", "algus_kpv", notes)            # ConnectorError unless a date

Identifiers go through :mod:`connectors.identifiers`: a wrong check digit raises
:class:`~connectors.identifiers.InvalidIdentifierError` (``Client.BadRequest``)
whose message starts with the element or JSON path; in lenient mode the failure
becomes a translation note instead.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from connectors import identifiers
from connectors.canonical import Code, Identifier, Period
from connectors.codes import code_table
from gateway.errors import ConnectorError

__all__ = [
    "LANGUAGE",
    "Context",
    "Notes",
    "boolean",
    "checked_identifier",
    "code",
    "code_parts",
    "country_from_alpha3",
    "country_from_numeric",
    "country_to_alpha3",
    "country_to_numeric",
    "full_date",
    "identifier_extras",
    "join_given_names",
    "period",
    "split_given_names",
    "xsd_date",
]

# Texts from the Estonian registers carry no language tag; they are Estonian (canonical rule 5).
LANGUAGE = "et"


class Notes:
    """Translation notes in the order they arise, each once: ``<connector>: <path>: <what>``."""

    def __init__(self, connector: str) -> None:
        self._prefix = f"{connector}: "
        self._notes: dict[str, None] = {}

    def add(self, path: str, what: str) -> None:
        self._notes[f"{self._prefix}{path}: {what}"] = None

    def not_carried(self, path: str, why: str = "") -> None:
        self.add(path, f"not carried{f' ({why})' if why else ''}")

    def as_tuple(self) -> tuple[str, ...]:
        return tuple(self._notes)


def checked_identifier(
    scheme: str, raw: str, path: str, *, lenient: bool, notes: Notes
) -> Identifier:
    """``{notation, scheme}`` for ``raw``, checked with its check digits."""
    try:
        checked = identifiers.validate(scheme, raw, lenient=lenient)
    except identifiers.InvalidIdentifierError as exc:
        raise identifiers.InvalidIdentifierError(
            f"{path}: {exc.message}", scheme=exc.scheme, failures=exc.failures
        ) from None
    for warning in checked.warnings:
        notes.add(path, f"{scheme}: {warning}")
    return {"notation": checked.notation, "scheme": scheme}


def identifier_extras(ident: Identifier, path: str, notes: Notes) -> None:
    """Note what a register field cannot hold besides the notation; an issuer the scheme implies
    (``EE`` for ``ee.*``) is no loss."""
    if ident.get("issuer", ident["scheme"][:2].upper()) != ident["scheme"][:2].upper():
        notes.not_carried(f"{path}.issuer")
    for extra in ("schemeAgency", "schemeAgencyCode"):
        if extra in ident:
            notes.not_carried(f"{path}.{extra}")


def country_from_alpha3(value: str, path: str, notes: Notes) -> str | None:
    return _country("alpha3", value, path, notes)


def country_from_numeric(value: str, path: str, notes: Notes) -> str | None:
    return _country("numeric", value, path, notes)


def country_to_alpha3(alpha2: str) -> str | None:
    return code_table("iso3166-1").map("alpha2", "alpha3", alpha2)


def country_to_numeric(alpha2: str) -> str | None:
    return code_table("iso3166-1").map("alpha2", "numeric", alpha2)


def _country(column: str, value: str, path: str, notes: Notes) -> str | None:
    alpha2 = code_table("iso3166-1").map(column, "alpha2", value)
    if alpha2 is None:
        notes.not_carried(path, f"not an ISO 3166-1 {column} country code")
    return alpha2


def full_date(value: str, path: str, notes: Notes) -> str:
    """A full date from an xs:date (``YYYY-MM-DD``, maybe with a zone), checked by the calendar.

    The canonical PartialDate has no zone: a zone is dropped with a note.
    """
    day, zone = value[:10], value[10:]
    try:
        checked = datetime.date.fromisoformat(day).isoformat()
    except ValueError:
        checked = ""
    if checked != day:
        raise ConnectorError(f"{path}: not a calendar date (YYYY-MM-DD)")
    if zone:
        notes.not_carried(path, "the date's time zone")
    return day


def split_given_names(value: str) -> list[str]:
    """Given names as the register writes them (one string) -> the canonical list, in order.

    Split on single spaces when that loses nothing (``" ".join`` gives the
    string back); otherwise one item, exactly as written.
    """
    parts = value.split(" ")
    return parts if all(parts) else [value]


def join_given_names(names: list[str], path: str, notes: Notes) -> str:
    """The register's one string for ``names``; noted when it would not split back the same."""
    text = " ".join(names)
    if split_given_names(text) != names:
        notes.add(path, "written as one text that splits back differently")
    return text


@dataclass
class Context:
    """What a mapping needs besides the document: where notes go, and the identifier mode."""

    notes: Notes
    lenient: bool


def code(
    value: str | None, name: str | None, list_uri: str, path: str, notes: Notes
) -> Code | None:
    """A canonical Code from a register's code and its label (a label alone is noted)."""
    if not value:
        if name:
            notes.not_carried(path, "a label without its code")
        return None
    result: Code = {"code": value, "listURI": list_uri}
    if name:
        result["name"] = name
    return result


def code_parts(
    value: Code | None, list_uri: str, path: str, notes: Notes
) -> tuple[str | None, str | None]:
    """(code, label) of a canonical Code from the register's list; another list's code is noted."""
    if value is None:
        return None, None
    if value.get("listURI") != list_uri:
        notes.not_carried(path, f"a code of another list than {list_uri}")
        return None, None
    if "listVersionID" in value:
        notes.not_carried(f"{path}.listVersionID")
    return value["code"], value.get("name")


def period(start: str | None, end: str | None, path: str, notes: Notes) -> Period | None:
    """A canonical Period from xs:date bounds (None when both are absent)."""
    result: Period = {}
    if start:
        result["start"] = full_date(start, f"{path}/algus_kpv", notes)
    if end:
        result["end"] = full_date(end, f"{path}/lopp_kpv", notes)
    return result or None


def xsd_date(value: str | None, path: str, notes: Notes) -> str | None:
    """A canonical date for an xs:date element: only a full date fits; a partial one is noted."""
    if value is None:
        return None
    if len(value) != 10:
        notes.not_carried(path, "a partial date; the register's dates are full dates")
        return None
    return value


def boolean(value: str) -> bool:
    """An xs:boolean's value (the schema has already checked the lexical form)."""
    return value.strip() in ("true", "1")
