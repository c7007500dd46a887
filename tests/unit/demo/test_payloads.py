"""The demo's payloads are written for the demo; here they meet the partners' real schemas.

Each register's answer is validated by its connector against the official schema set in
../shared (schema_dir): the Estonian Business Register's detailandmed_v2 XSD, MAGDA's response
XSDs. XGewerbeanzeige and XMeld have no official set that compiles (docs/connectors), so those
are checked against xgw's schemas derived from the official samples.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.base import ConnectorOptions
from connectors.be.magda import MagdaConnector
from connectors.ee.ariregister import AriregisterConnector
from connectors.xoev.xgewerbeanzeige import XGewerbeanzeigeConnector
from connectors.xoev.xmeld import XMeldConnector
from gateway.demo.payloads import PAYLOADS, payload

SHARED = Path(__file__).resolve().parents[3].parent / "shared"
OFFICIAL = ConnectorOptions(schema_dir=SHARED)


@pytest.mark.parametrize(
    ("name", "connector", "kind"),
    [
        ("ariregister-detailandmed_v2-12345678.xml", AriregisterConnector(OFFICIAL), "LegalEntity"),
        ("magda-geefonderneming-0403170701.xml", MagdaConnector(OFFICIAL), "LegalEntity"),
        ("anmeldung-ee-ou.xml", XGewerbeanzeigeConnector(OFFICIAL), "TradeNotification"),
        ("anmeldung-be-bv.xml", XGewerbeanzeigeConnector(OFFICIAL), "TradeNotification"),
        ("xmeld-antwort-mueller.xml", XMeldConnector(), "Person"),
    ],
)
async def test_a_payload_is_valid_in_its_native_schema(name, connector, kind) -> None:
    envelope = await connector.decode(payload(name), "text/xml")
    assert envelope.kind == kind


def test_the_official_schemas_were_the_ones_used() -> None:
    assert (SHARED / "partners/estonia/ariregister/xsd/detailandmed_v2.xsd").is_file()
    assert AriregisterConnector(OFFICIAL).schema.source.startswith(str(SHARED))
    assert MagdaConnector(OFFICIAL).schemas.origin["GeefOndernemingResponse"] == "official"


def test_every_payload_file_is_listed() -> None:
    shipped = {p.name for p in Path(payload.__code__.co_filename).parent.iterdir()}
    assert set(PAYLOADS) == {n for n in shipped if not n.endswith((".py", "__pycache__"))}
