"""The mission's three stories, and the two refusals the demo shows, as data.

Usage::

    for story in STORIES: ...
    extract(body, "x:betrieb/eingetragenerName")       # first match, by local names
    extract(body, "j:personen.0.naam.geslachtsnaam")  # a JSON path

Each story is one request of a client system, in its own format, to its own gateway;
its facts are what the demo prints at each edge: what the client sent, what the
register was asked, what it answered, what the client got, each in the native
format of that edge.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from gateway.demo.federation import BUSINESS_REGISTER, GEEF_ONDERNEMING

__all__ = ["CHECKS", "STORIES", "Check", "Fact", "Story", "extract"]

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


@dataclass(frozen=True)
class Fact:
    """One item of the story, read at each edge (None: that edge does not carry it)."""

    label: str
    sent: str | None = None
    asked: str | None = None
    answered: str | None = None
    got: str | None = None


@dataclass(frozen=True)
class Story:
    title: str
    route: str  # who talks to whom, in which format
    caller: str  # DE, NL: whose client system asks, through its own gateway
    path: str  # on the caller's client port
    payload: str  # a file of gateway.demo.payloads
    content_type: str
    register: str  # the member whose register answers: DE, EE, BE
    formats: tuple[str, str, str, str]  # of the four edges
    facts: tuple[Fact, ...] = field(default=())


@dataclass(frozen=True)
class Check:
    """A request the federation must refuse, and the X-Road error it must give."""

    title: str
    caller: str
    path: str
    payload: str
    content_type: str
    expect_error: str
    tamper: bool = False


_SENT_NAME = "x:betrieb/eingetragenerName"
_SENT_NUMBER = "x:betrieb/eintragungNr"

STORIES = (
    Story(
        "Trade registration: an Estonian company (OÜ) registers a trade in Musterstadt",
        "Gewerbeamt --XGewerbeanzeige--> xgw DE --signed canonical--> xgw EE "
        "--detailandmed_v2 (X-Road SOAP)--> Äriregister",
        "DE",
        f"/r1/{BUSINESS_REGISTER}",
        "anmeldung-ee-ou.xml",
        "application/xml",
        "EE",
        (
            "XGewerbeanzeige 2.2",
            "detailandmed_v2",
            "detailandmed_v2Response",
            "XGewerbeanzeige 2.2",
        ),
        (
            Fact("company name", _SENT_NAME, None, "x:item/nimi", _SENT_NAME),
            Fact(
                "registry code",
                _SENT_NUMBER,
                "x:keha/ariregistri_kood",
                "x:item/ariregistri_kood",
                _SENT_NUMBER,
            ),
            Fact("X-Road client", None, "x:client/subsystemCode"),
            Fact("X-Road service", None, "x:service/serviceCode"),
            Fact(
                "registered at",
                "x:hauptniederlassung/anschrift/ort",
                None,
                "x:aadress_ads__ads_normaliseeritud_taisaadress",
                "x:hauptniederlassung/anschrift/ort",
            ),
        ),
    ),
    Story(
        "Resident lookup: Amsterdam asks whether a person lives in Musterstadt",
        "BRP client --Haal Centraal BRP--> xgw NL --signed canonical--> xgw DE "
        "--XMeld Datenabruf--> Melderegister",
        "NL",
        "/haalcentraal/api/brp/personen",
        "haalcentraal-zoek-mueller.json",
        "application/json",
        "DE",
        (
            "Haal Centraal BRP",
            "XMeld 1332 (Suchanfrage)",
            "XMeld 1333 (Antwort)",
            "Haal Centraal BRP",
        ),
        (
            Fact("type", "j:type", "x:nachrichtentyp/code", "x:nachrichtentyp/code", "j:type"),
            Fact(
                "family name",
                "j:geslachtsnaam",
                "x:nachname/name",
                "x:familienname/nachname",
                "j:personen.0.naam.geslachtsnaam",
            ),
            Fact("given names", None, None, "x:vornamen/name", "j:personen.0.naam.voornamen"),
            Fact(
                "born",
                "j:geboortedatum",
                "x:jahrMonatTag",
                "x:jahrMonatTag",
                "j:personen.0.geboorte.datum.datum",
            ),
            Fact("asked by", None, "x:behoerdenname"),
            Fact("purpose", None, "x:anlassDesAbrufs"),
            Fact("searched in", None, "x:suchbereich/gemeindeschluessel/code"),
            Fact("address", None, None, "x:strasse", "j:personen.0.adressering.adresregel1"),
        ),
    ),
    Story(
        "Belgian enterprise check: the trade office checks a Belgian BV through MAGDA",
        "Gewerbeamt --XGewerbeanzeige--> xgw DE --GeefOnderneming (MAGDA SOAP)--> MAGDA",
        "DE",
        f"/r1/{GEEF_ONDERNEMING}",
        "anmeldung-be-bv.xml",
        "application/xml",
        "BE",
        (
            "XGewerbeanzeige 2.2",
            "GeefOnderneming",
            "GeefOndernemingResponse",
            "XGewerbeanzeige 2.2",
        ),
        (
            Fact("company name", _SENT_NAME, None, "x:MaatschappelijkeNaam/Naam", _SENT_NAME),
            Fact(
                "enterprise number",
                _SENT_NUMBER,
                "x:Ondernemingsnummer",
                "x:Onderneming/Ondernemingsnummer",
                _SENT_NUMBER,
            ),
            Fact("MAGDA service", None, "x:Context/Naam", "x:Context/Naam"),
            Fact(
                "registered at",
                "x:hauptniederlassung/anschrift/ort",
                None,
                "x:Gemeente/Naam",
                "x:hauptniederlassung/anschrift/ort",
            ),
        ),
    ),
)

CHECKS = (
    Check(
        "Amsterdam asks the Estonian Business Register: no access right",
        "NL",
        f"/r1/{BUSINESS_REGISTER}",
        "anmeldung-ee-ou.xml",
        "application/xml",
        "Server.ClientProxy.AccessDenied",
    ),
    Check(
        "A load balancer alters the question on its way to EE",
        "DE",
        f"/r1/{BUSINESS_REGISTER}",
        "anmeldung-ee-ou.xml",
        "application/xml",
        "Server.ClientProxy.InconsistentResponse",
        tamper=True,
    ),
)


def extract(body: bytes, spec: str | None) -> str:
    """The value ``spec`` names in ``body`` ("" when absent): ``x:a/b`` XML, ``j:a.0.b`` JSON."""
    if spec is None or not body:
        return ""
    kind, _, path = spec.partition(":")
    try:
        if kind == "x":
            return _xml(body, path)
        return _json(json.loads(body), path)
    except (etree.XMLSyntaxError, ValueError):
        return ""


def _xml(body: bytes, path: str) -> str:
    root = etree.fromstring(body, _PARSER)
    steps = "//" + "/".join(f"*[local-name()='{step}']" for step in path.split("/"))
    found = root.xpath(steps)
    if not isinstance(found, list) or not found:
        return ""
    first = found[0]
    if isinstance(first, etree._Element):
        return " ".join("".join(str(text) for text in first.itertext()).split())
    return str(first)


def _json(document: Any, path: str) -> str:
    for step in path.split("."):
        if isinstance(document, list) and step.isdigit() and int(step) < len(document):
            document = document[int(step)]
        elif isinstance(document, dict) and step in document:
            document = document[step]
        else:
            return ""
    if isinstance(document, list):
        return ", ".join(str(item) for item in document)
    return "" if isinstance(document, dict) else str(document)
