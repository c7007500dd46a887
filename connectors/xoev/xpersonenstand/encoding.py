"""Canonical Person with a birth or death event -> XPersonenstand 26.11 portal message.

Usage::

    encoded = to_native(person, PortalHeader.placeholder(), message_id=str(uuid4()),
                        created=datetime.now(UTC))
    encoded.root          # portal2StA.Sterbefall.084020 or portal2StA.Geburt.081020
    encoded.notes         # what the message cannot carry, with the reason

Pure: the caller gives the message id and creation time, and validates the result.
The event's type chooses the message (death -> 084020, birth -> 081020). What a
message requires and the document lacks is a ConnectorError naming the canonical
field; nothing is invented: a partial date is never padded to a day, an unknown
gender is not written as "x", a missing time is not guessed. Texts must fit DIN 91379
datatype C (:mod:`connectors.xoev.din91379`, written in NFC). The header is regenerated from the
:class:`~.models.PortalHeader`, never taken from the document.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from lxml import etree

from connectors.canonical import Person
from connectors.xoev.xpersonenstand.mapping import MOTHER_CONFIDENTIAL
from connectors.xoev.xpersonenstand.models import (
    GENDER_TO_XOEV,
    LIST_ERREICHBARKEIT,
    LIST_GESCHLECHT,
    LIST_NACHRICHTENTYP,
    LIST_VERZEICHNISDIENST,
    MESSAGES,
    NS,
    STANDARD,
    STANDARD_VERSION,
    MessageType,
    Party,
    PortalHeader,
    PostalAddress,
    q,
)
from connectors.xoev.xpersonenstand.notes import Notes
from connectors.xoev.xpersonenstand.writer import Json, Writer
from gateway.errors import ConnectorError

__all__ = ["Encoded", "to_native"]

_FULL_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(frozen=True)
class Encoded:
    message: MessageType
    root: etree._Element
    notes: Notes


def to_native(
    person: Person, header: PortalHeader, *, message_id: str, created: dt.datetime
) -> Encoded:
    """The portal message for ``person`` and its ``event``; ConnectorError if it cannot be one."""
    doc: Json = dict(person)
    event = doc.get("event")
    if not isinstance(event, dict) or event.get("type") not in ("birth", "death"):
        raise ConnectorError(
            "event: xoev.xpersonenstand writes a birth (081020) or death (084020) notification "
            "and needs the Person's event to say which"
        )
    message = MESSAGES["084020" if event["type"] == "death" else "081020"]
    writer = _Writer(message, header, Notes())
    root = writer.header(message_id, created)
    if message.event == "death":
        writer.death(root, doc, event)
    else:
        writer.birth(root, doc, event)
    return Encoded(message, root, writer.notes)


class _Writer(Writer):
    def __init__(self, message: MessageType, header: PortalHeader, notes: Notes) -> None:
        super().__init__(message, notes)
        self.h = header

    # --- header -------------------------------------------------------------------------------

    def header(self, message_id: str, created: dt.datetime) -> etree._Element:
        h = self.h
        root = etree.Element(self.m.root, nsmap={"xpsw": NS})
        root.set("produkt", h.product)
        root.set("produkthersteller", h.manufacturer)
        if h.product_version:
            root.set("produktversion", h.product_version)
        root.set("standard", STANDARD)
        if h.test:
            root.set("test", "test")
        root.set("version", STANDARD_VERSION)
        head = self.el(root, "nachrichtenkopf.g2g")
        ident = self.el(head, "identifikation.nachricht")
        self.el(ident, "nachrichtenUUID", message_id)
        kind = self.code(
            ident,
            "nachrichtentyp",
            self.m.code,
            LIST_NACHRICHTENTYP.uri,
            LIST_NACHRICHTENTYP.version,
        )
        self.el(kind, "name", self.m.name)
        self.el(ident, "erstellungszeitpunkt", created.isoformat())
        self._party(head, "leser", h.reader, None)
        self._party(head, "autor", h.author, h.author_contact)
        if h.reader_address is not None:
            self._postal(root, "anschrift.leser", h.reader_address)
        self._postal(root, "anschrift.autor", h.author_address)
        if not h.configured:
            self.notes.add(
                "nachrichtenkopf.g2g",
                "reader and author are xgw placeholders: no XPersonenstand header is configured",
            )
        return root

    def _party(
        self, head: etree._Element, tag: str, party: Party, contact: tuple[str, str] | None
    ) -> None:
        element = self.el(head, tag)
        self.code(
            element, "verzeichnisdienst", party.directory,
            LIST_VERZEICHNISDIENST.uri, LIST_VERZEICHNISDIENST.version,
        )  # fmt: skip
        self.el(element, "kennung", party.kennung)
        self.el(element, "name", party.name)
        if contact is not None:
            reach = self.el(element, "erreichbarkeit")
            self.code(
                reach, "kanal", contact[0], LIST_ERREICHBARKEIT.uri, LIST_ERREICHBARKEIT.version
            )
            self.el(reach, "kennung", contact[1])

    def _postal(self, root: etree._Element, tag: str, address: PostalAddress) -> None:
        building = self.el(self.el(root, tag), "gebaeude")
        if address.house_number:
            self.el(building, "hausnummer", address.house_number)
        self.el(building, "postleitzahl", address.post_code)
        self.el(building, "strasse", address.street)
        self.el(building, "wohnort", address.city)

    # --- 084020 -------------------------------------------------------------------------------

    def death(self, root: etree._Element, doc: Json, event: Json) -> None:
        sterbefall = self.el(root, q("sterbefall"))
        wrapper = self.el(self.el(sterbefall, q("todestag")), q("todestag"))
        self.el(wrapper, q("todestag"), self._event_date(doc, event, "deathDate"))
        time = self.el(wrapper, q("todeszeit"), self._event_time(event))
        exact = event.get("timeExact")
        if exact is None:
            self.notes.add("event.timeExact", "absent: written as exakt=false (not claimed exact)")
        time.set("exakt", "true" if exact else "false")
        place, where = self._event_place(doc, event, "deathPlace")
        self.place(sterbefall, q("sterbeort"), place, where, full=True)
        self._deceased(root, doc)
        self._informant(root, event)

    def _deceased(self, root: etree._Element, doc: Json) -> None:
        element = self.el(root, q("verstorbener"))
        name: Json = doc.get("name", {})
        if "givenNames" in name:
            self.el(element, q("vorname"), self._given(name["givenNames"], "name.givenNames"))
        self.el(element, q("familienname"), self._family(name, "name"), "name.familyName")
        if "birthName" in name:
            self.el(element, q("geburtsname"), self._birth_name(name, "name"), "name.birthName")
        birth = doc.get("birthDate")
        if birth and _FULL_DATE.fullmatch(birth):
            self.el(element, q("geburtstag"), birth)
        elif birth:
            self.lost("birthDate", "geburtstag needs a full date; a partial date is not padded")
        if "birthPlace" in doc:
            self.place(element, q("geburtsort"), doc["birthPlace"], "birthPlace", full=False)
        self._gender(element, doc)
        if "residenceAddress" in doc:
            self.portal_address(element, doc["residenceAddress"], "residenceAddress")

    def _informant(self, root: etree._Element, event: Json) -> None:
        informant: Json = event.get("informant", {})
        organisation = informant.get("organisationName")
        if not organisation:
            raise ConnectorError(
                "event.informant.organisationName: 084020 needs the reporting institution's name"
            )
        element = self.el(root, q("anzeigender"))
        written = self.contacts(
            element, q("kontaktdaten"), informant, "event.informant.contactPoints"
        )
        if not written:
            raise ConnectorError(
                "event.informant.contactPoints: 084020 needs at least one way to reach the "
                "informant (e-mail, telephone, mobile, fax or web, or an XÖV Erreichbarkeit code)"
            )
        names = self.el(element, q("namen"))
        self.el(names, q("nameOrganisation"), organisation, "event.informant.organisationName")
        person = informant.get("person")
        if person is not None:
            self._names(names, q("nameNatuerlichePerson"), person.get("name", {}),
                        "event.informant.person.name", required=False)  # fmt: skip

    # --- 081020 -------------------------------------------------------------------------------

    def birth(self, root: etree._Element, doc: Json, event: Json) -> None:
        facility = event.get("facility")
        if not facility:
            raise ConnectorError("event.facility: 081020 needs the name of the institution")
        self.el(root, q("nameEinrichtung"), facility, "event.facility")
        details = self.el(root, q("geburtsangaben"))
        place, where = self._event_place(doc, event, "birthPlace")
        self.place(details, q("ort"), place, where, full=False, detail=True)
        self.el(details, q("tag"), self._event_date(doc, event, "birthDate"))
        self.el(details, q("uhrzeit"), self._event_time(event))
        child = self.el(root, q("kind"))
        self._gender(child, doc)
        name = doc.get("name")
        if name:
            self._names(child, q("namen"), name, "name", required=False, optional_parts=True)
        self._parents(root, doc.get("relatedPersons", []))

    def _parents(self, root: etree._Element, related: list[Json]) -> None:
        """The mother (mutter), one more parent (elternteil2); they come back in that order."""
        parents = list(enumerate(related))
        mother = next(((i, r) for i, r in parents if r.get("role") == "mother"), None)
        if mother is None:
            raise ConnectorError("relatedPersons: 081020 needs the mother (role 'mother')")
        self._mother(root, *mother)
        self.notes.move(f"relatedPersons[{mother[0]}]", "relatedPersons[0]")
        others = [(i, r) for i, r in parents if i != mother[0]]
        second = next(((i, r) for i, r in others if r.get("role") in ("father", "parent")), None)
        if second is not None and self._second_parent(root, *second):
            self.notes.move(f"relatedPersons[{second[0]}]", "relatedPersons[1]")
        for index, _ in others:
            if second is None or index != second[0]:
                self.lost(f"relatedPersons[{index}]", "it has the mother and one more parent")
        if mother[1].get("roleCode") == MOTHER_CONFIDENTIAL:
            self.el(root, q("vertraulicheGeburt"), "true")

    def _second_parent(self, root: etree._Element, index: int, related: Json) -> bool:
        path = f"relatedPersons[{index}]"
        name = related["person"].get("name", {})
        if not ("familyName" in name and "givenNames" in name):
            self.lost(path, "elternteil2 needs the family name and the given names")
            return False
        self._names(self.el(root, q("elternteil2")), q("namen"), name, f"{path}.person.name")
        if related["role"] != "parent":
            self.notes.add(
                f"{path}.role", "written as elternteil2 (the second parent); comes back as 'parent'"
            )
        return True

    def _mother(self, root: etree._Element, index: int, related: Json) -> None:
        path = f"relatedPersons[{index}].person"
        mother: Json = related["person"]
        name: Json = mother.get("name", {})
        element = self.el(root, q("mutter"))
        if related.get("roleCode") == MOTHER_CONFIDENTIAL:
            self.notes.add(
                path, "confidential birth: only the pseudonym's given and family names are carried"
            )
            hidden = self.el(element, q("vertraulich"))
            given = self._need(name, "givenNames", f"{path}.name")
            self.el(hidden, q("vornamen"), self._given(given, f"{path}.name.givenNames"))
            self.el(
                hidden,
                q("familienname"),
                self._family(name, f"{path}.name"),
                f"{path}.name.familyName",
            )
            return
        standard = self.el(element, q("standard"))
        self._names(standard, q("namen"), name, f"{path}.name")
        birth = mother.get("birthDate", "")
        if not _FULL_DATE.fullmatch(birth):
            raise ConnectorError(
                f"{path}.birthDate: 081020 needs the mother's full date of birth "
                "(a partial or missing date is never padded)"
            )
        self.el(standard, q("geburtsdatum"), birth)
        address = mother.get("residenceAddress")
        if address is None:
            self.notes.add(f"{path}.residenceAddress", "absent: 081020 gets an empty anschrift")
        self.inland_address(standard, address or {}, f"{path}.residenceAddress")
        self.contacts(standard, q("kontakt"), mother, f"{path}.contactPoints")

    # --- shared structures --------------------------------------------------------------------

    def _need(self, doc: Json, key: str, path: str) -> Any:
        if key not in doc:
            raise ConnectorError(f"{path}.{key}: {self.m.name} requires it")
        return doc[key]

    def _given(self, names: list[str], path: str) -> str:
        if any(" " in n for n in names):
            self.notes.add(path, "a given name with a space in it comes back as several names")
        return self.text(path, " ".join(names))

    def _family(self, name: Json, path: str) -> str:
        family: str = self._need(name, "familyName", path)
        prefix = name.get("namePrefix")
        if prefix:
            for field in ("namePrefix", "familyName"):
                self.notes.add(
                    f"{path}.{field}",
                    "written as one family name, prefix first (XPersonenstand has one field); "
                    "it comes back as the familyName",
                )
            return f"{prefix} {family}"
        return family

    def _birth_name(self, name: Json, path: str) -> str:
        birth: str = name["birthName"]
        prefix = name.get("birthNamePrefix")
        if prefix:
            for field in ("birthNamePrefix", "birthName"):
                self.notes.add(
                    f"{path}.{field}",
                    "written as one birth name, prefix first; it comes back as the birthName",
                )
            return f"{prefix} {birth}"
        return birth

    def _names(
        self,
        parent: etree._Element,
        tag: str,
        name: Json,
        path: str,
        *,
        required: bool = True,
        optional_parts: bool = False,
    ) -> None:
        """PersonName: familienname + vornamen required (PersonName.Veraenderung: optional)."""
        if not optional_parts and not ("familyName" in name and "givenNames" in name):
            if required:
                raise ConnectorError(
                    f"{path}: {self.m.name} needs the family name and the given names"
                )
            self.notes.add(path, f"not carried by {self.m.name}: needs family and given names")
            return
        parts: list[tuple[str, str, str]] = []
        if "familyName" in name:
            parts.append(("familienname", self._family(name, path), f"{path}.familyName"))
        if "birthName" in name:
            parts.append(("geburtsname", self._birth_name(name, path), f"{path}.birthName"))
        if "givenNames" in name:
            parts.append(("vornamen", self._given(name["givenNames"], f"{path}.givenNames"), ""))
        if not parts:
            return
        element = self.el(parent, tag)
        for local, value, field in parts:
            self.el(self.el(element, q(local)), "name", value, field)

    def _gender(self, parent: etree._Element, doc: Json) -> None:
        gender = doc.get("gender")
        code = GENDER_TO_XOEV.get(gender or "")
        if code is None:
            raise ConnectorError(
                f"gender: {self.m.name} needs it as male, female, diverse or unspecified "
                f"(XInneres m, w, d, x); {'absent' if gender is None else repr(gender)} is "
                "not written as any of them"
            )
        self.code(parent, q("geschlecht"), code, LIST_GESCHLECHT.uri, LIST_GESCHLECHT.version)

    def _event_date(self, doc: Json, event: Json, key: str) -> str:
        date = event.get("date") or doc.get(key)
        if event.get("date") and doc.get(key) and doc[key] != event["date"]:
            self.notes.add(key, "differs from event.date; the event's date is written")
        if not date or not _FULL_DATE.fullmatch(date):
            raise ConnectorError(
                f"event.date: {self.m.name} needs the full day of the {self.m.event} "
                "(a partial or missing date is never padded)"
            )
        return str(date)

    def _event_time(self, event: Json) -> str:
        time = event.get("time")
        if not time:
            raise ConnectorError(f"event.time: {self.m.name} needs the time of day (hh:mm)")
        if len(time) > 5:
            self.notes.add("event.time", "seconds not carried (the message has hh:mm)")
        return str(time[:5])

    def _event_place(self, doc: Json, event: Json, key: str) -> tuple[Json, str]:
        """The place of the event (else the person's birth / death place) and its path."""
        if "place" in event:
            if key in doc and doc[key] != event["place"]:
                self.notes.add(key, "differs from event.place; the event's place is written")
            elif key in doc:
                self.notes.alias(key, "event.place")
            return dict(event["place"]), "event.place"
        return dict(doc.get(key, {})), key
