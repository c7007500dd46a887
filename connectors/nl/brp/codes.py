"""The BRP's code lists as canonical ``listURI`` values (urn:xgw:codelist:<name>).

Usage::

    {"code": "0518", "listURI": GEMEENTEN}

The lists are the RvIG "Landelijke tabellen" of the BRP. xgw ships no copy of
them: codes are carried as the source gives them, with the list they belong to.
"""

from __future__ import annotations

__all__ = ["ADELLIJKE_TITELS", "GEMEENTEN"]

# Landelijke tabel 33, Gemeententabel: 4-digit municipality codes (gemeentecode).
GEMEENTEN = "urn:xgw:codelist:nl-gemeenten"
# Landelijke tabel 38, Adellijke titel/predicaat (e.g. JH jonkheer, B baron).
ADELLIJKE_TITELS = "urn:xgw:codelist:nl-adellijke-titels"
