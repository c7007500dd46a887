"""BRP dates (``AbstractDatum``) <-> canonical partial dates; never a day or month invented.

Usage::

    date_from_brp({"type": "JaarMaandDatum", "jaar": 1985, "maand": 3, "langFormaat": "maart 1985"})
    # -> "1985-03"
    date_to_brp("1985-03")
    # -> {"type": "JaarMaandDatum", "jaar": 1985, "maand": 3, "langFormaat": "maart 1985"}

``Datum`` <-> ``YYYY-MM-DD``, ``JaarMaandDatum`` <-> ``YYYY-MM``, ``JaarDatum``
<-> ``YYYY``; ``DatumOnbekend`` is an absent date (and a note). ``langFormaat``
is the BRP's Dutch rendering of the date; it is derived, so decode drops it and
encode writes it again ("1 maart 1985", "maart 1985", "1985", "onbekend").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["date_from_brp", "date_to_brp"]

_MONTHS = (
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
)


def date_from_brp(datum: Mapping[str, Any]) -> str | None:
    """The canonical partial date, or None for ``DatumOnbekend`` (the schema was checked)."""
    kind = datum["type"]
    if kind == "Datum":
        return str(datum["datum"])
    if kind == "JaarMaandDatum":
        return f"{datum['jaar']:04d}-{datum['maand']:02d}"
    if kind == "JaarDatum":
        return f"{datum['jaar']:04d}"
    return None


def date_to_brp(date: str) -> dict[str, Any]:
    year = int(date[:4])
    if len(date) == 4:
        return {"type": "JaarDatum", "jaar": year, "langFormaat": str(year)}
    month = int(date[5:7])
    if len(date) == 7:
        return {
            "type": "JaarMaandDatum",
            "jaar": year,
            "maand": month,
            "langFormaat": f"{_MONTHS[month - 1]} {year}",
        }
    day = int(date[8:10])
    return {"type": "Datum", "datum": date, "langFormaat": f"{day} {_MONTHS[month - 1]} {year}"}
