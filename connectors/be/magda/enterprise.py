"""GeefOnderneming 02.00 (and GeefOndernemingVKBO) ``Onderneming`` <-> LegalEntity: the mapping.

Usage::

    entity = read_enterprise(onderneming_element, tr)    # GeefOnderneming or GeefOndernemingVKBO
    write_enterprise(inhoud_element, entity, tr)         # a GeefOnderneming Onderneming2_0Type

Carried: the enterprise number (``be.enterprise``) and establishment numbers
(``be.establishment``), StatusKBO, SoortOnderneming, the names in their languages (legal names;
abbreviated and commercial names as alternative names), addresses with their type, validity and
language versions, contact data, start / registration / closing dates, the current legal form
and the NACE-BEL activities. Everything else is a note; docs/connectors/be-magda.md lists it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from lxml import etree

from connectors.be.magda.addresses import (
    contact_points,
    enterprise_address,
    write_descriptions,
    write_enterprise_address,
)
from connectors.be.magda.values import (
    LIST,
    Translation,
    add,
    attributes,
    identifier,
    magda_date,
    partial_date,
    sub,
    text,
)
from connectors.canonical import (
    Activity,
    Code,
    ContactPoint,
    LangText,
    LegalEntity,
    Period,
    RoleAddress,
)
from connectors.codes import code_table
from gateway.errors import ConnectorError

__all__ = ["read_enterprise", "write_enterprise"]

_PERSON_TYPES = {"1": ("natural", "Natuurlijk persoon"), "2": ("legal", "Rechtspersoon")}
_PERSON_TYPE_CODES = {kind: (code_, label) for code_, (kind, label) in _PERSON_TYPES.items()}
_REGISTERED = ("001", "Zetel")  # the KBO address type of the seat
_CHANNELS = ("telephone", "fax", "mobile", "email", "web")
_NACE = re.compile(re.escape(LIST["nace"]) + r"(?:-([0-9]{4}))?")
_DATES = {
    "Start": "foundingDate",
    "Inschrijving": "registrationDate",
    "Afsluiting": "dissolutionDate",
}
_VKBO_DATES = {
    "DatumStart": "foundingDate",
    "DatumInschrijving": "registrationDate",
    "DatumAfsluiting": "dissolutionDate",
}

# -- decoding --------------------------------------------------------------------------------


def read_enterprise(element: etree._Element, tr: Translation) -> LegalEntity:
    entity: LegalEntity = {}
    _attributes(element, "Onderneming", tr)
    contacts: list[ContactPoint] = []
    for child in element:
        tag, where = child.tag, f"Onderneming/{child.tag}"
        if tag in _VKBO_DATES:
            add(entity, _VKBO_DATES[tag], partial_date(text(child), where, tr.notes))
        elif tag in _DATES:
            add(entity, _DATES[tag], partial_date(text(child[0]), f"{where}/Datum", tr.notes))
        elif tag == "Adressen":
            for address in child:
                _address(address, entity, contacts, f"{where}/Adres", tr)
        elif tag == "Adres":  # GeefOndernemingVKBO: one address
            _address(child, entity, contacts, where, tr)
        elif tag == "Contact":  # GeefOndernemingVKBO
            contacts.extend(contact_points(child))
        elif (reader := _READERS.get(tag)) is not None:
            reader(child, entity, where, tr)
        else:
            tr.notes.not_carried(where)
    add(entity, "contactPoints", contacts)
    return entity


def _attributes(element: etree._Element, where: str, tr: Translation) -> None:
    for name, _ in attributes(element):
        tr.notes.not_carried(f"{where}/@{name}")


def _number(element: etree._Element, entity: Any, where: str, tr: Translation) -> None:
    entity.setdefault("identifiers", []).insert(
        0, identifier("be.enterprise", text(element), where, tr)
    )


def _source(element: etree._Element, entity: Any, where: str, tr: Translation) -> None:
    tr.notes.not_carried(where, "the register the data comes from")


def _kind(element: etree._Element, entity: Any, where: str, tr: Translation) -> None:
    _attributes(element, where, tr)
    value = _kbo_code(element, where, None, tr)
    if value["code"] != "1":
        tr.notes.not_carried(f"{where}/Code", "the answer is about an establishment unit")
    elif value.get("name", "Onderneming") != "Onderneming":
        tr.notes.not_carried(f"{where}/Code/@Beschrijving", "a label other than the code's own")


def _kbo_code(
    element: etree._Element,
    where: str,
    list_uri: str | None,
    tr: Translation,
    read: tuple[str, ...] = (),
) -> Code:
    """Code (with its Beschrijving) and Omschrijving as a canonical Code; the rest is noted."""
    result: Code = {"code": ""}
    label = None
    for child in element:
        if child.tag == "Code":
            result["code"] = text(child)
            label = child.get("Beschrijving")
        elif child.tag == "Omschrijving":
            add(result, "name", child.text)
            _attributes(child, f"{where}/Omschrijving", tr)
        elif child.tag not in read:  # what the caller reads itself
            tr.notes.not_carried(f"{where}/{child.tag}")
    if label and result.setdefault("name", label) != label:
        tr.notes.not_carried(f"{where}/Code/@Beschrijving", "a second label")
    if list_uri:
        result["listURI"] = list_uri
    return result


def _status(element: etree._Element, entity: Any, where: str, tr: Translation) -> None:
    entity["status"] = _kbo_code(element, where, LIST["status"], tr)


def _person_type(element: etree._Element, entity: Any, where: str, tr: Translation) -> None:
    value = _kbo_code(element, where, None, tr)
    known = _PERSON_TYPES.get(value["code"])
    if known is None:
        tr.notes.not_carried(f"{where}/Code", "not a known kind of enterprise")
        return
    entity["personType"] = known[0]
    if value.get("name", known[1]) != known[1]:
        tr.notes.not_carried(f"{where}/Code/@Beschrijving", "a label other than the code's own")


def _names(element: etree._Element, entity: Any, where: str, tr: Translation) -> None:
    for group in element:
        # GeefOnderneming: MaatschappelijkeNamen/MaatschappelijkeNaam(Naam, Taalcode);
        # GeefOndernemingVKBO: MaatschappelijkeNaam with the text and a TaalCode attribute.
        names = list(group) if group.tag.endswith("Namen") else [group]
        key = "legalNames" if group.tag.startswith("Maatschappelijke") else "alternativeNames"
        if group.tag.startswith("Afgekorte"):
            tr.notes.add(
                f"{where}/{group.tag}", "carried as alternative names (not as abbreviations)"
            )
        for name in names:
            path = f"{where}/{group.tag}" + (f"/{name.tag}" if name is not group else "")
            entry = _name(name, path, tr)
            if entry:
                entity.setdefault(key, []).append(entry)


def _name(element: etree._Element, where: str, tr: Translation) -> LangText | None:
    value, language = element.text, element.get("TaalCode")
    for child in element:
        if child.tag == "Naam":
            value = child.text
        else:  # Taalcode
            language = text(child)
    for attribute, _ in attributes(element):
        if attribute != "TaalCode":
            tr.notes.not_carried(f"{where}/@{attribute}")
    if not value:
        return None
    language = (language or "").lower()
    if not re.fullmatch(r"[a-z]{2}", language):  # absent, or KBO's "00": unknown
        tr.notes.add(where, "a name without a language: tagged 'und' (undetermined)")
        language = "und"
    return {"lang": language, "text": value}


def _address(
    element: etree._Element, entity: Any, contacts: list[ContactPoint], where: str, tr: Translation
) -> None:
    address, found = enterprise_address(element, where, tr)
    contacts.extend(found)
    entry: RoleAddress = {"role": "registered", "address": address}
    for child in element:
        if child.tag == "Type":
            code_ = _kbo_code(child, f"{where}/Type", LIST["address_type"], tr)
            entry["role"] = "registered" if code_["code"] == _REGISTERED[0] else "other"
            entry["roleCode"] = code_
    if "roleCode" not in entry:
        tr.notes.add(where, "an address without a type: carried as the registered address")
    period = _period(element, where, tr)
    add(entry, "period", period)
    if address:
        entity.setdefault("addresses", []).append(entry)


def _period(element: etree._Element, where: str, tr: Translation) -> Period:
    period: Period = {}
    for name, value in attributes(element):
        key = {"DatumBegin": "start", "DatumEinde": "end"}.get(name)
        if key is None:
            tr.notes.not_carried(f"{where}/@{name}")
        else:
            add(period, key, partial_date(value, f"{where}/@{name}", tr.notes))
    return period


def _legal_forms(element: etree._Element, entity: Any, where: str, tr: Translation) -> None:
    forms = list(element) if element.tag == "Rechtsvormen" else [element]
    if len(forms) > 1:
        tr.notes.not_carried(f"{where}/Rechtsvorm", "earlier legal forms: the last one is carried")
    form = forms[-1]
    path = f"{where}/Rechtsvorm" if element.tag == "Rechtsvormen" else where
    entity["legalForm"] = _kbo_code(form, path, LIST["legal_form"], tr, ("Afkorting",))
    for name, _ in attributes(form):
        tr.notes.not_carried(f"{path}/@{name}", "the legal form's validity")
    for child in form:
        if child.tag == "Afkorting" and child.text != _abbreviation(entity["legalForm"]["code"]):
            tr.notes.not_carried(f"{path}/Afkorting", "an abbreviation not in the code table")


def _abbreviation(code_: str) -> str | None:
    return code_table("be-kbo-legal-form").map("code", "abbreviation_nl", code_)


def _establishments(element: etree._Element, entity: Any, where: str, tr: Translation) -> None:
    identifiers = entity.setdefault("identifiers", [])
    for unit in element:
        path = f"{where}/Vestiging"
        _attributes(unit, path, tr)
        for child in unit:
            if child.tag == "Vestigingsnummer":
                identifiers.append(
                    identifier("be.establishment", text(child), f"{path}/{child.tag}", tr)
                )
            else:
                tr.notes.not_carried(
                    f"{path}/{child.tag}", "the canonical model has no establishment units"
                )


def _activities(element: etree._Element, entity: Any, where: str, tr: Translation) -> None:
    activities: list[Activity] = []
    for item in element:
        path = f"{where}/Activiteit"
        activity: Activity = {}
        for child in item:
            if child.tag == "Nace":
                activity["codes"] = [_nace(child, f"{path}/Nace", tr)]
            else:
                tr.notes.not_carried(f"{path}/{child.tag}")
        add(activity, "period", _period(item, path, tr))
        activities.append(activity)
    entity["activities"] = activities


def _nace(element: etree._Element, where: str, tr: Translation) -> Code:
    version = next((text(c) for c in element if c.tag == "Versie"), None)
    list_uri = f"{LIST['nace']}-{version}" if version else LIST["nace"]
    return _kbo_code(element, where, list_uri, tr, ("Versie",))


_Reader = Callable[[etree._Element, Any, str, Translation], None]
_READERS: dict[str, _Reader] = {
    "Ondernemingsnummer": _number,
    "AuthentiekBron": _source,
    "AuthentiekeBron": _source,
    "OndernemingOfVestiging": _kind,
    "StatusKBO": _status,
    "SoortOnderneming": _person_type,
    "Namen": _names,
    "Rechtsvormen": _legal_forms,
    "Rechtsvorm": _legal_forms,
    "Vestigingen": _establishments,
    "Activiteiten": _activities,
}

# -- encoding --------------------------------------------------------------------------------

_WRITTEN = {
    "identifiers", "personType", "legalNames", "alternativeNames", "legalForm", "status",
    "registrationDate", "foundingDate", "dissolutionDate", "addresses", "activities",
    "contactPoints",
}  # fmt: skip


def write_enterprise(parent: etree._Element, entity: LegalEntity, tr: Translation) -> None:
    where = "LegalEntity"
    for key in entity:
        if key not in _WRITTEN:
            tr.notes.not_sent(f"{where}.{key}", "GeefOnderneming carries no such field")
    element = sub(parent, "Onderneming")
    number, units = _numbers(entity.get("identifiers", []), f"{where}.identifiers", tr)
    sub(element, "Ondernemingsnummer", number)
    source = sub(element, "AuthentiekBron")  # required; the canonical document names none
    sub(source, "Code", "XGW")
    sub(source, "Omschrijving", "xgw")
    sub(sub(element, "OndernemingOfVestiging"), "Code", "1", Beschrijving="Onderneming")
    _write_status(element, entity.get("status"), f"{where}.status", tr)
    if "personType" in entity:
        code_, label = _PERSON_TYPE_CODES[entity["personType"]]
        sub(sub(element, "SoortOnderneming"), "Code", code_, Beschrijving=label)
    _write_names(element, entity, where, tr)
    _write_addresses(element, entity, where, tr)
    for tag, key in _DATES.items():
        if key in entity:
            sub(sub(element, tag), "Datum", magda_date(entity[key]))  # type: ignore[literal-required]
    if "legalForm" in entity:
        _write_legal_form(element, entity["legalForm"], f"{where}.legalForm", tr)
    if units:
        establishments = sub(element, "Vestigingen")
        for unit in units:
            sub(sub(establishments, "Vestiging"), "Vestigingsnummer", unit)
    _write_activities(element, entity.get("activities", []), f"{where}.activities", tr)


def _numbers(identifiers: list[Any], where: str, tr: Translation) -> tuple[str, list[str]]:
    enterprise = [i for i in identifiers if i["scheme"] == "be.enterprise"]
    if not enterprise:
        raise ConnectorError(f"{where}: GeefOnderneming needs a be.enterprise identifier")
    units = [i for i in identifiers if i["scheme"] == "be.establishment"]
    if len(enterprise) > 1 or len(enterprise) + len(units) < len(identifiers):
        tr.notes.not_sent(where, "one enterprise number and establishment numbers only")
    if any(set(i) - {"notation", "scheme"} for i in identifiers):
        tr.notes.not_sent(where, "MAGDA numbers carry no issuer or agency")
    number = identifier("be.enterprise", enterprise[0]["notation"], where, tr)["notation"]
    return number, [
        identifier("be.establishment", u["notation"], where, tr)["notation"] for u in units
    ]


def _own(value: Code, list_name: str, pattern: str, where: str, tr: Translation) -> bool:
    if value.get("listURI", LIST[list_name]) != LIST[list_name] or not re.fullmatch(
        pattern, value["code"]
    ):
        tr.notes.not_sent(where, "not a code of the KBO list")
        return False
    if "listVersionID" in value:
        tr.notes.not_sent(f"{where}.listVersionID", "KBO codes carry no list version")
    return True


def _write_coded(element: etree._Element, value: Code) -> None:
    sub(element, "Code", value["code"])
    if "name" in value:
        sub(element, "Omschrijving", value["name"])


def _write_status(element: etree._Element, value: Code | None, where: str, tr: Translation) -> None:
    if value is not None and _own(value, "status", r".{1,2}", where, tr):
        _write_coded(sub(element, "StatusKBO"), value)


def _write_names(element: etree._Element, entity: LegalEntity, where: str, tr: Translation) -> None:
    groups: list[tuple[str, str, str, list[LangText]]] = [
        (key, group, tag, entity.get(key, []))  # type: ignore[misc]
        for key, group, tag in (
            ("legalNames", "MaatschappelijkeNamen", "MaatschappelijkeNaam"),
            ("alternativeNames", "CommercieleNamen", "CommercieleNaam"),
        )
    ]
    kept = [
        (g, t, [n for n in names if re.fullmatch(r"[a-z]{2}", n["lang"])])
        for _, g, t, names in groups
    ]
    for key, _, _, names in groups:
        if any(not re.fullmatch(r"[a-z]{2}", n["lang"]) for n in names):
            tr.notes.not_sent(f"{where}.{key}", "KBO names need a two-letter language code")
    if not any(names for _, _, names in kept):
        return
    namen = sub(element, "Namen")
    for group, tag, names in kept:
        if names:
            listed = sub(namen, group)
            for name in names:
                entry = sub(listed, tag)
                sub(entry, "Naam", name["text"])
                sub(entry, "Taalcode", name["lang"])


def _write_addresses(
    element: etree._Element, entity: LegalEntity, where: str, tr: Translation
) -> None:
    contacts = [c for c in entity.get("contactPoints", []) if c["channel"] in _CHANNELS]
    if len(contacts) < len(entity.get("contactPoints", [])):
        tr.notes.not_sent(f"{where}.contactPoints", "a channel KBO does not have")
    typed = [(a, _address_type(a, f"{where}.addresses", tr)) for a in entity.get("addresses", [])]
    written = [(entry, code_) for entry, code_ in typed if code_ is not None]
    if contacts and not written:
        tr.notes.not_sent(f"{where}.contactPoints", "KBO gives contact data with an address")
    if not written:
        return
    addresses = sub(element, "Adressen")
    for index, (entry, type_code) in enumerate(written):
        adres = sub(addresses, "Adres")
        period = entry.get("period", {})
        for attribute, key in (("DatumBegin", "start"), ("DatumEinde", "end")):
            if key in period:
                adres.set(attribute, magda_date(period[key]))  # type: ignore[literal-required]
        write_enterprise_address(adres, entry["address"], f"{where}.addresses.address", tr)
        if len(adres) == 0:
            tr.notes.not_sent(f"{where}.addresses", "an address with nothing KBO carries")
        _write_coded(sub(adres, "Type"), type_code)
        write_descriptions(
            adres,
            entry["address"],
            contacts if index == 0 else [],
            f"{where}.addresses.address",
            tr,
        )


def _address_type(entry: RoleAddress, where: str, tr: Translation) -> Code | None:
    role_code = entry.get("roleCode")
    if role_code is not None and _own(
        role_code, "address_type", r"[0-9]{3}", f"{where}.roleCode", tr
    ):
        if ("registered" if role_code["code"] == _REGISTERED[0] else "other") != entry["role"]:
            tr.notes.not_sent(f"{where}.role", "KBO keeps the address type code only")
        return role_code
    if entry["role"] == "registered":
        tr.notes.add(f"{where}.roleCode", "KBO needs an address type: the seat's (001) sent")
        return {"code": _REGISTERED[0], "name": _REGISTERED[1]}
    tr.notes.not_sent(where, "an address of another role needs a KBO address type code")
    return None


def _write_legal_form(element: etree._Element, value: Code, where: str, tr: Translation) -> None:
    if not _own(value, "legal_form", r"[0-9]{3}", where, tr):
        return
    form = sub(sub(element, "Rechtsvormen"), "Rechtsvorm")
    table = code_table("be-kbo-legal-form")
    name = value.get("name") or table.map("code", "name_nl", value["code"])
    if name and "name" not in value:
        tr.notes.add(f"{where}.name", "the code table's label sent")
    _write_coded(form, {"code": value["code"], **({"name": name} if name else {})})  # type: ignore[typeddict-item]
    abbreviation = _abbreviation(value["code"])
    if abbreviation:
        sub(form, "Afkorting", abbreviation)


def _write_activities(
    element: etree._Element, activities: list[Activity], where: str, tr: Translation
) -> None:
    written = []
    for activity in activities:
        for key in activity:
            if key not in ("codes", "period"):
                tr.notes.not_sent(f"{where}.{key}", "a KBO activity is its NACE-BEL code")
        codes = [(c, _NACE.fullmatch(c.get("listURI", ""))) for c in activity.get("codes", [])]
        nace = [(c, m) for c, m in codes if m is not None and 1 <= len(c["code"]) <= 12]
        if len(nace) < len(codes) or len(nace) > 1:
            tr.notes.not_sent(f"{where}.codes", "one NACE-BEL code per activity")
        if nace:
            written.append((activity, *nace[0]))
        else:
            tr.notes.not_sent(where, "an activity without a NACE-BEL code")
    if not written:
        return
    listed = sub(element, "Activiteiten")
    for activity, value, match in written:
        item = sub(listed, "Activiteit")
        period = activity.get("period", {})
        for attribute, key in (("DatumBegin", "start"), ("DatumEinde", "end")):
            if key in period:
                item.set(attribute, magda_date(period[key]))  # type: ignore[literal-required]
        classification = sub(item, "Nace")
        _write_coded(classification, value)
        if match.group(1):
            sub(classification, "Versie", match.group(1))
        if "listVersionID" in value:
            tr.notes.not_sent(f"{where}.codes.listVersionID", "the version is in listURI")
