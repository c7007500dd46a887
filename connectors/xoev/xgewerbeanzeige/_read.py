"""XGewerbeanzeige 2.x tree -> canonical TradeNotification, in one pass over the tree.

Each element is visited once: every reader loops over its element's children and
dispatches on the local name (``_LOCAL``, by tag) through a table or a chain of names. A
child no reader knows (possible when an operator's official schema allows more than ours)
becomes a translation note, as does every value the canonical model cannot hold.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from lxml import etree

from connectors import identifiers
from connectors.codes import CodeTable
from connectors.xoev.xgewerbeanzeige import tables
from gateway.errors import ConnectorError

__all__ = ["Notes", "read_message"]

Doc = dict[str, Any]
_Handler = Callable[["_Reader", etree._Element, Doc, str], None]


class Notes:
    """Translation notes in the order found, each text once."""

    def __init__(self) -> None:
        self._texts: dict[str, None] = {}

    def add(self, text: str) -> None:
        self._texts.setdefault(text, None)

    def result(self) -> tuple[str, ...]:
        return tuple(self._texts)


class _LocalNames(dict[Any, str]):
    """Local name by tag ("{namespace}local"): one dict lookup per element for the tags seen
    before, instead of cutting every tag anew. Remembers the first 1000 tags (bounded
    whatever an operator's schema lets through)."""

    def __missing__(self, tag: Any) -> str:
        if not isinstance(tag, str):  # a comment or processing instruction
            return ""
        local = tag[tag.rfind("}") + 1 :]
        if len(self) < 1000:
            self[tag] = local
        return local


_LOCAL = _LocalNames()


def _token(element: etree._Element) -> str:
    return " ".join((element.text or "").split())


def read_message(root: etree._Element, version: str, *, lenient: bool = False) -> tuple[Doc, Notes]:
    """The canonical document of the one record (satz) of ``root``, and the notes."""
    reader = _Reader(lenient)
    return reader.message(root, version), reader.notes


class _Reader:
    def __init__(self, lenient: bool) -> None:
        self.lenient = lenient
        self.notes = Notes()

    # --- small readers --------------------------------------------------------------------

    def unknown(self, element: etree._Element, path: str) -> None:
        self.notes.add(f"{path}/{_LOCAL[element.tag]}: element not known to xgw, not carried")

    def each_child(
        self, element: etree._Element, handlers: dict[str, _Handler], doc: Doc, path: str
    ) -> None:
        """Every child through the handler of its local name (``unknown`` without one)."""
        for child in element:
            handler = handlers.get(_LOCAL[child.tag])
            if handler is None:
                self.unknown(child, path)
            else:
                handler(self, child, doc, path)

    def flag(self, element: etree._Element, path: str) -> bool:
        code = self.converted(element, path, tables.JANEIN)
        value = tables.JANEIN.map("code", "value", code)
        if value is None:
            raise ConnectorError(f"{path}: code {code!r} is not in the yes/no list (janein)")
        return value == "true"

    def converted(self, element: etree._Element, path: str, table: CodeTable) -> str:
        """The code of a Code element whose value becomes a canonical enum or boolean.

        The list it names and the label are not carried: a note says so when they differ
        from what xgw writes back (the table's list URI and version).
        """
        code = ""
        for child in element:
            if child.tag == "code":
                code = _token(child)
            elif child.tag == "name":
                self.notes.add(f"{path}/name: label of a converted code, not carried")
        for attribute, expected in (
            ("listURI", table.list_uri),
            ("listVersionID", table.list_version),
        ):
            value = element.get(attribute)
            if value is not None and value != expected:
                self.notes.add(
                    f"{path}/@{attribute}: {value!r} not carried; the code was converted with "
                    f"xgw's table {table.name} ({expected})"
                )
        return code

    def date(self, element: etree._Element, path: str) -> str:
        text = _token(element)
        if len(text) > 10:
            self.notes.add(f"{path}: time zone of the date not carried")
        return _checked_date(text[:10], path)

    # --- header and record ----------------------------------------------------------------

    def message(self, root: etree._Element, version: str) -> Doc:
        self._root_attributes(root)
        doc: Doc = {}
        recipient: Doc | None = None
        head_author: Doc | None = None
        records = 0
        for child in root:
            name = _LOCAL[child.tag]
            if name == "nachrichtenkopf":
                recipient, head_author = self.header(child)
            elif name == "satz":
                records += 1
                if records > 1:
                    raise ConnectorError(
                        "XGewerbeanzeige message with more than one record (satz): the "
                        "canonical TradeNotification is one notification; send one record "
                        "per message"
                    )
                doc = self.record(child)
            else:
                self.unknown(child, "")
        if recipient is not None:
            doc["recipient"] = recipient
        if head_author is not None and head_author != doc.get("author"):
            self.notes.add(
                "nachrichtenkopf/autor: differs from the record's autor; only the record's "
                "author is carried (an encoded message repeats it in the header)"
            )
        return doc

    def _root_attributes(self, root: etree._Element) -> None:
        if root.get("test") is not None:
            self.notes.add(
                f"@test: the message is marked as a test message (test={root.get('test')!r}); "
                "the canonical model has no test flag and an encoded message is not marked"
            )
        if any(root.get(a) for a in ("produkt", "produkthersteller", "produktversion")):
            self.notes.add(
                "@produkt, @produkthersteller, @produktversion: the sending product is not "
                "carried; an encoded message names xgw"
            )

    def header(self, element: etree._Element) -> tuple[Doc | None, Doc | None]:
        recipient = author = None
        for child in element:
            name = _LOCAL[child.tag]
            if name == "identifikation.nachricht":
                kind = next((_token(c[0]) for c in child if _LOCAL[c.tag] == "nachrichtentyp"), "")
                self.notes.add(
                    f"nachrichtenkopf/identifikation.nachricht: message id, type ({kind}) and "
                    "creation time are not carried; an encoded message gets its own"
                )
            elif name == "leser":
                recipient = self.authority(child, "nachrichtenkopf/leser")
            elif name == "autor":
                author = self.authority(child, "nachrichtenkopf/autor")
            else:
                self.unknown(child, "nachrichtenkopf")
        return recipient, author

    def record(self, satz: etree._Element) -> Doc:
        doc: Doc = {}
        for element in satz:
            name = _LOCAL[element.tag]
            kind = _NOTIFICATION_TYPES.get(name)
            if kind is None:
                self.unknown(element, "satz")
                continue
            doc["notificationType"] = kind
            self.each_child(element, _RECORD, doc, f"satz/{name}")
        return doc

    # --- authorities, contacts, addresses -------------------------------------------------

    def authority(self, element: etree._Element, path: str) -> Doc:
        doc: Doc = {}
        for child in element:
            name = _LOCAL[child.tag]
            if name == "behoerdenkennung":
                for part in child:
                    key = _AUTHORITY_CODES.get(_LOCAL[part.tag])
                    if key is None:
                        self.unknown(part, f"{path}/behoerdenkennung")
                    else:
                        doc[key] = _code(part)
            elif name == "erreichbarkeit":
                doc.setdefault("contactPoints", []).append(
                    self.contact(child, f"{path}/erreichbarkeit")
                )
            elif name == "anschrift":
                doc["address"] = self.address(child, f"{path}/anschrift")
            elif name == "behoerdenname" and (text := child.text):
                doc["name"] = text
            else:
                self.unknown(child, path)
        return doc

    def contact(self, element: etree._Element, path: str) -> Doc:
        doc: Doc = {}
        for child in element:
            name = _LOCAL[child.tag]
            if name == "kanal":
                code = _code(child)
                doc["channel"] = (
                    tables.ERREICHBARKEIT.map("code", "channel", code["code"]) or "other"
                )
                doc["code"] = code
            elif name == "kennung" and (text := child.text):
                doc["value"] = text
            else:
                self.unknown(child, path)
        return {"channel": doc["channel"], "value": doc["value"], "code": doc["code"]}

    def address(self, element: etree._Element, path: str) -> Doc:
        doc: Doc = {}
        number_from = number_to = None
        for child in element:
            name = _LOCAL[child.tag]
            key = _ADDRESS_TEXT.get(name)
            text = child.text
            if key is not None and text:
                doc[key] = text
            elif name in ("hausNrVon", "hausNr") and text:
                number_from = text
            elif name == "hausNrBis" and text:
                number_to = text
            elif name == "strassenschluessel" and text:
                doc["thoroughfareCode"] = {"code": text}
            elif name == "nationSchluessel":
                self.nation(child, doc, f"{path}/nationSchluessel")
            elif name == "natSchluesselVerzeichnis":
                if _token(child) != tables.NAT_VERZEICHNIS:
                    self.notes.add(
                        f"{path}/natSchluesselVerzeichnis: {_token(child)!r} not carried; "
                        f"encoded 2.0/2.1 messages state {tables.NAT_VERZEICHNIS}"
                    )
            else:
                self.unknown(child, path)
        if number_from is not None:
            doc["locatorDesignator"] = number_from
        if number_to is not None:
            designators = [{"designator": number_to, "type": "addressNumberTo"}]
            if number_from is not None:
                designators.insert(0, {"designator": number_from, "type": "addressNumber"})
                doc["locatorDesignator"] = f"{number_from}-{number_to}"
            doc["locatorDesignators"] = designators
        return _ordered(doc, _ADDRESS_ORDER)

    def nation(self, element: etree._Element, doc: Doc, path: str) -> None:
        if len(element):  # 2.2: a Code
            numeric = self.converted_nation(element, path)
        else:
            numeric = _token(element)
        alpha2 = tables.ISO3166.map("numeric", "alpha2", numeric)
        if alpha2 is None:
            self.notes.add(
                f"{path}: {numeric!r} is no ISO 3166-1 numeric code; country not carried"
            )
        else:
            doc["adminUnitL1"] = alpha2

    def converted_nation(self, element: etree._Element, path: str) -> str:
        code = ""
        for child in element:
            if child.tag == "code":
                code = _token(child)
            elif child.tag == "name":
                self.notes.add(f"{path}/name: label of a converted code, not carried")
        for attribute, expected in (
            ("listURI", None),
            ("listVersionID", tables.NATION_LIST_VERSION),
        ):
            value = element.get(attribute)
            if value is not None and value != expected:
                self.notes.add(
                    f"{path}/@{attribute}: {value!r} not carried; countries are written as "
                    f"ISO 3166-1 numeric codes, list version {tables.NATION_LIST_VERSION}"
                )
        return code

    # --- the trade ------------------------------------------------------------------------

    def gewerbe(self, element: etree._Element, doc: Doc, path: str) -> None:
        self.each_child(element, _GEWERBE, doc, path)
        register = doc.pop("_register", None)
        if register is not None:
            self.register_entry(register, doc, f"{path}/betrieb")

    def business(self, element: etree._Element, doc: Doc, path: str) -> None:
        entity: Doc = doc.setdefault("business", {})
        register: Doc = {}
        for child in element:
            name = _LOCAL[child.tag]
            if name == "ID":
                if _token(child) != "1":
                    self.notes.add(
                        f"{path}/ID: numbering of the business within the message "
                        f"({_token(child)}) not carried; encoded messages number it 1"
                    )
            elif name == "eingetragenerName" and (text := child.text):
                entity["legalNames"] = [{"lang": "de", "text": text}]
            elif name == "geschaeftsbezeichnung" and (text := child.text):
                entity["alternativeNames"] = [{"lang": "de", "text": text}]
            elif name in ("eintragungNr", "eintragungOrt", "eintragungArt", "gerichtSchluessel"):
                register[name] = child
            elif name == "eintragungPLZ":
                self.notes.add(f"{path}/eintragungPLZ: postal code of the register not carried")
            elif name == "rechtsformSchluessel":
                entity["legalForm"] = form = _code(child)
                person_type = tables.RECHTSFORM.map("code", "personType", form["code"])
                if person_type is not None:
                    entity["personType"] = person_type
            else:
                self.unknown(child, path)
        if register:
            doc["_register"] = register
        doc["business"] = _ordered(entity, _ENTITY_ORDER)

    def register_entry(self, register: Doc, doc: Doc, path: str) -> None:
        """eintragung* + gerichtSchluessel -> the business's register identifier."""
        number = register.get("eintragungNr")
        if number is None or not number.text:
            self.notes.add(f"{path}: register details without eintragungNr not carried")
            return
        identifier = self.register_identifier(register, number.text, doc, path)
        if identifier is None:
            return
        if (place := register.get("eintragungOrt")) is not None and place.text:
            identifier["schemeAgency"] = place.text
        if (court := register.get("gerichtSchluessel")) is not None:
            identifier["schemeAgencyCode"] = _code(court)
        doc["business"] = {"identifiers": [identifier], **doc["business"]}

    def register_identifier(self, register: Doc, number: str, doc: Doc, path: str) -> Doc | None:
        kind = register.get("eintragungArt")
        if kind is not None:
            code = self.converted(kind, f"{path}/eintragungArt", tables.EINTRAGUNGSART)
            prefix = tables.EINTRAGUNGSART.map("code", "register", code)
            if prefix is None:
                self.notes.add(
                    f"{path}/eintragungArt: code {code!r} is not in xgw's table; the register "
                    "entry (eintragungNr, eintragungOrt, gerichtSchluessel) is not carried"
                )
                return None
            raw = number if number.upper().startswith(prefix.upper()) else f"{prefix} {number}"
            return self.identifier("de.handelsregister", raw, f"{path}/eintragungNr", "DE")
        country = doc.get("headOfficeAddress", {}).get("adminUnitL1")
        scheme = tables.FOREIGN_REGISTERS.get(country or "")
        if scheme is None or "gerichtSchluessel" in register:
            self.notes.add(
                f"{path}/eintragungNr: a register number without eintragungArt whose register "
                "xgw cannot tell (no head office in a country it knows) is not carried"
            )
            return None
        return self.identifier(scheme, number, f"{path}/eintragungNr", country)

    def identifier(self, scheme: str, raw: str, path: str, issuer: str | None) -> Doc:
        checked = identifiers.validate(scheme, raw, lenient=self.lenient)
        for warning in checked.warnings:
            self.notes.add(f"{path}: {warning}")
        doc: Doc = {"notation": checked.notation, "scheme": scheme}
        if issuer:
            doc["issuer"] = issuer
        return doc

    def sectors(self, element: etree._Element, doc: Doc, path: str) -> None:
        sectors = []
        for child in element:
            name = _LOCAL[child.tag]
            sector = _SECTORS.get(name)
            if sector is None:
                self.unknown(child, path)
            elif self.flag(child, f"{path}/{name}"):
                sectors.append(sector)
        if sectors:
            doc["sectors"] = sectors
        else:
            self.notes.add(f"{path}: no sector marked; not carried")

    def head_office(self, element: etree._Element, doc: Doc, path: str) -> None:
        for child in element:
            name = _LOCAL[child.tag]
            if name == "anschrift":
                doc["headOfficeAddress"] = self.address(child, f"{path}/anschrift")
            elif name == "erreichbarkeit":
                entity = doc.setdefault("business", {})
                entity.setdefault("contactPoints", []).append(
                    self.contact(child, f"{path}/erreichbarkeit")
                )
            else:
                self.unknown(child, path)

    def permit(self, element: etree._Element, path: str) -> Doc:
        doc: Doc = {}
        for child in element:
            name = _LOCAL[child.tag]
            if name == "status":
                doc["status"] = _code(child)
            elif name == "ausgestelltAm":
                doc["issued"] = self.date(child, f"{path}/ausgestelltAm")
            elif name in _PERMIT_TEXT and (text := child.text):
                doc[_PERMIT_TEXT[name]] = text
            elif name == "ausgestelltVonSchluessel":
                doc["issuerCode"] = _code(child)
            else:
                self.unknown(child, path)
        return doc

    # --- persons --------------------------------------------------------------------------

    def participant(self, element: etree._Element, path: str) -> Doc:
        participant: Doc = {}
        person: Doc = {}
        name: Doc = {}
        for child in element:
            local = _LOCAL[child.tag]
            key = _NAME_TEXT.get(local)
            text = child.text
            if key is not None and text:
                name[key] = text
            elif local == "vorname" and text:
                name["givenNames"] = [text]
            elif local == "personFunktion":
                participant["role"] = _code(child)
            elif local == "geschlecht":
                self.gender(child, person, f"{path}/geschlecht")
            elif local == "geburtsdatum":
                person["birthDate"] = _birth_date(_token(child), f"{path}/geburtsdatum", self.notes)
            elif local == "geburtsort" and text:
                person.setdefault("birthPlace", {})["name"] = text
            elif local == "geburtsland" and text:
                place = person.setdefault("birthPlace", {})
                country = tables.DESTATIS.map("name", "alpha2", text)
                place.update({"country": country} if country else {"countryName": text})
            elif local == "staatangehoerigkeiten":
                self.nationalities(child, person, f"{path}/staatangehoerigkeiten")
            elif local == "anschrift":
                person["residenceAddress"] = self.address(child, f"{path}/anschrift")
            elif local == "erreichbarkeit":
                person.setdefault("contactPoints", []).append(
                    self.contact(child, f"{path}/erreichbarkeit")
                )
            elif local == "aufenthaltstitel":
                participant["residencePermit"] = self.permit(child, f"{path}/aufenthaltstitel")
            else:
                self.unknown(child, path)
        if name:
            person["name"] = _ordered(name, _NAME_ORDER)
        participant["person"] = _ordered(person, _PERSON_ORDER)
        return _ordered(participant, _PARTICIPANT_ORDER)

    def gender(self, element: etree._Element, person: Doc, path: str) -> None:
        code = self.converted(element, path, tables.GESCHLECHT)
        gender = tables.GESCHLECHT.map("code", "gender", code)
        if gender is None:
            self.notes.add(f"{path}: code {code!r} is not in xgw's table; gender not carried")
        else:
            person["gender"] = gender

    def nationalities(self, element: etree._Element, person: Doc, path: str) -> None:
        countries: list[str] = []
        for child in element:
            if _LOCAL[child.tag] != "staatsangehoerigkeitSchluessel":
                self.unknown(child, path)
                continue
            here = f"{path}/staatsangehoerigkeitSchluessel"
            code = _code(child)
            if code.get("listURI", tables.NATIONALITY_LIST_URI) != tables.NATIONALITY_LIST_URI:
                self.notes.add(f"{here}/@listURI: {code['listURI']!r} not carried")
            if code.get("listVersionID", tables.NATIONALITY_LIST_VERSION) != (
                tables.NATIONALITY_LIST_VERSION
            ):
                self.notes.add(
                    f"{here}/@listVersionID: {code['listVersionID']!r} not carried; encoded "
                    f"messages state {tables.NATIONALITY_LIST_VERSION} (same keys for current "
                    "states)"
                )
            if "name" in code:
                self.notes.add(f"{here}/name: label of a converted code, not carried")
            alpha2 = tables.DESTATIS.map("destatis", "alpha2", code["code"])
            if not alpha2:
                self.notes.add(
                    f"{here}: Destatis key {code['code']!r} is no ISO 3166-1 country "
                    "(stateless, former state or unknown); not carried"
                )
            elif alpha2 not in countries:
                countries.append(alpha2)
        if countries:
            person["nationalities"] = countries

    # --- activities, successor ------------------------------------------------------------

    def activities(self, element: etree._Element, doc: Doc, path: str) -> None:
        for child in element:
            name = _LOCAL[child.tag]
            if name == "schwerpunkt":
                doc.setdefault("activities", []).insert(
                    0, self.activity(child, f"{path}/schwerpunkt", primary=True)
                )
            elif name == "weitereTaetigkeiten":
                for part in child:
                    local = _LOCAL[part.tag]
                    if local == "taetigkeitenZusammengefasst" and (text := part.text):
                        doc["activitiesSummary"] = text
                    elif local == "taetigkeit":
                        doc.setdefault("activities", []).append(
                            self.activity(part, f"{path}/weitereTaetigkeiten/taetigkeit")
                        )
                    else:
                        self.unknown(part, f"{path}/weitereTaetigkeiten")
            else:
                self.unknown(child, path)

    def activity(self, element: etree._Element, path: str, *, primary: bool = False) -> Doc:
        doc: Doc = {}
        code: Doc = {}
        for child in element:
            name = _LOCAL[child.tag]
            text = child.text
            if name in ("taetigkeitSchwerpunkt", "taetigkeitEinzeln") and text:
                doc["description"] = text
            elif name == "taetigkeitSchluessel":
                code = {"code": _token(child), "listURI": tables.WZ_LIST_URI, **code}
            elif name == "stichwort" and text:
                code["name"] = text
            elif name == "neuAusgeuebt":
                doc["newlyPerformed"] = self.flag(child, f"{path}/neuAusgeuebt")
            else:
                self.unknown(child, path)
        result: Doc = {"codes": [code]} if "code" in code else {}
        if "description" in doc:
            result["description"] = doc["description"]
        result["primary"] = primary
        if "newlyPerformed" in doc:
            result["newlyPerformed"] = doc["newlyPerformed"]
        return result

    def successor(self, element: etree._Element, path: str) -> Doc:
        doc: Doc = {}
        for child in element:
            name = _LOCAL[child.tag]
            if name == "nameFirmaGewerbetreibender" and (text := child.text):
                doc["legalNames"] = [{"lang": "de", "text": text}]
            elif name == "anschrift":
                address = self.address(child, f"{path}/anschrift")
                doc["addresses"] = [{"role": "establishment", "address": address}]
            else:
                self.unknown(child, path)
        return doc


def _put(key: str) -> _Handler:
    def handler(reader: _Reader, element: etree._Element, doc: Doc, path: str) -> None:
        text = element.text
        if text:
            doc[key] = text
        else:
            reader.notes.add(f"{path}/{_LOCAL[element.tag]}: empty, not carried")

    return handler


def _flag(key: str) -> _Handler:
    def handler(reader: _Reader, element: etree._Element, doc: Doc, path: str) -> None:
        doc[key] = reader.flag(element, f"{path}/{_LOCAL[element.tag]}")

    return handler


def _count(key: str) -> _Handler:
    def handler(reader: _Reader, element: etree._Element, doc: Doc, path: str) -> None:
        doc[key] = int(_token(element))

    return handler


def _date(key: str) -> _Handler:
    def handler(reader: _Reader, element: etree._Element, doc: Doc, path: str) -> None:
        doc[key] = reader.date(element, f"{path}/{_LOCAL[element.tag]}")

    return handler


def _put_code(key: str) -> _Handler:
    def handler(reader: _Reader, element: etree._Element, doc: Doc, path: str) -> None:
        doc[key] = _code(element)

    return handler


def _reason(reader: _Reader, element: etree._Element, doc: Doc, path: str) -> None:
    doc.setdefault("reasons", []).append(_code(element))


def _reasons(reader: _Reader, element: etree._Element, doc: Doc, path: str) -> None:
    for child in element:
        _reason(reader, child, doc, path)


# The children of a record (satz/anmeldung, ummeldung, abmeldung) and of its gewerbe, by
# local name; built once, shared by every message.
_RECORD: dict[str, _Handler] = {
    "satzErstellung": _put("created"),
    "ereigniszeitpunkt": _put("eventTime"),
    "autor": lambda r, e, d, p: d.__setitem__("author", r.authority(e, f"{p}/autor")),
    "istKorrektur": _flag("isCorrection"),
    "gemeindeSchluessel": _put_code("municipalityCode"),
    "gemeindeMeldungNr": _put("municipalityReference"),
    "gewerbebetriebID": _put("tradeId"),
    "uuid": _put("id"),
    "gewerbe": lambda r, e, d, p: r.gewerbe(e, d, f"{p}/gewerbe"),
    "gueltigAb": _date("effectiveDate"),
    "datumMeldung": _date("notificationDate"),
    "taetigkeitenGesamt": lambda r, e, d, p: r.activities(e, d, f"{p}/taetigkeitenGesamt"),
    "grundAnmeldungSchluessel": _reason,
    "grundAbmeldungSchluessel": _reason,
    "ursacheAbmeldungSchluessel": _reason,
    "gruendeUmmeldung": _reasons,
    "kuenftigesGewerbe": lambda r, e, d, p: d.__setitem__(
        "successor", r.successor(e, f"{p}/kuenftigesGewerbe")
    ),
}
_GEWERBE: dict[str, _Handler] = {
    "betrieb": lambda r, e, d, p: r.business(e, d, f"{p}/betrieb"),
    "anzahlVollzeitBeschaeftigte": _count("fullTimeEmployees"),
    "anzahlTeilzeitBeschaeftigte": _count("partTimeEmployees"),
    "betriebArt": lambda r, e, d, p: r.sectors(e, d, f"{p}/betriebArt"),
    "niederlassungArt": _put_code("establishmentType"),
    "istReisegewerbe": _flag("itinerant"),
    "istNebenerwerb": _flag("sideline"),
    "handwerkskarte": lambda r, e, d, p: d.__setitem__(
        "craftCard", r.permit(e, f"{p}/handwerkskarte")
    ),
    "anschrift": lambda r, e, d, p: d.__setitem__(
        "establishmentAddress", r.address(e, f"{p}/anschrift")
    ),
    "erreichbarkeit": lambda r, e, d, p: d.setdefault("contactPoints", []).append(
        r.contact(e, f"{p}/erreichbarkeit")
    ),
    "hauptniederlassung": lambda r, e, d, p: r.head_office(e, d, f"{p}/hauptniederlassung"),
    "beteiligtePerson": lambda r, e, d, p: d.setdefault("persons", []).append(
        r.participant(e, f"{p}/beteiligtePerson")
    ),
    "beteiligungOeffentlicheHand": _put_code("publicSectorShare"),
}


def _code(element: etree._Element) -> Doc:
    """An XÖV Code element as a canonical Code, with its list and label."""
    doc: Doc = {}
    for child in element:
        tag = child.tag
        if tag == "code":
            doc["code"] = _token(child)
        elif tag == "name" and (text := child.text) and text.strip():
            doc["name"] = text
    for attribute in ("listURI", "listVersionID"):
        value = element.get(attribute)
        if value:
            doc[attribute] = value
    return doc


def _ordered(doc: Doc, keys: tuple[str, ...]) -> Doc:
    """``doc`` with its keys in the canonical order (all of them are in ``keys``)."""
    return {key: doc[key] for key in keys if key in doc}


def _checked_date(text: str, path: str) -> str:
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise ConnectorError(f"{path}: not a calendar date") from None


def _birth_date(text: str, path: str, notes: Notes) -> str:
    """DDMMYYYY with 00 for an unknown day (and month) -> a canonical partial date."""
    day, month, year = text[:2], text[2:4], text[4:]
    if month == "00":
        if day != "00":
            notes.add(f"{path}: a day without a month cannot be carried; only the year is")
        return year
    if day == "00":
        return f"{year}-{month}"
    return _checked_date(f"{year}-{month}-{day}", path)


_ADDRESS_TEXT = {
    "strasse": "thoroughfare",
    "anschriftZusatz": "locatorName",
    "ort": "postName",
    "ortsteil": "addressArea",
    "plz": "postCode",
}
_ADDRESS_ORDER = (
    "thoroughfare",
    "thoroughfareCode",
    "locatorDesignator",
    "locatorDesignators",
    "locatorName",
    "addressArea",
    "postCode",
    "postName",
    "adminUnitL1",
)
_ENTITY_ORDER = (
    "identifiers",
    "personType",
    "legalNames",
    "alternativeNames",
    "legalForm",
    "contactPoints",
)
_PERMIT_TEXT = {
    "ausgestelltVonName": "issuerName",
    "ausgestelltVonPLZ": "issuerPostCode",
    "ausgestelltVonOrt": "issuerPostName",
}
_SECTORS = {"industrie": "industry", "handwerk": "craft", "handel": "trade", "sonstiges": "other"}
_NAME_TEXT = {"doktorgrad": "title", "familienname": "familyName", "geburtsname": "birthName"}
_NAME_ORDER = ("givenNames", "familyName", "birthName", "title")
_PERSON_ORDER = (
    "name",
    "gender",
    "birthDate",
    "birthPlace",
    "nationalities",
    "residenceAddress",
    "contactPoints",
)
_PARTICIPANT_ORDER = ("role", "person", "residencePermit")
_NOTIFICATION_TYPES = {
    "anmeldung": "registration",
    "ummeldung": "change",
    "abmeldung": "deregistration",
}
_AUTHORITY_CODES = {"praefix": "prefix", "kennung": "code"}
