"""An Anmeldung of a foreign company: an Estonian OÜ in Germany keeps its register code.

No sample has one: the message is built from the 2.2 sample. XGewerbeanzeige has no element
for a foreign register; its elements allow it as eintragungNr + eintragungOrt without German
register type (eintragungArt) and court (gerichtSchluessel), with the head office
(hauptniederlassung) in Estonia. The connector reads that as an ee.registrikood identifier.
"""

from __future__ import annotations

import pytest
from lxml import etree

from connectors import identifiers
from connectors.base import ConnectorOptions
from connectors.canonical import validate
from connectors.xoev.xgewerbeanzeige import XGewerbeanzeigeConnector
from tests.connectors.xoev.test_xgewerbeanzeige_support import SAMPLES

NS = "http://www.xgewerbeanzeige.de/spezifikation/2.2"
REGISTRY_CODE = "12345678"  # check digit valid (ee.registrikood); not a real company


def _q(name: str) -> str:
    return f"{{{NS}}}{name}"


def _sub(parent: etree._Element, name: str, text: str | None = None, index: int | None = None):
    element = etree.Element(_q(name))
    element.text = text
    if index is None:
        parent.append(element)
    else:
        parent.insert(index, element)
    return element


def estonian_ou_anmeldung() -> bytes:
    root = etree.fromstring((SAMPLES / "xgwa2.2-valid.xml").read_bytes())
    gewerbe = root.find(f"{_q('satz')}/{_q('anmeldung')}/{_q('gewerbe')}")
    assert gewerbe is not None
    betrieb = gewerbe.find(_q("betrieb"))
    assert betrieb is not None
    form = betrieb.find(_q("rechtsformSchluessel"))
    person = gewerbe.find(_q("beteiligtePerson"))
    assert form is not None and person is not None
    betrieb.clear()
    _sub(betrieb, "ID", "1")
    _sub(betrieb, "eingetragenerName", "Põhjaranniku Puit OÜ")
    _sub(betrieb, "eintragungNr", REGISTRY_CODE)
    _sub(betrieb, "eintragungOrt", "Tallinn")
    # The samples show no rechtsform code for a foreign legal form; the sample's code stands in.
    betrieb.append(form)
    office = _sub(gewerbe, "hauptniederlassung", index=gewerbe.index(person))
    address = _sub(office, "anschrift")
    for name, text in (("strasse", "Pärnu mnt"), ("hausNrVon", "10"), ("ort", "Tallinn"),
                       ("plz", "10148")):  # fmt: skip
        _sub(address, name, text)
    nation = _sub(address, "nationSchluessel")
    nation.set("listVersionID", "2")
    etree.SubElement(nation, "code").text = "233"  # ISO 3166-1 numeric: Estonia
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


@pytest.fixture(scope="module")
def connector() -> XGewerbeanzeigeConnector:
    return XGewerbeanzeigeConnector(ConnectorOptions())


async def test_the_estonian_register_code_is_carried(connector):
    envelope = await connector.decode(estonian_ou_anmeldung(), "application/xml")
    doc = envelope.document
    assert doc is not None
    validate("TradeNotification", doc)
    business = doc["business"]
    assert business["identifiers"] == [{
        "notation": REGISTRY_CODE, "scheme": "ee.registrikood", "issuer": "EE",
        "schemeAgency": "Tallinn",
    }]  # fmt: skip
    assert business["legalNames"] == [{"lang": "de", "text": "Põhjaranniku Puit OÜ"}]
    assert doc["headOfficeAddress"]["adminUnitL1"] == "EE"
    # What an ee.ariregister query needs: a checked registry code.
    checked = identifiers.validate("ee.registrikood", business["identifiers"][0]["notation"])
    assert checked.warnings == ()
    assert not any("eintragungNr" in note for note in envelope.notes)


async def test_it_round_trips(connector):
    envelope = await connector.decode(estonian_ou_anmeldung(), "application/xml")
    body, _, notes = connector.encode_with_notes(envelope)
    assert notes == ()
    assert (await connector.decode(body, "application/xml")).document == envelope.document


async def test_without_a_foreign_head_office_the_number_is_a_note(connector):
    body = estonian_ou_anmeldung().replace(b"<code>233</code>", b"<code>276</code>")
    envelope = await connector.decode(body, "application/xml")
    assert envelope.document is not None
    assert "identifiers" not in envelope.document["business"]
    assert any(n.startswith("satz/anmeldung/gewerbe/betrieb/eintragungNr: a register number")
               for n in envelope.notes)  # fmt: skip
