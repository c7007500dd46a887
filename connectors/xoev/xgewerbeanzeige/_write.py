"""Canonical TradeNotification -> XGewerbeanzeige 2.x tree (one record per message).

Each canonical object is written by one function that names the keys it consumes; any other
key becomes a note ("not carried by XGewerbeanzeige"). A field the message requires and the
document lacks is a ConnectorError naming both (never invented); a text String.Latin cannot
carry is a ConnectorError naming the field (never a '?').
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from lxml import etree

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


@dataclass(frozen=True)
class Header:
    """What the header of an encoded message says about itself (not in the canonical model)."""

    message_id: str
    created: str
    product: str = "xgw"
    vendor: str = "xgw"
    product_version: str | None = None


def write_message(
    doc: Doc, version: str, root_name: str, header: Header
) -> tuple[etree._Element, Notes]:
    writer = _Writer(version)
    return writer.message(doc, root_name, header), writer.notes


# Parsed QNames per version and local name, shared by every message: a parsed QName makes
# SubElement about a quarter faster, and making one costs about as much as it saves.
_QNAMES: dict[str, dict[str, etree.QName]] = {}


class _Writer:
    def __init__(self, version: str) -> None:
        self.version = version
        self.ns = f"{{http://www.xgewerbeanzeige.de/spezifikation/{version}}}"
        self.notes = Notes()
        self._tags = _QNAMES.setdefault(version, {})

    # --- helpers --------------------------------------------------------------------------

    def el(self, parent: etree._Element, name: str) -> etree._Element:
        tag = self._tags.get(name)
        if tag is None:
            tag = self._tags[name] = etree.QName(self.ns + name)
        return etree.SubElement(parent, tag)

    def text(self, parent: etree._Element, name: str, value: str, field: str) -> None:
        self.el(parent, name).text = latin.carry(f"{field} ({name})", value)

    def code(self, parent: etree._Element, name: str, code: Doc) -> None:
        element = self.el(parent, name)
        for attribute in ("listURI", "listVersionID"):
            if attribute in code:
                element.set(attribute, code[attribute])
        etree.SubElement(element, "code").text = code["code"]
        if "name" in code:
            etree.SubElement(element, "name").text = code["name"]

    def table_code(self, parent: etree._Element, name: str, code: str, table: CodeTable) -> None:
        element = self.el(parent, name)
        if table.list_uri:
            element.set("listURI", table.list_uri)
        if table.list_version:
            element.set("listVersionID", table.list_version)
        etree.SubElement(element, "code").text = code

    def flag(self, parent: etree._Element, name: str, value: bool) -> None:
        code = tables.JANEIN.map("value", "code", "true" if value else "false")
        assert code is not None
        self.table_code(parent, name, code, tables.JANEIN)

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

    def message(self, doc: Doc, root_name: str, header: Header) -> etree._Element:
        kind = _KINDS[doc["notificationType"]]
        root = etree.Element(self.ns + root_name, nsmap={"xga": self.ns[1:-1]})
        attributes = {"produkt": header.product, "produkthersteller": header.vendor}
        if header.product_version:
            attributes["produktversion"] = header.product_version
        attributes.update(standard="XGewerbeanzeige", version=self.version)
        for name, value in attributes.items():
            root.set(name, value)
        author = self.need(doc, "author", "$", "the authority that writes it (autor)")
        self.header(root, doc, author, root_name, header)
        record = self.el(self.el(root, "satz"), kind)
        self.record(record, doc, author, kind)
        self.rest(doc, _RECORD_KEYS, "$")
        return root

    def header(
        self, root: etree._Element, doc: Doc, author: Doc, root_name: str, header: Header
    ) -> None:
        head = self.el(root, "nachrichtenkopf")
        ident = self.el(head, "identifikation.nachricht")
        self.el(ident, "nachrichtenUUID").text = header.message_id
        etree.SubElement(self.el(ident, "nachrichtentyp"), "code").text = root_name[-4:]
        self.el(ident, "erstellungszeitpunkt").text = header.created
        recipient = self.need(
            doc, "recipient", "$", "the reading authority (nachrichtenkopf/leser)"
        )
        self.authority(self.el(head, "leser"), recipient, "$.recipient")
        self.authority(self.el(head, "autor"), author, "$.author")

    def record(self, record: etree._Element, doc: Doc, author: Doc, kind: str) -> None:
        created = self.need(doc, "created", "$", "satzErstellung")
        self.el(record, "satzErstellung").text = _MINUTES.sub(r"\1:00", created)
        if "eventTime" in doc:
            self.el(record, "ereigniszeitpunkt").text = _MINUTES.sub(r"\1:00", doc["eventTime"])
        self.authority(self.el(record, "autor"), author, "$.author", note=False)
        self.flag(record, "istKorrektur", self.need(doc, "isCorrection", "$", "istKorrektur"))
        self.code(record, "gemeindeSchluessel",
                  self.need(doc, "municipalityCode", "$", "gemeindeSchluessel"))  # fmt: skip
        reference = self.need(doc, "municipalityReference", "$", "gemeindeMeldungNr")
        self.text(record, "gemeindeMeldungNr", reference, "$.municipalityReference")
        self.el(record, "gewerbebetriebID").text = self.need(
            doc, "tradeId", "$", "gewerbebetriebID"
        )
        self.el(record, "uuid").text = self.need(doc, "id", "$", "uuid")
        self.gewerbe(self.el(record, "gewerbe"), doc)
        for key, element in (("effectiveDate", "gueltigAb"), ("notificationDate", "datumMeldung")):
            value = self.need(doc, key, "$", element)
            self.el(record, element).text = self.full_date(value, f"$.{key}", element)
        self.activities(self.el(record, "taetigkeitenGesamt"), doc)
        self.reasons(record, doc, kind)

    # --- authorities, contacts, addresses -------------------------------------------------

    def authority(self, element: etree._Element, doc: Doc, path: str, *, note: bool = True) -> None:
        ids = self.el(element, "behoerdenkennung")
        self.code(ids, "praefix", self.need(doc, "prefix", path, "behoerdenkennung/praefix"))
        self.code(ids, "kennung", self.need(doc, "code", path, "behoerdenkennung/kennung"))
        for i, contact in enumerate(doc.get("contactPoints", ())):
            self.contact(element, contact, f"{path}.contactPoints[{i}]")
        if "address" in doc:
            self.address(element, doc["address"], f"{path}.address", authority=True)
        name = self.need(doc, "name", path, "behoerdenname")
        self.text(element, "behoerdenname", name, f"{path}.name")
        if note:
            self.rest(doc, {"prefix", "code", "contactPoints", "address", "name"}, path)

    def contact(self, parent: etree._Element, doc: Doc, path: str) -> None:
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
        element = self.el(parent, "erreichbarkeit")
        self.code(element, "kanal", code)
        self.text(element, "kennung", doc["value"], f"{path}.value")

    def address(
        self, parent: etree._Element, doc: Doc, path: str, *, authority: bool = False
    ) -> None:
        if "postName" not in doc or "postCode" not in doc:
            self.notes.add(
                f"{path}: without postName and postCode (ort, plz) the address is not carried"
            )
            return
        element = self.el(parent, "anschrift")
        handled = {"thoroughfare", "locatorDesignator", "postName", "postCode"}
        if "thoroughfare" in doc:
            self.text(element, "strasse", doc["thoroughfare"], f"{path}.thoroughfare")
        if authority:
            if "locatorDesignator" in doc:
                self.text(element, "hausNr", doc["locatorDesignator"], f"{path}.locatorDesignator")
        else:
            handled |= self.full_address_parts(element, doc, path)
        self.text(element, "ort", doc["postName"], f"{path}.postName")
        if not authority and "addressArea" in doc:
            # ortsteil comes between ort and plz
            self.text(element, "ortsteil", doc["addressArea"], f"{path}.addressArea")
            handled.add("addressArea")
        self.text(element, "plz", doc["postCode"], f"{path}.postCode")
        if not authority and "adminUnitL1" in doc:
            self.nation(element, doc["adminUnitL1"], f"{path}.adminUnitL1")
            handled.add("adminUnitL1")
        self.rest(doc, handled, path)

    def full_address_parts(self, element: etree._Element, doc: Doc, path: str) -> set[str]:
        handled = {"locatorName"}
        if "thoroughfareCode" in doc:
            code = doc["thoroughfareCode"]
            self.text(element, "strassenschluessel", code["code"], f"{path}.thoroughfareCode")
            self.rest(code, {"code"}, f"{path}.thoroughfareCode")
            handled.add("thoroughfareCode")
        number_from, number_to = self.house_numbers(doc, path)
        if number_from is not None:
            self.text(element, "hausNrVon", number_from, f"{path}.locatorDesignator")
        if number_to is not None:
            self.text(element, "hausNrBis", number_to, f"{path}.locatorDesignators")
        handled.add("locatorDesignators")
        if "locatorName" in doc:
            self.text(element, "anschriftZusatz", doc["locatorName"], f"{path}.locatorName")
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

    def nation(self, element: etree._Element, country: str, path: str) -> None:
        numeric = tables.ISO3166.map("alpha2", "numeric", country)
        if numeric is None:
            self.notes.add(f"{path}: {country!r} has no ISO 3166-1 numeric code; not carried")
            return
        if self.version == "2.2":
            self.code(element, "nationSchluessel",
                      {"code": numeric, "listVersionID": tables.NATION_LIST_VERSION})  # fmt: skip
        else:
            self.el(element, "nationSchluessel").text = numeric
            self.el(element, "natSchluesselVerzeichnis").text = tables.NAT_VERZEICHNIS

    # --- the trade ------------------------------------------------------------------------

    def gewerbe(self, element: etree._Element, doc: Doc) -> None:
        business = doc.get("business", {})
        self.business(self.el(element, "betrieb"), business, doc)
        for key, name in (("fullTimeEmployees", "anzahlVollzeitBeschaeftigte"),
                          ("partTimeEmployees", "anzahlTeilzeitBeschaeftigte")):  # fmt: skip
            self.el(element, name).text = str(self.need(doc, key, "$", name))
        if "sectors" in doc:
            kinds = self.el(element, "betriebArt")
            for name, sector in _SECTORS:
                self.flag(kinds, name, sector in doc["sectors"])
        self.code(element, "niederlassungArt",
                  self.need(doc, "establishmentType", "$", "niederlassungArt"))  # fmt: skip
        self.flag(element, "istReisegewerbe", self.need(doc, "itinerant", "$", "istReisegewerbe"))
        self.flag(element, "istNebenerwerb", self.need(doc, "sideline", "$", "istNebenerwerb"))
        if "craftCard" in doc:
            self.permit(element, "handwerkskarte", doc["craftCard"], "$.craftCard")
        if "establishmentAddress" in doc:
            self.address(element, doc["establishmentAddress"], "$.establishmentAddress")
        for i, contact in enumerate(doc.get("contactPoints", ())):
            self.contact(element, contact, f"$.contactPoints[{i}]")
        self.head_office(element, doc, business)
        for i, participant in enumerate(doc.get("persons", ())):
            self.participant(self.el(element, "beteiligtePerson"), participant, f"$.persons[{i}]")
        if "publicSectorShare" in doc:
            self.code(element, "beteiligungOeffentlicheHand", doc["publicSectorShare"])

    def head_office(self, element: etree._Element, doc: Doc, business: Doc) -> None:
        contacts = business.get("contactPoints", ())
        if "headOfficeAddress" not in doc:
            if contacts:
                self.notes.add(
                    "$.business.contactPoints: written only with a head office address "
                    "(hauptniederlassung); not carried"
                )
            return
        office = self.el(element, "hauptniederlassung")
        self.address(office, doc["headOfficeAddress"], "$.headOfficeAddress")
        if not len(office):
            element.remove(office)
            return
        for i, contact in enumerate(contacts):
            self.contact(office, contact, f"$.business.contactPoints[{i}]")

    def business(self, element: etree._Element, doc: Doc, record: Doc) -> None:
        path = "$.business"
        if self.version != "2.0":
            self.el(element, "ID").text = "1"
        names = doc.get("legalNames", [])
        if names:
            chosen = next((n for n in names if n["lang"] == "de"), names[0])
            self.text(element, "eingetragenerName", chosen["text"], f"{path}.legalNames")
            if len(names) > 1:
                self.notes.add(f"{path}.legalNames: only the {chosen['lang']!r} name is carried")
        alternatives = doc.get("alternativeNames", [])
        if alternatives:
            self.text(element, "geschaeftsbezeichnung", alternatives[0]["text"],
                      f"{path}.alternativeNames")  # fmt: skip
            if len(alternatives) > 1:
                self.notes.add(f"{path}.alternativeNames: only the first one is carried")
        self.register_entry(element, doc.get("identifiers", []), record, path)
        form = self.need(doc, "legalForm", path, "rechtsformSchluessel")
        self.code(element, "rechtsformSchluessel", form)
        derived = tables.RECHTSFORM.map("code", "personType", form["code"])
        if "personType" in doc and doc["personType"] != derived:
            self.notes.add(f"{path}.personType: not carried (derived from rechtsformSchluessel)")
        self.rest(doc, _BUSINESS_KEYS, path)

    def register_entry(
        self, element: etree._Element, identifiers: list[Doc], record: Doc, path: str
    ) -> None:
        written = False
        for i, identifier in enumerate(identifiers):
            here = f"{path}.identifiers[{i}]"
            if written or not self.register_identifier(element, identifier, record, here):
                self.notes.add(f"{here}: not carried (one register entry per business)")
            else:
                written = True

    def register_identifier(
        self, element: etree._Element, identifier: Doc, record: Doc, path: str
    ) -> bool:
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
        self.text(element, "eintragungNr", number, f"{path}.notation")
        if "schemeAgency" in identifier:
            self.text(element, "eintragungOrt", identifier["schemeAgency"], f"{path}.schemeAgency")
        if art is not None:
            self.table_code(element, "eintragungArt", art, tables.EINTRAGUNGSART)
            if "schemeAgencyCode" in identifier:
                self.code(element, "gerichtSchluessel", identifier["schemeAgencyCode"])
        elif "schemeAgencyCode" in identifier:
            self.notes.add(f"{path}.schemeAgencyCode: a German court key only; not carried")
        self.rest(identifier, {"notation", "scheme", "issuer", "schemeAgency",
                               "schemeAgencyCode"}, path)  # fmt: skip
        return True

    def permit(self, parent: etree._Element, name: str, doc: Doc, path: str) -> None:
        if "status" not in doc:
            self.notes.add(f"{path}: without status the {name} is not carried")
            return
        element = self.el(parent, name)
        self.code(element, "status", doc["status"])
        handled = {"status", "issuerName", "issuerPostCode", "issuerPostName", "issuerCode"}
        if "issued" in doc:
            if _FULL_DATE.fullmatch(doc["issued"]):
                self.el(element, "ausgestelltAm").text = doc["issued"]
                handled.add("issued")
        for key, element_name in _PERMIT_TEXT:
            if key in doc:
                self.text(element, element_name, doc[key], f"{path}.{key}")
        if "issuerCode" in doc:
            self.code(element, "ausgestelltVonSchluessel", doc["issuerCode"])
        self.rest(doc, handled, path)

    # --- persons --------------------------------------------------------------------------

    def participant(self, element: etree._Element, doc: Doc, path: str) -> None:
        self.code(element, "personFunktion", self.need(doc, "role", path, "personFunktion"))
        person = doc["person"]
        here = f"{path}.person"
        name = self.need(person, "name", here, "familienname and vorname")
        self.name(element, name, person, f"{here}.name")
        self.birth(element, person, here)
        if "nationalities" in person:
            self.nationalities(self.el(element, "staatangehoerigkeiten"), person["nationalities"],
                               f"{here}.nationalities")  # fmt: skip
        if "residenceAddress" in person:
            self.address(element, person["residenceAddress"], f"{here}.residenceAddress")
        for i, contact in enumerate(person.get("contactPoints", ())):
            self.contact(element, contact, f"{here}.contactPoints[{i}]")
        if "residencePermit" in doc:
            self.permit(element, "aufenthaltstitel", doc["residencePermit"],
                        f"{path}.residencePermit")  # fmt: skip
        self.rest(person, _PERSON_KEYS, here)

    def name(self, element: etree._Element, name: Doc, person: Doc, path: str) -> None:
        if "title" in name:
            self.text(element, "doktorgrad", name["title"], f"{path}.title")
        family = self.need(name, "familyName", path, "familienname")
        if "namePrefix" in name:
            family = f"{name['namePrefix']} {family}"
            self.notes.add(f"{path}.namePrefix: written as part of familienname")
        self.text(element, "familienname", family, f"{path}.familyName")
        given = self.need(name, "givenNames", path, "vorname")
        if len(given) > 1:
            self.notes.add(f"{path}.givenNames: written as one text (vorname)")
        self.text(element, "vorname", " ".join(given), f"{path}.givenNames")
        gender = self.need(person, "gender", path.rsplit(".", 1)[0], "geschlecht")
        code = tables.GESCHLECHT.map("gender", "code", gender)
        if code is None:
            raise ConnectorError(
                f"{path.rsplit('.', 1)[0]}.gender: {gender!r} has no code in xgw's table "
                "de-xgewerbeanzeige-geschlecht; XGewerbeanzeige requires geschlecht"
            )
        self.table_code(element, "geschlecht", code, tables.GESCHLECHT)
        if "birthName" in name:
            birth = name["birthName"]
            if "birthNamePrefix" in name:
                birth = f"{name['birthNamePrefix']} {birth}"
                self.notes.add(f"{path}.birthNamePrefix: written as part of geburtsname")
            self.text(element, "geburtsname", birth, f"{path}.birthName")
        self.rest(name, {"title", "familyName", "namePrefix", "givenNames", "birthName",
                         "birthNamePrefix"}, path)  # fmt: skip

    def birth(self, element: etree._Element, person: Doc, path: str) -> None:
        if "birthDate" in person:
            parts = person["birthDate"].split("-")
            day, month = [*parts, "00", "00"][2:0:-1]
            self.el(element, "geburtsdatum").text = f"{day}{month}{parts[0]}"
        place = person.get("birthPlace", {})
        if "name" in place:
            self.text(element, "geburtsort", place["name"], f"{path}.birthPlace.name")
        country = place.get("countryName")
        if country is None and "country" in place:
            row = tables.DESTATIS.row("alpha2", place["country"])
            country = row["name"] if row else None
            if country is None:
                self.notes.add(f"{path}.birthPlace.country: no German name known; not carried")
        elif "country" in place:
            self.notes.add(f"{path}.birthPlace.country: written as countryName only")
        if country is not None:
            self.text(element, "geburtsland", country, f"{path}.birthPlace")
        self.rest(place, {"name", "country", "countryName"}, f"{path}.birthPlace")

    def nationalities(self, element: etree._Element, countries: list[str], path: str) -> None:
        for i, country in enumerate(countries):
            key = tables.DESTATIS.map("alpha2", "destatis", country)
            if key is None:
                self.notes.add(f"{path}[{i}]: {country!r} has no Destatis key; not carried")
                continue
            self.code(element, "staatsangehoerigkeitSchluessel",
                      {"code": key, "listURI": tables.NATIONALITY_LIST_URI,
                       "listVersionID": tables.NATIONALITY_LIST_VERSION})  # fmt: skip
        if not len(element):
            element.getparent().remove(element)  # type: ignore[union-attr]

    # --- activities, reasons --------------------------------------------------------------

    def activities(self, element: etree._Element, doc: Doc) -> None:
        activities = doc.get("activities", [])
        primary = next((i for i, a in enumerate(activities) if a.get("primary")), None)
        if primary is None:
            raise ConnectorError(
                "$.activities: no activity with primary true; XGewerbeanzeige requires the "
                "main activity (taetigkeitenGesamt/schwerpunkt)"
            )
        main = self.el(element, "schwerpunkt")
        path = f"$.activities[{primary}]"
        activity = activities[primary]
        description = self.need(activity, "description", path, "taetigkeitSchwerpunkt")
        self.text(main, "taetigkeitSchwerpunkt", description, f"{path}.description")
        if not self.wz_code(main, activity, path):
            raise ConnectorError(f"{path}.codes: no WZ 2008 code; XGewerbeanzeige requires one")
        if "newlyPerformed" in activity:
            self.flag(main, "neuAusgeuebt", activity["newlyPerformed"])
        self.rest(activity, {"description", "codes", "primary", "newlyPerformed"}, path)
        others = [(i, a) for i, a in enumerate(activities) if i != primary]
        if others or "activitiesSummary" in doc:
            self.further(self.el(element, "weitereTaetigkeiten"), doc, others)

    def further(self, element: etree._Element, doc: Doc, others: list[tuple[int, Doc]]) -> None:
        summary = doc.get("activitiesSummary")
        if summary is None:
            if not all("description" in a for _, a in others):
                raise ConnectorError(
                    "$.activitiesSummary: missing; XGewerbeanzeige requires "
                    "taetigkeitenZusammengefasst with further activities"
                )
            summary = "|".join(a["description"] for _, a in others)
            self.notes.add("$.activitiesSummary: written as the activities' descriptions, '|'")
        self.text(element, "taetigkeitenZusammengefasst", summary, "$.activitiesSummary")
        for i, activity in others:
            path = f"$.activities[{i}]"
            single = etree.Element(self.ns + "taetigkeit")
            if "description" in activity:
                self.text(
                    single, "taetigkeitEinzeln", activity["description"], f"{path}.description"
                )
            if self.wz_code(single, activity, path):
                element.append(single)
            else:
                self.notes.add(f"{path}: without a WZ 2008 code not carried")
                continue
            self.rest(activity, {"description", "codes", "primary"}, path)

    def wz_code(self, element: etree._Element, activity: Doc, path: str) -> bool:
        found = False
        for j, code in enumerate(activity.get("codes", ())):
            if found or code.get("listURI") != tables.WZ_LIST_URI:
                self.notes.add(f"{path}.codes[{j}]: only one WZ 2008 code is carried")
                continue
            self.el(element, "taetigkeitSchluessel").text = code["code"]
            if "name" in code:
                self.text(element, "stichwort", code["name"], f"{path}.codes[{j}].name")
            self.rest(code, {"code", "listURI", "name"}, f"{path}.codes[{j}]")
            found = True
        return found

    def reasons(self, record: etree._Element, doc: Doc, kind: str) -> None:
        reasons = list(enumerate(doc.get("reasons", [])))
        if not reasons:
            raise ConnectorError("$.reasons: missing; XGewerbeanzeige requires the reason")
        if kind == "ummeldung":
            if "successor" in doc:
                self.notes.add("$.successor: carried in deregistrations only")
            group = self.el(record, "gruendeUmmeldung")
            for _, reason in reasons:
                self.code(group, "grundUmmeldungSchluessel", reason)
            return
        cause = None
        if kind == "abmeldung":
            cause_list = tables.REASON_LISTS["ursacheAbmeldungSchluessel"]
            cause = next((r for r in reasons if r[1].get("listURI") == cause_list), None)
            if cause is None and len(reasons) > 1 and "listURI" not in reasons[1][1]:
                cause = reasons[1]
            reasons = [r for r in reasons if r is not cause]
            self.successor(record, doc)
        elif "successor" in doc:
            self.notes.add("$.successor: carried in deregistrations only")
        element = "grundAnmeldungSchluessel" if kind == "anmeldung" else "grundAbmeldungSchluessel"
        self.code(record, element, reasons[0][1])
        for i, _ in reasons[1:]:
            self.notes.add(f"$.reasons[{i}]: not carried (one reason per {kind})")
        if cause is not None:
            self.code(record, "ursacheAbmeldungSchluessel", cause[1])

    def successor(self, record: etree._Element, doc: Doc) -> None:
        if "successor" not in doc:
            return
        successor = doc["successor"]
        element = self.el(record, "kuenftigesGewerbe")
        names = successor.get("legalNames", [])
        if names:
            self.text(element, "nameFirmaGewerbetreibender", names[0]["text"],
                      "$.successor.legalNames")  # fmt: skip
            if len(names) > 1:
                self.notes.add("$.successor.legalNames: only the first name is carried")
        addresses = successor.get("addresses", [])
        if addresses:
            self.address(element, addresses[0]["address"], "$.successor.addresses[0].address")
            self.rest(addresses[0], {"role", "address"}, "$.successor.addresses[0]")
            if len(addresses) > 1:
                self.notes.add("$.successor.addresses: only the first address is carried")
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
