"""PersonQuery <-> XMeld ``datenabruf.freieSuche.suchanfrage.1332`` (pure mapping).

Usage::

    query = query_from_xmeld(read(root), notes, lenient=False)
    root = query_to_xmeld(query, notes, lenient=False)

Carried: the Identifikationsmerkmal (IdNr, ``de.steuer-idnr``) or the search data (family
name, given names, birth date, gender, a German address), the requested fields
(Anforderungselement), the search area (Suchbereich: Bundesland, Kreis, AGS, ARS), the
purpose, file number and the requesting authority. Everything else is a note; what XMeld
requires and the query lacks (purpose, the authority's name, a search area) is a
ConnectorError naming the canonical field.
"""

from __future__ import annotations

import re

from lxml import etree

from connectors.canonical import Address, Authority, Code, Identifier, PersonQuery
from connectors.identifiers import InvalidIdentifierError, validate
from connectors.xoev.xmeld.header import (
    new_message,
    read_building,
    read_contacts,
    read_header,
    write_building,
    write_contacts,
)
from connectors.xoev.xmeld.tree import Node, code_node, code_value, qualified, unqualified
from connectors.xoev.xmeld.values import (
    GENDER_CODES,
    GENDER_LIST_VERSION,
    Notes,
    codes_to_fields,
    fields_to_codes,
    gender_of,
    read_date,
    text,
    write_date,
)
from gateway.errors import ConnectorError

__all__ = ["QUERY", "QUERY_TYPE", "query_from_xmeld", "query_to_xmeld"]

QUERY = "datenabruf.freieSuche.suchanfrage.1332"
QUERY_TYPE = "1332"
_IDNR = "de.steuer-idnr"
_REGION_BY_LENGTH = {2: "bundesland", 5: "kreis", 8: "gemeindeschluessel", 12: "regionalschluessel"}
_DIGITS = re.compile(r"[0-9]+")
_SEARCH_ADDRESS_NOT_CARRIED = (
    "fullAddress", "thoroughfareNames", "thoroughfareCode", "locatorDesignators", "locatorName",
    "addressArea", "postNames", "municipalityCode", "adminUnitL2", "poBox", "addressId",
)  # fmt: skip


# --- decode -----------------------------------------------------------------------------------


def query_from_xmeld(root: Node, notes: Notes, *, lenient: bool) -> PersonQuery:
    query: PersonQuery = {}
    profile = root.get("suchprofil")
    assert profile is not None  # the schema requires it
    idnr = profile.text_of("identifikationsmerkmal")
    if idnr is not None:
        query["identifiers"] = [_identifier(idnr, "suchprofil/identifikationsmerkmal", lenient)]
    selection = profile.get("auswahldaten")
    if selection is not None:
        _read_selection(selection, query, notes)
    _read_control(root.get("steuerungsinformationen"), query, notes)
    _read_requester(root, query, notes)
    return query


def _identifier(raw: str, element: str, lenient: bool) -> Identifier:
    try:
        checked = validate(_IDNR, raw, lenient=lenient)
        return {"notation": checked.notation, "scheme": checked.scheme}
    except InvalidIdentifierError as exc:
        raise ConnectorError(f"XMeld: {element}: {exc.args[0] if exc.args else exc}") from exc


def _read_selection(node: Node, query: PersonQuery, notes: Notes) -> None:
    names = node.path("name", "name", "nachnameUndVornamen")
    if names is not None:
        family = names.path("nachname", "name")
        if family is not None and family.text:
            query["familyName"] = family.text
        else:
            notes.add("suchprofil: nachname 'nichtVorhanden' has no canonical form")
        given = names.path("vornamen", "name")
        if given is not None and given.text:
            query["givenNames"] = given.text.split(" ")
        elif names.get("vornamen") is not None:
            notes.add("suchprofil: vornamen 'nichtVorhanden' has no canonical form")
    date = node.path("geburtsdaten", "geburtstag", "geburtsdatum", "geburtsdatum")
    if date is not None:
        birth = read_date(date, "suchprofil/geburtsdaten", notes)
        if birth:
            query["birthDate"] = birth
    gender = node.path("geschlecht", "code")
    if gender is not None and gender.text:
        value = gender_of(gender.text, "suchprofil/geschlecht", notes)
        if value:
            query["gender"] = value  # type: ignore[typeddict-item]
    inland = node.path("wohnung", "anschrift", "anschrift.inland")
    if inland is not None:
        query["address"] = _read_search_address(inland)


def _read_search_address(node: Node) -> Address:
    address: Address = {}
    for key, tag in (("postCode", "postleitzahl"), ("thoroughfare", "strasse"),
                     ("postName", "wohnort")):  # fmt: skip
        value = node.text_of(tag)
        if value:
            address[key] = value  # type: ignore[literal-required]
    number = node.path("hausnummerOderHausnummernbereich", "hausnummer")
    if number is not None and number.text:
        address["locatorDesignator"] = number.text
    address["adminUnitL1"] = "DE"  # anschrift.inland: a German address
    return address


def _read_control(node: Node | None, query: PersonQuery, notes: Notes) -> None:
    assert node is not None  # the schema requires it
    codes = [c.text_of("code") or "" for c in node.all("anforderungselement")]
    fields = codes_to_fields(codes, notes)
    if fields:
        query["fields"] = fields
    area = node.get("suchbereich")
    assert area is not None
    regions: list[Code] = [code_value(n) for n in area.items]
    if regions:
        query["searchArea"] = regions
    if node.get("verzichtAufMitteilung") is not None:
        notes.not_carried("steuerungsinformationen/verzichtAufMitteilung")


def _read_requester(root: Node, query: PersonQuery, notes: Notes) -> None:
    sender = read_header(root, notes)
    stelle = root.get("datenAbrufendeStelle")
    assert stelle is not None
    for tag, key in (("aktenzeichen", "reference"), ("anlassDesAbrufs", "purpose")):
        value = stelle.text_of(tag)
        if value:
            query[key] = value  # type: ignore[literal-required]
    if stelle.text_of("sicherheitsbehoerde") in ("true", "1"):
        notes.not_carried("datenAbrufendeStelle/sicherheitsbehoerde (true)")
    if stelle.get("kennung") is not None:
        notes.not_carried("datenAbrufendeStelle/kennung")
    allowed = stelle.get("abrufberechtigteStelle")
    assert allowed is not None
    requester: Authority = {}
    for key in ("prefix", "code"):
        if key in sender:
            requester[key] = sender[key]  # type: ignore[literal-required]
    requester["name"] = allowed.text_of("behoerdenname") or ""
    if sender.get("name", requester["name"]) != requester["name"]:
        notes.not_carried("nachrichtenkopf.g2g/autor/name", "differs from behoerdenname")
    building = allowed.get("anschrift")
    address = read_building(building) if building is not None else {}
    _prefer(requester, "address", address, sender.get("address"), notes)
    points = read_contacts(allowed.all("erreichbarkeit"), notes)
    _prefer(requester, "contactPoints", points, sender.get("contactPoints"), notes)
    query["requester"] = requester


def _prefer(requester: Authority, key: str, own: object, header: object, notes: Notes) -> None:
    if own:
        requester[key] = own  # type: ignore[literal-required]
    elif header:
        requester[key] = header  # type: ignore[literal-required]
        return
    if header and header != own:
        notes.not_carried(f"nachrichtenkopf.g2g/autor {key}", "differs from abrufberechtigteStelle")


# --- encode -----------------------------------------------------------------------------------


def query_to_xmeld(query: PersonQuery, notes: Notes, *, lenient: bool) -> etree._Element:
    requester = query.get("requester", {})
    root = new_message(QUERY, QUERY_TYPE, requester, notes)
    if "address" in requester:
        write_building(root, "anschrift.autor", requester["address"], "requester.address",
                       Notes(), is_qualified=False)  # fmt: skip
    _write_requester(root, query, requester, notes)
    _write_profile(qualified(root, "suchprofil"), query, notes, lenient)
    _write_control(qualified(root, "steuerungsinformationen"), query, notes)
    if "includeDeceased" in query:
        notes.not_carried("includeDeceased", "an XMeld Datenabruf has no such switch")
    return root


def _write_requester(root: etree._Element, query: PersonQuery, requester: Authority,
                     notes: Notes) -> None:  # fmt: skip
    if "name" not in requester:
        raise ConnectorError(
            "requester.name: XMeld needs the requesting authority's name "
            "(datenAbrufendeStelle/abrufberechtigteStelle/behoerdenname)"
        )
    if "purpose" not in query:
        raise ConnectorError("purpose: XMeld needs the reason for the query (anlassDesAbrufs)")
    for key in ("prefix", "code"):
        extra = set(requester.get(key, {})) - {"code"}  # type: ignore[call-overload]
        if extra:
            notes.not_carried(f"requester.{key}.{sorted(extra)[0]}")
    if "prefix" in requester and "code" not in requester:
        notes.not_carried("requester.prefix", "without requester.code there is no DVDV key")
    stelle = qualified(root, "datenAbrufendeStelle")
    qualified(stelle, "sicherheitsbehoerde", "false")
    notes.add("datenAbrufendeStelle/sicherheitsbehoerde: not in the canonical query; sent as "
              "false (no security-authority privileges claimed)")  # fmt: skip
    allowed = qualified(stelle, "abrufberechtigteStelle")
    write_contacts(allowed, requester.get("contactPoints", []), "requester.contactPoints", notes)
    if "address" in requester:
        write_building(allowed, "anschrift", requester["address"], "requester.address", notes,
                       is_qualified=True)  # fmt: skip
    qualified(allowed, "behoerdenname", text("requester.name", requester["name"]))
    if "reference" in query:
        qualified(stelle, "aktenzeichen", text("reference", query["reference"]))
    qualified(stelle, "anlassDesAbrufs", text("purpose", query["purpose"]))


def _write_profile(profile: etree._Element, query: PersonQuery, notes: Notes,
                   lenient: bool) -> None:  # fmt: skip
    idnrs = [(i, x) for i, x in enumerate(query.get("identifiers", [])) if x["scheme"] == _IDNR]
    for i, other in enumerate(query.get("identifiers", [])):
        if other["scheme"] != _IDNR:
            notes.not_carried(f"identifiers[{i}] ({other['scheme']})", "XMeld searches by IdNr")
    if len(idnrs) > 1:
        raise ConnectorError(f"identifiers[{idnrs[1][0]}]: an XMeld Datenabruf searches one "
                             "Identifikationsmerkmal; send one query per IdNr")  # fmt: skip
    if idnrs:
        index, idnr = idnrs[0]
        notation = _identifier(idnr["notation"], f"identifiers[{index}]", lenient)["notation"]
        for key in sorted(set(idnr) - {"notation", "scheme"}):
            notes.not_carried(f"identifiers[{index}].{key}", "implied by the scheme")
        qualified(profile, "identifikationsmerkmal", notation)
        for key in ("familyName", "namePrefix", "givenNames", "birthDate", "gender", "address"):
            if key in query:
                notes.not_carried(key, "the query searches by Identifikationsmerkmal")
        return
    if "familyName" not in query:
        raise ConnectorError("familyName: an XMeld Datenabruf needs an IdNr (de.steuer-idnr) "
                             "or a family name to search for")  # fmt: skip
    _write_selection(qualified(profile, "auswahldaten"), query, notes)


def _write_selection(node: etree._Element, query: PersonQuery, notes: Notes) -> None:
    names = qualified(qualified(qualified(node, "name"), "name"), "nachnameUndVornamen")
    if "givenNames" in query:
        given = text("givenNames", " ".join(query["givenNames"]))
        unqualified(qualified(names, "vornamen"), "name", given)
    family = text("familyName", query["familyName"])
    if "namePrefix" in query:
        family = f"{text('namePrefix', query['namePrefix'])} {family}"
        notes.add("namePrefix: sent as part of the nachname (XMeld searches the whole family "
                  "name); it comes back inside familyName")  # fmt: skip
    unqualified(qualified(names, "nachname"), "name", family)
    if "address" in query:
        _write_search_address(node, query["address"], notes)
    if "birthDate" in query:
        date = qualified(qualified(qualified(node, "geburtsdaten"), "geburtstag"), "geburtsdatum")
        write_date(qualified(date, "geburtsdatum"), query["birthDate"])
    if "gender" in query:
        code = GENDER_CODES.get(query["gender"])
        if code is None:
            notes.not_carried("gender", f"{query['gender']!r} has no XMeld code")
        else:
            code_node(node, "geschlecht", {"code": code, "listVersionID": GENDER_LIST_VERSION},
                      is_qualified=True)  # fmt: skip


def _write_search_address(node: etree._Element, address: Address, notes: Notes) -> None:
    if address.get("adminUnitL1", "DE") != "DE":
        raise ConnectorError("address.adminUnitL1: an XMeld Datenabruf searches German "
                             "addresses only")  # fmt: skip
    if "adminUnitL1" not in address:
        notes.add("address: no country; searched as a German address")
    inland = qualified(qualified(qualified(node, "wohnung"), "anschrift"), "anschrift.inland")
    post_code = address.get("postCode")
    if post_code is not None:
        if not _DIGITS.fullmatch(post_code.replace(" ", "")):
            raise ConnectorError("address.postCode: not a German postleitzahl (digits only)")
        unqualified(inland, "postleitzahl", post_code)
    for key, tag in (("thoroughfare", "strasse"), ("postName", "wohnort")):
        if key in address:
            unqualified(inland, tag, text(f"address.{key}", address[key]))  # type: ignore[literal-required]
    number = address.get("locatorDesignator")
    if number is not None and _DIGITS.fullmatch(number):
        unqualified(unqualified(inland, "hausnummerOderHausnummernbereich"), "hausnummer", number)
    elif number is not None:
        notes.not_carried("address.locatorDesignator", "the search takes a plain house number")
    for key in _SEARCH_ADDRESS_NOT_CARRIED:
        if key in address:
            notes.not_carried(f"address.{key}", "not a search criterion of XMeld")


def _write_control(node: etree._Element, query: PersonQuery, notes: Notes) -> None:
    for code in fields_to_codes(query.get("fields"), notes):
        code_node(node, "anforderungselement", {"code": code}, is_qualified=True)
    regions = list(query.get("searchArea", []))
    if "municipalityCode" in query:
        regions.append(query["municipalityCode"])
        notes.add("municipalityCode: sent as suchbereich/gemeindeschluessel; comes back as a "
                  "searchArea item")  # fmt: skip
    if not regions:
        raise ConnectorError("searchArea: an XMeld Datenabruf needs a Suchbereich (a Bundesland, "
                             "Kreis, AGS or ARS in searchArea or municipalityCode)")  # fmt: skip
    area = qualified(node, "suchbereich")
    count = len(query.get("searchArea", []))
    for i, region in enumerate(regions):
        field = f"searchArea[{i}]" if i < count else "municipalityCode"
        level = _REGION_BY_LENGTH.get(len(region["code"]))
        if level is None or not _DIGITS.fullmatch(region["code"]):
            raise ConnectorError(f"{field}: not a Destatis region key (2, 5, 8 or 12 digits)")
        if "name" in region:
            text(f"{field}.name", region["name"])
        code_node(area, level, region, is_qualified=True)
