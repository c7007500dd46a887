"""The pure mapping between a ``detailandmed_v2`` answer and the canonical LegalEntity.

Usage::

    ctx = Context(Notes("ee.ariregister"), lenient=False)
    entity = entity_from_native(native_item, "detailandmed_v2Response/keha/ettevotjad/item", ctx)
    native_item = entity_to_native(entity, ctx)

Every field either maps both ways or becomes a note (``ctx.notes``); the table
of what is carried is in docs/connectors/ee-ariregister.md. Native paths in
decode notes, canonical paths (without indexes) in encode notes.
"""

from __future__ import annotations

from connectors.canonical import (
    Activity,
    Code,
    ContactPoint,
    Identifier,
    LegalEntity,
    RoleAddress,
)
from connectors.ee._common import (
    LANGUAGE,
    Context,
    Notes,
    boolean,
    checked_identifier,
    code,
    code_parts,
    full_date,
    identifier_extras,
    period,
    xsd_date,
)
from connectors.ee.ariregister.addresses import (
    ENTITY_ADDRESS,
    address_from_native,
    address_to_native,
)
from connectors.ee.ariregister.fields import (
    CONTACT_LIST,
    EMTAK_LIST,
    ENTERPRISE_ID,
    LEGAL_FORM_LIST,
    NACE_LIST,
    STATUS_LIST,
    VAT_NUMBER,
    Native,
    id_options,
    legal_name,
    period_to_native,
    put,
    put_items,
)
from connectors.ee.ariregister.persons import (
    persons_to_native,
    representative_from_native,
    rule_from_native,
)
from gateway.errors import ConnectorError

__all__ = ["entity_from_native", "entity_to_native"]

_CHANNELS = {"EMAIL": "email", "TEL": "telephone", "MOB": "mobile", "FAX": "fax", "WWW": "web"}
_CONTACT_CODES = {channel: liik for liik, channel in _CHANNELS.items()}
_ID_ELEMENTS = {  # by scheme
    "ee.registrikood": "ariregistri_kood",
    ENTERPRISE_ID: "ettevotja_id",
    VAT_NUMBER: "kmkr_number",
}
_CODE_ELEMENTS = {EMTAK_LIST: "emtak_kood", NACE_LIST: "nace_kood"}  # by listURI


def entity_from_native(item: Native, path: str, ctx: Context) -> LegalEntity:
    entity: LegalEntity = {"identifiers": _entity_identifiers(item, path, ctx)}
    if item.get("nimi"):
        entity["legalNames"] = [{"lang": LANGUAGE, "text": item["nimi"]}]
    _general_from_native(entity, item.get("yldandmed", {}), f"{path}/yldandmed", ctx)
    persons = item.get("isikuandmed", {})
    card = f"{path}/isikuandmed/kaardile_kantud_isikud/item"
    representatives = [
        rep
        for person in persons.get("kaardile_kantud_isikud", {}).get("item", [])
        if (rep := representative_from_native(person, card, ctx))
    ]
    if representatives:
        entity["representatives"] = representatives
    rules_path = f"{path}/isikuandmed/esindusoiguse_eritingimused/item"
    rules = [
        rule
        for native in persons.get("esindusoiguse_eritingimused", {}).get("item", [])
        if (rule := rule_from_native(native, rules_path, ctx.notes))
    ]
    if rules:
        entity["representationRules"] = rules
    return entity


def _entity_identifiers(item: Native, path: str, ctx: Context) -> list[Identifier]:
    kood = f"{path}/ariregistri_kood"
    ids = [checked_identifier("ee.registrikood", item["ariregistri_kood"], kood, **id_options(ctx))]
    if item.get("ettevotja_id"):
        ids.append({"notation": item["ettevotja_id"], "scheme": ENTERPRISE_ID})
    if item.get("kmkr_number"):
        ids.append({"notation": item["kmkr_number"], "scheme": VAT_NUMBER})
    return ids


def _general_from_native(entity: LegalEntity, general: Native, path: str, ctx: Context) -> None:
    notes = ctx.notes
    if general.get("esmaregistreerimise_kpv"):
        day = general["esmaregistreerimise_kpv"]
        entity["registrationDate"] = full_date(day, f"{path}/esmaregistreerimise_kpv", notes)
    if general.get("kustutamise_kpv"):
        day = general["kustutamise_kpv"]
        entity["dissolutionDate"] = full_date(day, f"{path}/kustutamise_kpv", notes)
    status = code(
        general.get("staatus"),
        general.get("staatus_tekstina"),
        STATUS_LIST,
        f"{path}/staatus_tekstina",
        notes,
    )
    if status:
        entity["status"] = status
    form = code(
        general.get("oiguslik_vorm"),
        general.get("oiguslik_vorm_tekstina"),
        LEGAL_FORM_LIST,
        f"{path}/oiguslik_vorm_tekstina",
        notes,
    )
    if form:
        entity["legalForm"] = form
    addresses = [
        address
        for native in general.get("aadressid", {}).get("item", [])
        if (address := _role_address(native, f"{path}/aadressid/item", notes))
    ]
    if addresses:
        entity["addresses"] = addresses
    contacts = [
        contact
        for native in general.get("sidevahendid", {}).get("item", [])
        if (contact := _contact(native, f"{path}/sidevahendid/item", notes))
    ]
    if contacts:
        entity["contactPoints"] = contacts
    activities = [
        activity
        for native in general.get("teatatud_tegevusalad", {}).get("item", [])
        if (activity := _activity(native, f"{path}/teatatud_tegevusalad/item", notes))
    ]
    if activities:
        entity["activities"] = activities


def _role_address(native: Native, path: str, notes: Notes) -> RoleAddress | None:
    address = address_from_native(native, ENTITY_ADDRESS, path, notes)
    when = period(native.get("algus_kpv"), native.get("lopp_kpv"), path, notes)
    if address is None:
        if when:
            notes.not_carried(f"{path}/algus_kpv", "the dates of an empty address")
        return None
    result: RoleAddress = {"role": "registered", "address": address}
    if when:
        result["period"] = when
    return result


def _contact(native: Native, path: str, notes: Notes) -> ContactPoint | None:
    value = native.get("sisu")
    if not value:
        if native.get("liik"):
            notes.not_carried(f"{path}/liik", "a means of contact without its text")
        return None
    liik = native.get("liik")
    contact: ContactPoint = {"channel": _CHANNELS.get(liik or "", "other"), "value": value}  # type: ignore[typeddict-item]
    label = native.get("liik_tekstina")
    if liik in _CHANNELS and not label:
        return contact  # the code is the channel's: nothing more to carry
    source_code = code(liik, label, CONTACT_LIST, f"{path}/liik_tekstina", notes)
    if source_code:
        contact["code"] = source_code
    return contact


def _activity(native: Native, path: str, notes: Notes) -> Activity | None:
    activity: Activity = {}
    emtak = code(
        native.get("emtak_kood"),
        native.get("emtak_tekstina"),
        EMTAK_LIST,
        f"{path}/emtak_tekstina",
        notes,
    )
    codes: list[Code] = []
    if emtak:
        if native.get("emtak_versioon"):
            emtak["listVersionID"] = native["emtak_versioon"]
        codes.append(emtak)
    elif native.get("emtak_versioon"):
        notes.not_carried(f"{path}/emtak_versioon", "a version without an EMTAK code")
    if native.get("nace_kood"):
        codes.append({"code": native["nace_kood"], "listURI": NACE_LIST})
    if codes:
        activity["codes"] = codes
    if "on_pohitegevusala" in native:
        activity["primary"] = boolean(native["on_pohitegevusala"])
    when = period(native.get("algus_kpv"), native.get("lopp_kpv"), path, notes)
    if when:
        activity["period"] = when
    return activity or None


def entity_to_native(entity: LegalEntity, ctx: Context) -> Native:
    """The ``ettevotjad/item`` for ``entity``; ConnectorError if a required element has none."""
    item: Native = _identifiers_to_native(entity.get("identifiers", []), ctx)
    item["nimi"] = legal_name(entity.get("legalNames", []), "legalNames", ctx.notes, required=True)
    general = _general_to_native(entity, ctx)
    if general:
        item["yldandmed"] = general
    persons = persons_to_native(entity, ctx)
    if persons:
        item["isikuandmed"] = persons
    for key in ("personType", "alternativeNames", "statusDate", "foundingDate"):
        if key in entity:
            ctx.notes.not_carried(key)
    return item


def _identifiers_to_native(ids: list[Identifier], ctx: Context) -> Native:
    native: Native = {}
    for ident in ids:
        scheme, notation = ident["scheme"], ident["notation"]
        element = _ID_ELEMENTS.get(scheme)
        if element is None or element in native:
            ctx.notes.not_carried(f"identifiers.{scheme}", "another scheme, or a second one")
            continue
        if scheme == "ee.registrikood":
            checked = checked_identifier(scheme, notation, "identifiers", **id_options(ctx))
            notation = checked["notation"]
        elif scheme == ENTERPRISE_ID and not notation.isdigit():
            raise ConnectorError(f"identifiers: {ENTERPRISE_ID} must be digits (ettevotja_id)")
        native[element] = notation
        identifier_extras(ident, "identifiers", ctx.notes)
    for element, scheme in (
        ("ariregistri_kood", "ee.registrikood"),
        ("ettevotja_id", ENTERPRISE_ID),
    ):
        if element not in native:
            raise ConnectorError(
                f"identifiers: detailandmed_v2 needs {element}, and the entity has no {scheme}"
            )
    return native


def _general_to_native(entity: LegalEntity, ctx: Context) -> Native:
    notes = ctx.notes
    general: Native = {}
    put(
        general,
        "esmaregistreerimise_kpv",
        xsd_date(entity.get("registrationDate"), "registrationDate", notes),
    )
    put(
        general,
        "kustutamise_kpv",
        xsd_date(entity.get("dissolutionDate"), "dissolutionDate", notes),
    )
    status, status_name = code_parts(entity.get("status"), STATUS_LIST, "status", notes)
    put(general, "staatus", status)
    put(general, "staatus_tekstina", status_name)
    form, form_name = code_parts(entity.get("legalForm"), LEGAL_FORM_LIST, "legalForm", notes)
    put(general, "oiguslik_vorm", form)
    put(general, "oiguslik_vorm_tekstina", form_name)
    addresses = [
        native
        for address in entity.get("addresses", [])
        if (native := _role_address_to_native(address, notes))
    ]
    put_items(general, "aadressid", addresses)
    contacts = [
        native
        for contact in entity.get("contactPoints", [])
        if (native := _contact_to_native(contact, notes))
    ]
    put_items(general, "sidevahendid", contacts)
    activities = [_activity_to_native(a, notes) for a in entity.get("activities", [])]
    put_items(general, "teatatud_tegevusalad", [a for a in activities if a])
    return general


def _role_address_to_native(address: RoleAddress, notes: Notes) -> Native | None:
    if address["role"] != "registered":
        notes.not_carried("addresses", "an address that is not the registered one")
        return None
    if "roleCode" in address:
        notes.not_carried("addresses.roleCode")
    native = address_to_native(address["address"], ENTITY_ADDRESS, "addresses.address", notes)
    period_to_native(native, address.get("period"), "addresses.period", notes)
    return native


def _contact_to_native(contact: ContactPoint, notes: Notes) -> Native | None:
    liik, name = code_parts(contact.get("code"), CONTACT_LIST, "contactPoints.code", notes)
    if liik is None:
        liik = _CONTACT_CODES.get(contact["channel"])
    elif _CHANNELS.get(liik, "other") != contact["channel"]:
        notes.not_carried("contactPoints.channel", "it disagrees with the register's code")
    if liik is None:
        notes.not_carried("contactPoints", "a channel the register has no code for")
        return None
    native: Native = {"liik": liik, "sisu": contact["value"]}
    put(native, "liik_tekstina", name)
    return native


def _activity_to_native(activity: Activity, notes: Notes) -> Native | None:
    native: Native = {}
    for item in activity.get("codes", []):
        element = _CODE_ELEMENTS.get(item.get("listURI", ""))
        if element is None or element in native:
            notes.not_carried("activities.codes", "another classification, or a second code")
            continue
        native[element] = item["code"]
        if element == "nace_kood":
            for extra in ("name", "listVersionID"):
                if extra in item:
                    notes.not_carried(f"activities.codes.{extra}", "NACE code labels and versions")
            continue
        put(native, "emtak_tekstina", item.get("name"))
        version = item.get("listVersionID")
        if version is not None and not version.isdigit():
            notes.not_carried("activities.codes.listVersionID", "not a year (emtak_versioon)")
            version = None
        put(native, "emtak_versioon", version)
    if "primary" in activity:
        native["on_pohitegevusala"] = "true" if activity["primary"] else "false"
    period_to_native(native, activity.get("period"), "activities.period", notes)
    for key in ("description", "newlyPerformed"):
        if key in activity:
            notes.not_carried(f"activities.{key}")
    if not native:
        notes.not_carried("activities", "an activity with nothing the register carries")
    return native or None
