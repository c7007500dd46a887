"""The XÖV g2g message header of XMeld 25.11a (``nachrichtenkopf.g2g``) and the requester.

Usage::

    root = new_message("datenabruf.freieSuche.suchanfrage.1332", "1332", requester, notes)
    requester = read_requester(node, notes)      # from the header autor + datenAbrufendeStelle

The header is transport metadata (message id, time, sender and receiver in the DVDV). The
canonical query carries the sender as ``requester`` (its DVDV prefix and key from
``autor/kennung`` "prefix:key", its name, address and contact points); the receiver,
message id and time are not carried (notes). A canonical document that names no sender
or receiver gets the placeholder ``xgw:unbekannt``, with a note: the provider's gateway
fills in the real DVDV identities.
"""

from __future__ import annotations

import datetime as dt
import uuid

from lxml import etree

from connectors.canonical import Address, Authority, ContactPoint
from connectors.xoev.xmeld.schema import NAMESPACE
from connectors.xoev.xmeld.tree import Node, code_node, qualified, unqualified
from connectors.xoev.xmeld.values import CHANNEL_LIST_VERSION, Notes, channel_code, channel_of, text

__all__ = [
    "PLACEHOLDER",
    "new_message",
    "read_building",
    "read_contacts",
    "read_header",
    "write_building",
    "write_contacts",
]

PLACEHOLDER = "xgw:unbekannt"
_DIRECTORY = "DVDV"
_DIRECTORY_VERSION = "3"
_NOT_IN_BUILDING = (
    "fullAddress", "thoroughfareNames", "thoroughfareCode", "locatorDesignators", "locatorName",
    "addressArea", "postNames", "municipalityCode", "adminUnitL2", "adminUnitL1", "poBox",
    "addressId",
)  # fmt: skip


def new_message(
    root_name: str, type_code: str, sender: Authority | None, notes: Notes
) -> etree._Element:
    """A message root with its header; the sender from ``sender`` or the placeholder."""
    root = etree.Element("{" + NAMESPACE + "}" + root_name, nsmap={"xmeld": NAMESPACE})
    root.attrib.update({"version": "25.11a", "produkt": "xgw", "produkthersteller": "xgw",
                        "standard": "XMeld"})  # fmt: skip
    head = unqualified(root, "nachrichtenkopf.g2g")
    ident = unqualified(head, "identifikation.nachricht")
    unqualified(ident, "nachrichtenUUID", str(uuid.uuid4()))
    code_node(ident, "nachrichtentyp", {"code": type_code}, is_qualified=False)
    now = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")
    unqualified(ident, "erstellungszeitpunkt", now)
    notes.add("nachrichtenkopf.g2g/leser: the canonical document names no receiving authority; "
              f"written as {PLACEHOLDER!r} for the provider's gateway to set")  # fmt: skip
    _behoerde(head, "leser", None, None)
    prefix = sender.get("prefix", {}).get("code") if sender else None
    key = sender.get("code", {}).get("code") if sender else None
    name = sender.get("name") if sender else None
    if key is None or name is None:
        notes.add("nachrichtenkopf.g2g/autor: the canonical document names no sender key and "
                  f"name (requester.code, requester.name); written as {PLACEHOLDER!r}")  # fmt: skip
        _behoerde(head, "autor", None, None)
    else:
        kennung = f"{prefix}:{key}" if prefix else key
        _behoerde(head, "autor", text("requester.code", kennung), text("requester.name", name))
    return root


def _behoerde(parent: etree._Element, name: str, kennung: str | None, label: str | None) -> None:
    element = unqualified(parent, name)
    code_node(element, "verzeichnisdienst", {"code": _DIRECTORY,
              "listVersionID": _DIRECTORY_VERSION}, is_qualified=False)  # fmt: skip
    unqualified(element, "kennung", kennung or PLACEHOLDER)
    unqualified(element, "name", label or PLACEHOLDER)


def read_header(root: Node, notes: Notes) -> Authority:
    """The sender (autor) as an Authority (empty for the placeholder); notes for the rest."""
    head = root.get("nachrichtenkopf.g2g")
    assert head is not None  # the schema requires it
    notes.add(
        "nachrichtenkopf.g2g: message id, type and time, the receiver (leser), the "
        "product attributes and anschrift.leser are transport metadata; not carried"
    )
    autor = head.get("autor")
    assert autor is not None
    sender: Authority = {}
    kennung = autor.text_of("kennung") or PLACEHOLDER
    directory = autor.path("verzeichnisdienst", "code")
    if directory is not None and directory.text != _DIRECTORY:
        notes.not_carried("nachrichtenkopf.g2g/autor/verzeichnisdienst", "not the DVDV")
    if kennung != PLACEHOLDER:
        prefix, _, key = kennung.rpartition(":")
        if prefix:
            sender["prefix"] = {"code": prefix}
        sender["code"] = {"code": key}
        if autor.text_of("name") and autor.text_of("name") != PLACEHOLDER:
            sender["name"] = autor.text_of("name") or ""
    if autor.all("erreichbarkeit"):
        sender["contactPoints"] = read_contacts(autor.all("erreichbarkeit"), notes)
    building = root.get("anschrift.autor")
    if building is not None:
        sender["address"] = read_building(building)
    return sender


def write_contacts(
    parent: etree._Element, points: list[ContactPoint], field: str, notes: Notes
) -> None:
    for i, point in enumerate(points):
        code = channel_code(point["channel"])
        if code is None:
            notes.not_carried(f"{field}[{i}]", f"channel {point['channel']!r} has no XÖV code")
            continue
        if "code" in point:
            notes.not_carried(f"{field}[{i}].code", "the channel's XÖV code is derived from it")
        element = qualified(parent, "erreichbarkeit")
        code_node(element, "kanal", {"code": code, "listVersionID": CHANNEL_LIST_VERSION},
                  is_qualified=False)  # fmt: skip
        unqualified(element, "kennung", text(f"{field}[{i}].value", point["value"]))


def read_contacts(nodes: list[Node], notes: Notes) -> list[ContactPoint]:
    points: list[ContactPoint] = []
    for node in nodes:
        kanal = node.path("kanal", "code")
        code = kanal.text if kanal is not None and kanal.text else ""
        point: ContactPoint = {"channel": channel_of(code), "value": node.text_of("kennung") or ""}  # type: ignore[typeddict-item]
        if point["channel"] == "other":
            point["code"] = {"code": code}
        if node.get("zusatz") is not None:
            notes.not_carried("erreichbarkeit/zusatz")
        points.append(point)
    return points


def write_building(parent: etree._Element, name: str, address: Address, field: str,
                   notes: Notes, *, is_qualified: bool) -> None:  # fmt: skip
    element = (qualified if is_qualified else unqualified)(parent, name)
    building = unqualified(element, "gebaeude")
    for key, tag in (("locatorDesignator", "hausnummer"), ("postCode", "postleitzahl"),
                     ("thoroughfare", "strasse"), ("postName", "wohnort")):  # fmt: skip
        if key in address:
            unqualified(building, tag, text(f"{field}.{key}", address[key]))  # type: ignore[literal-required]
    for key in _NOT_IN_BUILDING:
        if key in address:
            notes.not_carried(f"{field}.{key}", "an XMeld authority address has no such part")


def read_building(node: Node) -> Address:
    building = node.get("gebaeude")
    address: Address = {}
    if building is None:
        return address
    for key, tag in (("locatorDesignator", "hausnummer"), ("postCode", "postleitzahl"),
                     ("thoroughfare", "strasse"), ("postName", "wohnort")):  # fmt: skip
        value = building.text_of(tag)
        if value:
            address[key] = value  # type: ignore[literal-required]
    return address
