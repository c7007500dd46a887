"""The pure mapping between a ``detailandmed_v2`` request body (``keha``) and LegalEntityQuery.

Usage::

    ctx = Context(Notes("ee.ariregister"), lenient=False)
    query = query_from_native({"ariregistri_kood": "10137319", "yandmed": "true", ...}, "keha", ctx)
    keha = query_to_native(query, ctx)

The register answers in groups, chosen with five flags: ``yandmed`` (general
data) and ``iandmed`` (persons) map to canonical ``fields``; ``kandmed``
(commercial pledges), ``dandmed`` (documents) and ``maarused`` (court rulings)
have no canonical field and are always false when xgw asks.
"""

from __future__ import annotations

from typing import Any

from connectors.canonical import LegalEntityQuery
from connectors.ee._common import Context, boolean, checked_identifier, identifier_extras
from connectors.ee.ariregister.fields import ENTERPRISE_ID
from gateway.errors import ConnectorError

__all__ = ["ALWAYS", "IANDMED_FIELDS", "YANDMED_FIELDS", "query_from_native", "query_to_native"]

Native = dict[str, Any]

# The LegalEntity fields every answer has, and those each flag adds (in the order decode lists).
ALWAYS = ("identifiers", "legalNames")
YANDMED_FIELDS = (
    "registrationDate", "dissolutionDate", "status", "legalForm", "addresses", "contactPoints",
    "activities",
)  # fmt: skip
IANDMED_FIELDS = ("representatives", "representationRules")
_NOT_ASKED = ("kandmed", "dandmed", "maarused")
# ``staatused``: R registered, L in liquidation, N in bankruptcy, K deleted.
_ACTIVE = ("R", "L", "N")
_ALL = (*_ACTIVE, "K")
_LANGUAGES = {"est": "et", "eng": "en"}
_KEEL = {language: keel for keel, language in _LANGUAGES.items()}
_ELEMENTS = {"ee.registrikood": "ariregistri_kood", ENTERPRISE_ID: "ettevotja_id"}  # by scheme


def query_from_native(keha: Native, path: str, ctx: Context) -> LegalEntityQuery:
    query: LegalEntityQuery = {}
    ids = []
    if keha.get("ariregistri_kood"):
        where = f"{path}/ariregistri_kood"
        raw = keha["ariregistri_kood"]
        ids.append(
            checked_identifier("ee.registrikood", raw, where, lenient=ctx.lenient, notes=ctx.notes)
        )
    if keha.get("ettevotja_id"):
        ids.append({"notation": keha["ettevotja_id"], "scheme": ENTERPRISE_ID})
    if ids:
        query["identifiers"] = ids
    if keha.get("arinimi"):
        query["name"] = keha["arinimi"]
    if not ids and "name" not in query:
        raise ConnectorError(
            f"{path}: neither ariregistri_kood, ettevotja_id nor arinimi: a LegalEntityQuery "
            "needs identifiers or a name"
        )
    query["fields"] = _fields(keha, path, ctx)
    _statuses(query, keha.get("staatused"), f"{path}/staatused", ctx)
    if keha.get("keel"):
        language = _LANGUAGES.get(keha["keel"])
        if language is None:
            ctx.notes.not_carried(f"{path}/keel", "a language other than est or eng")
        else:
            query["language"] = language
    return query


def _fields(keha: Native, path: str, ctx: Context) -> list[str]:
    fields = list(ALWAYS)
    if boolean(keha["yandmed"]):
        fields.extend(YANDMED_FIELDS)
    if boolean(keha["iandmed"]):
        fields.extend(IANDMED_FIELDS)
    for flag in _NOT_ASKED:
        if boolean(keha[flag]):
            ctx.notes.not_carried(f"{path}/{flag}", "a group the canonical LegalEntity lacks")
    return fields


def _statuses(
    query: LegalEntityQuery, staatused: list[str] | None, path: str, ctx: Context
) -> None:
    if not staatused:
        return
    chosen = set(staatused)
    if chosen == set(_ALL):
        query["includeInactive"] = True
    elif chosen == set(_ACTIVE):
        query["includeInactive"] = False
    else:
        ctx.notes.not_carried(path, "a status filter other than all or all but deleted (K)")


def query_to_native(query: LegalEntityQuery, ctx: Context) -> Native:
    notes = ctx.notes
    keha: Native = {}
    for ident in query.get("identifiers", []):
        scheme = ident["scheme"]
        element = _ELEMENTS.get(scheme)
        if element is None or element in keha:
            notes.not_carried(f"identifiers.{scheme}", "another scheme, or a second one")
            continue
        notation = ident["notation"]
        if scheme == "ee.registrikood":
            checked = checked_identifier(
                scheme, notation, "identifiers", lenient=ctx.lenient, notes=notes
            )
            notation = checked["notation"]
        elif not notation.isdigit():
            raise ConnectorError(f"identifiers: {ENTERPRISE_ID} must be digits (ettevotja_id)")
        keha[element] = notation
        identifier_extras(ident, "identifiers", notes)
    if "name" in query:
        keha["arinimi"] = query["name"]
    if not keha:
        raise ConnectorError(
            "identifiers: the register is asked by ee.registrikood, ee.ettevotja-id or name; "
            "the query has none of them"
        )
    keha.update(_flags(query.get("fields"), ctx))
    if "includeInactive" in query:
        keha["staatused"] = list(_ALL if query["includeInactive"] else _ACTIVE)
    if "language" in query:
        keel = _KEEL.get(query["language"])
        if keel is None:
            notes.not_carried("language", "the register answers in est or eng")
        else:
            keha["keel"] = keel
    if query.get("country", "EE") != "EE":
        notes.not_carried("country", "the register holds Estonian entities only")
    for key in ("postCode", "postName", "period", "purpose"):
        if key in query:
            notes.not_carried(key)
    return keha


def _flags(fields: list[str] | None, ctx: Context) -> Native:
    flags = dict.fromkeys(("yandmed", "iandmed", *_NOT_ASKED), "false")
    if fields is None:  # the partner's default: what the canonical LegalEntity can hold
        flags["yandmed"] = flags["iandmed"] = "true"
        return flags
    for field in fields:
        head = field.split(".", 1)[0]
        if head in YANDMED_FIELDS:
            flags["yandmed"] = "true"
        elif head in IANDMED_FIELDS:
            flags["iandmed"] = "true"
        elif head not in ALWAYS:
            ctx.notes.not_carried(f"fields.{head}", "the register cannot be asked for it")
    wanted = set(ALWAYS)
    wanted.update(YANDMED_FIELDS if flags["yandmed"] == "true" else ())
    wanted.update(IANDMED_FIELDS if flags["iandmed"] == "true" else ())
    if not {field.split(".", 1)[0] for field in fields} >= wanted:
        ctx.notes.add("fields", "the register answers whole groups (yandmed, iandmed)")
    return flags
