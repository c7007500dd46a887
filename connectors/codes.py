"""Code tables shipped in ``schemas/codes/``: countries and partners' code lists, with sources.

Usage::

    countries = code_table("iso3166-1")
    countries.map("alpha3", "alpha2", "EST")        # "EE"
    countries.row("alpha2", "DE")["name"]           # "Germany"

A table file is JSON: ``name``, ``title``, ``source`` (where it comes from), optional
``listURI`` / ``listVersionID`` (for XÖV code lists), ``columns`` and ``rows``
(lists of strings in column order). Tables are loaded once and indexed on first use.
"""

from __future__ import annotations

import functools
from typing import Any

from gateway.shipped import load_json

__all__ = ["CodeTable", "code_table"]


class CodeTable:
    def __init__(self, document: dict[str, Any]) -> None:
        self.name: str = document["name"]
        self.source: str = document["source"]
        self.list_uri: str | None = document.get("listURI")
        self.list_version: str | None = document.get("listVersionID")
        self.columns: tuple[str, ...] = tuple(document["columns"])
        self.rows: tuple[dict[str, str], ...] = tuple(
            dict(zip(self.columns, row, strict=True)) for row in document["rows"]
        )
        self._indexes: dict[str, dict[str, dict[str, str]]] = {}

    def row(self, column: str, value: str) -> dict[str, str] | None:
        """The row whose ``column`` equals ``value`` (first one), or None."""
        index = self._indexes.get(column)
        if index is None:
            if column not in self.columns:
                raise KeyError(f"code table {self.name} has no column {column!r}")
            index = {}
            for row in self.rows:
                index.setdefault(row[column], row)
            self._indexes[column] = index
        return index.get(value)

    def map(self, from_column: str, to_column: str, value: str) -> str | None:
        """Translate ``value`` from one column to another; None when it is not listed."""
        row = self.row(from_column, value)
        return None if row is None else row[to_column]


@functools.cache
def code_table(name: str) -> CodeTable:
    """The shipped table ``schemas/codes/<name>.v1.json``."""
    return CodeTable(load_json(f"codes/{name}.v1.json"))
