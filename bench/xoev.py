"""The translated exchange's documents: an XÖV Anmeldung, what the register gets and answers.

Usage::

    docs = xoev_documents()
    docs.request             # what DE's trade office sends: XGewerbeanzeige 2.2, 3216 bytes
    docs.register_request    # the SOAP Body EE's register must get (detailandmed_v2)
    docs.register_answer     # what the register answers (detailandmed_v2Response)
    docs.client_answer       # what the office gets back: XGewerbeanzeige 2.2 (for the plain chain)
    masked(answer) == docs.masked_answer   # an answer is right, whatever its id and time

The demo federation's first story, as one fixed exchange: the Gewerbeamt of Musterstadt
posts an Anmeldung of an Estonian OÜ (the demo's ``anmeldung-ee-ou.xml`` without
whitespace, contact blocks, the business type, the participating person and code-list
attributes, 3216 bytes) to Estonia's Business Register. DE decodes it to a
canonical TradeNotification and asks the register about its business (a LegalEntityQuery);
EE encodes that as ``detailandmed_v2`` for its backend and decodes the answer; DE folds
the register's entity back into the notification and encodes XGewerbeanzeige again.

The expected documents are computed here with the same connectors and the same
``connectors.canonical.derive`` functions, independently of the gateways. An encoded
XGewerbeanzeige gets a fresh message id and creation time: :func:`masked` blanks both,
so every answer must equal the expected one in every other byte.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from lxml import etree

from connectors.base import ConnectorOptions, Envelope
from connectors.canonical.derive import legal_entity_query_for, with_registered_business
from connectors.ee.ariregister import AriregisterConnector
from connectors.xoev.xgewerbeanzeige import XGewerbeanzeigeConnector
from gateway.demo.payloads import payload

__all__ = [
    "SOAP_BODY",
    "XoevDocuments",
    "compact_request",
    "masked",
    "soap_body",
    "xoev_documents",
]

_NS = "{http://www.xgewerbeanzeige.de/spezifikation/2.2}"
SOAP_BODY = b"<SOAP-ENV:Body>"  # the connector's and the gateway's prefix for SOAP 1.1
# What an encoder makes up per message: its id and its creation time.
_PER_MESSAGE = re.compile(rb"(<xga:(?:nachrichtenUUID|erstellungszeitpunkt)>)[^<]*(</)")
_ACTIVITY = "Herstellung von Fertigteilbauten aus Holz"


@dataclass(frozen=True)
class XoevDocuments:
    request: bytes
    register_request: bytes  # from ``<SOAP-ENV:Body>`` on: the X-Road header is the exchange's
    register_answer: bytes
    client_answer: bytes

    @property
    def masked_answer(self) -> bytes:
        return masked(self.client_answer)


def masked(answer: bytes) -> bytes:
    """``answer`` with its message id and creation time blanked."""
    return _PER_MESSAGE.sub(rb"\1\2", answer)


def soap_body(message: bytes) -> bytes:
    """A SOAP message from its Body on (b"" when it has none)."""
    start = message.find(SOAP_BODY)
    return message[start:] if start >= 0 else b""


def _compact(name: str) -> etree._Element:
    parser = etree.XMLParser(remove_blank_text=True, resolve_entities=False, no_network=True)
    return etree.fromstring(payload(name), parser)


def _serialise(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


@functools.cache
def compact_request() -> bytes:
    """The demo's Anmeldung of an Estonian OÜ, trimmed to fit in 3 KiB (before padding)."""
    root = _compact("anmeldung-ee-ou.xml")
    for author in root.iter(f"{_NS}autor"):
        for child in author.findall(f"{_NS}erreichbarkeit") + author.findall(f"{_NS}anschrift"):
            author.remove(child)
    for path in ("stichwort", "betriebArt", "ereigniszeitpunkt", "beteiligtePerson"):
        for element in root.findall(f".//{_NS}{path}"):
            parent = element.getparent()
            assert parent is not None
            parent.remove(element)
    for element in root.iter():
        for attribute in ("listURI", "listVersionID"):
            if attribute in element.attrib:
                del element.attrib[attribute]
    for element in root.iter(f"{_NS}taetigkeitSchwerpunkt"):
        element.text = _ACTIVITY
    return _serialise(root)


def _anmeldung(size: int | None) -> bytes:
    """:func:`compact_request`, padded to exactly ``size`` bytes if one is given."""
    compact = compact_request()
    if size is None or size == len(compact):
        return compact
    if len(compact) > size:
        raise ValueError(f"the XÖV request has at least {len(compact)} bytes, not {size}")
    # Whitespace between the last element and the root's end tag: insignificant in XML.
    closing = compact.rindex(b"</")
    return compact[:closing] + b"\n" + b" " * (size - len(compact) - 1) + compact[closing:]


@functools.lru_cache(maxsize=4)
def xoev_documents(size: int | None = None) -> XoevDocuments:
    """The exchange's four documents; the request padded to ``size`` bytes if one is given."""
    options = ConnectorOptions()
    xoev, register = XGewerbeanzeigeConnector(options), AriregisterConnector(options)
    request = _anmeldung(size)
    notification = xoev.decode_now(request).document
    assert notification is not None
    query = legal_entity_query_for(notification, country="EE")  # type: ignore[arg-type]
    asked, _, _ = register.encode_with_notes(
        Envelope("", document=dict(query), kind="LegalEntityQuery")
    )
    answer = _serialise(_compact("ariregister-detailandmed_v2-12345678.xml"))
    entity = register.decode_message(answer).document
    assert entity is not None
    verified, _ = with_registered_business(notification, entity)  # type: ignore[arg-type]
    client_answer, _, _ = xoev.encode_with_notes(
        Envelope("", document=dict(verified), kind="TradeNotification")
    )
    return XoevDocuments(request, soap_body(asked), answer, client_answer)
