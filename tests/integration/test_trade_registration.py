"""A trade notification checked in a foreign register (issue 4, the trade registration story).

The trade office posts an XGewerbeanzeige Anmeldung for an Estonian company to the Business
Register's lookup service; its gateway asks the register about the company and answers with the
notification as the register confirms it, in XGewerbeanzeige, with notes on what it corrected.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
from aiohttp import web

from connectors.base import ConnectorOptions, Envelope
from connectors.ee.ariregister import AriregisterConnector
from connectors.xoev.xgewerbeanzeige import XGewerbeanzeigeConnector
from gateway.app import bind
from tests.connectors.xoev.test_xgewerbeanzeige_foreign import (
    REGISTRY_CODE,
    estonian_ou_anmeldung,
)
from tests.integration.federation import SERVICE, Answer, Harness, assert_xroad_error, call

ARIREGISTER = AriregisterConnector(ConnectorOptions())
XGEWERBEANZEIGE = XGewerbeanzeigeConnector(ConnectorOptions())
PATH = "/ettevotted/detailandmed_v2"

# What the register records: the same company, at its registered address in Tallinn.
REGISTERED = {
    "identifiers": [
        {"notation": REGISTRY_CODE, "scheme": "ee.registrikood"},
        {"notation": "9000123", "scheme": "ee.ettevotja-id"},
    ],
    "legalNames": [{"lang": "et", "text": "Põhjaranniku Puit OÜ"}],
    "addresses": [
        {
            "role": "registered",
            "address": {"fullAddress": "Pärnu mnt 12, 10148 Tallinn", "postCode": "10148"},
        }
    ],
}


@pytest.fixture
async def register() -> AsyncIterator[tuple[str, list[str]]]:
    """Estonia's Business Register behind EE's gateway: it speaks detailandmed_v2 only."""
    asked: list[str] = []

    async def detailandmed(request: web.Request) -> web.Response:
        question = ARIREGISTER.decode_message(await request.read())  # valid, or this fails
        assert question.kind == "LegalEntityQuery" and question.document is not None
        codes = [i["notation"] for i in question.document["identifiers"]]
        asked.extend(codes)
        if codes != [REGISTRY_CODE]:
            return web.Response(status=404, text="no such company")
        answer, media_type, _ = ARIREGISTER.encode_with_notes(
            Envelope("x", document=REGISTERED, kind="LegalEntity")
        )
        return web.Response(body=answer, content_type=media_type.split(";")[0])

    app = web.Application()
    app.router.add_post(PATH, detailandmed)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
    await runner.setup()
    sock = bind("127.0.0.1", 0)
    await web.SockSite(runner, sock).start()
    yield f"http://127.0.0.1:{sock.getsockname()[1]}", asked
    await runner.cleanup()


def _trade_office_and_register(fed: Harness, backend: str) -> None:
    fed.backend_url = backend
    fed.members["DE"].client_format = "xoev.xgewerbeanzeige"
    # The operator publishes the register's format: the caller's gateway reads it there.
    fed.members["EE"].services[0]["format"] = "ee.ariregister"


async def _notify(fed: Harness, client_url: str, body: bytes) -> Answer:
    async with fed.client("DE") as http:
        return await call(
            http,
            "POST",
            f"{client_url}/r1/{SERVICE}{PATH}",
            headers={"X-Road-Client": fed.client_id("DE"), "Content-Type": "application/xml"},
            data=body,
        )


def _records(fed: Harness, key: str) -> list[dict[str, Any]]:
    path = fed.members[key].dir / "data" / "audit.sqlite"
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        rows = db.execute("SELECT record FROM audit_entries ORDER BY seq").fetchall()
    return [orjson.loads(row[0]) for row in rows]


async def test_the_register_confirms_the_company_in_xoev_terms(fed: Harness, register) -> None:
    backend, asked = register
    _trade_office_and_register(fed, backend)
    async with fed.start() as (de, _ee):
        answer = await _notify(fed, de.client_url, estonian_ou_anmeldung())
    assert answer.status == 200, answer.body
    assert asked == [REGISTRY_CODE]  # the register was asked about exactly that company
    # The office gets an XGewerbeanzeige Anmeldung back (valid: decode checks the schema) ...
    back = await XGEWERBEANZEIGE.decode(answer.body, "application/xml")
    assert back.kind == "TradeNotification" and back.document is not None
    assert back.document["notificationType"] == "registration"
    business = back.document["business"]
    # ... whose business is the one the register records.
    assert {"notation": REGISTRY_CODE, "scheme": "ee.registrikood"} in [
        {"notation": i["notation"], "scheme": i["scheme"]} for i in business["identifiers"]
    ]
    assert business["legalNames"][0]["text"] == "Põhjaranniku Puit OÜ"
    notified = await XGEWERBEANZEIGE.decode(estonian_ou_anmeldung(), "application/xml")
    assert notified.document is not None
    # What the register does not hold (the persons of the notification) stays as notified.
    assert back.document.get("persons") == notified.document.get("persons")


async def test_the_corrections_and_the_losses_are_in_the_audit_log(fed: Harness, register) -> None:
    backend, _ = register
    _trade_office_and_register(fed, backend)
    async with fed.start() as (de, _ee):
        answer = await _notify(fed, de.client_url, estonian_ou_anmeldung())
    assert answer.status == 200, answer.body
    response = _records(fed, "DE")[-1]
    assert response["kind"] == "response"
    notes = response["notes"] or ""
    # The register names the company in Estonian; the notification had it in German.
    assert "business.legalNames: the register's value replaces the notified one" in notes
    # XGewerbeanzeige has no place for the registered address: said, not dropped silently.
    assert "$.business.addresses: not carried by XGewerbeanzeige" in notes
    assert "Pärnu" not in notes  # notes name fields, never values


async def test_a_notification_that_names_no_business_is_the_clients_error(
    fed: Harness, register
) -> None:
    backend, asked = register
    _trade_office_and_register(fed, backend)
    notified = await XGEWERBEANZEIGE.decode(estonian_ou_anmeldung(), "application/xml")
    assert notified.document is not None
    anonymous = {
        **notified.document,
        "business": {"legalForm": notified.document["business"]["legalForm"]},
    }
    body, _, _ = XGEWERBEANZEIGE.encode_with_notes(
        Envelope("x", document=anonymous, kind="TradeNotification")
    )
    async with fed.start() as (de, _ee):
        answer = await _notify(fed, de.client_url, body)
    error = assert_xroad_error(answer, "Client.InvalidMessage")
    assert "no identifier and no name" in error["message"]
    assert asked == []


async def test_a_company_the_register_does_not_know_passes_its_verdict_on(
    fed: Harness, register
) -> None:
    backend, asked = register
    _trade_office_and_register(fed, backend)
    unknown = estonian_ou_anmeldung().replace(REGISTRY_CODE.encode(), b"10000018")
    async with fed.start() as (de, _ee):
        answer = await _notify(fed, de.client_url, unknown)
    assert asked == ["10000018"]
    assert answer.status == 404  # the register's own verdict, passed on as it is
