"""What the answer mappings share: the register's code lists, identifier schemes, helpers.

Usage::

    put(native, "staatus", "R")                       # only when the value is not None
    period_to_native(native, {"start": "2024-09-01"}, "addresses.period", notes)

The register's classifiers become canonical code lists named by xgw
(docs/connectors/ee-ariregister.md).
"""

from __future__ import annotations

from typing import Any

from connectors.canonical import Period
from connectors.ee._common import (
    LANGUAGE,
    Context,
    Notes,
    xsd_date,
)
from gateway.errors import ConnectorError

__all__ = [
    "CONTACT_LIST",
    "EHAK_LIST",
    "EMTAK_LIST",
    "ENTERPRISE_ID",
    "LEGAL_FORM_LIST",
    "NACE_LIST",
    "ROLE_LIST",
    "RULE_LIST",
    "STATUS_LIST",
    "VAT_NUMBER",
    "Native",
    "id_options",
    "legal_name",
    "period_to_native",
    "put",
    "put_items",
]

Native = dict[str, Any]

# The register's classifiers as canonical code lists.
STATUS_LIST = "urn:xgw:codelist:ee-ariregister-staatus"
LEGAL_FORM_LIST = "urn:xgw:codelist:ee-ariregister-oiguslik-vorm"
ROLE_LIST = "urn:xgw:codelist:ee-ariregister-isiku-roll"
RULE_LIST = "urn:xgw:codelist:ee-ariregister-esinduse-tyyp"
CONTACT_LIST = "urn:xgw:codelist:ee-ariregister-sidevahendi-liik"
EHAK_LIST = "urn:xgw:codelist:ehak"
EMTAK_LIST = "urn:xgw:codelist:emtak"
NACE_LIST = "urn:xgw:codelist:nace-rev2"

# Identifier schemes besides ee.registrikood and ee.isikukood.
ENTERPRISE_ID = "ee.ettevotja-id"  # the register's internal id (ettevotja_id)
VAT_NUMBER = "ee.kmkr"  # VAT number (kmkr_number), e.g. EE100000000


def id_options(ctx: Context) -> dict[str, Any]:
    return {"lenient": ctx.lenient, "notes": ctx.notes}


def legal_name(names: list[Any], path: str, notes: Notes, *, required: bool) -> str | None:
    if not names:
        if required:
            raise ConnectorError(f"{path}: detailandmed_v2 needs a name (nimi)")
        return None
    chosen = next((n for n in names if n["lang"] == LANGUAGE), names[0])
    if chosen["lang"] != LANGUAGE:
        notes.not_carried(f"{path}.lang", "the register's names are Estonian")
    if len(names) > 1:
        notes.not_carried(path, "names in more than one language; the register has one")
    return str(chosen["text"])


def put(native: Native, key: str, value: Any) -> None:
    if value is not None:
        native[key] = value


def put_items(native: Native, key: str, items: list[Native]) -> None:
    if items:
        native[key] = {"item": items}


def period_to_native(native: Native, when: Period | None, path: str, notes: Notes) -> None:
    if when is None:
        return
    put(native, "algus_kpv", xsd_date(when.get("start"), f"{path}.start", notes))
    put(native, "lopp_kpv", xsd_date(when.get("end"), f"{path}.end", notes))
