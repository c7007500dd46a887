"""Translation in the gateway: decode at the caller's edge, canonical on the wire, encode at the
provider's edge, and back; notes in both audit logs (issue 3, item 7)."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import orjson
import pytest
from aiohttp import web

from connectors.base import Envelope
from connectors.nl.brp import BrpConnector
from gateway.app import bind
from gateway.signing import body_digest
from tests.integration.federation import SERVICE, Answer, Harness, assert_xroad_error, call

BRP = BrpConnector()
PERSON = {
    "identifiers": [{"notation": "999993653", "scheme": "nl.bsn"}],
    "name": {"givenNames": ["Anna", "Maria"], "familyName": "Straat", "namePrefix": "van der"},
    "birthDate": "1984-03",
    "gender": "female",
}
QUERY = {
    "type": "RaadpleegMetBurgerservicenummer",
    "burgerservicenummer": ["999993653"],
    "fields": ["naam", "geboorte", "geslacht"],
}


@pytest.fixture
async def brp_backend() -> AsyncIterator[tuple[str, list[bytes]]]:
    """A Dutch register behind the provider's gateway: it speaks Haal Centraal BRP only."""
    seen: list[bytes] = []

    async def personen(request: web.Request) -> web.Response:
        body = await request.read()
        seen.append(body)
        query = BRP.decode_message(body)  # a valid BRP request, or this fails loudly
        assert query.kind == "PersonQuery"
        answer, media_type, _ = BRP.encode_with_notes(Envelope("x", document=PERSON, kind="Person"))
        return web.Response(body=answer, content_type=media_type.split(";")[0])

    app = web.Application()
    app.router.add_post("/ettevotted/personen", personen)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
    await runner.setup()
    sock = bind("127.0.0.1", 0)
    await web.SockSite(runner, sock).start()
    yield f"http://127.0.0.1:{sock.getsockname()[1]}", seen
    await runner.cleanup()


async def _ask(http: aiohttp.ClientSession, fed: Harness, client_url: str, body: bytes) -> Answer:
    """DE's client system asks, in Haal Centraal BRP, through its own gateway."""
    return await call(
        http,
        "POST",
        f"{client_url}/r1/{SERVICE}/ettevotted/personen",
        headers={"X-Road-Client": fed.client_id("DE"), "Content-Type": "application/json"},
        data=body,
    )


def _translated(fed: Harness, backend: str) -> None:
    fed.backend_url = backend
    fed.members["DE"].client_format = "nl.brp"
    fed.members["EE"].backend_format = "nl.brp"


def _records(fed: Harness, key: str) -> list[dict[str, Any]]:
    path = fed.members[key].dir / "data" / "audit.sqlite"
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        rows = db.execute("SELECT record FROM audit_entries ORDER BY seq").fetchall()
    return [orjson.loads(row[0]) for row in rows]


async def test_a_brp_query_crosses_as_a_signed_canonical_document(fed: Harness, brp_backend):
    backend, seen = brp_backend
    _translated(fed, backend)
    async with fed.start() as (de, _ee), fed.client("DE") as http:
        answer = await _ask(http, fed, de.client_url, orjson.dumps(QUERY))
    assert answer.status == 200, answer.body
    # The client gets Haal Centraal BRP back, with the person as the backend described it.
    back = BRP.decode_message(answer.body)
    assert back.kind == "Person" and back.document is not None
    assert back.document["name"]["namePrefix"] == "van der"
    assert back.document["birthDate"] == "1984-03"  # partial, never invented
    # The backend got a BRP request rebuilt from the canonical query, not the client's bytes.
    assert len(seen) == 1
    assert BRP.decode_message(seen[0]).document == BRP.decode_message(orjson.dumps(QUERY)).document


async def test_between_the_gateways_only_canonical_documents_travel(fed: Harness, brp_backend):
    backend, _ = brp_backend
    _translated(fed, backend)
    raw = orjson.dumps(QUERY)
    async with fed.start() as (de, _ee), fed.client("DE") as http:
        await _ask(http, fed, de.client_url, raw)
    de_request = _records(fed, "DE")[0]
    ee_request = _records(fed, "EE")[0]
    # Both gateways logged the same signed bytes, and they are not what the client sent.
    assert de_request["digest"] == ee_request["digest"] != body_digest(raw)
    assert de_request["signature"] == ee_request["signature"]


async def test_a_payload_that_fails_its_schema_is_a_client_error_naming_the_path(
    fed: Harness, brp_backend
):
    backend, seen = brp_backend
    _translated(fed, backend)
    bad = {**QUERY, "burgerservicenummer": ["12345"]}
    async with fed.start() as (de, _ee), fed.client("DE") as http:
        answer = await _ask(http, fed, de.client_url, orjson.dumps(bad))
    error = assert_xroad_error(answer, "Client.InvalidMessage")
    assert "burgerservicenummer" in error["message"]
    assert seen == []


async def test_translation_notes_are_in_both_audit_logs(fed: Harness, brp_backend):
    backend, _ = brp_backend
    _translated(fed, backend)
    query = {**QUERY, "fields": ["naam", "aNummer"]}  # aNummer has no canonical field
    async with fed.start() as (de, _ee), fed.client("DE") as http:
        answer = await _ask(http, fed, de.client_url, orjson.dumps(query))
    assert answer.status == 200, answer.body
    for member in ("DE", "EE"):  # the notes travel with the canonical document
        notes = "\n".join(r["notes"] for r in _records(fed, member) if r["notes"])
        assert "$.fields[1]: field selection not carried" in notes, member  # aNummer


async def test_the_backend_format_defaults_to_what_the_directory_publishes(
    fed: Harness, brp_backend
):
    backend, seen = brp_backend
    fed.backend_url = backend
    fed.members["DE"].client_format = "nl.brp"
    fed.members["EE"].services[0]["format"] = "nl.brp"  # published; EE's config names none
    async with fed.start() as (de, _ee), fed.client("DE") as http:
        answer = await _ask(http, fed, de.client_url, orjson.dumps(QUERY))
    assert answer.status == 200, answer.body
    assert BRP.decode_message(seen[0]).kind == "PersonQuery"
