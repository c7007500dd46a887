"""KvK dates (``yyyyMMdd`` strings) <-> canonical partial dates.

Usage::

    date_from_kvk("20170512")   # -> "2017-05-12"
    date_from_kvk("19850300")   # -> "1985-03" (00: day unknown)
    date_to_kvk("1985")         # -> "19850000"

The Basisprofiel schema types its dates as plain strings; the API writes
``yyyyMMdd``. An unknown day or month is ``00`` and stays unknown: never
invented. A string that is no such date is None (the caller notes it).
"""

from __future__ import annotations

import datetime as dt
import re

__all__ = ["date_from_kvk", "date_to_kvk"]

_DATE = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})")


def date_from_kvk(value: str) -> str | None:
    match = _DATE.fullmatch(value)
    if match is None:
        return None
    year, month, day = match.groups()
    if month == "00":
        return year if day == "00" and year != "0000" else None
    if day == "00":
        return f"{year}-{month}" if "01" <= month <= "12" and year != "0000" else None
    try:
        return dt.date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return None


def date_to_kvk(date: str) -> str:
    return (date.replace("-", "") + "0000")[:8]
