"""Cross-format cases (issue 3, item 6): one format in, another out, through the canonical model."""

from __future__ import annotations

import orjson
from lxml import etree

from connectors.base import ConnectorOptions, Envelope
from connectors.canonical.derive import legal_entity_query_for
from connectors.canonical.validate import validate
from connectors.ee.ariregister import AriregisterConnector
from connectors.nl.brp import BrpConnector
from connectors.xoev.xgewerbeanzeige import XGewerbeanzeigeConnector
from connectors.xoev.xmeld import XMeldConnector
from tests.connectors.xoev.test_xgewerbeanzeige_foreign import (
    REGISTRY_CODE,
    estonian_ou_anmeldung,
)

OPTIONS = ConnectorOptions()


async def test_an_anmeldung_for_an_estonian_ou_becomes_an_ariregister_query():
    notification = await XGewerbeanzeigeConnector(OPTIONS).decode(
        estonian_ou_anmeldung(), "application/xml"
    )
    assert notification.kind == "TradeNotification" and notification.document is not None
    query = legal_entity_query_for(notification.document, country="EE")  # type: ignore[arg-type]
    validate("LegalEntityQuery", query)
    ariregister = AriregisterConnector(OPTIONS)
    body, _, _notes = ariregister.encode_with_notes(
        Envelope("x", document=dict(query), kind="LegalEntityQuery")
    )
    # A detailandmed_v2 request for exactly that company, valid against the register's schema
    # (encode validates), and it reads back as the same question.
    root = etree.fromstring(body)
    codes = [e.text for e in root.iter() if etree.QName(e).localname == "ariregistri_kood"]
    assert codes == [REGISTRY_CODE]
    back = ariregister.decode_message(body)
    assert back.kind == "LegalEntityQuery"
    assert back.document is not None
    assert [i["notation"] for i in back.document["identifiers"]] == [REGISTRY_CODE]


async def test_a_haal_centraal_search_becomes_an_xmeld_query():
    brp_request = {
        "type": "ZoekMetGeslachtsnaamEnGeboortedatum",
        "geslachtsnaam": "Müller",
        "geboortedatum": "1984-03-12",
        "voornamen": "Anna Maria",
        "fields": ["naam", "geboorte"],
    }
    envelope = await BrpConnector(OPTIONS).decode(orjson.dumps(brp_request), "application/json")
    assert envelope.kind == "PersonQuery" and envelope.document is not None
    query = dict(envelope.document)
    assert query["familyName"] == "Müller" and query["birthDate"] == "1984-03-12"
    # What a BRP client never says and XMeld requires: who asks, why, and where to search.
    # The caller's gateway adds it from its own configuration (the Dutch front door, issue 4).
    query |= {
        "purpose": "Bevolkingsonderzoek",
        "requester": {"name": "Gemeente Amsterdam"},
        "searchArea": [{"code": "05974028"}],
    }
    validate("PersonQuery", query)
    body, _, _notes = XMeldConnector(OPTIONS).encode_with_notes(
        Envelope("x", document=query, kind="PersonQuery")
    )
    back = XMeldConnector(OPTIONS).decode_message(body)
    assert back.kind == "PersonQuery" and back.document is not None
    assert back.document["familyName"] == "Müller"
    assert back.document["birthDate"] == "1984-03-12"
    assert back.document.get("givenNames") == query.get("givenNames")
