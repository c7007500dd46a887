"""XPersonenstand 26.11 portal message -> canonical Person with its civil-status event.

Usage::

    decoded = to_canonical(tree.getroot())   # a message that passed schema validation
    decoded.message.code                     # "084020"
    decoded.person["event"]["type"]          # "death"
    decoded.notes                            # what the canonical document does not carry

Pure and single-pass: each element of the message is visited once, by the handler of
its parent, dispatching on the child's tag; no ``find``/XPath lookups. The message
must have passed schema validation (the structure is then known), see :mod:`.codec`.
The reverse direction is :mod:`.encoding`.

What goes where (docs/connectors/xoev-xpersonenstand.md has the full table):

- 084020 ``verstorbener`` and 081020 ``kind`` -> the Person; ``sterbefall`` /
  ``geburtsangaben`` -> ``event`` (date, time, exactness, place) and ``deathDate`` /
  ``deathPlace`` or ``birthDate`` / ``birthPlace``; ``anzeigender`` -> ``event.informant``;
  ``nameEinrichtung`` -> ``event.facility``; ``mutter`` / ``elternteil2`` -> ``relatedPersons``.
- header, attachments, stillbirth details, multiple births, ``leichenID`` and the like ->
  notes.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from lxml import etree

from connectors.canonical import Person
from connectors.codes import code_table
from connectors.xoev.xpersonenstand.models import (
    CHANNEL_FROM_XOEV,
    DESTATIS_TABLE,
    GENDER_FROM_XOEV,
    LIST_ERREICHBARKEIT,
    MESSAGES,
    MessageType,
    q,
)
from connectors.xoev.xpersonenstand.notes import Notes
from gateway.errors import ConnectorError

__all__ = ["MOTHER_CONFIDENTIAL", "Decoded", "message_type", "to_canonical"]

Json = dict[str, Any]
_AGS = "urn:de:bund:destatis:bevoelkerungsstatistik:schluessel:ags"
_TIME = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")
# The canonical roleCode of a mother known only by the pseudonym of a confidential birth.
MOTHER_CONFIDENTIAL: Json = {
    "code": "vertraulich",
    "listURI": "urn:xgw:codelist:xpersonenstand-mutter:1",
    "name": "Vertrauliche Geburt: Pseudonym der Mutter (§ 26 SchKG)",
}


@dataclass(frozen=True)
class Decoded:
    message: MessageType
    person: Person
    notes: tuple[str, ...]


def message_type(root: etree._Element) -> MessageType:
    """The message type of ``root``; ConnectorError for a message this connector does not read."""
    for message in MESSAGES.values():
        if root.tag == message.root:
            return message
    name = etree.QName(root).localname if isinstance(root.tag, str) else "?"
    raise ConnectorError(
        f"{name}: not a message xoev.xpersonenstand handles (XPersonenstand 26.11 "
        f"{', '.join(m.name for m in MESSAGES.values())})"
    )


def to_canonical(root: etree._Element) -> Decoded:
    """The Person (with its event) of a validated portal message, and the notes."""
    message = message_type(root)
    reader = _Reader(message, Notes())
    person = reader.message(root)
    return Decoded(message, cast(Person, person), reader.notes.as_tuple())


def _local(element: etree._Element) -> str:
    return str(element.tag).rpartition("}")[2]


def _children(element: etree._Element) -> list[etree._Element]:
    return [child for child in element if isinstance(child.tag, str)]  # no comments, PIs


def _text(element: etree._Element) -> str | None:
    return element.text or None


class _Reader:
    """Walks one message; each handler reads its element's children once."""

    def __init__(self, message: MessageType, notes: Notes) -> None:
        self.m = message
        self.notes = notes
        self.countries = code_table(DESTATIS_TABLE)

    def note(self, path: str, text: str) -> None:
        self.notes.add(f"{self.m.name}/{path}", text)

    # --- message and header -----------------------------------------------------------------

    def message(self, root: etree._Element) -> Json:
        self._root_attributes(root)
        person: Json = {}
        event: Json = {"type": self.m.event}
        handlers = self._death_handlers() if self.m.event == "death" else self._birth_handlers()
        for child in _children(root):
            handler = handlers.get(child.tag) or handlers.get(_local(child))
            if handler is None:  # unreachable after validation, but never silent
                self.note(_local(child), "not carried (unexpected element)")
            else:
                handler(child, person, event)
        self._repeat_event(person, event)
        return person

    def _root_attributes(self, root: etree._Element) -> None:
        product = ", ".join(
            f"{name} {root.get(name)}"
            for name in ("produkt", "produkthersteller", "produktversion")
            if root.get(name)
        )
        self.note("@produkt", f"sending product not carried ({product})")
        if root.get("test") is not None:
            self.note("@test", "the message is marked as a test message; not carried")

    def _header(self, element: etree._Element, person: Json, event: Json) -> None:
        facts: list[str] = []
        for part in _children(element):
            if _local(part) == "identifikation.nachricht":
                for item in _children(part):
                    if _local(item) in ("nachrichtenUUID", "erstellungszeitpunkt"):
                        facts.append(f"{_local(item)} {item.text}")
            else:  # leser, autor
                kennung = name = ""
                for item in _children(part):
                    if _local(item) == "kennung":
                        kennung = item.text or ""
                    elif _local(item) == "name":
                        name = item.text or ""
                facts.append(f"{_local(part)} {kennung} ({name})")
        self.note(
            "nachrichtenkopf.g2g",
            f"header not carried, regenerated when encoding: {'; '.join(facts)}",
        )

    def _not_carried(self, why: str) -> Callable[[etree._Element, Json, Json], None]:
        def handler(element: etree._Element, person: Json, event: Json) -> None:
            self.note(_local(element), f"not carried: {why}")

        return handler

    def _common_handlers(self) -> dict[str, Callable[[etree._Element, Json, Json], None]]:
        return {
            "nachrichtenkopf.g2g": self._header,
            "anschrift.leser": self._not_carried("postal address of the message's reader"),
            "anschrift.autor": self._not_carried("postal address of the message's author"),
            q("ansprechpartner"): self._not_carried("contact person of the sender"),
            q("vorgangsidentifikation"): self._not_carried("the sender's case reference"),
            q("anhang"): self._not_carried("attachment reference"),
        }

    def _repeat_event(self, person: Json, event: Json) -> None:
        """birthDate / deathDate (and places) repeat the event's, as the model says."""
        if self.m.event == "death":
            person["deceased"] = True
            date_key, place_key = "deathDate", "deathPlace"
        else:
            date_key, place_key = "birthDate", "birthPlace"
        if "date" in event:
            person[date_key] = event["date"]
        if "place" in event:
            person[place_key] = event["place"]
        person["event"] = event

    # --- 084020 -------------------------------------------------------------------------------

    def _death_handlers(self) -> dict[str, Callable[[etree._Element, Json, Json], None]]:
        return {
            **self._common_handlers(),
            q("sterbefall"): self._death,
            q("verstorbener"): self._deceased,
            q("anzeigender"): self._informant,
            q("leichenID"): self._not_carried("the identifier of the body (Leichen-ID)"),
        }

    def _death(self, element: etree._Element, person: Json, event: Json) -> None:
        for part in _children(element):
            if part.tag == q("todestag"):
                (choice,) = _children(part)
                if choice.tag == q("todestag"):
                    self._day_and_time(choice, event)
                else:
                    self._death_period(choice, event)
            else:  # sterbeort
                place = self._place(part, "sterbefall/sterbeort")
                if place:
                    event["place"] = place

    def _day_and_time(self, element: etree._Element, event: Json) -> None:
        for part in _children(element):
            if part.tag == q("todestag"):
                event["date"] = _date(part)
            else:  # todeszeit
                self._time(part, "sterbefall/todestag/todestag/todeszeit", event)
                event["timeExact"] = part.get("exakt") in ("true", "1")

    def _death_period(self, element: etree._Element, event: Json) -> None:
        days = {_local(p): _date(p) for p in _children(element) if "Tag" in _local(p)}
        first, last = days.get("letzterTagLebend"), days["mitSicherheitTotTag"]
        known = _common_prefix(first, last) if first else None
        if known:
            event["date"] = known
        self.note(
            "sterbefall/todestag/sterbezeitraum",
            "death period (last day alive, day certainly dead, their times) not carried: "
            + (
                "the death date is the part of the date both days share"
                if known
                else "no death date (the period's days share no year, or the first is missing)"
            ),
        )

    def _time(self, element: etree._Element, path: str, event: Json) -> None:
        value = element.text or ""
        if _TIME.fullmatch(value):
            event["time"] = value
        else:
            self.note(path, "time of day outside 00:00-23:59, not carried")

    def _deceased(self, element: etree._Element, person: Json, event: Json) -> None:
        name: Json = {}
        for part in _children(element):
            tag, value = _local(part), _text(part)
            if tag == "vorname" and value:
                name["givenNames"] = _given_names(value)
            elif tag == "familienname" and value:
                name["familyName"] = value
            elif tag == "geburtsname" and value:
                name["birthName"] = value
            elif tag == "geburtstag":
                person["birthDate"] = _date(part)
            elif tag == "geburtsort":
                place = self._place(part, "verstorbener/geburtsort")
                if place:
                    person["birthPlace"] = place
            elif tag == "geschlecht":
                self._gender(part, "verstorbener/geschlecht", person)
            elif tag == "letzterWohnsitz":
                address = self._portal_address(part, "verstorbener/letzterWohnsitz")
                if address:
                    person["residenceAddress"] = address
        if name:
            person["name"] = name

    def _informant(self, element: etree._Element, person: Json, event: Json) -> None:
        informant: Json = {}
        for part in _children(element):
            if part.tag == q("anschrift"):
                self.note("anzeigender/anschrift", "not carried: the informant has no address")
            elif part.tag == q("kontaktdaten"):
                self._contact(part, "anzeigender/kontaktdaten", informant)
            else:  # namen
                for item in _children(part):
                    if item.tag == q("nameOrganisation") and item.text:
                        informant["organisationName"] = item.text
                    elif item.tag == q("nameNatuerlichePerson"):
                        name = self._names(item, "anzeigender/namen/nameNatuerlichePerson")
                        if name:
                            informant["person"] = {"name": name}
        if informant:
            event["informant"] = informant

    # --- 081020 -------------------------------------------------------------------------------

    def _birth_handlers(self) -> dict[str, Callable[[etree._Element, Json, Json], None]]:
        return {
            **self._common_handlers(),
            q("nameEinrichtung"): self._facility,
            q("geburtsangaben"): self._birth,
            q("totgeburt"): self._not_carried("stillbirth (the model has no field for it)"),
            q("totgeburtAngaben"): self._not_carried("week of pregnancy and weight"),
            q("kind"): self._child,
            q("mutter"): self._mother,
            q("elternteil2"): self._second_parent,
            q("vertraulicheGeburt"): self._not_carried(
                "confidential birth flag (the mother's roleCode says 'vertraulich')"
            ),
            q("mehrlingsgeburt"): self._not_carried("numbers of a multiple birth"),
            q("zuordnungGeburtsanzeige"): self._not_carried("the reference shared with 081021"),
        }

    def _facility(self, element: etree._Element, person: Json, event: Json) -> None:
        if element.text:
            event["facility"] = element.text

    def _birth(self, element: etree._Element, person: Json, event: Json) -> None:
        for part in _children(element):
            if part.tag == q("ort"):
                place = self._place(part, "geburtsangaben/ort")
                if place:
                    event["place"] = place
            elif part.tag == q("tag"):
                event["date"] = _date(part)
            else:  # uhrzeit
                self._time(part, "geburtsangaben/uhrzeit", event)

    def _child(self, element: etree._Element, person: Json, event: Json) -> None:
        for part in _children(element):
            if part.tag == q("geschlecht"):
                self._gender(part, "kind/geschlecht", person)
            else:  # namen
                name = self._names(part, "kind/namen")
                if name:
                    person["name"] = name

    def _mother(self, element: etree._Element, person: Json, event: Json) -> None:
        (choice,) = _children(element)
        mother: Json = {}
        related: Json = {"role": "mother", "person": mother}
        if choice.tag == q("vertraulich"):
            related["roleCode"] = dict(MOTHER_CONFIDENTIAL)
            name: Json = {}
            for part in _children(choice):
                if part.tag == q("vornamen") and part.text:
                    name["givenNames"] = _given_names(part.text)
                elif part.tag == q("familienname") and part.text:
                    name["familyName"] = part.text
            if name:
                mother["name"] = name
        else:
            self._parent(choice, "mutter/standard", mother)
        person.setdefault("relatedPersons", []).append(related)

    def _second_parent(self, element: etree._Element, person: Json, event: Json) -> None:
        parent: Json = {}
        self._parent(element, "elternteil2", parent)
        person.setdefault("relatedPersons", []).append({"role": "parent", "person": parent})

    def _parent(self, element: etree._Element, path: str, parent: Json) -> None:
        for part in _children(element):
            tag = _local(part)
            if tag == "namen":
                name = self._names(part, f"{path}/namen")
                if name:
                    parent["name"] = name
            elif tag == "geburtsdatum":
                parent["birthDate"] = _date(part)
            elif tag == "anschrift":
                address = self._inland_address(part, f"{path}/anschrift")
                if address:
                    parent["residenceAddress"] = address
            else:  # kontakt
                self._contact(part, f"{path}/kontakt", parent)
        if not parent:  # the schema requires names, but a name may be "nichtVorhanden"
            self.note(path, "nothing the model can carry")

    # --- shared structures --------------------------------------------------------------------

    def _names(self, element: etree._Element, path: str) -> Json:
        """PersonName(.Veraenderung): familienname, geburtsname, vornamen."""
        keys = {"familienname": "familyName", "geburtsname": "birthName", "vornamen": "givenNames"}
        name: Json = {}
        for part in _children(element):
            tag = _local(part)
            value = self._name_part(part, f"{path}/{tag}")
            if value is not None:
                name[keys[tag]] = _given_names(value) if tag == "vornamen" else value
        return name

    def _name_part(self, element: etree._Element, path: str) -> str | None:
        """AllgemeinerName.Personenstandswesen: a name or "nichtVorhanden", and its kind."""
        value = None
        for part in _children(element):
            tag = _local(part)
            if tag == "name":
                value = _text(part)
            elif tag == "nichtVorhanden":
                self.note(path, "'nichtVorhanden' (the person has no such name) not carried")
            else:  # namensart
                self.note(f"{path}/namensart", "kind of name not carried")
        return value

    def _gender(self, element: etree._Element, path: str, person: Json) -> None:
        for part in _children(element):
            if _local(part) == "code":
                gender = GENDER_FROM_XOEV.get(part.text or "")
                if gender is None:
                    self.note(path, "not an XInneres Geschlecht code (m, w, d, x); not carried")
                else:
                    person["gender"] = gender

    def _place(self, element: etree._Element, path: str) -> Json:
        """Ereignisort (and its variants): the place name, its country, the street address."""
        place: Json = {}
        address: Json = {}
        fields = {
            "strasse": "thoroughfare",
            "hausnummer": "locatorDesignator",
            "ortsteil": "addressArea",
            "kreisbezeichnung": "adminUnitL2",
        }
        for part in _children(element):
            tag, value = _local(part), _text(part)
            if tag == "ort" and value:
                place["name"] = value
            elif tag == "staat":
                self._country(part, f"{path}/staat", place)
            elif tag in fields and value:
                address[fields[tag]] = value
        if address:
            place["address"] = address
        return place

    def _country(self, element: etree._Element, path: str, place: Json) -> None:
        (choice,) = _children(element)
        if choice.tag == q("nichtGelisteterWert"):
            if choice.text:
                place["countryName"] = choice.text
            return
        key = next((p.text for p in _children(choice) if _local(p) == "code"), None) or ""
        alpha2 = self.countries.map("destatis", "alpha2", key)
        if alpha2:
            place["country"] = alpha2
        else:
            self.note(path, f"Destatis key {key} has no ISO 3166 country; not carried")
        version = choice.get("listVersionID")
        if version and version != self.countries.list_version:
            self.note(
                f"{path}/code/@listVersionID",
                f"list version {version} read with the table of version "
                f"{self.countries.list_version}",
            )

    def _portal_address(self, element: etree._Element, path: str) -> Json:
        """Portal2StA.Anschrift: texts only, the country by its German name."""
        fields = {"strasse": "thoroughfare", "plz": "postCode", "ort": "postName"}
        fields["ortsteil"] = "addressArea"
        address: Json = {}
        for part in _children(element):
            tag, value = _local(part), _text(part)
            if not value:
                continue
            if tag == "staat":
                alpha2 = self.countries.map("name", "alpha2", value)
                if alpha2:
                    address["adminUnitL1"] = alpha2
                else:
                    self.note(f"{path}/staat", "not a country name of the Destatis table")
            else:
                address[fields[tag]] = value
        return address

    def _inland_address(self, element: etree._Element, path: str) -> Json:
        """Anschrift.Inland (XInneres Meldeanschrift): a German address, house number in parts."""
        fields = {"postleitzahl": "postCode", "strasse": "thoroughfare", "wohnort": "postName"}
        parts = {
            "hausnummer": "addressNumber",
            "hausnummerBuchstabeZusatzziffer": "addressNumberExtension",
            "teilnummerDerHausnummer": "addressNumber2ndExtension",
        }
        address: Json = {}
        designators: list[Json] = []
        for part in _children(element):
            tag, value = _local(part), _text(part)
            if tag == "gemeindeschluessel":
                code = _code(part, _AGS)
                if "code" in code:
                    address["municipalityCode"] = code
            elif not value:
                continue
            elif tag in fields:
                address[fields[tag]] = value
            elif tag in parts:
                designators.append({"designator": value, "type": parts[tag]})
            else:  # wohnortFruehererGemeindename
                self.note(f"{path}/{tag}", "former municipality name not carried")
        if designators:
            address["locatorDesignator"] = _house_number(designators)
            address["locatorDesignators"] = designators
        return address

    def _contact(self, element: etree._Element, path: str, owner: Json) -> None:
        """KommunikationType: channel code, address or number, remark -> a ContactPoint."""
        contact: Json = {}
        for part in _children(element):
            tag = _local(part)
            if tag == "kanal":
                code = _code(part, LIST_ERREICHBARKEIT.uri)
                contact["channel"] = CHANNEL_FROM_XOEV.get(code.get("code", ""), "other")
                if "code" in code:
                    contact["code"] = code
            elif tag == "kennung" and part.text:
                contact["value"] = part.text
            elif tag == "zusatz":
                self.note(f"{path}/zusatz", "remark on a contact channel not carried")
        if "value" in contact:
            owner.setdefault("contactPoints", []).append(contact)
        else:
            self.note(f"{path}/kennung", "empty; the contact channel is not carried")


def _code(element: etree._Element, list_uri: str) -> Json:
    """An XÖV code element as a canonical Code; ``list_uri`` is the schema's fixed listURI."""
    code: Json = {}
    for part in _children(element):
        if _local(part) in ("code", "name") and part.text:
            code[_local(part)] = part.text
    code["listURI"] = element.get("listURI") or list_uri  # absent: the fixed value applies
    version = element.get("listVersionID")
    if version:
        code["listVersionID"] = version
    return code


def _date(element: etree._Element) -> str:
    """A full date as the schema checked it (Tagesdatum); ``date`` refuses a 30 February."""
    return dt.date.fromisoformat(element.text or "").isoformat()


def _given_names(value: str) -> list[str]:
    """Given names in one string are split on single spaces (canonical-model rule 4)."""
    names = value.split(" ")
    return names if all(names) else [value]


def _house_number(designators: list[Json]) -> str:
    by_type = {d["type"]: d["designator"] for d in designators}
    number = by_type.get("addressNumber", "") + by_type.get("addressNumberExtension", "")
    second = by_type.get("addressNumber2ndExtension")
    return f"{number} {second}".strip() if second else number


def _common_prefix(first: str, last: str) -> str | None:
    """The part of two full dates both share: the day, the month or the year."""
    for length in (10, 7, 4):
        if first[:length] == last[:length]:
            return first[:length]
    return None
