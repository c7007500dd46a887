"""KvK ``Basisprofiel`` <-> canonical LegalEntity (a pure mapping).

Usage::

    entity = entity_from_kvk(basisprofiel, notes, lenient=False)
    basisprofiel = entity_to_kvk(entity, notes)

Carried: kvkNummer (nl.kvk), the owner's rsin (nl.rsin), the main
establishment's vestigingsnummer (nl.kvk-vestiging); naam -> legalNames and
handelsnamen -> alternativeNames (language ``nl``: the register's, as the
canonical model asks for sources without one; handelsnamen in ``volgorde``);
formeleRegistratiedatum -> registrationDate, materieleRegistratie datumAanvang
/ datumEinde -> foundingDate / dissolutionDate; sbiActiviteiten -> activities
(SBI codes, hoofdactiviteit -> primary); the owner's rechtsvorm -> legalForm; the
main establishment's adressen -> addresses and websites -> contactPoints (web).
Everything else is a note naming its path.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.canonical import Activity, Identifier, LangText, LegalEntity
from connectors.nl._common import Notes, identifier
from connectors.nl.kvk.address import address_from_kvk, address_to_kvk
from connectors.nl.kvk.dates import date_from_kvk, date_to_kvk

__all__ = ["RECHTSVORM", "SBI", "entity_from_kvk", "entity_to_kvk"]

SBI = "urn:xgw:codelist:sbi"
RECHTSVORM = "urn:xgw:codelist:nl-kvk-rechtsvorm"
_LANG = "nl"
_YES_NO = {"Ja": True, "Nee": False}
_TOP = {"kvkNummer", "naam", "formeleRegistratiedatum", "materieleRegistratie", "handelsnamen"}
_TOP |= {"sbiActiviteiten", "_embedded"}
_NOT_SENT = ("personType", "status", "statusDate", "representatives", "representationRules")


# --- decode -----------------------------------------------------------------------------------


def entity_from_kvk(bp: Mapping[str, Any], notes: Notes, *, lenient: bool) -> LegalEntity:
    entity: LegalEntity = {}
    ids: list[Identifier] = []
    if "kvkNummer" in bp:
        ids.append(_id("nl.kvk", bp["kvkNummer"], "$.kvkNummer", notes, lenient))
    if "naam" in bp:
        entity["legalNames"] = [{"lang": _LANG, "text": bp["naam"]}]
    if "handelsnamen" in bp:
        names = _trade_names(bp["handelsnamen"], notes)
        if names:
            entity["alternativeNames"] = names
    _date(bp, "formeleRegistratiedatum", "$", entity, "registrationDate", notes)
    if "materieleRegistratie" in bp:
        mat = bp["materieleRegistratie"]
        _date(mat, "datumAanvang", "$.materieleRegistratie", entity, "foundingDate", notes)
        _date(mat, "datumEinde", "$.materieleRegistratie", entity, "dissolutionDate", notes)
        notes.rest(mat, "$.materieleRegistratie", {"datumAanvang", "datumEinde"})
    activities = []
    for i, sbi in enumerate(bp.get("sbiActiviteiten", [])):
        activity = _activity(sbi, f"$.sbiActiviteiten[{i}]", notes)
        if activity:
            activities.append(activity)
    if activities:
        entity["activities"] = activities
    embedded = bp.get("_embedded", {})
    if "eigenaar" in embedded:
        _owner_from(embedded["eigenaar"], "$._embedded.eigenaar", notes, entity, ids, lenient)
    if "hoofdvestiging" in embedded:
        _main_from(embedded["hoofdvestiging"], bp, notes, entity, ids, lenient)
    notes.rest(embedded, "$._embedded", {"eigenaar", "hoofdvestiging"})
    if ids:
        entity["identifiers"] = ids
    notes.rest(bp, "$", _TOP)
    return entity


def _id(scheme: str, raw: str, path: str, notes: Notes, lenient: bool) -> Identifier:
    notation = identifier(scheme, raw, path, notes, lenient=lenient, query=False)
    return {"notation": notation, "scheme": scheme}


def _trade_names(handelsnamen: list[Mapping[str, Any]], notes: Notes) -> list[LangText]:
    order = sorted(range(len(handelsnamen)), key=lambda i: handelsnamen[i].get("volgorde", i))
    numbers = [handelsnamen[i].get("volgorde") for i in order]
    if numbers != list(range(len(handelsnamen))):
        notes.add("$.handelsnamen", "volgorde numbers not carried (their order is)")
    names: list[LangText] = []
    for i in order:
        notes.rest(handelsnamen[i], f"$.handelsnamen[{i}]", {"naam", "volgorde"})
        if "naam" in handelsnamen[i]:
            names.append({"lang": _LANG, "text": handelsnamen[i]["naam"]})
    return names


def _date(
    node: Mapping[str, Any], key: str, path: str, entity: LegalEntity, target: str, notes: Notes
) -> None:
    if key not in node:
        return
    date = date_from_kvk(node[key])
    if date is None:
        notes.add(f"{path}.{key}", "not carried (not a yyyyMMdd date)")
    else:
        entity[target] = date  # type: ignore[literal-required]


def _activity(sbi: Mapping[str, Any], path: str, notes: Notes) -> Activity:
    activity: Activity = {}
    if "sbiCode" in sbi:
        code: dict[str, str] = {"code": sbi["sbiCode"], "listURI": SBI}
        if "sbiOmschrijving" in sbi:
            code["name"] = sbi["sbiOmschrijving"]
        activity["codes"] = [code]  # type: ignore[list-item]
    elif "sbiOmschrijving" in sbi:
        activity["description"] = sbi["sbiOmschrijving"]
    primary = _YES_NO.get(sbi.get("indHoofdactiviteit", ""))
    if primary is not None:
        activity["primary"] = primary
    elif "indHoofdactiviteit" in sbi:
        notes.add(f"{path}.indHoofdactiviteit", "not carried (neither Ja nor Nee)")
    notes.rest(sbi, path, {"sbiCode", "sbiOmschrijving", "indHoofdactiviteit"})
    return activity


def _owner_from(
    owner: Mapping[str, Any],
    path: str,
    notes: Notes,
    entity: LegalEntity,
    ids: list[Identifier],
    lenient: bool,
) -> None:
    if "rsin" in owner:
        ids.append(_id("nl.rsin", owner["rsin"], f"{path}.rsin", notes, lenient))
    if "rechtsvorm" in owner:
        entity["legalForm"] = {"code": owner["rechtsvorm"], "listURI": RECHTSVORM}
    notes.rest(owner, path, {"rsin", "rechtsvorm"})


def _main_from(
    main: Mapping[str, Any],
    bp: Mapping[str, Any],
    notes: Notes,
    entity: LegalEntity,
    ids: list[Identifier],
    lenient: bool,
) -> None:
    path = "$._embedded.hoofdvestiging"
    if "vestigingsnummer" in main:
        where = f"{path}.vestigingsnummer"
        ids.append(_id("nl.kvk-vestiging", main["vestigingsnummer"], where, notes, lenient))
    handled = {"vestigingsnummer", "adressen", "websites"}
    if main.get("kvkNummer") == bp.get("kvkNummer"):
        handled.add("kvkNummer")  # the same number once more
    addresses = [
        address_from_kvk(a, f"{path}.adressen[{i}]", notes)
        for i, a in enumerate(main.get("adressen", []))
    ]
    if any(addresses):
        entity["addresses"] = [a for a in addresses if a is not None]
    if main.get("websites"):
        entity["contactPoints"] = [{"channel": "web", "value": w} for w in main["websites"]]
    notes.rest(main, path, handled)


# --- encode -----------------------------------------------------------------------------------


def entity_to_kvk(entity: LegalEntity, notes: Notes) -> dict[str, Any]:
    bp: dict[str, Any] = {}
    owner: dict[str, Any] = {}
    main: dict[str, Any] = {}
    _identifiers_to(entity, notes, bp, owner, main)
    if "legalNames" in entity:
        bp["naam"] = _one_name(entity["legalNames"], "$.legalNames", notes)
    if "alternativeNames" in entity:
        bp["handelsnamen"] = [
            {"naam": _text(n, f"$.alternativeNames[{i}]", notes), "volgorde": i}
            for i, n in enumerate(entity["alternativeNames"])
        ]
    if "registrationDate" in entity:
        bp["formeleRegistratiedatum"] = date_to_kvk(entity["registrationDate"])
    mat = {}
    if "foundingDate" in entity:
        mat["datumAanvang"] = date_to_kvk(entity["foundingDate"])
    if "dissolutionDate" in entity:
        mat["datumEinde"] = date_to_kvk(entity["dissolutionDate"])
    if mat:
        bp["materieleRegistratie"] = mat
    if "activities" in entity:
        sbi = [
            _activity_to(a, f"$.activities[{i}]", notes) for i, a in enumerate(entity["activities"])
        ]
        if any(sbi):
            bp["sbiActiviteiten"] = [s for s in sbi if s]
    if "legalForm" in entity:
        _legal_form_to(entity["legalForm"], notes, owner)
    _main_to(entity, notes, main)
    embedded = {k: v for k, v in (("hoofdvestiging", main), ("eigenaar", owner)) if v}
    if embedded:
        if "kvkNummer" in bp and "hoofdvestiging" in embedded:
            main["kvkNummer"] = bp["kvkNummer"]
        bp["_embedded"] = embedded
    for key in _NOT_SENT:
        if key in entity:
            notes.add(f"$.{key}", "not sent (KvK Basisprofiel has no field for it)")
    return bp


def _identifiers_to(
    entity: LegalEntity,
    notes: Notes,
    bp: dict[str, Any],
    owner: dict[str, Any],
    main: dict[str, Any],
) -> None:
    targets = {"nl.kvk": (bp, "kvkNummer"), "nl.rsin": (owner, "rsin")}
    targets["nl.kvk-vestiging"] = (main, "vestigingsnummer")
    for i, ident in enumerate(entity.get("identifiers", [])):
        where = f"$.identifiers[{i}]"
        target = targets.get(ident["scheme"])
        if target is None or target[1] in target[0]:
            notes.add(where, "not sent (KvK carries one nl.kvk, nl.rsin and nl.kvk-vestiging)")
            continue
        target[0][target[1]] = ident["notation"]
        for key in ident:
            if key not in ("notation", "scheme"):
                notes.add(f"{where}.{key}", "not sent (KvK carries the number only)")


def _text(text: LangText, path: str, notes: Notes) -> str:
    if text["lang"] != _LANG:
        notes.add(f"{path}.lang", "not sent (KvK names have no language; read back as nl)")
    return text["text"]


def _one_name(names: list[LangText], path: str, notes: Notes) -> str:
    chosen = next((i for i, n in enumerate(names) if n["lang"] == _LANG), 0)
    for i in range(len(names)):
        if i != chosen:
            notes.add(f"{path}[{i}]", "not sent (KvK has one naam)")
    return _text(names[chosen], f"{path}[{chosen}]", notes)


def _activity_to(activity: Activity, path: str, notes: Notes) -> dict[str, Any]:
    sbi: dict[str, Any] = {}
    for j, code in enumerate(activity.get("codes", [])):
        if code.get("listURI") == SBI and "sbiCode" not in sbi:
            sbi["sbiCode"] = code["code"]
            if "name" in code:
                sbi["sbiOmschrijving"] = code["name"]
            if "listVersionID" in code:
                notes.add(f"{path}.codes[{j}].listVersionID", "not sent (KvK names no SBI version)")
        else:
            notes.add(f"{path}.codes[{j}]", "not sent (KvK takes one SBI code)")
    if "description" in activity and "sbiOmschrijving" not in sbi and "sbiCode" not in sbi:
        sbi["sbiOmschrijving"] = activity["description"]
    elif "description" in activity:
        notes.add(f"{path}.description", "not sent (KvK has the SBI code's description only)")
    if "primary" in activity:
        sbi["indHoofdactiviteit"] = "Ja" if activity["primary"] else "Nee"
    for key in ("newlyPerformed", "period"):
        if key in activity:
            notes.add(f"{path}.{key}", "not sent (KvK SBI activities have no field for it)")
    if not sbi:
        notes.add(path, "not sent (nothing KvK can carry)")
    return sbi


def _legal_form_to(form: Mapping[str, Any], notes: Notes, owner: dict[str, Any]) -> None:
    if form.get("listURI", RECHTSVORM) != RECHTSVORM:
        notes.add("$.legalForm", "not sent (not a KvK rechtsvorm)")
        return
    owner["rechtsvorm"] = form["code"]
    for key in ("name", "listVersionID"):
        if key in form:
            notes.add(f"$.legalForm.{key}", "not sent (KvK has the rechtsvorm only)")


def _main_to(entity: LegalEntity, notes: Notes, main: dict[str, Any]) -> None:
    adressen = [
        address_to_kvk(a, f"$.addresses[{i}]", notes)
        for i, a in enumerate(entity.get("addresses", []))
    ]
    if any(adressen):
        main["adressen"] = [a for a in adressen if a is not None]
    websites = []
    for i, point in enumerate(entity.get("contactPoints", [])):
        if point["channel"] == "web" and "code" not in point:
            websites.append(point["value"])
        else:
            notes.add(f"$.contactPoints[{i}]", "not sent (KvK lists websites only)")
    if websites:
        main["websites"] = websites
