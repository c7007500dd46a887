"""Building blocks of an XPersonenstand message: elements, codes, places, addresses, contacts.

Usage::

    class _Writer(Writer): ...          # the message writer of :mod:`.encoding` builds on it
    writer.el(parent, q("ort"), "Cottbus", "event.place.name")   # checked DIN 91379 text
    writer.place(parent, q("sterbeort"), place, "event.place", full=True)

Every text goes through :func:`connectors.xoev.din91379.carry` with the canonical field's path, so a
character the message cannot carry is a ConnectorError naming that field. What does not
fit is left out with a note (``lost``), never shortened or transliterated.
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

from connectors.codes import code_table
from connectors.xoev import din91379
from connectors.xoev.xpersonenstand.models import (
    CHANNEL_FROM_XOEV,
    CHANNEL_TO_XOEV,
    DESTATIS_TABLE,
    LIST_ERREICHBARKEIT,
    MessageType,
    q,
)
from connectors.xoev.xpersonenstand.notes import Notes
from gateway.errors import ConnectorError

__all__ = ["Json", "Writer"]

Json = dict[str, Any]
_HOUSE_NUMBER = re.compile(r"(?P<number>[0-9]{1,4})(?P<letter>[^\W\d_]{0,4})")
# XInneres Meldeanschrift's restricted parts: what fits, and how to say it does not
_RESTRICTED = {
    "postleitzahl": (re.compile(r"[0-9 ]{0,5}"), "up to 5 digits"),
    "hausnummer": (re.compile(r"[0-9 ]{0,4}"), "up to 4 digits"),
    "hausnummerBuchstabeZusatzziffer": (
        re.compile(r"(?:[^\W\d_]|[0-9./ ]){0,4}"),
        "up to 4 letters, digits, '.', '/' or spaces",
    ),
}
_AGS = "urn:de:bund:destatis:bevoelkerungsstatistik:schluessel:ags"


class Writer:
    def __init__(self, message: MessageType, notes: Notes) -> None:
        self.m = message
        self.notes = notes
        self.countries = code_table(DESTATIS_TABLE)

    def text(self, path: str, value: str) -> str:
        carried = din91379.carry(path, value, "XPersonenstand 26.11")
        if carried != value:
            self.notes.add(path, "written in Unicode NFC, as DIN 91379 requires")
        return carried

    def el(
        self, parent: etree._Element, tag: str, value: str | None = None, path: str = ""
    ) -> etree._Element:
        element = etree.SubElement(parent, tag)
        if value is not None:
            element.text = self.text(path, value) if path else value
        return element

    def code(
        self, parent: etree._Element, tag: str, code: str, uri: str, version: str, path: str = ""
    ) -> etree._Element:
        element = self.el(parent, tag)
        element.set("listURI", uri)
        element.set(
            "listVersionID", self.text(f"{path}.listVersionID", version) if path else version
        )
        self.el(element, "code", code, f"{path}.code" if path else "")
        return element

    def lost(self, path: str, why: str) -> None:
        self.notes.add(path, f"not carried by {self.m.name}: {why}")

    # --- header -------------------------------------------------------------------------------

    def place(
        self,
        parent: etree._Element,
        tag: str,
        place: Json,
        path: str,
        *,
        full: bool,
        detail: bool = False,
    ) -> None:
        """Ereignisort: with street (``full``: sterbeort, ``detail``: geburtsangaben/ort) or not."""
        address: Json = place.get("address", {})
        name = place.get("name")
        if not name and address.get("postName"):
            name = address["postName"]
            self.notes.add(f"{path}.address.postName", "written as ort; comes back as the name")
        elif address.get("postName"):
            self.notes.add(f"{path}.address.postName", "not written: ort takes the place's name")
        if full and not name:
            raise ConnectorError(f"{path}.name: {self.m.name} needs the name of the place")
        if not (full or detail) and not (name or "country" in place or "countryName" in place):
            self.lost(path, "geburtsort has the place name, district and country only")
            return
        element = self.el(parent, tag)
        with_street = full or detail
        if with_street and "thoroughfare" in address:
            self.el(element, q("strasse"), address["thoroughfare"], f"{path}.address.thoroughfare")
        if with_street and "locatorDesignator" in address:
            self.el(element, q("hausnummer"), address["locatorDesignator"],
                    f"{path}.address.locatorDesignator")  # fmt: skip
        if name:
            self.el(element, q("ort"), name, f"{path}.name")
        if with_street and "addressArea" in address:
            self.el(element, q("ortsteil"), address["addressArea"], f"{path}.address.addressArea")
        if "adminUnitL2" in address:
            self.el(element, q("kreisbezeichnung"), address["adminUnitL2"],
                    f"{path}.address.adminUnitL2")  # fmt: skip
        self.country(element, place, path)

    def country(self, parent: etree._Element, place: Json, path: str) -> None:
        alpha2 = place.get("country")
        if alpha2 and "countryName" in place:
            self.notes.add(f"{path}.countryName", "not written: staat takes the country's code")
        if alpha2:
            row = self.countries.row("alpha2", alpha2)
            if row is not None and row["kind"] == "staat":
                staat = self.el(parent, q("staat"))
                self.code(staat, q("code"), row["destatis"], str(self.countries.list_uri),
                          str(self.countries.list_version))  # fmt: skip
                return
            if row is not None:  # a territory (Hongkong, Macau, Taiwan): not in the Staat list
                self.notes.add(f"{path}.country", "not in the Destatis Staat list: written as text")
                self.el(self.el(parent, q("staat")), q("nichtGelisteterWert"), row["name"])
                return
            self.lost(f"{path}.country", "no Destatis key for this country")
        elif "countryName" in place:
            staat = self.el(parent, q("staat"))
            self.el(staat, q("nichtGelisteterWert"), place["countryName"], f"{path}.countryName")

    def portal_address(self, parent: etree._Element, address: Json, path: str) -> None:
        """Portal2StA.Anschrift (letzterWohnsitz): street, post code, town, district, country."""
        element = self.el(parent, q("letzterWohnsitz"))
        street = address.get("thoroughfare")
        number = address.get("locatorDesignator")
        if street and number:
            for field in ("thoroughfare", "locatorDesignator"):
                self.notes.add(
                    f"{path}.{field}",
                    "street and house number written as one strasse; they come back as the "
                    "thoroughfare",
                )
            street = f"{street} {number}"
        elif number:
            self.lost(f"{path}.locatorDesignator", "a house number without a street")
        for tag, value, field in (
            ("strasse", street, "thoroughfare"),
            ("plz", address.get("postCode"), "postCode"),
            ("ort", address.get("postName"), "postName"),
            ("ortsteil", address.get("addressArea"), "addressArea"),
        ):
            if value:
                self.el(element, q(tag), value, f"{path}.{field}")
        alpha2 = address.get("adminUnitL1")
        if alpha2:
            name = self.countries.map("alpha2", "name", alpha2)
            if name:
                self.el(element, q("staat"), name)
            else:
                self.lost(f"{path}.adminUnitL1", "no German name for this country")

    def inland_address(self, parent: etree._Element, address: Json, path: str) -> None:
        """Anschrift.Inland: municipality key, house number parts, post code, street, town."""
        element = self.el(parent, q("anschrift"))
        municipality = address.get("municipalityCode")
        if municipality:
            self._municipality(element, municipality, f"{path}.municipalityCode")
        parts = self._house_number_parts(address, path)
        number = "locatorDesignator"
        for tag, value, field in (
            ("hausnummer", parts.get("addressNumber"), number),
            ("hausnummerBuchstabeZusatzziffer", parts.get("addressNumberExtension"), number),
            ("postleitzahl", address.get("postCode"), "postCode"),
            ("strasse", address.get("thoroughfare"), "thoroughfare"),
            ("teilnummerDerHausnummer", parts.get("addressNumber2ndExtension"), number),
            ("wohnort", address.get("postName"), "postName"),
        ):
            if value is None:
                continue
            pattern, fits = _RESTRICTED.get(tag, (None, ""))
            if pattern is not None and not pattern.fullmatch(value):
                self.lost(f"{path}.{field}", f"{tag} takes {fits}")
                continue
            self.el(element, tag, value, f"{path}.{field}")

    def _municipality(self, parent: etree._Element, code: Json, path: str) -> None:
        if code.get("listURI", _AGS) != _AGS:
            self.lost(path, "only an AGS (German municipality key) fits gemeindeschluessel")
        elif not code.get("listVersionID"):
            self.lost(path, "gemeindeschluessel needs the AGS list version")
        else:
            ags = self.code(
                parent, "gemeindeschluessel", code["code"], _AGS, code["listVersionID"], path
            )
            if "name" in code:
                self.el(ags, "name", code["name"], f"{path}.name")

    def _house_number_parts(self, address: Json, path: str) -> dict[str, str]:
        designators = address.get("locatorDesignators")
        if designators:
            parts = {d["type"]: d["designator"] for d in designators}
            known = {"addressNumber", "addressNumberExtension", "addressNumber2ndExtension"}
            if set(parts) - known:
                self.lost(f"{path}.locatorDesignators", "only number, extension and part number")
            return {k: v for k, v in parts.items() if k in known}
        number = address.get("locatorDesignator")
        if not number:
            return {}
        match = _HOUSE_NUMBER.fullmatch(number)
        if match is None:
            self.lost(f"{path}.locatorDesignator", "cannot be split into number and letter")
            return {}
        parts = {"addressNumber": match["number"]}
        if match["letter"]:
            parts["addressNumberExtension"] = match["letter"]
        return parts

    def contacts(self, parent: etree._Element, tag: str, owner: Json, path: str) -> int:
        written = 0
        for index, contact in enumerate(owner.get("contactPoints", [])):
            here = f"{path}[{index}]"
            code: Json = contact.get("code") or {}
            if code.get("listURI") == LIST_ERREICHBARKEIT.uri:
                value, version = (
                    code["code"],
                    code.get("listVersionID", LIST_ERREICHBARKEIT.version),
                )
                if CHANNEL_FROM_XOEV.get(value, "other") != contact["channel"]:
                    self.notes.add(f"{here}.channel", "the Erreichbarkeit code decides the channel")
                if "name" in code:
                    self.notes.add(f"{here}.code.name", "not carried: kanal has no label")
            elif contact["channel"] in CHANNEL_TO_XOEV:
                value, version = CHANNEL_TO_XOEV[contact["channel"]], LIST_ERREICHBARKEIT.version
                if code:
                    self.notes.add(f"{here}.code", "not an Erreichbarkeit code: the channel's is")
            else:
                self.lost(here, "channel 'other' without an XÖV Erreichbarkeit code")
                continue
            element = self.el(parent, tag)
            self.code(element, "kanal", value, LIST_ERREICHBARKEIT.uri, version, f"{here}.code")
            self.el(element, "kennung", contact["value"], f"{here}.value")
            self.notes.move(here, f"{path}[{written}]")
            written += 1
        return written
