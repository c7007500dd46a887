"""Canonical TradeNotification -> XGewerbeanzeige 2.x message (one record per message).

Each canonical object is written by one function that names the keys it consumes; any other
key becomes a note ("not carried by XGewerbeanzeige"). A field the message requires and the
document lacks is a ConnectorError naming both (never invented); a text String.Latin cannot
carry is a ConnectorError naming the field (never a '?').

The message is written as text, element after element, byte for byte as lxml's
``tostring(tree, xml_declaration=True, encoding="UTF-8")`` writes the same tree: the
``xga`` prefix, attributes in the order written, ``<xga:x/>`` for an element with nothing
in it and lxml's references (``_escaped``, ``_attribute``). That costs a fraction of
building the tree with ``SubElement``; the connector parses the bytes once for the schema
check.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

from connectors.codes import CodeTable
from connectors.xoev.xgewerbeanzeige import latin, tables
from connectors.xoev.xgewerbeanzeige._read import Notes
from gateway.errors import ConnectorError

__all__ = ["Header", "write_message"]

Doc = dict[str, Any]

_KINDS = {"registration": "anmeldung", "change": "ummeldung", "deregistration": "abmeldung"}
_REGISTER = re.compile(r"(?:(?P<court>\S+) )?(?P<kind>HRA|HRB|GnR|PR|VR|GsR) (?P<number>.+)")
_MINUTES = re.compile(r"(T\d\d:\d\d)(?=$|Z|[+-])")
_FULL_DATE = re.compile(r"\d{4}-\d\d-\d\d")
_DECLARATION = "<?xml version='1.0' encoding='UTF-8'?>\n"
# The characters XML 1.0 cannot hold that a Python str can (lone surrogates aside).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class Header:
    """What the header of an encoded message says about itself (not in the canonical model)."""

    message_id: str
    created: str
    product: str = "xgw"
    vendor: str = "xgw"
    product_version: str | None = None


def write_message(doc: Doc, version: str, root_name: str, header: Header) -> tuple[bytes, Notes]:
    """The message's UTF-8 bytes with their XML declaration, and the notes."""
    writer = _Writer(version)
    return writer.message(doc, root_name, header), writer.notes


def _escaped(text: str) -> str:
    """Text content as lxml writes it: &, <, > and carriage return as references."""
    if not (text.isascii() and text.isprintable()):  # most are: nothing to check
        _refuse_non_xml(text)
    if "&" in text or "<" in text or ">" in text or "\r" in text:
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return text.replace("\r", "&#13;")
    return text


def _attribute(value: str) -> str:
    """An attribute value as lxml writes it: also '"', tab and line feed as references."""
    value = _escaped(value)
    if '"' in value or "\t" in value or "\n" in value:
        return value.replace('"', "&quot;").replace("\t", "&#9;").replace("\n", "&#10;")
    return value


def _refuse_non_xml(text: str) -> None:
    """The errors lxml's tree API raises for a text XML cannot hold, at the same point."""
    text.encode()  # UnicodeEncodeError for a lone surrogate, as lxml encodes first
    if _NOT_XML.search(text):
        raise ValueError(
            "All strings must be XML compatible: Unicode or ASCII, no NULL bytes or control "
            "characters"
        )


def _with_seconds(time: str) -> str:
    """A date-time without seconds gets ":00" (the schema's xs:dateTime needs them)."""
    # search first: most have seconds, and sub with a template costs ~7 times as much
    return _MINUTES.sub(r"\1:00", time) if _MINUTES.search(time) else time


@functools.cache
def _list_attributes(table: CodeTable) -> str:
    """listURI and listVersionID of a code converted with ``table``, as written."""
    written = f' listURI="{_attribute(table.list_uri)}"' if table.list_uri else ""
    if table.list_version:
        written += f' listVersionID="{_attribute(table.list_version)}"'
    return written


@functools.cache
def _janein_code(value: str) -> str:
    code = tables.JANEIN.map("value", "code", value)
    assert code is not None
    return code


class _Writer:
    def __init__(self, version: str) -> None:
        self.version = version
        self.notes = Notes()
        self.parts: list[str] = [_DECLARATION]
        # The elements started and not yet ended: name, and len(parts) right after the start.
        self.open: list[tuple[str, int]] = []

    # --- output ---------------------------------------------------------------------------

    def start(self, name: str, attributes: str = "") -> None:
        self.parts.append(f"<xga:{name}{attributes}>")
        self.open.append((name, len(self.parts)))

    def end(self) -> None:
        """Ends the innermost element; one with nothing in it is written ``<xga:name/>``."""
        name, mark = self.open.pop()
        if len(self.parts) == mark:
            self.parts[-1] = self.parts[-1][:-1] + "/>"
        else:
            self.parts.append(f"</xga:{name}>")

    def drop(self) -> None:
        """Takes back the innermost element and all that was written into it."""
        _, mark = self.open.pop()
        del self.parts[mark - 1 :]

    def is_empty(self) -> bool:
        """Whether nothing was written into the innermost element yet."""
        return len(self.parts) == self.open[-1][1]

    def leaf(self, name: str, value: str) -> None:
        self.parts.append(f"<xga:{name}>{_escaped(value)}</xga:{name}>")

    # --- helpers --------------------------------------------------------------------------

    def text(self, name: str, value: str, field: str) -> None:
        self.leaf(name, latin.carry(f"{field} ({name})", value))

    def code(self, name: str, code: Doc) -> None:
        attributes = ""
        for attribute in ("listURI", "listVersionID"):
            if attribute in code:
                attributes += f' {attribute}="{_attribute(code[attribute])}"'
        content = f"<code>{_escaped(code['code'])}</code>"
        if "name" in code:
            content += f"<name>{_escaped(code['name'])}</name>"
        self.parts.append(f"<xga:{name}{attributes}>{content}</xga:{name}>")

    def table_code(self, name: str, code: str, table: CodeTable) -> None:
        self.parts.append(
            f"<xga:{name}{_list_attributes(table)}><code>{_escaped(code)}</code></xga:{name}>"
        )

    def flag(self, name: str, value: bool) -> None:
        self.table_code(name, _janein_code("true" if value else "false"), tables.JANEIN)

    def rest(self, obj: Doc, handled: set[str], path: str) -> None:
        for key in obj:
            if key not in handled:
                self.notes.add(f"{path}.{key}: not carried by XGewerbeanzeige")

    @staticmethod
    def need(obj: Doc, key: str, path: str, element: str) -> Any:
        if key not in obj:
            raise ConnectorError(f"{path}.{key}: missing; XGewerbeanzeige requires {element}")
        return obj[key]

    @staticmethod
    def full_date(value: str, path: str, element: str) -> str:
        if not _FULL_DATE.fullmatch(value):
            raise ConnectorError(f"{path}: {element} needs a full date, the document has {value!r}")
        return value

    # --- message, header, record ----------------------------------------------------------

    def message(self, doc: Doc, root_name: str, header: Header) -> bytes:
        kind = _KINDS[doc["notificationType"]]
        attributes = {"produkt": header.product, "produkthersteller": header.vendor}
        if header.product_version:
            attributes["produktversion"] = header.product_version
        attributes.update(standard="XGewerbeanzeige", version=self.version)
        namespace = f"http://www.xgewerbeanzeige.de/spezifikation/{self.version}"
        self.start(root_name, f' xmlns:xga="{_attribute(namespace)}"' + "".join(
            f' {name}="{_attribute(value)}"' for name, value in attributes.items()
        ))  # fmt: skip
        author = self.need(doc, "author", "$", "the authority that writes it (autor)")
        self.header(doc, author, root_name, header)
        self.start("satz")
        self.start(kind)
        self.record(doc, author, kind)
        self.end()
        self.end()
        self.rest(doc, _RECORD_KEYS, "$")
        self.end()
        return "".join(self.parts).encode()

    def header(self, doc: Doc, author: Doc, root_name: str, header: Header) -> None:
        self.start("nachrichtenkopf")
        self.start("identifikation.nachricht")
        self.leaf("nachrichtenUUID", header.message_id)
        self.code("nachrichtentyp", {"code": root_name[-4:]})
        self.leaf("erstellungszeitpunkt", header.created)
        self.end()
        recipient = self.need(
            doc, "recipient", "$", "the reading authority (nachrichtenkopf/leser)"
        )
        self.start("leser")
        self.authority(recipient, "$.recipient")
        self.end()
        self.start("autor")
        self.authority(author, "$.author")
        self.end()
        self.end()

    def record(self, doc: Doc, author: Doc, kind: str) -> None:
        created = self.need(doc, "created", "$", "satzErstellung")
        self.leaf("satzErstellung", _with_seconds(created))
        if "eventTime" in doc:
            self.leaf("ereigniszeitpunkt", _with_seconds(doc["eventTime"]))
        self.start("autor")
        self.authority(author, "$.author", note=False)
        self.end()
        self.flag("istKorrektur", self.need(doc, "isCorrection", "$", "istKorrektur"))
        self.code("gemeindeSchluessel",
                  self.need(doc, "municipalityCode", "$", "gemeindeSchluessel"))  # fmt: skip
        reference = self.need(doc, "municipalityReference", "$", "gemeindeMeldungNr")
        self.text("gemeindeMeldungNr", reference, "$.municipalityReference")
        self.leaf("gewerbebetriebID", self.need(doc, "tradeId", "$", "gewerbebetriebID"))
        self.leaf("uuid", self.need(doc, "id", "$", "uuid"))
        self.start("gewerbe")
        self.gewerbe(doc)
        self.end()
        for key, element in (("effectiveDate", "gueltigAb"), ("notificationDate", "datumMeldung")):
            value = self.need(doc, key, "$", element)
            self.leaf(element, self.full_date(value, f"$.{key}", element))
        self.start("taetigkeitenGesamt")
        self.activities(doc)
        self.end()
        self.reasons(doc, kind)

    # --- authorities, contacts, addresses -------------------------------------------------

    def authority(self, doc: Doc, path: str, *, note: bool = True) -> None:
        self.start("behoerdenkennung")
        self.code("praefix", self.need(doc, "prefix", path, "behoerdenkennung/praefix"))
        self.code("kennung", self.need(doc, "code", path, "behoerdenkennung/kennung"))
        self.end()
        for i, contact in enumerate(doc.get("contactPoints", ())):
            self.contact(contact, f"{path}.contactPoints[{i}]")
        if "address" in doc:
            self.address(doc["address"], f"{path}.address", authority=True)
        name = self.need(doc, "name", path, "behoerdenname")
        self.text("behoerdenname", name, f"{path}.name")
        if note:
            self.rest(doc, {"prefix", "code", "contactPoints", "address", "name"}, path)

    def contact(self, doc: Doc, path: str) -> None:
        code = doc.get("code")
        if code is not None:
            if tables.ERREICHBARKEIT.map("code", "channel", code["code"]) != doc["channel"]:
                self.notes.add(f"{path}.channel: written as the kanal code {code['code']!r} only")
        else:
            value = tables.ERREICHBARKEIT.map("channel", "code", doc["channel"])
            if value is None:
                self.notes.add(f"{path}: channel {doc['channel']!r} has no XÖV code; not carried")
                return
            code = {"code": value, "listURI": tables.ERREICHBARKEIT.list_uri or "",
                    "listVersionID": tables.ERREICHBARKEIT.list_version or ""}  # fmt: skip
        self.start("erreichbarkeit")
        self.code("kanal", code)
        self.text("kennung", doc["value"], f"{path}.value")
        self.end()

    def address(self, doc: Doc, path: str, *, authority: bool = False) -> None:
        if "postName" not in doc or "postCode" not in doc:
            self.notes.add(
                f"{path}: without postName and postCode (ort, plz) the address is not carried"
            )
            return
        self.start("anschrift")
        handled = {"thoroughfare", "locatorDesignator", "postName", "postCode"}
        if "thoroughfare" in doc:
            self.text("strasse", doc["thoroughfare"], f"{path}.thoroughfare")
        if authority:
            if "locatorDesignator" in doc:
                self.text("hausNr", doc["locatorDesignator"], f"{path}.locatorDesignator")
        else:
            handled |= self.full_address_parts(doc, path)
        self.text("ort", doc["postName"], f"{path}.postName")
        if not authority and "addressArea" in doc:
            # ortsteil comes between ort and plz
            self.text("ortsteil", doc["addressArea"], f"{path}.addressArea")
            handled.add("addressArea")
        self.text("plz", doc["postCode"], f"{path}.postCode")
        if not authority and "adminUnitL1" in doc:
            self.nation(doc["adminUnitL1"], f"{path}.adminUnitL1")
            handled.add("adminUnitL1")
        self.end()
        self.rest(doc, handled, path)

    def full_address_parts(self, doc: Doc, path: str) -> set[str]:
        handled = {"locatorName"}
        if "thoroughfareCode" in doc:
            code = doc["thoroughfareCode"]
            self.text("strassenschluessel", code["code"], f"{path}.thoroughfareCode")
            self.rest(code, {"code"}, f"{path}.thoroughfareCode")
            handled.add("thoroughfareCode")
        number_from, number_to = self.house_numbers(doc, path)
        if number_from is not None:
            self.text("hausNrVon", number_from, f"{path}.locatorDesignator")
        if number_to is not None:
            self.text("hausNrBis", number_to, f"{path}.locatorDesignators")
        handled.add("locatorDesignators")
        if "locatorName" in doc:
            self.text("anschriftZusatz", doc["locatorName"], f"{path}.locatorName")
        return handled

    def house_numbers(self, doc: Doc, path: str) -> tuple[str | None, str | None]:
        parts = doc.get("locatorDesignators", [])
        to = [p["designator"] for p in parts if p["type"] == "addressNumberTo"]
        if not to:
            if parts:
                self.notes.add(
                    f"{path}.locatorDesignators: written as one house number (hausNrVon)"
                )
            single = doc.get("locatorDesignator")
            return single or ("".join(p["designator"] for p in parts) or None), None
        if len(to) > 1:
            self.notes.add(f"{path}.locatorDesignators: only the first addressNumberTo is carried")
        start = "".join(p["designator"] for p in parts if p["type"] != "addressNumberTo")
        return start or None, to[0]

    def nation(self, country: str, path: str) -> None:
        numeric = tables.ISO3166.map("alpha2", "numeric", country)
        if numeric is None:
            self.notes.add(f"{path}: {country!r} has no ISO 3166-1 numeric code; not carried")
            return
        if self.version == "2.2":
            self.code("nationSchluessel",
                      {"code": numeric, "listVersionID": tables.NATION_LIST_VERSION})  # fmt: skip
        else:
            self.leaf("nationSchluessel", numeric)
            self.leaf("natSchluesselVerzeichnis", tables.NAT_VERZEICHNIS)

    # --- the trade ------------------------------------------------------------------------

    def gewerbe(self, doc: Doc) -> None:
        business = doc.get("business", {})
        self.start("betrieb")
        self.business(business, doc)
        self.end()
        for key, name in (("fullTimeEmployees", "anzahlVollzeitBeschaeftigte"),
                          ("partTimeEmployees", "anzahlTeilzeitBeschaeftigte")):  # fmt: skip
            self.leaf(name, str(self.need(doc, key, "$", name)))
        if "sectors" in doc:
            self.start("betriebArt")
            for name, sector in _SECTORS:
                self.flag(name, sector in doc["sectors"])
            self.end()
        self.code("niederlassungArt",
                  self.need(doc, "establishmentType", "$", "niederlassungArt"))  # fmt: skip
        self.flag("istReisegewerbe", self.need(doc, "itinerant", "$", "istReisegewerbe"))
        self.flag("istNebenerwerb", self.need(doc, "sideline", "$", "istNebenerwerb"))
        if "craftCard" in doc:
            self.permit("handwerkskarte", doc["craftCard"], "$.craftCard")
        if "establishmentAddress" in doc:
            self.address(doc["establishmentAddress"], "$.establishmentAddress")
        for i, contact in enumerate(doc.get("contactPoints", ())):
            self.contact(contact, f"$.contactPoints[{i}]")
        self.head_office(doc, business)
        for i, participant in enumerate(doc.get("persons", ())):
            self.start("beteiligtePerson")
            self.participant(participant, f"$.persons[{i}]")
            self.end()
        if "publicSectorShare" in doc:
            self.code("beteiligungOeffentlicheHand", doc["publicSectorShare"])

    def head_office(self, doc: Doc, business: Doc) -> None:
        contacts = business.get("contactPoints", ())
        if "headOfficeAddress" not in doc:
            if contacts:
                self.notes.add(
                    "$.business.contactPoints: written only with a head office address "
                    "(hauptniederlassung); not carried"
                )
            return
        self.start("hauptniederlassung")
        self.address(doc["headOfficeAddress"], "$.headOfficeAddress")
        if self.is_empty():
            self.drop()
            return
        for i, contact in enumerate(contacts):
            self.contact(contact, f"$.business.contactPoints[{i}]")
        self.end()

    def business(self, doc: Doc, record: Doc) -> None:
        path = "$.business"
        if self.version != "2.0":
            self.leaf("ID", "1")
        names = doc.get("legalNames", [])
        if names:
            chosen = next((n for n in names if n["lang"] == "de"), names[0])
            self.text("eingetragenerName", chosen["text"], f"{path}.legalNames")
            if len(names) > 1:
                self.notes.add(f"{path}.legalNames: only the {chosen['lang']!r} name is carried")
        alternatives = doc.get("alternativeNames", [])
        if alternatives:
            self.text("geschaeftsbezeichnung", alternatives[0]["text"],
                      f"{path}.alternativeNames")  # fmt: skip
            if len(alternatives) > 1:
                self.notes.add(f"{path}.alternativeNames: only the first one is carried")
        self.register_entry(doc.get("identifiers", []), record, path)
        form = self.need(doc, "legalForm", path, "rechtsformSchluessel")
        self.code("rechtsformSchluessel", form)
        derived = tables.RECHTSFORM.map("code", "personType", form["code"])
        if "personType" in doc and doc["personType"] != derived:
            self.notes.add(f"{path}.personType: not carried (derived from rechtsformSchluessel)")
        self.rest(doc, _BUSINESS_KEYS, path)

    def register_entry(self, identifiers: list[Doc], record: Doc, path: str) -> None:
        written = False
        for i, identifier in enumerate(identifiers):
            here = f"{path}.identifiers[{i}]"
            if written or not self.register_identifier(identifier, record, here):
                self.notes.add(f"{here}: not carried (one register entry per business)")
            else:
                written = True

    def register_identifier(self, identifier: Doc, record: Doc, path: str) -> bool:
        scheme, notation = identifier["scheme"], identifier["notation"]
        if scheme == "de.handelsregister":
            match = _REGISTER.fullmatch(notation)
            kind = match and tables.EINTRAGUNGSART.map("register", "code", match["kind"])
            if match is None or kind is None:
                return False
            if match["court"]:
                self.notes.add(f"{path}.notation: court code {match['court']!r} not carried")
            number, art = match["number"], kind
        elif scheme in tables.FOREIGN_REGISTERS.values():
            number, art = notation, None
            office = record.get("headOfficeAddress", {}).get("adminUnitL1")
            if identifier.get("issuer") != office or tables.FOREIGN_REGISTERS.get(office) != scheme:
                self.notes.add(
                    f"{path}: the register ({scheme}) is only recognised again with a head "
                    "office address in its country"
                )
        else:
            return False
        self.text("eintragungNr", number, f"{path}.notation")
        if "schemeAgency" in identifier:
            self.text("eintragungOrt", identifier["schemeAgency"], f"{path}.schemeAgency")
        if art is not None:
            self.table_code("eintragungArt", art, tables.EINTRAGUNGSART)
            if "schemeAgencyCode" in identifier:
                self.code("gerichtSchluessel", identifier["schemeAgencyCode"])
        elif "schemeAgencyCode" in identifier:
            self.notes.add(f"{path}.schemeAgencyCode: a German court key only; not carried")
        self.rest(identifier, {"notation", "scheme", "issuer", "schemeAgency",
                               "schemeAgencyCode"}, path)  # fmt: skip
        return True

    def permit(self, name: str, doc: Doc, path: str) -> None:
        if "status" not in doc:
            self.notes.add(f"{path}: without status the {name} is not carried")
            return
        self.start(name)
        self.code("status", doc["status"])
        handled = {"status", "issuerName", "issuerPostCode", "issuerPostName", "issuerCode"}
        if "issued" in doc:
            if _FULL_DATE.fullmatch(doc["issued"]):
                self.leaf("ausgestelltAm", doc["issued"])
                handled.add("issued")
        for key, element_name in _PERMIT_TEXT:
            if key in doc:
                self.text(element_name, doc[key], f"{path}.{key}")
        if "issuerCode" in doc:
            self.code("ausgestelltVonSchluessel", doc["issuerCode"])
        self.end()
        self.rest(doc, handled, path)

    # --- persons --------------------------------------------------------------------------

    def participant(self, doc: Doc, path: str) -> None:
        self.code("personFunktion", self.need(doc, "role", path, "personFunktion"))
        person = doc["person"]
        here = f"{path}.person"
        name = self.need(person, "name", here, "familienname and vorname")
        self.name(name, person, f"{here}.name")
        self.birth(person, here)
        if "nationalities" in person:
            self.nationalities(person["nationalities"], f"{here}.nationalities")
        if "residenceAddress" in person:
            self.address(person["residenceAddress"], f"{here}.residenceAddress")
        for i, contact in enumerate(person.get("contactPoints", ())):
            self.contact(contact, f"{here}.contactPoints[{i}]")
        if "residencePermit" in doc:
            self.permit("aufenthaltstitel", doc["residencePermit"], f"{path}.residencePermit")
        self.rest(person, _PERSON_KEYS, here)

    def name(self, name: Doc, person: Doc, path: str) -> None:
        if "title" in name:
            self.text("doktorgrad", name["title"], f"{path}.title")
        family = self.need(name, "familyName", path, "familienname")
        if "namePrefix" in name:
            family = f"{name['namePrefix']} {family}"
            self.notes.add(f"{path}.namePrefix: written as part of familienname")
        self.text("familienname", family, f"{path}.familyName")
        given = self.need(name, "givenNames", path, "vorname")
        if len(given) > 1:
            self.notes.add(f"{path}.givenNames: written as one text (vorname)")
        self.text("vorname", " ".join(given), f"{path}.givenNames")
        gender = self.need(person, "gender", path.rsplit(".", 1)[0], "geschlecht")
        code = tables.GESCHLECHT.map("gender", "code", gender)
        if code is None:
            raise ConnectorError(
                f"{path.rsplit('.', 1)[0]}.gender: {gender!r} has no code in xgw's table "
                "de-xgewerbeanzeige-geschlecht; XGewerbeanzeige requires geschlecht"
            )
        self.table_code("geschlecht", code, tables.GESCHLECHT)
        if "birthName" in name:
            birth = name["birthName"]
            if "birthNamePrefix" in name:
                birth = f"{name['birthNamePrefix']} {birth}"
                self.notes.add(f"{path}.birthNamePrefix: written as part of geburtsname")
            self.text("geburtsname", birth, f"{path}.birthName")
        self.rest(name, {"title", "familyName", "namePrefix", "givenNames", "birthName",
                         "birthNamePrefix"}, path)  # fmt: skip

    def birth(self, person: Doc, path: str) -> None:
        if "birthDate" in person:
            parts = person["birthDate"].split("-")
            day, month = [*parts, "00", "00"][2:0:-1]
            self.leaf("geburtsdatum", f"{day}{month}{parts[0]}")
        place = person.get("birthPlace", {})
        if "name" in place:
            self.text("geburtsort", place["name"], f"{path}.birthPlace.name")
        country = place.get("countryName")
        if country is None and "country" in place:
            row = tables.DESTATIS.row("alpha2", place["country"])
            country = row["name"] if row else None
            if country is None:
                self.notes.add(f"{path}.birthPlace.country: no German name known; not carried")
        elif "country" in place:
            self.notes.add(f"{path}.birthPlace.country: written as countryName only")
        if country is not None:
            self.text("geburtsland", country, f"{path}.birthPlace")
        self.rest(place, {"name", "country", "countryName"}, f"{path}.birthPlace")

    def nationalities(self, countries: list[str], path: str) -> None:
        self.start("staatangehoerigkeiten")
        for i, country in enumerate(countries):
            key = tables.DESTATIS.map("alpha2", "destatis", country)
            if key is None:
                self.notes.add(f"{path}[{i}]: {country!r} has no Destatis key; not carried")
                continue
            self.code("staatsangehoerigkeitSchluessel",
                      {"code": key, "listURI": tables.NATIONALITY_LIST_URI,
                       "listVersionID": tables.NATIONALITY_LIST_VERSION})  # fmt: skip
        if self.is_empty():
            self.drop()
        else:
            self.end()

    # --- activities, reasons --------------------------------------------------------------

    def activities(self, doc: Doc) -> None:
        activities = doc.get("activities", [])
        primary = next((i for i, a in enumerate(activities) if a.get("primary")), None)
        if primary is None:
            raise ConnectorError(
                "$.activities: no activity with primary true; XGewerbeanzeige requires the "
                "main activity (taetigkeitenGesamt/schwerpunkt)"
            )
        self.start("schwerpunkt")
        path = f"$.activities[{primary}]"
        activity = activities[primary]
        description = self.need(activity, "description", path, "taetigkeitSchwerpunkt")
        self.text("taetigkeitSchwerpunkt", description, f"{path}.description")
        if not self.wz_code(activity, path):
            raise ConnectorError(f"{path}.codes: no WZ 2008 code; XGewerbeanzeige requires one")
        if "newlyPerformed" in activity:
            self.flag("neuAusgeuebt", activity["newlyPerformed"])
        self.end()
        self.rest(activity, {"description", "codes", "primary", "newlyPerformed"}, path)
        others = [(i, a) for i, a in enumerate(activities) if i != primary]
        if others or "activitiesSummary" in doc:
            self.start("weitereTaetigkeiten")
            self.further(doc, others)
            self.end()

    def further(self, doc: Doc, others: list[tuple[int, Doc]]) -> None:
        summary = doc.get("activitiesSummary")
        if summary is None:
            if not all("description" in a for _, a in others):
                raise ConnectorError(
                    "$.activitiesSummary: missing; XGewerbeanzeige requires "
                    "taetigkeitenZusammengefasst with further activities"
                )
            summary = "|".join(a["description"] for _, a in others)
            self.notes.add("$.activitiesSummary: written as the activities' descriptions, '|'")
        self.text("taetigkeitenZusammengefasst", summary, "$.activitiesSummary")
        for i, activity in others:
            path = f"$.activities[{i}]"
            self.start("taetigkeit")
            if "description" in activity:
                self.text("taetigkeitEinzeln", activity["description"], f"{path}.description")
            if not self.wz_code(activity, path):
                self.drop()
                self.notes.add(f"{path}: without a WZ 2008 code not carried")
                continue
            self.end()
            self.rest(activity, {"description", "codes", "primary"}, path)

    def wz_code(self, activity: Doc, path: str) -> bool:
        found = False
        for j, code in enumerate(activity.get("codes", ())):
            if found or code.get("listURI") != tables.WZ_LIST_URI:
                self.notes.add(f"{path}.codes[{j}]: only one WZ 2008 code is carried")
                continue
            self.leaf("taetigkeitSchluessel", code["code"])
            if "name" in code:
                self.text("stichwort", code["name"], f"{path}.codes[{j}].name")
            self.rest(code, {"code", "listURI", "name"}, f"{path}.codes[{j}]")
            found = True
        return found

    def reasons(self, doc: Doc, kind: str) -> None:
        reasons = list(enumerate(doc.get("reasons", [])))
        if not reasons:
            raise ConnectorError("$.reasons: missing; XGewerbeanzeige requires the reason")
        if kind == "ummeldung":
            if "successor" in doc:
                self.notes.add("$.successor: carried in deregistrations only")
            self.start("gruendeUmmeldung")
            for _, reason in reasons:
                self.code("grundUmmeldungSchluessel", reason)
            self.end()
            return
        cause = None
        if kind == "abmeldung":
            cause_list = tables.REASON_LISTS["ursacheAbmeldungSchluessel"]
            cause = next((r for r in reasons if r[1].get("listURI") == cause_list), None)
            if cause is None and len(reasons) > 1 and "listURI" not in reasons[1][1]:
                cause = reasons[1]
            reasons = [r for r in reasons if r is not cause]
            self.successor(doc)
        elif "successor" in doc:
            self.notes.add("$.successor: carried in deregistrations only")
        element = "grundAnmeldungSchluessel" if kind == "anmeldung" else "grundAbmeldungSchluessel"
        self.code(element, reasons[0][1])
        for i, _ in reasons[1:]:
            self.notes.add(f"$.reasons[{i}]: not carried (one reason per {kind})")
        if cause is not None:
            self.code("ursacheAbmeldungSchluessel", cause[1])

    def successor(self, doc: Doc) -> None:
        if "successor" not in doc:
            return
        successor = doc["successor"]
        self.start("kuenftigesGewerbe")
        names = successor.get("legalNames", [])
        if names:
            self.text("nameFirmaGewerbetreibender", names[0]["text"], "$.successor.legalNames")
            if len(names) > 1:
                self.notes.add("$.successor.legalNames: only the first name is carried")
        addresses = successor.get("addresses", [])
        if addresses:
            self.address(addresses[0]["address"], "$.successor.addresses[0].address")
            self.rest(addresses[0], {"role", "address"}, "$.successor.addresses[0]")
            if len(addresses) > 1:
                self.notes.add("$.successor.addresses: only the first address is carried")
        self.end()
        self.rest(successor, {"legalNames", "addresses"}, "$.successor")


_SECTORS = (("industrie", "industry"), ("handwerk", "craft"), ("handel", "trade"),
            ("sonstiges", "other"))  # fmt: skip
_PERMIT_TEXT = (("issuerName", "ausgestelltVonName"), ("issuerPostCode", "ausgestelltVonPLZ"),
                ("issuerPostName", "ausgestelltVonOrt"))  # fmt: skip
_RECORD_KEYS = {
    "notificationType", "id", "isCorrection", "created", "eventTime", "notificationDate",
    "effectiveDate", "author", "recipient", "municipalityCode", "municipalityReference",
    "tradeId", "business", "persons", "establishmentAddress", "establishmentType",
    "headOfficeAddress", "contactPoints", "sectors", "fullTimeEmployees", "partTimeEmployees",
    "itinerant", "sideline", "publicSectorShare", "craftCard", "activities", "activitiesSummary",
    "reasons", "successor",
}  # fmt: skip
_BUSINESS_KEYS = {"identifiers", "personType", "legalNames", "alternativeNames", "legalForm",
                  "contactPoints"}  # fmt: skip
_PERSON_KEYS = {"name", "gender", "birthDate", "birthPlace", "nationalities", "residenceAddress",
                "contactPoints"}  # fmt: skip
